//! Mirrors lib/gitlab/ci/config/entry/processable.rb: what jobs and trigger jobs share, its
//! validations, its entries and the `rules:when` warning.

use super::rules::RuleMeta;
use super::{
    config, environment, inherit, opt, policy, rules, run, stages, variables, Check, Cx, Entry,
    Rule, Ty,
};
use crate::diagnostic::Finding;
use crate::yaml::Node;

/// `PROCESSABLE_ALLOWED_KEYS`.
pub const PROCESSABLE_KEYS: &[&str] = &[
    "extends",
    "stage",
    "only",
    "except",
    "rules",
    "variables",
    "inherit",
    "allow_failure",
    "when",
    "needs",
    "resource_group",
    "environment",
    "interruptible",
];

pub const MAX_NESTING_LEVEL: usize = 10;

/// processable.rb `entry :rules` metadata.
pub const RULE_META: RuleMeta = RuleMeta {
    allowed_keys: &[
        "if",
        "changes",
        "exists",
        "when",
        "start_in",
        "allow_failure",
        "variables",
        "needs",
        "interruptible",
    ],
    allowed_when: &[
        "on_success",
        "on_failure",
        "always",
        "never",
        "manual",
        "delayed",
    ],
};

/// `allowed_value_data` of a job's `variables:`.
pub const VARIABLE_DATA: &[&str] = &["value", "expand"];

pub fn has_rules_value(entry: &Entry) -> bool {
    entry.attr("rules").is_some()
}

/// Processable's validations after the name checks (which need the job key, see
/// [`validate_name`]).
const RULES: &[Rule] = &[
    config(Check::MutuallyExclusiveKeys(&["script", "trigger"])).code("job-exclusive-keys"),
    config(Check::MutuallyExclusiveKeys(&["run", "trigger"])).code("job-exclusive-keys"),
    config(Check::DisallowedKeys(
        &["only", "except", "start_in"],
        Some("key may not be used with `rules`"),
        true,
    ))
    .when(has_rules_value)
    .code("job-rules-with-only"),
    opt("extends", Check::ArrayOfStringsOrString),
    opt(
        "rules",
        Check::NestedArrayOfHashesOrArrays(MAX_NESTING_LEVEL),
    ),
    opt("resource_group", Check::Type(Ty::String, None)),
];

/// `validates :name, presence: true; type: Symbol; length: { maximum: 255 }`.
pub fn validate_name(cx: &mut Cx, entry: &Entry, name: &str, name_is_symbol: bool) {
    if name.is_empty() {
        let jobs = super::Loc::root("jobs");
        let loc = jobs.child("job");
        cx.error("job-name", &loc, "name can't be blank", entry.anchor);
    }
    if !name_is_symbol {
        cx.error(
            "job-name",
            entry.loc,
            "name should be a symbol",
            entry.anchor,
        );
    }
    if name.chars().count() > 255 {
        cx.error(
            "job-name-too-long",
            entry.loc,
            "name is too long (maximum is 255 characters)",
            entry.anchor,
        );
    }
}

/// Processable's table; true when it added an error.
pub fn validate(cx: &mut Cx, entry: &Entry) -> bool {
    let mark = cx.mark();
    run(cx, entry, RULES);
    for finding in &mut cx.errors[mark..] {
        if finding.code == "job-rules-with-only" {
            finding.explanation = Some(
                "`rules` replaces `only`/`except` (and `start_in` moves into the rule that says `when: delayed`). \
                 Express the `only`/`except` conditions as `rules:if` clauses instead."
                    .to_owned(),
            );
        }
    }
    cx.failed_since(mark)
}

/// Processable's entries, in its declaration order.
pub fn compose(cx: &mut Cx, entry: &Entry) {
    if let Some(node) = entry.attr("stage") {
        let loc = entry.loc.child("stage");
        stages::validate_stage(cx, &Entry::new(node, &loc));
    }
    for key in ["only", "except"] {
        if let Some(node) = entry.attr(key) {
            let loc = entry.loc.child(key);
            policy::validate(cx, &Entry::new(node, &loc));
        }
    }
    if let Some(node) = entry.attr("rules") {
        let loc = entry.loc.child("rules");
        rules::validate(cx, &Entry::new(node, &loc), &RULE_META);
    }
    if let Some(node) = entry.attr("variables") {
        let loc = entry.loc.child("variables");
        variables::validate(cx, &Entry::new(node, &loc), VARIABLE_DATA);
    }
    if let Some(node) = entry.attr("inherit") {
        let loc = entry.loc.child("inherit");
        inherit::validate(cx, &Entry::new(node, &loc));
    }
    if let Some(node) = entry.attr("environment") {
        let loc = entry.loc.child("environment");
        environment::validate(cx, &Entry::new(node, &loc));
    }
    if let Some(node) = entry.attr("interruptible") {
        let loc = entry.loc.child("interruptible");
        super::default::boolean(cx, &Entry::new(node, &loc));
    }
}

/// `validate_against_warnings`: with no `workflow:rules`, a last rule that is only
/// `when: <not never>` lets both a branch and a merge request pipeline run.
pub fn warnings(cx: &mut Cx, entry: &Entry) {
    if cx.has_workflow_rules {
        return;
    }
    let Some(rules) = entry.attr("rules").and_then(Node::as_seq) else {
        return;
    };
    let Some(last) = rules.last().and_then(Node::as_map) else {
        return;
    };
    let only_when = last.len() == 1 && last.contains_key("when");
    let when = last.get("when").and_then(Node::as_str).unwrap_or("");
    if only_when && when != "never" {
        cx.warnings.push(
            Finding::warning(
                "rules-when-no-workflow",
                format!(
                    "{} may allow multiple pipelines to run for a single action due to `rules:when` clause with no `workflow:rules` - read more: https://docs.gitlab.com/ee/ci/jobs/job_troubleshooting.html#job-may-allow-multiple-pipelines-to-run-for-a-single-action-warning",
                    entry.loc
                ),
                Some(entry.anchor),
            )
            .explain(
                "The last rule matches every pipeline, so this job runs both in the branch pipeline of a push and \
                 in the merge request pipeline for the same commit: two pipelines. Add `workflow:rules` that choose \
                 one kind of pipeline (see the `Workflows/MergeRequest-Pipelines` template).",
            ),
        );
    }
}
