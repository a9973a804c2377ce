//! Mirrors lib/gitlab/ci/config/entry/job.rb (with EE's `secrets`, `identity`,
//! `dast_configuration`): a job that runs a script or CI steps.

use super::{
    allow_failure, config, coverage, default, job_input, needs, opt, pages, parallel, processable,
    publish, release, run, secrets, take_from, Check, Cx, Entry, Rule, Ty, WEEK,
};
use crate::yaml::Node;

pub const ALLOWED_WHEN: &[&str] = &["on_success", "on_failure", "always", "manual", "delayed"];

/// `Entry::Job::ALLOWED_KEYS`, plus `inputs` (job inputs) and the EE keywords GitLab.com
/// accepts (`secrets`, `identity`, `dast_configuration`).
pub const JOB_KEYS: &[&str] = &[
    "tags",
    "script",
    "image",
    "services",
    "start_in",
    "artifacts",
    "cache",
    "dependencies",
    "before_script",
    "after_script",
    "hooks",
    "coverage",
    "retry",
    "parallel",
    "timeout",
    "release",
    "id_tokens",
    "publish",
    "pages",
    "manual_confirmation",
    "run",
    "inputs",
    "secrets",
    "identity",
    "dast_configuration",
];

fn no_run(entry: &Entry) -> bool {
    !entry.has("run")
}

fn with_run(entry: &Entry) -> bool {
    entry.has("run")
}

fn delayed(entry: &Entry) -> bool {
    entry.attr("when").and_then(Node::as_str) == Some("delayed")
}

fn delayed_without_rules(entry: &Entry) -> bool {
    delayed(entry) && !processable::has_rules_value(entry)
}

fn rules_or_not_delayed(entry: &Entry) -> bool {
    processable::has_rules_value(entry) || !delayed(entry)
}

/// `pages_job?`: `pages:` set, or a job named `pages` whose `pages:` is not `false`. The name
/// is the entry's location's last part.
fn not_pages_job(entry: &Entry) -> bool {
    let pages = entry.attr("pages");
    let named_pages = entry.loc.to_string() == "jobs:pages";
    !(pages.is_some_and(|p| !p.is_blank())
        || (named_pages && pages.and_then(Node::as_bool) != Some(false)))
}

const RULES: &[Rule] = &[
    config(Check::AllowedKeys(JOB_KEYS, processable::PROCESSABLE_KEYS)),
    // Each pair needs `run`: the rules are skipped (a bit test) for the jobs without it.
    config(Check::MutuallyExclusiveKeys(&["script", "run"]))
        .when(with_run)
        .code("job-exclusive-keys"),
    // GitLab MR 189437 ("Make after and before script mutually exclusive to run keyword"):
    // job_spec's 'when mutually exclusive keys are used with run' rows.
    config(Check::MutuallyExclusiveKeys(&["before_script", "run"]))
        .when(with_run)
        .code("job-exclusive-keys"),
    config(Check::MutuallyExclusiveKeys(&["after_script", "run"]))
        .when(with_run)
        .code("job-exclusive-keys"),
    super::attr("script", Check::Presence(None))
        .when(no_run)
        .code("job-script-blank"),
    opt("when", Check::Type(Ty::String, None)).code("job-when"),
    opt(
        "when",
        Check::Inclusion(
            ALLOWED_WHEN,
            "should be one of: on_success, on_failure, always, manual, delayed",
        ),
    )
    .code("job-when"),
    opt("dependencies", Check::ArrayOfStrings),
    opt("allow_failure", Check::HashOrBoolean),
    opt("manual_confirmation", Check::Type(Ty::String, None)),
    super::attr(
        "start_in",
        Check::Duration {
            limit: Some(WEEK + 1),
            never: false,
            variable: false,
        },
    )
    .when(delayed_without_rules)
    .code("job-start-in"),
    opt("start_in", Check::Absence(None))
        .when(rules_or_not_delayed)
        .code("job-start-in"),
];

/// `validates :publish, absence: { message: }, unless: pages_job?`.
const PUBLISH: &[Rule] = &[opt(
    "publish",
    Check::Absence(Some("can only be used within a `pages` job")),
)
.when(not_pages_job)
.code("job-publish")];

/// Validates a job whose name and kind `Jobs` decided.
pub fn validate(cx: &mut Cx, entry: &Entry, name: &str, name_is_symbol: bool) {
    let mark = cx.mark();
    processable::validate_name(cx, entry, name, name_is_symbol);
    processable::validate(cx, entry);
    run(cx, entry, RULES);
    if let Some(node) = entry.attr("run").filter(|_| !entry.has("script")) {
        super::run::validate(cx, &Entry::new(node, entry.loc));
    }
    run(cx, entry, PUBLISH);
    explain_own(cx, mark, entry);
    if cx.failed_since(mark) {
        return;
    }
    let children = cx.mark();
    processable::compose(cx, entry);
    compose(cx, entry);
    // `validate on: :composed`: the job's own message comes before its children's.
    let child_errors = take_from(cx, children);
    dependencies_in_needs(cx, entry);
    cx.errors.extend(child_errors);
    processable::warnings(cx, entry);
}

/// Job's entries, in job.rb's declaration order.
fn compose(cx: &mut Cx, entry: &Entry) {
    for key in [
        "before_script",
        "script",
        "after_script",
        "hooks",
        "cache",
        "image",
        "services",
        "timeout",
        "retry",
        "tags",
        "artifacts",
    ] {
        if let Some(node) = entry.attr(key) {
            let loc = entry.loc.child(key);
            default::shared_child(cx, &Entry::new(node, &loc), key);
        }
    }
    let child = |key: &'static str| entry.attr(key).map(|node| (key, node));
    if let Some((key, node)) = child("needs") {
        let loc = entry.loc.child(key);
        needs::validate(cx, &Entry::new(node, &loc), &needs::JOB_NEEDS);
    }
    if let Some((key, node)) = child("coverage") {
        let loc = entry.loc.child(key);
        coverage::validate(cx, &Entry::new(node, &loc));
    }
    if let Some((key, node)) = child("release") {
        let loc = entry.loc.child(key);
        release::validate(cx, &Entry::new(node, &loc));
    }
    if let Some((key, node)) = child("parallel") {
        let loc = entry.loc.child(key);
        parallel::validate(cx, &Entry::new(node, &loc), true);
    }
    if let Some((key, node)) = child("allow_failure").filter(|(_, n)| n.as_map().is_some()) {
        let loc = entry.loc.child(key);
        allow_failure::validate(cx, &Entry::new(node, &loc));
    }
    if let Some((key, node)) = child("id_tokens") {
        let loc = entry.loc.child(key);
        default::shared_child(cx, &Entry::new(node, &loc), key);
    }
    if let Some((key, node)) = child("publish") {
        let loc = entry.loc.child(key);
        publish::validate(cx, &Entry::new(node, &loc));
    }
    if let Some((key, node)) = child("pages") {
        let loc = entry.loc.child(key);
        pages::validate(cx, &Entry::new(node, &loc));
    }
    if let Some((key, node)) = child("inputs") {
        let loc = entry.loc.child(key);
        let mark = cx.mark();
        job_input::validate(cx, &Entry::new(node, &loc));
        if !cx.failed_since(mark) {
            job_input::validate_defaults(cx, entry.loc, node);
        }
    }
    if let Some((key, node)) = child("secrets") {
        let loc = entry.loc.child(key);
        secrets::validate(cx, &Entry::new(node, &loc));
    }
}

/// `validate on: :composed`: `dependencies` must be part of `needs` when both are given.
fn dependencies_in_needs(cx: &mut Cx, entry: &Entry) {
    let (Some(deps), Some(needs)) = (
        entry.attr("dependencies").and_then(Node::as_seq),
        entry.attr("needs"),
    ) else {
        return;
    };
    if deps.is_empty() {
        return;
    }
    let items: Vec<&Node> = super::flatten_config(needs)
        .into_iter()
        .filter(|n| !n.is_null())
        .collect();
    let job_names: Vec<String> = items
        .iter()
        .filter_map(|n| match &n.value {
            crate::yaml::Value::Str(s) => Some(s.clone()),
            crate::yaml::Value::Map(m)
                if m.get("pipeline").is_none() && m.get("project").is_none() =>
            {
                m.get("job").and_then(Node::scalar_to_s)
            }
            _ => None,
        })
        .collect();
    let has_cross = items
        .iter()
        .any(|n| n.get("pipeline").is_some() || n.get("project").is_some());
    if job_names.is_empty() && has_cross {
        cx.error(
            "job-dependencies-needs",
            entry.loc,
            "needs corresponding to dependencies must be from the same pipeline",
            needs.span,
        );
    } else if !job_names.is_empty() {
        let missing: Vec<String> = deps
            .iter()
            .filter_map(Node::scalar_to_s)
            .filter(|d| !job_names.contains(d))
            .collect();
        if !missing.is_empty() {
            let text = format!(
                "dependencies the {} should be part of needs",
                missing.join(", ")
            );
            let span = entry.attr("dependencies").map_or(needs.span, |d| d.span);
            cx.error("job-dependencies-needs", entry.loc, &text, span);
        }
    }
}

/// Our explanations beside GitLab's messages about the job's own config.
fn explain_own(cx: &mut Cx, mark: usize, entry: &Entry) {
    if !cx.failed_since(mark) {
        return;
    }
    let when = entry
        .attr("when")
        .and_then(Node::scalar_to_s)
        .unwrap_or_default();
    for finding in &mut cx.errors[mark..] {
        let explanation = match finding.code {
            "job-script-blank" => "A job must run at least one command: give `script` a command or a list of commands.".to_owned(),
            "job-when" if finding.message.contains("should be one of") => {
                if when == "never" {
                    "`when: never` is only allowed inside `rules` (and `workflow:rules`). To never run the job, use `rules: [{when: never}]`, or delete it.".to_owned()
                } else {
                    let hint = crate::config::suggest::did_you_mean(&when, ALLOWED_WHEN)
                        .map(|h| format!(" {h}"))
                        .unwrap_or_default();
                    format!("`{when}` is not a value `when` accepts here.{hint}")
                }
            }
            _ => continue,
        };
        finding.explanation = Some(explanation);
    }
}
