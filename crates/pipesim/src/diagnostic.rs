//! Findings about the user's configuration: GitLab's own message, our explanation, and where.
//!
//! A diagnostic is data, never printed here: the CLI formats it as `FILE:LINE:COL: error: ...`,
//! the web app pins it to the editor gutter.

use serde::Serialize;

use crate::source::{Files, Span};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
    Info,
}

impl Severity {
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Error => "error",
            Severity::Warning => "warning",
            Severity::Info => "info",
        }
    }
}

/// One finding, before it is tied to file names (see [`Diagnostic::resolve`]).
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Stable identifier, e.g. `config-unknown-keys`; documented in docs/DIAGNOSTICS.md.
    pub code: &'static str,
    pub severity: Severity,
    /// The text GitLab shows, exactly, where GitLab has one; otherwise our own sentence.
    pub message: String,
    /// Our plain-language explanation of what GitLab does and how to fix it.
    pub explanation: Option<String>,
    pub span: Option<Span>,
    /// A second place the finding is about (e.g. the first of two duplicate keys).
    pub related: Option<Span>,
}

impl Finding {
    pub fn error(code: &'static str, message: impl Into<String>, span: Option<Span>) -> Self {
        Finding {
            code,
            severity: Severity::Error,
            message: message.into(),
            explanation: None,
            span,
            related: None,
        }
    }

    pub fn warning(code: &'static str, message: impl Into<String>, span: Option<Span>) -> Self {
        Finding {
            severity: Severity::Warning,
            ..Finding::error(code, message, span)
        }
    }

    pub fn info(code: &'static str, message: impl Into<String>, span: Option<Span>) -> Self {
        Finding {
            severity: Severity::Info,
            ..Finding::error(code, message, span)
        }
    }

    pub fn explain(mut self, text: impl Into<String>) -> Self {
        self.explanation = Some(text.into());
        self
    }

    pub fn related(mut self, span: Span) -> Self {
        self.related = Some(span);
        self
    }
}

/// A finding with its file resolved to a path: the serialisable form every shell consumes.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagnostic {
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub explanation: Option<String>,
    pub file: Option<String>,
    /// 1-based; 0 when the finding has no position.
    pub line: u32,
    pub column: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<Location>,
    /// 1-based index of the event in a scenario, when the finding belongs to one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub event: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub job: Option<String>,
    /// Id of the pipeline the finding belongs to (an event can create several).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pipeline: Option<u64>,
    /// A configuration change that removes the problem.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fix: Option<Fix>,
}

/// A configuration change that removes a problem.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Fix {
    /// What to change, in one sentence.
    pub summary: String,
    /// The changed part of the configuration, as YAML.
    pub yaml: String,
    /// Whether pipesim simulated the change and saw the problem disappear.
    pub verified: bool,
    /// The same change written into the user's own files (their indentation and quoting
    /// kept): what "Apply" does and what the diff shows. Empty when the change cannot be
    /// written there (the job comes from a template, or its text is in a form pipesim does
    /// not rewrite); `yaml` then says what to change. When there are edits, `verified` is
    /// about the files with these edits applied.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub edits: Vec<crate::edit::Edit>,
    /// `edits` as a unified diff against the user's files (empty without edits).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub diff: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Location {
    pub file: String,
    pub line: u32,
    pub column: u32,
}

impl Diagnostic {
    pub fn resolve(finding: Finding, files: &Files) -> Self {
        // A span from another file set (a bug elsewhere) loses its position rather than
        // panicking: the message still reaches the user.
        let located = finding.span.and_then(|s| {
            files
                .try_get(s.file)
                .map(|f| (f.path.clone(), s.line, s.column))
        });
        let (file, line, column) = match located {
            Some((path, line, column)) => (Some(path), line, column),
            None => (None, 0, 0),
        };
        let related = finding.related.and_then(|s| {
            files.try_get(s.file).map(|f| Location {
                file: f.path.clone(),
                line: s.line,
                column: s.column,
            })
        });
        Diagnostic {
            code: finding.code,
            severity: finding.severity,
            message: finding.message,
            explanation: finding.explanation,
            file,
            line,
            column,
            related,
            event: None,
            job: None,
            pipeline: None,
            fix: None,
        }
    }
}
