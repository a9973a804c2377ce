//! The diagnostics panel: the lint verdict, then every finding of the lint and of the
//! simulation, grouped: the configuration first, then each event of the timeline.

use std::collections::HashSet;

use pipesim::simulate::Simulation;
use pipesim::sort::sort_by_key;
use pipesim::{Diagnostic, LintReport, Severity};
use yew::prelude::*;

use crate::state::{Selection, Shared};

#[derive(Properties, PartialEq)]
pub struct DiagnosticsViewProps {
    pub lint: Shared<LintReport>,
    pub simulation: Shared<Simulation>,
    /// Called with the (file path, 1-based line, column) of a diagnostic the user picked.
    #[prop_or_default]
    pub on_locate: Callback<(String, u32, u32)>,
    /// Called when the user picks a diagnostic about a job.
    #[prop_or_default]
    pub on_select_job: Callback<Selection>,
    /// Shown instead of the verdict when the results are not for what is on screen (the
    /// simulation stopped, was cancelled, or has not run).
    #[prop_or_default]
    pub unchecked: Option<AttrValue>,
    /// A newer simulation is under way: the findings shown are for an earlier state.
    #[prop_or_default]
    pub stale: bool,
    /// Called with a checked fix's edits of the user's files ("Apply"), and the pipeline
    /// the finding belongs to (with several projects, its project's files are edited).
    #[prop_or_default]
    pub on_apply: Callback<(Option<u64>, Vec<pipesim::edit::Edit>)>,
}

/// The findings to show, grouped: `None` is the configuration, `Some(n)` event n (1-based).
/// Identical findings (same code, message, place, job and pipeline) are shown once, in the
/// first group that has them.
pub fn grouped<'a>(
    lint: &'a LintReport,
    simulation: &'a Simulation,
) -> Vec<(Option<usize>, Vec<&'a Diagnostic>)> {
    let mut all: Vec<(Option<usize>, &Diagnostic)> = Vec::new();
    all.extend(lint.errors.iter().chain(&lint.warnings).map(|d| (None, d)));
    all.extend(simulation.diagnostics.iter().map(|d| (d.event, d)));
    for pipeline in &simulation.pipelines {
        all.extend(
            pipeline
                .errors
                .iter()
                .chain(&pipeline.warnings)
                .map(|d| (Some(d.event.unwrap_or(pipeline.event)), d)),
        );
    }
    let mut seen = HashSet::new();
    let mut groups: Vec<(Option<usize>, Vec<&Diagnostic>)> = Vec::new();
    for (group, d) in all {
        let key = (
            d.code, &d.message, &d.file, d.line, d.column, &d.job, d.pipeline,
        );
        if !seen.insert(key) {
            continue;
        }
        match groups.iter_mut().find(|(g, _)| *g == group) {
            Some((_, list)) => list.push(d),
            None => groups.push((group, vec![d])),
        }
    }
    sort_by_key(&mut groups, |(g, _)| g.map_or(0, |n| n));
    for (_, list) in &mut groups {
        sort_by_key(list, |d| d.severity);
    }
    groups
}

#[function_component(DiagnosticsView)]
pub fn diagnostics_view(props: &DiagnosticsViewProps) -> Html {
    let report = &props.lint;
    let groups = grouped(report, &props.simulation);
    let count = |severity| {
        groups
            .iter()
            .flat_map(|(_, list)| list)
            .filter(|d| d.severity == severity)
            .count()
    };
    let (errors, warnings, notes) = (
        count(Severity::Error),
        count(Severity::Warning),
        count(Severity::Info),
    );
    // Lint (the file on its own, GitLab's CI Lint) and pipeline creation (the file run for
    // each event) are two verdicts: the file can be valid and a pipeline still fail.
    let lint_errors = report.errors.len();
    let creation_errors = errors.saturating_sub(lint_errors);
    let (status_class, status) = if let Some(text) = &props.unchecked {
        ("status unchecked", text.to_string())
    } else if report.valid {
        ("status valid", "Lint: Configuration is valid".to_owned())
    } else {
        (
            "status invalid",
            format!(
                "Lint: Configuration is invalid: {}",
                plural(lint_errors, "error")
            ),
        )
    };
    let creation = props.unchecked.is_none().then(|| {
        let (class, icon, text) = if creation_errors == 0 {
            ("creation valid", "✓", "Pipeline creation: no errors".to_owned())
        } else {
            (
                "creation invalid",
                "✕",
                format!("Pipeline creation: {}", plural(creation_errors, "error")),
            )
        };
        html! {
            <>
                <p id="creation-status" class={classes!("status", class)}>
                    <span class="status-icon" aria-hidden="true">{ icon }</span>{ text }
                </p>
                if creation_errors > 0 || !report.valid {
                    <p class="verdicts-note">{ "Lint checks the configuration file on its own, as GitLab's CI Lint does. Pipeline creation runs it for each event, where rules, variables, other pipelines and other projects can still fail." }</p>
                }
            </>
        }
    });
    let mut parts = Vec::new();
    if errors > 0 {
        parts.push(plural(errors, "error"));
    }
    if warnings > 0 {
        parts.push(plural(warnings, "warning"));
    }
    if notes > 0 {
        parts.push(plural(notes, "note"));
    }
    let summary = parts.join(" · ");
    let several = groups.len() > 1 || groups.first().is_some_and(|(g, _)| g.is_some());
    let items = groups.iter().map(|(group, list)| {
        let heading = several.then(|| {
            let title = match group {
                None => "Configuration".to_owned(),
                Some(n) => format!("Event {n}"),
            };
            html! { <li class="diagnostic-group" role="presentation">{ title }</li> }
        });
        html! {
            <>
                { for heading }
                { for list.iter().map(|d| diagnostic_item(d, props)) }
            </>
        }
    });

    html! {
        <section class="panel diagnostics-panel" aria-labelledby="diagnostics-title">
            <div class="panel-head">
                <h2 id="diagnostics-title">{ "Diagnostics" }</h2>
                <span class="summary">{ summary }</span>
            </div>
            <p id="status" class={classes!(status_class, props.stale.then_some("stale"))} role="status" aria-live="polite"
                data-checked={props.unchecked.is_none().to_string()}>
                <span class="status-icon" aria-hidden="true">{
                    if props.unchecked.is_some() { "–" } else if report.valid { "✓" } else { "✕" }
                }</span>
                { status }
                { for props.stale.then(|| html! { <span class="checking">{ " · checking…" }</span> }) }
            </p>
            { for creation }
            <ul id="diagnostics" class={classes!("diagnostics", props.stale.then_some("stale"))}>
                { for items }
            </ul>
        </section>
    }
}

fn diagnostic_item(d: &Diagnostic, props: &DiagnosticsViewProps) -> Html {
    let unsure = is_unsure(d);
    let severity = if unsure { "info" } else { d.severity.as_str() };
    let position = match (&d.file, d.line) {
        (Some(file), line) if line > 0 => {
            let label = format!("{file}:{line}:{}", d.column);
            let at = (file.clone(), line, d.column);
            let onclick = props.on_locate.reform(move |_: MouseEvent| at.clone());
            html! {
                <button type="button" class="position" {onclick}
                    title={format!("Go to line {line} of {file}")}>{ label }</button>
            }
        }
        (Some(file), _) => html! { <span class="position">{ file }</span> },
        _ => html! {},
    };
    let show_job = match (&d.job, d.pipeline) {
        (Some(job), Some(pipeline)) => {
            let selection = Selection {
                pipeline,
                job: job.clone(),
            };
            let onclick = props
                .on_select_job
                .reform(move |_: MouseEvent| selection.clone());
            html! {
                <button type="button" class="show-job" {onclick}
                    aria-label={format!("Show job {job} of pipeline #{pipeline}")}>{ "show job" }</button>
            }
        }
        _ => html! {},
    };
    html! {
        <li class={classes!("diagnostic", severity)}
            data-line={d.line.to_string()}
            data-column={d.column.to_string()}
            data-code={d.code}>
            // The spaces keep the text readable for screen readers and copy-paste.
            <div class="diagnostic-head">
                { severity_badge(d.severity, unsure) }
                { " " }
                { position }
                { " " }
                if let Some(job) = &d.job {
                    <span class="job-name">{ job }</span>
                    { " " }
                }
                { code_link(d.code) }
                { show_job }
            </div>
            <p class="message">{ inline_code(&d.message) }</p>
            if let Some(explanation) = &d.explanation {
                <p class="explanation">{ inline_code(explanation) }</p>
            }
            { related_place(d, props) }
            if let Some(fix) = &d.fix {
                { fix_view(d, fix, props) }
            }
        </li>
    }
}

/// The diagnostic's code, linked to the GitLab docs page about it when there is one.
fn code_link(code: &'static str) -> Html {
    match pipesim::docs::page(code) {
        Some(page) => html! {
            <a class="code" href={page} target="_blank" rel="noopener noreferrer"
                title="What GitLab's documentation says about this (opens docs.gitlab.com)"><code>{ code }</code></a>
        },
        None => html! { <code class="code">{ code }</code> },
    }
}

/// The second place a finding is about (the rule that leaves a producer out), as a link into
/// the editor.
fn related_place(d: &Diagnostic, props: &DiagnosticsViewProps) -> Html {
    let Some(related) = &d.related else {
        return html! {};
    };
    let at = (related.file.clone(), related.line, related.column);
    let onclick = props.on_locate.reform(move |_: MouseEvent| at.clone());
    html! {
        <p class="related">{ "See also " }
            <button type="button" class="position" {onclick}
                title={format!("Go to line {} of {}", related.line, related.file)}>
                { format!("{}:{}:{}", related.file, related.line, related.column) }
            </button>
        </p>
    }
}

/// A fix: its summary and check, and, when pipesim could write it into the user's own text,
/// the diff with "Apply" (one undo step in the editor) and "Copy"; otherwise the changed YAML.
fn fix_view(d: &Diagnostic, fix: &pipesim::Fix, props: &DiagnosticsViewProps) -> Html {
    let head = html! {
        <p>
            <strong>{ "Fix: " }</strong>
            { inline_code(&fix.summary) }
            if fix.verified {
                { " " }
                <span class="verified" title="pipesim simulated this change and the problem went away">
                    { "✓ verified" }
                </span>
            }
        </p>
    };
    if fix.diff.is_empty() {
        return html! { <div class="fix">{ head }<pre>{ &fix.yaml }</pre></div> };
    }
    let apply = {
        let edits = fix.edits.clone();
        let pipeline = d.pipeline;
        props
            .on_apply
            .reform(move |_: MouseEvent| (pipeline, edits.clone()))
    };
    let copy = {
        let diff = fix.diff.clone();
        Callback::from(move |_: MouseEvent| {
            crate::share::copy_text(&diff);
        })
    };
    let lines = fix.diff.lines().map(|line| {
        let class = match line.as_bytes().first() {
            Some(b'@') => "diff-hunk",
            _ if line.starts_with("+++") || line.starts_with("---") => "diff-file",
            Some(b'+') => "diff-add",
            Some(b'-') => "diff-del",
            _ => "diff-same",
        };
        html! { <span class={class}>{ line }{ "\n" }</span> }
    });
    html! {
        <div class="fix">
            { head }
            <pre class="fix-diff" aria-label="The fix as a change of your files">{ for lines }</pre>
            <div class="fix-actions">
                <button type="button" class="fix-apply" onclick={apply}
                    title="Change your files as shown (Ctrl+Z in the editor takes it back)">{ "Apply" }</button>
                <button type="button" class="fix-copy" onclick={copy}>{ "Copy diff" }</button>
            </div>
        </div>
    }
}

/// Whether a finding says pipesim could not tell (a part it does not simulate, a file it
/// cannot read offline, an assumption about the event): information, never an error mark.
pub fn is_unsure(d: &Diagnostic) -> bool {
    d.severity == Severity::Info
        || d.code.ends_with("-not-simulated")
        || d.code.ends_with("-offline")
        || d.code == "event-assumption"
}

/// The mark of a finding: a distinct shape and colour per severity (✕ error, ▲ warning,
/// i information), so colour is never the only difference.
pub fn severity_badge(severity: Severity, unsure: bool) -> Html {
    let (class, icon, label) = match severity {
        _ if unsure => ("info", "i", "Info"),
        Severity::Error => ("error", "✕", "Error"),
        Severity::Warning => ("warning", "▲", "Warning"),
        Severity::Info => ("info", "i", "Info"),
    };
    html! {
        <span class={classes!("badge", class)} title={unsure.then_some("pipesim is not sure of this: information only")}>
            <span class="badge-icon" aria-hidden="true">{ icon }</span>{ " " }{ label }
        </span>
    }
}

/// Explanations mark keywords and values with backticks, as in Markdown: show them as code.
pub fn inline_code(text: &str) -> Html {
    text.split('`')
        .enumerate()
        .map(|(i, part)| {
            if i % 2 == 1 {
                html! { <code>{ part }</code> }
            } else {
                html! { { part } }
            }
        })
        .collect()
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::load_scenario_text;

    fn workspace(id: &str) -> crate::state::Workspace {
        let preset = crate::presets::PRESETS.iter().find(|p| p.id == id).unwrap();
        load_scenario_text(preset.id, preset.scenario).unwrap()
    }

    #[test]
    fn groups_configuration_then_events() {
        let w = workspace("duplicate-pipelines");
        let (lint, simulation) = (w.lint(), w.simulate());
        let groups = grouped(&lint, &simulation);
        let keys: Vec<_> = groups.iter().map(|(g, _)| *g).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        assert_eq!(keys, sorted);
        let (group, list) = groups
            .iter()
            .find(|(_, l)| l.iter().any(|d| d.code == "duplicate-pipelines"))
            .unwrap();
        assert_eq!(*group, Some(3), "{list:?}");
    }

    #[test]
    fn an_error_every_pipeline_repeats_is_shown_once() {
        let mut w = workspace("duplicate-pipelines");
        w.files[0]
            .text
            .push_str("\nlint:\n  script: x\n  only: [branches]\n  rules: []\n");
        let (lint, simulation) = (w.lint(), w.simulate());
        assert!(!lint.valid);
        assert!(simulation.pipelines.iter().all(|p| !p.errors.is_empty()));
        let groups = grouped(&lint, &simulation);
        let errors: Vec<_> = groups
            .iter()
            .flat_map(|(_, l)| l)
            .filter(|d| d.severity == Severity::Error)
            .collect();
        assert_eq!(errors.len(), lint.errors.len(), "{errors:#?}");
        assert_eq!(groups[0].0, None);
    }
}
