//! `cargo bench -p pipesim --bench matrix`: time the job × event matrix (`matrix::build`) on the
//! synthetic configurations (`synthetic/mod.rs`, shared with `benches/simulate.rs`) with 10
//! events: the standard events of a Premium project but `trigger` (push to a feature branch
//! and to the default branch, detached, merged results and merge train merge request
//! pipelines, a merge, a tag, schedule, web, api). Each run is cold, as one `pipesim matrix`
//! call is: nothing parsed is remembered from the run before (`recent::forget`); within a run
//! the columns share one composed configuration (`pipeline::shared`) and `matrix::build` runs
//! them on up to `matrix::MAX_THREADS` threads; the `1 thread` case is the same work on one.
//!
//! Budget: under 200 ms for the 1,000-job configuration (docs/BENCHMARKS.md). Same plain
//! harness as `benches/simulate.rs`: each case runs until ~2 s or 200 iterations;
//! `-- FILTER` runs only the cases whose label contains FILTER.

mod synthetic;

mod harness;

use std::hint::black_box;

use harness::time;
use pipesim::event::{Project, Tier};
use pipesim::matrix::{self, MatrixEvent, StandardOptions};
use pipesim::Files;
use synthetic::{synthetic, SIZES};

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
        // As `pipesim matrix` builds it: on the machine's cores (up to MAX_THREADS).
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .min(matrix::MAX_THREADS);
        time(&format!("synthetic {jobs} jobs: matrix, 10 events"), || {
            black_box(matrix::build_with(&project, &files, &events, true, threads));
        });
        time(
            &format!("synthetic {jobs} jobs: matrix, 10 events, 1 thread"),
            || {
                black_box(matrix::build_with(&project, &files, &events, true, 1));
            },
        );
        time(
            &format!("synthetic {jobs} jobs: matrix, 1 event (push)"),
            || {
                black_box(matrix::build(&project, &files, &events[1..2]));
            },
        );
    }
}
