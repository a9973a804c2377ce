//! The pipeline graph (issue 14 item 8) in headless Chromium: stage columns of job cards with
//! the needs lines between the right cards, parallel jobs grouped as GitLab groups them,
//! hovering or focusing a job highlights exactly its needs chain and dims the rest, long names
//! truncate with the full name as a tooltip, and a 1,000-job pipeline draws only what is in
//! view and scrolls. Screenshots at 1440x900, 1024x768 and 390x844, light and dark, in
//! target/e2e-screenshots/graph-*.png.
//!
//! Needs `dist/` (`trunk build --release`), /usr/bin/chromium and /usr/bin/chromedriver.

mod support;

use std::time::Duration;

use fantoccini::actions::{InputSource, MouseActions, PointerAction};
use fantoccini::Locator;
use serde_json::{json, Value};
use support::{
    eventually, open_small_example, paste_config, run_js, screenshots_at_three_sizes, setup,
    wait_for_css, Session,
};

const LONG: &str = "integration-tests-against-the-staging-database-cluster";

fn config() -> String {
    format!(
        "stages: [build, test, deploy]
build:
  stage: build
  parallel: 3
  script: [make]
lint:
  stage: build
  script: [lint]
unit:
  stage: test
  needs: [build]
  script: [test]
{LONG}:
  stage: test
  script: [test]
package:
  stage: deploy
  needs: [unit]
  script: [package]
docs:
  stage: deploy
  needs: [lint]
  script: [docs]
"
    )
}

/// The needs lines drawn, as "from>to", sorted.
async fn lines(client: &fantoccini::Client) -> Value {
    run_js(
        client,
        "return [...document.querySelectorAll('.need-line')].map(l => l.dataset.from + '>' + l.dataset.to).sort()",
    )
    .await
}

/// (highlighted cards, dimmed cards, highlighted lines), each sorted.
async fn highlight(client: &fantoccini::Client) -> Value {
    run_js(
        client,
        "const name = g => { const b = g.querySelector('button'); return b.dataset.job || b.dataset.group; }; \
         return [[...document.querySelectorAll('.gnode.chain')].map(name).sort(), \
                 [...document.querySelectorAll('.gnode.dim')].map(name).sort(), \
                 [...document.querySelectorAll('.need-line.on')].map(l => l.dataset.from + '>' + l.dataset.to).sort()]",
    )
    .await
}

async fn hover(client: &fantoccini::Client, css: &str) {
    let element = wait_for_css(client, css).await;
    client
        .perform_actions(
            MouseActions::new("mouse".into()).then(PointerAction::MoveToElement {
                element,
                duration: Some(Duration::from_millis(50)),
                x: 0.0,
                y: 0.0,
            }),
        )
        .await
        .unwrap();
}

#[tokio::test]
async fn the_graph_draws_needs_and_highlights_the_chain() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "graph").await;
    session
        .run(|page| async move {
            let client = &page.client;
            open_small_example(client, &page.origin).await;
            paste_config(client, &config()).await;
            wait_for_css(client, ".gnode [data-job='package']").await;

            // Columns by stage, `build 1/3`..`3/3` as one card of 3 (GitLab's job groups).
            let heads = run_js(client, "return [...document.querySelectorAll('.graph-head')].map(h => h.textContent)").await;
            assert_eq!(heads, json!(["build", "test", "deploy"]));
            let group = wait_for_css(client, ".job-group[data-group='build']").await;
            assert_eq!(group.find(Locator::Css(".group-size")).await.unwrap().text().await.unwrap(), "3");
            assert_eq!(
                lines(client).await,
                json!(["build>unit", "lint>docs", "unit>package"]),
                "one line per need, between the right cards"
            );

            // Hover: the job and all it needs, transitively, and the lines between them.
            hover(client, ".gnode [data-job='package']").await;
            let expected = json!([
                ["build", "package", "unit"],
                ["docs", LONG, "lint"],
                ["build>unit", "unit>package"]
            ]);
            eventually(Duration::from_secs(5), "the chain of package", || async {
                (highlight(client).await == expected).then_some(())
            })
            .await;
            // The dimming fades in (a 0.15 s transition), so its opacity is read once it settles.
            eventually(Duration::from_secs(5), "the other cards dimmed", || async {
                let dimmed = run_js(client, "return getComputedStyle(document.querySelector('.gnode.dim')).opacity").await;
                dimmed.as_str().and_then(|o| o.parse::<f64>().ok()).is_some_and(|o| o < 0.5).then_some(())
            })
            .await;
            // The screenshots show the chain of the focused card (a resize moves the pointer
            // off the card).
            run_js(client, "document.querySelector(\".gnode [data-job='package']\").focus()").await;
            screenshots_at_three_sizes(client, "graph-chain", ".graph-scroll").await;
            run_js(client, "document.activeElement.blur()").await;

            // Away: nothing dimmed.
            hover(client, "#results-title").await;
            eventually(Duration::from_secs(5), "no highlight", || async {
                (highlight(client).await == json!([[], [], []])).then_some(())
            })
            .await;

            // Keyboard: a card is a button; focus shows the chain as hover does; Tab goes to
            // the next card, the arrows move within and across columns.
            run_js(client, "document.querySelector(\".gnode [data-job='docs']\").focus()").await;
            eventually(Duration::from_secs(5), "the chain of docs", || async {
                (highlight(client).await.get(0) == Some(&json!(["docs", "lint"]))).then_some(())
            })
            .await;
            let focused = || async {
                run_js(client, "const b = document.activeElement; return [b.tagName, b.dataset.job || b.dataset.group || '']").await
            };
            client.active_element().await.unwrap().send_keys("\u{E013}").await.unwrap(); // ArrowUp
            assert_eq!(focused().await, json!(["BUTTON", "package"]));
            client.active_element().await.unwrap().send_keys("\u{E012}").await.unwrap(); // ArrowLeft
            assert_eq!(focused().await, json!(["BUTTON", "unit"]));
            client.active_element().await.unwrap().send_keys("\u{E004}").await.unwrap(); // Tab
            assert_eq!(focused().await, json!(["BUTTON", LONG]));

            // A name too long for its card is cut, and the card's tooltip holds it whole.
            let cut = run_js(
                client,
                &format!("const b = document.querySelector(\".gnode [data-job='{LONG}']\"); const n = b.querySelector('.jc-name'); \
                          return [b.title, n.scrollWidth > n.clientWidth]"),
            )
            .await;
            assert_eq!(cut, json!([LONG, true]));

            // The group opens the list of its jobs; each is a job card that opens the drawer.
            group.click().await.unwrap();
            let jobs = wait_for_css(client, ".group-jobs").await;
            let names = run_js(client, "return [...document.querySelectorAll('.group-jobs .job-card')].map(b => b.dataset.job)").await;
            assert_eq!(names, json!(["build 1/3", "build 2/3", "build 3/3"]));
            jobs.find(Locator::Css(".job-card")).await.unwrap().click().await.unwrap();
            wait_for_css(client, ".job-details").await;
            client.active_element().await.unwrap().send_keys("\u{E00C}").await.unwrap();

            // The Needs tab (a share link's `view=needs`): columns by needs layers.
            client.find(Locator::Css("#view-tab-1")).await.unwrap().click().await.unwrap();
            eventually(Duration::from_secs(5), "the layers", || async {
                let v = run_js(client, "return document.querySelectorAll('.graph-head').length").await;
                (v == json!(0)).then_some(())
            })
            .await;
            // Layer 0 holds build, lint and the long-named job (no needs? it waits for stage
            // build: layer 1); unit in layer 1, package in layer 2.
            let layer_of = run_js(
                client,
                "const x = n => parseInt(document.querySelector(`[data-job='${n}'], [data-group='${n}']`).closest('.gnode').style.left); \
                 return ['build', 'lint', 'unit', 'package', 'docs'].map(x)",
            )
            .await;
            let x: Vec<i64> = layer_of.as_array().unwrap().iter().map(|v| v.as_i64().unwrap()).collect();
            assert!(x[0] == x[1] && x[2] > x[0] && x[3] > x[2] && x[4] > x[1], "{x:?}");
            assert_eq!(lines(client).await, json!(["build>unit", "lint>docs", "unit>package"]));
            screenshots_at_three_sizes(client, "graph-needs", ".graph-scroll").await;
        })
        .await;
}

#[tokio::test]
async fn a_thousand_jobs_draw_what_is_in_view_and_scroll() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "graph-1000").await;
    session
        .run(|page| async move {
            let client = &page.client;
            open_small_example(client, &page.origin).await;
            let mut yaml = String::from("stages: [build, test, deploy]\n");
            for i in 0..1000 {
                let stage = ["build", "test", "deploy"][i % 3];
                yaml += &format!("job-{i}-with-a-name-long-enough-to-be-cut:\n  stage: {stage}\n  script: [make {i}]\n");
                if i % 3 != 0 {
                    yaml += &format!("  needs: [job-{}-with-a-name-long-enough-to-be-cut]\n", i - 1);
                }
            }
            paste_config(client, &yaml).await;
            let graph = "document.querySelector('.graph-scroll')";
            eventually(Duration::from_secs(60), "the 1,000-job graph", || async {
                let n = run_js(client, &format!("const g = {graph}; return g ? Number(g.dataset.jobs) : 0")).await;
                (n == json!(1000)).then_some(())
            })
            .await;
            let drawn = || async {
                run_js(client, &format!("return [{graph}.querySelectorAll('.gnode').length, {graph}.querySelectorAll('.need-line').length]")).await
            };
            let first = drawn().await;
            assert!(first[0].as_u64().unwrap() < 200, "only what is in view is drawn: {first}");
            let boxed = run_js(client, &format!("const g = {graph}; return [g.scrollHeight > g.clientHeight, g.clientHeight <= innerHeight]")).await;
            assert_eq!(boxed, json!([true, true]), "the columns scroll in their own box");
            screenshots_at_three_sizes(client, "graph-1000", ".graph-scroll").await;

            // Scrolled to the end: the last jobs are drawn, still only a screenful.
            run_js(client, &format!("const g = {graph}; g.scrollTop = g.scrollHeight;")).await;
            let last = wait_for_css(client, ".gnode [data-job='job-999-with-a-name-long-enough-to-be-cut']").await;
            assert_eq!(last.attr("title").await.unwrap().as_deref(), Some("job-999-with-a-name-long-enough-to-be-cut"));
            let after = drawn().await;
            assert!(after[0].as_u64().unwrap() < 200, "{after}");
            assert!(after[1].as_u64().unwrap() > 0, "the lines in view: {after}");
            assert_eq!(
                run_js(client, "return document.querySelectorAll(\".gnode [data-job='job-0-with-a-name-long-enough-to-be-cut']\").length").await,
                json!(0),
                "the first jobs are no longer drawn"
            );
            // Tab from the last card of a column goes on to the next column's first, drawn
            // when it is needed.
            run_js(client, "document.querySelector(\".gnode [data-job='job-999-with-a-name-long-enough-to-be-cut']\").focus()").await;
            client.active_element().await.unwrap().send_keys("\u{E004}").await.unwrap();
            let next = eventually(Duration::from_secs(5), "the next card focused", || async {
                let v = run_js(client, "return document.activeElement.dataset.job || ''").await;
                (v != json!("job-999-with-a-name-long-enough-to-be-cut")).then_some(v)
            })
            .await;
            assert_eq!(next, json!("job-1-with-a-name-long-enough-to-be-cut"));
        })
        .await;
}

/// Typing in the editor draws the editor, not the results: the graph's props (the results,
/// the selection) do not change until the worker answers, so Yew leaves it alone.
#[tokio::test]
async fn typing_does_not_redraw_the_graph() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "graph-typing").await;
    session
        .run(|page| async move {
            let client = &page.client;
            open_small_example(client, &page.origin).await;
            paste_config(client, &config()).await;
            wait_for_css(client, ".gnode [data-job='package']").await;
            support::wait_until_checked(client).await;
            tokio::time::sleep(Duration::from_millis(800)).await;
            let renders = "return Number(document.querySelector('.graph-scroll').dataset.renders)";
            let before = run_js(client, renders).await;
            let run = "return Number((document.querySelector('.sim-time') || { dataset: {} }).dataset.simRun || 0)";
            let run_before = run_js(client, run).await;
            // Three keys at once at the end of the text, read back before the debounce ends.
            run_js(
                client,
                "const v = pipesimEditor.of(document.getElementById('editor')); v.focus(); \
                 v.dispatch({ selection: { anchor: v.state.doc.length } });",
            )
            .await;
            client
                .active_element()
                .await
                .unwrap()
                .send_keys("#ab")
                .await
                .unwrap();
            let during = run_js(client, renders).await;
            assert_eq!(before, during, "a keystroke does not draw the graph again");
            // Nor does the answer to it: a comment changes nothing the graph shows, and the
            // worker's answer says so instead of sending the results again (wire.rs).
            let answered = || async {
                let now = run_js(client, run).await;
                (now.as_u64() > run_before.as_u64()).then_some(())
            };
            support::eventually(Duration::from_secs(20), "the answer to the comment", answered).await;
            support::wait_until_checked(client).await;
            let after = run_js(client, renders).await;
            assert_eq!(before, after, "an answer that changes nothing does not draw the graph again");
            // An edit the graph shows (a job moves to another stage) draws it again.
            run_js(
                client,
                "const v = pipesimEditor.of(document.getElementById('editor')); \
                 const at = v.state.doc.toString().indexOf('stage: deploy\\n  needs: [lint]'); \
                 v.dispatch({ changes: { from: at, to: at + 'stage: deploy'.length, insert: 'stage: test' } });",
            )
            .await;
            let moved = || async {
                let now = run_js(client, renders).await;
                (now.as_u64() > before.as_u64()).then_some(())
            };
            support::eventually(Duration::from_secs(20), "the graph drawn again", moved).await;
        })
        .await;
}
