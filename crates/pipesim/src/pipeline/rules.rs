//! `rules` of jobs, `workflow:rules` and `include:rules`: the first rule whose clauses all hold
//! wins; no match means the job (or pipeline, or file) is left out.
//!
//! Sources: lib/gitlab/ci/build/rules.rb, rules/rule.rb, rules/rule/clause/{if,changes,exists}.rb;
//! doc/ci/yaml/_index.md (rules, rules:changes, rules:exists).

use std::fmt::Write;

use serde::Serialize;

use crate::event::{variables::absence_reason, PipelineRequest};
use crate::expr::{self, Outcome, TraceKind, TraceNode};
use crate::glob::fnmatch;
use crate::yaml::{Node, Value};

use super::scope::Scope;

/// GitLab stops comparing after this many path × pattern pairs and counts the clause as
/// matched (doc/ci/yaml/_index.md rules:changes and rules:exists).
const COMPARISON_LIMIT: usize = 50_000;

/// One clause that was evaluated, with what it read.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    /// Where it is: `rules[0]`, `only:refs`, `workflow:rules[1]`.
    pub clause: String,
    pub matched: bool,
    /// What was checked and why it gave this result, in plain English.
    pub detail: String,
}

/// Everything a clause needs besides the variables.
pub struct ClauseContext<'a> {
    pub request: &'a PipelineRequest,
    /// Paths changed between the merge base of a ref and this pipeline's commit
    /// (`modified_paths_since`); `None` when the ref does not exist.
    pub compare_to: &'a dyn Fn(&str) -> Option<Vec<String>>,
    /// The project's full path, for `exists:project`.
    pub project_path: &'a str,
    /// Explanations of `if` statements already evaluated in this pipeline, by statement and
    /// the values (and origins) of the variables it read: rules shared through `extends` or
    /// anchors repeat the same statements on many jobs.
    pub explained: std::cell::RefCell<std::collections::HashMap<String, (bool, String)>>,
}

/// The outcome of a `rules` list.
#[derive(Clone, Debug, Default)]
pub struct RulesResult {
    /// Index of the rule that matched.
    pub matched: Option<usize>,
    pub checks: Vec<Check>,
    /// A clause GitLab could not evaluate (`rules:changes:compare_to is not a valid ref`):
    /// the job gets `when: never` and the pipeline fails with this.
    pub error: Option<String>,
}

/// Evaluates `rules` in order. `prefix` names the list in checks (`rules`, `workflow:rules`).
pub fn evaluate(rules: &[Node], prefix: &str, scope: &Scope, ctx: &ClauseContext) -> RulesResult {
    let mut result = RulesResult::default();
    for (index, rule) in rules.iter().enumerate() {
        let label = format!("{prefix}[{index}]");
        let Some(map) = rule.as_map() else { continue };
        let mut all = true;
        let mut details = Vec::new();
        for (key, value) in map.iter() {
            let outcome = match key.as_str() {
                Some("if") => Some(if_clause(value, scope, ctx)),
                Some("changes") => Some(changes_clause(value, scope, ctx)),
                Some("exists") => Some(exists_clause(value, scope, ctx)),
                _ => None,
            };
            let Some(outcome) = outcome else { continue };
            match outcome {
                Ok((matched, detail)) => {
                    details.push(detail);
                    if !matched {
                        all = false;
                        break;
                    }
                }
                Err(message) => {
                    result.checks.push(Check {
                        clause: label,
                        matched: false,
                        detail: message.clone(),
                    });
                    result.error = Some(message);
                    return result;
                }
            }
        }
        if details.is_empty() {
            details.push("it has no `if`, `changes` or `exists`, so it always matches".to_owned());
        }
        result.checks.push(Check {
            clause: label,
            matched: all,
            // Usually one clause: its text is kept as it is.
            detail: if details.len() == 1 {
                details.swap_remove(0)
            } else {
                details.join("; ")
            },
        });
        if all {
            result.matched = Some(index);
            return result;
        }
    }
    result
}

/// `rules:if` (clause/if.rb): the statement's `truthful?`, with unexpanded variable values.
pub fn if_clause(
    node: &Node,
    scope: &Scope,
    ctx: &ClauseContext,
) -> Result<(bool, String), String> {
    let source = node.scalar_str().unwrap_or_default();
    Ok(explain_if(&source, scope, ctx))
}

/// Evaluates an expression and says why it gave its result.
pub fn explain_if(source: &str, scope: &Scope, ctx: &ClauseContext) -> (bool, String) {
    let expression = match expr::parse(source) {
        Ok(e) => e,
        Err(e) => {
            return (
                false,
                format!("`{source}` cannot be evaluated: {}", e.message),
            )
        }
    };
    // The result and its explanation depend only on the statement and what it reads.
    let mut key = String::with_capacity(source.len() + 32);
    key.push_str(source);
    for name in expression.variables() {
        key.push('\0');
        key.push_str(name);
        match scope.lookup(name) {
            Some((value, origin)) => {
                key.push('=');
                key.push_str(value);
                key.push('\0');
                // One character per origin: the key only has to tell them apart.
                key.push(char::from(b'0' + origin as u8));
            }
            None => key.push('!'),
        }
    }
    if let Some(hit) = ctx.explained.borrow().get(&key) {
        return hit.clone();
    }
    let result = explain_fresh(source, &expression, scope, ctx.request);
    let mut explained = ctx.explained.borrow_mut();
    if explained.len() < 4096 {
        explained.insert(key, result.clone());
    }
    result
}

fn explain_fresh(
    source: &str,
    expression: &expr::Expression,
    scope: &Scope,
    request: &PipelineRequest,
) -> (bool, String) {
    let trace = expression.trace(scope);
    let mut reads = Vec::new();
    collect_reads(&trace.root, scope, request, &mut reads);
    let verdict = if trace.truthful { "true" } else { "false" };
    let mut text = format!("`{source}` is {verdict}");
    if let Some(error) = &trace.error {
        let _ = write!(
            text,
            " (GitLab treats the error \"{}\" as false)",
            error.message
        );
    }
    if !reads.is_empty() {
        text.push_str(": ");
        text.push_str(&reads.join(", "));
    }
    (trace.truthful, text)
}

fn collect_reads(
    node: &TraceNode,
    scope: &Scope,
    request: &PipelineRequest,
    out: &mut Vec<String>,
) {
    if let TraceKind::Variable { name } = &node.kind {
        if matches!(node.outcome, Outcome::Skipped) {
            return;
        }
        let described = match scope.lookup(name) {
            Some((value, origin)) => {
                let shown = if value.chars().count() > 80 {
                    let cut: String = value.chars().take(77).collect();
                    format!("{cut}...")
                } else {
                    value.to_owned()
                };
                format!("${name} is {} ({})", crate::ruby::inspect_str(&shown), origin.describe())
            }
            None if scope.is_withheld(name) => format!(
                "${name} is not set: it is a protected project variable, and `{}` is not a protected ref, so GitLab leaves it out of this pipeline",
                request.ref_name
            ),
            None if scope.out_of_scope(name).is_some() => {
                let scope_name = scope.out_of_scope(name).unwrap_or("*");
                match scope.environment() {
                    Some(environment) => format!(
                        "${name} is not set: its CI/CD variable is scoped to environment `{scope_name}`, which does not match this job's environment `{environment}`"
                    ),
                    None => format!(
                        "${name} is not set: its CI/CD variable is scoped to environment `{scope_name}`, and only variables of scope `*` are seen without an environment (workflow and include rules, jobs without `environment:`)"
                    ),
                }
            }
            None => match absence_reason(name, request) {
                Some(reason) => format!("${name} is not set: {reason}"),
                None => format!(
                    "${name} is not set (no predefined, project, pipeline or configuration variable has this name)"
                ),
            },
        };
        if !out.contains(&described) {
            out.push(described);
        }
        return;
    }
    for child in &node.children {
        collect_reads(child, scope, request, out);
    }
}

/// The globs of `changes`/`exists`: a list, or `{paths: [...]}`.
fn paths_of(node: &Node) -> Vec<String> {
    let list = match &node.value {
        Value::Map(m) => m.get("paths"),
        _ => Some(node),
    };
    match list.map(|n| &n.value) {
        Some(Value::Seq(items)) => items.iter().filter_map(Node::scalar_to_s).collect(),
        Some(_) => list.and_then(Node::scalar_to_s).into_iter().collect(),
        None => Vec::new(),
    }
}

/// `rules:changes` (clause/changes.rb).
fn changes_clause(
    node: &Node,
    scope: &Scope,
    ctx: &ClauseContext,
) -> Result<(bool, String), String> {
    let globs: Vec<String> = paths_of(node)
        .iter()
        .map(|g| scope.expand_existing(g))
        .collect();
    let compare_to = node
        .get("compare_to")
        .and_then(Node::scalar_to_s)
        .map(|r| scope.expand_existing(&r));
    let regexp = node.get("regexp").and_then(Node::scalar_to_s);
    let (paths, base_note) = match &compare_to {
        Some(reference) => match (ctx.compare_to)(reference) {
            Some(paths) => (
                Some(paths),
                format!("the files that differ from `{reference}`"),
            ),
            None => return Err("rules:changes:compare_to is not a valid ref".to_owned()),
        },
        None => (
            ctx.request.changed_paths.clone(),
            ctx.request.changes_note.clone(),
        ),
    };
    let shown = globs_list(&globs);
    let Some(paths) = paths else {
        return Ok((
            true,
            format!("`changes: {shown}` is true: {}", ctx.request.changes_note),
        ));
    };
    if let Some(pattern) = regexp {
        let refs: Vec<&str> = paths.iter().map(String::as_str).collect();
        return regexp_clause("changes", &pattern, scope, &refs, &base_note);
    }
    Ok(match_paths(&globs, &paths, &shown, "changes", &base_note))
}

fn match_paths(
    globs: &[String],
    paths: &[String],
    shown: &str,
    keyword: &str,
    base: &str,
) -> (bool, String) {
    let mut comparisons = 0usize;
    for path in paths {
        for glob in globs {
            comparisons += 1;
            if comparisons > COMPARISON_LIMIT {
                return (
                    true,
                    format!("`{keyword}: {shown}` is true: more than {COMPARISON_LIMIT} comparisons, which GitLab counts as a match"),
                );
            }
            if fnmatch(glob, path) {
                return (
                    true,
                    format!("`{keyword}: {shown}` is true: `{path}` matches `{glob}`"),
                );
            }
        }
    }
    let listed = if paths.is_empty() {
        "none".to_owned()
    } else {
        truncated_list(paths)
    };
    (
        false,
        format!("`{keyword}: {shown}` is false: no path matches among {base} ({listed})"),
    )
}

/// `rules:exists` (clause/exists.rb): globs against the files at the pipeline's commit.
fn exists_clause(
    node: &Node,
    scope: &Scope,
    ctx: &ClauseContext,
) -> Result<(bool, String), String> {
    let globs: Vec<String> = paths_of(node)
        .iter()
        .map(|g| scope.expand_existing(g))
        .collect();
    let shown = globs_list(&globs);
    if let Some(pattern) = node.get("regexp").and_then(Node::scalar_to_s) {
        let files: Vec<&str> = ctx
            .request
            .files
            .iter()
            .map(|(_, f)| f.path.as_str())
            .collect();
        return regexp_clause(
            "exists",
            &pattern,
            scope,
            &files,
            "the files in the repository at this commit",
        );
    }
    if let Some(project) = node.get("project").and_then(Node::scalar_to_s) {
        let project = scope.expand_existing(&project);
        if project != ctx.project_path {
            return Ok((
                true,
                format!("`exists: {shown}` in project `{project}`: pipesim cannot see other projects and assumes the files exist (uncertain)"),
            ));
        }
    }
    let mut comparisons = 0usize;
    for (_, file) in ctx.request.files.iter() {
        for glob in &globs {
            comparisons += 1;
            if comparisons > COMPARISON_LIMIT {
                return Ok((true, format!("`exists: {shown}` is true: more than {COMPARISON_LIMIT} comparisons, which GitLab counts as a match")));
            }
            if fnmatch(glob, &file.path) {
                return Ok((
                    true,
                    format!(
                        "`exists: {shown}` is true: `{}` is in the repository",
                        file.path
                    ),
                ));
            }
        }
    }
    Ok((
        false,
        format!("`exists: {shown}` is false: no file in the repository at this commit matches"),
    ))
}

/// The length limit of a `rules:changes:regexp` / `rules:exists:regexp` pattern after variable
/// expansion (rules_with_regexp_spec.rb: "maximum is 255 characters after variable expansion").
const REGEXP_MAX_LENGTH: usize = 255;

/// `rules:changes:regexp` and `rules:exists:regexp` (spec/services/ci/create_pipeline_service/
/// rules_with_regexp_spec.rb; the clause and its `RegexpMatcher` are not in the source mirror):
/// the pattern, with variables expanded, is matched against each changed path (or each file);
/// any match makes the clause true. Over the comparison limit GitLab fails open (a match).
/// GitLab's matcher is a Ruby regular expression with a time limit; pipesim's engine is RE2-like,
/// so a pattern it cannot compile (lookaround, backreferences) is reported as not evaluated
/// and counted as no match.
fn regexp_clause(
    keyword: &str,
    pattern: &str,
    scope: &Scope,
    candidates: &[&str],
    base: &str,
) -> Result<(bool, String), String> {
    let expanded = scope.expand_existing(pattern);
    if expanded.chars().count() > REGEXP_MAX_LENGTH {
        return Err(format!(
            "rules:{keyword}:regexp is too long (maximum is {REGEXP_MAX_LENGTH} characters after variable expansion)"
        ));
    }
    let shown = format!("{keyword}: {{regexp: {expanded}}}");
    if candidates.len() > COMPARISON_LIMIT {
        return Ok((
            true,
            format!("`{shown}` is true: more than {COMPARISON_LIMIT} paths to compare, which GitLab counts as a match"),
        ));
    }
    // Through the RE2 translation, so `\d`, `\w`, `\s` keep their ASCII meaning (Ruby's too).
    let Some(regex) = crate::expr::Regex::new(&expanded) else {
        return Ok((
            false,
            format!("`{shown}` is not evaluated: pipesim's regular expressions (RE2-like) cannot read this pattern, which GitLab matches as a Ruby regular expression (lookaround, backreferences); counted as no match (uncertain)"),
        ));
    };
    if let Some(path) = candidates.iter().find(|p| regex.is_match(p)) {
        return Ok((true, format!("`{shown}` is true: `{path}` matches")));
    }
    let listed = if candidates.is_empty() {
        "none".to_owned()
    } else {
        let owned: Vec<String> = candidates.iter().map(|p| (*p).to_owned()).collect();
        truncated_list(&owned)
    };
    Ok((
        false,
        format!("`{shown}` is false: no path matches among {base} ({listed})"),
    ))
}

fn globs_list(globs: &[String]) -> String {
    format!("[{}]", globs.join(", "))
}

fn truncated_list(paths: &[String]) -> String {
    const SHOWN: usize = 5;
    let mut text = paths
        .iter()
        .take(SHOWN)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if paths.len() > SHOWN {
        let _ = write!(text, " and {} more", paths.len() - SHOWN);
    }
    text
}

/// `only:changes`/`except:changes` share the path matching (policy/changes.rb).
pub fn policy_changes(
    globs: &[String],
    request: &PipelineRequest,
    keyword: &str,
) -> (bool, String) {
    let shown = globs_list(globs);
    match &request.changed_paths {
        None => (
            true,
            format!("`{keyword}: {shown}` is true: {}", request.changes_note),
        ),
        Some(paths) => match_paths(globs, paths, &shown, keyword, &request.changes_note),
    }
}
