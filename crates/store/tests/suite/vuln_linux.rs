//! Linux hosts reported by agents: the Debian Security Tracker imported as a feed, an agent's inventory attached as
//! the asset's vulnerability inventory, findings recomputed in the background (coalesced per unit), and a newer
//! inventory verifying the fix.

use super::*;
use canhgac_model::AssetId;
use canhgac_store::{EnrollFacts, FindingStatus};
use serde_json::Value;
use std::time::Duration;

const TRACKER: &[u8] = include_bytes!("../../../vuln/tests/fixtures/linux/debian-tracker.json");
const OLD: &[u8] = include_bytes!("../../../vuln/tests/fixtures/linux/agent-debian12-old.json");
const NEW: &[u8] = include_bytes!("../../../vuln/tests/fixtures/linux/agent-debian12-new.json");

fn doc(bytes: &[u8], host: &str, mac: &str) -> Value {
    let mut v: Value = serde_json::from_slice(bytes).unwrap();
    v["hostname"] = host.into();
    v["interfaces"][0]["mac"] = mac.into();
    v
}

pub async fn linux_agent_inventories_to_findings(store: &Store) {
    let w = world(store).await;
    store.set_inventory_coalesce(Duration::from_millis(400));
    let imported = store
        .import_advisory(&w.admin, "debian-tracker.json", TRACKER)
        .await
        .unwrap();
    assert_eq!(imported.feed.kind, "distro");
    assert_eq!(
        imported.feed.summary,
        "Debian Security Tracker: 4 CVE, 11 package statements"
    );
    // A truncated tracker is refused and the previous version kept.
    match store
        .import_advisory(&w.admin, "cut.json", &TRACKER[..TRACKER.len() / 2])
        .await
    {
        Err(StoreError::Invalid(inv)) => assert_eq!(inv.0[0].code, "err.advisory_unreadable"),
        other => panic!("truncated tracker accepted: {other:?}"),
    }
    assert_eq!(store.advisory_feeds().await.unwrap().len(), 1);

    // Three agents of unit A and one of unit B report within the same window: one recompute per unit.
    let mut agents = Vec::new();
    for (unit, actor, host) in [
        (w.a, &w.a_admin, "web01"),
        (w.a, &w.a_admin, "web02"),
        (w.a, &w.a_admin, "web03"),
        (w.b, &w.b_admin, "db01"),
    ] {
        let (_, secret) = store.create_enrollment_token(actor, unit, host, 1).await.unwrap();
        let e = store
            .enroll(
                &secret,
                &EnrollFacts {
                    hostname: host.into(),
                },
            )
            .await
            .unwrap();
        agents.push(store.agent_by_credential(&e.credential).await.unwrap().unwrap());
    }
    let before = store.inventory_recomputes();
    let mut assets = Vec::new();
    for (i, agent) in agents.iter().enumerate() {
        let mac = format!("52:54:00:00:00:0{i}");
        let out = store
            .record_inventory(agent, &doc(OLD, &agent.hostname, &mac))
            .await
            .unwrap();
        assets.push(AssetId(out.asset_id));
    }
    store.inventory_recomputes_settled().await;
    assert_eq!(store.inventory_recomputes() - before, 2, "one recompute per unit");

    let web01 = assets[0];
    let findings = store.host_findings(&w.a_admin, web01).await.unwrap();
    let f = findings.iter().find(|f| f.cve == "CVE-2023-38408").unwrap();
    assert_eq!((f.state.as_str(), f.status), ("vulnerable", FindingStatus::Open));
    assert!(f.kb.contains("openssh-client → 1:9.2p1-2+deb12u1"), "{f:?}");
    assert!(
        f.evidence.iter().any(|e| e.starts_with(
            "openssh-client 1:9.2p1-2 (source openssh) is below the fixed version 1:9.2p1-2+deb12u1 in bookworm"
        )),
        "{f:?}"
    );
    // The unit's patch list names the package and its fixed version, one item per package, marked as a package.
    let patches = store.patch_list(&w.a_admin, w.a).await.unwrap();
    let client = patches
        .iter()
        .find(|p| p.kb == "openssh-client → 1:9.2p1-2+deb12u1")
        .unwrap_or_else(|| panic!("{patches:#?}"));
    assert!(client.package);
    assert!(client.cves.contains(&"CVE-2023-38408".to_owned()));
    assert_eq!(client.hosts.len(), 3, "{client:?}");
    assert!(
        patches
            .iter()
            .all(|p| p.package && (p.kb.contains(" → ") || p.kb.ends_with(": no fix yet"))),
        "every item is a whole package fix: {patches:#?}"
    );
    let cves: Vec<&str> = findings.iter().map(|f| f.cve.as_str()).collect();
    for cve in [
        "CVE-2023-38408",
        "CVE-2023-48795",
        "CVE-2023-51767",
        "CVE-2023-5363",
    ] {
        assert!(cves.contains(&cve), "{cve} missing from {cves:?}");
    }
    // Unit B's host has its own findings; unit A's administrator does not see them.
    assert!(!store
        .host_findings(&w.b_admin, assets[3])
        .await
        .unwrap()
        .is_empty());
    assert!(store.host_findings(&w.a_admin, assets[3]).await.is_err());

    // The attachment is the asset's inventory, audited as the system.
    let inv = store.latest_inventory(&w.a_admin, web01).await.unwrap().unwrap();
    assert_eq!((inv.kind.as_str(), inv.os_build.as_str()), ("agent", "12"));
    let audit = store
        .audit(
            &w.admin,
            &AuditQuery {
                entity: "host_inventory".into(),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(audit.items.len(), 4, "one attachment per agent");
    assert!(audit
        .items
        .iter()
        .all(|e| e.action == "attach" && e.username == "system"));

    // The same content again stores nothing new; the upgraded host's inventory verifies the fixes.
    store
        .record_inventory(&agents[0], &doc(OLD, "web01", "52:54:00:00:00:00"))
        .await
        .unwrap();
    store.inventory_recomputes_settled().await;
    let again = store.latest_inventory(&w.a_admin, web01).await.unwrap().unwrap();
    assert_eq!(again.id, inv.id);
    store
        .record_inventory(&agents[0], &doc(NEW, "web01", "52:54:00:00:00:00"))
        .await
        .unwrap();
    store.inventory_recomputes_settled().await;
    let findings = store.host_findings(&w.a_admin, web01).await.unwrap();
    let f = findings.iter().find(|f| f.cve == "CVE-2023-38408").unwrap();
    assert_eq!(
        (f.state.as_str(), f.status),
        ("remediated", FindingStatus::Fixed),
        "{f:?}"
    );
    assert!(f.reason.starts_with("verified: "), "{f:?}");
    assert!(f.reason.contains("openssh-client 1:9.2p1-2+deb12u3"), "{f:?}");
    let open = findings.iter().find(|f| f.cve == "CVE-2023-51767").unwrap();
    assert_eq!(
        (open.state.as_str(), open.status),
        ("vulnerable", FindingStatus::Open)
    );
    // web02 still runs the old packages.
    let other = store.host_findings(&w.a_admin, assets[1]).await.unwrap();
    let f = other.iter().find(|f| f.cve == "CVE-2023-38408").unwrap();
    assert_eq!(f.status, FindingStatus::Open);
}
