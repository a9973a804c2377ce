//! `pipesim simulate` and `pipesim scenario`: build the event from flags (or read a scenario
//! file), call the core, print what it returns.

use std::path::Path;
use std::process::ExitCode;

use pipesim::event::{
    Event, ManualEvent, ManualSource, MergeRequestEvent, MergeRequestPipelineKind, Project, Push,
    RefTarget, Tier,
};
use pipesim::pipeline::{PipelineReport, Status};
use pipesim::simulate::Simulation;
use pipesim::{Diagnostic, Files, Severity};

use crate::{format_diagnostic, Format};

#[derive(clap::Args)]
pub struct SimulateArgs {
    /// The CI configuration file (usually .gitlab-ci.yml).
    pub file: std::path::PathBuf,
    /// What happens: push, tag, merge_request, merged_result, merge_train, schedule, web, api, trigger.
    #[arg(long, value_name = "EVENT")]
    pub event: String,
    /// The branch pushed to, or the pipeline's branch (default: the default branch).
    #[arg(long)]
    pub branch: Option<String>,
    /// The tag pushed, or the pipeline's tag.
    #[arg(long)]
    pub tag: Option<String>,
    #[arg(long)]
    pub source_branch: Option<String>,
    #[arg(long)]
    pub target_branch: Option<String>,
    #[arg(long, default_value_t = 1)]
    pub mr_iid: u64,
    /// A merge request label (repeatable).
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// A pipeline variable, NAME=VALUE (repeatable): the Run pipeline form, API, trigger or schedule variables.
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// A project CI/CD variable, NAME=VALUE (repeatable).
    #[arg(long = "project-var", value_name = "NAME=VALUE")]
    pub project_vars: Vec<String>,
    /// A path the push or merge request changes (repeatable).
    #[arg(long = "changed", value_name = "PATH")]
    pub changed: Vec<String>,
    /// How a job ends, NAME=RESULT with RESULT success, failed, played or skipped (repeatable).
    /// By default jobs succeed and manual jobs are not played.
    #[arg(long = "outcome", value_name = "NAME=RESULT")]
    pub outcomes: Vec<String>,
    /// The push creates the branch (rules:changes is then always true).
    #[arg(long)]
    pub new_branch: bool,
    /// Commit message of the pushed commit.
    #[arg(long)]
    pub message: Option<String>,
    #[arg(long, default_value = "main")]
    pub default_branch: String,
    #[arg(long, default_value = "free")]
    pub tier: String,
    /// The project's full path (CI_PROJECT_PATH).
    #[arg(long, default_value = "group/project")]
    pub project_path: String,
    #[arg(long)]
    pub root: Option<std::path::PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: Format,
}

fn pairs(items: &[String], flag: &str) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| format!("{flag} {pair}: expected NAME=VALUE"))
        })
        .collect()
}

/// Options that contradict each other or the event are a usage error, never ignored.
fn check_options(args: &SimulateArgs) -> Result<(), String> {
    let is_push = args.event == "push";
    let merge_request = matches!(
        args.event.as_str(),
        "merge_request" | "merged_result" | "merge_train"
    );
    if args.new_branch {
        if !is_push {
            return Err(format!(
                "--new-branch applies to --event push, not --event {}",
                args.event
            ));
        }
        if args.tag.is_some() {
            return Err("--new-branch creates a branch; it cannot be used with --tag".to_owned());
        }
        let branch = args.branch.as_deref().unwrap_or(&args.default_branch);
        if branch == args.default_branch {
            return Err(format!(
                "--new-branch with --branch {branch}: {branch} is the default branch, which already exists (give another --branch, or --default-branch)"
            ));
        }
    }
    if args.branch.is_some() && args.tag.is_some() {
        return Err("--branch and --tag name two refs; give one of them".to_owned());
    }
    if !merge_request {
        for (flag, given) in [
            ("--source-branch", args.source_branch.is_some()),
            ("--target-branch", args.target_branch.is_some()),
            ("--label", !args.labels.is_empty()),
        ] {
            if given {
                return Err(format!(
                    "{flag} applies to merge request events, not --event {}",
                    args.event
                ));
            }
        }
    } else if args.branch.is_some() || args.tag.is_some() {
        return Err(format!(
            "--event {} runs on the merge request's source branch: use --source-branch instead of --branch or --tag",
            args.event
        ));
    }
    Ok(())
}

fn build(args: &SimulateArgs, entry: &str) -> Result<(Project, Event), String> {
    check_options(args)?;
    let mut project = Project::new(&args.project_path);
    project.default_branch = args.default_branch.clone();
    project.settings.protected_branches = vec![args.default_branch.clone()];
    project.tier = Tier::parse(&args.tier)
        .ok_or_else(|| format!("--tier {}: expected free, premium or ultimate", args.tier))?;
    project.ci_config_path = entry.to_owned();
    for (key, value) in pairs(&args.project_vars, "--project-var")? {
        project.variables.push(pipesim::event::ProjectVariable {
            key,
            value,
            protected: false,
            ..pipesim::event::ProjectVariable::default()
        });
    }
    let variables = pairs(&args.vars, "--var")?;
    // The same check as a scenario's `branch:`/`tag:`.
    for (flag, name) in [
        ("--branch", &args.branch),
        ("--tag", &args.tag),
        ("--source-branch", &args.source_branch),
        ("--target-branch", &args.target_branch),
        ("--default-branch", &Some(args.default_branch.clone())),
    ] {
        if let Some(problem) = name
            .as_deref()
            .and_then(pipesim::event::scenario::ref_name_problem)
        {
            return Err(format!("{flag} {problem}"));
        }
    }
    let branch = || {
        args.branch
            .clone()
            .unwrap_or_else(|| args.default_branch.clone())
    };
    let target = || match &args.tag {
        Some(tag) => RefTarget::Tag(tag.clone()),
        None => RefTarget::Branch(branch()),
    };
    let changes = (!args.changed.is_empty()).then(|| args.changed.clone());
    let merge_request = |kind| -> Result<Event, String> {
        let source = args
            .source_branch
            .clone()
            .ok_or("--source-branch is required for merge request events")?;
        Ok(Event::MergeRequest(MergeRequestEvent {
            iid: args.mr_iid,
            source_branch: source,
            target_branch: args
                .target_branch
                .clone()
                .unwrap_or_else(|| args.default_branch.clone()),
            labels: args.labels.clone(),
            kind: Some(kind),
            changes: changes.clone(),
            ..MergeRequestEvent::default()
        }))
    };
    let manual = |source| {
        Event::Manual(ManualEvent {
            source,
            target: target(),
            variables: variables.clone(),
            description: None,
            inputs: None,
        })
    };
    let event = match args.event.as_str() {
        "push" | "tag" => {
            let target = if args.event == "tag" {
                RefTarget::Tag(args.tag.clone().ok_or("--tag is required for --event tag")?)
            } else {
                target()
            };
            Event::Push(Push {
                target,
                changes: changes.clone(),
                message: args.message.clone(),
                variables: variables.clone(),
                ..Push::default()
            })
        }
        "merge_request" => merge_request(MergeRequestPipelineKind::Detached)?,
        "merged_result" => merge_request(MergeRequestPipelineKind::MergedResult)?,
        "merge_train" => merge_request(MergeRequestPipelineKind::MergeTrain)?,
        "schedule" => manual(ManualSource::Schedule),
        "web" => manual(ManualSource::Web),
        "api" => manual(ManualSource::Api),
        "trigger" => manual(ManualSource::Trigger),
        other => {
            return Err(format!(
                "--event {other}: expected push, tag, merge_request, merged_result, merge_train, schedule, web, api or trigger"
            ))
        }
    };
    Ok((project, event))
}

pub fn simulate(args: SimulateArgs) -> ExitCode {
    let (files, entry) = match crate::read_repository(&args.file, args.root.as_deref()) {
        Ok(x) => x,
        Err(error) => return error.report(&args.file, true),
    };
    let (project, event) = match build(&args, &entry) {
        Ok(x) => x,
        Err(message) => return crate::usage_error(&message),
    };
    let mut outcomes = Vec::new();
    for (job, result) in match pairs(&args.outcomes, "--outcome") {
        Ok(p) => p,
        Err(message) => return crate::usage_error(&message),
    } {
        let Some(outcome) = pipesim::event::JobOutcome::parse(&result) else {
            return crate::usage_error(&format!(
                "--outcome {job}={result}: expected success, failed, played or skipped"
            ));
        };
        outcomes.push((job, outcome));
    }
    let simulation = pipesim::simulate::simulate_event_with_outcomes(
        &project,
        &files,
        &event,
        args.new_branch,
        &outcomes,
    );
    finish(&simulation, args.format, &args.file, &entry)
}

pub fn scenario(file: &Path, format: Format) -> ExitCode {
    let text = match crate::read_yaml(file) {
        Ok(text) => text,
        Err(error) => return error.report(file, true),
    };
    let mut files = Files::new();
    let name = file.display().to_string();
    let id = files.insert(&name, text);
    // Paths are normalised on insert; diagnostics name the stored path.
    let entry = files.path(id).to_owned();
    let simulation = pipesim::simulate::run_scenario(&files, id);
    finish(&simulation, format, file, &entry)
}

/// Exit 0 when every pipeline could be simulated, 1 when a configuration or event has errors.
fn finish(simulation: &Simulation, format: Format, file: &Path, entry: &str) -> ExitCode {
    match format {
        Format::Json => outln!(
            "{}",
            serde_json::to_string_pretty(simulation).expect("simulation serialises")
        ),
        Format::Text => out!("{}", text(simulation, file, entry)),
    }
    let failed = simulation
        .diagnostics
        .iter()
        .any(|d| d.severity == Severity::Error)
        || simulation
            .pipelines
            .iter()
            .any(|p| p.status == Status::Failed);
    ExitCode::from(if failed { crate::EXIT_INVALID } else { 0 })
}

/// A job's diagnostics by pipeline id and job name, gathered once: looking them up by a scan per
/// job made the text of a large parent/child tree quadratic (1,000 pipelines: seconds).
type ByJob<'a> = std::collections::HashMap<(u64, &'a str), Vec<&'a Diagnostic>>;

fn text(simulation: &Simulation, file: &Path, entry: &str) -> String {
    let mut out = String::new();
    let mut last_event = 0;
    let mut by_job: ByJob = std::collections::HashMap::new();
    for d in &simulation.diagnostics {
        if let (Some(pipeline), Some(job)) = (d.pipeline, d.job.as_deref()) {
            by_job.entry((pipeline, job)).or_default().push(d);
        }
    }
    let events: std::collections::HashSet<usize> =
        simulation.pipelines.iter().map(|p| p.event).collect();
    for pipeline in &simulation.pipelines {
        if pipeline.event != last_event {
            last_event = pipeline.event;
            out.push_str(&format!("event {}\n", pipeline.event));
            for d in simulation
                .diagnostics
                .iter()
                .filter(|d| d.event == Some(last_event) && d.pipeline.is_none())
            {
                out.push_str(&indent(&diagnostic_text(d, file, entry), "  "));
            }
        }
        out.push_str(&pipeline_text(pipeline, &by_job, file, entry));
    }
    for d in simulation
        .diagnostics
        .iter()
        .filter(|d| d.event.is_none_or(|event| !events.contains(&event)))
    {
        out.push_str(&diagnostic_text(d, file, entry));
        out.push('\n');
    }
    out
}

/// Pipeline messages without a position are GitLab's pipeline errors: no file to point at.
fn diagnostic_text(d: &Diagnostic, file: &Path, entry: &str) -> String {
    if d.file.is_some() {
        return format_diagnostic(d, file, entry);
    }
    let mut out = format!("{}: {}", d.severity.as_str(), d.message);
    if let Some(explanation) = &d.explanation {
        out.push_str("\n    ");
        out.push_str(explanation);
    }
    out.push_str(&crate::diagnostic_pointers(d));
    out
}

/// `d` with its files named `project:path`: in a scenario of several projects, each has its own
/// `.gitlab-ci.yml`.
fn of_project(d: &Diagnostic, project: &str) -> Diagnostic {
    let mut d = d.clone();
    d.file = d.file.map(|f| format!("{project}:{f}"));
    if let Some(related) = &mut d.related {
        related.file = format!("{project}:{}", related.file);
    }
    d
}

fn indent(text: &str, prefix: &str) -> String {
    text.lines().map(|l| format!("{prefix}{l}\n")).collect()
}

fn pipeline_text(p: &PipelineReport, by_job: &ByJob, file: &Path, entry: &str) -> String {
    let status = match p.status {
        Status::Created => "created",
        Status::Skipped => "skipped",
        Status::Failed => "failed",
        Status::NotCreated => "not created",
    };
    // With several projects, which one the pipeline (and each file it names) belongs to.
    let project = p.project.as_deref();
    let in_project = project
        .map(|path| format!(" in {path}"))
        .unwrap_or_default();
    let mut out = format!(
        "  pipeline #{}{in_project} ({}, ref {}): {status}\n",
        p.id, p.source, p.ref_name
    );
    // A merge request from a fork: why GitLab runs it in this project.
    if let Some(why) = &p.project_reason {
        out.push_str(&indent(&format!("why here: {why}"), "    "));
    }
    if let (Some(parent), Some(bridge)) = (p.parent, &p.trigger_job) {
        out.push_str(&format!(
            "    child of pipeline #{parent}, started by {bridge}\n"
        ));
    }
    if let (Some(upstream), Some(bridge)) = (p.upstream, &p.trigger_job) {
        out.push_str(&format!(
            "    downstream of pipeline #{upstream}, started by its trigger job {bridge}\n"
        ));
    }
    let diagnostic_text = |d: &Diagnostic, file: &Path, entry: &str| match project {
        Some(path) => diagnostic_text(&of_project(d, path), file, entry),
        None => diagnostic_text(d, file, entry),
    };
    if let Some(name) = &p.name {
        out.push_str(&format!("    name: {name}\n"));
    }
    out.push_str(&indent(&p.reason, "    "));
    for d in p.errors.iter().chain(&p.warnings) {
        out.push_str(&indent(&diagnostic_text(d, file, entry), "    "));
    }
    for stage in &p.stages {
        out.push_str(&format!("    stage {stage}\n"));
        for job in p.jobs.iter().filter(|j| j.created && &j.stage == stage) {
            let mut attrs = vec![job.when.clone()];
            // A manual job that is not played is the default; say so only for other jobs.
            if let Some(outcome) = job
                .outcome
                .as_deref()
                .filter(|o| *o == "failed" || (*o == "not_run" && job.when != "manual"))
            {
                attrs.push(outcome.replace('_', " "));
            }
            if job.allow_failure {
                attrs.push("allow_failure".to_owned());
            }
            if let Some(start_in) = &job.start_in {
                if job.when == "delayed" {
                    attrs.push(format!("start_in {start_in}"));
                }
            }
            if let Some(needs) = &job.needs {
                attrs.push(format!("needs [{}]", needs.join(", ")));
            }
            out.push_str(&format!("      + {} ({})\n", job.name, attrs.join(", ")));
            out.push_str(&indent(&job.why, "          "));
            if let Some(from) = job.artifacts_from.as_ref().filter(|f| !f.is_empty()) {
                out.push_str(&format!("          artifacts from: {}\n", from.join(", ")));
            }
            for (name, value) in &job.dotenv {
                let shown = value.value.as_deref().unwrap_or("(known at run time)");
                out.push_str(&format!(
                    "          dotenv: {name}={shown} (from {}, pipeline #{})\n",
                    value.from, value.pipeline
                ));
            }
            // The variable table in brief: values the runner gets expanded, and withheld ones.
            for row in &job.variables {
                if let (Some(value), Some(expanded), None) =
                    (&row.value, &row.expanded, &row.overridden_by)
                {
                    out.push_str(&format!(
                        "          variable: {}={value} (the runner gets {expanded})\n",
                        row.name
                    ));
                }
                if let Some(why) = &row.withheld {
                    out.push_str(&format!(
                        "          variable: {} withheld ({why})\n",
                        row.name
                    ));
                }
            }
            for d in by_job.get(&(p.id, job.name.as_str())).into_iter().flatten() {
                out.push_str(&indent(&diagnostic_text(d, file, entry), "          ! "));
                if let Some(fix) = &d.fix {
                    let label = if fix.verified {
                        "fix (checked by simulation)"
                    } else {
                        "fix"
                    };
                    out.push_str(&format!("          ! {label}: {}\n", fix.summary));
                    // The change in the user's own files when pipesim could write it there
                    // (a diff `git apply` takes), else the changed part of the configuration.
                    let shown = if fix.diff.is_empty() {
                        &fix.yaml
                    } else {
                        &fix.diff
                    };
                    out.push_str(&indent(shown, "          !     "));
                }
            }
        }
    }
    let left_out: Vec<_> = p.jobs.iter().filter(|j| !j.created).collect();
    if !left_out.is_empty() && p.status != Status::Skipped {
        out.push_str("    not in this pipeline\n");
        for job in left_out {
            out.push_str(&format!("      - {}\n", job.name));
            out.push_str(&indent(&job.why, "          "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        args: SimulateArgs,
    }

    fn check(argv: &[&str]) -> Result<(), String> {
        let mut full = vec!["pipesim", ".gitlab-ci.yml"];
        full.extend_from_slice(argv);
        check_options(&Cli::try_parse_from(full).expect("arguments parse").args)
    }

    #[test]
    fn contradictions_are_usage_errors() {
        assert!(
            check(&["--event", "push", "--new-branch", "--branch", "main"])
                .unwrap_err()
                .contains("default branch")
        );
        assert!(check(&["--event", "push", "--new-branch"]).is_err());
        assert!(check(&["--event", "tag", "--tag", "v1", "--new-branch"]).is_err());
        assert!(check(&["--event", "push", "--branch", "a", "--tag", "v1"]).is_err());
        assert!(check(&["--event", "push", "--source-branch", "a"]).is_err());
        assert!(check(&[
            "--event",
            "merge_request",
            "--source-branch",
            "a",
            "--branch",
            "b"
        ])
        .is_err());
        assert!(check(&["--event", "push", "--new-branch", "--branch", "feature"]).is_ok());
        assert!(check(&["--event", "merge_request", "--source-branch", "a"]).is_ok());
        assert!(check(&[
            "--event",
            "push",
            "--default-branch",
            "trunk",
            "--new-branch",
            "--branch",
            "main"
        ])
        .is_ok());
    }
}
