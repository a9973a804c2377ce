//! Mirrors the `validates :run, json_schema: { filename: 'ci_run_steps' }` of
//! lib/gitlab/ci/config/entry/job.rb: `run:` (CI steps) against
//! app/validators/json_schemas/ci_run_steps.json, with json_schemer's detailed texts.
//!
//! pipesim reports the first schema error of the list, in the words GitLab's job spec shows
//! (`run object at `/0` is missing required properties: name`, `... is a disallowed additional
//! property`, `run value at root is not an array`, `... is not a string`). The name pattern,
//! `minLength` and function-reference shapes are not checked.

use super::{Cx, Entry};
use crate::yaml::{Node, Value};

/// The properties of a step that runs a function (`step`/`func`) and of one that runs a script.
const FUNC_PROPERTIES: &[&str] = &["name", "env", "inputs", "step", "func"];
const SCRIPT_PROPERTIES: &[&str] = &["name", "env", "script"];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if let Some((text, span)) = first_error(entry.node) {
        cx.error("job-run-schema", entry.loc, &format!("run {text}"), span);
    }
}

fn first_error(node: &Node) -> Option<(String, crate::source::Span)> {
    let Some(steps) = node.as_seq() else {
        return Some(("value at root is not an array".to_owned(), node.span));
    };
    for (i, step) in steps.iter().enumerate() {
        let Some(map) = step.as_map() else {
            return Some((format!("value at `/{i}` is not an object"), step.span));
        };
        if !map.contains_key("name") {
            return Some((
                format!("object at `/{i}` is missing required properties: name"),
                step.span,
            ));
        }
        let is_script =
            map.contains_key("script") && !map.contains_key("step") && !map.contains_key("func");
        let allowed = if is_script {
            SCRIPT_PROPERTIES
        } else {
            FUNC_PROPERTIES
        };
        for (key, _) in map.iter() {
            let name = key.scalar_to_s().unwrap_or_default();
            if !allowed.contains(&name.as_str()) {
                return Some((
                    format!("object property at `/{i}/{name}` is a disallowed additional property"),
                    key.span,
                ));
            }
        }
        if !is_script && !map.contains_key("step") && !map.contains_key("func") {
            return Some((
                format!("object at `/{i}` is missing required properties: step"),
                step.span,
            ));
        }
        if let Some(name) = map
            .get("name")
            .filter(|n| !matches!(n.value, Value::Str(_)))
        {
            return Some((format!("value at `/{i}/name` is not a string"), name.span));
        }
        if let Some(env) = map.get("env") {
            let Some(vars) = env.as_map() else {
                return Some((format!("value at `/{i}/env` is not an object"), env.span));
            };
            for (key, value) in vars.iter() {
                if !matches!(value.value, Value::Str(_)) {
                    let var = key.scalar_to_s().unwrap_or_default();
                    return Some((
                        format!("value at `/{i}/env/{var}` is not a string"),
                        value.span,
                    ));
                }
            }
        }
    }
    None
}
