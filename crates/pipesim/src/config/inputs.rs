//! `spec:inputs` and `$[[ inputs.name ]]` interpolation (GitLab `lib/gitlab/ci/config/
//! interpolation/*`, `lib/gitlab/ci/input/*`; docs ci/inputs/_index.md).

use crate::diagnostic::Finding;
use crate::source::Span;
use crate::yaml::{Map, Node, Value};

/// GitLab reports at most the first three interpolation problems, joined by `, `.
const MAX_REPORTED: usize = 3;

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
    let result = substitute(content, &values, &mut problems);
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

fn substitute(node: Node, values: &[(String, Node)], problems: &mut Vec<(String, Span)>) -> Node {
    let span = node.span;
    let value = match node.value {
        Value::Str(s) if s.contains("$[[") => {
            return interpolate_string(&s, span, values, problems)
        }
        Value::Seq(items) => Value::Seq(
            items
                .into_iter()
                .map(|i| substitute(i, values, problems))
                .collect(),
        ),
        Value::Reference(items) => Value::Reference(
            items
                .into_iter()
                .map(|i| substitute(i, values, problems))
                .collect(),
        ),
        Value::Map(map) => Value::Map(Map {
            entries: map
                .entries
                .into_iter()
                .map(|(k, v)| {
                    (
                        substitute(k, values, problems),
                        substitute(v, values, problems),
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
        let inner = rest[start + 3..start + len].trim();
        blocks += 1;
        match evaluate_block(inner, values) {
            Ok(node) => {
                out.push_str(&node.scalar_to_s().unwrap_or_default());
                only_value = Some(node);
            }
            Err(problem) => problems.push((problem, span)),
        }
        rest = &rest[start + len + 2..];
    }
    out.push_str(rest);
    let whole_block =
        blocks == 1 && s.trim_start().starts_with("$[[") && s.trim_end().ends_with("]]");
    match only_value {
        Some(mut node) if whole_block => {
            node.span = span;
            node
        }
        _ => Node::new(Value::Str(out), span),
    }
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
