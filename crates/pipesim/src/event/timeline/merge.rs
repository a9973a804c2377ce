//! Merge methods and squashing, as MergeRequests::MergeStrategies::FromSourceBranch merges
//! (gitlabhq/gitlabhq app/services/merge_requests/merge_strategies/from_source_branch.rb):
//! a merge commit (`merge_commit!`, the message of `MergeRequest#default_merge_commit_message`),
//! a fast-forward (`fast_forward!`: no new commit, the target moves to the source's head), the
//! squash commit first when the merge request squashes (`squash_sha!`, MergeRequests::SquashService
//! with `MergeRequest#default_squash_commit_message`). The branch update reaches GitLab as a push
//! to the target branch (Git::ProcessRefChangesService), which asks for a branch pipeline.

use super::{merge_commit_message, merge_history, overlay, MergeRequest, Timeline};
use crate::event::variables::{fake_sha, short_sha};
use crate::event::{MergeMethod, MergeRequestPipelineKind, PipelineRequest, SquashOption};

/// `validate!` when the source branch is behind the target and the project only allows
/// fast-forward merges or semi-linear history (`should_be_rebased?`).
pub const SHOULD_BE_REBASED: &str =
    "Only fast-forward merge is allowed for your project. Please update your source branch";

/// `validate!` when the project always squashes and the merge request does not
/// (`MergeRequest#missing_required_squash?`).
pub const SQUASH_REQUIRED: &str =
    "This project requires squashing commits when merge requests are accepted.";

/// `validate!` when `mergeable?` is false.
pub const NOT_MERGEABLE: &str = "Merge request is not mergeable";

/// How one merge writes the target branch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Plan {
    method: MergeMethod,
    squash: bool,
}

impl Timeline {
    /// The plan of a merge that is not the plain merge commit the timeline always made
    /// (`None`: merge method `merge`, no squash).
    pub(super) fn non_default_merge(&self, mr: &MergeRequest) -> Option<Plan> {
        let squash = match self.project.settings.squash_option {
            SquashOption::Always => true,
            SquashOption::Never => false,
            SquashOption::DefaultOn | SquashOption::DefaultOff => mr.squash,
        };
        let method = self.project.settings.merge_method;
        let required = self.project.settings.squash_option == SquashOption::Always;
        // A merge commit template goes this way too, for its notes.
        let template = self.project.settings.merge_commit_template.is_some();
        (method != MergeMethod::Merge || squash || required || template)
            .then_some(Plan { method, squash })
    }

    /// Merges `mr` with `plan`: the train pipeline first when trains are on, then the push to
    /// the target branch. A merge GitLab refuses leaves the merge request open and asks for no
    /// pipeline; its message is recorded as a failure of the event.
    pub(super) fn merge_with_method(
        &mut self,
        event: usize,
        mr: &MergeRequest,
        plan: Plan,
    ) -> Result<Vec<PipelineRequest>, String> {
        let iid = mr.iid;
        let Some(source) = self.source_branch_of(mr).cloned() else {
            return Err(format!(
                "merge: the source branch {} of !{iid} does not exist",
                mr.source_branch
            ));
        };
        self.ensure_target(event, iid, &mr.target_branch);
        let target = &self.branches[&mr.target_branch];
        let up_to_date = source.history.contains(&target.head.sha);
        if plan.method != MergeMethod::Merge && !up_to_date {
            self.failures.push((
                event,
                SHOULD_BE_REBASED.to_owned(),
                format!(
                    "The project's merge method ({}) needs {} to contain the head of {}, which moved since the branch was created. GitLab leaves merge request !{iid} open and creates no pipeline. Rebase the source branch (push it again from the target) first; GitLab's \"automatic rebase\" project setting is not simulated.",
                    method_name(plan.method),
                    mr.source_branch,
                    mr.target_branch
                ),
            ));
            return Ok(Vec::new());
        }
        if self.project.settings.squash_option == SquashOption::Always && !mr.squash {
            self.failures.push((
                event,
                SQUASH_REQUIRED.to_owned(),
                format!("The project's squash option is \"Require\" (squash_option: always) and merge request !{iid} says squash: false; GitLab refuses the merge and the merge request stays open."),
            ));
            return Ok(Vec::new());
        }
        let own_commits = commits_not_in(&source.history, &target.history);
        if own_commits == 0 {
            self.failures.push((
                event,
                NOT_MERGEABLE.to_owned(),
                format!(
                    "{} has no commit that {} lacks, so merge request !{iid} has no commits; pipesim takes such a merge request as not mergeable (MergeRequest#broken? counts `has_no_commits?`), which it did not check against GitLab's mergeability checks. The merge request stays open and no pipeline runs.",
                    mr.source_branch, mr.target_branch
                ),
            ));
            return Ok(Vec::new());
        }

        let mut requests = Vec::new();
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

        // SquashService: one commit and no squash message given is no squash at all.
        let squashes = plan.squash && own_commits >= 2;
        if plan.squash && !squashes {
            self.notes.push((
                event,
                format!(
                    "merge request !{iid} squashes, but {} has a single commit of its own and no squash commit message was given, so GitLab keeps that commit as it is (MergeRequests::SquashService); the merge widget sends its pre-filled message and would make a squash commit",
                    mr.source_branch
                ),
            ));
        }
        let squash_sha = fake_sha(&format!("{event}:squash!{iid}"));
        // MergeRequest#default_squash_commit_message: the squash template, else the title.
        let squash_message = self.squash_message(event, mr, squashes);
        self.note_unfilled_merge_template(event, mr);
        let changes = self.merge_request_changes(mr);
        let target_name = mr.target_branch.clone();
        let merge_message = merge_commit_message(&self.project, mr);
        let merge_sha = fake_sha(&format!("{event}:{target_name}:merge!{iid}"));
        let target = self
            .branches
            .get_mut(&target_name)
            .expect("ensure_target created it");
        let before_sha = target.head.sha.clone();
        let (sha, message, what) = match (plan.method, squashes) {
            (MergeMethod::FastForward, false) => {
                // `fast_forward!` of the source's head: the target is now the source.
                target.head = source.head.clone();
                target.history = source.history.clone();
                (
                    source.head.sha.clone(),
                    source.head.message.clone(),
                    format!(
                        "the fast-forward of {target_name} to the head of {}",
                        mr.source_branch
                    ),
                )
            }
            (MergeMethod::FastForward, true) => {
                target.head.files = source.head.files.clone();
                target.head.sha = squash_sha.clone();
                target.head.message = squash_message.clone();
                target.history.push(squash_sha.clone());
                (
                    squash_sha,
                    squash_message,
                    format!("the fast-forward of {target_name} to the squash commit of !{iid}"),
                )
            }
            (_, squashed) => {
                overlay(&mut target.head.files, &source, &changes);
                target.head.sha = merge_sha.clone();
                target.head.message = merge_message.clone();
                if squashed {
                    target.history.push(squash_sha);
                } else {
                    merge_history(&mut target.history, &source.history);
                }
                target.history.push(merge_sha.clone());
                let what = if squashed {
                    format!("the merge commit of !{iid} (its squash commit merged)")
                } else {
                    format!("the merge commit of !{iid}")
                };
                (merge_sha, merge_message, what)
            }
        };
        for path in &changes {
            target.changed.insert(path.clone());
            if source.deleted.contains(path) {
                target.deleted.insert(path.clone());
            } else {
                target.deleted.remove(path);
            }
        }
        let files = target.head.files.clone();
        let note = format!(
            "the paths {what} changes on {target_name} ({}..{})",
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
}

impl Timeline {
    /// `default_squash_commit_message`: the squash template filled (when it fills to
    /// something), else the title.
    fn squash_message(&mut self, event: usize, mr: &MergeRequest, squashes: bool) -> String {
        let template = self
            .project
            .settings
            .squash_commit_template
            .clone()
            .filter(|t| !t.trim().is_empty());
        let Some(template) = template else {
            return mr.title.clone();
        };
        let (message, unknown) = super::template::fill(&template, &self.project, mr);
        if squashes && !unknown.is_empty() {
            self.notes.push((event, unfilled_note("squash", &unknown)));
        }
        if message.trim().is_empty() {
            mr.title.clone()
        } else {
            message
        }
    }

    fn note_unfilled_merge_template(&mut self, event: usize, mr: &MergeRequest) {
        let Some(template) = self.project.settings.merge_commit_template.clone() else {
            return;
        };
        let (_, unknown) = super::template::fill(&template, &self.project, mr);
        if !unknown.is_empty() {
            self.notes.push((event, unfilled_note("merge", &unknown)));
        }
    }
}

fn unfilled_note(which: &str, unknown: &[String]) -> String {
    format!(
        "the {which} commit template's placeholders {} need commits, users or URLs pipesim does not have; they are left empty (and their lines removed, as GitLab removes a line whose placeholder is blank)",
        unknown
            .iter()
            .map(|n| format!("%{{{n}}}"))
            .collect::<Vec<_>>()
            .join(", ")
    )
}

fn method_name(method: MergeMethod) -> &'static str {
    match method {
        MergeMethod::Merge => "merge commit",
        MergeMethod::RebaseMerge => "merge commit with semi-linear history",
        MergeMethod::FastForward => "fast-forward merge",
    }
}

/// How many commits of `source` the target does not have (`MergeRequest#commits_count`).
fn commits_not_in(source: &[String], target: &[String]) -> usize {
    let mut known: Vec<&str> = target.iter().map(String::as_str).collect();
    crate::sort::sort_dedup(&mut known);
    source
        .iter()
        .filter(|sha| known.binary_search(&sha.as_str()).is_err())
        .count()
}

#[cfg(test)]
mod tests {
    use crate::event::variables::ZERO_SHA as ZERO_SHA_FOR_TESTS;
    use crate::event::{Event, MergeMethod, MergeRequestEvent, Project, Push, RefTarget, Timeline};
    use crate::source::Files;

    fn push(branch: &str, path: &str) -> Event {
        Event::Push(Push {
            target: RefTarget::Branch(branch.to_owned()),
            changes: Some(vec![path.to_owned()]),
            message: Some(format!("Change {path}")),
            ..Push::default()
        })
    }

    fn open(iid: u64, source: &str, squash: Option<bool>) -> Event {
        Event::MergeRequest(MergeRequestEvent {
            iid,
            source_branch: source.to_owned(),
            target_branch: "main".to_owned(),
            title: Some(format!("MR {iid}")),
            squash,
            ..MergeRequestEvent::default()
        })
    }

    fn timeline(method: MergeMethod) -> Timeline {
        let mut project = Project::new("group/app");
        project.settings.merge_method = method;
        let mut files = Files::new();
        files.insert(".gitlab-ci.yml", "a: {script: x}".to_owned());
        Timeline::new(&project, &files)
    }

    // from_source_branch.rb fast_forward!: main's pipeline runs on the source's head commit,
    // with main's previous head as the before SHA.
    #[test]
    fn fast_forward_runs_main_on_the_source_head() {
        let mut t = timeline(MergeMethod::FastForward);
        let main_before = t.head_sha("main").unwrap().to_owned();
        t.apply(1, &push("feature", "a.c")).unwrap();
        let feature_head = t.head_sha("feature").unwrap().to_owned();
        t.apply(2, &open(1, "feature", None)).unwrap();
        let requests = t.apply(3, &Event::Merge { iid: 1 }).unwrap();
        let main = requests.iter().find(|r| r.ref_name == "main").unwrap();
        assert_eq!(main.sha, feature_head);
        assert_eq!(main.before_sha, main_before);
        assert_eq!(main.commit_message, "Change a.c");
        assert_eq!(t.head_sha("main"), Some(feature_head.as_str()));
    }

    // A merge commit (merge method `merge`) is a new commit whose message is GitLab's.
    #[test]
    fn merge_commit_is_a_new_commit() {
        let mut t = timeline(MergeMethod::RebaseMerge);
        t.apply(1, &push("feature", "a.c")).unwrap();
        let feature_head = t.head_sha("feature").unwrap().to_owned();
        t.apply(2, &open(1, "feature", None)).unwrap();
        let requests = t.apply(3, &Event::Merge { iid: 1 }).unwrap();
        let main = requests.iter().find(|r| r.ref_name == "main").unwrap();
        assert_ne!(main.sha, feature_head);
        assert!(main
            .commit_message
            .starts_with("Merge branch 'feature' into 'main'"));
    }

    // `should_be_rebased?`: main moved since the branch was made; semi-linear history refuses.
    #[test]
    fn semi_linear_history_needs_an_up_to_date_branch() {
        let mut t = timeline(MergeMethod::RebaseMerge);
        t.apply(1, &push("feature", "a.c")).unwrap();
        t.apply(2, &push("main", "b.c")).unwrap();
        t.apply(3, &open(1, "feature", None)).unwrap();
        let requests = t.apply(4, &Event::Merge { iid: 1 }).unwrap();
        assert!(requests.is_empty());
        assert_eq!(t.failures()[0].1, super::SHOULD_BE_REBASED);
        assert_eq!(t.open_merge_requests().len(), 1);
    }

    // A branch made from another ref without a commit points at that ref's head; its
    // pipeline has the blank before SHA and no computable changes.
    #[test]
    fn branch_from_a_ref_without_a_commit() {
        let mut t = timeline(MergeMethod::Merge);
        t.apply(1, &push("feature", "a.c")).unwrap();
        let feature_head = t.head_sha("feature").unwrap().to_owned();
        let requests = t
            .apply(
                2,
                &Event::Push(Push {
                    target: RefTarget::Branch("copy".to_owned()),
                    from: Some("feature".to_owned()),
                    ..Push::default()
                }),
            )
            .unwrap();
        assert_eq!(requests[0].sha, feature_head);
        assert_eq!(requests[0].before_sha, ZERO_SHA_FOR_TESTS);
        assert!(requests[0].changed_paths.is_none());
        assert_eq!(t.changed_since_base("copy"), Some(vec!["a.c".to_owned()]));
    }
}
