//! A job's variables as the runner receives them: every definition by source in GitLab's
//! precedence (builder.rb `scoped_variables`), the winner of each name, its value expanded the
//! way `Ci::BuildRunnerPresenter#runner_variables` expands it (`sort_and_expand_all`, see
//! `crate::expand`; `expand: false` respected), and the protected project variables the job
//! does not get, with why.
//!
//! Sources: lib/gitlab/ci/variables/builder.rb (`scoped_variables`, `predefined_variables`,
//! `secret_project_variables`/`protected_ref?`), app/presenters/ci/build_runner_presenter.rb
//! `runner_variables`, lib/gitlab/ci/variables/collection.rb.

use std::borrow::Cow;
use std::collections::HashMap;

use crate::config::NormalizedJob;
use crate::event::Source;
use crate::expand::{sort_and_expand_all, Entry, Expanded};
use crate::pipeline::{Composed, DotenvValue, JobReport, VariableRow};
use crate::sorted::SortedMap;
use crate::yaml::Node;

use super::Input;

/// Precedence tier of each source, lowest first (builder.rb `scoped_variables`).
fn tier(source: &str) -> u8 {
    match source {
        "predefined" => 0,
        "global" => 1,
        "workflow" => 2,
        "job" => 3,
        "matrix" => 4,
        "rules" => 5,
        "dotenv" => 6,
        "instance" => 7,
        "group" => 8,
        "project" => 9,
        "pipeline" | "upstream" => 10,
        "schedule" => 11,
        _ => 0,
    }
}

/// Values a job's expressions may expand: predefined, configuration, project and pipeline
/// variables (no dotenv: it is only known when the job runs).
pub fn simple_values(
    input: &Input,
    pipeline_id: u64,
    job: &JobReport,
    node: &Node,
    lookup: &super::Lookup,
) -> HashMap<String, String> {
    let mut values: HashMap<String, String> = input.composed.predefined.iter().cloned().collect();
    values.extend(
        table(
            input,
            pipeline_id,
            job,
            node,
            lookup,
            &SortedMap::new(),
            None,
        )
        .into_iter()
        .filter(|r| r.overridden_by.is_none() && r.withheld.is_none())
        .filter_map(|r| {
            // A file variable expands to its content on GitLab's side (`expand_file_refs`).
            let content = r.expanded.as_deref().is_some_and(|e| {
                matches!(r.source, "instance" | "group" | "project")
                    && e == file_path(&input.project.path, &r.name)
            });
            let value = if content {
                r.value
            } else {
                r.expanded.or(r.value)
            };
            value.map(|v| (r.name.into_owned(), v))
        }),
    );
    values
}

/// `$VAR`/`${VAR}` expansion against known values (`ExpandVariables.expand`); `CI_PIPELINE_ID`
/// (persisted) is the pipeline's id here.
pub fn expand_all(text: &str, values: &HashMap<String, String>, pipeline_id: u64) -> String {
    crate::expand::expand(text, &|name| match name {
        "CI_PIPELINE_ID" => Some(pipeline_id.to_string()),
        _ => values.get(name).cloned(),
    })
}

/// The job's variables by source, with the winner of each name (builder.rb
/// `scoped_variables` order), each winner's value as the runner receives it, and the
/// withheld protected variables. `predefined`: the job's predefined values, moved in when the
/// caller has taken them out of the report (its last table); else they are copied from
/// `JobReport::predefined`.
pub fn table(
    input: &Input,
    pipeline_id: u64,
    job: &JobReport,
    node: &Node,
    lookup: &super::Lookup,
    dotenv: &SortedMap<String, DotenvValue>,
    predefined: Option<Vec<(&'static str, String)>>,
) -> Vec<VariableRow> {
    use crate::pipeline::scope::{inherited_variables, yaml_variables};
    let composed: &Composed = input.composed;
    let inherited = inherited_variables(&composed.root_variables, node);
    let job_variables = yaml_variables(node.get("variables"));
    let normalized_job: Option<&NormalizedJob> = lookup.normalized.get(job.name.as_str()).copied();
    let matrix_variables = normalized_job.map_or(&[][..], |j| &j.matrix_variables[..]);
    // Room for every definition below (but the rare predefined ones they override): the
    // table is kept in the report, so it should not grow by doubling.
    let environment_rows_count = if job.environment.is_some() { 4 } else { 0 };
    let withheld_count = if input.request.protected {
        0
    } else {
        input
            .project
            .variables
            .iter()
            .filter(|v| v.protected)
            .count()
    };
    let mut rows: Vec<VariableRow> = Vec::with_capacity(
        7 + environment_rows_count
            + withheld_count
            + inherited.len()
            + job_variables.len()
            + matrix_variables.len()
            + job.rule_variables.len()
            + dotenv.len()
            + input.project.variables.len()
            + input.request.pipeline_variables.len(),
    );
    let mut add = |name: Cow<'static, str>, value: Option<String>, source: &'static str| {
        rows.push(VariableRow {
            name,
            value,
            source,
            overridden_by: None,
            expanded: None,
            raw: false,
            withheld: None,
        });
    };
    // builder.rb `predefined_variables(job, environment)`: CI_JOB_*, CI_NODE_* from the job
    // as created (its `when` after rules decides CI_JOB_MANUAL).
    let stored = match predefined {
        Some(taken) if !taken.is_empty() => Some(taken),
        _ if !job.predefined.is_empty() => Some(job.predefined.clone()),
        _ => None,
    };
    if let Some(stored) = stored {
        for (key, value) in stored {
            add(Cow::Borrowed(key), Some(value), "predefined");
        }
        // Ci::Processable::ACTIONABLE_WHEN: manual and delayed jobs are actions.
        if matches!(job.when.as_str(), "manual" | "delayed") {
            add(
                Cow::Borrowed("CI_JOB_MANUAL"),
                Some("true".to_owned()),
                "predefined",
            );
        }
    } else if let Some(normalized) = normalized_job {
        for (key, value) in crate::pipeline::job_predefined(normalized, &job.when) {
            add(Cow::Borrowed(key), Some(value), "predefined");
        }
    } else {
        add(
            Cow::Borrowed("CI_JOB_NAME"),
            Some(job.name.clone()),
            "predefined",
        );
        add(
            Cow::Borrowed("CI_JOB_STAGE"),
            Some(job.stage.clone()),
            "predefined",
        );
    }
    if let Some(environment) = &job.environment {
        environment_rows(node, environment, &mut add);
    }
    for (key, value) in inherited {
        let source = if composed
            .global_variables
            .iter()
            .any(|(k, v)| k == key && v == value)
        {
            "global"
        } else {
            "workflow"
        };
        add(Cow::Owned(key.clone()), Some(value.clone()), source);
    }
    for (key, value) in job_variables {
        add(Cow::Owned(key), Some(value), "job");
    }
    for (key, value) in matrix_variables {
        add(Cow::Owned(key.clone()), Some(value.clone()), "matrix");
    }
    for (key, value) in &job.rule_variables {
        add(Cow::Owned(key.clone()), Some(value.clone()), "rules");
    }
    for (key, value) in dotenv {
        add(Cow::Owned(key.clone()), value.value.clone(), "dotenv");
    }
    let extended = crate::event::ci_variables::has_extended(input.project);
    if extended {
        user_defined_rows(input, job.environment.as_deref(), &mut add);
    } else {
        for variable in &input.project.variables {
            if variable.protected && !input.request.protected {
                continue;
            }
            add(
                Cow::Owned(variable.key.clone()),
                Some(variable.value.clone()),
                "project",
            );
        }
    }
    let pipeline_source = match input.request.source {
        Source::Schedule => "schedule",
        Source::ParentPipeline | Source::Pipeline => "upstream",
        _ => "pipeline",
    };
    for (key, value) in &input.request.pipeline_variables {
        add(
            Cow::Owned(key.clone()),
            Some(value.clone()),
            pipeline_source,
        );
    }
    // Predefined variables matter in the table only where something overrides them, which
    // is rare: most jobs skip the scan of every predefined variable.
    if rows
        .iter()
        .any(|r| r.source != "predefined" && lookup.predefined_names.contains(&*r.name))
    {
        for (key, value) in &composed.predefined {
            if rows.iter().any(|r| r.name == key.as_str()) {
                rows.push(VariableRow {
                    name: Cow::Owned(key.clone()),
                    value: Some(value.clone()),
                    source: "predefined",
                    overridden_by: None,
                    expanded: None,
                    raw: false,
                    withheld: None,
                });
            }
        }
    }
    // Stable sort: within a name, the later definition of the same tier wins.
    crate::sort::sort_by(&mut rows, |a, b| {
        a.name
            .cmp(&b.name)
            .then_with(|| tier(a.source).cmp(&tier(b.source)))
    });
    let mut i = 0;
    while i < rows.len() {
        let mut j = i;
        while j + 1 < rows.len() && rows[j + 1].name == rows[i].name {
            j += 1;
        }
        let winner = rows[j].source;
        for row in &mut rows[i..j] {
            row.overridden_by = Some(winner);
        }
        i = j + 1;
    }
    mark_raw(input, node, &mut rows);
    let special = extended || input.project.variables.iter().any(|v| v.raw || v.file);
    let secrets = if special {
        crate::event::ci_variables::secret_variables(
            input.project,
            input.request.protected,
            job.environment.as_deref(),
        )
    } else {
        Vec::new()
    };
    mark_user_defined(&secrets, &mut rows);
    expand_rows(input, pipeline_id, &mut rows);
    file_paths(&secrets, &input.project.path, &mut rows);
    if extended {
        withheld_user_defined(input, job.environment.as_deref(), &mut rows);
    } else {
        withheld_rows(input, &mut rows);
    }
    rows
}

/// builder.rb `secret_instance_variables`, `secret_group_variables(environment:)` and
/// `secret_project_variables(environment:)`: the user-defined variables the job gets, in
/// GitLab's order (see `crate::event::ci_variables`).
fn user_defined_rows(
    input: &Input,
    environment: Option<&str>,
    add: &mut dyn FnMut(Cow<'static, str>, Option<String>, &'static str),
) {
    let secrets = crate::event::ci_variables::secret_variables(
        input.project,
        input.request.protected,
        environment,
    );
    for secret in secrets {
        add(
            Cow::Owned(secret.variable.key.clone()),
            Some(secret.variable.value.clone()),
            secret.level.source(),
        );
    }
}

/// The user-defined variable behind a winning row of the table, if any (`secrets` in
/// GitLab's order: the last of a key wins).
fn user_defined_of<'a>(
    secrets: &[crate::event::ci_variables::Secret<'a>],
    row: &VariableRow,
) -> Option<&'a crate::event::ProjectVariable> {
    if !matches!(row.source, "instance" | "group" | "project") || row.overridden_by.is_some() {
        return None;
    }
    secrets
        .iter()
        .rev()
        .find(|s| s.level.source() == row.source && s.variable.key == row.name)
        .map(|s| s.variable)
}

/// `raw: true` user-defined variables are passed as written, like `expand: false`; a file
/// variable is not expanded into the variables that reference it
/// (`sort_and_expand_all(expand_file_refs: false)` in `runner_variables`): the runner expands
/// `$FILE_VAR` to the file's path.
fn mark_user_defined(secrets: &[crate::event::ci_variables::Secret], rows: &mut [VariableRow]) {
    if secrets.iter().all(|s| !s.variable.raw && !s.variable.file) {
        return;
    }
    for row in rows.iter_mut() {
        if let Some(variable) = user_defined_of(secrets, row) {
            if variable.raw || variable.file {
                row.raw = true;
            }
        }
    }
}

/// A file-type variable: the runner writes its value to a file and the job's `$KEY` is that
/// file's path (`<builds dir>/<project path>.tmp/KEY`; shown with the Docker executor's
/// default builds directory, `/builds`), given as the row's `expanded`.
fn file_paths(
    secrets: &[crate::event::ci_variables::Secret],
    project_path: &str,
    rows: &mut [VariableRow],
) {
    if secrets.iter().all(|s| !s.variable.file) {
        return;
    }
    for row in rows.iter_mut() {
        let Some(variable) = user_defined_of(secrets, row) else {
            continue;
        };
        if variable.file {
            row.raw = variable.raw;
            row.expanded = Some(file_path(project_path, &variable.key));
        }
    }
}

/// Where the runner puts a file variable's file.
pub fn file_path(project_path: &str, key: &str) -> String {
    format!("/builds/{project_path}.tmp/{key}")
}

/// The instance, group and project variables the job does not get: protected ones on a ref
/// that is not protected (as [`withheld_rows`]), and group or project variables whose
/// `environment_scope` does not match the job's environment.
fn withheld_user_defined(input: &Input, environment: Option<&str>, rows: &mut Vec<VariableRow>) {
    use crate::event::ci_variables::{withheld_reason, Withheld};
    let project = input.project;
    let all = project
        .instance_variables
        .iter()
        .map(|v| (v, "instance"))
        .chain(
            project
                .group_variables
                .iter()
                .flat_map(|g| g.variables.iter().map(|v| (v, "group"))),
        )
        .chain(project.variables.iter().map(|v| (v, "project")));
    for (variable, source) in all {
        let Some(reason) = withheld_reason(variable, input.request.protected, environment) else {
            continue;
        };
        // A scope that does not match matters only when the job gets no value of that key.
        if reason == Withheld::Environment
            && rows
                .iter()
                .any(|r| r.name == variable.key && r.withheld.is_none())
        {
            continue;
        }
        let why = match reason {
            Withheld::Protected => protected_why(input),
            Withheld::Environment => {
                let scope = variable.environment_scope.as_deref().unwrap_or("*");
                match environment {
                    Some(name) => format!(
                        "scoped to environment `{scope}`, which does not match this job's environment `{name}`"
                    ),
                    None => format!(
                        "scoped to environment `{scope}`, and this job has no `environment:`"
                    ),
                }
            }
        };
        rows.push(VariableRow {
            name: Cow::Owned(variable.key.clone()),
            value: None,
            source,
            overridden_by: None,
            expanded: None,
            raw: false,
            withheld: Some(why),
        });
    }
}

/// builder.rb `predefined_variables` for a job with an environment. The tier is
/// `environment:deployment_tier`, else the tier GitLab gives the environment (known once it
/// exists); the URL only when `environment:url` is given (else the environment's external URL,
/// which pipesim does not know).
fn environment_rows(
    node: &Node,
    name: &str,
    add: &mut dyn FnMut(Cow<'static, str>, Option<String>, &'static str),
) {
    let environment = node.get("environment");
    let option = |key: &str| {
        environment
            .and_then(|e| e.get(key))
            .and_then(Node::scalar_to_s)
    };
    add(
        Cow::Borrowed("CI_ENVIRONMENT_NAME"),
        Some(name.to_owned()),
        "predefined",
    );
    add(
        Cow::Borrowed("CI_ENVIRONMENT_ACTION"),
        Some(option("action").unwrap_or_else(|| "start".to_owned())),
        "predefined",
    );
    add(
        Cow::Borrowed("CI_ENVIRONMENT_TIER"),
        option("deployment_tier"),
        "predefined",
    );
    if let Some(url) = option("url") {
        add(Cow::Borrowed("CI_ENVIRONMENT_URL"), Some(url), "predefined");
    }
}

/// Each winner's value as `runner_variables` sends it: references to other variables of the
/// job (predefined ones included) replaced, undefined ones kept for the runner, `expand:
/// false` values as written. `expanded` is set only where it differs from `value`.
/// `expand: false` on the job's or the top-level `variables:` entry of a row.
fn mark_raw(input: &Input, node: &Node, rows: &mut [VariableRow]) {
    if !rows
        .iter()
        .any(|r| r.value.as_deref().is_some_and(|v| v.contains('$')))
    {
        return;
    }
    let job_raw = crate::pipeline::scope::raw_variable_names(node.get("variables"));
    let global_raw =
        crate::pipeline::scope::raw_variable_names(input.composed.expanded.get("variables"));
    for row in rows {
        row.raw = match row.source {
            "job" => job_raw.iter().any(|n| *n == row.name),
            "global" | "workflow" => global_raw.iter().any(|n| *n == row.name),
            _ => false,
        };
    }
}

fn expand_rows(input: &Input, pipeline_id: u64, rows: &mut [VariableRow]) {
    if !rows
        .iter()
        .any(|r| r.value.as_deref().is_some_and(|v| v.contains('$')))
    {
        return;
    }
    let pipeline_id = pipeline_id.to_string();
    let mut entries: Vec<Entry> = Vec::with_capacity(input.composed.predefined.len() + rows.len());
    entries.push(Entry {
        name: "CI_PIPELINE_ID",
        value: &pipeline_id,
        raw: false,
    });
    for (key, value) in &input.composed.predefined {
        entries.push(Entry {
            name: key,
            value,
            raw: false,
        });
    }
    // Rows whose value is known only at run time stay out: references to them are kept.
    let mut row_entry: Vec<Option<usize>> = Vec::with_capacity(rows.len());
    for row in rows.iter() {
        match &row.value {
            Some(value) => {
                row_entry.push(Some(entries.len()));
                entries.push(Entry {
                    name: &row.name,
                    value,
                    raw: row.raw,
                });
            }
            None => row_entry.push(None),
        }
    }
    let expanded = sort_and_expand_all(&entries);
    let results: Vec<Option<String>> = rows
        .iter()
        .zip(&row_entry)
        .map(|(row, entry)| {
            let value = row.value.as_deref()?;
            if row.overridden_by.is_some() {
                return None;
            }
            match &expanded[(*entry)?] {
                Expanded::Value(v) if v != value => Some(v.clone()),
                _ => None,
            }
        })
        .collect();
    for (row, result) in rows.iter_mut().zip(results) {
        row.expanded = result;
    }
}

/// Protected project variables on a ref that is not protected: builder.rb
/// Why a protected variable does not reach this pipeline.
fn protected_why(input: &Input) -> String {
    match input.request.source {
        // A fork's merge request pipeline runs on the fork's branch, protected or not.
        Source::MergeRequestEvent if input.request.commit_ref_protected.is_some() => format!(
            "a protected variable, and GitLab gives a merge request pipeline none, even in the fork on `{}` (the variables builder reads no protected ref for merge request pipelines)",
            input.request.ref_name
        ),
        Source::MergeRequestEvent => format!(
            "a protected variable, and merge request pipelines run on `{}`, which is never a protected ref",
            input.request.ref_name
        ),
        _ => format!(
            "a protected variable, and `{}` is not a protected branch or tag",
            input.request.ref_name
        ),
    }
}

/// `secret_project_variables(protected_ref: protected_ref?)` leaves them out.
fn withheld_rows(input: &Input, rows: &mut Vec<VariableRow>) {
    for variable in input.project.variables.iter().filter(|v| v.protected) {
        if input.request.protected {
            continue;
        }
        let why = protected_why(input);
        rows.push(VariableRow {
            name: Cow::Owned(variable.key.clone()),
            value: None,
            source: "project",
            overridden_by: None,
            expanded: None,
            raw: false,
            withheld: Some(why),
        });
    }
}

/// A script reads a group or project variable whose `environment_scope` does not match the
/// job's environment: the shell expands it to an empty string.
pub fn out_of_scope_finding(
    event: usize,
    job: &str,
    name: &str,
    row: &VariableRow,
    (at, files): (Option<crate::Span>, &crate::source::Files),
) -> crate::diagnostic::Diagnostic {
    let why = row.withheld.as_deref().unwrap_or_default();
    let level = if row.source == "group" {
        "group"
    } else {
        "project"
    };
    let mut diagnostic = crate::diagnostic::Diagnostic::resolve(
        crate::diagnostic::Finding::warning(
            "variable-not-set",
            format!("${name} is empty in {job}: the {level} variable {name} is not for this job's environment"),
            at,
        )
        .explain(format!(
            "The {level} defines {name}, but it is {why}: GitLab gives a job only the variables whose environment scope matches its expanded `environment:name` (builder.rb `secret_{level}_variables(environment:)`, has_environment_scope.rb `on_environment`), so the shell expands ${name} to an empty string. Fix: give the job the environment the variable is scoped to, or widen the variable's environment scope (`*`, or a wildcard such as `review/*`)."
        )),
        files,
    );
    diagnostic.event = Some(event);
    diagnostic.job = Some(job.to_owned());
    diagnostic
}
