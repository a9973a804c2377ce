//! Mirrors lib/gitlab/ci/config/entry/reports.rb, in part: each report is a path or a list of
//! paths. The newest list of report types was not found in the source mirror, so unknown
//! report types are not reported.

use super::{Check, Cx, Entry};

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
}
