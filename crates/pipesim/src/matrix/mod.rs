//! pipesim's own (GitLab has no such view): the job × event matrix, built only on the public
//! simulate API (`simulate::simulate`, `simulate::simulate_event`) and its report types, with
//! the composed configuration shared between columns where it is provably the same
//! (`pipeline::shared::sharing`).
//!
//! Each column is one event of a project (a push to a feature branch, a merge request, a
//! schedule...), simulated on its own from the same repository; each row is a job, and a job of
//! a child pipeline is a nested row under the trigger job that starts it (`trigger > job`).
//! Each cell says whether the job is in that event's pipeline (`in`), waits for someone
//! (`manual`), starts later (`delayed`), is left out (`never`), or has no pipeline to be in
//! (`no_pipeline`: `workflow:rules`, an error, `[ci skip]` or a trigger job that is not there),
//! with the reason pipesim already computed for it (`JobReport::why`, `PipelineReport::reason`).
//!
//! Which pipelines an event creates, and what a merge does, is the core's: the matrix only
//! chooses the events and reads the reports. It stays bounded on hostile input: at most
//! [`MAX_EVENTS`] columns, each one simulation bounded by the core's own limits (YAML size
//! and nodes, includes, the pipeline tree's size), and rows are the jobs those simulations
//! report.
//!
//! `events.rs` is the events file (columns and project), `expectations.rs` the tests file of
//! `pipesim test` and its checking, `diff.rs` the comparison of two configurations.

pub mod diff;
pub mod events;
pub mod expectations;

use std::collections::HashMap;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::event::{
    Event, ManualEvent, ManualSource, MergeRequestEvent, MergeRequestPipelineKind, Project, Push,
    RefTarget,
};
use crate::pipeline::{JobReport, PipelineReport, Status};
use crate::simulate::{self, Simulation};
use crate::source::Files;

/// The most columns one matrix simulates (each is a whole simulation).
pub const MAX_EVENTS: usize = 64;

/// The separator between a trigger job and a job of the child pipeline it starts, in row names
/// (`deploy-child > smoke-test`).
pub const PATH_SEPARATOR: &str = " > ";

/// One column: an event, and how to bring the repository to the state it happens in.
#[derive(Clone, Debug, PartialEq)]
pub struct MatrixEvent {
    /// Short stable id (`push-feature`, `mr`...), used by tests files and `pipesim diff`.
    pub id: String,
    /// What happens, in words (`push to feature/change`).
    pub title: String,
    pub run: EventRun,
}

/// How a column is simulated.
#[derive(Clone, Debug, PartialEq)]
pub enum EventRun {
    /// One event with `simulate::simulate_event`: the branches it names already exist (unless
    /// `new_branch`).
    Single { event: Event, new_branch: bool },
    /// A timeline with `simulate::simulate`; the column shows the pipelines of its last event
    /// (e.g. push a branch, open a merge request, merge it).
    Timeline(Vec<Event>),
}

/// What the standard events are made of; every field has a sensible default.
#[derive(Clone, Debug, PartialEq)]
pub struct StandardOptions {
    /// The feature branch pushed and merged (default `feature/change`).
    pub feature_branch: String,
    /// The tag pushed (default `v1.0.0`).
    pub tag: String,
    /// Paths the feature branch, its merge request and the merge change (`None`: the
    /// configuration file itself, `Project::ci_config_path`).
    pub changes: Option<Vec<String>>,
    /// Pipeline variables of the schedule, web, api and trigger pipelines.
    pub variables: Vec<(String, String)>,
    /// Merge request labels.
    pub labels: Vec<String>,
}

impl Default for StandardOptions {
    fn default() -> Self {
        StandardOptions {
            feature_branch: "feature/change".to_owned(),
            tag: "v1.0.0".to_owned(),
            changes: None,
            variables: Vec::new(),
            labels: Vec::new(),
        }
    }
}

/// The standard events of a project: push to a feature branch, push to the default branch,
/// merge request (detached; merged results and merge train only on a paid tier), merge into
/// the default branch, tag, schedule, web, api, trigger. Child pipelines are rows, not columns.
pub fn standard_events(project: &Project, options: &StandardOptions) -> Vec<MatrixEvent> {
    let default = project.default_branch.clone();
    let feature = options.feature_branch.clone();
    let changes = Some(
        options
            .changes
            .clone()
            .unwrap_or_else(|| vec![project.ci_config_path.clone()]),
    );
    let merge_request = |kind| MergeRequestEvent {
        iid: 1,
        source_branch: feature.clone(),
        target_branch: default.clone(),
        labels: options.labels.clone(),
        kind: Some(kind),
        changes: changes.clone(),
        ..MergeRequestEvent::default()
    };
    let push = |target: RefTarget| Push {
        target,
        changes: changes.clone(),
        ..Push::default()
    };
    let manual = |source| EventRun::Single {
        event: Event::Manual(ManualEvent {
            source,
            target: RefTarget::Branch(default.clone()),
            variables: options.variables.clone(),
            description: (source == ManualSource::Schedule).then(|| "nightly".to_owned()),
            inputs: None,
        }),
        new_branch: false,
    };
    let mut events = vec![
        MatrixEvent {
            id: "push-feature".to_owned(),
            title: format!("push to {feature}"),
            run: EventRun::Single {
                event: Event::Push(push(RefTarget::Branch(feature.clone()))),
                new_branch: false,
            },
        },
        MatrixEvent {
            id: "push-default".to_owned(),
            title: format!("push to {default} (default branch)"),
            run: EventRun::Single {
                event: Event::Push(push(RefTarget::Branch(default.clone()))),
                new_branch: false,
            },
        },
        MatrixEvent {
            id: "mr".to_owned(),
            title: format!("merge request {feature} → {default} (detached)"),
            run: EventRun::Single {
                event: Event::MergeRequest(merge_request(MergeRequestPipelineKind::Detached)),
                new_branch: false,
            },
        },
    ];
    if project.tier.is_paid() {
        events.push(MatrixEvent {
            id: "merged-result".to_owned(),
            title: format!("merged results pipeline {feature} → {default}"),
            run: EventRun::Single {
                event: Event::MergeRequest(merge_request(MergeRequestPipelineKind::MergedResult)),
                new_branch: false,
            },
        });
        events.push(MatrixEvent {
            id: "merge-train".to_owned(),
            title: format!("merge train {feature} → {default}"),
            run: EventRun::Single {
                event: Event::MergeRequest(merge_request(MergeRequestPipelineKind::MergeTrain)),
                new_branch: false,
            },
        });
    }
    events.push(MatrixEvent {
        id: "merge".to_owned(),
        title: format!("merge {feature} into {default}"),
        run: EventRun::Timeline(vec![
            Event::Push(push(RefTarget::Branch(feature.clone()))),
            Event::MergeRequest(merge_request(MergeRequestPipelineKind::Detached)),
            Event::Merge { iid: 1 },
        ]),
    });
    events.push(MatrixEvent {
        id: "tag".to_owned(),
        title: format!("push tag {}", options.tag),
        run: EventRun::Single {
            event: Event::Push(Push {
                target: RefTarget::Tag(options.tag.clone()),
                ..Push::default()
            }),
            new_branch: false,
        },
    });
    for (id, source, title) in [
        ("schedule", ManualSource::Schedule, "scheduled pipeline on"),
        ("web", ManualSource::Web, "Run pipeline (web) on"),
        ("api", ManualSource::Api, "API pipeline on"),
        (
            "trigger",
            ManualSource::Trigger,
            "trigger token pipeline on",
        ),
    ] {
        events.push(MatrixEvent {
            id: id.to_owned(),
            title: format!("{title} {default}"),
            run: manual(source),
        });
    }
    events
}

/// The matrix: the JSON contract of `pipesim matrix --format json`.
#[derive(Clone, Debug, Serialize)]
pub struct Matrix {
    /// [`crate::GITLAB_VERSION`].
    pub gitlab_version: &'static str,
    pub columns: Vec<Column>,
    /// Jobs of the top-level pipelines first, then each child pipeline's, in first-seen order.
    pub rows: Vec<Row>,
}

/// One event's result.
#[derive(Clone, Debug, Serialize)]
pub struct Column {
    pub id: String,
    pub title: String,
    /// Every pipeline the event created or asked for, children included.
    pub pipelines: Vec<PipelineSummary>,
    /// Error and warning findings of the simulation (configuration, events, data flow).
    pub findings: Vec<Diagnostic>,
    /// The whole simulation, for tests and diffs (variables, dotenv, artifacts).
    #[serde(skip)]
    pub simulation: Simulation,
    /// Index in `simulation.pipelines` of the pipeline the cells read, per nested path.
    #[serde(skip)]
    paths: Vec<(Vec<String>, usize)>,
}

/// A pipeline of a column, in brief.
#[derive(Clone, Debug, Serialize)]
pub struct PipelineSummary {
    pub id: u64,
    pub source: String,
    #[serde(rename = "ref")]
    pub ref_name: String,
    pub status: Status,
    pub created: bool,
    pub reason: String,
    /// Trigger jobs from the top-level pipeline down to this one (empty for a top-level one).
    pub path: Vec<String>,
    /// GitLab's error messages, when the pipeline failed or was not created.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<String>,
}

/// One job (of the top-level pipeline, or of a child pipeline under `path`).
#[derive(Clone, Debug, Serialize)]
pub struct Row {
    /// Trigger jobs leading to the job's pipeline; empty for the top-level pipeline.
    pub path: Vec<String>,
    pub job: String,
    pub stage: String,
    /// One per column, same order.
    pub cells: Vec<Cell>,
}

impl Row {
    /// `job`, or `trigger > job` for a job of a child pipeline.
    pub fn name(&self) -> String {
        row_name(&self.path, &self.job)
    }
}

/// `job`, or `trigger > job`.
pub fn row_name(path: &[String], job: &str) -> String {
    let mut name = String::new();
    for step in path {
        name.push_str(step);
        name.push_str(PATH_SEPARATOR);
    }
    name.push_str(job);
    name
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CellState {
    /// Created and runs on its own (`on_success`, `on_failure` or `always`).
    In,
    Manual,
    Delayed,
    /// In the configuration, left out of this pipeline by its rules or `only`/`except`.
    Never,
    /// There is no pipeline for the job to be in.
    NoPipeline,
}

impl CellState {
    pub fn as_str(self) -> &'static str {
        match self {
            CellState::In => "in",
            CellState::Manual => "manual",
            CellState::Delayed => "delayed",
            CellState::Never => "never",
            CellState::NoPipeline => "no_pipeline",
        }
    }

    pub fn parse(text: &str) -> Option<CellState> {
        match text {
            "in" => Some(CellState::In),
            "manual" => Some(CellState::Manual),
            "delayed" => Some(CellState::Delayed),
            "never" => Some(CellState::Never),
            "no_pipeline" => Some(CellState::NoPipeline),
            _ => None,
        }
    }

    /// Whether the job is in the pipeline (runs, waits for someone or starts later).
    pub fn present(self) -> bool {
        matches!(self, CellState::In | CellState::Manual | CellState::Delayed)
    }
}

/// One job in one event.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Cell {
    pub state: CellState,
    /// GitLab's `when` for a created job (`on_success`, `manual`, `delayed`, `always`...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub when: Option<String>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub allow_failure: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_in: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub needs: Option<Vec<String>>,
    /// Why, in plain English: the job's own reason, or its pipeline's.
    pub why: String,
    /// Id of the pipeline the job is in (created or not), when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<u64>,
}

/// Simulates every event (at most [`MAX_EVENTS`]) and builds the matrix. The columns share
/// each composed configuration that is provably the same for their pipelines
/// (`pipeline::shared`: same files, same include strings and `include:rules` decisions), on
/// the caller's thread. [`build_with`] spreads the columns over threads: the shell chooses how
/// many (the core reads nothing of the machine it runs on), and the answer is the same.
pub fn build(project: &Project, files: &Files, events: &[MatrixEvent]) -> Matrix {
    build_with(project, files, events, true, 1)
}

/// The most threads [`build_with`] is worth giving: a matrix has about ten columns.
pub const MAX_THREADS: usize = 4;

/// [`build`], sharing compositions between columns or composing each pipeline's on its own
/// (`share: false`), on `threads` threads (natively; 1 runs on the caller's thread). Each
/// thread shares compositions among the columns it simulates.
pub fn build_with(
    project: &Project,
    files: &Files,
    events: &[MatrixEvent],
    share: bool,
    threads: usize,
) -> Matrix {
    let events = &events[..events.len().min(MAX_EVENTS)];
    let columns = simulate_columns(project, files, events, share, threads);
    let rows = rows(&columns);
    Matrix {
        gitlab_version: crate::GITLAB_VERSION,
        columns,
        rows,
    }
}

/// Every column, in the order of `events`.
fn simulate_columns(
    project: &Project,
    files: &Files,
    events: &[MatrixEvent],
    share: bool,
    threads: usize,
) -> Vec<Column> {
    let in_scope = |f: &mut dyn FnMut() -> Vec<(usize, Column)>| {
        if share {
            crate::pipeline::shared::sharing(f)
        } else {
            f()
        }
    };
    #[cfg(target_arch = "wasm32")]
    let _ = threads;
    #[cfg(not(target_arch = "wasm32"))]
    if threads.clamp(1, MAX_THREADS).min(events.len()) > 1 {
        let threads = threads.clamp(1, MAX_THREADS).min(events.len());
        // A queue of column indexes: a thread takes the next column when it is done with one
        // (columns differ in cost: `merge` is three events).
        let next = std::sync::atomic::AtomicUsize::new(0);
        let work = || {
            in_scope(&mut || {
                let mut done = Vec::new();
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(event) = events.get(i) else {
                        return done;
                    };
                    done.push((i, column(project, files, event)));
                }
            })
        };
        let mut all: Vec<(usize, Column)> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..threads).map(|_| scope.spawn(work)).collect();
            handles
                .into_iter()
                .flat_map(|h| match h.join() {
                    Ok(done) => done,
                    Err(panic) => std::panic::resume_unwind(panic),
                })
                .collect()
        });
        crate::sort::sort_by_key(&mut all, |(i, _)| *i);
        return all.into_iter().map(|(_, c)| c).collect();
    }
    in_scope(&mut || {
        events
            .iter()
            .enumerate()
            .map(|(i, event)| (i, column(project, files, event)))
            .collect()
    })
    .into_iter()
    .map(|(_, c)| c)
    .collect()
}

/// One column: one simulation, and the pipelines of the event the column is about.
fn column(project: &Project, files: &Files, event: &MatrixEvent) -> Column {
    let (mut simulation, last) = match &event.run {
        EventRun::Single { event, new_branch } => (
            simulate::simulate_event(project, files, event, *new_branch),
            1,
        ),
        EventRun::Timeline(events) => (
            simulate::simulate(project, files, &events[..events.len().min(MAX_EVENTS)]),
            events.len().min(MAX_EVENTS),
        ),
    };
    // Only the column's own event: the pushes that set the scene are not part of the answer.
    simulation.pipelines.retain(|p| p.event == last);
    simulation
        .diagnostics
        .retain(|d| d.event.is_none_or(|e| e == last));
    let paths = pipeline_paths(&simulation.pipelines);
    let pipelines = simulation
        .pipelines
        .iter()
        .zip(&paths)
        .map(|(p, path)| PipelineSummary {
            id: p.id,
            source: p.source.clone(),
            ref_name: p.ref_name.clone(),
            status: p.status.clone(),
            created: p.created,
            reason: p.reason.clone(),
            path: path.clone(),
            errors: p.errors.iter().map(|e| e.message.clone()).collect(),
        })
        .collect();
    let mut findings: Vec<Diagnostic> = simulation
        .diagnostics
        .iter()
        .filter(|d| d.severity != Severity::Info)
        .cloned()
        .collect();
    for p in &simulation.pipelines {
        for e in p.errors.iter().filter(|e| e.severity != Severity::Info) {
            let mut e = e.clone();
            e.pipeline = Some(p.id);
            findings.push(e);
        }
    }
    // The pipeline the cells read for each path: the last top-level pipeline of the event (a
    // merge with merge trains runs the train pipeline first), then the children it starts.
    let mut by_path: Vec<(Vec<String>, usize)> = Vec::new();
    for (index, path) in paths.iter().enumerate() {
        match by_path.iter_mut().find(|(p, _)| p == path) {
            Some(entry) => entry.1 = index,
            None => by_path.push((path.clone(), index)),
        }
    }
    Column {
        id: event.id.clone(),
        title: event.title.clone(),
        pipelines,
        findings,
        simulation,
        paths: by_path,
    }
}

/// Each pipeline's trigger-job path from its top-level pipeline (children follow parents).
fn pipeline_paths(pipelines: &[PipelineReport]) -> Vec<Vec<String>> {
    let mut paths: Vec<Vec<String>> = Vec::with_capacity(pipelines.len());
    for p in pipelines {
        let parent = p
            .parent
            .and_then(|id| pipelines.iter().position(|q| q.id == id))
            .filter(|&i| i < paths.len());
        let path = match (parent, &p.trigger_job) {
            (Some(i), Some(bridge)) => {
                let mut path = paths[i].clone();
                path.push(bridge.clone());
                path
            }
            _ => Vec::new(),
        };
        paths.push(path);
    }
    paths
}

impl Column {
    /// The pipeline the cells of rows under `path` read.
    pub fn pipeline(&self, path: &[String]) -> Option<&PipelineReport> {
        self.paths
            .iter()
            .find(|(p, _)| p == path)
            .and_then(|(_, i)| self.simulation.pipelines.get(*i))
    }

    /// The job `job` of the pipeline under `path`, as its report says.
    pub fn job(&self, path: &[String], job: &str) -> Option<&JobReport> {
        self.pipeline(path)?.jobs.iter().find(|j| j.name == job)
    }

    /// The top-level pipeline of the event (the one the cells of top-level rows read).
    pub fn main_pipeline(&self) -> Option<&PipelineReport> {
        self.pipeline(&[])
    }

    /// The cell of `job` under `path`.
    pub fn cell(&self, path: &[String], job: &str) -> Cell {
        match self.pipeline(path) {
            Some(pipeline) => cell_in(pipeline, pipeline.jobs.iter().find(|j| j.name == job)),
            None => Cell::none(self.missing_pipeline(path), None),
        }
    }

    /// Why the pipeline under `path` does not exist in this column.
    fn missing_pipeline(&self, path: &[String]) -> String {
        let Some((bridge, parent_path)) = path.split_last() else {
            return "the event asks for no pipeline".to_owned();
        };
        let Some(parent) = self.pipeline(parent_path) else {
            return self.missing_pipeline(parent_path);
        };
        match parent.jobs.iter().find(|j| &j.name == bridge) {
            Some(job) if job.created => {
                format!("`{bridge}` is in the pipeline but its child pipeline was not created")
            }
            Some(job) => format!("`{bridge}` is not in this pipeline: {}", job.why),
            None if parent.status != Status::Created => parent.reason.clone(),
            None => format!("`{bridge}` is not in this pipeline's configuration"),
        }
    }
}

/// The cell of a job whose report in `pipeline` is `report` (`None`: not in its configuration).
fn cell_in(pipeline: &PipelineReport, report: Option<&JobReport>) -> Cell {
    if pipeline.status != Status::Created {
        // A job its own rules leave out is `never` even when, for that, no job is left and
        // no pipeline is created; any other job has no pipeline to be in.
        if let Some(report) = report.filter(|j| !j.created) {
            return Cell::of(report, pipeline.id);
        }
        let mut why = pipeline.reason.clone();
        if let Some(error) = pipeline.errors.first() {
            why.push_str(&format!(" ({})", error.message));
        }
        return Cell::none(why, Some(pipeline.id));
    }
    match report {
        Some(report) => Cell::of(report, pipeline.id),
        None => Cell {
            state: CellState::Never,
            when: None,
            allow_failure: false,
            start_in: None,
            needs: None,
            why: "the job is not in this pipeline's configuration".to_owned(),
            pipeline: Some(pipeline.id),
        },
    }
}

impl Cell {
    fn none(why: String, pipeline: Option<u64>) -> Cell {
        Cell {
            state: CellState::NoPipeline,
            when: None,
            allow_failure: false,
            start_in: None,
            needs: None,
            why,
            pipeline,
        }
    }

    fn of(job: &JobReport, pipeline: u64) -> Cell {
        let state = match (job.created, job.when.as_str()) {
            (false, _) => CellState::Never,
            (true, "manual") => CellState::Manual,
            (true, "delayed") => CellState::Delayed,
            (true, _) => CellState::In,
        };
        Cell {
            state,
            when: job.created.then(|| job.when.clone()),
            allow_failure: job.created && job.allow_failure,
            start_in: job.start_in.clone().filter(|_| state == CellState::Delayed),
            needs: job.needs.clone().filter(|_| job.created),
            why: job.why.clone(),
            pipeline: Some(pipeline),
        }
    }
}

/// The rows: every job of every column's pipelines, top-level first, then each child path in
/// the order it was first seen; within a path, in first-seen (stage) order.
fn rows(columns: &[Column]) -> Vec<Row> {
    let mut keys: Vec<(Vec<String>, String, String)> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    let mut path_order: Vec<Vec<String>> = Vec::new();
    for column in columns {
        for (path, index) in &column.paths {
            if !path_order.contains(path) {
                path_order.push(path.clone());
            }
            let pipeline = &column.simulation.pipelines[*index];
            for job in &pipeline.jobs {
                if seen.insert((path.clone(), job.name.clone())) {
                    keys.push((path.clone(), job.name.clone(), job.stage.clone()));
                }
            }
        }
    }
    let order = |path: &Vec<String>| {
        path_order
            .iter()
            .position(|p| p == path)
            .unwrap_or(usize::MAX)
    };
    crate::sort::sort_by_key(&mut keys, |(path, _, _)| order(path));
    // Each column's jobs by path and name, and each missing pipeline's reason, worked out
    // once: looking each cell up by a scan made the matrix quadratic in the number of jobs.
    let mut indexes: Vec<ColumnIndex> = columns.iter().map(ColumnIndex::new).collect();
    keys.into_iter()
        .map(|(path, job, stage)| {
            let cells = columns
                .iter()
                .zip(indexes.iter_mut())
                .map(|(column, index)| index.cell(column, &path, &job))
                .collect();
            Row {
                path,
                job,
                stage,
                cells,
            }
        })
        .collect()
}

/// One column's pipelines by path, their jobs by name, and the reasons of missing pipelines.
struct ColumnIndex<'a> {
    pipelines: HashMap<&'a [String], (&'a PipelineReport, HashMap<&'a str, &'a JobReport>)>,
    missing: HashMap<Vec<String>, String>,
}

impl<'a> ColumnIndex<'a> {
    fn new(column: &'a Column) -> Self {
        let pipelines = column
            .paths
            .iter()
            .map(|(path, index)| {
                let pipeline = &column.simulation.pipelines[*index];
                let jobs = pipeline.jobs.iter().map(|j| (j.name.as_str(), j)).collect();
                (path.as_slice(), (pipeline, jobs))
            })
            .collect();
        ColumnIndex {
            pipelines,
            missing: HashMap::new(),
        }
    }

    fn cell(&mut self, column: &Column, path: &[String], job: &str) -> Cell {
        if let Some((pipeline, jobs)) = self.pipelines.get(path) {
            return cell_in(pipeline, jobs.get(job).copied());
        }
        let why = self
            .missing
            .entry(path.to_vec())
            .or_insert_with(|| column.missing_pipeline(path));
        Cell::none(why.clone(), None)
    }
}

#[cfg(test)]
mod tests;
