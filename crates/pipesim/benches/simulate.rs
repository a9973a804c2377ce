//! `cargo bench -p pipesim`: time `simulate` on synthetic configurations of 100, 1,000 and 5,000
//! jobs and on the large real configurations under tests/fixtures/realworld/large. A plain
//! harness (no dependency): each case runs until ~2 s or 200 iterations and reports
//! min/median/mean. Each size is also split into phases (YAML load, lint = the whole
//! configuration layer, simulate = lint + pipeline creation) to show where time goes.
//!
//! Budgets (re-simulation runs on every edit in the browser): a 1,000-job push pipeline should
//! simulate in under 20 ms natively (docs/BENCHMARKS.md).
//!
//! `cargo bench -p pipesim --bench simulate -- --write-synthetic DIR` writes the synthetic
//! configurations as repositories `DIR/synthetic-N/` (for scripts/bench-peers.sh) and exits;
//! `-- FILTER` runs only the cases whose label contains FILTER.

use std::hint::black_box;
use std::path::Path;
use std::time::{Duration, Instant};

use pipesim::event::{Event, MergeRequestEvent, Project, Push, RefTarget};
use pipesim::simulate::simulate_event;
use pipesim::Files;

/// 1,000 jobs over 5 stages with what real configurations use: a hidden base job with
/// `extends`, global and job variables, `rules` with `if`/`changes`/`exists`, `only`/`except`,
/// `needs` on the previous stage, and a matrix.
fn synthetic(jobs: usize) -> String {
    let mut yaml = String::from(
        "stages: [build, test, package, deploy, cleanup]\n\
         variables:\n  GLOBAL_FLAG: \"on\"\n  IMAGE: registry.example.com/app\n\
         .base:\n  image: $IMAGE\n  interruptible: true\n  rules:\n    \
         - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"\n    \
         - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n    \
         - if: $CI_COMMIT_TAG =~ /^v\\d+/\n      when: manual\n",
    );
    let stages = ["build", "test", "package", "deploy", "cleanup"];
    let per_stage = jobs / stages.len();
    for (s, stage) in stages.iter().enumerate() {
        for i in 0..per_stage {
            let name = format!("{stage}-{i}");
            yaml.push_str(&format!(
                "{name}:\n  stage: {stage}\n  script: [make {name}]\n"
            ));
            match i % 4 {
                0 => yaml.push_str("  extends: .base\n"),
                1 => yaml.push_str(&format!(
                    "  variables:\n    COMPONENT: c{i}\n  rules:\n    \
                     - if: $COMPONENT == \"c{i}\" && $GLOBAL_FLAG == \"on\"\n      changes: [src/c{i}/**/*, Cargo.toml]\n    \
                     - exists: [Dockerfile]\n      when: manual\n      allow_failure: true\n"
                )),
                2 => yaml.push_str("  only: [main, merge_requests, /^release-.*$/]\n  except:\n    variables: [$SKIP_ALL]\n"),
                _ => yaml.push_str("  rules:\n    - if: $CI_MERGE_REQUEST_LABELS =~ /full-ci/\n    - when: on_success\n"),
            }
            if s > 0 && i % 4 == 0 {
                yaml.push_str(&format!(
                    "  needs: [{{job: {}-{i}, optional: true}}]\n",
                    stages[s - 1]
                ));
            }
        }
    }
    yaml.push_str("matrix-job:\n  stage: test\n  script: [echo]\n  parallel:\n    matrix:\n      - OS: [linux, mac, windows]\n        ARCH: [amd64, arm64]\n");
    yaml
}

/// The job counts of the synthetic configurations (plus the 6 jobs of the matrix).
const SIZES: [usize; 3] = [100, 1_000, 5_000];

fn synthetic_files(jobs: usize) -> Files {
    [
        (".gitlab-ci.yml", synthetic(jobs)),
        ("Dockerfile", String::new()),
    ]
    .into_iter()
    .collect()
}

fn time(label: &str, mut run: impl FnMut()) {
    if let Some(filter) = std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        if !label.contains(&filter) {
            return;
        }
    }
    run();
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < 200 && started.elapsed() < Duration::from_secs(2) {
        let t = Instant::now();
        run();
        samples.push(t.elapsed());
    }
    samples.sort();
    let mean = samples.iter().sum::<Duration>() / samples.len() as u32;
    println!(
        "{label:<60} n={:<4} min {:>9.3} ms  median {:>9.3} ms  mean {:>9.3} ms",
        samples.len(),
        samples[0].as_secs_f64() * 1e3,
        samples[samples.len() / 2].as_secs_f64() * 1e3,
        mean.as_secs_f64() * 1e3,
    );
}

fn push(branch: &str, changes: &[&str]) -> Event {
    Event::Push(Push {
        target: RefTarget::Branch(branch.to_owned()),
        changes: Some(changes.iter().map(|s| s.to_string()).collect()),
        ..Push::default()
    })
}

fn merge_request() -> Event {
    Event::MergeRequest(MergeRequestEvent {
        iid: 1,
        source_branch: "feature".into(),
        target_branch: "main".into(),
        labels: vec!["full-ci".into()],
        changes: Some(vec!["src/c1/lib.rs".into()]),
        ..MergeRequestEvent::default()
    })
}

fn read_tree(root: &Path, dir: &Path, files: &mut Files) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            read_tree(root, &path, files);
        } else if let Ok(text) = std::fs::read_to_string(&path) {
            let relative = path
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.insert(&relative, text);
        }
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--write-synthetic") {
        let out = Path::new(args.get(i + 1).expect("--write-synthetic DIR"));
        for jobs in SIZES {
            let dir = out.join(format!("synthetic-{jobs}"));
            std::fs::create_dir_all(&dir).unwrap();
            for (path, text) in [
                (".gitlab-ci.yml", synthetic(jobs)),
                ("Dockerfile", String::new()),
            ] {
                std::fs::write(dir.join(path), text).unwrap();
            }
        }
        return;
    }
    let project = Project::new("group/app");
    for jobs in SIZES {
        let files = synthetic_files(jobs);
        let created = simulate_event(&project, &files, &push("main", &["src/c1/a.rs"]), false);
        let count = created.pipelines[0]
            .jobs
            .iter()
            .filter(|j| j.created)
            .count();
        println!("synthetic {jobs}: {count} jobs created in the push pipeline");
        let text = files
            .get(files.find(".gitlab-ci.yml").unwrap())
            .text
            .clone();
        time(&format!("synthetic {jobs} jobs: yaml load"), || {
            black_box(pipesim::yaml::load(
                &text,
                pipesim::FileId(0),
                pipesim::yaml::Limits::default(),
            ));
        });
        time(&format!("synthetic {jobs} jobs: lint only"), || {
            black_box(pipesim::lint(&files, ".gitlab-ci.yml"));
        });
        time(&format!("synthetic {jobs} jobs: push to main"), || {
            black_box(simulate_event(
                &project,
                &files,
                &push("main", &["src/c1/a.rs"]),
                false,
            ));
        });
        time(
            &format!("synthetic {jobs} jobs: merge request pipeline"),
            || {
                black_box(simulate_event(&project, &files, &merge_request(), false));
            },
        );
    }
    let large = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/realworld/large");
    let mut projects: Vec<_> = std::fs::read_dir(&large)
        .map(|d| {
            d.flatten()
                .map(|e| e.path())
                .filter(|p| p.is_dir())
                .collect()
        })
        .unwrap_or_default();
    projects.sort();
    for dir in projects {
        let mut files = Files::new();
        read_tree(&dir, &dir, &mut files);
        let name = dir.file_name().unwrap().to_string_lossy().into_owned();
        let created = simulate_event(&project, &files, &push("main", &["README.md"]), false);
        let pipeline = &created.pipelines[0];
        println!(
            "{name}: {} files, {} jobs in the configuration, {} created on a push to main",
            files.len(),
            pipeline.jobs.len(),
            pipeline.jobs.iter().filter(|j| j.created).count()
        );
        time(&format!("{name}: lint only"), || {
            black_box(pipesim::lint(&files, ".gitlab-ci.yml"));
        });
        time(&format!("{name}: push to main"), || {
            black_box(simulate_event(
                &project,
                &files,
                &push("main", &["README.md"]),
                false,
            ));
        });
        time(&format!("{name}: merge request pipeline"), || {
            black_box(simulate_event(&project, &files, &merge_request(), false));
        });
    }
}
