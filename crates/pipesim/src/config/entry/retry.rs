//! Mirrors lib/gitlab/ci/config/entry/retry.rb: `retry:` as a count or a hash. Its location is
//! hard-coded to `retry` (no job prefix). `retry:when` accepts `FullRetry.possible_retry_when_values`:
//! the keys of `Enums::Ci::CommitStatus.failure_reasons` (app/models/concerns/enums/ci/commit_status.rb)
//! and `always`; the legacy reasons of `failure_reason_aliases` are accepted with a deprecation
//! warning (retry_spec '#warnings').

use super::{config, opt, run, Check, Cx, Entry, Loc, Rule};
use crate::diagnostic::Finding;
use crate::yaml::{Node, Value};

/// `Enums::Ci::CommitStatus.failure_reasons.keys` (newest stored commit_status.rb, with
/// `downstream_project_trigger_resolved_to_empty`), then `always`.
pub const RETRY_WHEN: &[&str] = &[
    "unknown_failure",
    "script_failure",
    "api_failure",
    "stuck_or_timeout_failure",
    "runner_system_failure",
    "missing_dependency_failure",
    "runner_unsupported",
    "stale_schedule",
    "job_execution_timeout",
    "archived_failure",
    "unmet_prerequisites",
    "scheduler_failure",
    "data_integrity_failure",
    "forward_deployment_failure",
    "user_blocked",
    "project_deleted",
    "ci_quota_exceeded",
    "pipeline_loop_detected",
    "no_matching_runner",
    "trace_size_exceeded",
    "builds_disabled",
    "environment_creation_failure",
    "deployment_rejected",
    "failed_outdated_deployment_job",
    "job_execution_server_timeout",
    "stuck_pending_with_matching_runners",
    "stuck_pending_no_matching_runners",
    "no_updates_running",
    "no_updates_canceling",
    "server_timeout_running",
    "server_timeout_canceling",
    "runner_configuration_error",
    "runner_external_dependency_failure",
    "runner_interrupted",
    "protected_environment_failure",
    "insufficient_bridge_permissions",
    "downstream_bridge_project_not_found",
    "invalid_bridge_trigger",
    "upstream_bridge_project_not_found",
    "insufficient_upstream_permissions",
    "bridge_pipeline_is_child_pipeline",
    "downstream_pipeline_creation_failed",
    "secrets_provider_not_found",
    "reached_max_descendant_pipelines_depth",
    "ip_restriction_failure",
    "reached_max_pipeline_hierarchy_size",
    "reached_downstream_pipeline_trigger_rate_limit",
    "duo_workflow_not_allowed",
    "job_router_failure",
    "job_token_expired",
    "id_token_burned_project_path",
    "downstream_project_trigger_resolved_to_empty",
    "always",
];

/// The keys of `Enums::Ci::CommitStatus.failure_reason_aliases`: legacy reasons split into
/// finer ones, each with the reasons it still matches.
pub const DEPRECATED_WHEN: &[(&str, &str)] = &[
    (
        "stuck_or_timeout_failure",
        "stuck_pending_with_matching_runners, stuck_pending_no_matching_runners, no_updates_running, no_updates_canceling",
    ),
    (
        "job_execution_timeout",
        "server_timeout_running, server_timeout_canceling",
    ),
];

fn when_is_array(entry: &Entry) -> bool {
    entry.attr("when").and_then(Node::as_seq).is_some()
}

fn when_is_string(entry: &Entry) -> bool {
    entry
        .attr("when")
        .is_some_and(|w| matches!(w.value, Value::Str(_)))
}

/// `SimpleRetry`.
const SIMPLE: &[Rule] = &[config(Check::IntRange(Some(0), Some(2)))];
/// `FullRetry`.
const FULL: &[Rule] = &[
    config(Check::AllowedKeys(&["max", "when", "exit_codes"], &[])),
    opt("max", Check::IntRange(Some(0), Some(2))),
    opt("when", Check::ArrayOfStringsOrString),
    opt("when", Check::AllowedArrayValues(RETRY_WHEN)).when(when_is_array),
    opt(
        "when",
        Check::Inclusion(RETRY_WHEN, "is not included in the list"),
    )
    .when(when_is_string),
    opt("exit_codes", Check::ArrayOfIntegersOrInteger),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    let loc = Loc::root("retry");
    let retry = Entry {
        loc: &loc,
        ..*entry
    };
    match &entry.node.value {
        Value::Int(_) => {
            run(cx, &retry, SIMPLE);
        }
        Value::Map(_) => {
            if !run(cx, &retry, FULL) {
                deprecated_when(cx, &retry);
            }
        }
        _ => {
            cx.raw_error(
                "config-type",
                "retry config has to be either an integer or a hash".to_owned(),
                entry.node.span,
            );
        }
    }
}

/// The retry_spec '#warnings' examples: one non-blocking warning listing every legacy value
/// of `when` (a string or an array), in config order.
fn deprecated_when(cx: &mut Cx, retry: &Entry) {
    let Some(node) = retry.attr("when") else {
        return;
    };
    let items = match &node.value {
        Value::Seq(items) => items.as_slice(),
        _ => std::slice::from_ref(node),
    };
    let mut found: Vec<(&str, &str)> = Vec::new();
    for item in items {
        let Some(text) = item.as_str() else { continue };
        if let Some(&(name, successors)) = DEPRECATED_WHEN.iter().find(|(n, _)| *n == text) {
            if !found.iter().any(|(n, _)| *n == name) {
                found.push((name, successors));
            }
        }
    }
    if found.is_empty() {
        return;
    }
    let names: Vec<&str> = found.iter().map(|(n, _)| *n).collect();
    let advice: Vec<String> = found
        .iter()
        .map(|(n, s)| format!("`{n}` still matches {s}: name those instead"))
        .collect();
    cx.warnings.push(
        Finding::warning(
            "retry-when-deprecated",
            format!(
                "{} uses deprecated `when` value(s): {}",
                retry.loc,
                names.join(", ")
            ),
            Some(node.span),
        )
        .explain(format!(
            "GitLab split these failure reasons into finer ones (deprecated in GitLab 19.1); the job is still retried on them. {}. GitLab's spec matches only the end of this warning: the words before the list are pipesim's.",
            advice.join("; ")
        )),
    );
}
