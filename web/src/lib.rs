//! The pipesim web app: an editor for `.gitlab-ci.yml` that lints as you type.
//!
//! All GitLab knowledge lives in the `pipesim` core; this crate only turns the editor text into
//! [`pipesim::Files`], calls [`pipesim::lint`] and the simulation (in a Web Worker running this
//! same module, `worker.rs`) and draws the report. It makes no network requests: everything
//! runs in the page.

mod app;
pub mod diagnostics;
pub mod editor;
pub mod forms;
pub mod full_config;
pub mod job;
pub mod matrix;
mod panic;
pub mod pipelines;
pub mod presets;
pub mod share;
pub mod state;
pub mod text;
pub mod timeline;
pub mod wire;
pub mod worker;

pub use app::{App, AppProps, AUTOSAVE_KEY};
pub use diagnostics::{DiagnosticsView, DiagnosticsViewProps};
pub use editor::{Editor, EditorProps};
pub use panic::{install_panic_hook, show_panic};

use pipesim::{Files, LintReport};

pub use state::ENTRY;

/// How long the workspace must stay unchanged before it is simulated again (in the worker: a
/// run under way is superseded by the next). Typing in the editor reaches the workspace once
/// it pauses for [`editor::EDIT_SETTLE_MS`], so a pause in typing is simulated after both. Short,
/// since an answer that changes nothing on screen costs the page almost nothing (`wire.rs`).
pub const LINT_DEBOUNCE_MS: u32 = 30;

/// A small configuration, valid and using the common keywords: what `AppProps::initial` may
/// start from (the tests do; a first visit opens the seed example, `presets::FIRST_VISIT`).
pub const EXAMPLE: &str = "\
stages:
  - build
  - test

variables:
  CARGO_TERM_COLOR: always

build:
  stage: build
  image: rust:1.85
  script:
    - cargo build --release
  artifacts:
    paths:
      - target/release/pipesim

test:
  stage: test
  image: rust:1.85
  script:
    - cargo test
  rules:
    - if: $CI_PIPELINE_SOURCE == \"merge_request_event\"
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
";

/// Lints `text` as the whole repository: a lone `.gitlab-ci.yml`.
pub fn lint_text(text: &str) -> LintReport {
    let mut files = Files::new();
    files.insert(ENTRY, text);
    pipesim::lint(&files, ENTRY)
}

/// Mounts the app on `<body>`; the entry point of the browser bundle.
pub fn start() {
    install_panic_hook();
    yew::Renderer::<App>::new().render();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_example_is_valid() {
        let report = lint_text(EXAMPLE);
        assert!(report.valid, "{report:#?}");
    }
}
