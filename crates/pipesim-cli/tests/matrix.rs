//! The contract of `pipesim matrix`, `pipesim test` and `pipesim diff`, on the fixtures of
//! tests/fixtures/matrix/ (a monorepo with `rules`, `only`/`except`, `workflow:rules`, local
//! includes and a child pipeline; the same repository before a change; failing expectations).
//! The JUnit report is read the way GitLab reads it (lib/gitlab/ci/parsers/test/junit.rb and
//! spec/lib/gitlab/ci/parsers/test/junit_spec.rb), by the small reader at the end of this file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn pipesim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pipesim"))
}

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/matrix")
}

fn monorepo() -> PathBuf {
    fixtures().join("monorepo")
}

fn run(args: &[&str]) -> Output {
    pipesim().args(args).output().expect("pipesim runs")
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A fresh folder under target/ for a test that writes files.
fn scratch(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("matrix-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn config() -> String {
    monorepo().join(".gitlab-ci.yml").display().to_string()
}

#[test]
fn matrix_text_is_a_table_of_jobs_by_events() {
    let out = run(&["matrix", &config(), "--changed", "frontend/src/app.ts"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    let words = |line: &str| {
        line.split_whitespace()
            .map(str::to_owned)
            .collect::<Vec<_>>()
    };
    assert_eq!(
        words(lines[0]),
        [
            "job",
            "push-feature",
            "push-default",
            "mr",
            "merge",
            "tag",
            "schedule",
            "web",
            "api",
            "trigger"
        ]
    );
    let row = |name: &str| {
        lines
            .iter()
            .find(|l| l.starts_with(&format!("{name}  ")))
            .map(|l| words(&l[name.len()..]))
            .unwrap_or_else(|| panic!("no row {name} in\n{text}"))
    };
    // workflow:rules refuse api pipelines; the docs child pipeline is a nested row.
    assert_eq!(
        row("(pipeline)"),
        [
            "created", "created", "created", "created", "created", "created", "created", "none",
            "created"
        ]
    );
    assert_eq!(
        row("lint"),
        ["in", "in", "in", "in", "never", "in", "in", "-", "in"]
    );
    assert_eq!(
        row("frontend-build"),
        ["never", "in", "in", "in", "in", "in", "in", "-", "in"]
    );
    assert_eq!(
        row("deploy"),
        ["never", "delayed", "never", "delayed", "manual", "never", "never", "-", "never"]
    );
    assert_eq!(
        row("nightly"),
        ["never", "never", "never", "never", "never", "in", "never", "-", "never"]
    );
    assert_eq!(
        row("docs > docs-build"),
        ["-", "in", "-", "in", "-", "in", "in", "-", "in"]
    );
    assert!(text.contains("mr: merge request feature/change → main (detached)\n"));
}

#[test]
fn matrix_explain_gives_every_cell_its_reason() {
    let out = run(&["matrix", &config(), "--explain"]);
    let text = stdout(&out);
    assert!(text.contains("\napi (API pipeline on main)\n"), "{text}");
    assert!(
        text.contains(
            "  deploy: manual: In this pipeline. rules[0] matches (`$CI_COMMIT_TAG` is true"
        ),
        "{text}"
    );
    assert!(
        text.contains("  docs > docs-build: no_pipeline: `docs` is not in this pipeline: Not in this pipeline: no rule matches"),
        "{text}"
    );
}

#[test]
fn matrix_json_is_the_core_matrix() {
    let out = run(&["matrix", &config(), "--format", "json", "--tier", "premium"]);
    assert_eq!(out.status.code(), Some(0));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["gitlab_version"], "19.5");
    let ids: Vec<&str> = json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        [
            "push-feature",
            "push-default",
            "mr",
            "merged-result",
            "merge-train",
            "merge",
            "tag",
            "schedule",
            "web",
            "api",
            "trigger"
        ]
    );
    let rows = json["rows"].as_array().unwrap();
    let child = rows
        .iter()
        .find(|r| r["job"] == "docs-publish")
        .expect("child row");
    assert_eq!(child["path"], serde_json::json!(["docs"]));
    for row in rows {
        for cell in row["cells"].as_array().unwrap() {
            assert!(["in", "manual", "delayed", "never", "no_pipeline"]
                .contains(&cell["state"].as_str().unwrap()));
            assert!(!cell["why"].as_str().unwrap().is_empty());
        }
    }
    let deploy = rows.iter().find(|r| r["job"] == "deploy").unwrap();
    assert_eq!(deploy["cells"][1]["start_in"], "10 minutes");
    assert_eq!(
        deploy["cells"][1]["needs"],
        serde_json::json!(["frontend-build"])
    );
    let api = &json["columns"][9];
    assert_eq!(api["pipelines"][0]["status"], "not_created");
}

#[test]
fn matrix_csv_has_one_line_per_job_or_per_cell() {
    let out = run(&["matrix", &config(), "--format", "csv"]);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "job,stage,push-feature,push-default,mr,merge,tag,schedule,web,api,trigger"
    );
    assert!(lines.contains(
        &"deploy,deploy,never,delayed,never,delayed,manual,never,never,no_pipeline,never"
    ));
    assert!(lines.contains(
        &"docs > docs-build,test,no_pipeline,in,no_pipeline,in,no_pipeline,in,in,no_pipeline,in"
    ));
    let rows = lines.len() - 1;
    let out = run(&["matrix", &config(), "--format", "csv", "--explain"]);
    let text = stdout(&out);
    let long: Vec<&str> = text.lines().collect();
    assert_eq!(long[0], "job,stage,event,state,when,why");
    assert_eq!(long.len() - 1, rows * 9);
    assert!(long
        .iter()
        .any(|l| l.starts_with("deploy,deploy,tag,manual,manual,\"In this pipeline.")));
}

#[test]
fn matrix_markdown_is_a_table() {
    let out = run(&["matrix", &config(), "--format", "markdown", "--explain"]);
    let text = stdout(&out);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(
        lines[0],
        "| job | push-feature | push-default | mr | merge | tag | schedule | web | api | trigger |"
    );
    assert_eq!(lines[1], format!("|---|{}", "---|".repeat(9)));
    assert!(lines.contains(&"| `deploy` | never | ⏱️ delayed | never | ⏱️ delayed | ▶️ manual | never | never | — | never |"), "{text}");
    assert!(text.contains("| `docs > docs-build` |"));
    assert!(text.contains("<details><summary>Why: tag</summary>"));
}

#[test]
fn matrix_events_file_errors_name_file_and_line() {
    let dir = scratch("events-error");
    let events = dir.join("events.yml");
    std::fs::write(&events, "events:\n  - id: x\n    type: release\n").unwrap();
    let out = run(&["matrix", &config(), "--events", events.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("events: x: `type: release` is not one of push, tag"),
        "{stderr}"
    );
    let bad = dir.join("bad.yml");
    std::fs::write(&bad, "events:\n  - id: x\n    typo: push\n").unwrap();
    let out = run(&["matrix", &config(), "--events", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("bad.yml:3:5: error: event: unknown key `typo`"),
        "{stderr}"
    );
    let out = run(&["matrix", &config(), "--tier", "gold"]);
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn test_passes_on_the_monorepo_expectations() {
    let dir = scratch("junit-pass");
    let junit = dir.join("report.xml");
    let tests = monorepo().join(".pipesim/tests.yml");
    let out = run(&[
        "test",
        tests.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with("7 passed, 0 failed\n"),
        "{}",
        stdout(&out)
    );
    let cases = junit_cases(&std::fs::read_to_string(junit).unwrap());
    assert_eq!(cases.len(), 7);
    assert!(cases.iter().all(|c| c.status == "success"));
    assert_eq!(cases[0].classname, "pipesim.push-feature");
    assert_eq!(cases[0].name, "a feature branch push only lints");
    assert_eq!(
        cases[0].suite_name.as_deref(),
        Some(tests.to_str().unwrap())
    );
}

#[test]
fn test_failures_say_why_and_exit_one() {
    let dir = scratch("junit-fail");
    let junit = dir.join("report.xml");
    let out = run(&[
        "test",
        fixtures().join("failing/tests.yml").to_str().unwrap(),
        "--root",
        monorepo().to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("    deploy: expected in, got never: Not in this pipeline: no rule matches"),
        "{text}"
    );
    assert!(text.contains("    deploy: variable TARGET: expected `staging`, got `production`\n"));
    assert!(text.contains("    lint: dotenv VERSION: expected `1.4.2`, got no dotenv value\n"));
    assert!(text.contains("    deploy: expected artifacts from [], got [frontend-build]\n"));
    assert!(text.contains("    error: there is no event `release` in the matrix"));
    assert!(text.contains("    pipeline: expected not_created, got created: GitLab creates this push pipeline for `v1.0.0`"));
    assert!(text.ends_with("0 passed, 4 failed\n"));
    let cases = junit_cases(&std::fs::read_to_string(junit).unwrap());
    let statuses: Vec<&str> = cases.iter().map(|c| c.status.as_str()).collect();
    assert_eq!(statuses, ["failed", "failed", "error", "failed"]);
    let output = cases[1].system_output.as_deref().unwrap();
    assert!(
        output.contains(
            "deploy: variable TARGET: expected `staging`, got `production`\nlint: dotenv"
        ),
        "{output}"
    );
    // Characters XML escapes come back as written.
    assert!(cases[0]
        .system_output
        .as_deref()
        .unwrap()
        .contains("&& $CI_PIPELINE_SOURCE == \"push\""));
}

#[test]
fn test_update_writes_the_matrix_as_expectations() {
    let dir = scratch("update");
    copy_dir(&monorepo(), &dir);
    let tests = dir.join(".pipesim/tests.yml");
    let head = "# kept\nstandard:\n  changes: [docs/index.md]\ntests:\n  - event: mr\n    jobs: {deploy: in}\nevents: [push-default, mr, api]\n";
    std::fs::write(&tests, head).unwrap();
    let before = run(&["test", tests.to_str().unwrap()]);
    assert_eq!(before.status.code(), Some(1));
    let out = run(&["test", tests.to_str().unwrap(), "--update"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&tests).unwrap();
    assert!(text.starts_with("# kept\nstandard:\n  changes: [docs/index.md]\ntests:\n  - name: \"push-default: push to main (default branch)\"\n    event: push-default\n    pipeline: created\n    jobs:\n"), "{text}");
    assert!(text.contains("      \"docs > docs-build\": in\n"));
    assert!(text.contains(
        "  - name: \"api: API pipeline on main\"\n    event: api\n    pipeline: not_created\n"
    ));
    assert!(
        text.ends_with("events: [push-default, mr, api]\n"),
        "{text}"
    );
    let after = run(&["test", tests.to_str().unwrap()]);
    assert_eq!(after.status.code(), Some(0), "{}", stdout(&after));
    assert!(stdout(&after).ends_with("3 passed, 0 failed\n"));
    // A file that does not exist yet is created.
    let fresh = dir.join(".pipesim/new.yml");
    let out = run(&[
        "test",
        fresh.to_str().unwrap(),
        "--update",
        "--root",
        dir.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(0));
    let out = run(&[
        "test",
        fresh.to_str().unwrap(),
        "--root",
        dir.to_str().unwrap(),
    ]);
    assert!(
        stdout(&out).ends_with("9 passed, 0 failed\n"),
        "{}",
        stdout(&out)
    );
}

fn diff_args(format: &str) -> Vec<String> {
    vec![
        "diff".to_owned(),
        fixtures().join("monorepo-before").display().to_string(),
        monorepo().display().to_string(),
        "--changed".to_owned(),
        "docs/index.md".to_owned(),
        "--format".to_owned(),
        format.to_owned(),
    ]
}

fn run_owned(args: &[String]) -> Output {
    pipesim().args(args).output().expect("pipesim runs")
}

#[test]
fn diff_text_names_each_event_change() {
    let out = run_owned(&diff_args("text"));
    assert_eq!(out.status.code(), Some(0));
    let text = stdout(&out);
    assert!(text.starts_with("push-default (push to main (default branch))\n  ~ deploy (manual → delayed)\n      when: manual → delayed\n      start_in: - → 10 minutes\n"), "{text}");
    assert!(text.contains(
        "mr (merge request feature/change → main (detached))\n  + docs > docs-build (never → in)\n"
    ));
    assert!(text.contains("  ✓ fixed error: docs: The downstream pipeline could not be created\n"));
    assert!(text.contains("tag (push tag v1.0.0)\n  - lint (in → never)\n"));
    assert!(text.ends_with("unchanged: push-feature, schedule, web, api, trigger\n"));
    let mut args = diff_args("text");
    args.push("--exit-code".to_owned());
    assert_eq!(run_owned(&args).status.code(), Some(1));
    let same = run(&[
        "diff",
        monorepo().to_str().unwrap(),
        monorepo().to_str().unwrap(),
        "--exit-code",
    ]);
    assert_eq!(same.status.code(), Some(0));
    assert_eq!(
        stdout(&same),
        "no change: every event creates the same pipelines and jobs\n"
    );
}

#[test]
fn diff_json_and_markdown() {
    let out = run_owned(&diff_args("json"));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(json["changed"], true);
    let mr = json["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == "mr")
        .unwrap();
    assert_eq!(mr["added"][0]["job"], "docs > docs-build");
    assert_eq!(mr["added"][0]["before"], "never");
    // The trigger job's failure and the downstream pipeline's error GitLab shows on it.
    let fixed: Vec<&str> = mr["fixed_findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f["code"].as_str())
        .collect();
    assert_eq!(
        fixed,
        ["downstream-error", "downstream_pipeline_creation_failed"]
    );
    let out = run_owned(&diff_args("markdown"));
    let text = stdout(&out);
    assert!(text.starts_with("### pipesim: what this change does to the pipelines\n\n| event | pipeline | added | removed | changed | new findings | fixed |\n|---|---|---|---|---|---|---|\n| **push-default** |  |  |  | `deploy` | 0 | 0 |\n"), "{text}");
    assert!(text.contains("| **mr** |  | `docs > docs-build` |  |  | 0 | 2 |\n"));
    assert!(text.contains("- removed `lint` (in → never): "));
}

#[test]
fn diff_git_compares_with_a_commit() {
    let dir = scratch("git");
    copy_dir(&fixtures().join("monorepo-before"), &dir);
    let git = |args: &[&str]| {
        let out = Command::new("git")
            .arg("-C")
            .arg(&dir)
            .args(args)
            .output()
            .expect("git runs");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    git(&["init", "-q"]);
    git(&["add", "-A"]);
    git(&[
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.com",
        "commit",
        "-qm",
        "before",
    ]);
    copy_dir(&monorepo(), &dir);
    let out = run(&[
        "diff",
        "--git",
        "HEAD",
        dir.join(".gitlab-ci.yml").to_str().unwrap(),
        "--changed",
        "docs/index.md",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = stdout(&out);
    assert!(
        text.contains("  + docs > docs-build (never → in)\n"),
        "{text}"
    );
    assert!(text.contains("tag (push tag v1.0.0)\n  - lint (in → never)\n"));
    let out = run(&[
        "diff",
        "--git",
        "--bad",
        dir.join(".gitlab-ci.yml").to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
}

// GitLab's JUnit reading (lib/gitlab/ci/parsers/test/junit.rb): `Hash.from_xml`, then one
// top-level `testsuites` (or a `testsuite`), test cases at least one level down, nested
// `testsuite`s allowed; a case's status from a `failure`, `error` or `skipped` child (in that
// order; junit_spec.rb "and has failure/error/skipped"), its output that child's text;
// `classname`, `name`, `file`, `time` attributes; the suite name from the enclosing
// `testsuite`'s `name`. The reader below is a strict XML reader for what pipesim writes.

#[derive(Debug)]
struct Element {
    name: String,
    attributes: Vec<(String, String)>,
    children: Vec<Element>,
    text: String,
}

impl Element {
    fn attribute(&self, name: &str) -> Option<&str> {
        self.attributes
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Debug)]
struct Case {
    suite_name: Option<String>,
    classname: String,
    name: String,
    status: String,
    system_output: Option<String>,
}

fn junit_cases(xml: &str) -> Vec<Case> {
    let root = parse_xml(xml);
    assert!(
        root.name == "testsuites" || root.name == "testsuite",
        "GitLab reads a `testsuites` or `testsuite` root, not `{}`",
        root.name
    );
    let mut cases = Vec::new();
    if root.name == "testsuites" {
        collect_cases(&root, None, &mut cases);
    } else {
        collect_cases(&root, root.attribute("name"), &mut cases);
    }
    // GitLab groups a report's cases by their attributes: two cases with the same classname
    // and name could not be told apart.
    for (i, a) in cases.iter().enumerate() {
        for b in &cases[i + 1..] {
            assert!(
                (a.classname.as_str(), a.name.as_str()) != (b.classname.as_str(), b.name.as_str()),
                "two test cases named {} {}",
                a.classname,
                a.name
            );
        }
    }
    cases
}

fn collect_cases(node: &Element, suite: Option<&str>, cases: &mut Vec<Case>) {
    for child in &node.children {
        match child.name.as_str() {
            "testcase" => {
                let time = child.attribute("time").expect("time");
                assert!(time.parse::<f64>().is_ok(), "time {time} is a number");
                let find = |name: &str| child.children.iter().find(|c| c.name == name);
                let (status, output) = if let Some(f) = find("failure") {
                    ("failed", Some(f))
                } else if let Some(e) = find("error") {
                    ("error", Some(e))
                } else if let Some(s) = find("skipped") {
                    ("skipped", Some(s))
                } else {
                    ("success", None)
                };
                if let Some(output) = output {
                    // Hash.from_xml makes an element with attributes a hash, not its text.
                    assert!(
                        output.attributes.is_empty(),
                        "{} has attributes",
                        output.name
                    );
                }
                cases.push(Case {
                    suite_name: suite.map(str::to_owned),
                    classname: child.attribute("classname").expect("classname").to_owned(),
                    name: child.attribute("name").expect("name").to_owned(),
                    status: status.to_owned(),
                    system_output: output.map(|o| o.text.clone()),
                });
            }
            "testsuite" => collect_cases(child, child.attribute("name"), cases),
            _ => {}
        }
    }
}

fn parse_xml(xml: &str) -> Element {
    let mut rest = xml.trim_start();
    if let Some(after) = rest.strip_prefix("<?xml") {
        let end = after.find("?>").expect("declaration ends");
        rest = after[end + 2..].trim_start();
    }
    let (element, tail) = parse_element(rest);
    assert!(tail.trim().is_empty(), "text after the root: {tail:?}");
    element
}

fn unescape(text: &str) -> String {
    let mut out = String::new();
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let end = rest[i..].find(';').expect("entity ends") + i;
        out.push_str(match &rest[i + 1..end] {
            "amp" => "&",
            "lt" => "<",
            "gt" => ">",
            "quot" => "\"",
            "apos" => "'",
            other => panic!("unknown entity &{other};"),
        });
        rest = &rest[end + 1..];
    }
    assert!(!rest.contains('<'));
    out.push_str(rest);
    out
}

fn parse_element(input: &str) -> (Element, &str) {
    let input = input.strip_prefix('<').expect("an element starts with <");
    let name_end = input
        .find(|c: char| c.is_whitespace() || c == '>' || c == '/')
        .expect("name ends");
    let name = input[..name_end].to_owned();
    let mut rest = &input[name_end..];
    let mut attributes = Vec::new();
    loop {
        rest = rest.trim_start();
        if let Some(after) = rest.strip_prefix("/>") {
            let element = Element {
                name,
                attributes,
                children: Vec::new(),
                text: String::new(),
            };
            return (element, after);
        }
        if let Some(after) = rest.strip_prefix('>') {
            rest = after;
            break;
        }
        let eq = rest.find('=').expect("attribute has =");
        let key = rest[..eq].trim().to_owned();
        let value_start = rest[eq + 1..].trim_start();
        let quote = value_start.chars().next().expect("quoted value");
        assert!(quote == '"' || quote == '\'', "attribute {key} is quoted");
        let end = value_start[1..].find(quote).expect("value ends") + 1;
        let value = unescape(&value_start[1..end]);
        assert!(
            !attributes.iter().any(|(k, _)| *k == key),
            "attribute {key} twice"
        );
        attributes.push((key, value));
        rest = &value_start[end + 1..];
    }
    let mut children = Vec::new();
    let mut text = String::new();
    loop {
        let next = rest.find('<').expect("element closes");
        text.push_str(&unescape(&rest[..next]));
        rest = &rest[next..];
        if let Some(after) = rest.strip_prefix("</") {
            let end = after.find('>').expect("closing tag ends");
            assert_eq!(&after[..end], name, "tags nest");
            rest = &after[end + 1..];
            break;
        }
        let (child, after) = parse_element(rest);
        children.push(child);
        rest = after;
    }
    let text = if children.is_empty() {
        text
    } else {
        text.trim().to_owned()
    };
    (
        Element {
            name,
            attributes,
            children,
            text,
        },
        rest,
    )
}

/// The repository's own CI file (.gitlab-ci.yml with ci/pipesim.gitlab-ci.yml) is valid and
/// meets its expectations (.pipesim/tests.yml), as its pipesim-test job checks in GitLab.
#[test]
fn the_repository_tests_its_own_ci_file() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let lint = run(&["lint", root.join(".gitlab-ci.yml").to_str().unwrap()]);
    assert_eq!(lint.status.code(), Some(0), "{}", stdout(&lint));
    let out = run(&["test", root.join(".pipesim/tests.yml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    assert!(
        stdout(&out).ends_with("7 passed, 0 failed\n"),
        "{}",
        stdout(&out)
    );
}

#[test]
fn matrix_of_an_invalid_configuration_prints_its_error_once_and_exits_one() {
    let dir = scratch("invalid");
    std::fs::write(
        dir.join(".gitlab-ci.yml"),
        "build:\n  script: make\n  when: sometimes\n",
    )
    .unwrap();
    let out = run(&["matrix", dir.join(".gitlab-ci.yml").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let text = stdout(&out);
    assert!(
        text.contains("(pipeline)  failed        failed  "),
        "{text}"
    );
    let line = "! .gitlab-ci.yml:3:9: error: jobs:build when should be one of: on_success, on_failure, always, manual, delayed (push-feature, push-default, mr, merge, tag, schedule, web, api, trigger)\n";
    assert_eq!(text.matches(line).count(), 1, "{text}");
}

/// The events file's `project:` is a scenario's (settings under `settings:`); the older
/// format, with the settings beside `path:`, gives the same matrix and a deprecation warning
/// per key, at its line.
#[test]
fn matrix_events_file_reads_project_as_a_scenario_does() {
    let events = fixtures().join("events");
    let new = run(&[
        "matrix",
        &config(),
        "--events",
        events.join("premium.yml").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(
        new.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&new.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&new.stderr), "");
    let json: serde_json::Value = serde_json::from_slice(&new.stdout).expect("JSON");
    let ids: Vec<&str> = json["columns"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_str().unwrap())
        .collect();
    assert_eq!(
        ids,
        ["push-default", "mr", "merged-result", "merge-train", "tag"]
    );
    assert_eq!(
        json["columns"][2]["pipelines"][0]["ref"],
        "refs/merge-requests/1/merge"
    );
    let old = run(&[
        "matrix",
        &config(),
        "--events",
        events.join("premium-old-keys.yml").to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(old.status.code(), Some(0));
    assert_eq!(old.stdout, new.stdout);
    let stderr = String::from_utf8_lossy(&old.stderr);
    for (line, key) in [
        (6, "merged_results_pipelines"),
        (7, "merge_trains"),
        (8, "protected_branches"),
    ] {
        assert!(
            stderr.contains(&format!(
                "premium-old-keys.yml:{line}:3: warning: project:{key} is deprecated: write it under `project:settings:`"
            )),
            "{stderr}"
        );
    }
    // The scenario's own checks apply.
    let dir = scratch("events-project");
    let bad = dir.join("bad.yml");
    std::fs::write(
        &bad,
        "project:\n  path: nogroup\n  settings: {merge_train: true}\n",
    )
    .unwrap();
    let out = run(&["matrix", &config(), "--events", bad.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr
            .contains("bad.yml:2:9: error: project:path `nogroup` must be a namespace and a name"),
        "{stderr}"
    );
    assert!(
        stderr.contains("bad.yml:3:14: error: project:settings: unknown key `merge_train`"),
        "{stderr}"
    );
}

/// `pipesim test --format json`: every test with its verdict, checks, failures (the same
/// sentences as the text) and error, and the totals; the exit code is the text's.
#[test]
fn test_json_is_machine_readable() {
    let tests = monorepo().join(".pipesim/tests.yml");
    let out = run(&["test", tests.to_str().unwrap(), "--format", "json"]);
    assert_eq!(out.status.code(), Some(0), "{}", stdout(&out));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["gitlab_version"], "19.5");
    assert_eq!(json["passed"], true);
    assert!(json["file"].as_str().unwrap().ends_with("tests.yml"));
    let count = json["tests"].as_array().unwrap().len();
    assert!(count > 3);
    assert_eq!(json["summary"]["tests"], count);
    assert_eq!(json["summary"]["passed"], count);
    for test in json["tests"].as_array().unwrap() {
        assert_eq!(test["passed"], true);
        assert!(test["checks"].as_u64().unwrap() > 0, "{test}");
        assert_eq!(test["failures"], serde_json::json!([]));
        assert!(test["line"].as_u64().unwrap() > 0);
        assert!(test.get("error").is_none());
    }

    let out = run(&[
        "test",
        fixtures().join("failing/tests.yml").to_str().unwrap(),
        "--root",
        monorepo().to_str().unwrap(),
        "--format",
        "json",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(json["passed"], false);
    let by_name = |name: &str| {
        json["tests"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["name"] == name)
            .unwrap_or_else(|| panic!("{name}"))
            .clone()
    };
    let deploy = by_name("deploy targets staging");
    assert_eq!(deploy["passed"], false);
    assert_eq!(deploy["event"], "push-default");
    assert!(deploy["failures"]
        .as_array()
        .unwrap()
        .contains(&serde_json::json!(
            "deploy: variable TARGET: expected `staging`, got `production`"
        )));
    let missing = by_name("an event that is not in the matrix");
    assert_eq!(missing["passed"], false);
    assert!(missing["error"].as_str().unwrap().contains("release"));
    let summary = &json["summary"];
    assert_eq!(
        summary["passed"].as_u64().unwrap()
            + summary["failed"].as_u64().unwrap()
            + summary["errors"].as_u64().unwrap(),
        summary["tests"].as_u64().unwrap()
    );
    assert_eq!(summary["errors"], 1);
}
