//! Mirrors lib/gitlab/ci/config/entry/job_input.rb and base_input.rb: a job's `inputs:`, each
//! with a default.

use super::{config, opt, run, Check, Cx, Entry, Loc, Rule, Ty};
use crate::yaml::Node;

const COMMON_ALLOWED_KEYS: &[&str] = &["default", "description", "options", "regex", "type"];
const ALLOWED_OPTIONS_LIMIT: usize = 50;
/// `::Ci::Inputs::Builder.input_types`.
pub const INPUT_TYPES: &[&str] = &["array", "boolean", "number", "string"];

const RULES: &[Rule] = &[config(Check::Type(Ty::Hash, None))];

/// `BaseInput` then `JobInput` validations.
const INPUT: &[Rule] = &[
    opt("description", Check::Alphanumeric).label("input description"),
    opt("regex", Check::Type(Ty::String, None)).label("input regex"),
    opt("type", Check::AllowedValues(INPUT_TYPES)).label("input type"),
    opt("options", Check::Type(Ty::Array, None)).label("input options"),
];
const JOB_INPUT: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(COMMON_ALLOWED_KEYS, &[])),
];

/// The job's own check of each input's default against its type, options and regex
/// (job_spec 'when an input has an invalid default value type': `job inputs `NAME`: default
/// value is not a number`), once the inputs' entries are valid. The newest job.rb is not in
/// the source mirror: the wording is the spec's, the checks are spec:inputs' `BaseInput`
/// validations, and only the type check is confirmed by an example.
pub fn validate_defaults(cx: &mut Cx, job: &Loc, inputs: &Node) {
    let Some(map) = inputs.as_map() else {
        return;
    };
    for (key, input) in map.iter() {
        let Some(default) = input.get("default") else {
            continue;
        };
        let Some(problems) = crate::config::inputs::default_problems(input, default) else {
            continue;
        };
        let name = key.scalar_to_s().unwrap_or_default();
        for problem in problems {
            let text = format!("inputs `{name}`: {problem}");
            cx.error("config-type", job, &text, default.span);
        }
    }
}

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, RULES) {
        return;
    }
    for (key, input) in entry.map().into_iter().flat_map(|m| m.iter()) {
        let name = key.scalar_to_s().unwrap_or_default();
        let loc = entry.loc.child(&name);
        let input_entry = Entry::new(input, &loc);
        run(cx, &input_entry, INPUT);
        if let Some(options) = input_entry.attr("options").and_then(|o| o.as_seq()) {
            if options.len() > ALLOWED_OPTIONS_LIMIT {
                let text =
                    format!("config cannot define more than {ALLOWED_OPTIONS_LIMIT} options");
                cx.error("config-too-long", &loc, &text, input.span);
            }
            if options.iter().any(|o| o.is_null()) {
                cx.error(
                    "config-type",
                    &loc,
                    "config options array cannot contain null values",
                    input.span,
                );
            }
        }
        run(cx, &input_entry, JOB_INPUT);
        if input.as_map().is_some() && input_entry.attr("default").is_none() {
            // `errors.add(:base, ...)`: no attribute word.
            cx.error(
                "config-blank",
                &loc,
                "must have a default value",
                input.span,
            );
        }
    }
}
