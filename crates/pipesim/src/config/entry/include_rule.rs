//! Mirrors lib/gitlab/ci/config/entry/include/rules/rule.rb: one rule of `include:rules`
//! (`if`, `exists`, `when` as `never`/`always`, `changes`).

use super::{config, opt, rule, run, Check, Cx, Entry, Rule, Ty};

const ALLOWED_KEYS: &[&str] = &["if", "exists", "when", "changes"];
const ALLOWED_WHEN: &[&str] = &["never", "always"];

const RULES: &[Rule] = &[
    config(Check::Presence(None)),
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(ALLOWED_KEYS, &[])),
    opt("if", Check::Expression).code("rules-if-invalid"),
    opt("when", Check::AllowedValues(ALLOWED_WHEN)).code("rules-when"),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    let mark = cx.mark();
    let failed = run(cx, entry, RULES);
    rule::explain_if(cx, mark, entry);
    if failed {
        return;
    }
    // Children in rule.rb's declaration order; `exists` with `disable_simple_exists_paths_limit`.
    rule::changes_and_exists(cx, entry, false);
}
