//! How `pipesim matrix`, `pipesim test` and `pipesim diff` print what the core returns: text,
//! CSV, Markdown and JUnit XML (the JSON is the core's own serialisation).

use std::path::Path;

use pipesim::matrix::diff::{Diff, JobChange};
use pipesim::matrix::expectations::TestResult;
use pipesim::matrix::{Column, Matrix};

use crate::matrix::cell_word;

fn pipeline_word(column: &Column) -> String {
    match column.main_pipeline() {
        Some(p) => match p.status {
            pipesim::pipeline::Status::Created => "created".to_owned(),
            pipesim::pipeline::Status::Skipped => "skipped".to_owned(),
            pipesim::pipeline::Status::Failed => "failed".to_owned(),
            pipesim::pipeline::Status::NotCreated => "none".to_owned(),
        },
        None => "none".to_owned(),
    }
}

/// A table with the jobs down and the events across, then the events' titles and the legend.
pub fn text(matrix: &Matrix, explain: bool) -> String {
    let mut header = vec!["job".to_owned()];
    header.extend(matrix.columns.iter().map(|c| c.id.clone()));
    let mut lines = vec![header];
    let mut pipeline = vec!["(pipeline)".to_owned()];
    pipeline.extend(matrix.columns.iter().map(pipeline_word));
    lines.push(pipeline);
    for row in &matrix.rows {
        let mut line = vec![row.name()];
        line.extend(row.cells.iter().map(|c| {
            let mut word = cell_word(c.state).to_owned();
            if c.allow_failure {
                word.push('*');
            }
            word
        }));
        lines.push(line);
    }
    let widths: Vec<usize> = (0..lines[0].len())
        .map(|i| {
            lines
                .iter()
                .map(|l| l[i].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for line in &lines {
        let mut text = String::new();
        for (i, cell) in line.iter().enumerate() {
            if i + 1 == line.len() {
                text.push_str(cell);
            } else {
                text.push_str(cell);
                text.push_str(&" ".repeat(widths[i] - cell.chars().count() + 2));
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
    }
    out.push('\n');
    for column in &matrix.columns {
        out.push_str(&format!("{}: {}\n", column.id, column.title));
    }
    out.push_str("in: runs; manual: waits for someone; delayed: starts later; never: left out by its rules; -: no pipeline for it; *: allow_failure\n");
    let findings = findings(matrix);
    if !findings.is_empty() {
        out.push('\n');
        for (text, events) in &findings {
            out.push_str(&format!("! {text} ({})\n", events.join(", ")));
        }
    }
    if explain {
        for (index, column) in matrix.columns.iter().enumerate() {
            out.push_str(&format!("\n{} ({})\n", column.id, column.title));
            for p in &column.pipelines {
                let label = if p.path.is_empty() {
                    "pipeline".to_owned()
                } else {
                    format!("child pipeline of {}", p.path.join(" > "))
                };
                out.push_str(&format!(
                    "  {label} #{} ({}, ref {}): {}\n",
                    p.id,
                    p.source,
                    p.ref_name,
                    one_line(&p.reason)
                ));
            }
            for row in &matrix.rows {
                let cell = &row.cells[index];
                out.push_str(&format!(
                    "  {}: {}: {}\n",
                    row.name(),
                    cell.state.as_str(),
                    one_line(&cell.why)
                ));
            }
            for d in &column.findings {
                out.push_str(&format!(
                    "  ! {}: {}{}\n",
                    d.severity.as_str(),
                    job_prefix(&d.job),
                    d.message
                ));
            }
        }
    }
    out
}

/// The error and warning findings of every column, each once, with the events that have it.
fn findings(matrix: &Matrix) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for column in &matrix.columns {
        for d in &column.findings {
            let place = match &d.file {
                Some(file) if d.line > 0 => format!("{file}:{}:{}: ", d.line, d.column),
                Some(file) => format!("{file}: "),
                None => String::new(),
            };
            let job = job_prefix(&d.job);
            let text = format!(
                "{place}{}: {job}{}",
                d.severity.as_str(),
                one_line(&d.message)
            );
            match out.iter_mut().find(|(t, _)| *t == text) {
                Some((_, events)) if !events.contains(&column.id) => events.push(column.id.clone()),
                Some(_) => {}
                None => out.push((text, vec![column.id.clone()])),
            }
        }
    }
    out
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

/// One line per job, one column per event (`--explain`: one line per cell, with `when` and why).
pub fn csv(matrix: &Matrix, explain: bool) -> String {
    let mut out = String::new();
    if explain {
        out.push_str("job,stage,event,state,when,why\n");
        for row in &matrix.rows {
            for (column, cell) in matrix.columns.iter().zip(&row.cells) {
                let fields = [
                    row.name(),
                    row.stage.clone(),
                    column.id.clone(),
                    cell.state.as_str().to_owned(),
                    cell.when.clone().unwrap_or_default(),
                    one_line(&cell.why),
                ];
                let line: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
        }
        return out;
    }
    let mut header = vec!["job".to_owned(), "stage".to_owned()];
    header.extend(matrix.columns.iter().map(|c| csv_field(&c.id)));
    out.push_str(&header.join(","));
    out.push('\n');
    for row in &matrix.rows {
        let mut line = vec![csv_field(&row.name()), csv_field(&row.stage)];
        line.extend(row.cells.iter().map(|c| c.state.as_str().to_owned()));
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

fn md(text: &str) -> String {
    one_line(text)
        .replace('|', "\\|")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Text inside a code span of a table cell: entities are not read there, only `|` matters.
fn md_code(text: &str) -> String {
    one_line(text).replace('|', "\\|").replace('`', "'")
}

fn md_cell(state: pipesim::matrix::CellState) -> &'static str {
    use pipesim::matrix::CellState;
    match state {
        CellState::In => "✅ in",
        CellState::Manual => "▶️ manual",
        CellState::Delayed => "⏱️ delayed",
        CellState::Never => "never",
        CellState::NoPipeline => "—",
    }
}

/// A Markdown table (for a merge request, a wiki or a docs page); `--explain` adds the reasons.
pub fn markdown(matrix: &Matrix, explain: bool) -> String {
    let mut out = String::from("| job |");
    for c in &matrix.columns {
        out.push_str(&format!(" {} |", md(&c.id)));
    }
    out.push_str("\n|---|");
    out.push_str(&"---|".repeat(matrix.columns.len()));
    out.push_str("\n| *pipeline* |");
    for c in &matrix.columns {
        out.push_str(&format!(" *{}* |", pipeline_word(c)));
    }
    out.push('\n');
    for row in &matrix.rows {
        out.push_str(&format!("| `{}` |", md_code(&row.name())));
        for cell in &row.cells {
            let mut word = md_cell(cell.state).to_owned();
            if cell.allow_failure {
                word.push_str(" (allowed to fail)");
            }
            out.push_str(&format!(" {word} |"));
        }
        out.push('\n');
    }
    out.push('\n');
    for c in &matrix.columns {
        out.push_str(&format!("- **{}**: {}\n", md(&c.id), md(&c.title)));
    }
    let findings = findings(matrix);
    if !findings.is_empty() {
        out.push_str("\nFindings:\n\n");
        for (text, events) in &findings {
            out.push_str(&format!("- {} ({})\n", md(text), events.join(", ")));
        }
    }
    if explain {
        for (index, column) in matrix.columns.iter().enumerate() {
            out.push_str(&format!(
                "\n<details><summary>Why: {}</summary>\n\n",
                md(&column.id)
            ));
            for row in &matrix.rows {
                let cell = &row.cells[index];
                out.push_str(&format!(
                    "- `{}`: {}: {}\n",
                    md_code(&row.name()),
                    cell.state.as_str(),
                    md(&cell.why)
                ));
            }
            out.push_str("\n</details>\n");
        }
    }
    out
}

/// `PASS`/`FAIL` per test with the failures and their reasons, then the counts.
pub fn test_text(results: &[TestResult], file: &Path) -> String {
    let mut out = String::new();
    for r in results {
        if r.passed() {
            out.push_str(&format!("PASS {} ({} checks)\n", r.name, r.checks));
            continue;
        }
        out.push_str(&format!(
            "FAIL {} ({}:{}, event {})\n",
            r.name,
            file.display(),
            r.line,
            r.event
        ));
        if let Some(error) = &r.error {
            out.push_str(&format!("    error: {error}\n"));
        }
        for f in &r.failures {
            out.push_str(&format!("    {}\n", one_line(f)));
        }
    }
    let passed = results.iter().filter(|r| r.passed()).count();
    out.push_str(&format!(
        "{passed} passed, {} failed\n",
        results.len() - passed
    ));
    out
}

fn xml(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            // XML 1.0 has no way to write other control characters.
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 => out.push('?'),
            c => out.push(c),
        }
    }
    out
}

/// JUnit XML as GitLab's parser reads it (lib/gitlab/ci/parsers/test/junit.rb): one
/// `testsuites` root, one `testsuite` named after the tests file, a `testcase` per test with
/// `classname` (the event), `name` (unique within the file), `file` and `time`; a failed
/// expectation is a `failure` child, a test that cannot run an `error` child, each holding the
/// text GitLab shows as the test's output (no attributes: GitLab reads the element's text).
pub fn junit(results: &[TestResult], file: &Path) -> String {
    let failures = results
        .iter()
        .filter(|r| r.error.is_none() && !r.failures.is_empty())
        .count();
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    let suite = xml(&file.display().to_string());
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    out.push_str(&format!(
        "<testsuites name=\"pipesim\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\">\n",
        results.len()
    ));
    out.push_str(&format!(
        "  <testsuite name=\"{suite}\" tests=\"{}\" failures=\"{failures}\" errors=\"{errors}\" skipped=\"0\" time=\"0\">\n",
        results.len()
    ));
    let mut names: Vec<String> = Vec::new();
    for r in results {
        // GitLab keys test cases by classname and name: repeated names would be merged.
        let mut name = r.name.clone();
        let mut n = 2;
        while names.contains(&name) {
            name = format!("{} ({n})", r.name);
            n += 1;
        }
        names.push(name.clone());
        out.push_str(&format!(
            "    <testcase classname=\"pipesim.{}\" name=\"{}\" file=\"{suite}\" time=\"0\">",
            xml(&r.event),
            xml(&name)
        ));
        if let Some(error) = &r.error {
            out.push_str(&format!("\n      <error>{}</error>\n    ", xml(error)));
        } else if !r.failures.is_empty() {
            out.push_str(&format!(
                "\n      <failure>{}</failure>\n      <system-out>{}:{}: {} of {} checks failed</system-out>\n    ",
                xml(&r.failures.join("\n")),
                suite,
                r.line,
                r.failures.len(),
                r.checks
            ));
        }
        out.push_str("</testcase>\n");
    }
    out.push_str("  </testsuite>\n</testsuites>\n");
    out
}

fn change_line(c: &JobChange, sign: char) -> String {
    let mut line = format!(
        "  {sign} {} ({} → {})\n",
        c.job,
        c.before.as_str(),
        c.after.as_str()
    );
    for d in &c.details {
        line.push_str(&format!("      {}\n", one_line(d)));
    }
    line
}

/// Per changed event: jobs added (+), removed (-), changed (~), findings new (!) and fixed.
pub fn diff_text(diff: &Diff) -> String {
    if !diff.changed {
        return "no change: every event creates the same pipelines and jobs\n".to_owned();
    }
    let mut out = String::new();
    for e in &diff.events {
        out.push_str(&format!("{} ({})\n", e.id, e.title));
        if let Some((before, after)) = &e.pipeline {
            out.push_str(&format!("  pipeline: {before} → {after}\n"));
        }
        for c in &e.added {
            out.push_str(&change_line(c, '+'));
        }
        for c in &e.removed {
            out.push_str(&change_line(c, '-'));
        }
        for c in &e.changed {
            out.push_str(&change_line(c, '~'));
        }
        for f in &e.new_findings {
            out.push_str(&format!(
                "  ! new {}: {}{}\n",
                f.severity.as_str(),
                job_prefix(&f.job),
                f.message
            ));
        }
        for f in &e.fixed_findings {
            out.push_str(&format!(
                "  ✓ fixed {}: {}{}\n",
                f.severity.as_str(),
                job_prefix(&f.job),
                f.message
            ));
        }
    }
    if !diff.unchanged.is_empty() {
        out.push_str(&format!("unchanged: {}\n", diff.unchanged.join(", ")));
    }
    out
}

/// The diff as a merge request comment.
pub fn diff_markdown(diff: &Diff) -> String {
    let mut out = String::from("### pipesim: what this change does to the pipelines\n\n");
    if !diff.changed {
        out.push_str("No change: every event creates the same pipelines and jobs.\n");
        return out;
    }
    out.push_str("| event | pipeline | added | removed | changed | new findings | fixed |\n");
    out.push_str("|---|---|---|---|---|---|---|\n");
    let jobs = |list: &[JobChange]| -> String {
        if list.is_empty() {
            return String::new();
        }
        list.iter()
            .map(|c| format!("`{}`", md_code(&c.job)))
            .collect::<Vec<_>>()
            .join(", ")
    };
    for e in &diff.events {
        out.push_str(&format!(
            "| **{}** | {} | {} | {} | {} | {} | {} |\n",
            md(&e.id),
            e.pipeline
                .as_ref()
                .map(|(a, b)| format!("{a} → {b}"))
                .unwrap_or_default(),
            jobs(&e.added),
            jobs(&e.removed),
            jobs(&e.changed),
            e.new_findings.len(),
            e.fixed_findings.len()
        ));
    }
    if !diff.unchanged.is_empty() {
        out.push_str(&format!(
            "\nUnchanged: {}.\n",
            diff.unchanged
                .iter()
                .map(|id| format!("`{}`", md_code(id)))
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    out.push_str("\n<details><summary>Details</summary>\n\n");
    for e in &diff.events {
        out.push_str(&format!("#### {} ({})\n\n", md(&e.id), md(&e.title)));
        for (sign, list) in [
            ("added", &e.added),
            ("removed", &e.removed),
            ("changed", &e.changed),
        ] {
            for c in list {
                out.push_str(&format!(
                    "- {sign} `{}` ({} → {}): {}\n",
                    md_code(&c.job),
                    c.before.as_str(),
                    c.after.as_str(),
                    c.details
                        .iter()
                        .map(|d| md(d))
                        .collect::<Vec<_>>()
                        .join("; ")
                ));
            }
        }
        for f in &e.new_findings {
            out.push_str(&format!(
                "- new {}: {}\n",
                f.severity.as_str(),
                md(&f.message)
            ));
        }
        for f in &e.fixed_findings {
            out.push_str(&format!(
                "- fixed {}: {}\n",
                f.severity.as_str(),
                md(&f.message)
            ));
        }
        out.push('\n');
    }
    out.push_str("</details>\n");
    out
}

/// `job: ` before a finding's message when it is about one job, else nothing.
fn job_prefix(job: &Option<String>) -> String {
    job.as_deref().map(|j| format!("{j}: ")).unwrap_or_default()
}
