//! pipesim: a GitLab CI/CD pipeline simulator.
//!
//! The core is a pure function of its inputs: repository files, project settings and events go
//! in; pipelines, jobs, data flow and diagnostics come out. No I/O, no clock, no printing.
//! See `docs/ARCHITECTURE.md` for the map of the layers.

pub mod casing;
pub mod config;
pub mod dataflow;
pub mod diagnostic;
pub mod event;
pub mod expand;
pub mod expr;
pub mod glob;
pub mod pipeline;
pub mod ruby;
pub mod simulate;
pub mod sort;
pub mod sorted;
pub mod source;
pub mod yaml;

pub use diagnostic::{Diagnostic, Finding, Fix, Severity};
pub use source::{FileId, Files, SourceFile, Span};

use serde::Serialize;

/// The outcome of `pipesim lint`: is the configuration valid the way GitLab validates it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LintReport {
    pub valid: bool,
    pub errors: Vec<Diagnostic>,
    pub warnings: Vec<Diagnostic>,
}

impl LintReport {
    pub fn from_findings(findings: Vec<Finding>, files: &Files) -> Self {
        let mut errors = Vec::new();
        let mut warnings = Vec::new();
        for finding in findings {
            let diagnostic = Diagnostic::resolve(finding, files);
            match diagnostic.severity {
                Severity::Error => errors.push(diagnostic),
                Severity::Warning | Severity::Info => warnings.push(diagnostic),
            }
        }
        LintReport {
            valid: errors.is_empty(),
            errors,
            warnings,
        }
    }
}

/// Validates the configuration whose root file is `entry` (usually `.gitlab-ci.yml`), reading
/// included files from `files`.
pub fn lint(files: &Files, entry: &str) -> LintReport {
    let loaded = config::load(files, entry);
    // `loaded.files` also holds the bundled templates that findings may point into.
    LintReport::from_findings(loaded.findings, &loaded.files)
}

/// The merged configuration as YAML, like GitLab's "Full configuration" view: includes,
/// `extends`, `!reference`, `default` and anchors resolved. `None` when the config has errors
/// that leave nothing to show (e.g. a YAML syntax error); the report says why.
pub fn expand(files: &Files, entry: &str) -> (Option<String>, LintReport) {
    let loaded = config::load(files, entry);
    let yaml = loaded.expanded.as_ref().map(yaml::emit::to_yaml);
    (
        yaml,
        LintReport::from_findings(loaded.findings, &loaded.files),
    )
}
