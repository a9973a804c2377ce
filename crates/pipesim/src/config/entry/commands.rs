//! Mirrors lib/gitlab/ci/config/entry/commands.rb: a script, a string or nested arrays of
//! strings at most 10 levels deep.

use super::{config, run, Check, Cx, Entry, Rule};

pub const MAX_NESTING_LEVEL: usize = 10;

const RULES: &[Rule] = &[config(Check::StringOrNestedArrayOfStrings(
    MAX_NESTING_LEVEL,
))];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    run(cx, entry, RULES);
}
