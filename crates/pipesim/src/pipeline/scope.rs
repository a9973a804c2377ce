//! The variables a rule reads, layered in GitLab's precedence order without copying the
//! pipeline-wide layers for every job.
//!
//! Source: lib/gitlab/ci/variables/builder.rb — `scoped_variables_for_pipeline_seed` (job
//! rules), `config_variables` (`include:rules`), and lib/gitlab/ci/build/context/global.rb
//! (`workflow:rules`, which drops `CI_JOB_*`/`CI_BUILD_*`).

use std::collections::HashMap;

use serde::Serialize;

use crate::event::{PipelineRequest, Project};
use crate::expr::Variables;
use crate::yaml::{Node, Value};

/// Where a value came from, lowest precedence first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// `CI_JOB_NAME`, `CI_NODE_TOTAL`... from the job's own attributes.
    JobPredefined,
    /// Project and pipeline predefined variables.
    Predefined,
    /// `variables:` in the configuration (global, `workflow:rules`, job, matrix, rule).
    Configuration,
    /// An instance CI/CD variable.
    Instance,
    /// A CI/CD variable of a group above the project.
    Group,
    /// A project CI/CD variable (Settings > CI/CD > Variables).
    Project,
    /// A pipeline variable (Run pipeline form, API, trigger, push option).
    Pipeline,
    /// A schedule's variable.
    Schedule,
}

impl Origin {
    pub fn describe(self) -> &'static str {
        match self {
            Origin::JobPredefined => "a predefined job variable",
            Origin::Predefined => "a predefined variable",
            Origin::Configuration => "set in the configuration's variables",
            Origin::Instance => "an instance CI/CD variable",
            Origin::Group => "a group CI/CD variable",
            Origin::Project => "a project CI/CD variable",
            Origin::Pipeline => "a pipeline variable",
            Origin::Schedule => "a schedule variable",
        }
    }
}

/// The pipeline-wide layers: predefined variables below the configuration's variables, and
/// the project's and the pipeline's own variables above them.
pub struct PipelineScope {
    pub predefined: HashMap<String, String>,
    /// Project CI/CD variables (protected ones only on protected refs), then pipeline or
    /// schedule variables; a later layer overrides an earlier one.
    pub settings: HashMap<String, (String, Origin)>,
    /// Protected project variables this pipeline does not get: its ref is not protected
    /// (builder.rb `secret_project_variables(protected_ref: protected_ref?)`).
    pub withheld: Vec<String>,
    /// Instance, group and project variables with their `environment_scope`, when some scope
    /// is not `*`: a job's rules see the ones its environment matches
    /// (`scoped_variables_for_pipeline_seed(environment:)`). Empty otherwise.
    pub scoped: Vec<ScopedVariable>,
}

/// A user-defined variable whose winner depends on the job's environment.
pub struct ScopedVariable {
    pub key: String,
    pub value: String,
    pub origin: Origin,
    pub environment_scope: Option<String>,
    /// The block GitLab appends it in: instance, then each group top-level first, then the
    /// project; a later block wins whatever the relevance.
    pub block: usize,
}

impl PipelineScope {
    pub fn new(
        project: &Project,
        request: &PipelineRequest,
        predefined: Vec<(String, String)>,
    ) -> Self {
        let mut settings = HashMap::new();
        let mut withheld = Vec::new();
        let mut scoped = Vec::new();
        if crate::event::ci_variables::has_extended(project) {
            user_defined(project, request, &mut settings, &mut withheld, &mut scoped);
        } else {
            for variable in &project.variables {
                if variable.protected && !request.protected {
                    withheld.push(variable.key.clone());
                    continue;
                }
                settings.insert(
                    variable.key.clone(),
                    (variable.value.clone(), Origin::Project),
                );
            }
        }
        let origin = if request.source == crate::event::Source::Schedule {
            Origin::Schedule
        } else {
            Origin::Pipeline
        };
        for (key, value) in &request.pipeline_variables {
            settings.insert(key.clone(), (value.clone(), origin));
        }
        PipelineScope {
            predefined: predefined.into_iter().collect(),
            settings,
            withheld,
            scoped,
        }
    }

    /// Whether some user-defined variable depends on the job's environment.
    pub fn has_scoped(&self) -> bool {
        !self.scoped.is_empty()
    }

    /// What `include:rules` sees (`Builder#config_variables`): no configuration variables yet.
    pub fn for_includes(&self) -> Scope<'_> {
        Scope {
            pipeline: self,
            configuration: &[],
            job: &[],
            global: false,
            environment: None,
        }
    }

    /// What `workflow:rules` sees: the global context, with the configuration's top-level
    /// variables and no job variables.
    pub fn for_workflow<'a>(&'a self, configuration: &'a [(&'a str, &'a str)]) -> Scope<'a> {
        Scope {
            pipeline: self,
            configuration,
            job: &[],
            global: true,
            environment: None,
        }
    }

    pub fn for_job<'a>(
        &'a self,
        configuration: &'a [(&'a str, &'a str)],
        job: &'a [(&'static str, String)],
    ) -> Scope<'a> {
        Scope {
            pipeline: self,
            configuration,
            job,
            global: false,
            environment: None,
        }
    }
}

/// One rule's view of the variables.
#[derive(Clone, Copy)]
pub struct Scope<'a> {
    pipeline: &'a PipelineScope,
    /// Configuration variables, later entries win.
    configuration: &'a [(&'a str, &'a str)],
    job: &'a [(&'static str, String)],
    /// The global context hides `CI_JOB_*` and `CI_BUILD_*` (context/global.rb).
    global: bool,
    /// The job's expanded environment name, for `environment_scope`d variables.
    environment: Option<&'a str>,
}

impl<'a> Scope<'a> {
    /// This scope for a job in `environment` (its expanded `environment:name`).
    pub fn in_environment(self, environment: Option<&'a str>) -> Scope<'a> {
        Scope {
            environment,
            ..self
        }
    }
}

impl Scope<'_> {
    pub fn lookup(&self, name: &str) -> Option<(&str, Origin)> {
        if self.global && (name.starts_with("CI_JOB") || name.starts_with("CI_BUILD")) {
            return None;
        }
        if !self.pipeline.scoped.is_empty() {
            if let Some(found) = self.scoped_lookup(name) {
                return Some(found);
            }
        } else if let Some((value, origin)) = self.pipeline.settings.get(name) {
            return Some((value, *origin));
        }
        if let Some((_, value)) = self.configuration.iter().rev().find(|(k, _)| *k == name) {
            return Some((value, Origin::Configuration));
        }
        if let Some(value) = self.pipeline.predefined.get(name) {
            return Some((value, Origin::Predefined));
        }
        if let Some((_, value)) = self.job.iter().rev().find(|(k, _)| *k == name) {
            return Some((value, Origin::JobPredefined));
        }
        None
    }

    /// A user-defined or pipeline variable when some variable has an environment scope:
    /// pipeline and schedule variables win; else the latest block with a definition matching
    /// the environment, its most relevant scope (`on_environment` order).
    fn scoped_lookup(&self, name: &str) -> Option<(&str, Origin)> {
        if let Some((value, origin)) = self.pipeline.settings.get(name) {
            if matches!(origin, Origin::Pipeline | Origin::Schedule) {
                return Some((value, *origin));
            }
        }
        let mut best: Option<(usize, u8, &ScopedVariable)> = None;
        for variable in self.pipeline.scoped.iter().filter(|v| v.key == name) {
            let Some(relevance) = crate::event::ci_variables::scope_relevance(
                variable.environment_scope.as_deref(),
                self.environment,
            ) else {
                continue;
            };
            if best.is_none_or(|(block, rank, _)| (variable.block, relevance) >= (block, rank)) {
                best = Some((variable.block, relevance, variable));
            }
        }
        best.map(|(_, _, v)| (v.value.as_str(), v.origin))
    }

    /// The `environment_scope` of a variable named `name` that this scope does not see
    /// because its environment does not match (checked only once `name` is not found).
    pub fn out_of_scope(&self, name: &str) -> Option<&str> {
        self.pipeline
            .scoped
            .iter()
            .find(|v| {
                v.key == name
                    && crate::event::ci_variables::scope_relevance(
                        v.environment_scope.as_deref(),
                        self.environment,
                    )
                    .is_none()
            })
            .and_then(|v| v.environment_scope.as_deref())
    }

    /// The job's environment, as this scope matches scopes against it.
    pub fn environment(&self) -> Option<&str> {
        self.environment
    }

    /// Whether `name` is a protected project variable this pipeline does not get.
    pub fn is_withheld(&self, name: &str) -> bool {
        self.pipeline.withheld.iter().any(|w| w == name)
    }

    /// `ExpandVariables.expand_existing`: `$VAR`, `${VAR}` and `%VAR%` of variables that exist
    /// are replaced (recursively, as `variables_hash_expanded` holds expanded values); unknown
    /// ones stay as written.
    pub fn expand_existing(&self, text: &str) -> String {
        self.expand_depth(text, 0)
    }

    fn expand_depth(&self, text: &str, depth: usize) -> String {
        if !text.contains('$') && !text.contains('%') || depth > 10 {
            return text.to_owned();
        }
        let bytes = text.as_bytes();
        let mut out = String::with_capacity(text.len());
        let mut i = 0;
        while i < bytes.len() {
            let (name, consumed) = variable_at(text, i);
            if consumed > 0 {
                if let Some((value, _)) = self.lookup(name) {
                    out.push_str(&self.expand_depth(value, depth + 1));
                    i += consumed;
                    continue;
                }
            }
            let ch = text[i..].chars().next().unwrap_or(' ');
            out.push(ch);
            i += ch.len_utf8();
        }
        out
    }
}

fn is_name_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// The variable reference starting at byte `at`, if any: its name and length in bytes.
fn variable_at(text: &str, at: usize) -> (&str, usize) {
    let bytes = text.as_bytes();
    let rest = &bytes[at..];
    let name_len = |from: usize| {
        rest[from..]
            .iter()
            .take_while(|b| is_name_byte(**b))
            .count()
    };
    match rest.first() {
        Some(b'$') if rest.get(1) == Some(&b'{') => {
            let len = name_len(2);
            if len > 0 && rest.get(2 + len) == Some(&b'}') {
                return (&text[at + 2..at + 2 + len], len + 3);
            }
        }
        Some(b'$') => {
            let len = name_len(1);
            if len > 0 {
                return (&text[at + 1..at + 1 + len], len + 1);
            }
        }
        Some(b'%') => {
            let len = name_len(1);
            if len > 0 && rest.get(1 + len) == Some(&b'%') {
                return (&text[at + 1..at + 1 + len], len + 2);
            }
        }
        _ => {}
    }
    ("", 0)
}

impl Variables for Scope<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.lookup(name).map(|(value, _)| value)
    }
}

/// `variables:` as name/value pairs: `KEY: value` or `KEY: {value: ..., description: ...}`;
/// numbers and booleans become their Ruby `to_s`.
pub fn yaml_variables(node: Option<&Node>) -> Vec<(String, String)> {
    let Some(map) = node.and_then(Node::as_map) else {
        return Vec::new();
    };
    let mut out = Vec::with_capacity(map.len());
    for (key, value) in map.iter() {
        let Some(name) = key.scalar_to_s() else {
            continue;
        };
        let text = match &value.value {
            Value::Map(m) => m
                .get("value")
                .and_then(Node::scalar_to_s)
                .unwrap_or_default(),
            _ => value.scalar_to_s().unwrap_or_default(),
        };
        out.push((name, text));
    }
    out
}

/// Names of `variables:` entries written `{value: ..., expand: false}` (passed as written).
pub fn raw_variable_names(node: Option<&Node>) -> Vec<String> {
    let Some(map) = node.and_then(Node::as_map) else {
        return Vec::new();
    };
    map.iter()
        .filter(|(_, v)| {
            v.as_map()
                .and_then(|m| m.get("expand"))
                .and_then(Node::as_bool)
                == Some(false)
        })
        .filter_map(|(k, _)| k.scalar_to_s())
        .collect()
}

/// Variables as pairs of `&str`, for a [`Scope`].
pub fn variable_pairs(variables: &[(String, String)]) -> Vec<(&str, &str)> {
    variables
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}

/// The global variables a job inherits (`inherit:variables: true | false | [names]`).
pub fn inherited_variables<'a>(
    global: &'a [(String, String)],
    job: &Node,
) -> Vec<&'a (String, String)> {
    match job
        .get("inherit")
        .and_then(|i| i.get("variables"))
        .map(|n| &n.value)
    {
        Some(Value::Bool(false)) => Vec::new(),
        Some(Value::Seq(names)) => {
            let names: Vec<String> = names.iter().filter_map(Node::scalar_to_s).collect();
            global.iter().filter(|(k, _)| names.contains(k)).collect()
        }
        _ => global.iter().collect(),
    }
}

/// Instance, group and project variables in GitLab's order (builder.rb
/// `secret_instance_variables`, `secret_group_variables`, `secret_project_variables`):
/// the `*`-scoped ones into `settings` (what `include:rules` and `workflow:rules` see:
/// `environment: nil`), every one into `scoped` when some scope is not `*`, and the protected
/// ones of an unprotected ref into `withheld`.
fn user_defined(
    project: &Project,
    request: &PipelineRequest,
    settings: &mut HashMap<String, (String, Origin)>,
    withheld: &mut Vec<String>,
    scoped: &mut Vec<ScopedVariable>,
) {
    use crate::event::ci_variables::{is_scoped, secret_variables, Level};
    let origin = |level: Level| match level {
        Level::Instance => Origin::Instance,
        Level::Group => Origin::Group,
        Level::Project => Origin::Project,
    };
    for secret in secret_variables(project, request.protected, None) {
        settings.insert(
            secret.variable.key.clone(),
            (secret.variable.value.clone(), origin(secret.level)),
        );
    }
    let all = project
        .instance_variables
        .iter()
        .map(|v| (v, Level::Instance, 0))
        .chain(
            project
                .group_variables
                .iter()
                .enumerate()
                .flat_map(|(i, g)| g.variables.iter().map(move |v| (v, Level::Group, i + 1))),
        )
        .chain(
            project
                .variables
                .iter()
                .map(|v| (v, Level::Project, project.group_variables.len() + 1)),
        );
    let any_scoped = project
        .group_variables
        .iter()
        .flat_map(|g| &g.variables)
        .chain(&project.variables)
        .any(is_scoped);
    for (variable, level, block) in all {
        if variable.protected && !request.protected {
            if !withheld.contains(&variable.key) {
                withheld.push(variable.key.clone());
            }
            continue;
        }
        if any_scoped {
            scoped.push(ScopedVariable {
                key: variable.key.clone(),
                value: variable.value.clone(),
                origin: origin(level),
                environment_scope: variable.environment_scope.clone(),
                block,
            });
        }
    }
}
