//! Events and predefined variables: what happened in the repository (a push, a merge request,
//! a schedule...), the pipelines GitLab starts for it, and the variables each of those
//! pipelines sees before any job exists.
//!
//! The timeline keeps the repository state a sequence of events needs (which branches exist,
//! which merge requests are open, what each branch changed), so that a push to a branch with an
//! open merge request asks for both a branch pipeline and a merge request pipeline, and a merge
//! becomes a push to the target branch.
//!
//! Sources: app/models/ci/pipeline.rb, app/models/concerns/ci/has_ref.rb,
//! lib/gitlab/ci/variables/builder/pipeline.rb, app/models/merge_request.rb,
//! app/services/git/process_ref_changes_service.rb (see ../shared/gitlab-semantics.md §1).

pub mod ci_variables;
pub mod scenario;
pub mod timeline;
pub mod variables;

use serde::Serialize;

use crate::source::Files;

pub use scenario::{load_scenario, Scenario};
pub use timeline::Timeline;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Tier {
    #[default]
    Free,
    Premium,
    Ultimate,
}

impl Tier {
    pub fn parse(text: &str) -> Option<Tier> {
        match text {
            "free" => Some(Tier::Free),
            "premium" => Some(Tier::Premium),
            "ultimate" => Some(Tier::Ultimate),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Tier::Free => "free",
            Tier::Premium => "premium",
            Tier::Ultimate => "ultimate",
        }
    }

    pub fn is_paid(self) -> bool {
        self != Tier::Free
    }
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ProjectSettings {
    /// "Enable merged results pipelines" (Premium and up; ignored on Free).
    pub merged_results_pipelines: bool,
    /// "Enable merge trains" (Premium and up; needs merged results pipelines).
    pub merge_trains: bool,
    /// Protected branch names or wildcard patterns (`release/*`). GitLab protects the default
    /// branch when a project is created, so the default is `[default_branch]`.
    pub protected_branches: Vec<String>,
    /// Protected tag names or patterns; none by default.
    pub protected_tags: Vec<String>,
    /// Settings > CI/CD > Artifacts > "Keep artifacts from most recent successful jobs" (on by
    /// default): the latest successful pipeline of each ref keeps its artifacts past `expire_in`.
    pub keep_latest_artifacts: bool,
    /// Settings > CI/CD > Variables > "Minimum role to use pipeline variables"
    /// (`ci_pipeline_variables_minimum_override_role`); `None` is "No one allowed". Self-managed
    /// projects get Developer; new projects in new namespaces on GitLab.com get no one.
    pub pipeline_variables_minimum_role: Option<Role>,
    /// The project is a CI/CD catalog resource (its version tags are released versions:
    /// `include:component` accepts `~latest` and `1.2`).
    pub catalog_resource: bool,
    /// Settings > Merge requests > Merge method (`merge_method`: `merge`, `rebase_merge`, `ff`).
    pub merge_method: MergeMethod,
    /// Settings > Merge requests > Squash commits when merging (`squash_option`).
    pub squash_option: SquashOption,
    /// Admin > Settings > CI/CD > "Maximum number of pipelines per Git push"
    /// (`git_push_pipeline_limit`, an instance setting; 4 by default, 0 is no limit).
    pub git_push_pipeline_limit: u32,
    /// Settings > Merge requests > Merge commit message template (`merge_commit_template`).
    pub merge_commit_template: Option<String>,
    /// Settings > Merge requests > Squash commit message template (`squash_commit_template`).
    pub squash_commit_template: Option<String>,
    /// ProjectCiCdSetting `allow_fork_pipelines_to_run_in_parent_project` (the API's
    /// `ci_allow_fork_pipelines_to_run_in_parent_project`, on by default): a member of this
    /// project may run a merge request pipeline from a fork here.
    pub fork_pipelines_in_parent: bool,
}

/// How a merge request is merged (Project#merge_method: `merge_requests_ff_only_enabled`,
/// `merge_requests_rebase_enabled`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeMethod {
    /// "Merge commit": a merge commit for every merge.
    #[default]
    Merge,
    /// "Merge commit with semi-linear history": a merge commit, only when the source branch is
    /// up to date with the target.
    RebaseMerge,
    /// "Fast-forward merge": no merge commit; the target branch moves to the source's head.
    FastForward,
}

impl MergeMethod {
    pub fn parse(text: &str) -> Option<MergeMethod> {
        match text {
            "merge" => Some(MergeMethod::Merge),
            "rebase_merge" => Some(MergeMethod::RebaseMerge),
            "ff" | "fast_forward" => Some(MergeMethod::FastForward),
            _ => None,
        }
    }
}

/// The project's squash option (ProjectSetting `squash_option`): whether the merge request's own
/// "Squash commits" choice counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SquashOption {
    Never,
    Always,
    DefaultOn,
    /// "Allow" (GitLab's default): squash only when the merge request asks for it.
    #[default]
    DefaultOff,
}

impl SquashOption {
    pub fn parse(text: &str) -> Option<SquashOption> {
        match text {
            "never" => Some(SquashOption::Never),
            "always" => Some(SquashOption::Always),
            "default_on" => Some(SquashOption::DefaultOn),
            "default_off" => Some(SquashOption::DefaultOff),
            _ => None,
        }
    }
}

/// A CI/CD variable of the project, of one of its groups or of the instance (Settings >
/// CI/CD > Variables): app/models/ci/variable.rb, ci/group_variable.rb, ci/instance_variable.rb.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProjectVariable {
    pub key: String,
    pub value: String,
    /// Only given to pipelines on protected branches and tags.
    pub protected: bool,
    /// `environment_scope` (HasEnvironmentScope); `None` is `*`, every environment. Instance
    /// variables have none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub environment_scope: Option<String>,
    /// Ci::Maskable: the value is shown as `[MASKED]` in every output.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub masked: bool,
    /// "Masked and hidden" (`hidden`): masked, and never shown again in the settings.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub hidden: bool,
    /// `raw` ("Expand variable reference" off): passed as written.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub raw: bool,
    /// `variable_type: file`: the job gets the path of a file holding the value.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub file: bool,
}

/// A group above a project and its CI/CD variables (Settings > CI/CD > Variables of the
/// group), for lib/gitlab/ci/variables/builder/group.rb.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct GroupVariables {
    /// The group's full path (`group/sub`).
    pub path: String,
    pub variables: Vec<ProjectVariable>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Project {
    /// Full path, `group/subgroup/name`.
    pub path: String,
    pub default_branch: String,
    pub tier: Tier,
    pub settings: ProjectSettings,
    pub variables: Vec<ProjectVariable>,
    /// Base URL of the instance, for `CI_SERVER_URL`, `CI_PROJECT_URL`...
    pub server_url: String,
    /// Settings > CI/CD > "CI/CD configuration file" (`CI_CONFIG_PATH`).
    pub ci_config_path: String,
    /// Settings > CI/CD > Job token permissions: which projects' job tokens may reach this one.
    pub job_token: JobTokenSettings,
    /// The role of the scenario's user (who pushes and runs pipelines) in this project.
    pub access: Role,
    /// Inputs given to the pipeline being created (set by the simulation for an event with
    /// `inputs:`; never a scenario key of the project).
    #[serde(skip)]
    pub pipeline_inputs: Option<crate::yaml::Node>,
    /// Instance CI/CD variables (Admin > Settings > CI/CD > Variables).
    pub instance_variables: Vec<ProjectVariable>,
    /// The variables of the groups above the project, the top-level group first (the nearest
    /// group's win).
    pub group_variables: Vec<GroupVariables>,
    /// The project this one is a fork of (`fork_of:`, a project of the scenario).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fork_of: Option<String>,
}

/// Settings > CI/CD > Job token permissions (the inbound scope: app/models/ci/job_token/scope.rb
/// `accessible?`, `inbound_accessible?`). The project itself is always allowed.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct JobTokenSettings {
    /// "Limit access to this project" (`ci_inbound_job_token_scope_enabled`): only the
    /// allowlist's projects and groups may use their job token here.
    pub limit_access: bool,
    /// Project paths, or group paths (which allow every project below them).
    pub allowlist: Vec<String>,
}

impl JobTokenSettings {
    /// Whether a job of `source` (a project path) may use its job token in this project `own`.
    pub fn allows(&self, own: &str, source: &str) -> bool {
        !self.limit_access
            || source == own
            || self.allowlist.iter().any(|entry| {
                let entry = entry.trim_matches('/');
                source == entry
                    || source
                        .strip_prefix(entry)
                        .is_some_and(|rest| rest.starts_with('/'))
            })
    }
}

/// A member's role in a project (doc/user/permissions.md); `None` is no membership.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    None,
    Guest,
    Reporter,
    Developer,
    #[default]
    Maintainer,
    Owner,
}

impl Role {
    pub fn parse(text: &str) -> Option<Role> {
        match text {
            "none" => Some(Role::None),
            "guest" => Some(Role::Guest),
            "reporter" => Some(Role::Reporter),
            "developer" => Some(Role::Developer),
            "maintainer" => Some(Role::Maintainer),
            "owner" => Some(Role::Owner),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::None => "none",
            Role::Guest => "guest",
            Role::Reporter => "reporter",
            Role::Developer => "developer",
            Role::Maintainer => "maintainer",
            Role::Owner => "owner",
        }
    }
}

impl Project {
    /// A project as GitLab creates it: `main` is the default and only protected branch.
    pub fn new(path: &str) -> Project {
        Project {
            path: path.to_owned(),
            default_branch: "main".to_owned(),
            tier: Tier::Free,
            settings: ProjectSettings {
                merged_results_pipelines: false,
                merge_trains: false,
                protected_branches: vec!["main".to_owned()],
                protected_tags: Vec::new(),
                keep_latest_artifacts: true,
                pipeline_variables_minimum_role: Some(Role::Developer),
                catalog_resource: false,
                merge_method: MergeMethod::Merge,
                squash_option: SquashOption::DefaultOff,
                git_push_pipeline_limit: 4,
                merge_commit_template: None,
                squash_commit_template: None,
                fork_pipelines_in_parent: true,
            },
            variables: Vec::new(),
            server_url: "https://gitlab.example.com".to_owned(),
            ci_config_path: ".gitlab-ci.yml".to_owned(),
            job_token: JobTokenSettings {
                limit_access: true,
                allowlist: Vec::new(),
            },
            access: Role::Maintainer,
            instance_variables: Vec::new(),
            group_variables: Vec::new(),
            pipeline_inputs: None,
            fork_of: None,
        }
    }
}

/// One thing that happens in the repository or the UI, as a scenario or the CLI states it.
#[derive(Clone, Debug, PartialEq)]
pub enum Event {
    /// A `git push` of one branch or tag.
    Push(Push),
    /// A merge request is opened, or updated with **Run pipeline** when it is already open.
    MergeRequest(MergeRequestEvent),
    /// The merge request `iid` is merged: a push to its target branch.
    Merge { iid: u64 },
    /// A pipeline not started by a push: schedule, web (Run pipeline button), api, trigger.
    Manual(ManualEvent),
    /// Time passes (artifacts expire); no pipeline.
    Wait { seconds: u64 },
    /// Someone plays or retries a job of an earlier pipeline; no new pipeline.
    JobAction(JobAction),
}

/// A job action at a later event (the job's Play or Retry button).
#[derive(Clone, Debug, PartialEq)]
pub struct JobAction {
    pub kind: JobActionKind,
    /// The pipeline's id (`CI_PIPELINE_ID`, as the report numbers them).
    pub pipeline: u64,
    pub job: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobActionKind {
    /// Run a manual job nobody played yet.
    Play,
    /// Run a finished job again.
    Retry,
    /// Cancel one job that has not finished (Ci::BuildCancelService).
    Cancel,
    /// Cancel a pipeline: every job of it that has not finished (Ci::CancelPipelineService);
    /// `job` is empty.
    CancelPipeline,
}

impl JobActionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            JobActionKind::Play => "play",
            JobActionKind::Retry => "retry",
            JobActionKind::Cancel | JobActionKind::CancelPipeline => "cancel",
        }
    }
}

/// How a job ends when the scenario says so; otherwise jobs succeed, manual jobs are not
/// played and `on_failure` jobs run only after a failure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum JobOutcome {
    Success,
    Failed,
    /// A manual job someone runs (and it succeeds).
    Played,
    /// The job does not run (e.g. a manual job nobody plays, or a canceled one).
    Skipped,
}

impl JobOutcome {
    pub fn parse(text: &str) -> Option<JobOutcome> {
        match text {
            "success" | "succeeded" | "passed" => Some(JobOutcome::Success),
            "failed" | "fail" => Some(JobOutcome::Failed),
            "played" | "run" => Some(JobOutcome::Played),
            "skipped" | "not_played" | "canceled" => Some(JobOutcome::Skipped),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct Push {
    pub target: RefTarget,
    /// Paths the pushed commits change. `None`: not stated (files in `files` still count).
    pub changes: Option<Vec<String>>,
    /// Files whose content the push sets (added or modified) on the ref.
    pub files: Vec<(String, String)>,
    /// Paths the push deletes.
    pub deleted: Vec<String>,
    /// Commit message of the head commit (`[ci skip]` makes a skipped pipeline).
    pub message: Option<String>,
    /// `git push -o ci.skip`.
    pub skip_ci: bool,
    /// `git push -o ci.variable="K=V"`: pipeline variables.
    pub variables: Vec<(String, String)>,
    /// The push deletes the branch or tag (its new revision is the blank SHA).
    pub delete: bool,
    /// For a new branch: the branch or tag it is created from (the default branch when `None`).
    /// For a tag: the branch or tag whose head commit it points at.
    pub from: Option<String>,
    /// The other refs of the same `git push` (one push of several refs), after this one; they
    /// share this push's options (`skip_ci`, `variables`).
    pub other_refs: Vec<Push>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RefTarget {
    Branch(String),
    Tag(String),
}

impl Default for RefTarget {
    fn default() -> Self {
        RefTarget::Branch(String::new())
    }
}

impl RefTarget {
    pub fn name(&self) -> &str {
        match self {
            RefTarget::Branch(name) | RefTarget::Tag(name) => name,
        }
    }
}

/// Which kind of merge request pipeline GitLab runs (`CI_MERGE_REQUEST_EVENT_TYPE`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MergeRequestPipelineKind {
    Detached,
    MergedResult,
    MergeTrain,
}

impl MergeRequestPipelineKind {
    pub fn as_str(self) -> &'static str {
        match self {
            MergeRequestPipelineKind::Detached => "detached",
            MergeRequestPipelineKind::MergedResult => "merged_result",
            MergeRequestPipelineKind::MergeTrain => "merge_train",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "detached" => Some(MergeRequestPipelineKind::Detached),
            "merged_result" | "merged_results" => Some(MergeRequestPipelineKind::MergedResult),
            "merge_train" => Some(MergeRequestPipelineKind::MergeTrain),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq)]
pub struct MergeRequestEvent {
    pub iid: u64,
    pub source_branch: String,
    pub target_branch: String,
    pub labels: Vec<String>,
    pub title: Option<String>,
    pub description: Option<String>,
    pub draft: bool,
    /// Asked-for pipeline kind; `None` lets the project settings decide (merged results when
    /// enabled on a paid tier, otherwise detached).
    pub kind: Option<MergeRequestPipelineKind>,
    /// Paths the merge request changes, when the scenario states them instead of deriving them
    /// from the pushes to the source branch.
    pub changes: Option<Vec<String>>,
    /// The merge request's "Squash commits when merge request is accepted" (`squash`);
    /// `None` keeps it (new merge requests take the project's squash option).
    pub squash: Option<bool>,
    /// The project the source branch is in, when it is not the event's project (a fork of it:
    /// `source_project:`); the event's project is the target.
    pub source_project: Option<String>,
    /// The role, in the target project, of whoever opens the merge request or selects **Run
    /// pipeline** at this event (`access:`); `None`: the target project's `access`.
    pub access: Option<Role>,
    /// That user's role in the source project (`source_access:`); `None`: its `access`.
    pub source_access: Option<Role>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ManualSource {
    Schedule,
    Web,
    Api,
    Trigger,
}

#[derive(Clone, Debug, PartialEq)]
pub struct ManualEvent {
    pub source: ManualSource,
    pub target: RefTarget,
    /// Pipeline variables (schedule variables for a schedule).
    pub variables: Vec<(String, String)>,
    /// Schedule description (`CI_PIPELINE_SCHEDULE_DESCRIPTION`).
    pub description: Option<String>,
    /// Pipeline inputs (`inputs:` of the Run pipeline form, the API, a trigger or a schedule)
    /// for the root configuration's `spec:inputs`; `None` when none are given.
    pub inputs: Option<crate::yaml::Node>,
}

/// `CI_PIPELINE_SOURCE` values pipesim creates.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Source {
    Push,
    Web,
    Trigger,
    Schedule,
    Api,
    Pipeline,
    MergeRequestEvent,
    ParentPipeline,
}

impl Source {
    pub fn as_str(self) -> &'static str {
        match self {
            Source::Push => "push",
            Source::Web => "web",
            Source::Trigger => "trigger",
            Source::Schedule => "schedule",
            Source::Api => "api",
            Source::Pipeline => "pipeline",
            Source::MergeRequestEvent => "merge_request_event",
            Source::ParentPipeline => "parent_pipeline",
        }
    }
}

/// What kind of ref a pipeline runs for (`Ci::HasRef#branch?` / `tag?` / `merge_request?`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RefKind {
    Branch,
    Tag,
    MergeRequest,
}

/// The merge request a pipeline belongs to.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct MergeRequestInfo {
    pub iid: u64,
    pub source_branch: String,
    pub target_branch: String,
    /// Sorted, as GitLab joins them for `CI_MERGE_REQUEST_LABELS`.
    pub labels: Vec<String>,
    pub title: String,
    pub description: String,
    pub draft: bool,
    pub kind: MergeRequestPipelineKind,
    /// Both projects of a merge request from a fork (`None`: source and target are the
    /// pipeline's project).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fork: Option<ForkSides>,
}

/// The target and source projects of a merge request from a fork, as the merge request's
/// predefined variables name them (app/models/merge_request.rb `predefined_variables`,
/// `source_project_variables`), wherever its pipeline runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ForkSides {
    pub target_path: String,
    pub target_id: u64,
    /// `ProtectedBranch.protected?(target_project, target_branch)`.
    pub target_branch_protected: bool,
    pub source_path: String,
    pub source_id: u64,
    /// `ProtectedBranch.protected?(source_project, source_branch)`.
    pub source_branch_protected: bool,
}

/// One pipeline GitLab is asked to create: everything pipeline creation needs to know about
/// the event, independent of the configuration.
#[derive(Clone, Debug)]
pub struct PipelineRequest {
    /// 1-based index of the event that caused it.
    pub event: usize,
    pub source: Source,
    pub ref_kind: RefKind,
    /// `pipeline.ref`: the branch or tag name, or `refs/merge-requests/<iid>/head|merge|train`.
    pub ref_name: String,
    /// The branch or tag name the commit is on (`source_ref`: the MR source branch for MR
    /// pipelines), i.e. `CI_COMMIT_REF_NAME`.
    pub ref_short: String,
    pub sha: String,
    /// `CI_COMMIT_BEFORE_SHA`: forty zeros for new refs, MR pipelines and non-push sources.
    pub before_sha: String,
    pub merge_request: Option<MergeRequestInfo>,
    /// Paths `rules:changes` (without `compare_to`) and `only:changes` compare against; `None`
    /// when GitLab cannot compute them, which makes those clauses true.
    pub changed_paths: Option<Vec<String>>,
    /// Why `changed_paths` is what it is, for explanations ("the push to a new branch...").
    pub changes_note: String,
    /// The repository at the pipeline's commit: the configuration and `rules:exists` read it.
    pub files: Files,
    /// Pipeline variables (web form, API, trigger, push options) or schedule variables.
    pub pipeline_variables: Vec<(String, String)>,
    /// `CI_OPEN_MERGE_REQUESTS` entries (`path!iid`), newest first, at most 4: open merge
    /// requests whose source branch is this pipeline's branch, for pipelines of any source
    /// (app/models/ci/pipeline.rb `open_merge_requests_refs`).
    pub open_merge_requests: Vec<String>,
    /// Head commit message (`CI_COMMIT_MESSAGE`).
    pub commit_message: String,
    /// `[ci skip]` / `ci.skip`: the pipeline is created with status skipped and no jobs run.
    pub skip_ci: bool,
    /// Whether the ref is protected (protected variables and `CI_COMMIT_REF_PROTECTED`).
    pub protected: bool,
    /// `CI_COMMIT_REF_PROTECTED` when it differs from `protected`: a fork's merge request
    /// pipeline runs on its branch, which `Ci::Pipeline#protected_ref?` reads as
    /// `refs/heads/<branch>`, while the variables builder reads no ref for any merge request
    /// pipeline (`jobs_git_ref`), so protected variables stay withheld.
    pub commit_ref_protected: Option<bool>,
    pub schedule_description: Option<String>,
    /// When the pipeline is created, in seconds since the scenario's start (2025-01-01T00:00Z).
    pub time: u64,
}

#[cfg(test)]
mod tests;
