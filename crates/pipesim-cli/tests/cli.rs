//! The CLI contract other tools rely on: output formats and exit codes (0 valid, 1 invalid,
//! 2 usage error).

use std::path::PathBuf;
use std::process::Command;

fn pipesim() -> Command {
    Command::new(env!("CARGO_BIN_EXE_pipesim"))
}

fn temp_repo(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("pipesim-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let file = dir.join(path);
        std::fs::create_dir_all(file.parent().unwrap()).unwrap();
        std::fs::write(file, text).unwrap();
    }
    dir
}

#[test]
fn lint_valid_config_exits_zero() {
    let dir = temp_repo(
        "valid",
        &[
            (
                ".gitlab-ci.yml",
                "include: ci/build.yml\ntest:\n  script: echo\n",
            ),
            ("ci/build.yml", "build:\n  stage: build\n  script: make\n"),
        ],
    );
    let out = pipesim()
        .arg("lint")
        .arg(dir.join(".gitlab-ci.yml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn lint_errors_print_file_line_column_and_exit_one() {
    let dir = temp_repo(
        "invalid",
        &[(
            ".gitlab-ci.yml",
            "rspec:\n  script: echo\n  when: sometimes\n",
        )],
    );
    let file = dir.join(".gitlab-ci.yml");
    let out = pipesim().arg("lint").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let expected = format!(
        "{}:3:9: error: jobs:rspec when should be one of: on_success, on_failure, always, manual, delayed",
        file.display()
    );
    assert!(stdout.lines().any(|l| l == expected), "{stdout}");
}

#[test]
fn lint_json_has_the_contract_fields() {
    let dir = temp_repo(
        "json",
        &[(".gitlab-ci.yml", "rspec:\n  script: echo\n  foo: 1\n")],
    );
    let out = pipesim()
        .args(["lint", "--format", "json"])
        .arg(dir.join(".gitlab-ci.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["valid"], false);
    assert_eq!(json["gitlab_version"], pipesim::GITLAB_VERSION);
    let error = &json["errors"][0];
    assert_eq!(
        error["message"],
        "jobs:rspec config contains unknown keys: foo"
    );
    assert_eq!(error["file"], ".gitlab-ci.yml");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(3), Some(3))
    );
    assert_eq!(error["code"], "config-unknown-keys");
    assert!(json["warnings"].is_array());
}

#[test]
fn version_names_the_gitlab_it_follows() {
    let out = pipesim().arg("--version").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(
        stdout.trim(),
        format!("pipesim {}", pipesim::VERSION_LINE),
        "{stdout}"
    );
    assert!(stdout.contains("follows GitLab 19.5"), "{stdout}");
}

#[test]
fn usage_errors_exit_two() {
    let out = pipesim()
        .args(["lint", "/nonexistent/.gitlab-ci.yml"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = pipesim().args(["lint"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn expand_prints_merged_yaml() {
    let dir = temp_repo(
        "expand",
        &[(
            ".gitlab-ci.yml",
            ".base:\n  image: ruby\njob:\n  extends: .base\n  script: rake\n",
        )],
    );
    let out = pipesim()
        .arg("expand")
        .arg(dir.join(".gitlab-ci.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("job:\n  image: ruby\n  extends: .base\n  script: rake\n"),
        "{stdout}"
    );
}

/// Source: GitLab docs ci/jobs/job_rules.md "CI/CD variable expressions" and
/// lib/gitlab/ci/pipeline/expression/lexer.rb (`${VAR}` is not a lexeme).
#[test]
fn expr_prints_truth_or_gitlabs_error() {
    let out = pipesim()
        .args([
            "expr",
            "$CI_COMMIT_BRANCH == \"main\"",
            "--var",
            "CI_COMMIT_BRANCH=main",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "true");
    let out = pipesim().args(["expr", "$UNSET"]).output().unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout).trim(), "false");
    let out = pipesim().args(["expr", "${X} == \"a\""]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("Unknown lexeme found!"));
}

const RULES_CONFIG: &str = r#"stages: [build, deploy]
build:
  stage: build
  script: make
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == "main"
deploy:
  stage: deploy
  script: deploy
  needs: [build]
  rules:
    - if: $CI_COMMIT_BRANCH == "main"
      when: manual
"#;

#[test]
fn simulate_json_has_the_contract_fields() {
    let dir = temp_repo("simulate-json", &[(".gitlab-ci.yml", RULES_CONFIG)]);
    let out = pipesim()
        .args(["simulate", "--format", "json", "--event", "merge_request"])
        .args([
            "--source-branch",
            "feature",
            "--target-branch",
            "main",
            "--mr-iid",
            "4",
        ])
        .arg(dir.join(".gitlab-ci.yml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(json["gitlab_version"], pipesim::GITLAB_VERSION);
    let pipeline = &json["pipelines"][0];
    assert_eq!(pipeline["event"], 1);
    assert_eq!(pipeline["source"], "merge_request_event");
    assert_eq!(pipeline["ref"], "refs/merge-requests/4/head");
    assert_eq!(pipeline["created"], true);
    assert!(pipeline["reason"].is_string());
    assert!(pipeline["errors"].as_array().unwrap().is_empty());
    assert_eq!(pipeline["variables"]["CI_MERGE_REQUEST_IID"], "4");
    assert!(pipeline["variables"].get("CI_COMMIT_BRANCH").is_none());
    let jobs = pipeline["jobs"].as_array().unwrap();
    let build = jobs.iter().find(|j| j["name"] == "build").unwrap();
    assert_eq!(build["created"], true);
    assert_eq!(build["stage"], "build");
    assert_eq!(build["when"], "on_success");
    assert_eq!(build["allow_failure"], false);
    let deploy = jobs.iter().find(|j| j["name"] == "deploy").unwrap();
    assert_eq!(deploy["created"], false);
    assert!(deploy["why"]
        .as_str()
        .unwrap()
        .contains("merge request pipelines have no CI_COMMIT_BRANCH"));
    assert!(json["diagnostics"].is_array());
}

#[test]
fn simulate_text_shows_jobs_and_exits_one_on_creation_errors() {
    let dir = temp_repo("simulate-text", &[(".gitlab-ci.yml", RULES_CONFIG)]);
    let out = pipesim()
        .args(["simulate", "--event", "push", "--branch", "main"])
        .arg(dir.join(".gitlab-ci.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("+ deploy (manual, needs [build])"),
        "{stdout}"
    );

    // In a tag pipeline `build`'s rules leave it out while `deploy` (now unconditional)
    // still needs it: GitLab refuses to create the pipeline.
    let broken = RULES_CONFIG.replace(
        "    - if: $CI_COMMIT_BRANCH == \"main\"\n      when: manual",
        "    - when: manual",
    );
    let dir = temp_repo("simulate-needs", &[(".gitlab-ci.yml", &broken)]);
    let out = pipesim()
        .args(["simulate", "--event", "tag", "--tag", "v1"])
        .arg(dir.join(".gitlab-ci.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains(
            "error: 'deploy' job needs 'build' job, but 'build' does not exist in the pipeline."
        ),
        "{stdout}"
    );
}

#[test]
fn simulate_rejects_unknown_events() {
    let dir = temp_repo("simulate-usage", &[(".gitlab-ci.yml", RULES_CONFIG)]);
    let out = pipesim()
        .args(["simulate", "--event", "merge"])
        .arg(dir.join(".gitlab-ci.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn scenario_runs_a_timeline() {
    let dir = temp_repo(
        "scenario",
        &[(
            "story.scenario.yml",
            "project: {path: acme/app}\nfiles:\n  .gitlab-ci.yml: |\n    build:\n      script: make\nevents:\n  - push: {branch: main}\n  - push: {tag: v1.0.0}\n",
        )],
    );
    let out = pipesim()
        .args(["scenario", "--format", "json"])
        .arg(dir.join("story.scenario.yml"))
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let pipelines = json["pipelines"].as_array().unwrap();
    assert_eq!(pipelines.len(), 2);
    assert_eq!(pipelines[1]["event"], 2);
    assert_eq!(pipelines[1]["ref"], "v1.0.0");
    assert_eq!(pipelines[1]["variables"]["CI_COMMIT_TAG"], "v1.0.0");

    let bad = temp_repo(
        "scenario-bad",
        &[("bad.scenario.yml", "events:\n  - pushh: {branch: main}\n")],
    );
    let out = pipesim()
        .arg("scenario")
        .arg(bad.join("bad.scenario.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(stdout.contains("bad.scenario.yml:"), "{stdout}");
}

/// Issue 13: `lint /dev/zero` stops reading one byte past GitLab's raw size limit
/// (`max_yaml_size_bytes`, 2 MiB) and refuses it with GitLab's message, exit 1.
#[test]
fn lint_stops_reading_past_the_size_limit() {
    let zero = std::path::Path::new("/dev/zero");
    if !zero.exists() {
        return;
    }
    let out = pipesim().arg("lint").arg(zero).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        stdout.contains("error: The provided YAML is too big"),
        "{stdout}"
    );
}

/// Issue 13: bytes that are not UTF-8 are a diagnostic at their position (libyaml's problem in
/// Psych's message), exit 1, not a usage error.
#[test]
fn invalid_utf8_is_a_diagnostic_with_position() {
    let dir = temp_repo("utf8", &[]);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(".gitlab-ci.yml");
    std::fs::write(&file, b"job:\n  script: ech\xff\n").unwrap();
    let out = pipesim().arg("lint").arg(&file).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let stdout = String::from_utf8_lossy(&out.stdout);
    let expected = format!(
        "{}:2:14: error: (<unknown>): invalid leading UTF-8 octet at line 1 column 1",
        file.display()
    );
    assert!(stdout.starts_with(&expected), "{stdout}");
    let out = pipesim()
        .args(["simulate", "--event", "push"])
        .arg(&file)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
}

/// Issue 13: `--branch` is checked as a scenario's `branch:` is.
#[test]
fn simulate_checks_ref_names_like_scenarios() {
    let dir = temp_repo("refs", &[(".gitlab-ci.yml", "job:\n  script: x\n")]);
    let out = pipesim()
        .args(["simulate", "--event", "push", "--branch", "a..b"])
        .arg(dir.join(".gitlab-ci.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("--branch `a..b` is not a valid Git ref name"),
        "{stderr}"
    );
}

/// Issue 13: a CI file of comments only has no key to point at; its error belongs to that file,
/// not to the first file of the repository (`.dockerignore` sorts before `.gitlab-ci.yml`).
/// The message is Entry::Jobs's (lib/gitlab/ci/config/entry/jobs.rb): the loader drops the
/// blank document, so the configuration is an empty mapping.
#[test]
fn an_empty_configuration_is_reported_in_its_own_file() {
    let dir = temp_repo(
        "comments-only",
        &[
            (".dockerignore", "target\n"),
            (".gitlab-ci.yml", "# nothing but a comment\n"),
        ],
    );
    let out = pipesim()
        .args(["lint", "--format", "json", "--root"])
        .arg(&dir)
        .arg(dir.join(".gitlab-ci.yml"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let error = &json["errors"][0];
    assert_eq!(
        error["message"],
        "jobs config should contain at least one visible job"
    );
    assert_eq!(error["file"], ".gitlab-ci.yml");
    assert_eq!(
        (error["line"].as_u64(), error["column"].as_u64()),
        (Some(1), Some(1))
    );
}

/// A reader that stops early (`pipesim simulate ... | head`) ends the output quietly: no panic
/// (Rust ignores SIGPIPE, so a plain `println!` panics on the closed pipe) and the usual exit
/// code.
#[test]
fn closed_output_pipe_is_not_a_panic() {
    let jobs: String = (0..400)
        .map(|i| format!("job{i}:\n  script: make\n"))
        .collect();
    let dir = temp_repo("closed-pipe", &[(".gitlab-ci.yml", &jobs)]);
    for format in ["json", "text"] {
        let mut child = pipesim()
            .args([
                "simulate", "--event", "push", "--branch", "main", "--format", format,
            ])
            .arg(dir.join(".gitlab-ci.yml"))
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        // Close the reading end before the output (over a pipe's 64 KB buffer) is written.
        drop(child.stdout.take());
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(!stderr.contains("panicked"), "{format}: {stderr}");
        assert_eq!(out.status.code(), Some(0), "{format}: {stderr}");
    }
}

/// A data-flow finding in the text output: its position, the second place it is about, the
/// GitLab docs page, and the checked fix as a diff of the user's own file.
#[test]
fn scenario_text_shows_where_a_break_is_and_its_fix_as_a_diff() {
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/dataflow/dotenv-across-pipelines-dotenv.scenario.yml");
    let out = pipesim().arg("scenario").arg(&scenario).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for wanted in [
        ".gitlab-ci.yml:31:7: warning: `dependencies: [building]`",
        "see also .gitlab-ci.yml:12:7",
        "GitLab docs: https://docs.gitlab.com/ci/jobs/job_artifacts/",
        "fix (checked by simulation)",
        "--- a/.gitlab-ci.yml",
        "+    - if: $CI_COMMIT_BRANCH == \"staging\"",
    ] {
        assert!(text.contains(wanted), "no {wanted:?} in:\n{text}");
    }
}

/// Issue 15's story in the terminal: an app fetching a library with `needs:project` and
/// triggering a deploy project: every pipeline with its project, what crosses, where it breaks.
#[test]
fn scenario_text_shows_every_project_what_crosses_and_where_it_breaks() {
    let scenario = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/dataflow/multi-project-deploy.scenario.yml");
    let out = pipesim().arg("scenario").arg(&scenario).output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for wanted in [
        "pipeline #1 in acme/lib (push, ref main): created",
        "pipeline #2 in acme/app (push, ref main): created",
        "artifacts from: package (pipeline #1)",
        "dotenv: LIB_VERSION=2.0 (from package, pipeline #1)",
        "variable: VERSION=$APP_VERSION (the runner gets 2.0-app)",
        "pipeline #3 in acme/deploy (pipeline, ref main): created",
        "downstream of pipeline #2, started by its trigger job deploy",
        "acme/deploy:.gitlab-ci.yml:2:11: error: `needs:project`: the job token of acme/deploy is not allowed in acme/app",
        "`deploy` fails: its downstream pipeline failed (`strategy: depend`)",
    ] {
        assert!(text.contains(wanted), "no {wanted:?} in:\n{text}");
    }
}

/// Issue 15: a merge request from a fork, in the terminal: each pipeline names the project it
/// runs in and says why there; the parent's run carries GitLab's warning; a refused one
/// shows GitLab's message.
#[test]
fn scenario_text_says_where_a_fork_pipeline_runs_and_why() {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/scenarios");
    let out = pipesim()
        .arg("scenario")
        .arg(fixtures.join("fork-mr-run-in-parent.scenario.yml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    for wanted in [
        "pipeline #2 in group/app (merge_request_event, ref refs/merge-requests/1/head): created",
        "why here: merge request !1 comes from the fork contributor/app",
        "warning: pipeline #2: a pipeline of contributor/app's code runs in group/app",
        "pipeline #4 in contributor/app (merge_request_event, ref feature): created",
        "so GitLab creates it in the fork, on its branch feature",
    ] {
        assert!(text.contains(wanted), "no {wanted:?} in:\n{text}");
    }
    let out = pipesim()
        .arg("scenario")
        .arg(fixtures.join("fork-mr-no-permission.scenario.yml"))
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("warning: Insufficient permissions to create a new pipeline"),
        "{text}"
    );
}
