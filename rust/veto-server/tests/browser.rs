//! The dashboard in a real browser: headless Chromium driven over the WebDriver protocol
//! (chromium-driver), spoken with a small HTTP client. Signs in, reads the headline, follows
//! a filter, downloads the CSV, switches to Dutch, signs out, and is refused without a
//! session. Needs Debian's `chromium` and `chromium-driver` (scripts/test-all.sh installs
//! them), hence `#[ignore]`: run with `cargo test -p veto-server --test browser -- --ignored`.
//! With VETO_SAVE_SCREENSHOT=1 the dashboard screenshot is written to docs/dashboard.png.

// Test and benchmark code: a failed unwrap is a failed run.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;

use common::*;
use serde_json::{json, Value};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

struct Driver {
    base: String,
    session: String,
    agent: ureq::Agent,
}

const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

impl Driver {
    fn call(&self, method: &str, path: &str, body: Option<Value>) -> Value {
        let url = format!("{}/session/{}{path}", self.base, self.session);
        let mut r = match (method, body) {
            ("GET", _) => self.agent.get(&url).call(),
            ("DELETE", _) => self.agent.delete(&url).call(),
            (_, b) => self
                .agent
                .post(&url)
                .send(b.unwrap_or(json!({})).to_string().as_bytes()),
        }
        .unwrap();
        let text = r.body_mut().read_to_string().unwrap();
        let v: Value = serde_json::from_str(&text).unwrap();
        assert!(r.status().is_success(), "{method} {path}: {text}");
        v["value"].clone()
    }
    fn go(&self, url: &str) {
        self.call("POST", "/url", Some(json!({"url": url})));
    }
    /// The page's URL once it satisfies `ok`: a click starts a navigation that WebDriver may
    /// report before it is done, so the URL is asked again for up to 10 s.
    fn url_when(&self, ok: impl Fn(&str) -> bool) -> String {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let url = self.url();
            if ok(&url) || std::time::Instant::now() > deadline {
                return url;
            }
            std::thread::sleep(std::time::Duration::from_millis(100));
        }
    }
    fn url(&self) -> String {
        let v = self.call("GET", "/url", None);
        v.as_str()
            .unwrap_or_else(|| panic!("GET /url: {v}"))
            .to_string()
    }
    fn find(&self, css: &str) -> String {
        let v = self.call(
            "POST",
            "/element",
            Some(json!({"using": "css selector", "value": css})),
        );
        v[ELEMENT]
            .as_str()
            .unwrap_or_else(|| panic!("{css}: {v}"))
            .to_string()
    }
    fn count(&self, css: &str) -> usize {
        self.call(
            "POST",
            "/elements",
            Some(json!({"using": "css selector", "value": css})),
        )
        .as_array()
        .unwrap()
        .len()
    }
    fn text(&self, css: &str) -> String {
        let e = self.find(css);
        self.call("GET", &format!("/element/{e}/text"), None)
            .as_str()
            .unwrap()
            .to_string()
    }
    fn click(&self, css: &str) {
        let e = self.find(css);
        self.call("POST", &format!("/element/{e}/click"), Some(json!({})));
    }
    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.call(
            "POST",
            &format!("/element/{e}/value"),
            Some(json!({"text": text})),
        );
    }
    fn source(&self) -> String {
        self.call("GET", "/source", None)
            .as_str()
            .unwrap()
            .to_string()
    }
}

struct Local {
    port: u16,
}

impl Local {
    fn url(&self, path: &str) -> String {
        format!("https://127.0.0.1:{}{path}", self.port)
    }
}

fn number(d: &Driver, css: &str) -> i64 {
    d.text(css)
        .trim()
        .parse()
        .unwrap_or_else(|_| panic!("{css}: not a number"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs chromium and chromium-driver; scripts/test-all.sh runs it"]
async fn the_dashboard_in_headless_chromium() {
    let db = test_db().await;
    let certs = certs();
    let ingest_n = cli(
        &["token", "add", "--role", "ingest", "--unit", "stadhuis"],
        &db.url,
    )
    .trim()
    .to_string();
    let ingest_s = cli(
        &[
            "token",
            "add",
            "--role",
            "ingest",
            "--unit",
            "stadsdeel-zuid",
        ],
        &db.url,
    )
    .trim()
    .to_string();
    let viewer = cli(
        &[
            "token",
            "add",
            "--role",
            "viewer",
            "--label",
            "security officer",
        ],
        &db.url,
    )
    .trim()
    .to_string();
    let ca = certs.ca_der.clone();
    // The server runs in this process on a clock the test sets, so that which devices are
    // stale does not depend on how fast this machine is.
    let now = veto_server::clock::system_now();
    let clock = veto_server::clock::Clock::fixed(now);
    let config = veto_server::Config {
        listen: "127.0.0.1:0".parse().unwrap(),
        database: db.url.clone(),
        tls: Some((certs.cert(), certs.key())),
        ..veto_server::Config::default()
    };
    let state = veto_server::Inner::start(config, clock.clone())
        .await
        .unwrap();
    let (ready, bound) = tokio::sync::oneshot::channel();
    tokio::spawn(veto_server::serve(state, move |addr| {
        let _ = ready.send(addr);
    }));
    let port = bound.await.unwrap().port();
    tokio::task::spawn_blocking(move || {
        let server = Local { port };
        let api = https_agent(&ca);
        let post = |token: &str, r: &Value| {
            let resp = api
                .post(&server.url("/v1/reports"))
                .header("Authorization", &format!("Bearer {token}"))
                .send(r.to_string().as_bytes())
                .unwrap();
            assert!(resp.status().is_success());
        };
        // Ten days of a policy rolling out over 36 devices: each day fewer still have
        // TikTok; six devices go silent (stale) before the others' last report.
        let start = now - 9 * DAY;
        let deadline = now + 5 * DAY;
        for day in 0..10i64 {
            // Received an hour after evaluation; the last day's an hour from "now".
            clock.set(start + day * DAY + HOUR);
            for i in 0..36i64 {
                if i >= 30 && day >= 8 {
                    continue;
                }
                let token = if i % 3 == 0 { &ingest_s } else { &ingest_n };
                let mut findings = Vec::new();
                if i < 30 - 2 * day && i % 2 == 0 {
                    let dl = if i % 4 == 0 { now - DAY } else { deadline };
                    let status = ["enforced", "enforced", "due", "failed"][(i / 2 % 4) as usize];
                    let effect: &[&str] = [&["warn"][..], &["warn", "suspend"], &["warn", "suspend", "hide"]][(i / 2 % 3) as usize];
                    let mut f = finding("com.zhiliaoapp.musically", status, effect, dl);
                    f["label"] = json!("TikTok");
                    findings.push(f);
                }
                if i == 4 || i == 7 {
                    let mut f = finding("com.lemon.lvoverseas", "reported", &[], deadline);
                    f["label"] = json!("CapCut");
                    findings.push(f);
                }
                let r = report(&format!("r-{day}-{i}"), &format!("dev-{i:03}"), start + day * DAY, findings);
                post(token, &r);
            }
        }
        let summary: Value = {
            let mut r = api.get(&server.url("/v1/summary")).header("Authorization", &format!("Bearer {viewer}")).call().unwrap();
            serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap()
        };
        assert_eq!(summary["stale"], 6, "{summary}");

        let downloads = tempfile::tempdir().unwrap();
        let port = 9515 + (std::process::id() % 1000) as u16;
        let mut chromedriver = Command::new("chromedriver")
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver (Debian: chromium-driver)");
        let plain = ureq::Agent::config_builder().http_status_as_error(false).build().new_agent();
        let base = format!("http://127.0.0.1:{port}");
        let started = Instant::now();
        while plain.get(&format!("{base}/status")).call().is_err() {
            assert!(started.elapsed() < Duration::from_secs(20), "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "acceptInsecureCerts": true,
            "goog:chromeOptions": {
                "binary": "/usr/bin/chromium",
                "args": ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--window-size=1280,1500", "--lang=en-GB"],
                "prefs": {"download.default_directory": downloads.path().to_str().unwrap(), "download.prompt_for_download": false}
            }}}});
        let mut r = plain.post(&format!("{base}/session")).send(caps.to_string().as_bytes()).unwrap();
        let created: Value = serde_json::from_str(&r.body_mut().read_to_string().unwrap()).unwrap();
        let session = created["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no session: {created}")).to_string();
        let d = Driver { base, session, agent: plain };
        let _ = d.call(
            "POST",
            "/chromium/send_command",
            Some(json!({"cmd": "Page.setDownloadBehavior", "params": {"behavior": "allow", "downloadPath": downloads.path()}})),
        );

        // Refused without a session: the dashboard sends to the sign-in page, the CSV is 401.
        d.go(&server.url("/dashboard"));
        assert!(d.url().ends_with("/login"), "{}", d.url());
        d.go(&server.url("/v1/devices?format=csv"));
        assert!(d.source().contains("missing token"), "{}", d.source());

        // Sign in.
        d.go(&server.url("/login"));
        d.type_into("#token", &viewer);
        d.click("#login");
        let url = d.url_when(|u| u.ends_with("/dashboard"));
        assert!(url.ends_with("/dashboard"), "{url}");
        let cookies = d.call("GET", "/cookie", None);
        let session_cookie = cookies.as_array().unwrap().iter().find(|c| c["name"] == "veto_session").unwrap();
        assert_eq!(session_cookie["httpOnly"], true);
        assert_eq!(session_cookie["secure"], true);
        assert_eq!(session_cookie["sameSite"], "Strict");

        // The headline matches the API.
        for key in ["devices", "compliant", "non_compliant", "past_deadline", "stale"] {
            assert_eq!(number(&d, &format!("#hl-{key}")), summary[key].as_i64().unwrap(), "{key}");
        }
        assert_eq!(d.count("#burndown circle"), 10);
        assert!(d.count("#apps tr") >= 3);
        let png = d.call("GET", "/screenshot", None);
        use base64::Engine;
        let png = base64::engine::general_purpose::STANDARD.decode(png.as_str().unwrap()).unwrap();
        assert_eq!(&png[1..4], b"PNG");
        if std::env::var("VETO_SAVE_SCREENSHOT").is_ok() {
            let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/dashboard.png");
            std::fs::write(out, &png).unwrap();
        }

        // Follow a filter: the non-compliant card.
        d.click("#hl-non_compliant");
        let url = d.url_when(|u| u.contains("/dashboard/devices?status=non_compliant"));
        assert!(url.contains("/dashboard/devices?status=non_compliant"), "{url}");
        let total = number(&d, "#total");
        assert_eq!(total, summary["non_compliant"].as_i64().unwrap());
        assert_eq!(d.count("table.devices tr") as i64, total + 1);

        // Download the CSV of that list.
        d.click("#csv");
        let file = downloads.path().join("veto-devices.csv");
        let started = Instant::now();
        while !file.exists() {
            assert!(started.elapsed() < Duration::from_secs(20), "the CSV did not download");
            std::thread::sleep(Duration::from_millis(100));
        }
        std::thread::sleep(Duration::from_millis(300));
        let csv = std::fs::read_to_string(&file).unwrap();
        assert_eq!(csv.lines().count() as i64, total + 1, "{csv}");
        assert!(csv.starts_with("device_id,unit,compliant,"));
        assert!(csv.lines().skip(1).all(|l| l.contains(",false,")), "{csv}");

        // A device's history, the census, Dutch.
        d.click("table.devices tr:nth-child(2) td a");
        let started = Instant::now();
        while d.count("#history tr") <= 5 && started.elapsed() < Duration::from_secs(10) {
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(d.count("#history tr") > 5);
        d.go(&server.url("/dashboard?lang=nl"));
        assert!(d.source().contains("Voldoet niet"));
        d.go(&server.url("/dashboard?lang=en"));

        // Sign out: the session is gone.
        d.click("#logout");
        let url = d.url_when(|u| u.ends_with("/login"));
        assert!(url.ends_with("/login"), "{url}");
        d.go(&server.url("/dashboard"));
        assert!(d.url().ends_with("/login"), "{}", d.url());
        d.call("DELETE", "", None);
        let _ = chromedriver.kill();
        let _ = chromedriver.wait();
    })
    .await
    .unwrap();
}
