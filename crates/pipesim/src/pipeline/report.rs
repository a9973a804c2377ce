//! What pipeline creation produces: serialisable, stable field names (the JSON contract of
//! `pipesim simulate` and `pipesim scenario`; fields may be added, never renamed).

use crate::sorted::SortedMap;

use serde::Serialize;

use crate::diagnostic::Diagnostic;

use super::rules::Check;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Created with jobs.
    Created,
    /// `[ci skip]`: GitLab shows a skipped pipeline and runs nothing.
    Skipped,
    /// GitLab shows a failed pipeline with the errors and runs no job (invalid configuration,
    /// a rule it could not evaluate, a missing need).
    Failed,
    /// No pipeline appears (filtered by `workflow:rules`, or no job to run).
    NotCreated,
}

#[derive(Clone, Debug, Serialize)]
pub struct PipelineReport {
    /// 1-based index of the event that asked for this pipeline.
    pub event: usize,
    /// Instance-wide id (`CI_PIPELINE_ID`), counted across the whole simulation.
    pub id: u64,
    /// Project-scoped id (`CI_PIPELINE_IID`).
    pub iid: u64,
    /// `CI_PIPELINE_SOURCE`.
    pub source: String,
    /// `pipeline.ref`: a branch, a tag, or `refs/merge-requests/<iid>/head|merge|train`.
    #[serde(rename = "ref")]
    pub ref_name: String,
    pub sha: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_request_iid: Option<u64>,
    /// `detached`, `merged_result` or `merge_train` for merge request pipelines.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub merge_request_event_type: Option<String>,
    /// Whether the pipeline exists with jobs to run.
    pub created: bool,
    pub status: Status,
    /// Why the pipeline was created or not, in plain English.
    pub reason: String,
    /// `workflow:name` after expansion (`CI_PIPELINE_NAME`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The pipeline whose trigger job started this one (child pipelines).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parent: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trigger_job: Option<String>,
    /// The project the pipeline runs in (`CI_PROJECT_PATH`), given when the scenario has
    /// several projects.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project: Option<String>,
    /// Why the pipeline runs in `project` when that is a choice GitLab makes (a merge request
    /// from a fork: the fork, or its parent).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub project_reason: Option<String>,
    /// The pipeline whose trigger job started this one in another project (multi-project
    /// pipelines, source `pipeline`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upstream: Option<u64>,
    /// The `workflow:rules` decision, when the configuration has them.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub workflow: Vec<Check>,
    /// GitLab's messages for a pipeline that failed or was not created.
    pub errors: Vec<Diagnostic>,
    /// Configuration warnings GitLab shows for this pipeline.
    pub warnings: Vec<Diagnostic>,
    /// The variables every job of this pipeline starts from: predefined, project CI/CD and
    /// pipeline variables (not the configuration's `variables:`).
    pub variables: SortedMap<String, String>,
    /// Stages that have at least one job, in order.
    pub stages: Vec<String>,
    /// Every job of the configuration, created or not, in stage order.
    pub jobs: Vec<JobReport>,
}

#[derive(Clone, Debug, Serialize)]
pub struct JobReport {
    pub name: String,
    pub stage: String,
    /// `job` or `trigger` (a bridge to a downstream pipeline).
    pub kind: &'static str,
    pub created: bool,
    /// `on_success`, `on_failure`, `always`, `manual`, `delayed`; `never` when not created.
    pub when: String,
    pub allow_failure: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_in: Option<String>,
    /// Why the job is (not) in this pipeline, in plain English.
    pub why: String,
    /// Each clause that was evaluated, in order.
    pub checks: Vec<Check>,
    /// Same-pipeline jobs this job needs, after rules (`None`: no `needs`, stage order
    /// applies; empty: `needs: []`).
    pub needs: Option<Vec<String>>,
    /// The same needs with their `artifacts:` flag, for the data-flow layer.
    #[serde(skip)]
    pub need_artifacts: Vec<(String, bool)>,
    /// The job's own predefined variables as pipeline creation made them (CI_JOB_NAME,
    /// CI_JOB_NAME_SLUG, CI_JOB_GROUP_NAME, CI_JOB_STAGE, CI_NODE_*; not CI_JOB_MANUAL,
    /// which follows `when`, nor the environment's), for the data-flow layer's variable
    /// table, which would otherwise work them out again.
    #[serde(skip)]
    pub predefined: Vec<(&'static str, String)>,
    /// Variables `rules:variables` of the matched rule set.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub rule_variables: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub interruptible: Option<bool>,
    /// `environment:name` expanded as seed/build.rb does (`CI_ENVIRONMENT_NAME`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment: Option<String>,
    /// How the job ends in this simulation: `success`, `failed` or `not_run` (manual jobs
    /// nobody played, jobs after a failure), created jobs only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub outcome: Option<String>,
    /// Same-pipeline jobs whose artifacts this job downloads (created jobs only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub artifacts_from: Option<Vec<String>>,
    /// Variables this job receives through dotenv reports.
    #[serde(skip_serializing_if = "SortedMap::is_empty")]
    pub dotenv: SortedMap<String, DotenvValue>,
    /// Every definition of every variable the job sets or receives, with the winner of each.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub variables: Vec<VariableRow>,
}

/// A variable a job receives from a dotenv report.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DotenvValue {
    /// `None` when the value is only known at run time.
    pub value: Option<String>,
    pub from: String,
    pub pipeline: u64,
}

/// Where a job's variable can come from, lowest precedence first (builder.rb
/// `scoped_variables`): the values of [`VariableRow::source`].
pub const VARIABLE_SOURCES: [&str; 13] = [
    "predefined",
    "global",
    "workflow",
    "job",
    "matrix",
    "rules",
    "dotenv",
    "instance",
    "group",
    "project",
    "pipeline",
    "upstream",
    "schedule",
];

/// One definition of a variable in a job's environment.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct VariableRow {
    /// Borrowed for predefined names (most rows of most jobs), owned for the configuration's.
    pub name: std::borrow::Cow<'static, str>,
    /// `None` when only known at run time.
    pub value: Option<String>,
    /// predefined, global, workflow, job, matrix, rules, dotenv, instance, group, project,
    /// pipeline, schedule, upstream (one of [`VARIABLE_SOURCES`]).
    pub source: &'static str,
    /// The source of the definition that wins, when this one loses.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub overridden_by: Option<&'static str>,
    /// The value as the runner receives it, when expanding its references changes it
    /// (`Ci::BuildRunnerPresenter#runner_variables`; `expand: false` values stay as written).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expanded: Option<String>,
    /// `expand: false`: passed as written, never expanded.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub raw: bool,
    /// Why the job does not get this definition (a protected variable on a ref that is not
    /// protected); such a row never wins.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub withheld: Option<String>,
}
