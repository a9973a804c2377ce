//! Mirrors lib/gitlab/ci/config/entry/rules/rule/exists.rb: `rules:exists` as a path, a list
//! of paths, or a hash with `paths`, `project` and `ref`.

use super::{config, opt, run, Check, Cx, Entry, Rule, Ty};
use crate::yaml::Value;

pub const MAX_PATHS: usize = 50;
const TOO_MANY: &str = "has too many entries (maximum %{count})";

const SIMPLE_LIMITED: &[Rule] = &[
    config(Check::ArrayOfStrings),
    config(Check::MaxItems(MAX_PATHS, TOO_MANY)),
];
/// With `disable_simple_exists_paths_limit` (include rules).
const SIMPLE: &[Rule] = &[config(Check::ArrayOfStrings)];

fn has_ref(entry: &Entry) -> bool {
    entry.has("ref")
}

fn without_regexp(entry: &Entry) -> bool {
    !entry.has("regexp")
}

/// `ComplexExists`, with the newest `regexp:` (rules_with_regexp_spec.rb; the entry class
/// with it was not found in the source mirror: pipesim accepts `regexp` instead of `paths`).
const COMPLEX: &[Rule] = &[
    config(Check::AllowedKeys(
        &["paths", "project", "ref", "regexp"],
        &[],
    )),
    config(Check::RequiredKeys(&["paths"])).when(without_regexp),
    opt("regexp", Check::Type(Ty::String, None)),
    config(Check::RequiredKeys(&["project"])).when(has_ref),
    opt("paths", Check::ArrayOfStrings),
    opt("paths", Check::MaxItems(MAX_PATHS, TOO_MANY)),
    opt("project", Check::Type(Ty::String, None)),
    opt("ref", Check::Type(Ty::String, None)),
];

pub fn validate(cx: &mut Cx, entry: &Entry, limited: bool) {
    match &entry.node.value {
        Value::Seq(_) => {
            run(cx, entry, if limited { SIMPLE_LIMITED } else { SIMPLE });
        }
        Value::Str(_) | Value::Null => {}
        // `config.blank?` picks `SimpleExists` first: an empty hash is valid (exists.rb).
        Value::Map(m) if m.is_empty() => {}
        Value::Map(_) => {
            if !run(cx, entry, COMPLEX) {
                super::regexp_not_evaluated(cx, entry);
            }
        }
        _ => {
            let message = format!(
                "{} should be a string, an array of strings, or a hash",
                entry.loc
            );
            cx.raw_error("config-type", message, entry.node.span);
        }
    }
}
