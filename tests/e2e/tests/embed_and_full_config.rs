//! The embed's reported height and the Full configuration view, in headless Chromium (issue 14
//! items 8 and 9). Needs `dist/` (`trunk build --release`), chromium and chromedriver.

mod support;

use std::time::Duration;

use fantoccini::Locator;
use serde_json::Value;
use support::{
    eventually, open_small_example, run_js as js, save_screenshot, settled_frame_height, setup,
    wait_for_css as find, Session,
};

/// A frame made from the Embed snippet posts its content's height; sized to it, the frame
/// shows everything without a scrollbar.
#[tokio::test]
async fn an_embed_reports_its_height_and_fits_its_frame() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "embed-height").await;
    session
        .run(|page| async move {
            let client = &page.client;
            open_small_example(client, &page.origin).await;
            // The snippet of the default example, from the Embed menu.
            let embed = client
                .find(Locator::XPath("//button[normalize-space()='Embed']"))
                .await
                .expect("the Embed button");
            embed.click().await.unwrap();
            let snippet = find(client, "#share-embed")
                .await
                .prop("value")
                .await
                .unwrap()
                .unwrap_or_default();
            let src = snippet
                .split("src=\"")
                .nth(1)
                .and_then(|s| s.split('"').next())
                .unwrap_or_else(|| panic!("no src in the snippet: {snippet}"))
                .replace("&amp;", "&");
            assert!(src.contains("&embed"), "{src}");

            // A host page (this origin's blank page) with the README's listener and a small frame.
            client.goto(&format!("{}/404-host.html", page.origin)).await.unwrap();
            js(
                client,
                &format!(
                    r#"document.body.innerHTML = '';
                    window.heights = [];
                    addEventListener("message", (e) => {{
                      if (e.data?.type !== "pipesim:height") return;
                      window.heights.push(e.data.height);
                      for (const frame of document.querySelectorAll("iframe"))
                        if (frame.contentWindow === e.source) frame.style.height = e.data.height + "px";
                    }});
                    const frame = document.createElement("iframe");
                    frame.style.cssText = "width: 900px; height: 150px; border: 0; display: block";
                    frame.src = {src:?};
                    document.body.appendChild(frame);"#
                ),
            )
            .await;
            // The results are drawn (well past the header), then the height settles.
            eventually(Duration::from_secs(30), "the results in the frame", || async {
                let heights = js(client, "return window.heights").await;
                let last = heights.as_array()?.last()?.as_f64()?;
                (last > 200.0).then_some(())
            })
            .await;
            let height = settled_frame_height(client).await;
            assert!(height.reported > 200.0, "the results are in the frame: {height:?}");
            assert!(height.fits(), "the frame took the reported height, no scrollbar: {height:?}");
            save_screenshot(client, "embed-sized-frame").await;
        })
        .await;
}

/// The Full configuration view shows the merged YAML (extends resolved) and the errors when the
/// configuration does not load.
#[tokio::test]
async fn the_full_configuration_view_shows_the_merged_yaml() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "full-config").await;
    session
        .run(|page| async move {
            let client = &page.client;
            open_small_example(client, &page.origin).await;
            // An extends chain, typed into the editor through its API.
            js(
                client,
                r#"const text = ".base:\n  image: alpine\n  script: [echo base]\n\nbuild:\n  extends: .base\n  stage: build\n";
                   const v = pipesimEditor.of(document.getElementById('editor'));
                   v.dispatch({changes: {from: 0, to: v.state.doc.length, insert: text}, userEvent: 'input.paste'});"#,
            )
            .await;
            let tab = client
                .find(Locator::XPath("//button[@role='tab'][normalize-space()='Full configuration']"))
                .await
                .expect("the Full configuration tab");
            tab.click().await.unwrap();
            let yaml = eventually(Duration::from_secs(20), "the merged YAML", || async {
                let text = client
                    .find(Locator::Css(".full-config-yaml"))
                    .await
                    .ok()?
                    .text()
                    .await
                    .ok()?;
                text.contains("build:").then_some(text)
            })
            .await;
            // `build` has what it extends from `.base` (GitLab's merged YAML keeps `extends:`).
            let build = yaml.split("\nbuild:\n").nth(1).unwrap_or_default();
            assert!(build.contains("image: alpine"), "extends resolved: {yaml}");
            for scheme in ["light", "dark"] {
                for (width, height) in [(1440, 900), (1024, 768), (390, 844)] {
                    support::set_viewport(client, (width, height), scheme).await;
                    js(client, "document.querySelector('.full-config').scrollIntoView({block: 'start'})").await;
                    save_screenshot(client, &format!("full-config-{width}-{scheme}")).await;
                }
            }
        })
        .await;
}

/// `test` depends on `build`, which the rules leave out of a push to `feature`: a break with a
/// checked fix pipesim can write into the text (a first rule for `build`). The app's first event is a
/// push to `feature`.
const BROKEN: &str = "build:\n  stage: build\n  rules:\n    - if: $CI_COMMIT_BRANCH == \"release\"\n  script:\n    - echo \"BUILD_VERSION=1.2.3\" > build.env\n  artifacts:\n    reports:\n      dotenv: build.env\n\ntest:\n  stage: test\n  dependencies: [build]\n  script:\n    - echo \"$BUILD_VERSION\"\n";

async fn editor_text(client: &fantoccini::Client) -> String {
    js(
        client,
        "return pipesimEditor.of(document.getElementById('editor')).state.doc.toString()",
    )
    .await
    .as_str()
    .unwrap_or_default()
    .to_owned()
}

/// Issue 14 item 4: the finding points at the `dependencies:` entry, its fix is a diff of the
/// user's own text; Apply changes the file (the break goes), and one Ctrl+Z takes it back.
#[tokio::test]
async fn a_checked_fix_applies_as_one_undo_step() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "apply-fix").await;
    session
        .run(|page| async move {
            let client = &page.client;
            open_small_example(client, &page.origin).await;
            support::paste_config(client, BROKEN).await;
            let finding = find(client, "li.diagnostic[data-code='dependency-not-in-pipeline']").await;
            assert_eq!(finding.attr("data-line").await.unwrap().as_deref(), Some("13"));
            let text = finding.text().await.unwrap();
            assert!(text.contains("See also"), "the rule leaving build out: {text}");
            let diff = find(client, "li.diagnostic[data-code='dependency-not-in-pipeline'] .fix-diff").await;
            let diff = diff.text().await.unwrap();
            assert!(
                diff.contains("+    - if: $CI_COMMIT_BRANCH == \"feature\"\n     - if: $CI_COMMIT_BRANCH == \"release\""),
                "the new rule with the file's own indentation: {diff}"
            );
            let code = find(client, "li.diagnostic[data-code='dependency-not-in-pipeline'] a.code").await;
            assert_eq!(
                code.attr("href").await.unwrap().as_deref(),
                Some("https://docs.gitlab.com/ci/jobs/job_artifacts/")
            );
            for (width, height) in [(1440, 900), (390, 844)] {
                support::set_viewport(client, (width, height), "light").await;
                js(client, "document.querySelector('.fix-diff').scrollIntoView({block: 'center'})").await;
                save_screenshot(client, &format!("fix-diff-{width}")).await;
            }

            find(client, "li.diagnostic[data-code='dependency-not-in-pipeline'] .fix-apply")
                .await
                .click()
                .await
                .unwrap();
            let applied = eventually(Duration::from_secs(10), "the fix in the editor", || async {
                let text = editor_text(client).await;
                text.contains("    - if: $CI_COMMIT_BRANCH == \"feature\"\n    - if: $CI_COMMIT_BRANCH == \"release\"")
                    .then_some(text)
            })
            .await;
            assert_eq!(applied.lines().count(), BROKEN.lines().count() + 1, "{applied}");
            eventually(Duration::from_secs(20), "the break gone", || async {
                let left = js(
                    client,
                    "return document.querySelectorAll(\"#status[data-checked='true']\").length === 1 && \
                     document.querySelectorAll(\"li.diagnostic[data-code='dependency-not-in-pipeline']\").length === 0",
                )
                .await;
                (left == Value::Bool(true)).then_some(())
            })
            .await;

            // One undo step takes the whole fix back.
            js(client, "pipesimEditor.of(document.getElementById('editor')).focus()").await;
            client
                .find(Locator::Css("#editor"))
                .await
                .unwrap()
                .send_keys("\u{E009}z\u{E000}")
                .await
                .unwrap();
            let undone = eventually(Duration::from_secs(10), "the fix undone", || async {
                let text = editor_text(client).await;
                (text == BROKEN).then_some(text)
            })
            .await;
            assert_eq!(undone, BROKEN);
        })
        .await;
}
