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

const COMPLEX: &[Rule] = &[
    config(Check::AllowedKeys(&["paths", "project", "ref"], &[])),
    config(Check::RequiredKeys(&["paths"])),
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
        Value::Map(_) => {
            run(cx, entry, COMPLEX);
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
