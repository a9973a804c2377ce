//! Artifacts and dotenv reports: what each created job leaves behind (`artifacts:paths` for its
//! result, `artifacts:when`, `expire_in`, every `artifacts:reports:dotenv` file parsed as one
//! report) and what each job downloads from the jobs of its own pipeline
//! (`Ci::BuildDependencies#local`: earlier stages, or `needs` with `artifacts: true`, filtered
//! by `dependencies`; `dependencies: []` means none, `dependencies: null` means not given).
//!
//! Sources: app/models/ci/build_dependencies.rb (`no_local_dependencies_specified?` is
//! `options[:dependencies]&.empty?`, `from_dependencies` applies only when it is `present?`),
//! app/services/ci/parse_dotenv_artifact_service.rb (`parse!` reads every blob of the report
//! into one hash: a later file's key wins, the variable limit counts them all),
//! doc/ci/yaml/_index.md `artifacts`, `dependencies`, `needs:artifacts`.

use std::collections::HashMap;

use super::run::RunState;
use super::{
    artifact_covers, dotenv, fix, job_diagnostic, missing_dependency, strings, Input, JobInput,
    Lookup, Producers, DEFAULT_EXPIRE_IN,
};
use crate::diagnostic::{Diagnostic, Finding};
use crate::pipeline::{DotenvValue, PipelineReport};
use crate::sorted::SortedMap;
use crate::yaml::Node;

/// What a job leaves behind for others.
pub struct Produced {
    pub runs: bool,
    pub state: RunState,
    pub expire_at: Option<u64>,
    pub expire_in: String,
    pub artifact_paths: Vec<String>,
    pub has_artifacts: bool,
    pub dotenv: Vec<(String, Option<String>)>,
    /// Keys the script writes to its dotenv report, even when GitLab rejects the report.
    pub dotenv_attempted: Vec<String>,
    /// GitLab's reason for rejecting the dotenv report.
    pub dotenv_rejected: Option<String>,
    /// Paths the script writes, declared as artifacts or not.
    pub writes: Vec<String>,
}

/// What a job receives from the jobs of its own pipeline.
#[derive(Default)]
pub struct Received {
    pub artifacts_from: Vec<String>,
    pub paths: Vec<String>,
    pub dotenv: SortedMap<String, DotenvValue>,
}

/// What every created job leaves behind, by name.
pub fn produce_all(
    report: &PipelineReport,
    input: &Input,
    jobs: &[Option<JobInput>],
    states: &HashMap<String, RunState>,
    diagnostics: &mut Vec<Diagnostic>,
) -> HashMap<String, Produced> {
    // Most jobs keep the default `expire_in`: its duration is read once.
    let default_expire_at = crate::config::duration::parse_seconds(DEFAULT_EXPIRE_IN)
        .map(|seconds| input.request.time.saturating_add(seconds));
    let mut produced = HashMap::with_capacity(report.jobs.len());
    for (job, job_input) in report.jobs.iter().zip(jobs) {
        let Some(job_input) = job_input else { continue };
        let state = states.get(&job.name).copied().unwrap_or(RunState::NotRun);
        produced.insert(
            job.name.clone(),
            produce(
                report,
                input,
                &job.name,
                job_input,
                state,
                default_expire_at,
                diagnostics,
            ),
        );
    }
    produced
}

fn produce(
    report: &PipelineReport,
    input: &Input,
    name: &str,
    job_input: &JobInput,
    state: RunState,
    default_expire_at: Option<u64>,
    diagnostics: &mut Vec<Diagnostic>,
) -> Produced {
    let node = job_input.node;
    let facts = &job_input.script.facts;
    let artifacts = node.get("artifacts");
    let mut paths = strings(artifacts.and_then(|a| a.get("paths")));
    let artifacts_when = artifacts
        .and_then(|a| a.get("when"))
        .and_then(Node::scalar_to_s)
        .unwrap_or_else(|| "on_success".to_owned());
    let untracked = artifacts
        .and_then(|a| a.get("untracked"))
        .and_then(Node::as_bool)
        .unwrap_or(false);
    let dotenv_files = strings(
        artifacts
            .and_then(|a| a.get("reports"))
            .and_then(|r| r.get("dotenv")),
    );
    let writes: Vec<String> = facts.writes.iter().map(|w| w.path.clone()).collect();
    if untracked {
        // `artifacts:untracked` uploads every untracked file the job leaves.
        paths.extend(writes.iter().cloned());
    }
    // `artifacts:when` decides whether paths are uploaded for the job's result; reports
    // are always uploaded (doc/ci/yaml/_index.md artifacts:when, artifacts:reports).
    let uploads_paths = match state {
        RunState::Succeeded => artifacts_when != "on_failure",
        RunState::Failed => artifacts_when != "on_success",
        RunState::NotRun => false,
    };
    if !uploads_paths {
        paths.clear();
    }
    let expire_in = artifacts
        .and_then(|a| a.get("expire_in"))
        .and_then(Node::scalar_to_s)
        .unwrap_or_else(|| DEFAULT_EXPIRE_IN.to_owned());
    let expire_at = match expire_in.as_str() {
        "never" => None,
        DEFAULT_EXPIRE_IN => default_expire_at,
        _ => crate::config::duration::parse_seconds(&expire_in)
            .map(|seconds| input.request.time.saturating_add(seconds)),
    };
    let (mut dotenv, dotenv_rejected) =
        dotenv_report(report, input, name, facts, &dotenv_files, diagnostics);
    let dotenv_attempted: Vec<String> = dotenv.iter().map(|(k, _)| k.clone()).collect();
    if dotenv_rejected.is_some() || state == RunState::NotRun {
        dotenv.clear();
    }
    let has_artifacts = !paths.is_empty() || !dotenv_files.is_empty() || artifacts.is_some();
    Produced {
        runs: state != RunState::NotRun,
        state,
        expire_at,
        expire_in,
        artifact_paths: paths,
        has_artifacts,
        dotenv,
        dotenv_attempted,
        dotenv_rejected,
        writes,
    }
}

/// The variables of a job's dotenv report: each file of `artifacts:reports:dotenv` as the
/// script writes it (a `>` write replaces the file's earlier lines, `>>` adds to them), the
/// files in order into one set where a later key wins, then GitLab's parser and limit over all
/// of them. Returns the variables and GitLab's rejection, if any.
fn dotenv_report(
    report: &PipelineReport,
    input: &Input,
    name: &str,
    facts: &super::script::ScriptFacts,
    files: &[String],
    diagnostics: &mut Vec<Diagnostic>,
) -> (Vec<(String, Option<String>)>, Option<String>) {
    let mut dotenv: Vec<(String, Option<String>)> = Vec::new();
    let mut text = String::new();
    let mut known = true;
    for file in files {
        let file_writes: Vec<_> = facts
            .writes
            .iter()
            .filter(|w| artifact_covers(&w.path, file))
            .collect();
        if file_writes.is_empty() {
            diagnostics.push(job_diagnostic(
                report.event,
                name,
                Finding::info(
                    "dotenv-unknown",
                    format!("pipesim cannot see what the script writes to {file}"),
                    None,
                )
                .explain(format!(
                    "`artifacts:reports:dotenv: {file}` names the file, but no line of the script visibly writes it (`echo \"KEY=value\" > {file}`), so its variables are known only at run time. If the file does not exist when the job ends, GitLab uploads no dotenv report."
                )),
            ));
        }
        // This file's lines, as the script leaves them.
        let mut lines: Vec<&super::script::DotenvLine> = Vec::new();
        for write in file_writes {
            if !write.append {
                lines.clear();
            }
            known &= write.complete;
            lines.extend(write.entries.iter());
        }
        for line in lines {
            dotenv.retain(|(k, _)| *k != line.key);
            dotenv.push((line.key.clone(), line.value.clone()));
            text.push_str(&line.raw);
            text.push('\n');
        }
    }
    let mut rejected = None;
    if known && !text.is_empty() {
        let limit = dotenv::max_variables(input.project.tier.as_str(), false);
        if let Err(error) = dotenv::parse(&text, limit) {
            diagnostics.push(job_diagnostic(
                report.event,
                name,
                Finding::error("dotenv-invalid", error.message.clone(), None)
                    .explain(error.explanation.clone()),
            ));
            rejected = Some(error.message.clone());
        }
    }
    (dotenv, rejected)
}

/// What every created job downloads from the jobs of its own pipeline, by position in
/// `report.jobs`; `dependencies` entries naming a job that is not in the pipeline get a
/// diagnostic.
pub fn receive_all(
    report: &PipelineReport,
    input: &Input,
    lookup: &Lookup,
    jobs: &[Option<JobInput>],
    produced: &HashMap<String, Produced>,
    (diagnostics, producers): (&mut Vec<Diagnostic>, &mut Producers),
) -> Vec<Option<Received>> {
    // Only jobs that leave artifacts or dotenv variables matter to the jobs after them; most
    // jobs leave none, which keeps this linear on large configurations.
    let sources: Vec<(String, usize)> = report
        .jobs
        .iter()
        .filter(|j| j.created)
        .filter(|j| {
            produced
                .get(&j.name)
                .is_some_and(|p| p.has_artifacts || !p.dotenv.is_empty())
        })
        .map(|j| (j.name.clone(), lookup.stage_index(&j.stage)))
        .collect();
    report
        .jobs
        .iter()
        .zip(jobs)
        .enumerate()
        .map(|(index, (job, job_input))| {
            let job_input = job_input.as_ref()?;
            let deps = local_dependencies(
                report,
                input,
                lookup,
                index,
                job_input.node,
                &sources,
                produced,
                (&mut *diagnostics, &mut *producers),
            );
            let _ = job;
            Some(receive_local(&deps, produced, report.id))
        })
        .collect()
}

/// build_dependencies.rb `local`: the same-pipeline jobs whose artifacts a job downloads.
#[allow(clippy::too_many_arguments)]
fn local_dependencies(
    report: &PipelineReport,
    input: &Input,
    lookup: &Lookup,
    index: usize,
    node: &Node,
    sources: &[(String, usize)],
    produced: &HashMap<String, Produced>,
    (diagnostics, producers): (&mut Vec<Diagnostic>, &mut Producers),
) -> Vec<String> {
    let job = &report.jobs[index];
    let job_stage = lookup.stage_index(&job.stage);
    // `dependencies: null` is not specified (`options[:dependencies]` is nil).
    let declared = node
        .get("dependencies")
        .filter(|d| !d.is_null())
        .map(|d| strings(Some(d)));
    let mut deps: Vec<String> = match (&declared, &job.needs) {
        (Some(list), _) if list.is_empty() => Vec::new(),
        (_, Some(_)) => job
            .need_artifacts
            .iter()
            .filter(|(_, artifacts)| *artifacts)
            .map(|(n, _)| n.clone())
            .collect(),
        _ => sources
            .iter()
            .filter(|(_, stage)| *stage < job_stage)
            .map(|(n, _)| n.clone())
            .collect(),
    };
    if let Some(list) = &declared {
        let mut wanted = std::collections::HashSet::new();
        for dependency in list {
            let names = input.composed.normalized.expand_name(dependency);
            let present: Vec<&String> =
                names.iter().filter(|n| produced.contains_key(*n)).collect();
            if present.is_empty() {
                producers.push((
                    diagnostics.len(),
                    dependency.clone(),
                    fix::FixKind::RunProducerHere,
                ));
                diagnostics.push(missing_dependency(
                    report,
                    input,
                    (&job.name, node),
                    dependency,
                ));
            }
            wanted.extend(names);
        }
        deps.retain(|d| wanted.contains(d));
    }
    deps
}

/// The artifacts and dotenv variables of the dependencies that ran.
fn receive_local(deps: &[String], produced: &HashMap<String, Produced>, pipeline: u64) -> Received {
    let mut received = Received::default();
    for dep in deps {
        let Some(p) = produced.get(dep) else { continue };
        if !p.runs {
            continue;
        }
        if p.has_artifacts {
            received.artifacts_from.push(dep.clone());
        }
        received.paths.extend(p.artifact_paths.iter().cloned());
        for (key, value) in &p.dotenv {
            received.dotenv.insert(
                key.clone(),
                DotenvValue {
                    value: value.clone(),
                    from: dep.clone(),
                    pipeline,
                },
            );
        }
    }
    received
}
