//! Mirrors lib/gitlab/ci/config/entry/trigger.rb and trigger/forward.rb: a trigger job's
//! downstream pipeline, another project (`project:`) or a child pipeline (`include:`).

use super::{config, includes, opt, run, Check, Cx, Entry, Rule, Ty};
use crate::yaml::Value;

const STRATEGY_MESSAGE: &str = "should be depend or mirror";

/// `SimpleTrigger`.
const SIMPLE: &[Rule] = &[config(Check::Presence(None)).code("trigger-invalid")];
/// `CrossProjectTrigger`.
const CROSS_PROJECT: &[Rule] = &[
    config(Check::AllowedKeys(
        &["project", "branch", "strategy", "forward", "inputs"],
        &[],
    )),
    super::attr("project", Check::Type(Ty::String, None)).code("trigger-invalid"),
    super::attr("project", Check::Presence(None)).code("trigger-invalid"),
    opt("branch", Check::Type(Ty::String, None)),
    opt("strategy", Check::Type(Ty::String, None)).code("trigger-invalid"),
    opt(
        "strategy",
        Check::Inclusion(&["depend", "mirror"], STRATEGY_MESSAGE),
    )
    .code("trigger-invalid"),
    opt("inputs", Check::Type(Ty::Hash, None)),
];
/// `SameProjectTrigger`.
const SAME_PROJECT: &[Rule] = &[
    config(Check::AllowedKeys(
        &["strategy", "include", "forward", "inputs"],
        &[],
    )),
    opt("strategy", Check::Type(Ty::String, None)).code("trigger-invalid"),
    opt(
        "strategy",
        Check::Inclusion(&["depend", "mirror"], STRATEGY_MESSAGE),
    )
    .code("trigger-invalid"),
    opt("inputs", Check::Type(Ty::Hash, None)),
];
/// `Trigger::Forward`.
const FORWARD: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(
        &["yaml_variables", "pipeline_variables"],
        &[],
    )),
    opt("yaml_variables", Check::Boolean),
    opt("pipeline_variables", Check::Boolean),
];

/// `INCLUDE_MAX_SIZE`.
pub const INCLUDE_MAX_SIZE: usize = 3;

pub fn validate(cx: &mut Cx, entry: &Entry) {
    match &entry.node.value {
        Value::Str(_) => {
            if !run(cx, entry, SIMPLE) {
                project_format(cx, entry);
            }
        }
        Value::Map(m) => {
            let same_project = m.contains_key("include");
            let rules = if same_project {
                SAME_PROJECT
            } else {
                CROSS_PROJECT
            };
            if run(cx, entry, rules) {
                return;
            }
            if !same_project {
                project_format(cx, entry);
            }
            if same_project {
                if let Some(node) = entry.attr("include") {
                    let loc = entry.loc.child("include");
                    includes::validate(cx, &Entry::new(node, &loc), Some(INCLUDE_MAX_SIZE));
                }
            }
            if let Some(node) = entry.attr("forward") {
                let loc = entry.loc.child("forward");
                run(cx, &Entry::new(node, &loc), FORWARD);
            }
        }
        _ => {
            let message = format!("{} has to be either a string or a hash", entry.loc);
            cx.raw_error("trigger-invalid", message, entry.node.span);
        }
    }
}

/// The pipeline editor's schema (app/assets/javascripts/editor/schema/ci.json, as its copies
/// read: `(?:\S/\S|\$\S+)`) wants a `group/project` path or a variable; pipeline creation
/// does not check it. A warning, never an error.
fn project_format(cx: &mut Cx, entry: &Entry) {
    let node = match &entry.node.value {
        Value::Str(_) => entry.node,
        _ => match entry.attr("project") {
            Some(node) => node,
            None => return,
        },
    };
    let Some(project) = node.as_str() else {
        return;
    };
    let chars: Vec<char> = project.chars().collect();
    let path = chars
        .windows(3)
        .any(|w| w[1] == '/' && !w[0].is_whitespace() && !w[2].is_whitespace());
    let variable = chars
        .windows(2)
        .any(|w| w[0] == '$' && !w[1].is_whitespace());
    if path || variable {
        return;
    }
    cx.warnings.push(
        crate::diagnostic::Finding::warning(
            "trigger-project-format",
            format!(
                "{} project `{project}` is not a `group/project` path: GitLab's editor flags this; pipeline creation accepts it",
                entry.loc
            ),
            Some(node.span),
        )
        .explain(
            "The pipeline editor's schema expects the full path of the downstream project \
             (`group/project`, `group/sub-group/project`) or a variable. GitLab creates the pipeline \
             anyway and fails the trigger job when the project cannot be found.",
        ),
    );
}
