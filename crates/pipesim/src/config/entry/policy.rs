//! Mirrors lib/gitlab/ci/config/entry/policy.rb (only_policy.rb, except_policy.rb): `only` /
//! `except` as a list of refs or a hash of `refs`, `variables`, `changes`, `kubernetes`.

use super::{config, opt, run, Check, Cx, Entry, Rule};
use crate::yaml::{Node, Value};

/// `RefsPolicy`.
const REFS: &[Rule] = &[config(Check::ArrayOfStringsOrRegexps)];

/// `ComplexPolicy` (the variables expressions are checked in code, one message per statement).
const COMPLEX: &[Rule] = &[config(Check::AllowedKeys(
    &["refs", "kubernetes", "variables", "changes"],
    &[],
))];
const COMPLEX_ATTRIBUTES: &[Rule] = &[
    opt("refs", Check::ArrayOfStringsOrRegexps),
    opt("kubernetes", Check::AllowedValues(&["active"])),
    opt("variables", Check::ArrayOfStrings),
    opt("changes", Check::ArrayOfStrings),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    match &entry.node.value {
        Value::Seq(_) => {
            run(cx, entry, REFS);
        }
        // A string is one ref (`Array(config)` in `Entry::Policy`'s strategies).
        Value::Str(s) => {
            if super::looks_like_regexp(s) && !cx.valid_regexp(s) {
                cx.error(
                    "config-type",
                    entry.loc,
                    "config should be an array of strings or regular expressions using re2 syntax",
                    entry.node.span,
                );
            }
        }
        Value::Map(_) => {
            if run(cx, entry, COMPLEX) {
                return;
            }
            if let Some(vars) = entry.attr("variables").and_then(Node::as_seq) {
                for statement in vars {
                    let valid = statement
                        .as_str()
                        .is_some_and(|s| crate::expr::parse(s).is_ok());
                    if !valid {
                        cx.error(
                            "policy-variables-invalid",
                            entry.loc,
                            "variables invalid expression syntax",
                            entry.attr("variables").map_or(entry.node.span, |v| v.span),
                        );
                    }
                }
            }
            run(cx, entry, COMPLEX_ATTRIBUTES);
        }
        _ => {
            let message = format!(
                "{} has to be either an array of conditions or a hash",
                entry.loc
            );
            cx.raw_error("config-type", message, entry.node.span);
        }
    }
}
