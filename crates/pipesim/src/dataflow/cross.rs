//! Cross-pipeline dependencies: `needs:project` (the latest successful job of a ref, Premium)
//! and `needs:pipeline:job` (a job of another pipeline of the same parent/child hierarchy),
//! their variables expanded first, against what earlier pipelines of the timeline left
//! (`store`).
//!
//! Sources: ee/app/models/ee/ci/build_dependencies.rb (`cross_project`, `cross_pipeline`,
//! `fetch_dependencies_in_hierarchy`; read through docs and the issue reports, the EE file is not
//! in the mirror), doc/ci/yaml/_index.md `needs:project`, `needs:pipeline:job`.

use std::collections::HashMap;

use super::store::StoredJob;
use super::{describe_run, fix, job_diagnostic_in, Input, Producers, MISSING_DEPENDENCY};
use crate::diagnostic::{Diagnostic, Finding};
use crate::pipeline::PipelineReport;
use crate::yaml::{Node, Value};

/// What a job's cross-pipeline needs give it.
#[derive(Default)]
pub struct CrossResult<'s> {
    /// Jobs of other pipelines whose artifacts (and dotenv) the job downloads.
    pub received: Vec<&'s StoredJob>,
    pub diagnostics: Vec<Diagnostic>,
    /// Which job each diagnostic's data should have come from, by index in `diagnostics`.
    pub producers: Producers,
    /// A need cannot be satisfied: the job fails before its script (missing_dependency_failure).
    pub fails_to_start: bool,
}

/// Resolves every cross-pipeline need of one job; `values` expands their variables
/// (`CI_PIPELINE_ID` is the pipeline's id).
pub fn resolve<'s>(
    report: &PipelineReport,
    input: &'s Input,
    name: &str,
    needs: &[CrossNeed],
    values: &HashMap<String, String>,
) -> CrossResult<'s> {
    let mut out = CrossResult::default();
    let expand = |s: &str| super::variables::expand_all(s, values, report.id);
    for need in needs {
        match need {
            CrossNeed::Project {
                project,
                job,
                reference,
                artifacts,
                span,
            } => {
                let (project, job, reference) = (expand(project), expand(job), expand(reference));
                let before = out.diagnostics.len();
                let found = resolve_needs_project(
                    report,
                    input,
                    (name, *span),
                    &project,
                    &job,
                    &reference,
                    &mut out.diagnostics,
                );
                if project == input.project.path {
                    for (index, diagnostic) in out.diagnostics.iter().enumerate().skip(before) {
                        if diagnostic.severity == crate::Severity::Error {
                            out.producers
                                .push((index, job.clone(), fix::FixKind::NeedInPipeline));
                        }
                    }
                } else if let Some(other) = ref_with_artifacts(input, &project, &job)
                    .filter(|_| !raw_reference_is_variable(need))
                {
                    for (index, diagnostic) in out.diagnostics.iter().enumerate().skip(before) {
                        if diagnostic.code == "needs-project-not-found" {
                            out.producers.push((
                                index,
                                job.clone(),
                                fix::FixKind::PointRef(other.clone()),
                            ));
                        }
                    }
                }
                if let (Some(found), true) = (found, *artifacts) {
                    out.received.push(found);
                }
            }
            CrossNeed::Pipeline {
                pipeline,
                job,
                artifacts,
                span,
            } => {
                let (pipeline_text, job) = (expand(pipeline), expand(job));
                // build_dependencies.rb `cross_pipeline`: only pipelines of the same
                // parent/child hierarchy (`same_family_pipeline_ids`), not this one.
                let root = input.store.root_of(report.id, report.parent);
                let found = pipeline_text.parse::<u64>().ok().and_then(|id| {
                    input
                        .store
                        .runs_of(&job)
                        .into_iter()
                        .find(|r| r.pipeline == id && r.succeeded)
                        .filter(|r| {
                            r.pipeline != report.id && input.store.in_family(r.pipeline, root)
                        })
                });
                match found {
                    Some(found) if *artifacts => out.received.push(found),
                    Some(_) => {}
                    None => out.diagnostics.push(job_diagnostic_in(
                        report.event,
                        name,
                        Finding::error(
                            "needs-pipeline-not-found",
                            MISSING_DEPENDENCY.to_owned(),
                            Some(*span),
                        )
                        .explain(format!(
                            "`needs: [{{pipeline: {pipeline}, job: {job}}}]` looks for a successful `{job}` in pipeline `{pipeline_text}` of the same parent/child hierarchy and finds none, so the job fails before its script runs (missing_dependency_failure). Pass the parent's id from the trigger job (`variables: {{PARENT_PIPELINE_ID: $CI_PIPELINE_ID}}`) and make sure `{job}` runs and succeeds in that pipeline."
                        )),
                        &input.composed.files,
                    )),
                }
            }
        }
    }
    out.fails_to_start = out.diagnostics.iter().any(|d| {
        d.severity == crate::Severity::Error
            && (d.message == MISSING_DEPENDENCY || d.code == "needs-project-job-token")
    });
    out
}

pub enum CrossNeed {
    Project {
        project: String,
        job: String,
        reference: String,
        artifacts: bool,
        /// The `needs:` entry, where its findings point.
        span: crate::Span,
    },
    Pipeline {
        pipeline: String,
        job: String,
        artifacts: bool,
        span: crate::Span,
    },
}

pub fn cross_pipeline_needs(node: &Node) -> Vec<CrossNeed> {
    let mut out = Vec::new();
    let Some(needs) = node.get("needs") else {
        return out;
    };
    let mut items = Vec::new();
    match &needs.value {
        Value::Seq(list) => crate::config::validate::flatten_seq(list, &mut items),
        Value::Map(_) => items.push(needs),
        _ => {}
    }
    for item in items {
        let text = |key: &str| item.get(key).and_then(Node::scalar_to_s);
        let artifacts = item
            .get("artifacts")
            .and_then(Node::as_bool)
            .unwrap_or(true);
        if let (Some(project), Some(job)) = (text("project"), text("job")) {
            out.push(CrossNeed::Project {
                project,
                job,
                reference: text("ref").unwrap_or_default(),
                artifacts,
                span: item.span,
            });
        } else if let (Some(pipeline), Some(job)) = (text("pipeline"), text("job")) {
            out.push(CrossNeed::Pipeline {
                pipeline,
                job,
                artifacts,
                span: item.span,
            });
        }
    }
    out
}

fn resolve_needs_project<'s>(
    report: &PipelineReport,
    input: &'s Input,
    (job, at): (&str, crate::Span),
    project: &str,
    needed: &str,
    reference: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<&'s StoredJob> {
    let paid = input.project.tier.is_paid();
    if !paid {
        diagnostics.push(job_diagnostic_in(
            report.event,
            job,
            Finding::error("needs-project-tier", MISSING_DEPENDENCY.to_owned(), Some(at)).explain(format!(
                "`needs:project` is a GitLab Premium feature (cross_project_pipelines); on the {} tier GitLab finds no cross-project dependency, so `{job}` fails before its script runs (missing_dependency_failure).",
                input.project.tier.as_str()
            )),
            &input.composed.files,
        ));
    }
    let own = project == input.project.path;
    let target = if own {
        Some(input.project)
    } else {
        input
            .world
            .iter()
            .map(crate::event::Timeline::project)
            .find(|p| p.path == project)
    };
    let Some(target) = target else {
        if input.world.len() > 1 {
            diagnostics.push(job_diagnostic_in(
                report.event,
                job,
                Finding::error("needs-project-not-found", MISSING_DEPENDENCY.to_owned(), Some(at)).explain(format!(
                    "`needs:project` names {project}, which is not a project of this scenario, so GitLab finds no job to depend on and `{job}` fails before its script runs (missing_dependency_failure). Fix: add {project} under `projects:`, or correct the path."
                )),
            &input.composed.files,
        ));
            return None;
        }
        diagnostics.push(job_diagnostic_in(
            report.event,
            job,
            Finding::info(
                "needs-project-unknown",
                format!("pipesim cannot see project {project}; it assumes `{needed}` has artifacts on `{reference}` there"),
                Some(at),
            ),
            &input.composed.files,
        ));
        return None;
    };
    // doc/ci/jobs/ci_job_token.md: the job fetches the other project's artifacts with its job
    // token, which that project's inbound allowlist must allow.
    if !own && !target.job_token.allows(&target.path, &input.project.path) {
        diagnostics.push(job_diagnostic_in(
            report.event,
            job,
            Finding::error("needs-project-job-token", format!("`needs:project`: the job token of {} is not allowed in {project}", input.project.path), Some(at)).explain(format!(
                "{project} limits which projects' CI/CD job tokens may access it (Settings > CI/CD > Job token permissions), and {} is not on its allowlist, so `{job}` cannot fetch `{needed}`'s artifacts from it. This message is pipesim's: GitLab's exact text for this refusal was not confirmed. Fix: add {} to {project}'s allowlist (`job_token: {{allowlist: [{}]}}` in the scenario).",
                input.project.path, input.project.path, input.project.path
            )),
            &input.composed.files,
        ));
        return None;
    }
    let found = input.store.latest_success(&target.path, needed, reference);
    if let Some(run) = found {
        if available_run(input, target, needed, reference).is_none() {
            diagnostics.push(job_diagnostic_in(
                report.event,
                job,
                Finding::error("needs-project-expired", MISSING_DEPENDENCY.to_owned(), Some(at)).explain(format!(
                    "`needs:project` finds `{needed}` in {}, but its artifacts expired (`expire_in: {}`) and nothing keeps them: \"Keep artifacts from most recent successful jobs\" only protects the newest successful pipeline of `{reference}`{}. The job fails before its script runs (missing_dependency_failure). Fix: a longer `expire_in`, or run `{needed}` again on `{reference}` before this pipeline.",
                    describe_run(run),
                    run.expire_in,
                    if target.settings.keep_latest_artifacts { ", and that pipeline is not it" } else { " (the setting is off)" }
                )),
            &input.composed.files,
        ));
            return None;
        }
    }
    if found.is_none() {
        let runs = input.store.runs_of(needed);
        let elsewhere = if runs.is_empty() {
            format!(" `{needed}` has not run in any earlier pipeline of this timeline.")
        } else {
            let listed: Vec<String> = runs.iter().take(3).map(|r| describe_run(r)).collect();
            format!(
                " `{needed}` ran in {} — not on `{reference}`. A job's ref is its pipeline's ref: jobs of merge request pipelines have `refs/merge-requests/<iid>/head`, never the branch name.",
                listed.join(", ")
            )
        };
        if paid {
            diagnostics.push(job_diagnostic_in(
                report.event,
                job,
                Finding::error("needs-project-not-found", MISSING_DEPENDENCY.to_owned(), Some(at))
                    .explain(format!(
                        "`needs:project` takes the latest successful `{needed}` whose job ref is `{reference}` in {project}, and there is none, so `{job}` fails before its script runs (missing_dependency_failure).{elsewhere} Fix: build the value in this pipeline (run `{needed}` here and use `needs: [{needed}]`), or point `ref` at where the job really runs."
                    )),
            &input.composed.files,
        ));
        } else {
            diagnostics.push(job_diagnostic_in(
                report.event,
                job,
                Finding::error("needs-project-not-found", MISSING_DEPENDENCY.to_owned(), Some(at))
                    .explain(format!(
                        "Even on Premium this need would fail: `needs:project` takes the latest successful `{needed}` whose job ref is `{reference}`, and there is none.{elsewhere} Fix: build the value in this pipeline (run `{needed}` here and use `needs: [{needed}]`)."
                    )),
            &input.composed.files,
        ));
        }
    }
    if paid {
        found
    } else {
        None
    }
}

/// A branch or tag of `project` where `job` last succeeded with its artifacts still there, for
/// a `needs:project` whose own ref found nothing (merge request refs are left out: a `ref` that
/// names one would follow a single merge request).
fn ref_with_artifacts(input: &Input, project: &str, job: &str) -> Option<String> {
    let target = input
        .world
        .iter()
        .map(crate::event::Timeline::project)
        .find(|p| p.path == project)?;
    input
        .store
        .runs_of(job)
        .into_iter()
        .filter(|r| &*r.project == project && r.succeeded && !r.ref_name.starts_with("refs/"))
        .find(|r| available_run(input, target, job, &r.ref_name).is_some())
        .map(|r| r.ref_name.clone())
}

/// A `ref` written with a variable may mean a different ref on every pipeline: pointing it at
/// one fixed ref is not a fix pipesim proposes.
fn raw_reference_is_variable(need: &CrossNeed) -> bool {
    matches!(need, CrossNeed::Project { reference, .. } if reference.contains('$'))
}

/// The run `needs:project` would use: the latest successful job on the ref whose artifacts are
/// still there (not expired, or kept as the latest of a successful pipeline of the ref).
pub fn available_run<'s>(
    input: &'s Input,
    project: &crate::event::Project,
    job: &str,
    reference: &str,
) -> Option<&'s StoredJob> {
    let run = input.store.latest_success(&project.path, job, reference)?;
    let expired = run.expire_at.is_some_and(|at| at <= input.request.time);
    let locked = project.settings.keep_latest_artifacts
        && input
            .store
            .is_latest_successful(&run.project, run.pipeline, &run.ref_name);
    (!expired || locked).then_some(run)
}
