//! `canhgac import list` against the data directory of a running server: the real IPsum feed (≈120,000 addresses)
//! is read, matched against a unit's public range and assets, and the unit sees its remediation items at once.

mod support;

use std::process::Command;

#[test]
fn importing_ipsum_from_the_command_line_fills_the_units_queue() {
    let Some(ipsum) = canhgac_testdata::require("ip-blocklists/ipsum/ipsum.txt") else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let server = support::start(dir.path());
    let client = reqwest::blocking::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let token = support::token_for_admin(&client, &server.url, server.password.as_deref().unwrap());
    let api = |method: reqwest::Method, path: &str| {
        client
            .request(method, format!("{}/api/v1{path}", server.url))
            .bearer_auth(&token)
    };
    let unit: serde_json::Value = api(reqwest::Method::POST, "/units")
        .json(&serde_json::json!({ "code": "BVDK", "name": "Bệnh viện Đa khoa", "kind": "public_hospital" }))
        .send()
        .unwrap()
        .json()
        .unwrap();
    let unit_id = unit["id"].as_i64().unwrap();
    // The hospital's NAT range holds a listed address; one server of its own carries another.
    let r = api(reqwest::Method::POST, &format!("/units/{unit_id}/ranges"))
        .json(&serde_json::json!({ "cidr": "77.90.185.0/24", "note": "NAT" }))
        .send()
        .unwrap();
    assert!(r.status().is_success(), "{}", r.text().unwrap());
    for (host, ip, crit) in [
        ("HIS-DB", "10.1.0.10", "critical"),
        ("KT-PC-07", "2.57.122.53", "low"),
    ] {
        let r = api(reqwest::Method::POST, "/assets")
            .json(
                &serde_json::json!({ "unit_id": unit_id, "hostname": host, "ips": ip, "criticality": crit }),
            )
            .send()
            .unwrap();
        assert!(r.status().is_success(), "{}", r.text().unwrap());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_canhgac"))
        .args([
            "import",
            "list",
            "--name",
            "IPsum",
            "--kind",
            "monthly",
            "--version",
            "2026-08",
            "--data-dir",
        ])
        .arg(dir.path())
        .arg(&ipsum)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    eprintln!("{stdout}{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.status.success());
    assert!(stdout.contains("lines refused"), "a summary is printed: {stdout}");
    assert!(
        stdout.contains("BVDK Bệnh viện Đa khoa: "),
        "matches are counted per unit: {stdout}"
    );
    let items: Vec<serde_json::Value> =
        api(reqwest::Method::GET, &format!("/botnet/items?unit_id={unit_id}"))
            .send()
            .unwrap()
            .json()
            .unwrap();
    let range_item = items
        .iter()
        .find(|i| i["indicator"] == "77.90.185.20")
        .expect("the NAT range's listed address");
    assert_eq!(range_item["via"], "range");
    assert_eq!(
        range_item["assets"][0]["hostname"], "HIS-DB",
        "the most critical machine first"
    );
    let own = items
        .iter()
        .find(|i| i["indicator"] == "2.57.122.53")
        .expect("the workstation's own listed address");
    assert_eq!(own["via"], "asset");
    assert_eq!(own["assets"].as_array().unwrap().len(), 1);
    // A bad file is refused whole with its name, and nothing is stored.
    let bad = dir.path().join("empty.txt");
    std::fs::write(&bad, "# nothing here\n").unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_canhgac"))
        .args(["import", "list", "--name", "Empty", "--data-dir"])
        .arg(dir.path())
        .arg(&bad)
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("empty.txt"));
    let lists: Vec<serde_json::Value> = api(reqwest::Method::GET, "/botnet/lists")
        .send()
        .unwrap()
        .json()
        .unwrap();
    assert_eq!(lists.len(), 1);
}
