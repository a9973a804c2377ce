//! The Matrix view: every job against the standard events of the project (push to a feature
//! branch and to the default branch, merge request, merged results and merge train on paid
//! tiers, merge, tag, schedule, web, api, trigger), child pipelines' jobs nested under their
//! trigger job, each cell with its reason on hover. The core's `matrix::build` makes it; this
//! component only draws it (docs/TESTING.md). Compare mode keeps the files as they are at one
//! moment and shows, event by event, what the edits since then change (the core's
//! `matrix::diff::compare`, as `pipesim diff` prints it).

use std::rc::Rc;

use pipesim::matrix::diff::{self, Diff};
use pipesim::matrix::{self, CellState, Matrix, StandardOptions};
use pipesim::pipeline::Status;
use yew::prelude::*;

use crate::state::{FileTab, ProjectForm, Workspace};

#[derive(Properties, PartialEq)]
pub struct MatrixViewProps {
    pub files: Rc<Vec<FileTab>>,
    pub project: ProjectForm,
}

/// The matrix of the workspace's files and project, with the standard events.
pub fn workspace_matrix(files: &[FileTab], project: &ProjectForm) -> Matrix {
    let workspace = Workspace {
        files: files.to_vec(),
        project: project.clone(),
        ..Workspace::with_config("")
    };
    let project = workspace.project();
    let events = matrix::standard_events(&project, &StandardOptions::default());
    matrix::build(&project, &workspace.files(), &events)
}

fn cell_label(state: CellState) -> &'static str {
    match state {
        CellState::In => "in",
        CellState::Manual => "manual",
        CellState::Delayed => "delayed",
        CellState::Never => "never",
        CellState::NoPipeline => "—",
    }
}

fn pipeline_label(column: &matrix::Column) -> &'static str {
    match column.main_pipeline().map(|p| &p.status) {
        Some(Status::Created) => "created",
        Some(Status::Skipped) => "skipped",
        Some(Status::Failed) => "failed",
        Some(Status::NotCreated) | None => "no pipeline",
    }
}

/// What changed for one job in one event, for its cell's title; `None` when nothing did.
fn cell_change(diff: &Diff, event: &str, row: &str) -> Option<String> {
    let event = diff.events.iter().find(|e| e.id == event)?;
    let (kind, change) = [
        ("added", &event.added),
        ("removed", &event.removed),
        ("changed", &event.changed),
    ]
    .into_iter()
    .find_map(|(kind, list)| list.iter().find(|c| c.job == row).map(|c| (kind, c)))?;
    Some(format!(
        "Compared with the kept version: {kind} ({} → {}). {}",
        change.before.as_str(),
        change.after.as_str(),
        change.details.join(" ")
    ))
}

/// One line per event that differs: jobs added, removed and changed, findings new and fixed.
fn compare_summary(diff: &Diff) -> Html {
    if !diff.changed {
        return html! {
            <p class="compare-none">{ "No change: every event creates the same pipelines and jobs as in the kept version." }</p>
        };
    }
    let jobs = |label: &str, list: &[diff::JobChange]| -> Option<String> {
        (!list.is_empty()).then(|| {
            let names: Vec<&str> = list.iter().map(|c| c.job.as_str()).collect();
            format!("{label} {}", names.join(", "))
        })
    };
    let events = diff.events.iter().map(|e| {
        let mut parts: Vec<String> = Vec::new();
        if let Some((before, after)) = &e.pipeline {
            parts.push(format!("pipeline {before} → {after}"));
        }
        parts.extend(jobs("added", &e.added));
        parts.extend(jobs("removed", &e.removed));
        parts.extend(jobs("changed", &e.changed));
        if !e.new_findings.is_empty() {
            parts.push(format!("{} new finding(s)", e.new_findings.len()));
        }
        if !e.fixed_findings.is_empty() {
            parts.push(format!("{} fixed", e.fixed_findings.len()));
        }
        let details: Vec<String> = e
            .added
            .iter()
            .chain(&e.removed)
            .chain(&e.changed)
            .map(|c| format!("{}: {}", c.job, c.details.join(" ")))
            .chain(
                e.new_findings
                    .iter()
                    .map(|f| format!("new: {}", f.message)),
            )
            .chain(
                e.fixed_findings
                    .iter()
                    .map(|f| format!("fixed: {}", f.message)),
            )
            .collect();
        html! {
            <li title={details.join("\n")}><strong>{ e.id.clone() }</strong>{ ": " }{ parts.join("; ") }</li>
        }
    });
    html! {
        <>
            <ul class="compare-events">{ for events }</ul>
            if !diff.unchanged.is_empty() {
                <p class="compare-unchanged">{ format!("Unchanged: {}.", diff.unchanged.join(", ")) }</p>
            }
        </>
    }
}

#[function_component(MatrixView)]
pub fn matrix_view(props: &MatrixViewProps) -> Html {
    // Made again only when the files or the project change (ten simulations).
    let built = use_memo(
        (props.files.clone(), props.project.clone()),
        |(files, project)| workspace_matrix(files, project),
    );
    // Compare mode: the files kept at one moment, their matrix, and what changed since.
    let kept = use_state(|| None::<Rc<Vec<FileTab>>>);
    let kept_matrix = use_memo(
        ((*kept).clone(), props.project.clone()),
        |(kept, project)| kept.as_ref().map(|files| workspace_matrix(files, project)),
    );
    let compared: Option<Diff> = (*kept_matrix)
        .as_ref()
        .map(|old| diff::compare(old, &built));
    let on_keep = {
        let kept = kept.clone();
        let files = props.files.clone();
        Callback::from(move |_: MouseEvent| kept.set(Some(files.clone())))
    };
    let on_stop = {
        let kept = kept.clone();
        Callback::from(move |_: MouseEvent| kept.set(None))
    };
    let header = built.columns.iter().map(|c| {
        html! { <th scope="col" title={c.title.clone()}>{ c.id.clone() }</th> }
    });
    let pipelines = built.columns.iter().map(|c| {
        let reason = c
            .main_pipeline()
            .map(|p| p.reason.clone())
            .unwrap_or_else(|| "The event asks for no pipeline.".to_owned());
        html! { <td class="matrix-pipeline" title={reason}>{ pipeline_label(c) }</td> }
    });
    let rows = built.rows.iter().map(|row| {
        let cells = row.cells.iter().enumerate().map(|(column, cell)| {
            let mut why = cell.why.clone();
            if cell.allow_failure {
                why.push_str(" (allowed to fail)");
            }
            let change = compared
                .as_ref()
                .and_then(|d| cell_change(d, &built.columns[column].id, &row.name()));
            let diff_class = change.is_some().then_some("cell-diff");
            if let Some(change) = change {
                why = format!("{change}\n\n{why}");
            }
            html! {
                <td class={classes!("matrix-cell", format!("cell-{}", cell.state.as_str()), diff_class)}
                    title={why}>
                    { cell_label(cell.state) }{ cell.allow_failure.then_some("*") }
                </td>
            }
        });
        let nested = (!row.path.is_empty()).then_some("matrix-nested");
        html! {
            <tr>
                <th scope="row" class={classes!("matrix-job", nested)}>{ row.name() }</th>
                { for cells }
            </tr>
        }
    });
    let findings: Vec<Html> = {
        let mut seen: Vec<String> = Vec::new();
        for d in built.columns.iter().flat_map(|c| &c.findings) {
            let text = format!("{}: {}", d.severity.as_str(), d.message);
            if !seen.contains(&text) {
                seen.push(text);
            }
        }
        seen.into_iter().map(|t| html! { <li>{ t }</li> }).collect()
    };
    html! {
        <div class="matrix-view">
            <div class="compare" aria-live="polite">
                if let Some(diff) = &compared {
                    <p class="compare-head">
                        { "Comparing with the version kept earlier: what your edits since then change." }
                        <button type="button" id="compare-stop" onclick={on_stop}>{ "Stop comparing" }</button>
                    </p>
                    { compare_summary(diff) }
                } else {
                    <p class="compare-head">
                        <button type="button" id="compare-keep" onclick={on_keep}>{ "Compare from this version" }</button>
                        { " keeps the files as they are now; edit them and this view shows, event by event, the jobs added, removed and changed, as pipesim diff does on the command line." }
                    </p>
                }
            </div>
            <table class="matrix" aria-label="Jobs by event">
                <thead><tr><th scope="col">{ "job" }</th>{ for header }</tr></thead>
                <tbody>
                    <tr><th scope="row">{ "pipeline" }</th>{ for pipelines }</tr>
                    { for rows }
                </tbody>
            </table>
            <p class="matrix-legend">
                { "in: runs · manual: waits for someone · delayed: starts later · never: left out by its rules · —: no pipeline for it · *: allowed to fail. Hover a cell for why." }
            </p>
            if !findings.is_empty() {
                <ul class="matrix-findings">{ for findings }</ul>
            }
        </div>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workspace_matrix_uses_its_files_and_project() {
        let files = vec![FileTab {
            path: crate::ENTRY.into(),
            text: "build:\n  script: [make]\n  only: [tags]\n".into(),
        }];
        let project = ProjectForm {
            tier: pipesim::event::Tier::Premium,
            ..ProjectForm::default()
        };
        let m = workspace_matrix(&files, &project);
        assert!(m.columns.iter().any(|c| c.id == "merge-train"));
        let tag = m.columns.iter().position(|c| c.id == "tag").unwrap();
        assert_eq!(m.rows[0].job, "build");
        assert_eq!(m.rows[0].cells[tag].state, CellState::In);
        assert_eq!(m.rows[0].cells[0].state, CellState::Never);
    }
}
