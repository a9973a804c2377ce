//! `extends`: GitLab's `Gitlab::Ci::Config::Extendable` (lib/gitlab/ci/config/extendable.rb and
//! extendable/entry.rb). Runs after includes, before `!reference`.

use crate::diagnostic::Finding;
use crate::yaml::{deep_merge, deep_merge_owned, Map, Node, Value};

/// GitLab's `MAX_NESTING_LEVELS`: an error when more than 10 ancestors are involved.
pub const MAX_NESTING_LEVELS: usize = 10;

/// Extends every top-level hash that has an `extends` key, in file order. GitLab stops at the
/// first problem (an `ExtensionError` becomes the single config error), and so do we.
/// With `lenient` (some include could not be read offline), a base that does not exist is
/// skipped with a warning in `softened` instead of failing: it may live in that include.
///
/// Each job gets a merged copy of its bases, so a big hidden job extended by many jobs
/// multiplies: the configuration may grow to at most `max_nodes` nodes.
pub fn resolve(
    root: &mut Node,
    lenient: bool,
    max_nodes: usize,
    softened: &mut Vec<Finding>,
) -> Result<usize, Finding> {
    let size = root.size();
    let Some(map) = root.as_map() else {
        return Ok(size);
    };
    let index = Index::of(map);
    // Extending rewrites only entries with `extends`, which keep it: the keys to extend are
    // known up front.
    let keys: Vec<String> = map
        .entries
        .iter()
        .map(|(k, _)| k.scalar_str().unwrap_or_default())
        .filter(|k| is_extensible(index.get(root, k)))
        .map(|k| k.into_owned())
        .collect();
    let mut size = size;
    let mut done = std::collections::HashSet::with_capacity(keys.len());
    for key in keys {
        if is_extensible(index.get(root, &key)) {
            let mut ancestors = Vec::new();
            let mut ctx = Context {
                index: &index,
                ancestors: &mut ancestors,
                done: &mut done,
                lenient,
                softened,
                size: &mut size,
                max_nodes,
            };
            extend(root, &key, &mut ctx)?;
        }
    }
    Ok(size)
}

/// Top-level keys by name (`Map::get`'s lookup, string or symbol key, first wins), so each
/// `extends` lookup is O(1) instead of a scan of every job. Extending only replaces values in
/// place, so positions stay valid.
struct Index {
    positions: std::collections::HashMap<String, usize>,
}

impl Index {
    fn of(map: &Map) -> Index {
        let mut positions = std::collections::HashMap::with_capacity(map.len());
        for (i, (key, _)) in map.entries.iter().enumerate() {
            if let Value::Str(name) | Value::Symbol(name) = &key.value {
                positions.entry(name.clone()).or_insert(i);
            }
        }
        Index { positions }
    }

    fn get<'a>(&self, root: &'a Node, name: &str) -> Option<&'a Node> {
        let i = *self.positions.get(name)?;
        root.as_map().map(|m| &m.entries[i].1)
    }

    fn get_mut<'a>(&self, root: &'a mut Node, name: &str) -> Option<&'a mut Node> {
        let i = *self.positions.get(name)?;
        root.as_map_mut().map(|m| &mut m.entries[i].1)
    }
}

struct Context<'a> {
    index: &'a Index,
    ancestors: &'a mut Vec<String>,
    done: &'a mut std::collections::HashSet<String>,
    lenient: bool,
    softened: &'a mut Vec<Finding>,
    /// Nodes in the configuration as extended so far.
    size: &'a mut usize,
    max_nodes: usize,
}

fn is_extensible(value: Option<&Node>) -> bool {
    value
        .and_then(Node::as_map)
        .is_some_and(|m| m.contains_key("extends"))
}

fn extends_keys(value: &Node) -> Vec<String> {
    match value.get("extends").map(|n| &n.value) {
        Some(Value::Seq(items)) => items
            .iter()
            .map(|i| i.scalar_to_s().unwrap_or_default())
            .collect(),
        Some(Value::Null) | None => Vec::new(),
        // Ruby `Array({})` is `[]`; a non-empty hash becomes its `[key, value]` pairs.
        Some(Value::Map(m)) => m
            .iter()
            .map(|(k, v)| {
                format!(
                    "[:{}, {}]",
                    k.scalar_to_s().unwrap_or_default(),
                    v.scalar_to_s().unwrap_or_default()
                )
            })
            .collect(),
        Some(_) => vec![value
            .get("extends")
            .and_then(Node::scalar_to_s)
            .unwrap_or_default()],
    }
}

fn extend(root: &mut Node, key: &str, ctx: &mut Context) -> Result<(), Finding> {
    if ctx.done.contains(key) {
        return Ok(());
    }
    let index = ctx.index;
    let (span, mut bases) = {
        let value = index.get(root, key).expect("key exists");
        let span = value
            .as_map()
            .and_then(|m| m.entry("extends"))
            .map(|(k, _)| k.span)
            .unwrap_or(value.span);
        (span, extends_keys(value))
    };

    let unknown: Vec<&str> = bases
        .iter()
        .filter(|b| index.get(root, b).is_none())
        .map(String::as_str)
        .collect();
    if !unknown.is_empty() && ctx.lenient {
        let missing: Vec<String> = unknown.iter().map(|s| s.to_string()).collect();
        ctx.softened.push(
            Finding::warning(
                "extends-unknown-offline",
                format!("{key}: unknown keys in `extends` ({})", missing.join(", ")),
                Some(span),
            )
            .explain(format!(
                "{} may be defined in an include pipesim could not read offline; the simulation goes on \
                 without it, so keywords it would add are missing. If it is not defined there, GitLab \
                 rejects the configuration with this message.",
                quote_list(&unknown)
            )),
        );
        bases.retain(|b| !missing.contains(b));
    } else if !unknown.is_empty() {
        return Err(Finding::error(
            "extends-unknown",
            format!("{key}: unknown keys in `extends` ({})", unknown.join(", ")),
            Some(span),
        )
        .explain(format!(
            "`extends` names {}, but no job or hidden job (a key starting with `.`) of that name \
             exists in this file or its includes. Names are case-sensitive.",
            quote_list(&unknown)
        )));
    }
    let invalid: Vec<&str> = bases
        .iter()
        .filter(|b| index.get(root, b).and_then(Node::as_map).is_none())
        .map(String::as_str)
        .collect();
    if !invalid.is_empty() {
        return Err(Finding::error(
            "extends-invalid-base",
            format!(
                "{key}: invalid base hashes in `extends` ({})",
                invalid.join(", ")
            ),
            Some(span),
        )
        .explain(
            "A job can only extend another job or hidden job (a hash of keywords), not a list or \
             a single value.",
        ));
    }
    if ctx.ancestors.len() > MAX_NESTING_LEVELS {
        return Err(Finding::error(
            "extends-too-deep",
            format!("{key}: nesting too deep in `extends`"),
            Some(span),
        )
        .explain(
            "GitLab allows at most 11 levels of `extends` (a job, its parent, and 10 more).",
        ));
    }
    if ctx.ancestors.iter().any(|a| a == key) {
        return Err(Finding::error(
            "extends-circular",
            format!("{key}: circular dependency detected in `extends`"),
            Some(span),
        )
        .explain(format!(
            "Following `extends` from `{}` comes back to `{key}`: {} → {key}.",
            ctx.ancestors.first().map(String::as_str).unwrap_or(key),
            ctx.ancestors.join(" → ")
        )));
    }

    ctx.ancestors.push(key.to_owned());
    for base in &bases {
        if is_extensible(index.get(root, base)) {
            extend(root, base, ctx)?;
        }
    }
    ctx.ancestors.pop();
    // Only this call writes `key`'s entry, so it is still as written: it is moved into the
    // result rather than copied (an error below discards the whole configuration).
    let value = std::mem::replace(
        index.get_mut(root, key).expect("key exists"),
        Node::new(Value::Null, span),
    );
    let value_size = value.size();
    let mut merged = Node::new(Value::Map(Map::default()), value.span);
    for base in &bases {
        let base_value = index.get(root, base).expect("checked above");
        deep_merge(&mut merged, base_value);
    }
    let value_span = value.span;
    deep_merge_owned(&mut merged, value);
    merged.span = value_span;
    *ctx.size = (*ctx.size + merged.size()).saturating_sub(value_size);
    if *ctx.size > ctx.max_nodes {
        return Err(
            Finding::error("extends-too-big", crate::yaml::TOO_BIG_MESSAGE, Some(span)).explain(
                format!(
                "Every job that uses `extends` gets its own merged copy of its bases; here the \
                 copies grow the configuration past pipesim's limit of {} nodes. This limit is \
                 pipesim's own (it keeps the browser responsive); GitLab's size limit is checked \
                 before `extends`. Keep what many jobs share small, or put it in `default:`.",
                ctx.max_nodes
            ),
            ),
        );
    }
    if let Some(slot) = index.get_mut(root, key) {
        *slot = merged;
    }
    ctx.done.insert(key.to_owned());
    Ok(())
}

fn quote_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}
