//! Sigma filter rules, restriction by level/status/tags, and log-source dispatch with field renames.

use canhgac_sigma::{load_str, Engine, Level, LoadOptions, Mapping, Restriction, Status};
use serde_json::json;

const RULES: &str = r#"
title: Remote admin tool
id: 6f3e2987-db24-4c78-a860-b4f4095a7095
status: test
level: high
tags: [attack.execution, attack.t1569.002]
logsource: {product: windows, category: process_creation}
detection:
    selection:
        Image|endswith: '\psexesvc.exe'
    condition: selection
---
title: Noisy informational rule
id: 00000000-0000-4000-8000-00000000000a
status: experimental
level: informational
tags: [attack.discovery]
logsource: {product: windows, service: security}
detection:
    selection:
        EventID: 4624
    condition: selection
---
title: Ignore the jump servers
id: 00000000-0000-4000-8000-00000000000b
logsource: {product: windows}
filter:
    rules:
        - 6f3e2987-db24-4c78-a860-b4f4095a7095
    selection:
        Computer|startswith: 'JUMP-'
    condition: not selection
"#;

fn engine(r: &Restriction) -> Engine {
    let mut report = load_str(RULES, "filters.yml", &LoadOptions::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    report.restrict(r);
    let (e, errors) = Engine::build(report, &Mapping::default());
    assert!(errors.is_empty(), "{errors:?}");
    e
}

#[test]
fn filter_rules_exclude_what_they_name() {
    let e = engine(&Restriction::default());
    let sysmon = |host: &str| {
        json!({"Event": {"System": {"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1, "Computer": host},
               "EventData": {"Image": "C:\\Windows\\PSEXESVC.exe"}}})
    };
    assert_eq!(e.matches(&sysmon("WS-042")).len(), 1);
    assert!(
        e.matches(&sysmon("JUMP-01")).is_empty(),
        "the filter removes jump servers"
    );
}

#[test]
fn dispatch_by_channel_event_id_and_renames() {
    let e = engine(&Restriction::default());
    // Security 4688 names the image NewProcessName.
    let sec = json!({"Channel": "Security", "EventID": 4688, "NewProcessName": "C:\\Windows\\psexesvc.exe"});
    assert_eq!(e.matches(&sec).len(), 1);
    assert_eq!(
        e.matched_fields(e.find("6f3e2987-db24-4c78-a860-b4f4095a7095").unwrap_or(0), &sec),
        vec![(
            "NewProcessName".to_string(),
            "C:\\Windows\\psexesvc.exe".to_string()
        )]
    );
    // The same field on another event id or channel is not a process creation.
    let other =
        json!({"Channel": "Security", "EventID": 4689, "NewProcessName": "C:\\Windows\\psexesvc.exe"});
    assert!(e.matches(&other).is_empty());
    let app = json!({"Channel": "Application", "EventID": 1, "Image": "C:\\Windows\\psexesvc.exe"});
    assert!(e.matches(&app).is_empty());
    // Channel names compare case-insensitively.
    let lower =
        json!({"Channel": "microsoft-windows-sysmon/operational", "EventID": 1, "Image": "x\\psexesvc.exe"});
    assert_eq!(e.matches(&lower).len(), 1);
}

#[test]
fn restriction_by_level_status_and_tags() {
    assert_eq!(engine(&Restriction::default()).len(), 2);
    assert_eq!(
        engine(&Restriction {
            min_level: Some(Level::Medium),
            ..Default::default()
        })
        .len(),
        1
    );
    assert_eq!(
        engine(&Restriction {
            statuses: vec![Status::Experimental],
            ..Default::default()
        })
        .len(),
        1
    );
    let by_tag = engine(&Restriction {
        tags: vec!["attack.t1569".into()],
        ..Default::default()
    });
    assert_eq!(
        by_tag.rules().map(|m| m.title.as_str()).collect::<Vec<_>>(),
        vec!["Remote admin tool"]
    );
    let mut report = load_str(RULES, "filters.yml", &LoadOptions::default());
    assert_eq!(
        report.restrict(&Restriction {
            min_level: Some(Level::Critical),
            ..Default::default()
        }),
        2
    );
    assert_eq!(report.restricted, 2);
}

#[test]
fn metadata_is_kept() {
    let e = engine(&Restriction::default());
    let m = e.rule(0);
    assert_eq!(m.level, Some(Level::High));
    assert_eq!(m.status, Some(Status::Test));
    assert_eq!(m.attack_techniques().collect::<Vec<_>>(), vec!["T1569.002"]);
    assert_eq!(m.origin, "filters.yml");
    assert_eq!(e.logsource(0).category.as_deref(), Some("process_creation"));
}
