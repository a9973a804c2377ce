//! One `git push` of several refs, deletions, and branches or tags made from another ref, as
//! GitLab processes a push (gitlabhq/gitlabhq app/services/git/process_ref_changes_service.rb):
//! branch changes first, then tag changes, each grouped by action (created, pushed, removed) in
//! the order they first appear; only the first `git_push_pipeline_limit` refs of the push (by
//! their index in it) get a branch or tag pipeline (`under_process_limit?`), and a deletion gets
//! none (app/services/git/base_hooks_service.rb `create_pipeline?`: `!removing_ref?`). Merge
//! request pipelines come from UpdateMergeRequestsWorker, which runs for every branch change
//! whatever the limit, and not for a deleted branch, whose merge requests close
//! (app/services/merge_requests/refresh_service.rb). A push GitLab's pre-receive checks refuse
//! (lib/gitlab/checks/branch_check.rb) updates no ref at all.

use super::{Branch, Head, MergeRequestState, Timeline};
use crate::event::variables::{branch_protected, fake_sha};
use crate::event::{PipelineRequest, Push, RefTarget, Role};
use crate::sorted::SortedSet;

/// lib/gitlab/checks/branch_check.rb `ERROR_MESSAGES`.
pub const DELETE_DEFAULT_BRANCH: &str = "The default branch of a project cannot be deleted.";
pub const NON_WEB_DELETE_PROTECTED_BRANCH: &str =
    "You can only delete protected branches using the web interface.";
pub const NON_MAINTAINER_DELETE_PROTECTED_BRANCH: &str = "You are not allowed to delete protected branches from this project. Only a project maintainer or owner can delete a protected branch.";

/// What a ref change does (ProcessRefChangesService#change_action).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    Created,
    Pushed,
    Removed,
}

impl Push {
    /// A push of one ref that neither deletes it nor names where it starts: the form every
    /// scenario had before several refs per push.
    pub fn is_plain(&self) -> bool {
        self.other_refs.is_empty() && !self.delete && self.from.is_none()
    }
}

impl Timeline {
    /// A push of one or several refs (`push` and its `other_refs`).
    pub(super) fn push_refs(
        &mut self,
        event: usize,
        push: &Push,
    ) -> Result<Vec<PipelineRequest>, String> {
        // Every ref of the push, with the push's options.
        let mut refs: Vec<Push> = Vec::with_capacity(1 + push.other_refs.len());
        refs.push(Push {
            other_refs: Vec::new(),
            ..push.clone()
        });
        for other in &push.other_refs {
            refs.push(Push {
                skip_ci: push.skip_ci,
                variables: push.variables.clone(),
                other_refs: Vec::new(),
                ..other.clone()
            });
        }
        self.check_refs(event, &refs)?;
        if self.refused(event, &refs) {
            return Ok(Vec::new());
        }
        let actions: Vec<Action> = refs.iter().map(|r| self.action(r)).collect();

        // Update every ref in the push's order, keeping each one's requests.
        let mut per_ref: Vec<Vec<PipelineRequest>> = Vec::with_capacity(refs.len());
        for (one, action) in refs.iter().zip(&actions) {
            let requests = match (&one.target, action) {
                (RefTarget::Branch(name), Action::Removed) => {
                    self.delete_branch(event, name);
                    Vec::new()
                }
                (RefTarget::Tag(name), Action::Removed) => {
                    self.tags.remove(name);
                    Vec::new()
                }
                (RefTarget::Branch(name), _) => self.push_branch(event, name, one)?,
                (RefTarget::Tag(name), _) => self.push_tag(event, name, one)?,
            };
            per_ref.push(requests);
        }

        // GitLab's order: branches, then tags; by action in order of first appearance.
        let limit = self.project.settings.git_push_pipeline_limit as usize;
        let mut order: Vec<usize> = (0..refs.len()).collect();
        // Each ref's group: (is a tag, where its action first appears among its kind).
        let slot = |i: usize| {
            usize::from(matches!(refs[i].target, RefTarget::Tag(_))) * 3 + actions[i] as usize
        };
        let mut first = [usize::MAX; 6];
        for i in 0..refs.len() {
            first[slot(i)] = first[slot(i)].min(i);
        }
        let group: Vec<(bool, usize)> = (0..refs.len())
            .map(|i| (matches!(refs[i].target, RefTarget::Tag(_)), first[slot(i)]))
            .collect();
        crate::sort::sort_by(&mut order, |a: &usize, b: &usize| group[*a].cmp(&group[*b]));
        let mut omitted = Vec::new();
        let mut requests = Vec::new();
        for index in order {
            let mut these = std::mem::take(&mut per_ref[index]);
            let under_limit = limit == 0 || index < limit;
            if !under_limit && actions[index] != Action::Removed {
                // The ref's own pipeline is not created; its merge requests' pipelines are.
                these.retain(|r| r.merge_request.is_some());
                omitted.push(refs[index].target.name().to_owned());
            }
            requests.extend(these);
        }
        if !omitted.is_empty() {
            self.notes.push((
                event,
                format!(
                    "this push updates {} refs and GitLab creates branch and tag pipelines for the first {limit} only (the instance setting git_push_pipeline_limit): no pipeline for {} (GitLab logs \"Some pipelines may not have been created because ref count exceeded limit\")",
                    refs.len(),
                    omitted.join(", ")
                ),
            ));
        }
        for (one, action) in refs.iter().zip(&actions) {
            if *action == Action::Removed {
                self.notes.push((
                    event,
                    format!(
                        "the push deletes {} {}; GitLab creates no pipeline for a deleted ref",
                        match one.target {
                            RefTarget::Branch(_) => "branch",
                            RefTarget::Tag(_) => "tag",
                        },
                        one.target.name()
                    ),
                ));
            }
        }
        Ok(requests)
    }

    fn action(&self, one: &Push) -> Action {
        let exists = match &one.target {
            RefTarget::Branch(name) => self.branches.contains_key(name),
            RefTarget::Tag(name) => self.tags.contains_key(name),
        };
        if one.delete {
            Action::Removed
        } else if exists {
            Action::Pushed
        } else {
            Action::Created
        }
    }

    /// What pipesim cannot apply (the scenario's mistakes, not GitLab's refusals).
    fn check_refs(&self, _event: usize, refs: &[Push]) -> Result<(), String> {
        let mut seen: SortedSet<(bool, &str)> = SortedSet::new();
        for one in refs {
            let name = one.target.name();
            if name.is_empty() {
                return Err("push: a ref of the push has an empty name".to_owned());
            }
            if !seen.insert((matches!(one.target, RefTarget::Tag(_)), name)) {
                return Err(format!("push: {name} is named twice in one push"));
            }
            let (kind, exists) = match &one.target {
                RefTarget::Branch(n) => ("branch", self.branches.contains_key(n)),
                RefTarget::Tag(n) => ("tag", self.tags.contains_key(n)),
            };
            if one.delete {
                if !exists {
                    return Err(format!(
                        "push: {kind} {name} does not exist, so the push cannot delete it"
                    ));
                }
                if !one.files.is_empty()
                    || !one.deleted.is_empty()
                    || one.changes.is_some()
                    || one.message.is_some()
                    || one.from.is_some()
                {
                    return Err(format!(
                        "push: deleting {kind} {name} takes no files, changes, message or from"
                    ));
                }
            }
            if let Some(from) = &one.from {
                if matches!(one.target, RefTarget::Branch(_)) && exists {
                    return Err(format!(
                        "push: branch {name} already exists; `from:` only says where a new branch starts"
                    ));
                }
                if self.head_of(from).is_none() {
                    return Err(format!(
                        "push: `from: {from}` is neither a branch nor a tag at this point of the timeline"
                    ));
                }
            }
        }
        Ok(())
    }

    /// GitLab's pre-receive checks (lib/gitlab/checks/branch_check.rb): a refused ref refuses
    /// the whole push, which then updates nothing.
    fn refused(&mut self, event: usize, refs: &[Push]) -> bool {
        for one in refs.iter().filter(|r| r.delete) {
            let RefTarget::Branch(name) = &one.target else {
                continue;
            };
            let (message, why) = if *name == self.project.default_branch {
                (
                    DELETE_DEFAULT_BRANCH,
                    format!("{name} is the project's default branch. Make another branch the default first (Settings > Repository)."),
                )
            } else if branch_protected(&self.project, name) {
                if self.project.access < Role::Maintainer {
                    (
                        NON_MAINTAINER_DELETE_PROTECTED_BRANCH,
                        format!(
                            "{name} is a protected branch, and the scenario's user is {} here.",
                            self.project.access.as_str()
                        ),
                    )
                } else {
                    (
                        NON_WEB_DELETE_PROTECTED_BRANCH,
                        format!("{name} is a protected branch: a maintainer deletes it on the Branches page, not with git push."),
                    )
                }
            } else {
                continue;
            };
            self.failures.push((
                event,
                message.to_owned(),
                format!("GitLab's pre-receive check rejects the push, so no ref of it changes and no pipeline is created. {why}"),
            ));
            return true;
        }
        false
    }

    /// The head commit of a branch (first) or tag called `name`, with its ancestry.
    pub(super) fn head_of(&self, name: &str) -> Option<(Head, Vec<String>, &'_ Branch)> {
        match self.branches.get(name) {
            Some(branch) => Some((branch.head.clone(), branch.history.clone(), branch)),
            None => {
                let head = self.tags.get(name)?;
                Some((head.clone(), vec![head.sha.clone()], self.default_branch()))
            }
        }
    }

    /// The branch a push creates: from `from`'s head (the default branch's when `None`). With
    /// `from` and nothing else pushed, the new branch points at that commit (no new commit).
    pub(super) fn new_branch(&self, event: usize, name: &str, push: &Push) -> Branch {
        let from = push.from.as_deref().unwrap_or(&self.project.default_branch);
        let (head, history, base) = self.head_of(from).unwrap_or_else(|| {
            let d = self.default_branch();
            (d.head.clone(), d.history.clone(), d)
        });
        // What a merge request from the new branch changes against the default branch: what
        // its base branch changed (nothing for a tag or the default branch).
        let (changed, deleted) = if push.from.is_some()
            && from != self.project.default_branch
            && self.branches.contains_key(from)
        {
            (base.changed.clone(), base.deleted.clone())
        } else {
            (SortedSet::new(), SortedSet::new())
        };
        let mut branch = Branch {
            head,
            changed,
            deleted,
            history,
        };
        let adds_commit = push.from.is_none()
            || !push.files.is_empty()
            || !push.deleted.is_empty()
            || push.changes.is_some()
            || push.message.is_some();
        if adds_commit {
            let sha = fake_sha(&format!("{event}:{name}:push"));
            branch.head.sha = sha.clone();
            branch.history.push(sha);
        }
        branch
    }

    /// Removes a branch; its open merge requests close (RefreshService
    /// `close_upon_missing_source_branch_ref`), and no merge request pipeline runs.
    fn delete_branch(&mut self, event: usize, name: &str) {
        self.branches.remove(name);
        let mut closed = Vec::new();
        let iids: Vec<u64> = self
            .open_merge_requests()
            .iter()
            .filter(|mr| mr.source_branch == name && mr.source_project.is_none())
            .map(|mr| mr.iid)
            .collect();
        for iid in iids {
            if let Some(mr) = self.merge_requests.get_mut(&iid) {
                mr.state = MergeRequestState::Closed;
                closed.push(format!("!{iid}"));
            }
        }
        if !closed.is_empty() {
            self.notes.push((
                event,
                format!(
                    "deleting branch {name} closes merge request {} (its source branch is gone)",
                    closed.join(", ")
                ),
            ));
        }
    }
}
