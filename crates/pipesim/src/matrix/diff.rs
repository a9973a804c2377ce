//! pipesim's own: what a configuration change does, event by event (`pipesim diff`), built on
//! two matrices of the same events (so on `simulate`'s reports, nothing else).
//!
//! For each event: the pipeline's status when it changes, jobs added and removed (present
//! means `in`, `manual` or `delayed`), jobs whose `when`, `allow_failure`, `start_in`,
//! `needs`, received variables (not the predefined ones), artifacts or dotenv values change,
//! and findings that are new or fixed (compared by severity, code, job and message, not by
//! line, which moves with any edit).

use std::collections::HashMap;

use serde::Serialize;

use crate::diagnostic::{Diagnostic, Severity};
use crate::pipeline::JobReport;

use super::expectations::{received, status_name};
use super::{Cell, CellState, Column, Matrix, Row};

#[derive(Clone, Debug, Serialize)]
pub struct Diff {
    pub gitlab_version: &'static str,
    /// Whether anything differs.
    pub changed: bool,
    /// The events where something differs, in the matrix's order.
    pub events: Vec<EventDiff>,
    /// Ids of the events where nothing differs.
    pub unchanged: Vec<String>,
}

#[derive(Clone, Debug, Serialize)]
pub struct EventDiff {
    pub id: String,
    pub title: String,
    /// The top-level pipeline's status before and after, when it changes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<(String, String)>,
    pub added: Vec<JobChange>,
    pub removed: Vec<JobChange>,
    pub changed: Vec<JobChange>,
    pub new_findings: Vec<FindingRef>,
    pub fixed_findings: Vec<FindingRef>,
}

impl EventDiff {
    fn is_empty(&self) -> bool {
        self.pipeline.is_none()
            && self.added.is_empty()
            && self.removed.is_empty()
            && self.changed.is_empty()
            && self.new_findings.is_empty()
            && self.fixed_findings.is_empty()
    }
}

/// One job's change in one event.
#[derive(Clone, Debug, Serialize)]
pub struct JobChange {
    /// `job`, or `trigger > job` for a job of a child pipeline.
    pub job: String,
    pub before: CellState,
    pub after: CellState,
    /// What changed, one sentence each (for added and removed jobs: why, after and before).
    pub details: Vec<String>,
}

/// A finding, without its position.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FindingRef {
    pub severity: Severity,
    pub code: &'static str,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    pub line: u32,
}

impl FindingRef {
    fn of(d: &Diagnostic) -> FindingRef {
        FindingRef {
            severity: d.severity,
            code: d.code,
            message: d.message.clone(),
            job: d.job.clone(),
            file: d.file.clone(),
            line: d.line,
        }
    }

    fn same(&self, other: &FindingRef) -> bool {
        self.severity == other.severity
            && self.code == other.code
            && self.message == other.message
            && self.job == other.job
    }
}

/// Compares `old` and `new`, matrices of the same configuration's repository before and after
/// a change, built with the same events (columns are matched by id).
pub fn compare(old: &Matrix, new: &Matrix) -> Diff {
    let mut events = Vec::new();
    let mut unchanged = Vec::new();
    for (index, column) in new.columns.iter().enumerate() {
        let old_index = old.columns.iter().position(|c| c.id == column.id);
        let diff = event_diff(old, old_index, new, index);
        if diff.is_empty() {
            unchanged.push(column.id.clone());
        } else {
            events.push(diff);
        }
    }
    Diff {
        gitlab_version: crate::GITLAB_VERSION,
        changed: !events.is_empty(),
        events,
        unchanged,
    }
}

fn status(column: Option<&Column>) -> String {
    match column.and_then(Column::main_pipeline) {
        Some(p) => status_name(&p.status).to_owned(),
        None => "none".to_owned(),
    }
}

fn event_diff(old: &Matrix, old_index: Option<usize>, new: &Matrix, index: usize) -> EventDiff {
    let column = &new.columns[index];
    let old_column = old_index.map(|i| &old.columns[i]);
    let (before, after) = (status(old_column), status(Some(column)));
    let mut diff = EventDiff {
        id: column.id.clone(),
        title: column.title.clone(),
        pipeline: (before != after).then_some((before, after)),
        added: Vec::new(),
        removed: Vec::new(),
        changed: Vec::new(),
        new_findings: Vec::new(),
        fixed_findings: Vec::new(),
    };
    let no_pipeline = Cell {
        state: CellState::NoPipeline,
        when: None,
        allow_failure: false,
        start_in: None,
        needs: None,
        why: "the job is not in the old configuration".to_owned(),
        pipeline: None,
    };
    // Rows and jobs by path and name: a scan per row made the diff quadratic in the jobs.
    let (old_rows, new_rows) = (row_index(old), row_index(new));
    let (old_jobs, new_jobs) = (job_index(old_column), job_index(Some(column)));
    let cell_in = |matrix: &Matrix, rows: &RowIndex, column: Option<usize>, row: &Row| {
        let found = rows.get(&(row.path.as_slice(), row.job.as_str()))?;
        Some(matrix.rows[*found].cells[column?].clone())
    };
    // Rows of the new matrix, then rows only the old one has.
    let rows = new.rows.iter().chain(
        old.rows
            .iter()
            .filter(|r| !new_rows.contains_key(&(r.path.as_slice(), r.job.as_str()))),
    );
    for row in rows {
        let key = (row.path.as_slice(), row.job.as_str());
        let before = cell_in(old, &old_rows, old_index, row).unwrap_or_else(|| no_pipeline.clone());
        let after = cell_in(new, &new_rows, Some(index), row).unwrap_or_else(|| Cell {
            why: "the job is not in the new configuration".to_owned(),
            ..no_pipeline.clone()
        });
        let name = row.name();
        match (before.state.present(), after.state.present()) {
            (false, true) => diff.added.push(JobChange {
                job: name,
                before: before.state,
                after: after.state,
                details: vec![after.why.clone(), format!("before: {}", before.why)],
            }),
            (true, false) => diff.removed.push(JobChange {
                job: name,
                before: before.state,
                after: after.state,
                details: vec![after.why.clone(), format!("before: {}", before.why)],
            }),
            (true, true) => {
                let mut details = cell_changes(&before, &after);
                if let (Some(old_job), Some(new_job)) = (old_jobs.get(&key), new_jobs.get(&key)) {
                    details.extend(data_changes(old_job, new_job));
                }
                if !details.is_empty() {
                    diff.changed.push(JobChange {
                        job: name,
                        before: before.state,
                        after: after.state,
                        details,
                    });
                }
            }
            (false, false) => {}
        }
    }
    let refs = |c: Option<&Column>| -> Vec<FindingRef> {
        c.map(|c| c.findings.iter().map(FindingRef::of).collect())
            .unwrap_or_default()
    };
    let (old_findings, new_findings) = (refs(old_column), refs(Some(column)));
    for f in &new_findings {
        if !old_findings.iter().any(|o| o.same(f)) && !diff.new_findings.iter().any(|o| o.same(f)) {
            diff.new_findings.push(f.clone());
        }
    }
    for f in &old_findings {
        if !new_findings.iter().any(|n| n.same(f)) && !diff.fixed_findings.iter().any(|o| o.same(f))
        {
            diff.fixed_findings.push(f.clone());
        }
    }
    diff
}

type RowIndex<'a> = HashMap<(&'a [String], &'a str), usize>;

fn row_index(matrix: &Matrix) -> RowIndex<'_> {
    matrix
        .rows
        .iter()
        .enumerate()
        .map(|(i, r)| ((r.path.as_slice(), r.job.as_str()), i))
        .collect()
}

/// The jobs of a column's pipelines (the ones its cells read) by path and name.
fn job_index(column: Option<&Column>) -> HashMap<(&[String], &str), &JobReport> {
    let mut out = HashMap::new();
    let Some(column) = column else {
        return out;
    };
    for (path, index) in &column.paths {
        for job in &column.simulation.pipelines[*index].jobs {
            out.insert((path.as_slice(), job.name.as_str()), job);
        }
    }
    out
}

fn cell_changes(before: &Cell, after: &Cell) -> Vec<String> {
    let mut out = Vec::new();
    if before.when != after.when {
        out.push(format!(
            "when: {} → {}",
            before.when.as_deref().unwrap_or("-"),
            after.when.as_deref().unwrap_or("-")
        ));
    }
    if before.allow_failure != after.allow_failure {
        out.push(format!(
            "allow_failure: {} → {}",
            before.allow_failure, after.allow_failure
        ));
    }
    if before.start_in != after.start_in {
        out.push(format!(
            "start_in: {} → {}",
            before.start_in.as_deref().unwrap_or("-"),
            after.start_in.as_deref().unwrap_or("-")
        ));
    }
    if before.needs != after.needs {
        let show = |n: &Option<Vec<String>>| match n {
            Some(list) => format!("[{}]", list.join(", ")),
            None => "stage order".to_owned(),
        };
        out.push(format!(
            "needs: {} → {}",
            show(&before.needs),
            show(&after.needs)
        ));
    }
    out
}

/// Variables received (except predefined ones), artifacts and dotenv values.
fn data_changes(old: &JobReport, new: &JobReport) -> Vec<String> {
    let mut out = Vec::new();
    let names = |job: &JobReport| -> Vec<String> {
        let mut names: Vec<String> = job
            .variables
            .iter()
            .filter(|row| row.source != "predefined")
            .map(|row| row.name.to_string())
            .collect();
        crate::sort::sort_dedup(&mut names);
        names
    };
    let mut all = names(old);
    all.extend(names(new));
    crate::sort::sort_dedup(&mut all);
    let show = |v: &Option<Option<String>>| match v {
        None => "not set".to_owned(),
        Some(None) => "(known at run time)".to_owned(),
        Some(Some(v)) => format!("`{v}`"),
    };
    for name in &all {
        let (a, b) = (received(old, name), received(new, name));
        if a != b {
            out.push(format!("variable {name}: {} → {}", show(&a), show(&b)));
        }
    }
    let (a, b) = (
        old.artifacts_from.clone().unwrap_or_default(),
        new.artifacts_from.clone().unwrap_or_default(),
    );
    if a != b {
        out.push(format!(
            "artifacts from: [{}] → [{}]",
            a.join(", "),
            b.join(", ")
        ));
    }
    let dotenv = |job: &JobReport| -> Vec<String> {
        job.dotenv
            .iter()
            .map(|(k, v)| match &v.value {
                Some(value) => format!("{k}={value} (from {})", v.from),
                None => format!("{k} (from {})", v.from),
            })
            .collect()
    };
    let (a, b) = (dotenv(old), dotenv(new));
    if a != b {
        out.push(format!("dotenv: [{}] → [{}]", a.join(", "), b.join(", ")));
    }
    out
}
