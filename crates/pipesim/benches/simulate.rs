//! `cargo bench -p pipesim`: time `simulate` on synthetic configurations of 100, 1,000 and 5,000
//! jobs and on the large real configurations under tests/fixtures/realworld/large. A plain
//! harness (no dependency): each case runs until ~2 s or 200 iterations and reports
//! min/median/mean. Each size is also split into phases (YAML load, lint = the whole
//! configuration layer, simulate = lint + pipeline creation) to show where time goes, plus
//! lint + push in a row, which is what the web app runs after each edit. The synthetic
//! configurations come from `synthetic/mod.rs`, shared with the in-browser measurement
//! (`wasm_simulation_time_by_size` in tests/e2e/tests/web.rs).
//!
//! Budgets (re-simulation runs on every edit in the browser): a 1,000-job push pipeline should
//! simulate in under 20 ms natively (docs/BENCHMARKS.md).
//!
//! `cargo bench -p pipesim --bench simulate -- --write-synthetic DIR` writes the synthetic
//! configurations as repositories `DIR/synthetic-N/` (for scripts/bench-peers.sh) and exits;
//! `-- FILTER` runs only the cases whose label contains FILTER.
//!
//! Memory: a counting global allocator (std only) records the peak of bytes allocated during
//! one simulation of each configuration, above what was allocated before it started, and what
//! the result still holds afterwards; it counts only while `memory` measures, so the timings
//! pay one relaxed load per allocation.

mod synthetic;

mod harness;

use std::alloc::{GlobalAlloc, Layout, System};
use std::hint::black_box;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicIsize, Ordering::Relaxed};

use harness::{selected, time};
use pipesim::event::{Event, MergeRequestEvent, Project, Push, RefTarget};
use pipesim::simulate::simulate_event;
use pipesim::Files;
use synthetic::{synthetic, SIZES};

/// `System`, counting the bytes allocated (net of frees) while `COUNTING` is on.
struct Counting;

static COUNTING: AtomicBool = AtomicBool::new(false);
static CURRENT: AtomicIsize = AtomicIsize::new(0);
static PEAK: AtomicIsize = AtomicIsize::new(0);

fn count(delta: isize) {
    if COUNTING.load(Relaxed) {
        let now = CURRENT.fetch_add(delta, Relaxed) + delta;
        PEAK.fetch_max(now, Relaxed);
    }
}

// SAFETY: every call is forwarded to `System` unchanged; the counters have no effect on it.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        let p = unsafe { System.alloc_zeroed(layout) };
        if !p.is_null() {
            count(layout.size() as isize);
        }
        p
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        unsafe { System.dealloc(ptr, layout) };
        count(-(layout.size() as isize));
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        let p = unsafe { System.realloc(ptr, layout, new_size) };
        if !p.is_null() {
            count(new_size as isize - layout.size() as isize);
        }
        p
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// The peak of bytes allocated while `run` runs (above what was allocated when it started),
/// and the bytes its result holds.
fn allocated<T>(run: impl FnOnce() -> T) -> (usize, usize) {
    CURRENT.store(0, Relaxed);
    PEAK.store(0, Relaxed);
    COUNTING.store(true, Relaxed);
    let result = black_box(run());
    let retained = CURRENT.load(Relaxed);
    COUNTING.store(false, Relaxed);
    drop(result);
    (PEAK.load(Relaxed).max(0) as usize, retained.max(0) as usize)
}

/// Prints the memory one run takes: peak and retained bytes, per job and per input byte.
fn memory<T>(label: &str, jobs: usize, input: usize, run: impl FnOnce() -> T) {
    if !selected(label) {
        return;
    }
    // Cold, as after an edit; the peak includes the parsed copy kept for the next run, the
    // result does not.
    pipesim::config::document::recent::forget();
    let (peak, retained) = allocated(|| {
        let result = run();
        pipesim::config::document::recent::forget();
        result
    });
    let mb = |b: usize| b as f64 / (1024.0 * 1024.0);
    println!(
        "{label:<60} peak {:>8.2} MB ({:>6.1} KB/job, {:>5.1} B per input byte)  result {:>7.2} MB ({:>5.1} KB/job)",
        mb(peak),
        peak as f64 / 1024.0 / jobs as f64,
        peak as f64 / input as f64,
        mb(retained),
        retained as f64 / 1024.0 / jobs as f64,
    );
}

fn synthetic_files(jobs: usize) -> Files {
    [
        (".gitlab-ci.yml", synthetic(jobs)),
        ("Dockerfile", String::new()),
    ]
    .into_iter()
    .collect()
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
        // What the web app runs after each edit (`Results::of`): lint, then the simulation.
        time(
            &format!("synthetic {jobs} jobs: lint + push (web app)"),
            || {
                black_box(pipesim::lint(&files, ".gitlab-ci.yml"));
                black_box(simulate_event(
                    &project,
                    &files,
                    &push("main", &["src/c1/a.rs"]),
                    false,
                ));
            },
        );
        memory(
            &format!("synthetic {jobs} jobs: memory, push to main"),
            jobs + 6,
            text.len(),
            || simulate_event(&project, &files, &push("main", &["src/c1/a.rs"]), false),
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
        time(&format!("{name}: lint + push (web app)"), || {
            black_box(pipesim::lint(&files, ".gitlab-ci.yml"));
            black_box(simulate_event(
                &project,
                &files,
                &push("main", &["README.md"]),
                false,
            ));
        });
        let input: usize = files.iter().map(|(_, f)| f.text.len()).sum();
        memory(
            &format!("{name}: memory, push to main"),
            pipeline.jobs.len(),
            input,
            || simulate_event(&project, &files, &push("main", &["README.md"]), false),
        );
    }
}
