//! Syslog over TLS (RFC 5425): a sender that trusts the server's certificate delivers octet-counted and
//! newline-framed messages, stored under the unit whose source range holds the sender; a sender that speaks plain
//! text to the TLS port gets nothing stored and does not disturb the listener.

use std::sync::Arc;
use std::time::{Duration, Instant};

use canhgac_ingest::{start, IngestConfig};
use canhgac_model::{Actor, UnitInput};
use canhgac_store::{EventQuery, SourceKind, Store};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, ServerName};
use tokio::io::AsyncWriteExt;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tls_syslog_reaches_the_units_event_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    let pw = store.bootstrap("Sở Y tế", "admin").await.unwrap().unwrap();
    let s = store.login("admin", &pw).await.unwrap();
    let admin = Actor {
        user_id: s.user.id,
        unit_id: s.user.unit_id,
        role: s.user.role,
    };
    let input = UnitInput {
        code: "TTYT".into(),
        name: "Trung tâm Y tế huyện".into(),
        kind: "public_hospital".into(),
        ..Default::default()
    };
    let unit = store.create_unit(&admin, &input).await.unwrap().id;
    store
        .create_event_source(&admin, unit, "Tường lửa", SourceKind::Syslog, "127.0.0.0/8")
        .await
        .unwrap();

    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_string()]).unwrap();
    let der = CertificateDer::from(cert.cert.der().to_vec());
    let key = PrivateKeyDer::Pkcs8(cert.key_pair.serialize_der().into());
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let server = rustls::ServerConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(vec![der.clone()], key)
        .unwrap();
    let config = IngestConfig {
        syslog_tls: vec!["127.0.0.1:0".parse().unwrap()],
        tls: Some(Arc::new(server)),
        ..Default::default()
    };
    let ingest = start(store.clone(), config).await.unwrap();
    let addr = ingest.syslog_tls[0];

    // A plain-text sender on the TLS port: refused at the handshake, nothing stored.
    let mut plain = tokio::net::TcpStream::connect(addr).await.unwrap();
    plain
        .write_all(b"<13>Feb  9 07:00:00 fw-tls plain: should not be stored\n")
        .await
        .unwrap();
    drop(plain);

    let mut roots = rustls::RootCertStore::empty();
    roots.add(der).unwrap();
    let client = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_root_certificates(roots)
        .with_no_client_auth();
    let connector = tokio_rustls::TlsConnector::from(Arc::new(client));
    let tcp = tokio::net::TcpStream::connect(addr).await.unwrap();
    let mut tls = connector
        .connect(ServerName::try_from("localhost").unwrap(), tcp)
        .await
        .unwrap();
    let messages = [
        "<134>1 2024-02-09T07:00:00+07:00 fw-tls fortigate - - - CEF:0|Fortinet|FortiGate|7.0|13|deny|5|src=10.9.0.5 dst=45.9.148.3",
        "<134>1 2024-02-09T07:00:01+07:00 fw-tls fortigate - - - action=deny srcip=10.9.0.6 dstip=45.9.148.3",
        "<86>Feb  9 07:00:02 fw-tls sshd[811]: Failed password for root from 10.9.0.7",
    ];
    for m in &messages[..2] {
        tls.write_all(format!("{} {m}", m.len()).as_bytes())
            .await
            .unwrap();
    }
    tls.write_all(format!("{}\n", messages[2]).as_bytes())
        .await
        .unwrap();
    tls.shutdown().await.unwrap();

    let q = EventQuery {
        host: "fw-tls".into(),
        limit: 50,
        ..Default::default()
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    let found = loop {
        let page = store.search_events(&admin, &q).await.unwrap();
        if page.items.len() >= 3 {
            break page.items;
        }
        assert!(
            Instant::now() < deadline,
            "only {} of 3 TLS messages stored",
            page.items.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    tokio::time::sleep(Duration::from_millis(300)).await;
    let again = store.search_events(&admin, &q).await.unwrap().items;
    assert_eq!(again.len(), 3, "the plain-text sender stored nothing");
    let mut formats: Vec<&str> = found.iter().map(|e| e.event.format.as_str()).collect();
    formats.sort_unstable();
    assert_eq!(formats, ["cef", "kv", "syslog3164"]);
    assert!(found.iter().all(|e| e.event.unit_id == unit));
    let totals = ingest.collector.metrics.totals();
    assert_eq!((totals.stored, totals.dropped), (3, 0), "{totals:?}");
}
