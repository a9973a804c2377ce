//! Mirrors lib/gitlab/ci/config/entry/rules/rule.rb: one rule of `rules` / `workflow:rules`.

use super::rules::RuleMeta;
use super::{
    auto_cancel, changes, exists, needs, opt, run, variables, Check, Cx, Entry, Rule, WEEK,
};
use crate::yaml::Node;

fn delayed(entry: &Entry) -> bool {
    entry.attr("when").and_then(Node::as_str) == Some("delayed")
}

fn not_delayed(entry: &Entry) -> bool {
    !delayed(entry)
}

const RULES: &[Rule] = &[
    super::config(Check::DisallowedKeys(&["start_in"], None, false))
        .when(not_delayed)
        .code("rules-start-in"),
    super::attr("start_in", Check::Presence(None))
        .when(delayed)
        .code("rules-start-in"),
    super::attr(
        "start_in",
        Check::Duration {
            limit: Some(WEEK + 1),
            never: false,
            variable: false,
        },
    )
    .when(delayed)
    .code("rules-start-in"),
    opt("if", Check::Expression).code("rules-if-invalid"),
    opt("allow_failure", Check::Boolean),
    opt("interruptible", Check::Boolean),
];

pub fn validate(cx: &mut Cx, entry: &Entry, meta: &RuleMeta) {
    let Some(map) = entry.map() else {
        let text = if entry.node.is_null() {
            "config can't be blank"
        } else {
            "config should be a hash"
        };
        let code = if entry.node.is_null() {
            "config-blank"
        } else {
            "config-type"
        };
        cx.error(code, entry.loc, text, entry.node.span);
        return;
    };
    if map.is_empty() {
        cx.error(
            "config-blank",
            entry.loc,
            "config can't be blank",
            entry.node.span,
        );
        return;
    }
    let mark = cx.mark();
    run(cx, entry, RULES);
    explain_if(cx, mark, entry);
    // `validate do ... end`: the owner's allowed `when` values and keys.
    if let Some(when) = entry.attr("when") {
        let text = when.scalar_str().unwrap_or_default();
        if !meta.allowed_when.contains(&text.as_ref()) {
            let message = format!("when unknown value: {text}");
            let hint = crate::config::suggest::did_you_mean(&text, meta.allowed_when);
            cx.error("rules-when", entry.loc, &message, when.span)
                .explanation = hint;
        }
    }
    super::unknown_keys(
        cx,
        entry.loc,
        map,
        meta.allowed_keys,
        &[],
        "config-unknown-keys",
    );
    if cx.failed_since(mark) {
        return;
    }
    // Children in rule.rb's declaration order.
    changes_and_exists(cx, entry, true);
    if let Some(node) = entry.attr("variables") {
        let loc = entry.loc.child("variables");
        variables::validate(cx, &Entry::new(node, &loc), &[]);
    }
    if let Some(node) = entry.attr("needs") {
        let loc = entry.loc.child("needs");
        needs::validate(cx, &Entry::new(node, &loc), &needs::RULE_NEEDS);
    }
    if let Some(node) = entry.attr("auto_cancel") {
        let loc = entry.loc.child("auto_cancel");
        auto_cancel::validate(cx, &Entry::new(node, &loc));
    }
}

/// Our explanation beside GitLab's `if invalid expression syntax` (also for `include:rules`).
pub(super) fn explain_if(cx: &mut Cx, mark: usize, entry: &Entry) {
    if !cx.errors[mark..]
        .iter()
        .any(|f| f.code == "rules-if-invalid")
    {
        return;
    }
    let detail = entry
        .attr("if")
        .and_then(Node::as_str)
        .and_then(|s| crate::expr::parse(s).err())
        .map(|e| {
            let stop = if e.message.ends_with(['.', '!', '?']) {
                ""
            } else {
                "."
            };
            format!(" GitLab's expression parser says: {}{stop}", e.message)
        })
        .unwrap_or_default();
    for finding in &mut cx.errors[mark..] {
        if finding.code == "rules-if-invalid" {
            finding.explanation = Some(format!(
                "This `if` is not a valid CI/CD variable expression.{detail} Expressions compare `$VARIABLES` \
                 with \"strings\", null or /regexes/ using ==, !=, =~, !~, joined by && and || with parentheses; \
                 `${{VAR}}` and single-character regexes like /./ are not supported."
            ));
        }
    }
}

/// The `changes` and `exists` children a rule composes (rules/rule.rb and
/// include/rules/rule.rb alike); `simple_exists_limit` is false where GitLab passes
/// `disable_simple_exists_paths_limit` (an include's rules).
pub(super) fn changes_and_exists(cx: &mut Cx, entry: &Entry, simple_exists_limit: bool) {
    if let Some(node) = entry.attr("changes") {
        let loc = entry.loc.child("changes");
        changes::validate(cx, &Entry::new(node, &loc));
    }
    if let Some(node) = entry.attr("exists") {
        let loc = entry.loc.child("exists");
        exists::validate(cx, &Entry::new(node, &loc), simple_exists_limit);
    }
}
