//! scratch
mod support;

use support::{open_app, run_js as js, save_screenshot, setup, wait_for_css as find, Session};

#[tokio::test]
async fn scratch_look() {
    let Some(setup) = setup() else { return };
    let session = Session::start(&setup, "scratch").await;
    session
        .run(|page| async move {
            let client = &page.client;
            open_app(client, &page.origin).await;
            client.find(fantoccini::Locator::Css(".preset-menu select")).await.unwrap().select_by_value("0").await.unwrap();
            tokio::time::sleep(std::time::Duration::from_secs(3)).await;
            find(client, ".timeline").await;
            js(client, "document.querySelector('.timeline').scrollIntoView()").await;
            save_screenshot(client, "scratch-timeline").await;
            let r = js(client, "const s = document.querySelector('.tl-scroll'); return [s.scrollLeft, s.scrollWidth, s.clientWidth, location.hash.length]").await;
            eprintln!("{r}");
        })
        .await;
}
