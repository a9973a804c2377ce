//! Pipeline creation: for one pipeline request, GitLab's chain in order — `[ci skip]`, the
//! configuration (with `include:rules`), `workflow:rules`, each job's `rules` or
//! `only`/`except`, then the seed checks on `needs` — with a reason for every decision.
//!
//! Sources: lib/gitlab/ci/pipeline/chain/{skip,evaluate_workflow_rules,seed,populate}.rb,
//! lib/gitlab/ci/pipeline/seed/build.rb, lib/gitlab/ci/build/rules.rb,
//! lib/gitlab/ci/config/entry/processable.rb (the default `only`).

pub mod explain;
pub mod policy;
pub mod report;
pub mod rules;
pub mod scope;
pub mod shared;

use std::collections::HashMap;
use std::rc::Rc;

use crate::config::{self, NormalizedJob};
use crate::diagnostic::{Diagnostic, Finding};
use crate::event::{variables as predefined, PipelineRequest, Project};
use crate::sorted::SortedMap;
use crate::source::Files;
use crate::yaml::{Map, Node, Value};

pub use report::{DotenvValue, JobReport, PipelineReport, Status, VariableRow, VARIABLE_SOURCES};
pub use rules::Check;
use rules::ClauseContext;
use scope::{inherited_variables, variable_pairs, yaml_variables, PipelineScope, Scope};

/// chain/populate.rb → `Ci::Pipeline.rules_failure_message` (the `rules` link stripped by
/// `Chain::Helpers#error`'s sanitize). Older GitLab said `No stages / jobs for this pipeline.`
pub const EMPTY_PIPELINE_MESSAGE: &str =
    "The resulting pipeline would have been empty. Review the rules configuration for the relevant jobs.";
/// chain/evaluate_workflow_rules.rb → `Ci::Pipeline.workflow_rules_failure_message`
/// (app/models/concerns/ci/has_completion_reason.rb, the `workflow:rules` link stripped by
/// `Chain::Helpers#error`). Older GitLab stored `Pipeline filtered out by workflow rules.`
pub const FILTERED_MESSAGE: &str =
    "The pipeline did not run. Review the workflow:rules configuration for the pipeline.";
/// chain/config/content.rb: the project has no CI configuration at the pipeline's commit.
/// `error('Missing CI config file')` gives no drop reason, so nothing is saved
/// (chain/helpers.rb `drop_pipeline!`): no pipeline, the message only where one is asked for.
pub const MISSING_CONFIG_MESSAGE: &str = "Missing CI config file";
/// `ci_needs_size_limit`'s default plan limit.
const NEEDS_LIMIT: usize = 50;

/// Everything one pipeline's creation reads.
pub struct Request<'a> {
    pub project: &'a Project,
    pub pipeline: &'a PipelineRequest,
    pub id: u64,
    pub iid: u64,
    /// Paths that differ between a ref and this pipeline's commit (`rules:changes:compare_to`);
    /// `None` when the ref does not exist.
    pub compare_to: &'a dyn Fn(&str) -> Option<Vec<String>>,
    /// The scenario's other projects, for `include:project` and `include:component`; `None`
    /// in a scenario of one project (those includes use supplied files).
    pub projects: Option<&'a dyn config::include::ProjectSource>,
}

/// What a created pipeline was made from, for the data-flow layer.
pub struct Composed {
    /// The configuration with `default:` applied to jobs (shared with the other pipelines of a
    /// matrix that compose the same configuration, `shared.rs`).
    pub expanded: Rc<Node>,
    pub normalized: Rc<config::Normalized>,
    /// Top-level `variables:` as written.
    pub global_variables: Vec<(String, String)>,
    /// Top-level `variables:` after `workflow:rules:variables`.
    pub root_variables: Vec<(String, String)>,
    /// Project and pipeline predefined variables.
    pub predefined: Vec<(String, String)>,
    /// The files the configuration was read from, bundled templates included.
    pub files: Rc<Files>,
    /// The data flow's readings of `expanded`'s scripts (kept with the tree they point into).
    pub(crate) script_reads: Rc<std::cell::RefCell<crate::dataflow::ScriptReads>>,
}

/// Creates one pipeline the way GitLab's `CreatePipelineService` chain does.
pub fn create(request: &Request) -> PipelineReport {
    create_composed(request).0
}

/// [`create`], also returning what a created pipeline was composed from.
pub fn create_composed(request: &Request) -> (PipelineReport, Option<Composed>) {
    let mut composed = None;
    let report = create_into(request, &mut composed);
    (report, composed)
}

/// GitLab's `CreatePipelineService` chain, step by step (lib/gitlab/ci/pipeline/chain/*.rb):
/// `Build`, `Skip`, `Config::Content` + `Config::Process`, `EvaluateWorkflowRules`, `Seed`,
/// `Populate`, `Create`. A step that stops the chain returns `None` and leaves the report as
/// GitLab leaves the pipeline.
fn create_into(request: &Request, composed: &mut Option<Composed>) -> PipelineReport {
    let mut build = chain_build(request);
    if chain_skip(request, &mut build.report) {
        return build.report;
    }
    let clause_context = ClauseContext {
        request: request.pipeline,
        compare_to: request.compare_to,
        project_path: &request.project.path,
        explained: Default::default(),
    };
    let Some(mut loaded) = chain_config(request, &build.scope, &clause_context, &mut build.report)
    else {
        return build.report;
    };
    let (Some(expanded), Some(normalized)) = (&loaded.expanded, &loaded.normalized) else {
        return build.report;
    };
    let Some(workflow) =
        chain_evaluate_workflow_rules(expanded, &build.scope, &clause_context, &mut build.report)
    else {
        return build.report;
    };
    let seeds = chain_seed(
        expanded,
        normalized,
        &workflow,
        &build.scope,
        &clause_context,
    );
    if !chain_populate(
        seeds,
        normalized,
        &loaded.files,
        &workflow,
        request.pipeline,
        &mut build.report,
    ) {
        return build.report;
    }
    // Chain::Create. Handed over (or shared), not copied: a large configuration's tree is most
    // of the memory here.
    if let (Some(expanded), Some(normalized)) = (loaded.expanded.take(), loaded.normalized.take()) {
        *composed = Some(Composed {
            expanded,
            normalized,
            global_variables: workflow.global_variables,
            root_variables: workflow.root_variables,
            predefined: build.predefined,
            files: loaded.files,
            script_reads: loaded.script_reads,
        });
    }
    build.report
}

/// A pipeline `Chain::Validate::Abilities` stops right after `Chain::Build`: GitLab saves
/// nothing and answers `error` (with `reason`, in plain English).
pub fn refused(request: &Request, error: Diagnostic, reason: String) -> PipelineReport {
    let mut report = chain_build(request).report;
    report.errors.push(error);
    report.reason = reason;
    report
}

/// What `Chain::Build` sets up: the predefined variables, the variable layers rules read, and
/// the pipeline's report before any step decides.
struct Built {
    predefined: Vec<(String, String)>,
    scope: PipelineScope,
    report: PipelineReport,
}

/// chain/build.rb: the pipeline with its source, ref, sha and variables.
fn chain_build(request: &Request) -> Built {
    let pipeline = request.pipeline;
    let predefined = predefined::predefined(request.project, pipeline, request.iid);
    let scope = PipelineScope::new(request.project, pipeline, predefined.clone());
    let report = PipelineReport {
        event: pipeline.event,
        id: request.id,
        iid: request.iid,
        source: pipeline.source.as_str().to_owned(),
        ref_name: pipeline.ref_name.clone(),
        sha: pipeline.sha.clone(),
        merge_request_iid: pipeline.merge_request.as_ref().map(|mr| mr.iid),
        merge_request_event_type: pipeline
            .merge_request
            .as_ref()
            .map(|mr| mr.kind.as_str().to_owned()),
        created: false,
        status: Status::NotCreated,
        reason: String::new(),
        name: None,
        parent: None,
        trigger_job: None,
        project: None,
        project_reason: None,
        upstream: None,
        workflow: Vec::new(),
        errors: Vec::new(),
        warnings: Vec::new(),
        variables: visible_variables(&scope),
        stages: Vec::new(),
        jobs: Vec::new(),
    };
    Built {
        predefined,
        scope,
        report,
    }
}

/// chain/skip.rb runs before the configuration is read: `[ci skip]` gives a skipped
/// pipeline with no jobs. Returns whether the chain stops here.
fn chain_skip(request: &Request, report: &mut PipelineReport) -> bool {
    if !request.pipeline.skip_ci {
        return false;
    }
    report.created = true;
    report.status = Status::Skipped;
    report.reason = "The commit message contains [ci skip] or [skip ci] (or the push used -o ci.skip): GitLab creates the pipeline with status skipped and runs no jobs.".to_owned();
    true
}

/// chain/config/content.rb + config/process.rb: the configuration read from the request's
/// files, `include:rules` decided with the variables `Builder#config_variables` gives. An
/// invalid configuration gives a failed pipeline with the errors.
fn chain_config(
    request: &Request,
    scope: &PipelineScope,
    clause_context: &ClauseContext,
    report: &mut PipelineReport,
) -> Option<shared::Composition> {
    let include_scope = scope.for_includes();
    let decide_include = |rules_node: &Node| -> bool {
        let rules_list = flat_rules(rules_node);
        let result = rules::evaluate(&rules_list, "include:rules", &include_scope, clause_context);
        result.error.is_none()
            && result
                .matched
                .is_some_and(|i| rule_when(&rules_list[i]).as_deref() != Some("never"))
    };
    // A child or multi-project pipeline takes `trigger:inputs`, never the event's.
    let inputs = request.project.pipeline_inputs.as_ref().filter(|_| {
        !matches!(
            request.pipeline.source,
            crate::event::Source::ParentPipeline | crate::event::Source::Pipeline
        )
    });
    let loaded = shared::compose(
        &request.pipeline.files,
        &request.project.ci_config_path,
        include_variables(scope),
        &decide_include,
        (request.projects, inputs),
    );
    let (errors, warnings): (Vec<Finding>, Vec<Finding>) = loaded
        .findings
        .iter()
        // Validation notes that `rules:*:regexp` is not evaluated; pipeline creation does
        // evaluate it (rules.rs `regexp_clause`), so the note is for lint only.
        .filter(|f| f.code != "rules-regexp-not-evaluated")
        .cloned()
        .partition(|f| f.severity == crate::Severity::Error);
    report.warnings = resolve(warnings, &loaded.files);
    if errors.iter().any(|f| f.code == "config-missing") {
        let mut missing = not_created(MISSING_CONFIG_MESSAGE);
        missing.code = "config-missing";
        missing.explanation = Some(explain::config_missing(&request.project.ci_config_path));
        report.errors.push(missing);
        report.reason = explain::config_missing(&request.project.ci_config_path);
        return None;
    }
    // `expanded` keeps every top-level key but `default:` and the global defaults, so it
    // answers for `variables` and `workflow` as the merged configuration would.
    if all_includes_filtered(&errors, loaded.include_decisions) {
        report.errors.push(not_created(EMPTY_PIPELINE_MESSAGE));
        report.reason = explain::includes_filtered();
        return None;
    }
    if loaded.expanded.is_none() || loaded.normalized.is_none() || !errors.is_empty() {
        report.status = Status::Failed;
        // Chain::Config::Process: a created pipeline carries only the first configuration
        // error, in GitLab's order (`pipesim lint` lists them all).
        report.errors = resolve(errors.into_iter().take(1).collect(), &loaded.files);
        report.reason = "The configuration is invalid: GitLab shows a failed pipeline with these errors and runs no jobs.".to_owned();
        return None;
    }
    Some(loaded)
}

/// chain/config/process_spec.rb > when all includes are filtered out leaving no visible jobs
/// (flag `ci_skip_pipelines_with_fully_filtered_includes`): GitLab then reports the pipeline as
/// empty (`filtered_by_rules`) instead of the configuration error. The newest process.rb is
/// not in the source mirror, so the condition is read from the spec: the only error is "no
/// visible job", and every include decided by `include:rules` was left out (an include
/// without rules is not counted; pipesim's explanation says so).
fn all_includes_filtered(errors: &[Finding], (decided, kept): (usize, usize)) -> bool {
    decided > 0
        && kept == 0
        && !errors.is_empty()
        && errors.iter().all(|e| e.code == "jobs-none-visible")
}

/// What `workflow:` decided for the pipeline.
struct Workflow {
    has_rules: bool,
    /// Top-level `variables:` as written.
    global_variables: Vec<(String, String)>,
    /// Top-level `variables:` after `workflow:rules:variables`.
    root_variables: Vec<(String, String)>,
}

/// chain/evaluate_workflow_rules.rb: no `workflow:rules` means the pipeline passes; no match
/// or `when: never` filters it out. Also `workflow:name` (`CI_PIPELINE_NAME`).
fn chain_evaluate_workflow_rules(
    expanded: &Node,
    scope: &PipelineScope,
    clause_context: &ClauseContext,
    report: &mut PipelineReport,
) -> Option<Workflow> {
    let global_variables = yaml_variables(expanded.get("variables"));
    let workflow_rules_flat = expanded
        .get("workflow")
        .and_then(|w| w.get("rules"))
        .filter(|r| r.as_seq().is_some())
        .map(flat_rules);
    let workflow_rules = workflow_rules_flat.as_deref();
    let mut root_variables = global_variables.clone();
    if let Some(workflow_rules) = workflow_rules {
        let global_pairs = variable_pairs(&global_variables);
        let workflow_scope = scope.for_workflow(&global_pairs);
        let result = rules::evaluate(
            workflow_rules,
            "workflow:rules",
            &workflow_scope,
            clause_context,
        );
        report.workflow = result.checks;
        let matched = result.matched.map(|i| &workflow_rules[i]);
        let when = matched.map(|r| rule_when(r).unwrap_or_else(|| "always".to_owned()));
        if matched.is_none() || when.as_deref() == Some("never") {
            report.errors.push(not_created(FILTERED_MESSAGE));
            report.reason = explain::workflow_filtered(&report.workflow, matched.is_some());
            return None;
        }
        if let Some(rule) = matched {
            // workflow:rules:variables override the top-level ones (doc/ci/yaml/_index.md).
            for (key, value) in yaml_variables(rule.get("variables")) {
                root_variables.retain(|(k, _)| *k != key);
                root_variables.push((key, value));
            }
        }
    }
    report.name = expanded
        .get("workflow")
        .and_then(|w| w.get("name"))
        .and_then(Node::scalar_to_s)
        .map(|name| {
            scope
                .for_workflow(&variable_pairs(&root_variables))
                .expand_existing(&name)
        })
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty());
    Some(Workflow {
        has_rules: workflow_rules.is_some(),
        global_variables,
        root_variables,
    })
}

/// chain/seed.rb: each job's rules or `only`/`except` (seed/build.rb `included?`).
fn chain_seed(
    expanded: &Node,
    normalized: &config::Normalized,
    workflow: &Workflow,
    scope: &PipelineScope,
    clause_context: &ClauseContext,
) -> Vec<Seed> {
    let mut seeds: Vec<Seed> = Vec::with_capacity(normalized.jobs.len());
    let expanded_jobs = expanded.as_map().map(Map::by_key).unwrap_or_default();
    for job in &normalized.jobs {
        let Some(node) = expanded_jobs.get(job.base_name.as_str()).copied() else {
            continue;
        };
        seeds.push(seed_job(
            job,
            normalized,
            node,
            &workflow.root_variables,
            scope,
            clause_context,
            workflow.has_rules,
        ));
    }
    seeds
}

/// chain/populate.rb with seed/build.rb `errors`: the seed errors (rules that could not be
/// evaluated, `needs` naming a job that is not in the pipeline, too many needs) fail the
/// pipeline; a pipeline with no jobs, or only `.pre`/`.post` ones, is not created. Fills the
/// report's jobs and stages; returns whether the pipeline is created.
fn chain_populate(
    seeds: Vec<Seed>,
    normalized: &config::Normalized,
    files: &Files,
    workflow: &Workflow,
    pipeline: &PipelineRequest,
    report: &mut PipelineReport,
) -> bool {
    let stage_index = |stage: &str| normalized.stages.iter().position(|s| s == stage);
    // Created jobs by name with their stage, for the `needs` checks.
    let mut created_stage: HashMap<&str, Option<usize>> = HashMap::with_capacity(seeds.len());
    created_stage.extend(
        seeds
            .iter()
            .filter(|s| s.report.created)
            .map(|s| (s.report.name.as_str(), stage_index(&s.report.stage))),
    );
    let seed_errors = seed_errors(&seeds, &created_stage, &stage_index, files);

    // Which needs name created jobs, decided before the seeds are taken apart below.
    let kept: Vec<Vec<bool>> = seeds
        .iter()
        .map(|s| {
            s.needs
                .iter()
                .flatten()
                .map(|n| created_stage.contains_key(n.name.as_str()))
                .collect()
        })
        .collect();
    let mut jobs: Vec<JobReport> = Vec::with_capacity(seeds.len());
    for (seed, kept) in seeds.into_iter().zip(kept) {
        let mut job = seed.report;
        if let Some(needs) = seed.needs {
            let present: Vec<_> = needs
                .into_iter()
                .zip(kept)
                .filter_map(|(n, kept)| kept.then_some(n))
                .collect();
            job.need_artifacts = present
                .iter()
                .map(|n| (n.name.clone(), n.artifacts))
                .collect();
            job.needs = Some(present.into_iter().map(|n| n.name).collect());
        }
        jobs.push(job);
    }
    crate::sort::sort_by_key(&mut jobs, |j| stage_index(&j.stage).unwrap_or(usize::MAX));
    report.stages = normalized
        .stages
        .iter()
        .filter(|stage| jobs.iter().any(|j| j.created && j.stage == **stage))
        .cloned()
        .collect();
    report.jobs = jobs;

    if !seed_errors.is_empty() {
        report.status = Status::Failed;
        report.errors = seed_errors;
        report.reason = "GitLab could not create the jobs (see the errors): it shows a failed pipeline and runs nothing.".to_owned();
        for job in &mut report.jobs {
            job.created = false;
        }
        return false;
    }
    // populate.rb: `.pre`/`.post` alone are not a complete pipeline (gitlab#198518).
    if report.stages.iter().all(|s| s == ".pre" || s == ".post") {
        report.errors.push(not_created(EMPTY_PIPELINE_MESSAGE));
        report.reason = explain::no_jobs(&report.jobs, workflow.has_rules, pipeline);
        return false;
    }
    report.created = true;
    report.status = Status::Created;
    report.reason = explain::created(report, workflow.has_rules);
    true
}

/// seed/build.rb `errors`, in job order: a rule that could not be evaluated, then for included
/// jobs too many needs or a need that is not in the pipeline.
fn seed_errors(
    seeds: &[Seed],
    created_stage: &HashMap<&str, Option<usize>>,
    stage_index: &dyn Fn(&str) -> Option<usize>,
    files: &Files,
) -> Vec<Diagnostic> {
    let mut seed_errors = Vec::new();
    for seed in seeds {
        if let Some(error) = &seed.rules_error {
            seed_errors.push(
                message(format!(
                    "Failed to parse rule for {}: {error}",
                    seed.report.name
                ))
                .with_job(&seed.report.name),
            );
            continue;
        }
        if !seed.report.created {
            continue;
        }
        let Some(needs) = &seed.needs else { continue };
        if needs.len() > NEEDS_LIMIT {
            seed_errors.push(message(format!(
                "{}: one job can only need {NEEDS_LIMIT} others, but you have listed {}. See needs keyword documentation for more details",
                seed.report.name,
                needs.len()
            )).with_job(&seed.report.name));
            continue;
        }
        for need in needs {
            if need.optional {
                continue;
            }
            // seed/build.rb `need_present?` looks in earlier stages and the job's own.
            let present = created_stage
                .get(need.name.as_str())
                .is_some_and(|stage| *stage <= stage_index(&seed.report.stage));
            if !present {
                let name = &seed.report.name;
                let need_name = &need.name;
                let why_absent = seeds
                    .iter()
                    .find(|s| s.report.name == *need_name)
                    .map(|s| s.report.why.clone());
                let mut diagnostic = message(format!(
                    "'{name}' job needs '{need_name}' job, but '{need_name}' does not exist in the pipeline. This might be because of the only, except, or rules keywords. To need a job that sometimes does not exist in the pipeline, use needs:optional."
                ))
                .with_job(name);
                diagnostic.explanation =
                    Some(explain::missing_need(need_name, why_absent.as_deref()));
                diagnostic.file = Some(files.path(need.span.file).to_owned());
                diagnostic.line = need.span.line;
                diagnostic.column = need.span.column;
                seed_errors.push(diagnostic);
            }
        }
    }
    seed_errors
}

/// A job after its rules or `only`/`except`, before the pipeline-wide checks.
struct Seed {
    report: JobReport,
    /// Effective same-pipeline needs (instance names), `None` without `needs`.
    needs: Option<Vec<config::normalize::NeedRef>>,
    rules_error: Option<String>,
}

fn seed_job(
    job: &NormalizedJob,
    normalized: &config::Normalized,
    node: &Node,
    root_variables: &[(String, String)],
    scope: &PipelineScope,
    clause_context: &ClauseContext,
    has_workflow_rules: bool,
) -> Seed {
    let job_variables = yaml_variables(node.get("variables"));
    // What the rules see of the configuration's variables, borrowed from where they are kept.
    let configuration: Vec<(&str, &str)> = inherited_variables(root_variables, node)
        .into_iter()
        .chain(&job_variables)
        .chain(&job.matrix_variables)
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let job_when = node
        .get("when")
        .and_then(Node::scalar_to_s)
        .unwrap_or_else(|| "on_success".to_owned());
    // entry/job.rb `ignored?`: a defined boolean wins, `exit_codes` means false, otherwise
    // job-level manual jobs may fail.
    let allow_failure = match node.get("allow_failure").map(|n| &n.value) {
        Some(Value::Bool(b)) => *b,
        Some(_) => false,
        None => job_when == "manual",
    };
    let mut job_predefined = job_predefined(job, &job_when);
    if let Some(environment) = &job.environment {
        // seed/build.rb expands the environment name with the job's variables before the
        // rules see it (`ExpandVariables.expand`: unknown variables become empty).
        let name = {
            let base = scope.for_job(&configuration, &job_predefined);
            let raw = scope::raw_variable_names(node.get("variables"));
            seed_environment(environment, &base, &configuration, &raw)
        };
        environment_predefined(&mut job_predefined, job, node, name);
    }
    let environment = job_predefined
        .iter()
        .find(|(k, _)| *k == "CI_ENVIRONMENT_NAME")
        .map(|(_, v)| v.clone());
    // `environment_scope`d variables: the rules see the ones the job's environment matches.
    let scoped_environment = if scope.has_scoped() {
        environment.clone()
    } else {
        None
    };
    let job_scope: Scope = scope
        .for_job(&configuration, &job_predefined)
        .in_environment(scoped_environment.as_deref());

    let mut report = JobReport {
        name: job.name.clone(),
        stage: job.stage.clone(),
        kind: match job.kind {
            config::validate::JobKind::Bridge => "trigger",
            _ => "job",
        },
        created: false,
        when: job_when.clone(),
        allow_failure,
        start_in: node.get("start_in").and_then(Node::scalar_to_s),
        why: String::new(),
        checks: Vec::new(),
        needs: None,
        need_artifacts: Vec::new(),
        predefined: Vec::new(),
        rule_variables: Vec::new(),
        interruptible: node.get("interruptible").and_then(Node::as_bool),
        environment,
        outcome: None,
        artifacts_from: None,
        dotenv: SortedMap::new(),
        variables: Vec::new(),
    };
    let mut needs = node
        .get("needs")
        .map(|_| expand_needs(&job.needs, normalized));
    let mut rules_error = None;

    if let Some(rules_node) = node.get("rules") {
        let flat = flat_rules(rules_node);
        let rules_list: &[Node] = &flat;
        let result = rules::evaluate(rules_list, "rules", &job_scope, clause_context);
        report.checks = result.checks;
        if let Some(error) = result.error {
            rules_error = Some(error);
            report.when = "never".to_owned();
            report.why = explain::rules_error(&report.checks);
        } else if let Some(index) = result.matched {
            let rule = &rules_list[index];
            report.when = rule_when(rule).unwrap_or(job_when.clone());
            if let Some(af) = rule.get("allow_failure").and_then(Node::as_bool) {
                report.allow_failure = af;
            }
            if let Some(start_in) = rule.get("start_in").and_then(Node::scalar_to_s) {
                report.start_in = Some(start_in);
            }
            if let Some(interruptible) = rule.get("interruptible").and_then(Node::as_bool) {
                report.interruptible = Some(interruptible);
            }
            report.rule_variables = yaml_variables(rule.get("variables"));
            if rule.get("needs").is_some() {
                let rule_position = rules_list[..index]
                    .iter()
                    .filter(|r| r.get("needs").is_some())
                    .count();
                if let Some(rule_needs) = job.rule_needs.get(rule_position) {
                    needs = Some(expand_needs(rule_needs, normalized));
                }
            }
            report.created = report.when != "never";
            report.why = explain::rules(&report, index, rule_when(rule).is_some(), &job_when);
        } else {
            report.when = "never".to_owned();
            report.why = explain::no_rule_matched(&report.checks);
        }
    } else if has_workflow_rules && node.get("only").is_none() && node.get("except").is_none() {
        // entry/processable.rb `compose!`: `workflow:rules` removes the default `only`.
        report.created = true;
        report.why = explain::no_conditions(&report, true);
    } else {
        let (only, default_refs) = effective_only(node.get("only"), has_workflow_rules, job.span);
        let mut included = true;
        if let Some(only) = &only {
            let mut checks = policy::evaluate(only, "only", &job_scope, clause_context);
            if default_refs && (node.get("only").is_some() || node.get("except").is_some()) {
                let why = if node.get("only").is_some() {
                    "kept because `only` does not name refs"
                } else {
                    "kept beside `except`"
                };
                for check in checks.iter_mut().filter(|c| c.clause == "only:refs") {
                    check.detail = format!(
                        "{} (GitLab's default `only: refs: [branches, tags]`, {why})",
                        check.detail
                    );
                }
            }
            included = checks.iter().all(|c| c.matched);
            report.checks.extend(checks);
        }
        if included {
            if let Some(except) = node.get("except") {
                let checks = policy::evaluate(except, "except", &job_scope, clause_context);
                included = !checks.iter().any(|c| c.matched);
                report.checks.extend(checks);
            }
        }
        report.created = included;
        if !included {
            report.when = "never".to_owned();
        }
        let only_default =
            node.get("only").is_none() && node.get("except").is_none() && default_refs;
        report.why = explain::policy(&report, only_default);
    }
    if !report.created {
        needs = None;
    }
    // Kept for the variable table; CI_JOB_MANUAL and the environment's are worked out there
    // from the job as created.
    if report.created {
        job_predefined
            .retain(|(key, _)| *key != "CI_JOB_MANUAL" && !key.starts_with("CI_ENVIRONMENT_"));
        report.predefined = job_predefined;
    }
    Seed {
        report,
        needs,
        rules_error,
    }
}

/// The `only` a job is checked against (entry/policy.rb `DEFAULT_ONLY` and `Policy#value`,
/// `default.to_h.deep_merge(value.to_h)`; entry/processable.rb `compose!`): without `only`
/// the default `refs: [branches, tags]` applies, also beside `except:`, unless the
/// configuration has `workflow:rules` (then a job with no `only` has none); an `only` that
/// is given gets the default refs merged in when it names no `refs` of its own (an array is
/// `refs`). Returns the policy and whether its refs are the default ones.
fn effective_only(
    only: Option<&Node>,
    has_workflow_rules: bool,
    span: crate::Span,
) -> (Option<Node>, bool) {
    let default_refs = || {
        Node::new(
            Value::Seq(vec![
                Node::new(Value::Str("branches".into()), span),
                Node::new(Value::Str("tags".into()), span),
            ]),
            span,
        )
    };
    match only {
        None if has_workflow_rules => (None, false),
        None => (Some(default_refs()), true),
        Some(node) => match &node.value {
            Value::Map(map) if map.get("refs").is_none() => {
                let mut merged = crate::yaml::Map::default();
                merged.insert(Node::new(Value::Str("refs".into()), span), default_refs());
                for (key, value) in map.iter() {
                    merged.insert(key.clone(), value.clone());
                }
                (Some(Node::new(Value::Map(merged), node.span)), true)
            }
            _ => (Some(node.clone()), false),
        },
    }
}

/// `needs: [build]` on a parallel job means every instance (config/normalizer.rb); an
/// optional need on a job the configuration does not define is dropped.
fn expand_needs(
    needs: &[config::normalize::NeedRef],
    normalized: &config::Normalized,
) -> Vec<config::normalize::NeedRef> {
    let mut out = Vec::with_capacity(needs.len());
    for need in needs {
        let names = normalized.expand_name(&need.name);
        if names.is_empty() {
            if !need.optional {
                out.push(need.clone());
            }
            continue;
        }
        for name in names {
            out.push(config::normalize::NeedRef {
                name,
                ..need.clone()
            });
        }
    }
    out
}

/// A `rules:` list with nested lists flattened (entry/rules.rb `compose!` flattens the config,
/// GitLab 14.3+), so a `!reference [.x, rules]` entry contributes its rules in place.
/// Borrowed when nothing is nested, which is the usual case.
fn flat_rules(rules: &Node) -> std::borrow::Cow<'_, [Node]> {
    let list = rules.as_seq().unwrap_or(&[]);
    if !list.iter().any(|r| r.as_seq().is_some()) {
        return std::borrow::Cow::Borrowed(list);
    }
    let mut flat = Vec::with_capacity(list.len());
    config::validate::flatten_seq(list, &mut flat);
    std::borrow::Cow::Owned(flat.into_iter().cloned().collect())
}

/// context/build.rb `seed_environment`: the environment name expanded (unknown references
/// removed) against the job's seed variables, which are first expanded among themselves
/// (`simple_variables.sort_and_expand_all`), so `name: env-$A` with `A: a-$CI_COMMIT_REF_NAME`
/// gives `env-a-main`. A variable in a reference cycle is used as written.
fn seed_environment(
    environment: &str,
    base: &Scope,
    configuration: &[(&str, &str)],
    raw: &[String],
) -> String {
    if !environment.contains('$') {
        return environment.to_owned();
    }
    let entries: Vec<crate::expand::Entry> = configuration
        .iter()
        .map(|(name, value)| crate::expand::Entry {
            name,
            value,
            raw: raw.iter().any(|r| r == name),
        })
        .collect();
    let expanded = crate::expand::sort_and_expand_all(&entries);
    let plain = |n: &str| base.lookup(n).map(|(v, _)| v.to_owned());
    let value_of = |name: &str| -> Option<String> {
        let (value, origin) = base.lookup(name)?;
        if !matches!(origin, scope::Origin::Configuration) || !value.contains('$') {
            return Some(value.to_owned());
        }
        let index = entries.iter().rposition(|e| e.name == name)?;
        Some(match &expanded[index] {
            // References to non-configuration variables are left by the sort; they are
            // resolved here, once (predefined values hold no references).
            crate::expand::Expanded::Value(v) => crate::expand::expand(v, &plain),
            crate::expand::Expanded::Cyclic => value.to_owned(),
        })
    };
    crate::expand::expand(environment, &value_of)
}

/// `rules:when` / `workflow:rules:when` as written.
fn rule_when(rule: &Node) -> Option<String> {
    rule.get("when").and_then(Node::scalar_to_s)
}

/// builder.rb `predefined_variables_from_job_attr` (the seed: `job_when` as configured) and
/// `predefined_variables` (the job: `job_when` after rules), but the environment's.
pub(crate) fn job_predefined(job: &NormalizedJob, job_when: &str) -> Vec<(&'static str, String)> {
    let mut out = vec![
        ("CI_JOB_NAME", job.name.clone()),
        ("CI_JOB_NAME_SLUG", predefined::slug(&job.name)),
        ("CI_JOB_GROUP_NAME", predefined::job_group_name(&job.name)),
        ("CI_JOB_STAGE", job.stage.clone()),
    ];
    // Ci::Processable::ACTIONABLE_WHEN: manual and delayed jobs are actions.
    if matches!(job_when, "manual" | "delayed") {
        out.push(("CI_JOB_MANUAL", "true".to_owned()));
    }
    match job.node {
        Some((index, total)) => {
            out.push(("CI_NODE_INDEX", index.to_string()));
            out.push(("CI_NODE_TOTAL", total.to_string()));
        }
        None => out.push(("CI_NODE_TOTAL", "1".to_owned())),
    }
    out
}

/// builder.rb `predefined_variables_from_job_attr` / `predefined_variables` for a job with an
/// environment: `CI_ENVIRONMENT_NAME` (expanded), `CI_ENVIRONMENT_ACTION`,
/// `CI_ENVIRONMENT_TIER` (`environment:deployment_tier`, else the persisted environment's
/// tier) and `CI_ENVIRONMENT_URL` (`environment:url`, else the environment's external URL).
/// pipesim keeps no environments between pipelines, so without `deployment_tier` the tier
/// is left out (the rules of a first deployment see none either).
pub fn environment_predefined(
    out: &mut Vec<(&'static str, String)>,
    job: &NormalizedJob,
    node: &Node,
    name: String,
) {
    let environment = node.get("environment");
    let option = |key: &str| {
        environment
            .and_then(|e| e.get(key))
            .and_then(Node::scalar_to_s)
    };
    out.push(("CI_ENVIRONMENT_NAME", name));
    out.push((
        "CI_ENVIRONMENT_ACTION",
        job.environment_action
            .clone()
            .unwrap_or_else(|| "start".to_owned()),
    ));
    if let Some(tier) = option("deployment_tier") {
        out.push(("CI_ENVIRONMENT_TIER", tier));
    }
    if let Some(url) = option("url") {
        out.push(("CI_ENVIRONMENT_URL", url));
    }
}

/// The variables `include` paths and `include:rules` see (`Builder#config_variables`).
fn include_variables(scope: &PipelineScope) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = scope
        .predefined
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    out.extend(
        scope
            .settings
            .iter()
            .map(|(k, (v, _))| (k.clone(), v.clone())),
    );
    out
}

fn visible_variables(scope: &PipelineScope) -> SortedMap<String, String> {
    // Settings after predefined variables: the later one of a name wins.
    scope
        .predefined
        .iter()
        .map(|(k, v)| (k.clone(), v.clone()))
        .chain(
            scope
                .settings
                .iter()
                .map(|(k, (v, _))| (k.clone(), v.clone())),
        )
        .collect()
}

fn resolve(findings: Vec<Finding>, files: &Files) -> Vec<Diagnostic> {
    findings
        .into_iter()
        .map(|f| Diagnostic::resolve(f, files))
        .collect()
}

/// GitLab's message for a pipeline it does not create. A push or merge request simply gets no
/// pipeline (the text shows when one is asked for by hand: Run pipeline, the API), so this is
/// information, not an error in the configuration.
fn not_created(text: &str) -> Diagnostic {
    let mut diagnostic = message(text);
    diagnostic.code = "pipeline-not-created";
    diagnostic.severity = crate::Severity::Info;
    diagnostic
}

/// A pipeline-level message with no position.
fn message(text: impl Into<String>) -> Diagnostic {
    Diagnostic {
        code: "pipeline-error",
        severity: crate::Severity::Error,
        message: text.into(),
        explanation: None,
        file: None,
        line: 0,
        column: 0,
        related: None,
        event: None,
        job: None,
        pipeline: None,
        fix: None,
    }
}

trait WithJob {
    fn with_job(self, job: &str) -> Self;
}

impl WithJob for Diagnostic {
    fn with_job(mut self, job: &str) -> Self {
        self.job = Some(job.to_owned());
        self
    }
}
