//! Test harness: a static file server for `dist/`, a private chromedriver, and a headless
//! Chromium session with a fresh profile. Nothing is built or downloaded here.

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Component, Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fantoccini::wd::WebDriverCompatibleCommand;
use fantoccini::{Client, ClientBuilder};
use serde_json::{json, Value};

/// Where the built app, the browser and its driver are, from the environment or the defaults.
pub struct Setup {
    pub dist: PathBuf,
    pub chromium: PathBuf,
    pub chromedriver: PathBuf,
}

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Where the tests write screenshots and measured figures: under `target/` (never tracked
/// files; the README's images live in docs/images/ and are updated on purpose). The
/// environment variable `CARGO_TARGET_DIR` is followed when set.
pub fn screenshots_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"));
    target.join("e2e-screenshots")
}

fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false" && v != "0")
}

/// Finds what the tests need. When something is missing, CI fails with the reason; a developer
/// without a browser gets the same reason printed and the test passes without running.
pub fn setup() -> Option<Setup> {
    let dist = std::env::var_os("PIPESIM_DIST")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("dist"));
    let chromium = std::env::var_os("CHROMIUM")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromium".into());
    let chromedriver = std::env::var_os("CHROMEDRIVER")
        .map(PathBuf::from)
        .unwrap_or_else(|| "/usr/bin/chromedriver".into());

    let mut missing = Vec::new();
    if !dist.join("index.html").is_file() {
        missing.push(format!(
            "{} has no index.html: run `trunk build --release` first (or set PIPESIM_DIST)",
            dist.display()
        ));
    }
    for (what, path) in [("chromium", &chromium), ("chromedriver", &chromedriver)] {
        if !path.is_file() {
            missing.push(format!(
                "{what} not found at {} (install with `bash scripts/install-tools.sh`, or set {})",
                path.display(),
                what.to_uppercase()
            ));
        }
    }
    if missing.is_empty() {
        return Some(Setup {
            dist,
            chromium,
            chromedriver,
        });
    }
    let message = format!(
        "end-to-end test cannot run:\n  - {}",
        missing.join("\n  - ")
    );
    if in_ci() {
        panic!("{message}");
    }
    eprintln!("SKIPPED (CI is not set): {message}");
    None
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("no free port on 127.0.0.1")
        .port()
}

fn temp_dir(label: &str) -> PathBuf {
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let n = COUNTER.fetch_add(1, Ordering::SeqCst);
    let dir = std::env::temp_dir().join(format!("pipesim-e2e-{}-{label}-{n}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create temp dir");
    dir
}

// ---------------------------------------------------------------------------------------------
// Static server

/// Serves a directory over HTTP/1.1 on 127.0.0.1 (one thread per connection, `Connection:
/// close`), and remembers every path it was asked for.
pub struct StaticServer {
    pub origin: String,
    pub requests: Arc<Mutex<Vec<String>>>,
    stop: Arc<AtomicBool>,
    port: u16,
}

impl StaticServer {
    pub fn start(root: &Path) -> StaticServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind static server");
        let port = listener.local_addr().unwrap().port();
        let stop = Arc::new(AtomicBool::new(false));
        let requests = Arc::new(Mutex::new(Vec::new()));
        let root = root.to_path_buf();
        {
            let stop = stop.clone();
            let requests = requests.clone();
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    let Ok(stream) = stream else { continue };
                    let root = root.clone();
                    let requests = requests.clone();
                    std::thread::spawn(move || {
                        let _ = serve_one(stream, &root, &requests);
                    });
                }
            });
        }
        StaticServer {
            origin: format!("http://127.0.0.1:{port}"),
            requests,
            stop,
            port,
        }
    }
}

impl Drop for StaticServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wakes the blocking accept() so that the thread sees the flag.
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn serve_one(stream: TcpStream, root: &Path, requests: &Mutex<Vec<String>>) -> std::io::Result<()> {
    stream.set_read_timeout(Some(Duration::from_secs(10)))?;
    let mut reader = BufReader::new(stream.try_clone()?);
    let mut request_line = String::new();
    reader.read_line(&mut request_line)?;
    // Drain the headers; the server needs none of them.
    let mut header = String::new();
    while reader.read_line(&mut header)? > 2 {
        header.clear();
    }
    let mut parts = request_line.split_whitespace();
    let method = parts.next().unwrap_or("");
    let target = parts.next().unwrap_or("/");
    let path = target.split(['?', '#']).next().unwrap_or("/");
    requests.lock().unwrap().push(path.to_owned());

    let mut stream = stream;
    let (status, content_type, body) = match (method, resolve(root, path)) {
        ("GET" | "HEAD", Some(file)) => match std::fs::read(&file) {
            Ok(body) => ("200 OK", content_type(&file), body),
            Err(_) => ("404 Not Found", "text/plain", b"not found".to_vec()),
        },
        ("GET" | "HEAD", None) => ("404 Not Found", "text/plain", b"not found".to_vec()),
        _ => (
            "405 Method Not Allowed",
            "text/plain",
            b"method not allowed".to_vec(),
        ),
    };
    write!(
        stream,
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\n\
         Cache-Control: no-store\r\nConnection: close\r\n\r\n",
        body.len()
    )?;
    if method != "HEAD" {
        stream.write_all(&body)?;
    }
    stream.flush()?;
    let _ = stream.shutdown(Shutdown::Write);
    // Let the client see the whole response before the socket closes.
    let _ = reader.read_to_end(&mut Vec::new());
    Ok(())
}

/// Maps a URL path to a file under `root`; refuses anything that could step outside it.
fn resolve(root: &Path, path: &str) -> Option<PathBuf> {
    let relative = path.trim_start_matches('/');
    let relative = if relative.is_empty() {
        "index.html"
    } else {
        relative
    };
    let relative = Path::new(relative);
    if relative
        .components()
        .any(|c| !matches!(c, Component::Normal(_)))
    {
        return None;
    }
    let file = root.join(relative);
    file.is_file().then_some(file)
}

fn content_type(file: &Path) -> &'static str {
    match file.extension().and_then(|e| e.to_str()).unwrap_or("") {
        "html" => "text/html; charset=utf-8",
        "js" | "mjs" => "text/javascript; charset=utf-8",
        // instantiateStreaming refuses wasm served with any other type.
        "wasm" => "application/wasm",
        "css" => "text/css; charset=utf-8",
        "svg" => "image/svg+xml",
        "png" => "image/png",
        "ico" => "image/x-icon",
        "json" => "application/json",
        _ => "application/octet-stream",
    }
}

// ---------------------------------------------------------------------------------------------
// Browser

/// A chromedriver process of our own, killed on drop.
pub struct Driver {
    child: Child,
    pub url: String,
    pub log: PathBuf,
}

impl Driver {
    pub fn start(setup: &Setup, work: &Path) -> Driver {
        let port = free_port();
        let log = work.join("chromedriver.log");
        let child = Command::new(&setup.chromedriver)
            .arg(format!("--port={port}"))
            .arg(format!("--log-path={}", log.display()))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {}: {e}", setup.chromedriver.display()));
        let driver = Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            log,
        };
        // Ready when chromedriver says it listens and the port answers. The port alone is not
        // enough: between `free_port` letting it go and chromedriver binding it, another test's
        // `free_port` can hold the same port for a moment, and a connect to that succeeds.
        let deadline = Instant::now() + Duration::from_secs(20);
        let started = || {
            std::fs::read_to_string(&driver.log)
                .is_ok_and(|text| text.contains("was started successfully"))
        };
        while !started() || TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                Instant::now() < deadline,
                "chromedriver did not listen on port {port} within 20 s (log: {})",
                driver.log.display()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        driver
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Everything one test needs: the app served on its own origin and a browser pointed at it.
pub struct Session {
    pub client: Client,
    pub server: StaticServer,
    driver: Driver,
    work: PathBuf,
}

impl Session {
    pub async fn start(setup: &Setup, label: &str) -> Session {
        Session::start_with(setup, label, &[]).await
    }

    /// [`Session::start`] with more Chromium arguments.
    pub async fn start_with(setup: &Setup, label: &str, extra: &[&str]) -> Session {
        let work = temp_dir(label);
        let server = StaticServer::start(&setup.dist);
        let driver = Driver::start(setup, &work);
        let profile = work.join("profile");
        let mut args: Vec<String> = [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            // A safety net: whatever the page asks for, no host resolves but 127.0.0.1.
            "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            "--window-size=1280,800",
        ]
        .map(String::from)
        .to_vec();
        args.extend(extra.iter().map(|a| a.to_string()));
        args.push(format!("--user-data-dir={}", profile.display()));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": setup.chromium,
                "args": args,
            },
            // Every request the page makes, and the console, for the same-origin check.
            "goog:loggingPrefs": { "performance": "ALL", "browser": "ALL" },
        });
        let caps = caps.as_object().unwrap().clone();
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url)
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot start headless Chromium through chromedriver: {e} (log: {})",
                    driver.log.display()
                )
            });
        // The window size includes browser chrome in some headless modes; screenshots want an
        // exact viewport.
        cdp(
            &client,
            "Emulation.setDeviceMetricsOverride",
            json!({ "width": 1280, "height": 800, "deviceScaleFactor": 1, "mobile": false }),
        )
        .await;
        Session {
            client,
            server,
            driver,
            work,
        }
    }

    /// Runs `body` with the browser, then always closes the browser (also when `body` panics,
    /// which would otherwise leave Chromium running), and re-raises the panic.
    pub async fn run<F, Fut>(self, body: F)
    where
        F: FnOnce(Page) -> Fut,
        Fut: std::future::Future<Output = ()> + Send + 'static,
    {
        let page = Page {
            client: self.client.clone(),
            origin: self.server.origin.clone(),
            served: self.server.requests.clone(),
        };
        let outcome = tokio::spawn(body(page)).await;
        let _ = self.client.clone().close().await;
        drop(self.driver);
        let _ = std::fs::remove_dir_all(&self.work);
        if let Err(e) = outcome {
            std::panic::resume_unwind(e.into_panic());
        }
    }
}

/// What a test body gets: the browser, the app's origin, and the paths the server has served.
#[derive(Clone)]
pub struct Page {
    pub client: Client,
    pub origin: String,
    pub served: Arc<Mutex<Vec<String>>>,
}

impl Page {
    pub fn served(&self) -> Vec<String> {
        self.served.lock().unwrap().clone()
    }
}

/// A chromedriver-specific endpoint under `/session/{id}/`.
#[derive(Debug)]
struct SessionCommand {
    path: &'static str,
    body: Value,
}

impl WebDriverCompatibleCommand for SessionCommand {
    fn endpoint(
        &self,
        base: &url::Url,
        session: Option<&str>,
    ) -> Result<url::Url, url::ParseError> {
        base.join(&format!(
            "session/{}/{}",
            session.unwrap_or_default(),
            self.path
        ))
    }

    fn method_and_body(&self, _: &url::Url) -> (http::Method, Option<String>) {
        (http::Method::POST, Some(self.body.to_string()))
    }
}

/// Runs a Chrome DevTools Protocol command through chromedriver.
pub async fn cdp(client: &Client, cmd: &'static str, params: Value) -> Value {
    client
        .issue_cmd(SessionCommand {
            path: "goog/cdp/execute",
            body: json!({ "cmd": cmd, "params": params }),
        })
        .await
        .unwrap_or_else(|e| panic!("CDP {cmd} failed: {e}"))
}

/// Drains one of chromedriver's logs ("performance" or "browser").
pub async fn log_entries(client: &Client, kind: &str) -> Vec<Value> {
    let entries = client
        .issue_cmd(SessionCommand {
            path: "se/log",
            body: json!({ "type": kind }),
        })
        .await
        .unwrap_or_else(|e| panic!("reading the {kind} log failed: {e}"));
    entries.as_array().cloned().unwrap_or_default()
}

/// Every URL the tab asked for from the moment it navigated to `origin`, from the DevTools
/// network events in the performance log (this sees what the Performance API misses:
/// websockets, failed and blocked requests). What Chromium's own start page loaded in the same
/// tab before that is not the app's doing.
pub async fn requested_urls(client: &Client, origin: &str) -> Vec<String> {
    let mut tab: Option<String> = None;
    let mut urls = Vec::new();
    for entry in log_entries(client, "performance").await {
        let Some(message) = entry["message"].as_str() else {
            continue;
        };
        let Ok(message) = serde_json::from_str::<Value>(message) else {
            continue;
        };
        let webview = message["webview"].as_str().unwrap_or_default();
        let event = &message["message"];
        let url = match event["method"].as_str() {
            Some("Network.requestWillBeSent") => event["params"]["request"]["url"].as_str(),
            Some("Network.webSocketCreated") => event["params"]["url"].as_str(),
            _ => None,
        };
        let Some(url) = url else { continue };
        if tab.is_none() && url.starts_with(origin) {
            tab = Some(webview.to_owned());
        }
        if tab.as_deref() == Some(webview) {
            urls.push(url.to_owned());
        }
    }
    urls
}

pub async fn save_screenshot(client: &Client, name: &str) -> PathBuf {
    let png = client.screenshot().await.expect("screenshot");
    write_output(&format!("{name}.png"), png)
}

/// Writes one of the tests' outputs (a screenshot, figures, a profile) under `target/`.
pub fn write_output(name: &str, contents: impl AsRef<[u8]>) -> PathBuf {
    let dir = screenshots_dir();
    std::fs::create_dir_all(&dir).expect("create screenshots dir");
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
    path
}

/// Polls `check` every 50 ms until it returns `Some`, or panics after `timeout` with `what`.
pub async fn eventually<T, F, Fut>(timeout: Duration, what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(
            Instant::now() < deadline,
            "timed out after {timeout:?} waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

// ---- Helpers of tests/e2e/tests/views.rs (the results views, quicker scenarios, several
// projects), shaped like their namesakes in web.rs. ----------------------------------------

/// Runs `script` in the page and returns its value.
#[allow(dead_code)]
pub async fn run_js(client: &Client, script: &str) -> Value {
    client
        .execute(script, vec![])
        .await
        .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"))
}

/// Waits until the verdict is for what is on screen (the simulation worker has answered).
#[allow(dead_code)]
pub async fn wait_until_checked(client: &Client) {
    client
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(fantoccini::Locator::Css("#status[data-checked='true']"))
        .await
        .expect("the app did not show a checked #status within 30 s");
}

/// Waits up to 15 s for an element matching `css`.
#[allow(dead_code)]
pub async fn wait_for_css(client: &Client, css: &str) -> fantoccini::elements::Element {
    let css = css.to_owned();
    eventually(Duration::from_secs(15), &css.clone(), || {
        let css = css.clone();
        async move { client.find(fantoccini::Locator::Css(&css)).await.ok() }
    })
    .await
}

/// The text of every element matching `css`, joined by newlines.
#[allow(dead_code)]
pub async fn texts_of(client: &Client, css: &str) -> String {
    let script = format!(
        "return [...document.querySelectorAll({})].map(e => e.innerText).join('\\n')",
        serde_json::to_string(css).unwrap()
    );
    run_js(client, &script)
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

/// Screenshots of the page as it is at 1440x900, 1024x768 and 390x844, light and dark
/// (`<name>-<width>-<light|dark>.png`); `before` runs after each resize (e.g. to scroll
/// something into view). The window is left at 1440x900, light.
#[allow(dead_code)]
pub async fn screenshots_at_three_sizes(client: &Client, name: &str, scroll_to: &str) {
    for scheme in ["light", "dark"] {
        cdp(
            client,
            "Emulation.setEmulatedMedia",
            serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
        )
        .await;
        for (width, height, mobile) in [(1440, 900, false), (1024, 768, false), (390, 844, true)] {
            cdp(
                client,
                "Emulation.setDeviceMetricsOverride",
                serde_json::json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile }),
            )
            .await;
            tokio::time::sleep(Duration::from_millis(250)).await;
            if !scroll_to.is_empty() {
                let script = format!(
                    "const e = document.querySelector({}); if (e) e.scrollIntoView({{block: 'start'}});",
                    serde_json::to_string(scroll_to).unwrap()
                );
                run_js(client, &script).await;
            }
            let wide = run_js(client, "return document.documentElement.scrollWidth").await;
            assert!(
                wide.as_u64().is_some_and(|w| w <= width),
                "{name}: no horizontal scrolling at {width} px (page is {wide} px wide)"
            );
            save_screenshot(client, &format!("{name}-{width}-{scheme}")).await;
        }
    }
    cdp(
        client,
        "Emulation.setEmulatedMedia",
        serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": "light" }] }),
    )
    .await;
    cdp(
        client,
        "Emulation.setDeviceMetricsOverride",
        serde_json::json!({ "width": 1440, "height": 900, "deviceScaleFactor": 1, "mobile": false }),
    )
    .await;
}

// ---- The tests' start state, and helpers of job_drawer.rs and embed_and_full_config.rs. ----

/// The small example of web/src/lib.rs (`EXAMPLE`), read from the source: a build job with
/// artifacts and a test job with rules.
pub fn small_example() -> String {
    let source = include_str!("../../../../web/src/lib.rs");
    let start = source
        .find("pub const EXAMPLE: &str = \"\\\n")
        .expect("EXAMPLE in web/src/lib.rs");
    let body = &source[start..];
    let body = &body[body.find('\n').unwrap() + 1..];
    let end = body.find("\";\n").expect("the end of EXAMPLE");
    body[..end].replace("\\\"", "\"")
}

/// The address (without `#`) of the small example, as the app itself wrote it: made once per
/// test binary, then reused by every session.
static SMALL_EXAMPLE_LINK: std::sync::OnceLock<String> = std::sync::OnceLock::new();

/// Makes the small example's link the way a user would: "New" (one push to `feature`, the
/// Pipelines view), the example pasted, and the address the app writes once typing pauses
/// (the same as its autosave).
async fn small_example_link(client: &Client, origin: &str) -> String {
    client
        .goto(&format!("{origin}/"))
        .await
        .expect("open the app");
    wait_until_checked(client).await;
    wait_for_css(client, ".new-workspace")
        .await
        .click()
        .await
        .expect("New");
    let address = "return [location.hash.slice(1), localStorage.getItem('pipesim-autosave')]";
    let blank = eventually(Duration::from_secs(10), "New's address", || async {
        let v = run_js(client, address).await;
        let hash = v[0].as_str().unwrap_or_default().to_owned();
        (hash.starts_with("v1.") && v[1] == v[0]).then_some(hash)
    })
    .await;
    paste_config(client, &small_example()).await;
    eventually(
        Duration::from_secs(15),
        "the small example's address",
        || async {
            let v = run_js(client, address).await;
            let hash = v[0].as_str().unwrap_or_default().to_owned();
            (hash.starts_with("v1.") && hash != blank && v[1] == v[0]).then_some(hash)
        },
    )
    .await
}

/// Opens the app on the small example (web/src/lib.rs `EXAMPLE`) on the Pipelines view with
/// one push to `feature`, nothing edited and nothing saved in the browser: through a link the
/// app's own encoder wrote (see [`small_example_link`]). A first visit opens the seed example
/// instead; the tests written against this start say so by calling this.
pub async fn open_small_example(client: &Client, origin: &str) {
    let fragment = match SMALL_EXAMPLE_LINK.get() {
        Some(fragment) => fragment.clone(),
        None => {
            let fragment = small_example_link(client, origin).await;
            // What making it left in this browser goes: the test starts as from a link.
            client
                .goto(&format!("{origin}/404-host.html"))
                .await
                .expect("a page of this origin");
            run_js(client, "localStorage.clear(); sessionStorage.clear();").await;
            SMALL_EXAMPLE_LINK.get_or_init(|| fragment).clone()
        }
    };
    client
        .goto(&format!("{origin}/#{fragment}"))
        .await
        .expect("open the small example's link");
    wait_until_checked(client).await;
    wait_for_css(client, ".job-card[data-job='build']").await;
    let text = run_js(
        client,
        "return pipesimEditor.of(document.getElementById('editor')).state.doc.toString()",
    )
    .await;
    assert_eq!(
        text.as_str(),
        Some(small_example().as_str()),
        "the small example"
    );
}

/// What a frame made from the Embed snippet measures once its height settled: the last height
/// it reported to the host page, the frame's own height, its content's and its viewport's.
#[derive(Clone, Copy, Debug)]
pub struct FrameHeight {
    pub reported: f64,
    pub frame: f64,
    pub content: f64,
    pub viewport: f64,
}

impl FrameHeight {
    /// The frame took the height it reported and shows everything without a scrollbar.
    pub fn fits(&self) -> bool {
        (self.frame - self.reported).abs() < 1.0 && self.content <= self.viewport + 1.0
    }
}

/// Waits until the frame of the host page (which keeps what was reported in `window.heights`,
/// README "Embedding") reported a height and then none for a second, and measures it.
pub async fn settled_frame_height(client: &Client) -> FrameHeight {
    let last = std::sync::Mutex::new((-1.0, 0));
    eventually(Duration::from_secs(30), "a settled height", || async {
        let heights = run_js(client, "return window.heights").await;
        let list: Vec<f64> = heights
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(Value::as_f64)
            .collect();
        let now = (*list.last()?, list.len());
        let changed = {
            let mut last = last.lock().unwrap();
            std::mem::replace(&mut *last, now) != now
        };
        if changed {
            tokio::time::sleep(Duration::from_millis(1000)).await;
            return None;
        }
        Some(())
    })
    .await;
    let v = run_js(
        client,
        "const f = document.querySelector('iframe'); const d = f.contentDocument.documentElement; \
         return [window.heights.at(-1), f.getBoundingClientRect().height, d.scrollHeight, d.clientHeight]",
    )
    .await;
    let v: Vec<f64> = v
        .as_array()
        .expect("four figures")
        .iter()
        .map(|x| x.as_f64().unwrap_or_default())
        .collect();
    FrameHeight {
        reported: v[0],
        frame: v[1],
        content: v[2],
        viewport: v[3],
    }
}

/// Replaces the whole editor text as one paste.
#[allow(dead_code)]
pub async fn paste_config(client: &Client, text: &str) {
    client
        .execute(
            "const v = pipesimEditor.of(document.getElementById('editor')); \
             v.dispatch({ changes: { from: 0, to: v.state.doc.length, insert: arguments[0] }, userEvent: 'input.paste' });",
            vec![serde_json::json!(text)],
        )
        .await
        .expect("paste into the editor");
}

/// Emulates a `width`×`height` viewport (a phone below 500 px) in colour `scheme` (`light` or
/// `dark`), and lets the page lay out again.
#[allow(dead_code)]
pub async fn set_viewport(client: &Client, (width, height): (u32, u32), scheme: &str) {
    cdp(
        client,
        "Emulation.setEmulatedMedia",
        serde_json::json!({ "features": [{ "name": "prefers-color-scheme", "value": scheme }] }),
    )
    .await;
    cdp(
        client,
        "Emulation.setDeviceMetricsOverride",
        serde_json::json!({ "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 500 }),
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
}
