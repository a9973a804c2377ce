//! Mirrors lib/gitlab/ci/config/entry/retry.rb: `retry:` as a count or a hash. Its location is
//! hard-coded to `retry` (no job prefix).

use super::{config, opt, run, Check, Cx, Entry, Loc, Rule};
use crate::yaml::Value;

/// `SimpleRetry`.
const SIMPLE: &[Rule] = &[config(Check::IntRange(Some(0), Some(2)))];
/// `FullRetry`.
const FULL: &[Rule] = &[
    config(Check::AllowedKeys(&["max", "when", "exit_codes"], &[])),
    opt("max", Check::IntRange(Some(0), Some(2))),
    opt("when", Check::ArrayOfStringsOrString),
    opt("exit_codes", Check::ArrayOfIntegersOrInteger),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    let loc = Loc::root("retry");
    let retry = Entry {
        loc: &loc,
        ..*entry
    };
    match &entry.node.value {
        Value::Int(_) => {
            run(cx, &retry, SIMPLE);
        }
        Value::Map(_) => {
            run(cx, &retry, FULL);
        }
        _ => {
            cx.raw_error(
                "config-type",
                "retry config has to be either an integer or a hash".to_owned(),
                entry.node.span,
            );
        }
    }
}
