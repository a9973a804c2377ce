//! Mirrors lib/gitlab/ci/config/entry/caches.rb: `cache:` as one cache or a list of at most 4,
//! each an `Entry::Cache` with key `cache`. Caches drops its own key (`@key = nil` after the
//! factory set it, caches.rb 4555e1b), so its own messages use its class name
//! (`jobs:rspec:caches ...`, Node#location).

use super::{cache, Cx, Entry};
use crate::yaml::Value;

pub const MULTIPLE_CACHE_LIMIT: usize = 4;

pub fn validate(cx: &mut Cx, entry: &Entry) {
    let own = entry.loc.sibling("caches");
    match &entry.node.value {
        Value::Map(_) => {}
        Value::Seq(items) => {
            if items.len() > MULTIPLE_CACHE_LIMIT {
                let text =
                    format!("config no more than {MULTIPLE_CACHE_LIMIT} caches can be created");
                cx.error("cache-too-many", &own, &text, entry.node.span);
                return;
            }
        }
        _ => {
            cx.error(
                "config-type",
                &own,
                "config can only be a hash or an array",
                entry.node.span,
            );
            return;
        }
    }
    for item in super::flatten_config(entry.node) {
        cache::validate(cx, &Entry::new(item, entry.loc));
    }
}
