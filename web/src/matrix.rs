//! The Matrix view: every job against the standard events of the project (push to a feature
//! branch and to the default branch, merge request, merged results and merge train on paid
//! tiers, merge, tag, schedule, web, api, trigger), child pipelines' jobs nested under their
//! trigger job, each cell with its reason on hover. The core's `matrix::build` makes it; this
//! component only draws it (docs/TESTING.md).

use std::rc::Rc;

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

#[function_component(MatrixView)]
pub fn matrix_view(props: &MatrixViewProps) -> Html {
    // Made again only when the files or the project change (ten simulations).
    let built = use_memo(
        (props.files.clone(), props.project.clone()),
        |(files, project)| workspace_matrix(files, project),
    );
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
        let cells = row.cells.iter().map(|cell| {
            let mut why = cell.why.clone();
            if cell.allow_failure {
                why.push_str(" (allowed to fail)");
            }
            html! {
                <td class={classes!("matrix-cell", format!("cell-{}", cell.state.as_str()))}
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
