//! Mirrors lib/gitlab/ci/config/entry/environment.rb: `environment:` as a name or a hash; the
//! name follows `Gitlab::Regex.environment_name_regex`.

use super::{config, opt, run, Check, Cx, Entry, Rule, Ty};
use crate::yaml::{Node, Value};

pub const ALLOWED_KEYS: &[&str] = &[
    "name",
    "url",
    "action",
    "on_stop",
    "auto_stop_in",
    "kubernetes",
    "deployment_tier",
];

/// `Gitlab::Regex.environment_name_regex_message`.
pub const NAME_MESSAGE: &str = "can contain only letters, digits, '-', '_', '/', '$', '{', '}', '.', and spaces, but it cannot start or end with '/'";

/// `environment_name_regex`: `a-zA-Z0-9_/${}. -`, not starting or ending with `/`.
pub fn valid_name(name: &str) -> bool {
    let allowed = |c: char| c.is_ascii_alphanumeric() || "_/${}. -".contains(c);
    !name.is_empty() && name.chars().all(allowed) && !name.starts_with('/') && !name.ends_with('/')
}

/// `::Environment.tiers.keys`.
const TIERS: &[&str] = &["production", "staging", "testing", "development", "other"];

const HASH: &[Rule] = &[
    config(Check::AllowedKeys(ALLOWED_KEYS, &[])),
    opt("url", Check::Type(Ty::String, None)),
    opt("url", Check::MaxChars(255)),
    opt("action", Check::Type(Ty::String, None)),
    opt(
        "action",
        Check::Inclusion(
            &["start", "stop", "prepare", "verify", "access"],
            "should be start, stop, prepare, verify, or access",
        ),
    ),
    opt("deployment_tier", Check::Type(Ty::String, None)),
    opt(
        "deployment_tier",
        Check::Inclusion(
            TIERS,
            "must be one of production, staging, testing, development, other",
        ),
    ),
    opt("on_stop", Check::Type(Ty::String, None)),
    opt("kubernetes", Check::Type(Ty::Hash, None)),
    opt(
        "auto_stop_in",
        Check::Duration {
            limit: None,
            never: true,
            variable: true,
        },
    ),
];

/// `Entry::Kubernetes` (kubernetes.rb 437f783): `namespace` and `agent` are required only
/// with `flux_resource_path`, so an empty namespace alone is accepted.
const KUBERNETES: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::Presence(None)),
    config(Check::AllowedKeys(
        &["namespace", "agent", "flux_resource_path"],
        &[],
    )),
    opt("namespace", Check::Type(Ty::String, None)),
    super::attr("namespace", Check::Presence(None)).when(has_flux_resource_path),
    opt("agent", Check::Type(Ty::String, None)),
    super::attr("agent", Check::Presence(None)).when(has_flux_resource_path),
    opt("flux_resource_path", Check::Type(Ty::String, None)),
];

fn has_flux_resource_path(entry: &Entry) -> bool {
    entry
        .attr("flux_resource_path")
        .is_some_and(|n| !n.is_blank())
}

pub fn validate(cx: &mut Cx, entry: &Entry) {
    let name = match &entry.node.value {
        Value::Str(_) => Some(entry.node),
        Value::Map(_) => entry.attr("name"),
        _ => {
            cx.error(
                "config-type",
                entry.loc,
                "config should be a hash or a string",
                entry.node.span,
            );
            return;
        }
    };
    let span = name.map_or(entry.anchor, |n| n.span);
    if name.is_none_or(Node::is_blank) {
        cx.error("environment-name", entry.loc, "name can't be blank", span);
    }
    let text = format!("name {NAME_MESSAGE}");
    if !name.is_some_and(|n| matches!(n.value, Value::Str(_))) {
        cx.error("environment-name", entry.loc, &text, span);
    }
    if !name
        .and_then(Node::scalar_to_s)
        .is_some_and(|n| valid_name(&n))
    {
        cx.error("environment-name", entry.loc, &text, span);
    }
    if entry.node.as_map().is_some() {
        run(cx, entry, HASH);
        // The `kubernetes` entry validates on its own, after the environment's checks.
        if let Some(node) = entry.attr("kubernetes").filter(|n| n.as_map().is_some()) {
            let loc = entry.loc.child("kubernetes");
            run(cx, &Entry::new(node, &loc), KUBERNETES);
        }
    }
}
