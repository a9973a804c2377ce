//! Embeds for docs and training, and the timeline's step-through and sizing (issue 14 item 9
//! and the timeline part of item 8), in headless Chromium: the Embed popup's choices in the
//! snippet, the frame made from it showing that view, those events, that job and the YAML
//! read-only, highlighted as in the editor; step-through with its buttons and the arrow keys, in the app and in a frame
//! whose reported height follows each step; the timeline opening at its first event with
//! columns as wide as their text. Needs `dist/` (`trunk build --release`), chromium and
//! chromedriver. Screenshots go to target/e2e-screenshots/.

mod support;

use std::time::Duration;

use fantoccini::{Client, Locator};
use serde_json::{json, Value};
use support::{
    eventually, open_small_example, run_js as js, save_screenshot, screenshots_at_three_sizes,
    set_viewport, settled_frame_height, setup, wait_for_css as find, Session,
};

/// Example 0 (`presets::PRESETS`): a push to `feature` (no pipeline created), a merge request
/// !1 (pipeline #2, `building`), its merge (pipeline #3, `deploying`, where passing breaks).
async fn load_example(client: &Client) {
    client
        .find(Locator::Css(".preset-menu select"))
        .await
        .expect("the examples menu")
        .select_by_value("0")
        .await
        .expect("pick the example");
    find(client, ".job-card[data-pipeline='3'][data-job='deploying']").await;
}

/// The snippet's `src`, unescaped.
async fn snippet_src(client: &Client) -> String {
    let snippet = find(client, "#share-embed")
        .await
        .prop("value")
        .await
        .unwrap()
        .unwrap_or_default();
    snippet
        .split("src=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no src in the snippet: {snippet}"))
        .replace("&amp;", "&")
}

/// The parts after the payload of a link (`&embed&view=…`).
fn parts(src: &str) -> String {
    src.split_once('&')
        .map(|(_, rest)| format!("&{rest}"))
        .unwrap_or_default()
}

/// The element that has the focus: its tag, id and class.
async fn focused(client: &Client) -> String {
    js(
        client,
        "const e = document.activeElement; return `${e.tagName.toLowerCase()}#${e.id}.${e.className}`",
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// A host page (this origin's 404 page, emptied) with the README's listener: every frame
/// takes the height it reports; `window.heights` keeps what was reported.
async fn host_with_frame(client: &Client, origin: &str, src: &str, width: u32) {
    client
        .goto(&format!("{origin}/404-host.html"))
        .await
        .unwrap();
    js(
        client,
        &format!(
            r#"document.body.innerHTML = '';
            document.body.style.margin = '0';
            const meta = document.createElement("meta");
            meta.name = "viewport";
            meta.content = "width=device-width, initial-scale=1";
            document.head.appendChild(meta);
            window.heights = [];
            addEventListener("message", (e) => {{
              if (e.data?.type !== "pipesim:height") return;
              window.heights.push(e.data.height);
              for (const frame of document.querySelectorAll("iframe"))
                if (frame.contentWindow === e.source) frame.style.height = e.data.height + "px";
            }});
            const frame = document.createElement("iframe");
            frame.style.cssText = "width: {width}px; height: 150px; border: 0; display: block";
            frame.title = "pipesim";
            frame.src = {src:?};
            document.body.appendChild(frame);"#
        ),
    )
    .await;
}

/// Runs `script` (a function body using `doc`, the frame's document) and returns its value.
async fn in_frame(client: &Client, script: &str) -> Value {
    js(
        client,
        &format!(
            "const doc = document.querySelector('iframe').contentDocument; if (!doc) return null; {script}"
        ),
    )
    .await
}

/// Waits until `script` (run in the frame) returns `true`.
async fn frame_until(client: &Client, what: &str, script: &str) {
    eventually(Duration::from_secs(30), what, || async {
        (in_frame(client, script).await == Value::Bool(true)).then_some(())
    })
    .await;
}

/// Each choice of the Embed popup shows in the snippet at once; the frame made from it shows
/// that view, only those events, that job open and the YAML read-only, highlighted as in the
/// editor. Everything in the popup
/// is reached with Tab, and Escape gives the focus back to Embed.
#[tokio::test]
async fn the_embed_snippet_follows_each_choice_and_its_frame_shows_them() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "embed-choices").await;
    session
        .run(|page| async move {
            let client = &page.client;
            open_small_example(client, &page.origin).await;
            load_example(client).await;
            // The example opens on the timeline: the snippet starts from what the page shows.
            let embed = find(client, ".share-menu button[aria-expanded]").await;
            embed.click().await.unwrap();
            let src = snippet_src(client).await;
            assert_eq!(parts(&src), "&embed&view=timeline", "{src}");

            find(client, "#embed-view").await.select_by_value("pipelines").await.unwrap();
            assert_eq!(parts(&snippet_src(client).await), "&embed");
            find(client, "#embed-view").await.select_by_value("needs").await.unwrap();
            assert_eq!(parts(&snippet_src(client).await), "&embed&view=needs");
            // Events: untick the first (two left), then tick it again (every event).
            find(client, "#embed-event-1").await.click().await.unwrap();
            assert_eq!(parts(&snippet_src(client).await), "&embed&view=needs&events=2,3");
            find(client, "#embed-event-1").await.click().await.unwrap();
            assert_eq!(parts(&snippet_src(client).await), "&embed&view=needs");
            find(client, "#embed-event-1").await.click().await.unwrap();
            find(client, "#embed-event-2").await.click().await.unwrap();
            assert_eq!(parts(&snippet_src(client).await), "&embed&view=needs&events=3");
            // The one event left stays ticked.
            find(client, "#embed-event-3").await.click().await.unwrap();
            assert_eq!(parts(&snippet_src(client).await), "&embed&view=needs&events=3");
            let ticked = js(client, "return document.getElementById('embed-event-3').checked").await;
            assert_eq!(ticked, json!(true));
            // The jobs offered are those of the events shown.
            let offered = js(
                client,
                "return [...document.querySelectorAll('#embed-job option')].map(o => o.value)",
            )
            .await;
            assert_eq!(offered, json!(["", "3:deploying"]));
            find(client, "#embed-job").await.select_by_value("3:deploying").await.unwrap();
            assert_eq!(
                parts(&snippet_src(client).await),
                "&embed&view=needs&job=3:deploying&events=3"
            );
            find(client, "#embed-event-2").await.click().await.unwrap();
            find(client, "#embed-yaml").await.click().await.unwrap();
            find(client, "#embed-view").await.select_by_value("timeline").await.unwrap();
            let chosen = snippet_src(client).await;
            assert_eq!(
                parts(&chosen),
                "&embed&view=timeline&job=3:deploying&events=2,3&yaml=1"
            );
            // Step-through is the timeline's: ticking it while another view is chosen
            // chooses the timeline.
            find(client, "#embed-view").await.select_by_value("pipelines").await.unwrap();
            find(client, "#embed-step").await.click().await.unwrap();
            assert_eq!(
                parts(&snippet_src(client).await),
                "&embed&view=timeline&job=3:deploying&events=2,3&step=2&yaml=1"
            );
            assert_eq!(
                js(client, "return document.getElementById('embed-view').value").await,
                json!("timeline"),
                "the View field says so"
            );
            for (width, height) in [(1440, 900), (1024, 768), (390, 844)] {
                for scheme in ["light", "dark"] {
                    set_viewport(client, (width, height), scheme).await;
                    save_screenshot(client, &format!("embed-popup-{width}-{scheme}")).await;
                }
            }
            set_viewport(client, (1440, 900), "light").await;

            // Keyboard: from Embed, Tab reaches each control of the popup in order, and
            // Escape closes it with the focus back on Embed.
            js(client, "document.querySelector('.share-menu button[aria-expanded]').focus()").await;
            let mut seen = Vec::new();
            for _ in 0..12 {
                client.active_element().await.unwrap().send_keys("\u{E004}").await.unwrap();
                let now = focused(client).await;
                assert!(!now.starts_with("body"), "the focus fell to <body> after {seen:?}");
                seen.push(now);
                let last = js(client, "return document.activeElement.innerText === 'Copy snippet'").await;
                if last == json!(true) {
                    break;
                }
            }
            assert_eq!(
                js(client, "return document.activeElement.innerText").await,
                json!("Copy snippet"),
                "Tab reaches the last control: {seen:?}"
            );
            for id in ["embed-view", "embed-job", "embed-event-1", "embed-event-3", "embed-step", "embed-yaml", "share-embed"] {
                assert!(
                    seen.iter().any(|s| s.contains(&format!("#{id}."))),
                    "Tab reaches #{id}: {seen:?}"
                );
            }
            client.active_element().await.unwrap().send_keys("\u{E00C}").await.unwrap();
            assert!(client.find(Locator::Css(".share-popup")).await.is_err(), "Escape closes it");
            assert_eq!(
                js(client, "return document.activeElement.getAttribute('aria-expanded')").await,
                json!("false")
            );

            // The colour the editor gives a key, for the embed's YAML below.
            let key_colour = js(
                client,
                "return getComputedStyle(document.querySelector('.code-editor .tok-propertyName')).color",
            )
            .await;
            assert!(key_colour.as_str().is_some_and(|c| c.starts_with("rgb")), "{key_colour}");

            // The frame from the snippet without step-through: the timeline of events 2 and 3,
            // deploying's details open, the YAML beside it, highlighted and not editable.
            let plain = chosen.clone();
            host_with_frame(client, &page.origin, &plain, 1100).await;
            frame_until(
                client,
                "the timeline of events 2 and 3 in the frame",
                "return [...doc.querySelectorAll('.tl-event')].map(e => e.dataset.event).join() === '2,3'",
            )
            .await;
            frame_until(
                client,
                "deploying's details",
                "const d = doc.querySelector('.job-details'); return !!d && d.innerText.includes('deploying')",
            )
            .await;
            frame_until(client, "the YAML in a viewer", "return !!doc.querySelector('.embed-yaml .cm-content')").await;
            // What the pane shows: the YAML in a read-only CodeMirror view, the one place of
            // the frame that holds text, and nothing in the frame that edits.
            let yaml = in_frame(
                client,
                "const content = doc.querySelector('.embed-yaml .cm-content'); \
                 const view = doc.defaultView.pipesimEditor.of(content); \
                 return [view.state.doc.toString().includes('deploying:\\n'), view.state.readOnly, \
                   content.isContentEditable, content.tabIndex, \
                   doc.querySelectorAll('.embed-yaml .cm-editor').length, \
                   doc.querySelectorAll('textarea, [contenteditable=true], #editor').length, \
                   doc.querySelector('[role=tab][aria-selected=true]').innerText]",
            )
            .await;
            assert_eq!(
                yaml,
                json!([true, true, false, 0, 1, 0, "Timeline"]),
                "read-only YAML beside the timeline"
            );
            // Highlighted as in the editor: the keys are marked, in the editor's key colour
            // (not the text's). The YAML stream mode's key token holds its indentation.
            let keys = in_frame(
                client,
                "const keys = [...doc.querySelectorAll('.embed-yaml .tok-propertyName')]; \
                 return [keys.map(k => k.textContent.trim()).filter(k => ['deploying', 'dependencies', 'dotenv'].includes(k)).sort(), \
                   keys.length ? doc.defaultView.getComputedStyle(keys[0]).color : null, \
                   doc.defaultView.getComputedStyle(doc.querySelector('.embed-yaml .cm-content')).color]",
            )
            .await;
            assert_eq!(keys[0], json!(["dependencies", "deploying", "dotenv"]), "the keys marked: {keys}");
            assert_eq!(keys[1], key_colour, "the editor's key colour: {keys}");
            assert_ne!(keys[1], keys[2], "keys stand out from the text: {keys}");
            // Typing into the YAML changes nothing (the text can be focused, to scroll it).
            in_frame(client, "doc.querySelector('.embed-yaml .cm-content').focus()").await;
            assert_eq!(
                in_frame(client, "return doc.activeElement.classList.contains('cm-content')").await,
                json!(true),
                "the YAML takes the focus"
            );
            let text = "const v = doc.defaultView.pipesimEditor.of(doc.querySelector('.embed-yaml .cm-content')); \
                        return [v.state.doc.toString(), doc.querySelector('.embed-yaml .cm-content').innerText]";
            let before = in_frame(client, text).await;
            client.enter_frame(0).await.unwrap();
            client.active_element().await.unwrap().send_keys("xyz\u{E007}\u{E003}").await.unwrap();
            client.enter_parent_frame().await.unwrap();
            let after = in_frame(client, text).await;
            assert_eq!(before, after, "the YAML is not editable");
            let height = settled_frame_height(client).await;
            assert!(height.fits(), "fits: {height:?}");
            for scheme in ["light", "dark"] {
                for (width, height) in [(1440, 900), (1024, 768), (390, 844)] {
                    set_viewport(client, (width, height), scheme).await;
                    let frame = if width < 500 { width } else { width.min(1140) - 40 };
                    js(client, &format!("document.querySelector('iframe').style.width = '{frame}px'")).await;
                    tokio::time::sleep(Duration::from_millis(600)).await;
                    save_screenshot(client, &format!("embed-frame-yaml-{width}-{scheme}")).await;
                }
            }
        })
        .await;
}

/// Step-through in the app: Step through shows the first event alone; Next and the right
/// arrow (the timeline focused) add one event at a time, the current one highlighted; the ends
/// keep the focus where it is; the address keeps the step.
#[tokio::test]
async fn the_timeline_steps_through_the_events_with_buttons_and_keys() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "step-through").await;
    session
        .run(|page| async move {
            let client = &page.client;
            open_small_example(client, &page.origin).await;
            load_example(client).await;
            let state = || async {
                js(
                    client,
                    "return [[...document.querySelectorAll('.tl-event')].map(e => e.dataset.event).join(), \
                       document.querySelector('.tl-event.current')?.dataset.event ?? null, \
                       document.querySelector('.tl-step-where')?.innerText ?? null]",
                )
                .await
            };
            assert_eq!(state().await[0], json!("1,2,3"), "every event before stepping");
            find(client, ".tl-step-toggle").await.click().await.unwrap();
            let s = state().await;
            assert_eq!((&s[0], &s[1]), (&json!("1"), &json!("1")), "{s}");
            assert!(s[2].as_str().unwrap_or_default().starts_with("1 of 3"), "{s}");
            // Previous at the first event: nothing moves, the focus stays on the button.
            find(client, "#tl-prev").await.click().await.unwrap();
            assert_eq!(state().await[1], json!("1"));
            assert!(focused(client).await.starts_with("button#tl-prev"));
            find(client, "#tl-next").await.click().await.unwrap();
            assert_eq!(state().await[0], json!("1,2"));
            assert_eq!(state().await[1], json!("2"));
            assert!(focused(client).await.starts_with("button#tl-next"), "{}", focused(client).await);
            screenshots_at_three_sizes(client, "timeline-step", ".timeline").await;

            // The arrow keys, with the timeline focused.
            let scroller = find(client, ".tl-scroll").await;
            js(client, "document.querySelector('.tl-scroll').focus()").await;
            scroller.send_keys("\u{E014}").await.unwrap();
            assert_eq!(state().await[0], json!("1,2,3"), "ArrowRight: the next event");
            assert_eq!(state().await[1], json!("3"));
            client.active_element().await.unwrap().send_keys("\u{E014}").await.unwrap();
            assert_eq!(state().await[1], json!("3"), "the last event stays");
            assert!(focused(client).await.starts_with("div#.tl-scroll"), "{}", focused(client).await);
            client.active_element().await.unwrap().send_keys("\u{E012}").await.unwrap();
            assert_eq!(state().await[0], json!("1,2"), "ArrowLeft: the previous event");
            client.active_element().await.unwrap().send_keys("\u{E011}").await.unwrap();
            assert_eq!(state().await[1], json!("1"), "Home: the first event");
            client.active_element().await.unwrap().send_keys("\u{E010}").await.unwrap();
            assert_eq!(state().await[1], json!("3"), "End: the last event");
            // The break is on the timeline once its event is.
            assert!(client.find(Locator::Css(".tl-breaks")).await.is_ok());
            let url = eventually(Duration::from_secs(10), "the step in the address", || async {
                let href = js(client, "return location.href").await;
                href.as_str().filter(|h| h.ends_with("&step=3")).map(str::to_owned)
            })
            .await;
            // Turned off: every event again.
            find(client, ".tl-step-toggle").await.click().await.unwrap();
            let s = state().await;
            assert_eq!((&s[0], &s[1]), (&json!("1,2,3"), &Value::Null), "{s}");
            assert!(focused(client).await.contains("tl-step-toggle"));
            // The link reopens at that step.
            client.goto("about:blank").await.unwrap();
            client.goto(&url).await.unwrap();
            find(client, ".tl-event.current[data-event='3']").await;
        })
        .await;
}

/// An embed that steps through: each step changes the content's height (the break list comes
/// with the last event), and the frame follows it, never with a scrollbar.
#[tokio::test]
async fn an_embed_height_follows_each_step() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "embed-step").await;
    session
        .run(|page| async move {
            let client = &page.client;
            open_small_example(client, &page.origin).await;
            load_example(client).await;
            find(client, ".share-menu button[aria-expanded]").await.click().await.unwrap();
            find(client, "#embed-step").await.click().await.unwrap();
            let src = snippet_src(client).await;
            assert!(parts(&src).ends_with("&view=timeline&step=1"), "{src}");
            host_with_frame(client, &page.origin, &src, 900).await;
            frame_until(client, "step 1 in the frame", "return !!doc.querySelector(\".tl-event.current[data-event='1']\")").await;
            let height = settled_frame_height(client).await;
            assert!(height.fits(), "step 1 fits: {height:?}");
            let first = height.reported;
            save_screenshot(client, "embed-step-1").await;
            for step in [2, 3] {
                in_frame(client, "doc.getElementById('tl-next').click()").await;
                frame_until(
                    client,
                    "the next step",
                    &format!("return !!doc.querySelector(\".tl-event.current[data-event='{step}']\")"),
                )
                .await;
            }
            let height = settled_frame_height(client).await;
            let last = height.reported;
            assert!(last > first + 40.0, "the break list made it taller: {first} → {last}");
            assert!(height.fits(), "step 3 fits: {height:?}");
            save_screenshot(client, "embed-step-3").await;
            // And back: the frame shrinks again.
            in_frame(client, "doc.querySelector('.tl-scroll').focus(); doc.querySelector('.tl-scroll').dispatchEvent(new KeyboardEvent('keydown', {key: 'Home', bubbles: true}))").await;
            frame_until(client, "back at step 1", "return !!doc.querySelector(\".tl-event.current[data-event='1']\")").await;
            let height = settled_frame_height(client).await;
            let (back, frame) = (height.reported, height.frame);
            assert!((back - first).abs() < 1.0 && (frame - back).abs() < 1.0, "back to {first}: {back} {frame}");
        })
        .await;
}

/// A configuration with a long job name and a short one, and several events.
const NAMES: &str = "stages: [build, test]\n\nlint:\n  stage: build\n  script: [echo lint]\n\nintegration-tests-against-postgres-15-and-redis:\n  stage: test\n  script: [echo it]\n";

/// The timeline opens at its first event, even when a break further right would once have
/// scrolled it there, and every column is as wide as its text: nothing cut, nothing far wider.
#[tokio::test]
async fn the_timeline_opens_at_the_first_event_with_columns_sized_to_content() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "timeline-size").await;
    session
        .run(|page| async move {
            let client = &page.client;
            set_viewport(client, (390, 844), "light").await;
            open_small_example(client, &page.origin).await;
            load_example(client).await;
            find(client, ".tl-scroll").await;
            tokio::time::sleep(Duration::from_millis(500)).await;
            let scroll = js(client, "const s = document.querySelector('.tl-scroll'); return [s.scrollLeft, s.scrollWidth > s.clientWidth]").await;
            assert_eq!(scroll, json!([0, true]), "at the first event, with more to the right");
            set_viewport(client, (1440, 900), "light").await;
            // Nothing cut: names, data lines, refs and event labels show whole.
            let cut = || async {
                js(
                    client,
                    "return [...document.querySelectorAll('.tl .jc-name, .tl .data-line, .tl-ref, .tl-child')] \
                       .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.innerText)",
                )
                .await
            };
            assert_eq!(cut().await, json!([]), "nothing cut in the example");

            support::paste_config(client, NAMES).await;
            find(client, ".tl .job-card[data-job='integration-tests-against-postgres-15-and-redis']").await;
            support::wait_until_checked(client).await;
            tokio::time::sleep(Duration::from_millis(300)).await;
            assert_eq!(cut().await, json!([]), "the long name shows whole");
            // Each column is at most a little wider than what it holds.
            let slack = js(
                client,
                "return [...document.querySelectorAll('.tl .job-card')].map(card => { \
                   const name = card.querySelector('.jc-name'); const range = document.createRange(); \
                   range.selectNodeContents(name); \
                   return [card.dataset.job, Math.round(card.getBoundingClientRect().width - range.getBoundingClientRect().width)]; })",
            )
            .await;
            let list = slack.as_array().unwrap();
            assert!(!list.is_empty());
            let long: Vec<i64> = list
                .iter()
                .filter(|p| p[0] == json!("integration-tests-against-postgres-15-and-redis"))
                .map(|p| p[1].as_i64().unwrap())
                .collect();
            assert!(
                !long.is_empty() && long.iter().all(|&s| (30..=80).contains(&s)),
                "the column fits the long name closely: {slack}"
            );
            screenshots_at_three_sizes(client, "timeline-sized", ".timeline").await;
        })
        .await;
}
