//! Where passing data breaks, read from a job's script: files it reads that nothing it receives
//! provides (the runner starts each job from a clean checkout, `git clean -ffdx`), reads that
//! must fail and so fail the job (the runner's shell runs with `set -eo pipefail`), files only
//! a command pipesim cannot look into might write (unknown, not a break), and `$VAR`s that
//! some job sets through dotenv but this one does not receive.
//!
//! Sources: gitlab-runner shells/bash.go (`set -eo pipefail`, the fetch step's `git clean
//! -ffdx`), doc/ci/variables/dotenv_variables.md, doc/ci/jobs/job_artifacts.md.

use std::collections::HashMap;

use super::artifacts::Produced;
use super::{
    anchor, artifact_covers, describe_run, fix, job_diagnostic_in, script, strings, Input,
    JobInput, Producers,
};
use crate::diagnostic::{Diagnostic, Finding};
use crate::pipeline::{PipelineReport, VariableRow};
use crate::yaml::{Node, Value};

/// Why a file a script reads may not be there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Absence {
    /// Nothing puts it there: the read fails.
    Missing,
    /// Only the job's `cache` may have it.
    CacheOnly,
    /// The job turns the clean off: it is there only by chance.
    NoClean,
    /// A command pipesim cannot look into runs before the read and may write it.
    Unknown(String),
}

/// Whether `read` finds its file: `None` when something certainly provides it.
pub fn absence(
    input: &Input,
    facts: &script::ScriptFacts,
    read: &script::FileRead,
    received: &[String],
    cached: &[String],
    setting: &dyn Fn(&str) -> Option<String>,
) -> Option<Absence> {
    let path = &read.path;
    if path.contains('$') || path.is_empty() || path.starts_with('/') || path.starts_with('~') {
        return None;
    }
    let written_here = facts
        .writes
        .iter()
        .any(|w| w.command <= read.command && artifact_covers(&w.path, path));
    let tracked = input.request.files.find(path).is_some();
    if written_here || tracked || received.iter().any(|p| artifact_covers(p, path)) {
        return None;
    }
    if let Some((_, name)) = facts.opaque.iter().find(|(c, _)| *c <= read.command) {
        return Some(Absence::Unknown(name.clone()));
    }
    if cached.iter().any(|c| artifact_covers(c, path)) {
        return Some(Absence::CacheOnly);
    }
    let no_clean = setting("GIT_STRATEGY").as_deref() == Some("none")
        || setting("GIT_CLEAN_FLAGS").as_deref() == Some("none");
    if no_clean {
        return Some(Absence::NoClean);
    }
    Some(Absence::Missing)
}

/// The first read that must fail and so fails the job under `set -eo pipefail`: by index in
/// `facts.reads`. A script that turns `-e` off (`set +e`) fails at no read.
pub fn fatal_read(
    input: &Input,
    lines: &[String],
    facts: &script::ScriptFacts,
    received: &[String],
    cached: &[String],
    setting: &dyn Fn(&str) -> Option<String>,
) -> Option<usize> {
    if lines
        .iter()
        .any(|l| l.contains("set +e") || l.contains("set +o errexit"))
    {
        return None;
    }
    facts.fatal_reads.iter().copied().find(|&index| {
        facts.reads.get(index).is_some_and(|read| {
            absence(input, facts, read, received, cached, setting) == Some(Absence::Missing)
        })
    })
}

/// The winner of a variable in a job's table.
pub fn setting_in(table: &[VariableRow], name: &str) -> Option<String> {
    table
        .iter()
        .find(|r| r.name == name && r.overridden_by.is_none() && r.withheld.is_none())
        .and_then(|r| r.expanded.as_deref().or(r.value.as_deref()))
        .map(str::to_owned)
}

/// Files a script reads that nothing this job receives provides: the runner starts from a
/// clean checkout (`git clean -ffdx`), so only tracked files, artifacts and cache are there.
/// `fatal` is the read that fails the job, if any.
#[allow(clippy::too_many_arguments)]
pub fn file_checks(
    report: &PipelineReport,
    input: &Input,
    job: &str,
    job_input: &JobInput,
    (received, cached): (&[String], &[String]),
    produced: &HashMap<String, Produced>,
    table: &[VariableRow],
    fatal: Option<usize>,
    (diagnostics, producers): (&mut Vec<Diagnostic>, &mut Producers),
) {
    let facts = &job_input.script.facts;
    let files = &input.composed.files;
    let setting = |name: &str| setting_in(table, name);
    for (index, read) in facts.reads.iter().enumerate() {
        let path = &read.path;
        let Some(absence) = absence(input, facts, read, received, cached, &setting) else {
            continue;
        };
        let at = anchor::file_read(files, job_input.node, read.command, path);
        if let Absence::Unknown(command) = &absence {
            diagnostics.push(job_diagnostic_in(
                report.event,
                job,
                Finding::info(
                    "file-unknown",
                    format!("pipesim cannot tell whether {path} exists when `{}` reads it: `{command}` runs before and may write it", read.how),
                    at,
                )
                .explain(format!(
                    "pipesim reads the job's own script lines but not the files or tools they run, so what `{command}` leaves behind is unknown. If {path} comes from there, nothing is wrong; if it should come from another job, that job must list it in `artifacts:paths` and this job must depend on it."
                )),
                files,
            ));
            continue;
        }
        let mut origin = String::new();
        for (name, p) in produced {
            if name == job {
                continue;
            }
            if p.artifact_paths.iter().any(|a| artifact_covers(a, path)) {
                origin = format!(" `{name}` in this pipeline uploads it as an artifact, but `{job}` does not receive that job's artifacts (check `dependencies`/`needs` and stages).");
                break;
            }
            if p.writes.iter().any(|w| artifact_covers(w, path)) {
                origin = format!(" `{name}` writes it but does not declare it in `artifacts:paths`, so it stays in that job's working directory and is cleaned away.");
                break;
            }
        }
        if origin.is_empty() {
            if let Some(run) = input.store.artifact_producers(path).first() {
                producers.push((
                    diagnostics.len(),
                    run.job.clone(),
                    fix::FixKind::RunProducerHere,
                ));
                origin = format!(
                    " It was an artifact of `{}` in {}: artifacts stay with the pipeline that made them.",
                    run.job,
                    describe_run(run)
                );
            }
        }
        // GIT_STRATEGY: none skips the checkout and GIT_CLEAN_FLAGS: none the clean: a file
        // left by an earlier job may then still be there, but only by chance (same runner,
        // same build directory), so this stays a finding, one level lower.
        type Make = fn(&'static str, String, Option<crate::Span>) -> Finding;
        let (finding, cleaning): (Make, String) = match absence {
            Absence::CacheOnly => (
                Finding::info,
                format!("{path} can only come from this job's `cache`, and a cache is an optimisation GitLab does not guarantee (first run, another runner, a cleared cache): a job that must have the file should get it as an artifact."),
            ),
            Absence::NoClean => (
                Finding::info,
                format!("This job turns the clean off (`GIT_STRATEGY: none` or `GIT_CLEAN_FLAGS: none`), so {path} is there only if the same runner ran the job that wrote it in the same build directory — nothing guarantees that."),
            ),
            _ if fatal == Some(index) => (
                Finding::error,
                format!("Each job starts from a fresh checkout: the runner's `git clean -ffdx` deletes files earlier jobs left behind, and only tracked files, the artifacts of the jobs this one depends on, and cache are restored. The runner runs the script with `set -eo pipefail`, so `{}` fails, and with it the job: pipesim predicts `failed` for `{job}`, and the jobs after it react to that.", read.how),
            ),
            _ => (
                Finding::warning,
                format!("Each job starts from a fresh checkout: the runner's `git clean -ffdx` deletes files earlier jobs left behind (the log shows `Removing {path}`), and only tracked files, the artifacts of the jobs this one depends on, and cache are restored."),
            ),
        };
        diagnostics.push(job_diagnostic_in(
            report.event,
            job,
            finding(
                "file-not-provided",
                format!("`{}` reads {path}, which is not in {job}'s working directory", read.how),
                at,
            )
            .explain(format!(
                "{cleaning}{origin} Fix: produce {path} in a job of this pipeline, list it in `artifacts:paths` (or `artifacts:reports:dotenv` for variables) and make `{job}` depend on that job."
            )),
            files,
        ));
    }
}

/// Names of `$VAR` / `${VAR}` the commands expand (outside single quotes, where the shell
/// leaves `$` alone).
pub fn variables_read(commands: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for command in commands {
        let bytes = command.as_bytes();
        let mut in_single = false;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\\' => i += 1,
                b'\'' => in_single = !in_single,
                b'$' if !in_single => {
                    let start = if bytes.get(i + 1) == Some(&b'{') {
                        i + 2
                    } else {
                        i + 1
                    };
                    let len = bytes[start.min(bytes.len())..]
                        .iter()
                        .take_while(|b| b.is_ascii_alphanumeric() || **b == b'_')
                        .count();
                    if len > 0 && !bytes[start].is_ascii_digit() {
                        let name = &command[start..start + len];
                        if !out.iter().any(|n| n == name) {
                            out.push(name.to_owned());
                        }
                    }
                    i = start + len;
                    continue;
                }
                _ => {}
            }
            i += 1;
        }
    }
    out
}

/// Paths of the job's `cache` (one cache or a list of them).
pub fn cache_paths(node: &Node) -> Vec<String> {
    match node.get("cache").map(|c| &c.value) {
        Some(Value::Seq(caches)) => caches
            .iter()
            .flat_map(|c| strings(c.get("paths")))
            .collect(),
        Some(Value::Map(_)) => strings(node.get("cache").and_then(|c| c.get("paths"))),
        _ => Vec::new(),
    }
}

/// `$VAR` a script reads that some job produces as a dotenv variable but this job does not
/// receive.
#[allow(clippy::too_many_arguments)]
pub fn variable_checks(
    report: &PipelineReport,
    input: &Input,
    job: &str,
    job_input: &JobInput,
    table: &[VariableRow],
    produced: &HashMap<String, Produced>,
    (diagnostics, producers): (&mut Vec<Diagnostic>, &mut Producers),
) {
    let facts = &job_input.script.facts;
    let read = &job_input.script.variables_read;
    let files = &input.composed.files;
    let at =
        |name: &str| anchor::variable_read(files, job_input.node, &job_input.script.lines, name);
    let mut seen: Vec<&str> = Vec::new();
    for name in read {
        if seen.contains(&name.as_str()) {
            continue;
        }
        seen.push(name);
        if table
            .iter()
            .any(|r| r.name == *name && r.withheld.is_none())
            || facts.exports.iter().any(|(k, _)| k == name)
            || facts
                .writes
                .iter()
                .any(|w| w.entries.iter().any(|e| e.key == *name))
        {
            continue;
        }
        if let Some(row) = table
            .iter()
            .find(|r| r.name == *name && r.withheld.is_some())
            .filter(|r| {
                r.withheld
                    .as_deref()
                    .is_some_and(|w| w.starts_with("scoped to environment"))
            })
        {
            // An `environment_scope` that does not match (issue 15): not a protection matter.
            diagnostics.push(super::variables::out_of_scope_finding(
                report.event,
                job,
                name,
                row,
                (at(name), files),
            ));
            continue;
        }
        if let Some((why, level)) = table
            .iter()
            .find(|r| r.name == *name)
            .and_then(|r| r.withheld.as_deref().map(|w| (w, r.source)))
        {
            // An instance or group variable is named as such (issue 15).
            let level = match level {
                "instance" => "instance",
                "group" => "group",
                _ => "project",
            };
            diagnostics.push(job_diagnostic_in(
                report.event,
                job,
                Finding::warning(
                    "variable-not-set",
                    format!("${name} is empty in {job}: the {level} variable {name} is withheld from this pipeline"),
                    at(name),
                )
                .explain(format!(
                    "The {level} defines {name}, but it is {why}: GitLab gives protected variables only to pipelines of protected branches and tags (builder.rb `secret_project_variables(protected_ref: protected_ref?)`), so the shell expands ${name} to an empty string. Fix: run this job on a protected ref, protect this branch (Settings > Repository > Protected branches), or clear \"Protect variable\" on {name} if it is not a secret."
                )),
                files,
            ));
            continue;
        }
        let here: Vec<(&String, &Produced)> = produced
            .iter()
            .filter(|(n, p)| n.as_str() != job && p.dotenv_attempted.contains(name))
            .collect();
        let earlier = input.store.dotenv_producers(name);
        let rejected: Vec<(&String, &Produced)> = produced
            .iter()
            .filter(|(n, p)| n.as_str() != job && p.dotenv_rejected.is_some())
            .collect();
        if here.is_empty() && earlier.is_empty() && rejected.is_empty() {
            continue;
        }
        let mut story = String::new();
        if let Some((producer, p)) = here.first() {
            match &p.dotenv_rejected {
                Some(reason) => story.push_str(&format!(
                    " `{producer}` writes it to a dotenv report that GitLab rejects ({reason}), so no job receives it."
                )),
                None => story.push_str(&format!(
                    " `{producer}` in this pipeline writes it to a dotenv report, but `{job}` does not receive that job's artifacts (a job receives dotenv variables only from the jobs whose artifacts it downloads: earlier stages, its `needs` with `artifacts: true`, or its `dependencies`)."
                )),
            }
        }
        if here.is_empty() {
            if let Some((producer, p)) = rejected.first() {
                story.push_str(&format!(
                    " `{producer}`'s dotenv report is rejected ({}), so none of its variables reach any job; if {name} was meant to come from it, that is why it is empty.",
                    p.dotenv_rejected.as_deref().unwrap_or_default()
                ));
            }
        }
        if let Some(run) = earlier.first() {
            producers.push((
                diagnostics.len(),
                run.job.clone(),
                fix::FixKind::RunProducerHere,
            ));
            story.push_str(&format!(
                " `{}` set it in {}; dotenv variables never cross into another pipeline through `dependencies` or `needs`.",
                run.job,
                describe_run(run)
            ));
        }
        diagnostics.push(job_diagnostic_in(
            report.event,
            job,
            Finding::warning(
                "variable-not-set",
                format!("${name} is empty in {job}: no variable, dotenv report or setting it receives defines it"),
                at(name),
            )
            .explain(format!(
                "The script reads ${name}, and the shell expands an unset variable to an empty string without an error.{story} Fix: run the job that writes {name} in this pipeline and make `{job}` need it, or define {name} as a CI/CD variable."
            )),
            files,
        ));
    }
}
