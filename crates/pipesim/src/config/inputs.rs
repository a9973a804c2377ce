//! `spec:inputs` and `$[[ inputs.name ]]` interpolation (GitLab `lib/gitlab/ci/config/
//! interpolation/*`, `lib/gitlab/ci/input/*`; docs ci/inputs/_index.md).

use crate::diagnostic::Finding;
use crate::source::Span;
use crate::yaml::{Map, Node, Value};

/// GitLab reports at most the first three interpolation problems, joined by `, `.
const MAX_REPORTED: usize = 3;

/// GitLab's limits on interpolation (interpolation/config.rb `MAX_NODES`, `MAX_NODE_SIZE`;
/// template.rb `MAX_BLOCKS`; block.rb `MAX_FUNCTIONS`).
const MAX_VISITED: usize = 500_000;
const MAX_NODE_BYTES: usize = 1024 * 1024;
const MAX_BLOCKS: usize = 10_000;
const MAX_FUNCTIONS: usize = 3;

/// pipesim's own budget on what interpolation builds. GitLab shares an input's value among the
/// places that use it whole; pipesim copies it, so copies are counted (nodes, like the YAML
/// node budget) and so is the text written into strings.
const MAX_OUTPUT_NODES: usize = 2_000_000;
const MAX_OUTPUT_BYTES: usize = 16 * 1024 * 1024;

/// What the walk has seen and built so far.
#[derive(Default)]
struct Budget {
    visited: usize,
    blocks: std::collections::HashSet<String>,
    nodes: usize,
    bytes: usize,
    /// Set once a limit is hit: the walk stops there, as GitLab's `replace!` does.
    stopped: bool,
}

struct Input<'a> {
    name: String,
    spec: Option<&'a Map>,
    span: Span,
}

pub fn interpolate(header: &Node, given: Option<&Node>, content: Node) -> Result<Node, Finding> {
    let specs: Vec<Input> = header
        .get("spec")
        .and_then(|s| s.get("inputs"))
        .and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .map(|(k, v)| Input {
                    name: k.scalar_to_s().unwrap_or_default(),
                    spec: v.as_map(),
                    span: k.span,
                })
                .collect()
        })
        .unwrap_or_default();
    let given_map = given.and_then(Node::as_map);
    let mut errors: Vec<String> = Vec::new();
    let mut first_span = given.map(|g| g.span);

    if let Some(given_map) = given_map {
        for (key, _) in given_map.iter() {
            let name = key.scalar_to_s().unwrap_or_default();
            if !specs.iter().any(|s| s.name == name) {
                errors.push(format!("unknown input name provided: `{name}`"));
                first_span.get_or_insert(key.span);
            }
        }
    }

    let mut values: Vec<(String, Node)> = Vec::new();
    for input in &specs {
        let provided = given_map.and_then(|m| m.get(&input.name));
        let default = input.spec.and_then(|s| s.get("default"));
        let value = match (provided, default) {
            (Some(v), _) => v.clone(),
            (None, Some(d)) => d.clone(),
            (None, None) => {
                errors.push(format!(
                    "`{}` input: required value has not been provided",
                    input.name
                ));
                first_span.get_or_insert(input.span);
                continue;
            }
        };
        if let Some(problem) = check_value(input, &value) {
            errors.push(format!("`{}` input: {problem}", input.name));
            first_span.get_or_insert(value.span);
            continue;
        }
        values.push((input.name.clone(), value));
    }
    if !errors.is_empty() {
        errors.truncate(MAX_REPORTED);
        return Err(Finding::error(
            "inputs-invalid",
            errors.join(", "),
            first_span,
        ));
    }
    let mut problems = Vec::new();
    let mut budget = Budget::default();
    let result = substitute(content, &values, &mut problems, &mut budget);
    if !problems.is_empty() {
        let span = problems[0].1;
        let text: Vec<String> = problems
            .into_iter()
            .take(MAX_REPORTED)
            .map(|p| p.0)
            .collect();
        return Err(Finding::error(
            "inputs-interpolation",
            text.join(", "),
            Some(span),
        ));
    }
    Ok(result)
}

fn check_value(input: &Input, value: &Node) -> Option<String> {
    let kind = input
        .spec
        .and_then(|s| s.get("type"))
        .and_then(Node::as_str)
        .unwrap_or("string");
    let type_ok = match kind {
        "string" => matches!(value.value, Value::Str(_) | Value::Symbol(_)),
        "number" => matches!(value.value, Value::Int(_) | Value::Float(_)),
        "boolean" => matches!(value.value, Value::Bool(_)),
        "array" => matches!(value.value, Value::Seq(_)),
        _ => true,
    };
    if !type_ok {
        return Some(format!("provided value is not a {kind}"));
    }
    if let Some(options) = input
        .spec
        .and_then(|s| s.get("options"))
        .and_then(Node::as_seq)
    {
        if !options.iter().any(|o| o.value == value.value) {
            return Some(format!(
                "`{}` cannot be used because it is not in the list of allowed options",
                value.scalar_to_s().unwrap_or_default()
            ));
        }
    }
    if let Some(pattern) = input
        .spec
        .and_then(|s| s.get("regex"))
        .and_then(Node::as_str)
    {
        let text = value.scalar_to_s().unwrap_or_default();
        let body = pattern
            .strip_prefix('/')
            .and_then(|p| p.strip_suffix('/'))
            .unwrap_or(pattern);
        // Compiled as RE2 (`Gitlab::UntrustedRegexp`), like rules:if patterns.
        match crate::expr::Regex::new(body) {
            Some(re) if re.is_match(&text) => {}
            Some(_) => return Some("provided value does not match required RegEx pattern".into()),
            None => return Some("invalid regular expression".into()),
        }
    }
    None
}

fn substitute(
    node: Node,
    values: &[(String, Node)],
    problems: &mut Vec<(String, Span)>,
    budget: &mut Budget,
) -> Node {
    let span = node.span;
    if budget.stopped {
        return node;
    }
    budget.visited += 1;
    if budget.visited > MAX_VISITED {
        budget.stopped = true;
        problems.push(("config too large".into(), span));
        return node;
    }
    if let Value::Str(s) | Value::Symbol(s) = &node.value {
        if s.len() > MAX_NODE_BYTES {
            budget.stopped = true;
            problems.push(("config node too large".into(), span));
            return node;
        }
    }
    let value = match node.value {
        Value::Str(s) if s.contains("$[[") => {
            return interpolate_string(&s, span, values, problems, budget)
        }
        Value::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|i| substitute(i, values, problems, budget))
                .collect(),
        ),
        Value::Reference(items) => Value::Reference(
            items
                .into_iter()
                .map(|i| substitute(i, values, problems, budget))
                .collect(),
        ),
        Value::Map(map) => Value::Map(Map {
            entries: map
                .entries
                .into_iter()
                .map(|(k, v)| {
                    (
                        substitute(k, values, problems, budget),
                        substitute(v, values, problems, budget),
                    )
                })
                .collect(),
        }),
        other => other,
    };
    Node::new(value, span)
}

/// Replaces each `$[[ inputs.name | fn ]]` block. A string that is exactly one block takes the
/// input's own type (a boolean stays a boolean).
fn interpolate_string(
    s: &str,
    span: Span,
    values: &[(String, Node)],
    problems: &mut Vec<(String, Span)>,
    budget: &mut Budget,
) -> Node {
    let mut out = String::new();
    let mut rest = s;
    let mut blocks = 0;
    let mut only_value = None;
    while let Some(start) = rest.find("$[[") {
        let Some(len) = rest[start..].find("]]") else {
            break;
        };
        out.push_str(&rest[..start]);
        let block = &rest[start..start + len + 2];
        let inner = rest[start + 3..start + len].trim();
        blocks += 1;
        // Blocks are counted by their text: the same block used again is not a new one.
        if !budget.blocks.contains(block) {
            budget.blocks.insert(block.to_owned());
            if budget.blocks.len() > MAX_BLOCKS {
                budget.stopped = true;
                problems.push(("too many interpolation blocks".into(), span));
                return Node::new(Value::Str(s.to_owned()), span);
            }
        }
        match evaluate_block(inner, values) {
            Ok(node) => {
                // Inside a string a value is written with Ruby's `to_s` (an array as
                // `["a", "b"]`).
                out.push_str(&ruby_to_s(&node));
                only_value = Some(node);
            }
            Err(problem) => problems.push((problem, span)),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    let whole_block =
        blocks == 1 && s.trim_start().starts_with("$[[") && s.trim_end().ends_with("]]");
    let node = match only_value {
        Some(mut node) if whole_block => {
            node.span = span;
            node
        }
        _ => Node::new(Value::Str(out), span),
    };
    charge(&node, span, problems, budget);
    node
}

/// Counts what one interpolated string became against pipesim's output budget.
fn charge(node: &Node, span: Span, problems: &mut Vec<(String, Span)>, budget: &mut Budget) {
    budget.nodes = budget.nodes.saturating_add(node.size());
    if let Value::Str(text) = &node.value {
        budget.bytes = budget.bytes.saturating_add(text.len());
    }
    if budget.nodes > MAX_OUTPUT_NODES || budget.bytes > MAX_OUTPUT_BYTES {
        budget.stopped = true;
        problems.push((
            format!(
                "too big to simulate: interpolating inputs builds more than {MAX_OUTPUT_NODES} nodes or {MAX_OUTPUT_BYTES} bytes of text"
            ),
            span,
        ));
    }
}

/// Ruby's `to_s` of an input value: scalars as written, arrays and hashes as `inspect`
/// (Ruby 3.3, GitLab's version: `["a", 1, {:k=>"v"}]`; hash keys are symbols, as GitLab
/// symbolizes the configuration's keys).
fn ruby_to_s(node: &Node) -> String {
    match &node.value {
        Value::Seq(_) | Value::Map(_) => {
            let mut out = String::new();
            ruby_inspect(node, &mut out);
            out
        }
        _ => node.scalar_to_s().unwrap_or_default(),
    }
}

fn ruby_inspect(node: &Node, out: &mut String) {
    match &node.value {
        Value::Null => out.push_str("nil"),
        Value::Str(s) => out.push_str(&crate::ruby::inspect_str(s)),
        Value::Symbol(s) => {
            out.push(':');
            out.push_str(s);
        }
        Value::Seq(items) | Value::Reference(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                ruby_inspect(item, out);
            }
            out.push(']');
        }
        Value::Map(map) => {
            out.push('{');
            for (i, (key, value)) in map.entries.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                match &key.value {
                    Value::Str(s) | Value::Symbol(s) => {
                        out.push(':');
                        if is_plain_symbol(s) {
                            out.push_str(s);
                        } else {
                            out.push_str(&crate::ruby::inspect_str(s));
                        }
                    }
                    _ => ruby_inspect(key, out),
                }
                out.push_str("=>");
                ruby_inspect(value, out);
            }
            out.push('}');
        }
        _ => out.push_str(&node.scalar_to_s().unwrap_or_default()),
    }
}

/// A symbol Ruby prints without quotes (`:name`, `:name?`): an identifier.
fn is_plain_symbol(s: &str) -> bool {
    let mut chars = s.chars();
    let starts = chars
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic() || c == '_' || !c.is_ascii());
    let body = s.trim_end_matches(['?', '!']);
    starts
        && body
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '_' || !c.is_ascii())
}

fn evaluate_block(inner: &str, values: &[(String, Node)]) -> Result<Node, String> {
    let mut parts = inner.split('|').map(str::trim);
    let access = parts.next().unwrap_or_default();
    let Some(name) = access.strip_prefix("inputs.") else {
        return Err(format!("unknown interpolation key: `{access}`"));
    };
    let Some((_, value)) = values.iter().find(|(n, _)| n == name) else {
        return Err(format!("unknown interpolation key: `{name}`"));
    };
    // Checked after the access, as GitLab's block does.
    if inner.split('|').count() - 1 > MAX_FUNCTIONS {
        return Err("too many functions in interpolation block".into());
    }
    let mut value = value.clone();
    for function in parts {
        let text = value.scalar_to_s().unwrap_or_default();
        let result = if function == "expand_vars" {
            // Expands only project-level variables at run time; offline we keep the text.
            text
        } else if function == "posix_escape" {
            posix_escape(&text)
        } else if let Some(args) = function
            .strip_prefix("truncate(")
            .and_then(|a| a.strip_suffix(')'))
        {
            let nums: Vec<usize> = args
                .split(',')
                .filter_map(|n| n.trim().parse().ok())
                .collect();
            match nums.as_slice() {
                [offset, length] => text.chars().skip(*offset).take(*length).collect(),
                _ => return Err(format!("invalid function arguments: `{function}`")),
            }
        } else {
            return Err(format!("no function matching `{function}`: check that the function name, arguments, and types are correct"));
        };
        value = Node::new(Value::Str(result), value.span);
    }
    Ok(value)
}

fn posix_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if !(c.is_ascii_alphanumeric() || "_-.,:/@\n".contains(c)) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}
