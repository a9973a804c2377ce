//! The built web app in headless Chromium: what a person sees and does.
//!
//! Needs `dist/` (`trunk build --release`), /usr/bin/chromium and /usr/bin/chromedriver; with
//! CI=true a missing one fails the test, otherwise it is reported and skipped.

mod support;

use std::time::Duration;

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

async fn load_app(client: &Client, origin: &str) {
    client
        .goto(&format!("{origin}/"))
        .await
        .expect("open the app");
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("#status"))
        .await
        .expect("the app did not render #status within 30 s");
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

/// Replaces the editor content the way a person does: select all, then type.
async fn type_config(client: &Client, text: &str) {
    let editor = client.find(Locator::Css("#editor")).await.expect("#editor");
    editor.click().await.expect("focus the editor");
    editor.send_keys(CTRL_A).await.expect("select all");
    editor.send_keys(text).await.expect("type the config");
    let value = js(client, "return document.getElementById('editor').value").await;
    assert_eq!(
        value.as_str(),
        Some(text),
        "the editor holds what was typed"
    );
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
            let mark = format!(".gutter .ln:nth-child({line})");
            let class = client
                .find(Locator::Css(&mark))
                .await
                .expect("gutter line")
                .attr("class")
                .await
                .unwrap()
                .unwrap_or_default();
            assert!(class.contains("error"), "gutter marks line {line}: {class}");

            // Keyboard: from the editor, Tab reaches the first diagnostic.
            client
                .find(Locator::Css("#editor"))
                .await
                .unwrap()
                .send_keys(TAB)
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
            let caret = js(
                client,
                "const t = document.getElementById('editor'); \
                 return [t.value.slice(0, t.selectionStart).split('\\n').length, \
                         document.activeElement === t]",
            )
            .await;
            assert_eq!(caret, json!([line, true]), "caret line and focus");
            save_screenshot(client, "invalid").await;
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
            js(client, "document.getElementById('editor').scrollTop = 0").await;
            error.find(Locator::Css("button")).await.unwrap().click().await.unwrap();
            let scroll = eventually(Duration::from_secs(5), "the gutter to follow", || async {
                let v = js(
                    client,
                    "return [document.getElementById('editor').scrollTop, \
                             document.querySelector('.gutter').scrollTop]",
                )
                .await;
                (v[0].as_f64() > Some(0.0) && v[0] == v[1]).then_some(v)
            })
            .await;
            let visible = js(
                client,
                &format!(
                    "const t = document.getElementById('editor'), \
                           n = document.querySelector('.gutter .ln:nth-child({line})').getBoundingClientRect(), \
                           r = t.getBoundingClientRect(); \
                     return n.top >= r.top && n.bottom <= r.bottom"
                ),
            )
            .await;
            assert_eq!(visible, json!(true), "line {line} is in view after the jump ({scroll})");
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
