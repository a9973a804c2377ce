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
    let defaults = defaults_of(map);
    let mut out = Map::default();
    for (key, value) in map.iter() {
        let Some(kind) = entry_kind(key, value) else {
            continue;
        };
        let job = match kind {
            Some(kind) => {
                let mut job = value.clone();
                add_defaults(&mut job, &defaults, kind);
                job
            }
            None => value.clone(),
        };
        out.entries.push((key.clone(), job));
    }
    Node::new(Value::Map(out), root.span)
}

/// [`apply_defaults`] on a configuration the caller no longer needs: its nodes are moved into
/// the result instead of copied (a large configuration is mostly job nodes).
pub fn into_defaults_applied(root: Node) -> Node {
    let span = root.span;
    let map = match root.value {
        Value::Map(map) => map,
        value => return Node::new(value, span),
    };
    let defaults = defaults_of(&map);
    let mut out = Map::default();
    for (key, mut value) in map.entries {
        let Some(kind) = entry_kind(&key, &value) else {
            continue;
        };
        if let Some(kind) = kind {
            add_defaults(&mut value, &defaults, kind);
        }
        out.entries.push((key, value));
    }
    Node::new(Value::Map(out), span)
}

/// The defaults jobs inherit: `default:` first, then the deprecated globals it does not set.
fn defaults_of(map: &Map) -> Vec<(Node, Node)> {
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
    defaults
}

/// `None` for a top-level entry the result leaves out (`default:` and the global defaults),
/// `Some(Some(kind))` for a job that takes defaults, `Some(None)` for anything kept as is.
fn entry_kind(key: &Node, value: &Node) -> Option<Option<JobKind>> {
    let name = key.scalar_str().unwrap_or_default();
    if name == "default" || GLOBAL_DEFAULTS.contains(&name.as_ref()) {
        return None;
    }
    if GLOBAL_KEYS.contains(&name.as_ref()) {
        return Some(None);
    }
    Some(match job_kind(&name, value) {
        Some(kind @ (JobKind::Job | JobKind::Bridge)) => Some(kind),
        _ => None,
    })
}

fn add_defaults(job: &mut Node, defaults: &[(Node, Node)], kind: JobKind) {
    let Some(map) = job.as_map_mut() else {
        return;
    };
    let inherit = map.get("inherit").and_then(|i| i.get("default"));
    let inherits = |key: &str| match inherit.map(|n| &n.value) {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::Seq(items)) => items.iter().any(|i| i.as_str() == Some(key)),
        _ => true,
    };
    // Decided on the job's own keys, before any default is added.
    let inherited: Vec<(Node, Node)> = defaults
        .iter()
        .filter(|(key, _)| {
            let name = key.scalar_str().unwrap_or_default();
            // Trigger jobs only take `interruptible` from the defaults.
            if kind == JobKind::Bridge && name != "interruptible" {
                return false;
            }
            DEFAULT_KEYS.contains(&name.as_ref()) && !map.contains_key(&name) && inherits(&name)
        })
        .cloned()
        .collect();
    map.entries.extend(inherited);
}
