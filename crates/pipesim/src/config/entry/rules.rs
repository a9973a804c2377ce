//! Mirrors lib/gitlab/ci/config/entry/rules.rb: a list of rules (nested lists flattened), each
//! an `Entry::Rules::Rule` with key `rule`.

use super::{config, flatten_config, rule, run, Check, Cx, Entry, Rule, Ty};

/// What the owner allows in its rules (`metadata: { allowed_keys:, allowed_when: }`).
pub struct RuleMeta {
    pub allowed_keys: &'static [&'static str],
    pub allowed_when: &'static [&'static str],
}

const RULES: &[Rule] = &[
    config(Check::Presence(None)),
    config(Check::Type(Ty::Array, Some("should be an array"))),
];

pub fn validate(cx: &mut Cx, entry: &Entry, meta: &RuleMeta) {
    // `rules: []` is blank; an empty array passes the type check.
    if entry.node.as_seq().is_some_and(<[_]>::is_empty) {
        cx.error(
            "config-blank",
            entry.loc,
            "config can't be blank",
            entry.node.span,
        );
        return;
    }
    if run(cx, entry, &RULES[1..]) {
        return;
    }
    let loc = entry.loc.child("rule");
    for item in flatten_config(entry.node) {
        rule::validate(cx, &Entry::new(item, &loc), meta);
    }
}
