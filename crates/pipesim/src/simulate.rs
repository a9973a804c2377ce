//! The whole simulation: a timeline of events, the pipelines each one asks for, and what
//! GitLab creates for each, plus findings that only show across pipelines (duplicates).

use serde::Serialize;

use crate::dataflow::{self, store::Store};
use crate::diagnostic::{Diagnostic, Finding};
use crate::event::{
    load_scenario, Event, JobOutcome, MergeRequestEvent, PipelineRequest, Project, Push, RefKind,
    RefTarget, Source, Timeline,
};
use crate::pipeline::{self, PipelineReport};
use crate::source::{FileId, Files};

/// The JSON contract of `pipesim simulate` and `pipesim scenario`.
#[derive(Clone, Debug, Serialize)]
pub struct Simulation {
    /// [`crate::GITLAB_VERSION`]: the GitLab whose behaviour this simulation reproduces.
    pub gitlab_version: &'static str,
    /// Every pipeline the events asked for, in event order, created or not.
    pub pipelines: Vec<PipelineReport>,
    /// Findings about the events or across pipelines (e.g. duplicate pipelines).
    pub diagnostics: Vec<Diagnostic>,
}

/// Runs `events` in order against a project whose default branch holds `files`.
pub fn simulate(project: &Project, files: &Files, events: &[Event]) -> Simulation {
    simulate_with_outcomes(project, files, events, &[])
}

/// [`simulate`], with how named jobs end per event (same index as `events`; missing entries
/// mean the defaults: jobs succeed, manual jobs are not played).
pub fn simulate_with_outcomes(
    project: &Project,
    files: &Files,
    events: &[Event],
    outcomes: &[Vec<(String, JobOutcome)>],
) -> Simulation {
    let mut timeline = Timeline::new(project, files);
    let mut store = Store::default();
    let mut simulation = Simulation {
        gitlab_version: crate::GITLAB_VERSION,
        pipelines: Vec::new(),
        diagnostics: Vec::new(),
    };
    for (index, event) in events.iter().enumerate() {
        let event_outcomes = outcomes.get(index).map(Vec::as_slice).unwrap_or(&[]);
        run_event(
            project,
            &mut timeline,
            &mut store,
            (index + 1, event_outcomes),
            event,
            &mut simulation,
        );
    }
    simulation
}

/// One event on its own, the way `pipesim simulate` states it: the branches it names are
/// taken to exist already (unless `new_branch`), so a push is an update and a merge request's
/// source branch is there with `changes` as its diff.
pub fn simulate_event(
    project: &Project,
    files: &Files,
    event: &Event,
    new_branch: bool,
) -> Simulation {
    simulate_event_with_outcomes(project, files, event, new_branch, &[])
}

/// [`simulate_event`], with how named jobs end (`failed`, `played`...).
pub fn simulate_event_with_outcomes(
    project: &Project,
    files: &Files,
    event: &Event,
    new_branch: bool,
    outcomes: &[(String, JobOutcome)],
) -> Simulation {
    let mut timeline = Timeline::new(project, files);
    let mut preparation = Vec::new();
    match event {
        Event::Push(push) => {
            if let RefTarget::Branch(branch) = &push.target {
                if !new_branch && *branch != project.default_branch {
                    preparation.push(Event::Push(Push {
                        target: RefTarget::Branch(branch.clone()),
                        ..Push::default()
                    }));
                }
            }
        }
        Event::MergeRequest(MergeRequestEvent {
            source_branch,
            target_branch,
            changes,
            ..
        }) => {
            for branch in [target_branch, source_branch] {
                if *branch != project.default_branch {
                    preparation.push(Event::Push(Push {
                        target: RefTarget::Branch(branch.clone()),
                        changes: if branch == source_branch {
                            changes.clone()
                        } else {
                            None
                        },
                        ..Push::default()
                    }));
                }
            }
        }
        Event::Merge { .. } | Event::Wait { .. } => {}
        Event::Manual(manual) => {
            if let RefTarget::Branch(branch) = &manual.target {
                if *branch != project.default_branch {
                    preparation.push(Event::Push(Push {
                        target: RefTarget::Branch(branch.clone()),
                        ..Push::default()
                    }));
                }
            }
        }
    }
    for step in &preparation {
        // Setting the scene: these pushes' own pipelines are not part of the answer.
        let _ = timeline.apply(0, step);
    }
    let mut simulation = Simulation {
        gitlab_version: crate::GITLAB_VERSION,
        pipelines: Vec::new(),
        diagnostics: Vec::new(),
    };
    run_event(
        project,
        &mut timeline,
        &mut Store::default(),
        (1, outcomes),
        event,
        &mut simulation,
    );
    simulation
}

/// Loads a scenario file (see `event::scenario`) and runs it.
pub fn run_scenario(files: &Files, scenario: FileId) -> Simulation {
    let (loaded, findings) = load_scenario(files, scenario);
    let mut diagnostics: Vec<Diagnostic> = findings
        .into_iter()
        .map(|f| Diagnostic::resolve(f, files))
        .collect();
    let Some(scenario) = loaded else {
        return Simulation {
            gitlab_version: crate::GITLAB_VERSION,
            pipelines: Vec::new(),
            diagnostics,
        };
    };
    let events: Vec<Event> = scenario.events.iter().map(|(e, _)| e.clone()).collect();
    let mut simulation = simulate_with_outcomes(
        &scenario.project,
        &scenario.files,
        &events,
        &scenario.outcomes,
    );
    for diagnostic in &mut simulation.diagnostics {
        // Event problems point at the event in the scenario file.
        if let (Some(index), None, None) = (diagnostic.event, &diagnostic.file, &diagnostic.job) {
            if let Some((_, span)) = scenario.events.get(index - 1) {
                diagnostic.file = Some(files.path(span.file).to_owned());
                diagnostic.line = span.line;
                diagnostic.column = span.column;
            }
        }
    }
    diagnostics.append(&mut simulation.diagnostics);
    simulation.diagnostics = diagnostics;
    simulation
}

fn run_event(
    project: &Project,
    timeline: &mut Timeline,
    store: &mut Store,
    (index, outcomes): (usize, &[(String, JobOutcome)]),
    event: &Event,
    simulation: &mut Simulation,
) {
    let notes_before = timeline.notes().len();
    let applied = timeline.apply(index, event);
    for (_, note) in &timeline.notes()[notes_before..] {
        let mut diagnostic = Diagnostic::resolve(
            Finding::info("event-assumption", note.clone(), None).explain(
                "pipesim says what it assumed or changed to follow what GitLab would do at this point of the timeline.",
            ),
            &Files::new(),
        );
        diagnostic.event = Some(index);
        simulation.diagnostics.push(diagnostic);
    }
    let requests = match applied {
        Ok(requests) => requests,
        Err(problem) => {
            let mut diagnostic = Diagnostic::resolve(
                Finding::error("event-invalid", problem, None).explain(
                    "pipesim cannot apply this event to the repository as it stands at this point of the timeline, so it creates no pipeline for it.",
                ),
                &Files::new(),
            );
            diagnostic.event = Some(index);
            simulation.diagnostics.push(diagnostic);
            return;
        }
    };
    let mut top_level = Vec::with_capacity(requests.len());
    for request in &requests {
        top_level.push(simulation.pipelines.len());
        run_pipeline(
            project, timeline, store, request, outcomes, None, 0, simulation,
        );
    }
    let outcomes: Vec<(bool, u64)> = top_level
        .iter()
        .map(|&i| (simulation.pipelines[i].created, simulation.pipelines[i].id))
        .collect();
    flag_duplicates(index, &requests, &outcomes, &mut simulation.diagnostics);
}

/// Creates one pipeline, follows its data flow, then the child pipelines its trigger jobs start.
#[allow(clippy::too_many_arguments)]
fn run_pipeline(
    project: &Project,
    timeline: &Timeline,
    store: &mut Store,
    request: &PipelineRequest,
    outcomes: &[(String, JobOutcome)],
    parent: Option<(u64, String)>,
    depth: usize,
    simulation: &mut Simulation,
) {
    let index = request.event;
    let id = simulation.pipelines.len() as u64 + 1;
    let compare_to = |reference: &str| compare(timeline, reference, request);
    let (mut report, composed) = pipeline::create_composed(&pipeline::Request {
        project,
        pipeline: request,
        id,
        iid: id,
        compare_to: &compare_to,
    });
    if let Some((parent_id, bridge)) = &parent {
        report.parent = Some(*parent_id);
        report.trigger_job = Some(bridge.clone());
    }
    // A configuration warning is shown once, at the first pipeline that met it.
    for warning in &report.warnings {
        let seen = simulation.diagnostics.iter().any(|d| {
            d.message == warning.message && d.file == warning.file && d.line == warning.line
        });
        if !seen {
            let mut diagnostic = warning.clone();
            diagnostic.event = Some(index);
            simulation.diagnostics.push(diagnostic);
        }
    }
    let Some(composed) = composed else {
        simulation.pipelines.push(report);
        return;
    };
    let analysis_input = |outcomes| dataflow::Input {
        project,
        request,
        composed: &composed,
        store,
        depth,
        outcomes,
        verifying: false,
    };
    let tree_before = store.tree_mark();
    let mut flow = dataflow::analyze(&mut report, &analysis_input(outcomes));
    // create_downstream_pipeline_service.rb: a trigger job whose downstream pipeline is not
    // created fails (downstream_pipeline_creation_failed, or the hierarchy limit's reason),
    // and the jobs after it react.
    let mut failed = failed_bridges(project, timeline, &flow.children, id);
    let refused = std::mem::take(&mut flow.refused);
    let forced: Vec<String> = failed
        .iter()
        .map(|(b, _)| b.clone())
        .chain(refused.iter().map(|(b, _)| b.clone()))
        .collect();
    if !forced.is_empty() {
        if only_terminal(&report, &forced) {
            // No job waits for these trigger jobs: failing them changes nothing but their own
            // outcome and the pipeline's status, so the data flow need not run again (a tree
            // of a thousand pipelines refuses thousands of trigger jobs).
            for job in report.jobs.iter_mut().filter(|j| forced.contains(&j.name)) {
                job.outcome = Some("failed".to_owned());
                if !job.allow_failure {
                    flow.pipeline.succeeded = false;
                }
            }
        } else {
            let mut forced_outcomes = outcomes.to_vec();
            for bridge in &forced {
                forced_outcomes.retain(|(name, _)| name != bridge);
                forced_outcomes.push((bridge.clone(), JobOutcome::Failed));
            }
            reset_data_flow(&mut report);
            let children = std::mem::take(&mut flow.children);
            // The second analysis asks for the same children again: count them once.
            let tree_after = store.tree_mark();
            store.tree_reset(tree_before);
            flow = dataflow::analyze(&mut report, &analysis_input(&forced_outcomes));
            store.tree_reset(tree_after);
            flow.children = children;
            flow.refused.clear();
        }
        for (bridge, errors) in failed.drain(..) {
            flow.diagnostics
                .push(downstream_failed(index, &bridge, &errors));
        }
        for (bridge, refusal) in &refused {
            flow.diagnostics
                .push(downstream_refused(index, bridge, *refusal));
        }
    }
    for mut diagnostic in flow.diagnostics {
        diagnostic.pipeline = Some(id);
        // A configuration pipesim cannot see is noted once, not at every pipeline.
        let repeated = diagnostic.code == "downstream-not-simulated"
            && simulation
                .diagnostics
                .iter()
                .any(|d| d.code == diagnostic.code && d.message == diagnostic.message);
        if !repeated {
            simulation.diagnostics.push(diagnostic);
        }
    }
    for job in flow.stored {
        store.record(job);
    }
    store.record_pipeline(flow.pipeline);
    simulation.pipelines.push(report);
    for child in flow.children {
        let mut child_project = project.clone();
        child_project.ci_config_path = child.entry;
        run_pipeline(
            &child_project,
            timeline,
            store,
            &child.request,
            outcomes,
            Some((id, child.bridge)),
            depth + 1,
            simulation,
        );
    }
}

/// Clears what `dataflow::analyze` filled in, so it can run again (cheaper than keeping a copy
/// of every report for the rare pipeline that needs it).
/// Whether no created job waits for any of `bridges`: none needs one, and (without `needs`)
/// none is in a later stage.
fn only_terminal(report: &PipelineReport, bridges: &[String]) -> bool {
    let stage_of = |stage: &str| report.stages.iter().position(|s| s == stage);
    let last_bridge_stage = report
        .jobs
        .iter()
        .filter(|j| bridges.contains(&j.name))
        .filter_map(|j| stage_of(&j.stage))
        .min();
    let Some(first) = last_bridge_stage else {
        return false;
    };
    report
        .jobs
        .iter()
        .filter(|j| j.created)
        .all(|j| match &j.needs {
            Some(needs) => !needs.iter().any(|n| bridges.contains(n)),
            None => stage_of(&j.stage).is_some_and(|s| s <= first),
        })
}

fn reset_data_flow(report: &mut PipelineReport) {
    for job in &mut report.jobs {
        job.outcome = None;
        job.artifacts_from = None;
        job.dotenv = Default::default();
        job.variables = Vec::new();
    }
}

/// Trigger jobs whose child pipeline GitLab would not create (filtered by its
/// `workflow:rules`, empty, or an invalid configuration), with the child's errors. Each child
/// is created once here to find out; its report is made again, with its own id, once the
/// parent is recorded.
fn failed_bridges(
    project: &Project,
    timeline: &Timeline,
    children: &[dataflow::ChildRequest],
    parent_id: u64,
) -> Vec<(String, Vec<String>)> {
    let mut failed = Vec::new();
    for child in children {
        let mut child_project = project.clone();
        child_project.ci_config_path = child.entry.clone();
        let compare_to = |reference: &str| compare(timeline, reference, &child.request);
        let report = pipeline::create(&pipeline::Request {
            project: &child_project,
            pipeline: &child.request,
            id: parent_id + 1,
            iid: parent_id + 1,
            compare_to: &compare_to,
        });
        if !report.created {
            let errors = report.errors.iter().map(|e| e.message.clone()).collect();
            failed.push((child.bridge.clone(), errors));
        }
    }
    failed
}

/// The trigger job's failure: app/presenters/commit_status_presenter.rb's text for
/// `downstream_pipeline_creation_failed` (app/models/concerns/enums/ci/commit_status.rb).
fn downstream_failed(event: usize, bridge: &str, errors: &[String]) -> Diagnostic {
    let mut diagnostic = Diagnostic::resolve(
        Finding::error(
            "downstream_pipeline_creation_failed",
            DOWNSTREAM_CREATION_FAILED.to_owned(),
            None,
        )
        .explain(format!(
            "`{bridge}` asks for a child pipeline that GitLab does not create ({}), so `{bridge}` fails with the failure reason `downstream_pipeline_creation_failed`, and the jobs after it behave as after any failed job. Fix: make the child configuration create at least one job for this pipeline (check its `workflow:rules` and `rules`: a child pipeline's source is `parent_pipeline`), or give the trigger job rules so it only runs when the child has work.",
            if errors.is_empty() {
                "it has no jobs".to_owned()
            } else {
                errors.join(" ")
            }
        )),
        &Files::new(),
    );
    diagnostic.event = Some(event);
    diagnostic.job = Some(bridge.to_owned());
    diagnostic
}

/// The trigger job's failure when GitLab refuses its child pipeline
/// (create_downstream_pipeline_service.rb `has_max_nested_children?`,
/// `pipeline_tree_too_large?`): commit_status_presenter.rb's text for the failure reason.
fn downstream_refused(event: usize, bridge: &str, refusal: dataflow::Refusal) -> Diagnostic {
    let mut diagnostic = Diagnostic::resolve(
        Finding::error(
            refusal.failure_reason().unwrap_or("downstream-refused"),
            refusal.message(),
            None,
        )
        .explain(refusal.explanation(bridge)),
        &Files::new(),
    );
    diagnostic.event = Some(event);
    diagnostic.job = Some(bridge.to_owned());
    diagnostic
}

/// commit_status_presenter.rb `reached_max_descendant_pipelines_depth`.
pub const MAX_DEPTH_REACHED: &str = crate::dataflow::hierarchy::TOO_DEEP_MESSAGE;

/// commit_status_presenter.rb `downstream_pipeline_creation_failed`.
pub const DOWNSTREAM_CREATION_FAILED: &str = "The downstream pipeline could not be created";

/// `rules:changes:compare_to` (rules/rule/clause/changes.rb, `Ci::Pipeline#modified_paths_since`):
/// the paths of `diff(merge_base(compare_to, sha), sha)`. pipesim's branches are made from the
/// default branch, so the merge base of a branch and the default branch is where the branch
/// started: the diff is what the branch changed since (not the difference from the default
/// branch's tip, which also holds the default branch's later commits). Between two feature
/// branches the merge base is taken to be where the pipeline's branch started; for the
/// default branch compared to a feature branch, the paths the default branch changed since
/// the feature branch started are those that differ from the feature branch's tip and that it
/// did not change itself. A tag is compared with its files. A ref pipesim does not know is
/// not a valid ref.
fn compare(timeline: &Timeline, reference: &str, request: &PipelineRequest) -> Option<Vec<String>> {
    let name = reference.strip_prefix("refs/heads/").unwrap_or(reference);
    let default_branch = &timeline.project().default_branch;
    let head_branch = match &request.merge_request {
        Some(mr) => Some(mr.source_branch.as_str()),
        None if request.ref_kind == RefKind::Branch => Some(request.ref_name.as_str()),
        None => None,
    };
    let base = match timeline.files_of(name) {
        Some(files) => files,
        None => {
            let name = reference.strip_prefix("refs/tags/").unwrap_or(reference);
            return Some(differing_paths(
                timeline.files_of_tag(name)?,
                &request.files,
            ));
        }
    };
    match head_branch {
        Some(head) if head == name => Some(Vec::new()),
        Some(head) if head != default_branch.as_str() => timeline.changed_since_base(head),
        Some(_) => {
            let own = timeline.changed_since_base(name).unwrap_or_default();
            let mut paths = differing_paths(base, &request.files);
            paths.retain(|p| !own.contains(p));
            Some(paths)
        }
        None => Some(differing_paths(base, &request.files)),
    }
}

fn differing_paths(base: &Files, head: &Files) -> Vec<String> {
    let mut out = Vec::new();
    for (_, file) in head.iter() {
        match base.find(&file.path) {
            Some(id) if base.get(id).text == file.text => {}
            _ => out.push(file.path.clone()),
        }
    }
    for (_, file) in base.iter() {
        if head.find(&file.path).is_none() {
            out.push(file.path.clone());
        }
    }
    crate::sort::sort_by(&mut out, String::cmp);
    out
}

/// doc/ci/jobs/job_rules.md "Avoid duplicate pipelines": a push to a merge request's source
/// branch can start a branch pipeline and a merge request pipeline for the same commit.
fn flag_duplicates(
    index: usize,
    requests: &[PipelineRequest],
    outcomes: &[(bool, u64)],
    diagnostics: &mut Vec<Diagnostic>,
) {
    let branch = requests.iter().zip(outcomes).find(|(r, (created, _))| {
        *created && r.ref_kind == RefKind::Branch && r.source == Source::Push
    });
    let Some((branch_request, (_, branch_id))) = branch else {
        return;
    };
    for (request, (created, id)) in requests.iter().zip(outcomes) {
        let Some(mr) = &request.merge_request else {
            continue;
        };
        if !created || mr.source_branch != branch_request.ref_name {
            continue;
        }
        let mut diagnostic = Diagnostic::resolve(
            Finding::warning(
                "duplicate-pipelines",
                format!(
                    "duplicate pipelines: this push to `{}` runs both a branch pipeline (#{}) and a merge request pipeline for !{} (#{})",
                    branch_request.ref_name, branch_id, mr.iid, id
                ),
                None,
            )
            .explain(
                "Both pipelines run the same commit, so every job runs twice. GitLab's fix (doc/ci/yaml/workflow.md): add `workflow: rules: [{if: $CI_PIPELINE_SOURCE == \"merge_request_event\"}, {if: $CI_COMMIT_BRANCH && $CI_OPEN_MERGE_REQUESTS, when: never}, {if: $CI_COMMIT_BRANCH}]`, which keeps the merge request pipeline and drops the branch pipeline while a merge request is open.",
            ),
            &Files::new(),
        );
        diagnostic.event = Some(index);
        diagnostics.push(diagnostic);
    }
}
