//! Mirrors lib/gitlab/ci/config/entry/include.rb and concerns/base_include.rb: one include
//! (checked here for `trigger:include`; the root `include:` is read by `config::include`).

use super::{config, include_rules, opt, run, Check, Cx, Entry, Rule};

pub const ALLOWED_KEYS: &[&str] = &[
    "local",
    "file",
    "remote",
    "project",
    "ref",
    "integrity",
    "template",
    "artifact",
    "inputs",
    "job",
    "rules",
    "component",
];

fn project_without_file(entry: &Entry) -> bool {
    entry.attr("project").is_some() && entry.attr("file").is_none_or(|f| f.is_blank())
}

fn artifact_without_job(entry: &Entry) -> bool {
    entry.attr("artifact").is_some() && entry.attr("job").is_none_or(|j| j.is_blank())
}

const RULES: &[Rule] = &[
    config(Check::HashOrString),
    config(Check::Absence(Some(
        "must specify the file where to fetch the config from",
    )))
    .when(project_without_file),
    config(Check::AllowedKeys(ALLOWED_KEYS, &[])),
    config(Check::Absence(Some(
        "must specify the job where to fetch the artifact from",
    )))
    .when(artifact_without_job),
    opt("rules", Check::ArrayOfHashes),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, RULES) {
        return;
    }
    // `entry :rules, Entry::Include::Rules`, composed when the include itself is valid.
    if let Some(node) = entry.attr("rules") {
        let loc = entry.loc.child("rules");
        include_rules::validate(cx, &Entry::new(node, &loc));
    }
}
