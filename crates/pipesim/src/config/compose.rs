//! `default:` and the deprecated global keywords, copied into each job that does not set the
//! key itself and inherits it (`inherit:default`), as GitLab's entries do at compose time
//! (lib/gitlab/ci/config/entry/default.rb, processable.rb `overwrite_entry`, inherit/default.rb).

use crate::yaml::{Map, Node, Value};

use super::validate::{job_kind, JobKind, DEFAULT_KEYS, GLOBAL_KEYS};

/// Top-level keys that still act as defaults (deprecated globals).
const GLOBAL_DEFAULTS: &[&str] = &[
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
];

pub fn apply_defaults(root: &Node) -> Node {
    let Some(map) = root.as_map() else {
        return root.clone();
    };
    let mut defaults: Vec<(Node, Node)> = Vec::new();
    if let Some(default) = map.get("default").and_then(Node::as_map) {
        defaults.extend(default.entries.iter().cloned());
    }
    for key in GLOBAL_DEFAULTS {
        if let Some((k, v)) = map.entry(key) {
            if !defaults.iter().any(|(dk, _)| dk.as_str() == Some(key)) {
                defaults.push((k.clone(), v.clone()));
            }
        }
    }
    let mut out = Map::default();
    for (key, value) in map.iter() {
        let name = key.scalar_to_s().unwrap_or_default();
        if name == "default" || GLOBAL_DEFAULTS.contains(&name.as_str()) {
            continue;
        }
        let job = if GLOBAL_KEYS.contains(&name.as_str()) {
            value.clone()
        } else {
            match job_kind(&name, value) {
                Some(kind @ (JobKind::Job | JobKind::Bridge)) => {
                    with_defaults(value, &defaults, kind)
                }
                _ => value.clone(),
            }
        };
        out.entries.push((key.clone(), job));
    }
    Node::new(Value::Map(out), root.span)
}

fn with_defaults(job: &Node, defaults: &[(Node, Node)], kind: JobKind) -> Node {
    let Some(map) = job.as_map() else {
        return job.clone();
    };
    let inherit = map.get("inherit").and_then(|i| i.get("default"));
    let inherits = |key: &str| match inherit.map(|n| &n.value) {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::Seq(items)) => items.iter().any(|i| i.as_str() == Some(key)),
        _ => true,
    };
    let mut result = map.clone();
    for (key, value) in defaults {
        let name = key.scalar_to_s().unwrap_or_default();
        // Trigger jobs only take `interruptible` from the defaults.
        if kind == JobKind::Bridge && name != "interruptible" {
            continue;
        }
        if DEFAULT_KEYS.contains(&name.as_str()) && !map.contains_key(&name) && inherits(&name) {
            result.entries.push((key.clone(), value.clone()));
        }
    }
    Node::new(Value::Map(result), job.span)
}
