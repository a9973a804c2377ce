//! The job details panel: why a job is (not) in its pipeline, where it is defined and what it
//! runs and produces (its keywords in the core's expanded configuration), what it receives
//! (needs, artifacts, dotenv) and from where, its variable table (with the pipeline's values
//! its rules read, and what is withheld and why) and its diagnostics. With the simulation in a
//! worker, the results hold a summary of each job; the drawer asks the worker for the job in
//! full when it opens (`Simulator::details`).

use pipesim::pipeline::{Check, JobReport, PipelineReport};
use pipesim::simulate::Simulation;
use pipesim::Diagnostic;
use wasm_bindgen::JsCast;
use web_sys::HtmlInputElement;
use yew::prelude::*;

use crate::pipelines::{job_diagnostics, job_marks, job_status, select};
use crate::state::{Selection, Shared};
use crate::wire::{Definition, JobDetail};
use crate::worker::Simulator;

#[derive(Properties, PartialEq)]
pub struct JobDetailsProps {
    pub simulation: Shared<Simulation>,
    /// The worker that ran `simulation` (its jobs are summaries then, and the drawer asks it
    /// for this one in full); `None` when the page ran it and `simulation` is complete.
    #[prop_or_default]
    pub simulator: Option<Simulator>,
    pub selection: Selection,
    pub on_close: Callback<()>,
    pub on_select: Callback<Selection>,
    /// Jump to a file position in the editor: (path, line, column).
    pub on_locate: Callback<(String, u32, u32)>,
}

/// Where the page was before the drawer opened: the element that had focus (the job the user
/// picked) and the scroll position, given back when the drawer closes.
struct Opener {
    element: Option<web_sys::HtmlElement>,
    scroll: (f64, f64),
}

/// The card of the job `selection` names, if the page shows it.
fn job_card(selection: &Selection) -> Option<web_sys::HtmlElement> {
    let cards = web_sys::window()?
        .document()?
        .query_selector_all(".job-card")
        .ok()?;
    (0..cards.length())
        .filter_map(|i| cards.item(i)?.dyn_into::<web_sys::HtmlElement>().ok())
        .find(|card| {
            card.get_attribute("data-job").as_deref() == Some(selection.job.as_str())
                && card.get_attribute("data-pipeline") == Some(selection.pipeline.to_string())
        })
}

fn focus_quietly(element: &web_sys::HtmlElement) {
    let options = web_sys::FocusOptions::new();
    options.set_prevent_scroll(true);
    let _ = element.focus_with_options(&options);
}

/// The job's details in a drawer beside the results: it takes the focus when it opens, Escape
/// or × closes it, and then focus and scroll go back to where they were (the job picked).
#[function_component(JobDetails)]
pub fn job_details(props: &JobDetailsProps) -> Html {
    let panel = use_node_ref();
    let title = use_node_ref();
    let filter = use_state(String::new);
    // The job in full from the worker, for the selection it was asked for.
    let fetched = use_state(|| None::<(Selection, Result<std::rc::Rc<JobDetail>, String>)>);
    {
        let fetched = fetched.clone();
        let simulator = props.simulator.clone();
        use_effect_with(
            (props.selection.clone(), props.simulation.clone()),
            move |(selection, _)| {
                if let Some(simulator) = simulator {
                    let asked = selection.clone();
                    simulator.details(selection, move |answer| {
                        fetched.set(Some((asked, answer.map(std::rc::Rc::new))));
                    });
                }
            },
        );
    }
    {
        let title = title.clone();
        let opened = props.selection.clone();
        use_effect_with((), move |_| {
            let window = web_sys::window();
            let opener = Opener {
                element: window
                    .as_ref()
                    .and_then(|w| w.document())
                    .and_then(|d| d.active_element())
                    .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()),
                scroll: window.as_ref().map_or((0.0, 0.0), |w| {
                    (w.scroll_x().unwrap_or(0.0), w.scroll_y().unwrap_or(0.0))
                }),
            };
            if let Some(title) = title.cast::<web_sys::HtmlElement>() {
                focus_quietly(&title);
            }
            move || {
                // After the page has redrawn without the drawer (the results below may redraw
                // the job's card): the job's card first, else whatever had the focus before (a
                // diagnostic's link to a job the page does not draw).
                gloo_timers::callback::Timeout::new(0, move || {
                    let body = web_sys::window()
                        .and_then(|w| w.document())
                        .and_then(|d| d.body());
                    let element = job_card(&opened).or_else(|| {
                        opener
                            .element
                            .filter(|e| e.is_connected() && Some(e) != body.as_ref())
                    });
                    if let Some(element) = element {
                        focus_quietly(&element);
                    }
                    if let Some(w) = web_sys::window() {
                        w.scroll_to_with_x_and_y(opener.scroll.0, opener.scroll.1);
                    }
                })
                .forget();
            }
        });
    }
    let onkeydown = {
        let on_close = props.on_close.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" {
                e.prevent_default();
                e.stop_propagation();
                on_close.emit(());
            }
        })
    };
    let sim = &*props.simulation;
    let sel = &props.selection;
    let close = props.on_close.reform(|_: MouseEvent| ());
    let found = sim
        .pipelines
        .iter()
        .find(|p| p.id == sel.pipeline)
        .and_then(|p| p.jobs.iter().find(|j| j.name == sel.job).map(|j| (p, j)));
    // This job in full, once the worker has answered (the summary's job until then).
    let detail = match &*fetched {
        Some((asked, Ok(detail))) if asked == sel => Some(detail.clone()),
        _ => None,
    };
    let waiting =
        props.simulator.is_some() && !matches!(&*fetched, Some((asked, _)) if asked == sel);
    let problem = match &*fetched {
        Some((asked, Err(problem))) if asked == sel => Some(problem.clone()),
        _ => None,
    };
    let found = found.map(|(p, job)| (p, detail.as_ref().map_or(job, |d| &d.job)));
    let Some((p, job)) = found else {
        return html! {
            <section class="job-details drawer" role="region" aria-labelledby="job-details-title" ref={panel} {onkeydown}>
                <header class="jd-head">
                    <h3 id="job-details-title" tabindex="-1" ref={title}>{ &sel.job }</h3>
                    <button type="button" class="jd-close" aria-label="Close job details" onclick={close}>{ "×" }</button>
                </header>
                <p class="jd-missing">{ format!("Pipeline #{} has no job {} in the current results.", sel.pipeline, sel.job) }</p>
            </section>
        };
    };
    let ctx = Links {
        sim,
        here: p.id,
        on_select: &props.on_select,
    };
    let (status_class, icon, words) = job_status(job);
    let marks = job_marks(job);
    let diagnostics = job_diagnostics(sim, p, &job.name);
    let children: Vec<u64> = sim
        .pipelines
        .iter()
        .filter(|c| c.parent == Some(p.id) && c.trigger_job.as_deref() == Some(job.name.as_str()))
        .map(|c| c.id)
        .collect();
    let on_filter = {
        let filter = filter.clone();
        Callback::from(move |e: InputEvent| {
            if let Some(input) = e.target_dyn_into::<HtmlInputElement>() {
                filter.set(input.value());
            }
        })
    };

    html! {
        <section class={classes!("job-details", "drawer", status_class)} role="region" aria-labelledby="job-details-title"
            aria-busy={if waiting { "true" } else { "false" }} ref={panel} {onkeydown}>
            <header class="jd-head">
                <div class="jd-title">
                    <h3 id="job-details-title" tabindex="-1" ref={title}>
                        <span class="job-status" aria-hidden="true">{ icon }</span>
                        { &job.name }
                    </h3>
                    <p class="jd-sub">
                        { format!("stage {} · pipeline #{} ({}, {}) · event {} · ", job.stage, p.id, p.source, p.ref_name, p.event) }
                        <strong>{ words }</strong>
                        { for marks.iter().map(|(i, l)| html! {
                            <span class="mark"><span aria-hidden="true">{ *i }</span>{ " " }{ l }</span>
                        }) }
                    </p>
                </div>
                <button type="button" class="jd-close" aria-label="Close job details" onclick={close}>{ "×" }</button>
            </header>
            <div class="jd-grid">
                { definition_section(detail.as_ref().and_then(|d| d.definition.as_ref()), props.simulator.is_some(), waiting, problem.as_deref(), p, &props.on_locate) }
                <section class="jd-section jd-why">
                    <h4>{ "Why" }</h4>
                    if job.why.is_empty() && waiting {
                        <p class="jd-muted">{ "Loading…" }</p>
                    } else {
                        <p>{ rich(&job.why) }</p>
                    }
                    { checks_list(&job.checks) }
                    { rules_read(job, p) }
                </section>
                <section class="jd-section">
                    <h4>{ "How it runs" }</h4>
                    <dl class="facts">
                        <dt>{ "when" }</dt><dd><code>{ &job.when }</code></dd>
                        <dt>{ "allow_failure" }</dt><dd>{ if job.allow_failure { "yes: the pipeline may pass if it fails" } else { "no" } }</dd>
                        if let Some(start_in) = &job.start_in {
                            <dt>{ "start_in" }</dt><dd>{ start_in }</dd>
                        }
                        if job.created {
                            <dt>{ "outcome" }</dt><dd>{ words }</dd>
                        }
                        if job.kind == "trigger" {
                            <dt>{ "trigger" }</dt>
                            <dd>
                                if children.is_empty() {
                                    { "starts a downstream pipeline" }
                                } else {
                                    { format!("starts child pipeline {}", children.iter().map(|c| format!("#{c}")).collect::<Vec<_>>().join(", ")) }
                                }
                            </dd>
                        }
                        <dt>{ "needs" }</dt>
                        <dd>
                            { match &job.needs {
                                None => html! { { "no needs: waits for every job of earlier stages" } },
                                Some(n) if n.is_empty() => html! { <><code>{ "needs: []" }</code>{ " starts right away" }</> },
                                Some(n) => html! { <ul class="inline-list">{ for n.iter().map(|name| html! { <li>{ ctx.link(p.id, name) }</li> }) }</ul> },
                            } }
                        </dd>
                    </dl>
                </section>
                if job.created {
                    <section class="jd-section">
                        <h4>{ "Receives artifacts from" }</h4>
                        { match &job.artifacts_from {
                            Some(from) if !from.is_empty() => html! {
                                <ul class="inline-list">{ for from.iter().map(|name| html! { <li>{ ctx.link(p.id, name) }</li> }) }</ul>
                            },
                            _ => html! { <p class="jd-muted">{ "No job's artifacts." }</p> },
                        } }
                        <h4>{ "dotenv variables" }</h4>
                        if job.dotenv.is_empty() {
                            <p class="jd-muted">{ "None." }</p>
                        } else {
                            <div class="table-wrap">
                                <table class="vars">
                                    <thead><tr><th scope="col">{ "name" }</th><th scope="col">{ "value" }</th><th scope="col">{ "from" }</th></tr></thead>
                                    <tbody>
                                        { for job.dotenv.iter().map(|(name, v)| html! {
                                            <tr>
                                                <th scope="row"><code>{ name }</code></th>
                                                <td>{ value_cell(v.value.as_deref()) }</td>
                                                <td>{ ctx.link(v.pipeline, &v.from) }</td>
                                            </tr>
                                        }) }
                                    </tbody>
                                </table>
                            </div>
                        }
                    </section>
                }
                if !diagnostics.is_empty() {
                    <section class="jd-section jd-wide">
                        <h4>{ format!("Diagnostics ({})", diagnostics.len()) }</h4>
                        <ul class="jd-diagnostics">
                            { for diagnostics.iter().map(|d| diagnostic(d, &props.on_locate)) }
                        </ul>
                    </section>
                }
                if !job.rule_variables.is_empty() {
                    <section class="jd-section">
                        <h4>{ "Rule variables" }</h4>
                        <dl class="facts">
                            { for job.rule_variables.iter().map(|(k, v)| html! {
                                <><dt><code>{ k }</code></dt><dd><code>{ v }</code></dd></>
                            }) }
                        </dl>
                    </section>
                }
                if waiting && job.created {
                    <section class="jd-section jd-wide">
                        <h4>{ "Variables" }</h4>
                        <p class="jd-muted" aria-live="polite">{ "Loading the variable table…" }</p>
                    </section>
                }
                if !job.variables.is_empty() {
                    <section class="jd-section jd-wide">
                        <h4>{ format!("Variables ({})", job.variables.iter().filter(|v| v.overridden_by.is_none() && v.withheld.is_none()).count()) }</h4>
                        if job.variables.len() > 8 {
                            <input type="search" class="var-filter" placeholder="Filter variables"
                                aria-label="Filter variables" value={(*filter).clone()} oninput={on_filter} />
                        }
                        { variable_table(job, &filter) }
                    </section>
                }
            </div>
        </section>
    }
}

/// Where the job is defined (a button that shows that line in the editor) and the keywords
/// that say what it runs and produces, from the core's expanded configuration.
fn definition_section(
    definition: Option<&Definition>,
    in_worker: bool,
    waiting: bool,
    problem: Option<&str>,
    pipeline: &PipelineReport,
    on_locate: &Callback<(String, u32, u32)>,
) -> Html {
    let body = match definition {
        Some(d) => {
            let target = (d.file.clone(), d.line, d.column);
            let onclick = on_locate.reform(move |_: MouseEvent| target.clone());
            let keys = d.keys.iter().map(|(key, yaml)| {
                let produces = matches!(key.as_str(), "artifacts");
                html! {
                    <div class={classes!("jd-key", produces.then_some("jd-produces"))} data-key={key.clone()}>
                        <h5><code>{ format!("{key}:") }</code>{ if produces { " (what it produces)" } else { "" } }</h5>
                        <pre class="jd-yaml">{ yaml }</pre>
                    </div>
                }
            });
            html! {
                <>
                    <p class="jd-where">
                        { "Defined at " }
                        <button type="button" class="locate-link jd-locate" {onclick}
                            aria-label={format!("Show {} line {} in the editor", d.file, d.line)}>
                            { format!("{}:{}", d.file, d.line) }
                        </button>
                    </p>
                    if d.keys.is_empty() {
                        <p class="jd-muted">{ "No image, script or artifacts of its own." }</p>
                    }
                    { for keys }
                    if !d.keys.iter().any(|(k, _)| k == "artifacts") {
                        <p class="jd-muted">{ "Produces no artifacts (no " }<code>{ "artifacts:" }</code>{ ")." }</p>
                    }
                </>
            }
        }
        None if waiting => html! { <p class="jd-muted" aria-live="polite">{ "Loading…" }</p> },
        None if !in_worker => html! {
            <p class="jd-muted">{ "The simulation worker looks up where a job is defined, and this page runs without it." }</p>
        },
        None if pipeline.parent.is_some() || pipeline.project.is_some() => html! {
            <p class="jd-muted">{ "Defined in this pipeline's own configuration (the core gives no line for it)." }</p>
        },
        None => html! {
            <p class="jd-muted">{ problem.unwrap_or("The core gives no definition for this job.") }</p>
        },
    };
    html! {
        <section class="jd-section jd-wide jd-definition">
            <h4>{ "Definition" }</h4>
            { body }
        </section>
    }
}

/// The pipeline's variables that the job's evaluated clauses name (`$NAME` or `${NAME}`, in
/// the clause or in the core's account of it),
/// with their values in this pipeline: what its rules read.
fn rules_read(job: &JobReport, pipeline: &PipelineReport) -> Html {
    let mut names: Vec<&str> = Vec::new();
    for check in &job.checks {
        for name in referenced(&check.clause).chain(referenced(&check.detail)) {
            if !names.contains(&name) {
                names.push(name);
            }
        }
    }
    if names.is_empty() {
        return Html::default();
    }
    html! {
        <div class="jd-reads">
            <h5>{ "Values its rules read" }</h5>
            <dl class="facts">
                { for names.iter().map(|name| html! {
                    <>
                        <dt><code>{ format!("${name}") }</code></dt>
                        <dd>
                            { match pipeline.variables.get(*name) {
                                Some(value) => html! { <code class="value">{ value }</code> },
                                None => html! { <em class="jd-muted">{ "not set in this pipeline" }</em> },
                            } }
                        </dd>
                    </>
                }) }
            </dl>
        </div>
    }
}

/// The variable names `$NAME` and `${NAME}` in a clause's text.
fn referenced(text: &str) -> impl Iterator<Item = &str> {
    text.match_indices('$').filter_map(move |(i, _)| {
        let rest = &text[i + 1..];
        let rest = rest.strip_prefix('{').unwrap_or(rest);
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        (end > 0 && !rest.as_bytes()[0].is_ascii_digit()).then(|| &rest[..end])
    })
}

/// Links to other jobs of the simulation.
struct Links<'a> {
    sim: &'a Simulation,
    here: u64,
    on_select: &'a Callback<Selection>,
}

impl Links<'_> {
    /// A button that selects `name` of pipeline `pipeline`, or plain text if it is not there.
    fn link(&self, pipeline: u64, name: &str) -> Html {
        let other = (pipeline != self.here).then(|| format!(" in pipeline #{pipeline}"));
        let exists = self
            .sim
            .pipelines
            .iter()
            .find(|p| p.id == pipeline)
            .is_some_and(|p: &PipelineReport| p.jobs.iter().any(|j: &JobReport| j.name == name));
        if exists {
            html! {
                <>
                    <button type="button" class="job-link" onclick={select(self.on_select, pipeline, name)}>{ name }</button>
                    { for other }
                </>
            }
        } else {
            html! { <><code>{ name }</code>{ for other }</> }
        }
    }
}

fn value_cell(value: Option<&str>) -> Html {
    match value {
        Some(v) => html! { <code class="value">{ v }</code> },
        None => html! { <em class="jd-muted">{ "known at run time" }</em> },
    }
}

fn variable_table(job: &JobReport, filter: &str) -> Html {
    let needle = filter.trim().to_lowercase();
    let rows = job
        .variables
        .iter()
        .filter(|v| needle.is_empty() || v.name.to_lowercase().contains(&needle))
        .map(|v| {
            let lost = v.overridden_by.is_some();
            html! {
                <tr class={lost.then_some("overridden")}>
                    <th scope="row"><code>{ &*v.name }</code></th>
                    <td>
                        if let Some(why) = &v.withheld {
                            <em class="jd-muted">{ format!("withheld: {why}") }</em>
                        } else if lost {
                            <del>{ value_cell(v.value.as_deref()) }</del>
                        } else {
                            { value_cell(v.value.as_deref()) }
                        }
                        if let (Some(expanded), false) = (&v.expanded, lost) {
                            <span class="jd-muted">{ " → the runner gets " }<code class="value">{ expanded }</code></span>
                        }
                    </td>
                    <td>
                        <span class={classes!("var-source", v.source)}>{ v.source }</span>
                        if let Some(by) = &v.overridden_by {
                            <span class="overridden-by">{ format!(" overridden by {by}") }</span>
                        }
                    </td>
                </tr>
            }
        });
    html! {
        <div class="table-wrap vars-wrap">
            <table class="vars">
                <thead><tr><th scope="col">{ "name" }</th><th scope="col">{ "value" }</th><th scope="col">{ "source" }</th></tr></thead>
                <tbody>{ for rows }</tbody>
            </table>
        </div>
    }
}

fn diagnostic(d: &Diagnostic, on_locate: &Callback<(String, u32, u32)>) -> Html {
    let severity = d.severity.as_str();
    let locate = |file: &str, line: u32, column: u32| {
        let target = (file.to_owned(), line, column);
        let onclick = on_locate.reform(move |_: MouseEvent| target.clone());
        html! {
            <button type="button" class="locate-link" {onclick} aria-label={format!("Show {file} line {line} in the editor")}>
                { format!("{file}:{line}:{column}") }
            </button>
        }
    };
    let here = d
        .file
        .as_deref()
        .filter(|_| d.line > 0)
        .map(|f| locate(f, d.line, d.column));
    let related = d
        .related
        .as_ref()
        .map(|r| locate(&r.file, r.line, r.column));
    let (text, fix) = match d.explanation.as_deref().map(split_fix) {
        Some((text, fix)) => (Some(text), fix),
        None => (None, None),
    };
    html! {
        <li class={classes!("jd-diagnostic", severity)} data-code={d.code}>
            <p class="jd-diag-head">
                <span class={classes!("badge", severity)}>{ severity }</span>
                { " " }
                <span class="message">{ &d.message }</span>
                { " " }
                <code class="diag-code">{ d.code }</code>
                { for here }
                { for related }
            </p>
            if let Some(text) = text.filter(|t| !t.is_empty()) {
                <p class="explanation">{ rich(text) }</p>
            }
            if let Some(fix) = fix {
                <p class="fix"><strong>{ "Fix:" }</strong>{ " " }{ rich(fix) }</p>
            }
            if let Some(checked) = &d.fix {
                <div class="fix checked-fix">
                    <p>
                        <strong>{ if checked.verified { "Checked fix: " } else { "Proposed fix: " } }</strong>
                        { rich(&checked.summary) }
                    </p>
                    <pre>{ &checked.yaml }</pre>
                </div>
            }
        </li>
    }
}

/// The explanation before "Fix:" and the fix after it.
fn split_fix(text: &str) -> (&str, Option<&str>) {
    match text.find("Fix:") {
        Some(i) => (text[..i].trim_end(), Some(text[i + 4..].trim_start())),
        None => (text, None),
    }
}

/// Each clause that was evaluated: ✓ matched, ✗ did not.
pub(crate) fn checks_list(checks: &[Check]) -> Html {
    if checks.is_empty() {
        return Html::default();
    }
    html! {
        <ul class="checks">
            { for checks.iter().map(|c| html! {
                <li class={if c.matched { "check matched" } else { "check" }}>
                    <span class="check-mark" role="img" aria-label={if c.matched { "matched" } else { "did not match" }}>
                        { if c.matched { "✓" } else { "✗" } }
                    </span>
                    <code class="clause">{ &c.clause }</code>
                    <span class="detail">{ rich(&c.detail) }</span>
                </li>
            }) }
        </ul>
    }
}

/// Text with `backticks` shown as code.
pub(crate) fn rich(text: &str) -> Html {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                html! { <code>{ part }</code> }
            } else {
                html! { { part } }
            }
        })
        .collect()
}
