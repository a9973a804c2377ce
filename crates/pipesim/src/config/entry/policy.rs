//! Mirrors lib/gitlab/ci/config/entry/policy.rb (only_policy.rb, except_policy.rb): `only` /
//! `except` as a list of refs or a hash of `refs`, `variables`, `changes`, `kubernetes`.

use super::{config, opt, run, Check, Cx, Entry, Rule};
use crate::yaml::{Node, Value};

/// `RefsPolicy`.
const REFS: &[Rule] = &[config(Check::ArrayOfStringsOrRegexps)];

/// `ComplexPolicy` (the variables expressions are checked in code, one message per statement).
const COMPLEX: &[Rule] = &[
    config(Check::Presence(None)),
    config(Check::AllowedKeys(
        &["refs", "kubernetes", "variables", "changes"],
        &[],
    )),
];
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
        Value::Map(_) => {
            // All of `ComplexPolicy`'s validations run, in declaration order.
            run(cx, entry, COMPLEX);
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
        // `UnknownStrategy`: anything else, a single ref as a string too (the strategies match
        // `is_a?(Array)` and `is_a?(Hash)` only).
        _ => {
            let message = format!(
                "{} has to be either an array of conditions or a hash",
                entry.loc
            );
            cx.raw_error("config-type", message, entry.node.span);
        }
    }
}
