//! Scenario files: a project, its repository files and a list of events, in YAML.
//!
//! ```yaml
//! project: {path, default_branch, tier: free|premium|ultimate, server_url,
//!           settings: {merged_results_pipelines, merge_trains, protected_branches: [..],
//!                      protected_tags: [..]}}
//! variables: {KEY: value | {value: v, protected: bool, masked, hidden, raw,
//!             variable_type: env_var|file, environment_scope}}   # project CI/CD variables
//!            (or a list of `{key: KEY, value: v, ...}`, for one key in several scopes)
//! instance: {variables: ...}                               # instance CI/CD variables
//! groups: [{path: group/sub, variables: ...}]              # variables of the groups above
//! files: {path: content}                                   # .gitlab-ci.yml is required
//! events:
//!   - push: {branch: B | tag: T, changes, files, deleted, message, skip_ci, variables, delete, from}
//!   - push: [{branch: B, ...}, {tag: T, from: B}]   # one push of several refs
//!   - merge_request: {iid, source, target, labels, type, title, description, draft, changes, squash}
//!   - merge: {iid}
//!   - schedule: {branch | tag, variables, description, inputs}
//!   - web | api | trigger: {branch | tag, variables, inputs}
//!   - cancel: {pipeline, job}      # `job` left out: the whole pipeline
//! ```
//!
//! Loading never panics: every problem is a [`Finding`] at the position of the offending key
//! or value (codes `scenario-invalid` and `scenario-unknown-key`).

use crate::diagnostic::Finding;
use crate::source::{FileId, Files, Span};
use crate::yaml::{self, Limits, Map, Node, Value};

use super::{
    Event, JobAction, JobActionKind, JobOutcome, ManualEvent, ManualSource, MergeMethod,
    MergeRequestEvent, MergeRequestPipelineKind, Project, ProjectVariable, Push, RefTarget, Role,
    SquashOption, Tier,
};

const INVALID: &str = "scenario-invalid";
const UNKNOWN_KEY: &str = "scenario-unknown-key";

/// The keys of `project:`.
const PROJECT_KEYS: &[&str] = &[
    "path",
    "default_branch",
    "tier",
    "server_url",
    "settings",
    "job_token",
    "access",
    "fork_of",
];

/// The keys of an item of `projects:`: a project with its own variables and files.
const PROJECT_ITEM_KEYS: &[&str] = &[
    "path",
    "default_branch",
    "tier",
    "server_url",
    "settings",
    "job_token",
    "access",
    "variables",
    "files",
    "fork_of",
];

/// A loaded scenario.
#[derive(Clone, Debug)]
pub struct Scenario {
    pub project: Project,
    /// The repository at the start: the default branch's files.
    pub files: Files,
    /// Each event with the position of its key (`push`, `merge`...) in the scenario file.
    pub events: Vec<(Event, Span)>,
    /// Per event (same index), how named jobs of its pipelines end: `outcomes: {job: failed}`
    /// next to the event's key.
    pub outcomes: Vec<Vec<(String, JobOutcome)>>,
    /// The scenario's other projects (`projects:`), each with its repository's default branch.
    pub others: Vec<(Project, Files)>,
    /// Per event (same index), the project it happens in: 0 is `project`, `k` is `others[k - 1]`
    /// (`project: group/deploy` next to the event's key; the main project by default).
    pub event_projects: Vec<usize>,
}

impl Scenario {
    /// Every project of the scenario with its files, the main project first.
    pub fn projects(&self) -> Vec<(Project, Files)> {
        let mut all = Vec::with_capacity(1 + self.others.len());
        all.push((self.project.clone(), self.files.clone()));
        all.extend(self.others.iter().cloned());
        all
    }
}

/// Parses the scenario file `id` of `files`. The scenario is `None` when an error was found.
pub fn load_scenario(files: &Files, id: FileId) -> (Option<Scenario>, Vec<Finding>) {
    if id.0 as usize >= files.len() {
        return (
            None,
            vec![Finding::error(
                INVALID,
                "the scenario file is missing",
                None,
            )],
        );
    }
    let text = &files.get(id).text;
    let loaded = yaml::load(text, id, Limits::default());
    let mut parser = Parser {
        findings: loaded.findings,
    };
    if loaded.failed {
        return (None, parser.findings);
    }
    let Some(root) = loaded.documents.first() else {
        parser.error(
            "the scenario is empty: it needs at least `files:` with a `.gitlab-ci.yml`",
            Span::file_start(id),
        );
        return (None, parser.findings);
    };
    if let Some(extra) = loaded.documents.get(1) {
        parser.warning(
            "the scenario has more than one YAML document; only the first is read",
            extra.span,
        );
    }
    let scenario = parser.scenario(root);
    let failed = parser
        .findings
        .iter()
        .any(|f| f.severity == crate::diagnostic::Severity::Error);
    (if failed { None } else { scenario }, parser.findings)
}

struct Parser {
    findings: Vec<Finding>,
}

impl Parser {
    fn error(&mut self, message: impl Into<String>, span: Span) {
        self.findings
            .push(Finding::error(INVALID, message, Some(span)));
    }

    fn warning(&mut self, message: impl Into<String>, span: Span) {
        self.findings
            .push(Finding::warning(INVALID, message, Some(span)));
    }

    fn unknown_key(&mut self, context: &str, key: &Node, allowed: &[&str]) {
        let name = key.scalar_to_s().unwrap_or_default();
        self.findings.push(
            Finding::error(
                UNKNOWN_KEY,
                format!("{context}: unknown key `{name}`"),
                Some(key.span),
            )
            .explain(format!(
                "The keys allowed here are: {}.",
                allowed.join(", ")
            )),
        );
    }

    /// The entries of `node` as a map, checking keys against `allowed`. A null node is an
    /// empty map.
    fn map<'a>(&mut self, node: &'a Node, context: &str, allowed: &[&str]) -> Option<&'a Map> {
        static EMPTY: Map = Map {
            entries: Vec::new(),
        };
        let map = match &node.value {
            Value::Map(map) => map,
            Value::Null => &EMPTY,
            _ => {
                self.error(
                    format!("{context} must be a mapping, not {}", article(node)),
                    node.span,
                );
                return None;
            }
        };
        for (key, _) in &map.entries {
            let name = key.scalar_to_s().unwrap_or_default();
            if !allowed.contains(&name.as_str()) {
                self.unknown_key(context, key, allowed);
            }
        }
        Some(map)
    }

    fn scenario(&mut self, root: &Node) -> Option<Scenario> {
        let map = self.map(
            root,
            "the scenario",
            &[
                "project",
                "variables",
                "files",
                "events",
                "projects",
                "instance",
                "groups",
            ],
        )?;
        if root.is_null() {
            self.error(
                "the scenario is empty: it needs at least `files:` with a `.gitlab-ci.yml`",
                root.span,
            );
            return None;
        }
        let mut others = match map.get("projects") {
            Some(node) => self.other_projects(node),
            None => Vec::new(),
        };
        // Without a top-level `project:` and `files:`, the first of `projects:` is the main one.
        let (project, files) = if !others.is_empty()
            && map.get("project").is_none()
            && map.get("files").is_none()
            && map.get("variables").is_none()
        {
            others.remove(0)
        } else {
            let mut project = match map.get("project") {
                Some(node) => self.project(node),
                None => Some(Project::new("group/project")),
            }?;
            if let Some(node) = map.get("variables") {
                project.variables = self.project_variables(node);
            }
            let files = match map.entry("files") {
                Some((key, node)) => self.files(key, node, true),
                None => {
                    self.error(
                        "the scenario has no `files:`; it needs at least a `.gitlab-ci.yml`",
                        root.span,
                    );
                    Files::new()
                }
            };
            (project, files)
        };
        self.distinct_paths(&project, &others, map.get("projects"));
        let mut project = project;
        self.forks(map, (&project, &files), &mut others);
        self.instance_and_groups(map, &mut project, &mut others);
        let timed = match map.get("events") {
            Some(node) => self.events(node, &project, &others),
            None => Vec::new(),
        };
        let mut events = Vec::with_capacity(timed.len());
        let mut outcomes = Vec::with_capacity(timed.len());
        let mut event_projects = Vec::with_capacity(timed.len());
        for (event, span, event_outcomes, in_project) in timed {
            events.push((event, span));
            outcomes.push(event_outcomes);
            event_projects.push(in_project);
        }
        Some(Scenario {
            project,
            files,
            events,
            outcomes,
            others,
            event_projects,
        })
    }

    /// `projects:`, a list of projects each with its own `files:` and `variables:`.
    fn other_projects(&mut self, node: &Node) -> Vec<(Project, Files)> {
        let items = match &node.value {
            Value::Seq(items) => items.as_slice(),
            Value::Null => return Vec::new(),
            _ => {
                self.error(
                    format!(
                        "projects must be a list (`- path: group/deploy`), not {}",
                        article(node)
                    ),
                    node.span,
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for item in items {
            if item.as_map().is_some_and(|m| m.get("path").is_none()) {
                self.error(
                    "projects item needs a `path:` (e.g. `path: group/deploy`)",
                    item.span,
                );
                continue;
            }
            let Some(mut project) = self.project_with(item, "projects item", PROJECT_ITEM_KEYS)
            else {
                continue;
            };
            if let Some(n) = item.get("variables") {
                project.variables = self.project_variables(n);
            }
            let files = match item.as_map().and_then(|m| m.entry("files")) {
                Some((key, n)) => self.files(key, n, false),
                None => Files::new(),
            };
            out.push((project, files));
        }
        out
    }

    /// `fork_of:` names another project of the scenario. A fork without `files:` starts with
    /// its parent's default branch (forking copies the repository: Projects::ForkService).
    fn forks(&mut self, map: &Map, main: (&Project, &Files), others: &mut [(Project, Files)]) {
        let span = map
            .get("projects")
            .or(map.get("project"))
            .map_or(Span::file_start(FileId(0)), |n| n.span);
        let mut paths = vec![main.0.path.clone()];
        paths.extend(others.iter().map(|(p, _)| p.path.clone()));
        let parents: Vec<Option<String>> = std::iter::once(main.0.fork_of.clone())
            .chain(others.iter().map(|(p, _)| p.fork_of.clone()))
            .collect();
        for (index, parent) in parents.iter().enumerate() {
            let Some(parent) = parent else { continue };
            if *parent == paths[index] {
                self.error(
                    format!("project:fork_of: `{parent}` is the project itself"),
                    span,
                );
                continue;
            }
            let Some(k) = paths.iter().position(|p| p == parent) else {
                self.error(
                    format!(
                        "project:fork_of: `{parent}` (the parent of `{}`) is not a project of \
                         this scenario (add it under `projects:`)",
                        paths[index]
                    ),
                    span,
                );
                continue;
            };
            if index > 0 && others[index - 1].1.is_empty() {
                let files = if k == 0 {
                    main.1.clone()
                } else {
                    others[k - 1].1.clone()
                };
                others[index - 1].1 = files;
            }
        }
    }

    /// Two projects of a scenario with the same path are one project twice: an error.
    fn distinct_paths(&mut self, main: &Project, others: &[(Project, Files)], node: Option<&Node>) {
        let Some(node) = node else { return };
        let Value::Seq(items) = &node.value else {
            return;
        };
        let mut seen = vec![main.path.as_str()];
        for (index, (project, _)) in others.iter().enumerate() {
            if seen.contains(&project.path.as_str()) {
                let span = items.get(index).map_or(node.span, |n| n.span);
                self.error(
                    format!(
                        "projects: `{}` is given twice; each project of a scenario has its own path",
                        project.path
                    ),
                    span,
                );
            }
            seen.push(project.path.as_str());
        }
    }

    fn project(&mut self, node: &Node) -> Option<Project> {
        self.project_with(node, "project", PROJECT_KEYS)
    }

    fn project_with(&mut self, node: &Node, context: &str, allowed: &[&str]) -> Option<Project> {
        let map = self.map(node, context, allowed)?;
        let path = match map.get("path") {
            Some(n) => self.string(n, "project:path")?,
            None => "group/project".to_owned(),
        };
        let mut project = Project::new(&path);
        let trimmed = path.trim_matches('/');
        if trimmed.is_empty() || !trimmed.contains('/') {
            self.error(
                format!(
                    "project:path `{path}` must be a namespace and a name, like `group/project`"
                ),
                map.get("path").map_or(node.span, |n| n.span),
            );
        }
        project.path = trimmed.to_owned();
        if let Some(n) = map.get("default_branch") {
            let branch = self.string(n, "project:default_branch")?;
            if branch.is_empty() {
                self.error("project:default_branch must not be empty", n.span);
            }
            project.default_branch = branch.clone();
            project.settings.protected_branches = vec![branch];
        }
        if let Some(n) = map.get("tier") {
            let text = self.string(n, "project:tier")?;
            match Tier::parse(&text) {
                Some(tier) => project.tier = tier,
                None => self.error(
                    format!("project:tier `{text}` is not one of free, premium, ultimate"),
                    n.span,
                ),
            }
        }
        if let Some(n) = map.get("server_url") {
            project.server_url = self.string(n, "project:server_url")?;
        }
        if let Some(n) = map.get("settings") {
            let allowed = [
                "merged_results_pipelines",
                "merge_trains",
                "protected_branches",
                "protected_tags",
                "keep_latest_artifacts",
                "pipeline_variables_minimum_role",
                "catalog_resource",
                "merge_method",
                "squash_option",
                "git_push_pipeline_limit",
                "merge_commit_template",
                "squash_commit_template",
                "ci_allow_fork_pipelines_to_run_in_parent_project",
            ];
            if let Some(settings) = self.map(n, "project:settings", &allowed) {
                if let Some(v) = settings.get("pipeline_variables_minimum_role") {
                    let text =
                        self.string(v, "project:settings:pipeline_variables_minimum_role")?;
                    match text.as_str() {
                        "no_one_allowed" => project.settings.pipeline_variables_minimum_role = None,
                        "developer" | "maintainer" | "owner" => {
                            project.settings.pipeline_variables_minimum_role = Role::parse(&text)
                        }
                        _ => self.error(
                            format!("project:settings:pipeline_variables_minimum_role `{text}` is not one of no_one_allowed, developer, maintainer, owner"),
                            v.span,
                        ),
                    }
                }
                self.merge_settings(settings, &mut project);
                if let Some(v) = settings.get("merged_results_pipelines") {
                    if let Some(b) = self.boolean(v, "project:settings:merged_results_pipelines") {
                        project.settings.merged_results_pipelines = b;
                    }
                }
                if let Some(v) = settings.get("merge_trains") {
                    if let Some(b) = self.boolean(v, "project:settings:merge_trains") {
                        project.settings.merge_trains = b;
                    }
                }
                if let Some(v) = settings.get("ci_allow_fork_pipelines_to_run_in_parent_project") {
                    if let Some(b) = self.boolean(
                        v,
                        "project:settings:ci_allow_fork_pipelines_to_run_in_parent_project",
                    ) {
                        project.settings.fork_pipelines_in_parent = b;
                    }
                }
                if let Some(v) = settings.get("catalog_resource") {
                    if let Some(b) = self.boolean(v, "project:settings:catalog_resource") {
                        project.settings.catalog_resource = b;
                    }
                }
                if let Some(v) = settings.get("keep_latest_artifacts") {
                    if let Some(b) = self.boolean(v, "project:settings:keep_latest_artifacts") {
                        project.settings.keep_latest_artifacts = b;
                    }
                }
                if let Some(v) = settings.get("protected_branches") {
                    project.settings.protected_branches =
                        self.strings(v, "project:settings:protected_branches");
                }
                if let Some(v) = settings.get("protected_tags") {
                    project.settings.protected_tags =
                        self.strings(v, "project:settings:protected_tags");
                }
            }
        }
        if let Some(n) = map.get("job_token") {
            let allowed = ["limit_access", "allowlist"];
            if let Some(token) = self.map(n, "project:job_token", &allowed) {
                if let Some(v) = token.get("limit_access") {
                    if let Some(b) = self.boolean(v, "project:job_token:limit_access") {
                        project.job_token.limit_access = b;
                    }
                }
                if let Some(v) = token.get("allowlist") {
                    project.job_token.allowlist = self
                        .strings(v, "project:job_token:allowlist")
                        .into_iter()
                        .map(|p| p.trim_matches('/').to_owned())
                        .collect();
                }
            }
        }
        if let Some(n) = map.get("fork_of") {
            let parent = self.string(n, "project:fork_of")?;
            project.fork_of = Some(parent.trim_matches('/').to_owned());
        }
        if let Some(n) = map.get("access") {
            let text = self.string(n, "project:access")?;
            match Role::parse(&text) {
                Some(role) => project.access = role,
                None => self.error(
                    format!(
                        "project:access `{text}` is not one of none, guest, reporter, developer, maintainer, owner"
                    ),
                    n.span,
                ),
            }
        }
        Some(project)
    }

    fn project_variables(&mut self, node: &Node) -> Vec<ProjectVariable> {
        self.ci_variables(node, "variables", super::ci_variables::Level::Project)
    }

    fn files(&mut self, key: &Node, node: &Node, needs_ci_file: bool) -> Files {
        let mut files = Files::new();
        let Some(map) = self.map_any_keys(node, "files") else {
            return files;
        };
        for (path_node, content) in &map.entries {
            let Some(path) = self.file_path(path_node, "files") else {
                continue;
            };
            match self.file_content(content, &format!("files:{path}")) {
                Some(text) => {
                    files.insert(&path, text);
                }
                None => continue,
            }
        }
        if needs_ci_file && files.find(".gitlab-ci.yml").is_none() {
            self.error(
                "`files:` has no `.gitlab-ci.yml`; a scenario needs the CI configuration",
                key.span,
            );
        }
        files
    }

    #[allow(clippy::type_complexity)]
    fn events(
        &mut self,
        node: &Node,
        main: &Project,
        others: &[(Project, Files)],
    ) -> Vec<(Event, Span, Vec<(String, JobOutcome)>, usize)> {
        let items = match &node.value {
            Value::Seq(items) => items.as_slice(),
            Value::Null => return Vec::new(),
            _ => {
                self.error(
                    format!(
                        "events must be a list (`- push: {{branch: main}}`), not {}",
                        article(node)
                    ),
                    node.span,
                );
                return Vec::new();
            }
        };
        let kinds = [
            "push",
            "merge_request",
            "merge",
            "schedule",
            "web",
            "api",
            "trigger",
            "wait",
            "play",
            "retry",
            "cancel",
        ];
        let mut events = Vec::new();
        for (index, item) in items.iter().enumerate() {
            let number = index + 1;
            let Value::Map(map) = &item.value else {
                self.error(
                    format!(
                        "event {number} must be a mapping with one key such as `push:`, not {}",
                        article(item)
                    ),
                    item.span,
                );
                continue;
            };
            let outcome_entry = map
                .entries
                .iter()
                .find(|(k, _)| k.as_str() == Some("outcomes"));
            let project_entry = map
                .entries
                .iter()
                .find(|(k, _)| k.as_str() == Some("project"));
            let event_entries: Vec<&(Node, Node)> = map
                .entries
                .iter()
                .filter(|(k, _)| !matches!(k.as_str(), Some("outcomes" | "project")))
                .collect();
            if event_entries.len() != 1 {
                self.error(
                    format!(
                        "event {number} must have exactly one key (push, merge_request, merge, \
                         schedule, web, api, trigger, wait, play, retry or cancel), and optionally \
                         `outcomes` and `project`; it has {}",
                        event_entries.len()
                    ),
                    item.span,
                );
                continue;
            }
            let in_project = match project_entry {
                Some((_, n)) => {
                    match self.event_project(n, &format!("event {number} project"), main, others) {
                        Some(k) => k,
                        None => continue,
                    }
                }
                None => 0,
            };
            let project = if in_project == 0 {
                main
            } else {
                &others[in_project - 1].0
            };
            let (key, body) = event_entries[0];
            let outcomes = match outcome_entry {
                Some((_, node)) => self.outcomes(node, &format!("event {number} outcomes")),
                None => Vec::new(),
            };
            let kind = key.scalar_to_s().unwrap_or_default();
            let context = format!("event {number} ({kind})");
            let event = match kind.as_str() {
                "push" => self.push(body, &context),
                "merge_request" => self.merge_request(body, &context, project),
                "merge" => self.merge(body, &context),
                "schedule" => self.manual(body, &context, ManualSource::Schedule, project),
                "web" => self.manual(body, &context, ManualSource::Web, project),
                "api" => self.manual(body, &context, ManualSource::Api, project),
                "trigger" => self.manual(body, &context, ManualSource::Trigger, project),
                "wait" => self.wait(body, &context),
                "play" => self.job_action(body, &context, JobActionKind::Play),
                "retry" => self.job_action(body, &context, JobActionKind::Retry),
                "cancel" => self.cancel(body, &context),
                _ => {
                    self.findings.push(
                        Finding::error(
                            UNKNOWN_KEY,
                            format!("event {number}: unknown event `{kind}`"),
                            Some(key.span),
                        )
                        .explain(format!("Events are: {}.", kinds.join(", "))),
                    );
                    None
                }
            };
            if let Some(Event::MergeRequest(mr)) = &event {
                if let Some(source) = &mr.source_project {
                    let known =
                        *source == main.path || others.iter().any(|(p, _)| p.path == *source);
                    if !known {
                        self.error(
                            format!(
                                "{context}:source_project `{source}` is not a project of this \
                                 scenario (add the fork under `projects:` with `fork_of: {}`)",
                                project.path
                            ),
                            body.get("source_project").map_or(body.span, |n| n.span),
                        );
                        continue;
                    }
                }
            }
            if let Some(event) = event {
                events.push((event, key.span, outcomes, in_project));
            }
        }
        events
    }

    /// `project: group/deploy` beside an event: which project of the scenario it happens in.
    fn event_project(
        &mut self,
        node: &Node,
        context: &str,
        main: &Project,
        others: &[(Project, Files)],
    ) -> Option<usize> {
        let path = self.string(node, context)?;
        let path = path.trim_matches('/');
        if path == main.path {
            return Some(0);
        }
        if let Some(k) = others.iter().position(|(p, _)| p.path == path) {
            return Some(k + 1);
        }
        let mut known = vec![format!("`{}`", main.path)];
        known.extend(others.iter().map(|(p, _)| format!("`{}`", p.path)));
        self.error(
            format!(
                "{context}: `{path}` is not a project of this scenario (its projects are {})",
                known.join(", ")
            ),
            node.span,
        );
        None
    }

    fn push(&mut self, node: &Node, context: &str) -> Option<Event> {
        if let Value::Seq(items) = &node.value {
            return self.push_refs(node, items, context);
        }
        let push = self.one_push(node, context)?;
        Some(Event::Push(push))
    }

    fn one_push(&mut self, node: &Node, context: &str) -> Option<Push> {
        let allowed = [
            "branch",
            "tag",
            "changes",
            "files",
            "deleted",
            "message",
            "skip_ci",
            "variables",
            "delete",
            "from",
        ];
        let map = self.map(node, context, &allowed)?;
        let target = match self.ref_target(map, context) {
            Some(Some(target)) => target,
            Some(None) => {
                self.error(
                    format!("{context}: a push needs `branch:` or `tag:`"),
                    node.span,
                );
                return None;
            }
            None => return None,
        };
        let mut push = Push {
            target,
            ..Push::default()
        };
        if let Some(n) = map.get("changes") {
            push.changes = Some(self.paths(n, &format!("{context}:changes")));
        }
        if let Some(n) = map.get("files") {
            if let Some(files) = self.map_any_keys(n, &format!("{context}:files")) {
                for (path_node, content) in &files.entries {
                    let Some(path) = self.file_path(path_node, &format!("{context}:files")) else {
                        continue;
                    };
                    if let Some(text) =
                        self.file_content(content, &format!("{context}:files:{path}"))
                    {
                        push.files.push((path, text));
                    }
                }
            }
        }
        if let Some(n) = map.get("deleted") {
            push.deleted = self.paths(n, &format!("{context}:deleted"));
        }
        if let Some(n) = map.get("message") {
            push.message = self.scalar(n, &format!("{context}:message"));
        }
        if let Some(n) = map.get("skip_ci") {
            push.skip_ci = self
                .boolean(n, &format!("{context}:skip_ci"))
                .unwrap_or(false);
        }
        if let Some(n) = map.get("variables") {
            push.variables = self.key_values(n, &format!("{context}:variables"));
        }
        if let Some(n) = map.get("delete") {
            push.delete = self
                .boolean(n, &format!("{context}:delete"))
                .unwrap_or(false);
        }
        if let Some(n) = map.get("from") {
            push.from = Some(self.ref_name(n, &format!("{context}:from"))?);
        }
        Some(push)
    }

    fn merge_request(&mut self, node: &Node, context: &str, project: &Project) -> Option<Event> {
        let allowed = [
            "iid",
            "source",
            "target",
            "labels",
            "type",
            "title",
            "description",
            "draft",
            "changes",
            "squash",
            "source_project",
            "access",
            "source_access",
        ];
        let map = self.map(node, context, &allowed)?;
        let iid = self.iid(map, node, context)?;
        let mut event = MergeRequestEvent {
            iid,
            ..MergeRequestEvent::default()
        };
        if let Some(n) = map.get("source") {
            event.source_branch = self.ref_name(n, &format!("{context}:source"))?;
        }
        if let Some(n) = map.get("target") {
            event.target_branch = self.ref_name(n, &format!("{context}:target"))?;
        } else {
            event.target_branch = project.default_branch.clone();
        }
        if let Some(n) = map.get("labels") {
            event.labels = match &n.value {
                // The API accepts a comma-separated string too.
                Value::Str(s) => s
                    .split(',')
                    .map(|l| l.trim().to_owned())
                    .filter(|l| !l.is_empty())
                    .collect(),
                _ => self.strings(n, &format!("{context}:labels")),
            };
        }
        if let Some(n) = map.get("type") {
            let text = self.scalar(n, &format!("{context}:type"))?;
            match MergeRequestPipelineKind::parse(&text) {
                Some(kind) => event.kind = Some(kind),
                None => self.error(
                    format!(
                        "{context}:type `{text}` is not one of detached, merged_result, \
                         merge_train"
                    ),
                    n.span,
                ),
            }
        }
        if let Some(n) = map.get("title") {
            event.title = self.scalar(n, &format!("{context}:title"));
        }
        if let Some(n) = map.get("description") {
            event.description = self.scalar(n, &format!("{context}:description"));
        }
        if let Some(n) = map.get("draft") {
            event.draft = self
                .boolean(n, &format!("{context}:draft"))
                .unwrap_or(false);
        }
        if let Some(n) = map.get("changes") {
            event.changes = Some(self.paths(n, &format!("{context}:changes")));
        }
        if let Some(n) = map.get("squash") {
            event.squash = self.boolean(n, &format!("{context}:squash"));
        }
        if let Some(n) = map.get("source_project") {
            let path = self.string(n, &format!("{context}:source_project"))?;
            event.source_project = Some(path.trim_matches('/').to_owned());
        }
        for (key, slot) in [
            ("access", &mut event.access),
            ("source_access", &mut event.source_access),
        ] {
            if let Some(n) = map.get(key) {
                let text = self.string(n, &format!("{context}:{key}"))?;
                match Role::parse(&text) {
                    Some(role) => *slot = Some(role),
                    None => self.error(
                        format!(
                            "{context}:{key} `{text}` is not one of none, guest, reporter, \
                             developer, maintainer, owner"
                        ),
                        n.span,
                    ),
                }
            }
        }
        Some(Event::MergeRequest(event))
    }

    /// `wait: 31 days` (or `wait: {duration: 31 days}`): time passes, e.g. for artifacts to
    /// expire. Durations use GitLab's syntax (`expire_in`).
    fn wait(&mut self, node: &Node, context: &str) -> Option<Event> {
        let text = match node.get("duration") {
            Some(duration) => self.scalar(duration, &format!("{context}:duration"))?,
            None => self.scalar(node, context)?,
        };
        match crate::config::duration::parse_seconds(&text) {
            Some(seconds) => Some(Event::Wait { seconds }),
            None => {
                self.error(
                    format!("{context}: `{text}` is not a duration (e.g. `31 days`, `2h 30min`)"),
                    node.span,
                );
                None
            }
        }
    }

    /// `pipeline:` of a job action: a pipeline id as the report numbers them; `then` says what
    /// else the action takes.
    fn pipeline_id(&mut self, map: &Map, node: &Node, context: &str, then: &str) -> Option<u64> {
        match map.get("pipeline").map(|n| (&n.value, n.span)) {
            Some((Value::Int(i), _)) if *i > 0 => Some(*i as u64),
            Some((_, span)) => {
                self.error(
                    format!("{context}:pipeline must be a pipeline id (a positive whole number, as the report numbers pipelines)"),
                    span,
                );
                None
            }
            None => {
                self.error(
                    format!("{context} needs `pipeline:` (its id), {then}"),
                    node.span,
                );
                None
            }
        }
    }

    /// `play: {pipeline: 2, job: deploy}` / `retry: {...}`: a job action on an earlier pipeline.
    fn job_action(&mut self, node: &Node, context: &str, kind: JobActionKind) -> Option<Event> {
        let map = self.map(node, context, &["pipeline", "job"])?;
        let pipeline = self.pipeline_id(map, node, context, " and `job:`")?;
        let Some(job) = map.get("job") else {
            self.error(
                format!("{context} needs `job:` (the job's name)"),
                node.span,
            );
            return None;
        };
        let job = self.string(job, &format!("{context}:job"))?;
        Some(Event::JobAction(JobAction {
            kind,
            pipeline,
            job,
        }))
    }

    /// `push: [{branch: main}, {tag: v1.0.0, from: main}]`: one `git push` of several refs; the
    /// push options (`skip_ci`, `variables`) are the push's, given on its first ref.
    fn push_refs(&mut self, node: &Node, items: &[Node], context: &str) -> Option<Event> {
        if items.is_empty() {
            self.error(
                format!("{context}: a push of several refs needs at least one ref (`- {{branch: main}}`)"),
                node.span,
            );
            return None;
        }
        let mut refs = Vec::with_capacity(items.len());
        for (k, item) in items.iter().enumerate() {
            let item_context = format!("{context} ref {}", k + 1);
            let one = self.one_push(item, &item_context)?;
            if k > 0 && (one.skip_ci || !one.variables.is_empty()) {
                let span = item
                    .get("skip_ci")
                    .or_else(|| item.get("variables"))
                    .map_or(item.span, |n| n.span);
                self.error(
                    format!("{item_context}: push options (`skip_ci`, `variables`) belong to the whole push; give them on its first ref"),
                    span,
                );
                return None;
            }
            refs.push(one);
        }
        let mut first = refs.remove(0);
        first.other_refs = refs;
        Some(Event::Push(first))
    }

    /// `cancel: {pipeline: 3}` (the pipeline) or `cancel: {pipeline: 3, job: deploy}` (one job).
    fn cancel(&mut self, node: &Node, context: &str) -> Option<Event> {
        let map = self.map(node, context, &["pipeline", "job"])?;
        if map.get("job").is_some() {
            return self.job_action(node, context, JobActionKind::Cancel);
        }
        let pipeline = self.pipeline_id(map, node, context, ", and `job:` to cancel one job")?;
        Some(Event::JobAction(JobAction {
            kind: JobActionKind::CancelPipeline,
            pipeline,
            job: String::new(),
        }))
    }

    /// `settings: {merge_method, squash_option, git_push_pipeline_limit, merge_commit_template,
    /// squash_commit_template}`.
    fn merge_settings(&mut self, settings: &Map, project: &mut Project) {
        if let Some(method) = self.choice(
            settings,
            "merge_method",
            MergeMethod::parse,
            "merge, rebase_merge, ff",
        ) {
            project.settings.merge_method = method;
        }
        if let Some(option) = self.choice(
            settings,
            "squash_option",
            SquashOption::parse,
            "never, always, default_on, default_off",
        ) {
            project.settings.squash_option = option;
        }
        if let Some(v) = settings.get("merge_commit_template") {
            project.settings.merge_commit_template =
                self.scalar(v, "project:settings:merge_commit_template");
        }
        if let Some(v) = settings.get("squash_commit_template") {
            project.settings.squash_commit_template =
                self.scalar(v, "project:settings:squash_commit_template");
        }
        if let Some(v) = settings.get("git_push_pipeline_limit") {
            match &v.value {
                Value::Int(i) if (0..=i64::from(u32::MAX)).contains(i) => {
                    project.settings.git_push_pipeline_limit = *i as u32;
                }
                _ => self.error(
                    "project:settings:git_push_pipeline_limit must be a whole number (0 is no limit)",
                    v.span,
                ),
            }
        }
    }

    /// `settings:<key>`, one of the values `parse` reads (`allowed` names them); `None` (with an
    /// error when it is something else) when absent.
    fn choice<T>(
        &mut self,
        settings: &Map,
        key: &str,
        parse: fn(&str) -> Option<T>,
        allowed: &str,
    ) -> Option<T> {
        let v = settings.get(key)?;
        let text = self.string(v, &format!("project:settings:{key}"))?;
        let parsed = parse(&text);
        if parsed.is_none() {
            self.error(
                format!("project:settings:{key} `{text}` is not one of {allowed}"),
                v.span,
            );
        }
        parsed
    }

    /// `outcomes: {job: failed | success | played | skipped}`.
    fn outcomes(&mut self, node: &Node, context: &str) -> Vec<(String, JobOutcome)> {
        let mut out = Vec::new();
        for (job, value) in self.key_values(node, context) {
            match JobOutcome::parse(&value) {
                Some(outcome) => out.push((job, outcome)),
                None => self.error(
                    format!("{context}: `{job}: {value}` must be one of success, failed, played, skipped"),
                    node.span,
                ),
            }
        }
        out
    }

    fn merge(&mut self, node: &Node, context: &str) -> Option<Event> {
        let map = self.map(node, context, &["iid"])?;
        let iid = self.iid(map, node, context)?;
        Some(Event::Merge { iid })
    }

    fn manual(
        &mut self,
        node: &Node,
        context: &str,
        source: ManualSource,
        project: &Project,
    ) -> Option<Event> {
        let allowed: &[&str] = if source == ManualSource::Schedule {
            &["branch", "tag", "variables", "description", "inputs"]
        } else {
            &["branch", "tag", "variables", "inputs"]
        };
        let map = self.map(node, context, allowed)?;
        // Like the Run pipeline form, the default is the default branch.
        let target = self
            .ref_target(map, context)?
            .unwrap_or_else(|| RefTarget::Branch(project.default_branch.clone()));
        let variables = match map.get("variables") {
            Some(n) => self.key_values(n, &format!("{context}:variables")),
            None => Vec::new(),
        };
        let description = match map.get("description") {
            Some(n) => self.scalar(n, &format!("{context}:description")),
            None => None,
        };
        let inputs = match map.get("inputs") {
            Some(n) => self.pipeline_inputs(n, context),
            None => None,
        };
        Some(Event::Manual(ManualEvent {
            source,
            target,
            variables,
            description,
            inputs,
        }))
    }

    /// `branch:` or `tag:`; `Some(None)` when neither is given, `None` on an error.
    fn ref_target(&mut self, map: &Map, context: &str) -> Option<Option<RefTarget>> {
        match (map.get("branch"), map.get("tag")) {
            (Some(_), Some(tag)) => {
                self.error(
                    format!("{context}: give either `branch:` or `tag:`, not both"),
                    tag.span,
                );
                None
            }
            (Some(b), None) => Some(Some(RefTarget::Branch(
                self.ref_name(b, &format!("{context}:branch"))?,
            ))),
            (None, Some(t)) => Some(Some(RefTarget::Tag(
                self.ref_name(t, &format!("{context}:tag"))?,
            ))),
            (None, None) => Some(None),
        }
    }

    fn ref_name(&mut self, node: &Node, context: &str) -> Option<String> {
        let name = self.scalar(node, context)?;
        if let Some(problem) = ref_name_problem(&name) {
            self.error(format!("{context} {problem}"), node.span);
            return None;
        }
        Some(name)
    }

    fn iid(&mut self, map: &Map, node: &Node, context: &str) -> Option<u64> {
        let Some(n) = map.get("iid") else {
            self.error(
                format!("{context} needs an `iid:` (e.g. `iid: 1`)"),
                node.span,
            );
            return None;
        };
        let parsed = match &n.value {
            Value::Int(i) if *i > 0 => Some(*i as u64),
            Value::Str(s) => s.trim().trim_start_matches('!').parse::<u64>().ok(),
            _ => None,
        };
        match parsed {
            Some(iid) if iid > 0 => Some(iid),
            _ => {
                self.error(
                    format!("{context}:iid must be a positive whole number, like `1`"),
                    n.span,
                );
                None
            }
        }
    }

    /// A mapping whose keys are names (no fixed key list).
    fn map_any_keys<'a>(&mut self, node: &'a Node, context: &str) -> Option<&'a Map> {
        match &node.value {
            Value::Map(map) => Some(map),
            Value::Null => None,
            _ => {
                self.error(
                    format!("{context} must be a mapping, not {}", article(node)),
                    node.span,
                );
                None
            }
        }
    }

    /// `{K: V}` with scalar values, stringified the way Ruby's `to_s` does.
    fn key_values(&mut self, node: &Node, context: &str) -> Vec<(String, String)> {
        let Some(map) = self.map_any_keys(node, context) else {
            return Vec::new();
        };
        let mut out = Vec::new();
        for (key, value) in &map.entries {
            let Some(name) = self.variable_name(key, context) else {
                continue;
            };
            if let Some(text) = self.scalar(value, &format!("{context}:{name}")) {
                out.push((name, text));
            }
        }
        out
    }

    /// A CI/CD variable key: letters, digits and `_` (Ci::HasVariable `key` format).
    fn variable_name(&mut self, key: &Node, context: &str) -> Option<String> {
        let name = key.scalar_to_s().unwrap_or_default();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            self.error(
                format!(
                    "{context}: `{name}` is not a valid variable key (only letters, digits and \
                     `_`)"
                ),
                key.span,
            );
            return None;
        }
        Some(name)
    }

    fn file_path(&mut self, node: &Node, context: &str) -> Option<String> {
        let path = node.scalar_to_s().unwrap_or_default();
        let normalized = crate::source::normalize_path(&path);
        if normalized.is_empty() {
            self.error(
                format!("{context}: a file path must not be empty"),
                node.span,
            );
            return None;
        }
        Some(normalized)
    }

    fn file_content(&mut self, node: &Node, context: &str) -> Option<String> {
        match &node.value {
            Value::Str(s) => Some(s.clone()),
            Value::Null => Some(String::new()),
            Value::Map(_) | Value::Seq(_) | Value::Reference(_) => {
                self.error(
                    format!(
                        "{context} must be the file's text (use a `|` block), not {}",
                        article(node)
                    ),
                    node.span,
                );
                None
            }
            _ => node.scalar_to_s(),
        }
    }

    /// A scalar as a string (numbers and booleans as Ruby's `to_s` prints them).
    fn scalar(&mut self, node: &Node, context: &str) -> Option<String> {
        match &node.value {
            Value::Map(_) | Value::Seq(_) | Value::Reference(_) => {
                self.error(
                    format!("{context} must be a single value, not {}", article(node)),
                    node.span,
                );
                None
            }
            _ => node.scalar_to_s(),
        }
    }

    /// A string value (a number is accepted and stringified).
    fn string(&mut self, node: &Node, context: &str) -> Option<String> {
        match &node.value {
            Value::Null => {
                self.error(format!("{context} must not be empty"), node.span);
                None
            }
            _ => self.scalar(node, context),
        }
    }

    fn boolean(&mut self, node: &Node, context: &str) -> Option<bool> {
        match &node.value {
            Value::Bool(b) => Some(*b),
            _ => {
                self.error(
                    format!("{context} must be true or false, not {}", article(node)),
                    node.span,
                );
                None
            }
        }
    }

    /// A list of strings; a single string is a one-item list.
    fn strings(&mut self, node: &Node, context: &str) -> Vec<String> {
        match &node.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|item| self.scalar(item, &format!("{context} item")))
                .collect(),
            Value::Null => Vec::new(),
            Value::Map(_) | Value::Reference(_) => {
                self.error(
                    format!("{context} must be a list, not {}", article(node)),
                    node.span,
                );
                Vec::new()
            }
            _ => node.scalar_to_s().into_iter().collect(),
        }
    }

    fn paths(&mut self, node: &Node, context: &str) -> Vec<String> {
        self.strings(node, context)
            .into_iter()
            .map(|p| crate::source::normalize_path(&p))
            .filter(|p| !p.is_empty())
            .collect()
    }
}

/// "a list", "a mapping", "the number 3"... for messages.
fn article(node: &Node) -> String {
    match &node.value {
        Value::Null => "empty".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Int(i) => format!("the number {i}"),
        Value::Float(_) => "a number".to_owned(),
        Value::Str(s) => format!("the string \"{s}\""),
        Value::Symbol(s) => format!("the symbol :{s}"),
        Value::Seq(_) => "a list".to_owned(),
        Value::Map(_) => "a mapping".to_owned(),
        Value::Reference(_) => "a !reference".to_owned(),
    }
}

/// Why `name` cannot be a branch or tag name (`git check-ref-format`, which GitLab's
/// `Gitlab::GitRefValidator` applies), worded to follow "`--branch`" or "`push:branch`";
/// `None` when it can. Scenario files and the CLI's `--branch`/`--tag` both check here.
pub fn ref_name_problem(name: &str) -> Option<String> {
    if name.trim().is_empty() {
        return Some("must not be empty".into());
    }
    let reason = if name.contains(char::is_whitespace) {
        "it contains a space"
    } else if name.chars().any(|c| c.is_control()) {
        "it contains a control character"
    } else if name.contains(['~', '^', ':', '?', '*', '[', '\\']) {
        "it contains one of ~ ^ : ? * [ \\"
    } else if name.contains("..") {
        "it contains `..`"
    } else if name.contains("@{") || name == "@" {
        "it contains `@{` or is `@`"
    } else if name.starts_with('/') || name.ends_with('/') || name.contains("//") {
        "it starts or ends with `/` or contains `//`"
    } else if name.ends_with('.') {
        "it ends with `.`"
    } else if name.starts_with('-') {
        "it starts with `-`"
    } else if name
        .split('/')
        .any(|part| part.starts_with('.') || part.ends_with(".lock"))
    {
        "a part of it starts with `.` or ends with `.lock`"
    } else {
        return None;
    };
    Some(format!("`{name}` is not a valid Git ref name ({reason})"))
}

/// The keys of a CI/CD variable written as a mapping (the API's attribute names).
const VARIABLE_KEYS: &[&str] = &[
    "value",
    "protected",
    "masked",
    "hidden",
    "raw",
    "variable_type",
    "environment_scope",
    "description",
];

/// Instance and group variables, and the CI/CD variables of a project, a group or the
/// instance (app/models/ci/variable.rb, ci/group_variable.rb, ci/instance_variable.rb).
impl Parser {
    /// `variables:` of a project, group or the instance: a mapping `KEY: value | {...}`, or a
    /// list of `{key: KEY, ...}` (one key may then have several environment scopes).
    fn ci_variables(
        &mut self,
        node: &Node,
        context: &str,
        level: super::ci_variables::Level,
    ) -> Vec<ProjectVariable> {
        let mut out: Vec<ProjectVariable> = Vec::new();
        match &node.value {
            Value::Seq(items) => {
                for item in items {
                    if item.as_map().is_none() {
                        self.error(
                            format!(
                                "{context} item must be a mapping (`- key: TOKEN`), not {}",
                                article(item)
                            ),
                            item.span,
                        );
                        continue;
                    }
                    let Some(key_node) = item.get("key") else {
                        self.error(
                            format!("{context} item needs a `key:` (e.g. `key: TOKEN`)"),
                            item.span,
                        );
                        continue;
                    };
                    let Some(name) = self.variable_name(key_node, context) else {
                        continue;
                    };
                    if let Some(variable) = self.ci_variable(name, item, context, level) {
                        self.unique_variable(&out, &variable, key_node.span);
                        out.push(variable);
                    }
                }
            }
            _ => {
                let Some(map) = self.map_any_keys(node, context) else {
                    return out;
                };
                for (key, value) in &map.entries {
                    let Some(name) = self.variable_name(key, context) else {
                        continue;
                    };
                    if let Some(variable) = self.ci_variable(name, value, context, level) {
                        out.push(variable);
                    }
                }
            }
        }
        out
    }

    /// One variable: a scalar value, or its attributes.
    fn ci_variable(
        &mut self,
        name: String,
        value: &Node,
        context: &str,
        level: super::ci_variables::Level,
    ) -> Option<ProjectVariable> {
        let context = format!("{context}:{name}");
        let mut variable = ProjectVariable {
            key: name,
            ..ProjectVariable::default()
        };
        let Value::Map(_) = &value.value else {
            variable.value = self.scalar(value, &context)?;
            return Some(variable);
        };
        let keys: &[&str] = if value.get("key").is_some() {
            &[
                "key",
                "value",
                "protected",
                "masked",
                "hidden",
                "raw",
                "variable_type",
                "environment_scope",
                "description",
            ]
        } else {
            VARIABLE_KEYS
        };
        let fields = self.map(value, &context, keys)?;
        variable.value = match fields.get("value") {
            Some(v) => self.scalar(v, &format!("{context}:value"))?,
            None => {
                self.error(format!("{context} needs a `value:`"), value.span);
                return None;
            }
        };
        let flag = |parser: &mut Parser, key: &str| match fields.get(key) {
            Some(n) => parser
                .boolean(n, &format!("{context}:{key}"))
                .unwrap_or(false),
            None => false,
        };
        variable.protected = flag(self, "protected");
        variable.masked = flag(self, "masked");
        variable.hidden = flag(self, "hidden");
        variable.raw = flag(self, "raw");
        if let Some(n) = fields.get("variable_type") {
            match self
                .string(n, &format!("{context}:variable_type"))?
                .as_str()
            {
                "env_var" => {}
                "file" => variable.file = true,
                other => {
                    self.error(
                        format!("{context}:variable_type `{other}` is not one of env_var, file"),
                        n.span,
                    );
                    return None;
                }
            }
        }
        if let Some(n) = fields.get("environment_scope") {
            let scope = self.string(n, &format!("{context}:environment_scope"))?;
            // HasEnvironmentScope#environment_scope= strips the value.
            let scope = scope.trim().to_owned();
            if level == super::ci_variables::Level::Instance {
                self.error(
                    format!(
                        "{context}:environment_scope: instance variables have no environment scope (only group and project variables do)"
                    ),
                    n.span,
                );
                return None;
            }
            if !super::ci_variables::valid_scope(&scope) {
                self.error(
                    format!(
                        "{context}:environment_scope `{scope}` may hold only letters, digits, `-`, `_`, `/`, `$`, `{{`, `}}`, `.`, `*` and spaces"
                    ),
                    n.span,
                );
                return None;
            }
            variable.environment_scope = Some(scope);
        }
        if variable.hidden && !variable.masked {
            // The API's `masked_and_hidden: true` makes a variable masked and hidden.
            variable.masked = true;
        }
        if variable.masked {
            self.maskable(
                &variable,
                &context,
                fields.get("value").map_or(value.span, |n| n.span),
            );
        }
        Some(variable)
    }

    /// Ci::Maskable: a masked value must match `REGEX` (or, raw, `MASK_AND_RAW_REGEX`), else
    /// the variable is not saved: "Value is invalid".
    fn maskable(&mut self, variable: &ProjectVariable, context: &str, span: Span) {
        use super::ci_variables::{maskable, maskable_raw};
        let ok = if variable.raw {
            maskable_raw(&variable.value)
        } else {
            maskable(&variable.value)
        };
        if ok {
            return;
        }
        let rule = if variable.raw {
            "a masked raw value must be one line of at least 8 characters without spaces (Ci::Maskable::MASK_AND_RAW_REGEX)"
        } else {
            "a masked value must be one line of at least 8 characters, only letters, digits and `_ + = / @ : . ~ -` (Ci::Maskable::REGEX); with `raw: true` any character but whitespace is allowed"
        };
        self.findings.push(
            Finding::error(INVALID, format!("{context}: Value is invalid"), Some(span)).explain(
                format!(
                    "GitLab refuses to save this variable: {rule}. GitLab's own words are \"Value is invalid\" (the model's format validation)."
                ),
            ),
        );
    }

    /// `validates :key, uniqueness: {scope: [.., :environment_scope]}`: one key per scope.
    fn unique_variable(
        &mut self,
        earlier: &[ProjectVariable],
        variable: &ProjectVariable,
        span: Span,
    ) {
        let scope = |v: &ProjectVariable| v.environment_scope.clone().unwrap_or_else(|| "*".into());
        if earlier
            .iter()
            .any(|v| v.key == variable.key && scope(v) == scope(variable))
        {
            self.error(
                format!("Key ({}) has already been taken", variable.key),
                span,
            );
        }
    }

    /// `instance: {variables}` and `groups: [{path, variables}]`: each project gets the
    /// instance variables and those of every group its path lies under, the top-level group
    /// first (builder/group.rb: the nearest group's win).
    fn instance_and_groups(
        &mut self,
        root: &Map,
        main: &mut Project,
        others: &mut [(Project, Files)],
    ) {
        use super::ci_variables::Level;
        let mut instance = Vec::new();
        if let Some(node) = root.get("instance") {
            if let Some(fields) = self.map(node, "instance", &["variables"]) {
                if let Some(v) = fields.get("variables") {
                    instance = self.ci_variables(v, "instance:variables", Level::Instance);
                }
            }
        }
        let mut groups: Vec<super::GroupVariables> = Vec::new();
        if let Some(node) = root.get("groups") {
            let items = match &node.value {
                Value::Seq(items) => items.as_slice(),
                Value::Null => &[],
                _ => {
                    self.error(
                        format!(
                            "groups must be a list (`- path: group/sub`), not {}",
                            article(node)
                        ),
                        node.span,
                    );
                    &[]
                }
            };
            for item in items {
                let Some(fields) = self.map(item, "groups item", &["path", "variables"]) else {
                    continue;
                };
                let Some(path_node) = fields.get("path") else {
                    self.error(
                        "groups item needs a `path:` (e.g. `path: group/sub`)",
                        item.span,
                    );
                    continue;
                };
                let Some(path) = self.string(path_node, "groups item:path") else {
                    continue;
                };
                let path = path.trim_matches('/').to_owned();
                if groups.iter().any(|g| g.path == path) {
                    self.error(format!("groups: `{path}` is listed twice"), path_node.span);
                    continue;
                }
                let under = |p: &Project| {
                    p.path
                        .strip_prefix(path.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
                };
                if !under(main) && !others.iter().any(|(p, _)| under(p)) {
                    self.warning(
                        format!(
                            "groups: no project of the scenario is in `{path}` (a project `{path}/app` would be)"
                        ),
                        path_node.span,
                    );
                }
                let variables = match fields.get("variables") {
                    Some(v) => {
                        self.ci_variables(v, &format!("groups:{path}:variables"), Level::Group)
                    }
                    None => Vec::new(),
                };
                groups.push(super::GroupVariables { path, variables });
            }
        }
        if instance.is_empty() && groups.is_empty() {
            return;
        }
        for project in std::iter::once(main).chain(others.iter_mut().map(|(p, _)| p)) {
            project.instance_variables = instance.clone();
            let mut mine: Vec<super::GroupVariables> = groups
                .iter()
                .filter(|g| {
                    project
                        .path
                        .strip_prefix(g.path.as_str())
                        .is_some_and(|rest| rest.starts_with('/'))
                })
                .cloned()
                .collect();
            // The top-level group first: fewer path segments.
            crate::sort::sort_by(&mut mine, |a, b| {
                a.path
                    .matches('/')
                    .count()
                    .cmp(&b.path.matches('/').count())
            });
            project.group_variables = mine;
        }
    }
}

/// Pipeline inputs on a `web`, `api`, `trigger` or `schedule` event.
impl Parser {
    /// `inputs: {name: value}`: kept as YAML, since an input may be a string, a number, a
    /// boolean or an array (`spec:inputs` types), and checked when the configuration is read.
    fn pipeline_inputs(&mut self, node: &Node, context: &str) -> Option<Node> {
        match &node.value {
            Value::Map(_) => Some(node.clone()),
            Value::Null => None,
            _ => {
                self.error(
                    format!(
                        "{context}:inputs must be a mapping of input names to values, not {}",
                        article(node)
                    ),
                    node.span,
                );
                None
            }
        }
    }
}

/// The keys of a `project:` read on its own ([`parse_project`]): a scenario's `project:` with
/// the project CI/CD variables beside it.
const PROJECT_ALONE_KEYS: &[&str] = &[
    "path",
    "default_branch",
    "tier",
    "server_url",
    "settings",
    "job_token",
    "access",
    "variables",
];

/// A `project:` mapping read with the scenario's parser, for the other files that describe a
/// project (the matrix's events and tests files): the same keys as a scenario's `project:`,
/// with `variables:` (project CI/CD variables) inside it. `None` when the mapping cannot be
/// read; the findings carry the scenario's codes.
pub(crate) fn parse_project(node: &Node) -> (Option<Project>, Vec<Finding>) {
    let mut parser = Parser {
        findings: Vec::new(),
    };
    let mut project = parser.project_with(node, "project", PROJECT_ALONE_KEYS);
    if let (Some(project), Some(variables)) = (project.as_mut(), node.get("variables")) {
        project.variables = parser.project_variables(variables);
    }
    (project, parser.findings)
}
