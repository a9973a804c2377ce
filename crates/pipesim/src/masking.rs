//! Masked variables (Ci::Maskable, app/models/concerns/ci/maskable.rb): GitLab sends their
//! values to the runner with `masked: true` and the job log shows `[MASKED]` wherever one
//! appears. pipesim does the same to everything it returns — variable tables, rule and dotenv
//! explanations, findings, fixes — once, at the end of a simulation, so no shell (CLI text or
//! JSON, web tables) can show a masked value.
//!
//! Sources: app/models/concerns/ci/maskable.rb (`to_hash_variable` adds `masked`),
//! doc/ci/variables/_index.md "Mask a CI/CD variable" (`[MASKED]` in job logs).

use crate::diagnostic::Diagnostic;
use crate::event::{Project, ProjectVariable};
use crate::pipeline::PipelineReport;

/// What a masked value becomes.
pub const MASKED: &str = "[MASKED]";

/// The masked values of the projects' instance, group and project variables, longest first
/// (so a value containing another is replaced whole), each once. Empty for a project without
/// masked variables: then nothing is scanned.
pub fn masked_values<'a>(projects: impl IntoIterator<Item = &'a Project>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for project in projects {
        let all = project
            .instance_variables
            .iter()
            .chain(project.group_variables.iter().flat_map(|g| &g.variables))
            .chain(&project.variables);
        for variable in all.filter(|v| is_masked(v)) {
            for form in written_forms(&variable.value) {
                if !form.is_empty() && !out.contains(&form) {
                    out.push(form);
                }
            }
        }
    }
    crate::sort::sort_by(&mut out, |a, b| b.len().cmp(&a.len()));
    out
}

/// The ways pipesim's explanations may write a value: as it is, as Ruby's `String#inspect`
/// writes it inside quotes (a raw masked value may hold `"` or `\\`), and cut to 77 characters
/// and `...` (rule explanations shorten values past 80 characters).
fn written_forms(value: &str) -> Vec<String> {
    let mut forms = vec![value.to_owned()];
    let inspected = crate::ruby::inspect_str(value);
    let inner = inspected
        .strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(&inspected);
    if inner != value {
        forms.push(inner.to_owned());
    }
    if value.chars().count() > 80 {
        let cut: String = value.chars().take(77).collect();
        forms.push(format!("{cut}..."));
    }
    forms
}

/// A masked (or masked and hidden) variable.
pub fn is_masked(variable: &ProjectVariable) -> bool {
    variable.masked || variable.hidden
}

/// `text` with every occurrence of a masked value replaced by `[MASKED]`.
pub fn mask_text(text: &mut String, masks: &[String]) {
    for value in masks {
        if text.contains(value.as_str()) {
            *text = text.replace(value.as_str(), MASKED);
        }
    }
}

fn mask_option(text: &mut Option<String>, masks: &[String]) {
    if let Some(text) = text {
        mask_text(text, masks);
    }
}

/// Masks every value-bearing text of the pipelines and findings.
pub fn mask_reports(
    pipelines: &mut [PipelineReport],
    diagnostics: &mut [Diagnostic],
    masks: &[String],
) {
    if masks.is_empty() {
        return;
    }
    for pipeline in pipelines.iter_mut() {
        mask_pipeline(pipeline, masks);
    }
    for diagnostic in diagnostics.iter_mut() {
        mask_diagnostic(diagnostic, masks);
    }
}

fn mask_pipeline(pipeline: &mut PipelineReport, masks: &[String]) {
    mask_text(&mut pipeline.reason, masks);
    mask_option(&mut pipeline.name, masks);
    for check in &mut pipeline.workflow {
        mask_text(&mut check.detail, masks);
    }
    for diagnostic in pipeline.errors.iter_mut().chain(&mut pipeline.warnings) {
        mask_diagnostic(diagnostic, masks);
    }
    pipeline.variables.retain(|_, value| {
        mask_text(value, masks);
        true
    });
    for job in &mut pipeline.jobs {
        mask_text(&mut job.why, masks);
        mask_option(&mut job.environment, masks);
        for check in &mut job.checks {
            mask_text(&mut check.detail, masks);
        }
        for (_, value) in &mut job.predefined {
            mask_text(value, masks);
        }
        for (_, value) in &mut job.rule_variables {
            mask_text(value, masks);
        }
        job.dotenv.retain(|_, dotenv| {
            mask_option(&mut dotenv.value, masks);
            true
        });
        for row in &mut job.variables {
            mask_option(&mut row.value, masks);
            mask_option(&mut row.expanded, masks);
            mask_option(&mut row.withheld, masks);
        }
    }
}

fn mask_diagnostic(diagnostic: &mut Diagnostic, masks: &[String]) {
    mask_text(&mut diagnostic.message, masks);
    mask_option(&mut diagnostic.explanation, masks);
    if let Some(fix) = &mut diagnostic.fix {
        mask_text(&mut fix.summary, masks);
        mask_text(&mut fix.yaml, masks);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// No masked value reaches the JSON report, whatever writes it: a long value a rule
    /// explanation shortens, a raw value `String#inspect` escapes, a dotenv line, a finding.
    #[test]
    fn no_masked_value_in_the_report() {
        let long = "L".repeat(90);
        let text = format!(
            r#"
variables:
  LONG: {{value: "{long}", masked: true}}
  QUOTED: {{value: 'ab"cd\efgh', masked: true, raw: true}}
files:
  .gitlab-ci.yml: |
    build:
      script:
        - echo "TOKEN=$LONG" > build.env
        - cat "$QUOTED"
      variables:
        BOTH: "$LONG-$QUOTED"
      artifacts: {{reports: {{dotenv: build.env}}}}
      rules:
        - if: $LONG == "{long}" && $QUOTED
    test:
      script: echo $TOKEN
      needs: [build]
events:
  - push: {{branch: main}}
"#
        );
        let mut files = crate::source::Files::new();
        let id = files.insert("scenario.yml", text);
        let simulation = crate::simulate::run_scenario(&files, id);
        let json = serde_json::to_string(&simulation).expect("serialisable");
        assert!(json.contains("[MASKED]"), "{json}");
        assert!(!json.contains(&long[..40]), "{json}");
        assert!(!json.contains("ab\\\"cd"), "{json}");
        assert!(!json.contains("cd\\\\efgh"), "{json}");
        assert!(simulation.pipelines.iter().all(|p| p.created), "{json}");
    }

    #[test]
    fn longest_value_first_and_every_occurrence() {
        let mut project = Project::new("group/app");
        project.variables = vec![
            ProjectVariable {
                key: "A".into(),
                value: "secret12".into(),
                masked: true,
                ..ProjectVariable::default()
            },
            ProjectVariable {
                key: "B".into(),
                value: "secret12345".into(),
                hidden: true,
                ..ProjectVariable::default()
            },
            ProjectVariable {
                key: "C".into(),
                value: "visible1".into(),
                ..ProjectVariable::default()
            },
        ];
        let masks = masked_values([&project]);
        assert_eq!(masks, ["secret12345", "secret12"]);
        let mut text = "a=secret12 b=secret12345 c=visible1".to_owned();
        mask_text(&mut text, &masks);
        assert_eq!(text, "a=[MASKED] b=[MASKED] c=visible1");
    }
}
