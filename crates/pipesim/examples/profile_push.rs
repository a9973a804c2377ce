//! One workload for instruction-count profiling (docs/BENCHMARKS.md): `N` cold runs of the
//! 1,000-job synthetic configuration, either a push to `main` or a lint.
//!
//! `cargo build --release -p pipesim --example profile_push`, then
//! `valgrind --tool=callgrind target/release/examples/profile_push push 1` (or `lint 3`).
//! Unlike wall time on a shared machine, the instruction count repeats to within a few
//! thousand instructions, so two commits can be compared exactly.

#[path = "../benches/synthetic/mod.rs"]
#[allow(dead_code)] // the sizes list is the benchmark's
mod synthetic;

use pipesim::event::{Event, Project, Push, RefTarget};
use pipesim::simulate::simulate_event;
use pipesim::Files;

fn main() {
    let mode = std::env::args().nth(1).unwrap_or_else(|| "push".into());
    let runs: usize = std::env::args()
        .nth(2)
        .and_then(|s| s.parse().ok())
        .unwrap_or(1);
    let files: Files = [
        (".gitlab-ci.yml", synthetic::synthetic(1000)),
        ("Dockerfile", String::new()),
    ]
    .into_iter()
    .collect();
    let project = Project::new("group/app");
    let event = Event::Push(Push {
        target: RefTarget::Branch("main".into()),
        changes: Some(vec!["src/c1/a.rs".into()]),
        ..Push::default()
    });
    for _ in 0..runs {
        // Cold, as after an edit.
        pipesim::config::document::recent::forget();
        if mode == "lint" {
            std::hint::black_box(pipesim::lint(&files, ".gitlab-ci.yml"));
        } else {
            std::hint::black_box(simulate_event(&project, &files, &event, false));
        }
    }
}
