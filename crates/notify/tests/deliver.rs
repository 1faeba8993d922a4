//! A high alert reaches the officer on duty by e-mail (a real SMTP server, Python's aiosmtpd, started here), the
//! unit's webhook and its Telegram chat (local receivers); a medium one does not; an alert left unacknowledged is
//! escalated to the unit's administrators once; a failing channel is recorded and the others still go out.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::routing::post;
use axum::{Json, Router};
use canhgac_model::{Actor, NewAlert, Severity, UnitInput};
use canhgac_notify::{Notifier, NotifyConfig, Texts, Words};
use canhgac_store::{NewUser, NotifySettings, Store};

type Inbox = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

/// A local HTTP receiver for the webhook and the Telegram Bot API; returns its base URL.
async fn receiver(inbox: Inbox) -> String {
    let app = Router::new().fallback(post(
        move |uri: axum::http::Uri, Json(v): Json<serde_json::Value>| {
            let inbox = inbox.clone();
            async move {
                inbox.lock().unwrap().push((uri.path().to_string(), v));
                Json(serde_json::json!({"ok": true}))
            }
        },
    ));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts aiosmtpd printing every message to its stdout; `None` (with the reason printed) when it is missing.
fn smtp_server(port: u16) -> Option<(std::process::Child, Arc<Mutex<String>>)> {
    let ok = Command::new("python3")
        .args(["-c", "import aiosmtpd"])
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        eprintln!("skipped: Python's aiosmtpd is not installed (scripts/install-test-deps installs it)");
        return None;
    }
    let mut child = Command::new("python3")
        .args(["-u", "-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .ok()?;
    let out = Arc::new(Mutex::new(String::new()));
    let sink = out.clone();
    let stdout = child.stdout.take()?;
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            let mut s = sink.lock().unwrap();
            s.push_str(&line);
            s.push('\n');
        }
    });
    let deadline = Instant::now() + Duration::from_secs(10);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "aiosmtpd did not start");
        std::thread::sleep(Duration::from_millis(50));
    }
    Some((child, out))
}

fn words(lang: &str) -> Words {
    let vi = lang == "vi";
    Words {
        new_alert: if vi { "Cảnh báo mới" } else { "New alert" }.into(),
        escalation: if vi {
            "Chưa tiếp nhận sau {minutes} phút"
        } else {
            "Not acknowledged after {minutes} minutes"
        }
        .into(),
        severity: "Mức".into(),
        host: "Máy".into(),
        unit: "Đơn vị".into(),
        count: "Số lần".into(),
        nobody_on_duty: "Không có ai trực".into(),
        open: "Mở".into(),
        severities: ["info", "low", "medium", "high", "critical"].map(String::from),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn high_alerts_reach_the_officer_on_duty_and_escalate_once() {
    let port = free_port();
    let Some((mut smtp, mailbox)) = smtp_server(port) else {
        return;
    };
    let inbox: Inbox = Default::default();
    let base = receiver(inbox.clone()).await;

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    let pw = store.bootstrap("Sở Y tế", "admin").await.unwrap().unwrap();
    let s = store.login("admin", &pw).await.unwrap();
    let admin = Actor {
        user_id: s.user.id,
        unit_id: s.user.unit_id,
        role: s.user.role,
    };
    let unit = store
        .create_unit(
            &admin,
            &UnitInput {
                code: "BVA".into(),
                name: "Bệnh viện A".into(),
                kind: "public_hospital".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap()
        .id;
    let person = |name: &str, role: &str, email: &str| NewUser {
        unit_id: unit.0,
        username: name.into(),
        display_name: name.into(),
        role: role.into(),
        email: email.into(),
        password: "a long enough password".into(),
    };
    let (officer, _) = store
        .create_user(
            &admin,
            &person("truc.ca", "duty_officer", "truc.ca@bva.example.vn"),
        )
        .await
        .unwrap();
    store
        .create_user(&admin, &person("off.duty", "duty_officer", "nghi@bva.example.vn"))
        .await
        .unwrap();
    store
        .create_user(&admin, &person("qtv.a", "unit_admin", "qtv@bva.example.vn"))
        .await
        .unwrap();
    let now = canhgac_store::now_ms();
    store
        .add_shift(
            &admin,
            unit,
            officer.id,
            Some(now - 3_600_000),
            Some(now + 3_600_000),
        )
        .await
        .unwrap();
    store
        .set_notify_settings(
            &admin,
            unit,
            &NotifySettings {
                min_severity: Severity::High,
                webhook_url: format!("{base}/hook"),
                telegram_chat_id: "-1001234".into(),
                escalate_after_min: 10,
            },
        )
        .await
        .unwrap();
    let raise = |title: &str, severity: Severity| NewAlert {
        unit_id: unit,
        source: "sigma".into(),
        rule_id: title.into(),
        title: title.into(),
        severity,
        host: "KHOA-NOI-PC07".into(),
        seen_at: now,
        details: serde_json::json!({}),
        event_key: None,
    };
    let high = store
        .raise_alert(&raise("Mimikatz chạy trên máy", Severity::High), 3_600_000)
        .await
        .unwrap()
        .alert_id();
    store
        .raise_alert(&raise("Quiet medium", Severity::Medium), 3_600_000)
        .await
        .unwrap();

    let notifier = Notifier::new(
        NotifyConfig {
            smtp_url: Some(format!("smtp://127.0.0.1:{port}")),
            smtp_from: "canhgac <canhgac@soyte.example.vn>".into(),
            telegram_api: base.clone(),
            telegram_token: Some("123:ABC".into()),
            console_url: "https://canhgac.soyte.example.vn".into(),
        },
        Texts {
            vi: words("vi"),
            en: words("en"),
        },
    )
    .unwrap();
    assert_eq!(
        notifier.step(&store, now).await.unwrap(),
        1,
        "only the high alert is due"
    );
    assert_eq!(
        notifier.step(&store, now + 1000).await.unwrap(),
        0,
        "and only once"
    );

    // The e-mail arrived at the SMTP server, addressed to the officer on duty (not to the one off duty).
    let deadline = Instant::now() + Duration::from_secs(10);
    while !mailbox.lock().unwrap().contains("Mimikatz") {
        assert!(
            Instant::now() < deadline,
            "no e-mail arrived: {}",
            mailbox.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let mail = mailbox.lock().unwrap().clone();
    assert!(mail.contains("truc.ca@bva.example.vn"), "{mail}");
    assert!(!mail.contains("nghi@bva.example.vn"), "{mail}");
    assert!(
        mail.contains(&format!("https://canhgac.soyte.example.vn/alerts/{high}")),
        "{mail}"
    );

    // The webhook and Telegram got it too.
    let got = inbox.lock().unwrap().clone();
    let hook = got.iter().find(|(p, _)| p == "/hook").expect("webhook");
    assert_eq!(
        (hook.1["alert_id"].as_i64(), hook.1["severity"].as_str()),
        (Some(high), Some("high"))
    );
    assert_eq!(hook.1["recipients"][0]["email"], "truc.ca@bva.example.vn");
    let tg = got
        .iter()
        .find(|(p, _)| p == "/bot123:ABC/sendMessage")
        .expect("telegram");
    assert_eq!(tg.1["chat_id"], "-1001234");
    assert!(tg.1["text"].as_str().unwrap().contains("Mimikatz"));

    // Nobody acknowledges it: after 10 minutes the unit's administrator is told, once.
    assert_eq!(notifier.step(&store, now + 9 * 60_000).await.unwrap(), 0);
    assert_eq!(notifier.step(&store, now + 11 * 60_000).await.unwrap(), 1);
    assert_eq!(notifier.step(&store, now + 12 * 60_000).await.unwrap(), 0);
    let deadline = Instant::now() + Duration::from_secs(10);
    while !mailbox.lock().unwrap().contains("qtv@bva.example.vn") {
        assert!(
            Instant::now() < deadline,
            "no escalation e-mail: {}",
            mailbox.lock().unwrap()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = store.alert_notifications(&admin, high).await.unwrap();
    let kinds: Vec<(&str, &str, bool)> = log
        .iter()
        .map(|l| (l.kind.as_str(), l.channel.as_str(), l.ok))
        .collect();
    assert_eq!(
        kinds,
        [
            ("new", "email", true),
            ("new", "webhook", true),
            ("new", "telegram", true),
            ("escalation", "email", true),
            ("escalation", "webhook", true),
            ("escalation", "telegram", true)
        ]
    );

    // A channel that fails is recorded with its reason; the e-mail still goes.
    store
        .set_notify_settings(
            &admin,
            unit,
            &NotifySettings {
                webhook_url: format!("{base}/../refused-by-nobody").replace(&base, "http://127.0.0.1:9"),
                ..NotifySettings::default()
            },
        )
        .await
        .unwrap();
    let second = store
        .raise_alert(&raise("Second high", Severity::Critical), 3_600_000)
        .await
        .unwrap()
        .alert_id();
    notifier.step(&store, now + 13 * 60_000).await.unwrap();
    let log = store.alert_notifications(&admin, second).await.unwrap();
    assert!(log.iter().any(|l| l.channel == "email" && l.ok));
    assert!(
        log.iter()
            .any(|l| l.channel == "webhook" && !l.ok && !l.error.is_empty()),
        "{log:?}"
    );
    let _ = smtp.kill();
    let _ = smtp.wait();
}
