//! GitLab's entry validation (lib/gitlab/ci/config/entry/*.rb), reproduced message for message.
//!
//! Messages are built like `Gitlab::Config::Entry::Validator#messages`: the `:`-joined location,
//! a space, the humanized attribute and the validator text, all lower-cased. An entry with an
//! error of its own does not validate its children (`Configurable#compose!` returns early), so
//! neither do we. See docs/research/job-validation.md for the sources of each text.

use crate::diagnostic::Finding;
use crate::source::Span;
use crate::yaml::{Map, Node, Value};

use super::duration::{self, parse_seconds};

/// Keys of the root entry that are not jobs (`Entry::Root` nodes). Anything else at the top
/// level, `types:` and a stray `spec:` included, is a job candidate (root.rb `filter_jobs!`).
pub const GLOBAL_KEYS: &[&str] = &[
    "default",
    "include",
    "before_script",
    "image",
    "services",
    "after_script",
    "variables",
    "stages",
    "cache",
    "workflow",
];

const PROCESSABLE_KEYS: &[&str] = &[
    "extends",
    "stage",
    "only",
    "except",
    "rules",
    "variables",
    "inherit",
    "allow_failure",
    "when",
    "needs",
    "resource_group",
    "environment",
    "interruptible",
];

/// `Entry::Job::ALLOWED_KEYS`, plus EE keywords GitLab.com accepts (`secrets`, `identity`,
/// `dast_configuration`).
const JOB_KEYS: &[&str] = &[
    "tags",
    "script",
    "image",
    "services",
    "start_in",
    "artifacts",
    "cache",
    "dependencies",
    "before_script",
    "after_script",
    "hooks",
    "coverage",
    "retry",
    "parallel",
    "timeout",
    "release",
    "id_tokens",
    "publish",
    "pages",
    "manual_confirmation",
    "run",
    "secrets",
    "identity",
    "dast_configuration",
];

const BRIDGE_KEYS: &[&str] = &["trigger", "parallel"];

const JOB_WHEN: &[&str] = &["on_success", "on_failure", "always", "manual", "delayed"];
const BRIDGE_WHEN: &[&str] = &["on_success", "on_failure", "always", "manual"];
const RULE_WHEN: &[&str] = &[
    "on_success",
    "on_failure",
    "always",
    "never",
    "manual",
    "delayed",
];
const RULE_KEYS: &[&str] = &[
    "if",
    "changes",
    "exists",
    "when",
    "start_in",
    "allow_failure",
    "variables",
    "needs",
    "interruptible",
];
const WORKFLOW_RULE_KEYS: &[&str] = &[
    "if",
    "changes",
    "exists",
    "when",
    "variables",
    "auto_cancel",
];
const WORKFLOW_RULE_WHEN: &[&str] = &["always", "never"];
/// Keys `default:` can set (`Entry::Default::ALLOWED_KEYS`).
pub const DEFAULT_KEYS: &[&str] = &[
    "after_script",
    "artifacts",
    "before_script",
    "cache",
    "hooks",
    "id_tokens",
    "image",
    "interruptible",
    "retry",
    "services",
    "tags",
    "timeout",
];

/// GitLab's `Entry::Tags::TAGS_LIMIT` (an error at 50 or more).
const TAGS_LIMIT: usize = 50;
/// `Entry::Product::Parallel::PARALLEL_LIMIT`.
pub const PARALLEL_LIMIT: i64 = 200;
const COMMANDS_MAX_NESTING: usize = 10;

#[derive(Default)]
pub struct Validation {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

/// What kind of entry GitLab makes of a top-level job key (`Entry::Jobs::TYPES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    Hidden,
    Job,
    Bridge,
}

pub fn job_kind(name: &str, value: &Node) -> Option<JobKind> {
    if name.starts_with('.') {
        return Some(JobKind::Hidden);
    }
    let map = value.as_map()?;
    if map.contains_key("script") || map.contains_key("run") {
        Some(JobKind::Job)
    } else if map.contains_key("trigger") {
        Some(JobKind::Bridge)
    } else {
        None
    }
}

/// `lenient`: some include could not be read offline, so a job that `extends` something may
/// get its `script` from there; such jobs are not reported as lacking one.
pub fn validate(root: &Node, lenient: bool) -> Validation {
    let mut v = Validation::default();
    let Some(map) = root.as_map() else {
        return v;
    };
    let has_workflow_rules = map
        .get("workflow")
        .and_then(|w| w.get("rules"))
        .is_some_and(|r| !r.is_null());
    validate_globals(map, &mut v);
    validate_jobs(map, has_workflow_rules, lenient, &mut v);
    v
}

fn err(v: &mut Validation, code: &'static str, message: String, span: Span) {
    v.errors
        .push(Finding::error(code, message.to_lowercase(), Some(span)));
}

fn key_span(map: &Map, key: &str) -> Option<Span> {
    map.entry(key).map(|(k, _)| k.span)
}

fn is_string(node: &Node) -> bool {
    matches!(node.value, Value::Str(_) | Value::Symbol(_))
}

fn is_array_of_strings(node: &Node) -> bool {
    node.as_seq()
        .is_some_and(|items| items.iter().all(is_string))
}

/// Where an entry is, as GitLab's messages name it (`jobs:build:rules:rule`). The parts are
/// joined only when a message is written: most entries validate without one.
#[derive(Clone, Copy)]
struct Loc<'a> {
    parent: Option<&'a Loc<'a>>,
    part: &'a str,
}

impl<'a> Loc<'a> {
    fn root(part: &'a str) -> Self {
        Loc { parent: None, part }
    }

    fn child(&'a self, part: &'a str) -> Loc<'a> {
        Loc {
            parent: Some(self),
            part,
        }
    }
}

impl std::fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}:")?;
        }
        f.write_str(self.part)
    }
}

fn unknown_keys<'a>(map: &'a Map, allowed: &[&[&str]]) -> Vec<&'a Node> {
    map.entries
        .iter()
        .map(|(k, _)| k)
        .filter(|k| {
            let name = k.scalar_str().unwrap_or_default();
            !allowed.iter().any(|set| set.contains(&name.as_ref()))
        })
        .collect()
}

fn check_unknown_keys(v: &mut Validation, location: &Loc, map: &Map, allowed: &[&[&str]]) -> bool {
    let unknown = unknown_keys(map, allowed);
    if let Some(first) = unknown.first() {
        let names: Vec<String> = unknown
            .iter()
            .map(|k| k.scalar_to_s().unwrap_or_default())
            .collect();
        let span = first.span;
        v.errors.push(
            Finding::error(
                "config-unknown-keys",
                format!("{location} config contains unknown keys: {}", names.join(", ")).to_lowercase(),
                Some(span),
            )
            .explain(format!(
                "GitLab does not know {} here. Check the spelling and the indentation: a key indented \
                 under the wrong parent is also unknown.",
                names.iter().map(|n| format!("`{n}`")).collect::<Vec<_>>().join(", ")
            )),
        );
        return true;
    }
    false
}

fn validate_globals(map: &Map, v: &mut Validation) {
    for (key, value) in map.iter() {
        let name = key.scalar_str().unwrap_or_default();
        match name.as_ref() {
            "stages" => {
                if value.as_seq().is_none()
                    || !is_nested_array_of_strings(value, COMMANDS_MAX_NESTING)
                {
                    err(
                        v,
                        "config-type",
                        format!("{name} config should be an array of strings or a nested array of strings up to {COMMANDS_MAX_NESTING} levels deep"),
                        value.span,
                    );
                }
            }
            "variables" => validate_variables(
                v,
                &Loc::root("variables"),
                value,
                &["value", "description", "expand", "options"],
            ),
            "before_script" | "after_script" => validate_commands(v, &Loc::root(&name), value),
            "default" => {
                if let Some(default) = value.as_map() {
                    if !check_unknown_keys(v, &Loc::root("default"), default, &[DEFAULT_KEYS]) {
                        for (k, child) in default.iter() {
                            let child_key = k.scalar_to_s().unwrap_or_default();
                            validate_shared_child(
                                v,
                                &Loc::root("default").child(&child_key),
                                &child_key,
                                child,
                            );
                        }
                    }
                } else if !value.is_null() {
                    err(
                        v,
                        "config-type",
                        "default config should be a hash".into(),
                        value.span,
                    );
                }
            }
            "workflow" => validate_workflow(v, value),
            "image" | "services" | "cache" => {
                validate_shared_child(v, &Loc::root(&name), &name, value)
            }
            _ => {}
        }
    }
}

fn validate_workflow(v: &mut Validation, value: &Node) {
    let Some(map) = value.as_map() else {
        if !value.is_null() {
            err(
                v,
                "config-type",
                "workflow config should be a hash".into(),
                value.span,
            );
        }
        return;
    };
    if check_unknown_keys(
        v,
        &Loc::root("workflow"),
        map,
        &[&["rules", "name", "auto_cancel"]],
    ) {
        return;
    }
    if let Some(name) = map.get("name") {
        if !is_string(name) {
            err(
                v,
                "config-type",
                "workflow name should be a string".into(),
                name.span,
            );
        } else if name.as_str().is_some_and(|s| s.chars().count() > 255) {
            err(
                v,
                "config-too-long",
                "workflow name is too long (maximum is 255 characters)".into(),
                name.span,
            );
        }
    }
    if let Some(rules) = map.get("rules") {
        validate_rules(
            v,
            &Loc::root("workflow:rules"),
            rules,
            WORKFLOW_RULE_KEYS,
            WORKFLOW_RULE_WHEN,
        );
    }
}

/// `Entry::Commands`: a string or nested arrays of strings, at most 10 levels deep.
fn validate_commands(v: &mut Validation, location: &Loc, value: &Node) {
    if !is_nested_array_of_strings(value, COMMANDS_MAX_NESTING) {
        err(
            v,
            "config-type",
            format!(
                "{location} config should be a string or a nested array of strings up to {COMMANDS_MAX_NESTING} levels deep"
            ),
            value.span,
        );
    }
}

fn is_nested_array_of_strings(node: &Node, max_level: usize) -> bool {
    fn level_ok(node: &Node, level: usize, max: usize) -> bool {
        match &node.value {
            Value::Str(_) | Value::Symbol(_) => true,
            Value::Seq(items) if level < max => items.iter().all(|i| level_ok(i, level + 1, max)),
            _ => false,
        }
    }
    match &node.value {
        Value::Str(_) | Value::Symbol(_) => true,
        Value::Seq(items) => items.iter().all(|i| level_ok(i, 1, max_level)),
        _ => false,
    }
}

/// `Entry::Variables` / `Entry::Variable`; `allowed_data` is the context's
/// `allowed_value_data` (root: value, description, expand, options; jobs: value, expand;
/// rules: none).
fn validate_variables(v: &mut Validation, location: &Loc, value: &Node, allowed_data: &[&str]) {
    let Some(map) = value.as_map() else {
        if !value.is_null() {
            err(
                v,
                "config-type",
                format!("{location} config should be a hash"),
                value.span,
            );
        }
        return;
    };
    for (key, var) in map.iter() {
        let name = key.scalar_to_s().unwrap_or_default();
        match &var.value {
            Value::Str(_) | Value::Symbol(_) | Value::Int(_) | Value::Float(_) | Value::Bool(_) | Value::Null => {}
            Value::Map(m) => {
                if allowed_data.is_empty() {
                    err(v, "variables-invalid", format!("{location}:{name} config must be a string"), var.span);
                    continue;
                }
                let invalid: Vec<String> = m
                    .keys()
                    .filter(|k| !allowed_data.contains(&k.as_str()))
                    .collect();
                if !invalid.is_empty() {
                    err(
                        v,
                        "variables-invalid",
                        format!("{location}:{name} config uses invalid data keys: {}", invalid.join(", ")),
                        var.span,
                    );
                    continue;
                }
                if let Some(options) = m.get("options") {
                    let options_ok = is_array_of_strings(options);
                    if !options_ok {
                        err(v, "variables-invalid", format!("{location}:{name} config options should be an array of strings"), options.span);
                    } else if let Some(val) = m.get("value") {
                        let listed = options.as_seq().unwrap_or(&[]).iter().any(|o| o.scalar_to_s() == val.scalar_to_s());
                        if !listed {
                            err(v, "variables-invalid", format!("{location}:{name} config value must be present in options"), val.span);
                        }
                    }
                }
                if let Some(expand) = m.get("expand") {
                    if expand.as_bool().is_none() {
                        err(v, "variables-invalid", format!("{location}:{name} config expand should be a boolean value"), expand.span);
                    }
                }
            }
            _ => v.errors.push(
                Finding::error(
                    "variables-invalid",
                    // `UnknownStrategy#errors` bypasses the validator: no location, no downcasing.
                    "variable definition must be either a string or a hash",
                    Some(var.span),
                )
                .explain(format!(
                    "A variable's value must be a single value (string, number or boolean) or a hash with \
                     `value:`; YAML reads this one as a {}. Quote it to make it a string: `{name}: \"...\"`.",
                    var.type_name()
                )),
            ),
        }
    }
}

fn validate_jobs(map: &Map, has_workflow_rules: bool, lenient: bool, v: &mut Validation) {
    let mut any_visible = false;
    let mut unmatched = Vec::new();
    for (key, value) in map.iter() {
        let name = key.scalar_str().unwrap_or_default();
        if GLOBAL_KEYS.contains(&name.as_ref()) {
            continue;
        }
        match job_kind(&name, value) {
            Some(JobKind::Hidden) => {}
            Some(_) => any_visible = true,
            None if lenient && value.get("extends").is_some() => {
                any_visible = true;
                v.warnings.push(
                    Finding::warning(
                        "job-no-script-offline",
                        format!("jobs {} config should implement the script:, run:, or trigger: keyword", humanize_job_name(&name)),
                        Some(key.span),
                    )
                    .explain(format!(
                        "`{name}` has no `script` of its own; it probably gets one through `extends` from an include \
                         pipesim could not read offline. Supply that include to simulate this job."
                    )),
                );
            }
            None => unmatched.push((name, key.span)),
        }
    }
    for (name, span) in &unmatched {
        v.errors.push(
            Finding::error(
                "job-no-script",
                format!("jobs {} config should implement the script:, run:, or trigger: keyword", humanize_job_name(name)),
                Some(*span),
            )
            .explain(format!(
                "`{name}` is not a global keyword, so GitLab reads it as a job, but it has no `script`, \
                 `run` or `trigger`. If it is a template for other jobs, start its name with a dot (`.{name}`) \
                 to make it a hidden job; if it is a typo of a keyword, fix the spelling or indentation."
            )),
        );
    }
    if !any_visible {
        let first_job_key = map
            .entries
            .iter()
            .map(|(k, _)| k)
            .find(|k| !GLOBAL_KEYS.contains(&k.scalar_str().unwrap_or_default().as_ref()));
        let span = first_job_key.map(|k| k.span).unwrap_or(Span::file_start(
            map.entries
                .first()
                .map(|(k, _)| k.span.file)
                .unwrap_or_default(),
        ));
        v.errors.push(
            Finding::error("jobs-none-visible", "jobs config should contain at least one visible job", Some(span))
                .explain(
                    "Every pipeline needs at least one job whose name does not start with a dot and that \
                     has a `script`, `run` or `trigger`.",
                ),
        );
    }
    for (key, value) in map.iter() {
        let name = key.scalar_str().unwrap_or_default();
        if GLOBAL_KEYS.contains(&name.as_ref()) {
            continue;
        }
        match job_kind(&name, value) {
            Some(kind @ (JobKind::Job | JobKind::Bridge)) => {
                // ActiveSupport's `deep_symbolize_keys` leaves integer or boolean keys as they are.
                let is_symbol = matches!(key.value, Value::Str(_) | Value::Symbol(_));
                validate_job(
                    v,
                    &name,
                    is_symbol,
                    key.span,
                    value,
                    kind,
                    has_workflow_rules,
                )
            }
            _ => {}
        }
    }
}

/// `Validator#messages` lower-cases and humanizes (`_` becomes a space), then restores
/// underscores for names made only of letters, spaces and underscores.
fn humanize_job_name(name: &str) -> String {
    let humanized = name
        .trim_start_matches('_')
        .replace('_', " ")
        .to_lowercase();
    if name
        .chars()
        .all(|c| c.is_ascii_alphabetic() || c == '_' || c.is_whitespace())
    {
        name.to_lowercase()
    } else {
        humanized
    }
}

#[allow(clippy::too_many_arguments)]
fn validate_job(
    v: &mut Validation,
    name: &str,
    name_is_symbol: bool,
    name_span: Span,
    value: &Node,
    kind: JobKind,
    has_workflow_rules: bool,
) {
    let map = value.as_map().expect("jobs are hashes");
    let jobs = Loc::root("jobs");
    let loc = jobs.child(name);
    let before = v.errors.len();

    // Processable validations.
    if name.is_empty() {
        err(
            v,
            "job-name",
            "jobs:job name can't be blank".into(),
            name_span,
        );
    }
    if !name_is_symbol {
        err(
            v,
            "job-name",
            format!("{loc} name should be a symbol"),
            name_span,
        );
    }
    if name.chars().count() > 255 {
        err(
            v,
            "job-name-too-long",
            format!("{loc} name is too long (maximum is 255 characters)"),
            name_span,
        );
    }
    for pair in [["script", "trigger"], ["run", "trigger"]] {
        if map.contains_key(pair[0]) && map.contains_key(pair[1]) {
            let span = key_span(map, pair[1]).unwrap_or(name_span);
            err(
                v,
                "job-exclusive-keys",
                format!(
                    "{loc} config these keys cannot be used together: {}, {}",
                    pair[0], pair[1]
                ),
                span,
            );
        }
    }
    let has_rules = map.get("rules").is_some_and(|r| !r.is_null());
    if has_rules {
        let disallowed: Vec<(&str, Span)> = map
            .entries
            .iter()
            .filter(|(k, val)| {
                let key = k.scalar_str().unwrap_or_default();
                ["only", "except", "start_in"].contains(&key.as_ref()) && !val.is_null()
            })
            .map(|(k, _)| (k.as_str().unwrap_or_default(), k.span))
            .collect();
        if let Some((_, span)) = disallowed.first() {
            let names: Vec<&str> = disallowed.iter().map(|(n, _)| *n).collect();
            v.errors.push(
                Finding::error(
                    "job-rules-with-only",
                    format!("{loc} config key may not be used with `rules`: {}", names.join(", ")).to_lowercase(),
                    Some(*span),
                )
                .explain(
                    "`rules` replaces `only`/`except` (and `start_in` moves into the rule that says `when: delayed`). \
                     Express the `only`/`except` conditions as `rules:if` clauses instead.",
                ),
            );
        }
    }
    if let Some(extends) = map.get("extends") {
        if !(is_string(extends) || is_array_of_strings(extends)) {
            err(
                v,
                "config-type",
                format!("{loc} extends should be an array of strings or a string"),
                extends.span,
            );
        }
    }
    if let Some(rules) = map.get("rules") {
        if !rules.is_null() && !is_nested_array_of_hashes(rules, 10) {
            err(
                v,
                "config-type",
                format!("{loc} rules should be an array containing hashes and arrays of hashes"),
                rules.span,
            );
        }
    }
    if let Some(group) = map.get("resource_group") {
        if !group.is_null() && !matches!(group.value, Value::Str(_)) {
            err(
                v,
                "config-type",
                format!("{loc} resource group should be a string"),
                group.span,
            );
        }
    }

    // Job / Bridge validations.
    let (own_keys, allowed_when) = match kind {
        JobKind::Bridge => (BRIDGE_KEYS, BRIDGE_WHEN),
        _ => (JOB_KEYS, JOB_WHEN),
    };
    check_unknown_keys(v, &loc, map, &[own_keys, PROCESSABLE_KEYS]);
    if kind == JobKind::Job {
        if map.contains_key("script") && map.contains_key("run") {
            let span = key_span(map, "run").unwrap_or(name_span);
            err(
                v,
                "job-exclusive-keys",
                format!("{loc} config these keys cannot be used together: script, run"),
                span,
            );
        }
        if !map.contains_key("run") {
            if let Some(script) = map.get("script") {
                if script.is_blank() {
                    v.errors.push(
                        Finding::error("job-script-blank", format!("{loc} script can't be blank").to_lowercase(), Some(script.span))
                            .explain("A job must run at least one command: give `script` a command or a list of commands."),
                    );
                }
            }
        }
    }
    if let Some(when) = map.get("when").filter(|w| !w.is_null()) {
        if !matches!(when.value, Value::Str(_)) {
            err(
                v,
                "job-when",
                format!("{loc} when should be a string"),
                when.span,
            );
        }
        let text = when.scalar_to_s().unwrap_or_default();
        if !allowed_when.contains(&text.as_str()) || !matches!(when.value, Value::Str(_)) {
            v.errors.push(
                Finding::error("job-when", format!("{loc} when should be one of: {}", allowed_when.join(", ")).to_lowercase(), Some(when.span))
                    .explain(if text == "never" {
                        "`when: never` is only allowed inside `rules` (and `workflow:rules`). To never run the job, use `rules: [{when: never}]`, or delete it.".to_owned()
                    } else {
                        format!("`{text}` is not a value `when` accepts here.")
                    }),
            );
        }
    }
    if kind == JobKind::Job {
        if let Some(deps) = map.get("dependencies").filter(|d| !d.is_null()) {
            if !is_array_of_strings(deps) {
                err(
                    v,
                    "config-type",
                    format!("{loc} dependencies should be an array of strings"),
                    deps.span,
                );
            }
        }
    }
    if let Some(af) = map.get("allow_failure").filter(|a| !a.is_null()) {
        match kind {
            JobKind::Bridge if af.as_bool().is_none() => err(
                v,
                "config-type",
                format!("{loc} allow failure should be a boolean value"),
                af.span,
            ),
            JobKind::Job if !matches!(af.value, Value::Bool(_) | Value::Map(_)) => err(
                v,
                "config-type",
                format!("{loc} allow failure should be a hash or a boolean value"),
                af.span,
            ),
            _ => {}
        }
    }
    if kind == JobKind::Job {
        let delayed = map.get("when").and_then(Node::as_str) == Some("delayed");
        let start_in = map.get("start_in");
        if delayed && !has_rules {
            match start_in.and_then(|s| s.as_str().map(|t| (s, t))) {
                Some((node, text)) => match parse_seconds(text) {
                    None => err(
                        v,
                        "job-start-in",
                        format!("{loc} start in should be a duration"),
                        node.span,
                    ),
                    Some(secs) if secs > duration::WEEK => err(
                        v,
                        "job-start-in",
                        format!("{loc} start in should not exceed the limit"),
                        node.span,
                    ),
                    _ => {}
                },
                None => err(
                    v,
                    "job-start-in",
                    format!("{loc} start in should be a duration"),
                    start_in.map(|s| s.span).unwrap_or(name_span),
                ),
            }
        }
        if let Some(node) = start_in.filter(|s| !s.is_null()) {
            if has_rules || !delayed {
                err(
                    v,
                    "job-start-in",
                    format!("{loc} start in must be blank"),
                    node.span,
                );
            }
        }
        if let Some(publish) = map.get("publish").filter(|p| !p.is_blank()) {
            let pages_job = map.get("pages").is_some_and(|p| !p.is_blank())
                || (name == "pages" && map.get("pages").and_then(Node::as_bool) != Some(false));
            if !pages_job {
                err(
                    v,
                    "job-publish",
                    format!("{loc} publish can only be used within a `pages` job"),
                    publish.span,
                );
            }
        }
    }
    if v.errors.len() > before {
        return;
    }

    // Children, in GitLab's declaration order.
    if let Some(stage) = map.get("stage") {
        if !matches!(stage.value, Value::Str(_)) {
            err(
                v,
                "config-type",
                format!("{loc}:stage config should be a string"),
                stage.span,
            );
        }
    }
    for policy in ["only", "except"] {
        if let Some(node) = map.get(policy).filter(|n| !n.is_null()) {
            validate_policy(v, &loc.child(policy), node);
        }
    }
    if let Some(rules) = map.get("rules").filter(|r| !r.is_null()) {
        validate_rules(v, &loc.child("rules"), rules, RULE_KEYS, RULE_WHEN);
    }
    if let Some(vars) = map.get("variables") {
        validate_variables(v, &loc.child("variables"), vars, &["value", "expand"]);
    }
    if let Some(inherit) = map.get("inherit").filter(|n| !n.is_null()) {
        validate_inherit(v, &loc.child("inherit"), inherit);
    }
    if let Some(interruptible) = map.get("interruptible").filter(|n| !n.is_null()) {
        if interruptible.as_bool().is_none() {
            err(
                v,
                "config-type",
                format!("{loc}:interruptible config should be a boolean value"),
                interruptible.span,
            );
        }
    }
    for (k, child) in map.iter() {
        let key = k.scalar_str().unwrap_or_default();
        if matches!(
            key.as_ref(),
            "before_script"
                | "script"
                | "after_script"
                | "image"
                | "services"
                | "cache"
                | "timeout"
                | "retry"
                | "tags"
                | "artifacts"
        ) {
            validate_shared_child(v, &loc.child(&key), &key, child);
        }
    }
    if let Some(needs) = map.get("needs").filter(|n| !n.is_null()) {
        validate_needs(v, &loc.child("needs"), needs, kind == JobKind::Bridge);
    }
    if let Some(parallel) = map.get("parallel").filter(|n| !n.is_null()) {
        validate_parallel(v, &loc.child("parallel"), parallel, kind == JobKind::Bridge);
    }
    if kind == JobKind::Job {
        if let Some(af) = map.get("allow_failure").and_then(Node::as_map) {
            let loc_af = loc.child("allow_failure");
            if !check_unknown_keys(v, &loc_af, af, &[&["exit_codes"]]) {
                if let Some(codes) = af.get("exit_codes").filter(|c| !c.is_null()) {
                    let ok = matches!(codes.value, Value::Int(_))
                        || codes
                            .as_seq()
                            .is_some_and(|s| s.iter().all(|c| matches!(c.value, Value::Int(_))));
                    if !ok {
                        err(
                            v,
                            "config-type",
                            format!(
                                "{loc_af} exit codes should be an array of integers or an integer"
                            ),
                            codes.span,
                        );
                    }
                }
            }
        }
        // `validate on: :composed`: dependencies must be part of needs when both are given.
        if let (Some(deps), Some(needs)) = (
            map.get("dependencies").and_then(Node::as_seq),
            map.get("needs"),
        ) {
            let need_names = need_job_names(needs);
            let has_cross = needs.as_seq().is_some_and(|s| {
                s.iter()
                    .any(|n| n.get("pipeline").is_some() || n.get("project").is_some())
            });
            if !deps.is_empty()
                && !(need_names.is_empty()
                    && !has_cross
                    && needs.as_seq().is_some_and(|s| s.is_empty()))
            {
                if need_names.is_empty() && has_cross {
                    err(v, "job-dependencies-needs", format!("{loc} needs corresponding to dependencies must be from the same pipeline"), needs.span);
                } else if !need_names.is_empty() {
                    let missing: Vec<String> = deps
                        .iter()
                        .filter_map(|d| d.scalar_to_s())
                        .filter(|d| !need_names.contains(d))
                        .collect();
                    if !missing.is_empty() {
                        let span = map.get("dependencies").map_or(needs.span, |d| d.span);
                        err(
                            v,
                            "job-dependencies-needs",
                            format!(
                                "{loc} dependencies the {} should be part of needs",
                                missing.join(", ")
                            ),
                            span,
                        );
                    }
                }
            }
        }
    }
    if kind == JobKind::Bridge {
        validate_trigger(v, &loc, map.get("trigger"));
    }
    if !has_workflow_rules {
        rules_when_warning(v, &loc, name_span, map);
    }
}

fn need_job_names(needs: &Node) -> Vec<String> {
    let items: Vec<&Node> = match &needs.value {
        Value::Seq(items) => items.iter().collect(),
        Value::Map(_) => vec![needs],
        _ => Vec::new(),
    };
    items
        .into_iter()
        .filter_map(|n| match &n.value {
            Value::Str(s) => Some(s.clone()),
            Value::Map(m) if m.get("pipeline").is_none() && m.get("project").is_none() => {
                m.get("job").and_then(Node::scalar_to_s)
            }
            _ => None,
        })
        .collect()
}

/// `Processable#validate_against_warnings`: a last rule that is only `when: <not never>`, with
/// no `workflow:rules`, lets both a branch and a merge request pipeline run.
fn rules_when_warning(v: &mut Validation, loc: &Loc, span: Span, map: &Map) {
    let Some(rules) = map.get("rules").and_then(Node::as_seq) else {
        return;
    };
    let Some(last) = rules.last().and_then(Node::as_map) else {
        return;
    };
    let only_when = last.len() == 1 && last.contains_key("when");
    let when = last.get("when").and_then(Node::as_str).unwrap_or("");
    if only_when && when != "never" {
        v.warnings.push(
            Finding::warning(
                "rules-when-no-workflow",
                format!(
                    "{loc} may allow multiple pipelines to run for a single action due to `rules:when` clause with no `workflow:rules` - read more: https://docs.gitlab.com/ee/ci/jobs/job_troubleshooting.html#job-may-allow-multiple-pipelines-to-run-for-a-single-action-warning"
                ),
                Some(span),
            )
            .explain(
                "The last rule matches every pipeline, so this job runs both in the branch pipeline of a push and \
                 in the merge request pipeline for the same commit: two pipelines. Add `workflow:rules` that choose \
                 one kind of pipeline (see the `Workflows/MergeRequest-Pipelines` template).",
            ),
        );
    }
}

fn is_nested_array_of_hashes(node: &Node, max: usize) -> bool {
    fn ok(node: &Node, level: usize, max: usize) -> bool {
        match &node.value {
            Value::Map(_) => true,
            Value::Seq(items) if level < max => items.iter().all(|i| ok(i, level + 1, max)),
            _ => false,
        }
    }
    node.as_seq()
        .is_some_and(|items| items.iter().all(|i| ok(i, 1, max)))
}

fn flatten_rules<'a>(node: &'a Node, out: &mut Vec<&'a Node>) {
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|i| flatten_rules(i, out)),
        _ => out.push(node),
    }
}

fn validate_rules(
    v: &mut Validation,
    loc: &Loc,
    rules: &Node,
    allowed_keys: &[&str],
    allowed_when: &[&str],
) {
    if rules.as_seq().is_none() {
        err(
            v,
            "config-type",
            format!("{loc} config should be an array"),
            rules.span,
        );
        return;
    }
    let mut flat = Vec::new();
    flatten_rules(rules, &mut flat);
    let loc_rule = loc.child("rule");
    for rule in &flat {
        let Some(map) = rule.as_map() else {
            if rule.is_null() {
                err(
                    v,
                    "config-blank",
                    format!("{loc_rule} config can't be blank"),
                    rule.span,
                );
            } else {
                err(
                    v,
                    "config-type",
                    format!("{loc_rule} config should be a hash"),
                    rule.span,
                );
            }
            continue;
        };
        if map.is_empty() {
            err(
                v,
                "config-blank",
                format!("{loc_rule} config can't be blank"),
                rule.span,
            );
            continue;
        }
        let delayed = map.get("when").and_then(Node::as_str) == Some("delayed");
        if !delayed {
            if let Some(span) = key_span(map, "start_in") {
                err(
                    v,
                    "rules-start-in",
                    format!("{loc_rule} config contains disallowed keys: start_in"),
                    span,
                );
            }
        } else {
            match map.get("start_in") {
                None => {
                    err(
                        v,
                        "rules-start-in",
                        format!("{loc_rule} start in can't be blank"),
                        rule.span,
                    );
                    err(
                        v,
                        "rules-start-in",
                        format!("{loc_rule} start in should be a duration"),
                        rule.span,
                    );
                }
                Some(node) => match node.as_str().and_then(parse_seconds) {
                    None => err(
                        v,
                        "rules-start-in",
                        format!("{loc_rule} start in should be a duration"),
                        node.span,
                    ),
                    Some(secs) if secs > duration::WEEK => err(
                        v,
                        "rules-start-in",
                        format!("{loc_rule} start in should not exceed the limit"),
                        node.span,
                    ),
                    _ => {}
                },
            }
        }
        if let Some(cond) = map.get("if").filter(|n| !n.is_null()) {
            let valid = cond.as_str().is_some_and(|s| crate::expr::parse(s).is_ok());
            if !valid {
                let detail = cond
                    .as_str()
                    .and_then(|s| crate::expr::parse(s).err())
                    .map(|e| format!(" GitLab's expression parser says: {}", e.message))
                    .unwrap_or_default();
                v.errors.push(
                    Finding::error("rules-if-invalid", format!("{loc_rule} if invalid expression syntax").to_lowercase(), Some(cond.span))
                        .explain(format!(
                            "This `if` is not a valid CI/CD variable expression.{detail} Expressions compare `$VARIABLES` \
                             with \"strings\", null or /regexes/ using ==, !=, =~, !~, joined by && and || with parentheses; \
                             `${{VAR}}` and single-character regexes like /./ are not supported."
                        )),
                );
            }
        }
        if let Some(exists) = map.get("exists").filter(|n| !n.is_null()) {
            if !(is_array_of_strings(exists) || is_string(exists) || exists.as_map().is_some()) {
                err(
                    v,
                    "config-type",
                    format!("{loc_rule} exists should be an array of strings"),
                    exists.span,
                );
            }
        }
        for key in ["allow_failure", "interruptible"] {
            if let Some(node) = map.get(key).filter(|n| !n.is_null()) {
                if node.as_bool().is_none() {
                    err(
                        v,
                        "config-type",
                        format!(
                            "{loc_rule} {} should be a boolean value",
                            key.replace('_', " ")
                        ),
                        node.span,
                    );
                }
            }
        }
        if let Some(when) = map.get("when").filter(|n| !n.is_null()) {
            let text = when.scalar_to_s().unwrap_or_default();
            if !allowed_when.contains(&text.as_str()) {
                err(
                    v,
                    "rules-when",
                    format!("{loc_rule} when unknown value: {text}"),
                    when.span,
                );
            }
        }
        check_unknown_keys(v, &loc_rule, map, &[allowed_keys]);
        if let Some(changes) = map.get("changes").filter(|n| !n.is_null()) {
            let loc_changes = loc_rule.child("changes");
            match &changes.value {
                Value::Seq(_) if is_array_of_strings(changes) => {
                    if changes.as_seq().is_some_and(|s| s.len() > 50) {
                        err(
                            v,
                            "config-too-long",
                            format!("{loc_changes} config has too many entries (maximum 50)"),
                            changes.span,
                        );
                    }
                }
                Value::Map(m) => {
                    if !check_unknown_keys(v, &loc_changes, m, &[&["paths", "compare_to"]]) {
                        match m.get("paths") {
                            Some(p) if is_array_of_strings(p) => {}
                            Some(p) => err(
                                v,
                                "config-type",
                                format!("{loc_changes} paths should be an array of strings"),
                                p.span,
                            ),
                            None => err(
                                v,
                                "config-type",
                                format!("{loc_changes} config missing required keys: paths"),
                                changes.span,
                            ),
                        }
                        if let Some(c) = m.get("compare_to").filter(|c| !is_string(c)) {
                            err(
                                v,
                                "config-type",
                                format!("{loc_changes} compare to should be a string"),
                                c.span,
                            );
                        }
                    }
                }
                _ => err(
                    v,
                    "config-type",
                    format!("{loc_changes} config should be an array of strings or a hash"),
                    changes.span,
                ),
            }
        }
        if let Some(vars) = map.get("variables") {
            validate_variables(v, &loc_rule.child("variables"), vars, &[]);
        }
        if let Some(needs) = map.get("needs").filter(|n| !n.is_null()) {
            validate_needs(v, &loc_rule.child("needs"), needs, false);
        }
    }
}

fn validate_policy(v: &mut Validation, loc: &Loc, node: &Node) {
    match &node.value {
        Value::Seq(items) => {
            if !items.iter().all(is_string) {
                err(v, "config-type", format!("{loc} config should be an array of strings or regular expressions using re2 syntax"), node.span);
            }
        }
        Value::Str(_) => {}
        Value::Map(map) => {
            if check_unknown_keys(
                v,
                loc,
                map,
                &[&["refs", "variables", "changes", "kubernetes"]],
            ) {
                return;
            }
            if let Some(refs) = map.get("refs") {
                if !is_array_of_strings(refs) {
                    err(v, "config-type", format!("{loc}:refs config should be an array of strings or regular expressions using re2 syntax"), refs.span);
                }
            }
            if let Some(vars) = map.get("variables") {
                let valid = vars.as_seq().is_some_and(|items| {
                    items
                        .iter()
                        .all(|i| i.as_str().is_some_and(|s| crate::expr::parse(s).is_ok()))
                });
                if !valid {
                    err(
                        v,
                        "policy-variables-invalid",
                        format!("{loc} variables invalid expression syntax"),
                        vars.span,
                    );
                }
            }
            if let Some(kube) = map.get("kubernetes") {
                if kube.as_str() != Some("active") {
                    err(
                        v,
                        "config-type",
                        format!(
                            "{loc} kubernetes unknown value: {}",
                            kube.scalar_to_s().unwrap_or_default()
                        ),
                        kube.span,
                    );
                }
            }
        }
        _ => err(
            v,
            "config-type",
            format!("{loc} has to be either an array of conditions or a hash"),
            node.span,
        ),
    }
}

fn validate_inherit(v: &mut Validation, loc: &Loc, node: &Node) {
    let Some(map) = node.as_map() else {
        err(
            v,
            "config-type",
            format!("{loc} config should be a hash"),
            node.span,
        );
        return;
    };
    if check_unknown_keys(v, loc, map, &[&["default", "variables"]]) {
        return;
    }
    for key in ["default", "variables"] {
        if let Some(value) = map.get(key) {
            let ok = value.as_bool().is_some() || is_array_of_strings(value);
            if !ok {
                err(
                    v,
                    "config-type",
                    format!("{loc}:{key} config should be a boolean value or an array of strings"),
                    value.span,
                );
            } else if key == "default" {
                if let Some(items) = value.as_seq() {
                    for item in items {
                        let name = item.scalar_to_s().unwrap_or_default();
                        if !DEFAULT_KEYS.contains(&name.as_str()) {
                            err(
                                v,
                                "config-unknown-keys",
                                format!("{loc}:{key} config contains unknown values: {name}"),
                                item.span,
                            );
                        }
                    }
                }
            }
        }
    }
}

/// Keys shared by jobs and `default:` (and the deprecated globals).
fn validate_shared_child(v: &mut Validation, loc: &Loc, key: &str, node: &Node) {
    if node.is_null() {
        return;
    }
    match key {
        "before_script" | "script" | "after_script" => validate_commands(v, loc, node),
        "tags" => {
            if !is_array_of_strings(node) {
                err(
                    v,
                    "config-type",
                    format!("{loc} config should be an array of strings"),
                    node.span,
                );
            } else if node.as_seq().is_some_and(|s| s.len() >= TAGS_LIMIT) {
                err(
                    v,
                    "config-too-long",
                    format!("{loc} config must be less than the limit of {TAGS_LIMIT} tags"),
                    node.span,
                );
            }
        }
        "timeout" => match node.as_str().map(parse_seconds) {
            Some(Some(_)) => {}
            _ => err(
                v,
                "config-type",
                format!("{loc} config should be a duration"),
                node.span,
            ),
        },
        "image" => {
            if !(is_string(node) || node.as_map().is_some()) {
                err(
                    v,
                    "config-type",
                    format!("{loc} config should be a hash or a string"),
                    node.span,
                );
            } else if let Some(map) = node.as_map() {
                check_unknown_keys(
                    v,
                    loc,
                    map,
                    &[&["name", "entrypoint", "docker", "pull_policy", "kubernetes"]],
                );
            }
        }
        "services" => {
            if node.as_seq().is_none() {
                err(
                    v,
                    "config-type",
                    format!("{loc} config should be a array"),
                    node.span,
                );
            }
        }
        "interruptible" => {
            if node.as_bool().is_none() {
                err(
                    v,
                    "config-type",
                    format!("{loc} config should be a boolean value"),
                    node.span,
                );
            }
        }
        "artifacts" => validate_artifacts(v, loc, node),
        "cache" => {
            let caches: Vec<&Node> = match &node.value {
                Value::Seq(items) => items.iter().collect(),
                _ => vec![node],
            };
            for cache in caches {
                validate_cache(v, loc, cache);
            }
        }
        "retry" => match &node.value {
            Value::Int(n) if (0..=2).contains(n) => {}
            Value::Int(_) => err(
                v,
                "config-type",
                format!("{loc} config must be a nonnegative integer less than or equal to 2"),
                node.span,
            ),
            Value::Map(m) => {
                check_unknown_keys(v, loc, m, &[&["max", "when", "exit_codes"]]);
            }
            _ => err(
                v,
                "config-type",
                format!("{loc} config should be a hash or an integer"),
                node.span,
            ),
        },
        _ => {}
    }
}

fn validate_cache(v: &mut Validation, loc: &Loc, cache: &Node) {
    let Some(map) = cache.as_map() else {
        return;
    };
    let allowed: &[&str] = &[
        "key",
        "untracked",
        "paths",
        "when",
        "policy",
        "unprotect",
        "fallback_keys",
    ];
    if check_unknown_keys(v, loc, map, &[allowed]) {
        return;
    }
    if let Some(key) = map.get("key").and_then(Node::as_map) {
        let loc_key = loc.child("key");
        if check_unknown_keys(v, &loc_key, key, &[&["files", "prefix", "files_commits"]]) {
            return;
        }
        if let Some(files) = key.get("files") {
            match files.as_seq() {
                Some([]) => err(
                    v,
                    "cache-key",
                    format!("{loc_key}:files config requires at least 1 item"),
                    files.span,
                ),
                Some(items) if items.len() > 2 => err(
                    v,
                    "cache-key",
                    format!("{loc_key}:files config has too many items (maximum is 2)"),
                    files.span,
                ),
                Some(_) if is_array_of_strings(files) => {}
                _ => err(
                    v,
                    "cache-key",
                    format!("{loc_key}:files config should be an array of strings"),
                    files.span,
                ),
            }
        }
    }
    if let Some(when) = map.get("when").filter(|n| !n.is_null()) {
        if !matches!(when.as_str(), Some("on_success" | "on_failure" | "always")) {
            err(
                v,
                "cache-when",
                format!("{loc} when should be one of: on_success, on_failure, always"),
                when.span,
            );
        }
    }
    if let Some(policy) = map.get("policy").and_then(Node::as_str) {
        // Variables in `policy` are expanded at run time; only literal values are checked here.
        if !policy.contains('$') && !matches!(policy, "pull" | "push" | "pull-push") {
            err(
                v,
                "cache-policy",
                format!("{loc} policy should be pull-push, push, or pull"),
                map.get("policy").map_or(cache.span, |p| p.span),
            );
        }
    }
}

fn validate_artifacts(v: &mut Validation, loc: &Loc, node: &Node) {
    let Some(map) = node.as_map() else {
        err(
            v,
            "config-type",
            format!("{loc} config should be a hash"),
            node.span,
        );
        return;
    };
    let allowed: &[&str] = &[
        "name",
        "untracked",
        "paths",
        "reports",
        "when",
        "expire_in",
        "expose_as",
        "exclude",
        "public",
        "access",
    ];
    if check_unknown_keys(v, loc, map, &[allowed]) {
        return;
    }
    if let Some(when) = map.get("when").filter(|n| !n.is_null()) {
        if !matches!(when.as_str(), Some("on_success" | "on_failure" | "always")) {
            err(
                v,
                "artifacts-when",
                format!("{loc} when should be on_success, on_failure or always"),
                when.span,
            );
        }
    }
    if let Some(expire) = map.get("expire_in").filter(|n| !n.is_null()) {
        let ok = expire
            .as_str()
            .is_some_and(|s| s.trim() == "never" || parse_seconds(s).is_some());
        if !ok {
            err(
                v,
                "artifacts-expire-in",
                format!("{loc} expire in should be a duration"),
                expire.span,
            );
        }
    }
    for key in ["paths", "exclude"] {
        if let Some(paths) = map.get(key).filter(|n| !n.is_null()) {
            if !is_array_of_strings(paths) {
                err(
                    v,
                    "config-type",
                    format!("{loc} {key} should be an array of strings"),
                    paths.span,
                );
            }
        }
    }
    if let Some(untracked) = map.get("untracked").filter(|n| !n.is_null()) {
        if untracked.as_bool().is_none() {
            err(
                v,
                "config-type",
                format!("{loc} untracked should be a boolean value"),
                untracked.span,
            );
        }
    }
    if let Some(reports) = map.get("reports").filter(|n| !n.is_null()) {
        if reports.as_map().is_none() {
            err(
                v,
                "config-type",
                format!("{loc}:reports config should be a hash"),
                reports.span,
            );
        }
    }
}

/// Ruby `Array#flatten`: nested lists (e.g. an aliased list inside `needs`) are spliced in.
pub fn flatten_seq<'a>(items: &'a [Node], out: &mut Vec<&'a Node>) {
    for item in items {
        match &item.value {
            Value::Seq(inner) => flatten_seq(inner, out),
            _ => out.push(item),
        }
    }
}

fn validate_needs(v: &mut Validation, loc: &Loc, needs: &Node, bridge: bool) {
    // entry/needs.rb `compose!`: `[@config].flatten.each_with_index`.
    let items: Vec<&Node> = match &needs.value {
        Value::Seq(items) => {
            let mut flat = Vec::with_capacity(items.len());
            flatten_seq(items, &mut flat);
            flat
        }
        Value::Map(_) => vec![needs],
        _ => {
            err(
                v,
                "needs-type",
                format!("{loc} config can only be a hash or an array"),
                needs.span,
            );
            return;
        }
    };
    let loc_need = loc.child("need");
    let mut bridge_needs = 0;
    for item in items {
        match &item.value {
            Value::Str(s) if s.is_empty() => err(
                v,
                "config-blank",
                format!("{loc_need} config can't be blank"),
                item.span,
            ),
            Value::Str(_) => {}
            Value::Map(m) => {
                let has = |k: &str| m.contains_key(k);
                let allowed: &[&str] = if has("project") {
                    &["project", "job", "ref", "artifacts"]
                } else if has("pipeline") && has("job") {
                    &["pipeline", "job", "artifacts"]
                } else if has("pipeline") {
                    bridge_needs += 1;
                    &["pipeline"]
                } else if has("job") {
                    &["job", "artifacts", "optional", "parallel"]
                } else {
                    v.errors.push(Finding::error(
                        "needs-type",
                        format!("{loc_need} has an unsupported type"),
                        Some(item.span),
                    ));
                    continue;
                };
                if has("pipeline") && !has("job") && !bridge {
                    err(
                        v,
                        "needs-type",
                        format!("{loc} config uses invalid types: bridge"),
                        needs.span,
                    );
                    continue;
                }
                if check_unknown_keys(v, &loc_need, m, &[allowed]) {
                    continue;
                }
                if let Some(job) = m.get("job") {
                    if !matches!(job.value, Value::Str(_)) {
                        err(
                            v,
                            "config-type",
                            format!("{loc_need} job should be a string"),
                            job.span,
                        );
                    }
                }
                for key in ["artifacts", "optional"] {
                    if let Some(flag) = m.get(key) {
                        if flag.as_bool().is_none() {
                            err(
                                v,
                                "config-type",
                                format!("{loc_need} {key} should be a boolean value"),
                                flag.span,
                            );
                        }
                    }
                }
            }
            _ => v.errors.push(Finding::error(
                "needs-type",
                format!("{loc_need} has an unsupported type"),
                Some(item.span),
            )),
        }
    }
    if bridge && bridge_needs > 1 {
        err(
            v,
            "needs-type",
            format!(
                "{} config should contain at most one bridge need",
                loc.to_string().trim_end_matches(":needs")
            ),
            needs.span,
        );
    }
}

fn validate_parallel(v: &mut Validation, loc: &Loc, node: &Node, bridge: bool) {
    match &node.value {
        Value::Int(n) => {
            if bridge {
                err(
                    v,
                    "parallel-invalid",
                    format!("{loc} config cannot use \"parallel: <number>\"."),
                    node.span,
                );
            } else if *n < 1 {
                err(
                    v,
                    "parallel-invalid",
                    format!("{loc} config must be greater than or equal to 1"),
                    node.span,
                );
            } else if *n > PARALLEL_LIMIT {
                err(
                    v,
                    "parallel-invalid",
                    format!("{loc} config must be less than or equal to {PARALLEL_LIMIT}"),
                    node.span,
                );
            }
        }
        Value::Float(_) => err(
            v,
            "parallel-invalid",
            format!("{loc} config must be an integer"),
            node.span,
        ),
        Value::Map(map) => {
            if check_unknown_keys(v, loc, map, &[&["matrix"]]) {
                return;
            }
            let Some(matrix) = map.get("matrix") else {
                err(
                    v,
                    "parallel-invalid",
                    format!("{loc} config missing required keys: matrix"),
                    node.span,
                );
                return;
            };
            let Some(entries) = matrix
                .as_seq()
                .filter(|s| s.iter().all(|e| e.as_map().is_some()))
            else {
                err(
                    v,
                    "parallel-invalid",
                    format!("{loc}:matrix config should be an array of hashes"),
                    matrix.span,
                );
                return;
            };
            let total: usize = entries
                .iter()
                .map(matrix_entry_size)
                .fold(0, usize::saturating_add);
            if total > PARALLEL_LIMIT as usize {
                err(
                    v,
                    "parallel-matrix-too-big",
                    format!(
                        "{loc}:matrix config generates too many jobs (maximum is {PARALLEL_LIMIT})"
                    ),
                    matrix.span,
                );
            }
        }
        _ => err(
            v,
            "parallel-invalid",
            format!("{loc} should be an integer or a hash"),
            node.span,
        ),
    }
}

/// Saturating: 64 keys of 2 values each is 2^64 jobs, which must not wrap to 0 (Ruby's
/// integers do not overflow, so GitLab reports it as too many).
pub fn matrix_entry_size(entry: &Node) -> usize {
    entry
        .as_map()
        .map(|m| {
            m.iter()
                .map(|(_, values)| values.as_seq().map_or(1, <[Node]>::len))
                .fold(1, usize::saturating_mul)
        })
        .unwrap_or(0)
}

fn validate_trigger(v: &mut Validation, loc: &Loc, trigger: Option<&Node>) {
    let Some(trigger) = trigger else {
        return;
    };
    let loc = loc.child("trigger");
    match &trigger.value {
        Value::Str(_) => {}
        Value::Map(map) => {
            let allowed: &[&str] = if map.contains_key("include") {
                &["include", "strategy", "forward"]
            } else {
                &["project", "branch", "strategy", "forward"]
            };
            if check_unknown_keys(v, &loc, map, &[allowed]) {
                return;
            }
            if let Some(strategy) = map.get("strategy") {
                if !matches!(strategy.as_str(), Some("depend" | "mirror")) {
                    err(
                        v,
                        "trigger-invalid",
                        format!("{loc} strategy should be depend or mirror"),
                        strategy.span,
                    );
                }
            }
            if let Some(forward) = map.get("forward").and_then(Node::as_map) {
                check_unknown_keys(
                    v,
                    &loc.child("forward"),
                    forward,
                    &[&["yaml_variables", "pipeline_variables"]],
                );
            }
        }
        _ => err(
            v,
            "trigger-invalid",
            format!("{loc} config should be a hash or a string"),
            trigger.span,
        ),
    }
}
