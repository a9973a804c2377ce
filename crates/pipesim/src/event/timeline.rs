//! The repository state a sequence of events needs, and the pipelines each event asks for.
//!
//! Sources (gitlabhq/gitlabhq):
//! - app/services/git/branch_push_service.rb, app/services/git/process_ref_changes_service.rb:
//!   a push creates a branch or tag pipeline (source `push`);
//! - app/services/merge_requests/refresh_service.rb and merge_requests/create_pipeline_service.rb:
//!   a push to the source branch of an open merge request also creates a merge request
//!   pipeline; so does opening the merge request and **Run pipeline**;
//! - app/models/ci/pipeline.rb: `modified_paths` (which diff `rules:changes` compares),
//!   `open_merge_requests_refs`, `merged_result_pipeline?` / `detached_merge_request_pipeline?`;
//! - app/models/merge_request.rb: `ref_path` (`refs/merge-requests/<iid>/head`),
//!   `merge_ref_path` (`/merge`), `train_ref_path` (`/train`), `default_merge_commit_message`;
//! - lib/gitlab/ci/pipeline/chain/skip.rb: `[ci skip]` / `ci.skip`; web, api, schedule and
//!   trigger pipelines are created with `ignore_skip_ci: true`.

mod merge;
mod push;
mod template;

use crate::sorted::{SortedMap, SortedSet};

use super::variables::{branch_protected, fake_sha, short_sha, skips_ci, tag_protected, ZERO_SHA};
use super::{
    Event, ManualEvent, ManualSource, MergeRequestEvent, MergeRequestInfo,
    MergeRequestPipelineKind, PipelineRequest, Project, Push, RefKind, RefTarget, Source,
};
use crate::source::Files;

/// `Ci::Pipeline::MAX_OPEN_MERGE_REQUESTS_REFS`.
const MAX_OPEN_MERGE_REQUESTS_REFS: usize = 4;

/// The head of a branch or tag.
#[derive(Clone, Debug)]
struct Head {
    files: Files,
    sha: String,
    message: String,
}

#[derive(Clone, Debug)]
struct Branch {
    head: Head,
    /// Paths changed since the branch was created from its base (what a merge request from
    /// this branch changes).
    changed: SortedSet<String>,
    /// The subset of `changed` the branch deleted.
    deleted: SortedSet<String>,
    /// The SHAs of the commits reachable from the head (its ancestry, in no particular order):
    /// whether the branch contains another branch's head (a fast-forward merge is possible).
    history: Vec<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeRequestState {
    Open,
    Merged,
    /// Closed because its source branch was deleted (MergeRequests::RefreshService
    /// `close_upon_missing_source_branch_ref`).
    Closed,
}

/// A merge request the timeline knows about.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeRequest {
    pub iid: u64,
    pub source_branch: String,
    pub target_branch: String,
    /// Sorted.
    pub labels: Vec<String>,
    pub title: String,
    pub description: String,
    pub draft: bool,
    /// Paths the scenario says the merge request changes; `None`: derived from the pushes to
    /// the source branch.
    pub stated_changes: Option<Vec<String>>,
    pub state: MergeRequestState,
    /// "Squash commits when merge request is accepted" (`MergeRequest#squash`).
    pub squash: bool,
    /// The source project when it is a fork of this one (`MergeRequest#for_fork?`); `None`:
    /// the source branch is in this project.
    pub source_project: Option<String>,
}

/// A branch of another project as a merge request from a fork reads it (its head, what it
/// changed), with whether that project protects it and the project's (fake) id.
#[derive(Clone, Debug)]
pub struct ForkBranch {
    branch: Branch,
    protected: bool,
    project_id: u64,
}

/// Repository state: branches, tags and merge requests.
#[derive(Clone, Debug)]
pub struct Timeline {
    project: Project,
    branches: SortedMap<String, Branch>,
    tags: SortedMap<String, Head>,
    merge_requests: SortedMap<u64, MergeRequest>,
    notes: Vec<(usize, String)>,
    /// What GitLab refused at an event (a merge or a push it rejects), with its message and
    /// our explanation: the event asks for no pipeline.
    failures: Vec<(usize, String, String)>,
    /// Seconds since the scenario's start: each event takes a minute, `wait` more.
    clock: u64,
    /// The source branches of merge requests from forks into this project, by (project,
    /// branch), as the simulation last copied them from the fork (`sync_fork_branch`).
    fork_branches: SortedMap<(String, String), ForkBranch>,
    /// The open merge requests from this project's branches into other projects (a fork's
    /// into its parent), as (branch, `path!iid`), newest first: `CI_OPEN_MERGE_REQUESTS` of
    /// its branch pipelines lists them too.
    outgoing: Vec<(String, String)>,
}

impl Timeline {
    /// A repository whose only branch is the default branch, holding `files`.
    pub fn new(project: &Project, files: &Files) -> Timeline {
        let mut branches = SortedMap::new();
        let initial = fake_sha(&format!("initial:{}", project.default_branch));
        branches.insert(
            project.default_branch.clone(),
            Branch {
                head: Head {
                    files: files.clone(),
                    sha: initial.clone(),
                    message: "Initial commit".to_owned(),
                },
                changed: SortedSet::new(),
                deleted: SortedSet::new(),
                history: vec![initial],
            },
        );
        Timeline {
            clock: 0,
            project: project.clone(),
            branches,
            tags: SortedMap::new(),
            merge_requests: SortedMap::new(),
            notes: Vec::new(),
            failures: Vec::new(),
            fork_branches: SortedMap::new(),
            outgoing: Vec::new(),
        }
    }

    /// The open merge requests into this project from `project`'s branches (a fork of it), as
    /// (branch, `path!iid`), newest first.
    pub fn merge_requests_from(&self, project: &str) -> Vec<(String, String)> {
        self.merge_requests
            .values()
            .rev()
            .filter(|mr| {
                mr.state == MergeRequestState::Open && mr.source_project.as_deref() == Some(project)
            })
            .map(|mr| {
                (
                    mr.source_branch.clone(),
                    format!("{}!{}", self.project.path, mr.iid),
                )
            })
            .collect()
    }

    /// This project's merge requests into other projects ([`Self::merge_requests_from`] of
    /// each of them), for `CI_OPEN_MERGE_REQUESTS`.
    pub fn set_outgoing(&mut self, outgoing: Vec<(String, String)>) {
        self.outgoing = outgoing;
    }

    /// Branch `name` of this project as a merge request from it into another project (a fork's
    /// parent) reads it; `None` when it does not exist.
    pub fn fork_branch(&self, name: &str) -> Option<ForkBranch> {
        self.branches.get(name).map(|branch| ForkBranch {
            branch: branch.clone(),
            protected: branch_protected(&self.project, name),
            project_id: super::variables::project_id(&self.project),
        })
    }

    /// Keeps this project's copy of `project`'s branch `name` (the source of merge requests
    /// from that fork) current; `None` forgets it (the branch is gone).
    pub fn sync_fork_branch(&mut self, project: &str, name: &str, branch: Option<ForkBranch>) {
        let key = (project.to_owned(), name.to_owned());
        match branch {
            Some(branch) => {
                self.fork_branches.insert(key, branch);
            }
            None => {
                self.fork_branches.remove(&key);
            }
        }
    }

    /// The (project, branch) of every open merge request from a fork into this project.
    pub fn fork_sources(&self) -> Vec<(String, String)> {
        let mut sources: Vec<(String, String)> = self
            .merge_requests
            .values()
            .filter(|mr| mr.state == MergeRequestState::Open)
            .filter_map(|mr| {
                mr.source_project
                    .clone()
                    .map(|p| (p, mr.source_branch.clone()))
            })
            .collect();
        crate::sort::sort_dedup(&mut sources);
        sources
    }

    /// The merge request pipelines a push to `project`'s branch `branch` starts here: each
    /// open merge request from that fork branch (MergeRequests::RefreshService runs in the
    /// source project and refreshes its merge requests into other projects too).
    pub fn refresh_fork_merge_requests(
        &self,
        event: usize,
        (project, branch): (&str, &str),
        push_skip: bool,
    ) -> Vec<PipelineRequest> {
        self.merge_request_pipelines_from(event, (Some(project), branch), push_skip)
    }

    /// The fork deleted `branch`: its merge requests here close, as for a branch of this
    /// project (`close_upon_missing_source_branch_ref`).
    pub fn close_fork_merge_requests(&mut self, event: usize, (project, branch): (&str, &str)) {
        let mut closed = Vec::new();
        self.merge_requests.retain(|_, mr| {
            if mr.state == MergeRequestState::Open
                && mr.source_project.as_deref() == Some(project)
                && mr.source_branch == branch
            {
                mr.state = MergeRequestState::Closed;
                closed.push(format!("!{}", mr.iid));
            }
            true
        });
        self.sync_fork_branch(project, branch, None);
        if !closed.is_empty() {
            self.notes.push((
                event,
                format!(
                    "deleting branch {branch} of {project} closes merge request {} (its source \
                     branch is gone)",
                    closed.join(", ")
                ),
            ));
        }
    }

    /// The source branch of `mr`: this project's, or the fork's copy.
    fn source_branch_of(&self, mr: &MergeRequest) -> Option<&Branch> {
        match &mr.source_project {
            None => self.branches.get(&mr.source_branch),
            Some(project) => self
                .fork_branches
                .get(&(project.clone(), mr.source_branch.clone()))
                .map(|f| &f.branch),
        }
    }

    pub fn project(&self) -> &Project {
        &self.project
    }

    /// Seconds since the scenario's start.
    pub fn clock(&self) -> u64 {
        self.clock
    }

    /// Moves the clock to `time` (all projects of a scenario share one clock).
    pub fn set_clock(&mut self, time: u64) {
        self.clock = time;
    }

    /// The pipeline a multi-project trigger job asks this project for
    /// (bridge.rb `cross_project_params`): source `pipeline` on `ref_name` (a branch, else a
    /// tag; the default branch when `None`), with the trigger job's variables as pipeline
    /// variables and `ignore_skip_ci: true`. `None` when the ref does not exist.
    pub fn downstream_request(
        &self,
        event: usize,
        ref_name: Option<&str>,
        variables: Vec<(String, String)>,
    ) -> Option<PipelineRequest> {
        let name = ref_name.unwrap_or(&self.project.default_branch);
        let name = name
            .strip_prefix("refs/heads/")
            .or_else(|| name.strip_prefix("refs/tags/"))
            .unwrap_or(name);
        let (ref_kind, head, protected, open) = match self.branches.get(name) {
            Some(branch) => (
                RefKind::Branch,
                branch.head.clone(),
                branch_protected(&self.project, name),
                self.open_merge_request_refs(name),
            ),
            None => {
                let head = self.tags.get(name)?;
                (
                    RefKind::Tag,
                    head.clone(),
                    tag_protected(&self.project, name),
                    Vec::new(),
                )
            }
        };
        Some(PipelineRequest {
            event,
            source: Source::Pipeline,
            ref_kind,
            ref_name: name.to_owned(),
            ref_short: name.to_owned(),
            sha: head.sha,
            before_sha: ZERO_SHA.to_owned(),
            merge_request: None,
            changed_paths: None,
            changes_note: "a multi-project pipeline is not started by a push, so it has no diff: \
                           rules:changes is always true"
                .to_owned(),
            files: head.files,
            pipeline_variables: variables,
            open_merge_requests: open,
            commit_message: head.message,
            skip_ci: false,
            protected,
            commit_ref_protected: None,
            schedule_description: None,
            time: self.clock,
        })
    }

    pub fn branch_exists(&self, name: &str) -> bool {
        self.branches.contains_key(name)
    }

    pub fn tag_exists(&self, name: &str) -> bool {
        self.tags.contains_key(name)
    }

    /// The files at the head of `branch`.
    pub fn files_of(&self, branch: &str) -> Option<&Files> {
        self.branches.get(branch).map(|b| &b.head.files)
    }

    /// The files at `tag`.
    /// Paths a branch changed since it was created from the default branch: the diff from
    /// their merge base (`rules:changes:compare_to`).
    pub fn changed_since_base(&self, branch: &str) -> Option<Vec<String>> {
        self.branches
            .get(branch)
            .map(|b| b.changed.iter().cloned().collect())
    }

    pub fn files_of_tag(&self, tag: &str) -> Option<&Files> {
        self.tags.get(tag).map(|t| &t.files)
    }

    /// The (fake) SHA of the head of `branch`.
    pub fn head_sha(&self, branch: &str) -> Option<&str> {
        self.branches.get(branch).map(|b| b.head.sha.as_str())
    }

    /// Branch names, sorted.
    pub fn branches(&self) -> Vec<&str> {
        self.branches.keys().map(String::as_str).collect()
    }

    /// The tags, by name.
    pub fn tags(&self) -> Vec<&str> {
        self.tags.keys().map(String::as_str).collect()
    }

    /// Open merge requests, by iid.
    pub fn open_merge_requests(&self) -> Vec<&MergeRequest> {
        self.merge_requests
            .values()
            .filter(|mr| mr.state == MergeRequestState::Open)
            .collect()
    }

    pub fn merge_request(&self, iid: u64) -> Option<&MergeRequest> {
        self.merge_requests.get(&iid)
    }

    /// Assumptions the timeline made to carry on (e.g. a merge request's target branch that
    /// was never pushed), with the 1-based index of the event that caused each.
    pub fn notes(&self) -> &[(usize, String)] {
        &self.notes
    }

    /// What GitLab refused, per event: (event, GitLab's message, our explanation).
    pub fn failures(&self) -> &[(usize, String, String)] {
        &self.failures
    }

    /// Applies event number `event_index` (1-based) and returns the pipelines GitLab is asked
    /// to create for it, in creation order. `Err` is a plain-English problem with the event.
    pub fn apply(
        &mut self,
        event_index: usize,
        event: &Event,
    ) -> Result<Vec<PipelineRequest>, String> {
        // The clock stops at its end rather than wrap around to the start: a `wait` of 2^48
        // days is past it.
        if !matches!(event, Event::Wait { .. }) {
            self.clock = self.clock.saturating_add(60);
        }
        match event {
            Event::Push(push) if push.is_plain() => match &push.target {
                RefTarget::Branch(name) => self.push_branch(event_index, name, push),
                RefTarget::Tag(name) => self.push_tag(event_index, name, push),
            },
            // Several refs, a deletion, a branch or tag from another ref: `push.rs`.
            Event::Push(push) => self.push_refs(event_index, push),
            Event::MergeRequest(mr) => self.merge_request_event(event_index, mr),
            Event::Merge { iid } => self.merge(event_index, *iid),
            Event::Manual(manual) => self.manual(event_index, manual),
            Event::Wait { seconds } => {
                self.clock = self.clock.saturating_add(*seconds);
                Ok(Vec::new())
            }
            // A job action changes no repository state; `simulate` carries it out.
            Event::JobAction(_) => Ok(Vec::new()),
        }
    }

    fn push_branch(
        &mut self,
        event: usize,
        name: &str,
        push: &Push,
    ) -> Result<Vec<PipelineRequest>, String> {
        if name.is_empty() {
            return Err("push: the branch name is empty".to_owned());
        }
        let touched = touched_paths(push);
        let mut sha = fake_sha(&format!("{event}:{name}:push"));
        let mut message = push
            .message
            .clone()
            .unwrap_or_else(|| default_message(name, &touched));

        let (before_sha, changed_paths, changes_note) = match self.branches.get_mut(name) {
            Some(branch) => {
                // An update of an existing branch: `rules:changes` compares the push diff
                // `before_sha..sha` (Ci::Pipeline#modified_paths, push_details).
                let before = branch.head.sha.clone();
                apply_files(&mut branch.head.files, push);
                branch.head.sha = sha.clone();
                branch.history.push(sha.clone());
                branch.head.message = message.clone();
                record_changes(branch, push, &touched);
                let note = format!(
                    "the paths this push changes ({}..{})",
                    short_sha(&before),
                    short_sha(&sha)
                );
                (before, Some(touched.clone()), note)
            }
            None => {
                // A new branch, created from the default branch's head: the before SHA is
                // blank, so GitLab cannot compute the changed paths and `rules:changes` is
                // always true (DOC ci/yaml rules:changes).
                // (`from:` a branch or tag: created from that ref's head, without a new
                // commit when the push carries nothing else.)
                let mut branch = self.new_branch(event, name, push);
                if branch.head.sha == sha {
                    branch.head.message = message.clone();
                } else {
                    message = branch.head.message.clone();
                    sha = branch.head.sha.clone();
                }
                apply_files(&mut branch.head.files, push);
                record_changes(&mut branch, push, &touched);
                self.branches.insert(name.to_owned(), branch);
                let note = format!(
                    "the push creates branch {name}, so GitLab has no previous commit to \
                     compare with: rules:changes is always true"
                );
                (ZERO_SHA.to_owned(), None, note)
            }
        };

        let skip_ci = push.skip_ci || skips_ci(&message);
        let mut requests = vec![PipelineRequest {
            event,
            source: Source::Push,
            ref_kind: RefKind::Branch,
            ref_name: name.to_owned(),
            ref_short: name.to_owned(),
            sha,
            before_sha,
            merge_request: None,
            changed_paths,
            changes_note,
            files: self.branches[name].head.files.clone(),
            pipeline_variables: push.variables.clone(),
            open_merge_requests: self.open_merge_request_refs(name),
            commit_message: message,
            skip_ci,
            protected: branch_protected(&self.project, name),
            commit_ref_protected: None,
            schedule_description: None,
            time: self.clock,
        }];
        // MergeRequests::RefreshService: every open merge request whose source branch got new
        // commits runs a merge request pipeline. The push options (`ci.skip`) reach it; push
        // option variables do not (merge_requests/create_pipeline_service.rb passes
        // `push_options` to Ci::CreatePipelineService, no `variables_attributes`).
        requests.extend(self.refresh_merge_requests(event, name, push.skip_ci));
        Ok(requests)
    }

    fn push_tag(
        &mut self,
        event: usize,
        name: &str,
        push: &Push,
    ) -> Result<Vec<PipelineRequest>, String> {
        if name.is_empty() {
            return Err("push: the tag name is empty".to_owned());
        }
        if self.tags.contains_key(name) {
            return Err(format!(
                "push: tag {name} already exists; a tag is pushed once"
            ));
        }
        // The tag points at the default branch's head (or `from`'s: any branch or tag), or at a
        // new commit on top of it when the push sets or deletes files.
        let base = match push.from.as_deref().and_then(|from| self.head_of(from)) {
            Some((head, _, _)) => head,
            None => self.default_branch().head.clone(),
        };
        let touched = touched_paths(push);
        let head = if push.files.is_empty() && push.deleted.is_empty() && push.message.is_none() {
            base
        } else {
            let mut files = base.files.clone();
            apply_files(&mut files, push);
            Head {
                files,
                sha: fake_sha(&format!("{event}:{name}:push")),
                message: push
                    .message
                    .clone()
                    .unwrap_or_else(|| default_message(name, &touched)),
            }
        };
        self.tags.insert(name.to_owned(), head.clone());
        Ok(vec![PipelineRequest {
            event,
            source: Source::Push,
            ref_kind: RefKind::Tag,
            ref_name: name.to_owned(),
            ref_short: name.to_owned(),
            sha: head.sha,
            before_sha: ZERO_SHA.to_owned(),
            merge_request: None,
            changed_paths: None,
            changes_note: format!(
                "a tag pipeline has no push diff ({name} is a new tag): rules:changes is always \
                 true"
            ),
            files: head.files,
            pipeline_variables: push.variables.clone(),
            open_merge_requests: Vec::new(),
            skip_ci: push.skip_ci || skips_ci(&head.message),
            commit_message: head.message,
            protected: tag_protected(&self.project, name),
            commit_ref_protected: None,
            schedule_description: None,
            time: self.clock,
        }])
    }

    fn merge_request_event(
        &mut self,
        event: usize,
        ev: &MergeRequestEvent,
    ) -> Result<Vec<PipelineRequest>, String> {
        let iid = ev.iid;
        if iid == 0 {
            return Err("merge_request: iid must be a positive number".to_owned());
        }
        match self.merge_requests.get(&iid).map(|mr| mr.state) {
            Some(MergeRequestState::Closed) => {
                return Err(format!(
                    "merge request !{iid} was closed when its source branch was deleted; open a \
                     new one with another iid"
                ));
            }
            Some(MergeRequestState::Merged) => {
                return Err(format!(
                    "merge request !{iid} was already merged; open a new one with another iid"
                ));
            }
            Some(MergeRequestState::Open) => {
                // Already open: an update and **Run pipeline**.
                let mr = self.merge_requests.get_mut(&iid).expect("checked above");
                if ev.source_project.is_some() && ev.source_project != mr.source_project {
                    return Err(format!(
                        "merge request !{iid} is open from {}, not {}; a merge request's source \
                         project cannot change",
                        mr.source_project.as_deref().unwrap_or(&self.project.path),
                        ev.source_project.as_deref().unwrap_or_default()
                    ));
                }
                if !ev.source_branch.is_empty() && ev.source_branch != mr.source_branch {
                    return Err(format!(
                        "merge request !{iid} is open from branch {}, not {}; a merge request's \
                         source branch cannot change",
                        mr.source_branch, ev.source_branch
                    ));
                }
                if !ev.target_branch.is_empty() && ev.target_branch != mr.target_branch {
                    mr.target_branch = ev.target_branch.clone();
                }
                if !ev.labels.is_empty() {
                    mr.labels = sorted_labels(&ev.labels);
                }
                if let Some(title) = &ev.title {
                    mr.title = title.clone();
                }
                if let Some(description) = &ev.description {
                    mr.description = description.clone();
                }
                if ev.draft {
                    mr.draft = true;
                }
                if ev.changes.is_some() {
                    mr.stated_changes = ev.changes.clone();
                }
                if let Some(squash) = ev.squash {
                    mr.squash = squash;
                }
                let target = mr.target_branch.clone();
                self.ensure_target(event, iid, &target);
            }
            None => {
                let source = ev.source_branch.clone();
                if source.is_empty() {
                    return Err(format!("merge_request: !{iid} needs a source branch"));
                }
                let fork = ev
                    .source_project
                    .clone()
                    .filter(|p| *p != self.project.path);
                match &fork {
                    None if !self.branches.contains_key(&source) => {
                        return Err(format!(
                            "merge request !{iid}: source branch {source} does not exist; push \
                             it first"
                        ));
                    }
                    Some(project)
                        if !self
                            .fork_branches
                            .contains_key(&(project.clone(), source.clone())) =>
                    {
                        return Err(format!(
                            "merge request !{iid}: source branch {source} does not exist in \
                             {project}; push it there first (`project: {project}` on the push)"
                        ));
                    }
                    _ => {}
                }
                let target = if ev.target_branch.is_empty() {
                    self.project.default_branch.clone()
                } else {
                    ev.target_branch.clone()
                };
                if target == source && fork.is_none() {
                    return Err(format!(
                        "merge request !{iid}: the source and target branch are both {source}"
                    ));
                }
                self.ensure_target(event, iid, &target);
                let (title, draft) = title_and_draft(ev.title.as_deref(), ev.draft, &source);
                self.merge_requests.insert(
                    iid,
                    MergeRequest {
                        iid,
                        source_branch: source,
                        target_branch: target,
                        labels: sorted_labels(&ev.labels),
                        title,
                        description: ev.description.clone().unwrap_or_default(),
                        draft,
                        stated_changes: ev.changes.clone(),
                        state: MergeRequestState::Open,
                        // A new merge request's checkbox starts as the project's squash option
                        // says ("Encourage" checks it, "Require" checks it for good).
                        squash: ev.squash.unwrap_or(matches!(
                            self.project.settings.squash_option,
                            super::SquashOption::DefaultOn | super::SquashOption::Always
                        )),
                        source_project: fork,
                    },
                );
            }
        }
        let kind = match ev.kind {
            // doc/ci/pipelines/merged_results_pipelines.md and merge_trains.md: Premium and
            // Ultimate only; on Free GitLab runs the detached pipeline instead.
            Some(
                asked @ (MergeRequestPipelineKind::MergedResult
                | MergeRequestPipelineKind::MergeTrain),
            ) if !self.project.tier.is_paid() => {
                self.notes.push((
                    event,
                    format!(
                        "a {} pipeline needs GitLab Premium or Ultimate; on the Free tier GitLab runs a detached merge request pipeline instead, so pipesim does too",
                        asked.as_str()
                    ),
                ));
                MergeRequestPipelineKind::Detached
            }
            Some(asked) => asked,
            None => self.default_kind(),
        };
        Ok(vec![self.merge_request_pipeline(event, iid, kind, false)])
    }

    fn merge(&mut self, event: usize, iid: u64) -> Result<Vec<PipelineRequest>, String> {
        let Some(mr) = self.merge_requests.get(&iid).cloned() else {
            return Err(format!(
                "merge: no merge request !{iid} was opened before; add a merge_request event \
                 with iid {iid} first"
            ));
        };
        match mr.state {
            MergeRequestState::Open => {}
            MergeRequestState::Merged => {
                return Err(format!(
                    "merge: merge request !{iid} is not open (already merged)"
                ));
            }
            MergeRequestState::Closed => {
                return Err(format!(
                    "merge: merge request !{iid} is not open (closed when its source branch was \
                     deleted)"
                ));
            }
        }
        if let Some(method) = self.non_default_merge(&mr) {
            return self.merge_with_method(event, &mr, method);
        }
        let mut requests = Vec::new();
        // Merge trains (Premium): **Merge** adds the merge request to the train, which runs a
        // merge train pipeline on refs/merge-requests/<iid>/train before the merge
        // (DOC ci/pipelines/merge_trains.md). pipesim assumes it passes.
        if self.project.tier.is_paid()
            && self.project.settings.merged_results_pipelines
            && self.project.settings.merge_trains
        {
            requests.push(self.merge_request_pipeline(
                event,
                iid,
                MergeRequestPipelineKind::MergeTrain,
                false,
            ));
        }
        self.ensure_target(event, iid, &mr.target_branch);
        let changes = self.merge_request_changes(&mr);
        let source = self.source_branch_of(&mr).cloned();
        let target_name = mr.target_branch.clone();
        let message = merge_commit_message(&self.project, &mr);
        let sha = fake_sha(&format!("{event}:{target_name}:merge!{iid}"));
        let target = self
            .branches
            .get_mut(&target_name)
            .expect("ensure_target created it");
        let before_sha = target.head.sha.clone();
        if let Some(source) = &source {
            overlay(&mut target.head.files, source, &changes);
            for path in &changes {
                target.changed.insert(path.clone());
                if source.deleted.contains(path) {
                    target.deleted.insert(path.clone());
                } else {
                    target.deleted.remove(path);
                }
            }
        }
        target.head.sha = sha.clone();
        target.head.message = message.clone();
        if let Some(source) = &source {
            merge_history(&mut target.history, &source.history);
        }
        target.history.push(sha.clone());
        let files = target.head.files.clone();
        // The merge is a push to the target branch (source `push`); its diff is the merge
        // commit's, i.e. what the merge request changed.
        let note = format!(
            "the paths the merge commit of !{iid} changes on {target_name} ({}..{})",
            short_sha(&before_sha),
            short_sha(&sha)
        );
        requests.extend(self.after_merge(
            (event, iid),
            &target_name,
            (before_sha, sha),
            (changes, note),
            (files, message),
        ));
        Ok(requests)
    }

    /// What a merge asks for once its commit is on the target branch: the merge request is
    /// merged, the branch's push pipeline runs, and open merge requests whose source branch is
    /// the target got new commits too.
    pub(super) fn after_merge(
        &mut self,
        (event, iid): (usize, u64),
        target_name: &str,
        shas: (String, String),
        changes: (Vec<String>, String),
        (files, message): (Files, String),
    ) -> Vec<PipelineRequest> {
        if let Some(mr) = self.merge_requests.get_mut(&iid) {
            mr.state = MergeRequestState::Merged;
        }
        let mut requests =
            vec![self.merged_push(event, target_name, shas, changes, files, message)];
        requests.extend(self.refresh_merge_requests(event, target_name, false));
        requests
    }

    /// The push pipeline a merge asks for on its target branch: `before..sha` with `changes`
    /// (and the note saying what they are), the branch's files and commit message after it.
    fn merged_push(
        &self,
        event: usize,
        target_name: &str,
        (before_sha, sha): (String, String),
        (changes, changes_note): (Vec<String>, String),
        files: Files,
        message: String,
    ) -> PipelineRequest {
        PipelineRequest {
            event,
            source: Source::Push,
            ref_kind: RefKind::Branch,
            ref_name: target_name.to_owned(),
            ref_short: target_name.to_owned(),
            sha,
            before_sha,
            merge_request: None,
            changed_paths: Some(changes),
            changes_note,
            files,
            pipeline_variables: Vec::new(),
            open_merge_requests: self.open_merge_request_refs(target_name),
            skip_ci: skips_ci(&message),
            commit_message: message,
            protected: branch_protected(&self.project, target_name),
            commit_ref_protected: None,
            schedule_description: None,
            time: self.clock,
        }
    }

    fn manual(
        &mut self,
        event: usize,
        manual: &ManualEvent,
    ) -> Result<Vec<PipelineRequest>, String> {
        let (source, what) = match manual.source {
            ManualSource::Schedule => (Source::Schedule, "schedule"),
            ManualSource::Web => (Source::Web, "web"),
            ManualSource::Api => (Source::Api, "api"),
            ManualSource::Trigger => (Source::Trigger, "trigger"),
        };
        let (ref_kind, name, head, protected, open) = match &manual.target {
            RefTarget::Branch(name) => {
                let name = if name.is_empty() {
                    self.project.default_branch.clone()
                } else {
                    name.clone()
                };
                let Some(branch) = self.branches.get(&name) else {
                    return Err(format!(
                        "{what}: branch {name} does not exist; push it first"
                    ));
                };
                let head = branch.head.clone();
                let protected = branch_protected(&self.project, &name);
                let open = self.open_merge_request_refs(&name);
                (RefKind::Branch, name, head, protected, open)
            }
            RefTarget::Tag(name) => {
                let Some(head) = self.tags.get(name) else {
                    return Err(format!("{what}: tag {name} does not exist; push it first"));
                };
                let protected = tag_protected(&self.project, name);
                (
                    RefKind::Tag,
                    name.clone(),
                    head.clone(),
                    protected,
                    Vec::new(),
                )
            }
        };
        let schedule_description = (source == Source::Schedule).then(|| {
            manual
                .description
                .clone()
                .unwrap_or_else(|| "Scheduled pipeline".to_owned())
        });
        Ok(vec![PipelineRequest {
            event,
            source,
            ref_kind,
            ref_name: name.clone(),
            ref_short: name,
            sha: head.sha,
            before_sha: ZERO_SHA.to_owned(),
            merge_request: None,
            changed_paths: None,
            changes_note: format!(
                "a {} pipeline is not started by a push, so it has no diff: rules:changes is \
                 always true",
                source.as_str()
            ),
            files: head.files,
            pipeline_variables: manual.variables.clone(),
            open_merge_requests: open,
            commit_message: head.message,
            // Web, API, schedule and trigger pipelines are created with
            // `ignore_skip_ci: true`: `[ci skip]` never skips them.
            skip_ci: false,
            protected,
            commit_ref_protected: None,
            schedule_description,
            time: self.clock,
        }])
    }

    /// The merge request pipelines a push to `branch` starts, by iid.
    fn refresh_merge_requests(
        &self,
        event: usize,
        branch: &str,
        push_skip: bool,
    ) -> Vec<PipelineRequest> {
        self.merge_request_pipelines_from(event, (None, branch), push_skip)
    }

    /// A pipeline for each open merge request whose source is `branch` of `project` (`None`:
    /// this project), by iid.
    fn merge_request_pipelines_from(
        &self,
        event: usize,
        (project, branch): (Option<&str>, &str),
        push_skip: bool,
    ) -> Vec<PipelineRequest> {
        let iids: Vec<u64> = self
            .open_merge_requests()
            .iter()
            .filter(|mr| mr.source_project.as_deref() == project && mr.source_branch == branch)
            .map(|mr| mr.iid)
            .collect();
        let kind = self.default_kind();
        iids.into_iter()
            .map(|iid| self.merge_request_pipeline(event, iid, kind, push_skip))
            .collect()
    }

    /// Merged results when the project enables them on a paid tier, otherwise detached
    /// (DOC ci/pipelines/merged_results_pipelines.md; MergeRequests::CreatePipelineService).
    fn default_kind(&self) -> MergeRequestPipelineKind {
        if self.project.tier.is_paid() && self.project.settings.merged_results_pipelines {
            MergeRequestPipelineKind::MergedResult
        } else {
            MergeRequestPipelineKind::Detached
        }
    }

    /// The pipeline merge request `iid` asks for, of `kind`, in this (its target) project.
    /// For a merge request from a fork the simulation then decides where it runs
    /// (`simulate::fork`), and asks for the detached one when a merged results pipeline cannot
    /// be created here.
    pub fn merge_request_pipeline(
        &self,
        event: usize,
        iid: u64,
        kind: MergeRequestPipelineKind,
        push_skip: bool,
    ) -> PipelineRequest {
        let mr = &self.merge_requests[&iid];
        let gone;
        let source = match self.source_branch_of(mr) {
            Some(branch) => branch,
            None => {
                gone = Branch {
                    head: Head {
                        files: Files::new(),
                        sha: ZERO_SHA.to_owned(),
                        message: String::new(),
                    },
                    changed: SortedSet::new(),
                    deleted: SortedSet::new(),
                    history: Vec::new(),
                };
                &gone
            }
        };
        let changes = self.merge_request_changes(mr);
        let (suffix, sha, files, message) = match kind {
            MergeRequestPipelineKind::Detached => (
                "head",
                source.head.sha.clone(),
                source.head.files.clone(),
                source.head.message.clone(),
            ),
            MergeRequestPipelineKind::MergedResult | MergeRequestPipelineKind::MergeTrain => {
                let suffix = if kind == MergeRequestPipelineKind::MergedResult {
                    "merge"
                } else {
                    "train"
                };
                // The internal merge commit of source into target (MergeToRefService).
                let mut files = self
                    .branches
                    .get(&mr.target_branch)
                    .map(|t| t.head.files.clone())
                    .unwrap_or_default();
                overlay(&mut files, source, &changes);
                (
                    suffix,
                    fake_sha(&format!("{event}:refs/merge-requests/{iid}/{suffix}")),
                    files,
                    merge_commit_message(&self.project, mr),
                )
            }
        };
        let note = match &mr.stated_changes {
            Some(_) => format!(
                "the paths merge request !{iid} changes against {} (as the scenario states them)",
                mr.target_branch
            ),
            None => format!(
                "the paths merge request !{iid} changes against {} (every push to {} since it \
                 was created)",
                mr.target_branch, mr.source_branch
            ),
        };
        // `[ci skip]` in the head commit skips a detached pipeline; a merged results pipeline
        // runs on the merge commit, whose message is GitLab's (UNCONFIRMED).
        let skip_ci =
            push_skip || (kind == MergeRequestPipelineKind::Detached && skips_ci(&message));
        PipelineRequest {
            event,
            source: Source::MergeRequestEvent,
            ref_kind: RefKind::MergeRequest,
            ref_name: format!("refs/merge-requests/{iid}/{suffix}"),
            ref_short: mr.source_branch.clone(),
            sha,
            before_sha: ZERO_SHA.to_owned(),
            merge_request: Some(MergeRequestInfo {
                iid,
                source_branch: mr.source_branch.clone(),
                target_branch: mr.target_branch.clone(),
                labels: mr.labels.clone(),
                title: mr.title.clone(),
                description: mr.description.clone(),
                draft: mr.draft,
                kind,
                fork: self.fork_sides(mr),
            }),
            changed_paths: Some(changes),
            changes_note: note,
            files,
            pipeline_variables: Vec::new(),
            // `related_merge_requests` of an MR pipeline: the open MRs of the same source
            // branch, this one included.
            open_merge_requests: self
                .open_merge_request_refs_from(mr.source_project.as_deref(), &mr.source_branch),
            commit_message: message,
            skip_ci,
            // refs/merge-requests/* are never protected refs.
            protected: false,
            commit_ref_protected: None,
            schedule_description: None,
            time: self.clock,
        }
    }

    /// What merge request `mr` changes: as stated, or everything its source branch changed.
    fn merge_request_changes(&self, mr: &MergeRequest) -> Vec<String> {
        match &mr.stated_changes {
            Some(changes) => sorted_unique(changes.iter().cloned()),
            None => self
                .source_branch_of(mr)
                .map(|b| b.changed.iter().cloned().collect())
                .unwrap_or_default(),
        }
    }

    /// Both projects of a merge request from a fork, for its predefined variables.
    fn fork_sides(&self, mr: &MergeRequest) -> Option<super::ForkSides> {
        let project = mr.source_project.as_ref()?;
        let fork = self
            .fork_branches
            .get(&(project.clone(), mr.source_branch.clone()));
        Some(super::ForkSides {
            target_path: self.project.path.clone(),
            target_id: super::variables::project_id(&self.project),
            target_branch_protected: branch_protected(&self.project, &mr.target_branch),
            source_path: project.clone(),
            source_id: fork.map_or(super::variables::PROJECT_ID, |f| f.project_id),
            source_branch_protected: fork.is_some_and(|f| f.protected),
        })
    }

    /// `CI_OPEN_MERGE_REQUESTS` entries for a pipeline on `branch`: open merge requests whose
    /// source branch it is, newest first, at most 4 (`open_merge_requests_refs`:
    /// `.limit(4).order(id: :desc)`, `to_reference(full: true)`).
    fn open_merge_request_refs(&self, branch: &str) -> Vec<String> {
        let mut refs = self.open_merge_request_refs_from(None, branch);
        // A fork's merge requests into its parent come from its branches too (after this
        // project's own: pipesim does not order them by GitLab's global id).
        refs.extend(
            self.outgoing
                .iter()
                .filter(|(b, _)| b == branch)
                .map(|(_, reference)| reference.clone()),
        );
        refs.truncate(MAX_OPEN_MERGE_REQUESTS_REFS);
        refs
    }

    /// [`Self::open_merge_request_refs`] for the merge requests from `branch` of
    /// `source_project` (`None`: this project).
    fn open_merge_request_refs_from(
        &self,
        source_project: Option<&str>,
        branch: &str,
    ) -> Vec<String> {
        self.merge_requests
            .values()
            .rev()
            .filter(|mr| {
                mr.state == MergeRequestState::Open
                    && mr.source_branch == branch
                    && mr.source_project.as_deref() == source_project
            })
            .take(MAX_OPEN_MERGE_REQUESTS_REFS)
            .map(|mr| format!("{}!{}", self.project.path, mr.iid))
            .collect()
    }

    /// GitLab refuses a merge request whose target branch does not exist. Scenarios often name
    /// a target they never pushed (e.g. `staging`); pipesim then assumes it was created from
    /// the default branch's head, and records a note.
    fn ensure_target(&mut self, event: usize, iid: u64, target: &str) {
        if self.branches.contains_key(target) {
            return;
        }
        let base = self.default_branch().head.clone();
        let history = self.default_branch().history.clone();
        self.branches.insert(
            target.to_owned(),
            Branch {
                head: base,
                changed: SortedSet::new(),
                deleted: SortedSet::new(),
                history,
            },
        );
        self.notes.push((
            event,
            format!(
                "branch {target}, the target of merge request !{iid}, was never pushed; pipesim \
                 assumes it exists with the content of {} (GitLab requires an existing target \
                 branch)",
                self.project.default_branch
            ),
        ));
    }

    fn default_branch(&self) -> &Branch {
        self.branches
            .get(&self.project.default_branch)
            .expect("the default branch always exists")
    }
}

/// The paths a push touches: its stated changes, the files it sets and the paths it deletes.
fn touched_paths(push: &Push) -> Vec<String> {
    sorted_unique(
        push.changes
            .iter()
            .flatten()
            .cloned()
            .chain(push.files.iter().map(|(path, _)| path.clone()))
            .chain(push.deleted.iter().cloned())
            .map(|p| crate::source::normalize_path(&p)),
    )
}

fn record_changes(branch: &mut Branch, push: &Push, touched: &[String]) {
    for path in touched {
        branch.changed.insert(path.clone());
    }
    for path in &push.deleted {
        branch.deleted.insert(crate::source::normalize_path(path));
    }
    for (path, _) in &push.files {
        branch.deleted.remove(&crate::source::normalize_path(path));
    }
}

/// Sets the push's files and removes its deleted paths.
fn apply_files(files: &mut Files, push: &Push) {
    if !push.deleted.is_empty() {
        let deleted: SortedSet<String> = push
            .deleted
            .iter()
            .map(|p| crate::source::normalize_path(p))
            .collect();
        remove_paths(files, &deleted);
    }
    for (path, text) in &push.files {
        files.insert(path, text.clone());
    }
}

fn remove_paths(files: &mut Files, paths: &SortedSet<String>) {
    if !files.iter().any(|(_, f)| paths.contains(&f.path)) {
        return;
    }
    *files = files
        .iter()
        .filter(|(_, f)| !paths.contains(&f.path))
        .map(|(_, f)| (f.path.clone(), f.text.clone()))
        .collect();
}

/// The target's files after merging `source`'s `changes` into them: changed files take the
/// source's content; paths the source deleted are removed.
fn overlay(files: &mut Files, source: &Branch, changes: &[String]) {
    let deleted: SortedSet<String> = changes
        .iter()
        .filter(|p| source.deleted.contains(*p) && source.head.files.find(p).is_none())
        .cloned()
        .collect();
    remove_paths(files, &deleted);
    for path in changes {
        if let Some(id) = source.head.files.find(path) {
            files.insert(path, source.head.files.get(id).text.clone());
        }
    }
}

/// The target's ancestry after a merge commit: it now also reaches the source's commits.
fn merge_history(target: &mut Vec<String>, source: &[String]) {
    target.extend(source.iter().cloned());
    crate::sort::sort_dedup(target);
}

fn sorted_unique(paths: impl Iterator<Item = String>) -> Vec<String> {
    let mut paths: Vec<String> = paths.collect();
    crate::sort::sort_dedup(&mut paths);
    paths
}

fn sorted_labels(labels: &[String]) -> Vec<String> {
    sorted_unique(labels.iter().cloned())
}

/// "Update a.txt, b.txt" (like GitLab's Web IDE), or "Update feature" when no path is named.
fn default_message(ref_name: &str, touched: &[String]) -> String {
    match touched.len() {
        0 => format!("Update {ref_name}"),
        1..=3 => format!("Update {}", touched.join(", ")),
        n => format!(
            "Update {} and {} more files",
            touched[..3].join(", "),
            n - 3
        ),
    }
}

/// `MergeRequest#default_merge_commit_message`: the project's merge commit template filled
/// (`template.rs`), else "Merge branch 'S' into 'T'", the title, and "See merge request
/// <path>!<iid>", separated by blank lines.
fn merge_commit_message(project: &Project, mr: &MergeRequest) -> String {
    if let Some(template) = project
        .settings
        .merge_commit_template
        .as_deref()
        .filter(|t| !t.trim().is_empty())
    {
        return template::fill(template, project, mr).0;
    }
    format!(
        "Merge branch '{}' into '{}'\n\n{}\n\nSee merge request {}!{}",
        mr.source_branch, mr.target_branch, mr.title, project.path, mr.iid
    )
}

/// The title GitLab proposes for a merge request from `source` (MergeRequests::BuildService:
/// the branch name humanized, "my-feature" → "My feature"), with the "Draft: " prefix when the
/// merge request is a draft. A title starting with "Draft:" makes it a draft.
fn title_and_draft(title: Option<&str>, draft: bool, source: &str) -> (String, bool) {
    let title = match title {
        Some(t) => t.to_owned(),
        None => {
            let words = source.replace(['-', '_'], " ").to_lowercase();
            let mut chars = words.chars();
            match chars.next() {
                Some(first) => std::iter::once(crate::casing::capital(first))
                    .chain(chars)
                    .collect(),
                None => source.to_owned(),
            }
        }
    };
    let has_prefix = is_draft_title(&title);
    if draft && !has_prefix {
        (format!("Draft: {title}"), true)
    } else {
        (title, draft || has_prefix)
    }
}

/// `MergeRequest::DRAFT_REGEX`-like check: "Draft:", "[Draft]" or "(Draft)" at the start.
fn is_draft_title(title: &str) -> bool {
    let lower = title.trim_start().to_lowercase();
    lower.starts_with("draft:") || lower.starts_with("[draft]") || lower.starts_with("(draft)")
}
