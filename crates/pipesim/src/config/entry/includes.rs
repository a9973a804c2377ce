//! Mirrors lib/gitlab/ci/config/entry/includes.rb (concerns/base_includes.rb): a list of
//! includes, at most `max_size` where the owner sets one (`trigger:include`: 3).

use super::{config, include, run, Check, Cx, Entry, Rule};

const RULES: &[Rule] = &[config(Check::ArrayOrString)];

pub fn validate(cx: &mut Cx, entry: &Entry, max_size: Option<usize>) {
    if run(cx, entry, RULES) {
        return;
    }
    if let (Some(max), Some(items)) = (max_size, entry.node.as_seq()) {
        if items.len() > max {
            let text = format!("config is too long (maximum is {max})");
            cx.error("config-too-long", entry.loc, &text, entry.node.span);
            return;
        }
    }
    let loc = entry.loc.child("include");
    for item in super::flatten_config(entry.node) {
        include::validate(cx, &Entry::new(item, &loc));
    }
}
