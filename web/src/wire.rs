//! What crosses between the page and its simulation worker: the workspace the user edits (as
//! JSON of the web app's own form types) one way, the core's results the other way, written in
//! the core's JSON contract (the `pipesim simulate` output, `Serialize` in the core) and read
//! back here into the core's types, so the views draw the same values as before.
//!
//! The core only serialises (its types have no `Deserialize`), so the reading side is spelled
//! out below: one function per type, building each struct with all its fields, so that a field
//! added to the core stops the build here instead of being dropped silently. The round-trip
//! test compares every preset's results before and after.

use pipesim::diagnostic::{Fix, Location};
use pipesim::pipeline::{
    Check, DotenvValue, JobReport, PipelineReport, Status, VariableRow, VARIABLE_SOURCES,
};
use pipesim::simulate::Simulation;
use pipesim::sorted::SortedMap;
use pipesim::{Diagnostic, LintReport, Severity};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use std::rc::Rc;

use crate::state::{
    EventForm, FileTab, OtherProject, ProjectForm, Results, Run, Shared, Workspace,
};

/// What the page asks the worker to run: everything the results depend on (not the view or
/// the selected job).
#[derive(PartialEq, Serialize, Deserialize)]
pub struct Request {
    pub files: Vec<FileTab>,
    pub project: ProjectForm,
    pub events: Vec<EventForm>,
    #[serde(default)]
    pub projects: Vec<OtherProject>,
}

impl Request {
    pub fn of(workspace: &Workspace) -> Request {
        Request {
            files: workspace.files.clone(),
            project: workspace.project.clone(),
            events: workspace.events.clone(),
            projects: workspace.projects.clone(),
        }
    }

    pub fn into_workspace(self) -> Workspace {
        let mut workspace = Workspace::with_config("");
        workspace.files = self.files;
        workspace.project = self.project;
        workspace.events = self.events;
        workspace.projects = self.projects;
        workspace
    }
}

pub fn encode_request(workspace: &Workspace) -> String {
    serde_json::to_string(&Request::of(workspace)).unwrap_or_default()
}

pub fn decode_request(text: &str) -> Result<Workspace, String> {
    serde_json::from_str::<Request>(text)
        .map(Request::into_workspace)
        .map_err(|e| format!("the page sent a request the worker cannot read: {e}"))
}

#[derive(Serialize)]
struct ResultsOut<'a> {
    lint: &'a LintReport,
    simulation: &'a Simulation,
    ms: f64,
    lint_ms: f64,
}

/// The results in the core's JSON contract, with the run's timing.
pub fn encode_results(results: &Results) -> String {
    let out = ResultsOut {
        lint: &results.lint,
        simulation: &results.simulation,
        ms: results.run.ms,
        lint_ms: results.run.lint_ms,
    };
    serde_json::to_string(&out).unwrap_or_default()
}

/// What the results views draw, in the same contract: every job without its variable table
/// and its evaluated clauses, and the jobs in the pipeline without their `why` (the views show
/// the reason of the jobs left out only; the job drawer shows the rest, and fetches it with
/// [`encode_job_detail`] when it opens). For 1,000 jobs this is a fifth of the text, and far
/// fewer objects for the page to read back.
pub fn encode_summary(results: &Results) -> String {
    encode_summary_against(results, None).0
}

/// The parts of one answer as the worker wrote them, kept so that the next answer can name
/// what the page already holds instead of sending it again ([`encode_summary_against`]).
pub struct Sent {
    lint: String,
    /// The simulation without its pipelines, in two halves around where they go.
    head: (String, String),
    pipelines: Vec<SentPipeline>,
}

struct SentPipeline {
    /// The pipeline without its jobs (its text up to where `"jobs"` goes).
    header: String,
    jobs: Vec<String>,
}

impl Sent {
    /// The parts of `simulation`'s summary. The summary leaves out each job's heaviest fields:
    /// they are taken out for the writing and put back, so nothing is copied.
    fn of(simulation: &mut Simulation, lint: &LintReport) -> Option<Sent> {
        let pipelines = std::mem::take(&mut simulation.pipelines);
        let head = serde_json::to_string(&*simulation);
        simulation.pipelines = pipelines;
        let head = head.ok()?;
        // The simulation's fields are written in their declared order, `pipelines` after the
        // version: the text splits there.
        let (before, after) = head.split_once("\"pipelines\":[]")?;
        let mut sent = Sent {
            lint: serde_json::to_string(lint).ok()?,
            head: (before.to_owned(), after.to_owned()),
            pipelines: Vec::with_capacity(simulation.pipelines.len()),
        };
        for pipeline in &mut simulation.pipelines {
            let jobs = std::mem::take(&mut pipeline.jobs);
            let header = serde_json::to_string(&*pipeline);
            pipeline.jobs = jobs;
            // `jobs` is the report's last field.
            let header = header.ok()?.strip_suffix(",\"jobs\":[]}")?.to_owned();
            let jobs = pipeline
                .jobs
                .iter_mut()
                .map(summary_text)
                .collect::<Option<Vec<String>>>()?;
            sent.pipelines.push(SentPipeline { header, jobs });
        }
        Some(sent)
    }

    /// What an answer written in one piece stands for: nothing a later answer can name.
    fn empty() -> Sent {
        Sent {
            lint: String::new(),
            head: (String::new(), String::new()),
            pipelines: Vec::new(),
        }
    }

    fn same_pipeline(&self, at: usize, other: &SentPipeline) -> bool {
        self.pipelines
            .get(at)
            .is_some_and(|p| p.header == other.header && p.jobs == other.jobs)
    }
}

/// [`encode_summary`], naming what the page already holds: `base` is an earlier answer (its
/// request's number and what it sent) whose results the page shows. The answer then says
/// `"base": N`, and in place of a part equal to the base's it writes a reference: `"same"` for
/// the lint or the whole simulation, `{"same": k}` for the base's pipeline `k`, `[k, j]` for
/// its pipeline `k`'s job `j`. While typing changes nothing the results show (a comment, a
/// blank line) an answer is a few hundred bytes and the page keeps the results it draws; an
/// edit to one job sends that job. Returns the text and what it stands for, to be the base of
/// a later answer.
pub fn encode_summary_against(results: &Results, base: Option<(u32, &Sent)>) -> (String, Sent) {
    let mut simulation = (*results.simulation).clone();
    answer_text(&results.lint, results.run, &mut simulation, base)
}

/// [`encode_summary_against`] for results the caller owns alone (the worker's fresh run): the
/// summary is written from them without a copy.
pub fn encode_answer(results: &mut Results, base: Option<(u32, &Sent)>) -> (String, Sent) {
    let Results {
        lint,
        simulation,
        run,
    } = results;
    match Rc::get_mut(&mut simulation.0) {
        Some(simulation) => answer_text(lint, *run, simulation, base),
        None => answer_text(lint, *run, &mut (**simulation).clone(), base),
    }
}

/// The answer for a run's `lint`, `run` and `simulation` (lent to [`Sent::of`]).
fn answer_text(
    lint: &LintReport,
    run: Run,
    simulation: &mut Simulation,
    base: Option<(u32, &Sent)>,
) -> (String, Sent) {
    let Some(sent) = Sent::of(simulation, lint) else {
        // Not expected (the parts are the derive's own text); the whole text is still right.
        return (encode_full_summary(lint, run, simulation), Sent::empty());
    };
    let mut out = String::with_capacity(256);
    out.push_str("{\"ms\":");
    out.push_str(&json_number(run.ms));
    out.push_str(",\"lint_ms\":");
    out.push_str(&json_number(run.lint_ms));
    if let Some((id, _)) = base {
        out.push_str(&format!(",\"base\":{id}"));
    }
    let base = base.map(|(_, sent)| sent);
    out.push_str(",\"lint\":");
    if base.is_some_and(|b| b.lint == sent.lint) {
        out.push_str("\"same\"");
    } else {
        out.push_str(&sent.lint);
    }
    out.push_str(",\"simulation\":");
    let whole_same = base.is_some_and(|b| {
        b.head == sent.head
            && b.pipelines.len() == sent.pipelines.len()
            && sent
                .pipelines
                .iter()
                .enumerate()
                .all(|(i, p)| b.same_pipeline(i, p))
    });
    if whole_same {
        out.push_str("\"same\"}");
        return (out, sent);
    }
    // Where each of the base's jobs is, by its text.
    let known: std::collections::HashMap<&str, (usize, usize)> = base
        .map(|b| {
            b.pipelines
                .iter()
                .enumerate()
                .flat_map(|(k, p)| {
                    p.jobs
                        .iter()
                        .enumerate()
                        .map(move |(j, t)| (t.as_str(), (k, j)))
                })
                .collect()
        })
        .unwrap_or_default();
    out.push_str(&sent.head.0);
    out.push_str("\"pipelines\":[");
    for (i, pipeline) in sent.pipelines.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        let same = base.and_then(|b| {
            (0..b.pipelines.len())
                .map(|k| (k + i) % b.pipelines.len())
                .find(|&k| b.same_pipeline(k, pipeline))
        });
        if let Some(k) = same {
            out.push_str(&format!("{{\"same\":{k}}}"));
            continue;
        }
        out.push_str(&pipeline.header);
        out.push_str(",\"jobs\":[");
        for (j, job) in pipeline.jobs.iter().enumerate() {
            if j > 0 {
                out.push(',');
            }
            match known.get(job.as_str()) {
                Some((k, j)) => out.push_str(&format!("[{k},{j}]")),
                None => out.push_str(job),
            }
        }
        out.push_str("]}");
    }
    out.push(']');
    out.push_str(&sent.head.1);
    out.push('}');
    (out, sent)
}

/// What the summary leaves out of a job: its variable table and evaluated clauses, and its
/// `why` when it is in the pipeline. Taken out of `job`, to be put back by [`put_back`].
type LeftOut = (Vec<VariableRow>, Vec<Check>, String);

fn take_left_out(job: &mut JobReport) -> LeftOut {
    let why = if job.created {
        std::mem::take(&mut job.why)
    } else {
        String::new()
    };
    (
        std::mem::take(&mut job.variables),
        std::mem::take(&mut job.checks),
        why,
    )
}

fn put_back(job: &mut JobReport, (variables, checks, why): LeftOut) {
    job.variables = variables;
    job.checks = checks;
    if job.created {
        job.why = why;
    }
}

/// The summary's text of `job`, which is left as it was.
fn summary_text(job: &mut JobReport) -> Option<String> {
    let left_out = take_left_out(job);
    let text = serde_json::to_string(&*job);
    put_back(job, left_out);
    text.ok()
}

/// A number as JSON writes it (serde_json's own text for an `f64`).
fn json_number(n: f64) -> String {
    serde_json::to_string(&n).unwrap_or_else(|_| "0".into())
}

/// The summary written in one piece, without references.
fn encode_full_summary(lint: &LintReport, run: Run, simulation: &Simulation) -> String {
    let mut simulation = simulation.clone();
    for job in simulation.pipelines.iter_mut().flat_map(|p| &mut p.jobs) {
        take_left_out(job);
    }
    let out = ResultsOut {
        lint,
        simulation: &simulation,
        ms: run.ms,
        lint_ms: run.lint_ms,
    };
    serde_json::to_string(&out).unwrap_or_default()
}

/// Which job the drawer asks about.
#[derive(Clone, Debug, PartialEq)]
pub struct DetailRequest {
    pub pipeline: u64,
    pub job: String,
}

impl DetailRequest {
    pub fn encode(&self) -> String {
        serde_json::json!({ "pipeline": self.pipeline, "job": self.job }).to_string()
    }

    pub fn decode(text: &str) -> R<DetailRequest> {
        let value: Value = serde_json::from_str(text).map_err(|e| e.to_string())?;
        Ok(DetailRequest {
            pipeline: uint(&value, "pipeline")?,
            job: string(&value, "job")?,
        })
    }
}

/// Where a job is defined and the keywords that say what it runs and produces, as the core's
/// expanded configuration has them (`include`, `extends`, `!reference` and `default:`
/// resolved: what the "Full configuration" shows for this job).
#[derive(Clone, Debug, PartialEq)]
pub struct Definition {
    pub file: String,
    pub line: u32,
    pub column: u32,
    /// (keyword, its value as YAML), in [`DEFINITION_KEYS`] order, for the keys the job has.
    pub keys: Vec<(String, String)>,
}

/// The keywords the drawer shows from a job's definition.
pub const DEFINITION_KEYS: [&str; 7] = [
    "image",
    "services",
    "before_script",
    "script",
    "after_script",
    "artifacts",
    "trigger",
];

/// One job in full, for the drawer.
#[derive(Clone, Debug)]
pub struct JobDetail {
    pub job: JobReport,
    /// `None` where the core's configuration of the entry file does not hold the job (child
    /// and other projects' pipelines) or the configuration does not load.
    pub definition: Option<Definition>,
}

/// The job `request` names, from `results` of `workspace`, in full (JSON), or `None` when the
/// results have no such job.
pub fn encode_job_detail(
    workspace: &Workspace,
    results: &Results,
    request: &DetailRequest,
) -> Option<String> {
    let pipeline = results
        .simulation
        .pipelines
        .iter()
        .find(|p| p.id == request.pipeline)?;
    let job = pipeline.jobs.iter().find(|j| j.name == request.job)?;
    let definition = if pipeline.parent.is_none() && pipeline.project.is_none() {
        definition_of(workspace, &job.name)
    } else {
        None
    };
    let definition = definition.map_or(Value::Null, |d| {
        serde_json::json!({ "file": d.file, "line": d.line, "column": d.column, "keys": d.keys })
    });
    Some(format!(
        "{{\"job\":{},\"definition\":{definition}}}",
        serde_json::to_string(job).ok()?
    ))
}

/// The job's place and keywords in the core's configuration of the entry file.
fn definition_of(workspace: &Workspace, name: &str) -> Option<Definition> {
    let loaded = pipesim::config::load(&workspace.files(), crate::state::ENTRY);
    let normalized = loaded.normalized.as_ref()?;
    let job = normalized.jobs.iter().find(|j| j.name == name)?;
    let file = loaded.files.try_get(job.span.file)?.path.clone();
    let node = loaded.expanded.as_ref()?.get(&job.base_name);
    let keys = node
        .map(|node| {
            DEFINITION_KEYS
                .iter()
                .filter_map(|key| {
                    let mut text = String::new();
                    block(&mut text, node.get(key)?, 0);
                    Some(((*key).to_owned(), text.trim_end().to_owned()))
                })
                .collect()
        })
        .unwrap_or_default();
    Some(Definition {
        file,
        line: job.span.line,
        column: job.span.column,
        keys,
    })
}

/// A value of the expanded configuration in block style, for reading (scalars as Ruby's
/// `to_s` prints them, unquoted; the editor and the Full configuration have the exact text).
fn block(out: &mut String, node: &pipesim::yaml::Node, indent: usize) {
    use pipesim::yaml::Value as Y;
    let pad = " ".repeat(indent);
    match &node.value {
        Y::Seq(items) | Y::Reference(items) => {
            for item in items {
                out.push_str(&pad);
                out.push_str("- ");
                match item.scalar_to_s() {
                    Some(text) => {
                        out.push_str(&text);
                        out.push('\n');
                    }
                    None => {
                        out.push('\n');
                        block(out, item, indent + 2);
                    }
                }
            }
        }
        Y::Map(map) => {
            for (key, value) in map.iter() {
                out.push_str(&pad);
                out.push_str(&key.scalar_to_s().unwrap_or_default());
                out.push(':');
                match value.scalar_to_s() {
                    Some(text) => {
                        out.push(' ');
                        out.push_str(&text);
                        out.push('\n');
                    }
                    None => {
                        out.push('\n');
                        block(out, value, indent + 2);
                    }
                }
            }
        }
        _ => {
            out.push_str(&pad);
            out.push_str(&node.scalar_to_s().unwrap_or_default());
            out.push('\n');
        }
    }
}

/// Reads [`encode_job_detail`]'s text back.
pub fn decode_job_detail(text: &str) -> Result<JobDetail, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("unreadable job details: {e}"))?;
    let definition = optional(&value, "definition")
        .map(|d| {
            Ok::<_, String>(Definition {
                file: string(d, "file")?,
                line: u32_of(d, "line")?,
                column: u32_of(d, "column")?,
                keys: list(d, "keys", pair)?,
            })
        })
        .transpose()?;
    Ok(JobDetail {
        job: job(field(&value, "job")?)?,
        definition,
    })
}

/// Reads [`encode_results`]' text back; `number` numbers the run on the page.
pub fn decode_results(text: &str, number: u32) -> Result<Results, String> {
    decode_results_against(text, number, None)
}

/// Reads an answer of [`encode_summary_against`]: `base` is the answer the page holds, with
/// its request's number; the parts the text names by reference are taken from it (the same
/// `Rc` when the whole simulation is unchanged, so the views it feeds do not redraw).
pub fn decode_results_against(
    text: &str,
    number: u32,
    base: Option<(u32, &Results)>,
) -> Result<Results, String> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| format!("unreadable results: {e}"))?;
    let run = Run {
        number,
        ms: num(&value, "ms")?,
        lint_ms: num(&value, "lint_ms")?,
    };
    let base = match optional(&value, "base") {
        None => None,
        Some(id) => match base {
            Some((held, results)) if id.as_u64() == Some(u64::from(held)) => Some(results),
            _ => {
                return Err(format!(
                    "the answer builds on results {id}, which the page does not hold"
                ))
            }
        },
    };
    let lint = field(&value, "lint")?;
    let lint = match (lint.as_str(), base) {
        (Some("same"), Some(base)) => base.lint.clone(),
        _ => Shared::new(lint_report(lint)?),
    };
    let simulation = field(&value, "simulation")?;
    let simulation = match (simulation.as_str(), base) {
        (Some("same"), Some(base)) => base.simulation.clone(),
        (_, base) => Shared::new(simulation_against(
            simulation,
            base.map(|b| &*b.simulation),
        )?),
    };
    Ok(Results {
        lint,
        simulation,
        run,
    })
}

type R<T> = Result<T, String>;

fn field<'a>(v: &'a Value, key: &str) -> R<&'a Value> {
    v.get(key).ok_or_else(|| format!("`{key}` missing"))
}

/// A field the core leaves out when it is `None` (or null).
fn optional<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    v.get(key).filter(|v| !v.is_null())
}

fn string(v: &Value, key: &str) -> R<String> {
    as_string(field(v, key)?).map_err(|e| format!("`{key}`: {e}"))
}

fn as_string(v: &Value) -> R<String> {
    v.as_str()
        .map(str::to_owned)
        .ok_or_else(|| "not a string".to_owned())
}

fn opt_string(v: &Value, key: &str) -> R<Option<String>> {
    optional(v, key).map(as_string).transpose()
}

fn boolean(v: &Value, key: &str) -> R<bool> {
    field(v, key)?
        .as_bool()
        .ok_or_else(|| format!("`{key}`: not a boolean"))
}

fn uint(v: &Value, key: &str) -> R<u64> {
    field(v, key)?
        .as_u64()
        .ok_or_else(|| format!("`{key}`: not a number"))
}

fn opt_uint(v: &Value, key: &str) -> R<Option<u64>> {
    optional(v, key)
        .map(|n| n.as_u64().ok_or_else(|| format!("`{key}`: not a number")))
        .transpose()
}

fn num(v: &Value, key: &str) -> R<f64> {
    field(v, key)?
        .as_f64()
        .ok_or_else(|| format!("`{key}`: not a number"))
}

fn u32_of(v: &Value, key: &str) -> R<u32> {
    u32::try_from(uint(v, key)?).map_err(|_| format!("`{key}`: out of range"))
}

fn array<'a>(v: &'a Value, key: &str) -> R<&'a [Value]> {
    match v.get(key) {
        // Left out when empty (`skip_serializing_if = "Vec::is_empty"`).
        None => Ok(&[]),
        Some(list) => list
            .as_array()
            .map(Vec::as_slice)
            .ok_or_else(|| format!("`{key}`: not a list")),
    }
}

fn list<T>(v: &Value, key: &str, item: fn(&Value) -> R<T>) -> R<Vec<T>> {
    array(v, key)?.iter().map(item).collect()
}

fn strings(v: &Value, key: &str) -> R<Vec<String>> {
    list(v, key, as_string)
}

fn object<'a>(v: &'a Value, key: &str) -> R<Option<&'a serde_json::Map<String, Value>>> {
    match v.get(key) {
        None => Ok(None),
        Some(map) => map
            .as_object()
            .map(Some)
            .ok_or_else(|| format!("`{key}`: not a map")),
    }
}

/// The core's codes are `&'static str`; each distinct code is kept once for the page's life
/// (the core has a fixed set of them).
fn code(text: &str) -> &'static str {
    thread_local! {
        static CODES: std::cell::RefCell<Vec<&'static str>> = const { std::cell::RefCell::new(Vec::new()) };
    }
    CODES.with(|codes| {
        let mut codes = codes.borrow_mut();
        if let Some(known) = codes.iter().find(|c| **c == text) {
            return *known;
        }
        let leaked: &'static str = Box::leak(text.to_owned().into_boxed_str());
        codes.push(leaked);
        leaked
    })
}

fn severity(v: &Value) -> R<Severity> {
    match v.as_str() {
        Some("error") => Ok(Severity::Error),
        Some("warning") => Ok(Severity::Warning),
        Some("info") => Ok(Severity::Info),
        _ => Err(format!("unknown severity {v}")),
    }
}

fn lint_report(v: &Value) -> R<LintReport> {
    Ok(LintReport {
        gitlab_version: pipesim::GITLAB_VERSION,
        valid: boolean(v, "valid")?,
        errors: list(v, "errors", diagnostic)?,
        warnings: list(v, "warnings", diagnostic)?,
    })
}

fn diagnostic(v: &Value) -> R<Diagnostic> {
    Ok(Diagnostic {
        code: code(&string(v, "code")?),
        severity: severity(field(v, "severity")?)?,
        message: string(v, "message")?,
        explanation: opt_string(v, "explanation")?,
        file: opt_string(v, "file")?,
        line: u32_of(v, "line")?,
        column: u32_of(v, "column")?,
        related: optional(v, "related")
            .map(|l| {
                Ok::<_, String>(Location {
                    file: string(l, "file")?,
                    line: u32_of(l, "line")?,
                    column: u32_of(l, "column")?,
                })
            })
            .transpose()?,
        event: opt_uint(v, "event")?.map(|n| n as usize),
        job: opt_string(v, "job")?,
        pipeline: opt_uint(v, "pipeline")?,
        fix: optional(v, "fix")
            .map(|f| {
                Ok::<_, String>(Fix {
                    summary: string(f, "summary")?,
                    yaml: string(f, "yaml")?,
                    verified: boolean(f, "verified")?,
                    edits: list(f, "edits", edit)?,
                    diff: opt_string(f, "diff")?.unwrap_or_default(),
                })
            })
            .transpose()?,
    })
}

fn edit(v: &Value) -> R<pipesim::edit::Edit> {
    Ok(pipesim::edit::Edit {
        file: string(v, "file")?,
        line: u32_of(v, "line")?,
        remove: u32_of(v, "remove")?,
        insert: strings(v, "insert")?,
    })
}

fn simulation_against(v: &Value, base: Option<&Simulation>) -> R<Simulation> {
    let pipelines = array(v, "pipelines")?
        .iter()
        .map(|p| match optional(p, "same") {
            Some(k) => referred(base.map(|b| b.pipelines.as_slice()), k).cloned(),
            None => pipeline_against(p, base),
        })
        .collect::<R<Vec<PipelineReport>>>()?;
    Ok(Simulation {
        gitlab_version: pipesim::GITLAB_VERSION,
        pipelines,
        diagnostics: list(v, "diagnostics", diagnostic)?,
    })
}

/// The item of `list` an answer refers to by its index `at`.
fn referred<'a, T>(list: Option<&'a [T]>, at: &Value) -> R<&'a T> {
    at.as_u64()
        .and_then(|i| list?.get(usize::try_from(i).ok()?))
        .ok_or_else(|| format!("the answer refers to {at}, which the results it builds on lack"))
}

fn status(v: &Value) -> R<Status> {
    match v.as_str() {
        Some("created") => Ok(Status::Created),
        Some("skipped") => Ok(Status::Skipped),
        Some("failed") => Ok(Status::Failed),
        Some("not_created") => Ok(Status::NotCreated),
        _ => Err(format!("unknown pipeline status {v}")),
    }
}

fn check(v: &Value) -> R<Check> {
    Ok(Check {
        clause: string(v, "clause")?,
        matched: boolean(v, "matched")?,
        detail: string(v, "detail")?,
    })
}

fn string_map(v: &Value, key: &str) -> R<SortedMap<String, String>> {
    let Some(map) = object(v, key)? else {
        return Ok(SortedMap::new());
    };
    map.iter()
        .map(|(k, v)| Ok((k.clone(), as_string(v)?)))
        .collect()
}

fn pipeline_against(v: &Value, base: Option<&Simulation>) -> R<PipelineReport> {
    Ok(PipelineReport {
        event: uint(v, "event")? as usize,
        id: uint(v, "id")?,
        iid: uint(v, "iid")?,
        source: string(v, "source")?,
        ref_name: string(v, "ref")?,
        sha: string(v, "sha")?,
        merge_request_iid: opt_uint(v, "merge_request_iid")?,
        merge_request_event_type: opt_string(v, "merge_request_event_type")?,
        created: boolean(v, "created")?,
        status: status(field(v, "status")?)?,
        reason: string(v, "reason")?,
        name: opt_string(v, "name")?,
        parent: opt_uint(v, "parent")?,
        trigger_job: opt_string(v, "trigger_job")?,
        project: opt_string(v, "project")?,
        project_reason: opt_string(v, "project_reason")?,
        upstream: opt_uint(v, "upstream")?,
        workflow: list(v, "workflow", check)?,
        errors: list(v, "errors", diagnostic)?,
        warnings: list(v, "warnings", diagnostic)?,
        variables: string_map(v, "variables")?,
        stages: strings(v, "stages")?,
        jobs: array(v, "jobs")?
            .iter()
            .map(|j| match j.as_array().map(Vec::as_slice) {
                Some([k, i]) => {
                    let pipeline = referred(base.map(|b| b.pipelines.as_slice()), k)?;
                    referred(Some(pipeline.jobs.as_slice()), i).cloned()
                }
                _ => job(j),
            })
            .collect::<R<Vec<JobReport>>>()?,
    })
}

fn job_kind(text: &str) -> &'static str {
    match text {
        "trigger" => "trigger",
        _ => "job",
    }
}

/// A variable row's `source` as the core names it (one of `VARIABLE_SOURCES`).
fn variable_source(text: &str) -> R<&'static str> {
    VARIABLE_SOURCES
        .iter()
        .copied()
        .find(|s| *s == text)
        .ok_or_else(|| format!("unknown variable source `{text}`"))
}

fn opt_variable_source(v: &Value, key: &str) -> R<Option<&'static str>> {
    opt_string(v, key)?
        .map(|text| variable_source(&text))
        .transpose()
}

fn pair(v: &Value) -> R<(String, String)> {
    match v.as_array().map(Vec::as_slice) {
        Some([k, v]) => Ok((as_string(k)?, as_string(v)?)),
        _ => Err("not a pair".to_owned()),
    }
}

fn dotenv_value(v: &Value) -> R<DotenvValue> {
    Ok(DotenvValue {
        value: opt_string(v, "value")?,
        from: string(v, "from")?,
        pipeline: uint(v, "pipeline")?,
    })
}

fn variable_row(v: &Value) -> R<VariableRow> {
    Ok(VariableRow {
        name: string(v, "name")?.into(),
        value: opt_string(v, "value")?,
        source: variable_source(&string(v, "source")?)?,
        overridden_by: opt_variable_source(v, "overridden_by")?,
        expanded: opt_string(v, "expanded")?,
        raw: optional(v, "raw").and_then(Value::as_bool).unwrap_or(false),
        withheld: opt_string(v, "withheld")?,
    })
}

fn job(v: &Value) -> R<JobReport> {
    let needs = optional(v, "needs")
        .map(|list| {
            list.as_array()
                .ok_or_else(|| "`needs`: not a list".to_owned())?
                .iter()
                .map(as_string)
                .collect::<R<Vec<String>>>()
        })
        .transpose()?;
    let dotenv = match object(v, "dotenv")? {
        None => SortedMap::new(),
        Some(map) => map
            .iter()
            .map(|(k, v)| Ok((k.clone(), dotenv_value(v)?)))
            .collect::<R<_>>()?,
    };
    Ok(JobReport {
        name: string(v, "name")?,
        stage: string(v, "stage")?,
        kind: job_kind(&string(v, "kind")?),
        created: boolean(v, "created")?,
        when: string(v, "when")?,
        allow_failure: boolean(v, "allow_failure")?,
        start_in: opt_string(v, "start_in")?,
        why: string(v, "why")?,
        checks: list(v, "checks", check)?,
        needs,
        // Not in the JSON contract (the data-flow layer's own input): the views do not read it.
        need_artifacts: Vec::new(),
        predefined: Vec::new(),
        rule_variables: list(v, "rule_variables", pair)?,
        interruptible: optional(v, "interruptible")
            .map(|b| {
                b.as_bool()
                    .ok_or("`interruptible`: not a boolean".to_owned())
            })
            .transpose()?,
        outcome: opt_string(v, "outcome")?,
        environment: opt_string(v, "environment")?,
        artifacts_from: optional(v, "artifacts_from")
            .map(|list| {
                list.as_array()
                    .ok_or_else(|| "`artifacts_from`: not a list".to_owned())?
                    .iter()
                    .map(as_string)
                    .collect::<R<Vec<String>>>()
            })
            .transpose()?,
        dotenv,
        variables: list(v, "variables", variable_row)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::presets::PRESETS;

    /// Debug text of the results, without what the JSON contract leaves out.
    fn shown(results: &Results) -> String {
        let mut simulation = (*results.simulation).clone();
        for job in simulation.pipelines.iter_mut().flat_map(|p| &mut p.jobs) {
            job.need_artifacts.clear();
            job.predefined.clear();
        }
        format!("{:?}\n{:?}", *results.lint, simulation)
    }

    #[test]
    fn every_preset_comes_back_from_the_worker_as_it_went() {
        let mut workspaces: Vec<Workspace> = PRESETS
            .iter()
            .map(|p| crate::state::load_scenario_text("preset.yml", p.scenario).unwrap())
            .collect();
        workspaces.push(Workspace::with_config(crate::EXAMPLE));
        workspaces.push(Workspace::with_config(
            "build:\n  stage: build\n  scirpt: [make]\n",
        ));
        for workspace in workspaces {
            let request = encode_request(&workspace);
            let back = decode_request(&request).unwrap();
            assert_eq!(back.files, workspace.files);
            assert_eq!(back.project, workspace.project);
            assert_eq!(back.events, workspace.events);
            let results = Results::of(&back);
            let text = encode_results(&results);
            let decoded = decode_results(&text, 7).unwrap();
            assert_eq!(decoded.run.number, 7);
            // Timings to the microsecond (JSON's float reading may differ in the last bit).
            assert!((decoded.run.ms - results.run.ms).abs() < 1e-3);
            assert_eq!(shown(&decoded), shown(&results));
        }
    }

    #[test]
    fn the_summary_is_the_results_without_variable_tables_and_clauses() {
        for preset in PRESETS {
            let workspace =
                crate::state::load_scenario_text("preset.yml", preset.scenario).unwrap();
            let results = Results::of(&workspace);
            let summary = decode_results(&encode_summary(&results), 1).unwrap();
            let mut expected = (*results.simulation).clone();
            for job in expected.pipelines.iter_mut().flat_map(|p| &mut p.jobs) {
                job.variables.clear();
                job.checks.clear();
                if job.created {
                    job.why.clear();
                }
                job.need_artifacts.clear();
                job.predefined.clear();
            }
            assert_eq!(
                format!("{:?}", *summary.simulation),
                format!("{expected:?}"),
                "{}",
                preset.id
            );
            assert_eq!(
                format!("{:?}", *summary.lint),
                format!("{:?}", *results.lint)
            );
        }
    }

    /// What the page reads for `workspace` when it holds the answer to `base` (request 1).
    struct Answered {
        /// The answer's text, built on the held one.
        text: String,
        /// The answer as the page reads it.
        decoded: Results,
        /// The same results read from an answer that builds on nothing.
        alone: Results,
        /// The answer the page held.
        held: Results,
    }

    fn answer_against(workspace: &Workspace, base: &Workspace) -> Answered {
        let base_results = Results::of(base);
        let (base_text, base_sent) = encode_summary_against(&base_results, None);
        let held = decode_results(&base_text, 1).unwrap();
        let results = Results::of(workspace);
        let (text, _) = encode_summary_against(&results, Some((1, &base_sent)));
        let decoded = decode_results_against(&text, 2, Some((1, &held))).unwrap();
        let alone = decode_results(&encode_summary(&results), 2).unwrap();
        Answered {
            text,
            decoded,
            alone,
            held,
        }
    }

    #[test]
    fn an_answer_names_what_the_page_holds_instead_of_sending_it_again() {
        for preset in PRESETS {
            let workspace =
                crate::state::load_scenario_text("preset.yml", preset.scenario).unwrap();
            // A comment typed: nothing the views draw changes.
            let mut typed = workspace.clone();
            typed.files[0].text.push_str("\n# typed\n");
            let Answered {
                text,
                decoded,
                held,
                ..
            } = answer_against(&typed, &workspace);
            assert!(
                text.contains("\"simulation\":\"same\""),
                "{}: {text}",
                preset.id
            );
            assert!(text.len() < 300, "{}: {} bytes", preset.id, text.len());
            assert!(
                Rc::ptr_eq(&decoded.simulation.0, &held.simulation.0),
                "the page keeps the results it draws"
            );
            assert_eq!(decoded.run.number, 2);
        }
    }

    #[test]
    fn an_edit_to_one_job_sends_that_job_and_names_the_others() {
        let config = |when: &str| {
            format!(
                "stages: [build, test]\nbuild:\n  stage: build\n  when: {when}\n  script: [make]\n\
                 test:\n  stage: test\n  script: [make test]\nlint:\n  stage: test\n  script: [make lint]\n"
            )
        };
        let mut base = Workspace::with_config(&config("on_success"));
        base.events[0].branch = "main".into();
        let mut edited = base.clone();
        edited.files[0].text = config("manual");
        let Answered {
            text,
            decoded,
            alone,
            ..
        } = answer_against(&edited, &base);
        assert!(text.contains("\"when\":\"manual\""), "{text}");
        assert!(
            !text.contains("\"name\":\"lint\""),
            "the unchanged jobs are named: {text}"
        );
        assert!(text.contains("[0,2]"), "lint is the base's job 2: {text}");
        assert_eq!(shown(&decoded), shown(&alone));
    }

    #[test]
    fn an_event_added_names_the_pipelines_that_did_not_change() {
        for preset in PRESETS {
            let base = crate::state::load_scenario_text("preset.yml", preset.scenario).unwrap();
            let mut more = base.clone();
            more.events.insert(0, base.events[0].clone());
            let Answered {
                text,
                decoded,
                alone,
                ..
            } = answer_against(&more, &base);
            assert_eq!(shown(&decoded), shown(&alone), "{}", preset.id);
            assert!(text.contains("\"base\":1"), "{text}");
            // And the other way: an event removed.
            let Answered { decoded, alone, .. } = answer_against(&base, &more);
            assert_eq!(shown(&decoded), shown(&alone), "{}", preset.id);
        }
    }

    #[test]
    fn the_worker_writes_its_answer_from_its_own_results_and_leaves_them_whole() {
        for preset in PRESETS {
            let workspace =
                crate::state::load_scenario_text("preset.yml", preset.scenario).unwrap();
            let mut results = Results::of(&workspace);
            let before = format!("{:?}", *results.simulation);
            let (copied, _) = encode_summary_against(&results, None);
            let (lent, _) = encode_answer(&mut results, None);
            assert_eq!(lent, copied, "{}", preset.id);
            assert_eq!(
                format!("{:?}", *results.simulation),
                before,
                "{}",
                preset.id
            );
            // Shared results are copied, not changed.
            let other = results.clone();
            let (shared, _) = encode_answer(&mut results, None);
            assert_eq!(shared, copied);
            assert!(Rc::ptr_eq(&other.simulation.0, &results.simulation.0));
        }
    }

    #[test]
    fn an_answer_on_results_the_page_does_not_hold_is_refused() {
        let workspace = Workspace::with_config(crate::EXAMPLE);
        let results = Results::of(&workspace);
        let (base_text, sent) = encode_summary_against(&results, None);
        let held = decode_results(&base_text, 1).unwrap();
        let (text, _) = encode_summary_against(&results, Some((5, &sent)));
        assert!(decode_results(&text, 2).is_err());
        assert!(decode_results_against(&text, 2, Some((4, &held))).is_err());
        assert!(decode_results_against(&text, 2, Some((5, &held))).is_ok());
        // A reference past the end of what the page holds, and a pipeline missing its fields,
        // are errors, not panics.
        for pipeline in ["{\"same\":9}", "{\"event\":0}"] {
            let bad = text.replace(
                "\"simulation\":\"same\"",
                &format!("\"simulation\":{{\"pipelines\":[{pipeline}],\"diagnostics\":[]}}"),
            );
            assert!(
                decode_results_against(&bad, 2, Some((5, &held))).is_err(),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_job_comes_in_full_with_where_it_is_defined() {
        let text = "stages: [build, test]\n\ndefault:\n  image: ruby:3.3\n\n.base:\n  artifacts:\n    reports:\n      dotenv: build.env\n\nbuild:\n  extends: .base\n  stage: build\n  script:\n    - make\n\ntest:\n  stage: test\n  image: alpine\n  rules:\n    - if: $CI_COMMIT_BRANCH == \"main\"\n  script: [make test]\n";
        let mut workspace = Workspace::with_config(text);
        workspace.events[0].branch = "main".into();
        let results = Results::of(&workspace);
        let pipeline = results.simulation.pipelines[0].id;
        let ask = |job: &str| DetailRequest {
            pipeline,
            job: job.into(),
        };
        let detail =
            decode_job_detail(&encode_job_detail(&workspace, &results, &ask("build")).unwrap())
                .unwrap();
        let full = results.simulation.pipelines[0]
            .jobs
            .iter()
            .find(|j| j.name == "build")
            .unwrap();
        assert_eq!(detail.job.variables, full.variables);
        assert_eq!(detail.job.checks, full.checks);
        let definition = detail.definition.unwrap();
        assert_eq!(
            (definition.file.as_str(), definition.line),
            (".gitlab-ci.yml", 11)
        );
        let keys: Vec<&str> = definition.keys.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["image", "script", "artifacts"]);
        assert_eq!(definition.keys[0].1, "ruby:3.3");
        assert_eq!(definition.keys[1].1, "- make");
        assert!(
            definition.keys[2].1.contains("dotenv: build.env"),
            "{definition:?}"
        );
        let test =
            decode_job_detail(&encode_job_detail(&workspace, &results, &ask("test")).unwrap())
                .unwrap();
        assert_eq!(test.definition.unwrap().line, 17);
        assert!(encode_job_detail(&workspace, &results, &ask("deploy")).is_none());
        assert!(decode_job_detail("{}").is_err());
    }

    #[test]
    fn damaged_results_are_an_error_not_a_panic() {
        for text in ["", "{}", "{\"ms\":1,\"lint_ms\":1,\"lint\":[]}", "nul"] {
            assert!(decode_results(text, 1).is_err(), "{text}");
        }
        assert!(decode_request("{\"files\": 3}").is_err());
    }
}
