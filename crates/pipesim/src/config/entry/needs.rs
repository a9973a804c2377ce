//! Mirrors lib/gitlab/ci/config/entry/needs.rb: `needs:` as a list (nested lists flattened,
//! `null` items dropped) or one hash, each item an `Entry::Need` with key `need`.

use super::need::{self, NeedType};
use super::{flatten_config, take_from, Cx, Entry};
use crate::yaml::Value;

/// `NEEDS_CROSS_PIPELINE_DEPENDENCIES_LIMIT`: `needs:pipeline:job` entries per job.
pub const NEEDS_CROSS_PIPELINE_DEPENDENCIES_LIMIT: usize = 5;

/// The need types the owner allows (`metadata: { allowed_needs: }`).
pub struct NeedsMeta {
    pub allowed: &'static [NeedType],
}

/// A job's needs (`allowed_needs: %i[job cross_dependency]`).
pub const JOB_NEEDS: NeedsMeta = NeedsMeta {
    allowed: &[NeedType::Job, NeedType::CrossDependency],
};
/// A trigger job's needs (`allowed_needs: %i[job cross_dependency bridge]`).
pub const BRIDGE_NEEDS: NeedsMeta = NeedsMeta {
    allowed: &[NeedType::Job, NeedType::CrossDependency, NeedType::Bridge],
};
/// `rules:needs` (`allowed_needs: %i[job]`).
pub const RULE_NEEDS: NeedsMeta = NeedsMeta {
    allowed: &[NeedType::Job],
};

/// Validates and returns how many `needs:pipeline` (bridge) needs there are.
pub fn validate(cx: &mut Cx, entry: &Entry, meta: &NeedsMeta) -> usize {
    match &entry.node.value {
        Value::Seq(_) => {}
        Value::Map(m) if m.is_empty() => {
            cx.error(
                "needs-type",
                entry.loc,
                "config can not be an empty hash",
                entry.node.span,
            );
            return 0;
        }
        Value::Map(_) => {}
        _ => {
            cx.error(
                "needs-type",
                entry.loc,
                "config can only be a hash or an array",
                entry.node.span,
            );
            return 0;
        }
    }
    let loc = entry.loc.child("need");
    let mark = cx.mark();
    let mut types = Vec::new();
    for item in flatten_config(entry.node)
        .into_iter()
        .filter(|n| !n.is_null())
    {
        if let Some(t) = need::validate(cx, &Entry::new(item, &loc)) {
            types.push(t);
        }
    }
    // `validate on: :composed`: the entry's own message comes before its children's.
    let children = take_from(cx, mark);
    let mut invalid: Vec<&str> = Vec::new();
    for t in &types {
        if !meta.allowed.contains(t) && !invalid.contains(&t.name()) {
            invalid.push(t.name());
        }
    }
    if !invalid.is_empty() {
        let text = format!("config uses invalid types: {}", invalid.join(", "));
        cx.error("needs-type", entry.loc, &text, entry.node.span);
    }
    let cross_pipeline = flatten_config(entry.node)
        .into_iter()
        .filter(|n| {
            n.get("job").is_some() && n.get("pipeline").is_some() && n.get("project").is_none()
        })
        .count();
    if cross_pipeline > NEEDS_CROSS_PIPELINE_DEPENDENCIES_LIMIT {
        let text = format!(
            "config must be less than or equal to {NEEDS_CROSS_PIPELINE_DEPENDENCIES_LIMIT}"
        );
        cx.error("needs-too-many", entry.loc, &text, entry.node.span);
    }
    cx.errors.extend(children);
    types.iter().filter(|t| **t == NeedType::Bridge).count()
}
