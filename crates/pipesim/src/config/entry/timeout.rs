//! Mirrors lib/gitlab/ci/config/entry/timeout.rb: a duration below
//! `Project::MAX_BUILD_TIMEOUT` (one month).

use super::{config, run, Check, Cx, Entry, Rule};

/// `ChronicDuration.output(Project::MAX_BUILD_TIMEOUT)`: `1.month` is 30.436875 days
/// (ActiveSupport), printed by ChronicDuration as `1 mo 10 hrs 29 mins 6 secs`, which it
/// parses back as 30 days (its month) + 10:29:06.
pub const MAX_BUILD_TIMEOUT: u64 = 30 * 86_400 + 10 * 3_600 + 29 * 60 + 6;

const RULES: &[Rule] = &[config(Check::Duration {
    limit: Some(MAX_BUILD_TIMEOUT),
    never: false,
    variable: false,
})];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    run(cx, entry, RULES);
}
