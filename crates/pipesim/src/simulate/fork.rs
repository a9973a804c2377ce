//! Merge requests from forks, as app/services/merge_requests/create_pipeline_service.rb
//! (`pipeline_project_and_ref`, `can_create_pipeline_in_target_project?`) and its EE override
//! ee/app/services/ee/merge_requests/create_pipeline_service.rb
//! (`create_merged_result_pipeline_for`) decide where the pipeline runs, with
//! lib/gitlab/ci/pipeline/chain/validate/abilities.rb checking the user there.
//!
//! The merge request lives in its target project's timeline; its source branch is a branch of
//! the fork's. The simulation keeps the target's copy of that branch current
//! ([`sync_into`]), asks the target for the merge request pipelines a push to the fork starts
//! ([`refresh_parents`]), and then [`place`]s each one in the fork or in the parent.

use crate::diagnostic::{Diagnostic, Finding};
use crate::event::{
    variables::branch_protected, Event, MergeRequestPipelineKind, PipelineRequest, Project,
    RefTarget, Role, Timeline,
};
use crate::source::Files;

/// chain/validate/abilities.rb: the user may not create pipelines in the project.
pub const INSUFFICIENT_PERMISSIONS: &str = "Insufficient permissions to create a new pipeline";

/// chain/validate/abilities.rb, the ref the user may not write to, with the message's link
/// reduced to its text by `Chain::Helpers#error` (`sanitize(message, tags: [])`).
pub fn ref_permission_message(ref_name: &str) -> String {
    format!(
        "You do not have sufficient permission to run a pipeline on '{ref_name}'. Please select a different branch or contact your administrator for assistance. Learn more"
    )
}

/// merge_request.rb `validate_fork`: the source project must be the target or in its fork
/// network (both forks, at any depth, of the same project).
pub const NOT_A_FORK: &str = "Source project is not a fork of the target project";

/// Whether projects `a` and `b` are in one fork network: the same root after following
/// `fork_of` (a chain longer than the scenario's projects is a loop, and stops).
pub fn same_network(world: &[Timeline], a: &str, b: &str) -> bool {
    let root = |path: &str| -> String {
        let mut current = path.to_owned();
        for _ in 0..world.len() {
            let parent = world
                .iter()
                .find(|t| t.project().path == current)
                .and_then(|t| t.project().fork_of.clone());
            match parent {
                Some(parent) => current = parent,
                None => break,
            }
        }
        current
    };
    root(a) == root(b)
}

/// The refusal of a merge request event whose source project is outside the target's fork
/// network: GitLab's validation message, and our explanation.
pub fn network_refusal(world: &[Timeline], k: usize, event: &Event) -> Option<(String, String)> {
    let Event::MergeRequest(mr) = event else {
        return None;
    };
    let source = mr.source_project.as_ref()?;
    let target = &world[k].project().path;
    if source == target || same_network(world, source, target) {
        return None;
    }
    Some((
        NOT_A_FORK.to_owned(),
        format!(
            "{source} is not a fork of {target} (give it `fork_of: {target}`), and GitLab opens a merge request between two projects only within one fork network (app/models/merge_request.rb `validate_fork`; pipesim did not read that validation in this GitLab version, so the wording is unconfirmed). No merge request, no pipeline."
        ),
    ))
}

/// Before an event of project `k`: its copies of the fork branches its open merge requests
/// (and the merge request the event opens) come from, taken from the forks now. A scenario
/// without forks pays one scan of no merge requests.
pub fn sync_into(world: &mut [Timeline], k: usize, event: &Event) {
    let path = world[k].project().path.clone();
    let outgoing: Vec<(String, String)> = world
        .iter()
        .enumerate()
        .filter(|(t, _)| *t != k)
        .flat_map(|(_, t)| t.merge_requests_from(&path))
        .collect();
    world[k].set_outgoing(outgoing);
    let mut sources = world[k].fork_sources();
    if let Event::MergeRequest(mr) = event {
        if let Some(project) = mr.source_project.as_ref() {
            if *project != world[k].project().path {
                sources.push((project.clone(), mr.source_branch.clone()));
            }
        }
    }
    for (project, branch) in sources {
        let copy = world
            .iter()
            .find(|t| t.project().path == project)
            .and_then(|fork| fork.fork_branch(&branch));
        world[k].sync_fork_branch(&project, &branch, copy);
    }
}

/// After a push in project `k`: the merge request pipelines it starts in the projects its
/// branches have open merge requests into (MergeRequests::RefreshService refreshes the
/// source project's merge requests wherever they target), and the merge requests a deleted
/// branch closes. Each request comes with the index of the project the merge request is in.
pub fn refresh_parents(
    world: &mut [Timeline],
    k: usize,
    event: (usize, &Event),
) -> Vec<(usize, PipelineRequest)> {
    let (index, Event::Push(push)) = event else {
        return Vec::new();
    };
    let fork = world[k].project().path.clone();
    let mut out = Vec::new();
    for item in std::iter::once(push).chain(&push.other_refs) {
        let RefTarget::Branch(branch) = &item.target else {
            continue;
        };
        for t in 0..world.len() {
            if t == k
                || !world[t]
                    .fork_sources()
                    .iter()
                    .any(|(p, b)| *p == fork && b == branch)
            {
                continue;
            }
            if item.delete {
                world[t].close_fork_merge_requests(index, (&fork, branch));
                continue;
            }
            let copy = world[k].fork_branch(branch);
            world[t].sync_fork_branch(&fork, branch, copy);
            for request in
                world[t].refresh_fork_merge_requests(index, (&fork, branch), push.skip_ci)
            {
                out.push((t, request));
            }
        }
    }
    out
}

/// Where a merge request pipeline from a fork runs, and what GitLab answers.
pub enum Placed {
    /// Created (or not, as its configuration says) in project `k`; `why` says why there.
    Run {
        k: usize,
        request: PipelineRequest,
        why: String,
        /// GitLab's warning about running a fork's code in the parent project.
        warning: Option<Diagnostic>,
    },
    /// `Chain::Validate::Abilities` stops it in project `k`: nothing is saved. `why` says why
    /// it was asked for there; `error` is GitLab's answer with our explanation.
    Refused {
        k: usize,
        request: PipelineRequest,
        error: Diagnostic,
        why: String,
    },
}

/// The roles, in the target and in the source project, of the user who asks for the
/// pipeline: the merge request event's `access`/`source_access`, else each project's `access`.
pub fn roles(event: &Event, target: &Project, source: &Project) -> (Role, Role) {
    match event {
        Event::MergeRequest(mr) => (
            mr.access.unwrap_or(target.access),
            mr.source_access.unwrap_or(source.access),
        ),
        _ => (target.access, source.access),
    }
}

/// Said when the parent protects a branch named like the fork's source branch: pipesim follows
/// GitLab's spec, which expects the pipeline, though the abilities check reads that protection
/// for merge request refs.
const PARENT_PROTECTION_NOTE: &str = "The parent protects a branch of the same name, which does not matter for a fork (create_pipeline_service.rb skips the branch protection check for forks, and spec/services/merge_requests/create_pipeline_service_spec.rb expects the pipeline); pipesim is not sure the abilities check (`can_update_branch?(merge_request.source_branch)` for a merge request ref) lets it through.";

/// "developer in group/app", or "not a member of group/app".
fn role_in(role: Role, path: &str) -> String {
    match role {
        Role::None => format!("not a member of {path}"),
        _ => format!("{} in {path}", role.as_str()),
    }
}

/// `Gitlab::UserAccess#can_update_branch?` with GitLab's default protection: Maintainers push
/// to a protected branch, Developers to the others.
fn can_update_branch(project: &Project, role: Role, branch: &str) -> bool {
    if branch_protected(project, branch) {
        role >= Role::Maintainer
    } else {
        role >= Role::Developer
    }
}

/// chain/validate/abilities.rb for a merge request pipeline: `:create_pipeline` (Developer),
/// then the ref: a branch the user may update, or for a merge request ref its source branch
/// (`can_update_branch?(merge_request.source_branch)`) in that project.
fn abilities(project: &Project, role: Role, ref_name: &str, branch: &str) -> Result<(), String> {
    if role < Role::Developer {
        return Err(INSUFFICIENT_PERMISSIONS.to_owned());
    }
    if !can_update_branch(project, role, branch) {
        return Err(ref_permission_message(ref_name));
    }
    Ok(())
}

/// Decides where `request` (a merge request pipeline of project `t`'s merge request from a
/// fork) runs. `target_timeline` asks for the detached pipeline when a merged results one
/// cannot be created.
pub fn place(
    world: &[Timeline],
    t: usize,
    request: PipelineRequest,
    roles: (Role, Role),
) -> Placed {
    let mr = request
        .merge_request
        .clone()
        .expect("placed requests are merge request pipelines");
    let fork = mr.fork.clone().expect("placed requests come from forks");
    let target = world[t].project();
    let s = world
        .iter()
        .position(|w| w.project().path == fork.source_path)
        .unwrap_or(t);
    let source = world[s].project();
    let who = format!(
        "the user who asks for it is {} and {}",
        role_in(roles.0, &target.path),
        role_in(roles.1, &source.path)
    );
    let mut fell_back = None;
    let mut request = request;
    match mr.kind {
        // MergeTrains: the train pipeline runs in the target project, as the merge does.
        MergeRequestPipelineKind::MergeTrain => {
            let why = format!(
                "merge request !{} comes from the fork {}; a merge train pipeline runs in the target project {} (pipesim did not read MergeTrains::CreatePipelineService for forks: unconfirmed)",
                mr.iid, source.path, target.path
            );
            return Placed::Run {
                k: t,
                request,
                why,
                warning: Some(parent_warning(target, source)),
            };
        }
        // EE `create_merged_result_pipeline_for`: always the target project, whatever
        // `ci_allow_fork_pipelines_to_run_in_parent_project` says; when
        // `Ci::CreatePipelineService` refuses it there, the detached pipeline follows.
        MergeRequestPipelineKind::MergedResult => {
            match abilities(target, roles.0, &request.ref_name, &mr.source_branch) {
                Ok(()) => {
                    let why = format!(
                        "merge request !{} comes from the fork {}, and {who}. Merged results pipelines are on in {}, and GitLab creates one in the target project whenever the user may create pipelines there (ee/app/services/ee/merge_requests/create_pipeline_service.rb `create_merged_result_pipeline_for` does not read `ci_allow_fork_pipelines_to_run_in_parent_project`; pipesim read it in an EE mirror, not in the 19.5 source): it runs the merge of the fork's branch into {} with {}'s configuration path, CI/CD variables (no protected ones) and runners.",
                        mr.iid, source.path, target.path, mr.target_branch, target.path
                    );
                    let warning = parent_warning(target, source);
                    return Placed::Run {
                        k: t,
                        request,
                        why,
                        warning: Some(warning),
                    };
                }
                Err(message) => {
                    fell_back = Some(message);
                    request = world[t].merge_request_pipeline(
                        request.event,
                        mr.iid,
                        MergeRequestPipelineKind::Detached,
                        request.skip_ci,
                    );
                }
            }
        }
        MergeRequestPipelineKind::Detached => {}
    }
    let first = fell_back.map_or_else(String::new, |message| {
        format!(
            " GitLab first tried a merged results pipeline in {}, which it refused (\"{message}\"), and then asked for the detached one.",
            target.path
        )
    });
    // `can_create_pipeline_in_target_project?`: `:create_pipeline` there and, for a fork, the
    // parent's setting; the source branch's protection is not checked for forks.
    let in_parent = roles.0 >= Role::Developer && target.settings.fork_pipelines_in_parent;
    if in_parent {
        let why = format!(
            "merge request !{} comes from the fork {}, and {who}. {} lets members run fork pipelines in the parent (`ci_allow_fork_pipelines_to_run_in_parent_project`, on by default) and Developer may create pipelines there, so GitLab creates it in the parent on {} (MergeRequests::CreatePipelineService `pipeline_project_and_ref`): the fork's commit and its CI configuration file, with {}'s CI/CD settings, variables (no protected ones: merge request pipelines get none) and runners, and this user's permissions.{first}",
            mr.iid, source.path, target.path, request.ref_name, target.path
        );
        // The abilities check passes: Developer may create pipelines, and GitLab's spec expects
        // the pipeline even when the parent protects a branch of the source branch's name
        // ("when source branch is protected"); see `PARENT_PROTECTION_NOTE`.
        let why = if branch_protected(target, &mr.source_branch) && roles.0 < Role::Maintainer {
            format!("{why} {PARENT_PROTECTION_NOTE}")
        } else {
            why
        };
        return Placed::Run {
            k: t,
            request,
            why,
            warning: Some(parent_warning(target, source)),
        };
    }
    let because = if roles.0 < Role::Developer {
        format!(
            "creating pipelines in {} takes Developer or more, so GitLab creates it in the fork",
            target.path
        )
    } else {
        format!(
            "{} turns off `ci_allow_fork_pipelines_to_run_in_parent_project`, so GitLab creates it in the fork",
            target.path
        )
    };
    let why = format!(
        "merge request !{} comes from the fork {}, and {who}: {because}, on its branch {} (MergeRequests::CreatePipelineService `pipeline_project_and_ref`), with the fork's CI configuration, CI/CD variables and runners. The fork's protected variables stay withheld: GitLab gives merge request pipelines no protected variables, and a fork's never.{first}",
        mr.iid, source.path, mr.source_branch
    );
    let request = in_fork(request, source);
    match abilities(source, roles.1, &request.ref_name, &mr.source_branch) {
        Ok(()) => Placed::Run {
            k: s,
            request,
            why,
            warning: None,
        },
        Err(message) => refusal(s, request, message, why, source, roles.1, &mr.source_branch),
    }
}

/// The request as the fork runs it: `pipeline.ref` is the source branch
/// (`source_branch_ref(or_sha: false)`), `CI_COMMIT_REF_PROTECTED` is the fork's protection of
/// it (Ci::Pipeline#protected_ref? reads `refs/heads/<ref>` for merge request pipelines), and
/// protected variables stay withheld (the builder's `jobs_git_ref` is nil for them).
fn in_fork(mut request: PipelineRequest, source: &Project) -> PipelineRequest {
    request.ref_name = request.ref_short.clone();
    request.protected = false;
    request.commit_ref_protected = Some(branch_protected(source, &request.ref_short));
    request
}

fn refusal(
    k: usize,
    request: PipelineRequest,
    message: String,
    why: String,
    project: &Project,
    role: Role,
    branch: &str,
) -> Placed {
    let explanation = if message == INSUFFICIENT_PERMISSIONS {
        format!(
            "Creating pipelines in {} takes Developer or more, and the user is {}, so Ci::CreatePipelineService stops at its abilities check and saves nothing (lib/gitlab/ci/pipeline/chain/validate/abilities.rb). Fix: give the user Developer in {}, or let a member of the parent run the pipeline there.",
            project.path,
            role_in(role, &project.path),
            project.path
        )
    } else {
        format!(
            "`{branch}` is a protected branch in {}, and a {} may not update it, which the abilities check requires for a pipeline of a merge request from that branch (lib/gitlab/ci/pipeline/chain/validate/abilities.rb `can_update_branch?`). GitLab saves nothing. Fix: open the merge request from another branch name, or let a Maintainer run the pipeline.",
            project.path,
            role.as_str()
        )
    };
    let mut error = Diagnostic::resolve(
        Finding::warning("pipeline-refused", message, None).explain(explanation.clone()),
        &Files::new(),
    );
    error.event = Some(request.event);
    Placed::Refused {
        k,
        request,
        error,
        why,
    }
}

/// doc/ci/pipelines/merge_request_pipelines.md, "Run pipelines in the parent project": the
/// security risk of running a fork's code with the parent's variables and runners.
fn parent_warning(target: &Project, source: &Project) -> Diagnostic {
    Diagnostic::resolve(
        Finding::warning(
            "fork-pipeline-in-parent",
            format!(
                "a pipeline of {}'s code runs in {} with {}'s CI/CD variables and runners",
                source.path, target.path, target.path
            ),
            None,
        )
        .explain(format!(
            "GitLab's documentation warns that a merge request from a fork can carry code written to steal the parent project's secrets the moment its pipeline runs, before anyone merges it. Review the fork's changes (its CI configuration file included) before running its pipeline in {}. In the merge request's Pipelines tab GitLab asks the user to accept a warning first; through the API or the `/rebase` quick action it asks nothing. To stop members running fork pipelines in {}, turn off `ci_allow_fork_pipelines_to_run_in_parent_project` (projects API).",
            target.path, target.path
        )),
        &Files::new(),
    )
}
