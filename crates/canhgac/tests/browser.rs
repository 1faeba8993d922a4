//! The console in real headless Chromium, driven through ChromeDriver: the administrator signs in, switches the
//! language, creates two units and an administrator for each; unit A's administrator adds assets by form and by
//! CSV (one bad row reported), and cannot see unit B's asset through the pages. A second test follows the duty
//! officer's alert queue: a new alert appears live, is verified and closed.
//! Skips, saying why, when `chromedriver`/`chromium` are not installed (`scripts/install-test-deps` installs them).

mod support;

use std::process::{Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

struct Driver(std::process::Child);

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn connect() -> Option<(Driver, Client)> {
    let (Ok(driver), Ok(_)) = (which("chromedriver"), which("chromium")) else {
        eprintln!("skipped: chromedriver or chromium not installed (run scripts/install-test-deps)");
        return None;
    };
    let port = free_port();
    let child = Command::new(driver)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let driver = Driver(child);
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": which("chromium").unwrap(),
            "args": ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                     "--disable-background-networking", "--disable-component-update", "--disable-sync",
                     "--disable-dev-shm-usage", "--window-size=1366,900"]
        }),
    );
    let conn = hyper_util::client::legacy::connect::HttpConnector::new();
    for _ in 0..100 {
        if let Ok(c) = ClientBuilder::new(conn.clone())
            .capabilities(caps.clone())
            .connect(&format!("http://127.0.0.1:{port}"))
            .await
        {
            return Some((driver, c));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer");
}

fn which(name: &str) -> Result<String, ()> {
    let out = Command::new("sh")
        .args(["-c", &format!("command -v {name}")])
        .output()
        .map_err(|_| ())?;
    let path = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if path.is_empty() {
        Err(())
    } else {
        Ok(path)
    }
}

async fn fill(c: &Client, css: &str, text: &str) {
    let e = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"));
    e.clear().await.unwrap();
    e.send_keys(text).await.unwrap();
}

/// Clicks and, when the click leaves the page, waits until the old page is gone (its root element goes stale).
async fn click(c: &Client, css: &str) {
    let root = c.find(Locator::Css("html")).await.unwrap();
    let target = c
        .find(Locator::Css(css))
        .await
        .unwrap_or_else(|_| panic!("no {css}"));
    let navigates = matches!(
        target.tag_name().await.unwrap().as_str(),
        "button" | "a" | "input"
    );
    target.click().await.unwrap();
    if navigates && css != "details summary" {
        for _ in 0..200 {
            if root.tag_name().await.is_err() {
                break;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn text(c: &Client, css: &str) -> String {
    match c.find(Locator::Css(css)).await {
        Ok(e) => e.text().await.unwrap(),
        Err(_) => {
            let url = c.current_url().await.map(|u| u.to_string()).unwrap_or_default();
            panic!("no {css} on {url}:\n{}", c.source().await.unwrap_or_default())
        }
    }
}

/// Saves a screenshot when `CANHGAC_SCREENSHOTS` names a folder (for looking at the pages).
async fn shot(c: &Client, name: &str) {
    if let Some(dir) = std::env::var_os("CANHGAC_SCREENSHOTS") {
        let png = c.screenshot().await.unwrap();
        std::fs::write(std::path::Path::new(&dir).join(format!("{name}.png")), png).unwrap();
    }
}

async fn sign_in(c: &Client, url: &str, user: &str, password: &str) {
    c.goto(&format!("{url}/login")).await.unwrap();
    fill(c, "input[name=username]", user).await;
    fill(c, "input[name=password]", password).await;
    click(c, "[data-test=login-submit]").await;
}

/// First sign-in with a one-time password lands on the account page, which asks for a new one.
async fn change_password(c: &Client, old: &str, new: &str) {
    assert!(
        c.current_url().await.unwrap().path().ends_with("/account"),
        "one-time password leads to the account page"
    );
    fill(c, "input[name=current]", old).await;
    fill(c, "input[name=new]", new).await;
    fill(c, "input[name=confirm]", new).await;
    click(c, "[data-test=password-submit]").await;
}

async fn create_unit(c: &Client, url: &str, code: &str, name: &str) {
    c.goto(&format!("{url}/units")).await.unwrap();
    click(c, "details summary").await;
    fill(c, "form[data-test=unit-form] input[name=code]", code).await;
    fill(c, "form[data-test=unit-form] input[name=name]", name).await;
    click(c, "[data-test=unit-submit]").await;
    assert_eq!(
        text(c, "[data-test=unit-name]")
            .await
            .trim_end_matches(code)
            .trim(),
        name
    );
}

async fn create_unit_admin(c: &Client, url: &str, unit: &str, username: &str) -> String {
    c.goto(&format!("{url}/users")).await.unwrap();
    c.find(Locator::Css("[data-test=user-unit]"))
        .await
        .unwrap()
        .select_by_label(unit)
        .await
        .unwrap();
    fill(c, "form[data-test=user-form] input[name=username]", username).await;
    fill(c, "form[data-test=user-form] input[name=display_name]", username).await;
    c.find(Locator::Css("[data-test=user-role]"))
        .await
        .unwrap()
        .select_by_value("unit_admin")
        .await
        .unwrap();
    click(c, "[data-test=user-submit]").await;
    text(c, "[data-test=one-time-password]").await
}

#[tokio::test]
async fn console_in_chromium() {
    let Some((_driver, c)) = connect().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = support::start(dir.path());
    let url = server.url.clone();
    let first = server.password.clone().expect("first start prints the password");

    // The administrator signs in (Vietnamese by default) and must change the one-time password.
    sign_in(&c, &url, "admin", &first).await;
    change_password(&c, &first, "department secret 1").await;
    assert!(text(&c, "[data-test=logout]").await.contains("Đăng xuất"));
    // One click to English and back.
    click(&c, "[data-test=lang-switch]").await;
    assert!(text(&c, "[data-test=logout]").await.contains("Sign out"));
    assert!(c.source().await.unwrap().contains("Escalation contacts"));
    click(&c, "[data-test=lang-switch]").await;
    assert!(text(&c, "[data-test=logout]").await.contains("Đăng xuất"));
    // The letter's contacts are on the dashboard.
    assert!(text(&c, "[data-test=contacts]").await.contains("ir@vncert.vn"));
    shot(&c, "dashboard").await;

    create_unit(&c, &url, "BVA", "Bệnh viện Đa khoa A").await;
    create_unit(&c, &url, "BVB", "Bệnh viện Đa khoa B").await;
    let pw_a = create_unit_admin(&c, &url, "Bệnh viện Đa khoa A", "admin.a").await;
    let _pw_b = create_unit_admin(&c, &url, "Bệnh viện Đa khoa B", "admin.b").await;

    // The Department records an asset for unit B.
    c.goto(&format!("{url}/assets/new")).await.unwrap();
    c.find(Locator::Css("select[name=unit_id]"))
        .await
        .unwrap()
        .select_by_label("Bệnh viện Đa khoa B")
        .await
        .unwrap();
    fill(
        &c,
        "form[data-test=asset-form] input[name=hostname]",
        "B-ONLY-HOST",
    )
    .await;
    fill(&c, "form[data-test=asset-form] input[name=ips]", "10.20.0.5").await;
    click(&c, "[data-test=asset-submit]").await;
    let b_link = c
        .find(Locator::Css("[data-test=asset-row]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    click(&c, "[data-test=logout]").await;

    // Unit A's administrator.
    sign_in(&c, &url, "admin.a", &pw_a).await;
    change_password(&c, &pw_a, "unit a secret 12").await;
    c.goto(&format!("{url}/assets/new")).await.unwrap();
    fill(&c, "form[data-test=asset-form] input[name=hostname]", "A-HIS-DB").await;
    fill(
        &c,
        "form[data-test=asset-form] input[name=ips]",
        "10.10.0.2, 2001:db8::2",
    )
    .await;
    click(&c, "[data-test=asset-submit]").await;
    assert_eq!(text(&c, "[data-test=total]").await, "1");

    // CSV with one bad row (line 4: an impossible address).
    let csv = dir.path().join("may-tram.csv");
    std::fs::write(&csv, "Tên máy;Địa chỉ IP;Loại;Vị trí\nPC-KHOA-DUOC;10.10.1.1;Máy trạm;Khoa Dược\nPC-KE-TOAN;10.10.1.2;Máy trạm;Kế toán\nPC-HONG;10.10.1.300;Máy trạm;Kho\n").unwrap();
    c.goto(&format!("{url}/assets/import")).await.unwrap();
    c.find(Locator::Css("[data-test=import-file]"))
        .await
        .unwrap()
        .send_keys(csv.to_str().unwrap())
        .await
        .unwrap();
    click(&c, "[data-test=import-preview]").await;
    shot(&c, "import-preview").await;
    assert_eq!(text(&c, "[data-test=import-valid]").await, "2");
    assert_eq!(text(&c, "[data-test=import-bad]").await, "1");
    let errors = text(&c, "[data-test=import-errors]").await;
    assert!(
        errors.contains('4') && errors.contains("10.10.1.300"),
        "the bad row is named by line and value: {errors}"
    );
    click(&c, "[data-test=import-confirm]").await;
    assert_eq!(text(&c, "[data-test=total]").await, "3");
    shot(&c, "assets").await;
    c.set_window_size(390, 844).await.unwrap();
    shot(&c, "assets-phone").await;

    // Unit B's asset is invisible to unit A: not listed, not found by search, not reachable by its address.
    let page = c.source().await.unwrap();
    assert!(page.contains("PC-KHOA-DUOC") && !page.contains("B-ONLY-HOST"));
    c.goto(&format!("{url}/assets?q=B-ONLY")).await.unwrap();
    assert_eq!(text(&c, "[data-test=total]").await, "0");
    c.goto(&format!("{url}{b_link}")).await.unwrap();
    assert!(!c.source().await.unwrap().contains("B-ONLY-HOST"));
    assert_eq!(text(&c, "[data-test=error-message]").await, "Không tìm thấy.");
    c.close().await.unwrap();
}

/// A Sigma rule the live pipeline runs in the next test.
const MIMIKATZ_RULE: &str = r"
title: Mimikatz trên máy chủ
id: 0a1b2c3d-0000-4000-8000-00000000000a
level: critical
logsource: {product: windows, category: process_creation}
detection:
  selection:
    CommandLine|contains: 'sekurlsa::logonpasswords'
  condition: selection
";

/// The officer's alert queue updates by itself: an event sent by a shipper while the page is open goes through
/// the live pipeline (Sigma rule) and its alert appears without a reload; the officer opens it, verifies it and
/// closes it with the remediation done.
#[tokio::test]
async fn officer_sees_a_new_alert_live_verifies_and_closes_it() {
    let Some((_driver, c)) = connect().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let rules = dir.path().join("mimikatz.yml");
    std::fs::write(&rules, MIMIKATZ_RULE).unwrap();
    let server = support::start_with(&dir.path().join("data"), &["--rules", rules.to_str().unwrap()]);
    let url = server.url.clone();
    let first = server.password.clone().expect("first start prints the password");
    let token = {
        let url = url.clone();
        let first = first.clone();
        tokio::task::spawn_blocking(move || {
            let client = reqwest::blocking::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap();
            support::token_for_admin(&client, &url, &first)
        })
        .await
        .unwrap()
    };
    sign_in(&c, &url, "admin", &first).await;
    change_password(&c, &first, "department secret 1").await;
    c.goto(&format!("{url}/alerts")).await.unwrap();
    // Connected to the live stream, and a marker that a reload would erase.
    for _ in 0..100 {
        if c.find(Locator::Css("[data-test=live]:not([hidden])"))
            .await
            .is_ok()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(
        c.find(Locator::Css("[data-test=live]:not([hidden])"))
            .await
            .is_ok(),
        "the page is connected live"
    );
    c.execute("window.__notReloaded = true;", vec![]).await.unwrap();
    assert!(c.find(Locator::Css("[data-test=no-alerts]")).await.is_ok());
    let api = url.clone();
    tokio::task::spawn_blocking(move || {
        let client = reqwest::blocking::Client::new();
        let source: serde_json::Value = client
            .post(format!("{api}/api/v1/sources"))
            .bearer_auth(&token)
            .json(&serde_json::json!({ "name": "Winlogbeat HIS-DB", "kind": "http" }))
            .send()
            .unwrap()
            .json()
            .unwrap();
        let event = serde_json::json!({
            "EventID": 4688, "Channel": "Security", "Hostname": "HIS-DB", "TimeCreated": "2024-02-09 07:00:00.000",
            "NewProcessName": "C:\\Temp\\m.exe", "CommandLine": "m.exe privilege::debug sekurlsa::logonpasswords exit",
        });
        let r = client
            .post(format!("{api}/api/v1/events"))
            .bearer_auth(source["token"].as_str().unwrap())
            .body(event.to_string())
            .send()
            .unwrap();
        assert_eq!(r.status().as_u16(), 200);
    })
    .await
    .unwrap();
    let mut seen = false;
    for _ in 0..100 {
        if c.source().await.unwrap().contains("Mimikatz trên máy chủ") {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "the new alert appears without reloading");
    let still = c
        .execute("return window.__notReloaded === true;", vec![])
        .await
        .unwrap();
    assert_eq!(still, serde_json::Value::Bool(true), "the page was not reloaded");
    shot(&c, "alerts-live").await;
    click(&c, "[data-test=alerts] a").await;
    click(&c, "[data-test=verify]").await;
    assert!(text(&c, "[data-test=alert-status]").await.contains("Đã xác minh"));
    fill(
        &c,
        "form[data-test=close-form] textarea[name=remediation]",
        "Cách ly máy, gỡ công cụ, đổi mật khẩu",
    )
    .await;
    click(&c, "[data-test=close]").await;
    let status = text(&c, "[data-test=alert-status]").await;
    assert!(
        status.contains("Đã đóng") && status.contains("Tấn công thật"),
        "{status}"
    );
    shot(&c, "alert-closed").await;
}

/// Creates an asset through the API (faster than the form, which the first test covers).
fn add_asset(url: &str, token: &str, unit: &str, host: &str, ip: &str, crit: &str) {
    let client = reqwest::blocking::Client::new();
    let units: Vec<serde_json::Value> = client
        .get(format!("{url}/api/v1/units"))
        .bearer_auth(token)
        .send()
        .unwrap()
        .json()
        .unwrap();
    let unit_id = units.iter().find(|u| u["code"] == unit).unwrap()["id"].clone();
    let r = client
        .post(format!("{url}/api/v1/assets"))
        .bearer_auth(token)
        .json(&serde_json::json!({ "unit_id": unit_id, "hostname": host, "ips": ip, "criticality": crit }))
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().unwrap());
}

/// The Department imports a Botnet IP list through the console; unit A sees its two listed machines, the critical
/// one first, and marks one cleaned; unit B sees none of it.
#[tokio::test]
async fn botnet_list_reaches_the_right_unit_in_order() {
    let Some((_driver, c)) = connect().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = support::start(dir.path());
    let url = server.url.clone();
    let first = server.password.clone().expect("first start prints the password");
    let token = {
        let (url, first) = (url.clone(), first.clone());
        tokio::task::spawn_blocking(move || {
            let client = reqwest::blocking::Client::builder()
                .cookie_store(true)
                .build()
                .unwrap();
            support::token_for_admin(&client, &url, &first)
        })
        .await
        .unwrap()
    };
    sign_in(&c, &url, "admin", &first).await;
    change_password(&c, &first, "department secret 1").await;
    create_unit(&c, &url, "BVA", "Bệnh viện Đa khoa A").await;
    create_unit(&c, &url, "BVB", "Bệnh viện Đa khoa B").await;
    let pw_a = create_unit_admin(&c, &url, "Bệnh viện Đa khoa A", "admin.a").await;
    let pw_b = create_unit_admin(&c, &url, "Bệnh viện Đa khoa B", "admin.b").await;
    {
        let (url, token) = (url.clone(), token.clone());
        tokio::task::spawn_blocking(move || {
            add_asset(&url, &token, "BVA", "A-KETOAN-PC", "203.0.113.11", "low");
            add_asset(&url, &token, "BVA", "A-HIS-DB", "203.0.113.10", "critical");
            add_asset(&url, &token, "BVB", "B-SRV", "198.51.100.5", "high");
        })
        .await
        .unwrap();
    }
    // A list as an authority sends it: a title row, Vietnamese headers, dd/mm/yyyy dates, one bad line.
    let list = dir.path().join("botnet-2024-01.csv");
    std::fs::write(
        &list,
        "DANH SÁCH ĐỊA CHỈ IP BOTNET THÁNG 01/2024\n\
         STT,Địa chỉ IP,Tên mạng botnet,Ngày phát hiện\n\
         1,203.0.113.10,Mirai,05/01/2024\n\
         2,203.0.113.11,Emotet,06/01/2024\n\
         3,300.1.1.1,Mirai,06/01/2024\n\
         4,192.0.2.77,Qakbot,07/01/2024\n",
    )
    .unwrap();
    c.goto(&format!("{url}/botnet")).await.unwrap();
    click(&c, "[data-test=list-upload]").await;
    fill(&c, "form[data-test=list-form] input[name=version]", "2024-01").await;
    c.find(Locator::Css("form[data-test=list-form] input[type=file]"))
        .await
        .unwrap()
        .send_keys(&list.display().to_string())
        .await
        .unwrap();
    click(&c, "form[data-test=list-form] button").await;
    assert_eq!(text(&c, "[data-test=entries]").await, "3");
    assert_eq!(text(&c, "[data-test=rejected]").await, "1");
    assert!(text(&c, "[data-test=rejections]").await.contains("300.1.1.1"));
    shot(&c, "botnet-preview").await;
    click(&c, "[data-test=confirm]").await;
    assert_eq!(text(&c, "[data-test=items-created]").await, "2");
    click(&c, "[data-test=logout]").await;

    // Unit A: its two machines, the critical one first; it marks that one cleaned.
    sign_in(&c, &url, "admin.a", &pw_a).await;
    change_password(&c, &pw_a, "unit a secret 12").await;
    c.goto(&format!("{url}/botnet")).await.unwrap();
    let rows = c
        .find_all(Locator::Css("[data-test=botnet-items] tbody tr"))
        .await
        .unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows[0].text().await.unwrap().contains("A-HIS-DB"),
        "the critical machine first"
    );
    assert!(rows[1].text().await.unwrap().contains("A-KETOAN-PC"));
    assert!(!c.source().await.unwrap().contains("B-SRV"));
    shot(&c, "botnet-queue").await;
    click(&c, "[data-test=botnet-items] tbody tr a").await;
    c.find(Locator::Css("form[data-test=state-form] select[name=state]"))
        .await
        .unwrap()
        .select_by_value("cleaned")
        .await
        .unwrap();
    fill(
        &c,
        "form[data-test=state-form] textarea[name=note]",
        "Quét sạch bằng canhgac scan, đổi mật khẩu",
    )
    .await;
    click(&c, "form[data-test=state-form] button").await;
    assert!(text(&c, "[data-test=item-state]").await.contains("Đã làm sạch"));
    fill(
        &c,
        "form[data-test=comment-form] textarea[name=body]",
        "Đã báo cáo Sở, chờ quét lại tuần sau",
    )
    .await;
    click(&c, "form[data-test=comment-form] button").await;
    assert!(text(&c, "#comments").await.contains("chờ quét lại tuần sau"));
    click(&c, "[data-test=logout]").await;

    // Unit B: none of A's items (its own address is not on the list).
    sign_in(&c, &url, "admin.b", &pw_b).await;
    change_password(&c, &pw_b, "unit b secret 12").await;
    c.goto(&format!("{url}/botnet?state=all")).await.unwrap();
    assert!(c.find(Locator::Css("[data-test=no-items]")).await.is_ok());
    assert!(!c.source().await.unwrap().contains("A-HIS-DB"));
}

/// The number shown in `css`.
async fn number(c: &Client, css: &str) -> i64 {
    let t = text(c, css).await;
    t.trim()
        .parse()
        .unwrap_or_else(|_| panic!("{css} is not a number: {t:?}"))
}

/// Waits until `css` is on the page (a long request such as an import of a year of advisories).
async fn wait_for(c: &Client, css: &str, seconds: u64) {
    for _ in 0..seconds * 10 {
        if c.find(Locator::Css(css)).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{css} did not appear within {seconds} s");
}

/// Takes a decision on the finding at `href` through its form.
async fn decide(c: &Client, url: &str, href: &str, status: &str, reason: &str, expires_on: &str) {
    c.goto(&format!("{url}{href}")).await.unwrap();
    c.find(Locator::Css("form[data-test=finding-form] select[name=status]"))
        .await
        .unwrap()
        .select_by_value(status)
        .await
        .unwrap();
    fill(c, "form[data-test=finding-form] textarea[name=reason]", reason).await;
    if !expires_on.is_empty() {
        c.execute(
            "document.querySelector('form[data-test=finding-form] input[name=expires_on]').value = arguments[0];",
            vec![serde_json::json!(expires_on)],
        )
        .await
        .unwrap();
    }
    click(c, "form[data-test=finding-form] button.primary").await;
}

/// The Department imports Microsoft's 2023 advisories (twelve files in one upload) and a Windows Server 2019's
/// `systeminfo` for unit A's host, opens the "May–December 2023 high/critical" view and sees the host exposed;
/// unit A's administrator accepts one risk until a date and marks another finding fixed, and the view's counts
/// drop by two.
#[tokio::test]
async fn department_sees_exposed_host_and_unit_decisions_change_the_counts() {
    let (Some(cvrf), Some(inventory)) = (
        canhgac_testdata::require("msrc-cvrf-2023"),
        canhgac_testdata::require(
            "windows-inventory/wesng/validation/srv_2019_rtm_datacenter_en-us_systeminfo.txt",
        ),
    ) else {
        return;
    };
    // The browser takes only canonical paths for uploads.
    let (cvrf, inventory) = (cvrf.canonicalize().unwrap(), inventory.canonicalize().unwrap());
    let Some((_driver, c)) = connect().await else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = support::start(dir.path());
    let url = server.url.clone();
    let first = server.password.clone().expect("first start prints the password");
    sign_in(&c, &url, "admin", &first).await;
    change_password(&c, &first, "department secret 1").await;
    create_unit(&c, &url, "BVA", "Bệnh viện Đa khoa A").await;
    let pw_a = create_unit_admin(&c, &url, "Bệnh viện Đa khoa A", "admin.a").await;

    // A-SRV19 of unit A and its inventory.
    c.goto(&format!("{url}/assets/new")).await.unwrap();
    c.find(Locator::Css("select[name=unit_id]"))
        .await
        .unwrap()
        .select_by_label("Bệnh viện Đa khoa A")
        .await
        .unwrap();
    fill(&c, "form[data-test=asset-form] input[name=hostname]", "A-SRV19").await;
    fill(&c, "form[data-test=asset-form] input[name=ips]", "10.10.0.19").await;
    click(&c, "[data-test=asset-submit]").await;
    let host = c
        .find(Locator::Css("[data-test=asset-row]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    c.goto(&format!("{url}{host}/vulnerabilities")).await.unwrap();
    c.find(Locator::Css("form[data-test=inventory-form] input[name=file]"))
        .await
        .unwrap()
        .send_keys(inventory.to_str().unwrap())
        .await
        .unwrap();
    click(&c, "form[data-test=inventory-form] button").await;
    assert_eq!(text(&c, "[data-test=inventory-build]").await, "10.0.17763");

    // The year of advisories in one upload.
    c.goto(&format!("{url}/vulnerabilities")).await.unwrap();
    let mut files: Vec<String> = std::fs::read_dir(&cvrf)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "xml"))
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    files.sort();
    assert_eq!(files.len(), 12);
    c.find(Locator::Css("form[data-test=advisory-import] input[name=files]"))
        .await
        .unwrap()
        .send_keys(&files.join("\n"))
        .await
        .unwrap();
    click(&c, "form[data-test=advisory-import] button").await;
    wait_for(&c, "[data-test=import-results]", 300).await;
    assert_eq!(
        c.find_all(Locator::Css("[data-test=import-results] li.ok"))
            .await
            .unwrap()
            .len(),
        12
    );
    shot(&c, "vuln-import").await;
    // Every unit's findings are recomputed in the background: the page says so until it is done.
    for _ in 0..600 {
        c.goto(&format!("{url}/vulnerabilities")).await.unwrap();
        if c.find_all(Locator::Css("[data-test=recomputing]"))
            .await
            .unwrap()
            .is_empty()
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    click(&c, "[data-test=\"view-saved:ms-2023-may-dec\"] a").await;
    shot(&c, "vuln-view").await;
    assert_eq!(number(&c, "[data-test=exposed-hosts]").await, 1);
    assert_eq!(number(&c, "[data-test=exposed-units]").await, 1);
    let before = number(&c, "[data-test=exposed-findings]").await;
    assert!(
        before > 2,
        "a Server 2019 as shipped misses 2023's updates: {before}"
    );
    assert!(text(&c, "[data-test=exposed]").await.contains("A-SRV19"));
    let in_view = c
        .find(Locator::Css("[data-test=exposed-host-link]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    click(&c, "[data-test=logout]").await;

    // Unit A's administrator decides on two of the host's findings.
    sign_in(&c, &url, "admin.a", &pw_a).await;
    change_password(&c, &pw_a, "unit a secret 12").await;
    // The host's findings of this view only, vulnerable first.
    c.goto(&format!("{url}{in_view}")).await.unwrap();
    let links = c
        .find_all(Locator::Css("tr[data-test=finding] td:first-child a"))
        .await
        .unwrap();
    let mut hrefs = Vec::new();
    for l in links.iter().take(2) {
        hrefs.push(l.attr("href").await.unwrap().unwrap());
    }
    decide(
        &c,
        &url,
        &hrefs[0],
        "risk_accepted",
        "Máy chủ cách ly, chờ bảo trì",
        "2099-12-31",
    )
    .await;
    assert!(text(&c, "[data-test=finding-status]")
        .await
        .contains("Chấp nhận rủi ro"));
    decide(&c, &url, &hrefs[1], "fixed", "Đã cài bản cập nhật tháng 12", "").await;
    assert!(text(&c, "[data-test=finding-status]")
        .await
        .contains("Đã khắc phục"));
    c.goto(&format!("{url}/vulnerabilities/view?key=saved:ms-2023-may-dec"))
        .await
        .unwrap();
    shot(&c, "vuln-view-after").await;
    assert_eq!(number(&c, "[data-test=exposed-findings]").await, before - 2);
    assert_eq!(number(&c, "[data-test=exposed-hosts]").await, 1);
    c.close().await.unwrap();
}
