//! How big the simulation worker's answer is, and how long writing and reading it take
//! (native; docs/BENCHMARKS.md): `cargo test --release -p pipesim-web --test wire_size --
//! --ignored --nocapture`.

#![cfg(not(target_arch = "wasm32"))]

#[path = "../../crates/pipesim/benches/synthetic/mod.rs"]
#[allow(dead_code)]
mod synthetic;

#[test]
#[ignore]
fn answer_sizes() {
    for jobs in [100, 1000, 5000] {
        let mut workspace = pipesim_web::state::Workspace::with_config(&synthetic::synthetic(jobs));
        workspace.events[0].branch = "main".into();
        let results = pipesim_web::state::Results::of(&workspace);
        let t = std::time::Instant::now();
        let text = pipesim_web::wire::encode_results(&results);
        let encoded = t.elapsed();

        let t = std::time::Instant::now();
        let _: serde_json::Value = serde_json::from_str(&text).unwrap();
        eprintln!("  parse alone {:?}", t.elapsed());
        let t = std::time::Instant::now();
        pipesim_web::wire::decode_results(&text, 1).unwrap();
        eprintln!(
            "{jobs} jobs: {} KB, encode {encoded:?}, decode {:?}",
            text.len() / 1000,
            t.elapsed()
        );
        // What the worker sends since the job drawer fetches its job in full: the summary.
        let t = std::time::Instant::now();
        let summary = pipesim_web::wire::encode_summary(&results);
        let encoded = t.elapsed();
        let t = std::time::Instant::now();
        pipesim_web::wire::decode_results(&summary, 1).unwrap();
        eprintln!(
            "{jobs} jobs, summary: {} KB, encode {encoded:?}, decode {:?}",
            summary.len() / 1000,
            t.elapsed()
        );
        // The answer to the next run when nothing the views draw changed (a comment typed):
        // written against the answer the page holds, and read back from it.
        let (base_text, sent) = pipesim_web::wire::encode_summary_against(&results, None);
        let held = pipesim_web::wire::decode_results(&base_text, 1).unwrap();
        let mut results = results;
        let t = std::time::Instant::now();
        let (same, _) = pipesim_web::wire::encode_answer(&mut results, Some((1, &sent)));
        let encoded = t.elapsed();
        let t = std::time::Instant::now();
        pipesim_web::wire::decode_results_against(&same, 2, Some((1, &held))).unwrap();
        eprintln!(
            "{jobs} jobs, unchanged: {} B, encode {encoded:?}, decode {:?}",
            same.len(),
            t.elapsed()
        );
    }
}
