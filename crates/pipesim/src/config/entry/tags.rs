//! Mirrors lib/gitlab/ci/config/entry/tags.rb: an array of strings, fewer than 50.

use super::{config, run, Check, Cx, Entry, Rule};

/// `Entry::Tags::TAGS_LIMIT` (an error at 50 or more).
pub const TAGS_LIMIT: usize = 50;

const RULES: &[Rule] = &[config(Check::ArrayOfStrings)];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, RULES) {
        return;
    }
    if entry.node.as_seq().is_some_and(|s| s.len() >= TAGS_LIMIT) {
        let text = format!("config must be less than the limit of {TAGS_LIMIT} tags");
        cx.error("config-too-long", entry.loc, &text, entry.node.span);
    }
}
