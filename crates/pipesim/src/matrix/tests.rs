//! Unit tests of the matrix: cells, nested child rows, expectations and the diff.

use super::events::load_spec;
use super::*;

fn files(config: &str, extra: &[(&str, &str)]) -> Files {
    let mut files = Files::new();
    files.insert(".gitlab-ci.yml", config);
    for (path, text) in extra {
        files.insert(path, *text);
    }
    files
}

const CONFIG: &str = r#"
stages: [build, deploy]
build:
  stage: build
  script: [make]
  rules:
    - if: $CI_PIPELINE_SOURCE == "merge_request_event"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
deploy:
  stage: deploy
  script: [deploy]
  rules:
    - if: $CI_COMMIT_TAG
      when: manual
nightly:
  stage: build
  script: [nightly]
  only: [schedules]
child:
  stage: deploy
  trigger:
    include: child.yml
  rules:
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
"#;

const CHILD: &str =
    "smoke:\n  script: [smoke]\nlater:\n  script: [x]\n  when: delayed\n  start_in: 5 minutes\n";

fn matrix(config: &str) -> Matrix {
    let project = Project::new("group/project");
    let files = files(config, &[("child.yml", CHILD)]);
    let events = standard_events(&project, &StandardOptions::default());
    build(&project, &files, &events)
}

fn cell<'a>(m: &'a Matrix, row: &str, column: &str) -> &'a Cell {
    let r = m.rows.iter().find(|r| r.name() == row).expect(row);
    let c = m.columns.iter().position(|c| c.id == column).expect(column);
    &r.cells[c]
}

#[test]
fn standard_columns_follow_the_tier() {
    let mut project = Project::new("g/p");
    let ids = |p: &Project| -> Vec<String> {
        standard_events(p, &StandardOptions::default())
            .into_iter()
            .map(|e| e.id)
            .collect()
    };
    assert_eq!(
        ids(&project),
        [
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
    project.tier = crate::event::Tier::Premium;
    assert!(ids(&project).contains(&"merge-train".to_owned()));
    assert!(ids(&project).contains(&"merged-result".to_owned()));
}

#[test]
fn cells_read_the_reports() {
    let m = matrix(CONFIG);
    assert_eq!(cell(&m, "build", "mr").state, CellState::In);
    assert_eq!(cell(&m, "build", "push-feature").state, CellState::Never);
    assert_eq!(cell(&m, "deploy", "tag").state, CellState::Manual);
    assert_eq!(cell(&m, "nightly", "schedule").state, CellState::In);
    assert_eq!(cell(&m, "build", "merge").state, CellState::In);
    // Child pipeline jobs are nested rows under their trigger job.
    assert_eq!(
        cell(&m, "child > smoke", "push-default").state,
        CellState::In
    );
    assert_eq!(
        cell(&m, "child > later", "push-default").state,
        CellState::Delayed
    );
    let absent = cell(&m, "child > smoke", "push-feature");
    assert_eq!(absent.state, CellState::NoPipeline);
    assert!(
        absent.why.contains("`child` is not in this pipeline"),
        "{}",
        absent.why
    );
}

#[test]
fn workflow_rules_stop_the_pipeline() {
    let config =
        format!("workflow:\n  rules:\n    - if: $CI_PIPELINE_SOURCE != \"push\"\n{CONFIG}");
    let m = matrix(&config);
    let c = cell(&m, "build", "push-default");
    assert_eq!(c.state, CellState::NoPipeline);
    assert!(!c.why.is_empty());
    assert_eq!(cell(&m, "build", "mr").state, CellState::In);
}

#[test]
fn expectations_pass_fail_and_snapshot() {
    let m = matrix(CONFIG);
    let mut files = Files::new();
    let id = files.insert(
        ".pipesim/tests.yml",
        "tests:\n  - event: tag\n    pipeline: created\n    jobs: {deploy: manual}\n    absent: [build]\n  - name: wrong\n    event: mr\n    jobs: {build: never}\n    present: [deploy]\n  - event: nope\n",
    );
    let (spec, findings) = load_spec(&files, id);
    assert!(findings.is_empty(), "{findings:?}");
    let results = expectations::check(&m, &spec.expect("loads").tests);
    assert!(results[0].passed(), "{:?}", results[0]);
    assert_eq!(results[1].failures.len(), 2, "{:?}", results[1]);
    assert!(results[1].failures[0].starts_with("build: expected never, got in: "));
    assert!(results[2].error.is_some());
    // A snapshot passes against the matrix it was taken from.
    let snapshot = expectations::snapshot(&m);
    let text = expectations::tests_yaml(&snapshot);
    let mut files = Files::new();
    let id = files.insert("t.yml", text.clone());
    let (spec, findings) = load_spec(&files, id);
    assert!(findings.is_empty(), "{findings:?}\n{text}");
    let mut spec = spec.expect("snapshot loads");
    spec.tests.iter_mut().for_each(|t| t.line = 0);
    assert_eq!(spec.tests, snapshot);
    assert!(expectations::check(&m, &spec.tests)
        .iter()
        .all(TestResult::passed));
}

use expectations::TestResult;

#[test]
fn replace_tests_keeps_the_rest() {
    let text = "project: {tier: free}\ntests:\n  - event: a\nevents: [mr]\n";
    assert_eq!(
        expectations::replace_tests(text, (2, 4), "tests: []\n"),
        "project: {tier: free}\ntests: []\nevents: [mr]\n"
    );
    assert_eq!(
        expectations::replace_tests("a: 1", (0, 0), "tests: []\n"),
        "a: 1\ntests: []\n"
    );
}

#[test]
fn diff_names_added_removed_and_changed_jobs() {
    let old = matrix(CONFIG);
    let new_config = CONFIG
        .replace("      when: manual\n", "")
        .replace("  only: [schedules]\n", "  only: [schedules, tags]\n");
    let new = matrix(&new_config);
    let d = diff::compare(&old, &new);
    assert!(d.changed);
    let tag = d
        .events
        .iter()
        .find(|e| e.id == "tag")
        .expect("tag changes");
    assert_eq!(tag.added.len(), 1, "{tag:?}");
    assert_eq!(tag.added[0].job, "nightly");
    assert_eq!(tag.changed[0].job, "deploy");
    assert_eq!(tag.changed[0].details, ["when: manual → on_success"]);
    assert!(d.unchanged.contains(&"mr".to_owned()));
    let same = diff::compare(&old, &old);
    assert!(!same.changed);
}

#[test]
fn events_file_errors_have_positions() {
    let mut files = Files::new();
    let id = files.insert(
        "e.yml",
        "events:\n  - id: x\n    type: nope\n  - merge-train\n  - {id: y}\nproject: {tier: gold}\n",
    );
    let (spec, findings) = load_spec(&files, id);
    assert!(spec.is_none());
    let messages: Vec<_> = findings
        .iter()
        .map(|f| (f.message.as_str(), f.span.map(|s| s.line)))
        .collect();
    assert!(messages.contains(&("event y: needs a `type` (push, tag, merge_request, merged_result, merge_train, merge, schedule, web, api, trigger)", Some(5))), "{messages:?}");
    assert!(messages
        .iter()
        .any(|(m, l)| m.contains("gold") && *l == Some(6)));
    // Standard ids are checked against the project's standard events.
    let id = files.insert("f.yml", "events:\n  - merge-train\n  - {id: docs, type: push, branch: docs/x, changes: [docs/a.md]}\n");
    let (spec, findings) = load_spec(&files, id);
    assert!(findings.is_empty());
    let spec = spec.expect("loads");
    let project = Project::new("g/p");
    let (events, findings) = events::resolve_events(
        spec.events.as_deref(),
        &project,
        &StandardOptions::default(),
    );
    assert_eq!(events.len(), 1);
    assert_eq!(findings[0].span.map(|s| s.line), Some(2));
}

#[test]
fn the_number_of_columns_is_bounded() {
    let mut text = String::from("events:\n");
    for i in 0..(MAX_EVENTS + 10) {
        text.push_str(&format!("  - {{id: e{i}, type: web}}\n"));
    }
    let mut files = Files::new();
    let id = files.insert("many.yml", text);
    let (spec, findings) = load_spec(&files, id);
    assert!(findings.is_empty(), "{findings:?}");
    let spec = spec.expect("loads");
    // Reading stops one past the bound, so the warning can say events were left out.
    assert_eq!(spec.events.as_ref().map(Vec::len), Some(MAX_EVENTS + 1));
    let project = Project::new("g/p");
    let (events, findings) = events::resolve_events(
        spec.events.as_deref(),
        &project,
        &StandardOptions::default(),
    );
    assert_eq!(events.len(), MAX_EVENTS);
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].severity, Severity::Warning);
}

/// The whole answer of a matrix: its JSON and every column's simulation.
fn full_json(m: &Matrix) -> String {
    let mut out = serde_json::to_string(m).expect("matrix JSON");
    for column in &m.columns {
        out.push_str(&serde_json::to_string(&column.simulation).expect("simulation JSON"));
    }
    out
}

/// The matrix shared and composed per event, and how many compositions of the root
/// configuration the shared build kept.
fn shared_and_alone(project: &Project, files: &Files) -> (Matrix, Matrix, usize) {
    let events = standard_events(project, &StandardOptions::default());
    let (shared, kept) = crate::pipeline::shared::sharing(|| {
        let m = build_with(project, files, &events, true, 1);
        let kept = crate::pipeline::shared::kept();
        (m, kept.iter().filter(|e| *e == ".gitlab-ci.yml").count())
    });
    let alone = build_with(project, files, &events, false, 1);
    // On several threads (each sharing among its own columns), the same answer again.
    let parallel = build_with(project, files, &events, true, 3);
    assert!(
        full_json(&parallel) == full_json(&alone),
        "threads changed the matrix"
    );
    (shared, alone, kept)
}

/// `include:rules` and include paths that read the event: the composition differs by event,
/// so each event with its own decisions is composed on its own, and the matrix is the one
/// composing per event gives.
#[test]
fn sharing_is_refused_where_includes_read_the_event() {
    let config = r#"
include:
  - local: ci/mr.yml
    rules:
      - if: $CI_PIPELINE_SOURCE == "merge_request_event"
  - local: ci/tag.yml
    rules:
      - if: $CI_COMMIT_TAG
  - local: ci/$CI_PIPELINE_SOURCE.yml
    rules:
      - exists: [ci/$CI_PIPELINE_SOURCE.yml]
  - local: ci/changed.yml
    rules:
      - changes: [docs/**/*]
always:
  script: [make]
"#;
    let mut project = Project::new("group/project");
    project.tier = crate::event::Tier::Premium;
    project.settings.merged_results_pipelines = true;
    let files = files(
        config,
        &[
            (
                "ci/mr.yml",
                "mr-only:\n  script: [review]\n  rules: [{when: on_success}]\n",
            ),
            (
                "ci/tag.yml",
                "release:\n  script: [release]\n  rules: [{when: on_success}]\n",
            ),
            (
                "ci/schedule.yml",
                "nightly:\n  script: [nightly]\n  rules: [{when: on_success}]\n",
            ),
            (
                "ci/web.yml",
                "by-hand:\n  script: [x]\n  rules: [{when: manual}]\n",
            ),
            (
                "ci/changed.yml",
                "docs:\n  script: [docs]\n  rules: [{when: on_success}]\n",
            ),
        ],
    );
    let (shared, alone, kept) = shared_and_alone(&project, &files);
    assert!(
        full_json(&shared) == full_json(&alone),
        "sharing changed the matrix"
    );
    // Each job is where its include's rules put it.
    assert_eq!(cell(&shared, "mr-only", "mr").state, CellState::In);
    assert_eq!(
        cell(&shared, "mr-only", "push-feature").state,
        CellState::Never
    );
    assert_eq!(cell(&shared, "release", "tag").state, CellState::In);
    assert_eq!(
        cell(&shared, "release", "push-default").state,
        CellState::Never
    );
    assert_eq!(cell(&shared, "nightly", "schedule").state, CellState::In);
    assert_eq!(cell(&shared, "nightly", "web").state, CellState::Never);
    assert_eq!(cell(&shared, "by-hand", "web").state, CellState::Manual);
    // Pushes (and the merge's push) agree on every include, the merge requests on theirs, and
    // tag, schedule, web, api and trigger each differ: more than one composition, fewer than
    // one per pipeline.
    assert!(
        kept > 1 && kept < shared.columns.len(),
        "{kept} compositions"
    );
}

/// Where nothing composing reads depends on the event, one composition of the root
/// configuration serves every column, with the same answer. (A child pipeline's generated root
/// file is named after its parent pipeline, so children of different columns differ.)
#[test]
fn sharing_gives_the_same_matrix_as_composing_per_event() {
    let mut project = Project::new("group/project");
    project.tier = crate::event::Tier::Premium;
    project.settings.merged_results_pipelines = true;
    let with_child = files(CONFIG, &[("child.yml", CHILD)]);
    let (shared, alone, kept) = shared_and_alone(&project, &with_child);
    assert!(
        full_json(&shared) == full_json(&alone),
        "sharing changed the matrix"
    );
    assert_eq!(kept, 1);

    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/matrix");
    for repository in ["monorepo", "monorepo-before"] {
        let mut files = Files::new();
        let dir = root.join(repository);
        let mut stack = vec![dir.clone()];
        while let Some(at) = stack.pop() {
            for entry in std::fs::read_dir(&at).expect("fixture directory") {
                let path = entry.expect("entry").path();
                if path.is_dir() {
                    stack.push(path);
                } else {
                    let relative = path.strip_prefix(&dir).expect("inside").to_string_lossy();
                    files.insert(&relative, std::fs::read_to_string(&path).expect("text"));
                }
            }
        }
        let (shared, alone, _) = shared_and_alone(&project, &files);
        assert!(
            full_json(&shared) == full_json(&alone),
            "sharing changed {repository}"
        );
    }
}

/// `project:` is read by the scenario's parser; the old project-level settings move under
/// `settings:` with a warning each, and `settings:` wins where both are given.
#[test]
fn project_is_read_as_a_scenario_reads_it() {
    let mut files = Files::new();
    let new = files.insert(
        "new.yml",
        "project:\n  path: g/p\n  tier: premium\n  settings: {merge_trains: true, protected_tags: [v*]}\n  variables: {A: '1'}\n",
    );
    let old = files.insert(
        "old.yml",
        "project:\n  path: g/p\n  tier: premium\n  merge_trains: false\n  protected_tags: [v*]\n  settings: {merge_trains: true}\n  variables: {A: '1'}\n",
    );
    let project = |id| {
        let (spec, findings) = load_spec(&files, id);
        let mut project = Project::new("group/project");
        project.ci_config_path = "ci/root.yml".to_owned();
        spec.expect("loads").project.apply(&mut project);
        (project, findings)
    };
    let (from_new, findings) = project(new);
    assert!(findings.is_empty(), "{findings:?}");
    assert_eq!(from_new.path, "g/p");
    assert!(from_new.settings.merge_trains);
    assert_eq!(from_new.settings.protected_tags, ["v*"]);
    assert_eq!(from_new.variables[0].key, "A");
    assert_eq!(from_new.ci_config_path, "ci/root.yml");
    let (from_old, findings) = project(old);
    assert_eq!(from_old, from_new);
    let warnings: Vec<_> = findings
        .iter()
        .map(|f| (f.code, f.severity, f.span.map(|s| s.line)))
        .collect();
    assert_eq!(
        warnings,
        [
            (events::DEPRECATED, Severity::Warning, Some(4)),
            (events::DEPRECATED, Severity::Warning, Some(5)),
        ]
    );
    assert!(findings[0]
        .message
        .contains("`project:settings` also sets it"));
}
