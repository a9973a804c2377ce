//! Mirrors lib/gitlab/ci/config/entry/variables.rb and variable.rb: a hash of variables, each
//! a scalar (`SimpleVariable`) or a hash with the data its context allows (`ComplexVariable`).

use super::{config, opt, run, Check, Cx, Entry, Rule, Ty};
use crate::yaml::{Node, Value};

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

/// `allowed_data`: the context's `allowed_value_data` (root: value, description, expand,
/// options; jobs: value, expand; rules and services: none).
pub fn validate(cx: &mut Cx, entry: &Entry, allowed_data: &[&str]) {
    if run(cx, entry, RULES) {
        return;
    }
    let Some(map) = entry.map() else {
        return;
    };
    for (key, var) in map.iter() {
        let name = key.scalar_str().unwrap_or_default();
        let loc = entry.loc.child(&name);
        let var_entry = Entry::new(var, &loc);
        match &var.value {
            Value::Str(_)
            | Value::Symbol(_)
            | Value::Int(_)
            | Value::Float(_)
            | Value::Bool(_)
            | Value::Null => {}
            Value::Map(m) => {
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
            _ => {
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
