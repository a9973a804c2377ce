//! Mirrors lib/gitlab/ci/config/entry/hooks.rb: `hooks:pre_get_sources_script`.

use super::{commands, config, run, Check, Cx, Entry, Rule, Ty};

pub const ALLOWED_HOOKS: &[&str] = &["pre_get_sources_script"];

const RULES: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(ALLOWED_HOOKS, &[])),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, RULES) {
        return;
    }
    for key in ALLOWED_HOOKS {
        if let Some(node) = entry.attr(key) {
            let loc = entry.loc.child(key);
            commands::validate(cx, &Entry::new(node, &loc));
        }
    }
}
