//! Component tests, run in headless Chromium:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p pipesim-web`.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;
use std::time::Duration;

use pipesim::{Diagnostic, LintReport, Severity};
use pipesim_web::{App, DiagnosticsView, DiagnosticsViewProps, LINT_DEBOUNCE_MS};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlTextAreaElement};
use yew::platform::time::sleep;
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

fn document() -> web_sys::Document {
    web_sys::window().unwrap().document().unwrap()
}

/// A fresh mount point, so that tests sharing the page do not see each other's DOM.
fn mount_point() -> Element {
    let root = document().create_element("div").unwrap();
    document().body().unwrap().append_child(&root).unwrap();
    root
}

fn query(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).unwrap()
}

fn text_of(root: &Element, selector: &str) -> String {
    query(root, selector)
        .unwrap_or_else(|| panic!("no element matches {selector}"))
        .text_content()
        .unwrap_or_default()
}

fn diagnostic(severity: Severity, line: u32, column: u32, message: &str) -> Diagnostic {
    Diagnostic {
        code: "test-code",
        severity,
        message: message.to_owned(),
        explanation: None,
        file: Some(".gitlab-ci.yml".to_owned()),
        line,
        column,
        related: None,
        event: None,
        job: None,
    }
}

#[wasm_bindgen_test]
async fn diagnostics_view_renders_errors_and_warnings() {
    let mut error = diagnostic(
        Severity::Error,
        3,
        5,
        "jobs:build config contains unknown keys: scirpt",
    );
    error.explanation = Some("Did you mean `script`?".to_owned());
    let warning = diagnostic(Severity::Warning, 7, 1, "a warning");
    let report = LintReport {
        valid: false,
        errors: vec![error],
        warnings: vec![warning],
    };
    let root = mount_point();
    let props = DiagnosticsViewProps {
        report: Rc::new(report),
        on_select: Callback::noop(),
    };
    yew::Renderer::<DiagnosticsView>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    assert!(text_of(&root, "#status").contains("Configuration is invalid: 1 error"));
    let items = root.query_selector_all(".diagnostic").unwrap();
    assert_eq!(items.length(), 2, "one entry per diagnostic");

    let err =
        query(&root, ".diagnostic.error[data-line='3'][data-column='5']").expect("error entry");
    let text = err.text_content().unwrap();
    assert!(text.contains("3:5"), "{text}");
    assert!(
        text.contains("jobs:build config contains unknown keys: scirpt"),
        "{text}"
    );
    assert_eq!(text_of(&err, ".explanation"), "Did you mean script?");
    assert_eq!(
        text_of(&err, ".explanation code"),
        "script",
        "backticks become code"
    );

    let warn = query(&root, ".diagnostic.warning[data-line='7']").expect("warning entry");
    assert!(warn.text_content().unwrap().contains("7:1 "));
    assert!(query(&warn, ".explanation").is_none());
}

#[wasm_bindgen_test]
async fn diagnostics_view_says_valid_and_reports_clicks() {
    let root = mount_point();
    let picked = Rc::new(std::cell::Cell::new(None));
    let report = LintReport {
        valid: true,
        errors: vec![],
        warnings: vec![diagnostic(Severity::Warning, 12, 3, "deprecated")],
    };
    let props = DiagnosticsViewProps {
        report: Rc::new(report),
        on_select: {
            let picked = picked.clone();
            Callback::from(move |at| picked.set(Some(at)))
        },
    };
    yew::Renderer::<DiagnosticsView>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    assert!(text_of(&root, "#status").contains("Configuration is valid"));
    let button: HtmlElement = query(&root, ".diagnostic[data-line='12'] button")
        .expect("a positioned diagnostic is a button")
        .dyn_into()
        .unwrap();
    button.click();
    assert_eq!(picked.get(), Some((12, 3)));
}

#[wasm_bindgen_test]
async fn diagnostics_without_position_are_not_buttons() {
    let root = mount_point();
    let mut d = diagnostic(Severity::Error, 0, 0, "no position");
    d.file = None;
    let props = DiagnosticsViewProps {
        report: Rc::new(LintReport {
            valid: false,
            errors: vec![d],
            warnings: vec![],
        }),
        on_select: Callback::noop(),
    };
    yew::Renderer::<DiagnosticsView>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    let item = query(&root, ".diagnostic[data-line='0']").expect("entry");
    assert!(query(&item, "button").is_none());
    assert!(item.text_content().unwrap().contains("no position"));
}

/// The whole app: typing an invalid config shows its error after the debounce, and clicking
/// the error puts the caret on its line.
#[wasm_bindgen_test]
async fn app_relints_as_you_type_and_jumps_to_the_error() {
    let root = mount_point();
    yew::Renderer::<App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    assert!(
        text_of(&root, "#status").contains("Configuration is valid"),
        "the example must be valid: {}",
        text_of(&root, "#diagnostics")
    );

    let textarea: HtmlTextAreaElement = query(&root, "#editor").unwrap().dyn_into().unwrap();
    let invalid = "stages:\n  - test\n\nunit:\n  stage: test\n  scirpt: echo hi\n";
    textarea.set_value(invalid);
    let init = web_sys::InputEventInit::new();
    init.set_bubbles(true);
    let event = web_sys::InputEvent::new_with_event_init_dict("input", &init).unwrap();
    textarea.dispatch_event(&event).unwrap();
    yew::scheduler::flush().await;
    assert_eq!(query(&root, ".gutter").unwrap().child_element_count(), 7);

    sleep(Duration::from_millis(LINT_DEBOUNCE_MS as u64 + 100)).await;
    yew::scheduler::flush().await;
    assert!(text_of(&root, "#status").contains("Configuration is invalid"));
    let first: HtmlElement = query(&root, ".diagnostic.error button")
        .expect("an error with a position")
        .dyn_into()
        .unwrap();
    let line: u32 = first
        .parent_element()
        .unwrap()
        .get_attribute("data-line")
        .unwrap()
        .parse()
        .unwrap();
    assert!((4..=6).contains(&line), "error on the job, got line {line}");
    assert!(query(&root, &format!(".gutter .ln.error:nth-child({line})")).is_some());

    first.click();
    let caret = textarea.selection_start().unwrap().unwrap();
    let caret_line = invalid[..caret as usize].matches('\n').count() as u32 + 1;
    assert_eq!(caret_line, line);
    assert_eq!(document().active_element().unwrap(), textarea.into());
}

#[wasm_bindgen_test]
fn panic_panel_shows_the_message() {
    pipesim_web::show_panic("boom at web/src/app.rs:1:1");
    let panel = document().get_element_by_id("panic").expect("panel");
    assert_eq!(panel.get_attribute("role").as_deref(), Some("alert"));
    assert!(panel
        .text_content()
        .unwrap()
        .contains("boom at web/src/app.rs:1:1"));
    panel.remove();
}
