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
            "event" | "source" | "ref" | "created" | "status" | "name" | "parent" => {
                let got = &actual[key.as_str()];
                if text(got) != text(want) {
                    failures.push(format!(
                        "{label}: {key} is {}, expected {}",
                        text(got),
                        text(want)
                    ));
                }
            }
            "reason" => {
                let got = text(&actual["reason"]);
                if !got.contains(&text(want)) {
                    failures.push(format!("{label}: reason {got:?} does not contain {want}"));
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

fn check(path: &Path) -> Vec<String> {
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
            check_pipeline(&format!("{name} pipeline[{i}]"), want, got, &mut failures);
        }
    }
    let matches = |d: &Value, want: &Value| {
        want.as_object()
            .expect("a diagnostic expectation is a map")
            .iter()
            .all(|(k, v)| match k.as_str() {
                "message" => text(&d["message"]).contains(&text(v)),
                "fix_verified" => d["fix"]["verified"] == *v,
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
            "pipelines" | "diagnostics" | "diagnostics_absent"
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
    let mut ran = 0;
    for path in &paths {
        if let Some(only) = &only {
            if !path.to_string_lossy().contains(only.as_str()) {
                continue;
            }
        }
        ran += 1;
        failures.extend(check(path));
    }
    if !failures.is_empty() {
        panic!(
            "{} of {ran} scenario fixtures failed:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
