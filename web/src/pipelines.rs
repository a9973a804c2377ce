//! The pipelines of each event, drawn the way GitLab users know them: stage columns of job
//! cards (or the needs graph), the jobs left out with their reason, and GitLab's message for a
//! pipeline it does not create. The helpers here (job cards, diagnostics per job, event labels)
//! are shared with the job details and the timeline.

use std::rc::Rc;

use pipesim::pipeline::{JobReport, PipelineReport, Status};
use pipesim::simulate::Simulation;
use pipesim::{Diagnostic, Severity};
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
                { for pipelines.iter().map(|(p, depth)| pipeline_card(&ctx, p, *depth, props.view)) }
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

fn pipeline_card(ctx: &Ctx, p: &PipelineReport, depth: usize, view: View) -> Html {
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
    } else if view == View::Needs {
        html! {
            <>
                <p class="reason">{ rich(&p.reason) }</p>
                { needs_graph(ctx, p) }
            </>
        }
    } else {
        html! {
            <>
                <p class="reason">{ rich(&p.reason) }</p>
                { stage_columns(ctx, p) }
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
                { not_created_list(ctx, p, &not_created) }
            }
        </article>
    }
}

/// The jobs left out: one line each (the name and the first words of the reason); the whole
/// reason opens under its line.
fn not_created_list(ctx: &Ctx, p: &PipelineReport, jobs: &[&JobReport]) -> Html {
    let items = jobs.iter().map(|job| {
        let selected = ctx.is_selected(p, job);
        let onclick = select(ctx.on_select, p.id, &job.name);
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
        <details class="left-out" open={jobs.len() <= 6}>
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

fn stage_columns(ctx: &Ctx, p: &PipelineReport) -> Html {
    let jobs: Vec<&JobReport> = p.jobs.iter().filter(|j| j.created).collect();
    let stages = stages_of(p, &jobs);
    let columns = stages.iter().map(|stage| {
        let cards = jobs.iter().filter(|j| j.stage == *stage).map(|j| {
            let card = job_card(ctx, p, j, Look::default());
            let below = downstream_of(ctx.sim, p, &j.name);
            if below.is_empty() {
                return card;
            }
            html! {
                <div class="with-downstream">
                    { card }
                    { for below.iter().map(|d| downstream_chip(ctx.sim, d)) }
                </div>
            }
        });
        html! {
            <section class="stage" aria-label={format!("Stage {stage}")}>
                <h5 class="stage-name">{ *stage }</h5>
                <div class="stage-jobs">{ for cards }</div>
            </section>
        }
    });
    html! { <div class="stages">{ for columns }</div> }
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

const NODE_W: i32 = 184;
const NODE_H: i32 = 36;
const COL_GAP: i32 = 64;
const ROW_GAP: i32 = 10;
const HEAD_H: i32 = 30;

fn needs_graph(ctx: &Ctx, p: &PipelineReport) -> Html {
    let jobs: Vec<&JobReport> = p.jobs.iter().filter(|j| j.created).collect();
    let stages = stages_of(p, &jobs);
    // Position of each created job: (column, row).
    let mut rows = vec![0i32; stages.len()];
    let place: Vec<(i32, i32)> = jobs
        .iter()
        .map(|j| {
            let col = stages.iter().position(|s| *s == j.stage).unwrap_or(0);
            let row = rows.get(col).copied().unwrap_or(0);
            if let Some(r) = rows.get_mut(col) {
                *r += 1;
            }
            (col as i32, row)
        })
        .collect();
    let max_rows = rows.iter().copied().max().unwrap_or(0).max(1);
    let width = stages.len().max(1) as i32 * (NODE_W + COL_GAP) - COL_GAP;
    let height = HEAD_H + max_rows * (NODE_H + ROW_GAP) - ROW_GAP;
    let at = |(col, row): (i32, i32)| (col * (NODE_W + COL_GAP), HEAD_H + row * (NODE_H + ROW_GAP));
    let marker = format!("dag-arrow-{}", p.id);
    let marker_on = format!("dag-arrow-on-{}", p.id);

    let mut edges = Vec::new();
    for (i, job) in jobs.iter().enumerate() {
        for need in job.needs.iter().flatten() {
            let Some(k) = jobs.iter().position(|j| j.name == *need) else {
                continue;
            };
            let (Some(&from), Some(&to)) = (place.get(k), place.get(i)) else {
                continue;
            };
            let on = ctx.is_selected(p, job) || ctx.is_selected(p, jobs[k]);
            let d = edge_path(at(from), at(to), NODE_W, NODE_H);
            let end = format!("url(#{})", if on { &marker_on } else { &marker });
            edges.push(html! {
                <path class={classes!("edge", on.then_some("on"))} d={d} marker-end={end}>
                    <title>{ format!("{} needs {}", job.name, need) }</title>
                </path>
            });
        }
    }
    let any_needs = jobs.iter().any(|j| j.needs.is_some());
    let heads = stages.iter().enumerate().map(|(c, s)| {
        let style = format!(
            "left:{}px;width:{}px",
            c as i32 * (NODE_W + COL_GAP),
            NODE_W
        );
        html! { <div class="dag-stage" {style}>{ *s }</div> }
    });
    let nodes = jobs.iter().zip(&place).map(|(j, &pos)| {
        let (x, y) = at(pos);
        let style = format!("left:{x}px;top:{y}px;width:{NODE_W}px;height:{NODE_H}px");
        let look = Look {
            compact: true,
            style: Some(style),
            class: j.needs.is_none().then_some("stage-order"),
            extra: None,
        };
        job_card(ctx, p, j, look)
    });
    html! {
        <>
            if !any_needs {
                <p class="dag-hint">{ "No job uses " }<code>{ "needs" }</code>{ ": every job waits for the stages before it." }</p>
            }
            <div class="dag-scroll">
                <div class="dag" style={format!("width:{width}px;height:{height}px")}>
                    <svg class="dag-lines" width={width.to_string()} height={height.to_string()} aria-hidden="true">
                        <defs>
                            { arrow_marker(&marker, "arrow-head") }
                            { arrow_marker(&marker_on, "arrow-head on") }
                        </defs>
                        { for edges }
                    </svg>
                    { for heads }
                    { for nodes }
                </div>
            </div>
            if any_needs {
                <p class="legend">
                    <span class="legend-line need" />{ " needs" }
                    <span class="legend-box stage-order" />{ " no needs: waits for earlier stages" }
                </p>
            }
        </>
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
/// (`w`×`h` boxes at their top-left corners); boxes in one column are joined on their right.
pub(crate) fn edge_path(from: (i32, i32), to: (i32, i32), w: i32, h: i32) -> String {
    let (y1, y2) = (from.1 + h / 2, to.1 + h / 2);
    if to.0 > from.0 {
        let (x1, x2) = (from.0 + w, to.0 - 2);
        let c = ((x2 - x1) / 2).max(20);
        format!("M{x1},{y1} C{},{y1} {},{y2} {x2},{y2}", x1 + c, x2 - c)
    } else if to.0 == from.0 {
        let x = from.0 + w;
        let bulge = 18 + 6 * ((y2 - y1).abs() / (h + ROW_GAP)).min(5);
        format!(
            "M{x},{y1} C{},{y1} {},{y2} {},{y2}",
            x + bulge,
            x + bulge,
            x + 2
        )
    } else {
        let (x1, x2) = (from.0, to.0 + w + 2);
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

#[cfg(test)]
mod tests {
    use super::first_clause;

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
