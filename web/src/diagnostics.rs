//! The diagnostics panel: the lint verdict and one entry per error or warning.

use std::rc::Rc;

use pipesim::{Diagnostic, LintReport, Severity};
use yew::prelude::*;

use crate::ENTRY;

#[derive(Properties, PartialEq)]
pub struct DiagnosticsViewProps {
    pub report: Rc<LintReport>,
    /// Called with the 1-based (line, column) of a diagnostic the user picked.
    #[prop_or_default]
    pub on_select: Callback<(u32, u32)>,
}

#[function_component(DiagnosticsView)]
pub fn diagnostics_view(props: &DiagnosticsViewProps) -> Html {
    let report = &props.report;
    let (status_class, status) = if report.valid {
        ("status valid", "Configuration is valid".to_owned())
    } else {
        (
            "status invalid",
            format!(
                "Configuration is invalid: {}",
                plural(report.errors.len(), "error")
            ),
        )
    };
    let summary = match (report.errors.len(), report.warnings.len()) {
        (0, 0) => String::new(),
        (e, 0) => plural(e, "error"),
        (0, w) => plural(w, "warning"),
        (e, w) => format!("{} · {}", plural(e, "error"), plural(w, "warning")),
    };
    let items = report
        .errors
        .iter()
        .chain(&report.warnings)
        .map(|d| diagnostic_item(d, &props.on_select));

    html! {
        <section class="panel diagnostics-panel" aria-labelledby="diagnostics-title">
            <div class="panel-head">
                <h2 id="diagnostics-title">{ "Diagnostics" }</h2>
                <span class="summary">{ summary }</span>
            </div>
            <p id="status" class={status_class} role="status" aria-live="polite">
                <span class="status-icon" aria-hidden="true">{ if report.valid { "✓" } else { "✕" } }</span>
                { status }
            </p>
            <ul id="diagnostics" class="diagnostics">
                { for items }
            </ul>
        </section>
    }
}

fn diagnostic_item(d: &Diagnostic, on_select: &Callback<(u32, u32)>) -> Html {
    let severity = d.severity.as_str();
    let in_editor = d.line > 0 && d.file.as_deref().is_none_or(|f| f == ENTRY);
    let position = match (&d.file, d.line) {
        (_, 0) => String::new(),
        (Some(file), line) if file != ENTRY => format!("{file}:{line}:{}", d.column),
        (_, line) => format!("{line}:{}", d.column),
    };
    let body = html! {
        <>
            // The spaces keep the text readable for screen readers and copy-paste; flex
            // layout drops them visually.
            <span class={classes!("badge", severity)}>{ severity_label(d.severity) }</span>
            { " " }
            if !position.is_empty() {
                <span class="position">{ position }</span>
                { " " }
            }
            <span class="message">{ &d.message }</span>
            { " " }
            <code class="code">{ d.code }</code>
        </>
    };
    let head = if in_editor {
        let (line, column) = (d.line, d.column);
        let onclick = on_select.reform(move |_: MouseEvent| (line, column));
        let label = format!("Go to line {line}");
        html! { <button type="button" class="locate" {onclick} title={label}>{ body }</button> }
    } else {
        html! { <div class="locate">{ body }</div> }
    };
    html! {
        <li class={classes!("diagnostic", severity)}
            data-line={d.line.to_string()}
            data-column={d.column.to_string()}
            data-code={d.code}>
            { head }
            if let Some(explanation) = &d.explanation {
                <p class="explanation">{ inline_code(explanation) }</p>
            }
        </li>
    }
}

/// Explanations mark keywords and values with backticks, as in Markdown: show them as code.
fn inline_code(text: &str) -> Html {
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

fn severity_label(severity: Severity) -> &'static str {
    match severity {
        Severity::Error => "Error",
        Severity::Warning => "Warning",
        Severity::Info => "Note",
    }
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("1 {word}")
    } else {
        format!("{n} {word}s")
    }
}
