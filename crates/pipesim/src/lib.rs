//! pipesim: a GitLab CI/CD pipeline simulator.
//!
//! The core is a pure function of its inputs: repository files, project settings and events go
//! in; pipelines, jobs, data flow and diagnostics come out. No I/O, no clock, no printing.
//! See `docs/ARCHITECTURE.md` for the map of the layers.

pub mod casing;
pub mod config;
pub mod dataflow;
pub mod diagnostic;
pub mod docs;
pub mod edit;
pub mod event;
pub mod expand;
pub mod expr;
pub mod glob;
pub mod masking;
pub mod matrix;
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

/// The one place the followed GitLab version is written (a literal, so `concat!` can use it).
macro_rules! gitlab_version {
    () => {
        "19.5"
    };
}

/// The GitLab pipesim follows: its behaviour and messages are ported from GitLab's source at this
/// version (gitlabhq/gitlabhq, master during the 19.5 development cycle). Shown by `pipesim
/// --version`, in every JSON report (`gitlab_version`) and in the web page's header.
pub const GITLAB_VERSION: &str = gitlab_version!();

/// `pipesim --version`: the tool's own version and the GitLab it follows.
pub const VERSION_LINE: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (follows GitLab ",
    gitlab_version!(),
    ": gitlabhq/gitlabhq master of the ",
    gitlab_version!(),
    " cycle)"
);

/// The outcome of `pipesim lint`: is the configuration valid the way GitLab validates it.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LintReport {
    /// [`GITLAB_VERSION`]: the GitLab whose validation this report reproduces.
    pub gitlab_version: &'static str,
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
            gitlab_version: GITLAB_VERSION,
            valid: errors.is_empty(),
            errors,
            warnings,
        }
    }
}

/// Validates the configuration whose root file is `entry` (usually `.gitlab-ci.yml`), reading
/// included files from `files`.
pub fn lint(files: &Files, entry: &str) -> LintReport {
    let options = config::LoadOptions {
        findings_only: true,
        ..config::LoadOptions::default()
    };
    let loaded = config::load_with(files, entry, &options);
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
