//! Scenario fixtures: `tests/fixtures/scenarios/**/<name>.scenario.yml` runs through
//! `run_scenario`, and `<name>.expect.yml` states what GitLab does (see the README there).
//! Each scenario names its GitLab source in a `# source:` comment.

use std::path::{Path, PathBuf};

use pipesim::yaml::{Node, Value as Yaml};
use pipesim::{simulate::run_scenario, Files};
use serde_json::Value;

fn fixtures_dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(kind)
}

fn scenario_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .expect("fixtures dir")
        .flatten()
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            scenario_files(&path, out);
        } else if path.to_string_lossy().ends_with(".scenario.yml") {
            out.push(path);
        }
    }
}

fn to_json(node: &Node) -> Value {
    match &node.value {
        Yaml::Null => Value::Null,
        Yaml::Bool(b) => Value::Bool(*b),
        Yaml::Int(i) => Value::from(*i),
        Yaml::Float(f) => Value::from(*f),
        Yaml::Str(s) | Yaml::Symbol(s) => Value::String(s.clone()),
        Yaml::Seq(items) => Value::Array(items.iter().map(to_json).collect()),
        Yaml::Map(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.scalar_to_s().unwrap_or_default(), to_json(v)))
                .collect(),
        ),
        Yaml::Reference(_) => Value::Null,
    }
}

fn load_expect(path: &Path) -> Value {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let loaded = pipesim::yaml::load(&text, pipesim::FileId(0), Default::default());
    let root = loaded
        .documents
        .first()
        .unwrap_or_else(|| panic!("{}: invalid YAML", path.display()));
    to_json(root)
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => "null".into(),
        other => other.to_string(),
    }
}

fn check_pipeline(label: &str, expected: &Value, actual: &Value, failures: &mut Vec<String>) {
    let exp = expected.as_object().expect("pipeline expectation is a map");
    for (key, want) in exp {
        match key.as_str() {
            "event" | "source" | "ref" | "created" | "status" | "name" | "parent" | "project"
            | "upstream" | "trigger_job" | "iid" => {
                let got = &actual[key.as_str()];
                if text(got) != text(want) {
                    failures.push(format!(
                        "{label}: {key} is {}, expected {}",
                        text(got),
                        text(want)
                    ));
                }
            }
            "known_failure" => {}
            "reason" | "project_reason" => {
                let got = text(&actual[key.as_str()]);
                if !got.contains(&text(want)) {
                    failures.push(format!("{label}: {key} {got:?} does not contain {want}"));
                }
            }
            "first_error" => {
                let got = actual["errors"]
                    .as_array()
                    .and_then(|a| a.first())
                    .map(|d| text(&d["message"]));
                if !got.as_deref().is_some_and(|g| g.contains(&text(want))) {
                    failures.push(format!(
                        "{label}: first error {got:?} does not contain {}",
                        text(want)
                    ));
                }
            }
            "stages" => {
                if text(&actual["stages"]) != text(want) {
                    failures.push(format!(
                        "{label}: stages {}, expected {}",
                        text(&actual["stages"]),
                        text(want)
                    ));
                }
            }
            "warnings" => {
                let got: Vec<String> = actual["warnings"]
                    .as_array()
                    .map(|a| a.iter().map(|d| text(&d["message"])).collect())
                    .unwrap_or_default();
                let want: Vec<String> = want
                    .as_array()
                    .map(|a| a.iter().map(text).collect())
                    .unwrap_or_default();
                if got.len() != want.len() || !got.iter().zip(&want).all(|(g, w)| g.contains(w)) {
                    failures.push(format!(
                        "{label}: warnings {got:?}, expected one per substring {want:?}"
                    ));
                }
            }
            "errors" => {
                let got: Vec<String> = actual["errors"]
                    .as_array()
                    .map(|a| a.iter().map(|d| text(&d["message"])).collect())
                    .unwrap_or_default();
                let want: Vec<String> = want
                    .as_array()
                    .map(|a| a.iter().map(text).collect())
                    .unwrap_or_default();
                if got != want {
                    failures.push(format!("{label}: errors {got:?}, expected {want:?}"));
                }
            }
            "variables" => {
                for (name, value) in want.as_object().expect("variables map") {
                    let got = &actual["variables"][name.as_str()];
                    if value.is_null() != got.is_null()
                        || (!value.is_null() && text(got) != text(value))
                    {
                        failures.push(format!(
                            "{label}: variable {name} is {}, expected {}",
                            if got.is_null() {
                                "absent".to_owned()
                            } else {
                                format!("{:?}", text(got))
                            },
                            if value.is_null() {
                                "absent".to_owned()
                            } else {
                                format!("{:?}", text(value))
                            },
                        ));
                    }
                }
            }
            "jobs" => {
                let mut got: Vec<String> = actual["jobs"]
                    .as_array()
                    .map(|a| {
                        a.iter()
                            .filter(|j| j["created"] == Value::Bool(true))
                            .map(|j| text(&j["name"]))
                            .collect()
                    })
                    .unwrap_or_default();
                let mut want: Vec<String> = want
                    .as_array()
                    .map(|a| a.iter().map(text).collect())
                    .unwrap_or_default();
                got.sort();
                want.sort();
                if got != want {
                    failures.push(format!("{label}: created jobs {got:?}, expected {want:?}"));
                }
            }
            "job" => {
                for (name, checks) in want.as_object().expect("job map") {
                    let Some(job) = actual["jobs"]
                        .as_array()
                        .and_then(|a| a.iter().find(|j| text(&j["name"]) == *name))
                    else {
                        failures.push(format!("{label}: no job {name:?} in the report"));
                        continue;
                    };
                    for (field, value) in checks.as_object().expect("job checks map") {
                        let got = &job[field.as_str()];
                        let ok =
                            match field.as_str() {
                                "why" => text(got).contains(&text(value)),
                                "artifacts_from" => {
                                    let mut got: Vec<String> = got
                                        .as_array()
                                        .map(|a| a.iter().map(text).collect())
                                        .unwrap_or_default();
                                    let mut want: Vec<String> = value
                                        .as_array()
                                        .map(|a| a.iter().map(text).collect())
                                        .unwrap_or_default();
                                    got.sort();
                                    want.sort();
                                    got == want
                                }
                                "dotenv" => {
                                    value.as_object().expect("dotenv map").iter().all(|(k, v)| {
                                        let entry = &got[k.as_str()];
                                        !entry.is_null() && entry["value"] == *v
                                    })
                                }
                                "dotenv_absent" => value
                                    .as_array()
                                    .expect("dotenv_absent list")
                                    .iter()
                                    .all(|k| job["dotenv"][text(k).as_str()].is_null()),
                                "variables" => value
                                    .as_object()
                                    .expect("variables map")
                                    .iter()
                                    .all(|(k, v)| {
                                        let winner = job["variables"].as_array().and_then(|rows| {
                                            rows.iter().find(|r| {
                                                text(&r["name"]) == *k
                                                    && r["overridden_by"].is_null()
                                                    && r["withheld"].is_null()
                                            })
                                        });
                                        match (winner, v) {
                                            (None, Value::Null) => true,
                                            (None, _) | (Some(_), Value::Null) => false,
                                            (Some(row), want) => want
                                                .as_object()
                                                .expect("variable expectation map")
                                                .iter()
                                                .all(|(f, w)| text(&row[f.as_str()]) == text(w)),
                                        }
                                    }),
                                "needs" => {
                                    let got: Vec<String> = got
                                        .as_array()
                                        .map(|a| a.iter().map(text).collect())
                                        .unwrap_or_default();
                                    let want: Vec<String> = value
                                        .as_array()
                                        .map(|a| a.iter().map(text).collect())
                                        .unwrap_or_default();
                                    got == want
                                }
                                _ => text(got) == text(value),
                            };
                        if !ok {
                            let got = match field.as_str() {
                                "variables" | "dotenv_absent" => text(&job["variables"]),
                                _ => text(got),
                            };
                            failures.push(format!(
                                "{label}: job {name:?} {field} is {got}, expected {}",
                                text(value)
                            ));
                        }
                    }
                }
            }
            other => failures.push(format!("{label}: unknown expectation key {other}")),
        }
    }
}

/// What a fixture run gives: the failures, and the known failures it still has (see
/// `known_failure` in the README: a marked fixture or pipeline must still fail).
struct Checked {
    failures: Vec<String>,
    known: Vec<String>,
}

/// Applies a `known_failure` marker to the failures `found` under `label`: they become one
/// known failure, and a marked check that passes is itself a failure (the marker must go).
fn known_failure(
    label: &str,
    marker: &Value,
    found: Vec<String>,
    failures: &mut Vec<String>,
    known: &mut Vec<String>,
) {
    let what = text(marker);
    if !marker.is_string() || what.trim().is_empty() {
        failures.push(format!(
            "{label}: known_failure must say what pipesim does instead"
        ));
        failures.extend(found);
    } else if found.is_empty() {
        failures.push(format!(
            "{label}: marked known_failure ({what}) but it passes now: remove the marker \
             and its line in docs/PARITY.md"
        ));
    } else {
        if std::env::var_os("PIPESIM_SHOW_KNOWN").is_some() {
            eprintln!("{}", found.join("\n"));
        }
        known.push(format!("{label}: {what}"));
    }
}

fn check(path: &Path) -> Checked {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let mut known = Vec::new();
    let found = check_expectations(path, &mut known);
    let expect_path = PathBuf::from(
        path.to_string_lossy()
            .replace(".scenario.yml", ".expect.yml"),
    );
    let marker = expect_path
        .exists()
        .then(|| load_expect(&expect_path))
        .and_then(|e| e.get("known_failure").cloned());
    let mut failures = Vec::new();
    match marker {
        None => failures = found,
        Some(marker) => known_failure(&name, &marker, found, &mut failures, &mut known),
    }
    Checked { failures, known }
}

fn check_expectations(path: &Path, known: &mut Vec<String>) -> Vec<String> {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let source = std::fs::read_to_string(path).unwrap();
    let mut failures = Vec::new();
    if !source
        .lines()
        .any(|l| l.trim_start().starts_with("# source:"))
    {
        failures.push(format!(
            "{name}: no `# source:` comment naming GitLab's doc or code"
        ));
    }
    let mut files = Files::new();
    let id = files.insert(&name, source);
    let simulation = serde_json::to_value(run_scenario(&files, id)).unwrap();
    let expect_path = PathBuf::from(
        path.to_string_lossy()
            .replace(".scenario.yml", ".expect.yml"),
    );
    if !expect_path.exists() {
        failures.push(format!("{name}: missing {}", expect_path.display()));
        return failures;
    }
    let expect = load_expect(&expect_path);
    if let Some(pipelines) = expect.get("pipelines").and_then(Value::as_array) {
        let actual = simulation["pipelines"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if actual.len() != pipelines.len() {
            let got: Vec<String> = actual
                .iter()
                .map(|p| {
                    format!(
                        "event {} {} {}",
                        p["event"],
                        text(&p["source"]),
                        text(&p["ref"])
                    )
                })
                .collect();
            failures.push(format!(
                "{name}: {} pipelines ({got:?}), expected {}",
                actual.len(),
                pipelines.len()
            ));
        }
        for (i, (want, got)) in pipelines.iter().zip(&actual).enumerate() {
            let label = format!("{name} pipeline[{i}]");
            let mut found = Vec::new();
            check_pipeline(&label, want, got, &mut found);
            match want.get("known_failure") {
                None => failures.extend(found),
                Some(marker) => known_failure(&label, marker, found, &mut failures, known),
            }
        }
    }
    let matches = |d: &Value, want: &Value| {
        want.as_object()
            .expect("a diagnostic expectation is a map")
            .iter()
            .all(|(k, v)| match k.as_str() {
                "message" => text(&d["message"]).contains(&text(v)),
                "fix_verified" => d["fix"]["verified"] == *v,
                // The fix written into the user's files: a substring of its unified diff
                // (`""` asks for no diff: pipesim could not write it into their text).
                "fix_diff" if text(v).is_empty() => d["fix"].get("diff").is_none(),
                "fix_diff" => text(&d["fix"]["diff"]).contains(&text(v)),
                // The second place the finding points at (the rule leaving a producer out).
                "related_line" => d["related"]["line"] == *v,
                _ => text(&d[k.as_str()]) == text(v),
            })
    };
    let actual = simulation["diagnostics"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for key in expect
        .as_object()
        .map(|m| m.keys().cloned().collect::<Vec<_>>())
        .unwrap_or_default()
    {
        if !matches!(
            key.as_str(),
            "pipelines" | "diagnostics" | "diagnostics_absent" | "known_failure"
        ) {
            failures.push(format!("{name}: unknown expectation key {key}"));
        }
    }
    if let Some(diagnostics) = expect.get("diagnostics").and_then(Value::as_array) {
        for want in diagnostics {
            if !actual.iter().any(|d| matches(d, want)) {
                failures.push(format!(
                    "{name}: no diagnostic like {want}; got {}",
                    Value::Array(actual.clone())
                ));
            }
        }
    }
    if let Some(absent) = expect.get("diagnostics_absent").and_then(Value::as_array) {
        for unwanted in absent {
            if let Some(d) = actual.iter().find(|d| matches(d, unwanted)) {
                failures.push(format!(
                    "{name}: unexpected diagnostic {d} (matches {unwanted})"
                ));
            }
        }
    }
    if !failures.is_empty() {
        failures.push(format!(
            "{name}: full report: {}",
            serde_json::to_string_pretty(&simulation).unwrap()
        ));
    }
    failures
}

/// Pipeline creation: which pipelines and jobs each event gives.
#[test]
fn scenario_fixtures() {
    run_all("scenarios");
}

/// Data flow: artifacts, dotenv, variables, downstream pipelines, cross-pipeline breaks.
#[test]
fn dataflow_fixtures() {
    run_all("dataflow");
}

fn run_all(kind: &str) {
    let mut paths = Vec::new();
    scenario_files(&fixtures_dir(kind), &mut paths);
    assert!(!paths.is_empty(), "no scenario fixtures found");
    let only = std::env::var("PIPESIM_FIXTURE").ok();
    let mut failures = Vec::new();
    let mut known = Vec::new();
    let mut ran = 0;
    for path in &paths {
        if let Some(only) = &only {
            if !path.to_string_lossy().contains(only.as_str()) {
                continue;
            }
        }
        ran += 1;
        let checked = check(path);
        failures.extend(checked.failures);
        known.extend(checked.known);
    }
    if !known.is_empty() {
        eprintln!(
            "{} known failures (each must still fail; see docs/PARITY.md):\n  {}",
            known.len(),
            known.join("\n  ")
        );
    }
    if !failures.is_empty() {
        panic!(
            "{} of {ran} scenario fixtures failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}

/// A `known_failure` marker on a check that passes is itself a failure, and one without a reason is
/// rejected; a marked check that still fails becomes a listed known failure.
#[test]
fn known_failure_marker_must_still_fail() {
    let marker = Value::String("pipesim does X instead".into());
    let (mut failures, mut known) = (Vec::new(), Vec::new());
    known_failure("f", &marker, Vec::new(), &mut failures, &mut known);
    assert_eq!(failures.len(), 1, "a passing marked check must fail");
    assert!(known.is_empty());

    let (mut failures, mut known) = (Vec::new(), Vec::new());
    known_failure("f", &marker, vec!["x".into()], &mut failures, &mut known);
    assert!(failures.is_empty());
    assert_eq!(known, vec!["f: pipesim does X instead".to_owned()]);

    let (mut failures, mut known) = (Vec::new(), Vec::new());
    known_failure(
        "f",
        &Value::Null,
        vec!["x".into()],
        &mut failures,
        &mut known,
    );
    assert!(
        failures.len() >= 2,
        "a marker must say what pipesim does instead"
    );
    assert!(known.is_empty());
}
