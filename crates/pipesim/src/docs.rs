//! Which page of GitLab's documentation a diagnostic code is about, so that a shell can link a
//! finding to what GitLab says on the subject. There is no GitLab counterpart (its messages
//! carry no links but one); the pages are those of gitlabhq/gitlabhq `doc/` as docs.gitlab.com
//! publishes them (`doc/ci/yaml/_index.md` is `ci/yaml/`, a `### needs:project` heading is the
//! anchor `#needsproject`). pipesim's own codes about its input (`scenario-*`, `event-*`...)
//! have no page.

/// Where GitLab's documentation is published.
pub const SITE: &str = "https://docs.gitlab.com/";

/// The documentation page (with its anchor) for diagnostic `code`, or `None` for pipesim's own
/// codes about its input.
pub fn page(code: &str) -> Option<String> {
    page_path(code).map(|path| format!("{SITE}{path}"))
}

/// The CI/CD YAML reference's section on a keyword.
const YAML: &str = "ci/yaml/";

fn page_path(code: &str) -> Option<String> {
    let keyword = |anchor: &str| Some(format!("{YAML}#{anchor}"));
    // Whole codes first, then families by prefix (the first that matches).
    match code {
        "job-when" | "rules-start-in" | "job-start-in" => return keyword("when"),
        "rules-when" | "rules-if-invalid" | "rules-regexp-not-evaluated" | "job-rules-with-only" => {
            return Some("ci/jobs/job_rules/".into())
        }
        "rules-when-no-workflow" | "duplicate-pipelines" => {
            return Some(
                "ci/jobs/job_troubleshooting/#job-may-allow-multiple-pipelines-to-run-for-a-single-action-warning"
                    .into(),
            )
        }
        "pipeline-not-created" | "jobs-none-visible" => return Some("ci/jobs/job_rules/".into()),
        "job-stage-undefined" => return keyword("stage"),
        "job-script-blank" | "job-no-script" | "job-no-script-offline" => return keyword("script"),
        "job-name" | "job-name-too-long" => return Some("ci/jobs/#job-names".into()),
        "job-dependencies-needs" => return keyword("dependencies"),
        "job-exclusive-keys" | "job-run-schema" => return Some(YAML.into()),
        "needs-type" | "needs-too-many" | "needs-cycle" => return keyword("needs"),
        "needs-project-job-token" => return Some("ci/jobs/ci_job_token/".into()),
        "needs-project-not-found" | "needs-project-tier" | "needs-project-expired"
        | "needs-project-unknown" | "needs-project" => return keyword("needsproject"),
        "dependency-not-in-pipeline" | "file-not-provided" | "file-unknown" => {
            return Some("ci/jobs/job_artifacts/".into())
        }
        "variable-not-set" => return Some("ci/variables/dotenv_variables/".into()),
        "parallel-matrix-too-big" => return keyword("parallelmatrix"),
        "retry-when-deprecated" => return keyword("retry"),
        "header-invalid" => return Some("ci/yaml/inputs/".into()),
        "merged-result" => return Some("ci/pipelines/merged_results_pipelines/".into()),
        "merge-train" => return Some("ci/pipelines/merge_trains/".into()),
        _ => {}
    }
    let families: &[(&str, &str)] = &[
        ("yaml-", "ci/yaml/lint/"),
        ("config-", YAML),
        ("job-need", "ci/yaml/#needs"),
        ("job-dependency", "ci/yaml/#dependencies"),
        ("needs-pipeline-", "ci/yaml/#needspipelinejob"),
        ("include-", "ci/yaml/includes/"),
        ("extends-", "ci/yaml/#extends"),
        ("reference-", "ci/yaml/yaml_optimization/#reference-tags"),
        ("default-", "ci/yaml/#default"),
        ("hidden-", "ci/jobs/#hide-a-job"),
        ("parallel-", "ci/yaml/#parallel"),
        ("cache-", "ci/yaml/#cache"),
        ("artifacts-", "ci/yaml/#artifacts"),
        ("environment-", "ci/yaml/#environment"),
        ("image-", "ci/yaml/#image"),
        ("trigger-", "ci/pipelines/downstream_pipelines/"),
        ("downstream-", "ci/pipelines/downstream_pipelines/"),
        ("dotenv-", "ci/variables/dotenv_variables/"),
        ("variables-", "ci/variables/"),
        ("inputs-", "ci/yaml/inputs/"),
    ];
    families
        .iter()
        .find(|(prefix, _)| code.starts_with(prefix))
        .map(|(_, path)| (*path).to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_link_to_the_page_about_them() {
        assert_eq!(
            page("needs-project-tier").as_deref(),
            Some("https://docs.gitlab.com/ci/yaml/#needsproject")
        );
        assert_eq!(
            page("include-not-found").as_deref(),
            Some("https://docs.gitlab.com/ci/yaml/includes/")
        );
        assert_eq!(
            page("job-need-undefined").as_deref(),
            Some("https://docs.gitlab.com/ci/yaml/#needs")
        );
        assert_eq!(
            page("variable-not-set").as_deref(),
            Some("https://docs.gitlab.com/ci/variables/dotenv_variables/")
        );
    }

    #[test]
    fn pipesims_own_input_codes_have_no_page() {
        for code in [
            "scenario-invalid",
            "scenario-unknown-key",
            "event-invalid",
            "event-assumption",
        ] {
            assert_eq!(page(code), None, "{code}");
        }
    }
}
