//! Canceling a job or a pipeline at a later event, as GitLab does: Ci::CancelPipelineService
//! cancels the pipeline's cancelable jobs and those of its child pipelines
//! (app/services/ci/cancel_pipeline_service.rb), Ci::BuildCancelService one job
//! (app/services/ci/build_cancel_service.rb); cancelable are the statuses a job has before it
//! finishes (app/models/concerns/ci/has_status.rb `CANCELABLE_STATUSES`: created, pending,
//! running, scheduled...), never `manual`. Then the pipeline is processed again
//! (app/services/ci/pipeline_processing/atomic_processing_service.rb): a job whose previous jobs
//! are complete starts if their composite status is one its `when` accepts, and is skipped
//! otherwise (app/services/ci/process_build_service.rb: `canceled` is accepted by none); the
//! pipeline takes the composite status of its jobs (lib/gitlab/ci/status/composite.rb).
//!
//! In pipesim every job that can run finishes at its event, so what a later cancel finds
//! unfinished are the jobs waiting behind a manual job nobody played (`created`) and trigger
//! jobs waiting for their downstream pipeline (`running`).

use super::Simulation;
use crate::diagnostic::{Diagnostic, Finding};
use crate::event::{JobAction, JobActionKind, Role};
use crate::pipeline::{JobReport, PipelineReport};
use crate::source::Files;

/// `Ci::CancelPipelineService#force_execute` when no job of the pipeline can be canceled.
pub const PIPELINE_NOT_CANCELABLE: &str = "Pipeline is not cancelable";

/// `Ci::CancelPipelineService#permission_error_response` (`cancel_pipeline` needs Developer).
pub const INSUFFICIENT_PERMISSIONS: &str = "Insufficient permissions to cancel the pipeline";

/// `Ci::BuildCancelService#forbidden` (`cancel_build` needs Developer).
pub const FORBIDDEN: &str = "Forbidden";

/// A job's status as GitLab keeps it (`Ci::HasStatus`), read from a report.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Status {
    Success,
    Failed,
    Canceled,
    Skipped,
    Manual,
    /// Waiting for the jobs before it.
    Created,
    /// A trigger job waiting for its downstream pipeline.
    Running,
    /// Its previous jobs are complete and its `when` accepts them: it starts (after a cancel,
    /// a job that was waiting).
    Ready,
}

impl Status {
    fn name(self) -> &'static str {
        match self {
            Status::Success => "success",
            Status::Failed => "failed",
            Status::Canceled => "canceled",
            Status::Skipped => "skipped",
            Status::Manual => "manual",
            Status::Created => "created",
            Status::Running | Status::Ready => "running",
        }
    }

    fn cancelable(self) -> bool {
        matches!(self, Status::Created | Status::Running)
    }
}

/// One entry of a composite status (`Composite#consume_status`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Entry {
    Plain(Status),
    SuccessWithWarnings,
    Ignored,
}

fn entry(status: Status, allow_failure: bool) -> Entry {
    match status {
        // PASSED_WITH_WARNINGS_STATUSES
        Status::Failed | Status::Canceled if allow_failure => Entry::SuccessWithWarnings,
        // A manual job that may fail (not blocking) is ignored.
        Status::Manual if allow_failure => Entry::Ignored,
        Status::Ready => Entry::Plain(Status::Running),
        other => Entry::Plain(other),
    }
}

/// `Gitlab::Ci::Status::Composite#status` (`dag`: the needs of one job).
fn composite(entries: &[Entry], dag: bool) -> Option<&'static str> {
    if entries.is_empty() {
        return None;
    }
    let has = |e: Entry| entries.contains(&e);
    let st = |s: Status| Entry::Plain(s);
    let only = |allowed: &[Entry]| entries.iter().all(|e| allowed.contains(e));
    let sww = Entry::SuccessWithWarnings;
    let ignored = Entry::Ignored;
    let status = if dag && (has(st(Status::Skipped)) || has(ignored)) {
        "skipped"
    } else if dag
        && !only(&[
            st(Status::Success),
            st(Status::Failed),
            st(Status::Canceled),
            st(Status::Skipped),
            sww,
        ])
    {
        "pending"
    } else if only(&[st(Status::Skipped), ignored]) {
        "skipped"
    } else if only(&[st(Status::Success), st(Status::Skipped), sww, ignored]) {
        "success"
    } else if only(&[st(Status::Created), sww, ignored]) {
        "created"
    } else if only(&[
        st(Status::Canceled),
        st(Status::Success),
        st(Status::Skipped),
        sww,
        ignored,
    ]) {
        "canceled"
    } else if has(st(Status::Running)) {
        "running"
    } else if has(st(Status::Manual)) {
        "manual"
    } else if has(st(Status::Created)) {
        "running"
    } else {
        "failed"
    };
    Some(status)
}

/// `ProcessBuildService#valid_statuses_for_build`.
fn accepts(when: &str, dag: bool, previous: &str) -> bool {
    match when {
        "on_success" | "manual" | "delayed" => {
            previous == "success" || (!dag && previous == "skipped")
        }
        "on_failure" => previous == "failed",
        "always" => matches!(previous, "success" | "failed" | "skipped"),
        _ => false,
    }
}

/// Every created job's status, by index into `report.jobs` (`None`: not created).
fn statuses(report: &PipelineReport) -> Vec<Option<Status>> {
    let mut out: Vec<Option<Status>> = vec![None; report.jobs.len()];
    let stage_of = |job: &JobReport| {
        report
            .stages
            .iter()
            .position(|s| *s == job.stage)
            .unwrap_or(usize::MAX)
    };
    let by_name: std::collections::HashMap<&str, usize> = report
        .jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| j.created)
        .map(|(i, j)| (j.name.as_str(), i))
        .collect();
    let index_of = |name: &str| by_name.get(name).copied();
    // Stage order; jobs with `needs` once what they need is decided (bounded rounds: the
    // configuration rules out cycles, a leftover is decided as waiting).
    let mut order: Vec<usize> = (0..report.jobs.len())
        .filter(|&i| report.jobs[i].created)
        .collect();
    crate::sort::sort_by(&mut order, |a: &usize, b: &usize| {
        stage_of(&report.jobs[*a]).cmp(&stage_of(&report.jobs[*b]))
    });
    let mut pending = order;
    let mut rounds = 0;
    while !pending.is_empty() && rounds <= report.jobs.len() {
        rounds += 1;
        let mut next = Vec::new();
        for &i in &pending {
            let job = &report.jobs[i];
            let needs: Vec<usize> = job
                .needs
                .iter()
                .flatten()
                .filter_map(|n| index_of(n))
                .collect();
            let ready = rounds > report.jobs.len() || needs.iter().all(|&n| out[n].is_some());
            if !ready {
                next.push(i);
                continue;
            }
            let previous: Option<&'static str> = if job.needs.is_some() {
                let entries: Vec<Entry> = needs
                    .iter()
                    .map(|&n| {
                        entry(
                            out[n].unwrap_or(Status::Created),
                            report.jobs[n].allow_failure,
                        )
                    })
                    .collect();
                // `needs: []` (or nothing of it in the pipeline): nothing to wait for.
                Some(composite(&entries, true).unwrap_or("success"))
            } else {
                let stage = stage_of(job);
                let entries: Vec<Entry> = report
                    .jobs
                    .iter()
                    .enumerate()
                    .filter(|(_, j)| j.created && stage_of(j) < stage)
                    .map(|(k, j)| entry(out[k].unwrap_or(Status::Created), j.allow_failure))
                    .collect();
                Some(composite(&entries, false).unwrap_or("success"))
            };
            out[i] = Some(status_of(job, previous));
        }
        pending = next;
    }
    out
}

fn status_of(job: &JobReport, previous: Option<&str>) -> Status {
    match job.outcome.as_deref() {
        Some("success") => return Status::Success,
        Some("failed") => return Status::Failed,
        Some("canceled") => return Status::Canceled,
        _ => {}
    }
    if job.when == "manual" {
        return Status::Manual;
    }
    let previous = previous.unwrap_or("success");
    if !matches!(previous, "success" | "failed" | "canceled" | "skipped") {
        return Status::Created;
    }
    if accepts(&job.when, job.needs.is_some(), previous) {
        Status::Ready
    } else {
        Status::Skipped
    }
}

/// A job that did not run although its previous jobs let it: a trigger job waits for its
/// downstream pipeline; any other was stated as not run (`outcomes: skipped`).
fn settled(job: &JobReport, status: Status) -> Status {
    match status {
        Status::Ready if job.kind == "trigger" => Status::Running,
        Status::Ready => Status::Skipped,
        other => other,
    }
}

fn pipeline_status(report: &PipelineReport, statuses: &[Option<Status>]) -> &'static str {
    let entries: Vec<Entry> = report
        .jobs
        .iter()
        .zip(statuses)
        .filter_map(|(j, s)| s.map(|s| entry(s, j.allow_failure)))
        .collect();
    composite(&entries, false).unwrap_or("skipped")
}

/// Carries out a `cancel` event.
pub(super) fn cancel(index: usize, action: &JobAction, role: Role, simulation: &mut Simulation) {
    let diagnostic = |finding: Finding| {
        let mut d = Diagnostic::resolve(finding, &Files::new());
        d.event = Some(index);
        d.pipeline = Some(action.pipeline);
        if !action.job.is_empty() {
            d.job = Some(action.job.clone());
        }
        d
    };
    let Some(at) = simulation
        .pipelines
        .iter()
        .position(|p| p.id == action.pipeline && p.created)
    else {
        let d = diagnostic(Finding::error(
            "event-invalid",
            format!("cancel: there is no created pipeline #{}", action.pipeline),
            None,
        ).explain("pipesim cannot apply this event: pipelines are numbered as the report numbers them, and only a created pipeline has jobs to cancel."));
        simulation.diagnostics.push(d);
        return;
    };
    if role < Role::Developer {
        let message = match action.kind {
            JobActionKind::CancelPipeline => INSUFFICIENT_PERMISSIONS,
            _ => FORBIDDEN,
        };
        let d = diagnostic(Finding::error("event-refused", message, None).explain(format!(
            "Canceling needs at least the Developer role in the pipeline's project; the scenario's user is {} there (`access:`), so nothing changes.",
            role.as_str()
        )));
        simulation.diagnostics.push(d);
        return;
    }
    let found = match action.kind {
        JobActionKind::CancelPipeline => cancel_pipeline(at, simulation),
        _ => cancel_job(at, &action.job, simulation),
    };
    let d = diagnostic(found);
    simulation.diagnostics.push(d);
}

fn cancel_pipeline(at: usize, simulation: &mut Simulation) -> Finding {
    let id = simulation.pipelines[at].id;
    let before: Vec<Status> = statuses(&simulation.pipelines[at])
        .iter()
        .zip(&simulation.pipelines[at].jobs)
        .map(|(s, j)| settled(j, s.unwrap_or(Status::Skipped)))
        .collect();
    let report = &simulation.pipelines[at];
    let targets: Vec<usize> = (0..report.jobs.len())
        .filter(|&i| report.jobs[i].created && before[i].cancelable())
        .collect();
    if targets.is_empty() {
        let states: Vec<String> = report
            .jobs
            .iter()
            .zip(&before)
            .filter(|(j, _)| j.created)
            .map(|(j, s)| format!("{} {}", j.name, s.name()))
            .collect();
        return Finding::error("event-refused", PIPELINE_NOT_CANCELABLE, None).explain(format!(
            "Every job of pipeline #{id} has finished or waits to be played ({}): a manual job is not cancelable, so there is nothing to cancel and the pipeline keeps its status.",
            states.join(", ")
        ));
    }
    let names: Vec<String> = targets
        .iter()
        .map(|&i| report.jobs[i].name.clone())
        .collect();
    let multi: Vec<String> = simulation
        .pipelines
        .iter()
        .filter(|p| p.upstream == Some(id))
        .map(|p| format!("#{}", p.id))
        .collect();
    for &i in &targets {
        simulation.pipelines[at].jobs[i].outcome = Some("canceled".to_owned());
    }
    // Child pipelines are canceled with it (`cancel_children`), and theirs in turn.
    let mut children = Vec::new();
    let mut queue = vec![id];
    while let Some(parent) = queue.pop() {
        for k in 0..simulation.pipelines.len() {
            if simulation.pipelines[k].parent == Some(parent) && simulation.pipelines[k].created {
                let child = &simulation.pipelines[k];
                let states = statuses(child);
                let cancelable: Vec<usize> = (0..child.jobs.len())
                    .filter(|&i| states[i].is_some_and(|s| settled(&child.jobs[i], s).cancelable()))
                    .collect();
                for i in cancelable {
                    simulation.pipelines[k].jobs[i].outcome = Some("canceled".to_owned());
                }
                children.push(format!("#{}", simulation.pipelines[k].id));
                queue.push(simulation.pipelines[k].id);
            }
        }
        if children.len() > simulation.pipelines.len() {
            break;
        }
    }
    let after = statuses(&simulation.pipelines[at]);
    let status = pipeline_status(&simulation.pipelines[at], &after);
    let mut explanation = format!(
        "GitLab cancels the jobs of the pipeline that have not finished ({}) and leaves the others as they are: finished jobs keep their result and manual jobs stay manual. The pipeline then takes the composite status of its jobs: {status}.",
        names.join(", ")
    );
    if !children.is_empty() {
        explanation.push_str(&format!(
            " Its child pipelines ({}) are canceled too.",
            children.join(", ")
        ));
    }
    if !multi.is_empty() {
        explanation.push_str(&format!(
            " The multi-project pipelines it started ({}) are not: GitLab cancels child pipelines only, and the trigger jobs that wait for them.",
            multi.join(", ")
        ));
    }
    let mut message = format!(
        "cancel: pipeline #{id} is {status}; canceled: {}",
        names.join(", ")
    );
    if !children.is_empty() {
        message.push_str(&format!("; child pipelines: {}", children.join(", ")));
    }
    Finding::info("pipeline-canceled", message, None).explain(explanation)
}

fn cancel_job(at: usize, name: &str, simulation: &mut Simulation) -> Finding {
    let report = &simulation.pipelines[at];
    let id = report.id;
    let Some(i) = report.jobs.iter().position(|j| j.created && j.name == name) else {
        return Finding::error(
            "event-invalid",
            format!("cancel: pipeline #{id} has no job `{name}`"),
            None,
        )
        .explain("pipesim cannot apply this event: the job is not in that pipeline.");
    };
    let before: Vec<Option<Status>> = statuses(report)
        .into_iter()
        .zip(&report.jobs)
        .map(|(s, j)| s.map(|s| settled(j, s)))
        .collect();
    let was = before[i].unwrap_or(Status::Skipped);
    if !was.cancelable() {
        return Finding::error(
            "event-invalid",
            format!(
                "cancel: `{name}` of pipeline #{id} is {}; only a job that has not finished can be canceled",
                was.name()
            ),
            None,
        )
        .explain("GitLab shows no Cancel button for a job that finished or waits to be played, and its API answers `Unprocessable entity` (Ci::BuildCancelService: the job is not `cancelable?`).");
    }
    simulation.pipelines[at].jobs[i].outcome = Some("canceled".to_owned());
    let report = &simulation.pipelines[at];
    let after = statuses(report);
    let mut skipped = Vec::new();
    let mut starting = Vec::new();
    for k in 0..report.jobs.len() {
        if k == i || before[k] != Some(Status::Created) {
            continue;
        }
        match after[k] {
            Some(Status::Skipped) => skipped.push(report.jobs[k].name.clone()),
            Some(Status::Ready) => starting.push(report.jobs[k].name.clone()),
            _ => {}
        }
    }
    let settled_after: Vec<Option<Status>> = after
        .iter()
        .zip(&report.jobs)
        .zip(&before)
        .map(|((s, j), b)| match (s, b) {
            // A job that starts now is running.
            (Some(Status::Ready), Some(Status::Created)) => Some(Status::Running),
            (Some(s), _) => Some(settled(j, *s)),
            (None, _) => None,
        })
        .collect();
    let status = pipeline_status(report, &settled_after);
    let mut explanation = format!(
        "`{name}` had not finished, so GitLab cancels it; the pipeline is processed again and takes the composite status of its jobs: {status}."
    );
    if !skipped.is_empty() {
        explanation.push_str(&format!(
            " The jobs that waited for it are skipped ({}): a canceled job satisfies no `when` (`on_success`, `on_failure`, `always` alike), unless it was allowed to fail.",
            skipped.join(", ")
        ));
    }
    if !starting.is_empty() {
        explanation.push_str(&format!(
            " {} start now (a canceled job that may fail counts as a success with warnings); pipesim does not follow them.",
            starting.join(", ")
        ));
    }
    if report.jobs[i].kind == "trigger" {
        explanation.push_str(" Whether canceling a trigger job also cancels its downstream pipeline is not simulated: pipesim could not confirm it in GitLab's source.");
    }
    let mut message =
        format!("cancel: `{name}` of pipeline #{id} is canceled; the pipeline is {status}");
    if !skipped.is_empty() {
        message.push_str(&format!("; skipped: {}", skipped.join(", ")));
    }
    Finding::info("job-canceled", message, None).explain(explanation)
}
