#!/usr/bin/env python3
"""Hostile inputs of issue 13 through the release CLI: each case is written under
target/limits-corpus/CASE/, run with /usr/bin/time -v, and its wall time, peak memory and exit
code are printed as a Markdown table (docs/BENCHMARKS.md "Bounded work").

    scripts/limits-bench.py [--bin target/release/pipesim] [--timeout 120] [CASE...]

Every case is under 1 MB. The bar (issue 13): under 2 s, under 1 GB, exit 0 or 1 with a
diagnostic where pipesim refuses. A case that runs past --timeout is killed and shown as such.
"""
import argparse
import os
import re
import resource
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUT = os.path.join(ROOT, "target", "limits-corpus")


def alias_tree(width, levels, name="x"):
    """Anchors that expand to width**levels nodes: `.l0: &l0 [x, ...]`, `.l1: &l1 [*l0, ...]`."""
    lines = [f".{name}0: &{name}0 [{', '.join(['x'] * width)}]"]
    for level in range(1, levels):
        items = ", ".join([f"*{name}{level - 1}"] * width)
        lines.append(f".{name}{level}: &{name}{level} [{items}]")
    return "\n".join(lines) + "\n"


def case_default_aliases(jobs):
    # `default:` holding a 1,000,000-node list, copied into every job.
    text = alias_tree(100, 2)  # 10,000 nodes as *x1
    text += "default:\n  before_script: [" + ", ".join(["*x1"] * 100) + "]\n"
    for i in range(jobs):
        text += f"j{i}:\n  script: x\n"
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_default_plain(jobs, keys):
    # No aliases: a plain `default:` of KEYS variables... (variables are not a default key:
    # before_script lines are) copied into JOBS jobs.
    text = "default:\n  before_script:\n"
    for i in range(keys):
        text += f"    - echo {i}\n"
    for i in range(jobs):
        text += f"j{i}: {{script: x}}\n"
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_parallel(count):
    text = alias_tree(100, 2)
    text += "job:\n  script: [" + ", ".join(["*x1"] * 50) + "]\n"
    text += f"  parallel: {count}\n"
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_matrix():
    text = alias_tree(100, 2)
    text += "job:\n  script: [" + ", ".join(["*x1"] * 50) + "]\n"
    text += "  parallel:\n    matrix:\n      - {A: [" + ", ".join(str(i) for i in range(20))
    text += "], B: [" + ", ".join(str(i) for i in range(10)) + "]}\n"
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_parallel_variables(count):
    # A large plain job body (10,000 variables) in `count` parallel instances.
    text = "job:\n  script: x\n  parallel: %d\n  variables:\n" % count
    for i in range(10_000):
        text += f"    V{i}: value{i}\n"
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_inputs_string(jobs):
    # One 100 KB string input, interpolated once in each of JOBS jobs.
    text = "spec:\n  inputs:\n    s:\n      default: " + "y" * 100_000 + "\n---\n"
    for i in range(jobs):
        text += f"j{i}:\n  script: echo $[[ inputs.s ]]\n"
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_inputs_array(jobs):
    # One 10,000-item array input, the whole value of `script` in each of JOBS jobs.
    items = ", ".join(f"echo {i}" for i in range(10_000))
    text = "spec:\n  inputs:\n    a:\n      type: array\n      default: [" + items + "]\n---\n"
    for i in range(jobs):
        text += f"j{i}:\n  script: $[[ inputs.a ]]\n"
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_children(count):
    # COUNT trigger jobs whose child pipeline includes the parent's own configuration.
    text = ""
    for i in range(count):
        text += f"t{i}:\n  trigger:\n    include: .gitlab-ci.yml\n"
    text += "build:\n  script: x\n"
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_children_large_jobs():
    # The `multiply` fuzz target's `CCeeCe`: 39 trigger jobs whose child includes the parent,
    # beside a 27-job matrix whose script is a 6,561-item alias list (found taking 209 s).
    text = alias_tree(9, 4, "a")
    for i in range(39):
        text += f"t{i}:\n  trigger:\n    include: .gitlab-ci.yml\n"
    text += "m:\n  script: [*a3]\n  parallel:\n    matrix:\n"
    text += "      - {A: [0, 1, 2, 3, 4, 5, 6, 7, 8], B: [0, 1, 2]}\n"
    text += "build:\n  script: x\n"
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_default_script_copies():
    # `default: before_script` of a 14,641-item alias list inherited by 120 jobs: about
    # 1.9 million script lines, just inside the configuration's node budget (took 5.2 s before
    # jobs with equal lines shared one reading of their script).
    text = alias_tree(11, 4, "a")
    text += "default:\n  before_script: [*a3]\n"
    for i in range(120):
        text += f"j{i}:\n  script: x\n"
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_parallel_large_script():
    # The `multiply` fuzz target's `RQMAAgF6AwAA` (622 bytes): 104 parallel and matrix
    # instances of jobs whose script and inherited `before_script` are 14,641-item alias lists
    # (found taking 3.3 s natively before the instances shared one reading of their script).
    text = alias_tree(11, 4, "a")
    text += "default:\n  before_script: [*a3]\n"
    text += "p1:\n  script: [*a3]\n  parallel: 6\n"
    text += "".join(f"j{i}:\n  script: x\n" for i in range(8))
    text += "p3:\n  script: [*a3]\n  parallel: 96\n"
    text += "m4:\n  script: [*a3]\n  parallel:\n    matrix:\n      - {A: [0], B: [0, 1]}\n"
    text += "build:\n  script: x\n"
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_children_large_config():
    # The `multiply` fuzz target's `Ck`e`\0`: 13 trigger jobs whose child includes the parent,
    # in a configuration of about 30,000 nodes (anchors, a 6,561-line `default:` written three
    # times) with small jobs (2.6 s when the tree's budget counted only the jobs' nodes).
    text = alias_tree(9, 4, "a")
    text += "default:\n  before_script: [*a3]\n"
    text += "".join(f"t{n}:\n  trigger:\n    include: .gitlab-ci.yml\n" for n in range(13))
    text += "default:\n  before_script: [*a3]\n" * 2
    text += "build:\n  script: x\n"
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_projects_ping_pong(count):
    # Two projects of a scenario, each with COUNT trigger jobs starting the other project's
    # pipeline: GitLab's loop check and the tree's size (1,000 pipelines across projects) stop it.
    def config(other, indent):
        return "".join(
            f"{indent}t{i}:\n{indent}  trigger:\n{indent}    project: {other}\n" for i in range(count)
        )

    text = "project: {path: group/a}\nfiles:\n  .gitlab-ci.yml: |\n" + config("group/b", "    ")
    text += "projects:\n  - path: group/b\n    files:\n      .gitlab-ci.yml: |\n"
    text += config("group/a", "        ") + "events:\n  - push: {branch: main}\n"
    return {"timeline.yml": text}, ["scenario", "timeline.yml"]


def case_jobs(count):
    text = "".join(f"j{i}: {{script: x}}\n" for i in range(count))
    return {".gitlab-ci.yml": text}, ["simulate", "--event", "push"]


def case_alias_bomb():
    text = alias_tree(10, 9) + "job:\n  script: x\n"
    return {".gitlab-ci.yml": text}, ["lint"]


def case_matrix_huge():
    keys = ", ".join(f"K{i}: [a, b]" for i in range(64))
    text = "job:\n  script: x\n  parallel:\n    matrix:\n      - {" + keys + "}\n"
    return {".gitlab-ci.yml": text}, ["lint"]


def case_wait():
    text = (
        "project: {path: group/app, default_branch: main}\n"
        "files:\n  .gitlab-ci.yml: |\n    build:\n      script: make\n"
        "      artifacts: {paths: [out/], expire_in: 1 day}\n"
        "events:\n  - push: {branch: main}\n  - wait: 140737488355328 days\n"
        "  - push: {branch: main}\n"
    )
    return {"timeline.yml": text}, ["scenario", "timeline.yml"]


CASES = {
    "default-aliases-1000": lambda: case_default_aliases(1000),
    "default-plain-300x500": lambda: case_default_plain(300, 500),
    "parallel-200": lambda: case_parallel(200),
    "matrix-200": case_matrix,
    "parallel-vars-200": lambda: case_parallel_variables(200),
    "inputs-string-3000": lambda: case_inputs_string(3000),
    "inputs-array-3000": lambda: case_inputs_array(3000),
    "children-30": lambda: case_children(30),
    "children-50": lambda: case_children(50),
    "children-100": lambda: case_children(100),
    "children-200": lambda: case_children(200),
    "children-large-jobs": case_children_large_jobs,
    "default-script-120": case_default_script_copies,
    "parallel-large-script": case_parallel_large_script,
    "children-large-config": case_children_large_config,
    "projects-ping-pong-40": lambda: case_projects_ping_pong(40),
    "jobs-30000": lambda: case_jobs(30_000),
    "alias-bomb": case_alias_bomb,
    "matrix-2^64": case_matrix_huge,
    "wait-2^47-days": case_wait,
}


MEMORY_LIMIT = 4 << 30


def limit_memory():
    # A run that would take more than 4 GB aborts (allocation failure) instead of taking the
    # shared machine down; the table then shows the signal.
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run(name, bin_path, timeout):
    files, args = CASES[name]()
    directory = os.path.join(OUT, name)
    os.makedirs(directory, exist_ok=True)
    size = 0
    for path, text in files.items():
        with open(os.path.join(directory, path), "w") as f:
            f.write(text)
        size += len(text.encode())
    if args[0] in ("lint", "simulate"):
        args = [args[0], ".gitlab-ci.yml"] + args[1:]
    command = ["/usr/bin/time", "-v", bin_path] + args
    start = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=directory,
            capture_output=True,
            timeout=timeout,
            text=True,
            errors="replace",
            preexec_fn=limit_memory,
        )
    except subprocess.TimeoutExpired:
        return size, f"> {timeout} s", "—", "—", "killed", ""
    wall = time.monotonic() - start
    user = re.search(r"User time \(seconds\): ([\d.]+)", done.stderr)
    system = re.search(r"System time \(seconds\): ([\d.]+)", done.stderr)
    cpu = float(user.group(1)) + float(system.group(1)) if user and system else float("nan")
    rss = re.search(r"Maximum resident set size \(kbytes\): (\d+)", done.stderr)
    rss_mb = int(rss.group(1)) / 1024 if rss else float("nan")
    status = re.search(r"Exit status: (\d+)", done.stderr)
    signal = re.search(r"Command terminated by signal (\d+)", done.stderr)
    code = f"signal {signal.group(1)}" if signal else (status.group(1) if status else "?")
    first = next(
        (
            l
            for l in (done.stdout + done.stderr).splitlines()
            if ": error: " in l or ": warning: " in l or "memory allocation" in l
        ),
        "",
    )
    return size, f"{wall:.2f} s", f"{cpu:.2f} s", f"{rss_mb:.0f} MB", code, first[:160]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=os.path.join(ROOT, "target", "release", "pipesim"))
    parser.add_argument("--timeout", type=float, default=120)
    parser.add_argument("cases", nargs="*")
    options = parser.parse_args()
    options.bin = os.path.abspath(options.bin)
    names = options.cases or list(CASES)
    print("| input | size | wall time | CPU time | peak memory | exit | first diagnostic |")
    print("|---|---:|---:|---:|---:|---|---|")
    for name in names:
        size, wall, cpu, rss, code, first = run(name, options.bin, options.timeout)
        first = first.replace("|", "\\|")
        print(
            f"| {name} | {size / 1024:.1f} KB | {wall} | {cpu} | {rss} | {code} | {first} |",
            flush=True,
        )


if __name__ == "__main__":
    sys.exit(main())
