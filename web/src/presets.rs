//! Examples for learning: scenario files (web/presets/, docs/SCENARIOS.md) with a few sentences
//! on what to notice, the menu that loads them, and the one a first visit opens.

use web_sys::HtmlSelectElement;
use yew::prelude::*;

use crate::state::{load_scenario_text, View, Workspace};

pub struct Preset {
    pub id: &'static str,
    pub title: &'static str,
    /// What to notice, in a few sentences.
    pub lesson: &'static str,
    /// A scenario file (docs/SCENARIOS.md).
    pub scenario: &'static str,
}

pub const PRESETS: &[Preset] = &[
    Preset {
        id: "dotenv-across-pipelines-dotenv",
        title: "Dotenv across pipelines: dependencies",
        lesson: "`building` writes BUILD_VERSION to a dotenv report in the merge request pipeline; after the merge, `deploying` runs in the branch pipeline of `staging` with `dependencies: [building]`. On the timeline, look at the merge event: `building` is not in that pipeline, so `deploying` prints an empty variable. Dotenv variables never cross pipelines this way.",
        scenario: include_str!("../presets/dotenv-across-pipelines-dotenv.scenario.yml"),
    },
    Preset {
        id: "dotenv-across-pipelines-file",
        title: "Dotenv across pipelines: artifact file",
        lesson: "Here `build.env` is a plain artifact and `deploying` runs `source build.env`. Artifacts belong to the pipeline that made them, and the runner's git clean removes untracked files, so the file is gone in the pipeline after the merge. Click `deploying` at the merge event to see what it receives.",
        scenario: include_str!("../presets/dotenv-across-pipelines-file.scenario.yml"),
    },
    Preset {
        id: "dotenv-across-pipelines-needs-project",
        title: "Dotenv across pipelines: needs:project",
        lesson: "`needs:project` with `ref: staging` looks for the latest successful pipeline on the ref `staging` that ran `building`. There is none: `building` ran on the merge request ref. Notice also that `needs:project` needs a paid tier: change the tier in the project settings and watch the diagnostics change.",
        scenario: include_str!("../presets/dotenv-across-pipelines-needs-project.scenario.yml"),
    },
    Preset {
        id: "dotenv-across-pipelines-fixed",
        title: "Dotenv across pipelines: the fix",
        lesson: "The working version: `building` also runs in the branch pipeline of `staging`, and `deploying` needs it in that same pipeline. Compare the timeline with the three broken variants: the dotenv arrow now stays inside one pipeline and there is no break marker.",
        scenario: include_str!("../presets/dotenv-across-pipelines-fixed.scenario.yml"),
    },
    Preset {
        id: "duplicate-pipelines",
        title: "Duplicate branch and merge request pipelines",
        lesson: "Jobs with rules for both merge requests and branches, and no `workflow:rules`. Once the merge request is open, the push of event 3 starts two pipelines for the same commit, and every job runs twice; the diagnostics flag it. The next example is GitLab's fix.",
        scenario: include_str!("../presets/duplicate-pipelines.scenario.yml"),
    },
    Preset {
        id: "workflow-no-duplicates",
        title: "workflow:rules that avoid duplicates",
        lesson: "`workflow:rules` decide which pipelines exist at all: a merge request pipeline when there is a merge request, no branch pipeline while one is open (`$CI_OPEN_MERGE_REQUESTS`), a branch pipeline otherwise. Event 3 now creates a single pipeline, and the jobs need no rules of their own.",
        scenario: include_str!("../presets/workflow-no-duplicates.scenario.yml"),
    },
    Preset {
        id: "child-pipeline-dotenv",
        title: "Child pipeline receiving dotenv",
        lesson: "A trigger job starts a child pipeline from `child.yml` (see its tab) and passes `PARENT_PIPELINE_ID: $CI_PIPELINE_ID`. The child job uses `needs:pipeline:job` to fetch the parent's `build` artifacts and its dotenv report. Click `child-test` to see where BUILD_VERSION comes from.",
        scenario: include_str!("../presets/child-pipeline-dotenv.scenario.yml"),
    },
    Preset {
        id: "tag-release",
        title: "Release from a tag",
        lesson: "A tag pipeline has `CI_COMMIT_TAG` but no `CI_COMMIT_BRANCH`. So `test` (branch rule) runs on the feature branch and after the merge, while `release` appears only in the pipeline of the tag `v1.2.0`. The rule is shared through a YAML anchor and alias.",
        scenario: include_str!("../presets/tag-release.scenario.yml"),
    },
    Preset {
        id: "rules-changes-mr",
        title: "rules:changes in merge requests",
        lesson: "`rules:changes` compares against the merge request's whole diff in a merge request pipeline, but against the pushed commits in a branch pipeline. Event 4 pushes only `src/main.c`, yet `docs-mr` still runs in the merge request pipeline because the merge request also changes `docs/usage.md`.",
        scenario: include_str!("../presets/rules-changes-mr.scenario.yml"),
    },
    Preset {
        id: "multi-project-deploy",
        title: "Several projects: app, library and deploy",
        lesson: "Three projects, each named over its pipelines; the files of `acme/lib` and `acme/deploy` are the editor tabs that start with their path. `build` in `acme/app` fetches `lib.tar` from `acme/lib` with `needs:project`, which works because the job token allowlist of `acme/lib` names `acme/app`. `deploy` triggers a pipeline in `acme/deploy`, drawn under its trigger job, and there `rollout` fetches the same package and breaks: the allowlist does not name `acme/deploy`, and `strategy: depend` fails `deploy` with it. Add `acme/deploy` to the allowlist in the settings of `acme/lib` (Other projects) to fix it.",
        scenario: include_str!("../presets/multi-project-deploy.scenario.yml"),
    },
    Preset {
        id: "shared-templates",
        title: "Shared templates and a CI/CD component",
        lesson: "`acme/web` keeps almost no CI of its own: `include:project` reads `jobs/test.yml` from `acme/ci-templates` at the tag `v2`, and `include:component` reads `templates/lint.yml` from the catalog project `acme/components` at its newest release (`~latest` is the tag `1.0.0`, so the job is `lint-1.0.0`). The included files come from the other projects at the ref named, not from `acme/web`: edit the templates' tab and push a new tag to see the change arrive.",
        scenario: include_str!("../presets/shared-templates.scenario.yml"),
    },
];

/// The example a first visit opens (no link, nothing saved in this browser): the shared seed
/// case, whose merge pipeline loses the dotenv variable of the merge request pipeline.
pub const FIRST_VISIT: &str = "dotenv-across-pipelines-dotenv";

/// Example `index` as it opens: on the timeline, every pipeline of its events and what passes
/// between them.
pub fn open(index: usize) -> Option<Workspace> {
    let preset = PRESETS.get(index)?;
    let mut workspace = load_scenario_text(preset.id, preset.scenario).ok()?;
    workspace.view = View::Timeline;
    Some(workspace)
}

/// What a first visit opens: the [`FIRST_VISIT`] example and its index in `PRESETS`.
pub fn first_visit() -> Option<(Workspace, usize)> {
    let index = PRESETS.iter().position(|p| p.id == FIRST_VISIT)?;
    Some((open(index)?, index))
}

#[derive(Properties, PartialEq)]
pub struct PresetMenuProps {
    /// The loaded workspace and the preset's index in `PRESETS`.
    pub on_load: Callback<(Workspace, usize)>,
}

#[function_component(PresetMenu)]
pub fn preset_menu(props: &PresetMenuProps) -> Html {
    let on_load = props.on_load.clone();
    let onchange = Callback::from(move |e: Event| {
        let select: HtmlSelectElement = e.target_unchecked_into();
        let index = select.value().parse::<usize>().ok();
        // Back to the prompt, so that picking the same example again reloads it.
        select.set_value("");
        if let Some((index, workspace)) = index.and_then(|i| Some((i, open(i)?))) {
            on_load.emit((workspace, index));
        }
    });
    let options = PRESETS.iter().enumerate().map(|(i, p)| {
        html! { <option value={i.to_string()}>{ p.title }</option> }
    });
    html! {
        <label class="preset-menu">
            <span class="visually-hidden">{ "Load an example" }</span>
            <select {onchange}>
                <option value="" selected=true>{ "Examples…" }</option>
                { for options }
            </select>
        </label>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pipesim::Severity;

    #[test]
    fn every_preset_loads_and_simulates_cleanly() {
        assert!(PRESETS.len() >= 9);
        for preset in PRESETS {
            let workspace = load_scenario_text(preset.id, preset.scenario)
                .unwrap_or_else(|e| panic!("{}: {e}", preset.id));
            assert!(
                workspace.lint().valid,
                "{}: {:?}",
                preset.id,
                workspace.lint()
            );
            let simulation = workspace.simulate();
            assert!(!simulation.pipelines.is_empty(), "{}", preset.id);
            let scenario_errors: Vec<_> = simulation
                .diagnostics
                .iter()
                .filter(|d| d.code.starts_with("event") && d.severity == Severity::Error)
                .collect();
            assert!(
                scenario_errors.is_empty(),
                "{}: {scenario_errors:?}",
                preset.id
            );
            let sentences = preset.lesson.matches(". ").count() + 1;
            assert!((2..=5).contains(&sentences), "{}", preset.id);
        }
    }

    /// A first visit opens the seed case on the timeline: a dotenv report in the merge
    /// request pipeline, the merge, and the deploy after it warned that the report is not
    /// there.
    #[test]
    fn a_first_visit_opens_the_seed_case_on_the_timeline() {
        let (workspace, index) = first_visit().expect("the seed example");
        assert_eq!(PRESETS[index].id, FIRST_VISIT);
        assert_eq!(workspace.view, View::Timeline);
        assert_eq!(workspace.events.len(), 3);
        assert!(workspace.files[0].text.contains("dotenv: build.env"));
        let simulation = workspace.simulate();
        let merge = simulation
            .pipelines
            .iter()
            .find(|p| p.event == 3 && p.created)
            .expect("the pipeline after the merge");
        assert!(merge
            .jobs
            .iter()
            .any(|j| j.name == "deploying" && j.created));
        // The break pipesim explains: `building` is not in that pipeline, so BUILD_VERSION is
        // empty in `deploying`.
        let codes: Vec<&str> = simulation.diagnostics.iter().map(|d| d.code).collect();
        assert!(codes.contains(&"dependency-not-in-pipeline"), "{codes:?}");
        assert!(codes.contains(&"variable-not-set"), "{codes:?}");
        // Its address (what the autosave keeps) reads back as the same workspace, so the app
        // can tell the unchanged example from the user's work.
        let address = crate::share::encode(&workspace, false);
        assert_eq!(crate::share::decode(&address).unwrap().0, workspace);
    }

    #[test]
    fn duplicates_are_shown_then_fixed() {
        let sim = |id: &str| {
            let p = PRESETS.iter().find(|p| p.id == id).unwrap();
            load_scenario_text(p.id, p.scenario).unwrap().simulate()
        };
        let has_duplicates = |s: &pipesim::simulate::Simulation| {
            s.diagnostics
                .iter()
                .any(|d| d.code == "duplicate-pipelines")
        };
        assert!(has_duplicates(&sim("duplicate-pipelines")));
        assert!(!has_duplicates(&sim("workflow-no-duplicates")));
        let child = sim("child-pipeline-dotenv");
        assert!(child
            .pipelines
            .iter()
            .any(|p| p.parent.is_some() && p.created));
        let tag = sim("tag-release");
        let tag_pipeline = tag
            .pipelines
            .iter()
            .find(|p| p.ref_name == "v1.2.0")
            .unwrap();
        assert!(tag_pipeline
            .jobs
            .iter()
            .any(|j| j.name == "release" && j.created));
    }
}
