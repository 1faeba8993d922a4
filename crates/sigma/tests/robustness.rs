//! Untrusted input never panics the loader or the matcher: random condition strings, random rule documents built
//! from Sigma fragments, and random event values.

use canhgac_sigma::{load_str, parse_condition, Engine, LoadOptions, Mapping};
use proptest::prelude::*;

fn fragment() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("title: t".to_string()),
        Just("detection:".to_string()),
        Just("    sel:".to_string()),
        Just("        Image|endswith: '\\\\x.exe'".to_string()),
        Just("        F|base64offset|contains: 'abc'".to_string()),
        Just("        F|re: '(a|b'".to_string()),
        Just("        F|cidr: '10.0.0.0/8'".to_string()),
        Just("        F|windash|contains: ' -x'".to_string()),
        Just("        - 'keyword'".to_string()),
        Just("    condition: sel and not 1 of f*".to_string()),
        Just("    condition: sel".to_string()),
        Just("correlation: {type: event_count, rules: [t], timespan: 5m, condition: {gte: 2}}".to_string()),
        Just("logsource: {product: windows, category: process_creation}".to_string()),
        Just("---".to_string()),
        "[ -~]{0,30}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(1000))]

    #[test]
    fn conditions_never_panic(s in "[a-z_*() |01]{0,40}|(and|or|not|of|them|all|1|\\(|\\)| |sel_a|x\\*){0,20}") {
        let _ = parse_condition(&s);
    }

    #[test]
    fn rule_documents_never_panic(lines in proptest::collection::vec(fragment(), 0..14)) {
        let text = lines.join("\n");
        let report = load_str(&text, "random.yml", &LoadOptions::default());
        let (engine, _) = Engine::build(report, &Mapping::default());
        let ev = serde_json::json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1,
            "Image": "C:\\\\x.exe", "F": "abc -x keyword"});
        let _ = engine.matches(&ev);
    }

    #[test]
    fn event_values_never_panic(value in "\\PC{0,60}", n in any::<i64>()) {
        let report = load_str(
            "title: t\ndetection:\n    s:\n        F|contains: 'a?b*c'\n        N|gt: 3\n    k:\n        - 'x'\n    condition: s or k\n",
            "r.yml",
            &LoadOptions::default(),
        );
        prop_assert!(report.errors.is_empty(), "{:?}", report.errors);
        let (engine, _) = Engine::build(report, &Mapping::default());
        let hit = !engine.matches(&serde_json::json!({"F": value, "N": n})).is_empty();
        // The keyword search `x` alone decides a match whenever F holds an x.
        if value.to_ascii_lowercase().contains('x') {
            prop_assert!(hit, "F={:?} N={}", value, n);
        }
    }
}
