//! `only` / `except` (deprecated, still supported): every key of `only` must hold, any key of
//! `except` that holds excludes the job; within a key the entries are OR'ed.
//!
//! Sources: lib/gitlab/ci/build/policy.rb, policy/{refs,variables,changes,kubernetes}.rb,
//! lib/gitlab/ci/pipeline/seed/build.rb `included?`, doc/ci/yaml/deprecated_keywords.md.

use crate::event::{PipelineRequest, RefKind};
use crate::expr::from_ruby_syntax;
use crate::yaml::{Node, Value};

use super::rules::{explain_if, policy_changes, Check, ClauseContext};
use super::scope::Scope;

/// `only`/`except` as a list of (key, entries): an array is shorthand for `refs`.
fn specs(node: &Node) -> Vec<(String, Vec<String>)> {
    let strings = |n: &Node| -> Vec<String> {
        match &n.value {
            Value::Seq(items) => items.iter().filter_map(Node::scalar_to_s).collect(),
            _ => n.scalar_to_s().into_iter().collect(),
        }
    };
    match &node.value {
        Value::Map(map) => map
            .iter()
            .filter_map(|(k, v)| {
                let key = k.scalar_to_s()?;
                let entries = if key == "changes" {
                    match v.get("paths") {
                        Some(paths) => strings(paths),
                        None => strings(v),
                    }
                } else {
                    strings(v)
                };
                Some((key, entries))
            })
            .collect(),
        _ => vec![("refs".to_owned(), strings(node))],
    }
}

/// Evaluates one `only` or `except` entry; `keyword` is `only` or `except`. Returns one check
/// per key.
pub fn evaluate(node: &Node, keyword: &str, scope: &Scope, ctx: &ClauseContext) -> Vec<Check> {
    let (request, project_path) = (ctx.request, ctx.project_path);
    specs(node)
        .into_iter()
        .map(|(key, entries)| {
            let (matched, detail) = match key.as_str() {
                "refs" => refs(&entries, request, project_path),
                "variables" => variables(&entries, scope, ctx),
                "changes" => {
                    let globs: Vec<String> =
                        entries.iter().map(|g| scope.expand_existing(g)).collect();
                    policy_changes(&globs, request, &format!("{keyword}:changes"))
                }
                "kubernetes" => (
                    false,
                    "`kubernetes: active` is false: pipesim models no Kubernetes integration"
                        .to_owned(),
                ),
                other => (false, format!("unknown key `{other}`")),
            };
            Check {
                clause: format!("{keyword}:{key}"),
                matched,
                detail,
            }
        })
        .collect()
}

/// policy/refs.rb `matches_pattern?`.
fn refs(patterns: &[String], request: &PipelineRequest, project_path: &str) -> (bool, String) {
    let source = request.source.as_str();
    let sanitized = source.strip_suffix("_event").unwrap_or(source);
    let plural = pluralize(sanitized);
    for written in patterns {
        let (pattern, path) = match written.split_once('@') {
            Some((p, path)) => (p, Some(path)),
            None => (written.as_str(), None),
        };
        if let Some(path) = path {
            if path != project_path {
                continue;
            }
        }
        let why = if request.ref_kind == RefKind::Tag && pattern == "tags" {
            Some("this is a tag pipeline".to_owned())
        } else if request.ref_kind == RefKind::Branch && pattern == "branches" {
            Some("this pipeline runs for a branch".to_owned())
        } else if pattern == sanitized || pattern == plural {
            Some(format!("the pipeline source is `{source}`"))
        } else if matches!(request.ref_kind, RefKind::Branch | RefKind::Tag) {
            match from_ruby_syntax(pattern) {
                Some(regex) if regex.is_match(&request.ref_name) => {
                    Some(format!("`{}` matches the regex", request.ref_name))
                }
                Some(_) => None,
                None if pattern == request.ref_name => {
                    Some(format!("the ref is `{}`", request.ref_name))
                }
                None => None,
            }
        } else {
            None
        };
        if let Some(why) = why {
            return (true, format!("`{written}` matches: {why}"));
        }
    }
    let what = match request.ref_kind {
        RefKind::Branch => format!("branch `{}`", request.ref_name),
        RefKind::Tag => format!("tag `{}`", request.ref_name),
        RefKind::MergeRequest => format!(
            "merge request ref `{}` (merge request pipelines match only `merge_requests`; branch names and regexes never match them)",
            request.ref_name
        ),
    };
    (
        false,
        format!(
            "none of [{}] matches this {source} pipeline for {what}",
            patterns.join(", ")
        ),
    )
}

/// ActiveSupport `pluralize` for the source names GitLab has.
fn pluralize(word: &str) -> String {
    match word {
        "push" => "pushes".to_owned(),
        _ => format!("{word}s"),
    }
}

/// policy/variables.rb: any expression that is `truthful?`.
fn variables(expressions: &[String], scope: &Scope, ctx: &ClauseContext) -> (bool, String) {
    let mut details = Vec::new();
    for source in expressions {
        let (matched, detail) = explain_if(source, scope, ctx);
        details.push(detail);
        if matched {
            return (true, details.join("; "));
        }
    }
    (false, details.join("; "))
}
