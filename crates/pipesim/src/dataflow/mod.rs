//! Data flow: what each job of a created pipeline receives — artifacts, dotenv variables, its
//! final variable table — and where passing data breaks: a `dependencies` entry whose job is not
//! in the pipeline, a file the runner's git clean removed, a dotenv variable that never
//! arrives, a `needs:project` with nothing to find. Also the downstream (child) pipelines that
//! trigger jobs start.
//!
//! [`analyze`] runs the steps in the order GitLab's job life cycle has them: cross-pipeline
//! needs (`cross`, checked when a job is queued), how each job ends (`run`), what it leaves
//! (`artifacts`: paths and dotenv), what each job downloads, its variables as the runner gets
//! them (`variables`), what its script reads that is not there (`checks`), and the downstream
//! pipelines trigger jobs start.
//!
//! Sources: app/models/ci/build_dependencies.rb (+ the EE module), app/models/ci/build.rb
//! `valid_dependency?`, lib/gitlab/ci/variables/builder.rb `scoped_variables`,
//! lib/gitlab/ci/variables/downstream/generator.rb, app/models/ci/bridge.rb,
//! doc/ci/variables/dotenv_variables.md, doc/ci/yaml/_index.md (artifacts, dependencies, needs,
//! trigger), and the runner's fetch step (`git clean -ffdx`, see ../shared/gitlab-semantics.md §6).

pub mod anchor;
pub mod artifacts;
pub mod checks;
pub mod cross;
pub mod dotenv;
pub mod fix;
pub mod hierarchy;
pub mod run;
pub mod script;
pub mod store;
pub mod variables;

use std::collections::{HashMap, HashSet};
use std::rc::Rc;

use crate::config::NormalizedJob;
use crate::diagnostic::{Diagnostic, Finding};
use crate::event::{JobOutcome, PipelineRequest, Project, Source};
use crate::glob::fnmatch;
use crate::pipeline::{Composed, DotenvValue, JobReport, PipelineReport, VariableRow};
use crate::sorted::SortedMap;
use crate::source::Files;
use crate::yaml::{Node, Value};

use artifacts::{Produced, Received};
use cross::{CrossNeed, CrossResult};
use run::RunState;
use store::{Store, StoredJob, StoredPipeline};

/// A downstream pipeline a trigger job asks for: a child pipeline (`trigger:include`), or a
/// multi-project pipeline (`trigger:project`, with `downstream`).
pub struct ChildRequest {
    pub bridge: String,
    /// For a child, the pipeline to create; for a multi-project pipeline, the upstream's
    /// request carrying the trigger job's variables as `pipeline_variables`.
    pub request: PipelineRequest,
    /// Path of the generated root file that includes the trigger's files (children only).
    pub entry: String,
    /// `trigger:strategy` (`depend` or `mirror`): the trigger job's status follows the
    /// downstream pipeline's (bridge.rb `has_strategy?`).
    pub strategy: Option<String>,
    pub downstream: Option<Downstream>,
}

/// `trigger:project` and `trigger:branch`, expanded with the trigger job's variables
/// (bridge.rb `downstream_project_path`, `target_ref`).
pub struct Downstream {
    pub project: String,
    pub branch: Option<String>,
    /// `trigger:inputs`: the downstream configuration's `spec:inputs` (bridge.rb
    /// `cross_project_params` passes them to `CreatePipelineService`).
    pub inputs: Option<Node>,
}

/// What data-flow analysis adds to one pipeline.
pub struct Flow {
    pub diagnostics: Vec<Diagnostic>,
    pub stored: Vec<StoredJob>,
    pub pipeline: StoredPipeline,
    pub children: Vec<ChildRequest>,
    /// Trigger jobs whose child pipeline GitLab refuses (nested too deep, or the tree full):
    /// GitLab fails them with the refusal's failure reason and creates no child.
    pub refused: Vec<(String, hierarchy::Refusal)>,
    /// What each downstream pipeline it asked for was counted with against the tree's budget
    /// (`pipeline_weight`): created jobs and their configuration nodes.
    pub weight: (usize, usize),
}

/// create_downstream_pipeline_service.rb `MAX_NESTED_CHILDREN` (`hierarchy.rs`): a child
/// pipeline is not created when the pipeline of its trigger job and that pipeline's ancestors
/// are more than this many (`has_max_nested_children?`), i.e. from the root's grandchild on.
pub use hierarchy::{Refusal, MAX_NESTED_CHILDREN};

/// How `artifacts_from` names a job of another pipeline.
pub fn artifact_source_name(job: &str, pipeline: u64) -> String {
    format!("{job} (pipeline #{pipeline})")
}

/// An `artifacts_from` entry as (pipeline, job): `None` for the job's own pipeline.
pub fn split_artifact_source(entry: &str) -> (Option<u64>, &str) {
    if let Some((job, rest)) = entry.rsplit_once(" (pipeline #") {
        if let Some(Ok(id)) = rest.strip_suffix(')').map(str::parse::<u64>) {
            return (Some(id), job);
        }
    }
    (None, entry)
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
    /// The pipeline descends from a multi-project trigger: it belongs to a tree whose root is
    /// in another project, and `depth` counts only its ancestors in its own project
    /// (`self_and_project_ancestors`).
    pub downstream: bool,
    /// Every project of the scenario with its repository (`needs:project` reads their
    /// settings).
    pub world: &'a [crate::event::Timeline],
    /// The scenario has several projects: `trigger:project` starts a simulated pipeline
    /// (otherwise it is noted as not simulated, as the project is not in the scenario).
    pub multi_project: bool,
}

/// What the steps look up in the composed configuration.
pub struct Lookup<'a> {
    pub normalized: HashMap<&'a str, &'a NormalizedJob>,
    pub predefined_names: HashSet<&'a str>,
    stages: &'a [String],
    /// This pipeline's weight for the tree's node budget (`pipeline_weight`).
    pub weight: usize,
}

impl<'a> Lookup<'a> {
    fn new(composed: &'a Composed) -> Self {
        Lookup {
            normalized: composed
                .normalized
                .jobs
                .iter()
                .map(|j| (j.name.as_str(), j))
                .collect(),
            predefined_names: composed
                .predefined
                .iter()
                .map(|(k, _)| k.as_str())
                .collect(),
            stages: &composed.normalized.stages,
            weight: 0,
        }
    }

    pub fn stage_index(&self, stage: &str) -> usize {
        self.stages
            .iter()
            .position(|s| s == stage)
            .unwrap_or(usize::MAX)
    }
}

/// What a child pipeline like this one weighs for the tree's node budget
/// (`hierarchy::MAX_TREE_NODES`): its whole configuration (hidden jobs and anchors included)
/// twice, as every child loads and composes it twice (`simulate` creates it once to learn
/// whether GitLab would, then again to simulate it), plus the created jobs' nodes, a parallel
/// job's body once per instance, which the data flow reads. Counted only where a trigger job
/// could start a child.
fn pipeline_weight(
    report: &PipelineReport,
    composed: &Composed,
    jobs: &[Option<JobInput>],
) -> usize {
    if !report.jobs.iter().any(|j| j.created && j.kind == "trigger") {
        return 0;
    }
    let jobs: usize = jobs.iter().flatten().map(|j| j.node.size()).sum();
    composed
        .expanded
        .size()
        .saturating_mul(2)
        .saturating_add(jobs)
}

/// What the steps read of one created job, read once.
pub struct JobInput<'a> {
    pub node: &'a Node,
    /// Shared by every job built from the same configuration node (the instances of a
    /// `parallel` or `parallel:matrix` job), so a large script is read once, not per instance.
    pub script: Rc<ScriptRead>,
    pub cross: Vec<CrossNeed>,
}

/// What a job's `before_script` and `script` are and do, read statically.
pub struct ScriptRead {
    pub lines: Vec<String>,
    pub facts: script::ScriptFacts,
    /// The variables the lines read (`checks::variables_read`).
    pub variables_read: Vec<String>,
}

impl ScriptRead {
    fn of(lines: Vec<String>) -> ScriptRead {
        ScriptRead {
            facts: script::analyze(&lines),
            variables_read: checks::variables_read(&lines),
            lines,
        }
    }
}

/// The script readings of one pipeline, shared between jobs whose lines are the same: the
/// instances of a `parallel` job share their configuration node, and jobs that inherit one
/// large `default: before_script` carry equal copies of it. Reading each distinct script once
/// keeps the work in proportion to the configuration's text, not to its copies.
///
/// One `ScriptReads` lives with each composed configuration (`pipeline::Composed`), so the
/// pipelines of a matrix that share a composition (`pipeline::shared`) read each script once;
/// the node keys stay valid because the reads are dropped with the tree they point into.
#[derive(Default)]
pub(crate) struct ScriptReads {
    by_node: HashMap<*const Node, Rc<ScriptRead>>,
    by_lines: HashMap<u64, Vec<Rc<ScriptRead>>>,
    /// Remember every script by its node, short ones too (a shared composition: other
    /// pipelines read the same nodes again).
    keep_all: bool,
}

/// Scripts shorter than this are read on their own: reading them costs less than comparing.
const SHARED_FROM_LINES: usize = 64;

impl ScriptReads {
    /// Empty; `keep_all` for a composition other pipelines share.
    pub(crate) fn new(keep_all: bool) -> Self {
        ScriptReads {
            keep_all,
            ..ScriptReads::default()
        }
    }

    fn read(&mut self, node: &Node) -> Rc<ScriptRead> {
        if !self.by_node.is_empty() {
            if let Some(read) = self.by_node.get(&(node as *const Node)) {
                return read.clone();
            }
        }
        let lines = script_lines(node);
        if lines.len() < SHARED_FROM_LINES {
            let read = Rc::new(ScriptRead::of(lines));
            if self.keep_all {
                self.by_node.insert(node as *const Node, read.clone());
            }
            return read;
        }
        let hash = {
            use std::hash::{Hash, Hasher};
            let mut hasher = std::collections::hash_map::DefaultHasher::new();
            lines.hash(&mut hasher);
            hasher.finish()
        };
        let same = self.by_lines.entry(hash).or_default();
        let read = match same.iter().find(|read| read.lines == lines) {
            Some(read) => read.clone(),
            None => {
                let read = Rc::new(ScriptRead::of(lines));
                same.push(read.clone());
                read
            }
        };
        self.by_node.insert(node as *const Node, read.clone());
        read
    }
}

/// How many times a failure that a script's missing file causes is followed into the jobs
/// after it (each round adds at least one failing job; real pipelines need one or two).
const MAX_FAILURE_ROUNDS: usize = 8;

/// Analyses one created pipeline, filling each created job's `outcome`, `artifacts_from`,
/// `dotenv` and `variables`.
pub fn analyze(report: &mut PipelineReport, input: &Input) -> Flow {
    let mut lookup = Lookup::new(input.composed);
    let jobs = read_jobs(report, input, &lookup);
    lookup.weight = pipeline_weight(report, input.composed, &jobs);
    let cross = resolve_cross_pipeline(report, input, &lookup, &jobs);
    let settled = settle(report, input, &lookup, &jobs, &cross);
    let mut out = Outputs {
        project: input.project.path.as_str().into(),
        ..Outputs::default()
    };
    out.append(settled.diagnostics, settled.producers);
    let mut received = settled.received;
    let mut cross = cross;
    for index in 0..report.jobs.len() {
        let (Some(job_input), Some(local)) = (&jobs[index], received[index].take()) else {
            continue;
        };
        let cross = std::mem::take(&mut cross[index]);
        finish_job(
            report,
            input,
            &lookup,
            index,
            job_input,
            (local, cross),
            (
                &settled.states,
                &settled.produced,
                settled.fatal.get(&index).copied(),
            ),
            &mut out,
        );
    }
    group_unknowns(&mut out.diagnostics);
    attach_fixes(report, input, &mut out.diagnostics, &out.producers);
    let succeeded = report.jobs.iter().filter(|j| j.created).all(|j| {
        match settled
            .states
            .get(&j.name)
            .copied()
            .unwrap_or(RunState::NotRun)
        {
            RunState::Failed => j.allow_failure,
            // An unplayed manual job leaves the pipeline blocked unless it may fail.
            RunState::NotRun => j.when != "manual" || j.allow_failure,
            RunState::Succeeded => true,
        }
    });
    Flow {
        diagnostics: out.diagnostics,
        stored: out.stored,
        pipeline: StoredPipeline {
            project: input.project.path.clone(),
            id: report.id,
            ref_name: report.ref_name.clone(),
            succeeded,
            parent: report.parent,
        },
        children: out.children,
        refused: out.refused,
        weight: (report.jobs.len(), lookup.weight),
    }
}

/// What the per-job steps add up.
#[derive(Default)]
struct Outputs {
    /// The project's path, shared by every job it stores.
    project: std::rc::Rc<str>,
    diagnostics: Vec<Diagnostic>,
    producers: Producers,
    stored: Vec<StoredJob>,
    children: Vec<ChildRequest>,
    refused: Vec<(String, hierarchy::Refusal)>,
}

impl Outputs {
    /// Adds diagnostics with their producers (indices relative to `diagnostics`).
    fn append(&mut self, diagnostics: Vec<Diagnostic>, producers: Producers) {
        let offset = self.diagnostics.len();
        self.diagnostics.extend(diagnostics);
        self.producers.extend(
            producers
                .into_iter()
                .map(|(index, job, kind)| (index + offset, job, kind)),
        );
    }
}

/// Step 1: each created job's configuration, script and cross-pipeline needs, by position in
/// `report.jobs`.
fn read_jobs<'a>(
    report: &PipelineReport,
    input: &'a Input,
    lookup: &Lookup,
) -> Vec<Option<JobInput<'a>>> {
    let job_nodes = input
        .composed
        .expanded
        .as_map()
        .map(crate::yaml::Map::by_key)
        .unwrap_or_default();
    let mut reads = input.composed.script_reads.borrow_mut();
    report
        .jobs
        .iter()
        .map(|job| {
            if !job.created {
                return None;
            }
            let base = lookup.normalized.get(job.name.as_str())?.base_name.as_str();
            let node: &'a Node = job_nodes.get(base).copied()?;
            Some(JobInput {
                node,
                script: reads.read(node),
                cross: cross::cross_pipeline_needs(node),
            })
        })
        .collect()
}

/// Step 2: `needs:project` and `needs:pipeline:job`, their variables expanded (a job whose
/// need cannot be met fails before its script: missing_dependency_failure).
fn resolve_cross_pipeline<'s>(
    report: &PipelineReport,
    input: &'s Input,
    lookup: &Lookup,
    jobs: &[Option<JobInput>],
) -> Vec<CrossResult<'s>> {
    report
        .jobs
        .iter()
        .zip(jobs)
        .map(|(job, job_input)| match job_input {
            Some(job_input) if !job_input.cross.is_empty() => {
                let values =
                    variables::simple_values(input, report.id, job, job_input.node, lookup);
                cross::resolve(report, input, &job.name, &job_input.cross, &values)
            }
            _ => CrossResult::default(),
        })
        .collect()
}

/// How the jobs end and what passes between them, once settled.
struct Settled {
    states: HashMap<String, RunState>,
    produced: HashMap<String, Produced>,
    received: Vec<Option<Received>>,
    /// Jobs whose script stops at a read that must fail: job index → read index.
    fatal: HashMap<usize, usize>,
    diagnostics: Vec<Diagnostic>,
    producers: Producers,
}

/// Steps 3 and 4: run states, what each job leaves and what each receives. A job whose script
/// must fail on a missing file fails, which changes what runs after it and what it leaves, so
/// the steps run again with that failure (at most [`MAX_FAILURE_ROUNDS`] times).
fn settle(
    report: &PipelineReport,
    input: &Input,
    lookup: &Lookup,
    jobs: &[Option<JobInput>],
    cross: &[CrossResult],
) -> Settled {
    let mut forced: Vec<(String, JobOutcome)> = input.outcomes.to_vec();
    for (job, result) in report.jobs.iter().zip(cross) {
        if result.fails_to_start && !forced.iter().any(|(n, _)| *n == job.name) {
            forced.push((job.name.clone(), JobOutcome::Failed));
        }
    }
    let mut fatal: HashMap<usize, usize> = HashMap::new();
    let mut round = 0;
    loop {
        let states = run::run_states(report, &forced, &|s| lookup.stage_index(s));
        let mut diagnostics = Vec::new();
        let mut producers = Vec::new();
        let produced = artifacts::produce_all(report, input, jobs, &states, &mut diagnostics);
        let received = artifacts::receive_all(
            report,
            input,
            lookup,
            jobs,
            &produced,
            (&mut diagnostics, &mut producers),
        );
        let mut failing = Vec::new();
        if round < MAX_FAILURE_ROUNDS {
            for (index, job) in report.jobs.iter().enumerate() {
                let (Some(job_input), Some(local)) = (&jobs[index], &received[index]) else {
                    continue;
                };
                if states.get(&job.name) != Some(&RunState::Succeeded)
                    || forced.iter().any(|(n, _)| *n == job.name)
                    || job_input.script.facts.fatal_reads.is_empty()
                {
                    continue;
                }
                if let Some(read) =
                    fatal_read(report, input, lookup, job, job_input, local, &cross[index])
                {
                    failing.push((index, read));
                }
            }
        }
        if failing.is_empty() {
            return Settled {
                states,
                produced,
                received,
                fatal,
                diagnostics,
                producers,
            };
        }
        for (index, read) in failing {
            fatal.insert(index, read);
            forced.push((report.jobs[index].name.clone(), JobOutcome::Failed));
        }
        round += 1;
    }
}

/// The read at which a job's script must stop, given what it receives.
fn fatal_read(
    report: &PipelineReport,
    input: &Input,
    lookup: &Lookup,
    job: &JobReport,
    job_input: &JobInput,
    local: &Received,
    cross: &CrossResult,
) -> Option<usize> {
    let mut paths = local.paths.clone();
    for found in &cross.received {
        paths.extend(found.artifact_paths.iter().cloned());
    }
    let cached = checks::cache_paths(job_input.node);
    // The table only matters for GIT_STRATEGY / GIT_CLEAN_FLAGS, read when a read looks fatal.
    let table = std::cell::OnceCell::new();
    let setting = |name: &str| {
        let table = table.get_or_init(|| {
            variables::table(
                input,
                report.id,
                job,
                job_input.node,
                lookup,
                &local.dotenv,
                None,
            )
        });
        checks::setting_in(table, name)
    };
    checks::fatal_read(
        input,
        &job_input.script.lines,
        &job_input.script.facts,
        &paths,
        &cached,
        &setting,
    )
}

/// Steps 5 to 8 for one created job: what it gets from other pipelines, its variable table,
/// the checks on its script, the downstream pipeline it starts, and what it leaves for later
/// pipelines.
#[allow(clippy::too_many_arguments)]
fn finish_job(
    report: &mut PipelineReport,
    input: &Input,
    lookup: &Lookup,
    index: usize,
    job_input: &JobInput,
    (local, cross): (Received, CrossResult),
    (states, produced, fatal): (
        &HashMap<String, RunState>,
        &HashMap<String, Produced>,
        Option<usize>,
    ),
    out: &mut Outputs,
) {
    let name = report.jobs[index].name.clone();
    let node = job_input.node;
    let Received {
        mut artifacts_from,
        paths: mut received_paths,
        dotenv: mut dotenv_in,
    } = local;
    // Jobs of other pipelines are named with their pipeline.
    for found in &cross.received {
        if !found.artifact_paths.is_empty() || !found.dotenv.is_empty() {
            artifacts_from.push(artifact_source_name(&found.job, found.pipeline));
        }
        receive(found, &mut received_paths, &mut dotenv_in);
    }
    let fails_to_start = cross.fails_to_start;
    out.append(cross.diagnostics, cross.producers);

    // The job's last table: its predefined values move into it.
    let predefined = std::mem::take(&mut report.jobs[index].predefined);
    let table = variables::table(
        input,
        report.id,
        &report.jobs[index],
        node,
        lookup,
        &dotenv_in,
        Some(predefined),
    );
    // A job whose cross-pipeline dependency is missing never starts its script.
    if !fails_to_start {
        let mut diagnostics = Vec::new();
        let mut producers = Vec::new();
        checks::file_checks(
            report,
            input,
            &name,
            job_input,
            (&received_paths, &checks::cache_paths(node)),
            produced,
            &table,
            fatal,
            (&mut diagnostics, &mut producers),
        );
        checks::variable_checks(
            report,
            input,
            &name,
            job_input,
            &table,
            produced,
            (&mut diagnostics, &mut producers),
        );
        out.append(diagnostics, producers);
    }

    // A trigger job starts its downstream pipeline when it runs (a manual one once played).
    let bridge_runs = states.get(&name).copied() == Some(RunState::Succeeded);
    // `depth` counts the pipeline's ancestors, so `depth + 1` pipelines are the trigger job's
    // pipeline and its ancestors.
    let child_trigger = node.get("trigger").and_then(|t| t.get("include")).is_some();
    if report.jobs[index].kind == "trigger"
        && bridge_runs
        && child_trigger
        && input.depth + 1 > MAX_NESTED_CHILDREN
    {
        out.refused
            .push((name.clone(), hierarchy::Refusal::TooDeep));
    } else if report.jobs[index].kind == "trigger" && bridge_runs {
        match child_request(
            input,
            report,
            &report.jobs[index],
            node,
            &table,
            lookup.weight,
        ) {
            Ok(child) => out.children.push(child),
            Err(ChildError::Refused(refusal)) => out.refused.push((name.clone(), refusal)),
            Err(ChildError::Note(diagnostic)) => out.diagnostics.push(*diagnostic),
            Err(ChildError::NotFollowed) => {
                if let Some(diagnostic) = downstream_note(report, &report.jobs[index], node) {
                    out.diagnostics.push(diagnostic);
                }
            }
        }
    }

    let job = &mut report.jobs[index];
    job.artifacts_from = Some(artifacts_from);
    job.outcome = states.get(&name).map(|s| s.as_str().to_owned());
    job.dotenv = dotenv_in;
    job.variables = table;
    if let Some(p) = produced.get(&name) {
        out.stored.push(StoredJob {
            project: out.project.clone(),
            pipeline: report.id,
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

/// Information findings that say the same thing about many jobs (pipesim cannot see a file a
/// tool writes) become one, naming every job.
fn group_unknowns(diagnostics: &mut Vec<Diagnostic>) {
    let mut kept: Vec<Diagnostic> = Vec::with_capacity(diagnostics.len());
    let mut jobs_of: HashMap<(&'static str, String), (usize, Vec<String>)> = HashMap::new();
    for diagnostic in diagnostics.drain(..) {
        if diagnostic.severity != crate::Severity::Info
            || !matches!(diagnostic.code, "file-unknown" | "dotenv-unknown")
        {
            kept.push(diagnostic);
            continue;
        }
        let key = (diagnostic.code, diagnostic.message.clone());
        match jobs_of.get_mut(&key) {
            Some((_, jobs)) => jobs.extend(diagnostic.job.clone()),
            None => {
                jobs_of.insert(
                    key,
                    (kept.len(), diagnostic.job.clone().into_iter().collect()),
                );
                kept.push(diagnostic);
            }
        }
    }
    for (_, (index, jobs)) in jobs_of {
        if jobs.len() > 1 {
            let diagnostic = &mut kept[index];
            let list = jobs
                .iter()
                .map(|j| format!("`{j}`"))
                .collect::<Vec<_>>()
                .join(", ");
            diagnostic.explanation = Some(format!(
                "{} The same holds in {} jobs: {list}.",
                diagnostic.explanation.clone().unwrap_or_default(),
                jobs.len()
            ));
        }
    }
    *diagnostics = kept;
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
            None => fix::propose(input, report, kind, &consumer, producer),
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

/// `dependencies: [dependency]` of `job` (its configuration `node`) names a job that is not in
/// this pipeline: at the entry, with the clause that leaves the dependency out as the second
/// place.
fn missing_dependency(
    report: &PipelineReport,
    input: &Input,
    (job, node): (&str, &Node),
    dependency: &str,
) -> Diagnostic {
    let store = input.store;
    let at = anchor::list_entry(node, "dependencies", dependency);
    let left_out_by = report
        .jobs
        .iter()
        .find(|j| j.name == dependency)
        .and_then(|j| {
            let base = input
                .composed
                .normalized
                .jobs
                .iter()
                .find(|n| n.name == dependency)
                .map_or(dependency, |n| n.base_name.as_str());
            anchor::leaving_out(j, input.composed.expanded.get(base)?)
        });
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
    let mut finding = Finding::warning(
        "dependency-not-in-pipeline",
        format!("`dependencies: [{dependency}]`: `{dependency}` is not in this pipeline, so `{job}` receives no artifacts and no dotenv variables from it"),
        at,
    )
    .explain(format!(
        "GitLab gives no error for this: the job runs, and whatever it expected from `{dependency}` is simply missing.{why}{elsewhere} Fix: make `{dependency}` run in this pipeline too (give it a rule that matches here) so `{job}` can depend on it, or produce the value in `{job}` itself."
    ));
    if let Some(span) = left_out_by {
        finding = finding.related(span);
    }
    job_diagnostic_in(report.event, job, finding, &input.composed.files)
}

/// Where a user supplies the configuration a job generates for `trigger:include:artifact`.
pub const GENERATED_CHILD_DIR: &str = ".pipesim/artifact";

/// Why a trigger job starts no simulated child pipeline.
enum ChildError {
    /// Not a `trigger:include` pipesim follows.
    NotFollowed,
    /// A note instead of the child: a generated configuration the user did not supply
    /// (`.pipesim/artifact/<job>/<path>`), or pipesim's own tree budget.
    Note(Box<Diagnostic>),
    /// GitLab refuses the child and fails the trigger job.
    Refused(hierarchy::Refusal),
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
    weight: usize,
) -> Result<ChildRequest, ChildError> {
    let trigger = node.get("trigger").ok_or(ChildError::NotFollowed)?;
    let Some(include) = trigger.get("include") else {
        return multi_project_request(input, report, job, trigger, table, weight);
    };
    hierarchy::admit(input, report.id, report.jobs.len(), weight, true).map_err(|refusal| {
        match refusal.failure_reason() {
            Some(_) => ChildError::Refused(refusal),
            None => ChildError::Note(Box::new(hierarchy::refusal_diagnostic(
                report, job, refusal,
            ))),
        }
    })?;
    let include = supplied_artifacts(input, report, job, include).map_err(|note| match note {
        Some(note) => ChildError::Note(note),
        None => ChildError::NotFollowed,
    })?;
    let include = &include;
    let variables = downstream_variables(input, report, trigger, table);
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
    Ok(ChildRequest {
        bridge: job.name.clone(),
        request,
        entry,
        strategy: strategy(trigger),
        downstream: None,
    })
}

fn strategy(trigger: &Node) -> Option<String> {
    trigger.get("strategy").and_then(Node::scalar_to_s)
}

/// `trigger:project` → the multi-project pipeline's request as far as this pipeline knows it
/// (bridge.rb `cross_project_params`); `simulate` finds the project and its ref.
fn multi_project_request(
    input: &Input,
    report: &PipelineReport,
    job: &JobReport,
    trigger: &Node,
    table: &[VariableRow],
    weight: usize,
) -> Result<ChildRequest, ChildError> {
    let project = match &trigger.value {
        Value::Str(s) => Some(s.clone()),
        _ => trigger.get("project").and_then(Node::scalar_to_s),
    };
    let project = project.ok_or(ChildError::NotFollowed)?;
    if !input.multi_project {
        return Err(ChildError::NotFollowed);
    }
    hierarchy::admit(input, report.id, report.jobs.len(), weight, false).map_err(|refusal| {
        match refusal.failure_reason() {
            Some(_) => ChildError::Refused(refusal),
            None => ChildError::Note(Box::new(hierarchy::refusal_diagnostic(
                report, job, refusal,
            ))),
        }
    })?;
    // The project path and branch are expanded with the trigger job's variables.
    let expansion = BridgeExpansion::new(input, table, report.id);
    let expand = |text: &str| expansion.expand(text);
    let branch = trigger
        .get("branch")
        .and_then(Node::scalar_to_s)
        .map(|b| expand(&b));
    let mut request = input.request.clone();
    request.pipeline_variables = downstream_variables(input, report, trigger, table);
    Ok(ChildRequest {
        bridge: job.name.clone(),
        request,
        entry: String::new(),
        strategy: strategy(trigger),
        downstream: Some(Downstream {
            project: expand(&project).trim_matches('/').to_owned(),
            branch,
            inputs: trigger.get("inputs").cloned(),
        }),
    })
}

/// The trigger job's variables by name, for expanding what it forwards.
fn bridge_values(input: &Input, table: &[VariableRow]) -> HashMap<String, String> {
    table
        .iter()
        .filter(|r| r.overridden_by.is_none() && r.withheld.is_none())
        .filter_map(|r| r.value.clone().map(|v| (r.name.to_string(), v)))
        .chain(input.composed.predefined.iter().cloned())
        .collect()
}

/// [`bridge_values`] made only when a text has a `$` to expand: most trigger jobs forward
/// nothing that refers to a variable, and a tree of a thousand pipelines has tens of
/// thousands of trigger jobs.
struct BridgeExpansion<'a> {
    input: &'a Input<'a>,
    table: &'a [VariableRow],
    pipeline_id: u64,
    values: std::cell::OnceCell<HashMap<String, String>>,
}

impl<'a> BridgeExpansion<'a> {
    fn new(input: &'a Input<'a>, table: &'a [VariableRow], pipeline_id: u64) -> Self {
        BridgeExpansion {
            input,
            table,
            pipeline_id,
            values: std::cell::OnceCell::new(),
        }
    }

    fn expand(&self, text: &str) -> String {
        if !text.contains('$') {
            return text.to_owned();
        }
        let values = self
            .values
            .get_or_init(|| bridge_values(self.input, self.table));
        variables::expand_all(text, values, self.pipeline_id)
    }
}

/// What a trigger job passes to its downstream pipeline as pipeline variables
/// (lib/gitlab/ci/variables/downstream/generator.rb, bridge.rb `FORWARD_DEFAULTS`: YAML
/// variables forwarded unless `forward:yaml_variables: false`, pipeline variables only with
/// `forward:pipeline_variables: true`).
fn downstream_variables(
    input: &Input,
    report: &PipelineReport,
    trigger: &Node,
    table: &[VariableRow],
) -> Vec<(String, String)> {
    let forward = trigger.get("forward");
    let forward_flag = |key: &str, default: bool| {
        forward
            .and_then(|f| f.get(key))
            .and_then(Node::as_bool)
            .unwrap_or(default)
    };
    let expansion = BridgeExpansion::new(input, table, report.id);
    let mut variables: Vec<(String, String)> = Vec::new();
    let mut push = |key: &str, value: String| {
        variables.retain(|(k, _)| k != key);
        variables.push((key.to_owned(), value));
    };
    if forward_flag("yaml_variables", true) {
        for row in table
            .iter()
            .filter(|r| matches!(r.source, "global" | "workflow" | "job" | "rules" | "matrix"))
        {
            if let Some(value) = &row.value {
                // downstream/generator.rb: a raw (`expand: false`) value is passed as written.
                let value = if row.raw {
                    value.clone()
                } else {
                    expansion.expand(value)
                };
                push(&row.name, value);
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
    variables
}

/// `trigger:include` with each `artifact:` entry replaced by the file the user supplied for
/// it under [`GENERATED_CHILD_DIR`]; a note, once per trigger job, when one is missing.
fn supplied_artifacts(
    input: &Input,
    report: &PipelineReport,
    job: &JobReport,
    include: &Node,
) -> Result<Node, Option<Box<Diagnostic>>> {
    let replace = |item: &Node| -> Result<Node, String> {
        let Some(artifact) = item.get("artifact").and_then(Node::scalar_to_s) else {
            return Ok(item.clone());
        };
        let producer = item
            .get("job")
            .and_then(Node::scalar_to_s)
            .unwrap_or_default();
        let path = format!(
            "{GENERATED_CHILD_DIR}/{producer}/{}",
            artifact.trim_start_matches("./")
        );
        if input.request.files.find(&path).is_none() {
            return Err(path);
        }
        let mut map = crate::yaml::Map::default();
        map.insert(
            Node::new(Value::Str("local".into()), item.span),
            Node::new(Value::Str(path), item.span),
        );
        Ok(Node::new(Value::Map(map), item.span))
    };
    let replaced = match &include.value {
        Value::Seq(items) => items
            .iter()
            .map(replace)
            .collect::<Result<Vec<_>, _>>()
            .map(|items| Node::new(Value::Seq(items), include.span)),
        _ => replace(include),
    };
    replaced.map_err(|path| {
        Some(Box::new(job_diagnostic(
            report.event,
            &job.name,
            Finding::info(
                "downstream-not-simulated",
                format!(
                    "`{}` starts a child pipeline from a configuration a job generates; pipesim does not simulate it",
                    job.name
                ),
                None,
            )
            .explain(format!(
                "`trigger:include:artifact` reads a file that a job of this pipeline writes at run time, which pipesim cannot know. To simulate the child pipeline, add the generated configuration as the file `{path}` (in the web app: a new file tab with this path; on the command line: that path under --root)."
            )),
        )))
    })
}

/// Trigger jobs pipesim does not follow: other projects and generated configurations.
fn downstream_note(report: &PipelineReport, job: &JobReport, node: &Node) -> Option<Diagnostic> {
    let trigger = node.get("trigger")?;
    let project = match &trigger.value {
        Value::Str(s) => Some(s.clone()),
        _ => trigger.get("project").and_then(Node::scalar_to_s),
    };
    let (message, explanation) = match project {
        Some(project) => (
            format!("`{}` starts a pipeline in {project}, which pipesim does not simulate", job.name),
            Some(format!("The scenario holds one project. To simulate the pipeline {project} runs, add it under `projects:` with its files (docs/SCENARIOS.md, \"Several projects\").")),
        ),
        None => (
            format!("`{}` starts a child pipeline pipesim does not simulate (a configuration generated by a job)", job.name),
            None,
        ),
    };
    let mut finding = Finding::info("downstream-not-simulated", message, None);
    if let Some(explanation) = explanation {
        finding = finding.explain(explanation);
    }
    Some(job_diagnostic(report.event, &job.name, finding))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn artifact_sources_round_trip() {
        let named = artifact_source_name("build", 3);
        assert_eq!(named, "build (pipeline #3)");
        assert_eq!(split_artifact_source(&named), (Some(3), "build"));
        assert_eq!(split_artifact_source("build"), (None, "build"));
        assert_eq!(
            split_artifact_source("odd (pipeline #x)"),
            (None, "odd (pipeline #x)")
        );
    }

    fn node(text: &str) -> Node {
        let mut files = Files::new();
        let file = files.insert("job.yml", text.to_string());
        let mut loaded = crate::yaml::load(text, file, Default::default());
        loaded.documents.remove(0)
    }

    /// Equal scripts are read once: the same node (parallel instances) and equal copies
    /// (an inherited `default: before_script`) share one reading; different lines do not.
    #[test]
    fn equal_scripts_share_one_reading() {
        let long: String = (0..SHARED_FROM_LINES)
            .map(|i| format!("echo {i}\n"))
            .collect();
        let a = node(&format!(
            "before_script: [make, 'source out.env']\nscript:\n  - echo $V\n{}",
            long.lines()
                .map(|l| format!("  - {l}\n"))
                .collect::<String>()
        ));
        let copy = a.clone();
        let other = node("script: [echo $W]\n");
        let mut reads = ScriptReads::default();
        let first = reads.read(&a);
        assert!(Rc::ptr_eq(&first, &reads.read(&a)));
        assert!(Rc::ptr_eq(&first, &reads.read(&copy)));
        let different = reads.read(&other);
        assert!(!Rc::ptr_eq(&first, &different));
        assert_eq!(first.lines[..3], ["make", "source out.env", "echo $V"]);
        assert_eq!(first.lines.len(), 3 + SHARED_FROM_LINES);
        assert_eq!(first.variables_read, ["V"]);
        assert_eq!(first.facts.reads.len(), 1);
        assert_eq!(different.variables_read, ["W"]);
    }
}
