//! The plain timing harness the benches share (no dependency): a filter from the command line
//! and cold runs timed for up to 2 s or 200 samples.

use std::time::{Duration, Instant};

/// Whether `label` matches the filter given on the command line (`cargo bench -- FILTER`).
pub fn selected(label: &str) -> bool {
    match std::env::args().skip(1).find(|a| !a.starts_with('-')) {
        Some(filter) => label.contains(&filter),
        None => true,
    }
}

/// Runs `run` once to warm up, then times it cold (the core's memory of recent parses
/// forgotten before each run) and prints min, median and mean.
pub fn time(label: &str, mut run: impl FnMut()) {
    if !selected(label) {
        return;
    }
    run();
    let mut samples = Vec::new();
    let started = Instant::now();
    while samples.len() < 200 && started.elapsed() < Duration::from_secs(2) {
        // Cold every time, as after an edit: nothing parsed is remembered from the last run.
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
