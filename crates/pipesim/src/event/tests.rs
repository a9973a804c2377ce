//! Tests for events, the timeline, predefined variables and scenario files.
//!
//! Expected values come from GitLab's source and docs, cited per test:
//! lib/gitlab/ci/variables/builder/pipeline.rb (pipeline, commit, tag, MR variables),
//! app/models/merge_request.rb (`predefined_variables`, `default_merge_commit_message`),
//! app/models/ci/pipeline.rb (`open_merge_requests_refs`, `modified_paths`),
//! app/models/concerns/ci/has_ref.rb (`branch?`), DOC ci/jobs/job_rules.md and
//! DOC ci/variables/where_variables_can_be_used.md.

use super::variables::{
    absence_reason, fake_sha, predefined, ref_matches, skips_ci, slug, ZERO_SHA,
};
use super::*;
use crate::diagnostic::Severity;
use crate::source::{FileId, Files, Span};

const CI: &str = "job:\n  script: echo\n";

fn project() -> Project {
    let mut p = Project::new("acme/app");
    p.settings.protected_branches = vec!["main".into(), "release/*".into()];
    p.settings.protected_tags = vec!["v*".into()];
    p
}

fn paid_project(trains: bool) -> Project {
    let mut p = project();
    p.tier = Tier::Premium;
    p.settings.merged_results_pipelines = true;
    p.settings.merge_trains = trains;
    p
}

fn repo() -> Files {
    [(".gitlab-ci.yml", CI), ("README.md", "hello\n")]
        .into_iter()
        .collect()
}

fn push(branch: &str, files: &[(&str, &str)]) -> Event {
    Event::Push(Push {
        target: RefTarget::Branch(branch.into()),
        files: files
            .iter()
            .map(|(p, t)| (p.to_string(), t.to_string()))
            .collect(),
        ..Push::default()
    })
}

fn open_mr(iid: u64, source: &str, target: &str, labels: &[&str]) -> Event {
    Event::MergeRequest(MergeRequestEvent {
        iid,
        source_branch: source.into(),
        target_branch: target.into(),
        labels: labels.iter().map(|l| l.to_string()).collect(),
        ..MergeRequestEvent::default()
    })
}

fn manual(source: ManualSource, target: RefTarget) -> Event {
    Event::Manual(ManualEvent {
        source,
        target,
        variables: vec![("DEPLOY".into(), "yes".into())],
        description: None,
        inputs: None,
    })
}

/// Applies `events` in order and returns every request with its event index.
fn run(project: &Project, events: &[Event]) -> (Timeline, Vec<PipelineRequest>) {
    let mut timeline = Timeline::new(project, &repo());
    let mut all = Vec::new();
    for (i, event) in events.iter().enumerate() {
        let requests = timeline
            .apply(i + 1, event)
            .unwrap_or_else(|e| panic!("event {}: {e}", i + 1));
        all.extend(requests);
    }
    (timeline, all)
}

fn vars(project: &Project, request: &PipelineRequest) -> std::collections::HashMap<String, String> {
    predefined(project, request, 7).into_iter().collect()
}

/// Asserts that `present` are set (with the value when given) and `absent` are not.
fn check(
    label: &str,
    project: &Project,
    request: &PipelineRequest,
    present: &[(&str, Option<&str>)],
    absent: &[&str],
) {
    let vars = vars(project, request);
    for (name, value) in present {
        let actual = vars
            .get(*name)
            .unwrap_or_else(|| panic!("{label}: {name} should be set"));
        if let Some(value) = value {
            assert_eq!(actual, value, "{label}: {name}");
        }
    }
    for name in absent {
        assert!(
            !vars.contains_key(*name),
            "{label}: {name} should not be set, is {:?}",
            vars.get(*name)
        );
    }
}

// Variables GitLab never sets before jobs exist (persisted and job-only ones).
const NEVER: &[&str] = &[
    "CI_PIPELINE_ID",
    "CI_PIPELINE_URL",
    "CI_JOB_ID",
    "CI_JOB_TOKEN",
    "CI_JOB_NAME",
    "CI_NODE_TOTAL",
    "CI_PIPELINE_NAME",
    "CI_KUBERNETES_ACTIVE",
    "CI_DEPLOY_FREEZE",
];
/// Copy of shared/scenarios/dotenv-across-pipelines-dotenv.scenario.yml.
const DOTENV_ACROSS_PIPELINES_DOTENV: &str = r#"project:
  path: acme/app
  default_branch: main
  tier: free
events:
  - push: {branch: feature}
  - merge_request: {iid: 1, source: feature, target: staging}
  - merge: {iid: 1}
files:
  .gitlab-ci.yml: |
    stages:
      - staging
      - deploy

    building:
      tags: [docker]
      image: bash
      stage: staging
      rules:
        - if: ($CI_PIPELINE_SOURCE == "merge_request_event") && $CI_MERGE_REQUEST_TARGET_BRANCH_NAME == "staging"
          when: always
        - when: never
      environment:
        name: Example
        url: https://example.com
      script:
        - echo "BUILD_VERSION=1.2.3" > build.env
      artifacts:
        reports:
          dotenv: build.env

    deploying:
      tags: [docker]
      image: bash
      stage: deploy
      rules:
        - if: $CI_COMMIT_BRANCH == "staging"
          when: always
        - when: never
      dependencies:
        - building
      script:
        - echo $BUILD_VERSION
"#;

/// Copy of shared/scenarios/dotenv-across-pipelines-file.scenario.yml.
const DOTENV_ACROSS_PIPELINES_FILE: &str = r#"project:
  path: acme/app
  default_branch: main
  tier: free
events:
  - push: {branch: feature}
  - merge_request: {iid: 1, source: feature, target: staging}
  - merge: {iid: 1}
files:
  .gitlab-ci.yml: |
    stages:
      - staging
      - deploy

    building:
      tags: [docker]
      image: bash
      stage: staging
      rules:
        - if: ($CI_PIPELINE_SOURCE == "merge_request_event") && $CI_MERGE_REQUEST_TARGET_BRANCH_NAME == "staging"
          when: always
        - when: never
      environment:
        name: Example
        url: https://example.com
      script:
        - echo "BUILD_VERSION=1.2.3" > build.env
      artifacts:
        paths:
          - build.env

    deploying:
      tags: [docker]
      image: bash
      stage: deploy
      rules:
        - if: $CI_COMMIT_BRANCH == "staging"
          when: always
        - when: never
      script:
        - source build.env
        - echo $BUILD_VERSION
"#;

/// Copy of shared/scenarios/dotenv-across-pipelines-fixed.scenario.yml.
const DOTENV_ACROSS_PIPELINES_FIXED: &str = r#"project:
  path: acme/app
  default_branch: main
  tier: free
events:
  - push: {branch: feature}
  - merge_request: {iid: 1, source: feature, target: staging}
  - merge: {iid: 1}
files:
  .gitlab-ci.yml: |
    stages:
      - staging
      - deploy

    building:
      stage: staging
      image: bash
      rules:
        - if: $CI_PIPELINE_SOURCE == "merge_request_event" && $CI_MERGE_REQUEST_TARGET_BRANCH_NAME == "staging"
        - if: $CI_COMMIT_BRANCH == "staging"
      script:
        - echo "BUILD_VERSION=1.2.3" > build.env
      artifacts:
        reports:
          dotenv: build.env

    deploying:
      stage: deploy
      image: bash
      rules:
        - if: $CI_COMMIT_BRANCH == "staging"
      needs:
        - job: building
          artifacts: true
      script:
        - echo "$BUILD_VERSION"
"#;

/// Copy of shared/scenarios/dotenv-across-pipelines-needs-project.scenario.yml.
const DOTENV_ACROSS_PIPELINES_NEEDS_PROJECT: &str = r#"project:
  path: acme/app
  default_branch: main
  tier: free
events:
  - push: {branch: feature}
  - merge_request: {iid: 1, source: feature, target: staging}
  - merge: {iid: 1}
files:
  .gitlab-ci.yml: |
    stages:
      - staging
      - deploy

    building:
      tags: [docker]
      image: bash
      stage: staging
      rules:
        - if: ($CI_PIPELINE_SOURCE == "merge_request_event") && $CI_MERGE_REQUEST_TARGET_BRANCH_NAME == "staging"
          when: always
        - when: never
      environment:
        name: Example
        url: https://example.com
      script:
        - echo "BUILD_VERSION=1.2.3" > version
      artifacts:
        paths:
          - version
        expire_in: never

    deploying:
      tags: [docker]
      image: bash
      stage: deploy
      rules:
        - if: $CI_COMMIT_BRANCH == "staging"
          when: always
        - when: never
      needs:
        - project: $CI_PROJECT_PATH
          job: building
          ref: staging
          artifacts: true
      script:
        - cat version
"#;

// ---------------------------------------------------------------------------------------------
// Predefined variables per pipeline kind (builder/pipeline.rb, merge_request.rb, project.rb).
// ---------------------------------------------------------------------------------------------

#[test]
fn project_variables_are_always_set() {
    // app/models/project.rb predefined_ci_server_variables / predefined_project_variables.
    let p = project();
    let (_, requests) = run(&p, &[push("main", &[("a.txt", "1")])]);
    check(
        "project",
        &p,
        &requests[0],
        &[
            ("CI", Some("true")),
            ("GITLAB_CI", Some("true")),
            ("CI_SERVER_HOST", Some("gitlab.example.com")),
            ("CI_SERVER_URL", Some("https://gitlab.example.com")),
            ("CI_SERVER_PORT", Some("443")),
            ("CI_SERVER_PROTOCOL", Some("https")),
            ("CI_SERVER_NAME", Some("GitLab")),
            ("CI_PROJECT_PATH", Some("acme/app")),
            ("CI_PROJECT_NAME", Some("app")),
            ("CI_PROJECT_NAMESPACE", Some("acme")),
            ("CI_PROJECT_ROOT_NAMESPACE", Some("acme")),
            ("CI_PROJECT_PATH_SLUG", Some("acme-app")),
            (
                "CI_PROJECT_URL",
                Some("https://gitlab.example.com/acme/app"),
            ),
            ("CI_PROJECT_ID", Some("1000")),
            ("CI_DEFAULT_BRANCH", Some("main")),
            ("CI_CONFIG_PATH", Some(".gitlab-ci.yml")),
            ("CI_API_V4_URL", Some("https://gitlab.example.com/api/v4")),
            ("CI_PIPELINE_IID", Some("7")),
            ("GITLAB_USER_LOGIN", None),
        ],
        NEVER,
    );
}

#[test]
fn project_in_subgroup_and_custom_server() {
    let mut p = Project::new("Top/Sub Group/My.App");
    p.server_url = "http://localhost:8080/".into();
    let (_, requests) = run(&p, &[push("main", &[])]);
    check(
        "subgroup",
        &p,
        &requests[0],
        &[
            ("CI_PROJECT_NAMESPACE", Some("Top/Sub Group")),
            ("CI_PROJECT_ROOT_NAMESPACE", Some("Top")),
            ("CI_PROJECT_NAME", Some("My.App")),
            ("CI_PROJECT_PATH_SLUG", Some("top-sub-group-my-app")),
            ("CI_SERVER_URL", Some("http://localhost:8080")),
            ("CI_SERVER_HOST", Some("localhost")),
            ("CI_SERVER_PORT", Some("8080")),
            ("CI_SERVER_FQDN", Some("localhost:8080")),
            ("CI_SERVER_PROTOCOL", Some("http")),
        ],
        &[],
    );
}

#[test]
fn branch_push_to_existing_branch() {
    // §1.3 "Push to a branch": CI_COMMIT_BRANCH set, before SHA = previous tip.
    let p = project();
    let mut timeline = Timeline::new(&p, &repo());
    let before = timeline.head_sha("main").unwrap().to_owned();
    let requests = timeline
        .apply(1, &push("main", &[("src/app.rs", "fn main() {}")]))
        .unwrap();
    assert_eq!(requests.len(), 1);
    let r = &requests[0];
    assert_eq!(
        r.changed_paths.as_deref(),
        Some(&["src/app.rs".to_owned()][..])
    );
    assert!(r.changes_note.contains(".."), "{}", r.changes_note);
    check(
        "branch push",
        &p,
        r,
        &[
            ("CI_PIPELINE_SOURCE", Some("push")),
            ("CI_COMMIT_BRANCH", Some("main")),
            ("CI_COMMIT_REF_NAME", Some("main")),
            ("CI_COMMIT_REF_SLUG", Some("main")),
            ("CI_COMMIT_BEFORE_SHA", Some(before.as_str())),
            ("CI_COMMIT_REF_PROTECTED", Some("true")),
            ("CI_COMMIT_MESSAGE", Some("Update src/app.rs")),
            ("CI_COMMIT_TITLE", Some("Update src/app.rs")),
            ("CI_COMMIT_DESCRIPTION", Some("")),
            ("CI_COMMIT_SHA", Some(r.sha.as_str())),
            ("CI_COMMIT_SHORT_SHA", Some(&r.sha[..8])),
            ("CI_PIPELINE_CREATED_AT", Some("2025-01-01T00:01:00Z")),
        ],
        &[
            "CI_COMMIT_TAG",
            "CI_COMMIT_TAG_MESSAGE",
            "CI_MERGE_REQUEST_IID",
            "CI_MERGE_REQUEST_EVENT_TYPE",
            "CI_OPEN_MERGE_REQUESTS",
            "CI_PIPELINE_SCHEDULE_DESCRIPTION",
            "CI_PIPELINE_TRIGGERED",
            "CI_EXTERNAL_PULL_REQUEST_IID",
        ],
    );
    check("branch push", &p, r, &[], NEVER);
}

#[test]
fn push_creating_a_branch() {
    // §1.3 "Push that creates a new branch": zero before SHA; rules:changes always true
    // (changed paths unknown, ci/pipeline.rb modified_paths only for branch_updated?).
    let p = project();
    let (timeline, requests) = run(&p, &[push("feature/Login-Page", &[("a.txt", "x")])]);
    let r = &requests[0];
    assert_eq!(r.changed_paths, None);
    assert!(
        r.changes_note.contains("creates branch"),
        "{}",
        r.changes_note
    );
    assert!(!r.protected);
    assert!(timeline.branch_exists("feature/Login-Page"));
    // The new branch starts from the default branch's files.
    let files = timeline.files_of("feature/Login-Page").unwrap();
    assert!(files.find(".gitlab-ci.yml").is_some() && files.find("a.txt").is_some());
    assert!(timeline.files_of("main").unwrap().find("a.txt").is_none());
    check(
        "new branch",
        &p,
        r,
        &[
            ("CI_COMMIT_BEFORE_SHA", Some(ZERO_SHA)),
            ("CI_COMMIT_BRANCH", Some("feature/Login-Page")),
            ("CI_COMMIT_REF_SLUG", Some("feature-login-page")),
            ("CI_COMMIT_REF_PROTECTED", Some("false")),
        ],
        &["CI_OPEN_MERGE_REQUESTS", "CI_COMMIT_TAG"],
    );
}

#[test]
fn tag_push() {
    // §1.3 "Push of a tag": CI_COMMIT_TAG and _TAG_MESSAGE, no CI_COMMIT_BRANCH.
    let p = project();
    let (_, requests) = run(
        &p,
        &[Event::Push(Push {
            target: RefTarget::Tag("v1.2.0".into()),
            ..Push::default()
        })],
    );
    let r = &requests[0];
    assert_eq!(r.ref_kind, RefKind::Tag);
    assert_eq!(r.changed_paths, None);
    assert!(r.protected, "v* is a protected tag pattern");
    check(
        "tag",
        &p,
        r,
        &[
            ("CI_PIPELINE_SOURCE", Some("push")),
            ("CI_COMMIT_TAG", Some("v1.2.0")),
            ("CI_COMMIT_TAG_MESSAGE", Some("")),
            ("CI_COMMIT_REF_NAME", Some("v1.2.0")),
            ("CI_COMMIT_REF_SLUG", Some("v1-2-0")),
            ("CI_COMMIT_BEFORE_SHA", Some(ZERO_SHA)),
            ("CI_COMMIT_REF_PROTECTED", Some("true")),
        ],
        &[
            "CI_COMMIT_BRANCH",
            "CI_MERGE_REQUEST_IID",
            "CI_OPEN_MERGE_REQUESTS",
        ],
    );
}

#[test]
fn detached_merge_request_pipeline() {
    // §1.3 "Merge request pipeline (detached)" and §1.4.
    let p = project();
    let (_, requests) = run(
        &p,
        &[
            push("feature", &[("src/a.rs", "a")]),
            open_mr(3, "feature", "main", &["zeta", "Alpha", "beta"]),
        ],
    );
    assert_eq!(requests.len(), 2);
    let r = &requests[1];
    assert_eq!(r.source, Source::MergeRequestEvent);
    assert_eq!(r.ref_name, "refs/merge-requests/3/head");
    assert_eq!(
        r.changed_paths.as_deref(),
        Some(&["src/a.rs".to_owned()][..])
    );
    assert_eq!(
        r.sha, requests[0].sha,
        "detached pipelines run on the source head"
    );
    assert!(!r.protected);
    check(
        "detached",
        &p,
        r,
        &[
            ("CI_PIPELINE_SOURCE", Some("merge_request_event")),
            ("CI_MERGE_REQUEST_EVENT_TYPE", Some("detached")),
            ("CI_MERGE_REQUEST_IID", Some("3")),
            ("CI_MERGE_REQUEST_ID", Some("10003")),
            (
                "CI_MERGE_REQUEST_REF_PATH",
                Some("refs/merge-requests/3/head"),
            ),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME", Some("feature")),
            ("CI_MERGE_REQUEST_TARGET_BRANCH_NAME", Some("main")),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", Some("")),
            ("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", Some("")),
            ("CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED", Some("false")),
            ("CI_MERGE_REQUEST_TARGET_BRANCH_PROTECTED", Some("true")),
            ("CI_MERGE_REQUEST_PROJECT_PATH", Some("acme/app")),
            ("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", Some("acme/app")),
            ("CI_MERGE_REQUEST_PROJECT_ID", Some("1000")),
            // Sorted and comma-joined (spec: labels.map(&:title).sort.join(',')).
            ("CI_MERGE_REQUEST_LABELS", Some("Alpha,beta,zeta")),
            ("CI_MERGE_REQUEST_TITLE", Some("Feature")),
            ("CI_MERGE_REQUEST_DRAFT", Some("false")),
            ("CI_MERGE_REQUEST_DESCRIPTION", Some("")),
            ("CI_MERGE_REQUEST_DESCRIPTION_IS_TRUNCATED", Some("false")),
            ("CI_MERGE_REQUEST_SQUASH_ON_MERGE", Some("false")),
            ("CI_MERGE_REQUEST_DIFF_BASE_SHA", None),
            ("CI_COMMIT_REF_NAME", Some("feature")),
            ("CI_COMMIT_REF_SLUG", Some("feature")),
            ("CI_COMMIT_BEFORE_SHA", Some(ZERO_SHA)),
            ("CI_COMMIT_REF_PROTECTED", Some("false")),
            // The pipeline spec expects the MR itself in CI_OPEN_MERGE_REQUESTS.
            ("CI_OPEN_MERGE_REQUESTS", Some("acme/app!3")),
        ],
        &[
            "CI_COMMIT_BRANCH",
            "CI_COMMIT_TAG",
            "CI_MERGE_REQUEST_ASSIGNEES",
            "CI_MERGE_REQUEST_MILESTONE",
            "CI_MERGE_REQUEST_APPROVED",
        ],
    );
}

#[test]
fn merge_request_without_labels_has_no_labels_variable() {
    // merge_request.rb: CI_MERGE_REQUEST_LABELS only `if labels.present?`.
    let p = project();
    let (_, requests) = run(
        &p,
        &[push("feature", &[]), open_mr(1, "feature", "main", &[])],
    );
    check(
        "no labels",
        &p,
        &requests[1],
        &[],
        &["CI_MERGE_REQUEST_LABELS"],
    );
    let reason = absence_reason("CI_MERGE_REQUEST_LABELS", &requests[1]).unwrap();
    assert!(reason.contains("no labels"), "{reason}");
}

#[test]
fn merged_results_pipeline() {
    // §1.3 "Merged results pipeline": ref /merge (merge_ref_path), SHAs filled, merge commit.
    let p = paid_project(false);
    let (_, requests) = run(
        &p,
        &[
            push("feature", &[("src/a.rs", "a")]),
            open_mr(1, "feature", "main", &[]),
        ],
    );
    let r = &requests[1];
    assert_eq!(r.ref_name, "refs/merge-requests/1/merge");
    assert_ne!(r.sha, requests[0].sha, "runs on the internal merge commit");
    // The merge commit holds the target's files with the source's changes.
    assert!(r.files.find("src/a.rs").is_some());
    let v = vars(&p, r);
    assert_eq!(v["CI_MERGE_REQUEST_EVENT_TYPE"], "merged_result");
    for name in [
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA",
        "CI_MERGE_REQUEST_TARGET_BRANCH_SHA",
    ] {
        assert_eq!(v[name].len(), 40, "{name}");
    }
    assert!(!v.contains_key("CI_COMMIT_BRANCH"));
    assert_eq!(v["CI_COMMIT_REF_NAME"], "feature");
}

#[test]
fn asked_kind_needs_a_paid_tier() {
    // doc/ci/pipelines/merged_results_pipelines.md: Premium and Ultimate. Asked for on Free,
    // GitLab runs a detached pipeline; pipesim does too and says so in a note.
    let free = project();
    let mut event = open_mr(1, "feature", "main", &[]);
    if let Event::MergeRequest(mr) = &mut event {
        mr.kind = Some(MergeRequestPipelineKind::MergedResult);
    }
    let (timeline, requests) = run(&free, &[push("feature", &[]), event.clone()]);
    assert_eq!(requests[1].ref_name, "refs/merge-requests/1/head");
    assert!(timeline.notes().iter().any(|(_, n)| n.contains("Premium")));
    let mut premium = project();
    premium.tier = Tier::Premium;
    let (_, requests) = run(&premium, &[push("feature", &[]), event]);
    assert_eq!(requests[1].ref_name, "refs/merge-requests/1/merge");
    let (_, requests) = run(
        &free,
        &[push("feature", &[]), open_mr(1, "feature", "main", &[])],
    );
    assert_eq!(requests[1].ref_name, "refs/merge-requests/1/head");
}

#[test]
fn merge_train_then_merge() {
    // DOC ci/pipelines/merge_trains.md: Merge adds to the train (ref /train), then the merge
    // pushes to the target branch.
    let p = paid_project(true);
    let (_, requests) = run(
        &p,
        &[
            push("feature", &[("src/a.rs", "a")]),
            open_mr(1, "feature", "main", &[]),
            Event::Merge { iid: 1 },
        ],
    );
    assert_eq!(requests.len(), 4);
    let train = &requests[2];
    assert_eq!(train.ref_name, "refs/merge-requests/1/train");
    check(
        "train",
        &p,
        train,
        &[("CI_MERGE_REQUEST_EVENT_TYPE", Some("merge_train"))],
        &["CI_COMMIT_BRANCH"],
    );
    assert_eq!(requests[3].source, Source::Push);
    assert_eq!(requests[3].ref_name, "main");
}

#[test]
fn merge_is_a_push_to_the_target() {
    // §1.3 "Merge": an ordinary push to the target, diff = what the MR changed, no MR vars.
    let p = project();
    let (timeline, requests) = run(
        &p,
        &[
            push("feature", &[("src/a.rs", "a")]),
            push("feature", &[("docs/b.md", "b")]),
            open_mr(1, "feature", "main", &[]),
            Event::Merge { iid: 1 },
        ],
    );
    let main_before = fake_sha("initial:main");
    let r = requests.last().unwrap();
    assert_eq!(r.source, Source::Push);
    assert_eq!(r.ref_kind, RefKind::Branch);
    assert_eq!(r.event, 4);
    assert_eq!(
        r.changed_paths.as_deref(),
        Some(&["docs/b.md".to_owned(), "src/a.rs".to_owned()][..])
    );
    assert!(r.files.find("src/a.rs").is_some() && r.files.find("docs/b.md").is_some());
    assert!(timeline
        .files_of("main")
        .unwrap()
        .find("docs/b.md")
        .is_some());
    assert!(timeline.open_merge_requests().is_empty());
    check(
        "merge",
        &p,
        r,
        &[
            ("CI_COMMIT_BRANCH", Some("main")),
            ("CI_COMMIT_BEFORE_SHA", Some(main_before.as_str())),
            (
                "CI_COMMIT_TITLE",
                Some("Merge branch 'feature' into 'main'"),
            ),
            (
                "CI_COMMIT_MESSAGE",
                Some(
                    "Merge branch 'feature' into 'main'\n\nFeature\n\nSee merge request acme/app!1",
                ),
            ),
            (
                "CI_COMMIT_DESCRIPTION",
                Some("\nFeature\n\nSee merge request acme/app!1"),
            ),
        ],
        &["CI_MERGE_REQUEST_IID", "CI_OPEN_MERGE_REQUESTS"],
    );
}

#[test]
fn merge_removes_paths_the_source_deleted() {
    let p = project();
    let (timeline, requests) = run(
        &p,
        &[
            Event::Push(Push {
                target: RefTarget::Branch("cleanup".into()),
                deleted: vec!["README.md".into()],
                ..Push::default()
            }),
            open_mr(1, "cleanup", "main", &[]),
            Event::Merge { iid: 1 },
        ],
    );
    assert!(timeline
        .files_of("main")
        .unwrap()
        .find("README.md")
        .is_none());
    assert_eq!(
        requests.last().unwrap().changed_paths.as_deref(),
        Some(&["README.md".to_owned()][..])
    );
}

#[test]
fn manual_sources() {
    // §1.3 "Schedule", "Web / api / trigger": branch variables, zero before SHA, no diff,
    // never skipped; trigger pipelines get CI_PIPELINE_TRIGGERED (builder.rb).
    let p = project();
    let cases = [
        (ManualSource::Schedule, "schedule"),
        (ManualSource::Web, "web"),
        (ManualSource::Api, "api"),
        (ManualSource::Trigger, "trigger"),
    ];
    for (source, name) in cases {
        let (_, requests) = run(
            &p,
            &[
                push("main", &[("x", "[ci skip]")]),
                manual(source, RefTarget::Branch("main".into())),
            ],
        );
        let r = &requests[1];
        assert_eq!(r.source.as_str(), name);
        assert_eq!(r.changed_paths, None, "{name}");
        assert!(!r.skip_ci, "{name}: created with ignore_skip_ci");
        assert_eq!(r.sha, requests[0].sha, "{name}: runs on the branch head");
        assert_eq!(r.pipeline_variables, vec![("DEPLOY".into(), "yes".into())]);
        let mut present = vec![
            ("CI_PIPELINE_SOURCE", Some(name)),
            ("CI_COMMIT_BRANCH", Some("main")),
            ("CI_COMMIT_BEFORE_SHA", Some(ZERO_SHA)),
        ];
        let mut absent = vec!["CI_MERGE_REQUEST_IID", "CI_COMMIT_TAG"];
        if source == ManualSource::Schedule {
            present.push((
                "CI_PIPELINE_SCHEDULE_DESCRIPTION",
                Some("Scheduled pipeline"),
            ));
        } else {
            absent.push("CI_PIPELINE_SCHEDULE_DESCRIPTION");
        }
        if source == ManualSource::Trigger {
            present.push(("CI_PIPELINE_TRIGGERED", Some("true")));
        } else {
            absent.push("CI_PIPELINE_TRIGGERED");
        }
        check(name, &p, r, &present, &absent);
        check(name, &p, r, &[], NEVER);
    }
}

#[test]
fn schedule_on_a_tag() {
    // DOC job_rules.md table: a schedule on a tag has CI_COMMIT_TAG, no CI_COMMIT_BRANCH.
    let p = project();
    let (_, requests) = run(
        &p,
        &[
            Event::Push(Push {
                target: RefTarget::Tag("v1".into()),
                ..Push::default()
            }),
            Event::Manual(ManualEvent {
                source: ManualSource::Schedule,
                target: RefTarget::Tag("v1".into()),
                variables: vec![],
                description: Some("nightly".into()),
                inputs: None,
            }),
        ],
    );
    check(
        "schedule tag",
        &p,
        &requests[1],
        &[
            ("CI_COMMIT_TAG", Some("v1")),
            ("CI_PIPELINE_SCHEDULE_DESCRIPTION", Some("nightly")),
        ],
        &["CI_COMMIT_BRANCH"],
    );
}

// ---------------------------------------------------------------------------------------------
// Timeline sequences.
// ---------------------------------------------------------------------------------------------

#[test]
fn push_to_a_branch_with_an_open_merge_request_asks_for_two_pipelines() {
    // MergeRequests::RefreshService; DOC job_rules.md "Avoid duplicate pipelines".
    let p = project();
    let (_, requests) = run(
        &p,
        &[
            push("feature", &[("a.rs", "1")]),
            open_mr(1, "feature", "main", &[]),
            push("feature", &[("b.rs", "2")]),
        ],
    );
    let third: Vec<_> = requests.iter().filter(|r| r.event == 3).collect();
    assert_eq!(third.len(), 2);
    assert_eq!(third[0].source, Source::Push);
    assert_eq!(third[0].open_merge_requests, vec!["acme/app!1".to_owned()]);
    assert_eq!(
        third[0].changed_paths.as_deref(),
        Some(&["b.rs".to_owned()][..])
    );
    assert_eq!(third[1].source, Source::MergeRequestEvent);
    // The MR diff is everything the branch changed since it was created.
    assert_eq!(
        third[1].changed_paths.as_deref(),
        Some(&["a.rs".to_owned(), "b.rs".to_owned()][..])
    );
    check(
        "branch with MR",
        &p,
        third[0],
        &[("CI_OPEN_MERGE_REQUESTS", Some("acme/app!1"))],
        &[],
    );
}

#[test]
fn open_merge_requests_newest_first_at_most_four() {
    // ci/pipeline.rb open_merge_requests_refs: `.limit(4).order(id: :desc)`.
    let p = project();
    let mut events = vec![push("feature", &[])];
    for iid in 1..=5 {
        events.push(open_mr(iid, "feature", &format!("t{iid}"), &[]));
    }
    events.push(push("feature", &[("x", "y")]));
    let (_, requests) = run(&p, &events);
    let last: Vec<_> = requests.iter().filter(|r| r.event == 7).collect();
    assert_eq!(
        last.len(),
        6,
        "branch pipeline + one MR pipeline per open MR"
    );
    assert_eq!(
        last[0].open_merge_requests,
        ["acme/app!5", "acme/app!4", "acme/app!3", "acme/app!2"]
    );
    let iids: Vec<u64> = last[1..]
        .iter()
        .map(|r| r.merge_request.as_ref().unwrap().iid)
        .collect();
    assert_eq!(iids, [1, 2, 3, 4, 5]);
}

#[test]
fn run_pipeline_on_an_open_merge_request_updates_it() {
    let p = project();
    let mut update = open_mr(1, "feature", "main", &["ready"]);
    if let Event::MergeRequest(mr) = &mut update {
        mr.title = Some("Better title".into());
    }
    let (timeline, requests) = run(
        &p,
        &[
            push("feature", &[]),
            open_mr(1, "feature", "main", &["wip"]),
            update,
        ],
    );
    assert_eq!(requests.len(), 3);
    let info = requests[2].merge_request.as_ref().unwrap();
    assert_eq!(info.labels, ["ready"]);
    assert_eq!(info.title, "Better title");
    assert_eq!(timeline.open_merge_requests().len(), 1);
}

#[test]
fn draft_merge_request() {
    let p = project();
    let mut event = open_mr(1, "my-feature", "main", &[]);
    if let Event::MergeRequest(mr) = &mut event {
        mr.draft = true;
    }
    let (_, requests) = run(&p, &[push("my-feature", &[]), event]);
    check(
        "draft",
        &p,
        &requests[1],
        &[
            ("CI_MERGE_REQUEST_DRAFT", Some("true")),
            ("CI_MERGE_REQUEST_TITLE", Some("Draft: My feature")),
        ],
        &[],
    );
}

#[test]
fn stated_merge_request_changes_win() {
    let p = project();
    let mut event = open_mr(1, "feature", "main", &[]);
    if let Event::MergeRequest(mr) = &mut event {
        mr.changes = Some(vec!["docs/z.md".into(), "docs/a.md".into()]);
    }
    let (_, requests) = run(&p, &[push("feature", &[("src/x", "1")]), event]);
    assert_eq!(
        requests[1].changed_paths.as_deref(),
        Some(&["docs/a.md".to_owned(), "docs/z.md".to_owned()][..])
    );
}

#[test]
fn skip_ci_in_the_message_or_push_option() {
    // lib/gitlab/ci/pipeline/chain/skip.rb SKIP_PATTERN and `ci.skip`.
    let p = project();
    let mut timeline = Timeline::new(&p, &repo());
    let with_message = Event::Push(Push {
        target: RefTarget::Branch("main".into()),
        message: Some("Fix typo [skip ci]".into()),
        ..Push::default()
    });
    assert!(timeline.apply(1, &with_message).unwrap()[0].skip_ci);
    let with_option = Event::Push(Push {
        target: RefTarget::Branch("main".into()),
        skip_ci: true,
        ..Push::default()
    });
    assert!(timeline.apply(2, &with_option).unwrap()[0].skip_ci);
    assert!(!timeline.apply(3, &push("main", &[])).unwrap()[0].skip_ci);
}

#[test]
fn skip_pattern_table() {
    let cases = [
        ("[ci skip]", true),
        ("[CI SKIP] later", true),
        ("x [skip ci]", true),
        ("[skip-ci]", true),
        ("[ci_skip]", true),
        ("[skip_ci]", true),
        ("[ci  skip]", false),
        ("ci skip", false),
        ("[skip ci", false),
        ("[skipci]", false),
        ("", false),
    ];
    for (message, expected) in cases {
        assert_eq!(skips_ci(message), expected, "{message:?}");
    }
}

#[test]
fn event_errors() {
    let p = project();
    let cases: Vec<(Vec<Event>, &str)> = vec![
        (
            vec![Event::Merge { iid: 2 }],
            "no merge request !2 was opened before",
        ),
        (
            vec![open_mr(1, "nope", "main", &[])],
            "source branch nope does not exist",
        ),
        (
            vec![
                push("feature", &[]),
                open_mr(1, "feature", "main", &[]),
                Event::Merge { iid: 1 },
                Event::Merge { iid: 1 },
            ],
            "is not open",
        ),
        (
            vec![
                push("feature", &[]),
                open_mr(1, "feature", "main", &[]),
                Event::Merge { iid: 1 },
                open_mr(1, "feature", "main", &[]),
            ],
            "already merged",
        ),
        (
            vec![manual(ManualSource::Web, RefTarget::Branch("ghost".into()))],
            "branch ghost does not exist",
        ),
        (
            vec![manual(ManualSource::Api, RefTarget::Tag("v9".into()))],
            "tag v9 does not exist",
        ),
        (
            vec![open_mr(1, "main", "main", &[])],
            "source and target branch are both main",
        ),
        (
            vec![
                push("a", &[]),
                push("b", &[]),
                open_mr(1, "a", "main", &[]),
                open_mr(1, "b", "main", &[]),
            ],
            "cannot change",
        ),
    ];
    for (events, expected) in cases {
        let mut timeline = Timeline::new(&p, &repo());
        let mut error = None;
        for (i, event) in events.iter().enumerate() {
            if let Err(e) = timeline.apply(i + 1, event) {
                error = Some(e);
                break;
            }
        }
        let error = error.unwrap_or_else(|| panic!("expected an error with {expected:?}"));
        assert!(
            error.contains(expected),
            "{error:?} should contain {expected:?}"
        );
    }
}

#[test]
fn missing_target_branch_is_assumed_with_a_note() {
    let p = project();
    let (timeline, requests) = run(
        &p,
        &[
            push("feature", &[]),
            open_mr(1, "feature", "staging", &[]),
            Event::Merge { iid: 1 },
        ],
    );
    assert!(timeline.branch_exists("staging"));
    assert_eq!(timeline.notes().len(), 1);
    assert_eq!(timeline.notes()[0].0, 2);
    assert!(timeline.notes()[0].1.contains("staging"));
    let merged = requests.last().unwrap();
    assert_eq!(merged.ref_name, "staging");
    check(
        "staging",
        &p,
        merged,
        &[
            ("CI_COMMIT_BRANCH", Some("staging")),
            ("CI_COMMIT_REF_PROTECTED", Some("false")),
        ],
        &[],
    );
}

// ---------------------------------------------------------------------------------------------
// Helpers: slug, fake SHA, protected refs, absence reasons.
// ---------------------------------------------------------------------------------------------

#[test]
fn slug_table() {
    // gems/gitlab-utils/lib/gitlab/utils.rb slugify.
    let long = "a".repeat(70);
    let cases = [
        ("main", "main"),
        ("feature/Login-Page", "feature-login-page"),
        ("--Fix__Bug--", "fix--bug"),
        ("v1.2.3", "v1-2-3"),
        ("Ünïcode", "n-code"),
        (long.as_str(), &long[..63]),
        ("", ""),
        ("///", ""),
    ];
    for (input, expected) in cases {
        assert_eq!(slug(input), expected, "{input:?}");
    }
    // Cut at 63 characters before trimming: a '-' at position 63 disappears.
    let s = format!("{}-b", "a".repeat(62));
    assert_eq!(slug(&s), "a".repeat(62));
}

#[test]
fn job_group_name_table() {
    // lib/gitlab/utils/job.rb group_name: up to three trailing matrix or index/total parts go.
    let cases = [
        ("rspec 1/2", "rspec"),
        ("build: [ruby, 3]", "build"),
        ("matrix-job: [python, ubuntu]", "matrix-job"),
        ("deploy 1/3 [prod]", "deploy"),
        ("test 1:2", "test"),
        ("rspec:test 1", "rspec:test 1"),
        ("some-job", "some-job"),
        ("job [a] 1/2 [b] 3/4", "job"),
        ("", ""),
    ];
    for (input, expected) in cases {
        assert_eq!(
            super::variables::job_group_name(input),
            expected,
            "{input:?}"
        );
    }
}

#[test]
fn fake_sha_is_stable_hex() {
    let a = fake_sha("x");
    assert_eq!(a.len(), 40);
    assert!(a
        .chars()
        .all(|c| c.is_ascii_hexdigit() && !c.is_ascii_uppercase()));
    assert_eq!(a, fake_sha("x"));
    assert_ne!(a, fake_sha("y"));
}

#[test]
fn protected_ref_patterns() {
    // RefMatcher: exact, or `*` matching any characters including '/'.
    let cases = [
        ("main", "main", true),
        ("main", "mainline", false),
        ("release/*", "release/1.0", true),
        ("release/*", "release/a/b", true),
        ("release/*", "release", false),
        ("*-stable", "12-0-stable", true),
        ("*", "anything/at/all", true),
        ("v*.*", "v1.2", true),
        ("v*.*", "v12", false),
        ("", "", false),
    ];
    for (pattern, name, expected) in cases {
        assert_eq!(ref_matches(pattern, name), expected, "{pattern} ~ {name}");
    }
}

#[test]
fn absence_reasons() {
    let p = project();
    let (_, requests) = run(
        &p,
        &[
            push("feature", &[]),
            open_mr(1, "feature", "main", &[]),
            Event::Push(Push {
                target: RefTarget::Tag("v1".into()),
                ..Push::default()
            }),
            push("other", &[]),
        ],
    );
    let (branch, mr, tag, lonely) = (&requests[0], &requests[1], &requests[2], &requests[3]);
    let cases: Vec<(&str, &PipelineRequest, Option<&str>)> = vec![
        (
            "CI_COMMIT_BRANCH",
            mr,
            Some("CI_MERGE_REQUEST_SOURCE_BRANCH_NAME"),
        ),
        ("CI_COMMIT_BRANCH", tag, Some("CI_COMMIT_TAG")),
        ("CI_COMMIT_BRANCH", branch, None),
        (
            "CI_COMMIT_TAG",
            branch,
            Some("only set in pipelines for a tag"),
        ),
        ("CI_COMMIT_TAG", tag, None),
        (
            "CI_MERGE_REQUEST_IID",
            branch,
            Some("only exists in merge request pipelines"),
        ),
        ("CI_MERGE_REQUEST_IID", mr, None),
        (
            "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA",
            mr,
            Some("set but empty"),
        ),
        (
            "CI_OPEN_MERGE_REQUESTS",
            lonely,
            Some("no open merge request has other"),
        ),
        ("CI_OPEN_MERGE_REQUESTS", tag, Some("tag pipeline")),
        (
            "CI_PIPELINE_ID",
            branch,
            Some("only exists once a job runs"),
        ),
        ("CI_JOB_TOKEN", mr, Some("only exists once a job runs")),
        (
            "CI_REGISTRY_PASSWORD",
            branch,
            Some("only exists once a job runs"),
        ),
        ("CI_PROJECT_DIR", branch, Some("runner")),
        (
            "CI_PIPELINE_SCHEDULE_DESCRIPTION",
            branch,
            Some("only scheduled pipelines"),
        ),
        ("CI_PIPELINE_TRIGGERED", branch, Some("trigger token")),
        ("CI_JOB_NAME", branch, Some("workflow:rules")),
        ("MY_OWN_VARIABLE", branch, None),
    ];
    for (name, request, expected) in cases {
        let reason = absence_reason(name, request);
        match expected {
            None => assert_eq!(reason, None, "{name}"),
            Some(text) => {
                let reason = reason.unwrap_or_else(|| panic!("{name}: expected a reason"));
                assert!(
                    reason.contains(text),
                    "{name}: {reason:?} should contain {text:?}"
                );
            }
        }
    }
}

#[test]
fn predefined_order_is_stable() {
    // Project variables first, then pipeline variables, then user variables.
    let p = project();
    let (_, requests) = run(&p, &[push("main", &[])]);
    let names: Vec<String> = predefined(&p, &requests[0], 1)
        .into_iter()
        .map(|(k, _)| k)
        .collect();
    let pos = |n: &str| names.iter().position(|k| k == n).unwrap();
    assert_eq!(names[0], "CI");
    assert!(pos("CI_DEFAULT_BRANCH") < pos("CI_PIPELINE_IID"));
    assert!(pos("CI_PIPELINE_IID") < pos("CI_COMMIT_SHA"));
    assert!(pos("CI_COMMIT_SHA") < pos("GITLAB_USER_LOGIN"));
    let unique: std::collections::BTreeSet<_> = names.iter().collect();
    assert_eq!(unique.len(), names.len(), "no duplicates");
    assert_eq!(
        names,
        predefined(&p, &requests[0], 1)
            .into_iter()
            .map(|(k, _)| k)
            .collect::<Vec<_>>()
    );
}

// ---------------------------------------------------------------------------------------------
// Scenario files.
// ---------------------------------------------------------------------------------------------

fn load(text: &str) -> (Option<Scenario>, Vec<crate::diagnostic::Finding>) {
    let mut files = Files::new();
    let id = files.insert("scenario.yml", text);
    load_scenario(&files, id)
}

fn errors(text: &str) -> Vec<(String, u32, u32)> {
    let (scenario, findings) = load(text);
    let errors: Vec<_> = findings
        .iter()
        .filter(|f| f.severity == Severity::Error)
        .map(|f| {
            let s = f.span.unwrap_or_default();
            (f.message.clone(), s.line, s.column)
        })
        .collect();
    assert_eq!(scenario.is_none(), !errors.is_empty());
    errors
}

#[test]
fn shared_scenarios_load_and_run() {
    for (name, text) in [
        ("dotenv", DOTENV_ACROSS_PIPELINES_DOTENV),
        ("file", DOTENV_ACROSS_PIPELINES_FILE),
        ("fixed", DOTENV_ACROSS_PIPELINES_FIXED),
        ("needs-project", DOTENV_ACROSS_PIPELINES_NEEDS_PROJECT),
    ] {
        let (scenario, findings) = load(text);
        assert!(findings.is_empty(), "{name}: {findings:?}");
        let scenario = scenario.unwrap();
        assert_eq!(scenario.project.path, "acme/app");
        assert_eq!(scenario.project.tier, Tier::Free);
        assert_eq!(scenario.project.settings.protected_branches, ["main"]);
        assert!(scenario.files.find(".gitlab-ci.yml").is_some());
        assert_eq!(scenario.events.len(), 3);
        // Events point at their keys: `- push: ...` is on line 6, column 5.
        assert_eq!(scenario.events[0].1, Span::new(FileId(0), 6, 5));
        let mut timeline = Timeline::new(&scenario.project, &scenario.files);
        let mut requests = Vec::new();
        for (i, (event, _)) in scenario.events.iter().enumerate() {
            requests.extend(timeline.apply(i + 1, event).expect(name));
        }
        let kinds: Vec<_> = requests
            .iter()
            .map(|r| (r.event, r.source, r.ref_name.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                (1, Source::Push, "feature"),
                (2, Source::MergeRequestEvent, "refs/merge-requests/1/head"),
                (3, Source::Push, "staging"),
            ],
            "{name}"
        );
        let v = vars(&scenario.project, &requests[1]);
        assert_eq!(v["CI_MERGE_REQUEST_TARGET_BRANCH_NAME"], "staging");
        let v = vars(&scenario.project, &requests[2]);
        assert_eq!(v["CI_COMMIT_BRANCH"], "staging");
        assert!(!v.contains_key("CI_MERGE_REQUEST_TARGET_BRANCH_NAME"));
    }
}

#[test]
fn scenario_full_format() {
    let text = r#"
events:
  - push: {branch: feature, changes: [src/a.rs], files: {src/b.rs: "fn b() {}"}, deleted: [old.txt], message: "Add b", skip_ci: false, variables: {N: 3, FLAG: true}}
  - merge_request: {iid: 4, source: feature, labels: "a, b", type: merged_results, title: T, description: D, draft: true, changes: [src/a.rs]}
  - merge: {iid: 4}
  - schedule: {branch: main, variables: {NIGHTLY: 1}, description: Nightly}
  - web: {tag: v1}
  - api:
  - trigger: {branch: main, variables: {X: ~}}
project:
  path: grp/sub/proj
  default_branch: trunk
  tier: ultimate
  server_url: https://git.example.org
  settings:
    merged_results_pipelines: true
    merge_trains: false
    protected_branches: [trunk, "release/*"]
    protected_tags: ["v*"]
variables:
  PLAIN: 1.50
  SECRET: {value: s3cret, protected: true}
  YES_NO: yes
files:
  .gitlab-ci.yml: |
    job:
      script: echo
  old.txt: bye
"#;
    let (scenario, findings) = load(text);
    assert!(findings.is_empty(), "{findings:?}");
    let s = scenario.unwrap();
    assert_eq!(s.project.path, "grp/sub/proj");
    assert_eq!(s.project.default_branch, "trunk");
    assert_eq!(s.project.tier, Tier::Ultimate);
    assert_eq!(s.project.server_url, "https://git.example.org");
    assert!(s.project.settings.merged_results_pipelines);
    assert_eq!(
        s.project.settings.protected_branches,
        ["trunk", "release/*"]
    );
    assert_eq!(s.project.settings.protected_tags, ["v*"]);
    // Scalars become strings the way Ruby's to_s prints them (YAML 1.1: `yes` is true).
    let vars: Vec<_> = s
        .project
        .variables
        .iter()
        .map(|v| (v.key.as_str(), v.value.as_str(), v.protected))
        .collect();
    assert_eq!(
        vars,
        [
            ("PLAIN", "1.5", false),
            ("SECRET", "s3cret", true),
            ("YES_NO", "true", false)
        ]
    );
    assert_eq!(s.events.len(), 7);
    let Event::Push(push) = &s.events[0].0 else {
        panic!()
    };
    assert_eq!(push.target, RefTarget::Branch("feature".into()));
    assert_eq!(push.changes.as_deref(), Some(&["src/a.rs".to_owned()][..]));
    assert_eq!(
        push.files,
        [("src/b.rs".to_owned(), "fn b() {}".to_owned())]
    );
    assert_eq!(push.deleted, ["old.txt"]);
    assert_eq!(push.message.as_deref(), Some("Add b"));
    assert_eq!(
        push.variables,
        [
            ("N".to_owned(), "3".to_owned()),
            ("FLAG".to_owned(), "true".to_owned())
        ]
    );
    let Event::MergeRequest(mr) = &s.events[1].0 else {
        panic!()
    };
    assert_eq!(mr.iid, 4);
    assert_eq!(
        mr.target_branch, "trunk",
        "target defaults to the default branch"
    );
    assert_eq!(mr.labels, ["a", "b"]);
    assert_eq!(mr.kind, Some(MergeRequestPipelineKind::MergedResult));
    assert!(mr.draft);
    assert_eq!(s.events[2].0, Event::Merge { iid: 4 });
    let Event::Manual(schedule) = &s.events[3].0 else {
        panic!()
    };
    assert_eq!(schedule.source, ManualSource::Schedule);
    assert_eq!(schedule.description.as_deref(), Some("Nightly"));
    assert_eq!(schedule.variables, [("NIGHTLY".to_owned(), "1".to_owned())]);
    let Event::Manual(web) = &s.events[4].0 else {
        panic!()
    };
    assert_eq!(web.target, RefTarget::Tag("v1".into()));
    let Event::Manual(api) = &s.events[5].0 else {
        panic!()
    };
    assert_eq!(
        api.target,
        RefTarget::Branch("trunk".into()),
        "defaults to the default branch"
    );
    let Event::Manual(trigger) = &s.events[6].0 else {
        panic!()
    };
    assert_eq!(trigger.variables, [("X".to_owned(), String::new())]);
}

#[test]
fn scenario_errors_with_positions() {
    let cases: Vec<(&str, &str, u32, u32)> = vec![
        (
            "files:\n  .gitlab-ci.yml: x\nevent:\n  - push: {branch: a}\n",
            "the scenario: unknown key `event`",
            3,
            1,
        ),
        ("files:\n  README.md: x\n", "has no `.gitlab-ci.yml`", 1, 1),
        ("project: {tier: gold}\nfiles: {.gitlab-ci.yml: x}\n", "not one of free", 1, 17),
        (
            "files: {.gitlab-ci.yml: x}\nevents:\n  - push: {changes: [a]}\n",
            "a push needs `branch:` or `tag:`",
            3,
            11,
        ),
        (
            "files: {.gitlab-ci.yml: x}\nevents:\n  - push: {branch: a, tag: b}\n",
            "not both",
            3,
            28,
        ),
        (
            "files: {.gitlab-ci.yml: x}\nevents:\n  - deploy: {branch: a}\n",
            "unknown event `deploy`",
            3,
            5,
        ),
        (
            "files: {.gitlab-ci.yml: x}\nevents:\n  - merge: {iid: -1}\n",
            "must be a positive whole number",
            3,
            18,
        ),
        (
            "files: {.gitlab-ci.yml: x}\nevents:\n  - merge: {}\n",
            "needs an `iid:`",
            3,
            12,
        ),
        (
            "files: {.gitlab-ci.yml: x}\nevents:\n  - push: {branch: a}\n    merge: {iid: 1}\n",
            "exactly one key",
            3,
            5,
        ),
        (
            "files: {.gitlab-ci.yml: x}\nevents:\n  - web: {branch: a, description: d}\n",
            "unknown key `description`",
            3,
            22,
        ),
        (
            "files: {.gitlab-ci.yml: x}\nevents:\n  - merge_request: {iid: 1, source: a, type: fast}\n",
            "is not one of detached",
            3,
            46,
        ),
        ("files: {.gitlab-ci.yml: {a: b}}\n", "must be the file's text", 1, 25),
        ("files: {.gitlab-ci.yml: x}\nvariables: {BAD-KEY: 1}\n", "not a valid variable key", 2, 13),
        ("files: {.gitlab-ci.yml: x}\nevents: {push: {branch: a}}\n", "events must be a list", 2, 9),
        ("files: {.gitlab-ci.yml: x}\nproject: {path: solo}\n", "namespace and a name", 2, 17),
        (
            "files: {.gitlab-ci.yml: x}\nproject: {settings: {merge_trains: maybe}}\n",
            "must be true or false",
            2,
            36,
        ),
        ("", "the scenario is empty", 1, 1),
        ("- a\n- b\n", "must be a mapping", 1, 1),
    ];
    for (text, message, line, column) in cases {
        let errors = errors(text);
        let found = errors.iter().find(|(m, _, _)| m.contains(message));
        let Some((_, l, c)) = found else {
            panic!("{text:?}: no error containing {message:?} in {errors:?}");
        };
        assert_eq!((*l, *c), (line, column), "{text:?}: {message}");
    }
}

#[test]
fn scenario_yaml_syntax_error_never_panics() {
    let errors = errors("files: {.gitlab-ci.yml: x\nevents: [\n");
    assert!(!errors.is_empty());
}

// ---------------------------------------------------------------------------------------------
// Scenarios with several projects.
// ---------------------------------------------------------------------------------------------

#[test]
fn projects_load_with_their_own_settings_and_events_name_their_project() {
    let (scenario, findings) = load(
        "project: {path: group/app}\nfiles: {.gitlab-ci.yml: 'a: {script: x}'}\nprojects:\n  - path: group/ops\n    tier: premium\n    access: developer\n    default_branch: trunk\n    job_token: {limit_access: true, allowlist: [group/app, other/]}\n    settings: {pipeline_variables_minimum_role: no_one_allowed}\n    variables: {K: v}\n    files: {deploy.yml: 'x'}\nevents:\n  - push: {branch: main}\n  - push: {branch: trunk}\n    project: group/ops\n  - merge_request: {iid: 1, source: f}\n    project: group/ops\n",
    );
    assert!(findings.is_empty(), "{findings:?}");
    let scenario = scenario.unwrap();
    assert_eq!(scenario.others.len(), 1);
    let ops = &scenario.others[0].0;
    assert_eq!(ops.path, "group/ops");
    assert_eq!(ops.tier, Tier::Premium);
    assert_eq!(ops.access, super::Role::Developer);
    assert_eq!(ops.settings.protected_branches, ["trunk"]);
    assert_eq!(ops.settings.pipeline_variables_minimum_role, None);
    assert_eq!(ops.variables[0].key, "K");
    assert!(ops.job_token.allows("group/ops", "group/app"));
    assert!(ops.job_token.allows("group/ops", "other/deep/project"));
    assert!(!ops.job_token.allows("group/ops", "group/application"));
    assert!(scenario.others[0].1.find("deploy.yml").is_some());
    assert_eq!(scenario.event_projects, [0, 1, 1]);
    // A merge request's default target is its own project's default branch.
    let Event::MergeRequest(mr) = &scenario.events[2].0 else {
        panic!("a merge request event")
    };
    assert_eq!(mr.target_branch, "trunk");
    // The main project keeps GitLab's defaults.
    assert!(scenario.project.job_token.limit_access);
    assert_eq!(scenario.project.access, super::Role::Maintainer);
}

#[test]
fn the_first_of_projects_is_the_main_one_without_a_top_level_project() {
    let (scenario, findings) = load(
        "projects:\n  - path: group/app\n    files: {.gitlab-ci.yml: 'a: {script: x}'}\n  - path: group/lib\nevents:\n  - push: {branch: main}\n    project: group/lib\n",
    );
    assert!(findings.is_empty(), "{findings:?}");
    let scenario = scenario.unwrap();
    assert_eq!(scenario.project.path, "group/app");
    assert_eq!(scenario.others[0].0.path, "group/lib");
    assert_eq!(scenario.event_projects, [1]);
}

#[test]
fn project_errors_point_at_the_offending_key() {
    let found = errors(
        "files: {.gitlab-ci.yml: 'a: {script: x}'}\nprojects:\n  - path: group/project\n  - tier: free\n  - path: group/x\n    access: admin\nevents:\n  - push: {branch: main}\n    project: group/nope\n",
    );
    let messages: Vec<&str> = found.iter().map(|(m, _, _)| m.as_str()).collect();
    assert!(
        messages
            .iter()
            .any(|m| m.contains("`group/project` is given twice")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("needs a `path:`")),
        "{messages:?}"
    );
    assert!(
        messages.iter().any(|m| m.contains("`admin` is not one of")),
        "{messages:?}"
    );
    let unknown = found
        .iter()
        .find(|(m, _, _)| m.contains("`group/nope` is not a project of this scenario"))
        .expect("unknown event project");
    assert_eq!((unknown.1, unknown.2), (9, 14));
}
