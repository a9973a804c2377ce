//! Mirrors lib/gitlab/ci/config/entry/need.rb (and EE's cross-project and bridge needs): one
//! item of `needs`.

use super::{config, opt, run, Check, Cx, Entry, Rule, Ty};
use crate::yaml::Value;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum NeedType {
    Job,
    CrossDependency,
    Bridge,
}

impl NeedType {
    pub fn name(self) -> &'static str {
        match self {
            NeedType::Job => "job",
            NeedType::CrossDependency => "cross_dependency",
            NeedType::Bridge => "bridge",
        }
    }
}

/// `JobString`.
const JOB_STRING: &[Rule] = &[
    config(Check::Presence(None)),
    config(Check::Type(Ty::String, None)),
];
/// `JobHash` (`parallel: matrix` selects matrix jobs).
const JOB_HASH: &[Rule] = &[
    config(Check::AllowedKeys(
        &["job", "artifacts", "optional", "parallel"],
        &[],
    )),
    attr_job_string(),
    super::attr("job", Check::Presence(None)),
    opt("artifacts", Check::Boolean),
    opt("optional", Check::Boolean),
];
/// `CrossPipelineDependency` (`needs:pipeline:job`, with `optional`).
const CROSS_PIPELINE: &[Rule] = &[
    config(Check::AllowedKeys(
        &["pipeline", "job", "artifacts", "optional"],
        &[],
    )),
    super::attr("pipeline", Check::Type(Ty::String, None)),
    super::attr("pipeline", Check::Presence(None)),
    attr_job_string(),
    super::attr("job", Check::Presence(None)),
    opt("artifacts", Check::Boolean),
    opt("optional", Check::Boolean),
];
/// EE `CrossProjectDependency` (`needs:project`).
const CROSS_PROJECT: &[Rule] = &[
    config(Check::AllowedKeys(
        &["project", "job", "ref", "artifacts"],
        &[],
    )),
    attr_job_string(),
    opt("artifacts", Check::Boolean),
];
/// EE `BridgeHash` (`needs:pipeline` alone, a status mirror).
const BRIDGE: &[Rule] = &[
    config(Check::AllowedKeys(&["pipeline"], &[])),
    super::attr("pipeline", Check::Type(Ty::String, None)),
];

const fn attr_job_string() -> Rule {
    opt("job", Check::Type(Ty::String, None))
}

/// Validates one need; returns its type (`None` for an unsupported one).
pub fn validate(cx: &mut Cx, entry: &Entry) -> Option<NeedType> {
    match &entry.node.value {
        Value::Str(_) => {
            run(cx, entry, JOB_STRING);
            Some(NeedType::Job)
        }
        Value::Map(m) => {
            let has = |k: &str| m.contains_key(k);
            let (rules, kind) = if has("project") {
                (CROSS_PROJECT, NeedType::CrossDependency)
            } else if has("job") && has("pipeline") {
                (CROSS_PIPELINE, NeedType::CrossDependency)
            } else if has("job") && !has("ref") {
                (JOB_HASH, NeedType::Job)
            } else if has("pipeline") {
                (BRIDGE, NeedType::Bridge)
            } else {
                unsupported(cx, entry);
                return None;
            };
            run(cx, entry, rules);
            Some(kind)
        }
        _ => {
            unsupported(cx, entry);
            None
        }
    }
}

/// `UnknownStrategy#errors`: written by the entry, not lower-cased.
fn unsupported(cx: &mut Cx, entry: &Entry) {
    let message = format!("{} has an unsupported type", entry.loc);
    cx.raw_error("needs-type", message, entry.node.span);
}
