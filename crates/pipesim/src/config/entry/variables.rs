//! Mirrors lib/gitlab/ci/config/entry/variables.rb and variable.rb: a hash of variables, each
//! a scalar (`SimpleVariable`) or a hash with the data its context allows (`ComplexVariable`).

use super::{config, opt, run, Check, Cx, Entry, Rule, Ty};
use std::borrow::Cow;

use crate::yaml::{Map, Node, Value};

const RULES: &[Rule] = &[config(Check::Type(Ty::Hash, None))];

/// `ComplexVariable`'s validations (`attributes ..., prefix: :config`).
const COMPLEX: &[Rule] = &[
    opt("value", Check::Scalar)
        .label("config value")
        .code("variables-invalid"),
    opt("description", Check::Alphanumeric)
        .label("config description")
        .code("variables-invalid"),
    opt("expand", Check::Boolean)
        .label("config expand")
        .code("variables-invalid"),
    opt("options", Check::ArrayOfStrings)
        .label("config options")
        .code("variables-invalid"),
];

/// `Entry::Variable`'s strategies (variable.rb): `SimpleVariable` for a scalar (`ScalarValidator`:
/// strings, symbols, numbers, booleans), `ComplexVariable` for a hash, `UnknownStrategy` else.
enum Strategy<'a> {
    Simple,
    Complex(&'a Map),
    Unknown,
}

/// `validate_alphanumeric`: a String, Symbol or Integer key.
fn is_alphanumeric(key: &Node) -> bool {
    matches!(key.value, Value::Str(_) | Value::Symbol(_) | Value::Int(_))
}

/// The variable's part of `Node#location`: its key, or its strategy's class name when the key
/// is blank (`@key.presence`); an array key is joined in by Ruby's `Array#join` (flattened,
/// `:`-separated). Borrowed for the usual string key.
fn location_name<'a>(key: &'a Node, strategy: &Strategy) -> Cow<'a, str> {
    let blank_name = || {
        Cow::Borrowed(match strategy {
            Strategy::Simple => "simple variable",
            Strategy::Complex(_) => "complex variable",
            Strategy::Unknown => "unknown strategy",
        })
    };
    match &key.value {
        Value::Str(s) | Value::Symbol(s) if !s.trim().is_empty() => Cow::Borrowed(s),
        Value::Seq(items) if !items.is_empty() => {
            let mut parts = Vec::new();
            join_parts(items, &mut parts);
            Cow::Owned(parts.join(":"))
        }
        Value::Int(_) | Value::Float(_) | Value::Bool(true) => {
            Cow::Owned(key.scalar_to_s().unwrap_or_default())
        }
        _ if key.is_blank() => blank_name(),
        // A hash key: Ruby would print its `inspect`; pipesim shows its YAML type instead.
        _ => Cow::Borrowed(key.type_name()),
    }
}

/// Ruby `Array#join` items: nested arrays flattened, nil as empty.
fn join_parts(items: &[Node], out: &mut Vec<String>) {
    for item in items {
        match &item.value {
            Value::Seq(inner) => join_parts(inner, out),
            _ => out.push(
                item.scalar_to_s()
                    .unwrap_or_else(|| item.type_name().to_owned()),
            ),
        }
    }
}

/// `allowed_data`: the context's `allowed_value_data` (root: value, description, expand,
/// options; jobs: value, expand; rules and services: none).
pub fn validate(cx: &mut Cx, entry: &Entry, allowed_data: &[&str]) {
    if run(cx, entry, RULES) {
        return;
    }
    let Some(map) = entry.map() else {
        return;
    };
    let empty = Map::default();
    for (key, var) in map.iter() {
        let strategy = match &var.value {
            Value::Str(_) | Value::Symbol(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) => {
                Strategy::Simple
            }
            // `ComposableHash` gives a null variable `{}`: a `ComplexVariable`.
            Value::Null => Strategy::Complex(&empty),
            Value::Map(m) => Strategy::Complex(m),
            _ => Strategy::Unknown,
        };
        let name = location_name(key, &strategy);
        let loc = entry.loc.child(&name);
        let var_entry = Entry::new(var, &loc);
        if !matches!(strategy, Strategy::Unknown) && !is_alphanumeric(key) {
            // `validates :key, alphanumeric: true`, first in both strategies.
            cx.error(
                "variables-invalid",
                &loc,
                "key must be an alphanumeric string",
                key.span,
            );
        }
        match strategy {
            Strategy::Simple => {}
            Strategy::Complex(m) => {
                run(cx, &var_entry, COMPLEX);
                if allowed_data.is_empty() {
                    cx.error(
                        "variables-invalid",
                        &loc,
                        "config must be a string",
                        var.span,
                    );
                } else {
                    let invalid: Vec<String> = m
                        .keys()
                        .filter(|k| !allowed_data.contains(&k.as_str()))
                        .collect();
                    if !invalid.is_empty() {
                        let text = format!("config uses invalid data keys: {}", invalid.join(", "));
                        cx.error("variables-invalid", &loc, &text, var.span);
                    }
                }
                let options = var_entry.attr("options").and_then(Node::as_seq);
                if let Some(options) = options.filter(|o| !o.is_empty()) {
                    let value = var_entry.attr("value");
                    let listed = value.is_some_and(|v| options.iter().any(|o| o.value == v.value));
                    if !listed {
                        cx.error(
                            "variables-invalid",
                            &loc,
                            "config value must be present in options",
                            value.map_or(var.span, |v| v.span),
                        );
                    }
                }
            }
            Strategy::Unknown => {
                // `UnknownStrategy#errors` bypasses the validator: no location, no downcasing.
                cx.raw_error(
                    "variables-invalid",
                    "variable definition must be either a string or a hash".to_owned(),
                    var.span,
                )
                .explanation = Some(format!(
                    "A variable's value must be a single value (string, number or boolean) or a hash with \
                     `value:`; YAML reads this one as a {}. Quote it to make it a string: `{name}: \"...\"`.",
                    var.type_name()
                ));
            }
        }
    }
}
