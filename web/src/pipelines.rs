//! The pipelines of each event, drawn the way GitLab users know them: stage columns of job
//! cards (or the needs graph), the jobs left out with their reason, and GitLab's message for a
//! pipeline it does not create. The helpers here (job cards, diagnostics per job, event labels)
//! are shared with the job details and the timeline.

use std::rc::Rc;

use pipesim::pipeline::{JobReport, PipelineReport, Status};
use pipesim::simulate::Simulation;
use pipesim::{Diagnostic, Severity};
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::diagnostics::{inline_code, is_unsure, severity_badge};
use crate::job::{checks_list, rich};
use crate::state::{EventForm, EventKind, Selection, Shared, Shown, View};

#[derive(Properties, PartialEq)]
pub struct PipelinesViewProps {
    pub simulation: Shared<Simulation>,
    pub events: Rc<Vec<EventForm>>,
    pub selected: Option<Selection>,
    pub on_select: Callback<Selection>,
    /// `View::Pipelines` (stage columns) or `View::Needs` (the needs graph).
    pub view: View,
    /// The events shown (an embed's choice; every event by default).
    #[prop_or_default]
    pub shown: Rc<Shown>,
}

#[function_component(PipelinesView)]
pub fn pipelines_view(props: &PipelinesViewProps) -> Html {
    let sim = &*props.simulation;
    let count = event_count(sim, &props.events);
    if count == 0 {
        return empty_state();
    }
    let ctx = Ctx {
        sim,
        selected: props.selected.as_ref(),
        on_select: &props.on_select,
    };
    let groups = props.shown.shown_of(count).into_iter().map(|n| {
        let pipelines = event_pipelines(sim, n);
        let notes = sim
            .diagnostics
            .iter()
            .filter(|d| d.event == Some(n) && d.pipeline.is_none() && d.job.is_none());
        let title = event_title(&props.events, n);
        let heading = format!("event-{n}-title");
        html! {
            <section class="event-group" aria-labelledby={heading.clone()}>
                <h3 class="event-head" id={heading}>{ title }</h3>
                <ul class="event-notes">
                    { for notes.map(|d| html! {
                        <li class={classes!("result-note", if is_unsure(d) { "info" } else { d.severity.as_str() })}>
                            { severity_badge(d.severity, is_unsure(d)) }{ " " }{ inline_code(&d.message) }
                        </li>
                    }) }
                </ul>
                if pipelines.is_empty() {
                    <p class="no-pipeline">{ no_pipeline_text(props.events.get(n - 1)) }</p>
                }
                { for pipelines.iter().map(|(p, depth)| pipeline_card(&ctx, &props.simulation, p, *depth, props.view)) }
            </section>
        }
    });
    html! {
        <div class={classes!("pipelines", (props.view == View::Needs).then_some("needs-view"))}>
            { for groups }
        </div>
    }
}

/// What every card needs to know besides its job.
pub(crate) struct Ctx<'a> {
    pub sim: &'a Simulation,
    pub selected: Option<&'a Selection>,
    pub on_select: &'a Callback<Selection>,
}

impl Ctx<'_> {
    fn is_selected(&self, p: &PipelineReport, job: &JobReport) -> bool {
        self.selected
            .is_some_and(|s| s.pipeline == p.id && s.job == job.name)
    }
}

pub(crate) fn empty_state() -> Html {
    html! {
        <div class="results-empty">
            <p><strong>{ "Add an event to see the pipelines GitLab creates" }</strong></p>
            <p>{ "A push, a merge request or a schedule: each event asks GitLab for pipelines, and they show up here." }</p>
        </div>
    }
}

fn no_pipeline_text(event: Option<&EventForm>) -> &'static str {
    match event.map(|e| e.kind) {
        Some(EventKind::Wait) => "Time passes: no pipeline is asked for.",
        _ => "This event asks GitLab for no pipeline.",
    }
}

/// How many events the results cover: the form's, or more if the results are newer.
pub(crate) fn event_count(sim: &Simulation, events: &[EventForm]) -> usize {
    sim.pipelines
        .iter()
        .map(|p| p.event)
        .max()
        .unwrap_or(0)
        .max(events.len())
}

/// "Event 2: merge request !1 feature → main".
pub(crate) fn event_title(events: &[EventForm], n: usize) -> String {
    match n.checked_sub(1).filter(|&i| i < events.len()) {
        Some(i) => format!("Event {n}: {}", event_summary(events, i)),
        None => format!("Event {n}"),
    }
}

/// The one-line summary of event `i`; a merge names the branches of its merge request
/// ("merge !1 feature → staging"), and an event in another project names that project.
pub(crate) fn event_summary(events: &[EventForm], i: usize) -> String {
    let Some(e) = events.get(i) else {
        return String::new();
    };
    let mut text = e.summary();
    if e.kind == EventKind::Merge {
        let opened = events[..i]
            .iter()
            .rev()
            .find(|m| m.kind == EventKind::MergeRequest && m.iid == e.iid);
        if let Some(mr) = opened {
            text = format!(
                "merge !{} {} → {}",
                e.iid,
                mr.source.trim(),
                mr.target.trim()
            );
        }
    }
    if !e.project.trim().is_empty() {
        text = format!("{text} in {}", e.project.trim());
    }
    text
}

/// The pipelines of event `n`, each parent followed by its child pipelines (with their depth).
pub(crate) fn event_pipelines(sim: &Simulation, n: usize) -> Vec<(&PipelineReport, usize)> {
    let list: Vec<&PipelineReport> = sim.pipelines.iter().filter(|p| p.event == n).collect();
    let mut done = vec![false; list.len()];
    let mut out = Vec::with_capacity(list.len());
    let is_root =
        |p: &PipelineReport| started_by(p).is_none_or(|id| !list.iter().any(|q| q.id == id));
    for i in 0..list.len() {
        if is_root(list[i]) {
            visit(&list, i, 0, &mut done, &mut out);
        }
    }
    // Anything left (a parent cycle cannot happen, but never lose a pipeline).
    for i in 0..list.len() {
        if !done[i] {
            visit(&list, i, 0, &mut done, &mut out);
        }
    }
    out
}

fn visit<'a>(
    list: &[&'a PipelineReport],
    i: usize,
    depth: usize,
    done: &mut [bool],
    out: &mut Vec<(&'a PipelineReport, usize)>,
) {
    if done[i] {
        return;
    }
    done[i] = true;
    out.push((list[i], depth));
    let id = list[i].id;
    for j in 0..list.len() {
        if started_by(list[j]) == Some(id) {
            visit(list, j, depth + 1, done, out);
        }
    }
}

/// The pipeline whose trigger job started `p`: its parent (a child pipeline) or its upstream
/// pipeline in another project (a multi-project pipeline).
pub(crate) fn started_by(p: &PipelineReport) -> Option<u64> {
    p.parent.or(p.upstream)
}

/// The pipelines that trigger job `job` of `p` started (child and downstream pipelines).
pub(crate) fn downstream_of<'a>(
    sim: &'a Simulation,
    p: &PipelineReport,
    job: &str,
) -> Vec<&'a PipelineReport> {
    sim.pipelines
        .iter()
        .filter(|d| started_by(d) == Some(p.id) && d.trigger_job.as_deref() == Some(job))
        .collect()
}

/// "#3"; none for a pipeline GitLab does not create (it gets no number: its status badge
/// says "not created").
pub(crate) fn pipeline_label(p: &PipelineReport) -> Option<String> {
    (p.status != Status::NotCreated).then(|| format!("#{}", p.id))
}

/// "child of #2 via `trigger`" or "downstream of #2 (acme/app) via `deploy`".
pub(crate) fn started_by_text(sim: &Simulation, p: &PipelineReport) -> Option<Html> {
    let (word, id) = match (p.parent, p.upstream) {
        (Some(id), _) => ("child of", id),
        (None, Some(id)) => ("downstream of", id),
        _ => return None,
    };
    let project = sim
        .pipelines
        .iter()
        .find(|q| q.id == id)
        .and_then(|q| q.project.clone())
        .filter(|path| p.project.as_ref() != Some(path));
    Some(html! {
        <>
            { format!("{word} #{id}") }
            if let Some(path) = project {
                { format!(" in {path}") }
            }
            if let Some(job) = &p.trigger_job {
                { " via " }<code>{ job }</code>
            }
        </>
    })
}

/// Every diagnostic about `job` of pipeline `p`, in the pipeline or across the simulation.
pub(crate) fn job_diagnostics<'a>(
    sim: &'a Simulation,
    p: &'a PipelineReport,
    job: &str,
) -> Vec<&'a Diagnostic> {
    let own = p
        .errors
        .iter()
        .chain(&p.warnings)
        .filter(|d| d.job.as_deref() == Some(job) && d.pipeline.is_none_or(|id| id == p.id));
    let across = sim
        .diagnostics
        .iter()
        .filter(|d| d.pipeline == Some(p.id) && d.job.as_deref() == Some(job));
    let mut out: Vec<&Diagnostic> = Vec::new();
    for d in own.chain(across) {
        if !out
            .iter()
            .any(|o| o.code == d.code && o.message == d.message)
        {
            out.push(d);
        }
    }
    out
}

/// Errors and warnings: what the break marker ✕ is for.
pub(crate) fn breaks(diagnostics: Vec<&Diagnostic>) -> Vec<&Diagnostic> {
    diagnostics.into_iter().filter(|d| !is_unsure(d)).collect()
}

/// (class, label) of a pipeline's status badge; a created pipeline shows how it would end.
pub(crate) fn pipeline_status(p: &PipelineReport) -> (&'static str, &'static str) {
    match p.status {
        Status::NotCreated => ("not-created", "not created"),
        Status::Failed => ("failed", "failed"),
        Status::Skipped => ("skipped", "skipped"),
        Status::Created => {
            let created = || p.jobs.iter().filter(|j| j.created);
            let ended = |j: &JobReport, how: &str| j.outcome.as_deref() == Some(how);
            if created().any(|j| ended(j, "failed") && !j.allow_failure) {
                ("failed", "failed")
            } else if created()
                .any(|j| j.when == "manual" && !j.allow_failure && ended(j, "not_run"))
            {
                ("blocked", "blocked")
            } else if created().any(|j| ended(j, "failed")) {
                ("warning", "passed with warnings")
            } else {
                ("passed", "passed")
            }
        }
    }
}

/// [`pipeline_status`], said so that "passed" never stands beside a break: GitLab shows the
/// pipeline as passed, but a job in it does not get what it expects.
pub(crate) fn pipeline_status_in(
    sim: &Simulation,
    p: &PipelineReport,
) -> (&'static str, &'static str) {
    let status = pipeline_status(p);
    let breaks_here = || {
        p.jobs.iter().filter(|j| j.created).any(|j| {
            job_diagnostics(sim, p, &j.name)
                .iter()
                .any(|d| d.severity == Severity::Error && !crate::diagnostics::is_unsure(d))
        })
    };
    if status.0 == "passed" && breaks_here() {
        ("passed-broken", "passed, but a job breaks")
    } else {
        status
    }
}

fn pipeline_card(
    ctx: &Ctx,
    shared: &Shared<Simulation>,
    p: &PipelineReport,
    depth: usize,
    view: View,
) -> Html {
    let (status_class, status_label) = pipeline_status_in(ctx.sim, p);
    // One message once: a note the pipeline and the simulation both give is shown once.
    let mut notes: Vec<&Diagnostic> = Vec::new();
    for d in p.warnings.iter().filter(|d| d.job.is_none()).chain(
        ctx.sim
            .diagnostics
            .iter()
            .filter(|d| d.pipeline == Some(p.id) && d.job.is_none()),
    ) {
        if !notes
            .iter()
            .any(|n| n.code == d.code && n.message == d.message)
        {
            notes.push(d);
        }
    }
    let not_created: Vec<&JobReport> = p.jobs.iter().filter(|j| !j.created).collect();
    let body = if !p.created {
        let mut shown: Vec<&str> = Vec::new();
        let errors = p
            .errors
            .iter()
            .filter(|d| {
                let new = !shown.contains(&d.message.as_str());
                shown.push(&d.message);
                new
            })
            .map(|d| html! { <p class="gitlab-message">{ inline_code(&d.message) }</p> })
            .collect::<Vec<_>>();
        html! {
            <div class={classes!("pipeline-message", status_class)} role="note">
                { for errors }
                <p class="reason">{ rich(&p.reason) }</p>
            </div>
        }
    } else {
        let grouping = if view == View::Needs {
            Grouping::Layers
        } else {
            Grouping::Stage
        };
        let selected = ctx
            .selected
            .filter(|s| s.pipeline == p.id)
            .map(|s| AttrValue::from(s.job.clone()));
        html! {
            <>
                <p class="reason">{ rich(&p.reason) }</p>
                <JobGraph simulation={shared.clone()} pipeline={p.id} {grouping} {selected}
                    on_select={ctx.on_select.clone()} />
            </>
        }
    };
    let depth_style = (depth > 0).then(|| format!("--depth:{}", depth.min(3)));
    html! {
        <article class={classes!("pipeline", status_class, (depth > 0).then_some("child"))}
            style={depth_style} data-pipeline={p.id.to_string()}
            aria-label={if p.status == Status::NotCreated { "Pipeline not created".to_owned() } else { format!("Pipeline #{}", p.id) }}>
            <header class="pipeline-head">
                <h4 class="pipeline-title">
                    if let Some(label) = pipeline_label(p) {
                        <span class="pipeline-id">{ label }</span>
                    }
                    <span class={classes!("status-badge", status_class)}>{ status_label }</span>
                </h4>
                if let Some(project) = &p.project {
                    <span class="pipeline-project" title="project">{ project }</span>
                }
                <span class="pipeline-source">{ &p.source }</span>
                <code class="pipeline-ref" title="ref">{ &p.ref_name }</code>
                if let Some(name) = &p.name {
                    <span class="pipeline-name">{ name }</span>
                }
                if let Some(text) = started_by_text(ctx.sim, p) {
                    <span class="child-of">{ text }</span>
                }
            </header>
            { body }
            if !p.workflow.is_empty() {
                <details class="workflow">
                    <summary><code>{ "workflow:rules" }</code></summary>
                    { checks_list(&p.workflow) }
                </details>
            }
            <ul class="pipeline-notes">
                { for notes.iter().map(|d| html! {
                    <li class={classes!("result-note", if is_unsure(d) { "info" } else { d.severity.as_str() })}>
                        { severity_badge(d.severity, is_unsure(d)) }
                        { " " }{ inline_code(&d.message) }
                    </li>
                }) }
            </ul>
            if !not_created.is_empty() {
                <LeftOut simulation={shared.clone()} pipeline={p.id}
                    selected={ctx.selected.filter(|s| s.pipeline == p.id).map(|s| AttrValue::from(s.job.clone()))}
                    on_select={ctx.on_select.clone()} />
            }
        </article>
    }
}

/// The jobs left out: one line each (the name and the first words of the reason); the whole
/// reason opens under its line. The lines are drawn only while the list is open (a pipeline
/// that leaves out 1,000 jobs draws none of them until asked).
#[derive(Properties, PartialEq)]
struct LeftOutProps {
    simulation: Shared<Simulation>,
    pipeline: u64,
    selected: Option<AttrValue>,
    on_select: Callback<Selection>,
}

#[function_component(LeftOut)]
fn left_out(props: &LeftOutProps) -> Html {
    let sim = &*props.simulation;
    let jobs: Vec<&JobReport> = sim
        .pipelines
        .iter()
        .find(|p| p.id == props.pipeline)
        .map(|p| p.jobs.iter().filter(|j| !j.created).collect())
        .unwrap_or_default();
    let open = use_state_eq(|| jobs.len() <= 6);
    let ontoggle = {
        let open = open.clone();
        Callback::from(move |e: Event| {
            if let Some(details) = e.target_dyn_into::<web_sys::Element>() {
                open.set(details.has_attribute("open"));
            }
        })
    };
    let items = jobs.iter().filter(|_| *open).map(|job| {
        let selected = props.selected.as_deref() == Some(job.name.as_str());
        let onclick = select(&props.on_select, props.pipeline, &job.name);
        html! {
            <li>
                <button type="button" class={classes!("job-link", selected.then_some("selected"))}
                    aria-pressed={selected.to_string()} data-job={job.name.clone()} {onclick}>
                    { &job.name }
                </button>
                <details class="why-more">
                    <summary class="why-short" title="Show why">{ first_clause(&job.why) }</summary>
                    <span class="why">{ rich(&job.why) }</span>
                </details>
            </li>
        }
    });
    html! {
        <details class="left-out" open={*open} {ontoggle}>
            <summary>{ format!("Not in this pipeline ({})", jobs.len()) }</summary>
            <ul>{ for items }</ul>
        </details>
    }
}

/// The reason's first clause without its backticks (and without the "Not in this pipeline"
/// every reason starts with), for a one-line summary.
fn first_clause(why: &str) -> String {
    let plain = why.replace('`', "");
    let rest = plain
        .strip_prefix("Not in this pipeline")
        .map(|r| r.trim_start_matches([':', '.', ' ']))
        .filter(|r| !r.is_empty())
        .unwrap_or(&plain);
    let end = rest
        .find(['.', ';', '('])
        .filter(|&i| i > 0)
        .unwrap_or(rest.len());
    rest[..end].trim().to_owned()
}

pub(crate) fn select(
    on_select: &Callback<Selection>,
    pipeline: u64,
    job: &str,
) -> Callback<MouseEvent> {
    let job = job.to_owned();
    on_select.reform(move |_: MouseEvent| Selection {
        pipeline,
        job: job.clone(),
    })
}

/// The stages that hold created jobs, in the pipeline's order.
fn stages_of<'a>(p: &'a PipelineReport, jobs: &[&'a JobReport]) -> Vec<&'a str> {
    let mut stages: Vec<&str> = p
        .stages
        .iter()
        .map(String::as_str)
        .filter(|s| jobs.iter().any(|j| j.stage == *s))
        .collect();
    for j in jobs {
        if !stages.contains(&j.stage.as_str()) {
            stages.push(&j.stage);
        }
    }
    stages
}

/// The downstream pipeline under its trigger job, as GitLab's pipeline graph shows it: its
/// project, number and status (the pipeline's own card follows, indented).
pub(crate) fn downstream_chip(sim: &Simulation, d: &PipelineReport) -> Html {
    let (class, label) = pipeline_status_in(sim, d);
    html! {
        <div class={classes!("downstream-chip", class)} data-downstream={d.id.to_string()}>
            <span aria-hidden="true">{ "↳ " }</span>
            if let Some(label) = pipeline_label(d) {
                <span class="pipeline-id">{ label }</span>
            }
            if let Some(project) = &d.project {
                { " " }<span class="pipeline-project">{ project }</span>
            }
            { " " }<span class={classes!("status-badge", class)}>{ label }</span>
        </div>
    }
}

pub(crate) fn arrow_marker(id: &str, class: &'static str) -> Html {
    html! {
        <marker id={id.to_owned()} viewBox="0 0 10 10" refX="9" refY="5" markerUnits="userSpaceOnUse" markerWidth="9" markerHeight="9" orient="auto-start-reverse">
            <path d="M0,0 L10,5 L0,10 z" class={class} />
        </marker>
    }
}

/// A curve from the right edge of the box at `from` to the left edge of the box at `to`
/// (`(x, y, width)` of each box's top-left corner, boxes `h` high); boxes in one column are
/// joined on their right.
pub(crate) fn edge_path(from: (i32, i32, i32), to: (i32, i32, i32), h: i32) -> String {
    let (y1, y2) = (from.1 + h / 2, to.1 + h / 2);
    if to.0 > from.0 {
        let (x1, x2) = (from.0 + from.2, to.0 - 2);
        let c = ((x2 - x1) / 2).max(20);
        format!("M{x1},{y1} C{},{y1} {},{y2} {x2},{y2}", x1 + c, x2 - c)
    } else if to.0 == from.0 {
        let x = from.0 + from.2;
        let bulge = 18 + 6 * ((y2 - y1).abs() / (h + ROW_GAP)).min(5);
        format!(
            "M{x},{y1} C{},{y1} {},{y2} {},{y2}",
            x + bulge,
            x + bulge,
            x + 2
        )
    } else {
        let (x1, x2) = (from.0, to.0 + to.2 + 2);
        format!("M{x1},{y1} C{},{y1} {},{y2} {x2},{y2}", x1 - 40, x2 + 40)
    }
}

/// (class, icon, words) for how a job ends, the way GitLab's status icons say it.
pub(crate) fn job_status(job: &JobReport) -> (&'static str, &'static str, &'static str) {
    if !job.created {
        return ("not-created", "–", "not in this pipeline");
    }
    match (job.outcome.as_deref(), job.when.as_str()) {
        (Some("success"), _) => ("success", "✓", "passed"),
        (Some("failed"), _) if job.allow_failure => ("warned", "!", "failed, allowed to fail"),
        (Some("failed"), _) => ("failed", "✕", "failed"),
        (Some("not_run"), "manual") => ("manual", "▶", "manual, not played"),
        (Some("not_run"), "delayed") => ("scheduled", "◷", "delayed, not run"),
        (Some("not_run"), _) => ("skipped", "»", "not run"),
        _ => ("created", "○", "created"),
    }
}

/// The marks GitLab puts on a job: (icon, words).
pub(crate) fn job_marks(job: &JobReport) -> Vec<(&'static str, String)> {
    let mut marks = Vec::new();
    if job.kind == "trigger" {
        marks.push(("↳", "trigger".to_owned()));
    }
    match job.when.as_str() {
        "manual" => marks.push(("▶", "manual".to_owned())),
        "delayed" => marks.push((
            "◷",
            job.start_in
                .as_ref()
                .map_or_else(|| "delayed".to_owned(), |s| format!("in {s}")),
        )),
        _ => {}
    }
    if job.allow_failure {
        marks.push(("⚠", "may fail".to_owned()));
    }
    marks
}

/// How a card is drawn: `compact` cards (graphs, timeline) show marks as icons; `style`
/// places it; `class` adds a look; `extra` is appended inside (the timeline's data line).
#[derive(Default)]
pub(crate) struct Look {
    pub compact: bool,
    pub style: Option<String>,
    pub class: Option<&'static str>,
    pub extra: Option<Html>,
}

/// A job card: a button that selects the job, with a break marker ✕ for its errors/warnings.
pub(crate) fn job_card(ctx: &Ctx, p: &PipelineReport, job: &JobReport, look: Look) -> Html {
    let problems = breaks(job_diagnostics(ctx.sim, p, &job.name));
    job_card_with(ctx, p, job, look, &problems)
}

pub(crate) fn job_card_with(
    ctx: &Ctx,
    p: &PipelineReport,
    job: &JobReport,
    look: Look,
    problems: &[&Diagnostic],
) -> Html {
    let Look {
        compact,
        style,
        class,
        extra,
    } = look;
    let selected = ctx.is_selected(p, job);
    let (status_class, icon, words) = job_status(job);
    let marks = job_marks(job).into_iter().map(|(icon, label)| {
        if compact {
            html! {
                <span class="mark" title={label.clone()}>
                    <span aria-hidden="true">{ icon }</span><span class="sr">{ format!(" {label}") }</span>
                </span>
            }
        } else {
            html! {
                <span class="mark"><span aria-hidden="true">{ icon }</span>{ " " }{ label }</span>
            }
        }
    });
    let broken = !problems.is_empty();
    let error = problems
        .iter()
        .any(|d| d.severity == Severity::Error && !is_unsure(d));
    let problem_text = problems
        .iter()
        .map(|d| d.message.trim())
        .collect::<Vec<_>>()
        .join("\n");
    let onclick = select(ctx.on_select, p.id, &job.name);
    html! {
        <button type="button"
            class={classes!("job-card", status_class, compact.then_some("compact"),
                selected.then_some("selected"), broken.then_some("broken"),
                (broken && !error).then_some("broken-warning"), class)}
            aria-pressed={selected.to_string()}
            data-job={job.name.clone()} data-pipeline={p.id.to_string()}
            title={compact.then(|| job.name.clone())}
            {style} {onclick}>
            <span class="job-status" aria-hidden="true">{ icon }</span>
            <span class="job-main">
                <span class="jc-name">{ &job.name }</span>
                <span class="sr">{ format!(", {words}") }</span>
                <span class="marks">{ for marks }</span>
                { for extra }
            </span>
            if broken {
                <span class={classes!("break", (!error).then_some("warning"))} role="img"
                    aria-label={format!("{}: {problem_text}", if error { "Problem" } else { "Warning" })}
                    title={problem_text.clone()}>{ if error { "✕" } else { "▲" } }</span>
            }
        </button>
    }
}

/// Used by [`edge_path`] to bend the lines between boxes of one column.
const ROW_GAP: i32 = 10;

// ---- The pipeline graph -----------------------------------------------------------------
//
// Mirrors GitLab's pipeline graph (app/assets/javascripts/ci/pipeline_details/graph/:
// `graph_component.vue`, `stage_column_component.vue`, `links_inner.vue`, and
// `utils/parsing_utils.js` for the layers): columns of job cards, by stage or by "job
// dependencies" (layers), jobs of one group (`build 1/3`, `test: [ruby, 3]`) as one card, the
// needs lines between groups, and hovering (or focusing) a job highlights it with everything it
// needs, transitively, and the lines between them, and dims the rest. Only the cards and lines
// in view are drawn, so a 1,000-job pipeline costs a screenful.

/// How the graph's columns are made, as GitLab's "Group jobs by" says it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Grouping {
    /// One column per stage (`View::Pipelines`).
    Stage,
    /// One column per layer of `needs` (`View::Needs`; GitLab's "Job dependencies").
    Layers,
}

const CARD_W: i32 = 184;
const CARD_H: i32 = 34;
const GAP_Y: i32 = 8;
const GAP_X: i32 = 44;
const STEP_X: i32 = CARD_W + GAP_X;
const CHIP_H: i32 = 30;
const PAD: i32 = 8;
/// What is drawn beyond the scrolled view, so that a scroll or a Tab finds cards waiting.
const OVERSCAN_Y: i32 = 480;
/// The scrolled position is kept in steps of this many pixels: one redraw per step.
const SNAP: i32 = 160;
/// Pipelines up to this many cards get their lines thinned as GitLab thins them (a need
/// already reached through another need draws no line of its own); above, every need is drawn.
const REDUCE_MAX: usize = 2000;

/// One card: a job, or a group of parallel or matrix jobs.
struct Node {
    /// The job's name, or the group's (`build` for `build 1/3`…).
    name: String,
    /// Indices into the pipeline's `jobs`.
    jobs: Vec<usize>,
    col: usize,
    /// Top edge, below the column heads.
    y: i32,
    /// Height: the card and its downstream pipelines.
    h: i32,
    /// The cards this one needs (its jobs' `needs`, by card).
    needs: Vec<usize>,
    /// Any job of the card has `needs` (else it waits for the earlier stages).
    explicit: bool,
}

struct Layout {
    heads: Vec<String>,
    /// The cards of each column, top to bottom.
    cols: Vec<Vec<usize>>,
    nodes: Vec<Node>,
    /// (needed, needing) pairs of cards: the lines.
    edges: Vec<(usize, usize)>,
    width: i32,
    height: i32,
    any_needs: bool,
}

fn layout(sim: &Simulation, p: &PipelineReport, grouping: Grouping) -> Layout {
    let created: Vec<&JobReport> = p.jobs.iter().filter(|j| j.created).collect();
    let stages = stages_of(p, &created);
    // Cards: the jobs of one stage with one group name share a card (GitLab's `Ci::Group`),
    // in the order of their first job. Found by sorting (stage, group name, job), which is
    // stable; the crate's one sort keeps the bundle free of another sort or hash map.
    let mut keyed: Vec<(usize, String, usize)> = p
        .jobs
        .iter()
        .enumerate()
        .filter(|(_, j)| j.created)
        .map(|(i, j)| {
            let s = stages.iter().position(|s| *s == j.stage).unwrap_or(0);
            (s, pipesim::event::variables::job_group_name(&j.name), i)
        })
        .collect();
    pipesim::sort::sort_by(&mut keyed, |a, b| (a.0, &a.1).cmp(&(b.0, &b.1)));
    let mut nodes: Vec<Node> = Vec::new();
    let mut node_of_job = vec![usize::MAX; p.jobs.len()];
    for (s, group, i) in keyed {
        let same = nodes
            .last()
            .is_some_and(|n: &Node| n.col == s && n.name == group);
        if !same {
            nodes.push(Node {
                name: group,
                jobs: Vec::new(),
                col: s,
                y: 0,
                h: CARD_H,
                needs: Vec::new(),
                explicit: false,
            });
        }
        let n = nodes.len() - 1;
        nodes[n].jobs.push(i);
        node_of_job[i] = n;
    }
    // Cards in stage order, each stage's in the order of their first job.
    let mut ordered: Vec<usize> = (0..nodes.len()).collect();
    pipesim::sort::sort_by_key(&mut ordered, |&n| (nodes[n].col, nodes[n].jobs[0]));
    let mut stage_nodes: Vec<Vec<usize>> = vec![Vec::new(); stages.len()];
    for n in ordered {
        stage_nodes[nodes[n].col].push(n);
    }
    let mut by_name: Vec<(&str, usize)> = p
        .jobs
        .iter()
        .enumerate()
        .filter(|&(i, _)| node_of_job[i] != usize::MAX)
        .map(|(i, j)| (j.name.as_str(), node_of_job[i]))
        .collect();
    pipesim::sort::sort_by(&mut by_name, |a, b| a.0.cmp(b.0));
    let find = |name: &str| {
        by_name
            .binary_search_by(|(n, _)| (*n).cmp(name))
            .ok()
            .map(|k| by_name[k].1)
    };
    for (n, node) in nodes.iter_mut().enumerate() {
        if node.jobs.len() == 1 {
            node.name = p.jobs[node.jobs[0]].name.clone();
        }
        for &i in &node.jobs {
            if let Some(needs) = &p.jobs[i].needs {
                node.explicit = true;
                for need in needs {
                    if let Some(m) = find(need) {
                        if m != n && !node.needs.contains(&m) {
                            node.needs.push(m);
                        }
                    }
                }
            }
        }
    }
    let any_needs = nodes.iter().any(|n| n.explicit);
    let order = topological(&nodes, &stage_nodes);
    let cols: Vec<Vec<usize>> = match grouping {
        Grouping::Stage => stage_nodes,
        Grouping::Layers => {
            let layer = layers(&nodes, &stage_nodes, &order);
            let count = layer.iter().copied().max().map_or(0, |m| m + 1);
            let mut cols = vec![Vec::new(); count];
            for (n, &l) in layer.iter().enumerate() {
                cols[l].push(n);
            }
            cols
        }
    };
    let heads = match grouping {
        Grouping::Stage => stages.iter().map(|s| (*s).to_owned()).collect(),
        Grouping::Layers => Vec::new(),
    };
    let mut height = 0;
    for (c, col) in cols.iter().enumerate() {
        let mut y = PAD;
        for &n in col {
            let node = &mut nodes[n];
            node.col = c;
            node.y = y;
            if node.jobs.len() == 1 {
                let below = downstream_of(sim, p, &p.jobs[node.jobs[0]].name).len() as i32;
                node.h = CARD_H + below * CHIP_H;
            }
            y += node.h + GAP_Y;
        }
        height = height.max(y - GAP_Y + PAD);
    }
    let edges = lines(&nodes, &order);
    Layout {
        heads,
        width: (cols.len().max(1) as i32) * STEP_X - GAP_X + 2 * PAD,
        height: height.max(CARD_H + 2 * PAD),
        cols,
        nodes,
        edges,
        any_needs,
    }
}

/// The cards in an order where each comes after what it needs (Kahn's algorithm over the
/// needs); cards in a cycle, which GitLab refuses, come last.
fn topological(nodes: &[Node], _stages: &[Vec<usize>]) -> Vec<usize> {
    let mut needed_by: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    let mut waiting: Vec<usize> = nodes.iter().map(|n| n.needs.len()).collect();
    for (n, node) in nodes.iter().enumerate() {
        for &m in &node.needs {
            needed_by[m].push(n);
        }
    }
    let mut order: Vec<usize> = (0..nodes.len()).filter(|&n| waiting[n] == 0).collect();
    let mut next = 0;
    while next < order.len() {
        let n = order[next];
        next += 1;
        for &m in &needed_by[n] {
            waiting[m] -= 1;
            if waiting[m] == 0 {
                order.push(m);
            }
        }
    }
    if order.len() < nodes.len() {
        let mut seen = vec![false; nodes.len()];
        for &n in &order {
            seen[n] = true;
        }
        order.extend((0..nodes.len()).filter(|&n| !seen[n]));
    }
    order
}

/// Each card's layer, as GitLab's `listByLayers` finds it: the longest path to it over the
/// needs, where a card without `needs` needs every card of the stage before it
/// (`previousStageJobsOrNeeds`).
fn layers(nodes: &[Node], stages: &[Vec<usize>], order: &[usize]) -> Vec<usize> {
    let mut layer = vec![0usize; nodes.len()];
    // The deepest layer of each stage, filled stage by stage: a card in stage s without
    // `needs` sits one past the deepest of stage s - 1.
    let mut deepest: Vec<Option<usize>> = vec![None; stages.len()];
    let mut done = vec![false; nodes.len()];
    // Stages in order; inside a stage, the topological order (needs within a stage).
    let mut rank = vec![0usize; nodes.len()];
    for (r, &n) in order.iter().enumerate() {
        rank[n] = r;
    }
    for (s, cards) in stages.iter().enumerate() {
        let mut cards = cards.clone();
        pipesim::sort::sort_by_key(&mut cards, |&n| rank[n]);
        for n in cards {
            let node = &nodes[n];
            let l = if node.explicit {
                node.needs
                    .iter()
                    .filter(|&&m| done[m])
                    .map(|&m| layer[m] + 1)
                    .max()
                    .unwrap_or(0)
            } else {
                s.checked_sub(1)
                    .and_then(|prev| deepest[prev])
                    .map_or(0, |d| d + 1)
            };
            layer[n] = l;
            done[n] = true;
            deepest[s] = Some(deepest[s].map_or(l, |d| d.max(l)));
        }
        if s > 0 && deepest[s].is_none() {
            deepest[s] = deepest[s - 1];
        }
    }
    layer
}

/// The lines: one per need, less the needs already reached through another need of the same
/// card (GitLab's `filterByAncestors`), for pipelines of up to [`REDUCE_MAX`] cards.
fn lines(nodes: &[Node], order: &[usize]) -> Vec<(usize, usize)> {
    let all = || {
        nodes
            .iter()
            .enumerate()
            .flat_map(|(n, node)| node.needs.iter().map(move |&m| (m, n)))
    };
    if nodes.len() > REDUCE_MAX {
        return all().collect();
    }
    // Ancestors of each card as bit sets, in topological order.
    let words = nodes.len().div_ceil(64);
    let mut ancestors = vec![0u64; nodes.len() * words];
    for &n in order {
        for &m in &nodes[n].needs {
            let (from, to) = (m * words, n * words);
            for w in 0..words {
                let bits = ancestors[from + w];
                ancestors[to + w] |= bits;
            }
            ancestors[to + m / 64] |= 1 << (m % 64);
        }
    }
    let has = |n: usize, m: usize| ancestors[n * words + m / 64] & (1 << (m % 64)) != 0;
    all()
        .filter(|&(m, n)| !nodes[n].needs.iter().any(|&o| o != m && has(o, m)))
        .collect()
}

/// The card and everything it needs, transitively (GitLab's `generateJobNeedsDict`).
fn chain(nodes: &[Node], from: usize) -> Vec<bool> {
    let mut on = vec![false; nodes.len()];
    let mut todo = vec![from];
    on[from] = true;
    while let Some(n) = todo.pop() {
        for &m in &nodes[n].needs {
            if !on[m] {
                on[m] = true;
                todo.push(m);
            }
        }
    }
    on
}

#[derive(Properties, PartialEq)]
pub struct JobGraphProps {
    pub simulation: Shared<Simulation>,
    pub pipeline: u64,
    pub grouping: Grouping,
    /// The selected job, when it is in this pipeline.
    pub selected: Option<AttrValue>,
    pub on_select: Callback<Selection>,
}

/// The part of the graph in view, in pixels, snapped to [`SNAP`].
#[derive(Clone, Copy, PartialEq)]
struct Window {
    top: i32,
    left: i32,
    height: i32,
    width: i32,
}

fn measure(element: &web_sys::Element) -> Window {
    let snap = |v: i32| v.max(0) / SNAP * SNAP;
    Window {
        top: snap(element.scroll_top()),
        left: snap(element.scroll_left()),
        height: element.client_height().max(SNAP) + SNAP,
        width: element.client_width().max(SNAP) + SNAP,
    }
}

/// The graph of one pipeline: columns of cards over one SVG of needs lines, drawn only where
/// the scroll box shows them.
#[function_component(JobGraph)]
pub fn job_graph(props: &JobGraphProps) -> Html {
    let layout = use_memo(
        (props.simulation.clone(), props.pipeline, props.grouping),
        |(sim, id, grouping)| {
            sim.pipelines
                .iter()
                .find(|p| p.id == *id)
                .map(|p| layout(sim, p, *grouping))
        },
    );
    let scroller = use_node_ref();
    let window = use_state_eq(|| Window {
        top: 0,
        left: 0,
        height: 900,
        width: 1600,
    });
    let hovered = use_state_eq(|| None::<usize>);
    let focused = use_state_eq(|| None::<usize>);
    let open = use_state_eq(|| None::<usize>);
    let pending = use_mut_ref(|| None::<usize>);
    // How many times this graph was drawn (the end-to-end tests check that typing alone does
    // not draw it again: its props are unchanged until new results arrive).
    let renders = use_mut_ref(|| 0u32);
    *renders.borrow_mut() += 1;
    let renders = *renders.borrow();
    {
        // After each drawing: the real size of the view, and the card a key moved to.
        let (scroller, window, pending) = (scroller.clone(), window.clone(), pending.clone());
        use_effect(move || {
            if let Some(element) = scroller.cast::<web_sys::Element>() {
                window.set(measure(&element));
                if let Some(n) = pending.borrow_mut().take() {
                    focus_node(&element, n);
                }
            }
        });
    }
    let Some(lay) = layout.as_ref().as_ref() else {
        return html! {};
    };
    let sim = &*props.simulation;
    let Some(p) = sim.pipelines.iter().find(|p| p.id == props.pipeline) else {
        return html! {};
    };
    let onscroll = {
        let (scroller, window) = (scroller.clone(), window.clone());
        Callback::from(move |_: Event| {
            if let Some(element) = scroller.cast::<web_sys::Element>() {
                window.set(measure(&element));
            }
        })
    };
    let selection = props.selected.as_ref().map(|job| Selection {
        pipeline: p.id,
        job: job.to_string(),
    });
    let ctx = Ctx {
        sim,
        selected: selection.as_ref(),
        on_select: &props.on_select,
    };
    // The chain of the hovered (else focused) card; nothing dims for a card without needs.
    let source = (*hovered).or(*focused);
    let on = source
        .map(|n| chain(&lay.nodes, n))
        .filter(|on| on.iter().filter(|&&b| b).count() > 1);
    let w = *window;
    let (y0, y1) = (w.top - OVERSCAN_Y, w.top + w.height + OVERSCAN_Y);
    let (x0, x1) = (w.left - STEP_X, w.left + w.width + STEP_X);
    let selected_node = props.selected.as_ref().and_then(|job| {
        p.jobs
            .iter()
            .position(|j| j.name == job.as_str())
            .and_then(|i| lay.nodes.iter().position(|n| n.jobs.contains(&i)))
    });
    // Always drawn, wherever they are: the card with the focus (a focused element that is
    // taken away leaves the focus on <body>), the open group, the selected card.
    let keep = [*focused, *open, selected_node, *pending.borrow()];
    let mut shown: Vec<usize> = Vec::new();
    for (c, col) in lay.cols.iter().enumerate() {
        let x = PAD + c as i32 * STEP_X;
        let column_in_view = x + CARD_W >= x0 && x <= x1;
        let from = col.partition_point(|&n| lay.nodes[n].y + lay.nodes[n].h < y0);
        let to = col.partition_point(|&n| lay.nodes[n].y <= y1);
        let mut cards: Vec<usize> = if column_in_view && from < to {
            col[from..to].to_vec()
        } else {
            Vec::new()
        };
        for n in keep.iter().flatten() {
            if lay.nodes[*n].col == c && !cards.contains(n) {
                cards.push(*n);
            }
        }
        pipesim::sort::sort_by_key(&mut cards, |&n| lay.nodes[n].y);
        shown.extend(cards);
    }
    let at = |n: usize| {
        let node = &lay.nodes[n];
        (PAD + node.col as i32 * STEP_X, node.y)
    };
    let edges = lay.edges.iter().filter_map(|&(m, n)| {
        let ((xa, ya), (xb, yb)) = (at(m), at(n));
        let (lo, hi) = (ya.min(yb), ya.max(yb) + CARD_H);
        let (left, right) = (xa.min(xb), xa.max(xb) + CARD_W);
        if hi < y0 || lo > y1 || right < x0 || left > x1 {
            return None;
        }
        let class = match &on {
            Some(on) if on[m] && on[n] => Some("on"),
            Some(_) => Some("dim"),
            None => None,
        };
        let d = edge_path((xa, ya, CARD_W), (xb, yb, CARD_W), CARD_H);
        Some(html! {
            <path class={classes!("need-line", class)} {d}
                data-from={lay.nodes[m].name.clone()} data-to={lay.nodes[n].name.clone()} />
        })
    });
    let order: Vec<usize> = lay.cols.iter().flatten().copied().collect();
    let cards = shown.iter().map(|&n| {
        let node = &lay.nodes[n];
        let (x, y) = at(n);
        let look_class = match &on {
            Some(on) if on[n] => Some("chain"),
            Some(_) => Some("dim"),
            None => None,
        };
        let style = format!("left:{x}px;top:{y}px;width:{CARD_W}px");
        let onmouseenter = {
            let hovered = hovered.clone();
            Callback::from(move |_: MouseEvent| hovered.set(Some(n)))
        };
        let onmouseleave = {
            let hovered = hovered.clone();
            Callback::from(move |_: MouseEvent| hovered.set(None))
        };
        let onfocusin = {
            let focused = focused.clone();
            Callback::from(move |_: FocusEvent| focused.set(Some(n)))
        };
        let onfocusout = {
            let focused = focused.clone();
            Callback::from(move |_: FocusEvent| focused.set(None))
        };
        let onkeydown = {
            let (scroller, focused, pending, open) =
                (scroller.clone(), focused.clone(), pending.clone(), open.clone());
            let target = move_target(lay, &order, n);
            let is_open = *open == Some(n);
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Escape" && is_open {
                    open.set(None);
                    return;
                }
                let Some(to) = target(&e.key(), e.shift_key()) else {
                    return;
                };
                // Tab into an open group's list goes on as the browser does.
                if e.key() == "Tab" && !e.shift_key() && is_open {
                    return;
                }
                e.prevent_default();
                let Some(element) = scroller.cast::<web_sys::Element>() else {
                    return;
                };
                if !focus_node(&element, to) {
                    *pending.borrow_mut() = Some(to);
                    focused.set(Some(to));
                }
            })
        };
        let card = if node.jobs.len() == 1 {
            let job = &p.jobs[node.jobs[0]];
            let look = Look {
                compact: true,
                style: None,
                class: (props.grouping == Grouping::Layers && job.needs.is_none())
                    .then_some("stage-order"),
                extra: None,
            };
            job_card(&ctx, p, job, look)
        } else {
            group_card(props.grouping == Grouping::Layers, &ctx, p, node, *open == Some(n), open.clone(), n)
        };
        let below = if node.jobs.len() == 1 {
            downstream_of(sim, p, &p.jobs[node.jobs[0]].name)
        } else {
            Vec::new()
        };
        let menu = (*open == Some(n)).then(|| group_menu(&ctx, p, node, (x, y), open.clone(), &scroller, n));
        html! {
            <>
                <div class={classes!("gnode", look_class, (!below.is_empty()).then_some("with-downstream"))}
                    data-node={n.to_string()} {style}
                    {onmouseenter} {onmouseleave} {onfocusin} {onfocusout} {onkeydown}>
                    { card }
                    { for below.iter().map(|d| downstream_chip(sim, d)) }
                </div>
                { for menu }
            </>
        }
    }).collect::<Vec<Html>>();
    let heads = lay.heads.iter().enumerate().map(|(c, s)| {
        let style = format!("left:{}px;width:{CARD_W}px", PAD + c as i32 * STEP_X);
        html! { <div class="graph-head" {style} title={s.clone()}>{ s }</div> }
    });
    let count: usize = lay.nodes.iter().map(|n| n.jobs.len()).sum();
    let (width, height) = (lay.width, lay.height);
    let label = match props.grouping {
        Grouping::Stage => format!("Jobs by stage ({count})"),
        Grouping::Layers => format!("Jobs by needs ({count})"),
    };
    html! {
        <>
            if !lay.any_needs && props.grouping == Grouping::Layers {
                <p class="dag-hint">{ "No job uses " }<code>{ "needs" }</code>{ ": every job waits for the stages before it." }</p>
            }
            <div class={classes!("graph-scroll", (!lay.heads.is_empty()).then_some("has-heads"))}
                ref={scroller} {onscroll} role="group" aria-label={label}
                data-jobs={count.to_string()} data-cards={lay.nodes.len().to_string()}
                data-drawn={shown.len().to_string()} data-renders={renders.to_string()}>
                if !lay.heads.is_empty() {
                    <div class="graph-heads" style={format!("width:{width}px")}>{ for heads }</div>
                }
                <div class="graph" style={format!("width:{width}px;height:{height}px")}>
                    <svg class="graph-lines" width={width.to_string()} height={height.to_string()} aria-hidden="true">
                        { for edges }
                    </svg>
                    { for cards }
                </div>
            </div>
            if !lay.edges.is_empty() {
                <p class="legend">
                    <span class="legend-line need" />{ " needs (hover or focus a job to see all it needs)" }
                    if props.grouping == Grouping::Layers {
                        <span class="legend-box stage-order" />{ " no needs: waits for earlier stages" }
                    }
                </p>
            }
        </>
    }
}

/// Focuses the card `n` if it is drawn; false if it is not (yet).
fn focus_node(scroller: &web_sys::Element, n: usize) -> bool {
    let found = scroller
        .query_selector(&format!("[data-node='{n}'] > button"))
        .ok()
        .flatten()
        .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok());
    match found {
        Some(button) => button.focus().is_ok(),
        None => {
            // Not drawn: scroll to it, so that the next drawing holds it.
            false
        }
    }
}

/// Where a key moves the focus from card `n`: Tab and Shift+Tab to the next and previous
/// card (column by column, as the cards read), the arrows within a column and across to the
/// nearest card of the next column; `None` leaves the key to the browser (Tab past the ends).
fn move_target<'a>(
    lay: &'a Layout,
    order: &'a [usize],
    n: usize,
) -> impl Fn(&str, bool) -> Option<usize> + 'static {
    let pos = order.iter().position(|&m| m == n).unwrap_or(0);
    let prev = pos.checked_sub(1).map(|i| order[i]);
    let next = order.get(pos + 1).copied();
    let node = &lay.nodes[n];
    let col = &lay.cols[node.col];
    let at = col.iter().position(|&m| m == n).unwrap_or(0);
    let up = at.checked_sub(1).map(|i| col[i]);
    let down = col.get(at + 1).copied();
    let nearest = |c: Option<usize>| {
        let col = lay.cols.get(c?)?;
        col.iter()
            .copied()
            .min_by_key(|&m| (lay.nodes[m].y - node.y).abs())
    };
    let left = nearest(node.col.checked_sub(1));
    let right = nearest(Some(node.col + 1));
    move |key, shift| match key {
        "Tab" if shift => prev,
        "Tab" => next,
        "ArrowUp" => up,
        "ArrowDown" => down,
        "ArrowLeft" => left,
        "ArrowRight" => right,
        _ => None,
    }
}

/// A group of parallel or matrix jobs as one card (GitLab's `job_group_dropdown.vue`): its
/// name, how many jobs, the status of the worst; it opens the list of its jobs.
fn group_card(
    layers: bool,
    ctx: &Ctx,
    p: &PipelineReport,
    node: &Node,
    is_open: bool,
    open: UseStateHandle<Option<usize>>,
    n: usize,
) -> Html {
    let jobs: Vec<&JobReport> = node.jobs.iter().map(|&i| &p.jobs[i]).collect();
    let worst = jobs
        .iter()
        .find(|j| job_status(j).0 == "failed")
        .or_else(|| jobs.iter().find(|j| job_status(j).0 == "warned"))
        .unwrap_or(&jobs[0]);
    let (status_class, icon, words) = job_status(worst);
    let broken = jobs
        .iter()
        .any(|j| !breaks(job_diagnostics(ctx.sim, p, &j.name)).is_empty());
    let selected = ctx
        .selected
        .is_some_and(|s| s.pipeline == p.id && jobs.iter().any(|j| j.name == s.job));
    let onclick = Callback::from(move |_: MouseEvent| {
        open.set(if is_open { None } else { Some(n) });
    });
    let title = format!("{} ({} jobs)", node.name, jobs.len());
    let stage_order = layers && !node.explicit;
    html! {
        <button type="button"
            class={classes!("job-card", "compact", "job-group", status_class, stage_order.then_some("stage-order"),
                selected.then_some("selected"), broken.then_some("broken"))}
            aria-expanded={is_open.to_string()} data-group={node.name.clone()}
            data-pipeline={p.id.to_string()} {title} {onclick}>
            <span class="job-status" aria-hidden="true">{ icon }</span>
            <span class="job-main">
                <span class="jc-name">{ &node.name }</span>
                <span class="sr">{ format!(", {} jobs, {words}", jobs.len()) }</span>
            </span>
            <span class="group-size" aria-hidden="true">{ jobs.len() }</span>
        </button>
    }
}

/// The jobs of an open group, under its card; Escape closes it and gives the focus back.
fn group_menu(
    ctx: &Ctx,
    p: &PipelineReport,
    node: &Node,
    (x, y): (i32, i32),
    open: UseStateHandle<Option<usize>>,
    scroller: &NodeRef,
    n: usize,
) -> Html {
    let style = format!(
        "left:{x}px;top:{}px;width:{}px",
        y + CARD_H + 4,
        CARD_W + 40
    );
    let onkeydown = {
        let scroller = scroller.clone();
        Callback::from(move |e: KeyboardEvent| {
            e.stop_propagation();
            if e.key() == "Escape" {
                open.set(None);
                if let Some(element) = scroller.cast::<web_sys::Element>() {
                    focus_node(&element, n);
                }
            }
        })
    };
    let items = node.jobs.iter().map(|&i| {
        let look = Look {
            compact: true,
            style: None,
            class: Some("in-group"),
            extra: None,
        };
        html! { <li>{ job_card(ctx, p, &p.jobs[i], look) }</li> }
    });
    html! {
        <ul class="group-jobs" {style} aria-label={format!("Jobs of {}", node.name)} {onkeydown}>
            { for items }
        </ul>
    }
}

#[cfg(test)]
mod tests {
    use super::{chain, first_clause, layers, lines, topological, Node};

    fn node(col: usize, needs: Option<&[usize]>) -> Node {
        Node {
            name: String::new(),
            jobs: vec![0],
            col,
            y: 0,
            h: 0,
            needs: needs.map(<[usize]>::to_vec).unwrap_or_default(),
            explicit: needs.is_some(),
        }
    }

    /// build (0), lint (1) | unit needs build (2), e2e waits for stage 0 (3) | package needs
    /// unit and build (4), docs needs lint (5).
    fn graph() -> (Vec<Node>, Vec<Vec<usize>>) {
        let nodes = vec![
            node(0, None),
            node(0, None),
            node(1, Some(&[0])),
            node(1, None),
            node(2, Some(&[2, 0])),
            node(2, Some(&[1])),
        ];
        (nodes, vec![vec![0, 1], vec![2, 3], vec![4, 5]])
    }

    #[test]
    fn layers_follow_needs_and_stage_order_as_gitlab_lists_them() {
        let (nodes, stages) = graph();
        let order = topological(&nodes, &stages);
        assert_eq!(layers(&nodes, &stages, &order), vec![0, 0, 1, 1, 2, 1]);
    }

    #[test]
    fn a_need_reached_through_another_draws_no_line_and_hover_takes_the_whole_chain() {
        let (nodes, stages) = graph();
        let order = topological(&nodes, &stages);
        // package needs build directly and through unit: only unit's line.
        assert_eq!(lines(&nodes, &order), vec![(0, 2), (2, 4), (1, 5)]);
        let on = chain(&nodes, 4);
        assert_eq!(on, vec![true, false, true, false, true, false]);
    }

    #[test]
    fn a_left_out_job_is_summed_up_by_its_first_clause() {
        let why = "Not in this pipeline: no rule matches, and a job with `rules` is only added when one does. rules[0] does not match";
        assert_eq!(
            first_clause(why),
            "no rule matches, and a job with rules is only added when one does"
        );
        assert_eq!(
            first_clause("Excluded by `except: [tags]`."),
            "Excluded by except: [tags]"
        );
    }
}
