//! The timeline: every pipeline of the scenario side by side in event order, with arrows for
//! the artifacts and dotenv variables that pass between jobs and pipelines, and a red break
//! marker ✕ where passing fails (with a dashed arrow from where the data actually is).

use std::rc::Rc;

use pipesim::pipeline::{JobReport, PipelineReport};
use pipesim::simulate::Simulation;
use pipesim::Diagnostic;
use yew::prelude::*;

use crate::diagnostics::{inline_code, is_unsure};
use crate::pipelines::{
    arrow_marker, edge_path, empty_state, event_count, event_pipelines, event_title, job_card_with,
    job_diagnostics, job_marks, pipeline_label, pipeline_status_in, select, started_by, Ctx, Look,
};
use crate::state::{EventForm, Selection, Shared, Shown};

#[derive(Properties, PartialEq)]
pub struct TimelineViewProps {
    pub simulation: Shared<Simulation>,
    pub events: Rc<Vec<EventForm>>,
    pub selected: Option<Selection>,
    pub on_select: Callback<Selection>,
    /// The events shown and the step-through (every event at once by default).
    #[prop_or_default]
    pub shown: Rc<Shown>,
    /// Step-through turned on at an event, moved, or turned off (`None`).
    #[prop_or_default]
    pub on_step: Callback<Option<usize>>,
}

/// Diagnostics that say data did not get where a job expects it.
const BREAK_CODES: [&str; 9] = [
    "dependency-not-in-pipeline",
    "needs-project-job-token",
    "variable-not-set",
    "file-not-provided",
    "needs-project-not-found",
    "needs-project-tier",
    "needs-project-expired",
    "needs-pipeline-not-found",
    "dotenv-invalid",
];

/// A created pipeline's column: as wide as its widest card or heading, within these bounds
/// (a longer job name is cut, with the whole name on hover).
const MIN_W: i32 = 136;
const MAX_W: i32 = 380;
/// A column without jobs (a pipeline not created, an event asking for none).
const NARROW_MIN: i32 = 112;
const NARROW_MAX: i32 = 260;
const GAP: i32 = 54;
const EVENT_H: i32 = 50;
const HEAD_H: i32 = 66;
const TOP: i32 = EVENT_H + HEAD_H + 8;
const ROW_H: i32 = 46;
const ROW_GAP: i32 = 10;

/// One column: a pipeline, or an event that asked for none.
struct Column<'a> {
    x: i32,
    width: i32,
    event: usize,
    pipeline: Option<&'a PipelineReport>,
}

/// Data passing from one job to another.
struct Flow {
    from: (u64, String),
    to: (u64, String),
    artifacts: bool,
    variables: Vec<String>,
}

/// The events drawn and the one step-through is at: every event shown, or, stepping, those up
/// to the current one.
fn steps(shown: &Shown, count: usize) -> (Vec<usize>, Option<usize>) {
    let all = shown.shown_of(count);
    let Some(step) = shown.step else {
        return (all, None);
    };
    // The current event: the one asked for, else the last shown before it, else the first.
    let current = all
        .iter()
        .rev()
        .find(|&&n| n <= step)
        .or(all.first())
        .copied();
    let drawn = all
        .into_iter()
        .filter(|&n| current.is_some_and(|c| n <= c))
        .collect();
    (drawn, current)
}

#[function_component(TimelineView)]
pub fn timeline_view(props: &TimelineViewProps) -> Html {
    let scroller = use_node_ref();
    // Set while drawing, read after: the current event's columns (left, right), for stepping.
    let current_at = use_mut_ref(|| None::<(i32, i32)>);
    let sim = &*props.simulation;
    let count = event_count(sim, &props.events);
    let all_shown = props.shown.shown_of(count);
    let (drawn, current) = steps(&props.shown, count);
    {
        // Stepping brings the current event into view; the timeline otherwise opens at its
        // first event (a new element starts scrolled to the left).
        let (scroller, current_at) = (scroller.clone(), current_at.clone());
        use_effect_with(current, move |current| {
            if current.is_none() {
                return;
            }
            if let (Some(el), Some((left, right))) =
                (scroller.cast::<web_sys::Element>(), *current_at.borrow())
            {
                let (from, width) = (el.scroll_left(), el.client_width());
                if right + 24 > from + width {
                    el.set_scroll_left((right + 24 - width).min(left));
                } else if left < from {
                    el.set_scroll_left(left);
                }
            }
        });
    }
    if count == 0 || all_shown.is_empty() {
        return empty_state();
    }
    let ctx = Ctx {
        sim,
        selected: props.selected.as_ref(),
        on_select: &props.on_select,
    };

    // Columns, left to right, each as wide as its content.
    let mut columns: Vec<Column> = Vec::new();
    let mut x = 0;
    for &n in &drawn {
        let pipelines = event_pipelines(sim, n);
        let first = columns.len();
        if pipelines.is_empty() {
            columns.push(Column {
                x: 0,
                width: (measure::width(400, 13.0, "no pipeline") as i32 + 8)
                    .clamp(NARROW_MIN, NARROW_MAX),
                event: n,
                pipeline: None,
            });
        }
        for (p, _) in pipelines {
            columns.push(Column {
                x: 0,
                width: column_width(sim, p),
                event: n,
                pipeline: Some(p),
            });
        }
        // The event's label over its columns, in at most two lines.
        let need = band_width(&event_title(&props.events, n));
        let span: i32 = columns[first..].iter().map(|c| c.width + GAP).sum::<i32>() - GAP;
        if let Some(last) = columns.last_mut().filter(|_| need > span) {
            last.width = (last.width + need - span).min(MAX_W.max(last.width));
        }
        for c in &mut columns[first..] {
            c.x = x;
            x += c.width + GAP;
        }
    }
    let width = (x - GAP).max(MIN_W);

    // Where each created job is: (pipeline, job, x, y, width).
    let mut places: Vec<(u64, &str, i32, i32, i32)> = Vec::new();
    let mut rows = 2;
    for c in &columns {
        if let Some(p) = c.pipeline.filter(|p| p.created) {
            let jobs = p.jobs.iter().filter(|j| j.created);
            let mut n = 0;
            for (row, job) in jobs.enumerate() {
                places.push((
                    p.id,
                    &job.name,
                    c.x,
                    TOP + row as i32 * (ROW_H + ROW_GAP),
                    c.width,
                ));
                n = row + 1;
            }
            rows = rows.max(n);
        }
    }
    let height = TOP + rows as i32 * (ROW_H + ROW_GAP) - ROW_GAP;
    let place = |pipeline: u64, job: &str| {
        places
            .iter()
            .find(|(p, j, ..)| *p == pipeline && *j == job)
            .map(|&(_, _, x, y, w)| (x, y, w))
    };

    // What passes, and where it breaks.
    let mut flows: Vec<Flow> = Vec::new();
    let mut missing: Vec<Flow> = Vec::new();
    let mut broken: Vec<(&PipelineReport, &JobReport, Vec<&Diagnostic>)> = Vec::new();
    for p in columns
        .iter()
        .filter_map(|c| c.pipeline)
        .filter(|p| p.created)
    {
        for job in p.jobs.iter().filter(|j| j.created) {
            let to = (p.id, job.name.clone());
            for from in job.artifacts_from.iter().flatten() {
                // Jobs of other pipelines are named `job (pipeline #N)`.
                let (pipeline, name) = pipesim::dataflow::split_artifact_source(from);
                add_flow(
                    &mut flows,
                    (pipeline.unwrap_or(p.id), name.to_owned()),
                    &to,
                    None,
                );
            }
            for (name, v) in &job.dotenv {
                add_flow(&mut flows, (v.pipeline, v.from.clone()), &to, Some(name));
            }
            let problems: Vec<&Diagnostic> = job_diagnostics(sim, p, &job.name)
                .into_iter()
                .filter(|d| BREAK_CODES.contains(&d.code))
                .collect();
            for d in &problems {
                if let Some(from) = data_source(sim, p.id, d) {
                    if !missing.iter().any(|f| f.from == from && f.to == to) {
                        missing.push(Flow {
                            from,
                            to: to.clone(),
                            artifacts: false,
                            variables: Vec::new(),
                        });
                    }
                }
            }
            if !problems.is_empty() {
                broken.push((p, job, problems));
            }
        }
    }

    let is_on = |(p, j): &(u64, String)| {
        props
            .selected
            .as_ref()
            .is_some_and(|s| s.pipeline == *p && s.job == *j)
    };
    let draw = |f: &Flow, class: &'static str, what: String| {
        let (Some(a), Some(b)) = (place(f.from.0, &f.from.1), place(f.to.0, &f.to.1)) else {
            return html! {};
        };
        let on = is_on(&f.from) || is_on(&f.to);
        let marker = if on { "on" } else { class };
        html! {
            <path class={classes!("flow", class, on.then_some("on"))} d={edge_path(a, b, ROW_H)}
                marker-end={format!("url(#tl-arrow-{marker})")}>
                <title>{ what }</title>
            </path>
        }
    };
    let lines = flows.iter().map(|f| {
        let mut what = Vec::new();
        if f.artifacts {
            what.push("artifacts".to_owned());
        }
        if !f.variables.is_empty() {
            what.push(format!("dotenv {}", f.variables.join(", ")));
        }
        let class = if f.variables.is_empty() {
            "artifacts"
        } else {
            "dotenv"
        };
        let text = format!(
            "{} of #{}{} → {} of #{}{}: {}",
            f.from.1,
            f.from.0,
            project_in(sim, f.from.0),
            f.to.1,
            f.to.0,
            project_in(sim, f.to.0),
            what.join(" and ")
        );
        draw(f, class, text)
    });
    // Trigger jobs to the pipelines they start (child and multi-project pipelines).
    let trigger_lines = columns.iter().filter_map(|c| {
        let d = c.pipeline?;
        let from = place(started_by(d)?, d.trigger_job.as_deref()?)?;
        let to = (c.x, EVENT_H);
        let path = format!(
            "M{},{} C{},{} {},{} {},{}",
            from.0 + from.2,
            from.1 + ROW_H / 2,
            from.0 + from.2 + GAP / 2,
            from.1 + ROW_H / 2,
            to.0 - GAP / 2,
            to.1 + HEAD_H / 2,
            to.0 - 2,
            to.1 + HEAD_H / 2
        );
        let what = format!(
            "{} of #{} starts pipeline #{}{}",
            d.trigger_job.as_deref().unwrap_or_default(),
            started_by(d)?,
            d.id,
            d.project
                .as_ref()
                .map(|p| format!(" in {p}"))
                .unwrap_or_default()
        );
        Some(html! {
            <path class="flow trigger" d={path} marker-end="url(#tl-arrow-trigger)">
                <title>{ what }</title>
            </path>
        })
    });
    let missing_lines = missing.iter().map(|f| {
        let text = format!(
            "{} of #{} has what {} expects, but it does not reach pipeline #{}",
            f.from.1, f.from.0, f.to.1, f.to.0
        );
        draw(f, "missing", text)
    });

    // Event labels over their columns; stepping, the current event's stand out.
    let bands = drawn.iter().filter_map(|&n| {
        let mine: Vec<&Column> = columns.iter().filter(|c| c.event == n).collect();
        let (first, last) = (mine.first()?, mine.last()?);
        let title = event_title(&props.events, n);
        let style = format!(
            "left:{}px;width:{}px",
            first.x,
            last.x + last.width - first.x
        );
        let now = current == Some(n);
        Some(html! {
            <div class={classes!("tl-event", now.then_some("current"))} {style} title={title.clone()}
                data-event={n.to_string()} aria-current={now.then_some("step")}>
                <span class="clamp">{ title }</span>
            </div>
        })
    });
    let now_range = current.and_then(|n| {
        let mine: Vec<&Column> = columns.iter().filter(|c| c.event == n).collect();
        Some((mine.first()?.x, mine.last().map(|c| c.x + c.width)?))
    });
    *current_at.borrow_mut() = now_range;
    let now_box = now_range.map(|(left, right)| {
        let style = format!(
            "left:{}px;width:{}px;height:{}px",
            left - 8,
            right - left + 16,
            height + 8
        );
        html! { <div class="tl-now" {style} aria-hidden="true" /> }
    });

    let cells = columns.iter().map(|c| {
        let head_style = format!("left:{}px;top:{EVENT_H}px;width:{}px;height:{HEAD_H}px", c.x, c.width);
        let Some(p) = c.pipeline else {
            return html! {
                <div class="tl-head tl-none" style={head_style}>{ "no pipeline" }</div>
            };
        };
        let (status_class, status_label) = pipeline_status_in(sim, p);
        let where_ = where_text(p);
        let head = html! {
            <div class={classes!("tl-head", status_class)} style={head_style} data-pipeline={p.id.to_string()}>
                <span class="tl-title">
                    if let Some(label) = pipeline_label(p) {
                        <span class="pipeline-id">{ label }</span>
                    }
                    <span class={classes!("status-badge", status_class)}>{ status_label }</span>
                </span>
                <span class="tl-ref" title={where_.clone()}>{ where_ }</span>
                if let Some(by) = started_by_line(p) {
                    <span class="tl-child">{ by }</span>
                }
            </div>
        };
        if !p.created {
            let message = p.errors.first().map_or(p.reason.as_str(), |d| d.message.as_str());
            let style = format!(
                "left:{}px;top:{TOP}px;width:{}px;max-height:{}px",
                c.x,
                c.width,
                height - TOP
            );
            return html! {
                <>
                    { head }
                    <p class="tl-message" {style} title={format!("{message}\n{}", p.reason)}><span class="clamp">{ message }</span></p>
                </>
            };
        }
        let cards = p.jobs.iter().filter(|j| j.created).map(|job| {
            let Some((x, y, w)) = place(p.id, &job.name) else {
                return html! {};
            };
            let problems = broken
                .iter()
                .find(|(bp, bj, _)| bp.id == p.id && bj.name == job.name)
                .map(|(_, _, d)| d.clone())
                .unwrap_or_default();
            let look = Look {
                compact: true,
                style: Some(format!("left:{x}px;top:{y}px;width:{w}px;height:{ROW_H}px")),
                class: None,
                extra: Some(data_line(job, &problems)),
            };
            job_card_with(&ctx, p, job, look, &problems)
        });
        html! { <>{ head }{ for cards }</> }
    });

    let warnings_only = broken.iter().all(|(_, _, problems)| {
        problems
            .iter()
            .all(|d| d.severity != pipesim::Severity::Error || is_unsure(d))
    });
    let break_list = broken.iter().map(|(p, job, problems)| {
        let onclick = select(&props.on_select, p.id, &job.name);
        html! {
            <li>
                <button type="button" class="job-link" {onclick}>{ &job.name }</button>
                { format!(" (event {}, pipeline #{}{}): ", p.event, p.id, project_in(sim, p.id)) }
                { for problems.iter().map(|d| html! {
                    <span class="tl-break-message"><code>{ d.code }</code>{ " " }{ inline_code(&d.message) }</span>
                }) }
            </li>
        }
    });

    let stepper = step_controls(&props.events, &all_shown, current, &props.on_step);
    let onkeydown = step_keys(&all_shown, current, &props.on_step);
    html! {
        <div class={classes!("timeline", current.is_some().then_some("stepping"))}>
            { stepper }
            <div class="tl-scroll" ref={scroller} tabindex="0" role="group" {onkeydown}
                aria-label={if current.is_some() { "Pipelines in event order, step by step (Left and Right arrows: previous and next event)" } else { "Pipelines in event order" }}>
                <div class="tl" style={format!("width:{width}px;height:{height}px")}>
                    { for now_box }
                    <svg class="tl-lines" width={width.to_string()} height={height.to_string()} aria-hidden="true">
                        <defs>
                            { arrow_marker("tl-arrow-artifacts", "arrow-head artifacts") }
                            { arrow_marker("tl-arrow-dotenv", "arrow-head dotenv") }
                            { arrow_marker("tl-arrow-missing", "arrow-head missing") }
                            { arrow_marker("tl-arrow-on", "arrow-head on") }
                            { arrow_marker("tl-arrow-trigger", "arrow-head trigger") }
                        </defs>
                        { for trigger_lines }
                        { for lines }
                        { for missing_lines }
                    </svg>
                    { for bands }
                    { for cells }
                </div>
            </div>
            <p class="legend">
                <span class="legend-line artifacts" />{ " artifacts" }
                <span class="legend-line dotenv" />{ " dotenv variables" }
                <span class="legend-line missing" />{ " where the data is, but does not reach" }
                if sim.pipelines.iter().any(|p| started_by(p).is_some()) {
                    <span class="legend-line trigger" />{ " starts a pipeline (trigger)" }
                }
                <span class="legend-break" aria-hidden="true">{ "✕" }</span>{ " passing breaks" }
            </p>
            if broken.is_empty() {
                <p class="tl-ok">{ if flows.is_empty() { "No artifacts or dotenv variables pass between jobs." } else { "Every artifact and dotenv variable reaches the jobs that expect it." } }</p>
            } else {
                <section class={classes!("tl-breaks", warnings_only.then_some("warnings-only"))} aria-label="Where passing breaks">
                    <h4>{ "Where passing breaks" }</h4>
                    <ul>{ for break_list }</ul>
                </section>
            }
        </div>
    }
}

/// " in acme/app" for a pipeline of a scenario with several projects, "" otherwise.
fn project_in(sim: &Simulation, id: u64) -> String {
    sim.pipelines
        .iter()
        .find(|p| p.id == id)
        .and_then(|p| p.project.as_ref())
        .map(|p| format!(" in {p}"))
        .unwrap_or_default()
}

fn add_flow(
    flows: &mut Vec<Flow>,
    from: (u64, String),
    to: &(u64, String),
    variable: Option<&String>,
) {
    let i = match flows.iter().position(|f| f.from == from && f.to == *to) {
        Some(i) => i,
        None => {
            flows.push(Flow {
                from,
                to: to.clone(),
                artifacts: false,
                variables: Vec::new(),
            });
            flows.len() - 1
        }
    };
    let Some(flow) = flows.get_mut(i) else {
        return;
    };
    match variable {
        Some(name) => flow.variables.push(name.clone()),
        None => flow.artifacts = true,
    }
}

/// The second line of a timeline card: what breaks, or what the job receives.
fn data_line(job: &JobReport, problems: &[&Diagnostic]) -> Html {
    let (class, text) = data_text(job, problems);
    html! { <span class={classes!("data-line", class)}>{ text }</span> }
}

/// The data line's class and words.
fn data_text(job: &JobReport, problems: &[&Diagnostic]) -> (Option<&'static str>, String) {
    if let Some(first) = problems.first() {
        let more = if problems.len() > 1 {
            format!(" +{}", problems.len() - 1)
        } else {
            String::new()
        };
        return (
            Some("bad"),
            format!("{}{more}", first.code.replace('-', " ")),
        );
    }
    if !job.dotenv.is_empty() {
        let names: Vec<&str> = job.dotenv.keys().map(String::as_str).collect();
        return (Some("dotenv"), format!("dotenv: {}", names.join(", ")));
    }
    match &job.artifacts_from {
        Some(from) if !from.is_empty() => {
            (Some("artifacts"), format!("artifacts: {}", from.join(", ")))
        }
        _ => (None, format!("stage {}", job.stage)),
    }
}

/// "merge_request_event · feature", or with the project in front.
fn where_text(p: &PipelineReport) -> String {
    match &p.project {
        Some(project) => format!("{project} · {} · {}", p.source, p.ref_name),
        None => format!("{} · {}", p.source, p.ref_name),
    }
}

/// "child of #2 via trigger".
fn started_by_line(p: &PipelineReport) -> Option<String> {
    let by = started_by(p)?;
    let word = if p.parent.is_some() {
        "child of"
    } else {
        "downstream of"
    };
    let via = p
        .trigger_job
        .as_ref()
        .map(|j| format!(" via {j}"))
        .unwrap_or_default();
    Some(format!("{word} #{by}{via}"))
}

/// How wide a pipeline's column must be for its heading and its cards to show whole (within
/// the bounds), measured in the page's font.
fn column_width(sim: &Simulation, p: &PipelineReport) -> i32 {
    let (_, status) = pipeline_status_in(sim, p);
    let label = pipeline_label(p).unwrap_or_default();
    // The status badge: 8px padding each side and its border; 6px between it and the number.
    let title = measure::width(700, 13.0, &label) + 6.0 + measure::width(600, 12.0, status) + 18.0;
    let mut head = title
        .max(measure::width(400, 13.0, &where_text(p)))
        .max(started_by_line(p).map_or(0.0, |t| measure::width(400, 13.0, &t)));
    head += 6.0;
    if !p.created {
        // GitLab's message in up to four lines (10px padding and the border each side).
        let message = p
            .errors
            .first()
            .map_or(p.reason.as_str(), |d| d.message.as_str());
        let text = measure::width(400, 12.5, message) / 3.0 + 24.0;
        // The heading whole (up to the widest column); the message may take more lines.
        let text = text.min(NARROW_MAX as f64);
        return (head.min(MAX_W as f64).max(text).ceil() as i32).max(NARROW_MIN);
    }
    let cards = p
        .jobs
        .iter()
        .filter(|j| j.created)
        .map(|job| {
            let problems: Vec<&Diagnostic> = job_diagnostics(sim, p, &job.name)
                .into_iter()
                .filter(|d| BREAK_CODES.contains(&d.code))
                .collect();
            let (class, data) = data_text(job, &problems);
            // A break's words are bold.
            let weight = if class == Some("bad") { 600 } else { 400 };
            // Marks sit at the card's top right, beside the name (16px each).
            let marks = job_marks(job).len() as f64;
            let marks = if marks > 0.0 { marks * 16.0 + 4.0 } else { 0.0 };
            let text = (measure::width(500, 13.0, &job.name) + marks)
                .max(measure::width(weight, 11.5, &data));
            // Border, padding, the status icon and the gap after it.
            text + 2.0 + 6.0 + 20.0 + 8.0 + 10.0 + 2.0
        })
        .fold(0.0, f64::max);
    (head.max(cards).ceil() as i32).clamp(MIN_W, MAX_W)
}

/// How wide an event's label must be to show its title in at most two lines.
fn band_width(title: &str) -> i32 {
    let whole = measure::width(600, 12.5, title) + 18.0;
    let word = title
        .split_whitespace()
        .map(|w| measure::width(600, 12.5, w))
        .fold(0.0, f64::max)
        + 18.0;
    let two_lines = (whole * 0.56).max(word);
    (two_lines.min(whole).ceil() as i32).min(MAX_W)
}

/// The event before or after the current one among those shown (`by` −1 or +1); the first or
/// the last for `by` `i32::MIN` or `i32::MAX`.
fn step_to(shown: &[usize], current: usize, by: i32) -> Option<usize> {
    let at = shown.iter().position(|&n| n == current)?;
    let to = match by {
        i32::MIN => 0,
        i32::MAX => shown.len().checked_sub(1)?,
        by => at.checked_add_signed(by as isize)?,
    };
    shown.get(to).copied().filter(|&n| n != current)
}

/// Step-through's buttons: turn it on or off, previous and next event, and where it is. The
/// buttons stay focusable at either end (`aria-disabled`), so the focus is never lost.
fn step_controls(
    events: &[EventForm],
    shown: &[usize],
    current: Option<usize>,
    on_step: &Callback<Option<usize>>,
) -> Html {
    if shown.len() < 2 {
        return html! {};
    }
    let toggle = {
        let (on_step, first) = (on_step.clone(), shown[0]);
        Callback::from(move |_: MouseEvent| {
            on_step.emit(if current.is_some() { None } else { Some(first) })
        })
    };
    let go = |by: i32| {
        let (on_step, shown) = (on_step.clone(), shown.to_vec());
        Callback::from(move |_: MouseEvent| {
            if let Some(n) = current.and_then(|now| step_to(&shown, now, by)) {
                on_step.emit(Some(n));
            }
        })
    };
    let at = current.and_then(|now| shown.iter().position(|&n| n == now));
    let (first, last) = (at == Some(0), at.is_some_and(|i| i + 1 == shown.len()));
    // One structure on and off, so that the toggle keeps the focus.
    html! {
        <div class="tl-step" role="group" aria-label="Step through the events">
            <button type="button" class="tl-step-toggle" aria-pressed={current.is_some().to_string()}
                onclick={toggle}>{ "Step through" }</button>
            if let (Some(now), Some(at)) = (current, at) {
                <button type="button" id="tl-prev" class="tl-step-button" aria-disabled={first.to_string()}
                    aria-keyshortcuts="ArrowLeft" onclick={go(-1)}>{ "← Previous event" }</button>
                <button type="button" id="tl-next" class="tl-step-button" aria-disabled={last.to_string()}
                    aria-keyshortcuts="ArrowRight" onclick={go(1)}>{ "Next event →" }</button>
                <span class="tl-step-where" role="status" aria-live="polite">
                    <strong>{ format!("{} of {}", at + 1, shown.len()) }</strong>
                    { format!(" · {}", event_title(events, now)) }
                </span>
            } else {
                <span class="tl-step-hint">{ "Show the events one at a time" }</span>
            }
        </div>
    }
}

/// The arrow keys step when the timeline has the focus (Home and End: the first and last
/// event); without step-through they scroll it, as usual.
fn step_keys(
    shown: &[usize],
    current: Option<usize>,
    on_step: &Callback<Option<usize>>,
) -> Callback<KeyboardEvent> {
    let (on_step, shown) = (on_step.clone(), shown.to_vec());
    Callback::from(move |e: KeyboardEvent| {
        let Some(now) = current else {
            return;
        };
        let by = match e.key().as_str() {
            "ArrowRight" => 1,
            "ArrowLeft" => -1,
            "Home" => i32::MIN,
            "End" => i32::MAX,
            _ => return,
        };
        e.prevent_default();
        if let Some(n) = step_to(&shown, now, by) {
            on_step.emit(Some(n));
        }
    })
}

/// Text widths in CSS pixels in the page's own font, for columns sized to their content:
/// a canvas's `measureText`, or an estimate where there is no canvas (unit tests).
mod measure {
    use std::cell::RefCell;

    use wasm_bindgen::JsCast;
    use web_sys::CanvasRenderingContext2d;

    /// The canvas, the page's font family, and the font last set on it.
    struct Measurer {
        context: CanvasRenderingContext2d,
        family: String,
        font: (u16, u32),
    }

    thread_local! {
        static MEASURER: RefCell<Option<Option<Measurer>>> = const { RefCell::new(None) };
    }

    fn measurer() -> Option<Measurer> {
        if !cfg!(target_arch = "wasm32") {
            return None;
        }
        let document = web_sys::window()?.document()?;
        let family = document
            .body()
            .and_then(|body| web_sys::window()?.get_computed_style(&body).ok().flatten())
            .and_then(|style| style.get_property_value("font-family").ok())
            .filter(|family| !family.is_empty())
            .unwrap_or_else(|| "sans-serif".into());
        let canvas: web_sys::HtmlCanvasElement =
            document.create_element("canvas").ok()?.dyn_into().ok()?;
        let context = canvas.get_context("2d").ok()??.dyn_into().ok()?;
        Some(Measurer {
            context,
            family,
            font: (0, 0),
        })
    }

    /// The width of `text` at this weight and size (px).
    pub fn width(weight: u16, size: f64, text: &str) -> f64 {
        MEASURER.with(|m| {
            let mut m = m.borrow_mut();
            let m = m.get_or_insert_with(measurer);
            let Some(m) = m.as_mut() else {
                // About the average advance of a sans-serif font.
                return text.chars().count() as f64 * size * 0.56;
            };
            let key = (weight, (size * 100.0) as u32);
            if m.font != key {
                m.context
                    .set_font(&format!("{weight} {size}px {}", m.family));
                m.font = key;
            }
            m.context
                .measure_text(text)
                .map_or(0.0, |metrics| metrics.width())
        })
    }
}

/// Where the data a break is about actually is, when the explanation names a job in another
/// pipeline ("`building` ran in pipeline #2"): that job, if the timeline shows it.
fn data_source(sim: &Simulation, here: u64, d: &Diagnostic) -> Option<(u64, String)> {
    let text = d.explanation.as_deref()?;
    let key = "pipeline #";
    let mut offset = 0;
    while let Some(i) = text.get(offset..)?.find(key) {
        let at = offset + i;
        offset = at + key.len();
        let digits: String = text[offset..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        let Ok(id) = digits.parse::<u64>() else {
            continue;
        };
        if id == here {
            continue;
        }
        let start = text[..at].rfind(". ").map_or(0, |s| s + 2);
        let parts: Vec<&str> = text[start..at].split('`').collect();
        if parts.len() < 3 || parts.len() % 2 == 0 {
            continue;
        }
        let name = parts[parts.len() - 2];
        let exists = sim
            .pipelines
            .iter()
            .any(|p| p.id == id && p.jobs.iter().any(|j| j.created && j.name == name));
        if exists {
            return Some((id, name.to_owned()));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stepping_draws_the_events_up_to_the_current_one() {
        let every = Shown::default();
        assert_eq!(steps(&every, 3), (vec![1, 2, 3], None));
        let at_two = Shown {
            step: Some(2),
            ..Shown::default()
        };
        assert_eq!(steps(&at_two, 3), (vec![1, 2], Some(2)));
        // Among the events shown: a step on an event left out is the last shown before it,
        // a step before all of them the first, a step past the end the last.
        let some = Shown {
            events: vec![2, 4],
            step: Some(3),
            yaml: false,
        };
        assert_eq!(steps(&some, 4), (vec![2], Some(2)));
        let early = Shown {
            step: Some(1),
            ..some.clone()
        };
        assert_eq!(steps(&early, 4), (vec![2], Some(2)));
        let late = Shown {
            step: Some(99),
            ..some
        };
        assert_eq!(steps(&late, 4), (vec![2, 4], Some(4)));
    }

    #[test]
    fn step_buttons_and_keys_stop_at_either_end() {
        let shown = [1, 3, 4];
        assert_eq!(step_to(&shown, 1, 1), Some(3));
        assert_eq!(step_to(&shown, 3, -1), Some(1));
        assert_eq!(step_to(&shown, 1, -1), None);
        assert_eq!(step_to(&shown, 4, 1), None);
        assert_eq!(step_to(&shown, 3, i32::MAX), Some(4));
        assert_eq!(step_to(&shown, 3, i32::MIN), Some(1));
        assert_eq!(step_to(&shown, 1, i32::MIN), None);
        assert_eq!(step_to(&shown, 2, 1), None, "not a shown event");
    }

    #[test]
    fn columns_fit_their_text_within_bounds() {
        // Without a canvas (here) the widths are estimated; the bounds hold either way.
        let short = band_width("Event 1: push");
        let long = band_width(&format!("Event 2: {}", "merge request ".repeat(20)));
        assert!(short < long && long <= MAX_W, "{short} {long}");
        let path = edge_path((0, TOP, 150), (204, TOP, 200), ROW_H);
        assert!(
            path.starts_with(&format!("M150,{}", TOP + ROW_H / 2)),
            "{path}"
        );
    }
}
