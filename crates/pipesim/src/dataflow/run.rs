//! Run states: how each created job ends, in stage order and along `needs` (doc/ci/yaml/_index.md
//! `when`; doc/ci/jobs/job_control.md manual jobs; app/services/ci/pipeline_processing/
//! atomic_processing_service.rb for what a job waits for).

use std::collections::HashMap;

use crate::event::JobOutcome;
use crate::pipeline::{JobReport, PipelineReport};
use crate::sorted::SortedMap;

/// How a created job ends in this simulation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RunState {
    Succeeded,
    Failed,
    NotRun,
}

impl RunState {
    pub fn as_str(self) -> &'static str {
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
pub fn run_states(
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
