//! Mirrors lib/gitlab/ci/config/entry/include/rules.rb: the `rules` of one include, a list
//! (nested lists flattened) of `Entry::Include::Rules::Rule`s with key `rule`.
//!
//! GitLab validates these twice over: as a child of `Entry::Include` where that entry is
//! composed (`trigger:include`), and, for the `include:` that config/external expands, on
//! their own in `External::Rules#initialize` (lib/gitlab/ci/config/external/rules.rb), because
//! included files are expanded before the root entry is composed. There the entry has no key
//! and no parent, so its location is its class name (`rules`) and its rules' is `rule`, and
//! the first error is raised as `include:` + that message: [`check_expanded`].

use super::{config, flatten_config, include_rule, run, Check, Cx, Entry, Loc, Rule, Ty};
use crate::diagnostic::Finding;
use crate::yaml::Node;

const RULES: &[Rule] = &[
    config(Check::Presence(None)),
    config(Check::Type(Ty::Array, None)),
];

/// The entry as a child of an include: at `entry.loc`, its rules at `entry.loc` + `rule`.
pub fn validate(cx: &mut Cx, entry: &Entry) {
    let item_loc = entry.loc.child("rule");
    compose(cx, entry, &item_loc);
}

/// Own validations, then (only when they pass) each rule at `item_loc`.
fn compose(cx: &mut Cx, entry: &Entry, item_loc: &Loc) {
    if run(cx, entry, RULES) {
        return;
    }
    for item in flatten_config(entry.node) {
        include_rule::validate(cx, &Entry::new(item, item_loc));
    }
}

/// `External::Rules#initialize`: nothing for `rules: null`; otherwise the entry composed on its
/// own, and its first error raised as `include:<message>` (one error: include expansion stops
/// there). `warnings` receives what the rules' children note (`regexp` not evaluated).
pub fn check_expanded(node: &Node, warnings: &mut Vec<Finding>) -> Result<(), Finding> {
    if node.is_null() {
        return Ok(());
    }
    let mut cx = Cx {
        errors: Vec::new(),
        warnings: Vec::new(),
        has_workflow_rules: false,
        lenient: false,
        regexps: std::collections::HashMap::new(),
    };
    let loc = Loc::root("rules");
    let item_loc = Loc::root("rule");
    compose(&mut cx, &Entry::new(node, &loc), &item_loc);
    for mut warning in cx.warnings {
        warning.message = format!("include:{}", warning.message);
        warnings.push(warning);
    }
    match cx.errors.into_iter().next() {
        None => Ok(()),
        Some(mut first) => {
            first.message = format!("include:{}", first.message);
            Err(first)
        }
    }
}
