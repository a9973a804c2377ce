//! One workload for instruction-count profiling of the job × event matrix (docs/BENCHMARKS.md,
//! "The job × event matrix"): the 1,000-job synthetic configuration with the 10 events of
//! `benches/matrix.rs`, or the push to `main` alone, for the ratio between the two.
//!
//! `cargo build --release -p pipesim --example profile_matrix`, then
//! `valgrind --tool=callgrind target/release/examples/profile_matrix matrix` (or `push`).
//! `matrix` builds on one thread, so that counts compare with earlier commits; `threads` is
//! the matrix as the CLI builds it (`build_with` on `MAX_THREADS` threads, each composing once).

#[path = "../benches/synthetic/mod.rs"]
#[allow(dead_code)] // the sizes list is the benchmark's
mod synthetic;

use pipesim::event::{Event, Project, Push, RefTarget, Tier};
use pipesim::matrix::{self, StandardOptions};
use pipesim::simulate::simulate_event;
use pipesim::Files;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "matrix".into());
    let files: Files = [
        (".gitlab-ci.yml", synthetic::synthetic(1000)),
        ("Dockerfile", String::new()),
    ]
    .into_iter()
    .collect();
    let mut project = Project::new("group/app");
    project.tier = Tier::Premium;
    project.settings.merged_results_pipelines = true;
    if mode == "push" {
        let event = Event::Push(Push {
            target: RefTarget::Branch("main".into()),
            changes: Some(vec!["src/c1/a.rs".into()]),
            ..Push::default()
        });
        std::hint::black_box(simulate_event(&project, &files, &event, false));
        return;
    }
    let options = StandardOptions {
        changes: Some(vec!["src/c1/a.rs".to_owned()]),
        labels: vec!["full-ci".to_owned()],
        ..StandardOptions::default()
    };
    let mut events = matrix::standard_events(&project, &options);
    events.retain(|e| e.id != "trigger");
    if mode == "threads" {
        std::hint::black_box(matrix::build_with(
            &project,
            &files,
            &events,
            true,
            matrix::MAX_THREADS,
        ));
    } else {
        std::hint::black_box(matrix::build_with(&project, &files, &events, true, 1));
    }
}
