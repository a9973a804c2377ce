//! Mirrors lib/gitlab/ci/config/entry/allow_failure.rb: `allow_failure:` as a boolean or
//! `exit_codes`.

use super::{config, opt, run, Check, Cx, Entry, Rule};

const RULES: &[Rule] = &[
    config(Check::HashOrBoolean),
    config(Check::AllowedKeys(&["exit_codes"], &[])),
    opt("exit_codes", Check::ArrayOfIntegersOrInteger),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    run(cx, entry, RULES);
}
