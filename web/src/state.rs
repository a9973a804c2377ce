//! What the page holds: the repository files, the project settings and the timeline of events
//! the user edits, as plain editable values. Everything GitLab-specific happens in the core:
//! this module only converts the form values into the core's types (and back from a loaded
//! scenario), and writes the state as a scenario file for sharing.

use std::rc::Rc;

use pipesim::event::{
    Event, JobOutcome, ManualEvent, ManualSource, MergeRequestEvent, MergeRequestPipelineKind,
    Project, ProjectVariable, Push, RefTarget, Scenario, Tier,
};
use pipesim::simulate::Simulation;
use pipesim::yaml::emit::double_quoted as quote;
use pipesim::{Files, LintReport};
use serde::{Deserialize, Serialize};

/// The CI configuration file every workspace has first.
pub const ENTRY: &str = ".gitlab-ci.yml";

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FileTab {
    pub path: String,
    pub text: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VariableForm {
    pub key: String,
    pub value: String,
    pub protected: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProjectForm {
    pub path: String,
    pub default_branch: String,
    #[serde(with = "tier_key")]
    pub tier: Tier,
    pub merged_results: bool,
    pub merge_trains: bool,
    /// Comma-separated names or wildcards.
    pub protected_branches: String,
    pub keep_latest_artifacts: bool,
    pub variables: Vec<VariableForm>,
}

/// The tier by its scenario key (the core's `Tier` is not `Deserialize`).
mod tier_key {
    use pipesim::event::Tier;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(tier: &Tier, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(tier.as_str())
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Tier, D::Error> {
        let key = String::deserialize(d)?;
        Tier::parse(&key).ok_or_else(|| serde::de::Error::custom(format!("unknown tier {key}")))
    }
}

impl Default for ProjectForm {
    fn default() -> Self {
        ProjectForm {
            path: "group/project".into(),
            default_branch: "main".into(),
            tier: Tier::Free,
            merged_results: false,
            merge_trains: false,
            protected_branches: "main".into(),
            keep_latest_artifacts: true,
            variables: Vec::new(),
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum EventKind {
    Push,
    Tag,
    MergeRequest,
    Merge,
    Schedule,
    Web,
    Api,
    Trigger,
    Wait,
}

impl EventKind {
    pub const ALL: [EventKind; 9] = [
        EventKind::Push,
        EventKind::Tag,
        EventKind::MergeRequest,
        EventKind::Merge,
        EventKind::Schedule,
        EventKind::Web,
        EventKind::Api,
        EventKind::Trigger,
        EventKind::Wait,
    ];

    /// The key used in scenario files and the value of `<select>` options.
    pub fn key(self) -> &'static str {
        match self {
            EventKind::Push => "push",
            EventKind::Tag => "tag",
            EventKind::MergeRequest => "merge_request",
            EventKind::Merge => "merge",
            EventKind::Schedule => "schedule",
            EventKind::Web => "web",
            EventKind::Api => "api",
            EventKind::Trigger => "trigger",
            EventKind::Wait => "wait",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            EventKind::Push => "Push to a branch",
            EventKind::Tag => "Push a tag",
            EventKind::MergeRequest => "Merge request pipeline",
            EventKind::Merge => "Merge the merge request",
            EventKind::Schedule => "Scheduled pipeline",
            EventKind::Web => "Run pipeline (web)",
            EventKind::Api => "API pipeline",
            EventKind::Trigger => "Trigger token pipeline",
            EventKind::Wait => "Time passes",
        }
    }

    pub fn parse(key: &str) -> Option<EventKind> {
        EventKind::ALL.into_iter().find(|k| k.key() == key)
    }
}

/// One event as the form edits it: every field is text, and only the fields of its kind are
/// used.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EventForm {
    pub kind: EventKind,
    /// Branch pushed to, or the pipeline's branch (schedule, web, api, trigger).
    pub branch: String,
    pub tag: String,
    pub iid: u64,
    pub source: String,
    pub target: String,
    /// Comma-separated labels.
    pub labels: String,
    /// "" (project settings decide), `detached`, `merged_result` or `merge_train`.
    pub mr_type: String,
    /// One changed path per line.
    pub changes: String,
    /// `KEY=value` per line: pipeline variables (schedule variables for a schedule).
    pub variables: String,
    /// Commit message of a push.
    pub message: String,
    /// Duration of a wait, e.g. `31 days`.
    pub wait: String,
    /// `job=failed` per line: how named jobs end.
    pub outcomes: String,
    /// The project the event happens in, in a scenario of several projects ("" is the main
    /// project).
    #[serde(default)]
    pub project: String,
}

impl EventForm {
    pub fn new(kind: EventKind) -> EventForm {
        EventForm {
            kind,
            branch: match kind {
                EventKind::Push => "feature".into(),
                _ => "main".into(),
            },
            tag: "v1.0.0".into(),
            iid: 1,
            source: "feature".into(),
            target: "main".into(),
            labels: String::new(),
            mr_type: String::new(),
            changes: String::new(),
            variables: String::new(),
            message: String::new(),
            wait: "1 day".into(),
            outcomes: String::new(),
            project: String::new(),
        }
    }

    /// A one-line summary for lists and the timeline ("push to feature", "merge !1").
    pub fn summary(&self) -> String {
        match self.kind {
            EventKind::Push => format!("push to {}", self.branch),
            EventKind::Tag => format!("push tag {}", self.tag),
            EventKind::MergeRequest => {
                format!(
                    "merge request !{} {} → {}",
                    self.iid, self.source, self.target
                )
            }
            EventKind::Merge => format!("merge !{}", self.iid),
            EventKind::Schedule => format!("schedule on {}", self.branch),
            EventKind::Web => format!("run pipeline on {}", self.branch),
            EventKind::Api => format!("API pipeline on {}", self.branch),
            EventKind::Trigger => format!("trigger on {}", self.branch),
            EventKind::Wait => format!("wait {}", self.wait),
        }
    }
}

/// Which view of the results the page shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum View {
    #[default]
    Pipelines,
    Needs,
    Timeline,
    Matrix,
    /// The configuration with includes, `extends` and `!reference` resolved.
    Full,
}

impl View {
    pub fn key(self) -> &'static str {
        match self {
            View::Pipelines => "pipelines",
            View::Needs => "needs",
            View::Timeline => "timeline",
            View::Matrix => "matrix",
            View::Full => "full",
        }
    }

    pub fn parse(key: &str) -> Option<View> {
        [
            View::Pipelines,
            View::Needs,
            View::Timeline,
            View::Matrix,
            View::Full,
        ]
        .into_iter()
        .find(|v| v.key() == key)
    }
}

/// What a link shows besides its view and its job (the fragment's `events`, `step` and `yaml`
/// parts, share.rs): the Embed menu's choices, and the timeline's step-through.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Shown {
    /// The events shown, by number (1-based, ascending, each once); empty: every event.
    pub events: Vec<usize>,
    /// Step-through of the timeline: the event shown last and highlighted (1-based); `None`:
    /// every event at once.
    pub step: Option<usize>,
    /// An embed shows the files read-only beside the results.
    pub yaml: bool,
}

impl Shown {
    /// Whether event `n` (1-based) is among those shown.
    pub fn shows(&self, n: usize) -> bool {
        self.events.is_empty() || self.events.binary_search(&n).is_ok()
    }

    /// The events shown out of `count`, in order.
    pub fn shown_of(&self, count: usize) -> Vec<usize> {
        (1..=count).filter(|&n| self.shows(n)).collect()
    }
}

/// A job of a pipeline in the results.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Selection {
    pub pipeline: u64,
    pub job: String,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Workspace {
    pub files: Vec<FileTab>,
    /// Index of the file the editor shows.
    pub active: usize,
    pub project: ProjectForm,
    pub events: Vec<EventForm>,
    pub selected: Option<Selection>,
    pub view: View,
    /// Which events the results show, step-through, the embed's YAML.
    pub shown: Shown,
    /// The scenario's other projects (`projects:`); their files are tabs named
    /// `<project path>:<file path>` (see [`project_of_tab`]).
    pub projects: Vec<OtherProject>,
}

impl Workspace {
    pub fn with_config(text: &str) -> Workspace {
        Workspace {
            files: vec![FileTab {
                path: ENTRY.into(),
                text: text.into(),
            }],
            active: 0,
            project: ProjectForm::default(),
            events: vec![EventForm::new(EventKind::Push)],
            selected: None,
            view: View::Pipelines,
            shown: Shown::default(),
            projects: Vec::new(),
        }
    }

    /// The main project's files (the tabs of other projects left out).
    pub fn files(&self) -> Files {
        self.files
            .iter()
            .filter(|f| project_of_tab(&self.projects, &f.path).is_none())
            .map(|f| (f.path.as_str(), f.text.as_str()))
            .collect()
    }

    pub fn project(&self) -> Project {
        let form = &self.project;
        let mut project = Project::new(form.path.trim());
        project.default_branch = form.default_branch.trim().to_owned();
        project.tier = form.tier;
        project.settings.merged_results_pipelines = form.merged_results;
        project.settings.merge_trains = form.merge_trains;
        project.settings.protected_branches = split_list(&form.protected_branches);
        project.settings.keep_latest_artifacts = form.keep_latest_artifacts;
        project.variables = form
            .variables
            .iter()
            .filter(|v| !v.key.trim().is_empty())
            .map(|v| ProjectVariable {
                key: v.key.trim().to_owned(),
                value: v.value.clone(),
                protected: v.protected,
                ..ProjectVariable::default()
            })
            .collect();
        project
    }

    /// The events and, per event, the stated job outcomes.
    pub fn events(&self) -> (Vec<Event>, Vec<Vec<(String, JobOutcome)>>) {
        let default_branch = self.project.default_branch.trim();
        let mut events = Vec::with_capacity(self.events.len());
        let mut outcomes = Vec::with_capacity(self.events.len());
        for form in &self.events {
            events.push(to_event(form, default_branch));
            outcomes.push(
                key_values(&form.outcomes)
                    .into_iter()
                    .filter_map(|(job, result)| JobOutcome::parse(&result).map(|o| (job, o)))
                    .collect(),
            );
        }
        (events, outcomes)
    }

    /// Lints the configuration file.
    pub fn lint(&self) -> LintReport {
        pipesim::lint(&self.files(), ENTRY)
    }

    /// Runs the timeline. A single event is simulated on its own, the way `pipesim simulate`
    /// does it (the branches it names exist already); several run as a scenario.
    pub fn simulate(&self) -> Simulation {
        let project = self.project();
        let files = self.files();
        let (events, outcomes) = self.events();
        if !self.projects.is_empty() {
            return self.simulate_projects(project, files, &events, &outcomes);
        }
        match (events.as_slice(), outcomes.first()) {
            ([event], Some(outcome)) => pipesim::simulate::simulate_event_with_outcomes(
                &project, &files, event, false, outcome,
            ),
            _ => pipesim::simulate::simulate_with_outcomes(&project, &files, &events, &outcomes),
        }
    }

    /// The workspace from a loaded scenario (presets, shared links).
    pub fn from_scenario(scenario: &Scenario) -> Workspace {
        let project = &scenario.project;
        let mut files: Vec<FileTab> = scenario
            .files
            .iter()
            .map(|(_, f)| FileTab {
                path: f.path.clone(),
                text: f.text.clone(),
            })
            .collect();
        // The configuration file comes first, whatever order the scenario wrote.
        if let Some(i) = files.iter().position(|f| f.path == ENTRY) {
            let entry = files.remove(i);
            files.insert(0, entry);
        }
        let events = scenario
            .events
            .iter()
            .enumerate()
            .map(|(i, (event, _))| {
                let mut form = from_event(event);
                if let Some(outcomes) = scenario.outcomes.get(i) {
                    form.outcomes = outcomes
                        .iter()
                        .map(|(job, o)| format!("{job}={}", outcome_key(*o)))
                        .collect::<Vec<_>>()
                        .join("\n");
                }
                form
            })
            .collect();
        Workspace {
            files,
            active: 0,
            project: ProjectForm {
                path: project.path.clone(),
                default_branch: project.default_branch.clone(),
                tier: project.tier,
                merged_results: project.settings.merged_results_pipelines,
                merge_trains: project.settings.merge_trains,
                protected_branches: project.settings.protected_branches.join(", "),
                keep_latest_artifacts: project.settings.keep_latest_artifacts,
                variables: project
                    .variables
                    .iter()
                    .map(|v| VariableForm {
                        key: v.key.clone(),
                        value: v.value.clone(),
                        protected: v.protected,
                    })
                    .collect(),
            },
            events,
            selected: None,
            view: View::Pipelines,
            shown: Shown::default(),
            projects: Vec::new(),
        }
    }

    /// The workspace as a scenario file (JSON-style flow YAML, which the core's scenario
    /// loader reads back exactly).
    pub fn to_scenario_text(&self) -> String {
        let p = &self.project;
        let mut out = String::new();
        out.push_str(&format!(
            "project: {{path: {}, default_branch: {}, tier: {}, settings: {{merged_results_pipelines: {}, merge_trains: {}, protected_branches: {}, keep_latest_artifacts: {}}}}}\n",
            quote(p.path.trim()),
            quote(p.default_branch.trim()),
            p.tier.as_str(),
            p.merged_results,
            p.merge_trains,
            list(&split_list(&p.protected_branches)),
            p.keep_latest_artifacts,
        ));
        let variables: Vec<String> = p
            .variables
            .iter()
            .filter(|v| !v.key.trim().is_empty())
            .map(|v| {
                format!(
                    "{}: {{value: {}, protected: {}}}",
                    quote(v.key.trim()),
                    quote(&v.value),
                    v.protected
                )
            })
            .collect();
        if !variables.is_empty() {
            out.push_str(&format!("variables: {{{}}}\n", variables.join(", ")));
        }
        out.push_str("files:\n");
        for file in self
            .files
            .iter()
            .filter(|f| project_of_tab(&self.projects, &f.path).is_none())
        {
            out.push_str(&format!("  {}: {}\n", quote(&file.path), quote(&file.text)));
        }
        if !self.projects.is_empty() {
            out.push_str(&self.projects_text());
        }
        out.push_str("events:\n");
        for form in &self.events {
            let mut text = event_text(form);
            if !form.project.trim().is_empty() {
                text.pop();
                text.push_str(&format!(", project: {}}}", quote(form.project.trim())));
            }
            out.push_str(&format!("  - {text}\n"));
        }
        out
    }
}

/// A value shared between components that compares by identity: results are recomputed as
/// a whole, so "same allocation" is "same value", and props compare in O(1).
pub struct Shared<T>(pub Rc<T>);

impl<T> Shared<T> {
    pub fn new(value: T) -> Self {
        Shared(Rc::new(value))
    }
}

impl<T> Clone for Shared<T> {
    fn clone(&self) -> Self {
        Shared(Rc::clone(&self.0))
    }
}

impl<T> PartialEq for Shared<T> {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

impl<T> std::ops::Deref for Shared<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.0
    }
}

/// The results of one run.
#[derive(Clone, PartialEq)]
pub struct Results {
    pub lint: Shared<LintReport>,
    pub simulation: Shared<Simulation>,
    pub run: Run,
}

/// One run of [`Results::of`]: its number since the page loaded (a new number is a new run,
/// even when it takes the same time), its time in ms, and the part the lint took (the
/// simulation loads the configuration again).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Run {
    pub number: u32,
    pub ms: f64,
    pub lint_ms: f64,
}

thread_local! {
    static RUNS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

impl Results {
    /// No results: what the page shows when the last run in this tab crashed it.
    pub fn none() -> Results {
        Results {
            lint: Shared::new(LintReport {
                gitlab_version: pipesim::GITLAB_VERSION,
                valid: true,
                errors: Vec::new(),
                warnings: Vec::new(),
            }),
            simulation: Shared::new(Simulation {
                gitlab_version: pipesim::GITLAB_VERSION,
                pipelines: Vec::new(),
                diagnostics: Vec::new(),
            }),
            run: Run {
                number: 0,
                ms: 0.0,
                lint_ms: 0.0,
            },
        }
    }

    pub fn of(workspace: &Workspace) -> Results {
        let started = now_ms();
        let lint = Shared::new(workspace.lint());
        let linted = now_ms();
        let simulation = Shared::new(workspace.simulate());
        let number = RUNS.with(|runs| {
            runs.set(runs.get() + 1);
            runs.get()
        });
        Results {
            lint,
            simulation,
            run: Run {
                number,
                ms: now_ms() - started,
                lint_ms: linted - started,
            },
        }
    }
}

/// `performance.now()` of the page or of the simulation worker (which has no `window`).
#[cfg(target_arch = "wasm32")]
fn now_ms() -> f64 {
    use wasm_bindgen::JsCast;
    js_sys::Reflect::get(&js_sys::global(), &"performance".into())
        .ok()
        .and_then(|p| p.dyn_into::<web_sys::Performance>().ok())
        .map_or(0.0, |p| p.now())
}

#[cfg(not(target_arch = "wasm32"))]
fn now_ms() -> f64 {
    thread_local!(static ORIGIN: std::time::Instant = std::time::Instant::now());
    ORIGIN.with(|origin| origin.elapsed().as_secs_f64() * 1e3)
}

pub fn split_list(text: &str) -> Vec<String> {
    text.split([',', '\n'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `KEY=value` lines (blank lines and lines without `=` are skipped).
pub fn key_values(text: &str) -> Vec<(String, String)> {
    text.lines()
        .filter_map(|line| line.split_once('='))
        .map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned()))
        .filter(|(k, _)| !k.is_empty())
        .collect()
}

fn lines(text: &str) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

fn ref_target(form: &EventForm, default_branch: &str) -> RefTarget {
    if form.tag.trim().is_empty() || form.kind != EventKind::Tag {
        let branch = form.branch.trim();
        RefTarget::Branch(if branch.is_empty() {
            default_branch.to_owned()
        } else {
            branch.to_owned()
        })
    } else {
        RefTarget::Tag(form.tag.trim().to_owned())
    }
}

fn to_event(form: &EventForm, default_branch: &str) -> Event {
    let changes = lines(&form.changes);
    let changes = (!changes.is_empty()).then_some(changes);
    let variables = key_values(&form.variables);
    let manual = |source| {
        Event::Manual(ManualEvent {
            source,
            target: ref_target(form, default_branch),
            variables: variables.clone(),
            description: None,
            inputs: None,
        })
    };
    match form.kind {
        EventKind::Push | EventKind::Tag => Event::Push(Push {
            target: if form.kind == EventKind::Tag {
                RefTarget::Tag(form.tag.trim().to_owned())
            } else {
                ref_target(form, default_branch)
            },
            changes,
            message: (!form.message.trim().is_empty()).then(|| form.message.clone()),
            variables,
            ..Push::default()
        }),
        EventKind::MergeRequest => Event::MergeRequest(MergeRequestEvent {
            iid: form.iid,
            source_branch: form.source.trim().to_owned(),
            target_branch: if form.target.trim().is_empty() {
                default_branch.to_owned()
            } else {
                form.target.trim().to_owned()
            },
            labels: split_list(&form.labels),
            kind: MergeRequestPipelineKind::parse(form.mr_type.trim()),
            changes,
            ..MergeRequestEvent::default()
        }),
        EventKind::Merge => Event::Merge { iid: form.iid },
        EventKind::Schedule => manual(ManualSource::Schedule),
        EventKind::Web => manual(ManualSource::Web),
        EventKind::Api => manual(ManualSource::Api),
        EventKind::Trigger => manual(ManualSource::Trigger),
        EventKind::Wait => Event::Wait {
            seconds: pipesim::config::duration::parse_seconds(form.wait.trim()).unwrap_or(0),
        },
    }
}

fn from_event(event: &Event) -> EventForm {
    match event {
        Event::Push(push) => {
            let mut form = match &push.target {
                RefTarget::Branch(b) => EventForm {
                    branch: b.clone(),
                    ..EventForm::new(EventKind::Push)
                },
                RefTarget::Tag(t) => EventForm {
                    tag: t.clone(),
                    ..EventForm::new(EventKind::Tag)
                },
            };
            let mut changes: Vec<String> = push.changes.clone().unwrap_or_default();
            changes.extend(push.files.iter().map(|(p, _)| p.clone()));
            form.changes = changes.join("\n");
            form.message = push.message.clone().unwrap_or_default();
            form.variables = pairs_text(&push.variables);
            form
        }
        Event::MergeRequest(mr) => EventForm {
            iid: mr.iid,
            source: mr.source_branch.clone(),
            target: mr.target_branch.clone(),
            labels: mr.labels.join(", "),
            mr_type: mr.kind.map(|k| k.as_str().to_owned()).unwrap_or_default(),
            changes: mr.changes.clone().unwrap_or_default().join("\n"),
            ..EventForm::new(EventKind::MergeRequest)
        },
        Event::Merge { iid } => EventForm {
            iid: *iid,
            ..EventForm::new(EventKind::Merge)
        },
        Event::Manual(manual) => {
            let kind = match manual.source {
                ManualSource::Schedule => EventKind::Schedule,
                ManualSource::Web => EventKind::Web,
                ManualSource::Api => EventKind::Api,
                ManualSource::Trigger => EventKind::Trigger,
            };
            let mut form = EventForm::new(kind);
            match &manual.target {
                RefTarget::Branch(b) => form.branch = b.clone(),
                RefTarget::Tag(t) => {
                    form.tag = t.clone();
                    form.branch = String::new();
                }
            }
            form.variables = pairs_text(&manual.variables);
            form
        }
        Event::Wait { seconds } => EventForm {
            wait: duration_text(*seconds),
            ..EventForm::new(EventKind::Wait)
        },
        // The forms have no job actions yet (play/retry from a scenario file): shown as a
        // moment in which no pipeline is asked for.
        Event::JobAction(_) => EventForm {
            wait: duration_text(0),
            ..EventForm::new(EventKind::Wait)
        },
    }
}

fn duration_text(seconds: u64) -> String {
    if seconds % 86_400 == 0 {
        format!("{} days", seconds / 86_400)
    } else if seconds % 3_600 == 0 {
        format!("{} hours", seconds / 3_600)
    } else {
        format!("{seconds} seconds")
    }
}

fn pairs_text(pairs: &[(String, String)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("\n")
}

fn outcome_key(outcome: JobOutcome) -> &'static str {
    match outcome {
        JobOutcome::Success => "success",
        JobOutcome::Failed => "failed",
        JobOutcome::Played => "played",
        JobOutcome::Skipped => "skipped",
    }
}

fn list(items: &[String]) -> String {
    let quoted: Vec<String> = items.iter().map(|i| quote(i)).collect();
    format!("[{}]", quoted.join(", "))
}

fn key_value_map(pairs: &[(String, String)]) -> String {
    let entries: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{}: {}", quote(k), quote(v)))
        .collect();
    format!("{{{}}}", entries.join(", "))
}

fn event_text(form: &EventForm) -> String {
    let mut fields: Vec<String> = Vec::new();
    let changes = lines(&form.changes);
    let variables = key_values(&form.variables);
    let key = match form.kind {
        EventKind::Tag => "push",
        other => other.key(),
    };
    match form.kind {
        EventKind::Push | EventKind::Tag => {
            if form.kind == EventKind::Tag {
                fields.push(format!("tag: {}", quote(form.tag.trim())));
            } else {
                fields.push(format!("branch: {}", quote(form.branch.trim())));
            }
            if !changes.is_empty() {
                fields.push(format!("changes: {}", list(&changes)));
            }
            if !form.message.trim().is_empty() {
                fields.push(format!("message: {}", quote(&form.message)));
            }
            if !variables.is_empty() {
                fields.push(format!("variables: {}", key_value_map(&variables)));
            }
        }
        EventKind::MergeRequest => {
            fields.push(format!("iid: {}", form.iid));
            fields.push(format!("source: {}", quote(form.source.trim())));
            fields.push(format!("target: {}", quote(form.target.trim())));
            let labels = split_list(&form.labels);
            if !labels.is_empty() {
                fields.push(format!("labels: {}", list(&labels)));
            }
            if !form.mr_type.trim().is_empty() {
                fields.push(format!("type: {}", quote(form.mr_type.trim())));
            }
            if !changes.is_empty() {
                fields.push(format!("changes: {}", list(&changes)));
            }
        }
        EventKind::Merge => fields.push(format!("iid: {}", form.iid)),
        EventKind::Wait => return format!("{{wait: {}}}", quote(form.wait.trim())),
        EventKind::Schedule | EventKind::Web | EventKind::Api | EventKind::Trigger => {
            if !form.tag.trim().is_empty() && form.branch.trim().is_empty() {
                fields.push(format!("tag: {}", quote(form.tag.trim())));
            } else {
                fields.push(format!("branch: {}", quote(form.branch.trim())));
            }
            if !variables.is_empty() {
                fields.push(format!("variables: {}", key_value_map(&variables)));
            }
        }
    }
    let outcomes = key_values(&form.outcomes);
    let mut text = format!("{{{key}: {{{}}}", fields.join(", "));
    if !outcomes.is_empty() {
        text.push_str(&format!(", outcomes: {}", key_value_map(&outcomes)));
    }
    text.push('}');
    text
}

/// Loads a scenario text into a workspace; the error lists the core's findings.
pub fn load_scenario_text(name: &str, text: &str) -> Result<Workspace, String> {
    let mut files = Files::new();
    let id = files.insert(name, text);
    let (scenario, findings) = pipesim::event::load_scenario(&files, id);
    match scenario {
        Some(scenario) => {
            let mut workspace = Workspace::from_scenario(&scenario);
            add_other_projects(&mut workspace, &scenario, text);
            Ok(workspace)
        }
        None => Err(findings
            .iter()
            .map(|f| f.message.clone())
            .collect::<Vec<_>>()
            .join("; ")),
    }
}

// ---- Several projects (`projects:` of a scenario) ----------------------------------------

/// One of the scenario's other projects: its path and its settings as the scenario's YAML for
/// that item of `projects:` without `files:` (the core reads it; the page edits it as text).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OtherProject {
    pub path: String,
    pub settings: String,
}

/// The other project and the file path a tab `<project path>:<file path>` stands for.
pub fn project_of_tab<'a>(projects: &[OtherProject], tab: &'a str) -> Option<(usize, &'a str)> {
    let (prefix, path) = tab.split_once(':')?;
    let index = projects.iter().position(|p| p.path == prefix)?;
    Some((index, path))
}

/// The name of the tab that holds `path` of the other project `project`.
pub fn tab_name(project: &str, path: &str) -> String {
    format!("{project}:{path}")
}

fn indented(text: &str, by: usize) -> String {
    let pad = " ".repeat(by);
    text.lines()
        .map(|line| {
            if line.is_empty() {
                "\n".to_owned()
            } else {
                format!("{pad}{line}\n")
            }
        })
        .collect()
}

impl Workspace {
    /// Every path of the scenario's projects, the main project first.
    pub fn project_paths(&self) -> Vec<String> {
        let mut paths = vec![self.project.path.trim().to_owned()];
        paths.extend(self.projects.iter().map(|p| p.path.clone()));
        paths
    }

    /// The files of other project `index`.
    fn project_files(&self, index: usize) -> Files {
        self.files
            .iter()
            .filter_map(|f| {
                let (i, path) = project_of_tab(&self.projects, &f.path)?;
                (i == index).then_some((path, f.text.as_str()))
            })
            .collect()
    }

    /// The other projects read by the core's scenario loader from their settings text; the
    /// loader's findings (with the line in the settings) when one does not load.
    fn other_projects(&self) -> Result<Vec<Project>, Vec<pipesim::Diagnostic>> {
        let mut text = String::from("projects:\n");
        for project in &self.projects {
            text.push_str("  -\n");
            text.push_str(&indented(&project.settings, 4));
        }
        text.push_str("events: []\n");
        let mut files = Files::new();
        let id = files.insert("projects (settings)", text);
        let (scenario, findings) = pipesim::event::load_scenario(&files, id);
        match scenario {
            Some(s) if findings.is_empty() => {
                Ok(s.projects().into_iter().map(|(p, _)| p).collect())
            }
            _ => Err(findings
                .into_iter()
                .map(|f| pipesim::Diagnostic::resolve(f, &files))
                .collect()),
        }
    }

    /// [`Workspace::simulate`] with the other projects: the core's multi-project run.
    fn simulate_projects(
        &self,
        project: Project,
        files: Files,
        events: &[Event],
        outcomes: &[Vec<(String, JobOutcome)>],
    ) -> Simulation {
        let others = match self.other_projects() {
            Ok(others) => others,
            Err(diagnostics) => {
                return Simulation {
                    gitlab_version: pipesim::GITLAB_VERSION,
                    pipelines: Vec::new(),
                    diagnostics,
                }
            }
        };
        let mut all = vec![(project, files)];
        for (i, other) in others.into_iter().enumerate() {
            all.push((other, self.project_files(i)));
        }
        let paths = self.project_paths();
        let event_projects: Vec<usize> = self
            .events
            .iter()
            .map(|e| {
                let name = e.project.trim();
                paths
                    .iter()
                    .position(|p| p == name)
                    .filter(|_| !name.is_empty())
                    .unwrap_or(0)
            })
            .collect();
        pipesim::simulate::simulate_projects(&all, events, &event_projects, outcomes)
    }

    /// The `projects:` key of the scenario text.
    fn projects_text(&self) -> String {
        let mut out = String::from("projects:\n");
        for (i, project) in self.projects.iter().enumerate() {
            out.push_str("  -\n");
            out.push_str(&indented(&project.settings, 4));
            let files = self.project_files(i);
            if files.is_empty() {
                continue;
            }
            out.push_str("    files:\n");
            for file in self.files.iter() {
                if let Some((k, path)) = project_of_tab(&self.projects, &file.path) {
                    if k == i {
                        out.push_str(&format!("      {}: {}\n", quote(path), quote(&file.text)));
                    }
                }
            }
        }
        out
    }
}

/// The text of a block-style item of `projects:` (lines `node.span.line` to `end - 1`, 1-based)
/// without its `files:` entry, unindented: the scenario's own words, comments kept. `None` for
/// a flow-style item (`- {path: …}`), which is not cut apart.
fn item_settings(lines: &[&str], node: &pipesim::yaml::Node, end: usize) -> Option<String> {
    let map = node.as_map()?;
    let (start, column) = (node.span.line as usize, node.span.column as usize);
    let first = lines.get(start.checked_sub(1)?)?;
    if first.get(column.saturating_sub(1)..)?.starts_with('{') {
        return None;
    }
    // The lines of `files:`: from its key to the next key of the item.
    let mut skip = 0..0;
    if let Some(i) = map
        .entries
        .iter()
        .position(|(k, _)| k.as_str() == Some("files"))
    {
        let from = map.entries[i].0.span.line as usize;
        let to = map
            .entries
            .get(i + 1)
            .map_or(end, |(k, _)| k.span.line as usize);
        skip = from..to;
    }
    let mut out = String::new();
    for n in start..end.min(lines.len() + 1) {
        if skip.contains(&n) {
            continue;
        }
        let line = lines[n - 1];
        let cut = if n == start {
            column - 1
        } else {
            line.len() - line.trim_start_matches(' ').len()
        };
        out.push_str(line.get(cut.min(column - 1)..).unwrap_or("").trim_end());
        out.push('\n');
    }
    let trimmed = out.trim_end().to_owned() + "\n";
    Some(trimmed)
}

/// Fills in the other projects of a loaded scenario: their settings (the scenario's own YAML
/// for each item of `projects:`, `files:` left out), their files as tabs, and the project each
/// event happens in.
fn add_other_projects(workspace: &mut Workspace, scenario: &Scenario, text: &str) {
    if scenario.others.is_empty() {
        return;
    }
    let loaded = pipesim::yaml::load(text, pipesim::FileId(0), pipesim::yaml::Limits::default());
    let root = loaded.documents.first();
    let items = root
        .and_then(|d| d.get("projects"))
        .and_then(|p| p.as_seq())
        .unwrap_or(&[]);
    // The line after the last of `projects:` (the next top-level key, or the end).
    let lines: Vec<&str> = text.lines().collect();
    let block_end = root
        .and_then(|d| d.as_map())
        .and_then(|m| {
            let at = m
                .entries
                .iter()
                .position(|(k, _)| k.as_str() == Some("projects"))?;
            m.entries.get(at + 1).map(|(k, _)| k.span.line as usize)
        })
        .unwrap_or(lines.len() + 1);
    for (project, files) in &scenario.others {
        let at = items.iter().position(|item| {
            item.get("path").and_then(|p| p.as_str()) == Some(project.path.as_str())
        });
        let settings = at
            .and_then(|k| {
                let end = items
                    .get(k + 1)
                    .map_or(block_end, |next| next.span.line as usize);
                item_settings(&lines, &items[k], end)
            })
            .unwrap_or_else(|| format!("path: {}\n", quote(&project.path)));
        workspace.projects.push(OtherProject {
            path: project.path.clone(),
            settings,
        });
        for (_, file) in files.iter() {
            workspace.files.push(FileTab {
                path: tab_name(&project.path, &file.path),
                text: file.text.clone(),
            });
        }
    }
    let paths = workspace.project_paths();
    for (form, &k) in workspace.events.iter_mut().zip(&scenario.event_projects) {
        if k > 0 {
            form.project = paths.get(k).cloned().unwrap_or_default();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_run_is_numbered_and_timed() {
        let workspace = Workspace::with_config("build:\n  script: [make]\n");
        let first = Results::of(&workspace);
        let second = Results::of(&workspace);
        assert_eq!(second.run.number, first.run.number + 1);
        assert!(
            0.0 <= first.run.lint_ms && first.run.lint_ms <= first.run.ms,
            "{:?}",
            first.run
        );
        assert!(first.clone() == first, "a result equals its copy");
        assert!(first != second, "two runs differ");
    }

    #[test]
    fn scenario_text_round_trips() {
        let mut workspace = Workspace::with_config("build:\n  script: \"echo \\\"hi\\\"\"\n\tx\n");
        workspace.files.push(FileTab {
            path: "ci/a b.yml".into(),
            text: "ünï: 1\r\n\u{FEFF}bom\u{2028}\u{7}\n".into(),
        });
        workspace.project.tier = Tier::Premium;
        workspace.project.variables.push(VariableForm {
            key: "TOKEN".into(),
            value: "a\"b".into(),
            protected: true,
        });
        let mut mr = EventForm::new(EventKind::MergeRequest);
        mr.labels = "backend, api".into();
        mr.changes = "src/a.rs\nsrc/b.rs".into();
        mr.outcomes = "build=failed".into();
        let mut wait = EventForm::new(EventKind::Wait);
        wait.wait = "2 days".into();
        let mut tag = EventForm::new(EventKind::Tag);
        tag.tag = "v2".into();
        workspace.events = vec![EventForm::new(EventKind::Push), mr, wait, tag];
        let text = workspace.to_scenario_text();
        let back = load_scenario_text("s.yml", &text).expect(&text);
        assert_eq!(back.files, workspace.files);
        assert_eq!(back.project, workspace.project);
        assert_eq!(back.events.len(), 4);
        assert_eq!(back.events[1].labels, "backend, api");
        assert_eq!(back.events[1].outcomes, "build=failed");
        assert_eq!(back.events[2].wait, "2 days");
        assert_eq!(back.events[3].kind, EventKind::Tag);
        assert_eq!(back.to_scenario_text(), text);
    }
}

#[cfg(test)]
mod projects_tests {
    use super::*;

    fn preset(id: &str) -> Workspace {
        let p = crate::presets::PRESETS.iter().find(|p| p.id == id).unwrap();
        load_scenario_text(p.id, p.scenario).unwrap()
    }

    #[test]
    fn a_scenario_of_several_projects_loads_runs_and_round_trips() {
        let w = preset("multi-project-deploy");
        assert_eq!(w.project_paths(), ["acme/app", "acme/lib", "acme/deploy"]);
        assert!(w
            .files
            .iter()
            .any(|f| f.path == "acme/deploy:.gitlab-ci.yml"));
        assert_eq!(w.events[0].project, "acme/lib");
        let sim = w.simulate();
        for p in &sim.pipelines {
            eprintln!(
                "#{} {:?} {} up={:?} trig={:?} {:?}",
                p.id, p.project, p.source, p.upstream, p.trigger_job, p.status
            );
            for j in &p.jobs {
                eprintln!("   {} {:?} {:?}", j.name, j.outcome, j.artifacts_from);
            }
            for d in p.errors.iter().chain(&p.warnings) {
                eprintln!("   ! {} {}", d.code, d.message);
            }
        }
        for d in &sim.diagnostics {
            eprintln!(
                "D {:?} {:?} {:?} {} {:?} {}",
                d.event, d.pipeline, d.job, d.code, d.severity, d.message
            );
        }
        let projects: Vec<_> = sim
            .pipelines
            .iter()
            .filter_map(|p| p.project.clone())
            .collect();
        assert!(projects.contains(&"acme/deploy".to_owned()), "{projects:?}");
        let rollout = |sim: &Simulation| {
            sim.diagnostics
                .iter()
                .any(|d| d.code == "needs-project-job-token" && d.job.as_deref() == Some("rollout"))
        };
        assert!(rollout(&sim));
        // The fix the lesson gives, in the settings text of `acme/lib`.
        let mut fixed = w.clone();
        assert!(
            fixed.projects[0].settings.contains("[acme/app]"),
            "{}",
            fixed.projects[0].settings
        );
        fixed.projects[0].settings = fixed.projects[0]
            .settings
            .replace("[acme/app]", "[acme/app, acme/deploy]");
        assert!(
            !rollout(&fixed.simulate()),
            "{}",
            fixed.projects[0].settings
        );
        let back = load_scenario_text("back.yml", &w.to_scenario_text()).unwrap();
        assert_eq!(back.projects, w.projects);
        assert_eq!(back.files, w.files);
        assert_eq!(back.events, w.events);
    }

    #[test]
    fn shared_templates_preset_reads_the_other_projects() {
        let w = preset("shared-templates");
        let sim = w.simulate();
        for p in &sim.pipelines {
            eprintln!("#{} {:?} {} {:?}", p.id, p.project, p.ref_name, p.status);
            for j in &p.jobs {
                eprintln!("   {} {}", j.name, j.created);
            }
            for d in p.errors.iter().chain(&p.warnings) {
                eprintln!("   ! {} {}", d.code, d.message);
            }
        }
        let last = sim.pipelines.last().unwrap();
        let jobs: Vec<&str> = last
            .jobs
            .iter()
            .filter(|j| j.created)
            .map(|j| j.name.as_str())
            .collect();
        assert!(
            jobs.contains(&"lint-1.0.0") && jobs.contains(&"unit-tests"),
            "{jobs:?}"
        );
    }
}
