//! Plain-English reasons for pipeline and job decisions, written for someone learning GitLab
//! CI: what decided, with the values that were read, and what GitLab does because of it.

use std::borrow::Cow;
use std::fmt::Write;

use crate::event::{PipelineRequest, RefKind, Source};

use super::report::{JobReport, PipelineReport};
use super::rules::Check;

fn list_checks(checks: &[Check]) -> String {
    checks
        .iter()
        .map(|c| format!("{}: {}", c.clause, c.detail))
        .collect::<Vec<_>>()
        .join("; ")
}

/// Borrowed: most jobs get one of the fixed sentences, or none.
fn when_note(job: &JobReport, from_rule: bool) -> Cow<'static, str> {
    match job.when.as_str() {
        "manual" if job.allow_failure => {
            " It is a manual job that may fail (allow_failure: true): the pipeline can succeed without anyone running it.".into()
        }
        "manual" if from_rule => {
            " It is a blocking manual job: `when: manual` in `rules` defaults to allow_failure: false, so later stages wait until someone runs it (add `allow_failure: true` to the rule to make it optional).".into()
        }
        "manual" => " It is a blocking manual job (allow_failure: false): later stages wait until someone runs it.".into(),
        "delayed" => format!(
            " It starts {} after the earlier stages finish.",
            job.start_in.as_deref().unwrap_or("later")
        )
        .into(),
        "on_failure" => " It runs only if a job in an earlier stage fails.".into(),
        "always" => " It runs whatever happens to the earlier stages.".into(),
        _ => "".into(),
    }
}

/// Earlier rules first, then the one that decided, so the story reads in GitLab's order.
pub fn rules(job: &JobReport, index: usize, rule_has_when: bool, job_when: &str) -> String {
    let matched = &job.checks[job.checks.len() - 1];
    let before = &job.checks[..job.checks.len() - 1];
    let mut text = if job.when == "never" {
        "Not in this pipeline.".to_owned()
    } else {
        "In this pipeline.".to_owned()
    };
    for check in before {
        let _ = write!(text, " {} does not match: {}.", check.clause, check.detail);
    }
    if job.when == "never" {
        let _ = write!(
            text,
            " rules[{index}] matches ({}) and says `when: never`, so the job is left out.",
            matched.detail
        );
        return text;
    }
    let source = if rule_has_when {
        "set by the rule".to_owned()
    } else {
        format!("the rule sets no `when`, so the job's `when: {job_when}` applies")
    };
    let _ = write!(
        text,
        " rules[{index}] matches ({}): when: {} ({source}).",
        matched.detail, job.when
    );
    text.push_str(&when_note(job, rule_has_when));
    text
}

pub fn no_rule_matched(checks: &[Check]) -> String {
    if checks.is_empty() {
        return "Not in this pipeline: `rules` is empty, so no rule can match.".to_owned();
    }
    let mut text = "Not in this pipeline: no rule matches, and a job with `rules` is only added when one does.".to_owned();
    for check in checks {
        let _ = write!(text, " {} does not match: {}.", check.clause, check.detail);
    }
    text
}

pub fn rules_error(checks: &[Check]) -> String {
    format!(
        "GitLab could not evaluate this job's rules, which fails the whole pipeline: {}.",
        list_checks(checks)
    )
}

pub fn policy(job: &JobReport, default_only: bool) -> String {
    let checks = list_checks(&job.checks);
    match (job.created, default_only) {
        (true, true) => format!(
            "Added: the job has no `rules`, `only` or `except`, so GitLab gives it `only: [branches, tags]`, which holds ({checks}).{}",
            when_note(job, false)
        ),
        (false, true) => format!(
            "Not in this pipeline: the job has no `rules`, `only` or `except`, so GitLab gives it `only: [branches, tags]`, and that does not hold ({checks}). Merge request pipelines run such jobs only when `rules` or `workflow:rules` are used."
        ),
        (true, false) => format!(
            "Added: every `only` condition holds and no `except` condition does ({checks}).{}",
            when_note(job, false)
        ),
        (false, false) => {
            let failed = job
                .checks
                .iter()
                .find(|c| c.clause.starts_with("only") && !c.matched)
                .or_else(|| job.checks.iter().find(|c| c.clause.starts_with("except") && c.matched));
            match failed {
                Some(c) if c.clause.starts_with("only") => format!(
                    "Not in this pipeline: `{}` does not hold, and every key of `only` must hold ({}).",
                    c.clause, c.detail
                ),
                Some(c) => format!(
                    "Not in this pipeline: `{}` holds, and any key of `except` that holds excludes the job ({}).",
                    c.clause, c.detail
                ),
                None => format!("Not in this pipeline ({checks})."),
            }
        }
    }
}

pub fn no_conditions(job: &JobReport, workflow: bool) -> String {
    debug_assert!(workflow);
    format!(
        "Added: the job has no `rules`, `only` or `except`, and because the configuration has `workflow:rules` GitLab drops the default `only: [branches, tags]`, so it runs in every pipeline the workflow allows.{}",
        when_note(job, false)
    )
}

pub fn workflow_filtered(checks: &[Check], matched_never: bool) -> String {
    if matched_never {
        format!(
            "`workflow:rules` matched a rule with `when: never`, so GitLab creates no pipeline. {}.",
            list_checks(checks)
        )
    } else {
        format!(
            "No `workflow:rules` rule matched, so GitLab creates no pipeline. {}.",
            list_checks(checks)
        )
    }
}

pub fn missing_need(need: &str, why_absent: Option<&str>) -> String {
    let mut text = format!(
        "A job can only need jobs that are in the same pipeline; `{need}` is not in this one, so GitLab refuses to create the pipeline."
    );
    if let Some(why) = why_absent {
        let _ = write!(text, " `{need}`: {why}");
    }
    let _ = write!(
        text,
        " Fix: use `needs: [{{job: {need}, optional: true}}]`, or give both jobs matching rules."
    );
    text
}

pub fn no_jobs(jobs: &[JobReport], workflow: bool, request: &PipelineRequest) -> String {
    let mut text = if jobs.iter().any(|j| j.created) {
        "Only jobs in `.pre` or `.post` would run, and GitLab does not create a pipeline for those alone.".to_owned()
    } else {
        "No job is added to this pipeline, so GitLab does not create it.".to_owned()
    };
    if request.ref_kind == RefKind::MergeRequest
        && !workflow
        && jobs
            .iter()
            .any(|j| j.checks.iter().any(|c| c.clause == "only:refs"))
    {
        text.push_str(" Jobs without `rules` or `only`/`except` default to `only: [branches, tags]`, which never matches a merge request pipeline.");
    }
    text
}

pub fn created(report: &PipelineReport, workflow: bool) -> String {
    let count = report.jobs.iter().filter(|j| j.created).count();
    let what = match report.source.as_str() {
        s if s == Source::MergeRequestEvent.as_str() => "merge request pipeline".to_owned(),
        s if s == Source::Push.as_str() => "push pipeline".to_owned(),
        s => format!("{s} pipeline"),
    };
    let mut text = format!(
        "GitLab creates this {what} for `{}` with {count} job{}.",
        report.ref_name,
        if count == 1 { "" } else { "s" }
    );
    if workflow {
        if let Some(check) = report.workflow.last() {
            let _ = write!(
                text,
                " `workflow:rules` allowed it ({}: {}).",
                check.clause, check.detail
            );
        }
    }
    text
}

/// A configuration whose includes were all left out by their `include:rules`, so that no
/// visible job remains (chain/config/process_spec.rb, `filtered_by_rules`).
/// Why a commit without a CI configuration gets no pipeline.
pub fn config_missing(path: &str) -> String {
    format!("The commit has no `{path}`: GitLab creates no pipeline (chain/config/content.rb stops with `Missing CI config file`, which it shows only when a pipeline is asked for by hand: Run pipeline, the API, a trigger job). Unless Auto DevOps is on for the project: GitLab then runs its Auto DevOps template instead, which pipesim does not simulate.")
}

pub fn includes_filtered() -> String {
    "Every `include` with `rules` is left out for this pipeline, and without them the configuration has no visible job: GitLab reports the pipeline as empty (filtered by rules), not as an invalid configuration. (pipesim reads this from GitLab's spec; the code behind it is not in the source mirror, so whether an include without `rules` changes it is not known.)".to_owned()
}
