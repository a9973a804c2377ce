//! `spec:inputs` and `$[[ inputs.name ]]` interpolation (GitLab `lib/gitlab/ci/config/
//! interpolation/*`, `lib/gitlab/ci/input/*`; docs ci/inputs/_index.md).

use crate::diagnostic::Finding;
use crate::source::Span;
use crate::yaml::{Map, Node, Value};

/// GitLab reports at most the first three interpolation problems, joined by `, `.
const MAX_REPORTED: usize = 3;

/// GitLab's limits on interpolation (interpolation/config.rb `MAX_NODES`, `MAX_NODE_SIZE`;
/// template.rb `MAX_BLOCKS`; `MAX_FUNCTIONS` is beside the block evaluation below).
const MAX_VISITED: usize = 500_000;
const MAX_NODE_BYTES: usize = 1024 * 1024;
const MAX_BLOCKS: usize = 10_000;

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
    /// The input's specification; `None` for the minimal `name:` (nil) form.
    spec: Option<&'a Node>,
    span: Span,
}

/// The input types of `Interpolation::Inputs::TYPES`, in their matching order.
#[derive(Clone, Copy, PartialEq, Eq)]
enum InputType {
    Array,
    Boolean,
    Number,
    String,
}

const VALID_TYPE_NAMES: &str = "array, boolean, number, string";

impl InputType {
    /// `BaseInput.matches?` and `StringInput.matches?` (a nil spec or a hash without `type`
    /// is a string input).
    fn of(spec: Option<&Node>) -> Option<InputType> {
        let Some(spec) = spec.filter(|s| !matches!(s.value, Value::Null)) else {
            return Some(InputType::String);
        };
        let map = spec.as_map()?;
        let Some(kind) = map.get("type") else {
            return Some(InputType::String);
        };
        match kind.as_str()? {
            "array" => Some(InputType::Array),
            "boolean" => Some(InputType::Boolean),
            "number" => Some(InputType::Number),
            "string" => Some(InputType::String),
            _ => None,
        }
    }

    fn accepts(self, value: &Node) -> bool {
        match self {
            InputType::Array => matches!(value.value, Value::Seq(_)),
            InputType::Boolean => matches!(value.value, Value::Bool(_)),
            InputType::Number => matches!(value.value, Value::Int(_) | Value::Float(_)),
            InputType::String => matches!(value.value, Value::Str(_)),
        }
    }

    fn article_name(self) -> &'static str {
        match self {
            InputType::Array => "an array",
            InputType::Boolean => "a boolean",
            InputType::Number => "a number",
            InputType::String => "a string",
        }
    }
}

pub fn interpolate(header: &Node, given: Option<&Node>, content: Node) -> Result<Node, Finding> {
    // `Interpolator#interpolate!`: the header's entry errors come before the inputs'.
    let header_errors = validate_header(header);
    if let Some((_, span)) = header_errors.first() {
        let span = *span;
        let text: Vec<String> = header_errors
            .into_iter()
            .take(MAX_REPORTED)
            .map(|e| e.0)
            .collect();
        return Err(Finding::error(
            "header-invalid",
            text.join(", "),
            Some(span),
        ));
    }
    let specs: Vec<Input> = header
        .get("spec")
        .and_then(|s| s.get("inputs"))
        .and_then(Node::as_map)
        .map(|m| {
            m.iter()
                .map(|(k, v)| Input {
                    name: k.scalar_to_s().unwrap_or_default(),
                    spec: Some(v),
                    span: k.span,
                })
                .collect()
        })
        .unwrap_or_default();
    let given_map = given.and_then(Node::as_map);
    let mut errors: Vec<String> = Vec::new();
    let mut first_span = given.map(|g| g.span);

    // `Inputs#validate!`: every argument must be specified, reported in one message.
    if let Some(given_map) = given_map {
        let unknown: Vec<(String, Span)> = given_map
            .iter()
            .map(|(key, _)| (key.scalar_to_s().unwrap_or_default(), key.span))
            .filter(|(name, _)| !specs.iter().any(|s| &s.name == name))
            .collect();
        if let Some((_, span)) = unknown.first() {
            let names: Vec<&str> = unknown.iter().map(|(n, _)| n.as_str()).collect();
            errors.push(format!("unknown input arguments: {}", names.join(", ")));
            first_span.get_or_insert(*span);
        }
    }

    // `Inputs#fabricate!`: unknown specifications first, then each input's own errors.
    let mut input_errors: Vec<(String, Span)> = Vec::new();
    let mut values: Vec<(String, Node)> = Vec::new();
    for input in &specs {
        let Some(kind) = InputType::of(input.spec) else {
            errors.push(format!(
                "unknown input specification for `{}` (valid types: {VALID_TYPE_NAMES})",
                input.name
            ));
            first_span.get_or_insert(input.span);
            continue;
        };
        let provided = given_map.and_then(|m| m.get(&input.name));
        match validate_input(input, kind, provided) {
            Ok(value) => values.push((input.name.clone(), value)),
            Err(found) => input_errors.extend(found),
        }
    }
    for (message, span) in input_errors {
        errors.push(message);
        first_span.get_or_insert(span);
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

/// `Header::Root` (header/root.rb): a hash with `spec` only.
const HEADER_KEYS: &[&str] = &["spec"];
/// `Header::Spec` keys: the stored spec.rb (78782cd) has `inputs` only; `component`
/// (header/component.rb) and `include` (header/include.rb) are its newer entries.
const HEADER_SPEC_KEYS: &[&str] = &["inputs", "component", "include"];
/// `Header::Input::ALLOWED_KEYS` (header/input.rb 68ce709), with the newer `rules`
/// (input rules, behind a feature flag) accepted.
const HEADER_INPUT_KEYS: &[&str] = &[
    "default",
    "description",
    "options",
    "regex",
    "type",
    "rules",
];
/// `Header::Input::ALLOWED_OPTIONS_LIMIT`.
const HEADER_OPTIONS_LIMIT: usize = 50;
/// `Header::Component::ALLOWED_VALUES`.
const HEADER_COMPONENT_VALUES: &[&str] = &["name", "sha", "version", "reference"];

fn unknown_keys(map: &Map, allowed: &[&str]) -> Option<(String, Span)> {
    let unknown: Vec<(String, Span)> = map
        .iter()
        .map(|(k, _)| (k.scalar_to_s().unwrap_or_default(), k.span))
        .filter(|(k, _)| !allowed.contains(&k.as_str()))
        .collect();
    let span = unknown.first()?.1;
    let names: Vec<&str> = unknown.iter().map(|(k, _)| k.as_str()).collect();
    Some((format!("contains unknown keys: {}", names.join(", ")), span))
}

/// The header's entry tree: `Header::Root` > `Spec` > `inputs` (`ComposableHash` of
/// `Header::Input`) and `component` (`Header::Component`), each error prefixed with its
/// location (`header:spec:inputs:foo config ...`). Input `type` values are left to
/// `Interpolation::Inputs` (`unknown input specification`).
fn validate_header(header: &Node) -> Vec<(String, Span)> {
    let mut errors = Vec::new();
    let Some(root) = header.as_map() else {
        errors.push(("header config should be a hash".to_owned(), header.span));
        return errors;
    };
    if let Some((text, span)) = unknown_keys(root, HEADER_KEYS) {
        errors.push((format!("header config {text}"), span));
    }
    let Some(spec) = root.get("spec").filter(|s| !matches!(s.value, Value::Null)) else {
        return errors;
    };
    let Some(spec_map) = spec.as_map() else {
        errors.push(("header:spec config should be a hash".to_owned(), spec.span));
        return errors;
    };
    if let Some((text, span)) = unknown_keys(spec_map, HEADER_SPEC_KEYS) {
        errors.push((format!("header:spec config {text}"), span));
    }
    if let Some(inputs) = spec_map
        .get("inputs")
        .filter(|s| !matches!(s.value, Value::Null))
    {
        match inputs.as_map() {
            None => errors.push((
                "header:spec:inputs config should be a hash".to_owned(),
                inputs.span,
            )),
            Some(inputs) => {
                for (key, input) in inputs.iter() {
                    validate_header_input(key, input, &mut errors);
                }
            }
        }
    }
    if let Some(component) = spec_map
        .get("component")
        .filter(|s| !matches!(s.value, Value::Null))
    {
        let loc = "header:spec:component config";
        match component.as_seq() {
            None => {
                errors.push((format!("{loc} should be a array"), component.span));
                errors.push((
                    format!("{loc} should be an array of strings"),
                    component.span,
                ));
            }
            Some(items) if !items.iter().all(|i| matches!(i.value, Value::Str(_))) => {
                errors.push((
                    format!("{loc} should be an array of strings"),
                    component.span,
                ));
            }
            Some(items) => {
                let unknown: Vec<String> = items
                    .iter()
                    .filter_map(Node::scalar_to_s)
                    .filter(|v| !HEADER_COMPONENT_VALUES.contains(&v.as_str()))
                    .collect();
                if !unknown.is_empty() {
                    errors.push((
                        format!("{loc} contains unknown values: {}", unknown.join(", ")),
                        component.span,
                    ));
                }
            }
        }
    }
    errors
}

/// `Header::Input`: a minimal `name:` (nil) is an unspecified entry and valid.
fn validate_header_input(key: &Node, input: &Node, errors: &mut Vec<(String, Span)>) {
    let name = key.scalar_to_s().unwrap_or_default();
    let loc = format!("header:spec:inputs:{name}");
    if matches!(input.value, Value::Null) {
        return;
    }
    let Some(map) = input.as_map() else {
        errors.push((format!("{loc} config should be a hash"), input.span));
        return;
    };
    if let Some((text, span)) = unknown_keys(map, HEADER_INPUT_KEYS) {
        errors.push((format!("{loc} config {text}"), span));
    }
    let alphanumeric =
        |n: &Node| matches!(n.value, Value::Str(_) | Value::Symbol(_) | Value::Int(_));
    if let Some(description) = map
        .get("description")
        .filter(|n| !matches!(n.value, Value::Null))
    {
        if !alphanumeric(description) {
            errors.push((
                format!("{loc} input description must be an alphanumeric string"),
                description.span,
            ));
        }
    }
    if let Some(regex) = map.get("regex").filter(|n| !matches!(n.value, Value::Null)) {
        if !matches!(regex.value, Value::Str(_)) {
            errors.push((format!("{loc} input regex should be a string"), regex.span));
        }
    }
    if let Some(options) = map
        .get("options")
        .filter(|n| !matches!(n.value, Value::Null))
    {
        match options.as_seq() {
            None => errors.push((
                format!("{loc} input options should be a array"),
                options.span,
            )),
            Some(items) if items.len() > HEADER_OPTIONS_LIMIT => errors.push((
                format!("{loc} config cannot define more than {HEADER_OPTIONS_LIMIT} options"),
                options.span,
            )),
            Some(_) => {}
        }
    }
}

/// `BaseInput#validate!`: a required input needs a value; otherwise the default is validated
/// (as `default`), then the provided value (as `provided`). The result is the actual value.
fn validate_input(
    input: &Input,
    kind: InputType,
    provided: Option<&Node>,
) -> Result<Node, Vec<(String, Span)>> {
    let spec = input.spec.and_then(Node::as_map);
    let default = spec.and_then(|s| s.get("default"));
    let provided = provided.filter(|v| !matches!(v.value, Value::Null));
    let error = |message: String| format!("`{}` input: {message}", input.name);
    if default.is_none() && provided.is_none() {
        return Err(vec![(
            error("required value has not been provided".to_owned()),
            input.span,
        )]);
    }
    let mut found = Vec::new();
    if let Some(default) = default {
        for problem in run_validations(spec, kind, default, "default") {
            found.push((error(problem), default.span));
        }
    }
    if let Some(value) = provided {
        for problem in run_validations(spec, kind, value, "provided") {
            found.push((error(problem), value.span));
        }
    }
    if !found.is_empty() {
        return Err(found);
    }
    // `actual_value`: the provided value, else the default (a nil default stays nil).
    Ok(provided
        .or(default)
        .cloned()
        .unwrap_or_else(|| Node::new(Value::Null, input.span)))
}

/// What `BaseInput#run_validations` finds wrong with an input's `default` (a job's `inputs:`
/// entry): `None` when the spec names no known type (the entry reports that itself).
pub fn default_problems(spec: &Node, default: &Node) -> Option<Vec<String>> {
    let kind = InputType::of(Some(spec))?;
    Some(run_validations(spec.as_map(), kind, default, "default"))
}

/// `BaseInput#run_validations`: type, options, regex, each per input type.
fn run_validations(spec: Option<&Map>, kind: InputType, value: &Node, which: &str) -> Vec<String> {
    let mut problems = Vec::new();
    if !kind.accepts(value) {
        problems.push(format!("{which} value is not {}", kind.article_name()));
    }
    let options = spec.and_then(|s| s.get("options"));
    match (kind, options) {
        (_, None) => {}
        (InputType::String | InputType::Number, Some(options)) => {
            // `options.include?(value)`; a nil value is not checked.
            let listed = options
                .as_seq()
                .is_some_and(|o| o.iter().any(|o| o.value == value.value));
            if !listed && !matches!(value.value, Value::Null) {
                let list = if kind == InputType::Number {
                    "the list of the allowed options"
                } else {
                    "the list of allowed options"
                };
                problems.push(format!(
                    "`{}` cannot be used because it is not in {list}",
                    value.scalar_to_s().unwrap_or_default()
                ));
            }
        }
        (_, Some(_)) => {
            problems.push("Options can only be used with string and number inputs".to_owned())
        }
    }
    if let Some(pattern) = spec.and_then(|s| s.get("regex")) {
        match (kind, &value.value) {
            (InputType::String, Value::Str(text)) => {
                // `Gitlab::UntrustedRegexp.new(spec[:regex])`: the pattern as written, RE2.
                match pattern.as_str().and_then(crate::expr::Regex::new) {
                    Some(re) if re.is_match(text) => {}
                    Some(_) => problems.push(format!(
                        "{which} value does not match required RegEx pattern"
                    )),
                    None => problems.push("invalid regular expression".to_owned()),
                }
            }
            (InputType::String, _) => {}
            _ => problems.push("RegEx validation can only be used with string inputs".to_owned()),
        }
    }
    problems
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

/// `Interpolation::Block#evaluate!` (block.rb): `<access> | <function> | ...`; the access is
/// checked first, then the function count, then the functions stack.
fn evaluate_block(inner: &str, values: &[(String, Node)]) -> Result<Node, String> {
    // Ruby's `String#split('|')` drops trailing empty fields.
    let mut parts: Vec<&str> = inner.split('|').map(str::trim).collect();
    while parts.len() > 1 && parts.last().is_some_and(|p| p.is_empty()) {
        parts.pop();
    }
    let access = parts.first().copied().unwrap_or_default();
    let functions = &parts[1..];
    let value = evaluate_access(access, values)?;
    if functions.len() > MAX_FUNCTIONS {
        return Err("too many functions in interpolation block".to_owned());
    }
    let stack = build_functions_stack(functions)?;
    stack
        .into_iter()
        .try_fold(value, |value, function| function.execute(value))
}

/// `Interpolation::Block::MAX_FUNCTIONS`.
const MAX_FUNCTIONS: usize = 3;
/// `Interpolation::Access` limits.
const MAX_ACCESS_OBJECTS: usize = 5;
const MAX_ACCESS_BYTESIZE: usize = 1024;
const MAX_ACCESS_ARRAY_DEPTH: usize = 5;

/// Where an access path stands: the context root (`inputs` is its only key here) or a value.
enum Cursor<'a> {
    Root,
    Inputs,
    Value(&'a Node),
}

/// `Interpolation::Access` (access.rb, the newest stored version with array indices): the path
/// is split on `.` into at most five objects, each a key or `key[i][j]...`.
fn evaluate_access(content: &str, values: &[(String, Node)]) -> Result<Node, String> {
    let objects: Vec<&str> = content.splitn(MAX_ACCESS_OBJECTS, '.').collect();
    if objects.len() <= 1 {
        return Err(
            "invalid pattern used for interpolation. valid pattern is $[[ inputs.input ]]"
                .to_owned(),
        );
    }
    if content.len() > MAX_ACCESS_BYTESIZE {
        return Err("maximum interpolation expression size exceeded".to_owned());
    }
    let mut cursor = Cursor::Root;
    for segment in objects {
        cursor = if segment.contains('[') {
            indexed_segment(cursor, segment, content, values)?
        } else {
            key_segment(cursor, segment, content, values)?
        };
    }
    match cursor {
        Cursor::Value(node) => Ok(node.clone()),
        // `inputs` itself: a hash of every input.
        Cursor::Inputs => Ok(Node::new(
            Value::Map(Map {
                entries: values
                    .iter()
                    .map(|(k, v)| (Node::new(Value::Str(k.clone()), v.span), v.clone()))
                    .collect(),
            }),
            Span::default(),
        )),
        Cursor::Root => Err(format!("unknown interpolation provided: `` in `{content}`")),
    }
}

fn key_segment<'a>(
    cursor: Cursor<'a>,
    key: &str,
    content: &str,
    values: &'a [(String, Node)],
) -> Result<Cursor<'a>, String> {
    let found = match cursor {
        Cursor::Root => (key == "inputs").then_some(Cursor::Inputs),
        Cursor::Inputs => values
            .iter()
            .find(|(n, _)| n == key)
            .map(|(_, v)| Cursor::Value(v)),
        Cursor::Value(node) => node.as_map().and_then(|m| m.get(key)).map(Cursor::Value),
    };
    found.ok_or_else(|| format!("unknown interpolation provided: `{key}` in `{content}`"))
}

fn indexed_segment<'a>(
    cursor: Cursor<'a>,
    segment: &str,
    content: &str,
    values: &'a [(String, Node)],
) -> Result<Cursor<'a>, String> {
    let (base, indices) = parse_indexed_segment(segment, content)?;
    let mut current = key_segment(cursor, base, content, values)?;
    for index in indices {
        let items = match &current {
            Cursor::Value(node) => node.as_seq(),
            _ => None,
        };
        let Some(items) = items else {
            return Err(format!(
                "cannot index into non-array value at [{index}] in `{content}`"
            ));
        };
        let Some(item) = usize::try_from(index).ok().and_then(|i| items.get(i)) else {
            return Err(format!(
                "array index {index} out of bounds (size: {}) in `{content}`",
                items.len()
            ));
        };
        current = Cursor::Value(item);
    }
    Ok(current)
}

/// `Access#parse_indexed_segment`: `\A(\w*)(\[\d+\])+\z`, else the first reason it is not.
fn parse_indexed_segment<'s>(
    segment: &'s str,
    content: &str,
) -> Result<(&'s str, Vec<u128>), String> {
    let is_word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let base_len = segment.find(|c: char| !is_word(c)).unwrap_or(segment.len());
    let (base, mut rest) = segment.split_at(base_len);
    let mut indices = Vec::new();
    let mut well_formed = !rest.is_empty();
    while !rest.is_empty() {
        let Some(inner) = rest.strip_prefix('[') else {
            well_formed = false;
            break;
        };
        let digits = inner
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(inner.len());
        if digits == 0 || !inner[digits..].starts_with(']') {
            well_formed = false;
            break;
        }
        // An index too large for u128 is out of bounds of any array all the same.
        indices.push(inner[..digits].parse().unwrap_or(u128::MAX));
        rest = &inner[digits + 1..];
    }
    if well_formed {
        if base.is_empty() {
            return Err(format!(
                "invalid indexed access without a key in `{content}`"
            ));
        }
        if indices.len() > MAX_ACCESS_ARRAY_DEPTH {
            return Err(format!(
                "too many array indices in `{content}` (maximum depth: {MAX_ACCESS_ARRAY_DEPTH})"
            ));
        }
        return Ok((base, indices));
    }
    if segment.matches('[').count() != segment.matches(']').count() {
        return Err(format!(
            "invalid array index in `{content}`: missing closing bracket"
        ));
    }
    // `\[([^\]]*)\]` scanned left to right; the first content that is not all digits.
    let mut scan = segment;
    while let Some(open) = scan.find('[') {
        let after = &scan[open + 1..];
        let Some(close) = after.find(']') else { break };
        let inside = &after[..close];
        if inside.is_empty() || !inside.chars().all(|c| c.is_ascii_digit()) {
            return Err(format!(
                "invalid array index in `{content}`: `{inside}` is not a valid index"
            ));
        }
        scan = &after[close + 1..];
    }
    Err(format!("invalid array index syntax in `{content}`"))
}

/// The functions of `Interpolation::FunctionsStack` (functions/*.rb), matched by their
/// `function_expression_pattern`.
enum Function {
    Truncate(usize, usize),
    ExpandVars,
    PosixEscape,
    PosixQuote,
    Split(String),
}

/// `FunctionsStack#build_stack`: every expression must match a function, before any runs.
fn build_functions_stack(expressions: &[&str]) -> Result<Vec<Function>, String> {
    let mut stack = Vec::new();
    let mut errors = Vec::new();
    for expression in expressions {
        match match_function(expression) {
            Some(f) => stack.push(f),
            None => errors.push(format!(
                "no function matching `{expression}`: check that the function name, arguments, and types are correct"
            )),
        }
    }
    if errors.is_empty() {
        Ok(stack)
    } else {
        Err(errors.join(", "))
    }
}

fn match_function(expression: &str) -> Option<Function> {
    match expression {
        "expand_vars" => return Some(Function::ExpandVars),
        "posix_escape" => return Some(Function::PosixEscape),
        "posix_quote" => return Some(Function::PosixQuote),
        _ => {}
    }
    if let Some(sep) = expression
        .strip_prefix("split('")
        .and_then(|r| r.strip_suffix("')"))
        .filter(|sep| !sep.contains('\''))
    {
        return Some(Function::Split(sep.to_owned()));
    }
    // `^truncate\(\s*(\d+)\s*,\s*(\d+)\s*\)?$` (the closing parenthesis is optional).
    let args = expression.strip_prefix("truncate(")?;
    let args = args.strip_suffix(')').unwrap_or(args);
    let (offset, length) = args.split_once(',')?;
    let number = |t: &str| {
        let t = t.trim();
        (!t.is_empty() && t.chars().all(|c| c.is_ascii_digit()))
            .then(|| t.parse().unwrap_or(usize::MAX))
    };
    Some(Function::Truncate(number(offset)?, number(length)?))
}

impl Function {
    fn name(&self) -> &'static str {
        match self {
            Function::Truncate(..) => "truncate",
            Function::ExpandVars => "expand_vars",
            Function::PosixEscape => "posix_escape",
            Function::PosixQuote => "posix_quote",
            Function::Split(_) => "split",
        }
    }

    /// `Functions::Base#error` words each failure `error in `NAME` function: ...`.
    fn execute(&self, value: Node) -> Result<Node, String> {
        let name = self.name();
        let Value::Str(text) = &value.value else {
            return Err(format!(
                "error in `{name}` function: invalid input type: {name} can only be used with string inputs"
            ));
        };
        let span = value.span;
        let result = match self {
            Function::Truncate(offset, length) => {
                text.chars().skip(*offset).take(*length).collect()
            }
            // Expands only project-level variables at run time; offline the text stays.
            Function::ExpandVars => text.clone(),
            Function::PosixEscape => posix_escape(text),
            Function::PosixQuote => shell_escape(text),
            Function::Split(sep) => {
                if sep.is_empty() {
                    return Err(format!(
                        "error in `{name}` function: invalid argument: separator cannot be empty"
                    ));
                }
                let items = text
                    .split(sep.as_str())
                    .map(str::trim)
                    .filter(|s| !s.is_empty())
                    .map(|s| Node::new(Value::Str(s.to_owned()), span))
                    .collect();
                return Ok(Node::new(Value::Seq(items), span));
            }
        };
        Ok(Node::new(Value::Str(result), span))
    }
}

/// Ruby's `Shellwords.shellescape` (posix_quote.rb): `''` for an empty text, else a backslash
/// before every character outside `A-Za-z0-9_-.,:+/@` and newlines, and a newline as `'\n'`.
fn shell_escape(text: &str) -> String {
    if text.is_empty() {
        return "''".to_owned();
    }
    let mut out = String::with_capacity(text.len() * 2);
    for c in text.chars() {
        if c == '\n' {
            out.push_str("'\n'");
        } else {
            if !(c.is_ascii_alphanumeric() || "_-.,:+/@".contains(c)) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
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
