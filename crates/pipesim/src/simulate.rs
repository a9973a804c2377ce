//! The whole simulation: a timeline of events, the pipelines each one asks for, and what
//! GitLab creates for each, plus findings that only show across pipelines (duplicates).

use serde::Serialize;

use crate::config::include::{Missing, ProjectSource};
use crate::dataflow::{self, store::Store};
use crate::diagnostic::{Diagnostic, Finding};
use crate::event::{
    load_scenario, Event, JobOutcome, MergeRequestEvent, PipelineRequest, Project, Push, RefKind,
    RefTarget, Role, Source, Timeline,
};
use crate::pipeline::{self, PipelineReport};
use crate::source::{FileId, Files};
use crate::yaml::{Node, Value};

mod cancel;
pub mod fork;

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
    run_world(vec![Timeline::new(project, files)], events, &[], outcomes)
}

/// [`simulate_with_outcomes`] for a scenario of several projects: `projects[0]` is the main
/// project; `event_projects` says which project each event happens in (same index as `events`;
/// missing entries mean the main project).
pub fn simulate_projects(
    projects: &[(Project, Files)],
    events: &[Event],
    event_projects: &[usize],
    outcomes: &[Vec<(String, JobOutcome)>],
) -> Simulation {
    let timelines = projects
        .iter()
        .map(|(project, files)| Timeline::new(project, files))
        .collect();
    run_world(timelines, events, event_projects, outcomes)
}

fn run_world(
    mut world: Vec<Timeline>,
    events: &[Event],
    event_projects: &[usize],
    outcomes: &[Vec<(String, JobOutcome)>],
) -> Simulation {
    let mut store = Store::default();
    let mut simulation = Simulation {
        gitlab_version: crate::GITLAB_VERSION,
        pipelines: Vec::new(),
        diagnostics: Vec::new(),
    };
    if world.is_empty() {
        return simulation;
    }
    for (index, event) in events.iter().enumerate() {
        let event_outcomes = outcomes.get(index).map(Vec::as_slice).unwrap_or(&[]);
        let in_project = event_projects
            .get(index)
            .copied()
            .filter(|&k| k < world.len())
            .unwrap_or(0);
        run_event(
            &mut world,
            in_project,
            &mut store,
            (index + 1, event_outcomes),
            event,
            &mut simulation,
        );
    }
    mask_simulation(&mut simulation, world.iter().map(Timeline::project));
    simulation
}

/// An event's pipeline `inputs:` (web, api, trigger, schedule) reach the root configuration's
/// `spec:inputs` through the project the pipeline is created for (`CreatePipelineService
/// #execute(source, inputs:)`); `None` for every other event, which pays nothing.
fn project_with_inputs(event: &Event, project: &Project) -> Option<Project> {
    let Event::Manual(manual) = event else {
        return None;
    };
    let inputs = manual.inputs.as_ref()?;
    let mut project = project.clone();
    project.pipeline_inputs = Some(inputs.clone());
    Some(project)
}

/// Masked variables' values become `[MASKED]` in everything the simulation returns
/// (`crate::masking`); a scenario without masked variables scans nothing.
fn mask_simulation<'a>(simulation: &mut Simulation, projects: impl Iterator<Item = &'a Project>) {
    let masks = crate::masking::masked_values(projects);
    crate::masking::mask_reports(
        &mut simulation.pipelines,
        &mut simulation.diagnostics,
        &masks,
    );
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
        Event::Merge { .. } | Event::Wait { .. } | Event::JobAction(_) => {}
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
        std::slice::from_mut(&mut timeline),
        0,
        &mut Store::default(),
        (1, outcomes),
        event,
        &mut simulation,
    );
    mask_simulation(&mut simulation, std::iter::once(timeline.project()));
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
    let mut simulation = if scenario.others.is_empty() {
        simulate_with_outcomes(
            &scenario.project,
            &scenario.files,
            &events,
            &scenario.outcomes,
        )
    } else {
        simulate_projects(
            &scenario.projects(),
            &events,
            &scenario.event_projects,
            &scenario.outcomes,
        )
    };
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
    world: &mut [Timeline],
    in_project: usize,
    store: &mut Store,
    (index, outcomes): (usize, &[(String, JobOutcome)]),
    event: &Event,
    simulation: &mut Simulation,
) {
    if world.len() > 1 {
        if let Some((message, why)) = fork::network_refusal(world, in_project, event) {
            let mut diagnostic = Diagnostic::resolve(
                Finding::error("event-refused", message, None).explain(why),
                &Files::new(),
            );
            diagnostic.event = Some(index);
            simulation.diagnostics.push(diagnostic);
            return;
        }
        fork::sync_into(world, in_project, event);
    }
    let timeline = &mut world[in_project];
    let notes_before = timeline.notes().len();
    let failures_before = timeline.failures().len();
    let applied = timeline.apply(index, event);
    report_assumptions(index, &timeline.notes()[notes_before..], simulation);
    report_refusals(index, timeline, failures_before, simulation);
    let refused = timeline.failures().len() > failures_before;
    // One clock for every project of the scenario.
    let clock = timeline.clock();
    if world.len() > 1 {
        for other in world.iter_mut() {
            other.set_clock(clock);
        }
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
    if let Event::JobAction(action) = event {
        let now = world[in_project].clock();
        job_action(index, action, (now, world), store, simulation);
        return;
    }
    let mut requests: Vec<(usize, PipelineRequest)> =
        requests.into_iter().map(|r| (in_project, r)).collect();
    if world.len() > 1 && !refused {
        // A push to a fork's branch refreshes its merge requests into other projects.
        let marks: Vec<usize> = world.iter().map(|t| t.notes().len()).collect();
        requests.extend(fork::refresh_parents(world, in_project, (index, event)));
        for (t, mark) in world.iter().zip(marks) {
            report_assumptions(index, &t.notes()[mark..], simulation);
        }
    }
    let world: &[Timeline] = world;
    let with_inputs = project_with_inputs(event, world[in_project].project());
    let mut top_level = Vec::with_capacity(requests.len());
    let mut asked = Vec::with_capacity(requests.len());
    for (k, request) in requests {
        top_level.push(simulation.pipelines.len());
        let from_fork = request
            .merge_request
            .as_ref()
            .and_then(|mr| mr.fork.as_ref())
            .map(|f| f.source_path.clone());
        let Some(source_path) = from_fork else {
            let at = Place {
                world,
                in_project: k,
                project: match (&with_inputs, k == in_project) {
                    (Some(project), true) => project,
                    _ => world[k].project(),
                },
                link: Link::Root,
                depth: 0,
                chain: vec![(k, request.ref_name.clone(), request.source)],
            };
            run_pipeline(&at, store, &request, outcomes, simulation);
            asked.push(request);
            continue;
        };
        let source = world
            .iter()
            .find(|t| t.project().path == source_path)
            .map_or(world[k].project(), Timeline::project);
        let roles = fork::roles(event, world[k].project(), source);
        match fork::place(world, k, request, roles) {
            fork::Placed::Run {
                k,
                request,
                why,
                warning,
            } => {
                let at = Place {
                    world,
                    in_project: k,
                    project: world[k].project(),
                    link: Link::Root,
                    depth: 0,
                    chain: vec![(k, request.ref_name.clone(), request.source)],
                };
                let position = simulation.pipelines.len();
                run_pipeline(&at, store, &request, outcomes, simulation);
                let id = simulation.pipelines[position].id;
                simulation.pipelines[position].project_reason = Some(why);
                if let Some(mut warning) = warning {
                    // An event's finding (shown with the event), naming its pipeline.
                    warning.event = Some(index);
                    warning.message = format!("pipeline #{id}: {}", warning.message);
                    simulation.diagnostics.push(warning);
                }
                asked.push(request);
            }
            fork::Placed::Refused {
                k,
                request,
                error,
                why,
            } => {
                let project = world[k].project();
                let (id, iid) = next_ids(project, world.len() > 1, simulation);
                let compare_to = |_: &str| None;
                let mut report = pipeline::refused(
                    &pipeline::Request {
                        project,
                        pipeline: &request,
                        id,
                        iid,
                        compare_to: &compare_to,
                        projects: None,
                    },
                    error,
                    "GitLab does not create this pipeline: its abilities check refuses the user (see the error)."
                        .to_owned(),
                );
                report.project = Some(project.path.clone());
                report.project_reason = Some(why);
                simulation.pipelines.push(report);
                asked.push(request);
            }
        }
    }
    let requests = asked;
    let outcomes: Vec<(bool, u64)> = top_level
        .iter()
        .map(|&i| (simulation.pipelines[i].created, simulation.pipelines[i].id))
        .collect();
    flag_duplicates(index, &requests, &outcomes, &mut simulation.diagnostics);
}

/// What the timeline assumed or changed at event `index` (its new `notes`), as information
/// findings of that event.
fn report_assumptions(index: usize, notes: &[(usize, String)], simulation: &mut Simulation) {
    for (_, note) in notes {
        let mut diagnostic = Diagnostic::resolve(
            Finding::info("event-assumption", note.clone(), None).explain(
                "pipesim says what it assumed or changed to follow what GitLab would do at this point of the timeline.",
            ),
            &Files::new(),
        );
        diagnostic.event = Some(index);
        simulation.diagnostics.push(diagnostic);
    }
}

/// What GitLab refused at this event (a merge it cannot make, a push its pre-receive checks
/// reject): GitLab's message, our explanation beside it; no pipeline.
fn report_refusals(index: usize, timeline: &Timeline, before: usize, simulation: &mut Simulation) {
    for (_, message, why) in &timeline.failures()[before..] {
        let mut diagnostic = Diagnostic::resolve(
            Finding::error("event-refused", message.clone(), None).explain(why.clone()),
            &Files::new(),
        );
        diagnostic.event = Some(index);
        simulation.diagnostics.push(diagnostic);
    }
}

/// Plays or retries a job of an earlier pipeline (Ci::PlayBuildService, Ci::RetryJobService).
/// The job is queued again, and the runner's request checks its dependencies first
/// (Ci::BuildDependencies#valid?, Ci::Build#valid_dependency?): a dependency whose artifacts
/// expired (and are not kept as the latest of their ref) fails the job with
/// `missing_dependency_failure`. Otherwise the job runs and leaves fresh artifacts. The jobs
/// after it are not followed.
fn job_action(
    index: usize,
    action: &crate::event::JobAction,
    (now, world): (u64, &[Timeline]),
    store: &mut Store,
    simulation: &mut Simulation,
) {
    if matches!(
        action.kind,
        crate::event::JobActionKind::Cancel | crate::event::JobActionKind::CancelPipeline
    ) {
        let path = simulation
            .pipelines
            .iter()
            .find(|p| p.id == action.pipeline)
            .and_then(|p| p.project.clone());
        let role = world
            .iter()
            .find(|t| path.as_ref().is_none_or(|p| *p == t.project().path))
            .map_or(Role::Maintainer, |t| t.project().access);
        cancel::cancel(index, action, role, simulation);
        return;
    }
    let verb = action.kind.as_str();
    let finding = |diagnostic: Finding| {
        let mut diagnostic = Diagnostic::resolve(diagnostic, &Files::new());
        diagnostic.event = Some(index);
        diagnostic.pipeline = Some(action.pipeline);
        diagnostic.job = Some(action.job.clone());
        diagnostic
    };
    let report = simulation
        .pipelines
        .iter()
        .find(|p| p.id == action.pipeline);
    let job = report.and_then(|r| r.jobs.iter().find(|j| j.name == action.job && j.created));
    let (Some(report), Some(job)) = (report, job) else {
        let diagnostic = finding(Finding::error(
            "event-invalid",
            format!("{verb}: pipeline #{} has no job `{}`", action.pipeline, action.job),
            None,
        ).explain("pipesim cannot apply this event: the job is not in that pipeline (pipelines are numbered as the report numbers them)."));
        simulation.diagnostics.push(diagnostic);
        return;
    };
    let outcome = job.outcome.as_deref().unwrap_or("not_run");
    let allowed = match action.kind {
        crate::event::JobActionKind::Play => job.when == "manual" && outcome == "not_run",
        crate::event::JobActionKind::Retry => matches!(outcome, "success" | "failed" | "canceled"),
        crate::event::JobActionKind::Cancel | crate::event::JobActionKind::CancelPipeline => false,
    };
    if !allowed {
        let why = match action.kind {
            crate::event::JobActionKind::Play => {
                "only a manual job nobody played yet can be played"
            }
            crate::event::JobActionKind::Retry => {
                "only a job that ran (succeeded or failed) or was canceled can be retried"
            }
            crate::event::JobActionKind::Cancel | crate::event::JobActionKind::CancelPipeline => {
                "it cannot be canceled"
            }
        };
        let diagnostic = finding(Finding::error(
            "event-invalid",
            format!(
                "{verb}: `{}` of pipeline #{} is {outcome}; {why}",
                action.job, action.pipeline
            ),
            None,
        ));
        simulation.diagnostics.push(diagnostic);
        return;
    }
    let keep_latest = world
        .iter()
        .find(|t| {
            report
                .project
                .as_ref()
                .is_none_or(|p| *p == t.project().path)
        })
        .is_some_and(|t| t.project().settings.keep_latest_artifacts);
    let dependencies: Vec<String> = job
        .artifacts_from
        .iter()
        .flatten()
        .filter(|from| dataflow::split_artifact_source(from).0.is_none())
        .cloned()
        .collect();
    let expired: Vec<String> = dependencies
        .iter()
        .filter(|dependency| {
            store
                .job_of(action.pipeline, dependency)
                .is_some_and(|run| store.expired_at(run, now, keep_latest))
        })
        .cloned()
        .collect();
    if !expired.is_empty() {
        let names = expired.join(", ");
        let diagnostic = finding(
            Finding::error(
                "missing_dependency_failure",
                format!("{}{names}", dataflow::MISSING_DEPENDENCY),
                None,
            )
            .explain(format!(
                "`{}` downloads the artifacts of {names} from its pipeline, and they expired before this {verb} (`artifacts:expire_in`; \"Keep artifacts from most recent successful jobs\" keeps only those of the newest successful pipeline of the ref). When the job is queued again, GitLab checks its dependencies and fails it with `missing_dependency_failure` before it starts. Fix: run a new pipeline, or give {names} a longer `expire_in`.",
                action.job
            )),
        );
        simulation.diagnostics.push(diagnostic);
        return;
    }
    let rerun = store.job_of(action.pipeline, &action.job).cloned();
    if let Some(mut run) = rerun {
        run.succeeded = true;
        run.created_at = now;
        run.expire_at = crate::config::duration::parse_seconds(&run.expire_in)
            .map(|seconds| now.saturating_add(seconds));
        store.record(run);
    }
    let diagnostic = finding(
        Finding::info(
            "job-action",
            format!("{verb}: `{}` of pipeline #{} runs at event {index} and succeeds", action.job, action.pipeline),
            None,
        )
        .explain("Its dependencies' artifacts are still there, so the job starts; its new artifacts are what later pipelines find (`needs:project`, `needs:pipeline:job`). pipesim does not follow the jobs after it in that pipeline again."),
    );
    simulation.diagnostics.push(diagnostic);
}

/// How a pipeline came to be.
#[derive(Clone)]
enum Link {
    /// Started by an event.
    Root,
    /// A child pipeline of `parent`'s trigger job `bridge`.
    Child { parent: u64, bridge: String },
    /// A multi-project pipeline started by `upstream`'s trigger job `bridge`.
    Multi { upstream: u64, bridge: String },
}

/// Where a pipeline is created: the scenario's projects, the project it runs in (with the
/// child's configuration path for a child), how it was started, how many ancestors it has in
/// its own project (`depth`), and the pipelines GitLab's loop check reads
/// (`self_and_upstreams` without child pipelines: project, ref and source of each).
struct Place<'w> {
    world: &'w [Timeline],
    in_project: usize,
    project: &'w Project,
    link: Link,
    depth: usize,
    chain: Vec<(usize, String, Source)>,
}

/// pipesim's own bound on a chain of multi-project pipelines (GitLab's loop check and tree
/// size bound it too, but a scenario with many refs could make a chain hundreds long).
pub const MAX_DOWNSTREAM_CHAIN: usize = 32;

/// How a created pipeline ended, for a trigger job with `strategy: depend` or `mirror`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Success,
    Failed,
    /// Blocked by a manual job nobody played (`manual` status).
    Manual,
}

/// Creates one pipeline, follows its data flow, then the downstream pipelines its trigger jobs
/// start. Returns how it ended (`None`: not created).
fn run_pipeline(
    at: &Place,
    store: &mut Store,
    request: &PipelineRequest,
    outcomes: &[(String, JobOutcome)],
    simulation: &mut Simulation,
) -> Option<End> {
    let project = at.project;
    let timeline = &at.world[at.in_project];
    let index = request.event;
    let multi = at.world.len() > 1;
    let (id, iid) = next_ids(project, multi, simulation);
    let compare_to = |reference: &str| compare(timeline, reference, request);
    let source = Projects(at.world);
    let (mut report, composed) = pipeline::create_composed(&pipeline::Request {
        project,
        pipeline: request,
        id,
        iid,
        compare_to: &compare_to,
        projects: multi.then_some(&source as &dyn ProjectSource),
    });
    if multi {
        report.project = Some(project.path.clone());
    }
    match &at.link {
        Link::Root => {}
        Link::Child { parent, bridge } => {
            report.parent = Some(*parent);
            report.trigger_job = Some(bridge.clone());
        }
        Link::Multi { upstream, bridge } => {
            report.upstream = Some(*upstream);
            report.trigger_job = Some(bridge.clone());
        }
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
        return None;
    };
    let tree_before = store.tree_mark();
    let mut flow = dataflow::analyze(
        &mut report,
        &analysis_input(at, request, &composed, store, outcomes),
    );
    // create_downstream_pipeline_service.rb: a trigger job whose downstream pipeline is not
    // created fails (downstream_pipeline_creation_failed, the hierarchy limit's reason, or a
    // multi-project precondition's), and the jobs after it react.
    let mut failed: Vec<(String, Diagnostic)> = Vec::new();
    let mut kept: Vec<(dataflow::ChildRequest, Target)> = Vec::new();
    let mut not_created = 0;
    for child in std::mem::take(&mut flow.children) {
        match plan_downstream(at, &child, id, index) {
            Plan::Create(target) => kept.push((child, target)),
            Plan::Fail(diagnostic, target) => {
                if target.is_none() && child.downstream.is_some() {
                    not_created += 1;
                }
                // create_downstream_error_messages: each error of the downstream pipeline is
                // an error message of the trigger job.
                if diagnostic.code == "downstream_pipeline_creation_failed" {
                    for error in &diagnostic.downstream_errors {
                        failed.push((
                            child.bridge.clone(),
                            downstream_error(index, &child.bridge, error),
                        ));
                    }
                }
                failed.push((child.bridge.clone(), diagnostic.diagnostic));
                // A pipeline whose creation failed is still shown, as GitLab keeps it.
                if let Some(target) = target {
                    kept.push((child, target));
                }
            }
            Plan::Note(diagnostic) => flow.diagnostics.push(*diagnostic),
        }
    }
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
            let forced_outcomes = with_outcome(outcomes, &forced, JobOutcome::Failed);
            reset_data_flow(&mut report);
            // The second analysis asks for the same children again: count them once.
            let tree_after = store.tree_mark();
            store.tree_reset(tree_before);
            flow = dataflow::analyze(
                &mut report,
                &analysis_input(at, request, &composed, store, &forced_outcomes),
            );
            store.tree_reset(tree_after);
            flow.children.clear();
            flow.refused.clear();
        }
        for (_, diagnostic) in failed.drain(..) {
            flow.diagnostics.push(diagnostic);
        }
        for (bridge, refusal) in &refused {
            flow.diagnostics
                .push(downstream_refused(index, bridge, *refusal));
        }
    }
    store.tree_release(not_created, flow.weight.0, flow.weight.1);
    let diagnostics_before = simulation.diagnostics.len();
    let position = simulation.pipelines.len();
    publish(simulation, store, flow, id);
    simulation.pipelines.push(report);
    let ends = run_downstreams(at, store, kept, id, outcomes, simulation);
    // bridge.rb `inherit_status_from_downstream`: with `strategy: depend` the trigger job
    // fails when the downstream pipeline fails; with `mirror` it takes the downstream status.
    // A downstream pipeline waiting for a manual job leaves a `depend` job running and makes a
    // `mirror` job manual: either way it does not finish, and the jobs after it wait.
    let unfinished: Vec<&(String, End, bool)> = ends
        .iter()
        .filter(|(_, end, _)| *end != End::Success)
        .collect();
    if !unfinished.is_empty() {
        let mut forced_outcomes = with_outcome(outcomes, &forced, JobOutcome::Failed);
        for (bridge, end, _) in &unfinished {
            let outcome = if *end == End::Failed {
                JobOutcome::Failed
            } else {
                JobOutcome::Skipped
            };
            forced_outcomes = with_outcome(&forced_outcomes, std::slice::from_ref(bridge), outcome);
        }
        // This pipeline's data flow again with those outcomes: what it stored and said the
        // first time is replaced (its downstream findings stay).
        let mut report = simulation.pipelines[position].clone();
        reset_data_flow(&mut report);
        store.forget_pipeline(id);
        let mut kept_diagnostics = Vec::new();
        for diagnostic in simulation.diagnostics.drain(diagnostics_before..) {
            let own_flow = diagnostic.pipeline == Some(id)
                && !diagnostic.code.starts_with("downstream")
                && !matches!(
                    diagnostic.code,
                    "insufficient_bridge_permissions"
                        | "invalid_bridge_trigger"
                        | "pipeline_loop_detected"
                        | "reached_max_descendant_pipelines_depth"
                        | "reached_max_pipeline_hierarchy_size"
                );
            if !own_flow {
                kept_diagnostics.push(diagnostic);
            }
        }
        let mark = store.tree_mark();
        let mut flow = dataflow::analyze(
            &mut report,
            &analysis_input(at, request, &composed, store, &forced_outcomes),
        );
        store.tree_reset(mark);
        flow.children.clear();
        flow.refused.clear();
        for (bridge, end, mirror) in &unfinished {
            flow.diagnostics
                .push(strategy_diagnostic(index, bridge, *end, *mirror));
        }
        simulation
            .diagnostics
            .splice(diagnostics_before..diagnostics_before, kept_diagnostics);
        publish(simulation, store, flow, id);
        simulation.pipelines[position] = report;
    }
    Some(pipeline_end(&simulation.pipelines[position]))
}

/// The next pipeline's id (`CI_PIPELINE_ID`, counted across projects) and iid (per project).
fn next_ids(project: &Project, multi: bool, simulation: &Simulation) -> (u64, u64) {
    let id = simulation.pipelines.len() as u64 + 1;
    let iid = if multi {
        let path = Some(&project.path);
        simulation
            .pipelines
            .iter()
            .filter(|p| p.project.as_ref() == path)
            .count() as u64
            + 1
    } else {
        id
    };
    (id, iid)
}

/// The scenario's projects as `include:project` and `include:component` read them.
struct Projects<'w>(&'w [Timeline]);

impl ProjectSource for Projects<'_> {
    fn file(
        &self,
        project: &str,
        reference: Option<&str>,
        path: &str,
    ) -> Result<Option<String>, Missing> {
        // `download_code`: Reporter and up (the scenario's projects are taken to be private).
        let timeline = self
            .0
            .iter()
            .find(|t| t.project().path.to_lowercase() == project)
            .filter(|t| t.project().access >= Role::Reporter)
            .ok_or(Missing::Project)?;
        let reference = reference.filter(|r| *r != "HEAD");
        let files = match reference {
            None => timeline.files_of(&timeline.project().default_branch),
            Some(r) => {
                let r = r.strip_prefix("refs/heads/").unwrap_or(r);
                timeline
                    .files_of(r)
                    .or_else(|| timeline.files_of_tag(r.strip_prefix("refs/tags/").unwrap_or(r)))
            }
        }
        .ok_or(Missing::Ref)?;
        Ok(files.find(path).map(|id| files.get(id).text.clone()))
    }

    fn versions(&self, project: &str) -> Option<(bool, Vec<String>)> {
        let timeline = self
            .0
            .iter()
            .find(|t| t.project().path.to_lowercase() == project.to_lowercase())?;
        Some((
            timeline.project().settings.catalog_resource,
            timeline.tags().into_iter().map(str::to_owned).collect(),
        ))
    }

    fn server_fqdn(&self) -> String {
        self.0
            .first()
            .map(|t| crate::event::variables::server_fqdn(&t.project().server_url))
            .unwrap_or_default()
    }
}

/// What the data flow of a pipeline created at `at` reads.
fn analysis_input<'a>(
    at: &'a Place,
    request: &'a PipelineRequest,
    composed: &'a pipeline::Composed,
    store: &'a Store,
    outcomes: &'a [(String, JobOutcome)],
) -> dataflow::Input<'a> {
    dataflow::Input {
        project: at.project,
        request,
        composed,
        store,
        depth: at.depth,
        downstream: at.chain.len() > 1,
        multi_project: at.world.len() > 1,
        world: at.world,
        outcomes,
        verifying: false,
    }
}

/// `outcomes` with each of `jobs` set to `outcome`.
fn with_outcome(
    outcomes: &[(String, JobOutcome)],
    jobs: &[String],
    outcome: JobOutcome,
) -> Vec<(String, JobOutcome)> {
    let mut out = outcomes.to_vec();
    for job in jobs {
        out.retain(|(name, _)| name != job);
        out.push((job.clone(), outcome));
    }
    out
}

/// Records what a pipeline's data flow found and left.
fn publish(simulation: &mut Simulation, store: &mut Store, flow: dataflow::Flow, id: u64) {
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
}

/// Creates the downstream pipelines of pipeline `id`, in order; returns how each one a trigger
/// job with a `strategy` waits for ended: (trigger job, end, mirror?).
fn run_downstreams(
    at: &Place,
    store: &mut Store,
    kept: Vec<(dataflow::ChildRequest, Target)>,
    id: u64,
    outcomes: &[(String, JobOutcome)],
    simulation: &mut Simulation,
) -> Vec<(String, End, bool)> {
    let mut ends = Vec::new();
    for (child, target) in kept {
        let end = match target {
            Target::Child => {
                let mut child_project = at.project.clone();
                child_project.ci_config_path = child.entry.clone();
                let place = Place {
                    world: at.world,
                    in_project: at.in_project,
                    project: &child_project,
                    link: Link::Child {
                        parent: id,
                        bridge: child.bridge.clone(),
                    },
                    depth: at.depth + 1,
                    chain: at.chain.clone(),
                };
                run_pipeline(&place, store, &child.request, outcomes, simulation)
            }
            Target::Multi(k, downstream_request, entry) => {
                let mut chain = at.chain.clone();
                chain.push((k, downstream_request.ref_name.clone(), Source::Pipeline));
                let with_inputs = entry.map(|entry| {
                    let mut project = at.world[k].project().clone();
                    project.ci_config_path = entry;
                    project
                });
                let place = Place {
                    world: at.world,
                    in_project: k,
                    project: with_inputs.as_ref().unwrap_or(at.world[k].project()),
                    link: Link::Multi {
                        upstream: id,
                        bridge: child.bridge.clone(),
                    },
                    depth: 0,
                    chain,
                };
                // A scenario's `outcomes` name jobs of every pipeline the event creates.
                run_pipeline(&place, store, &downstream_request, outcomes, simulation)
            }
        };
        if let (Some(strategy), Some(end)) = (&child.strategy, end) {
            ends.push((child.bridge.clone(), end, strategy == "mirror"));
        }
    }
    ends
}

/// A created pipeline's status as a strategy reads it (`Ci::Pipeline#status`).
fn pipeline_end(report: &PipelineReport) -> End {
    let created: Vec<&crate::pipeline::JobReport> =
        report.jobs.iter().filter(|j| j.created).collect();
    if created
        .iter()
        .any(|j| j.outcome.as_deref() == Some("failed") && !j.allow_failure)
    {
        End::Failed
    } else if created
        .iter()
        .any(|j| j.when == "manual" && j.outcome.as_deref() == Some("not_run") && !j.allow_failure)
    {
        End::Manual
    } else {
        End::Success
    }
}

/// The trigger job's finding when it mirrors a downstream pipeline that did not succeed.
fn strategy_diagnostic(event: usize, bridge: &str, end: End, mirror: bool) -> Diagnostic {
    let strategy = if mirror { "mirror" } else { "depend" };
    let (message, explanation) = match end {
        End::Failed => (
            format!("`{bridge}` fails: its downstream pipeline failed (`strategy: {strategy}`)"),
            format!("With `strategy: {strategy}` the trigger job's status follows its downstream pipeline (app/models/ci/bridge.rb `inherit_status_from_downstream`): the downstream pipeline failed, so `{bridge}` fails, and the jobs after it behave as after any failed job. Without a strategy the trigger job succeeds as soon as the downstream pipeline is created."),
        ),
        _ => (
            format!("`{bridge}` does not finish: its downstream pipeline waits for a manual job (`strategy: {strategy}`)"),
            if mirror {
                format!("With `strategy: mirror` the trigger job takes its downstream pipeline's status (app/models/ci/bridge.rb `inherit_mirrored_status_from_downstream!`): that pipeline is blocked by a manual job nobody played, so `{bridge}` becomes manual and the jobs after it wait.")
            } else {
                format!("With `strategy: depend` the trigger job finishes only when its downstream pipeline succeeds, fails or is canceled (app/models/ci/bridge.rb `inherit_dependent_status_from_downstream!`); that pipeline is blocked by a manual job nobody played, so `{bridge}` keeps running and the jobs after it wait. pipesim shows it as not run.")
            },
        ),
    };
    let mut diagnostic = Diagnostic::resolve(
        Finding::warning("downstream-strategy", message, None).explain(explanation),
        &Files::new(),
    );
    diagnostic.event = Some(event);
    diagnostic.job = Some(bridge.to_owned());
    diagnostic
}

/// What to do with one downstream pipeline a trigger job asks for.
enum Plan {
    Create(Target),
    /// GitLab fails the trigger job with this finding (and shows the pipeline that failed to
    /// be created, when it got that far).
    Fail(Box<Failure>, Option<Target>),
    /// pipesim does not follow it (a project outside the scenario, its own chain bound).
    Note(Box<Diagnostic>),
}

/// A trigger job's failure: its finding and, for `downstream_pipeline_creation_failed`, the
/// downstream pipeline's errors.
struct Failure {
    diagnostic: Diagnostic,
    code: &'static str,
    downstream_errors: Vec<String>,
}

impl Failure {
    fn new(diagnostic: Diagnostic, downstream_errors: &[String]) -> Failure {
        Failure {
            code: diagnostic.code,
            diagnostic,
            downstream_errors: downstream_errors.to_vec(),
        }
    }
}

/// `downstream_pipeline_creation_failed` with the downstream pipeline's errors.
fn creation_failure(
    event: usize,
    bridge: &str,
    errors: &[String],
    explanation: Option<&str>,
) -> Box<Failure> {
    Box::new(Failure::new(
        downstream_failed(event, bridge, errors, explanation),
        errors,
    ))
}

/// One error of a downstream pipeline GitLab did not create, as the trigger job shows it.
fn downstream_error(event: usize, bridge: &str, error: &str) -> Diagnostic {
    job_finding(
        event,
        bridge,
        Finding::error("downstream-error", error.to_owned(), None).explain(format!(
            "GitLab shows this error of the downstream pipeline on `{bridge}` (create_downstream_pipeline_service.rb `create_downstream_error_messages`)."
        )),
    )
}

enum Target {
    Child,
    /// A pipeline in project `k` of the scenario (with the generated root file that passes
    /// `trigger:inputs` to its configuration).
    Multi(usize, Box<PipelineRequest>, Option<String>),
}

/// create_downstream_pipeline_service.rb `ensure_preconditions!` and the downstream
/// `CreatePipelineService`: whether the downstream pipeline is created, in GitLab's order —
/// project accessible, not the same project, (children: nesting and tree limits, checked when
/// the data flow asked for it), permissions, no loop; then the pipeline's own creation (ref,
/// configuration). A child or downstream pipeline that is not created fails the trigger job
/// with `downstream_pipeline_creation_failed` and the pipeline's errors as job messages.
fn plan_downstream(at: &Place, child: &dataflow::ChildRequest, id: u64, event: usize) -> Plan {
    let Some(downstream) = &child.downstream else {
        let mut child_project = at.project.clone();
        child_project.ci_config_path = child.entry.clone();
        return match creation_errors(
            at,
            &child_project,
            &at.world[at.in_project],
            &child.request,
            id,
        ) {
            None => Plan::Create(Target::Child),
            Some(errors) => Plan::Fail(
                Box::new(Failure::new(
                    downstream_failed(event, &child.bridge, &errors, None),
                    &errors,
                )),
                Some(Target::Child),
            ),
        };
    };
    let bridge = child.bridge.as_str();
    let upstream = at.world[at.in_project].project();
    let found = at
        .world
        .iter()
        .position(|t| t.project().path == downstream.project);
    let fail = |reason: &'static str, message: &str, explanation: String| {
        Plan::Fail(
            Box::new(Failure::new(
                job_finding(
                    event,
                    bridge,
                    Finding::error(reason, message.to_owned(), None).explain(explanation),
                ),
                &[],
            )),
            None,
        )
    };
    let Some(k) = found.filter(|&k| at.world[k].project().access != Role::None) else {
        let why = match found {
            Some(_) => format!("the scenario's user is not a member of {} (`access: none`), and GitLab hides a project its user cannot read", downstream.project),
            None => format!("{} is not a project of this scenario (add it under `projects:` to simulate its pipeline)", downstream.project),
        };
        return fail(
            "downstream_bridge_project_not_found",
            DOWNSTREAM_PROJECT_NOT_FOUND,
            format!("`{bridge}` triggers a pipeline in `{}`, but {why}, so GitLab fails `{bridge}` with the failure reason `downstream_bridge_project_not_found` before creating anything (app/services/ci/create_downstream_pipeline_service.rb `downstream_project_accessible?`).", downstream.project),
        );
    };
    if k == at.in_project {
        return fail(
            "invalid_bridge_trigger",
            INVALID_BRIDGE_TRIGGER,
            format!("`{bridge}` uses `trigger:project` with its own project `{}`. A pipeline in the same project is a child pipeline: use `trigger:include` instead (create_downstream_pipeline_service.rb fails a multi-project trigger of the same project with `invalid_bridge_trigger`).", downstream.project),
        );
    }
    let target = &at.world[k];
    let target_project = target.project();
    let ref_name = downstream
        .branch
        .clone()
        .unwrap_or_else(|| target_project.default_branch.clone());
    let protected_ref = crate::event::variables::branch_protected(target_project, &ref_name)
        || (!target.branch_exists(&ref_name)
            && crate::event::variables::tag_protected(target_project, &ref_name));
    // `update_pipeline` upstream and `create_pipeline` downstream need Developer; pushing or
    // merging to a protected branch (`can_update_branch?`) needs Maintainer by default.
    let needed = if protected_ref {
        Role::Maintainer
    } else {
        Role::Developer
    };
    if upstream.access < Role::Developer || target_project.access < needed {
        let (who, role) = if upstream.access < Role::Developer {
            (upstream.path.as_str(), upstream.access)
        } else {
            (target_project.path.as_str(), target_project.access)
        };
        return fail(
            "insufficient_bridge_permissions",
            INSUFFICIENT_BRIDGE_PERMISSIONS,
            format!("The scenario's user is {} in `{who}`. To trigger a pipeline on `{ref_name}` of `{}` GitLab requires Developer in the upstream project (`update_pipeline`) and in the downstream project (`create_pipeline`), and the right to push or merge to `{ref_name}` there{} (create_downstream_pipeline_service.rb `can_create_downstream_pipeline?`). Fix: give the user that role, or trigger an unprotected branch.", role.as_str(), target_project.path, if protected_ref { ", a protected ref: Maintainer with the default protection" } else { "" }),
        );
    }
    // `has_cyclic_dependency?`: the (project, ref, source) of the trigger job's pipeline and
    // its upstreams, child pipelines left out; a second repetition is a loop.
    let looping = at
        .chain
        .iter()
        .any(|entry| at.chain.iter().filter(|other| *other == entry).count() > 2);
    if looping {
        return fail(
            "pipeline_loop_detected",
            PIPELINE_LOOP_DETECTED,
            format!("`{bridge}` would continue a chain of multi-project pipelines that already runs the same project, ref and source three times (create_downstream_pipeline_service.rb `has_cyclic_dependency?` allows one cycle and fails at the second). Fix: give the trigger jobs rules so the downstream project does not trigger back (for example `rules: [{{if: $CI_PIPELINE_SOURCE != \"pipeline\"}}]`)."),
        );
    }
    if at.chain.len() >= MAX_DOWNSTREAM_CHAIN {
        return Plan::Note(Box::new(job_finding(
            event,
            bridge,
            Finding::warning(
                "downstream-refused",
                format!("too big to simulate: this chain of multi-project pipelines is {MAX_DOWNSTREAM_CHAIN} pipelines long"),
                None,
            )
            .explain(format!("GitLab would go on creating the pipeline `{bridge}` asks for; pipesim stops following a chain of multi-project pipelines at {MAX_DOWNSTREAM_CHAIN} (its own limit), so what it would do is not shown.")),
        )));
    }
    // Chain::Validate::Abilities: the trigger job's variables are pipeline variables of the
    // downstream pipeline, which its "Minimum role to use pipeline variables" must allow
    // (child pipelines are exempt).
    let variables_allowed = target_project
        .settings
        .pipeline_variables_minimum_role
        .is_some_and(|role| target_project.access >= role);
    if !child.request.pipeline_variables.is_empty() && !variables_allowed {
        return Plan::Fail(
            creation_failure(
                event,
                bridge,
                &[PIPELINE_VARIABLES_NOT_ALLOWED.to_owned()],
                Some(&format!("`{bridge}` passes variables ({}) to `{}`, where they become pipeline variables, and that project's \"Minimum role to use pipeline variables\" is {} while the scenario's user is {} there. GitLab creates no pipeline and fails `{bridge}` with `downstream_pipeline_creation_failed`. Fix: lower that setting in `{}` (`settings: {{pipeline_variables_minimum_role: developer}}`), or stop forwarding variables (`forward: {{yaml_variables: false}}` and no `variables:` on the trigger job).", child.request.pipeline_variables.iter().map(|(k, _)| format!("`{k}`")).collect::<Vec<_>>().join(", "), target_project.path, target_project.settings.pipeline_variables_minimum_role.map_or("no one allowed", Role::as_str), target_project.access.as_str(), target_project.path)),
            ),
            None,
        );
    }
    let Some(request) = target.downstream_request(
        event,
        Some(&ref_name),
        child.request.pipeline_variables.clone(),
    ) else {
        return Plan::Fail(
            creation_failure(
            event,
            bridge,
            &[REFERENCE_NOT_FOUND.to_owned()],
            Some(&format!("`{ref_name}` is neither a branch nor a tag of `{}` at this point of the timeline, so the downstream `CreatePipelineService` stops at its first check (lib/gitlab/ci/pipeline/chain/validate/repository.rb) with \"{REFERENCE_NOT_FOUND}\". Fix: point `trigger:branch` at a ref that exists there (its default branch is `{}`).", target_project.path, target_project.default_branch)),
            ),
            None,
        );
    };
    let (request, entry) = with_inputs(request, target_project, downstream, id, bridge);
    let with_entry = entry.as_ref().map(|entry| {
        let mut project = target_project.clone();
        project.ci_config_path = entry.clone();
        project
    });
    let creating = with_entry.as_ref().unwrap_or(target_project);
    match creation_errors(at, creating, target, &request, id) {
        None => Plan::Create(Target::Multi(k, Box::new(request), entry)),
        Some(errors) => Plan::Fail(
            creation_failure(
            event,
            bridge,
            &errors,
            Some(&format!("GitLab does not create the pipeline `{bridge}` asks for in `{}` ({}), so `{bridge}` fails with the failure reason `downstream_pipeline_creation_failed`, the downstream pipeline's errors shown as its job messages. The downstream pipeline's source is `pipeline`: check its `workflow:rules` and `rules` for that source.", target_project.path, if errors.is_empty() { "it has no jobs".to_owned() } else { errors.join(" ") })),
            ),
            Some(Target::Multi(k, Box::new(request), entry)),
        ),
    }
}

/// `trigger:inputs` for a multi-project pipeline: its configuration is read through a
/// generated root file that includes it with those inputs (as a child's `trigger:include`
/// with `inputs:` is), so `spec:inputs` and `$[[ inputs.x ]]` work as GitLab's pipeline
/// inputs do. `CI_CONFIG_PATH` then names the generated file.
fn with_inputs(
    mut request: PipelineRequest,
    project: &Project,
    downstream: &dataflow::Downstream,
    id: u64,
    bridge: &str,
) -> (PipelineRequest, Option<String>) {
    let Some(inputs) = &downstream.inputs else {
        return (request, None);
    };
    let entry = format!(
        ".pipesim/downstream/{id}-{}.yml",
        crate::event::variables::slug(bridge)
    );
    let span = inputs.span;
    let text = |s: &str| Node::new(Value::Str(s.to_owned()), span);
    let mut item = crate::yaml::Map::default();
    item.insert(text("local"), text(&project.ci_config_path));
    item.insert(text("inputs"), inputs.clone());
    let mut root = crate::yaml::Map::default();
    root.insert(
        text("include"),
        Node::new(Value::Seq(vec![Node::new(Value::Map(item), span)]), span),
    );
    request.files.insert(
        &entry,
        crate::yaml::emit::to_yaml(&Node::new(Value::Map(root), span)),
    );
    (request, Some(entry))
}

/// Whether a downstream pipeline would be created: `None` if so, else its errors. It is
/// created once here to find out; its report is made again, with its own id, once the
/// upstream is recorded.
fn creation_errors(
    _at: &Place,
    project: &Project,
    timeline: &Timeline,
    request: &PipelineRequest,
    id: u64,
) -> Option<Vec<String>> {
    let compare_to = |reference: &str| compare(timeline, reference, request);
    let source = Projects(_at.world);
    let report = pipeline::create(&pipeline::Request {
        project,
        pipeline: request,
        id: id + 1,
        iid: id + 1,
        compare_to: &compare_to,
        projects: (_at.world.len() > 1).then_some(&source as &dyn ProjectSource),
    });
    (!report.created).then(|| report.errors.iter().map(|e| e.message.clone()).collect())
}

fn job_finding(event: usize, bridge: &str, finding: Finding) -> Diagnostic {
    let mut diagnostic = Diagnostic::resolve(finding, &Files::new());
    diagnostic.event = Some(event);
    diagnostic.job = Some(bridge.to_owned());
    diagnostic
}

/// commit_status_presenter.rb `downstream_bridge_project_not_found`.
pub const DOWNSTREAM_PROJECT_NOT_FOUND: &str =
    "This job could not be executed because downstream bridge project could not be found";
/// commit_status_presenter.rb `insufficient_bridge_permissions`.
pub const INSUFFICIENT_BRIDGE_PERMISSIONS: &str = "This job could not be executed because of insufficient permissions to create a downstream pipeline";
/// commit_status_presenter.rb `invalid_bridge_trigger`.
pub const INVALID_BRIDGE_TRIGGER: &str =
    "This job could not be executed because downstream pipeline trigger definition is invalid";
/// commit_status_presenter.rb `pipeline_loop_detected`.
pub const PIPELINE_LOOP_DETECTED: &str =
    "This job could not be executed because it would create infinitely looping pipelines";
/// lib/gitlab/ci/pipeline/chain/validate/abilities.rb: pipeline variables the user may not set.
pub const PIPELINE_VARIABLES_NOT_ALLOWED: &str =
    "Insufficient permissions to set pipeline variables";
/// lib/gitlab/ci/pipeline/chain/validate/repository.rb: the pipeline's ref does not exist.
pub const REFERENCE_NOT_FOUND: &str = "Reference not found";

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

/// The trigger job's failure: app/presenters/commit_status_presenter.rb's text for
/// `downstream_pipeline_creation_failed` (app/models/concerns/enums/ci/commit_status.rb).
fn downstream_failed(
    event: usize,
    bridge: &str,
    errors: &[String],
    explanation: Option<&str>,
) -> Diagnostic {
    let explanation = match explanation {
        Some(text) => text.to_owned(),
        None => format!(
            "`{bridge}` asks for a child pipeline that GitLab does not create ({}), so `{bridge}` fails with the failure reason `downstream_pipeline_creation_failed`, and the jobs after it behave as after any failed job. Fix: make the child configuration create at least one job for this pipeline (check its `workflow:rules` and `rules`: a child pipeline's source is `parent_pipeline`), or give the trigger job rules so it only runs when the child has work.",
            if errors.is_empty() {
                "it has no jobs".to_owned()
            } else {
                errors.join(" ")
            }
        ),
    };
    let mut diagnostic = Diagnostic::resolve(
        Finding::error(
            "downstream_pipeline_creation_failed",
            DOWNSTREAM_CREATION_FAILED.to_owned(),
            None,
        )
        .explain(explanation),
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Two projects whose trigger jobs fan out to each other: GitLab's loop check and the
    /// tree's size (`pipeline_hierarchy_size`, counted across projects) bound the work.
    #[test]
    fn projects_triggering_each_other_stay_bounded() {
        let config = |other: &str| -> String {
            (0..5)
                .map(|i| format!("t{i}:\n  trigger:\n    project: {other}\n"))
                .collect()
        };
        let projects = vec![
            (
                Project::new("group/a"),
                [(".gitlab-ci.yml", config("group/b"))]
                    .into_iter()
                    .collect(),
            ),
            (
                Project::new("group/b"),
                [(".gitlab-ci.yml", config("group/a"))]
                    .into_iter()
                    .collect(),
            ),
        ];
        let push = Event::Push(Push {
            target: RefTarget::Branch("main".into()),
            ..Push::default()
        });
        let simulation = simulate_projects(&projects, &[push], &[0], &[]);
        assert_eq!(
            simulation.pipelines.len(),
            crate::dataflow::hierarchy::PIPELINE_HIERARCHY_SIZE
        );
        let codes = |code: &str| {
            simulation
                .diagnostics
                .iter()
                .filter(|d| d.code == code)
                .count()
        };
        assert!(codes("reached_max_pipeline_hierarchy_size") > 0);
        assert!(codes("pipeline_loop_detected") > 0);
        // No chain runs the same project, ref and source more than three times.
        assert!(simulation
            .pipelines
            .iter()
            .all(|p| p.source == "push" || p.upstream.is_some()));
    }
}
