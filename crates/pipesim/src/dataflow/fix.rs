//! Proposed fixes, checked by simulating them: for a job that expects data from a job the
//! rules leave out of this pipeline, add a rule to the producer that matches this pipeline, run
//! the same pipeline again with the changed configuration, and keep the proposal only if the
//! producer is then created and the consumer receives what it produces.

use crate::event::{PipelineRequest, RefKind};
use crate::pipeline::{self, PipelineReport};
use crate::source::Files;
use crate::yaml::{Map, Node, Value};

use crate::diagnostic::Fix;

use super::Input;

/// A rule condition that holds in this pipeline and names what makes it this pipeline.
fn condition_for(request: &PipelineRequest) -> String {
    match request.ref_kind {
        RefKind::Branch if request.source.as_str() == "push" => {
            format!("$CI_COMMIT_BRANCH == \"{}\"", request.ref_short)
        }
        RefKind::Tag => "$CI_COMMIT_TAG".to_owned(),
        RefKind::MergeRequest => "$CI_PIPELINE_SOURCE == \"merge_request_event\"".to_owned(),
        RefKind::Branch => format!(
            "$CI_PIPELINE_SOURCE == \"{}\" && $CI_COMMIT_BRANCH == \"{}\"",
            request.source.as_str(),
            request.ref_short
        ),
    }
}

fn str_node(text: &str, like: &Node) -> Node {
    Node::new(Value::Str(text.to_owned()), like.span)
}

/// What kind of change a break calls for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixKind {
    /// The producer exists but the rules leave it out of this pipeline.
    RunProducerHere,
    /// `needs:project` looks for the producer in another pipeline; build it in this one and
    /// need it directly.
    NeedInPipeline,
}

/// Proposes and checks the change `kind` for `consumer`, which expected data from `producer`.
pub fn propose(
    input: &Input,
    report: &PipelineReport,
    kind: FixKind,
    consumer: &str,
    producer: &str,
) -> Option<Fix> {
    if input.verifying {
        return None;
    }
    let composed = input.composed;
    let base_of = |name: &str| {
        composed
            .normalized
            .jobs
            .iter()
            .find(|j| j.name == name)
            .map(|j| j.base_name.clone())
    };
    let producer_base = base_of(producer)?;
    let consumer_base = base_of(consumer)?;
    let producer_left_out = report.jobs.iter().any(|j| j.name == producer && !j.created);
    let mut root = Node::clone(&composed.expanded);
    let condition = condition_for(input.request);
    let mut snippet = Map::default();

    if producer_left_out {
        let job = root.as_map_mut()?.get_mut(&producer_base)?;
        let rules = job.get("rules").and_then(Node::as_seq)?.to_vec();
        let mut rule = Map::default();
        rule.insert(str_node("if", job), str_node(&condition, job));
        let mut new_rules = vec![Node::new(Value::Map(rule), job.span)];
        new_rules.extend(rules);
        let rules_node = Node::new(Value::Seq(new_rules), job.span);
        *job.as_map_mut()?.get_mut("rules")? = rules_node.clone();
        let mut changed = Map::default();
        changed.insert(str_node("rules", job), rules_node);
        snippet.insert(
            str_node(&producer_base, job),
            Node::new(Value::Map(changed), job.span),
        );
    } else if kind == FixKind::RunProducerHere {
        return None;
    }
    if kind == FixKind::NeedInPipeline {
        let job = root.as_map_mut()?.get_mut(&consumer_base)?;
        let needs = job.get("needs").and_then(Node::as_seq)?.to_vec();
        let replaced: Vec<Node> = needs
            .into_iter()
            .map(|need| {
                let cross = need.get("project").is_some()
                    && need.get("job").and_then(Node::scalar_to_s).as_deref() == Some(producer);
                if cross {
                    str_node(producer, &need)
                } else {
                    need
                }
            })
            .collect();
        let needs_node = Node::new(Value::Seq(replaced), job.span);
        *job.as_map_mut()?.get_mut("needs")? = needs_node.clone();
        let mut changed = Map::default();
        changed.insert(str_node("needs", job), needs_node);
        snippet.insert(
            str_node(&consumer_base, job),
            Node::new(Value::Map(changed), job.span),
        );
    }
    let span = root.span;
    let yaml = crate::yaml::emit::to_yaml(&Node::new(Value::Map(snippet), span))
        .trim_start_matches("---\n")
        .to_owned();

    let verified = rerun_works(input, report, &root, consumer, producer);
    let summary = match kind {
        FixKind::RunProducerHere => format!(
            "Let `{producer}` run in this pipeline too: add `if: {condition}` as its first rule, so `{consumer}` receives its artifacts and dotenv variables"
        ),
        FixKind::NeedInPipeline if producer_left_out => format!(
            "Build in the pipeline that deploys: add `if: {condition}` as the first rule of `{producer}` and replace the `needs:project` entry of `{consumer}` with `needs: [{producer}]`"
        ),
        FixKind::NeedInPipeline => format!(
            "`{producer}` already runs in this pipeline: replace the `needs:project` entry of `{consumer}` with `needs: [{producer}]`"
        ),
    };
    Some(Fix {
        summary: format!(
            "{summary}{}.",
            if verified {
                " (pipesim simulated this change: it works)"
            } else {
                " (pipesim could not confirm this by simulation)"
            }
        ),
        yaml,
        verified,
    })
}

/// Runs this pipeline again with the changed configuration (all in one file) and checks that
/// the producer runs, the consumer receives from it, and no break remains for the consumer.
fn rerun_works(
    input: &Input,
    report: &PipelineReport,
    root: &Node,
    consumer: &str,
    producer: &str,
) -> bool {
    let mut files = Files::new();
    files.insert(
        &input.project.ci_config_path,
        crate::yaml::emit::to_yaml(root),
    );
    let mut request = input.request.clone();
    request.files = files;
    let compare_to = |_: &str| None;
    let (mut rerun, composed) = pipeline::create_composed(&pipeline::Request {
        project: input.project,
        pipeline: &request,
        id: report.id,
        iid: report.iid,
        compare_to: &compare_to,
        projects: None,
    });
    let Some(composed) = composed else {
        return false;
    };
    let flow = super::analyze(
        &mut rerun,
        &Input {
            project: input.project,
            request: &request,
            composed: &composed,
            store: input.store,
            depth: input.depth,
            downstream: input.downstream,
            multi_project: input.multi_project,
            world: input.world,
            outcomes: input.outcomes,
            verifying: true,
        },
    );
    let producer_runs = rerun
        .jobs
        .iter()
        .any(|j| j.name == producer && j.created && j.outcome.as_deref() != Some("not_run"));
    let Some(consumer_job) = rerun.jobs.iter().find(|j| j.name == consumer && j.created) else {
        return false;
    };
    let receives = consumer_job
        .artifacts_from
        .as_ref()
        .is_some_and(|from| from.iter().any(|f| f == producer))
        || consumer_job.dotenv.values().any(|d| d.from == producer);
    let still_broken = flow.diagnostics.iter().any(|d| {
        d.job.as_deref() == Some(consumer)
            && d.severity != crate::Severity::Info
            && matches!(
                d.code,
                "dependency-not-in-pipeline"
                    | "variable-not-set"
                    | "file-not-provided"
                    | "needs-project-not-found"
                    | "needs-project-tier"
                    | "needs-project-expired"
            )
    });
    producer_runs && receives && !still_broken
}
