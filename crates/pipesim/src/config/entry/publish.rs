//! Mirrors lib/gitlab/ci/config/entry/publish.rb: a job's `publish:`, the path Pages
//! publishes, a string.

use super::{config, run, Check, Cx, Entry, Rule, Ty};

const RULES: &[Rule] = &[config(Check::Type(Ty::String, None)).code("job-publish")];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    run(cx, entry, RULES);
}
