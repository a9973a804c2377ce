//! The project settings and the timeline of events, as forms. Every value stays text here;
//! `state` turns it into the core's types.

use std::rc::Rc;

use pipesim::event::Tier;
use pipesim::simulate::Simulation;
use pipesim::Severity;
use web_sys::{HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::pipelines::event_summary;
use crate::state::{EventForm, EventKind, OtherProject, ProjectForm, Shared, VariableForm};

fn text_field(id: String, label: &str, value: &str, on: Callback<String>) -> Html {
    let oninput = on.reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
    html! {
        <div class="field">
            <label for={id.clone()}>{ label }</label>
            <input {id} type="text" value={value.to_owned()} {oninput} spellcheck="false" />
        </div>
    }
}

fn lines_field(id: String, label: &str, hint: &str, value: &str, on: Callback<String>) -> Html {
    let oninput =
        on.reform(|e: InputEvent| e.target_unchecked_into::<HtmlTextAreaElement>().value());
    let rows = value.lines().count().clamp(2, 8).to_string();
    html! {
        <div class="field wide">
            <label for={id.clone()}>{ label }</label>
            <textarea {id} {rows} value={value.to_owned()} {oninput} placeholder={hint.to_owned()}
                spellcheck="false" />
        </div>
    }
}

fn check_field(id: String, label: Html, checked: bool, on: Callback<bool>) -> Html {
    let onchange = on.reform(|e: Event| e.target_unchecked_into::<HtmlInputElement>().checked());
    html! {
        <div class="field check">
            <input id={id.clone()} type="checkbox" {checked} {onchange} />
            <label for={id}>{ label }</label>
        </div>
    }
}

fn select_field(
    id: String,
    label: &str,
    value: &str,
    options: &[(&str, &str)],
    on: Callback<String>,
) -> Html {
    let onchange = on.reform(|e: Event| e.target_unchecked_into::<HtmlSelectElement>().value());
    html! {
        <div class="field">
            <label for={id.clone()}>{ label }</label>
            <select {id} {onchange}>
                { for options.iter().map(|(v, text)| html! {
                    <option value={v.to_string()} selected={*v == value}>{ *text }</option>
                }) }
            </select>
        </div>
    }
}

#[derive(Properties, PartialEq)]
pub struct ProjectPanelProps {
    pub project: ProjectForm,
    pub on_change: Callback<ProjectForm>,
}

#[function_component(ProjectPanel)]
pub fn project_panel(props: &ProjectPanelProps) -> Html {
    let p = &props.project;
    // A callback that changes one thing of a copy of the project.
    let set = |change: fn(&mut ProjectForm, String)| {
        let (project, on_change) = (p.clone(), props.on_change.clone());
        Callback::from(move |value: String| {
            let mut next = project.clone();
            change(&mut next, value);
            on_change.emit(next);
        })
    };
    let toggle = |change: fn(&mut ProjectForm, bool)| {
        let (project, on_change) = (p.clone(), props.on_change.clone());
        Callback::from(move |value: bool| {
            let mut next = project.clone();
            change(&mut next, value);
            on_change.emit(next);
        })
    };
    let variable = |index: usize, change: fn(&mut VariableForm, String)| {
        let (project, on_change) = (p.clone(), props.on_change.clone());
        Callback::from(move |value: String| {
            let mut next = project.clone();
            if let Some(v) = next.variables.get_mut(index) {
                change(v, value);
            }
            on_change.emit(next);
        })
    };
    let paid_note = if p.tier.is_paid() {
        html! { <span class="note">{ "Premium" }</span> }
    } else {
        html! { <span class="note warn">{ "needs Premium: ignored on Free" }</span> }
    };
    let rows = p.variables.iter().enumerate().map(|(i, v)| {
        let n = i + 1;
        let key = variable(i, |v, s| v.key = s)
            .reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
        let value = variable(i, |v, s| v.value = s)
            .reform(|e: InputEvent| e.target_unchecked_into::<HtmlInputElement>().value());
        let protected = {
            let (project, on_change) = (p.clone(), props.on_change.clone());
            Callback::from(move |e: Event| {
                let mut next = project.clone();
                next.variables[i].protected =
                    e.target_unchecked_into::<HtmlInputElement>().checked();
                on_change.emit(next);
            })
        };
        let remove = {
            let (project, on_change) = (p.clone(), props.on_change.clone());
            Callback::from(move |_: MouseEvent| {
                let mut next = project.clone();
                next.variables.remove(i);
                on_change.emit(next);
            })
        };
        html! {
            <tr key={i}>
                <td><input type="text" value={v.key.clone()} oninput={key} spellcheck="false"
                    aria-label={format!("Key of variable {n}")} placeholder="KEY" /></td>
                <td><input type="text" value={v.value.clone()} oninput={value} spellcheck="false"
                    aria-label={format!("Value of variable {n}")} placeholder="value" /></td>
                <td class="center"><input type="checkbox" checked={v.protected} onchange={protected}
                    aria-label={format!("Variable {n} is protected")} /></td>
                <td><button type="button" class="icon" onclick={remove}
                    aria-label={format!("Remove variable {n}")}>{ "×" }</button></td>
            </tr>
        }
    });
    let add_variable = {
        let (project, on_change) = (p.clone(), props.on_change.clone());
        Callback::from(move |_: MouseEvent| {
            let mut next = project.clone();
            next.variables.push(VariableForm {
                key: String::new(),
                value: String::new(),
                protected: false,
            });
            on_change.emit(next);
        })
    };
    let summary = format!(
        "{} · {} · {}",
        p.path,
        p.tier.as_str(),
        match p.variables.len() {
            1 => "1 variable".to_owned(),
            n => format!("{n} variables"),
        }
    );
    html! {
        <details class="panel form-panel project-panel">
            <summary class="panel-head">
                <h2>{ "Project" }</h2>
                <span class="summary">{ summary }</span>
            </summary>
            <div class="form-grid">
                { text_field("project-path".into(), "Project path", &p.path, set(|p, v| p.path = v)) }
                { text_field("project-default-branch".into(), "Default branch", &p.default_branch, set(|p, v| p.default_branch = v)) }
                { select_field("project-tier".into(), "Tier", p.tier.as_str(),
                    &[("free", "Free"), ("premium", "Premium"), ("ultimate", "Ultimate")],
                    set(|p, v| p.tier = Tier::parse(&v).unwrap_or_default())) }
                { text_field("project-protected".into(), "Protected branches (comma-separated, wildcards)", &p.protected_branches, set(|p, v| p.protected_branches = v)) }
                { check_field("project-merged-results".into(), html! { <>{ "Merged results pipelines " }{ paid_note.clone() }</> }, p.merged_results, toggle(|p, v| p.merged_results = v)) }
                { check_field("project-merge-trains".into(), html! { <>{ "Merge trains " }{ paid_note }</> }, p.merge_trains, toggle(|p, v| p.merge_trains = v)) }
                { check_field("project-keep-latest".into(), html! { "Keep artifacts from the most recent successful jobs" }, p.keep_latest_artifacts, toggle(|p, v| p.keep_latest_artifacts = v)) }
                <fieldset class="field wide variables">
                    <legend>{ "Project CI/CD variables" }</legend>
                    if !p.variables.is_empty() {
                        <table>
                            <thead><tr><th>{ "Key" }</th><th>{ "Value" }</th><th>{ "Protected" }</th><th><span class="visually-hidden">{ "Remove" }</span></th></tr></thead>
                            <tbody>{ for rows }</tbody>
                        </table>
                    }
                    <button type="button" onclick={add_variable}>{ "+ variable" }</button>
                </fieldset>
            </div>
        </details>
    }
}

#[derive(Properties, PartialEq)]
pub struct EventsPanelProps {
    pub events: Rc<Vec<EventForm>>,
    pub on_change: Callback<Vec<EventForm>>,
    /// For per-event badges (pipelines created, problems).
    pub simulation: Shared<Simulation>,
    /// The scenario's projects, the main one first (one project: no project field).
    #[prop_or_default]
    pub projects: Rc<Vec<String>>,
    /// The main project's default branch, for "Push to main".
    #[prop_or_default]
    pub default_branch: AttrValue,
}

/// Pipelines created by event `n` (1-based), and whether a problem belongs to it.
fn event_badge(simulation: &Simulation, n: usize) -> (usize, bool) {
    let pipelines = simulation.pipelines.iter().filter(|p| p.event == n);
    let created = pipelines.clone().filter(|p| p.created).count();
    let problem = pipelines
        .into_iter()
        .any(|p| p.errors.iter().any(|d| d.severity != Severity::Info))
        || simulation
            .diagnostics
            .iter()
            .any(|d| d.event == Some(n) && d.severity != Severity::Info);
    (created, problem)
}

#[function_component(EventsPanel)]
pub fn events_panel(props: &EventsPanelProps) -> Html {
    let kind = use_state(|| EventKind::Push);
    let mr_from = use_state(|| "feature".to_owned());
    let mr_into = use_state(|| String::new());
    let events = &props.events;
    let default_branch = if props.default_branch.trim().is_empty() {
        "main".to_owned()
    } else {
        props.default_branch.trim().to_owned()
    };
    // A callback that changes one field of event `index`.
    let field = |index: usize, change: fn(&mut EventForm, String)| {
        let (events, on_change) = (events.clone(), props.on_change.clone());
        Callback::from(move |value: String| {
            let mut next = (*events).clone();
            if let Some(e) = next.get_mut(index) {
                change(e, value);
            }
            on_change.emit(next);
        })
    };
    let reorder = |index: usize, change: fn(&mut Vec<EventForm>, usize)| {
        let (events, on_change) = (events.clone(), props.on_change.clone());
        Callback::from(move |_: MouseEvent| {
            let mut next = (*events).clone();
            change(&mut next, index);
            on_change.emit(next);
        })
    };
    let count = events.len();
    let cards = events.iter().enumerate().map(|(i, e)| {
        let n = i + 1;
        let id = |name: &str| format!("event-{n}-{name}");
        let mut fields: Vec<Html> = Vec::new();
        match e.kind {
            EventKind::Push => {
                fields.push(text_field(id("branch"), "Branch", &e.branch, field(i, |e, v| e.branch = v)));
                fields.push(text_field(id("message"), "Commit message", &e.message, field(i, |e, v| e.message = v)));
            }
            EventKind::Tag => {
                fields.push(text_field(id("tag"), "Tag", &e.tag, field(i, |e, v| e.tag = v)));
            }
            EventKind::MergeRequest => {
                fields.push(text_field(id("iid"), "Merge request !", &e.iid.to_string(), field(i, |e, v| e.iid = v.trim().parse().unwrap_or(e.iid))));
                fields.push(text_field(id("source"), "Source branch", &e.source, field(i, |e, v| e.source = v)));
                fields.push(text_field(id("target"), "Target branch", &e.target, field(i, |e, v| e.target = v)));
                fields.push(text_field(id("labels"), "Labels (comma-separated)", &e.labels, field(i, |e, v| e.labels = v)));
                fields.push(select_field(id("type"), "Pipeline type", &e.mr_type,
                    &[("", "auto (project settings)"), ("detached", "detached"), ("merged_result", "merged results"), ("merge_train", "merge train")],
                    field(i, |e, v| e.mr_type = v)));
            }
            EventKind::Merge => {
                fields.push(text_field(id("iid"), "Merge request !", &e.iid.to_string(), field(i, |e, v| e.iid = v.trim().parse().unwrap_or(e.iid))));
            }
            EventKind::Schedule | EventKind::Web | EventKind::Api | EventKind::Trigger => {
                fields.push(text_field(id("branch"), "Branch", &e.branch, field(i, |e, v| e.branch = v)));
                fields.push(lines_field(id("variables"), "Variables (KEY=value per line)", "DEPLOY=1", &e.variables, field(i, |e, v| e.variables = v)));
            }
            EventKind::Wait => {
                fields.push(text_field(id("wait"), "Duration (e.g. 31 days, 2 hours)", &e.wait, field(i, |e, v| e.wait = v)));
            }
        }
        if matches!(e.kind, EventKind::Push | EventKind::MergeRequest) {
            fields.push(lines_field(id("changes"), "Changed files (one per line)", "src/main.c", &e.changes, field(i, |e, v| e.changes = v)));
        }
        if props.projects.len() > 1 {
            let options: Vec<(String, String)> = props
                .projects
                .iter()
                .enumerate()
                .map(|(k, path)| (if k == 0 { String::new() } else { path.clone() }, path.clone()))
                .collect();
            let value = e.project.clone();
            let on = field(i, |e, v| e.project = v);
            let select_id = id("project");
            fields.push(html! {
                <div class="field">
                    <label for={select_id.clone()}>{ "Project" }</label>
                    <select id={select_id} onchange={Callback::from(move |ev: Event| on.emit(ev.target_unchecked_into::<HtmlSelectElement>().value()))}>
                        { for options.iter().map(|(v, text)| html! {
                            <option value={v.clone()} selected={*v == value}>{ text.clone() }</option>
                        }) }
                    </select>
                </div>
            });
        }
        if e.kind != EventKind::Wait {
            fields.push(lines_field(id("outcomes"), "Outcomes (job=failed|played|skipped per line)", "build=failed", &e.outcomes, field(i, |e, v| e.outcomes = v)));
        }
        let (created, problem) = event_badge(&props.simulation, n);
        let badge = if e.kind == EventKind::Wait {
            html! {}
        } else {
            html! {
                <span class={classes!("event-badge", (created == 0).then_some("none"))}>
                    { match created { 1 => "1 pipeline".to_owned(), n => format!("{n} pipelines") } }
                </span>
            }
        };
        let up = reorder(i, |v, i| v.swap(i - 1, i));
        let down = reorder(i, |v, i| v.swap(i, i + 1));
        let remove = reorder(i, |v, i| {
            v.remove(i);
        });
        let summary = event_summary(events, i);
        html! {
            <li class={classes!("event-card", e.kind.key())} key={i}>
                <details>
                    <summary>
                        <span class="event-number">{ n }</span>
                        <span class="event-summary">{ summary.clone() }</span>
                        { badge }
                        if problem {
                            <span class="event-problem" title="This event has errors or warnings: see Diagnostics"
                                aria-label="has problems">{ "✕" }</span>
                        }
                    </summary>
                    <div class="form-grid">{ for fields }</div>
                </details>
                <div class="event-actions">
                    <button type="button" class="icon" onclick={up} disabled={i == 0}
                        aria-label={format!("Move event {n} up")}>{ "↑" }</button>
                    <button type="button" class="icon" onclick={down} disabled={n == count}
                        aria-label={format!("Move event {n} down")}>{ "↓" }</button>
                    <button type="button" class="icon" onclick={remove}
                        aria-label={format!("Remove event {n}: {summary}")}>{ "×" }</button>
                </div>
            </li>
        }
    });
    let on_kind = {
        let kind = kind.clone();
        Callback::from(move |e: Event| {
            let value = e.target_unchecked_into::<HtmlSelectElement>().value();
            kind.set(EventKind::parse(&value).unwrap_or(EventKind::Push));
        })
    };
    let add = {
        let (events, on_change, kind) = (events.clone(), props.on_change.clone(), *kind);
        Callback::from(move |_: MouseEvent| {
            let mut next = (*events).clone();
            next.push(new_event(&events, kind));
            on_change.emit(next);
        })
    };
    // One click for the common events, each following on from the timeline.
    let quick = |label: String, make: Rc<dyn Fn(&[EventForm]) -> Vec<EventForm>>| {
        let (events, on_change) = (events.clone(), props.on_change.clone());
        let onclick = Callback::from(move |_: MouseEvent| {
            let mut next = (*events).clone();
            next.extend(make(&events));
            on_change.emit(next);
        });
        html! { <button type="button" class="quick-event" {onclick}>{ label }</button> }
    };
    let last_mr = events
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::MergeRequest)
        .cloned();
    let branch = default_branch.clone();
    let push_default = quick(
        format!("Push to {default_branch}"),
        Rc::new(move |_| {
            let mut e = EventForm::new(EventKind::Push);
            e.branch = branch.clone();
            vec![e]
        }),
    );
    let merge = last_mr.as_ref().map(|mr| {
        let iid = mr.iid;
        quick(
            format!("Merge !{iid} into {}", mr.target.trim()),
            Rc::new(move |_| {
                let mut e = EventForm::new(EventKind::Merge);
                e.iid = iid;
                vec![e]
            }),
        )
    });
    let tag = quick(
        "Push a tag".to_owned(),
        Rc::new(|events| vec![new_event(events, EventKind::Tag)]),
    );
    let branch = default_branch.clone();
    let schedule = quick(
        "Scheduled pipeline".to_owned(),
        Rc::new(move |_| {
            let mut e = EventForm::new(EventKind::Schedule);
            e.branch = branch.clone();
            vec![e]
        }),
    );
    let into = if mr_into.trim().is_empty() {
        default_branch.clone()
    } else {
        mr_into.trim().to_owned()
    };
    let open_mr = {
        let (events, on_change) = (events.clone(), props.on_change.clone());
        let (from, into) = (mr_from.trim().to_owned(), into.clone());
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            if from.is_empty() {
                return;
            }
            let mut next = (*events).clone();
            next.extend(open_merge_request(&events, &from, &into));
            on_change.emit(next);
        })
    };
    let on_from = {
        let mr_from = mr_from.clone();
        Callback::from(move |e: InputEvent| {
            mr_from.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let on_into = {
        let mr_into = mr_into.clone();
        Callback::from(move |e: InputEvent| {
            mr_into.set(e.target_unchecked_into::<HtmlInputElement>().value())
        })
    };
    let pushed = events
        .iter()
        .any(|e| e.kind == EventKind::Push && e.branch.trim() == mr_from.trim());
    html! {
        <details class="panel form-panel events-panel" open=true>
            <summary class="panel-head">
                <h2>{ "Events" }</h2>
                <span class="summary">{ if count == 1 { "1 event".to_owned() } else { format!("{count} events") } }</span>
            </summary>
            <ol class="event-list">{ for cards }</ol>
            <form class="open-mr" onsubmit={open_mr} aria-label="Open a merge request">
                <span class="open-mr-words">{ "Open a merge request from" }</span>
                <label class="visually-hidden" for="mr-from">{ "Source branch" }</label>
                <input id="mr-from" type="text" value={(*mr_from).clone()} oninput={on_from} size="10" />
                <span class="open-mr-words">{ "into" }</span>
                <label class="visually-hidden" for="mr-into">{ "Target branch" }</label>
                <input id="mr-into" type="text" value={(*mr_into).clone()} placeholder={default_branch.clone()} oninput={on_into} size="10" />
                <button type="submit" id="open-mr">{ "Open" }</button>
                if !pushed && mr_from.trim() != default_branch {
                    <span class="open-mr-note">{ format!("adds a push to {} first", mr_from.trim()) }</span>
                }
            </form>
            <div class="quick-events" role="group" aria-label="Add a common event">
                { push_default }{ for merge }{ tag }{ schedule }
            </div>
            <div class="event-add">
                <label for="event-kind">{ "Add an event" }</label>
                <select id="event-kind" onchange={on_kind}>
                    { for EventKind::ALL.iter().map(|k| html! {
                        <option value={k.key()} selected={*k == *kind}>{ k.label() }</option>
                    }) }
                </select>
                <button type="button" onclick={add}>{ "Add" }</button>
            </div>
        </details>
    }
}

/// The events that open a merge request from `from` into `into`: a push of `from` first when
/// the timeline has none (GitLab opens merge requests of existing branches), then the
/// merge request with the next free number.
fn open_merge_request(events: &[EventForm], from: &str, into: &str) -> Vec<EventForm> {
    let mut out = Vec::new();
    let pushed = events
        .iter()
        .any(|e| e.kind == EventKind::Push && e.branch.trim() == from);
    if !pushed && from != into {
        let mut push = EventForm::new(EventKind::Push);
        push.branch = from.to_owned();
        out.push(push);
    }
    let mut mr = new_event(events, EventKind::MergeRequest);
    mr.source = from.to_owned();
    mr.target = into.to_owned();
    out.push(mr);
    out
}

/// The other projects of a scenario: each one's settings as the scenario's YAML for its item
/// of `projects:` (its files are the editor's tabs named `<project>:<file>`). A plain function,
/// not a component: nothing to remember between renders.
pub fn other_projects_panel(
    projects: &[OtherProject],
    on_change: &Callback<Vec<OtherProject>>,
) -> Html {
    if projects.is_empty() {
        return html! {};
    }
    let items = projects.iter().enumerate().map(|(i, project)| {
        let (projects, on_change) = (projects.to_vec(), on_change.clone());
        let oninput = Callback::from(move |e: InputEvent| {
            let mut next = projects.clone();
            if let Some(p) = next.get_mut(i) {
                p.settings = e.target_unchecked_into::<HtmlTextAreaElement>().value();
            }
            on_change.emit(next);
        });
        let id = format!("other-project-{i}");
        let rows = project.settings.lines().count().clamp(2, 12).to_string();
        html! {
            <div class="field wide other-project">
                <label for={id.clone()}>{ format!("{} (settings, YAML as in the scenario file)", project.path) }</label>
                <textarea {id} class="settings-yaml" spellcheck="false" {rows}
                    value={project.settings.clone()} {oninput} />
                <p class="hint">{ format!("Its files are the editor tabs that start with {}:", project.path) }</p>
            </div>
        }
    });
    html! {
        <details class="panel form-panel other-projects-panel">
            <summary class="panel-head">
                <h2>{ "Other projects" }</h2>
                <span class="summary">{ projects.iter().map(|p| p.path.as_str()).collect::<Vec<_>>().join(", ") }</span>
            </summary>
            <div class="form-grid">{ for items }</div>
        </details>
    }
}

/// A new event that follows on from the timeline: a merge request of the last pushed branch,
/// a merge of the last merge request.
fn new_event(events: &[EventForm], kind: EventKind) -> EventForm {
    let mut form = EventForm::new(kind);
    let last_mr = events
        .iter()
        .rev()
        .find(|e| e.kind == EventKind::MergeRequest);
    match kind {
        EventKind::MergeRequest => {
            form.iid = events
                .iter()
                .filter(|e| e.kind == EventKind::MergeRequest)
                .map(|e| e.iid)
                .max()
                .map_or(1, |m| m + 1);
            if let Some(push) = events.iter().rev().find(|e| e.kind == EventKind::Push) {
                form.source = push.branch.clone();
            }
        }
        EventKind::Merge => {
            if let Some(mr) = last_mr {
                form.iid = mr.iid;
            }
        }
        _ => {}
    }
    form
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_events_follow_the_timeline() {
        let mut push = EventForm::new(EventKind::Push);
        push.branch = "topic".into();
        let events = vec![push];
        let mr = new_event(&events, EventKind::MergeRequest);
        assert_eq!((mr.iid, mr.source.as_str()), (1, "topic"));
        let events = vec![events[0].clone(), mr];
        assert_eq!(new_event(&events, EventKind::MergeRequest).iid, 2);
        assert_eq!(new_event(&events, EventKind::Merge).iid, 1);
    }

    #[test]
    fn opening_a_merge_request_pushes_its_branch_once() {
        let events = open_merge_request(&[], "feature", "staging");
        assert_eq!(events.len(), 2);
        assert_eq!(
            (events[0].kind, events[0].branch.as_str()),
            (EventKind::Push, "feature")
        );
        let mr = &events[1];
        assert_eq!(
            (mr.iid, mr.source.as_str(), mr.target.as_str()),
            (1, "feature", "staging")
        );
        let again = open_merge_request(&events, "feature", "main");
        assert_eq!(again.len(), 1);
        assert_eq!(again[0].iid, 2);
    }

    #[test]
    fn badges_count_pipelines_and_problems_per_event() {
        let preset = crate::presets::PRESETS
            .iter()
            .find(|p| p.id == "duplicate-pipelines")
            .unwrap();
        let w = crate::state::load_scenario_text(preset.id, preset.scenario).unwrap();
        let simulation = w.simulate();
        assert_eq!(event_badge(&simulation, 1), (1, false));
        assert_eq!(event_badge(&simulation, 3), (2, true));
    }
}
