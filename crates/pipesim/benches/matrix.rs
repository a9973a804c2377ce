//! `cargo bench -p pipesim --bench matrix`: time the job × event matrix (`matrix::build`) on the
//! synthetic configurations (`synthetic/mod.rs`, shared with `benches/simulate.rs`) with 10
//! events: the standard events of a Premium project but `trigger` (push to a feature branch
//! and to the default branch, detached, merged results and merge train merge request
//! pipelines, a merge, a tag, schedule, web, api). Each run is cold, as one `pipesim matrix`
//! call is: nothing parsed is remembered from the run before (`recent::forget`); within a run
//! the configuration layer's `recent` cache lets the ten simulations share one parse.
//!
//! Budget: under 200 ms for the 1,000-job configuration (docs/BENCHMARKS.md). Same plain
//! harness as `benches/simulate.rs`: each case runs until ~2 s or 200 iterations;
//! `-- FILTER` runs only the cases whose label contains FILTER.

mod synthetic;

use std::hint::black_box;
use std::time::{Duration, Instant};

use pipesim::event::{Project, Tier};
use pipesim::matrix::{self, MatrixEvent, StandardOptions};
use pipesim::Files;
use synthetic::{synthetic, SIZES};

fn selected(label: &str) -> bool {
    match std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        Some(filter) => label.contains(&filter),
        None => true,
    }
}

fn time(label: &str, mut run: impl FnMut()) {
    if !selected(label) {
        return;
    }
    run();
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < 200 && started.elapsed() < Duration::from_secs(2) {
        pipesim::config::document::recent::forget();
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

/// The ten events of the budget.
fn ten_events(project: &Project) -> Vec<MatrixEvent> {
    let options = StandardOptions {
        changes: Some(vec!["src/c1/a.rs".to_owned()]),
        labels: vec!["full-ci".to_owned()],
        ..StandardOptions::default()
    };
    let mut events = matrix::standard_events(project, &options);
    events.retain(|e| e.id != "trigger");
    assert_eq!(events.len(), 10);
    events
}

fn main() {
    let mut project = Project::new("group/app");
    project.tier = Tier::Premium;
    project.settings.merged_results_pipelines = true;
    let events = ten_events(&project);
    for jobs in SIZES {
        let files: Files = [
            (".gitlab-ci.yml", synthetic(jobs)),
            ("Dockerfile", String::new()),
        ]
        .into_iter()
        .collect();
        let built = matrix::build(&project, &files, &events);
        println!(
            "synthetic {jobs}: {} rows x {} columns",
            built.rows.len(),
            built.columns.len()
        );
        time(&format!("synthetic {jobs} jobs: matrix, 10 events"), || {
            black_box(matrix::build(&project, &files, &events));
        });
        time(
            &format!("synthetic {jobs} jobs: matrix, 1 event (push)"),
            || {
                black_box(matrix::build(&project, &files, &events[1..2]));
            },
        );
    }
}
