//! pipesim's own: the events file of `pipesim matrix --events` and the shared head of
//! `.pipesim/tests.yml` (built on `event`'s types; the events become `simulate` calls).
//!
//! ```yaml
//! config: .gitlab-ci.yml           # tests file only: the root file, from the repository root
//! project:                          # a scenario's `project:` (event/scenario.rs), plus variables
//!   path: group/project
//!   default_branch: main
//!   tier: free | premium | ultimate
//!   settings:
//!     merged_results_pipelines: false
//!     merge_trains: false
//!     protected_branches: [main]    # default: the default branch
//!     protected_tags: []
//!   variables: {KEY: value, SECRET: {value: v, protected: true}}   # project CI/CD variables
//!   # (server_url, job_token, access and the other settings as in a scenario; the four
//!   # settings above were once written beside `path:`, which still works with a warning)
//! standard:                         # what the standard events are made of
//!   feature_branch: feature/change
//!   tag: v1.0.0
//!   changes: [.gitlab-ci.yml]       # default: the configuration file
//!   variables: {KEY: value}         # schedule, web, api and trigger pipeline variables
//!   labels: []                      # merge request labels
//! events:                           # replaces the standard events; a string is one of them
//!   - push-feature
//!   - id: docs-only
//!     title: push of a docs change  # optional
//!     type: push | tag | merge_request | merged_result | merge_train | merge
//!           | schedule | web | api | trigger
//!     branch: docs/x                # push, schedule, web, api, trigger (default: default branch)
//!     tag: v2.0.0                   # tag (and schedule, web, api, trigger on a tag)
//!     source_branch: feature/x      # merge request kinds and merge (default: feature_branch)
//!     target_branch: main           # (default: the default branch)
//!     changes: [docs/index.md]      # default: standard.changes
//!     variables: {KEY: value}       # pipeline variables (push options for a push)
//!     labels: [docs]
//!     message: "docs: typo"         # push: the commit message
//!     new_branch: false             # push: the push creates the branch
//! ```
//!
//! Loading never panics: every problem is a finding with its position (`matrix-file-invalid`).

use crate::diagnostic::{Finding, Severity};
use crate::event::{
    scenario::{self, ref_name_problem},
    Event, ManualEvent, ManualSource, MergeRequestEvent, MergeRequestPipelineKind, Project, Push,
    RefTarget,
};
use crate::source::{FileId, Files, Span};
use crate::yaml::{self, Limits, Map, Node, Value};

use super::expectations::{self, Test};
use super::{standard_events, EventRun, MatrixEvent, StandardOptions, MAX_EVENTS};

pub(crate) const INVALID: &str = "matrix-file-invalid";
/// A key the file still reads in an older place.
pub(crate) const DEPRECATED: &str = "matrix-file-deprecated";

/// The project settings the events file once had beside `path:`; a scenario (and now this
/// file) has them under `project:settings:`.
const OLD_PROJECT_KEYS: &[&str] = &[
    "merged_results_pipelines",
    "merge_trains",
    "protected_branches",
    "protected_tags",
];

/// An events file or tests file, as read.
#[derive(Clone, Debug, Default)]
pub struct Spec {
    /// `config:`: the root configuration file.
    pub config: Option<String>,
    pub project: ProjectPatch,
    pub standard: StandardPatch,
    /// `events:`; `None` means the standard events.
    pub events: Option<Vec<EventSpec>>,
    /// `tests:` (tests files).
    pub tests: Vec<Test>,
    /// Line of the top-level `tests:` key and of the top-level key after it (0: none), for
    /// `pipesim test --update`, which rewrites only that part of the file.
    pub tests_lines: (u32, u32),
}

/// The project a file states (`project:`, read as a scenario's), or nothing.
#[derive(Clone, Debug, Default)]
pub struct ProjectPatch {
    pub project: Option<Project>,
}

impl ProjectPatch {
    /// The file's project in place of `project`, keeping its configuration path (which comes
    /// from the command line or the tests file's `config:`).
    pub fn apply(&self, project: &mut Project) {
        if let Some(stated) = &self.project {
            let ci_config_path = std::mem::take(&mut project.ci_config_path);
            *project = stated.clone();
            project.ci_config_path = ci_config_path;
        }
    }
}

/// What a file says the standard events are made of; unset fields keep the caller's.
#[derive(Clone, Debug, Default)]
pub struct StandardPatch {
    pub feature_branch: Option<String>,
    pub tag: Option<String>,
    pub changes: Option<Vec<String>>,
    pub variables: Option<Vec<(String, String)>>,
    pub labels: Option<Vec<String>>,
}

impl StandardPatch {
    pub fn apply(&self, options: &mut StandardOptions) {
        if let Some(v) = &self.feature_branch {
            options.feature_branch = v.clone();
        }
        if let Some(v) = &self.tag {
            options.tag = v.clone();
        }
        if let Some(v) = &self.changes {
            options.changes = Some(v.clone());
        }
        if let Some(v) = &self.variables {
            options.variables = v.clone();
        }
        if let Some(v) = &self.labels {
            options.labels = v.clone();
        }
    }
}

/// One entry of `events:`.
#[derive(Clone, Debug, PartialEq)]
pub enum EventSpec {
    /// A standard event by id (`push-feature`).
    Standard(String, Span),
    Custom(Box<CustomEvent>),
}

#[derive(Clone, Debug, PartialEq, Default)]
pub struct CustomEvent {
    pub id: String,
    pub title: Option<String>,
    pub kind: String,
    pub branch: Option<String>,
    pub tag: Option<String>,
    pub source_branch: Option<String>,
    pub target_branch: Option<String>,
    pub changes: Option<Vec<String>>,
    pub variables: Vec<(String, String)>,
    pub labels: Vec<String>,
    pub message: Option<String>,
    pub new_branch: bool,
    pub span: Option<Span>,
}

/// The event types of `type:`.
pub const EVENT_TYPES: [&str; 10] = [
    "push",
    "tag",
    "merge_request",
    "merged_result",
    "merge_train",
    "merge",
    "schedule",
    "web",
    "api",
    "trigger",
];

/// The matrix's columns for `spec` on `project` (with the file's settings applied by the
/// caller): the standard events, or the file's `events:`. A standard id that does not exist
/// (e.g. `merge-train` on the Free tier) is an error finding.
pub fn resolve_events(
    specs: Option<&[EventSpec]>,
    project: &Project,
    options: &StandardOptions,
) -> (Vec<MatrixEvent>, Vec<Finding>) {
    let standard = standard_events(project, options);
    let Some(specs) = specs else {
        return (standard, Vec::new());
    };
    let mut events = Vec::new();
    let mut findings = Vec::new();
    for spec in specs.iter().take(MAX_EVENTS) {
        match spec {
            EventSpec::Standard(id, span) => match standard.iter().find(|e| &e.id == id) {
                Some(event) => events.push(event.clone()),
                None => findings.push(
                    Finding::error(
                        INVALID,
                        format!("events: `{id}` is not a standard event of this project"),
                        Some(*span),
                    )
                    .explain(format!(
                        "The standard events here are: {}. Merged results and merge train events exist only on the Premium and Ultimate tiers.",
                        standard.iter().map(|e| e.id.as_str()).collect::<Vec<_>>().join(", ")
                    )),
                ),
            },
            EventSpec::Custom(custom) => match custom_event(custom, project, options) {
                Ok(event) => events.push(event),
                Err(message) => findings.push(Finding::error(INVALID, message, custom.span)),
            },
        }
    }
    if specs.len() > MAX_EVENTS {
        findings.push(Finding::warning(
            INVALID,
            format!("events: only the first {MAX_EVENTS} events are simulated"),
            None,
        ));
    }
    (events, findings)
}

fn custom_event(
    custom: &CustomEvent,
    project: &Project,
    options: &StandardOptions,
) -> Result<MatrixEvent, String> {
    let default = &project.default_branch;
    let id = &custom.id;
    for name in [
        &custom.branch,
        &custom.tag,
        &custom.source_branch,
        &custom.target_branch,
    ]
    .into_iter()
    .flatten()
    {
        if let Some(problem) = ref_name_problem(name) {
            return Err(format!("events: {id}: {problem}"));
        }
    }
    let changes = custom.changes.clone().or_else(|| {
        Some(
            options
                .changes
                .clone()
                .unwrap_or_else(|| vec![project.ci_config_path.clone()]),
        )
    });
    let target = match (&custom.tag, &custom.branch) {
        (Some(_), Some(_)) => {
            return Err(format!(
                "events: {id}: `branch` and `tag` name two refs; give one of them"
            ))
        }
        (Some(tag), None) => RefTarget::Tag(tag.clone()),
        (None, Some(branch)) => RefTarget::Branch(branch.clone()),
        (None, None) => RefTarget::Branch(default.clone()),
    };
    let source = custom
        .source_branch
        .clone()
        .unwrap_or_else(|| options.feature_branch.clone());
    let merge_request = |kind| MergeRequestEvent {
        iid: 1,
        source_branch: source.clone(),
        target_branch: custom
            .target_branch
            .clone()
            .unwrap_or_else(|| default.clone()),
        labels: custom.labels.clone(),
        kind: Some(kind),
        changes: changes.clone(),
        ..MergeRequestEvent::default()
    };
    let single = |event| EventRun::Single {
        event,
        new_branch: custom.new_branch,
    };
    let manual = |source| {
        single(Event::Manual(ManualEvent {
            source,
            target: target.clone(),
            variables: custom.variables.clone(),
            description: (source == ManualSource::Schedule).then(|| id.clone()),
            inputs: None,
        }))
    };
    if custom.new_branch
        && (custom.kind != "push" || matches!(&target, RefTarget::Branch(b) if b == default))
    {
        return Err(format!(
            "events: {id}: `new_branch` applies to a push to a branch other than the default branch"
        ));
    }
    let (run, title) = match custom.kind.as_str() {
        "push" | "tag" => {
            let target = if custom.kind == "tag" {
                match &custom.tag {
                    Some(tag) => RefTarget::Tag(tag.clone()),
                    None => return Err(format!("events: {id}: a `tag` event needs `tag:`")),
                }
            } else {
                target.clone()
            };
            let title = match &target {
                RefTarget::Branch(b) => format!("push to {b}"),
                RefTarget::Tag(t) => format!("push tag {t}"),
            };
            let push = Push {
                changes: if matches!(target, RefTarget::Tag(_)) {
                    custom.changes.clone()
                } else {
                    changes.clone()
                },
                target,
                message: custom.message.clone(),
                variables: custom.variables.clone(),
                ..Push::default()
            };
            (single(Event::Push(push)), title)
        }
        "merge_request" | "merged_result" | "merge_train" => {
            let kind = MergeRequestPipelineKind::parse(&custom.kind)
                .unwrap_or(MergeRequestPipelineKind::Detached);
            let mr = merge_request(kind);
            let title = format!(
                "{} pipeline {} → {}",
                kind.as_str().replace('_', " "),
                mr.source_branch,
                mr.target_branch
            );
            (single(Event::MergeRequest(mr)), title)
        }
        "merge" => {
            let mr = merge_request(MergeRequestPipelineKind::Detached);
            let title = format!("merge {} into {}", mr.source_branch, mr.target_branch);
            let mut events = Vec::new();
            for branch in [&mr.target_branch, &mr.source_branch] {
                if branch != default {
                    events.push(Event::Push(Push {
                        target: RefTarget::Branch(branch.clone()),
                        changes: if branch == &mr.source_branch {
                            changes.clone()
                        } else {
                            None
                        },
                        ..Push::default()
                    }));
                }
            }
            events.push(Event::MergeRequest(mr));
            events.push(Event::Merge { iid: 1 });
            (EventRun::Timeline(events), title)
        }
        "schedule" | "web" | "api" | "trigger" => {
            let source = match custom.kind.as_str() {
                "schedule" => ManualSource::Schedule,
                "web" => ManualSource::Web,
                "api" => ManualSource::Api,
                _ => ManualSource::Trigger,
            };
            (
                manual(source),
                format!("{} pipeline on {}", custom.kind, target.name()),
            )
        }
        other => {
            return Err(format!(
                "events: {id}: `type: {other}` is not one of {}",
                EVENT_TYPES.join(", ")
            ))
        }
    };
    Ok(MatrixEvent {
        id: id.clone(),
        title: custom.title.clone().unwrap_or(title),
        run,
    })
}

/// Reads the events or tests file `id` of `files`. The spec is `None` when it has an error.
pub fn load_spec(files: &Files, id: FileId) -> (Option<Spec>, Vec<Finding>) {
    let Some(file) = files.try_get(id) else {
        return (
            None,
            vec![Finding::error(INVALID, "the file is missing", None)],
        );
    };
    let loaded = yaml::load(&file.text, id, Limits::default());
    let mut reader = Reader {
        findings: loaded.findings,
    };
    if loaded.failed {
        return (None, reader.findings);
    }
    let spec = match loaded.documents.first() {
        Some(root) => reader.spec(root),
        None => Some(Spec::default()),
    };
    let failed = reader
        .findings
        .iter()
        .any(|f| f.severity == Severity::Error);
    (if failed { None } else { spec }, reader.findings)
}

/// Reads YAML values into the spec, collecting findings.
pub(crate) struct Reader {
    pub(crate) findings: Vec<Finding>,
}

impl Reader {
    pub(crate) fn error(&mut self, message: impl Into<String>, span: Span) {
        self.findings
            .push(Finding::error(INVALID, message, Some(span)));
    }

    /// `node` as a mapping whose keys are all in `allowed` (any key when `allowed` is empty).
    pub(crate) fn map<'a>(
        &mut self,
        node: &'a Node,
        context: &str,
        allowed: &[&str],
    ) -> Option<&'a Map> {
        static EMPTY: Map = Map {
            entries: Vec::new(),
        };
        let map = match &node.value {
            Value::Map(map) => map,
            Value::Null => &EMPTY,
            _ => {
                self.error(
                    format!("{context} must be a mapping, not {}", node.type_name()),
                    node.span,
                );
                return None;
            }
        };
        if !allowed.is_empty() {
            for (key, _) in &map.entries {
                let name = key.scalar_to_s().unwrap_or_default();
                if !allowed.contains(&name.as_str()) {
                    self.findings.push(
                        Finding::error(
                            INVALID,
                            format!("{context}: unknown key `{name}`"),
                            Some(key.span),
                        )
                        .explain(format!(
                            "The keys allowed here are: {}.",
                            allowed.join(", ")
                        )),
                    );
                }
            }
        }
        Some(map)
    }

    pub(crate) fn string(&mut self, node: &Node, context: &str) -> Option<String> {
        match &node.value {
            Value::Seq(_) | Value::Map(_) | Value::Reference(_) | Value::Null => {
                self.error(
                    format!("{context} must be a string, not {}", node.type_name()),
                    node.span,
                );
                None
            }
            _ => node.scalar_to_s(),
        }
    }

    pub(crate) fn boolean(&mut self, node: &Node, context: &str) -> Option<bool> {
        match node.value {
            Value::Bool(b) => Some(b),
            _ => {
                self.error(
                    format!("{context} must be true or false, not {}", node.type_name()),
                    node.span,
                );
                None
            }
        }
    }

    /// A list of strings; a single string is a list of one.
    pub(crate) fn strings(&mut self, node: &Node, context: &str) -> Option<Vec<String>> {
        match &node.value {
            Value::Seq(items) => {
                let mut out = Vec::with_capacity(items.len());
                for item in items {
                    out.push(self.string(item, context)?);
                }
                Some(out)
            }
            Value::Null => Some(Vec::new()),
            _ => self.string(node, context).map(|s| vec![s]),
        }
    }

    /// A mapping of names to scalar values.
    pub(crate) fn pairs(&mut self, node: &Node, context: &str) -> Option<Vec<(String, String)>> {
        let map = self.map(node, context, &[])?;
        let mut out = Vec::with_capacity(map.len());
        for (key, value) in map.iter() {
            let key = self.string(key, context)?;
            let value = match &value.value {
                Value::Null => String::new(),
                _ => self.string(value, &format!("{context}:{key}"))?,
            };
            out.push((key, value));
        }
        Some(out)
    }

    fn spec(&mut self, root: &Node) -> Option<Spec> {
        let map = self.map(
            root,
            "the file",
            &["config", "project", "standard", "events", "tests"],
        )?;
        let mut spec = Spec::default();
        if let Some(node) = map.get("config") {
            spec.config = self.string(node, "config");
        }
        if let Some(node) = map.get("project") {
            spec.project = self.project(node)?;
        }
        if let Some(node) = map.get("standard") {
            spec.standard = self.standard(node)?;
        }
        if let Some(node) = map.get("events") {
            spec.events = Some(self.events(node)?);
        }
        if let Some((key, node)) = map.entry("tests") {
            spec.tests = expectations::read_tests(self, node)?;
            let next = map
                .iter()
                .map(|(k, _)| k.span.line)
                .filter(|&line| line > key.span.line)
                .min()
                .unwrap_or(0);
            spec.tests_lines = (key.span.line, next);
        }
        Some(spec)
    }

    /// `project:`, read by the scenario's parser (`event::scenario::parse_project`): the same
    /// keys as a scenario's `project:`, with `variables:` inside it. The keys this file once
    /// had beside `settings:` are still read, with a warning, as if under `settings:`.
    fn project(&mut self, node: &Node) -> Option<ProjectPatch> {
        let node = self.old_settings_moved(node);
        let (project, findings) = scenario::parse_project(&node);
        for mut finding in findings {
            if finding.code.starts_with("scenario-") {
                finding.code = INVALID;
            }
            self.findings.push(finding);
        }
        if let Some(value) = node.get("default_branch") {
            if let Some(problem) = value.scalar_to_s().as_deref().and_then(ref_name_problem) {
                self.error(format!("project:default_branch {problem}"), value.span);
            }
        }
        Some(ProjectPatch {
            project: Some(project?),
        })
    }

    /// `project:` with the keys of the old format (`merged_results_pipelines`, `merge_trains`,
    /// `protected_branches`, `protected_tags` beside `path:`) moved under `settings:`, each with
    /// a deprecation warning; a key also given under `settings:` keeps the `settings:` value.
    fn old_settings_moved(&mut self, node: &Node) -> Node {
        let Some(map) = node.as_map() else {
            return node.clone();
        };
        let is_old = |key: &Node| {
            key.scalar_to_s()
                .is_some_and(|k| OLD_PROJECT_KEYS.contains(&k.as_str()))
        };
        if !map.iter().any(|(key, _)| is_old(key)) {
            return node.clone();
        }
        let mut settings = match map.get("settings") {
            None => Map::default(),
            Some(n) => match n.as_map() {
                Some(m) => m.clone(),
                // Not a mapping: the scenario's parser says so; the old keys stay where they
                // are (and are unknown there).
                None => return node.clone(),
            },
        };
        let mut out = Map::default();
        for (key, value) in map.iter() {
            let name = key.scalar_to_s().unwrap_or_default();
            if is_old(key) {
                let kept = if settings.get(&name).is_some() {
                    "; `project:settings` also sets it, and that value is used"
                } else {
                    settings.insert(key.clone(), value.clone());
                    ""
                };
                self.findings.push(
                    Finding::warning(
                        DEPRECATED,
                        format!("project:{name} is deprecated: write it under `project:settings:`, as a scenario does{kept}"),
                        Some(key.span),
                    )
                    .explain(format!(
                        "The events and tests files read `project:` with the scenario's parser, where `{name}` is a project setting: `project: {{settings: {{{name}: ...}}}}`. The old place still works for now."
                    )),
                );
            } else if name != "settings" {
                out.insert(key.clone(), value.clone());
            }
        }
        let key = Node::new(Value::Str("settings".to_owned()), node.span);
        out.insert(key, Node::new(Value::Map(settings), node.span));
        Node::new(Value::Map(out), node.span)
    }

    fn standard(&mut self, node: &Node) -> Option<StandardPatch> {
        let allowed = ["feature_branch", "tag", "changes", "variables", "labels"];
        let map = self.map(node, "standard", &allowed)?;
        let mut patch = StandardPatch::default();
        for (key, value) in map.iter() {
            let key = key.scalar_to_s().unwrap_or_default();
            let context = format!("standard:{key}");
            match key.as_str() {
                "feature_branch" | "tag" => {
                    let name = self.string(value, &context)?;
                    if let Some(problem) = ref_name_problem(&name) {
                        self.error(format!("{context} {problem}"), value.span);
                    }
                    if key == "tag" {
                        patch.tag = Some(name);
                    } else {
                        patch.feature_branch = Some(name);
                    }
                }
                "changes" => patch.changes = Some(self.strings(value, &context)?),
                "variables" => patch.variables = Some(self.pairs(value, &context)?),
                "labels" => patch.labels = Some(self.strings(value, &context)?),
                _ => {}
            }
        }
        Some(patch)
    }

    fn events(&mut self, node: &Node) -> Option<Vec<EventSpec>> {
        let Some(items) = node.as_seq() else {
            self.error(
                format!("events must be a list, not {}", node.type_name()),
                node.span,
            );
            return None;
        };
        let mut out = Vec::with_capacity(items.len().min(MAX_EVENTS + 1));
        let mut ids: Vec<String> = Vec::new();
        for item in items.iter().take(MAX_EVENTS + 1) {
            let spec = match &item.value {
                Value::Map(_) => EventSpec::Custom(Box::new(self.custom_event(item)?)),
                _ => EventSpec::Standard(self.string(item, "events")?, item.span),
            };
            let id = match &spec {
                EventSpec::Standard(id, _) => id.clone(),
                EventSpec::Custom(c) => c.id.clone(),
            };
            if ids.contains(&id) {
                self.error(format!("events: the id `{id}` is used twice"), item.span);
            }
            ids.push(id);
            out.push(spec);
        }
        Some(out)
    }

    fn custom_event(&mut self, node: &Node) -> Option<CustomEvent> {
        let allowed = [
            "id",
            "title",
            "type",
            "branch",
            "tag",
            "source_branch",
            "target_branch",
            "changes",
            "variables",
            "labels",
            "message",
            "new_branch",
        ];
        let map = self.map(node, "event", &allowed)?;
        let mut event = CustomEvent {
            span: Some(node.span),
            ..CustomEvent::default()
        };
        for (key, value) in map.iter() {
            let key = key.scalar_to_s().unwrap_or_default();
            let context = format!("event:{key}");
            match key.as_str() {
                "id" => event.id = self.string(value, &context)?,
                "title" => event.title = Some(self.string(value, &context)?),
                "type" => event.kind = self.string(value, &context)?,
                "branch" => event.branch = Some(self.string(value, &context)?),
                "tag" => event.tag = Some(self.string(value, &context)?),
                "source_branch" => event.source_branch = Some(self.string(value, &context)?),
                "target_branch" => event.target_branch = Some(self.string(value, &context)?),
                "changes" => event.changes = Some(self.strings(value, &context)?),
                "variables" => event.variables = self.pairs(value, &context)?,
                "labels" => event.labels = self.strings(value, &context)?,
                "message" => event.message = Some(self.string(value, &context)?),
                "new_branch" => event.new_branch = self.boolean(value, &context)?,
                _ => {}
            }
        }
        if event.id.is_empty() {
            self.error("an event needs an `id`", node.span);
            return None;
        }
        if event.kind.is_empty() {
            self.error(
                format!(
                    "event {}: needs a `type` ({})",
                    event.id,
                    EVENT_TYPES.join(", ")
                ),
                node.span,
            );
            return None;
        }
        Some(event)
    }
}
