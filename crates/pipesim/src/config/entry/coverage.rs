//! Mirrors lib/gitlab/ci/config/entry/coverage.rb: a `/regex/` with RE2 syntax.

use super::{config, run, Check, Cx, Entry, Rule};

const RULES: &[Rule] = &[config(Check::Regexp)];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    run(cx, entry, RULES);
}
