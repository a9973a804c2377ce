//! Mirrors lib/gitlab/ci/config/entry/release.rb, in part: pipesim checks only what GitLab's
//! job spec shows (`release description can't be blank`); release.rb itself was not read, so
//! its other validations (tag_name, assets, milestones) are not reproduced.

use super::{config, run, Check, Cx, Entry, Rule, Ty};

const RULES: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    super::attr("description", Check::Presence(None)),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    run(cx, entry, RULES);
}
