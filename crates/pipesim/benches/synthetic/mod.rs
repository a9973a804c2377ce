//! The synthetic configurations of the benchmarks, shared by `benches/simulate.rs` (native)
//! and the end-to-end test `wasm_simulation_time_by_size` (tests/e2e/tests/web.rs, in the
//! browser), so that both time the same text. Plain std, no dependency.

/// `jobs` jobs over 5 stages with what real configurations use: a hidden base job with
/// `extends`, global and job variables, `rules` with `if`/`changes`/`exists`, `only`/`except`,
/// `needs` on the previous stage, and a matrix.
pub fn synthetic(jobs: usize) -> String {
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
pub const SIZES: [usize; 3] = [100, 1_000, 5_000];
