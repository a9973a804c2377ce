//! The keywords GitLab allows where, read from the entry classes' own `ALLOWED_KEYS` tables
//! (lib/gitlab/ci/config/entry/*.rb, mirrored in `entry/`): what an editor completes and
//! explains. No second list: each context points at the table the validation uses.

use super::entry::{
    artifacts, auto_cancel, bridge, cache, default, environment, hooks, image, include, job,
    processable, reports, root, workflow,
};

/// Where keys may stand, and which.
pub struct Context {
    /// The parent key whose mapping holds these keys: `""` for the top level, `"job"` for a
    /// job (any other top-level key), otherwise the keyword (`artifacts`, `rules`...).
    pub parent: &'static str,
    /// The allowed keys, in the table's order (a job's: processable, job, then trigger keys).
    pub keys: Vec<&'static str>,
    /// Our one-line description of these keys.
    pub about: &'static str,
    /// The anchor prefix of their section in GitLab's CI/CD YAML reference
    /// (docs.gitlab.com/ci/yaml/#<prefix><key>, e.g. `artifacts` + `paths`).
    pub docs_prefix: &'static str,
}

/// The base of GitLab's CI/CD YAML syntax reference.
pub const DOCS: &str = "https://docs.gitlab.com/ci/yaml/#";

fn joined(tables: &[&[&'static str]]) -> Vec<&'static str> {
    let mut keys: Vec<&'static str> = Vec::new();
    for key in tables.iter().flat_map(|t| t.iter()) {
        if !keys.contains(key) {
            keys.push(key);
        }
    }
    keys
}

/// Every context, the top level first.
pub fn contexts() -> Vec<Context> {
    let context = |parent, tables: &[&[&'static str]], about, docs_prefix| Context {
        parent,
        keys: joined(tables),
        about,
        docs_prefix,
    };
    let services: &[&[&str]] = &[image::IMAGEABLE_ALLOWED_KEYS, image::SERVICE_KEYS];
    vec![
        context(
            "",
            &[root::GLOBAL_KEYS],
            "a global keyword (any other top-level key is a job)",
            "",
        ),
        context(
            "job",
            &[
                processable::PROCESSABLE_KEYS,
                job::JOB_KEYS,
                bridge::BRIDGE_KEYS,
            ],
            "a job keyword",
            "",
        ),
        context(
            "default",
            &[default::DEFAULT_KEYS],
            "a keyword `default:` gives every job",
            "",
        ),
        context(
            "artifacts",
            &[artifacts::ALLOWED_KEYS],
            "a key of `artifacts:`",
            "artifacts",
        ),
        context(
            "reports",
            &[reports::ALLOWED_KEYS],
            "a report of `artifacts:reports:`",
            "artifactsreports",
        ),
        context(
            "cache",
            &[cache::ALLOWED_KEYS],
            "a key of `cache:`",
            "cache",
        ),
        context(
            "image",
            &[image::IMAGEABLE_ALLOWED_KEYS],
            "a key of `image:`",
            "image",
        ),
        context(
            "services",
            services,
            "a key of a `services:` entry",
            "services",
        ),
        context(
            "environment",
            &[environment::ALLOWED_KEYS],
            "a key of `environment:`",
            "environment",
        ),
        context(
            "rules",
            &[processable::RULE_META.allowed_keys],
            "a key of a `rules:` entry",
            "rules",
        ),
        context(
            "workflow",
            &[workflow::ALLOWED_KEYS],
            "a key of `workflow:`",
            "workflow",
        ),
        context(
            "auto_cancel",
            &[auto_cancel::ALLOWED_KEYS],
            "a key of `auto_cancel:`",
            "workflowauto_cancel",
        ),
        context(
            "include",
            &[include::ALLOWED_KEYS],
            "a key of an `include:` entry",
            "include",
        ),
        context(
            "hooks",
            &[hooks::ALLOWED_HOOKS],
            "a key of `hooks:`",
            "hooks",
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_are_the_validations_own() {
        let all = contexts();
        let find = |p: &str| all.iter().find(|c| c.parent == p).expect(p);
        assert!(find("").keys.contains(&"stages"));
        let job = find("job");
        for key in ["script", "stage", "rules", "needs", "trigger", "artifacts"] {
            assert!(job.keys.contains(&key), "{key}");
        }
        assert_eq!(job.keys.iter().filter(|k| **k == "parallel").count(), 1);
        assert!(find("artifacts").keys.contains(&"paths"));
        assert!(find("rules").keys.contains(&"if"));
    }
}
