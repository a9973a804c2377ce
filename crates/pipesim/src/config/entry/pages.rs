//! Mirrors lib/gitlab/ci/config/entry/pages.rb: `pages:` as a boolean or a hash.

use super::{config, opt, run, Check, Cx, Entry, Rule, Ty};

const RULES: &[Rule] = &[
    config(Check::HashOrBoolean),
    config(Check::AllowedKeys(
        &["path_prefix", "expire_in", "publish"],
        &[],
    )),
    opt("path_prefix", Check::Type(Ty::String, None)),
    opt(
        "expire_in",
        Check::Duration {
            limit: None,
            never: true,
            variable: false,
        },
    ),
    opt("publish", Check::Type(Ty::String, None)),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    run(cx, entry, RULES);
}
