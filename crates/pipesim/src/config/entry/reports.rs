//! Mirrors lib/gitlab/ci/config/entry/reports.rb, in part: each report is a path or a list of
//! paths. The newest list of report types was not found in the source mirror, so unknown
//! report types are not reported.

use super::{attr, config, Check, Cx, Entry, Rule, Ty};

/// `Entry::Reports::CoverageReport` (reports/coverage_report.rb, e480ec6): a hash of
/// `coverage_format` (cobertura or jacoco) and `path`, both required (`with_options(presence:
/// true)` adds presence to each, so a missing one also fails its other check).
const COVERAGE_REPORT: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(&["coverage_format", "path"], &[])),
    attr("coverage_format", Check::Presence(None)),
    attr(
        "coverage_format",
        Check::Inclusion(
            &["cobertura", "jacoco"],
            "must be one of supported formats: cobertura, jacoco.",
        ),
    ),
    attr("path", Check::Presence(None)),
    attr("path", Check::Type(Ty::String, None)),
];

/// Report types whose value is a path or a list of paths (the hash-valued `coverage_report`
/// has its own entry).
const PATH_REPORTS: &[&str] = &[
    "junit",
    "codequality",
    "sast",
    "secret_detection",
    "dependency_scanning",
    "container_scanning",
    "dast",
    "performance",
    "browser_performance",
    "load_performance",
    "metrics",
    "lsif",
    "dotenv",
    "terraform",
    "accessibility",
    "requirements",
    "coverage_fuzzing",
    "api_fuzzing",
    "cluster_image_scanning",
    "cyclonedx",
    "annotations",
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    for key in PATH_REPORTS {
        let rule = super::opt(key, Check::ArrayOfStringsOrString);
        super::run(cx, entry, std::slice::from_ref(&rule));
    }
    if let Some(node) = entry.attr("coverage_report").filter(|n| !n.is_null()) {
        let loc = entry.loc.child("coverage_report");
        super::run(cx, &Entry::new(node, &loc), COVERAGE_REPORT);
    }
}
