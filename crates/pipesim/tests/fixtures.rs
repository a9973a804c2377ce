//! Data-driven fixtures under tests/fixtures/ (see tests/fixtures/invalid/README.md):
//! - `invalid/`: configs GitLab rejects; the header names the GitLab source and the exact
//!   errors (`# error: LINE:COL MESSAGE`) and warnings that must be reported, or errors that
//!   must be among those reported (`# error-includes: LINE:COL MESSAGE`), or text that some
//!   error's message must contain (`# error-contains: TEXT`), or just that one is reported
//!   (`# error-any: WHY`); warnings likewise (`# warning:`, `# warning-contains: TEXT`,
//!   `# no-warnings: WHY`);
//! - `valid/` and `realworld/`: configs GitLab accepts; no error may be reported;
//! - `expand/`: `pipesim expand` output compared with `expected.yml`.
//!
//! A fixture in `invalid/` or `valid/` may carry `# known-failure: <what pipesim does instead>`:
//! a ported GitLab example pipesim does not match yet (listed in docs/PARITY.md). The test then
//! requires that the fixture still fails, so a fix is noticed and the marker removed.

use std::fs;
use std::path::{Path, PathBuf};

use pipesim::Files;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures")
}

/// A fixture is a single YAML file (the `.gitlab-ci.yml`) or a directory holding one and the
/// files it includes.
fn load_fixture(path: &Path) -> (Files, String) {
    let mut files = Files::new();
    if path.is_dir() {
        add_dir(path, path, &mut files);
        (
            files,
            fs::read_to_string(path.join(".gitlab-ci.yml"))
                .expect("fixture dir has .gitlab-ci.yml"),
        )
    } else {
        let text = fs::read_to_string(path).expect("read fixture");
        files.insert(".gitlab-ci.yml", text.clone());
        (files, text)
    }
}

fn add_dir(root: &Path, dir: &Path, files: &mut Files) {
    let mut entries: Vec<_> = fs::read_dir(dir).expect("read dir").flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            add_dir(root, &path, files);
        } else if path
            .file_name()
            .is_some_and(|n| n != "expected.yml" && n != "README.md")
        {
            let rel = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(&rel, fs::read_to_string(&path).unwrap_or_default());
        }
    }
}

fn entries(dir: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = fs::read_dir(fixtures_dir().join(dir))
        .unwrap_or_else(|e| panic!("fixtures/{dir}: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir() || p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        // `realworld/large` holds configurations of its own, tested separately.
        .filter(|p| !p.ends_with("realworld/large"))
        .collect();
    out.sort();
    out
}

fn header_values<'a>(text: &'a str, key: &str) -> Vec<&'a str> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| l.strip_prefix('#').map(str::trim))
        .filter_map(|l| l.strip_prefix(key).map(str::trim))
        .collect()
}

fn shown(d: &pipesim::Diagnostic) -> String {
    format!("{}:{} {}", d.line, d.column, d.message)
}

#[test]
fn invalid_configs_report_gitlabs_messages() {
    let mut failures = Vec::new();
    let mut known = 0usize;
    let cases = entries("invalid");
    assert!(
        cases.len() >= 40,
        "expected at least 40 invalid fixtures, found {}",
        cases.len()
    );
    for path in &cases {
        let (files, text) = load_fixture(path);
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !header_values(&text, "source:").is_empty(),
            "{name}: every fixture names its GitLab source"
        );
        let expected_errors: Vec<&str> = header_values(&text, "error:");
        let expected_warnings: Vec<&str> = header_values(&text, "warning:");
        let report = pipesim::lint(&files, ".gitlab-ci.yml");
        let errors: Vec<String> = report.errors.iter().map(shown).collect();
        let warnings: Vec<String> = report.warnings.iter().map(shown).collect();
        let mut problems = Vec::new();
        // `# error-includes:` ports a GitLab example that only checks that its message is among
        // the errors (`include` matchers): that error must be reported, others may be too.
        let included: Vec<&str> = header_values(&text, "error-includes:");
        for e in &included {
            if !errors.iter().any(|got| got == e) {
                problems.push(format!("{name}: missing error {e:?}; got {errors:#?}"));
            }
        }
        // `# error-contains: TEXT` ports an example that matches its message with a regular
        // expression (`include(/.../)`): some error's message must contain TEXT.
        let contained: Vec<&str> = header_values(&text, "error-contains:");
        for part in &contained {
            if !report.errors.iter().any(|d| d.message.contains(part)) {
                problems.push(format!(
                    "{name}: no error contains {part:?}; got {errors:#?}"
                ));
            }
        }
        // `# error-any: <what GitLab checks>` ports an example that only checks `valid?` is
        // false, without a message: some error must be reported.
        let any_error = !header_values(&text, "error-any:").is_empty() || !contained.is_empty();
        if any_error && errors.is_empty() {
            problems.push(format!("{name}: expected an error, got none"));
        }
        if included.is_empty() && !any_error && errors != expected_errors {
            problems.push(format!(
                "{name}:\n  expected errors {expected_errors:#?}\n  got {errors:#?}"
            ));
        }
        for w in &expected_warnings {
            if !warnings.iter().any(|got| got == w) {
                problems.push(format!("{name}: missing warning {w:?}; got {warnings:#?}"));
            }
        }
        // `# warning-contains: TEXT`: some warning's message contains TEXT (GitLab's example
        // matches it with a regular expression or `a_string_including`).
        for part in header_values(&text, "warning-contains:") {
            if !report.warnings.iter().any(|d| d.message.contains(part)) {
                problems.push(format!(
                    "{name}: no warning contains {part:?}; got {warnings:#?}"
                ));
            }
        }
        // `# no-warnings: WHY`: GitLab's example checks that there is no warning.
        if !header_values(&text, "no-warnings:").is_empty() && !warnings.is_empty() {
            problems.push(format!("{name}: expected no warning, got {warnings:#?}"));
        }
        if expected_errors.is_empty() && included.is_empty() && !any_error && !report.valid {
            problems.push(format!("{name}: expected valid"));
        }
        match known_failure(&text) {
            None => failures.extend(problems),
            Some(_) if problems.is_empty() => failures.push(format!(
                "{name}: marked `# known-failure:` but now passes; remove the marker and its \
                 docs/PARITY.md entry"
            )),
            Some(_) => known += 1,
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fixtures failed ({known} known failures still fail):\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

/// The `# known-failure:` header of a fixture: what pipesim does instead of GitLab. An empty
/// reason is not allowed, so every marker says what is wrong.
fn known_failure(text: &str) -> Option<&str> {
    let reasons = header_values(text, "known-failure:");
    let reason = reasons.first()?;
    assert!(
        !reason.is_empty(),
        "a `# known-failure:` marker says what pipesim does instead"
    );
    Some(reason)
}

fn assert_all_valid(dir: &str) {
    let mut failures = Vec::new();
    for path in entries(dir) {
        let (files, text) = load_fixture(&path);
        let report = pipesim::lint(&files, ".gitlab-ci.yml");
        if known_failure(&text).is_some() {
            if report.valid {
                failures.push(format!(
                    "{}: marked `# known-failure:` but now passes; remove the marker and its \
                     docs/PARITY.md entry",
                    path.display()
                ));
            }
            continue;
        }
        if !report.valid {
            let errors: Vec<String> = report
                .errors
                .iter()
                .map(|d| format!("{}:{}", d.file.clone().unwrap_or_default(), shown(d)))
                .collect();
            failures.push(format!("{}: {errors:#?}", path.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "false errors:\n{}",
        failures.join("\n")
    );
}

#[test]
fn valid_feature_configs_have_no_errors() {
    assert_all_valid("valid");
}

#[test]
fn real_world_configs_have_no_false_errors() {
    assert_all_valid("realworld");
}

/// The large real configurations the benchmark also uses (tests/fixtures/realworld/large).
#[test]
fn large_real_world_configs_have_no_false_errors() {
    if fixtures_dir().join("realworld/large").is_dir() {
        assert_all_valid("realworld/large");
    }
}

/// Every bundled GitLab template, included the way projects use it (source: GitLab docs
/// ci/yaml/_index.md `include:template`). A probe job in `.pre` keeps configs that only hold
/// hidden jobs valid, as they are in real projects.
#[test]
fn bundled_gitlab_templates_lint_clean() {
    let mut failures = Vec::new();
    let names: Vec<&str> = pipesim::config::templates::names().collect();
    assert!(names.len() >= 20, "templates bundled: {}", names.len());
    for name in names {
        let mut files = Files::new();
        files.insert(
            ".gitlab-ci.yml",
            format!("include:\n  - template: {name}\npipesim-probe:\n  stage: .pre\n  script: echo probe\n"),
        );
        let report = pipesim::lint(&files, ".gitlab-ci.yml");
        if !report.valid {
            failures.push(format!(
                "{name}: {:#?}",
                report
                    .errors
                    .iter()
                    .map(|d| format!("{}:{}", d.file.clone().unwrap_or_default(), shown(d)))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "templates with false errors:\n{}",
        failures.join("\n")
    );
}

#[test]
fn expand_matches_gitlabs_merged_yaml() {
    let cases = entries("expand");
    assert!(!cases.is_empty());
    let mut failures = Vec::new();
    for dir in cases {
        let (files, text) = load_fixture(&dir);
        assert!(
            !header_values(&text, "source:").is_empty(),
            "{}: names its source",
            dir.display()
        );
        let expected = fs::read_to_string(dir.join("expected.yml")).expect("expected.yml");
        let (yaml, report) = pipesim::expand(&files, ".gitlab-ci.yml");
        assert!(report.valid, "{}: {:?}", dir.display(), report.errors);
        let yaml = yaml.expect("expanded yaml");
        if yaml != expected {
            failures.push(format!(
                "{}:\n--- expected\n{expected}\n--- got\n{yaml}",
                dir.display()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
