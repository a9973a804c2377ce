//! Mirrors lib/gitlab/ci/config/entry/auto_cancel.rb: `auto_cancel:` in `workflow` and in a
//! workflow rule.

use super::{config, opt, run, Check, Cx, Entry, Rule, Ty};

pub const ALLOWED_KEYS: &[&str] = &["on_new_commit", "on_job_failure"];

/// `Ci::PipelineMetadata.auto_cancel_on_new_commits.keys` / `auto_cancel_on_job_failures.keys`
/// (the model's enums, as GitLab's docs list them).
const ON_NEW_COMMIT: &[&str] = &["conservative", "interruptible", "none"];
const ON_JOB_FAILURE: &[&str] = &["none", "all"];

const RULES: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(ALLOWED_KEYS, &[])),
    opt("on_new_commit", Check::Type(Ty::String, None)),
    opt(
        "on_new_commit",
        Check::Inclusion(
            ON_NEW_COMMIT,
            "must be one of: conservative, interruptible, none",
        ),
    ),
    opt("on_job_failure", Check::Type(Ty::String, None)),
    opt(
        "on_job_failure",
        Check::Inclusion(ON_JOB_FAILURE, "must be one of: none, all"),
    ),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    run(cx, entry, RULES);
}
