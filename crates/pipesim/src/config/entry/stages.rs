//! Mirrors lib/gitlab/ci/config/entry/stages.rb (and stage.rb for a job's `stage:`).

use super::{config, run, Check, Cx, Entry, Rule, Ty};

const RULES: &[Rule] = &[config(Check::NestedArrayOfStrings(10))];

/// `Entry::Stage`: `validates :config, type: String`.
const STAGE: &[Rule] = &[config(Check::Type(Ty::String, None))];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    run(cx, entry, RULES);
}

pub fn validate_stage(cx: &mut Cx, entry: &Entry) {
    run(cx, entry, STAGE);
}
