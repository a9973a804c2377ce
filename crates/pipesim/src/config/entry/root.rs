//! Mirrors lib/gitlab/ci/config/entry/root.rb: the global entries, then the jobs.

use super::{caches, commands, default, image, jobs, services, stages, variables, workflow};
use super::{Cx, Entry, Loc};
use crate::yaml::Node;

/// Keys of the root entry that are not jobs (`Entry::Root` nodes). Anything else at the top
/// level, `types:` and a stray `spec:` included, is a job candidate (root.rb `filter_jobs!`).
pub const GLOBAL_KEYS: &[&str] = &[
    "default",
    "include",
    "before_script",
    "image",
    "services",
    "after_script",
    "variables",
    "stages",
    "cache",
    "workflow",
];

/// `allowed_value_data` of the root `variables:` (root.rb `entry :variables`).
pub const VARIABLE_DATA: &[&str] = &["value", "description", "expand", "options"];

pub fn validate(cx: &mut Cx, root: &Node) {
    let Some(map) = root.as_map() else {
        return;
    };
    cx.has_workflow_rules = map
        .get("workflow")
        .and_then(|w| w.get("rules"))
        .is_some_and(|r| !r.is_null());
    // Children in the order root.rb declares them; `include` was consumed by the include step
    // (External::Processor removes the keyword), and `jobs` comes last.
    for key in GLOBAL_KEYS {
        let Some(node) = map.get(key).filter(|n| !n.is_null()) else {
            continue;
        };
        let loc = Loc::root(key);
        let entry = Entry::new(node, &loc);
        match *key {
            "default" => default::validate(cx, &entry),
            "before_script" | "after_script" => commands::validate(cx, &entry),
            "image" => image::validate(cx, &entry, image::Kind::Image),
            "services" => services::validate(cx, &entry),
            "variables" => variables::validate(cx, &entry, VARIABLE_DATA),
            "stages" => stages::validate(cx, &entry),
            "cache" => caches::validate(cx, &entry),
            "workflow" => workflow::validate(cx, &entry),
            _ => {}
        }
    }
    jobs::validate(cx, map, root.span.file);
}
