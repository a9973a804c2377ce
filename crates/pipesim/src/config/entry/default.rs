//! Mirrors lib/gitlab/ci/config/entry/default.rb: the keys `default:` can set.

use super::{
    artifacts, caches, commands, config, hooks, id_tokens, image, retry, run, services, tags,
    timeout, Check, Cx, Entry, Rule, Ty,
};

/// `Entry::Default::ALLOWED_KEYS`.
pub const DEFAULT_KEYS: &[&str] = &[
    "after_script",
    "artifacts",
    "before_script",
    "cache",
    "hooks",
    "id_tokens",
    "image",
    "interruptible",
    "retry",
    "services",
    "tags",
    "timeout",
];

const RULES: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(DEFAULT_KEYS, &[])),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, RULES) {
        return;
    }
    // Children in default.rb's declaration order.
    for key in [
        "before_script",
        "after_script",
        "hooks",
        "cache",
        "image",
        "services",
        "interruptible",
        "timeout",
        "retry",
        "tags",
        "artifacts",
        "id_tokens",
    ] {
        if let Some(node) = entry.attr(key) {
            let loc = entry.loc.child(key);
            shared_child(cx, &Entry::new(node, &loc), key);
        }
    }
}

/// The entries a job and `default:` share (the `inherit: true` ones), by key.
pub fn shared_child(cx: &mut Cx, entry: &Entry, key: &str) {
    match key {
        "before_script" | "script" | "after_script" => commands::validate(cx, entry),
        "hooks" => hooks::validate(cx, entry),
        "cache" => caches::validate(cx, entry),
        "image" => image::validate(cx, entry, image::Kind::Image),
        "services" => services::validate(cx, entry),
        "interruptible" => boolean(cx, entry),
        "timeout" => timeout::validate(cx, entry),
        "retry" => retry::validate(cx, entry),
        "tags" => tags::validate(cx, entry),
        "artifacts" => artifacts::validate(cx, entry),
        "id_tokens" => id_tokens::validate(cx, entry),
        _ => {}
    }
}

/// `Gitlab::Config::Entry::Boolean`.
pub fn boolean(cx: &mut Cx, entry: &Entry) {
    const RULES: &[Rule] = &[config(Check::Boolean)];
    run(cx, entry, RULES);
}
