//! The built web app in headless Chromium: what a person sees and does.
//!
//! Needs `dist/` (`trunk build --release`), /usr/bin/chromium and /usr/bin/chromedriver; with
//! CI=true a missing one fails the test, otherwise it is reported and skipped.

mod support;

// The benchmarks' synthetic configurations, so that the browser times the same text as
// `cargo bench -p pipesim` (plain std, no dependency).
#[path = "../../../crates/pipesim/benches/synthetic/mod.rs"]
mod synthetic;

use std::time::Duration;

use fantoccini::actions::InputSource;
use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use support::{cdp, eventually, log_entries, requested_urls, save_screenshot, setup, Session};

/// A job whose `script` is misspelled: GitLab rejects the unknown key, and the job then has no
/// `script` either. Every finding is about the job on line 4 or its keys below it.
const INVALID: &str = "stages:\n  - build\n\nbuild:\n  stage: build\n  scirpt:\n    - make\n";
const INVALID_JOB_LINE: u32 = 4;
const INVALID_KEY_LINE: u32 = 6;

const CTRL_A: &str = "\u{E009}a\u{E000}";
const TAB: &str = "\u{E004}";
const ESCAPE: &str = "\u{E00C}";

/// The tests' start: the small example on the Pipelines view with one push (a first visit
/// opens the seed example instead, see `views.rs`).
async fn load_app(client: &Client, origin: &str) {
    support::open_small_example(client, origin).await;
}

/// Waits until the verdict is for what is on screen (the simulation worker has answered).
async fn wait_checked(client: &Client) {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#status[data-checked='true']"))
        .await
        .expect("the app did not show a checked #status within 30 s");
}

async fn js(client: &Client, script: &str) -> Value {
    client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

async fn status_text(client: &Client) -> String {
    client
        .find(Locator::Css("#status"))
        .await
        .expect("#status")
        .text()
        .await
        .expect("#status text")
}

/// The CodeMirror view of the editor (web/editor/editor.js), in page scripts.
const VIEW: &str = "pipesimEditor.of(document.getElementById('editor'))";

/// The text in the editor.
async fn editor_text(client: &Client) -> String {
    js(client, &format!("return {VIEW}.state.doc.toString()"))
        .await
        .as_str()
        .expect("the editor's text")
        .to_owned()
}

/// The line of the caret and whether the editor has the focus.
async fn caret(client: &Client) -> Value {
    js(
        client,
        &format!(
            "const v = {VIEW}; \
             return [v.state.doc.lineAt(v.state.selection.main.head).number, v.hasFocus]"
        ),
    )
    .await
}

/// Replaces the editor content the way a person does: click, select all, then paste (typed
/// keys would be auto-indented after each line break; typing is tested on its own).
async fn type_config(client: &Client, text: &str) {
    let editor = client.find(Locator::Css("#editor")).await.expect("#editor");
    editor.click().await.expect("focus the editor");
    editor.send_keys(CTRL_A).await.expect("select all");
    paste(client, text).await;
    assert_eq!(
        editor_text(client).await,
        text,
        "the editor holds what was pasted"
    );
}

/// Inserts `text` over the editor's selection as a paste does (one undoable change).
async fn paste(client: &Client, text: &str) {
    client
        .execute(
            &format!(
                "const v = {VIEW}; \
                 v.dispatch(v.state.replaceSelection(arguments[0]), {{ userEvent: 'input.paste', scrollIntoView: true }});"
            ),
            vec![json!(text)],
        )
        .await
        .expect("paste into the editor");
}

async fn wait_for_error(client: &Client) -> fantoccini::elements::Element {
    eventually(
        Duration::from_secs(10),
        "an error in #diagnostics",
        || async {
            client
                .find(Locator::Css("#diagnostics .diagnostic.error"))
                .await
                .ok()
        },
    )
    .await
}

#[tokio::test]
async fn invalid_config_shows_its_error_at_its_line() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "invalid").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            let status = status_text(client).await;
            assert!(
                status.contains("Configuration is valid"),
                "example: {status}"
            );
            save_screenshot(client, "valid").await;

            type_config(client, INVALID).await;
            let error = wait_for_error(client).await;
            let line: u32 = error
                .attr("data-line")
                .await
                .unwrap()
                .expect("data-line")
                .parse()
                .unwrap();
            let text = error.text().await.unwrap();
            assert!(
                line == INVALID_JOB_LINE || line == INVALID_KEY_LINE,
                "error on line {line}, expected the job (line {INVALID_JOB_LINE}) or its key \
                 (line {INVALID_KEY_LINE}): {text}"
            );
            assert!(text.contains(&format!("{line}:")), "position shown: {text}");
            assert!(text.contains("build"), "names the job: {text}");
            assert!(status_text(client)
                .await
                .contains("Configuration is invalid"));
            // Underlined at its place, and a mark in the gutter beside it.
            let underlined = eventually(Duration::from_secs(10), "an underline", || async {
                let v = js(
                    client,
                    &format!(
                        "const v = {VIEW}; \
                         return [...document.querySelectorAll('.cm-lintRange-error')].map(e => \
                           v.state.doc.lineAt(v.posAtDOM(e)).number)"
                    ),
                )
                .await;
                v.as_array().filter(|a| !a.is_empty()).cloned()
            })
            .await;
            assert!(
                underlined.contains(&json!(line)),
                "line {line} underlined: {underlined:?}"
            );
            let marks = js(
                client,
                "return document.querySelectorAll('.cm-gutter-lint .cm-lint-marker-error').length",
            )
            .await;
            assert!(marks.as_u64() >= Some(1), "gutter marks: {marks}");
            // Keyboard: Tab indents inside the editor; Escape then Tab leaves it and reaches the
            // first diagnostic.
            client
                .find(Locator::Css("#editor"))
                .await
                .unwrap()
                .send_keys(&format!("{ESCAPE}{TAB}"))
                .await
                .unwrap();
            let focused = js(
                client,
                "const a = document.activeElement; \
                 return a.tagName + ' ' + (a.closest('.diagnostic') ? 'in-diagnostic' : '')",
            )
            .await;
            assert_eq!(focused.as_str(), Some("BUTTON in-diagnostic"), "Tab order");

            // Clicking the diagnostic puts the caret on its line.
            error
                .find(Locator::Css("button"))
                .await
                .expect("the error is a button")
                .click()
                .await
                .unwrap();
            // The app moves the caret once the editor shows the file (right after the click's
            // re-render), so poll briefly.
            let caret = eventually(
                Duration::from_secs(5),
                "the caret on the error's line",
                || async {
                    let caret = caret(client).await;
                    (caret == json!([line, true])).then_some(caret)
                },
            )
            .await;
            assert_eq!(caret, json!([line, true]), "caret line and focus");
            save_screenshot(client, "invalid").await;
        })
        .await;
}

const ENTER: &str = "\u{E007}";
const SHIFT_TAB: &str = "\u{E008}\u{E004}\u{E000}";
const CTRL_Z: &str = "\u{E009}z\u{E000}";
const CTRL_SHIFT_Z: &str = "\u{E009}\u{E008}z\u{E000}";
const CTRL_Y: &str = "\u{E009}y\u{E000}";
const CTRL_F: &str = "\u{E009}f\u{E000}";

/// Puts the editor's selection at `anchor..head` (offsets) and focuses it.
async fn select(client: &Client, anchor: usize, head: usize) {
    js(
        client,
        &format!("const v = {VIEW}; v.focus(); v.dispatch({{ selection: {{ anchor: {anchor}, head: {head} }} }});"),
    )
    .await;
}

async fn keys(client: &Client, keys: &str) {
    client
        .find(Locator::Css("#editor"))
        .await
        .expect("#editor")
        .send_keys(keys)
        .await
        .expect("keys to the editor");
}

/// The code editor (issue 14 item 1): typing with auto-indent, undo and redo by whole steps
/// (typing, a paste), find with Ctrl+F, Tab/Shift+Tab on a selection, keyword completion and
/// hover help from the core's tables, every finding underlined with its message (and our
/// "did you mean") on hover, and an editor whose size does not follow the findings.
#[tokio::test]
async fn the_code_editor_edits_finds_indents_and_explains() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "code-editor").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            let valid_height = js(client, "return document.querySelector('.code-editor').getBoundingClientRect().height").await;
            type_config(client, "build:\n  script: make\n").await;
            wait_checked(client).await;

            // Typing: a line break after a key indents the next line.
            let end = editor_text(client).await.len();
            select(client, end, end).await;
            keys(client, &format!("test:{ENTER}")).await;
            assert_eq!(editor_text(client).await, "build:\n  script: make\ntest:\n  ");
            keys(client, "script: run").await;
            assert_eq!(editor_text(client).await, "build:\n  script: make\ntest:\n  script: run");

            // Undo and redo take whole steps: a burst of typing, then a paste.
            tokio::time::sleep(Duration::from_millis(800)).await;
            keys(client, " all").await;
            keys(client, CTRL_Z).await;
            assert_eq!(editor_text(client).await, "build:\n  script: make\ntest:\n  script: run", "one undo, one burst");
            keys(client, CTRL_SHIFT_Z).await;
            assert!(editor_text(client).await.ends_with("script: run all"), "redo");
            tokio::time::sleep(Duration::from_millis(800)).await;
            paste(client, "\n  tags: [docker]\n  when: manual").await;
            let pasted = editor_text(client).await;
            keys(client, CTRL_Z).await;
            assert!(editor_text(client).await.ends_with("script: run all"), "the paste undone whole");
            keys(client, CTRL_Y).await;
            assert_eq!(editor_text(client).await, pasted, "redo after a paste brings it back");

            // Find: Ctrl+F opens the search field; Enter selects the next match.
            select(client, 0, 0).await;
            keys(client, CTRL_F).await;
            let field = wait_for(client, ".cm-search input[name='search']").await;
            field.send_keys(&format!("docker{ENTER}")).await.unwrap();
            let found = js(client, &format!("const v = {VIEW}, r = v.state.selection.main; return v.state.sliceDoc(r.from, r.to)")).await;
            assert_eq!(found, json!("docker"), "find selects the match");
            save_screenshot(client, "editor-find").await;
            field.send_keys(ESCAPE).await.unwrap();
            assert!(client.find(Locator::Css(".cm-search")).await.is_err(), "Escape closes find");

            // Tab and Shift+Tab on a selection indent and dedent its lines (and keep the text).
            type_config(client, "a:\n  b: 1\n  c: 2\n").await;
            select(client, 3, 16).await;
            keys(client, TAB).await;
            assert_eq!(editor_text(client).await, "a:\n    b: 1\n    c: 2\n", "Tab indents");
            keys(client, SHIFT_TAB).await;
            assert_eq!(editor_text(client).await, "a:\n  b: 1\n  c: 2\n", "Shift+Tab dedents");
            keys(client, SHIFT_TAB).await;
            assert_eq!(editor_text(client).await, "a:\nb: 1\nc: 2\n", "and again");
            keys(client, CTRL_Z).await;
            assert_eq!(editor_text(client).await, "a:\n  b: 1\n  c: 2\n", "one undo per indent");

            // Folding follows YAML's indentation: a key folds the block under it, a `key:`
            // the list items at its own indentation too.
            type_config(client, "build:\n  script:\n  - make\n  - make test\ntest:\n  script: [t]\n").await;
            select(client, 0, 0).await;
            keys(client, "\u{E009}\u{E008}[\u{E000}").await;
            let folded = wait_for(client, ".cm-foldPlaceholder").await;
            let shown = js(client, "return document.querySelector('.cm-content').innerText").await;
            let shown = shown.as_str().unwrap_or_default();
            assert!(shown.contains("test:") && !shown.contains("make test"), "build folds: {shown}");
            folded.click().await.unwrap();
            select(client, 9, 9).await;
            keys(client, "\u{E009}\u{E008}[\u{E000}").await;
            wait_for(client, ".cm-foldPlaceholder").await;
            let shown = js(client, "return document.querySelector('.cm-content').innerText").await;
            let shown = shown.as_str().unwrap_or_default();
            assert!(shown.contains("build:") && shown.contains("test:") && !shown.contains("- make"), "script folds its items: {shown}");

            // Keyword completion from the core's tables, in the job's context.
            type_config(client, "build:\n  script: make\n  ").await;
            keys(client, "artif").await;
            let completion = wait_for(client, ".cm-tooltip-autocomplete").await;
            let offered = completion.text().await.unwrap();
            assert!(offered.contains("artifacts"), "{offered}");
            save_screenshot(client, "editor-completion").await;
            keys(client, ENTER).await;
            assert_eq!(editor_text(client).await, "build:\n  script: make\n  artifacts: ");

            // Findings: every one underlined, the message and "did you mean" on hover.
            type_config(client, "stages: [build]\nbuild:\n  stage: biuld\n  script: make\n  artifact:\n    paths: [a]\n").await;
            let underline = eventually(Duration::from_secs(15), "the unknown key underlined", || async {
                // Exactly `artifact`: the text before held `artifacts`, which may still be
                // underlined until the new findings arrive.
                let e = client.find(Locator::XPath("//*[contains(@class,'cm-lintRange-error')][normalize-space(.)='artifact']")).await.ok()?;
                Some(e)
            })
            .await;
            let invalid_height = js(client, "return document.querySelector('.code-editor').getBoundingClientRect().height").await;
            assert_eq!(valid_height, invalid_height, "the editor's size does not follow the findings");
            client
                .perform_actions(fantoccini::actions::MouseActions::new("mouse".into()).then(
                    fantoccini::actions::PointerAction::MoveToElement {
                        element: underline,
                        duration: Some(Duration::from_millis(100)),
                        x: 0.0,
                        y: 0.0,
                    },
                ))
                .await
                .unwrap();
            // The tooltip is drawn, then filled (under load the two can be read apart).
            let text = eventually(Duration::from_secs(15), "the finding's tooltip", || async {
                let text = wait_for(client, ".cm-tooltip-lint").await.text().await.ok()?;
                (!text.trim().is_empty()).then_some(text)
            })
            .await;
            assert!(text.contains("jobs:build config contains unknown keys: artifact"), "{text}");
            assert!(text.contains("did you mean `artifacts`?"), "{text}");
            save_screenshot(client, "editor-hover").await;
            let marks = js(client, "return document.querySelectorAll('.cm-gutter-lint .cm-lint-marker').length").await;
            assert!(marks.as_u64() >= Some(1), "a gutter mark: {marks}");

            // Hover help on a keyword names where it belongs and links GitLab's reference.
            type_config(client, "build:\n  script: make\n").await;
            let key = client.find(Locator::XPath("//*[contains(@class,'tok-propertyName')][normalize-space(.)='script']")).await.expect("the key");
            client
                .perform_actions(fantoccini::actions::MouseActions::new("mouse".into()).then(
                    fantoccini::actions::PointerAction::MoveToElement { element: key, duration: Some(Duration::from_millis(100)), x: 0.0, y: 0.0 },
                ))
                .await
                .unwrap();
            let help = wait_for(client, ".cm-keyword-help").await;
            let text = help.text().await.unwrap();
            assert!(text.contains("script") && text.contains("job keyword"), "{text}");
            let href = help.find(Locator::Css("a")).await.unwrap().attr("href").await.unwrap().unwrap_or_default();
            assert_eq!(href, "https://docs.gitlab.com/ci/yaml/#script");
        })
        .await;
}

/// The editor at the three widths, light and dark, with a finding underlined (screenshots
/// looked at by hand; the assertions catch an editor that collapses or overflows).
#[tokio::test]
async fn the_code_editor_at_three_sizes_light_and_dark() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "editor-sizes").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            type_config(client, INVALID).await;
            wait_for_error(client).await;
            for (width, height) in [(1440, 900), (1024, 768), (390, 844)] {
                for scheme in ["light", "dark"] {
                    cdp(client, "Emulation.setEmulatedMedia", json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] })).await;
                    cdp(
                        client,
                        "Emulation.setDeviceMetricsOverride",
                        json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500 }),
                    )
                    .await;
                    tokio::time::sleep(Duration::from_millis(300)).await;
                    let r = js(client, "const r = document.querySelector('.cm-editor').getBoundingClientRect(); return [r.width, r.height, document.documentElement.scrollWidth]").await;
                    let (w, h, scroll) = (r[0].as_f64().unwrap(), r[1].as_f64().unwrap(), r[2].as_f64().unwrap());
                    assert!(h >= 200.0 && w >= 250.0, "{width}x{height} {scheme}: editor {w}x{h}");
                    assert!(scroll <= width as f64 + 1.0, "{width}x{height} {scheme}: page scrolls sideways ({scroll})");
                    save_screenshot(client, &format!("editor-{width}-{scheme}")).await;
                }
            }
        })
        .await;
}

/// What left, or tried to leave, the page's origin: URLs seen by the Performance API and by
/// Chromium's network log, and console errors (where Content-Security-Policy refusals show up).
struct Traffic {
    foreign: Vec<String>,
    console_errors: Vec<Value>,
}

async fn traffic(page: &support::Page) -> Traffic {
    let client = &page.client;
    let own = format!("{}/", page.origin);
    let local =
        |url: &str| url.starts_with(&own) || url.starts_with("data:") || url.starts_with("about:");

    let performance = js(
        client,
        "return performance.getEntriesByType('navigation') \
           .concat(performance.getEntriesByType('resource')).map(e => e.name)",
    )
    .await;
    let performance: Vec<String> = serde_json::from_value(performance).unwrap();
    let network = requested_urls(client, &page.origin).await;
    // Both sources must have seen the app load, or an empty list would prove nothing.
    for (source, urls) in [("Performance API", &performance), ("network log", &network)] {
        assert!(
            urls.iter().any(|u| u.ends_with(".wasm")),
            "the {source} did not see the wasm load: {urls:?}"
        );
    }
    let mut foreign: Vec<String> = performance
        .into_iter()
        .chain(network)
        .filter(|u| !local(u))
        .collect();
    foreign.dedup();

    let console_errors = log_entries(client, "browser")
        .await
        .into_iter()
        .filter(|e| e["level"] == "SEVERE")
        .collect();
    Traffic {
        foreign,
        console_errors,
    }
}

#[tokio::test]
async fn page_requests_nothing_outside_its_origin() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "origin").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            type_config(client, INVALID).await;
            wait_for_error(client).await;
            tokio::time::sleep(Duration::from_millis(300)).await;

            let traffic = traffic(&page).await;
            assert!(
                traffic.foreign.is_empty(),
                "requests outside {}: {:?}",
                page.origin,
                traffic.foreign
            );
            assert!(
                traffic.console_errors.is_empty(),
                "console errors: {:#?}",
                traffic.console_errors
            );
            let served = page.served();
            for suffix in [".js", ".wasm", ".css"] {
                assert!(
                    served.iter().any(|p| p.ends_with(suffix)),
                    "the app loaded no {suffix} from its own server: {served:?}"
                );
            }
        })
        .await;
}

/// The check above must be able to fail: requests planted in the page are caught, whether
/// Chromium sends them (an image) or the Content-Security-Policy refuses them (a fetch).
#[tokio::test]
async fn foreign_requests_would_be_caught() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "foreign").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            // Hosts under .invalid never exist, and the browser resolves no name but this
            // machine's (see `Session::start`), so these go nowhere.
            js(
                client,
                "new Image().src = 'http://img.invalid/planted.png'; \
                 fetch('http://fetch.invalid/planted').catch(() => {})",
            )
            .await;
            tokio::time::sleep(Duration::from_millis(300)).await;

            let traffic = traffic(&page).await;
            assert!(
                traffic.foreign.iter().any(|u| u.contains("planted.png")),
                "the planted image was not noticed: {:?}",
                traffic.foreign
            );
            assert!(
                traffic.console_errors.iter().any(|e| e["message"]
                    .as_str()
                    .unwrap_or("")
                    .contains("fetch.invalid")),
                "the refused fetch was not noticed: {:#?}",
                traffic.console_errors
            );
        })
        .await;
}

#[tokio::test]
async fn phone_and_dark_layouts() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "layouts").await;
    session
        .run(|page| async move {
            let client = &page.client;
            cdp(
                client,
                "Emulation.setEmulatedMedia",
                json!({ "features": [{ "name": "prefers-color-scheme", "value": "dark" }] }),
            )
            .await;
            load_app(client, &page.origin).await;
            let background = js(
                client,
                "return getComputedStyle(document.body).backgroundColor",
            )
            .await;
            assert_eq!(background, json!("rgb(14, 17, 22)"), "dark theme");
            // A long file: jumping to an error far down scrolls the editor, and the gutter
            // follows so that line numbers stay next to their lines.
            let long: String = (1..=50).map(|n| format!("# line {n}\n")).collect::<String>() + INVALID;
            type_config(client, &long).await;
            let error = wait_for_error(client).await;
            let line = error.attr("data-line").await.unwrap().unwrap();
            assert_eq!(line, (50 + INVALID_JOB_LINE).to_string());
            js(client, "document.querySelector('.cm-scroller').scrollTop = 0").await;
            error.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
            let line: u32 = line.parse().unwrap();
            let visible = eventually(Duration::from_secs(5), "the line in view", || async {
                let v = js(
                    client,
                    &format!(
                        "const v = {VIEW}, s = v.scrollDOM.getBoundingClientRect(), \
                              c = v.coordsAtPos(v.state.doc.line({line}).from); \
                         return [v.scrollDOM.scrollTop, !!c && c.top >= s.top && c.bottom <= s.bottom]"
                    ),
                )
                .await;
                (v[0].as_f64() > Some(0.0) && v[1] == json!(true)).then_some(v)
            })
            .await;
            assert_eq!(visible[1], json!(true), "line {line} is in view after the jump ({visible})");
            save_screenshot(client, "dark").await;

            cdp(
                client,
                "Emulation.setEmulatedMedia",
                json!({ "features": [{ "name": "prefers-color-scheme", "value": "light" }] }),
            )
            .await;
            cdp(
                client,
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": 360, "height": 780, "deviceScaleFactor": 1, "mobile": true }),
            )
            .await;
            client.refresh().await.unwrap();
            load_app(client, &page.origin).await;
            type_config(client, INVALID).await;
            wait_for_error(client).await;
            js(client, "document.activeElement.blur()").await;
            let width = js(client, "return document.documentElement.scrollWidth").await;
            assert!(
                width.as_u64().is_some_and(|w| w <= 360),
                "no horizontal scrolling at 360 px: page is {width} px wide"
            );
            save_screenshot(client, "phone").await;
        })
        .await;
}

/// Picks an example from the header's menu (its index in `presets::PRESETS`).
async fn load_preset(client: &Client, index: usize) {
    client
        .find(Locator::Css(".preset-menu select"))
        .await
        .expect("the examples menu")
        .select_by_value(&index.to_string())
        .await
        .expect("pick an example");
}

async fn wait_for(client: &Client, css: &str) -> fantoccini::elements::Element {
    let css = css.to_owned();
    eventually(Duration::from_secs(15), &css.clone(), || {
        let css = css.clone();
        async move { client.find(Locator::Css(&css)).await.ok() }
    })
    .await
}

/// Work is safe (issue 14 item 6): an example asks before it replaces edits; loading one (or
/// "New") is a history entry, so Back returns to the edits; the work is saved in the browser
/// and comes back on the next visit without a link.
#[tokio::test]
async fn work_is_safe_confirm_back_new_and_autosave() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "safe-work").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            let mine = "build:\n  script: make mine\n";
            type_config(client, mine).await;
            wait_checked(client).await;
            let saved = || async {
                js(
                    client,
                    "return [localStorage.getItem('pipesim-autosave'), location.hash.slice(1)]",
                )
                .await
            };
            // The address follows a second after typing pauses.
            tokio::time::sleep(Duration::from_millis(1600)).await;
            eventually(
                Duration::from_secs(10),
                "the address and the autosave",
                || async {
                    let v = saved().await;
                    (v[0].as_str().is_some_and(|s| s.starts_with("v1.")) && v[0] == v[1])
                        .then_some(())
                },
            )
            .await;
            let mine_address = saved().await[1].clone();

            // An example asks first; "Keep editing" keeps the edits.
            load_preset(client, 1).await;
            let confirm = wait_for(client, ".confirm[role='alertdialog']").await;
            assert!(confirm
                .text()
                .await
                .unwrap()
                .contains("replaces your edits"));
            let focused = js(client, "return document.activeElement.id").await;
            assert_eq!(
                focused,
                json!("confirm-replace"),
                "the question has the focus"
            );
            save_screenshot(client, "confirm-example").await;
            confirm
                .find(Locator::XPath(
                    ".//button[normalize-space()='Keep editing']",
                ))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            assert_eq!(editor_text(client).await, mine);
            // "Replace my edits" loads it, as a new history entry.
            load_preset(client, 1).await;
            wait_for(client, "#confirm-replace")
                .await
                .click()
                .await
                .unwrap();
            eventually(Duration::from_secs(10), "the example", || async {
                (editor_text(client).await != mine).then_some(())
            })
            .await;
            wait_checked(client).await;

            // Back returns to the edits.
            client.back().await.unwrap();
            eventually(Duration::from_secs(10), "the edits after Back", || async {
                (editor_text(client).await == mine).then_some(())
            })
            .await;
            assert_eq!(
                js(client, "return location.hash.slice(1)").await,
                mine_address
            );

            // New starts blank; Back returns again.
            wait_for(client, ".new-workspace")
                .await
                .click()
                .await
                .unwrap();
            eventually(Duration::from_secs(10), "a blank editor", || async {
                editor_text(client).await.is_empty().then_some(())
            })
            .await;
            client.back().await.unwrap();
            eventually(Duration::from_secs(10), "the edits after Back", || async {
                (editor_text(client).await == mine).then_some(())
            })
            .await;

            // The next visit without a link brings the last work back, and says so.
            eventually(
                Duration::from_secs(10),
                "the autosave of the edits",
                || async { (saved().await[0] == mine_address).then_some(()) },
            )
            .await;
            client.goto(&format!("{}/", page.origin)).await.unwrap();
            wait_checked(client).await;
            assert_eq!(editor_text(client).await, mine, "restored from the browser");
            let notice = wait_for(client, ".notice.info").await.text().await.unwrap();
            assert!(notice.contains("Your last work"), "{notice}");
            save_screenshot(client, "restored").await;
        })
        .await;
}

/// Accessibility (issue 14 item 10): axe-core (npm, node_modules/axe-core) finds no serious or
/// critical violation on the page, in light and dark, with results and a finding shown; tabs
/// move with the arrow keys; the Embed popup closes on Escape and on a click outside.
#[tokio::test]
async fn axe_finds_no_serious_or_critical_violation() {
    let Some(setup) = setup() else { return };
    let axe = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../node_modules/axe-core/axe.min.js");
    let Ok(axe) = std::fs::read_to_string(&axe) else {
        let message = format!(
            "{} is missing: run `npm ci` (scripts/install-tools.sh)",
            axe.display()
        );
        assert!(std::env::var("CI").is_err(), "{message}");
        eprintln!("SKIPPED: {message}");
        return;
    };
    let session = Session::start(&setup, "axe").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            type_config(client, INVALID).await;
            wait_for_error(client).await;
            js(client, &format!("{axe}\nreturn 1")).await;
            let mut report = String::new();
            for scheme in ["light", "dark"] {
                cdp(client, "Emulation.setEmulatedMedia", json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] })).await;
                let found = client
                    .execute_async(
                        "const done = arguments[arguments.length - 1]; \
                         axe.run(document, { resultTypes: ['violations'] }).then(r => done(r.violations.map(v => \
                           ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map(n => n.target.join(' ')) }))))",
                        vec![],
                    )
                    .await
                    .expect("axe.run");
                for v in found.as_array().unwrap() {
                    report += &format!("{scheme}: {} [{}] {} at {}\n", v["id"], v["impact"], v["help"], v["nodes"]);
                }
            }
            cdp(client, "Emulation.setEmulatedMedia", json!({ "features": [{ "name": "prefers-color-scheme", "value": "light" }] })).await;

            // Tabs move with the arrow keys; the Embed popup closes on Escape and on a click
            // outside it, and the focus never falls to <body>.
            let tab = wait_for(client, "#view-tab-0").await;
            tab.send_keys("\u{E014}").await.unwrap();
            let state = js(client, "return [document.activeElement.id, document.getElementById('view-tab-1').getAttribute('aria-selected')]").await;
            assert_eq!(state, json!(["view-tab-1", "true"]), "ArrowRight moves to Needs");
            wait_for(client, "#view-tab-1").await.send_keys("\u{E012}").await.unwrap();
            let state = js(client, "return [document.activeElement.id, document.getElementById('view-tab-0').getAttribute('aria-selected')]").await;
            assert_eq!(state, json!(["view-tab-0", "true"]), "ArrowLeft moves back");
            let embed = wait_for(client, ".share-menu button[aria-expanded]").await;
            embed.click().await.unwrap();
            wait_for(client, ".share-popup").await;
            client.find(Locator::Css("#share-embed")).await.unwrap().send_keys(ESCAPE).await.unwrap();
            assert!(client.find(Locator::Css(".share-popup")).await.is_err(), "Escape closes the popup");
            let focused = js(client, "return document.activeElement.getAttribute('aria-expanded') !== null").await;
            assert_eq!(focused, json!(true), "the focus returns to Embed");
            embed.click().await.unwrap();
            wait_for(client, ".share-popup").await;
            client.find(Locator::Css(".site-header h1")).await.unwrap().click().await.unwrap();
            assert!(client.find(Locator::Css(".share-popup")).await.is_err(), "a click outside closes it");
            eprintln!("axe:\n{report}");
            let serious: Vec<&str> = report.lines().filter(|l| l.contains("[\"serious\"]") || l.contains("[\"critical\"]")).collect();
            assert!(serious.is_empty(), "serious or critical violations:\n{}", serious.join("\n"));
        })
        .await;
}

const DEPLOYING_AFTER_MERGE: &str = ".job-card[data-pipeline='3'][data-job='deploying']";

/// The seed scenarios (../shared/scenarios, presets 0-3): each failing variant marks the break
/// on `deploying` in the pipeline of the merge (event 3, pipeline #3); the fixed one does not,
/// and its timeline shows BUILD_VERSION flowing from `building` to `deploying` as dotenv.
#[tokio::test]
async fn presets_mark_where_passing_data_breaks() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "presets").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            for (index, name) in [(0, "dotenv"), (1, "file"), (2, "needs-project")] {
                load_preset(client, index).await;
                let mark = wait_for(client, &format!("{DEPLOYING_AFTER_MERGE} .break")).await;
                let label = mark.attr("aria-label").await.unwrap().unwrap_or_default();
                // A warning has its own mark (▲), an error the red ✕ (issue 14 item 5).
                assert!(
                    label.starts_with("Problem:") || label.starts_with("Warning:"),
                    "{name}: {label}"
                );
                if index == 0 {
                    assert!(label.contains("building"), "{name}: {label}");
                    save_screenshot(client, "preset-dotenv").await;
                }
            }
            load_preset(client, 3).await;
            wait_for(client, ".job-card[data-pipeline='3'][data-job='building']").await;
            let deploying = wait_for(client, DEPLOYING_AFTER_MERGE).await;
            assert!(
                deploying.find(Locator::Css(".break")).await.is_err(),
                "the fixed scenario has no break on deploying"
            );
            client
                .find(Locator::XPath(
                    "//button[@role='tab'][normalize-space()='Timeline']",
                ))
                .await
                .expect("the Timeline tab")
                .click()
                .await
                .unwrap();
            wait_for(client, "path.flow.dotenv").await;
            save_screenshot(client, "timeline-fixed").await;
        })
        .await;
}

/// Once loaded the app needs no network: with Chromium offline, a preset and an edited
/// configuration are still simulated. And the layout holds on a 2560 px screen: no horizontal
/// scrolling, and the results are not squeezed into a strip.
#[tokio::test]
async fn works_offline_and_on_a_wide_screen() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "offline").await;
    session
        .run(|page| async move {
            let client = &page.client;
            cdp(
                client,
                "Emulation.setDeviceMetricsOverride",
                json!({ "width": 2560, "height": 1300, "deviceScaleFactor": 1, "mobile": false }),
            )
            .await;
            load_app(client, &page.origin).await;
            cdp(client, "Network.enable", json!({})).await;
            cdp(
                client,
                "Network.emulateNetworkConditions",
                json!({ "offline": true, "latency": 0, "downloadThroughput": -1, "uploadThroughput": -1 }),
            )
            .await;
            let online = js(client, "return navigator.onLine").await;
            assert_eq!(online, json!(false), "Chromium is offline now");

            load_preset(client, 0).await;
            wait_for(client, &format!("{DEPLOYING_AFTER_MERGE} .break")).await;
            type_config(client, INVALID).await;
            wait_for_error(client).await;
            let served_before = page.served().len();
            type_config(client, "offline-job:\n  script: echo still here\n").await;
            wait_for(client, ".job-card[data-job='offline-job']").await;
            assert_eq!(page.served().len(), served_before, "nothing was fetched offline");

            let sizes = js(
                client,
                "const r = document.querySelector('.results-panel, #results, main').getBoundingClientRect(); \
                 return [document.documentElement.scrollWidth, window.innerWidth, r.width]",
            )
            .await;
            let (scroll, inner, results) = (
                sizes[0].as_f64().unwrap(),
                sizes[1].as_f64().unwrap(),
                sizes[2].as_f64().unwrap(),
            );
            assert!(scroll <= inner, "no horizontal scrolling at 2560 px: {sizes}");
            assert!(results >= 600.0, "the results use the width: {sizes}");
            save_screenshot(client, "wide").await;
        })
        .await;
}

#[tokio::test]
async fn a_job_shows_its_reason_and_variable_table() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "job").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            load_preset(client, 3).await;
            wait_for(client, DEPLOYING_AFTER_MERGE)
                .await
                .click()
                .await
                .unwrap();
            let details = wait_for(client, ".job-details[role='region'][aria-busy='false']").await;
            let text = details.text().await.unwrap();
            assert!(text.contains("deploying"), "{text}");
            assert!(text.contains("rules[0]"), "the deciding rule: {text}");
            // The dotenv variables it receives (name, value, from which job), then its whole
            // variable table (name, value, source).
            let mut tables = Vec::new();
            for table in details.find_all(Locator::Css("table.vars")).await.unwrap() {
                tables.push(table.text().await.unwrap());
            }
            assert!(tables.len() >= 2, "dotenv and variable tables: {tables:?}");
            assert!(
                tables[0].contains("BUILD_VERSION") && tables[0].contains("building"),
                "{tables:?}"
            );
            let variables = tables.last().unwrap();
            assert!(
                variables.lines().any(|l| l.contains("BUILD_VERSION")
                    && l.contains("1.2.3")
                    && l.contains("dotenv")),
                "BUILD_VERSION = 1.2.3 from dotenv in the variable table: {variables}"
            );
            save_screenshot(client, "job").await;

            // A drawer beside the results: it has the focus, and is in view without scrolling.
            let inside = js(
                client,
                "const d = document.querySelector('.job-details'); \
                 const r = d.getBoundingClientRect(); \
                 return [d.contains(document.activeElement), getComputedStyle(d).position, \
                         r.top >= 0 && r.top < innerHeight, document.activeElement.tagName]",
            )
            .await;
            assert_eq!(
                inside[0],
                json!(true),
                "focus moved into the drawer: {inside}"
            );
            assert_eq!(inside[1], json!("fixed"), "{inside}");
            assert_eq!(inside[2], json!(true), "the drawer is in view: {inside}");
            let scroll = js(client, "return scrollY").await;
            // Escape closes it; focus and scroll go back to the job.
            client
                .active_element()
                .await
                .unwrap()
                .send_keys(ESCAPE)
                .await
                .unwrap();
            eventually(Duration::from_secs(5), "the drawer to close", || async {
                client
                    .find(Locator::Css(".job-details"))
                    .await
                    .is_err()
                    .then_some(())
            })
            .await;
            let back = js(
                client,
                &format!(
                    "return [document.activeElement.matches(\"{DEPLOYING_AFTER_MERGE}\"), scrollY, \
                     document.activeElement.outerHTML.slice(0, 200)]"
                ),
            )
            .await;
            assert_eq!(back[0], json!(true), "focus is back on the job: {back}");
            assert_eq!(back[1], scroll, "scroll is where it was: {back}");
        })
        .await;
}

#[tokio::test]
async fn a_shared_link_reopens_the_same_view_and_embeds() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "share").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            load_preset(client, 0).await;
            wait_for(client, DEPLOYING_AFTER_MERGE)
                .await
                .click()
                .await
                .unwrap();
            wait_for(client, ".job-details[role='region']").await;
            // The address follows the state shortly after each change.
            let url = eventually(Duration::from_secs(10), "the job in the URL", || async {
                let href = js(client, "return location.href").await;
                href.as_str()
                    .filter(|h| h.contains("#v1.") && h.contains("job=3:deploying"))
                    .map(str::to_owned)
            })
            .await;

            // A fresh page from the link: same scenario, same job open.
            client.goto("about:blank").await.unwrap();
            client.goto(&url).await.unwrap();
            wait_checked(client).await;
            let details = wait_for(client, ".job-details[role='region'][aria-busy='false']").await;
            let text = details.text().await.unwrap();
            assert!(text.contains("deploying"), "{text}");
            // The break comes with a fix pipesim checked by simulating it.
            assert!(text.contains("Checked fix"), "{text}");
            wait_for(client, &format!("{DEPLOYING_AFTER_MERGE} .break")).await;
            let editor = editor_text(client).await;
            assert!(
                editor.contains("BUILD_VERSION=1.2.3"),
                "the configuration came back: {editor}"
            );

            // Embed mode: the results alone, read-only, with a way out to the full app.
            client.goto("about:blank").await.unwrap();
            client.goto(&format!("{url}&embed")).await.unwrap();
            wait_for(client, ".embed").await;
            wait_for(client, &format!("{DEPLOYING_AFTER_MERGE} .break")).await;
            assert!(
                client.find(Locator::Css("#editor")).await.is_err(),
                "no editor in embed mode"
            );
            let open = wait_for(client, ".embed-header a").await;
            let href = open.attr("href").await.unwrap().unwrap_or_default();
            assert!(
                href.starts_with("#v1.") && !href.contains("embed"),
                "{href}"
            );
            save_screenshot(client, "embed").await;
        })
        .await;
}

/// Types `keys` keystrokes as a person does (WebDriver key input, so the browser sees real
/// input events: CodeMirror's background parsing yields to them): one key every 120 ms, a line
/// break after every tenth and a 300 ms pause, so that runs and their answers land between keys.
/// Returns the keystroke-to-next-frame delays (from the key event's own timestamp to the start
/// of the next frame, queueing included), sorted, and how long after the last key (a line
/// break, so that the app's line count tells when it holds the last state) the results of the
/// last state were on screen.
async fn type_and_time(client: &Client, keys: usize) -> (Vec<f64>, f64) {
    js(
        client,
        r#"
const v = pipesimEditor.of(document.getElementById('editor'));
v.focus();
// The caret goes to the end with the view scrolled there, as a click at the end leaves it: the
// keys measure typing where the user looks, not CodeMirror drawing the end of the file first.
v.dispatch({ selection: { anchor: v.state.doc.length }, scrollIntoView: true });
const run = () => Number((document.querySelector('.sim-time') || { dataset: {} }).dataset.simRun || 0);
const probe = window.__typing = { delays: [], last: null, shown: null, loaf: [] };
try { new PerformanceObserver(l => { for (const e of l.getEntries()) probe.loaf.push([Math.round(e.duration), Math.round(e.renderStart - e.startTime), Math.round(e.startTime + e.duration - e.styleAndLayoutStart), e.scripts.map(x => `${x.invoker}|${x.sourceFunctionName}:${Math.round(x.duration)}`).join(',')]); }).observe({ type: 'long-animation-frame' }); } catch (_) {}
if (window.__typingListener) document.removeEventListener('keydown', window.__typingListener, true);
// The app's own line count (the editor's summary line), which follows the editor once typing
// pauses: after a line break it is one more, and results shown then are for that text.
window.__appLines = () => parseInt((document.querySelector('.editor-head .summary') || { textContent: '' }).textContent, 10);
window.__typingListener = e => {
  const t0 = e.timeStamp;
  probe.last = { t: t0, run: run(), lines: e.key === 'Enter' ? window.__appLines() + 1 : null };
  probe.shown = null;
  requestAnimationFrame(() => probe.delays.push(performance.now() - t0));
};
document.addEventListener('keydown', window.__typingListener, true);
if (!window.__runObserver) {
  // Results of the last state: a newer run, not busy, and after a line break the app holding
  // the line it added (an answer to an earlier key can land after the last one).
  window.__runObserver = new MutationObserver(() => {
    const p = window.__typing;
    const busy = document.querySelector('.results-body[aria-busy="true"]');
    const current = p && p.last && (p.last.lines === null || window.__appLines() === p.last.lines);
    if (p && p.last && p.shown === null && run() > p.last.run && !busy && current) {
      // For this key only: a key typed before the frame comes starts over.
      const last = p.last;
      requestAnimationFrame(() => { if (p.shown === null && p.last === last) p.shown = performance.now() - last.t; });
    }
  });
  window.__runObserver.observe(document.body, { subtree: true, attributes: true, attributeFilter: ['data-sim-run', 'aria-busy'], childList: true, characterData: true });
}
"#,
    )
    .await;
    // Frames for the scroll and the lines it draws, before the first key.
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(keys % 10, 0, "the last key is a line break");
    let mut actions = fantoccini::actions::KeyActions::new("keyboard".into());
    for i in 0..keys {
        let key = if i % 10 == 9 { '\u{E007}' } else { '#' };
        let pause = if i % 10 == 9 { 300 } else { 120 };
        actions = actions
            .then(fantoccini::actions::KeyAction::Down { value: key })
            .then(fantoccini::actions::KeyAction::Up { value: key })
            .then(fantoccini::actions::KeyAction::Pause {
                duration: Duration::from_millis(pause),
            });
    }
    client.perform_actions(actions).await.expect("typing");
    let shown = eventually(
        Duration::from_secs(30),
        "the results of the last key",
        || async { js(client, "return window.__typing.shown").await.as_f64() },
    )
    .await;
    let mut delays: Vec<f64> = js(client, "return window.__typing.delays")
        .await
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_f64)
        .collect();
    delays.sort_by(f64::total_cmp);
    if std::env::var_os("PIPESIM_LOAF").is_some() {
        eprintln!(
            "LoAF {}",
            js(client, "return JSON.stringify(window.__typing.loaf)").await
        );
    }
    (delays, shown)
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    sorted[((q * sorted.len() as f64) as usize).min(sorted.len() - 1)]
}

/// In-browser measurement (docs/BENCHMARKS.md, issue 14 item 2's budgets): a 6,000-line
/// configuration (1,000 jobs), then keystrokes in the editor while it re-simulates, then the
/// same with a 4x CPU throttle. Figures in target/e2e-screenshots/perf.txt, each budget marked
/// MET or NOT MET; the machine is shared, so the only bound asserted is a generous one (it
/// guards against a keystroke waiting for a simulation or a redraw of every view).
#[tokio::test]
async fn typing_stays_fluid_on_a_large_config() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "perf").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            client
                .update_timeouts(fantoccini::wd::TimeoutConfiguration::new(
                    Some(Duration::from_secs(120)),
                    None,
                    None,
                ))
                .await
                .unwrap();
            let mut yaml = String::from("stages: [build, test, deploy]\n");
            for i in 0..1000 {
                yaml += &format!(
                    "job-{i}:\n  stage: {}\n  script: [make {i}]\n  tags: [docker]\n  variables:\n    N: \"{i}\"\n",
                    ["build", "test", "deploy"][i % 3]
                );
            }
            let lines = yaml.lines().count();
            let start = std::time::Instant::now();
            set_value(client, "#editor", &yaml).await;
            eventually(Duration::from_secs(60), "1,000 job cards", || async {
                // The graph draws only the cards in view; it says how many jobs it holds.
                (js(client, "return Math.max(document.querySelectorAll('.job-card').length, [...document.querySelectorAll('.graph-scroll')].reduce((a, e) => a + Number(e.dataset.jobs), 0))").await.as_u64() >= Some(1000)).then_some(())
            })
            .await;
            let first = start.elapsed().as_secs_f64() * 1000.0;
            tokio::time::sleep(Duration::from_millis(500)).await;
            // PIPESIM_PROFILE=1: a CPU profile of the unthrottled keys, written beside perf.txt
            // (target/e2e-screenshots/typing.cpuprofile, opens in Chromium's DevTools).
            let profile = std::env::var_os("PIPESIM_PROFILE").is_some();
            if profile {
                cdp(client, "Profiler.enable", json!({})).await;
                cdp(client, "Profiler.setSamplingInterval", json!({ "interval": 200 })).await;
                // Two seconds without a key first: what the page's thread does at rest.
                cdp(client, "Profiler.start", json!({})).await;
                tokio::time::sleep(Duration::from_secs(2)).await;
                save_profile(client, "idle.cpuprofile").await;
                cdp(client, "Profiler.start", json!({})).await;
            }
            let (keys, shown) = type_and_time(client, 40).await;
            if profile {
                save_profile(client, "typing.cpuprofile").await;
            }
            cdp(client, "Emulation.setCPUThrottlingRate", json!({ "rate": 4 })).await;
            let (slow, slow_shown) = type_and_time(client, 20).await;
            cdp(client, "Emulation.setCPUThrottlingRate", json!({ "rate": 1 })).await;
            let verdict = |ok: bool| if ok { "MET" } else { "NOT MET" };
            let (p50, p95, max) = (quantile(&keys, 0.5), quantile(&keys, 0.95), keys[keys.len() - 1]);
            let (s50, s95) = (quantile(&slow, 0.5), quantile(&slow, 0.95));
            let text = format!(
                "large config ({lines} lines, 1,000 jobs): first results {first:.0} ms after the paste\n\
                 keystroke to next frame ({} real keys, one per 120 ms, a line break and a 300 ms pause after every tenth): median {p50:.1} ms, p95 {p95:.1} ms, max {max:.1} ms; budget p95 < 16 ms: {}\n\
                 results on screen {shown:.0} ms after the last key (debounce {} ms included); budget < 150 ms: {}\n\
                 with a 4x CPU throttle ({} keys): median {s50:.1} ms, p95 {s95:.1} ms; budget p95 < 50 ms: {}; results {slow_shown:.0} ms after the last key\n",
                keys.len(),
                verdict(p95 < 16.0),
                pipesim_e2e_debounce(),
                verdict(shown < 150.0),
                slow.len(),
                verdict(s95 < 50.0),
            );
            support::write_output("perf.txt", &text);
            eprintln!("{text}");
            assert!(p50 < 250.0, "{text}");
        })
        .await;
}

/// Stops the CPU profiler and writes its profile beside perf.txt.
async fn save_profile(client: &Client, name: &str) {
    let taken = cdp(client, "Profiler.stop", json!({})).await;
    support::write_output(name, taken["profile"].to_string());
}

/// The editor's pause before it hands typing to the app and the app's debounce
/// (web/src/editor.rs `EDIT_SETTLE_MS`, web/src/lib.rs `LINT_DEBOUNCE_MS`), as the figures say
/// them.
fn pipesim_e2e_debounce() -> u32 {
    20 + 30
}

/// Replaces the value of a form field or the editor (by CSS selector) as a paste does.
async fn set_value(client: &Client, css: &str, text: &str) {
    if css == "#editor" {
        client
            .execute(
                &format!(
                    "const v = {VIEW}; \
                     v.dispatch({{ changes: {{ from: 0, to: v.state.doc.length, insert: arguments[0] }}, userEvent: 'input.paste' }});"
                ),
                vec![json!(text)],
            )
            .await
            .unwrap_or_else(|e| panic!("paste into the editor: {e}"));
        return;
    }
    client
        .execute(
            "const e = document.querySelector(arguments[0]); e.value = arguments[1]; \
             e.dispatchEvent(new Event('input', { bubbles: true }))",
            vec![json!(css), json!(text)],
        )
        .await
        .unwrap_or_else(|e| panic!("set {css}: {e}"));
}

/// One run of the web app, as its editor's summary line shows it.
#[derive(Clone, Copy)]
struct Run {
    number: u64,
    /// Lint + simulation, in ms.
    ms: f64,
    /// The lint part of `ms`.
    lint_ms: f64,
}

async fn last_run(client: &Client) -> Option<Run> {
    let v = js(
        client,
        "const s = document.querySelector('.sim-time'); \
         return s ? [Number(s.dataset.simRun), Number(s.dataset.simMs), Number(s.dataset.lintMs)] : null",
    )
    .await;
    Some(Run {
        number: v[0].as_u64()?,
        ms: v[1].as_f64()?,
        lint_ms: v[2].as_f64()?,
    })
}

/// Waits until no run has started for a while (600 ms, several times the editor's and the
/// app's pauses), and returns the last.
async fn settled_run(client: &Client) -> Run {
    let deadline = std::time::Instant::now() + Duration::from_secs(180);
    let mut last = last_run(client).await;
    let mut since = std::time::Instant::now();
    loop {
        tokio::time::sleep(Duration::from_millis(50)).await;
        let now = last_run(client).await;
        if now.map(|r| r.number) != last.map(|r| r.number) {
            last = now;
            since = std::time::Instant::now();
        }
        if let Some(run) = last.filter(|_| since.elapsed() > Duration::from_millis(600)) {
            return run;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for the runs to settle"
        );
    }
}

/// Waits for a run numbered above `after` (the worker answers after the debounce and the
/// simulation), then for the runs to settle.
async fn run_after(client: &Client, after: u64) -> Run {
    eventually(Duration::from_secs(180), "a new run", || async {
        last_run(client)
            .await
            .filter(|r| r.number > after)
            .map(|_| ())
    })
    .await;
    settled_run(client).await
}

/// Adds a file through the tab strip's "+ file" and gives it `text`; the editor shows it.
async fn add_file(client: &Client, path: &str, text: &str) {
    wait_for(client, ".add-file").await.click().await.unwrap();
    wait_for(client, "input.tab-name")
        .await
        .send_keys(&format!("{path}\u{E007}"))
        .await
        .unwrap();
    let tab = format!("//button[@role='tab'][normalize-space()='{path}']");
    eventually(Duration::from_secs(10), &tab.clone(), || async {
        let selected = client.find(Locator::XPath(&tab)).await.ok()?;
        (selected.attr("aria-selected").await.ok()?? == "true").then_some(())
    })
    .await;
    if !text.is_empty() {
        set_value(client, "#editor", text).await;
    }
}

/// Times one configuration in the browser: `files` (path, text; the first is
/// `.gitlab-ci.yml`) on a push to `main` changing `changed`, as the native benchmark does.
/// Returns the first run after pasting and `reruns` runs, each after an edit (a comment
/// appended to the configuration) that makes the app run again.
async fn time_in_browser(
    client: &Client,
    files: &[(&str, String)],
    changed: &str,
    reruns: usize,
) -> (Run, Vec<Run>) {
    set_value(client, "#event-1-branch", "main").await;
    set_value(client, "#event-1-changes", changed).await;
    for (path, text) in &files[1..] {
        if client
            .find(Locator::XPath(&format!(
                "//button[@role='tab'][normalize-space()='{path}']"
            )))
            .await
            .is_err()
        {
            add_file(client, path, text).await;
        }
    }
    client
        .find(Locator::Css(".file-tab button[role='tab']"))
        .await
        .expect("the first tab")
        .click()
        .await
        .unwrap();
    let before = settled_run(client).await.number;
    set_value(client, "#editor", &files[0].1).await;
    let first = run_after(client, before).await;
    assert!(first.number > before, "no run after pasting");
    let status = status_text(client).await;
    assert!(status.contains("Configuration is valid"), "{status}");
    let mut runs: Vec<Run> = Vec::new();
    for _ in 0..reruns {
        // Never the same text twice (the warm-up times the same configuration): the core
        // remembers recent parses, and a repeated text would be timed warm.
        static EDITS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
        let k = EDITS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let text = format!("{}# re-run {k}\n", files[0].1);
        set_value(client, "#editor", &text).await;
        let run = run_after(client, runs.last().unwrap_or(&first).number).await;
        let previous = runs.last().unwrap_or(&first).number;
        assert_eq!(run.number, previous + 1, "one run per edit");
        runs.push(run);
    }
    (first, runs)
}

/// In-browser benchmark (docs/BENCHMARKS.md): the time the web app takes to lint and simulate
/// (`Results::of`, measured with `performance.now()` and shown in the editor's summary line)
/// on the benchmarks' synthetic configurations of 100, 1,000 and 5,000 jobs and on Xen (5
/// files), each re-run 7 times after an edit, after a warm-up on the 1,000-job one. The figures
/// go to target/e2e-screenshots/wasm-bench.txt.
/// Budgets live in the benchmarks: the only bound asserted here is a very generous one.
#[tokio::test]
async fn wasm_simulation_time_by_size() {
    const RERUNS: usize = 7;
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "wasm-bench").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            // Warm-up, not recorded: V8 runs wasm with its baseline compiler first and
            // optimises the hot functions in the background, so a page's first runs are slower
            // than those of someone editing for a while.
            let warm_up = [(".gitlab-ci.yml", synthetic::synthetic(1_000)), ("Dockerfile", String::new())];
            time_in_browser(client, &warm_up, "src/c1/a.rs", RERUNS).await;
            let mut rows = Vec::new();
            for jobs in synthetic::SIZES {
                let config = synthetic::synthetic(jobs);
                let files = [(".gitlab-ci.yml", config), ("Dockerfile", String::new())];
                let (first, times) = time_in_browser(client, &files, "src/c1/a.rs", RERUNS).await;
                let cards = js(client, "return Math.max(document.querySelectorAll('.job-card').length, [...document.querySelectorAll('.graph-scroll')].reduce((a, e) => a + Number(e.dataset.jobs), 0))").await;
                rows.push((format!("synthetic {jobs}"), jobs + 6, files[0].1.len(), cards, first, times));
            }

            // Xen, on the same (warm) page without the Dockerfile, with its 4 included files.
            client
                .find(Locator::XPath("//button[@role='tab'][normalize-space()='Dockerfile']"))
                .await
                .expect("the Dockerfile tab")
                .click()
                .await
                .unwrap();
            wait_for(client, "button[aria-label='Remove Dockerfile']").await.click().await.unwrap();
            let xen = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("../fixtures/realworld/large/xen");
            let read = |p: &str| std::fs::read_to_string(xen.join(p)).expect("the Xen fixture");
            let paths = [
                ".gitlab-ci.yml",
                "automation/gitlab-ci/containers.yaml",
                "automation/gitlab-ci/analyze.yaml",
                "automation/gitlab-ci/build.yaml",
                "automation/gitlab-ci/test.yaml",
            ];
            let files: Vec<(&str, String)> = paths.iter().map(|p| (*p, read(p))).collect();
            let (first, times) = time_in_browser(client, &files, "README.md", RERUNS).await;
            let tabs = js(client, "return document.querySelectorAll('.file-tab').length").await;
            assert_eq!(tabs, json!(5), "Xen's 5 files and nothing else");
            let cards = js(client, "return Math.max(document.querySelectorAll('.job-card').length, [...document.querySelectorAll('.graph-scroll')].reduce((a, e) => a + Number(e.dataset.jobs), 0))").await;
            let bytes = files.iter().map(|(_, t)| t.len()).sum();
            // 138 jobs in the configuration, as `cargo bench` counts them.
            rows.push(("xen (5 files)".into(), 138, bytes, cards, first, times));

            // (median, min, max) of the total, of the lint or of the simulation (total - lint),
            // each on its own.
            let stats = |runs: &[Run], f: fn(&Run) -> f64| {
                let mut v: Vec<f64> = runs.iter().map(f).collect();
                v.sort_by(f64::total_cmp);
                (v[v.len() / 2], v[0], v[v.len() - 1])
            };
            let mut text = format!(
                "wasm (release bundle, headless Chromium): the web app's run after an edit (Results::of, \
                 performance.now()) on a push to main; after a warm-up, median of {RERUNS} runs [min, max] ([min] for the parts); lint and \
                 simulate (which loads the configuration again) are the two parts of the total; \
                 first = the run right after pasting\n"
            );
            let mut totals = Vec::new();
            for (name, jobs, bytes, cards, first, runs) in &rows {
                let (total, min, max) = stats(runs, |r| r.ms);
                let (lint, lint_min, _) = stats(runs, |r| r.lint_ms);
                let (simulate, simulate_min, _) = stats(runs, |r| r.ms - r.lint_ms);
                totals.push(total);
                text += &format!(
                    "{name:<16} {jobs:>5} jobs {:>4} KB  total {total:>6.1} ms [{min:.1}, {max:.1}]  \
                     lint {lint:>6.1} ms [{lint_min:.1}]  simulate {simulate:>6.1} ms [{simulate_min:.1}]  \
                     first {:>6.1} ms  ({cards} job cards)\n",
                    bytes / 1024,
                    first.ms,
                );
            }
            let m = &totals;
            text += &format!(
                "growth (total, median): 100 -> 1,000 jobs x{:.1}, 1,000 -> 5,000 jobs x{:.1} (linear: x10, x5)\n",
                m[1] / m[0],
                m[2] / m[1]
            );
            // Judged on the minimum, as the native figures are (docs/BENCHMARKS.md: the machine
            // is shared, the minimum is the steadier figure); the median is printed beside it.
            let (simulate_median, simulate_min, _) = stats(&rows[1].5, |r| r.ms - r.lint_ms);
            let (total_median, total_min, _) = stats(&rows[1].5, |r| r.ms);
            let verdict = |ms: f64| if ms < 50.0 { "MET" } else { "NOT MET" };
            text += &format!(
                "1,000-job target (< 50 ms in the browser, judged on the min): simulate min {simulate_min:.1} ms, \
                 median {simulate_median:.1} ms: {}; the app's whole run (lint + simulate) min {total_min:.1} ms, \
                 median {total_median:.1} ms: {}\n",
                verdict(simulate_min),
                verdict(total_min),
            );
            support::write_output("wasm-bench.txt", &text);
            eprintln!("{text}");
            assert!(m[1] < 5_000.0, "a 1,000-job run took over 5 s: {text}");
        })
        .await;
}

// ---------------------------------------------------------------------------------------------
// The simulation worker (issue 13 item 3, issue 14 item 2)

/// The text of an element, or "" when it is not there.
async fn text_of(client: &Client, css: &str) -> String {
    match client.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap_or_default(),
        Err(_) => String::new(),
    }
}

/// How long the page takes to show the next frame (ms): a frozen tab shows none.
async fn frame_delay(client: &Client) -> f64 {
    client
        .execute_async(
            "const done = arguments[arguments.length - 1]; const t0 = performance.now(); \
             requestAnimationFrame(() => done(performance.now() - t0));",
            vec![],
        )
        .await
        .expect("a frame")
        .as_f64()
        .unwrap()
}

/// A wasm trap in the worker (here: out of memory, with the browser's wasm memory capped at
/// 32 MB so that a 5,000-job configuration cannot fit) shows the crash panel with what
/// happened; the page keeps working, the verdict is "not checked" (never a stale "valid"); the
/// link is not simulated again when reopened, in this tab or a fresh one; "Start with an empty
/// workspace" gets back to work.
#[tokio::test]
async fn a_crash_in_the_simulation_shows_the_crash_panel_and_is_not_run_again() {
    let Some(setup) = setup() else { return };
    let session =
        Session::start_with(&setup, "crash", &["--js-flags=--wasm-max-mem-pages=512"]).await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            let big = synthetic::synthetic(5000);
            set_value(client, "#editor", &big).await;
            let panel = eventually(Duration::from_secs(90), "the crash panel", || async {
                client.find(Locator::Css("#sim-crash")).await.ok()
            })
            .await;
            let text = panel.text().await.unwrap();
            assert!(text.contains("The simulation stopped"), "{text}");
            assert!(text.contains("memory"), "says what happened: {text}");
            let status = status_text(client).await;
            assert!(status.contains("Not checked"), "no stale verdict: {status}");
            assert!(!status.contains("valid"), "{status}");
            assert_eq!(
                js(
                    client,
                    "return document.querySelectorAll('.job-card').length"
                )
                .await,
                json!(0),
                "no results of an earlier state beside the crash"
            );
            assert!(frame_delay(client).await < 500.0, "the page still draws");
            save_screenshot(client, "crash").await;

            // Reopened (the address holds the workspace that crashed): not run again.
            client.refresh().await.unwrap();
            let held = wait_for(client, "#simulate-held").await;
            assert!(held.is_displayed().await.unwrap());
            tokio::time::sleep(Duration::from_secs(2)).await;
            assert_eq!(
                text_of(client, "#sim-crash").await,
                "",
                "not simulated on open"
            );
            let notice = text_of(client, ".run-state").await;
            assert!(notice.contains("stopped pipesim"), "{notice}");
            assert!(status_text(client).await.contains("Not checked"));
            let editor = editor_text(client).await;
            assert_eq!(editor.len(), big.len(), "the files are all there");

            // A fresh tab with the same link: also held (the guard is in local storage).
            let url = client.current_url().await.unwrap();
            let first = client.window().await.unwrap();
            let tab = client.new_window(true).await.unwrap();
            client.switch_to_window(tab.handle).await.unwrap();
            client.goto(url.as_str()).await.unwrap();
            wait_for(client, "#simulate-held").await;
            save_screenshot(client, "crash-reopened").await;
            client.close_window().await.unwrap();
            client.switch_to_window(first).await.unwrap();

            // Simulating it anyway crashes again, and the way back is an empty workspace.
            wait_for(client, "#simulate-held")
                .await
                .click()
                .await
                .unwrap();
            wait_for(client, "#sim-crash").await;
            client
                .find(Locator::XPath(
                    "//button[normalize-space()='Start with an empty workspace']",
                ))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
            wait_checked(client).await;
            assert_eq!(text_of(client, "#sim-crash").await, "");
            assert_eq!(editor_text(client).await, "");
        })
        .await;
}

/// A configuration of 30,000 jobs (about 740 KB): the page keeps drawing while the worker
/// simulates, shows a progress indicator with Cancel after a moment, and Cancel ends the run
/// with an honest "not checked" verdict; typing supersedes a run that is under way.
#[tokio::test]
async fn a_large_configuration_shows_progress_and_can_be_cancelled() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "large").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            let mut yaml = String::from("stages: [build, test]\n");
            for i in 0..30_000 {
                yaml.push_str(&format!("job-{i}:\n  stage: test\n  script: [x]\n"));
            }
            assert!(yaml.len() > 700_000, "{} bytes", yaml.len());
            set_value(client, "#editor", &yaml).await;
            wait_for(client, "#sim-progress").await;
            let status = status_text(client).await;
            assert!(
                !status.contains("is valid") || status.contains("checking"),
                "{status}"
            );
            let mut delays = Vec::new();
            for _ in 0..5 {
                delays.push(frame_delay(client).await);
            }
            save_screenshot(client, "progress").await;
            delays.sort_by(f64::total_cmp);
            assert!(
                delays[2] < 200.0,
                "the page draws while it simulates: {delays:?}"
            );
            wait_for(client, "#sim-cancel").await.click().await.unwrap();
            let status = eventually(Duration::from_secs(10), "a cancelled verdict", || async {
                let s = status_text(client).await;
                s.contains("cancelled").then_some(s)
            })
            .await;
            assert!(!status.contains("valid"), "{status}");
            assert_eq!(text_of(client, "#sim-progress").await, "");
            // A small edit afterwards runs again and is checked.
            set_value(client, "#editor", "build:\n  script: [make]\n").await;
            wait_checked(client).await;
            assert!(status_text(client).await.contains("Configuration is valid"));
        })
        .await;
}

/// Issue 16: the Matrix view (jobs by event, the reason on hover) and its compare mode (what
/// the edits since a kept version change, event by event), at desktop and phone sizes, light
/// and dark.
#[tokio::test]
async fn the_matrix_view_and_its_compare_mode() {
    const BEFORE: &str = "deploy:\n  script: [deploy]\n  rules:\n    - if: $CI_COMMIT_TAG\n      when: manual\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\nlint:\n  script: [lint]\n";
    // deploy becomes manual on the default branch; lint leaves tag pipelines.
    const AFTER: &str = "deploy:\n  script: [deploy]\n  rules:\n    - if: $CI_COMMIT_TAG\n      when: manual\n    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH\n      when: manual\nlint:\n  script: [lint]\n  except: [tags]\n";
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "matrix").await;
    session
        .run(|page| async move {
            let client = &page.client;
            load_app(client, &page.origin).await;
            type_config(client, BEFORE).await;
            wait_checked(client).await;
            wait_for(client, "#view-tab-3").await.click().await.expect("open the Matrix tab");
            wait_for(client, "table.matrix").await;
            let headers = js(client, "return [...document.querySelectorAll('table.matrix thead th')].map(t => t.textContent)").await;
            let headers: Vec<&str> = headers.as_array().unwrap().iter().filter_map(Value::as_str).collect();
            assert_eq!(&headers[..3], ["job", "push-feature", "push-default"], "{headers:?}");
            let tag = headers.iter().position(|h| *h == "tag").expect("a tag column") ;
            // The deploy row: never on a feature branch, in on the default branch, manual on a tag.
            let deploy = js(client, "const row = [...document.querySelectorAll('table.matrix tbody tr')].find(r => r.querySelector('th').textContent === 'deploy'); return [...row.querySelectorAll('td')].map(td => [td.textContent.trim(), td.title])").await;
            let cells = deploy.as_array().unwrap();
            assert_eq!(cells[0][0], "never");
            assert_eq!(cells[1][0], "in");
            assert_eq!(cells[tag - 1][0], "manual");
            assert!(cells[0][1].as_str().unwrap().len() > 20, "a reason on hover: {:?}", cells[0][1]);
            save_screenshot(client, "matrix-1440-light").await;

            // Compare mode: keep this version, edit, and see what changed.
            wait_for(client, "#compare-keep").await.click().await.expect("keep this version");
            wait_for(client, ".compare-none").await;
            type_config(client, AFTER).await;
            wait_checked(client).await;
            let summary = eventually(Duration::from_secs(20), "the compare summary", || async {
                let text = js(client, "const e = document.querySelector('.compare-events'); return e ? e.textContent : null").await;
                text.as_str().map(str::to_owned)
            })
            .await;
            assert!(summary.contains("push-default: changed deploy"), "{summary}");
            assert!(summary.contains("tag: removed lint"), "{summary}");
            let marked = js(client, "return [...document.querySelectorAll('td.cell-diff')].map(td => td.title.split('\\n')[0])").await;
            let marked: Vec<&str> = marked.as_array().unwrap().iter().filter_map(Value::as_str).collect();
            assert!(marked.iter().any(|t| t.starts_with("Compared with the kept version: changed (in → manual).")), "{marked:?}");
            save_screenshot(client, "matrix-compare-1440-light").await;
            for (width, height, scheme) in [(390, 844, "light"), (1024, 768, "dark"), (390, 844, "dark")] {
                cdp(client, "Emulation.setEmulatedMedia", json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] })).await;
                cdp(client, "Emulation.setDeviceMetricsOverride", json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500 })).await;
                js(client, "document.querySelector('.matrix-view').scrollIntoView()").await;
                tokio::time::sleep(Duration::from_millis(300)).await;
                let scroll = js(client, "return document.documentElement.scrollWidth").await.as_f64().unwrap();
                assert!(scroll <= width as f64 + 1.0, "{width}x{height} {scheme}: the page scrolls sideways ({scroll}); the matrix scrolls inside its panel");
                // Every view tab is inside its panel (on a phone they wrap under the heading).
                let overflow = js(client, "const panel = document.querySelector('.results-panel').getBoundingClientRect(); return [...document.querySelectorAll('.view-tab')].filter(t => t.getBoundingClientRect().right > panel.right + 0.5).map(t => t.textContent)").await;
                assert_eq!(overflow, json!([]), "{width}x{height} {scheme}: view tabs past the panel's edge");
                save_screenshot(client, &format!("matrix-compare-{width}-{scheme}")).await;
            }
            // Stop comparing: the marks go.
            wait_for(client, "#compare-stop").await.click().await.expect("stop comparing");
            wait_for(client, "#compare-keep").await;
            assert_eq!(js(client, "return document.querySelectorAll('td.cell-diff').length").await, json!(0));
        })
        .await;
}
