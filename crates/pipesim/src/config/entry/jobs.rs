//! Mirrors lib/gitlab/ci/config/entry/jobs.rb (with hidden.rb): which top-level keys are
//! jobs, hidden jobs or trigger jobs, and the jobs' own checks.

use super::{bridge, job, Cx, Entry, Loc, GLOBAL_KEYS};
use crate::diagnostic::Finding;
use crate::source::Span;
use crate::yaml::{Map, Node, Value};

/// What kind of entry GitLab makes of a top-level job key (`Entry::Jobs::TYPES`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum JobKind {
    Hidden,
    Job,
    Bridge,
}

/// `Jobs.find_type`: the first of Hidden, Job, Bridge whose `matching?` accepts the key.
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

/// The kind of a top-level entry that GitLab creates as a job or a bridge (`Entry::Jobs`'s
/// nodes): not a global keyword, not hidden, with `script`/`run` or `trigger`.
pub fn runnable_job_kind(name: &str, value: &Node) -> Option<JobKind> {
    if GLOBAL_KEYS.contains(&name) {
        return None;
    }
    job_kind(name, value).filter(|kind| matches!(kind, JobKind::Job | JobKind::Bridge))
}

/// `Validator#messages` lower-cases and humanizes (`_` becomes a space), then puts the
/// underscores back for names made only of letters, spaces and underscores (its `gsub` on
/// `jobs ([a-z\s]+) config should implement`).
fn humanize_job_name(name: &str) -> String {
    if name
        .chars()
        .all(|c| c.is_ascii_alphabetic() || c == '_' || c.is_whitespace())
    {
        name.to_lowercase()
    } else {
        name.trim_start_matches('_')
            .replace('_', " ")
            .to_lowercase()
    }
}

/// `Entry::Hidden` (hidden.rb): `validates :config, presence: true`.
const HIDDEN: &[super::Rule] = &[super::config(super::Check::Presence(None)).code("hidden-blank")];

/// `root_file` is the file the configuration's root mapping comes from: an empty mapping (a
/// file of comments) has no key to point at, so the error points at that file's start.
pub fn validate(cx: &mut Cx, map: &Map, root_file: crate::FileId) {
    let mark = cx.mark();
    let mut any_visible = false;
    for (key, value) in map.iter() {
        let name = key.scalar_str().unwrap_or_default();
        if GLOBAL_KEYS.contains(&name.as_ref()) {
            continue;
        }
        match job_kind(&name, value) {
            Some(JobKind::Hidden) => {}
            Some(_) => any_visible = true,
            None if cx.lenient && value.get("extends").is_some() => {
                any_visible = true;
                cx.warnings.push(
                    Finding::warning(
                        "job-no-script-offline",
                        format!(
                            "jobs {} config should implement the script:, run:, or trigger: keyword",
                            humanize_job_name(&name)
                        ),
                        Some(key.span),
                    )
                    .explain(format!(
                        "`{name}` has no `script` of its own; it probably gets one through `extends` from an include \
                         pipesim could not read offline. Supply that include to simulate this job."
                    )),
                );
            }
            None => {
                cx.errors.push(
                    Finding::error(
                        "job-no-script",
                        format!(
                            "jobs {} config should implement the script:, run:, or trigger: keyword",
                            humanize_job_name(&name)
                        ),
                        Some(key.span),
                    )
                    .explain(format!(
                        "`{name}` is not a global keyword, so GitLab reads it as a job, but it has no `script`, \
                         `run` or `trigger`. If it is a template for other jobs, start its name with a dot (`.{name}`) \
                         to make it a hidden job; if it is a typo of a keyword, fix the spelling or indentation."
                    )),
                );
            }
        }
    }
    if !any_visible {
        let first_job_key = map
            .entries
            .iter()
            .map(|(k, _)| k)
            .find(|k| !GLOBAL_KEYS.contains(&k.scalar_str().unwrap_or_default().as_ref()));
        let span = first_job_key
            .map(|k| k.span)
            .unwrap_or(Span::file_start(root_file));
        cx.errors.push(
            Finding::error(
                "jobs-none-visible",
                "jobs config should contain at least one visible job",
                Some(span),
            )
            .explain(
                "Every pipeline needs at least one job whose name does not start with a dot and that \
                 has a `script`, `run` or `trigger`.",
            ),
        );
    }
    // `Configurable#compose!` returns early when `Jobs` has errors of its own: a job without
    // `script`/`run`/`trigger` hides every other job's errors.
    if cx.failed_since(mark) {
        return;
    }
    let jobs = Loc::root("jobs");
    for (key, value) in map.iter() {
        let name = key.scalar_str().unwrap_or_default();
        if name.starts_with('.') {
            let loc = jobs.child(&name);
            super::run(cx, &Entry::with_anchor(value, &loc, key.span), HIDDEN);
            continue;
        }
        let Some(kind) = runnable_job_kind(&name, value) else {
            continue;
        };
        // ActiveSupport's `deep_symbolize_keys` leaves integer or boolean keys as they are.
        let is_symbol = matches!(key.value, Value::Str(_) | Value::Symbol(_));
        let loc = jobs.child(&name);
        let entry = Entry::with_anchor(value, &loc, key.span);
        match kind {
            JobKind::Bridge => bridge::validate(cx, &entry, &name, is_symbol),
            _ => job::validate(cx, &entry, &name, is_symbol),
        }
    }
}
