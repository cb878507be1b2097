//! One headless Chromium session driven through chromedriver with fantoccini: navigation and
//! clicks that wait for the next page, the browser console log (`goog:loggingPrefs`), script
//! calls and full-page screenshots. The helpers panic with context: they run only in tests.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{Chromedriver, Tools};

/// Width of the browser window; the height grows to the page for screenshots.
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 900;
/// Tallest full-page screenshot taken.
const MAX_SHOT_HEIGHT: u32 = 12_000;

/// One entry of the browser's console log.
#[derive(Debug, Clone, Deserialize)]
pub struct LogEntry {
    pub level: String,
    pub message: String,
    #[serde(default)]
    pub source: String,
}

/// A browser session; dropping it ends the session and kills chromedriver.
pub struct Browser {
    pub client: Client,
    // Dropped after `client`: ends the session, then kills chromedriver.
    driver: Chromedriver,
    artifacts: PathBuf,
}

/// Chromium's switches: headless, fit for root in a container, and no traffic of its own
/// (every host name resolves to nothing except the loopback address the dashboard is on).
fn chrome_args() -> Vec<String> {
    [
        "--headless=new",
        "--no-sandbox",
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--no-default-browser-check",
        "--disable-extensions",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-default-apps",
        "--hide-scrollbars",
        "--force-device-scale-factor=1",
        "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1",
    ]
    .iter()
    .map(|s| s.to_string())
    .chain([format!("--window-size={WIDTH},{HEIGHT}")])
    .collect()
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session; logs and screenshots go under
    /// `artifacts`.
    pub async fn start(tools: &Tools, artifacts: &Path) -> Browser {
        let mut driver = Chromedriver::start(tools, &artifacts.join("chromedriver.log"))
            .unwrap_or_else(|e| panic!("{e}"));
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": tools.chromium,
                "args": chrome_args(),
            },
            "goog:loggingPrefs": { "browser": "ALL" },
        });
        let serde_json::Value::Object(caps) = caps else {
            unreachable!()
        };
        let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver.url())
            .await
            .unwrap_or_else(|e| {
                panic!(
                    "cannot open a Chromium session through chromedriver: {e}; see {}",
                    artifacts.join("chromedriver.log").display()
                )
            });
        let id = client
            .session_id()
            .await
            .expect("session id")
            .expect("chromedriver gave no session id");
        driver.own_session(id);
        Browser {
            client,
            driver,
            artifacts: artifacts.to_path_buf(),
        }
    }

    /// Opens `url` and waits for the page whose body id is `page-<page_id>`.
    pub async fn goto(&self, url: &str, page_id: &str) {
        self.mark_stale().await;
        self.client
            .goto(url)
            .await
            .unwrap_or_else(|e| panic!("open {url}: {e}"));
        self.wait_page(page_id).await;
    }

    /// Clicks the element `css` and waits for the next page, whose body id is
    /// `page-<page_id>`.
    pub async fn click(&self, css: &str, page_id: &str) {
        let el = match self.client.find(Locator::Css(css)).await {
            Ok(el) => el,
            Err(e) => panic!("no element {css} on {}: {e}", self.url().await),
        };
        self.mark_stale().await;
        el.click()
            .await
            .unwrap_or_else(|e| panic!("click {css}: {e}"));
        self.wait_page(page_id).await;
    }

    /// Marks the current document, so that waiting for the next page cannot stop at it
    /// (a link may lead to a page of the same kind).
    async fn mark_stale(&self) {
        let _ = self
            .client
            .execute(
                "if (document.documentElement) document.documentElement.dataset.stale = '1';",
                vec![],
            )
            .await;
    }

    /// Waits (up to 15 s) until a new document is fully loaded and its body id is
    /// `page-<page_id>`. Scripts that fail while the old page unloads are retried.
    pub async fn wait_page(&self, page_id: &str) {
        let want = format!("page-{page_id}");
        let started = Instant::now();
        loop {
            let state = self
                .client
                .execute(
                    "const d = document.documentElement;
                     if (!d || d.dataset.stale) return 'old page';
                     if (document.readyState !== 'complete') return 'loading';
                     return document.body ? document.body.id : 'no body';",
                    vec![],
                )
                .await;
            let last = match state {
                Ok(Value::String(s)) if s == want => return,
                Ok(v) => v.to_string(),
                Err(e) => e.to_string(),
            };
            if started.elapsed() > Duration::from_secs(15) {
                panic!(
                    "page {want} never showed (at {}; last: {last})",
                    self.url().await
                );
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
    }

    /// The current URL.
    pub async fn url(&self) -> String {
        self.client
            .current_url()
            .await
            .map(|u| u.to_string())
            .unwrap_or_else(|e| format!("<no url: {e}>"))
    }

    /// Runs a script and decodes its result.
    pub async fn js<T: DeserializeOwned>(&self, script: &str, args: Vec<Value>) -> T {
        let v = self
            .client
            .execute(script, args)
            .await
            .unwrap_or_else(|e| panic!("script failed: {e}\n{script}"));
        serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("script result {v} does not decode: {e}"))
    }

    /// Runs an async script (its last argument is the callback) and decodes its result.
    pub async fn js_async<T: DeserializeOwned>(&self, script: &str, args: Vec<Value>) -> T {
        let v = self
            .client
            .execute_async(script, args)
            .await
            .unwrap_or_else(|e| panic!("async script failed: {e}\n{script}"));
        serde_json::from_value(v.clone())
            .unwrap_or_else(|e| panic!("script result {v} does not decode: {e}"))
    }

    /// The console entries logged since the last call (chromedriver drains them).
    pub fn console(&self) -> Vec<LogEntry> {
        let v = self
            .driver
            .session_cmd("POST", "/se/log", &json!({ "type": "browser" }))
            .unwrap_or_else(|e| panic!("read the browser log: {e}"));
        serde_json::from_value(v).expect("browser log entries")
    }

    /// Fails on any console error (uncaught exceptions, console.error, failed loads, CSP
    /// violations) logged since the last check; prints the other entries.
    pub fn assert_clean_console(&self, step: &str) {
        let entries = self.console();
        for e in &entries {
            eprintln!("[{step}] console {} {}: {}", e.level, e.source, e.message);
        }
        let errors: Vec<&LogEntry> = entries.iter().filter(|e| e.level == "SEVERE").collect();
        assert!(
            errors.is_empty(),
            "{step}: browser console errors: {errors:#?}"
        );
    }

    /// Saves a full-page screenshot as `<artifacts>/<name>.png` and returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        let (page_h, chrome_h): (f64, f64) = self
            .js(
                "return [document.documentElement.scrollHeight, window.outerHeight - window.innerHeight];",
                vec![],
            )
            .await;
        let height = ((page_h + chrome_h).ceil() as u32).clamp(HEIGHT, MAX_SHOT_HEIGHT);
        self.client
            .set_window_size(WIDTH, height)
            .await
            .unwrap_or_else(|e| panic!("resize the window: {e}"));
        let png = self
            .client
            .screenshot()
            .await
            .unwrap_or_else(|e| panic!("screenshot {name}: {e}"));
        self.client
            .set_window_size(WIDTH, HEIGHT)
            .await
            .unwrap_or_else(|e| panic!("resize the window: {e}"));
        assert!(
            png.starts_with(b"\x89PNG\r\n\x1a\n"),
            "screenshot {name} is not a PNG"
        );
        let path = self.artifacts.join(format!("{name}.png"));
        std::fs::write(&path, &png).unwrap_or_else(|e| panic!("write {}: {e}", path.display()));
        eprintln!("screenshot: {} ({} bytes)", path.display(), png.len());
        path
    }

    /// Ends the session cleanly (Drop does it too, for panics).
    pub async fn close(self) {
        let Browser { client, driver, .. } = self;
        let _ = client.close().await;
        drop(driver);
    }
}
