//! Mirrors lib/gitlab/ci/config/entry/cache.rb with paths.rb: one cache.

use super::{config, key, opt, run, Check, Cx, Entry, Rule, Ty};

pub const ALLOWED_KEYS: &[&str] = &[
    "key",
    "untracked",
    "paths",
    "when",
    "policy",
    "unprotect",
    "fallback_keys",
];

/// `ALLOWED_POLICY = /pull-push|push|pull|\$\w{1,255}*/`, unanchored: any text containing
/// `pull`, `push` or a `$`.
fn policy_matches(text: &str) -> bool {
    text.contains("pull") || text.contains("push") || text.contains('$')
}

fn policy_present(entry: &Entry) -> bool {
    entry.attr("policy").is_some_and(|p| !p.is_blank())
}

const RULES: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(ALLOWED_KEYS, &[])),
    opt("policy", Check::Type(Ty::String, None)).when(policy_present),
    opt(
        "policy",
        Check::Format(
            policy_matches,
            "should be a variable or one of: pull-push, push, pull",
        ),
    )
    .when(policy_present)
    .code("cache-policy"),
    opt("when", Check::Type(Ty::String, None)),
    opt(
        "when",
        Check::Inclusion(
            &["on_success", "on_failure", "always"],
            "should be one of: on_success, on_failure, always",
        ),
    )
    .code("cache-when"),
    opt(
        "fallback_keys",
        Check::MaxItems(5, "has to many entries (maximum %{count})"),
    ),
];

const BOOLEAN: &[Rule] = &[config(Check::Boolean)];
const STRINGS: &[Rule] = &[config(Check::ArrayOfStrings)];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, RULES) {
        return;
    }
    // Children in cache.rb's declaration order.
    if let Some(node) = entry.attr("key") {
        let loc = entry.loc.child("key");
        key::validate(cx, &Entry::new(node, &loc));
    }
    for (name, rules) in [
        ("unprotect", BOOLEAN),
        ("untracked", BOOLEAN),
        ("paths", STRINGS),
        ("fallback_keys", STRINGS),
    ] {
        if let Some(node) = entry.attr(name) {
            let loc = entry.loc.child(name);
            run(cx, &Entry::new(node, &loc), rules);
        }
    }
}
