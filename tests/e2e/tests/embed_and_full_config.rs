//! The embed's reported height and the Full configuration view, in headless Chromium (issue 14
//! items 8 and 9). Needs `dist/` (`trunk build --release`), chromium and chromedriver.

mod support;

use std::time::Duration;

use fantoccini::Locator;
use serde_json::Value;
use support::{
    eventually, open_app, run_js as js, save_screenshot, setup, wait_for_css as find, Session,
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
            open_app(client, &page.origin).await;
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
            let height = eventually(Duration::from_secs(30), "a settled height", || async {
                let heights = js(client, "return window.heights").await;
                let list: Vec<f64> = heights
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(Value::as_f64)
                    .collect();
                // Settled: the results are drawn (well past the header) and the last message
                // is a second old.
                let last = *list.last()?;
                (last > 200.0).then_some(last)
            })
            .await;
            tokio::time::sleep(Duration::from_millis(1500)).await;
            let sized = js(
                client,
                "const f = document.querySelector('iframe'); const d = f.contentDocument.documentElement; \
                 return [f.getBoundingClientRect().height, d.scrollHeight, d.clientHeight, window.heights.at(-1)]",
            )
            .await;
            let v: Vec<f64> = sized
                .as_array()
                .unwrap()
                .iter()
                .map(|x| x.as_f64().unwrap_or_default())
                .collect();
            let (frame, content, viewport, last) = (v[0], v[1], v[2], v[3]);
            assert!(last >= height, "the height only grew as the results came: {v:?}");
            assert!((frame - last).abs() < 1.0, "the frame took the reported height: {v:?}");
            assert!(
                content <= viewport + 1.0,
                "no scrollbar inside the sized frame: {v:?}"
            );
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
            open_app(client, &page.origin).await;
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
            assert!(yaml.contains("image: alpine"), "extends resolved: {yaml}");
            assert!(!yaml.contains("extends:"), "{yaml}");
            for scheme in ["light", "dark"] {
                support::cdp(
                    client,
                    "Emulation.setEmulatedMedia",
                    serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
                )
                .await;
                for (width, height) in [(1440, 900), (1024, 768), (390, 844)] {
                    support::cdp(
                        client,
                        "Emulation.setDeviceMetricsOverride",
                        serde_json::json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500 }),
                    )
                    .await;
                    save_screenshot(client, &format!("full-config-{width}-{scheme}")).await;
                }
            }
        })
        .await;
}
