//! Mirrors lib/gitlab/ci/config/entry/workflow.rb: `workflow:` with `rules`, `name`,
//! `auto_cancel`.

use super::rules::RuleMeta;
use super::{auto_cancel, config, opt, rules, run, Check, Cx, Entry, Rule, Ty};

pub const ALLOWED_KEYS: &[&str] = &["rules", "name", "auto_cancel"];

const RULES: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(ALLOWED_KEYS, &[])),
    opt("name", Check::MaxChars(255)).code("config-too-long"),
];

/// workflow.rb `entry :rules` metadata.
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
        "auto_cancel",
    ],
    allowed_when: &["always", "never"],
};

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, RULES) {
        return;
    }
    if let Some(node) = entry.attr("rules") {
        let loc = entry.loc.child("rules");
        rules::validate(cx, &Entry::new(node, &loc), &RULE_META);
    }
    if let Some(node) = entry.attr("auto_cancel") {
        let loc = entry.loc.child("auto_cancel");
        auto_cancel::validate(cx, &Entry::new(node, &loc));
    }
}
