//! Mirrors lib/gitlab/ci/config/entry/bridge.rb: a trigger job.

use super::{
    config, needs, opt, parallel, processable, run, take_from, trigger, Check, Cx, Entry, Rule,
};

pub const ALLOWED_WHEN: &[&str] = &["on_success", "on_failure", "always", "manual"];
pub const BRIDGE_KEYS: &[&str] = &["trigger", "parallel"];

const RULES: &[Rule] = &[
    config(Check::AllowedKeys(
        BRIDGE_KEYS,
        processable::PROCESSABLE_KEYS,
    )),
    opt(
        "when",
        Check::Inclusion(
            ALLOWED_WHEN,
            "should be one of: on_success, on_failure, always, manual",
        ),
    )
    .code("job-when"),
    opt("allow_failure", Check::Boolean),
];

pub fn validate(cx: &mut Cx, entry: &Entry, name: &str, name_is_symbol: bool) {
    let mark = cx.mark();
    processable::validate_name(cx, entry, name, name_is_symbol);
    processable::validate(cx, entry);
    run(cx, entry, RULES);
    if cx.failed_since(mark) {
        return;
    }
    let children = cx.mark();
    processable::compose(cx, entry);
    if let Some(node) = entry.attr("trigger") {
        let loc = entry.loc.child("trigger");
        trigger::validate(cx, &Entry::new(node, &loc));
    }
    let mut bridge_needs = 0;
    if let Some(node) = entry.attr("needs") {
        let loc = entry.loc.child("needs");
        bridge_needs = needs::validate(cx, &Entry::new(node, &loc), &needs::BRIDGE_NEEDS);
    }
    if let Some(node) = entry.attr("parallel") {
        let loc = entry.loc.child("parallel");
        parallel::validate(cx, &Entry::new(node, &loc), false);
    }
    // `validate on: :composed`: the bridge's own messages come before its children's.
    let child_errors = take_from(cx, children);
    if bridge_needs > 1 {
        cx.error(
            "needs-type",
            entry.loc,
            "config should contain at most one bridge need",
            entry.attr("needs").map_or(entry.anchor, |n| n.span),
        );
    }
    cx.errors.extend(child_errors);
    processable::warnings(cx, entry);
}
