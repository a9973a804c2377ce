//! Data flow: what each job of a created pipeline receives — artifacts, dotenv variables, its
//! final variable table — and where passing data breaks: a `dependencies` entry whose job is not
//! in the pipeline, a file the runner's git clean removed, a dotenv variable that never
//! arrives, a `needs:project` with nothing to find. Also the downstream (child) pipelines that
//! trigger jobs start.
//!
//! Sources: app/models/ci/build_dependencies.rb (+ the EE module), app/models/ci/build.rb
//! `valid_dependency?`, lib/gitlab/ci/variables/builder.rb `scoped_variables`,
//! lib/gitlab/ci/variables/downstream/generator.rb, app/models/ci/bridge.rb,
//! doc/ci/variables/dotenv_variables.md, doc/ci/yaml/_index.md (artifacts, dependencies, needs,
//! trigger), and the runner's fetch step (`git clean -ffdx`, see ../shared/gitlab-semantics.md §6).

pub mod dotenv;
pub mod fix;
pub mod hierarchy;
pub mod script;
pub mod store;

use std::collections::{HashMap, HashSet};

use crate::config::NormalizedJob;
use crate::diagnostic::{Diagnostic, Finding};
use crate::event::{JobOutcome, PipelineRequest, Project, Source};
use crate::glob::fnmatch;
use crate::pipeline::{Composed, DotenvValue, JobReport, PipelineReport, VariableRow};
use crate::sorted::SortedMap;
use crate::source::Files;
use crate::yaml::{Node, Value};

use store::{Store, StoredJob, StoredPipeline};

/// Precedence tier of each source, lowest first (builder.rb `scoped_variables`).
fn tier(source: &str) -> u8 {
    match source {
        "predefined" => 0,
        "global" => 1,
        "workflow" => 2,
        "job" => 3,
        "matrix" => 4,
        "rules" => 5,
        "dotenv" => 6,
        "project" => 7,
        "pipeline" | "upstream" => 8,
        "schedule" => 9,
        _ => 0,
    }
}

/// A child pipeline a trigger job asks for.
pub struct ChildRequest {
    pub bridge: String,
    pub request: PipelineRequest,
    /// Path of the generated root file that includes the trigger's files.
    pub entry: String,
}

/// What data-flow analysis adds to one pipeline.
pub struct Flow {
    pub diagnostics: Vec<Diagnostic>,
    pub stored: Vec<StoredJob>,
    pub pipeline: StoredPipeline,
    pub children: Vec<ChildRequest>,
}

/// What a job leaves behind for others.
struct Produced {
    runs: bool,
    state: RunState,
    expire_at: Option<u64>,
    expire_in: String,
    artifact_paths: Vec<String>,
    has_artifacts: bool,
    dotenv: Vec<(String, Option<String>)>,
    /// Keys the script writes to its dotenv report, even when GitLab rejects the report.
    dotenv_attempted: Vec<String>,
    /// GitLab's reason for rejecting the dotenv report.
    dotenv_rejected: Option<String>,
    /// Paths the script writes, declared as artifacts or not.
    writes: Vec<String>,
}

/// Whether an `artifacts:paths` entry (a path or glob, or a directory) delivers `path`.
pub fn artifact_covers(pattern: &str, path: &str) -> bool {
    let pattern = pattern.trim_start_matches("./").trim_end_matches('/');
    let path = path.trim_start_matches("./");
    pattern == path
        || fnmatch(pattern, path)
        || path
            .strip_prefix(pattern)
            .is_some_and(|rest| rest.starts_with('/'))
}

fn strings(node: Option<&Node>) -> Vec<String> {
    match node.map(|n| &n.value) {
        Some(Value::Seq(items)) => {
            let mut out = Vec::new();
            for item in items {
                match &item.value {
                    Value::Seq(_) => out.extend(strings(Some(item))),
                    _ => out.extend(item.scalar_to_s()),
                }
            }
            out
        }
        Some(_) => node.and_then(Node::scalar_to_s).into_iter().collect(),
        None => Vec::new(),
    }
}

fn script_lines(node: &Node) -> Vec<String> {
    let mut lines = strings(node.get("before_script"));
    lines.extend(strings(node.get("script")));
    lines
}

pub struct Input<'a> {
    pub project: &'a Project,
    pub request: &'a PipelineRequest,
    pub composed: &'a Composed,
    pub store: &'a Store,
    /// How deep in a parent/child hierarchy this pipeline is (0 for a top-level pipeline).
    pub depth: usize,
    /// How named jobs end, as the scenario states.
    pub outcomes: &'a [(String, JobOutcome)],
    /// Set while a proposed fix is being checked, so checking does not propose again.
    pub verifying: bool,
}

/// How a created job ends in this simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RunState {
    Succeeded,
    Failed,
    NotRun,
}

impl RunState {
    fn as_str(self) -> &'static str {
        match self {
            RunState::Succeeded => "success",
            RunState::Failed => "failed",
            RunState::NotRun => "not_run",
        }
    }
}

/// Stage-ordered execution (doc/ci/yaml/_index.md `when`; doc/ci/jobs/job_control.md manual
/// jobs): jobs succeed unless the scenario says otherwise; `on_success` jobs do not run after
/// a failure that is not allowed, `on_failure` jobs only run after one; a blocking manual job
/// that nobody plays holds back later stages; a `needs` job waits for exactly what it needs.
fn run_states(
    report: &PipelineReport,
    outcomes: &[(String, JobOutcome)],
    stage_of: &dyn Fn(&str) -> usize,
) -> HashMap<String, RunState> {
    let stated: HashMap<&str, JobOutcome> =
        outcomes.iter().map(|(n, o)| (n.as_str(), *o)).collect();
    let mut jobs: HashMap<&str, &JobReport> = HashMap::with_capacity(report.jobs.len());
    jobs.extend(
        report
            .jobs
            .iter()
            .filter(|j| j.created)
            .map(|j| (j.name.as_str(), j)),
    );
    let mut states: HashMap<String, RunState> = HashMap::with_capacity(jobs.len());
    // What the stages before the current one did, for stage-ordered jobs.
    let mut failed_before = false;
    let mut blocked_before = false;
    let mut by_stage: SortedMap<usize, Vec<&JobReport>> = SortedMap::new();
    for job in report.jobs.iter().filter(|j| j.created) {
        by_stage
            .get_or_insert_with(stage_of(&job.stage), Vec::new)
            .push(job);
    }
    for stage_jobs in by_stage.values() {
        // Jobs with `needs` may need a job of their own stage: take them once what they
        // need is decided (validation rules out cycles; a leftover is decided anyway).
        let mut pending: Vec<&JobReport> = stage_jobs.clone();
        let mut rounds = 0;
        while !pending.is_empty() && rounds <= stage_jobs.len() {
            rounds += 1;
            let mut next = Vec::new();
            for job in pending {
                let ready = rounds > stage_jobs.len()
                    || job.needs.as_ref().is_none_or(|needs| {
                        needs
                            .iter()
                            .all(|n| !jobs.contains_key(n.as_str()) || states.contains_key(n))
                    });
                if !ready {
                    next.push(job);
                    continue;
                }
                let (failed, waiting) = match &job.needs {
                    Some(needs) => {
                        let upstream = needs.iter().filter_map(|n| jobs.get(n.as_str()));
                        let mut failed = false;
                        let mut waiting = false;
                        for j in upstream {
                            let state = states.get(&j.name).copied().unwrap_or(RunState::NotRun);
                            failed |= state == RunState::Failed && !j.allow_failure;
                            // A job that needs an unstarted job waits for it, manual ones
                            // included (gitlab#382179).
                            waiting |= state == RunState::NotRun;
                        }
                        (failed, waiting)
                    }
                    None => (failed_before, blocked_before),
                };
                let state = match stated.get(job.name.as_str()) {
                    Some(JobOutcome::Failed) => RunState::Failed,
                    Some(JobOutcome::Skipped) => RunState::NotRun,
                    Some(JobOutcome::Success | JobOutcome::Played) => RunState::Succeeded,
                    None => match job.when.as_str() {
                        "manual" => RunState::NotRun,
                        "on_failure" if failed && !waiting => RunState::Succeeded,
                        "on_failure" => RunState::NotRun,
                        "always" if !waiting => RunState::Succeeded,
                        _ if !failed && !waiting => RunState::Succeeded,
                        _ => RunState::NotRun,
                    },
                };
                states.insert(job.name.clone(), state);
            }
            pending = next;
        }
        for job in stage_jobs {
            let state = states.get(&job.name).copied().unwrap_or(RunState::NotRun);
            failed_before |= state == RunState::Failed && !job.allow_failure;
            // An unplayed blocking manual job (allow_failure: false) holds back later stages.
            blocked_before |=
                state == RunState::NotRun && job.when == "manual" && !job.allow_failure;
        }
    }
    states
}

/// Analyses one created pipeline, filling each created job's `artifacts_from`, `dotenv` and
/// `variables`.
pub fn analyze(report: &mut PipelineReport, input: &Input) -> Flow {
    let composed = input.composed;
    let normalized: HashMap<&str, &NormalizedJob> = composed
        .normalized
        .jobs
        .iter()
        .map(|j| (j.name.as_str(), j))
        .collect();
    let job_nodes = composed
        .expanded
        .as_map()
        .map(crate::yaml::Map::by_key)
        .unwrap_or_default();
    let node_of = |name: &str| -> Option<&Node> {
        normalized
            .get(name)
            .and_then(|j| job_nodes.get(j.base_name.as_str()).copied())
    };
    let predefined_names: HashSet<&str> = composed
        .predefined
        .iter()
        .map(|(k, _)| k.as_str())
        .collect();
    let stage_index = |stage: &str| {
        composed
            .normalized
            .stages
            .iter()
            .position(|s| s == stage)
            .unwrap_or(usize::MAX)
    };

    // What the passes below read from each created job's configuration, read once; by
    // position in `report.jobs`.
    let nodes: Vec<Option<&Node>> = report
        .jobs
        .iter()
        .map(|j| j.created.then(|| node_of(&j.name)).flatten())
        .collect();
    let cross_needs: Vec<Vec<CrossNeed>> = nodes
        .iter()
        .map(|n| n.map(cross_pipeline_needs).unwrap_or_default())
        .collect();
    let lines: Vec<Vec<String>> = nodes
        .iter()
        .map(|n| n.map(script_lines).unwrap_or_default())
        .collect();

    // A job whose cross-pipeline dependency cannot be found fails before its script runs
    // (missing_dependency_failure), which changes what runs after it.
    let mut forced: Vec<(String, JobOutcome)> = input.outcomes.to_vec();
    for (index, job) in report.jobs.iter().enumerate() {
        let Some(node) = nodes[index] else {
            continue;
        };
        let cross = &cross_needs[index];
        if cross.is_empty() {
            continue;
        }
        let values = simple_values(input, composed, job, node, &normalized, &predefined_names);
        let missing = cross.iter().any(|need| {
            let expand = |s: &str| expand_all(s, &values, report.id);
            match need {
                CrossNeed::Project {
                    project,
                    job: needed,
                    reference,
                    ..
                } => {
                    let project = expand(project);
                    project == input.project.path
                        && (!input.project.tier.is_paid()
                            || available_run(input, &expand(needed), &expand(reference)).is_none())
                }
                CrossNeed::Pipeline {
                    pipeline,
                    job: needed,
                    ..
                } => {
                    let id = expand(pipeline).parse::<u64>().ok();
                    !input
                        .store
                        .runs_of(&expand(needed))
                        .iter()
                        .any(|r| Some(r.pipeline) == id && r.succeeded)
                }
            }
        });
        if missing && !forced.iter().any(|(n, _)| *n == job.name) {
            forced.push((job.name.clone(), JobOutcome::Failed));
        }
    }
    let states = run_states(report, &forced, &stage_index);
    let mut produced: HashMap<String, Produced> = HashMap::with_capacity(report.jobs.len());
    // Most jobs keep the default `expire_in`: its duration is read once.
    let default_expire_at = crate::config::duration::parse_seconds(DEFAULT_EXPIRE_IN)
        .map(|seconds| input.request.time.saturating_add(seconds));
    // What each script writes and reads, read once per job.
    let mut scripts: Vec<Option<script::ScriptFacts>> = report.jobs.iter().map(|_| None).collect();
    let mut diagnostics = Vec::new();
    let mut producers: Producers = Vec::new();
    for (index, job) in report.jobs.iter().enumerate() {
        let Some(node) = nodes[index] else {
            continue;
        };
        let state = states.get(&job.name).copied().unwrap_or(RunState::NotRun);
        let facts = scripts[index].insert(script::analyze(&lines[index]));
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
        let mut dotenv = Vec::new();
        let mut dotenv_rejected = None;
        for file in &dotenv_files {
            let file_writes: Vec<_> = facts
                .writes
                .iter()
                .filter(|w| artifact_covers(&w.path, file))
                .collect();
            if file_writes.is_empty() {
                diagnostics.push(job_diagnostic(
                    report.event,
                    &job.name,
                    Finding::warning(
                        "dotenv-unknown",
                        format!("pipesim cannot see what {} writes to {file}", job.name),
                        None,
                    )
                    .explain(format!(
                        "`artifacts:reports:dotenv: {file}` names the file, but no line of the script visibly writes it (`echo \"KEY=value\" > {file}`), so its variables are known only at run time. If the file does not exist when the job ends, GitLab uploads no dotenv report."
                    )),
                ));
            }
            let mut text = String::new();
            let mut known = true;
            for write in file_writes {
                if !write.append {
                    dotenv.clear();
                    text.clear();
                }
                known &= write.complete;
                for entry in &write.entries {
                    dotenv.retain(|(k, _): &(String, Option<String>)| *k != entry.key);
                    dotenv.push((entry.key.clone(), entry.value.clone()));
                    text.push_str(&entry.raw);
                    text.push('\n');
                }
            }
            if known && !text.is_empty() {
                let limit = dotenv::max_variables(input.project.tier.as_str(), false);
                if let Err(error) = dotenv::parse(&text, limit) {
                    diagnostics.push(job_diagnostic(
                        report.event,
                        &job.name,
                        Finding::error("dotenv-invalid", error.message.clone(), None)
                            .explain(error.explanation.clone()),
                    ));
                    dotenv_rejected = Some(error.message.clone());
                }
            }
        }
        let dotenv_attempted: Vec<String> = dotenv.iter().map(|(k, _)| k.clone()).collect();
        if dotenv_rejected.is_some() || state == RunState::NotRun {
            dotenv.clear();
        }
        let has_artifacts = !paths.is_empty() || !dotenv_files.is_empty() || artifacts.is_some();
        produced.insert(
            job.name.clone(),
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
            },
        );
    }

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
        .map(|j| (j.name.clone(), stage_index(&j.stage)))
        .collect();
    let mut stored = Vec::new();
    let mut children = Vec::new();
    let pipeline_id = report.id;
    for index in 0..report.jobs.len() {
        if !report.jobs[index].created {
            continue;
        }
        let name = report.jobs[index].name.clone();
        let Some(node) = nodes[index] else { continue };
        let job_stage = stage_index(&report.jobs[index].stage);

        // build_dependencies.rb `local`.
        let declared = node.get("dependencies").map(|d| strings(Some(d)));
        let mut deps: Vec<String> = match (&declared, &report.jobs[index].needs) {
            (Some(list), _) if list.is_empty() => Vec::new(),
            (_, Some(_)) => report.jobs[index]
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
                let names = composed.normalized.expand_name(dependency);
                let present: Vec<&String> =
                    names.iter().filter(|n| produced.contains_key(*n)).collect();
                if present.is_empty() {
                    producers.push((
                        diagnostics.len(),
                        dependency.clone(),
                        fix::FixKind::RunProducerHere,
                    ));
                    diagnostics.push(missing_dependency(report, &name, dependency, input.store));
                }
                wanted.extend(names);
            }
            deps.retain(|d| wanted.contains(d));
        }

        let mut artifacts_from = Vec::new();
        let mut received_paths: Vec<String> = Vec::new();
        let mut dotenv_in: SortedMap<String, DotenvValue> = SortedMap::new();
        for dep in &deps {
            let Some(p) = produced.get(dep) else { continue };
            if !p.runs {
                continue;
            }
            if p.has_artifacts {
                artifacts_from.push(dep.clone());
            }
            received_paths.extend(p.artifact_paths.iter().cloned());
            for (key, value) in &p.dotenv {
                dotenv_in.insert(
                    key.clone(),
                    DotenvValue {
                        value: value.clone(),
                        from: dep.clone(),
                        pipeline: pipeline_id,
                    },
                );
            }
        }

        // needs:project and needs:pipeline:job (cross-pipeline dependencies).
        let cross = &cross_needs[index];
        let job_scope_values = if cross.is_empty() {
            HashMap::new()
        } else {
            simple_values(
                input,
                composed,
                &report.jobs[index],
                node,
                &normalized,
                &predefined_names,
            )
        };
        for need in cross {
            let expand = |s: &str| expand_all(s, &job_scope_values, pipeline_id);
            match need {
                CrossNeed::Project {
                    project,
                    job,
                    reference,
                    artifacts,
                } => {
                    let (project, job, reference) =
                        (expand(project), expand(job), expand(reference));
                    let before = diagnostics.len();
                    let found = resolve_needs_project(
                        report,
                        input,
                        &name,
                        &project,
                        &job,
                        &reference,
                        &mut diagnostics,
                    );
                    if project == input.project.path {
                        for (index, diagnostic) in diagnostics.iter().enumerate().skip(before) {
                            if diagnostic.severity == crate::Severity::Error {
                                producers.push((index, job.clone(), fix::FixKind::NeedInPipeline));
                            }
                        }
                    }
                    if let (Some(found), true) = (found, *artifacts) {
                        receive(found, &mut received_paths, &mut dotenv_in);
                    }
                }
                CrossNeed::Pipeline {
                    pipeline,
                    job,
                    artifacts,
                } => {
                    let pipeline_text = expand(pipeline);
                    let found = pipeline_text.parse::<u64>().ok().and_then(|id| {
                        input
                            .store
                            .runs_of(job)
                            .into_iter()
                            .find(|r| r.pipeline == id && r.succeeded)
                    });
                    match found {
                        Some(found) if *artifacts => {
                            receive(found, &mut received_paths, &mut dotenv_in);
                        }
                        Some(_) => {}
                        None => diagnostics.push(job_diagnostic_in(
                            report.event,
                            &name,
                            Finding::error(
                                "needs-pipeline-not-found",
                                MISSING_DEPENDENCY.to_owned(),
                                Some(node.span),
                            )
                            .explain(format!(
                                "`needs: [{{pipeline: {pipeline}, job: {job}}}]` looks for a successful `{job}` in pipeline `{pipeline_text}` of the same parent/child hierarchy and finds none, so the job fails before its script runs (missing_dependency_failure). Pass the parent's id from the trigger job (`variables: {{PARENT_PIPELINE_ID: $CI_PIPELINE_ID}}`) and make sure `{job}` runs and succeeds in that pipeline."
                            )),
                            &composed.files,
                        )),
                    }
                }
            }
        }

        let table = variable_table(
            input,
            composed,
            &report.jobs[index],
            node,
            (&normalized, &predefined_names),
            &dotenv_in,
        );
        let facts = scripts[index]
            .take()
            .unwrap_or_else(|| script::analyze(&lines[index]));
        // A job whose cross-pipeline dependency is missing never starts its script.
        let fails_to_start = diagnostics.iter().any(|d| {
            d.job.as_deref() == Some(name.as_str())
                && d.message == MISSING_DEPENDENCY
                && d.severity == crate::Severity::Error
        });
        if !fails_to_start {
            file_checks(
                report,
                input,
                &name,
                &facts,
                (&received_paths, &cache_paths(node)),
                &produced,
                &table,
                (&mut diagnostics, &mut producers),
            );
            let read = variables_read(&lines[index]);
            variable_checks(
                report,
                input,
                &name,
                &facts,
                &read,
                &table,
                &produced,
                (&mut diagnostics, &mut producers),
            );
        }

        // A trigger job starts its downstream pipeline when it runs (a manual one once played).
        let bridge_runs = states.get(&name).copied() == Some(RunState::Succeeded);
        if report.jobs[index].kind == "trigger" && bridge_runs {
            if let Some(child) = child_request(input, report, &report.jobs[index], node, &table) {
                children.push(child);
            } else if let Some(diagnostic) =
                downstream_note(input, report, &report.jobs[index], node)
            {
                diagnostics.push(diagnostic);
            }
        }

        let job = &mut report.jobs[index];
        job.artifacts_from = Some(artifacts_from);
        job.outcome = states.get(&name).map(|s| s.as_str().to_owned());
        job.dotenv = dotenv_in;
        job.variables = table;
        if let Some(p) = produced.get(&name) {
            stored.push(StoredJob {
                pipeline: pipeline_id,
                event: report.event,
                source: report.source.clone(),
                ref_name: report.ref_name.clone(),
                job: name.clone(),
                succeeded: p.state == RunState::Succeeded,
                artifact_paths: p.artifact_paths.clone(),
                dotenv: p.dotenv.clone(),
                created_at: input.request.time,
                expire_at: p.expire_at,
                expire_in: p.expire_in.clone(),
            });
        }
    }
    attach_fixes(report, input, &mut diagnostics, &producers);
    let succeeded = report.jobs.iter().filter(|j| j.created).all(|j| {
        match states.get(&j.name).copied().unwrap_or(RunState::NotRun) {
            RunState::Failed => j.allow_failure,
            // An unplayed manual job leaves the pipeline blocked unless it may fail.
            RunState::NotRun => j.when != "manual" || j.allow_failure,
            RunState::Succeeded => true,
        }
    });
    Flow {
        diagnostics,
        stored,
        pipeline: StoredPipeline {
            id: pipeline_id,
            ref_name: report.ref_name.clone(),
            succeeded,
        },
        children,
    }
}

/// Which job each break's data should have come from, by diagnostic index.
type Producers = Vec<(usize, String, fix::FixKind)>;

/// For breaks caused by a producer that this pipeline's rules leave out, a verified rule that
/// brings it in (see `fix`).
fn attach_fixes(
    report: &PipelineReport,
    input: &Input,
    diagnostics: &mut [Diagnostic],
    producers: &Producers,
) {
    if input.verifying {
        return;
    }
    let mut proposals: Vec<(String, String, crate::Fix)> = Vec::new();
    for (index, producer, kind) in producers {
        let Some(diagnostic) = diagnostics.get_mut(*index) else {
            continue;
        };
        let Some(consumer) = diagnostic.job.clone() else {
            continue;
        };
        let cached = proposals
            .iter()
            .find(|(c, p, _)| *c == consumer && p == producer)
            .map(|(_, _, f)| f.clone());
        let fix = match cached {
            Some(fix) => Some(fix),
            None => fix::propose(input, report, *kind, &consumer, producer),
        };
        if let Some(fix) = fix {
            proposals.push((consumer, producer.clone(), fix.clone()));
            diagnostic.fix = Some(fix);
        }
    }
}

/// GitLab's default `expire_in` for job artifacts (instance setting "Default artifacts
/// expiration", 30 days) — UNCONFIRMED in a current doc page; secondary sources agree.
pub const DEFAULT_EXPIRE_IN: &str = "30 days";

/// What a job gets from a job of another pipeline it depends on: its artifact paths and its
/// dotenv variables (which override earlier ones of the same name).
fn receive(
    found: &StoredJob,
    paths: &mut Vec<String>,
    dotenv: &mut SortedMap<String, DotenvValue>,
) {
    paths.extend(found.artifact_paths.iter().cloned());
    for (key, value) in &found.dotenv {
        dotenv.insert(
            key.clone(),
            DotenvValue {
                value: value.clone(),
                from: found.job.clone(),
                pipeline: found.pipeline,
            },
        );
    }
}

/// GitLab's job failure text for `missing_dependency_failure` (app/serializers/
/// build_details_entity.rb); the list names only invalid same-pipeline dependencies, so it is
/// empty for cross-pipeline ones.
pub const MISSING_DEPENDENCY: &str =
    "This job depends on other jobs with expired/erased artifacts: ";

fn job_diagnostic(event: usize, job: &str, finding: Finding) -> Diagnostic {
    job_diagnostic_in(event, job, finding, &Files::new())
}

/// A diagnostic about a job, pointing into the configuration files when it has a span.
fn job_diagnostic_in(event: usize, job: &str, finding: Finding, files: &Files) -> Diagnostic {
    let mut diagnostic = Diagnostic::resolve(finding, files);
    diagnostic.event = Some(event);
    diagnostic.job = Some(job.to_owned());
    diagnostic
}

fn describe_run(run: &StoredJob) -> String {
    format!(
        "pipeline #{} ({}, ref {}, event {})",
        run.pipeline, run.source, run.ref_name, run.event
    )
}

fn missing_dependency(
    report: &PipelineReport,
    job: &str,
    dependency: &str,
    store: &Store,
) -> Diagnostic {
    let why = report
        .jobs
        .iter()
        .find(|j| j.name == dependency)
        .map(|j| format!(" Why `{dependency}` is not here: {}", j.why))
        .unwrap_or_default();
    let elsewhere = match store.runs_of(dependency).first() {
        Some(run) => format!(
            " `{dependency}` last ran in {}. Artifacts and dotenv variables belong to the pipeline that made them: `dependencies` and `needs` only reach jobs of the same pipeline, so nothing from that run gets here.",
            describe_run(run)
        ),
        None => String::new(),
    };
    job_diagnostic(
        report.event,
        job,
        Finding::warning(
            "dependency-not-in-pipeline",
            format!("`dependencies: [{dependency}]`: `{dependency}` is not in this pipeline, so `{job}` receives no artifacts and no dotenv variables from it"),
            None,
        )
        .explain(format!(
            "GitLab gives no error for this: the job runs, and whatever it expected from `{dependency}` is simply missing.{why}{elsewhere} Fix: make `{dependency}` run in this pipeline too (give it a rule that matches here) so `{job}` can depend on it, or produce the value in `{job}` itself."
        )),
    )
}

enum CrossNeed {
    Project {
        project: String,
        job: String,
        reference: String,
        artifacts: bool,
    },
    Pipeline {
        pipeline: String,
        job: String,
        artifacts: bool,
    },
}

fn cross_pipeline_needs(node: &Node) -> Vec<CrossNeed> {
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
            });
        } else if let (Some(pipeline), Some(job)) = (text("pipeline"), text("job")) {
            out.push(CrossNeed::Pipeline {
                pipeline,
                job,
                artifacts,
            });
        }
    }
    out
}

fn resolve_needs_project<'s>(
    report: &PipelineReport,
    input: &'s Input,
    job: &str,
    project: &str,
    needed: &str,
    reference: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<&'s StoredJob> {
    let paid = input.project.tier.is_paid();
    if !paid {
        diagnostics.push(job_diagnostic(
            report.event,
            job,
            Finding::error("needs-project-tier", MISSING_DEPENDENCY.to_owned(), None).explain(format!(
                "`needs:project` is a GitLab Premium feature (cross_project_pipelines); on the {} tier GitLab finds no cross-project dependency, so `{job}` fails before its script runs (missing_dependency_failure).",
                input.project.tier.as_str()
            )),
        ));
    }
    if project != input.project.path {
        diagnostics.push(job_diagnostic(
            report.event,
            job,
            Finding::info(
                "needs-project-unknown",
                format!("pipesim cannot see project {project}; it assumes `{needed}` has artifacts on `{reference}` there"),
                None,
            ),
        ));
        return None;
    }
    let found = input.store.latest_success(needed, reference);
    if let Some(run) = found {
        if available_run(input, needed, reference).is_none() {
            diagnostics.push(job_diagnostic(
                report.event,
                job,
                Finding::error("needs-project-expired", MISSING_DEPENDENCY.to_owned(), None).explain(format!(
                    "`needs:project` finds `{needed}` in {}, but its artifacts expired (`expire_in: {}`) and nothing keeps them: \"Keep artifacts from most recent successful jobs\" only protects the newest successful pipeline of `{reference}`{}. The job fails before its script runs (missing_dependency_failure). Fix: a longer `expire_in`, or run `{needed}` again on `{reference}` before this pipeline.",
                    describe_run(run),
                    run.expire_in,
                    if input.project.settings.keep_latest_artifacts { ", and that pipeline is not it" } else { " (the setting is off)" }
                )),
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
            diagnostics.push(job_diagnostic(
                report.event,
                job,
                Finding::error("needs-project-not-found", MISSING_DEPENDENCY.to_owned(), None)
                    .explain(format!(
                        "`needs:project` takes the latest successful `{needed}` whose job ref is `{reference}` in {project}, and there is none, so `{job}` fails before its script runs (missing_dependency_failure).{elsewhere} Fix: build the value in this pipeline (run `{needed}` here and use `needs: [{needed}]`), or point `ref` at where the job really runs."
                    )),
            ));
        } else {
            diagnostics.push(job_diagnostic(
                report.event,
                job,
                Finding::error("needs-project-not-found", MISSING_DEPENDENCY.to_owned(), None)
                    .explain(format!(
                        "Even on Premium this need would fail: `needs:project` takes the latest successful `{needed}` whose job ref is `{reference}`, and there is none.{elsewhere} Fix: build the value in this pipeline (run `{needed}` here and use `needs: [{needed}]`)."
                    )),
            ));
        }
    }
    if paid {
        found
    } else {
        None
    }
}

/// The run `needs:project` would use: the latest successful job on the ref whose artifacts are
/// still there (not expired, or kept as the latest of a successful pipeline of the ref).
fn available_run<'s>(input: &'s Input, job: &str, reference: &str) -> Option<&'s StoredJob> {
    let run = input.store.latest_success(job, reference)?;
    let expired = run.expire_at.is_some_and(|at| at <= input.request.time);
    let locked = input.project.settings.keep_latest_artifacts
        && input
            .store
            .is_latest_successful(run.pipeline, &run.ref_name);
    (!expired || locked).then_some(run)
}

/// Values a job's expressions may expand: predefined, configuration, project and pipeline
/// variables (no dotenv: it is only known when the job runs).
fn simple_values(
    input: &Input,
    composed: &Composed,
    job: &JobReport,
    node: &Node,
    normalized: &HashMap<&str, &NormalizedJob>,
    predefined_names: &HashSet<&str>,
) -> HashMap<String, String> {
    let mut values: HashMap<String, String> = composed.predefined.iter().cloned().collect();
    values.extend(
        variable_table(
            input,
            composed,
            job,
            node,
            (normalized, predefined_names),
            &SortedMap::new(),
        )
        .into_iter()
        .filter(|r| r.overridden_by.is_none())
        .filter_map(|r| r.value.map(|v| (r.name, v))),
    );
    values
}

/// `$VAR`/`${VAR}` expansion against known values (`ExpandVariables.expand`); `CI_PIPELINE_ID`
/// (persisted) is the pipeline's id here.
fn expand_all(text: &str, values: &HashMap<String, String>, pipeline_id: u64) -> String {
    crate::config::include::expand_with(text, &|name| match name {
        "CI_PIPELINE_ID" => Some(pipeline_id.to_string()),
        _ => values.get(name).cloned(),
    })
}

/// The job's variables by source, with the winner of each name (builder.rb
/// `scoped_variables` order).
fn variable_table(
    input: &Input,
    composed: &Composed,
    job: &JobReport,
    node: &Node,
    (normalized, predefined_names): (&HashMap<&str, &NormalizedJob>, &HashSet<&str>),
    dotenv: &SortedMap<String, DotenvValue>,
) -> Vec<VariableRow> {
    use crate::pipeline::scope::{inherited_variables, yaml_variables};
    let inherited = inherited_variables(&composed.root_variables, node);
    let job_variables = yaml_variables(node.get("variables"));
    let matrix_variables = normalized
        .get(job.name.as_str())
        .map_or(&[][..], |j| &j.matrix_variables);
    // Room for every definition below (but the rare predefined ones they override): the
    // table is kept in the report, so it should not grow by doubling.
    let mut rows: Vec<VariableRow> = Vec::with_capacity(
        2 + inherited.len()
            + job_variables.len()
            + matrix_variables.len()
            + job.rule_variables.len()
            + dotenv.len()
            + input.project.variables.len()
            + input.request.pipeline_variables.len(),
    );
    let mut add = |name: &str, value: Option<String>, source: &str| {
        rows.push(VariableRow {
            name: name.to_owned(),
            value,
            source: source.to_owned(),
            overridden_by: None,
        });
    };
    add("CI_JOB_NAME", Some(job.name.clone()), "predefined");
    add("CI_JOB_STAGE", Some(job.stage.clone()), "predefined");
    for (key, value) in inherited {
        let source = if composed
            .global_variables
            .iter()
            .any(|(k, v)| k == key && v == value)
        {
            "global"
        } else {
            "workflow"
        };
        add(key, Some(value.clone()), source);
    }
    for (key, value) in job_variables {
        add(&key, Some(value), "job");
    }
    for (key, value) in matrix_variables {
        add(key, Some(value.clone()), "matrix");
    }
    for (key, value) in &job.rule_variables {
        add(key, Some(value.clone()), "rules");
    }
    for (key, value) in dotenv {
        add(key, value.value.clone(), "dotenv");
    }
    for variable in &input.project.variables {
        if variable.protected && !input.request.protected {
            continue;
        }
        add(&variable.key, Some(variable.value.clone()), "project");
    }
    let pipeline_source = match input.request.source {
        Source::Schedule => "schedule",
        Source::ParentPipeline | Source::Pipeline => "upstream",
        _ => "pipeline",
    };
    for (key, value) in &input.request.pipeline_variables {
        add(key, Some(value.clone()), pipeline_source);
    }
    // Predefined variables matter in the table only where something overrides them, which
    // is rare: most jobs skip the scan of every predefined variable.
    if rows
        .iter()
        .any(|r| predefined_names.contains(r.name.as_str()))
    {
        for (key, value) in &composed.predefined {
            if rows.iter().any(|r| r.name == *key) {
                rows.push(VariableRow {
                    name: key.clone(),
                    value: Some(value.clone()),
                    source: "predefined".to_owned(),
                    overridden_by: None,
                });
            }
        }
    }
    // Stable sort: within a name, the later definition of the same tier wins.
    crate::sort::sort_by(&mut rows, |a, b| {
        a.name
            .cmp(&b.name)
            .then(tier(&a.source).cmp(&tier(&b.source)))
    });
    let mut i = 0;
    while i < rows.len() {
        let mut j = i;
        while j + 1 < rows.len() && rows[j + 1].name == rows[i].name {
            j += 1;
        }
        let winner = rows[j].source.clone();
        for row in &mut rows[i..j] {
            row.overridden_by = Some(winner.clone());
        }
        i = j + 1;
    }
    rows
}

/// Files a script reads that nothing this job receives provides: the runner starts from a
/// clean checkout (`git clean -ffdx`), so only tracked files, artifacts and cache are there.
#[allow(clippy::too_many_arguments)]
fn file_checks(
    report: &PipelineReport,
    input: &Input,
    job: &str,
    facts: &script::ScriptFacts,
    (received, cached): (&[String], &[String]),
    produced: &HashMap<String, Produced>,
    table: &[VariableRow],
    (diagnostics, producers): (&mut Vec<Diagnostic>, &mut Producers),
) {
    for read in &facts.reads {
        let path = &read.path;
        if path.contains('$') || path.is_empty() || path.starts_with('/') || path.starts_with('~') {
            continue;
        }
        let written_here = facts
            .writes
            .iter()
            .any(|w| w.command <= read.command && artifact_covers(&w.path, path));
        let tracked = input.request.files.find(path).is_some();
        if written_here || tracked || received.iter().any(|p| artifact_covers(p, path)) {
            continue;
        }
        let mut origin = String::new();
        for (name, p) in produced {
            if name == job {
                continue;
            }
            if p.artifact_paths.iter().any(|a| artifact_covers(a, path)) {
                origin = format!(" `{name}` in this pipeline uploads it as an artifact, but `{job}` does not receive that job's artifacts (check `dependencies`/`needs` and stages).");
                break;
            }
            if p.writes.iter().any(|w| artifact_covers(w, path)) {
                origin = format!(" `{name}` writes it but does not declare it in `artifacts:paths`, so it stays in that job's working directory and is cleaned away.");
                break;
            }
        }
        if origin.is_empty() {
            if let Some(run) = input.store.artifact_producers(path).first() {
                producers.push((
                    diagnostics.len(),
                    run.job.clone(),
                    fix::FixKind::RunProducerHere,
                ));
                origin = format!(
                    " It was an artifact of `{}` in {}: artifacts stay with the pipeline that made them.",
                    run.job,
                    describe_run(run)
                );
            }
        }
        // GIT_STRATEGY: none skips the checkout and GIT_CLEAN_FLAGS: none the clean: a file
        // left by an earlier job may then still be there, but only by chance (same runner,
        // same build directory), so this stays a finding, one level lower.
        let setting = |name: &str| {
            table
                .iter()
                .find(|r| r.name == name && r.overridden_by.is_none())
                .and_then(|r| r.value.as_deref())
                .map(str::to_owned)
        };
        let no_clean = setting("GIT_STRATEGY").as_deref() == Some("none")
            || setting("GIT_CLEAN_FLAGS").as_deref() == Some("none");
        let from_cache = cached.iter().any(|c| artifact_covers(c, path));
        let (finding, cleaning) = if from_cache {
            (
                Finding::info as fn(&'static str, String, Option<crate::Span>) -> Finding,
                format!("{path} can only come from this job's `cache`, and a cache is an optimisation GitLab does not guarantee (first run, another runner, a cleared cache): a job that must have the file should get it as an artifact."),
            )
        } else if no_clean {
            (
                Finding::info as fn(&'static str, String, Option<crate::Span>) -> Finding,
                format!("This job turns the clean off (`GIT_STRATEGY: none` or `GIT_CLEAN_FLAGS: none`), so {path} is there only if the same runner ran the job that wrote it in the same build directory — nothing guarantees that."),
            )
        } else {
            (
                Finding::warning as fn(&'static str, String, Option<crate::Span>) -> Finding,
                format!("Each job starts from a fresh checkout: the runner's `git clean -ffdx` deletes files earlier jobs left behind (the log shows `Removing {path}`), and only tracked files, the artifacts of the jobs this one depends on, and cache are restored."),
            )
        };
        diagnostics.push(job_diagnostic(
            report.event,
            job,
            finding(
                "file-not-provided",
                format!("`{}` reads {path}, which is not in {job}'s working directory", read.how),
                None,
            )
            .explain(format!(
                "{cleaning}{origin} Fix: produce {path} in a job of this pipeline, list it in `artifacts:paths` (or `artifacts:reports:dotenv` for variables) and make `{job}` depend on that job."
            )),
        ));
    }
}

/// Names of `$VAR` / `${VAR}` the commands expand (outside single quotes, where the shell
/// leaves `$` alone).
fn variables_read(commands: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for command in commands {
        let bytes = command.as_bytes();
        let mut in_single = false;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 1,
                b'\'' => in_single = !in_single,
                b'$' if !in_single => {
                    let start = if bytes.get(i + 1) == Some(&b'{') {
                        i + 2
                    } else {
                        i + 1
                    };
                    let len = bytes[start.min(bytes.len())..]
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                        .count();
                    if len > 0 && !bytes[start].is_ascii_digit() {
                        let name = &command[start..start + len];
                        if !out.iter().any(|n| n == name) {
                            out.push(name.to_owned());
                        }
                    }
                    i = start + len;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
    out
}

/// Paths of the job's `cache` (one cache or a list of them).
fn cache_paths(node: &Node) -> Vec<String> {
    match node.get("cache").map(|c| &c.value) {
        Some(Value::Seq(caches)) => caches
            .iter()
            .flat_map(|c| strings(c.get("paths")))
            .collect(),
        Some(Value::Map(_)) => strings(node.get("cache").and_then(|c| c.get("paths"))),
        _ => Vec::new(),
    }
}

/// `$VAR` a script reads that some job produces as a dotenv variable but this job does not
/// receive.
#[allow(clippy::too_many_arguments)]
fn variable_checks(
    report: &PipelineReport,
    input: &Input,
    job: &str,
    facts: &script::ScriptFacts,
    read: &[String],
    table: &[VariableRow],
    produced: &HashMap<String, Produced>,
    (diagnostics, producers): (&mut Vec<Diagnostic>, &mut Producers),
) {
    let mut seen: Vec<&str> = Vec::new();
    for name in read {
        if seen.contains(&name.as_str()) {
            continue;
        }
        seen.push(name);
        if table.iter().any(|r| r.name == *name)
            || facts.exports.iter().any(|(k, _)| k == name)
            || facts
                .writes
                .iter()
                .any(|w| w.entries.iter().any(|e| e.key == *name))
        {
            continue;
        }
        let here: Vec<(&String, &Produced)> = produced
            .iter()
            .filter(|(n, p)| n.as_str() != job && p.dotenv_attempted.contains(name))
            .collect();
        let earlier = input.store.dotenv_producers(name);
        let rejected: Vec<(&String, &Produced)> = produced
            .iter()
            .filter(|(n, p)| n.as_str() != job && p.dotenv_rejected.is_some())
            .collect();
        if here.is_empty() && earlier.is_empty() && rejected.is_empty() {
            continue;
        }
        let mut story = String::new();
        if let Some((producer, p)) = here.first() {
            match &p.dotenv_rejected {
                Some(reason) => story.push_str(&format!(
                    " `{producer}` writes it to a dotenv report that GitLab rejects ({reason}), so no job receives it."
                )),
                None => story.push_str(&format!(
                    " `{producer}` in this pipeline writes it to a dotenv report, but `{job}` does not receive that job's artifacts (a job receives dotenv variables only from the jobs whose artifacts it downloads: earlier stages, its `needs` with `artifacts: true`, or its `dependencies`)."
                )),
            }
        }
        if here.is_empty() {
            if let Some((producer, p)) = rejected.first() {
                story.push_str(&format!(
                    " `{producer}`'s dotenv report is rejected ({}), so none of its variables reach any job; if {name} was meant to come from it, that is why it is empty.",
                    p.dotenv_rejected.as_deref().unwrap_or_default()
                ));
            }
        }
        if let Some(run) = earlier.first() {
            producers.push((
                diagnostics.len(),
                run.job.clone(),
                fix::FixKind::RunProducerHere,
            ));
            story.push_str(&format!(
                " `{}` set it in {}; dotenv variables never cross into another pipeline through `dependencies` or `needs`.",
                run.job,
                describe_run(run)
            ));
        }
        diagnostics.push(job_diagnostic(
            report.event,
            job,
            Finding::warning(
                "variable-not-set",
                format!("${name} is empty in {job}: no variable, dotenv report or setting it receives defines it"),
                None,
            )
            .explain(format!(
                "The script reads ${name}, and the shell expands an unset variable to an empty string without an error.{story} Fix: run the job that writes {name} in this pipeline and make `{job}` need it, or define {name} as a CI/CD variable."
            )),
        ));
    }
}

/// `trigger:include` → a child pipeline request (bridge.rb `child_params`): same ref, sha and
/// merge request as the parent, source `parent_pipeline`, with the variables the bridge
/// forwards (downstream/generator.rb).
fn child_request(
    input: &Input,
    report: &PipelineReport,
    job: &JobReport,
    node: &Node,
    table: &[VariableRow],
) -> Option<ChildRequest> {
    let trigger = node.get("trigger")?;
    let include = trigger.get("include")?;
    hierarchy::admit(input, report.id, report.jobs.len()).ok()?;
    let forward = trigger.get("forward");
    let forward_flag = |key: &str, default: bool| {
        forward
            .and_then(|f| f.get(key))
            .and_then(Node::as_bool)
            .unwrap_or(default)
    };
    let values: HashMap<String, String> = table
        .iter()
        .filter(|r| r.overridden_by.is_none())
        .filter_map(|r| r.value.clone().map(|v| (r.name.clone(), v)))
        .chain(input.composed.predefined.iter().cloned())
        .collect();
    let mut variables: Vec<(String, String)> = Vec::new();
    let mut push = |key: &str, value: String| {
        variables.retain(|(k, _)| k != key);
        variables.push((key.to_owned(), value));
    };
    if forward_flag("yaml_variables", true) {
        for row in table.iter().filter(|r| {
            matches!(
                r.source.as_str(),
                "global" | "workflow" | "job" | "rules" | "matrix"
            )
        }) {
            if let Some(value) = &row.value {
                push(&row.name, expand_all(value, &values, report.id));
            }
        }
    }
    if forward_flag("pipeline_variables", false) {
        for row in table.iter().filter(|r| r.source == "dotenv") {
            if let Some(value) = &row.value {
                push(&row.name, value.clone());
            }
        }
        for (key, value) in &input.request.pipeline_variables {
            push(key, value.clone());
        }
    }
    let mut files = input.request.files.clone();
    let entry = format!(
        ".pipesim/child/{}-{}.yml",
        report.id,
        crate::event::variables::slug(&job.name)
    );
    let mut root = crate::yaml::Map::default();
    root.insert(
        Node::new(Value::Str("include".into()), include.span),
        include.clone(),
    );
    files.insert(
        &entry,
        crate::yaml::emit::to_yaml(&Node::new(Value::Map(root), include.span)),
    );
    let mut request = input.request.clone();
    request.source = Source::ParentPipeline;
    request.pipeline_variables = variables;
    request.files = files;
    request.skip_ci = false;
    Some(ChildRequest {
        bridge: job.name.clone(),
        request,
        entry,
    })
}

/// Trigger jobs pipesim does not follow: other projects and generated configurations.
fn downstream_note(
    input: &Input,
    report: &PipelineReport,
    job: &JobReport,
    node: &Node,
) -> Option<Diagnostic> {
    let trigger = node.get("trigger")?;
    if trigger.get("include").is_some() {
        if let Some(refusal) = hierarchy::refusal(input) {
            let explanation = match refusal {
                hierarchy::Refusal::TooDeep => format!("A child pipeline may have at most {} ancestors (parent, grandparent); GitLab drops `{}` with failure reason reached_max_descendant_pipelines_depth instead of creating the pipeline.", hierarchy::MAX_NESTED_CHILDREN, job.name),
                hierarchy::Refusal::TooLarge => format!("A parent/child pipeline tree may hold at most {} pipelines (the plan limit pipeline_hierarchy_size, 1000 by default); this tree is full, so GitLab drops `{}` with failure reason reached_max_pipeline_hierarchy_size instead of creating the pipeline. Which trigger jobs are refused depends on the order they run in; pipesim counts stage by stage, level by level.", hierarchy::PIPELINE_HIERARCHY_SIZE, job.name),
                hierarchy::Refusal::TooBigToSimulate => format!("GitLab would create this child pipeline; pipesim stops growing a parent/child tree at {} jobs (its own limit, to keep the simulation fast), so `{}` starts no simulated pipeline here and what that pipeline would do is not shown.", hierarchy::MAX_TREE_JOBS, job.name),
            };
            return Some(job_diagnostic(
                report.event,
                &job.name,
                Finding::warning("downstream-refused", refusal.message(), None)
                    .explain(explanation),
            ));
        }
    }
    let project = match &trigger.value {
        Value::Str(s) => Some(s.clone()),
        _ => trigger.get("project").and_then(Node::scalar_to_s),
    };
    let message = match project {
        Some(project) => format!("`{}` starts a pipeline in {project}, which pipesim does not simulate", job.name),
        None => format!("`{}` starts a child pipeline pipesim does not simulate (a configuration generated by a job, or nested deeper than GitLab allows)", job.name),
    };
    Some(job_diagnostic(
        report.event,
        &job.name,
        Finding::info("downstream-not-simulated", message, None),
    ))
}
