//! Mirrors lib/gitlab/ci/config/entry/reports.rb: `artifacts:reports`, a hash of report types,
//! each a path or a list of paths, and `coverage_report` (reports/coverage_report.rb).
//!
//! The newest reports.rb is not in the source mirror (33 stored versions; the one found, e43574ee,
//! still has `cobertura` and `cluster_applications`). `ALLOWED_KEYS` and the per-key checks are
//! taken from a recent copy of GitLab FOSS's reports.rb (CrazyForks/gisia, "Contains code from GitLab
//! FOSS"): it adds `requirements_v2`, `coverage_report`, `cyclonedx`, `annotations` and
//! `repository_xray`, keeps `license_scanning`, and, like every version read, declares no check for
//! `codequality`. pipesim keeps its earlier check on `codequality` (see PATH_REPORTS).

use super::{attr, config, opt, Check, Cx, Entry, Rule, Ty};

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

/// `Reports::ALLOWED_KEYS`.
pub const ALLOWED_KEYS: &[&str] = &[
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
    "license_scanning",
    "metrics",
    "lsif",
    "dotenv",
    "terraform",
    "accessibility",
    "coverage_fuzzing",
    "api_fuzzing",
    "cluster_image_scanning",
    "requirements",
    "requirements_v2",
    "coverage_report",
    "cyclonedx",
    "annotations",
    "repository_xray",
];

const fn path_report(key: &'static str) -> Rule {
    opt(key, Check::ArrayOfStringsOrString)
}

/// `validates :config, type: Hash, allowed_keys:` and the `with_options allow_nil: true`
/// block, in its order. `codequality` has no check in any reports.rb read; pipesim checked it
/// before this table was taken from the source and still does (a ported example expects it,
/// `spec-reports-codequality-integer.yml`): a known difference, listed in docs/PARITY.md.
const RULES: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(ALLOWED_KEYS, &[])),
    path_report("junit"),
    path_report("api_fuzzing"),
    path_report("coverage_fuzzing"),
    path_report("sast"),
    path_report("secret_detection"),
    path_report("dependency_scanning"),
    path_report("container_scanning"),
    path_report("cluster_image_scanning"),
    path_report("dast"),
    path_report("performance"),
    path_report("browser_performance"),
    path_report("load_performance"),
    path_report("license_scanning"),
    path_report("metrics"),
    path_report("lsif"),
    path_report("dotenv"),
    path_report("terraform"),
    path_report("accessibility"),
    path_report("requirements"),
    path_report("requirements_v2"),
    path_report("cyclonedx"),
    path_report("annotations"),
    path_report("repository_xray"),
    path_report("codequality"),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if super::run(cx, entry, RULES) {
        return;
    }
    if let Some(node) = entry.attr("coverage_report").filter(|n| !n.is_null()) {
        let loc = entry.loc.child("coverage_report");
        super::run(cx, &Entry::new(node, &loc), COVERAGE_REPORT);
    }
}
