//! The user-defined ("secret") variables a job gets, as lib/gitlab/ci/variables/builder/
//! instance.rb, group.rb and project.rb list them: instance variables, then the groups' from
//! the top-level group down (the nearest group's win), then the project's; protected ones only
//! on a protected ref; group and project variables filtered by `environment_scope` the way
//! app/models/concerns/has_environment_scope.rb `on_environment` matches and orders them.
//!
//! Sources: lib/gitlab/ci/variables/builder.rb (`secret_instance_variables`,
//! `secret_group_variables(environment:)`, `secret_project_variables(environment:)`),
//! app/models/project.rb `uncached_ci_variables_for` (no environment: only `*` scoped
//! variables), app/models/group.rb `uncached_ci_variables_for`, lib/gitlab/sql/glob.rb
//! `to_like`, app/models/concerns/ci/maskable.rb (which values can be masked).

use super::{Project, ProjectVariable};

/// Where a user-defined variable is set, lowest precedence first.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Instance,
    Group,
    Project,
}

impl Level {
    /// The variable table's `source` for this level.
    pub fn source(self) -> &'static str {
        match self {
            Level::Instance => "instance",
            Level::Group => "group",
            Level::Project => "project",
        }
    }
}

/// One user-defined variable a job gets, in the order GitLab appends them (a later one wins).
#[derive(Clone, Copy, Debug)]
pub struct Secret<'a> {
    pub variable: &'a ProjectVariable,
    pub level: Level,
    /// The group's path, for a group variable.
    pub group: Option<&'a str>,
}

/// Whether a project has user-defined variables beyond its own unscoped ones: instance or
/// group variables, or an `environment_scope` other than `*`. Without them the plain
/// project-variable path is taken (nothing is paid for what a scenario does not use).
pub fn has_extended(project: &Project) -> bool {
    !project.instance_variables.is_empty()
        || project
            .group_variables
            .iter()
            .any(|g| !g.variables.is_empty())
        || project.variables.iter().any(|v| is_scoped(v))
}

/// A variable with an `environment_scope` other than `*`.
pub fn is_scoped(variable: &ProjectVariable) -> bool {
    variable
        .environment_scope
        .as_deref()
        .is_some_and(|scope| scope != "*")
}

/// `on_environment(environment)`'s relevance of a scope for an environment name: `*` is 0, a
/// wildcard pattern that matches 1, the exact name 2; `None` when the scope does not match.
/// Without an environment (`environment: nil`) only `*` matches.
pub fn scope_relevance(scope: Option<&str>, environment: Option<&str>) -> Option<u8> {
    let scope = scope.unwrap_or("*");
    if scope == "*" {
        return Some(0);
    }
    let environment = environment?;
    if scope == environment {
        return Some(2);
    }
    like_glob(scope, environment).then_some(1)
}

/// `:environment_name LIKE Gitlab::SQL::Glob.to_like(environment_scope)`: `*` matches any run
/// of characters (slashes too), every other character only itself (`%` and `_` are escaped),
/// case-sensitively as PostgreSQL's `LIKE`. Linear backtracking on the last `*`.
pub fn like_glob(pattern: &str, text: &str) -> bool {
    let p: Vec<char> = pattern.chars().collect();
    let t: Vec<char> = text.chars().collect();
    let (mut i, mut j) = (0usize, 0usize);
    let mut star: Option<(usize, usize)> = None;
    while j < t.len() {
        if i < p.len() && p[i] == '*' {
            star = Some((i, j));
            i += 1;
        } else if i < p.len() && p[i] == t[j] {
            i += 1;
            j += 1;
        } else if let Some((si, sj)) = star {
            i = si + 1;
            j = sj + 1;
            star = Some((si, sj + 1));
        } else {
            return false;
        }
    }
    p[i..].iter().all(|c| *c == '*')
}

/// The user-defined variables a job gets on a ref (`protected_ref`) in an environment
/// (`None`: the job has none, or the caller is `config_variables`/workflow), in GitLab's
/// order: a later entry of the same key wins.
pub fn secret_variables<'a>(
    project: &'a Project,
    protected_ref: bool,
    environment: Option<&str>,
) -> Vec<Secret<'a>> {
    let mut out = Vec::with_capacity(
        project.instance_variables.len()
            + project
                .group_variables
                .iter()
                .map(|g| g.variables.len())
                .sum::<usize>()
            + project.variables.len(),
    );
    // builder/instance.rb: `Ci::InstanceVariable.all_cached` or `unprotected_cached`.
    for variable in &project.instance_variables {
        if variable.protected && !protected_ref {
            continue;
        }
        out.push(Secret {
            variable,
            level: Level::Instance,
            group: None,
        });
    }
    // builder/group.rb: each group's matching variables by relevance, the top-level group
    // first and the project's own group last.
    for group in &project.group_variables {
        push_scoped(
            &mut out,
            &group.variables,
            protected_ref,
            environment,
            Level::Group,
            Some(&group.path),
        );
    }
    push_scoped(
        &mut out,
        &project.variables,
        protected_ref,
        environment,
        Level::Project,
        None,
    );
    out
}

fn push_scoped<'a>(
    out: &mut Vec<Secret<'a>>,
    variables: &'a [ProjectVariable],
    protected_ref: bool,
    environment: Option<&str>,
    level: Level,
    group: Option<&'a str>,
) {
    let mut matching: Vec<(u8, &'a ProjectVariable)> = variables
        .iter()
        .filter(|v| !v.protected || protected_ref)
        .filter_map(|v| {
            scope_relevance(v.environment_scope.as_deref(), environment).map(|r| (r, v))
        })
        .collect();
    // `ORDER BY CASE environment_scope WHEN '*' THEN 0 WHEN name THEN 2 ELSE 1 END ASC`:
    // the most relevant last (stable: rows of one relevance keep their order).
    crate::sort::sort_by(&mut matching, |a, b| a.0.cmp(&b.0));
    out.extend(matching.into_iter().map(|(_, variable)| Secret {
        variable,
        level,
        group,
    }));
}

/// Why a user-defined variable is not among a job's: its protection or its environment scope
/// (`None`: the job gets it).
pub fn withheld_reason(
    variable: &ProjectVariable,
    protected_ref: bool,
    environment: Option<&str>,
) -> Option<Withheld> {
    if variable.protected && !protected_ref {
        return Some(Withheld::Protected);
    }
    if scope_relevance(variable.environment_scope.as_deref(), environment).is_none() {
        return Some(Withheld::Environment);
    }
    None
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Withheld {
    Protected,
    Environment,
}

/// Ci::Maskable::REGEX: what a masked variable's value must be (one line, no spaces, at least
/// 8 characters of the Base64 alphabet with `@`, `:`, `.`, `~`).
pub fn maskable(value: &str) -> bool {
    value.chars().count() >= 8
        && value
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_+=/@:.~-".contains(c))
}

/// Ci::Maskable::MASK_AND_RAW_REGEX (`\A\S{8,}\z`), for a masked variable that is also raw.
pub fn maskable_raw(value: &str) -> bool {
    value.chars().count() >= 8 && !value.chars().any(char::is_whitespace)
}

/// `Gitlab::Regex.environment_scope_regex`: letters, digits, `_`, `/`, `$`, `{`, `}`, `.`,
/// `*`, `-` and space.
pub fn valid_scope(scope: &str) -> bool {
    !scope.is_empty()
        && scope
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_/${}.*- ".contains(c))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn variable(key: &str, value: &str, scope: Option<&str>) -> ProjectVariable {
        ProjectVariable {
            key: key.to_owned(),
            value: value.to_owned(),
            environment_scope: scope.map(str::to_owned),
            ..ProjectVariable::default()
        }
    }

    // spec/models/concerns/has_environment_scope_spec.rb `.on_environment`: 'review/app'
    // matches `review/app`, `review/*` and `*`, not `review`; the most relevant last.
    #[test]
    fn on_environment_matches_and_orders() {
        assert_eq!(scope_relevance(Some("review"), Some("review/app")), None);
        assert_eq!(
            scope_relevance(Some("review/app"), Some("review/app")),
            Some(2)
        );
        assert_eq!(
            scope_relevance(Some("review/*"), Some("review/app")),
            Some(1)
        );
        assert_eq!(scope_relevance(Some("*"), Some("review/app")), Some(0));
        assert_eq!(scope_relevance(None, None), Some(0));
        assert_eq!(scope_relevance(Some("review/*"), None), None);
        // `%` and `_` are literal (escaped in the LIKE pattern).
        assert_eq!(scope_relevance(Some("review_%"), Some("reviewXab")), None);
        assert!(like_glob("*-prod*", "eu-prod-1"));
        assert!(!like_glob("Prod*", "production"));
        let mut project = Project::new("group/app");
        project.variables = vec![
            variable("A", "exact", Some("review/app")),
            variable("A", "star", Some("*")),
            variable("A", "glob", Some("review/*")),
        ];
        let values: Vec<&str> = secret_variables(&project, false, Some("review/app"))
            .iter()
            .map(|s| s.variable.value.as_str())
            .collect();
        assert_eq!(values, ["star", "glob", "exact"]);
    }

    // spec/models/concerns/ci/maskable_spec.rb: 8 characters or more, no spaces, the Base64
    // alphabet with @ : . ~ (raw values: anything but whitespace).
    #[test]
    fn maskable_values() {
        assert!(!maskable("hello"));
        assert!(!maskable("hello world"));
        assert!(!maskable("hello$VARIABLEworld"));
        assert!(maskable("helloworld"));
        assert!(maskable("hello@:.~world"));
        assert!(maskable_raw("hello$VARIABLEworld"));
        assert!(!maskable_raw("hello world"));
    }
}
