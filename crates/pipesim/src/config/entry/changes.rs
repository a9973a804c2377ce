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

/// `ComplexChanges`.
const COMPLEX: &[Rule] = &[
    config(Check::AllowedKeys(&["paths", "compare_to"], &[])),
    config(Check::RequiredKeys(&["paths"])),
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
            run(cx, entry, COMPLEX);
        }
        _ => {
            let message = format!("{} should be an array or a hash", entry.loc);
            cx.raw_error("config-type", message, entry.node.span);
        }
    }
}
