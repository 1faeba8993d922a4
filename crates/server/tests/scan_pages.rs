//! The scan page's forms: a refused form comes back as the page with its field's message and stores nothing.

mod common;

use common::{request, send, world};

fn form(pairs: &[(&str, &str)]) -> (Option<&'static str>, Vec<u8>) {
    (
        Some("application/x-www-form-urlencoded"),
        serde_urlencoded::to_string(pairs).unwrap().into_bytes(),
    )
}

#[tokio::test]
async fn refused_scan_forms_show_their_messages() {
    let w = world().await;
    let a_admin = &w.a[0];
    let unit = w.unit_a.to_string();
    let (status, _, page) = send(&w.router, request(a_admin, "GET", "/scan", None, Vec::new())).await;
    assert_eq!(status, 200);
    for message in ["Giờ từ 0 đến 23", "Đơn vị chưa có bộ luật nào được phát hành"] {
        assert!(!page.contains(message), "{message} before any form: {page}");
    }

    // A nightly scan at hour 25: refused with the hour's message, nothing set.
    let (ct, body) = form(&[
        ("csrf", &a_admin.csrf),
        ("unit_id", &unit),
        ("hour", "25"),
        ("profile", "quick"),
    ]);
    let (status, _, text) = send(&w.router, request(a_admin, "POST", "/scan/schedules", ct, body)).await;
    assert_eq!(status, 422);
    assert!(text.contains("Giờ từ 0 đến 23"), "{text}");
    let admin = a_admin.actor.as_ref().unwrap();
    assert!(w.store.scan_schedules(admin).await.unwrap().is_empty());

    // Tasks while the unit has no published rule set: refused with that message, no task.
    let (ct, body) = form(&[
        ("csrf", &a_admin.csrf),
        ("unit_id", &unit),
        ("target", "tag"),
        ("tag", ""),
    ]);
    let (status, _, text) = send(&w.router, request(a_admin, "POST", "/scan/tasks", ct, body)).await;
    assert_eq!(status, 422);
    assert!(
        text.contains("Đơn vị chưa có bộ luật nào được phát hành"),
        "{text}"
    );
    assert!(w.store.scan_tasks(admin, None, 100).await.unwrap().is_empty());

    // The same schedule at hour 2 is set.
    let (ct, body) = form(&[
        ("csrf", &a_admin.csrf),
        ("unit_id", &unit),
        ("hour", "2"),
        ("profile", "quick"),
    ]);
    let (status, _, _) = send(&w.router, request(a_admin, "POST", "/scan/schedules", ct, body)).await;
    assert_eq!(status, 303);
    assert_eq!(w.store.scan_schedules(admin).await.unwrap().len(), 1);
}
