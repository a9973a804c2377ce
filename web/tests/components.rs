//! Component tests, run in headless Chromium:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p pipesim-web`.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use pipesim::event::Tier;
use pipesim::simulate::Simulation;
use pipesim::{Diagnostic, LintReport, Severity};
use pipesim_web::forms::{EventsPanel, EventsPanelProps, ProjectPanel, ProjectPanelProps};
use pipesim_web::presets::{PresetMenu, PresetMenuProps, PRESETS};
use pipesim_web::share::{decode, ShareMenu, ShareMenuProps};
use pipesim_web::state::{
    EventForm, EventKind, FileTab, ProjectForm, Selection, Shared, Workspace,
};
use pipesim_web::{
    App, AppProps, DiagnosticsView, DiagnosticsViewProps, Editor, EditorProps, EXAMPLE,
    LINT_DEBOUNCE_MS,
};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement, HtmlInputElement, HtmlSelectElement, HtmlTextAreaElement};
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
        pipeline: None,
        fix: None,
    }
}

fn no_simulation() -> Shared<Simulation> {
    Shared::new(Simulation {
        gitlab_version: pipesim::GITLAB_VERSION,
        pipelines: vec![],
        diagnostics: vec![],
    })
}

fn lint(valid: bool, errors: Vec<Diagnostic>, warnings: Vec<Diagnostic>) -> Shared<LintReport> {
    Shared::new(LintReport {
        gitlab_version: pipesim::GITLAB_VERSION,
        valid,
        errors,
        warnings,
    })
}

fn input_event() -> web_sys::Event {
    let init = web_sys::InputEventInit::new();
    init.set_bubbles(true);
    web_sys::InputEvent::new_with_event_init_dict("input", &init)
        .unwrap()
        .into()
}

fn change_event() -> web_sys::Event {
    let init = web_sys::EventInit::new();
    init.set_bubbles(true);
    web_sys::Event::new_with_event_init_dict("change", &init).unwrap()
}

fn key(target: &Element, name: &str, kind: &str) {
    let init = web_sys::KeyboardEventInit::new();
    init.set_key(name);
    init.set_bubbles(true);
    init.set_cancelable(true);
    let event = web_sys::KeyboardEvent::new_with_keyboard_event_init_dict(kind, &init).unwrap();
    target.dispatch_event(&event).unwrap();
}

fn click(root: &Element, selector: &str) {
    query(root, selector)
        .unwrap_or_else(|| panic!("no element matches {selector}"))
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
}

/// Records what a callback receives.
fn recorder<T: 'static>() -> (Rc<RefCell<Vec<T>>>, Callback<T>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let sink = seen.clone();
    (seen, Callback::from(move |v| sink.borrow_mut().push(v)))
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
    let root = mount_point();
    let props = DiagnosticsViewProps {
        lint: lint(false, vec![error], vec![warning]),
        simulation: no_simulation(),
        on_locate: Callback::noop(),
        on_select_job: Callback::noop(),
        unchecked: None,
        stale: false,
        on_apply: Callback::noop(),
    };
    yew::Renderer::<DiagnosticsView>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    assert!(text_of(&root, "#status").contains("Configuration is invalid: 1 error"));
    assert_eq!(root.query_selector_all(".diagnostic").unwrap().length(), 2);
    assert!(
        query(&root, ".diagnostic-group").is_none(),
        "one group: no heading"
    );

    let err =
        query(&root, ".diagnostic.error[data-line='3'][data-column='5']").expect("error entry");
    assert_eq!(text_of(&err, "button.position"), ".gitlab-ci.yml:3:5");
    assert_eq!(
        text_of(&err, ".message"),
        "jobs:build config contains unknown keys: scirpt"
    );
    assert_eq!(text_of(&err, ".explanation"), "Did you mean script?");
    assert_eq!(
        text_of(&err, ".explanation code"),
        "script",
        "backticks become code"
    );

    let warn = query(&root, ".diagnostic.warning[data-line='7']").expect("warning entry");
    assert!(warn.text_content().unwrap().contains(".gitlab-ci.yml:7:1"));
    assert!(query(&warn, ".explanation").is_none());
}

#[wasm_bindgen_test]
async fn diagnostics_group_by_event_dedupe_and_report_clicks() {
    let root = mount_point();
    let (located, on_locate) = recorder();
    let (selected, on_select_job) = recorder();
    let warning = diagnostic(Severity::Warning, 12, 3, "deprecated");
    let mut repeated = warning.clone();
    repeated.event = Some(1);
    let mut about_job = diagnostic(Severity::Error, 0, 0, "dotenv is lost");
    about_job.file = None;
    about_job.event = Some(2);
    about_job.job = Some("deploying".into());
    about_job.pipeline = Some(3);
    let props = DiagnosticsViewProps {
        lint: lint(true, vec![], vec![warning]),
        simulation: Shared::new(Simulation {
            gitlab_version: pipesim::GITLAB_VERSION,
            pipelines: vec![],
            diagnostics: vec![repeated, about_job],
        }),
        on_locate,
        on_select_job,
        unchecked: None,
        stale: false,
        on_apply: Callback::noop(),
    };
    yew::Renderer::<DiagnosticsView>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    assert!(text_of(&root, "#status").contains("Configuration is valid"));
    let groups: Vec<String> = (0..root
        .query_selector_all(".diagnostic-group")
        .unwrap()
        .length())
        .map(|i| {
            root.query_selector_all(".diagnostic-group")
                .unwrap()
                .item(i)
                .unwrap()
                .text_content()
                .unwrap()
        })
        .collect();
    assert_eq!(
        groups,
        ["Configuration", "Event 2"],
        "the repeat is shown once"
    );
    assert_eq!(root.query_selector_all(".diagnostic").unwrap().length(), 2);

    click(&root, ".diagnostic[data-line='12'] button.position");
    assert_eq!(*located.borrow(), [(".gitlab-ci.yml".to_owned(), 12, 3)]);
    let job = query(&root, ".diagnostic.error").unwrap();
    assert!(
        query(&job, "button.position").is_none(),
        "no position, no button"
    );
    click(&job, ".show-job");
    assert_eq!(
        *selected.borrow(),
        [Selection {
            pipeline: 3,
            job: "deploying".into()
        }]
    );
}

fn editor_props(text: &str) -> (EditorProps, Rc<RefCell<Vec<(usize, String)>>>) {
    let (edits, on_edit) = recorder();
    let props = EditorProps {
        files: Rc::new(vec![
            FileTab {
                path: ".gitlab-ci.yml".into(),
                text: text.into(),
            },
            FileTab {
                path: "ci/child.yml".into(),
                text: "child: {}".into(),
            },
        ]),
        active: 0,
        findings: Rc::default(),
        on_edit,
        on_activate: Callback::noop(),
        on_add: Callback::noop(),
        on_rename: Callback::noop(),
        on_remove: Callback::noop(),
        invalid: false,
        run: None,
    };
    (props, edits)
}

/// Without the CodeMirror bundle (as here: the test page loads only this module), a plain
/// textarea stands in and still reports edits; the editor's features are tested end to end
/// (tests/e2e). The keyword data the editor gets is the core's own tables.
#[wasm_bindgen_test]
async fn without_the_editor_bundle_a_textarea_stands_in() {
    let root = mount_point();
    let (props, edits) = editor_props("build:\n  script: make\n");
    yew::Renderer::<Editor>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    let textarea: HtmlTextAreaElement = query(&root, "#editor").unwrap().dyn_into().unwrap();
    assert_eq!(textarea.value(), "build:\n  script: make\n");
    textarea.set_value("build:\n  script: make test\n");
    textarea.dispatch_event(&input_event()).unwrap();
    yew::scheduler::flush().await;
    assert_eq!(
        edits.borrow().last().cloned(),
        Some((0, "build:\n  script: make test\n".to_owned()))
    );

    let keywords: serde_json::Value =
        serde_json::from_str(&pipesim_web::editor::keywords_json()).unwrap();
    let job = keywords["contexts"]["job"].as_array().unwrap();
    assert!(job.iter().any(|k| k == "artifacts") && job.iter().any(|k| k == "rules"));
    assert!(keywords["root"]
        .as_array()
        .unwrap()
        .iter()
        .any(|k| k == "stages"));
    assert!(keywords["help"]["artifacts"]["docs"]
        .as_str()
        .unwrap()
        .ends_with("#artifacts"));
}

#[wasm_bindgen_test]
async fn file_tabs_add_rename_and_remove() {
    let root = mount_point();
    let (mut props, _) = editor_props("a: 1\n");
    let (added, on_add) = recorder();
    let (renamed, on_rename) = recorder();
    let (removed, on_remove) = recorder();
    let (activated, on_activate) = recorder();
    props.on_add = on_add;
    props.on_rename = on_rename;
    props.on_remove = on_remove;
    props.on_activate = on_activate;
    props.active = 1;
    yew::Renderer::<Editor>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    let tabs = root.query_selector_all("[role=tab]").unwrap();
    assert_eq!(tabs.length(), 2);
    tabs.item(0)
        .unwrap()
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
    assert_eq!(*activated.borrow(), [0]);
    assert_eq!(
        root.query_selector_all(".tab-action").unwrap().length(),
        2,
        "only the extra file can be renamed or removed"
    );

    click(&root, ".add-file");
    yew::scheduler::flush().await;
    let input: HtmlInputElement = query(&root, ".tab-name").unwrap().dyn_into().unwrap();
    input.set_value("ci/new.yml");
    key(&input, "Enter", "keydown");
    yew::scheduler::flush().await;
    assert_eq!(*added.borrow(), ["ci/new.yml".to_owned()]);
    assert!(query(&root, ".tab-name").is_none());

    click(&root, ".tab-action[aria-label^='Rename']");
    yew::scheduler::flush().await;
    let input: HtmlInputElement = query(&root, ".tab-name").unwrap().dyn_into().unwrap();
    assert_eq!(input.value(), "ci/child.yml");
    input.set_value("ci/other.yml");
    key(&input, "Enter", "keydown");
    yew::scheduler::flush().await;
    assert_eq!(*renamed.borrow(), [(1, "ci/other.yml".to_owned())]);

    click(&root, ".tab-action[aria-label^='Remove']");
    assert_eq!(*removed.borrow(), [1]);
}

#[wasm_bindgen_test]
async fn events_panel_adds_moves_and_edits_events() {
    let root = mount_point();
    let (changes, on_change) = recorder::<Vec<EventForm>>();
    let events = vec![
        EventForm::new(EventKind::Push),
        EventForm::new(EventKind::MergeRequest),
    ];
    let props = EventsPanelProps {
        events: Rc::new(events.clone()),
        on_change,
        simulation: no_simulation(),
        projects: Default::default(),
        default_branch: Default::default(),
    };
    yew::Renderer::<EventsPanel>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    assert_eq!(root.query_selector_all(".event-card").unwrap().length(), 2);
    assert!(text_of(&root, ".event-card .event-summary").contains("push to feature"));
    // Every control has a label.
    let controls = root.query_selector_all("input, select, textarea").unwrap();
    for i in 0..controls.length() {
        let control: Element = controls.item(i).unwrap().dyn_into().unwrap();
        let labelled = control.get_attribute("aria-label").is_some()
            || query(&root, &format!("label[for='{}']", control.id())).is_some();
        assert!(labelled, "unlabelled control #{}", control.id());
    }

    let kind: HtmlSelectElement = query(&root, "#event-kind").unwrap().dyn_into().unwrap();
    kind.set_value("merge");
    kind.dispatch_event(&change_event()).unwrap();
    yew::scheduler::flush().await;
    click(&root, ".event-add button");
    let last = changes.borrow().last().cloned().unwrap();
    assert_eq!(last.len(), 3);
    assert_eq!((last[2].kind, last[2].iid), (EventKind::Merge, 1));

    click(&root, "button[aria-label='Move event 2 up']");
    let moved = changes.borrow().last().cloned().unwrap();
    assert_eq!(moved[0].kind, EventKind::MergeRequest);

    let branch: HtmlInputElement = query(&root, "#event-1-branch").unwrap().dyn_into().unwrap();
    branch.set_value("topic");
    branch.dispatch_event(&input_event()).unwrap();
    assert_eq!(changes.borrow().last().unwrap()[0].branch, "topic");
}

#[wasm_bindgen_test]
async fn project_panel_edits_tier_and_variables() {
    let root = mount_point();
    let (changes, on_change) = recorder::<ProjectForm>();
    let props = ProjectPanelProps {
        project: ProjectForm::default(),
        on_change,
    };
    yew::Renderer::<ProjectPanel>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    assert!(text_of(&root, "label[for='project-merged-results']").contains("Premium"));
    let tier: HtmlSelectElement = query(&root, "#project-tier").unwrap().dyn_into().unwrap();
    tier.set_value("premium");
    tier.dispatch_event(&change_event()).unwrap();
    assert_eq!(changes.borrow().last().unwrap().tier, Tier::Premium);
    click(&root, ".variables button");
    assert_eq!(changes.borrow().last().unwrap().variables.len(), 1);
}

#[wasm_bindgen_test]
async fn preset_menu_loads_an_example() {
    let root = mount_point();
    let (loaded, on_load) = recorder::<(Workspace, usize)>();
    yew::Renderer::<PresetMenu>::with_root_and_props(root.clone(), PresetMenuProps { on_load })
        .render();
    yew::scheduler::flush().await;
    let select: HtmlSelectElement = query(&root, "select").unwrap().dyn_into().unwrap();
    assert_eq!(select.length() as usize, PRESETS.len() + 1);
    select.set_value("1");
    select.dispatch_event(&change_event()).unwrap();
    let (workspace, index) = loaded.borrow().last().cloned().unwrap();
    assert_eq!(index, 1);
    assert_eq!(workspace.events.len(), 3);
    assert_eq!(select.value(), "", "back to the prompt");
}

#[wasm_bindgen_test]
async fn share_menu_shows_the_embed_snippet() {
    let root = mount_point();
    let workspace = Rc::new(Workspace::with_config("a:\n  script: x\n"));
    yew::Renderer::<ShareMenu>::with_root_and_props(
        root.clone(),
        ShareMenuProps {
            workspace: workspace.clone(),
            simulation: pipesim_web::state::Shared::new(workspace.simulate()),
        },
    )
    .render();
    yew::scheduler::flush().await;
    click(&root, "button[aria-expanded]");
    yew::scheduler::flush().await;
    let snippet: HtmlTextAreaElement = query(&root, "#share-embed").unwrap().dyn_into().unwrap();
    let text = snippet.value();
    assert!(text.starts_with("<iframe src=\""), "{text}");
    assert!(text.contains("&amp;embed"), "{text}");
    assert!(text.ends_with("width=\"100%\" height=\"600\" title=\"pipesim\"></iframe>"));
    let fragment = text.split('#').nth(1).unwrap().split('"').next().unwrap();
    let (back, embed) = decode(&fragment.replace("&amp;", "&")).unwrap();
    assert!(embed);
    assert_eq!(back.files, workspace.files);
}

/// The app started from the small example (one push, the Pipelines view) instead of the first
/// visit's seed example.
fn render_app_with_small_example(root: &Element) {
    yew::Renderer::<App>::with_root_and_props(
        root.clone(),
        AppProps {
            initial: Some(EXAMPLE.into()),
        },
    )
    .render();
}

/// A first visit (no link, nothing saved) opens the seed example on the timeline, with its
/// lesson and its break; the address then holds it.
#[wasm_bindgen_test]
async fn a_first_visit_opens_the_seed_example_on_the_timeline() {
    clear_address();
    let root = mount_point();
    yew::Renderer::<App>::with_root(root.clone()).render();
    yew::scheduler::flush().await;
    sleep(Duration::from_millis(100)).await;
    yew::scheduler::flush().await;
    assert_eq!(text_of(&root, ".view-tab.active"), "Timeline");
    let seed = PRESETS
        .iter()
        .find(|p| p.id == pipesim_web::presets::FIRST_VISIT)
        .unwrap();
    assert!(text_of(&root, ".lesson").contains(seed.title));
    let editor: HtmlTextAreaElement = query(&root, "#editor").unwrap().dyn_into().unwrap();
    assert!(editor.value().contains("dotenv: build.env"));
    assert_eq!(root.query_selector_all(".tl-event").unwrap().length(), 3);
    assert!(
        query(&root, ".job-card[data-job='deploying'] .break").is_some(),
        "the break is marked: {}",
        text_of(&root, ".results-body")
    );
    clear_address();
}

/// The whole app: typing an invalid config shows its error after the debounce, and clicking
/// the error puts the caret on its line.
#[wasm_bindgen_test]
async fn app_relints_as_you_type_and_jumps_to_the_error() {
    let root = mount_point();
    render_app_with_small_example(&root);
    yew::scheduler::flush().await;
    // The header says which GitLab pipesim follows.
    assert_eq!(
        text_of(&root, ".site-header .gitlab-version"),
        format!("Follows GitLab {}", pipesim::GITLAB_VERSION)
    );
    assert!(
        text_of(&root, "#status").contains("Configuration is valid"),
        "the example must be valid: {}",
        text_of(&root, "#diagnostics")
    );

    let textarea: HtmlTextAreaElement = query(&root, "#editor").unwrap().dyn_into().unwrap();
    let invalid = "stages:\n  - test\n\nunit:\n  stage: test\n  scirpt: echo hi\n";
    textarea.set_value(invalid);
    textarea.dispatch_event(&input_event()).unwrap();
    yew::scheduler::flush().await;

    sleep(Duration::from_millis(LINT_DEBOUNCE_MS as u64 + 100)).await;
    yew::scheduler::flush().await;
    assert!(text_of(&root, "#status").contains("Configuration is invalid"));
    let first: HtmlElement = query(&root, ".diagnostic.error button.position")
        .expect("an error with a position")
        .dyn_into()
        .unwrap();
    let line: u32 = first
        .closest(".diagnostic")
        .unwrap()
        .unwrap()
        .get_attribute("data-line")
        .unwrap()
        .parse()
        .unwrap();
    assert!((4..=6).contains(&line), "error on the job, got line {line}");

    first.click();
    sleep(Duration::from_millis(20)).await;
    let caret = textarea.selection_start().unwrap().unwrap();
    let caret_line = invalid[..caret as usize].matches('\n').count() as u32 + 1;
    assert_eq!(caret_line, line);
    assert_eq!(document().active_element().unwrap(), textarea.into());
}

/// Drops the workspace an App test left in the page address and in the browser's autosave:
/// later tests start from the built-in example.
fn clear_address() {
    let window = web_sys::window().unwrap();
    if let Some(storage) = window.local_storage().unwrap() {
        storage.remove_item(pipesim_web::AUTOSAVE_KEY).unwrap();
    }
    let path = window.location().pathname().unwrap();
    let _ = window.history().unwrap().replace_state_with_url(
        &wasm_bindgen::JsValue::NULL,
        "",
        Some(&path),
    );
}

/// A page loaded after a run crashed it (the run's mark is still in session storage) does not
/// run it again: it opens without results and says why; the next edit simulates.
#[wasm_bindgen_test]
async fn after_a_crash_the_page_opens_without_running_it_again() {
    let storage = web_sys::window()
        .unwrap()
        .session_storage()
        .unwrap()
        .unwrap();
    storage.set_item("pipesim-running", "1").unwrap();
    let root = mount_point();
    render_app_with_small_example(&root);
    yew::scheduler::flush().await;
    sleep(Duration::from_millis(LINT_DEBOUNCE_MS as u64 + 100)).await;
    yew::scheduler::flush().await;
    // The reason stands where the run's state is shown (not as a dismissable notice).
    let notice = text_of(&root, ".run-state");
    assert!(notice.contains("stopped pipesim"), "{notice}");
    assert!(query(&root, ".job-card").is_none(), "no results yet");
    assert!(storage.get_item("pipesim-running").unwrap().is_some());

    let textarea: HtmlTextAreaElement = query(&root, "#editor").unwrap().dyn_into().unwrap();
    textarea.set_value("after-crash:\n  script: echo ok\n");
    textarea.dispatch_event(&input_event()).unwrap();
    sleep(Duration::from_millis(LINT_DEBOUNCE_MS as u64 + 100)).await;
    yew::scheduler::flush().await;
    assert!(
        query(&root, ".job-card[data-job='after-crash']").is_some(),
        "the edit ran"
    );
    assert!(
        storage.get_item("pipesim-running").unwrap().is_none(),
        "the mark is cleared"
    );
    clear_address();
}

/// After a crash the page keeps what the user typed: the editor still holds it, and the page
/// address (written before each simulation) reopens it on reload.
#[wasm_bindgen_test]
async fn panic_panel_shows_the_message_and_keeps_the_work() {
    let root = mount_point();
    render_app_with_small_example(&root);
    yew::scheduler::flush().await;
    let textarea: HtmlTextAreaElement = query(&root, "#editor").unwrap().dyn_into().unwrap();
    let typed = "crash-test:\n  script: echo kept\n";
    textarea.set_value(typed);
    textarea.dispatch_event(&input_event()).unwrap();
    sleep(Duration::from_millis(LINT_DEBOUNCE_MS as u64 + 100)).await;
    yew::scheduler::flush().await;

    pipesim_web::show_panic("boom at web/src/app.rs:1:1");
    let panel = document().get_element_by_id("panic").expect("panel");
    assert_eq!(panel.get_attribute("role").as_deref(), Some("alert"));
    let message = panel.text_content().unwrap();
    assert!(message.contains("boom at web/src/app.rs:1:1"), "{message}");
    assert!(message.contains("kept in the page address"), "{message}");
    assert_eq!(textarea.value(), typed);
    let hash = web_sys::window().unwrap().location().hash().unwrap();
    let (saved, _) = decode(hash.trim_start_matches('#')).expect("the address holds the work");
    assert_eq!(
        saved.files[0].text,
        typed,
        "status: {}",
        text_of(&root, "#status")
    );
    panel.remove();
    clear_address();
}
