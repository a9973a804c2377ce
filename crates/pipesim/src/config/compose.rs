//! `default:` and the deprecated global keywords, copied into each job that does not set the
//! key itself and inherits it (`inherit:default`), as GitLab's entries do at compose time
//! (lib/gitlab/ci/config/entry/default.rb, processable.rb `overwrite_entry`, inherit/default.rb).

use crate::diagnostic::Finding;
use crate::yaml::{Map, Node, Value};

use super::validate::{runnable_job_kind, JobKind, DEFAULT_KEYS};

/// Top-level keys that still act as defaults (deprecated globals).
const GLOBAL_DEFAULTS: &[&str] = &[
    "image",
    "services",
    "cache",
    "before_script",
    "after_script",
];

/// Copies the defaults into the jobs of a tree of `size` nodes (`Node::size`), refusing when the
/// copies would grow it past `max_nodes` (see [`check_growth`]).
pub fn apply_defaults(root: &Node, size: usize, max_nodes: usize) -> Result<Node, Finding> {
    let Some(map) = root.as_map() else {
        return Ok(root.clone());
    };
    let defaults = defaults_of(map);
    check_growth(map, &defaults, size, max_nodes)?;
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
    Ok(Node::new(Value::Map(out), root.span))
}

/// What [`apply_defaults`] would refuse, without making the copies: its node budget (lint
/// reports the finding and needs no composed tree).
pub fn check_defaults(root: &Node, size: usize, max_nodes: usize) -> Result<(), Finding> {
    match root.as_map() {
        Some(map) => check_growth(map, &defaults_of(map), size, max_nodes),
        None => Ok(()),
    }
}

/// [`apply_defaults`] on a configuration the caller no longer needs: its nodes are moved into
/// the result instead of copied (a large configuration is mostly job nodes).
pub fn into_defaults_applied(root: Node, size: usize, max_nodes: usize) -> Result<Node, Finding> {
    let span = root.span;
    let map = match root.value {
        Value::Map(map) => map,
        value => return Ok(Node::new(value, span)),
    };
    let defaults = defaults_of(&map);
    check_growth(&map, &defaults, size, max_nodes)?;
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
    Ok(Node::new(Value::Map(out), span))
}

/// GitLab does not copy: each job's entry refers to the one `default:` entry. pipesim's tree
/// gets a copy per job, so a large `default:` times many jobs is counted before anything is
/// copied, against the same node budget as the YAML itself.
fn check_growth(
    map: &Map,
    defaults: &[(Node, Node)],
    size: usize,
    max_nodes: usize,
) -> Result<(), Finding> {
    if defaults.is_empty() {
        return Ok(());
    }
    let sizes: Vec<usize> = defaults.iter().map(|(k, v)| k.size() + v.size()).collect();
    let mut total = size;
    for (key, value) in map.iter() {
        let Some(Some(kind)) = entry_kind(key, value) else {
            continue;
        };
        let Some(job) = value.as_map() else { continue };
        for (index, _) in inherited(job, defaults, kind) {
            total = total.saturating_add(sizes[index]);
        }
        if total > max_nodes {
            let jobs = map
                .iter()
                .filter(|(k, v)| matches!(entry_kind(k, v), Some(Some(_))))
                .count();
            let span = map
                .entry("default")
                .or_else(|| GLOBAL_DEFAULTS.iter().find_map(|k| map.entry(k)))
                .map(|(k, _)| k.span);
            return Err(Finding::error(
                "default-too-big",
                format!(
                    "too big to simulate: `default:` copied into {jobs} jobs would grow the configuration past {max_nodes} nodes"
                ),
                span,
            )
            .explain(format!(
                "GitLab shares one `default:` entry among all jobs; pipesim copies it into each job that inherits it, and here the copies ({} nodes per job at most) would make the configuration larger than pipesim's limit of {max_nodes} nodes (the same limit as for the YAML itself). This limit is pipesim's own, not GitLab's. Make `default:` smaller (anchors that expand to large lists count in full) or set `inherit: default: false` where jobs do not need it.",
                sizes.iter().sum::<usize>()
            )));
        }
    }
    Ok(())
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
    Some(runnable_job_kind(&name, value))
}

fn add_defaults(job: &mut Node, defaults: &[(Node, Node)], kind: JobKind) {
    let Some(map) = job.as_map_mut() else {
        return;
    };
    // Decided on the job's own keys, before any default is added.
    let chosen: Vec<(Node, Node)> = inherited(map, defaults, kind)
        .map(|(_, entry)| entry.clone())
        .collect();
    map.entries.extend(chosen);
}

/// The defaults (with their positions in `defaults`) that `job` takes: keys it does not set
/// itself and inherits (`inherit:default`); trigger jobs only take `interruptible`.
fn inherited<'a>(
    job: &'a Map,
    defaults: &'a [(Node, Node)],
    kind: JobKind,
) -> impl Iterator<Item = (usize, &'a (Node, Node))> + 'a {
    let inherit = job.get("inherit").and_then(|i| i.get("default"));
    let inherits = move |key: &str| match inherit.map(|n| &n.value) {
        None => true,
        Some(Value::Bool(b)) => *b,
        Some(Value::Seq(items)) => items.iter().any(|i| i.as_str() == Some(key)),
        _ => true,
    };
    defaults.iter().enumerate().filter(move |(_, (key, _))| {
        let name = key.scalar_str().unwrap_or_default();
        if kind == JobKind::Bridge && name != "interruptible" {
            return false;
        }
        DEFAULT_KEYS.contains(&name.as_ref()) && !job.contains_key(&name) && inherits(&name)
    })
}
