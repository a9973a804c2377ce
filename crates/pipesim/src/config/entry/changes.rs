//! Mirrors lib/gitlab/ci/config/entry/rules/rule/changes.rb: `rules:changes` as a list of
//! paths or a hash with `paths` and `compare_to`.

use super::{config, opt, run, Check, Cx, Entry, Rule, Ty};
use crate::yaml::Value;

const TOO_MANY: &str = "has too many entries (maximum %{count})";

/// `SimpleChanges`.
const SIMPLE: &[Rule] = &[
    config(Check::ArrayOfStrings),
    config(Check::MaxItems(50, TOO_MANY)),
];

fn without_regexp(entry: &Entry) -> bool {
    !entry.has("regexp")
}

/// `ComplexChanges`, with the newest `regexp:` (a pattern matched against the changed paths;
/// spec/services/ci/create_pipeline_service/rules_with_regexp_spec.rb). The entry class with
/// it was not found in the source mirror: pipesim accepts `regexp` instead of `paths`.
const COMPLEX: &[Rule] = &[
    config(Check::AllowedKeys(&["paths", "compare_to", "regexp"], &[])),
    config(Check::RequiredKeys(&["paths"])).when(without_regexp),
    opt("regexp", Check::Type(Ty::String, None)),
    opt("paths", Check::ArrayOfStrings),
    opt("paths", Check::MaxItems(50, TOO_MANY)),
    opt("compare_to", Check::Type(Ty::String, None)),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    match &entry.node.value {
        Value::Seq(_) => {
            run(cx, entry, SIMPLE);
        }
        Value::Map(_) => {
            if !run(cx, entry, COMPLEX) {
                super::regexp_not_evaluated(cx, entry);
            }
        }
        _ => {
            let message = format!("{} should be an array or a hash", entry.loc);
            cx.raw_error("config-type", message, entry.node.span);
        }
    }
}
