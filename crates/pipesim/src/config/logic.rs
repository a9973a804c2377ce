//! The logical checks of GitLab's `YamlProcessor#run_logical_validations!`
//! (lib/gitlab/ci/yaml_processor.rb, yaml_processor/dag.rb). They run only when entry validation
//! passed, and stop at the first problem, like GitLab.

use std::collections::HashMap;

use crate::diagnostic::Finding;
use crate::source::Span;

use super::normalize::{Normalized, NormalizedJob};

/// `Ci::BuildNeed::MAX_JOB_NAME_LENGTH`.
const MAX_NEED_NAME_LENGTH: usize = 128;

pub fn check(
    normalized: &Normalized,
    unresolved_includes: bool,
    softened: &mut Vec<Finding>,
) -> Result<(), Finding> {
    let stages = &normalized.stages;
    let index: HashMap<&str, &NormalizedJob> = normalized
        .jobs
        .iter()
        .map(|j| (j.name.as_str(), j))
        .collect();
    let stage_index = |job: &NormalizedJob| stages.iter().position(|s| *s == job.stage);
    let soften = |finding: Finding| -> Finding {
        if unresolved_includes {
            let mut f = finding;
            f.severity = crate::Severity::Warning;
            let extra = " pipesim could not read every include offline, so the missing job may be defined there.";
            f.explanation = Some(format!("{}{extra}", f.explanation.unwrap_or_default()));
            f
        } else {
            finding
        }
    };

    for job in &normalized.jobs {
        let name = &job.name;
        let Some(own_stage) = stage_index(job) else {
            return Err(Finding::error(
                "job-stage-undefined",
                format!(
                    "{name} job: chosen stage {} does not exist; available stages are {}",
                    job.stage,
                    stages.join(", ")
                ),
                Some(job.stage_span.unwrap_or(job.span)),
            )
            .explain(format!(
                "Add `{}` to the `stages:` list (in the order it should run), or use one of the listed stages. \
                 Without a `stages:` list GitLab uses build, test and deploy.{}",
                job.stage,
                crate::config::suggest::did_you_mean(&job.stage, &stages.iter().map(String::as_str).collect::<Vec<_>>())
                    .map(|h| format!(" {h}"))
                    .unwrap_or_default()
            )));
        };
        for (dependency, span) in &job.dependencies {
            let targets = normalized.expand_name(dependency);
            if targets.is_empty() {
                let finding = Finding::error("job-dependency-undefined", format!("{name} job: undefined dependency: {dependency}"), Some(*span))
                    .explain(format!("No job named `{dependency}` exists in this configuration (hidden jobs starting with `.` do not count)."));
                if unresolved_includes {
                    softened.push(soften(finding));
                    continue;
                }
                return Err(finding);
            }
            for target in targets {
                let target_job = index[target.as_str()];
                if stage_index(target_job).is_some_and(|i| i > own_stage) {
                    return Err(Finding::error(
                        "job-dependency-later-stage",
                        format!("{name} job: dependency {dependency} is not defined in current or prior stages"),
                        Some(*span),
                    )
                    .explain(format!(
                        "`{dependency}` runs in stage `{}`, after `{name}`'s stage `{}`: its artifacts cannot exist yet.",
                        target_job.stage, job.stage
                    )));
                }
            }
        }
        for need_list in std::iter::once(&job.needs).chain(job.rule_needs.iter()) {
            let mut seen: Vec<&str> = Vec::new();
            let mut duplicates: Vec<String> = Vec::new();
            let mut duplicate_span = None;
            for need in need_list {
                let targets = normalized.expand_name(&need.name);
                if targets.is_empty() {
                    if need.optional {
                        continue;
                    }
                    let finding = Finding::error("job-need-undefined", format!("{name} job: undefined need: {}", need.name), Some(need.span))
                        .explain(format!(
                            "No job named `{}` exists in this configuration. If the job exists only sometimes \
                             (another configuration adds it), mark the need `optional: true`.",
                            need.name
                        ));
                    if unresolved_includes {
                        softened.push(soften(finding));
                        continue;
                    }
                    return Err(finding);
                }
                // YamlProcessor checks the needs after the Normalizer expanded them: a need on a
                // parallel job is one need per generated name (`name 1/2`, `name: [a, b]`).
                if let Some(long) = targets
                    .iter()
                    .find(|t| t.chars().count() > MAX_NEED_NAME_LENGTH)
                {
                    return Err(Finding::error(
                        "job-need-name-too-long",
                        format!("{name} job: need `{long}` name is too long (maximum is {MAX_NEED_NAME_LENGTH} characters)"),
                        Some(need.span),
                    ));
                }
                for target in &targets {
                    let target_job = index[target.as_str()];
                    if stage_index(target_job).is_some_and(|i| i > own_stage) {
                        return Err(Finding::error(
                            "job-need-later-stage",
                            format!("{name} job: need {} is not defined in current or prior stages", need.name),
                            Some(need.span),
                        )
                        .explain(format!(
                            "`{}` is in stage `{}`, which comes after `{name}`'s stage `{}`. A job can only need jobs \
                             of its own or earlier stages.",
                            need.name, target_job.stage, job.stage
                        )));
                    }
                }
                for target in targets {
                    if seen.contains(&target.as_str()) {
                        if !duplicates.contains(&target) {
                            duplicates.push(target.clone());
                        }
                        duplicate_span.get_or_insert(need.span);
                    } else if let Some(t) = index.get_key_value(target.as_str()) {
                        seen.push(t.0);
                    }
                }
            }
            if !duplicates.is_empty() {
                return Err(Finding::error(
                    "job-needs-duplicated",
                    format!(
                        "{name} has the following needs duplicated: {}.",
                        duplicates.join(", ")
                    ),
                    duplicate_span,
                ));
            }
        }
        for (dependency, span) in &job.trigger_include_jobs {
            let targets = normalized.expand_name(dependency);
            if targets.is_empty() {
                return Err(Finding::error(
                    "job-dependency-undefined",
                    format!("{name} job: undefined dependency: {dependency}"),
                    Some(*span),
                ));
            }
            for target in targets {
                if stage_index(index[target.as_str()]).is_some_and(|i| i > own_stage) {
                    return Err(Finding::error(
                        "job-dependency-later-stage",
                        format!("{name} job: dependency {dependency} is not defined in current or prior stages"),
                        Some(*span),
                    ));
                }
            }
        }
        if let Some((on_stop, span)) = &job.on_stop {
            let Some(stop_job) = index.get(on_stop.as_str()) else {
                return Err(Finding::error(
                    "environment-on-stop",
                    format!("{name} job: on_stop job {on_stop} is not defined"),
                    Some(*span),
                ));
            };
            let Some(stop_env) = &stop_job.environment else {
                return Err(Finding::error(
                    "environment-on-stop",
                    format!("{name} job: on_stop job {on_stop} does not have environment defined"),
                    Some(*span),
                ));
            };
            if Some(stop_env) != job.environment.as_ref() {
                return Err(Finding::error(
                    "environment-on-stop",
                    format!("{name} job: on_stop job {on_stop} have different environment name"),
                    Some(*span),
                ));
            }
            if stop_job.environment_action.as_deref() != Some("stop") {
                return Err(Finding::error(
                    "environment-on-stop",
                    format!("{name} job: on_stop job {on_stop} needs to have action stop defined"),
                    Some(*span),
                ));
            }
        }
    }
    check_circular_dependencies(normalized)
}

/// `Dag.check_circular_dependencies!`: Ruby's TSort over job-level `needs`.
fn check_circular_dependencies(normalized: &Normalized) -> Result<(), Finding> {
    let names: Vec<&str> = normalized.jobs.iter().map(|j| j.name.as_str()).collect();
    let position: HashMap<&str, usize> = names.iter().enumerate().map(|(i, n)| (*n, i)).collect();
    let edges: Vec<Vec<(usize, Span)>> = normalized
        .jobs
        .iter()
        .map(|job| {
            job.needs
                .iter()
                .flat_map(|need| {
                    normalized
                        .expand_name(&need.name)
                        .into_iter()
                        .filter_map(|t| position.get(t.as_str()).map(|i| (*i, need.span)))
                        .collect::<Vec<_>>()
                })
                .collect()
        })
        .collect();
    // Tarjan's algorithm, iterating nodes and children in the same order as Ruby's TSort.
    let mut tarjan = Tarjan::new(names.len());
    for start in 0..names.len() {
        if tarjan.index[start].is_none() {
            if let Some(cycle) = tarjan.visit(start, &edges) {
                let message = match cycle {
                    Cycle::SelfDependency(node) => format!("self-dependency: {}", names[node]),
                    Cycle::Component(nodes) => {
                        let parts: Vec<String> = nodes
                            .iter()
                            .map(|n| crate::ruby::inspect_str(names[*n]))
                            .collect();
                        format!("topological sort failed: [{}]", parts.join(", "))
                    }
                };
                let span = tarjan.cycle_span.or(Some(normalized.jobs[start].span));
                return Err(Finding::error("needs-cycle", format!("The pipeline has circular dependencies: {message}"), span)
                    .explain("Jobs that need each other, directly or through other jobs, can never start. Remove one `needs` entry of the loop."));
            }
        }
    }
    Ok(())
}

enum Cycle {
    SelfDependency(usize),
    Component(Vec<usize>),
}

struct Tarjan {
    index: Vec<Option<usize>>,
    lowlink: Vec<usize>,
    on_stack: Vec<bool>,
    stack: Vec<usize>,
    next: usize,
    cycle_span: Option<Span>,
}

impl Tarjan {
    fn new(n: usize) -> Self {
        Tarjan {
            index: vec![None; n],
            lowlink: vec![0; n],
            on_stack: vec![false; n],
            stack: Vec::new(),
            next: 0,
            cycle_span: None,
        }
    }

    /// Iterative DFS (no recursion, so deep graphs cannot overflow the stack).
    fn visit(&mut self, start: usize, edges: &[Vec<(usize, Span)>]) -> Option<Cycle> {
        let mut work: Vec<(usize, usize)> = vec![(start, 0)];
        self.open(start);
        if edges[start].iter().any(|(t, _)| *t == start) {
            self.cycle_span = edges[start]
                .iter()
                .find(|(t, _)| *t == start)
                .map(|(_, s)| *s);
            return Some(Cycle::SelfDependency(start));
        }
        while let Some(&mut (node, ref mut child)) = work.last_mut() {
            if *child < edges[node].len() {
                let (next, span) = edges[node][*child];
                *child += 1;
                match self.index[next] {
                    None => {
                        self.open(next);
                        if edges[next].iter().any(|(t, _)| *t == next) {
                            self.cycle_span = edges[next]
                                .iter()
                                .find(|(t, _)| *t == next)
                                .map(|(_, s)| *s);
                            return Some(Cycle::SelfDependency(next));
                        }
                        work.push((next, 0));
                    }
                    Some(i) if self.on_stack[next] => {
                        self.lowlink[node] = self.lowlink[node].min(i);
                        self.cycle_span.get_or_insert(span);
                    }
                    Some(_) => {}
                }
            } else {
                work.pop();
                if let Some(&(parent, _)) = work.last() {
                    self.lowlink[parent] = self.lowlink[parent].min(self.lowlink[node]);
                }
                if Some(self.lowlink[node]) == self.index[node] {
                    let mut component = Vec::new();
                    while let Some(top) = self.stack.pop() {
                        self.on_stack[top] = false;
                        component.push(top);
                        if top == node {
                            break;
                        }
                    }
                    if component.len() > 1 {
                        component.reverse();
                        return Some(Cycle::Component(component));
                    }
                    self.cycle_span = None;
                }
            }
        }
        None
    }

    fn open(&mut self, node: usize) {
        self.index[node] = Some(self.next);
        self.lowlink[node] = self.next;
        self.next += 1;
        self.stack.push(node);
        self.on_stack[node] = true;
    }
}
