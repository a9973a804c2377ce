//! pipesim's own: the expectations of `pipesim test` (`.pipesim/tests.yml`'s `tests:`) and
//! their checking against a matrix (built on the matrix's columns, i.e. on `simulate`'s
//! reports: cells, each job's variable table, dotenv values and artifacts).
//!
//! ```yaml
//! tests:
//!   - name: a docs change runs no build       # optional (default: the event id)
//!     event: docs-only                        # an event id of the matrix (required)
//!     pipeline: created                       # created | not_created | failed | skipped
//!     jobs: {lint: in, deploy: manual, build: never, "deploy-child > smoke": in}
//!     present: [lint]                         # in, manual or delayed
//!     absent: [build]                         # never, or no pipeline for it
//!     when: {deploy: manual}                  # GitLab's `when` of a created job
//!     needs: {deploy: [build]}                # the job's needs after rules
//!     variables: {deploy: {ENVIRONMENT: production, DEBUG: null}}  # null: not set
//!     dotenv: {deploy: {VERSION: null}}       # received through a dotenv report (null: at run time)
//!     artifacts: {deploy: [build]}            # the jobs whose artifacts it downloads, exactly
//!     no_errors: true                         # no error finding (configuration, data flow)
//!     no_warnings: true                       # no warning finding
//! ```
//!
//! A job of a child pipeline is named with its trigger job: `trigger > job`.

use serde::Serialize;

use crate::diagnostic::Severity;
use crate::pipeline::{JobReport, Status};
use crate::yaml::{Node, Value};

use super::events::Reader;
use super::{CellState, Column, Matrix, PATH_SEPARATOR};

/// Per job, expected values by name (`None`: not set, or only known at run time for dotenv).
pub type JobValues = Vec<(String, Vec<(String, Option<String>)>)>;

/// One test: an event and what must hold for it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Test {
    pub name: String,
    pub event: String,
    /// 1-based line of the test in its file (0: unknown).
    pub line: u32,
    pub pipeline: Option<String>,
    pub jobs: Vec<(String, CellState)>,
    pub present: Vec<String>,
    pub absent: Vec<String>,
    pub when: Vec<(String, String)>,
    pub needs: Vec<(String, Vec<String>)>,
    pub variables: JobValues,
    pub dotenv: JobValues,
    pub artifacts: Vec<(String, Vec<String>)>,
    pub no_errors: bool,
    pub no_warnings: bool,
}

/// The outcome of one test.
#[derive(Clone, Debug, Serialize)]
pub struct TestResult {
    pub name: String,
    pub event: String,
    pub line: u32,
    /// How many expectations were checked.
    pub checks: usize,
    /// Each expectation that does not hold, with the reasons pipesim has.
    pub failures: Vec<String>,
    /// The test could not run (its event is not in the matrix).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

impl TestResult {
    pub fn passed(&self) -> bool {
        self.failures.is_empty() && self.error.is_none()
    }
}

const PIPELINE_STATES: [&str; 4] = ["created", "not_created", "failed", "skipped"];

/// Reads `tests:`.
pub(crate) fn read_tests(reader: &mut Reader, node: &Node) -> Option<Vec<Test>> {
    let Some(items) = node.as_seq() else {
        if node.is_null() {
            return Some(Vec::new());
        }
        reader.error(
            format!("tests must be a list, not {}", node.type_name()),
            node.span,
        );
        return None;
    };
    let mut tests = Vec::with_capacity(items.len());
    for item in items {
        tests.push(read_test(reader, item)?);
    }
    Some(tests)
}

fn read_test(reader: &mut Reader, node: &Node) -> Option<Test> {
    let allowed = [
        "name",
        "event",
        "pipeline",
        "jobs",
        "present",
        "absent",
        "when",
        "needs",
        "variables",
        "dotenv",
        "artifacts",
        "no_errors",
        "no_warnings",
    ];
    let map = reader.map(node, "test", &allowed)?;
    let mut test = Test {
        line: node.span.line,
        ..Test::default()
    };
    for (key, value) in map.iter() {
        let key = key.scalar_to_s().unwrap_or_default();
        let context = format!("test:{key}");
        match key.as_str() {
            "name" => test.name = reader.string(value, &context)?,
            "event" => test.event = reader.string(value, &context)?,
            "pipeline" => {
                let state = reader.string(value, &context)?;
                if !PIPELINE_STATES.contains(&state.as_str()) {
                    reader.error(
                        format!(
                            "{context} `{state}` is not one of {}",
                            PIPELINE_STATES.join(", ")
                        ),
                        value.span,
                    );
                }
                test.pipeline = Some(state);
            }
            "jobs" => {
                for (job, state) in reader.pairs(value, &context)? {
                    match CellState::parse(&state) {
                        Some(s) => test.jobs.push((job, s)),
                        None => reader.error(
                            format!("{context}:{job} `{state}` is not one of in, manual, delayed, never, no_pipeline"),
                            value.span,
                        ),
                    }
                }
            }
            "present" => test.present = reader.strings(value, &context)?,
            "absent" => test.absent = reader.strings(value, &context)?,
            "when" => test.when = reader.pairs(value, &context)?,
            "needs" | "artifacts" => {
                let map = reader.map(value, &context, &[])?;
                let mut out = Vec::new();
                for (job, list) in map.iter() {
                    let job = reader.string(job, &context)?;
                    let list = reader.strings(list, &format!("{context}:{job}"))?;
                    out.push((job, list));
                }
                if key == "needs" {
                    test.needs = out;
                } else {
                    test.artifacts = out;
                }
            }
            "variables" | "dotenv" => {
                let map = reader.map(value, &context, &[])?;
                let mut out = Vec::new();
                for (job, table) in map.iter() {
                    let job = reader.string(job, &context)?;
                    let inner = reader.map(table, &format!("{context}:{job}"), &[])?;
                    let mut values = Vec::new();
                    for (name, v) in inner.iter() {
                        let name = reader.string(name, &context)?;
                        let v = match &v.value {
                            Value::Null => None,
                            _ => Some(reader.string(v, &format!("{context}:{job}:{name}"))?),
                        };
                        values.push((name, v));
                    }
                    out.push((job, values));
                }
                if key == "variables" {
                    test.variables = out;
                } else {
                    test.dotenv = out;
                }
            }
            "no_errors" => test.no_errors = reader.boolean(value, &context)?,
            "no_warnings" => test.no_warnings = reader.boolean(value, &context)?,
            _ => {}
        }
    }
    if test.event.is_empty() {
        reader.error(
            "a test needs an `event` (an event id of the matrix)",
            node.span,
        );
        return None;
    }
    if test.name.is_empty() {
        test.name = test.event.clone();
    }
    Some(test)
}

/// The JSON contract of `pipesim test --format json`: every test's result, and the totals.
#[derive(Clone, Debug, Serialize)]
pub struct TestReport {
    /// [`crate::GITLAB_VERSION`].
    pub gitlab_version: &'static str,
    /// The tests file, as the caller names it.
    pub file: String,
    /// Every test passed.
    pub passed: bool,
    pub summary: TestSummary,
    /// In the file's order.
    pub tests: Vec<TestEntry>,
}

/// How many tests passed, failed (an expectation does not hold) or could not run.
#[derive(Clone, Copy, Debug, Serialize)]
pub struct TestSummary {
    pub tests: usize,
    pub passed: usize,
    pub failed: usize,
    pub errors: usize,
}

/// One test's result with its verdict.
#[derive(Clone, Debug, Serialize)]
pub struct TestEntry {
    pub passed: bool,
    #[serde(flatten)]
    pub result: TestResult,
}

/// The report of `results` from the tests file `file`.
pub fn report(file: &str, results: &[TestResult]) -> TestReport {
    let errors = results.iter().filter(|r| r.error.is_some()).count();
    let passed = results.iter().filter(|r| r.passed()).count();
    TestReport {
        gitlab_version: crate::GITLAB_VERSION,
        file: file.to_owned(),
        passed: passed == results.len(),
        summary: TestSummary {
            tests: results.len(),
            passed,
            failed: results.len() - passed - errors,
            errors,
        },
        tests: results
            .iter()
            .map(|r| TestEntry {
                passed: r.passed(),
                result: r.clone(),
            })
            .collect(),
    }
}

/// Checks every test against the matrix.
pub fn check(matrix: &Matrix, tests: &[Test]) -> Vec<TestResult> {
    tests.iter().map(|t| check_one(matrix, t)).collect()
}

/// Splits `trigger > job` into the trigger path and the job; a name that is a top-level job
/// of the column is taken as it is, even when it contains the separator.
fn split_name(column: &Column, name: &str) -> (Vec<String>, String) {
    if column.job(&[], name).is_some() || !name.contains(PATH_SEPARATOR) {
        return (Vec::new(), name.to_owned());
    }
    let mut parts: Vec<String> = name.split(PATH_SEPARATOR).map(str::to_owned).collect();
    let job = parts.pop().unwrap_or_default();
    (parts, job)
}

fn check_one(matrix: &Matrix, test: &Test) -> TestResult {
    let mut result = TestResult {
        name: test.name.clone(),
        event: test.event.clone(),
        line: test.line,
        checks: 0,
        failures: Vec::new(),
        error: None,
    };
    let Some(column) = matrix.columns.iter().find(|c| c.id == test.event) else {
        result.error = Some(format!(
            "there is no event `{}` in the matrix (its events: {})",
            test.event,
            matrix
                .columns
                .iter()
                .map(|c| c.id.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ));
        return result;
    };
    let fail = |result: &mut TestResult, ok: bool, message: String| {
        result.checks += 1;
        if !ok {
            result.failures.push(message);
        }
    };
    if let Some(expected) = &test.pipeline {
        let (actual, reason) = match column.main_pipeline() {
            Some(p) => (status_name(&p.status), p.reason.clone()),
            None => ("not_created", "the event asks for no pipeline".to_owned()),
        };
        fail(
            &mut result,
            actual == expected,
            format!("pipeline: expected {expected}, got {actual}: {reason}"),
        );
    }
    for (name, expected) in &test.jobs {
        let (path, job) = split_name(column, name);
        let cell = column.cell(&path, &job);
        fail(
            &mut result,
            cell.state == *expected,
            format!(
                "{name}: expected {}, got {}: {}",
                expected.as_str(),
                cell.state.as_str(),
                cell.why
            ),
        );
    }
    for name in &test.present {
        let (path, job) = split_name(column, name);
        let cell = column.cell(&path, &job);
        fail(
            &mut result,
            cell.state.present(),
            format!(
                "{name}: expected present, got {}: {}",
                cell.state.as_str(),
                cell.why
            ),
        );
    }
    for name in &test.absent {
        let (path, job) = split_name(column, name);
        let cell = column.cell(&path, &job);
        fail(
            &mut result,
            !cell.state.present(),
            format!(
                "{name}: expected absent, got {}: {}",
                cell.state.as_str(),
                cell.why
            ),
        );
    }
    for (name, expected) in &test.when {
        let (path, job) = split_name(column, name);
        let cell = column.cell(&path, &job);
        let actual = cell.when.as_deref().unwrap_or("(not in the pipeline)");
        fail(
            &mut result,
            actual == expected,
            format!(
                "{name}: expected when {expected}, got {actual}: {}",
                cell.why
            ),
        );
    }
    for (name, expected) in &test.needs {
        let (path, job) = split_name(column, name);
        let cell = column.cell(&path, &job);
        let actual = cell.needs.clone();
        fail(
            &mut result,
            actual.as_ref().is_some_and(|a| same_set(a, expected)),
            format!(
                "{name}: expected needs [{}], got {}",
                expected.join(", "),
                match actual {
                    Some(a) => format!("[{}]", a.join(", ")),
                    None => "no needs (stage order)".to_owned(),
                }
            ),
        );
    }
    for (name, expected) in &test.variables {
        let (path, job) = split_name(column, name);
        let report = created_job(column, &path, &job);
        for (variable, value) in expected {
            let actual = report.and_then(|j| received(j, variable));
            let ok = report.is_some()
                && match value {
                    Some(want) => actual == Some(Some(want.clone())),
                    None => actual.is_none(),
                };
            fail(
                &mut result,
                ok,
                format!(
                    "{name}: variable {variable}: expected {}, got {}",
                    shown(value.as_deref(), "not set"),
                    match (report, &actual) {
                        (None, _) => "the job is not in the pipeline".to_owned(),
                        (_, None) => "not set".to_owned(),
                        (_, Some(v)) => shown(v.as_deref(), "known only at run time"),
                    }
                ),
            );
        }
    }
    for (name, expected) in &test.dotenv {
        let (path, job) = split_name(column, name);
        let report = created_job(column, &path, &job);
        for (variable, value) in expected {
            let actual = report.and_then(|j| j.dotenv.get(variable.as_str()));
            let ok = match (actual, value) {
                (Some(got), Some(want)) => got.value.as_deref() == Some(want.as_str()),
                (Some(got), None) => got.value.is_none(),
                (None, _) => false,
            };
            fail(
                &mut result,
                ok,
                format!(
                    "{name}: dotenv {variable}: expected {}, got {}",
                    shown(value.as_deref(), "a value known only at run time"),
                    match (report, actual) {
                        (None, _) => "the job is not in the pipeline".to_owned(),
                        (_, None) => "no dotenv value".to_owned(),
                        (_, Some(got)) => format!(
                            "{} (from {})",
                            shown(got.value.as_deref(), "a value known only at run time"),
                            got.from
                        ),
                    }
                ),
            );
        }
    }
    for (name, expected) in &test.artifacts {
        let (path, job) = split_name(column, name);
        let report = created_job(column, &path, &job);
        let actual = report.map(|j| j.artifacts_from.clone().unwrap_or_default());
        fail(
            &mut result,
            actual.as_ref().is_some_and(|a| same_set(a, expected)),
            format!(
                "{name}: expected artifacts from [{}], got {}",
                expected.join(", "),
                match actual {
                    Some(a) => format!("[{}]", a.join(", ")),
                    None => "nothing: the job is not in the pipeline".to_owned(),
                }
            ),
        );
    }
    for (enabled, severity, word) in [
        (test.no_errors, Severity::Error, "error"),
        (test.no_warnings, Severity::Warning, "warning"),
    ] {
        if !enabled {
            continue;
        }
        let found: Vec<String> = column
            .findings
            .iter()
            .filter(|d| d.severity == severity)
            .map(|d| match &d.job {
                Some(job) => format!("{job}: {}", d.message),
                None => d.message.clone(),
            })
            .collect();
        fail(
            &mut result,
            found.is_empty(),
            format!("expected no {word} findings, got: {}", found.join("; ")),
        );
    }
    result
}

pub(crate) fn status_name(status: &Status) -> &'static str {
    match status {
        Status::Created => "created",
        Status::Skipped => "skipped",
        Status::Failed => "failed",
        Status::NotCreated => "not_created",
    }
}

fn shown(value: Option<&str>, none: &str) -> String {
    match value {
        Some(v) => format!("`{v}`"),
        None => none.to_owned(),
    }
}

fn same_set(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().all(|x| b.contains(x)) && b.iter().all(|x| a.contains(x))
}

fn created_job<'a>(column: &'a Column, path: &[String], job: &str) -> Option<&'a JobReport> {
    let pipeline = column.pipeline(path)?;
    if pipeline.status != Status::Created {
        return None;
    }
    pipeline.jobs.iter().find(|j| j.name == job && j.created)
}

/// The value a job receives for `name`: `None` when not set, `Some(None)` when only known at
/// run time. The winning definition (not overridden, not withheld), as the runner gets it.
pub fn received(job: &JobReport, name: &str) -> Option<Option<String>> {
    job.variables
        .iter()
        .find(|row| row.name == name && row.overridden_by.is_none() && row.withheld.is_none())
        .map(|row| row.expanded.clone().or_else(|| row.value.clone()))
}

/// The matrix as expectations (`pipesim test --update`): one test per event, with the
/// pipeline's status, every job's cell state, and `no_errors` when there is no error.
pub fn snapshot(matrix: &Matrix) -> Vec<Test> {
    let mut tests = Vec::with_capacity(matrix.columns.len());
    for (index, column) in matrix.columns.iter().enumerate() {
        let status = column
            .main_pipeline()
            .map_or("not_created", |p| status_name(&p.status));
        let mut test = Test {
            name: format!("{}: {}", column.id, column.title),
            event: column.id.clone(),
            pipeline: Some(status.to_owned()),
            no_errors: !column
                .findings
                .iter()
                .any(|d| d.severity == Severity::Error),
            ..Test::default()
        };
        for row in &matrix.rows {
            let cell = &row.cells[index];
            if cell.state != CellState::NoPipeline || !row.path.is_empty() {
                test.jobs.push((row.name(), cell.state));
            }
        }
        if status != "created" {
            test.jobs.clear();
        }
        tests.push(test);
    }
    tests
}

/// `tests:` as YAML, in the format [`read_tests`] reads (the parts a snapshot fills in).
pub fn tests_yaml(tests: &[Test]) -> String {
    let mut out = String::from("tests:\n");
    for test in tests {
        out.push_str(&format!("  - name: {}\n", quote(&test.name)));
        out.push_str(&format!("    event: {}\n", quote(&test.event)));
        if let Some(pipeline) = &test.pipeline {
            out.push_str(&format!("    pipeline: {pipeline}\n"));
        }
        if !test.jobs.is_empty() {
            out.push_str("    jobs:\n");
            for (job, state) in &test.jobs {
                out.push_str(&format!("      {}: {}\n", quote(job), state.as_str()));
            }
        }
        if test.no_errors {
            out.push_str("    no_errors: true\n");
        }
        if test.no_warnings {
            out.push_str("    no_warnings: true\n");
        }
    }
    out
}

/// A YAML scalar for `text`: plain when it reads back as the same string, double-quoted
/// (JSON escapes, which YAML reads) otherwise.
pub fn quote(text: &str) -> String {
    let plain = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '/' | '.'))
        && text.starts_with(|c: char| c.is_ascii_alphabetic())
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        return text.to_owned();
    }
    let mut out = String::from("\"");
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `text` (a tests file) with its `tests:` section (lines `from` up to `to`, 1-based, `to` 0
/// for the end) replaced by `tests`; with `from` 0 the section is appended.
pub fn replace_tests(text: &str, (from, to): (u32, u32), tests: &str) -> String {
    if from == 0 {
        let mut out = text.to_owned();
        if !out.is_empty() && !out.ends_with('\n') {
            out.push('\n');
        }
        out.push_str(tests);
        return out;
    }
    let mut out = String::new();
    for (index, line) in text.split_inclusive('\n').enumerate() {
        let number = index as u32 + 1;
        if number == from {
            out.push_str(tests);
        }
        if number >= from && (to == 0 || number < to) {
            continue;
        }
        out.push_str(line);
        if !line.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}
