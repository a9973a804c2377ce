//! `!reference [job, key, ...]`: GitLab's `Config::Yaml::Tags::Resolver` and `Tags::Reference`
//! (lib/gitlab/ci/config/yaml/tags/*.rb). Runs after includes and `extends`, over the whole
//! configuration; the first problem is the single config error.

use crate::diagnostic::Finding;
use crate::ruby::inspect_str;
use crate::source::Span;
use crate::yaml::{Map, Node, Value};

/// Resolves every `!reference`, building at most `max_nodes` nodes: each tag copies its target,
/// so tags that reference tags multiply (ten lists of ten `!reference`s of the level below make
/// 10^levels nodes from a few lines). Ruby shares the referenced objects, so GitLab has no such
/// limit here; pipesim stops with the message of GitLab's size limit instead of hanging.
pub fn resolve(root: &Node, max_nodes: usize) -> Result<Node, Finding> {
    if !has_references(root) {
        return Ok(root.clone());
    }
    let mut walk = Walk {
        chain: Vec::new(),
        budget: max_nodes,
        max_nodes,
    };
    resolve_tree(root, root, &mut walk)
}

/// Whether any `!reference` is left in the tree (most configurations have none).
pub fn has_references(node: &Node) -> bool {
    match &node.value {
        Value::Reference(_) => true,
        Value::Seq(items) => items.iter().any(has_references),
        Value::Map(map) => map.entries.iter().any(|(_, v)| has_references(v)),
        _ => false,
    }
}

struct Walk {
    /// The tags being resolved, innermost last (a tag met again is a cycle).
    chain: Vec<Span>,
    /// Nodes this resolution may still build.
    budget: usize,
    max_nodes: usize,
}

impl Walk {
    fn charge(&mut self, span: Span) -> Result<(), Finding> {
        match self.budget.checked_sub(1) {
            Some(left) => {
                self.budget = left;
                Ok(())
            }
            None => Err(Finding::error(
                "reference-too-big",
                crate::yaml::TOO_BIG_MESSAGE,
                Some(span),
            )
            .explain(format!(
                "Resolving `!reference` tags copies what they point to; here the copies exceed \
                 pipesim's limit of {} nodes (tags that reference lists of tags multiply at every \
                 level). GitLab shares the referenced values instead of copying them, so this \
                 limit is pipesim's own: reference fewer levels, or list the values once.",
                self.max_nodes
            ))),
        }
    }
}

fn resolve_tree(node: &Node, root: &Node, walk: &mut Walk) -> Result<Node, Finding> {
    walk.charge(node.span)?;
    let value = match &node.value {
        Value::Seq(items) => Value::Seq(
            items
                .iter()
                .map(|i| resolve_tree(i, root, walk))
                .collect::<Result<_, _>>()?,
        ),
        Value::Map(map) => {
            let mut out = Map::default();
            out.entries.reserve(map.entries.len());
            for (k, v) in &map.entries {
                walk.charge(k.span)?;
                out.entries.push((k.clone(), resolve_tree(v, root, walk)?));
            }
            Value::Map(out)
        }
        Value::Reference(items) => return resolve_reference(node, items, root, walk),
        other => other.clone(),
    };
    Ok(Node::new(value, node.span))
}

fn resolve_reference(
    node: &Node,
    items: &[Node],
    root: &Node,
    walk: &mut Walk,
) -> Result<Node, Finding> {
    let names: Option<Vec<&str>> = items.iter().map(Node::as_str).collect();
    let names = match names {
        Some(names) if !names.is_empty() => names,
        _ => {
            return Err(Finding::error(
                "reference-invalid",
                format!("!reference {} is not valid", inspect_seq(items)),
                Some(node.span),
            )
            .explain(
                "`!reference` takes a non-empty list of names: the job (or hidden job or \
                 top-level key) first, then the keys to walk into, e.g. `!reference [.setup, script]`.",
            ))
        }
    };
    let shown = inspect_names(&names);
    if walk.chain.contains(&node.span) {
        return Err(Finding::error(
            "reference-circular",
            format!("!reference {shown} is part of a circular chain"),
            Some(node.span),
        )
        .explain(
            "Following these `!reference` tags leads back to this one, so GitLab cannot compute \
             a value. Break the loop by writing the value out in one of the places.",
        ));
    }
    let mut target = Some(root);
    for name in &names {
        target = target.and_then(|t| t.get(name));
    }
    let target = match target {
        Some(t) if !matches!(t.value, Value::Null | Value::Bool(false)) => t,
        _ => {
            return Err(Finding::error(
                "reference-not-found",
                format!("!reference {shown} could not be found"),
                Some(node.span),
            )
            .explain(format!(
                "There is no `{}` in the merged configuration (after includes and `extends`). \
                 Check the spelling of each name and that the file defining it is included.",
                names.join(".")
            )))
        }
    };
    walk.chain.push(node.span);
    let resolved = resolve_tree(target, root, walk);
    walk.chain.pop();
    resolved
}

/// Ruby `Array#inspect` of the tag's items: `["job", "script"]`.
fn inspect_names(names: &[&str]) -> String {
    let parts: Vec<String> = names.iter().map(|n| inspect_str(n)).collect();
    format!("[{}]", parts.join(", "))
}

fn inspect_seq(items: &[Node]) -> String {
    let parts: Vec<String> = items.iter().map(inspect_node).collect();
    format!("[{}]", parts.join(", "))
}

fn inspect_node(node: &Node) -> String {
    match &node.value {
        Value::Str(s) => inspect_str(s),
        Value::Symbol(s) => format!(":{s}"),
        Value::Null => "nil".into(),
        Value::Seq(items) | Value::Reference(items) => inspect_seq(items),
        Value::Map(_) => "{...}".into(),
        _ => node.scalar_to_s().unwrap_or_default(),
    }
}
