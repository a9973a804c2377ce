//! The job drawer (issue 14 item 3) in headless Chromium: a job's details open beside the
//! results with the focus inside, say where the job is defined (the button shows that line in
//! the editor), what it runs, produces and receives, and which values its rules read; Escape
//! closes it and gives focus and scroll back to the job's card. Screenshots at 1440x900,
//! 1024x768 and 390x844, light and dark, in target/e2e-screenshots/drawer-*.png.
//!
//! Needs `dist/` (`trunk build --release`), /usr/bin/chromium and /usr/bin/chromedriver.

mod support;

use std::time::Duration;

use fantoccini::Locator;
use serde_json::{json, Value};
use support::{
    eventually, open_small_example, paste_config, run_js, save_screenshot, setup, wait_for_css,
    Session,
};

/// Two jobs: `build` writes a dotenv report, `test` (line 14) reads it, has a rule on the
/// branch and takes its image from `default:`.
const CONFIG: &str = "stages: [build, test]

default:
  image: ruby:3.3

build:
  stage: build
  script:
    - echo \"VERSION=1.2.3\" > build.env
  artifacts:
    reports:
      dotenv: build.env

test:
  stage: test
  rules:
    - if: $CI_COMMIT_BRANCH == \"feature\"
  needs: [build]
  script: [echo $VERSION]
";
const TEST_LINE: u64 = 14;
const TEST_CARD: &str = ".job-card[data-job='test']";
/// The drawer once the worker has sent the job in full.
const DRAWER: &str = ".job-details[role='region'][aria-busy='false']";
const ESCAPE: &str = "\u{E00C}";

/// Where the drawer and the card are, and what has the focus.
async fn layout(client: &fantoccini::Client) -> Value {
    run_js(
        client,
        &format!(
            "const d = document.querySelector('.job-details'); const c = document.querySelector(\"{TEST_CARD}\"); \
             const r = d.getBoundingClientRect(); const k = c ? c.getBoundingClientRect() : {{ right: -1 }}; \
             return {{ inside: d.contains(document.activeElement), left: r.left, top: r.top, bottom: r.bottom, card_right: k.right, \
                      width: r.width, viewport: innerWidth, height: innerHeight, \
                      sideways: document.documentElement.scrollWidth > innerWidth + 1 }}"
        ),
    )
    .await
}

#[tokio::test]
async fn the_job_drawer_opens_beside_the_job_and_gives_the_focus_back() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "job-drawer").await;
    session
        .run(|page| async move {
            let client = &page.client;
            open_small_example(client, &page.origin).await;
            paste_config(client, CONFIG).await;
            let card = wait_for_css(client, TEST_CARD).await;
            run_js(
                client,
                &format!("document.querySelector(\"{TEST_CARD}\").scrollIntoView({{ block: 'center' }})"),
            )
            .await;
            card.click().await.unwrap();
            let drawer = wait_for_css(client, DRAWER).await;
            let text = drawer.text().await.unwrap();
            // Where it is defined, what it runs (the image from `default:`), what it receives
            // and from which job, and the value its rule read.
            for expected in [
                &format!(".gitlab-ci.yml:{TEST_LINE}")[..],
                "ruby:3.3",
                "echo $VERSION",
                "Values its rules read",
                "$CI_COMMIT_BRANCH",
                "VERSION",
                "build",
            ] {
                assert!(text.contains(expected), "{expected:?} in the drawer: {text}");
            }
            let reads = run_js(client, "return document.querySelector('.jd-reads').innerText").await;
            assert!(
                reads.as_str().is_some_and(|r| r.contains("feature")),
                "the branch the rule read: {reads}"
            );
            // The variable table came from the worker: the job's own variables and the dotenv one.
            let table = run_js(client, "return [...document.querySelectorAll('.job-details table.vars')].map(t => t.innerText).join('\\n')").await;
            let table = table.as_str().unwrap_or_default();
            assert!(table.contains("CI_JOB_NAME") && table.contains("VERSION"), "{table}");

            let opened = layout(client).await;
            assert_eq!(opened["inside"], json!(true), "focus moved into the drawer: {opened}");
            assert!(opened["top"].as_f64() == Some(0.0), "beside the results, from the top: {opened}");
            assert_eq!(opened["sideways"], json!(false), "{opened}");
            let scroll = run_js(client, "return [scrollX, scrollY]").await;

            // Escape closes it; focus and scroll return to the job's card.
            client.active_element().await.unwrap().send_keys(ESCAPE).await.unwrap();
            eventually(Duration::from_secs(5), "the drawer to close", || async {
                client.find(Locator::Css(".job-details")).await.is_err().then_some(())
            })
            .await;
            let back = eventually(Duration::from_secs(5), "focus back on the card", || async {
                let v = run_js(
                    client,
                    &format!("return [document.activeElement.matches(\"{TEST_CARD}\"), [scrollX, scrollY]]"),
                )
                .await;
                (v[0] == json!(true)).then_some(v)
            })
            .await;
            assert_eq!(back[1], scroll, "scroll is where it was: {back}");

            // Open again; the definition's button shows the job's line in the editor.
            // (The card found again: the results may have been redrawn since.)
            wait_for_css(client, TEST_CARD).await.click().await.unwrap();
            wait_for_css(client, DRAWER).await;
            wait_for_css(client, ".jd-locate").await.click().await.unwrap();
            let caret = eventually(Duration::from_secs(5), "the editor at the job's line", || async {
                let v = run_js(
                    client,
                    "const v = pipesimEditor.of(document.getElementById('editor')); \
                     return [v.state.doc.lineAt(v.state.selection.main.head).number, v.hasFocus]",
                )
                .await;
                (v[0] == json!(TEST_LINE)).then_some(v)
            })
            .await;
            assert_eq!(caret[1], json!(true), "the editor has the focus: {caret}");

            // The drawer at three sizes, light and dark (looked at by hand).
            wait_for_css(client, ".jd-close").await;
            for (width, height) in [(1440, 900), (1024, 768), (390, 844)] {
                for scheme in ["light", "dark"] {
                    support::set_viewport(client, (width, height), scheme).await;
                    let at = layout(client).await;
                    assert_eq!(at["sideways"], json!(false), "{width}x{height} {scheme}: {at}");
                    let (w, viewport) = (at["width"].as_f64().unwrap(), at["viewport"].as_f64().unwrap());
                    if width < 600 {
                        assert!((w - viewport).abs() < 1.0, "a full-width sheet on a phone: {at}");
                    } else {
                        assert!(w < viewport * 0.7, "a drawer beside the results: {at}");
                    }
                    if width >= 1280 {
                        // The page makes room: the job picked stays in view beside the drawer.
                        let (card, left) = (at["card_right"].as_f64().unwrap(), at["left"].as_f64().unwrap());
                        assert!(0.0 < card && card <= left + 1.0, "the card beside the drawer: {at}");
                    }
                    save_screenshot(client, &format!("drawer-{width}-{scheme}")).await;
                }
            }

            // What `build` produces: its dotenv report, under `artifacts:`.
            wait_for_css(client, ".job-details .facts .job-link").await.click().await.unwrap();
            let produces = eventually(Duration::from_secs(10), "build's artifacts", || async {
                let v = run_js(
                    client,
                    "const d = document.querySelector(\".job-details[aria-busy='false'] .jd-produces\"); \
                     return d && document.getElementById('job-details-title').innerText.includes('build') ? d.innerText : null",
                )
                .await;
                v.as_str().map(str::to_owned)
            })
            .await;
            assert!(produces.contains("dotenv: build.env"), "{produces}");
        })
        .await;
}
