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
    job_diagnostics, pipeline_label, pipeline_status_in, select, started_by, Ctx, Look,
};
use crate::state::{EventForm, Selection, Shared};

#[derive(Properties, PartialEq)]
pub struct TimelineViewProps {
    pub simulation: Shared<Simulation>,
    pub events: Rc<Vec<EventForm>>,
    pub selected: Option<Selection>,
    pub on_select: Callback<Selection>,
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

const COL_W: i32 = 172;
const NARROW_W: i32 = 124;
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

#[function_component(TimelineView)]
pub fn timeline_view(props: &TimelineViewProps) -> Html {
    let scroller = use_node_ref();
    // Set while drawing, read after: where to scroll the timeline to.
    let focus_at = use_mut_ref(|| 0);
    {
        let scroller = scroller.clone();
        let focus_at = focus_at.clone();
        use_effect_with(props.simulation.clone(), move |_| {
            if let Some(el) = scroller.cast::<web_sys::Element>() {
                let overflow = *focus_at.borrow() + COL_W + 24 - el.client_width();
                el.set_scroll_left(overflow.max(0));
            }
        });
    }
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

    // Columns, left to right.
    let mut columns: Vec<Column> = Vec::new();
    let mut x = 0;
    for n in 1..=count {
        let pipelines = event_pipelines(sim, n);
        if pipelines.is_empty() {
            columns.push(Column {
                x,
                width: NARROW_W,
                event: n,
                pipeline: None,
            });
            x += NARROW_W + GAP;
        }
        for (p, _) in pipelines {
            // A pipeline without jobs only needs room for its message.
            let width = if p.created { COL_W } else { NARROW_W };
            columns.push(Column {
                x,
                width,
                event: n,
                pipeline: Some(p),
            });
            x += width + GAP;
        }
    }
    let width = (x - GAP).max(COL_W);

    // Where each created job is: (pipeline, job, x, y).
    let mut places: Vec<(u64, &str, i32, i32)> = Vec::new();
    let mut rows = 2;
    for c in &columns {
        if let Some(p) = c.pipeline.filter(|p| p.created) {
            let jobs = p.jobs.iter().filter(|j| j.created);
            let mut n = 0;
            for (row, job) in jobs.enumerate() {
                places.push((p.id, &job.name, c.x, TOP + row as i32 * (ROW_H + ROW_GAP)));
                n = row + 1;
            }
            rows = rows.max(n);
        }
    }
    let height = TOP + rows as i32 * (ROW_H + ROW_GAP) - ROW_GAP;
    let place = |pipeline: u64, job: &str| {
        places
            .iter()
            .find(|(p, j, _, _)| *p == pipeline && *j == job)
            .map(|&(_, _, x, y)| (x, y))
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
            <path class={classes!("flow", class, on.then_some("on"))} d={edge_path(a, b, COL_W, ROW_H)}
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
            from.0 + COL_W,
            from.1 + ROW_H / 2,
            from.0 + COL_W + GAP / 2,
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

    // Event labels over their columns.
    let bands = (1..=count).filter_map(|n| {
        let mine: Vec<&Column> = columns.iter().filter(|c| c.event == n).collect();
        let (first, last) = (mine.first()?, mine.last()?);
        let title = event_title(&props.events, n);
        let style = format!(
            "left:{}px;width:{}px",
            first.x,
            last.x + last.width - first.x
        );
        Some(html! {
            <div class="tl-event" {style} title={title.clone()}><span class="clamp">{ title }</span></div>
        })
    });

    let cells = columns.iter().map(|c| {
        let head_style = format!("left:{}px;top:{EVENT_H}px;width:{}px;height:{HEAD_H}px", c.x, c.width);
        let Some(p) = c.pipeline else {
            return html! {
                <div class="tl-head tl-none" style={head_style}>{ "no pipeline" }</div>
            };
        };
        let (status_class, status_label) = pipeline_status_in(sim, p);
        let where_ = match &p.project {
            Some(project) => format!("{project} · {} · {}", p.source, p.ref_name),
            None => format!("{} · {}", p.source, p.ref_name),
        };
        let head = html! {
            <div class={classes!("tl-head", status_class)} style={head_style} data-pipeline={p.id.to_string()}>
                <span class="tl-title">
                    if let Some(label) = pipeline_label(p) {
                        <span class="pipeline-id">{ label }</span>
                    }
                    <span class={classes!("status-badge", status_class)}>{ status_label }</span>
                </span>
                <span class="tl-ref" title={where_.clone()}>{ where_ }</span>
                if let Some(by) = started_by(p) {
                    <span class="tl-child">
                        { format!("{} #{by}", if p.parent.is_some() { "child of" } else { "downstream of" }) }
                        { for p.trigger_job.as_ref().map(|j| format!(" via {j}")) }
                    </span>
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
            let Some((x, y)) = place(p.id, &job.name) else {
                return html! {};
            };
            let problems = broken
                .iter()
                .find(|(bp, bj, _)| bp.id == p.id && bj.name == job.name)
                .map(|(_, _, d)| d.clone())
                .unwrap_or_default();
            let look = Look {
                compact: true,
                style: Some(format!("left:{x}px;top:{y}px;width:{COL_W}px;height:{ROW_H}px")),
                class: None,
                extra: Some(data_line(job, &problems)),
            };
            job_card_with(&ctx, p, job, look, &problems)
        });
        html! { <>{ head }{ for cards }</> }
    });

    // Bring the first break (or the last data passed) into view, its source column beside it.
    let focus = broken
        .first()
        .and_then(|(p, j, _)| place(p.id, &j.name))
        .or_else(|| flows.last().and_then(|f| place(f.to.0, &f.to.1)))
        .map_or(0, |(x, _)| x);
    *focus_at.borrow_mut() = focus;

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

    html! {
        <div class="timeline">
            <div class="tl-scroll" ref={scroller} tabindex="0" role="group" aria-label="Pipelines in event order">
                <div class="tl" style={format!("width:{width}px;height:{height}px")}>
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
    if let Some(first) = problems.first() {
        let more = (problems.len() > 1).then(|| format!(" +{}", problems.len() - 1));
        return html! {
            <span class="data-line bad">{ first.code.replace('-', " ") }{ for more }</span>
        };
    }
    if !job.dotenv.is_empty() {
        let names: Vec<&str> = job.dotenv.keys().map(String::as_str).collect();
        return html! { <span class="data-line dotenv">{ format!("dotenv: {}", names.join(", ")) }</span> };
    }
    match &job.artifacts_from {
        Some(from) if !from.is_empty() => html! {
            <span class="data-line artifacts">{ format!("artifacts: {}", from.join(", ")) }</span>
        },
        _ => html! { <span class="data-line">{ format!("stage {}", job.stage) }</span> },
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
