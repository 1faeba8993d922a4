//! Detection semantics, one behaviour per test, written like the rule language: `sigma_match!(detection, event)`.

use canhgac_sigma::{load_str, Engine, LoadOptions, Mapping, Placeholders};
use serde_json::{json, Value};

/// Compiles a rule with the given `detection:` body (YAML, indented by four spaces) and no log source.
fn engine_with(detection: &str, opts: &LoadOptions) -> Engine {
    let text = format!("title: test rule\nid: test-1\nlevel: high\ndetection:\n{detection}\n");
    let report = load_str(&text, "inline.yml", opts);
    assert!(
        report.errors.is_empty(),
        "rule did not load: {:?}\n{text}",
        report.errors
    );
    let (engine, errors) = Engine::build(report, &Mapping::default());
    assert!(errors.is_empty(), "{errors:?}");
    engine
}

fn fires(detection: &str, ev: &Value) -> bool {
    !engine_with(detection, &LoadOptions::default())
        .matches(ev)
        .is_empty()
}

macro_rules! sigma_match {
    ($det:expr, $ev:expr) => {
        assert!(fires($det, &$ev), "expected a match:\n{}\non {}", $det, $ev)
    };
}
macro_rules! sigma_no_match {
    ($det:expr, $ev:expr) => {
        assert!(!fires($det, &$ev), "expected no match:\n{}\non {}", $det, $ev)
    };
}

#[test]
fn plain_values_are_case_insensitive_and_whole() {
    let d = "    sel:\n        Image: 'C:\\Windows\\System32\\cmd.exe'\n    condition: sel";
    sigma_match!(d, json!({"Image": "c:\\windows\\system32\\CMD.EXE"}));
    sigma_no_match!(d, json!({"Image": "c:\\windows\\system32\\cmd.exe.bak"}));
    sigma_no_match!(d, json!({"Other": "c:\\windows\\system32\\cmd.exe"}));
}

#[test]
fn lists_are_or_and_maps_are_and() {
    let d =
        "    sel:\n        Image|endswith: ['\\a.exe', '\\b.exe']\n        User: admin\n    condition: sel";
    sigma_match!(d, json!({"Image": "C:\\b.exe", "User": "ADMIN"}));
    sigma_no_match!(d, json!({"Image": "C:\\b.exe", "User": "guest"}));
    sigma_no_match!(d, json!({"Image": "C:\\c.exe", "User": "admin"}));
    // A list of maps is OR of the maps.
    let d = "    sel:\n        - Image|endswith: '\\a.exe'\n        - User: admin\n    condition: sel";
    sigma_match!(d, json!({"Image": "x", "User": "admin"}));
    sigma_match!(d, json!({"Image": "\\a.exe"}));
    sigma_no_match!(d, json!({"Image": "x", "User": "x"}));
}

#[test]
fn contains_startswith_endswith() {
    sigma_match!(
        "    s:\n        F|contains: 'mimi'\n    condition: s",
        json!({"F": "xxMIMIkatz"})
    );
    sigma_no_match!(
        "    s:\n        F|contains: 'mimi'\n    condition: s",
        json!({"F": "mim"})
    );
    sigma_match!(
        "    s:\n        F|startswith: 'C:\\Users'\n    condition: s",
        json!({"F": "c:\\users\\bob"})
    );
    sigma_no_match!(
        "    s:\n        F|startswith: 'C:\\Users'\n    condition: s",
        json!({"F": "D:\\c:\\users"})
    );
    sigma_match!(
        "    s:\n        F|endswith: '.ps1'\n    condition: s",
        json!({"F": "a.PS1"})
    );
    sigma_no_match!(
        "    s:\n        F|endswith: '.ps1'\n    condition: s",
        json!({"F": "a.ps1x"})
    );
}

#[test]
fn all_requires_every_value_even_with_wildcards() {
    let d = "    s:\n        CommandLine|contains|all:\n            - ' -enc'\n            - 'http*://'\n    condition: s";
    sigma_match!(d, json!({"CommandLine": "powershell -enc abc https://x"}));
    sigma_no_match!(d, json!({"CommandLine": "powershell -enc abc"}));
    sigma_no_match!(d, json!({"CommandLine": "powershell https://x"}));
}

#[test]
fn wildcards_and_escapes() {
    let d = "    s:\n        F: 'a*b?c'\n    condition: s";
    sigma_match!(d, json!({"F": "aXXbYc"}));
    sigma_no_match!(d, json!({"F": "aXXbc"}));
    // \* is a literal star, \\ a single backslash.
    let d = "    s:\n        F: 'a\\*b'\n    condition: s";
    sigma_match!(d, json!({"F": "a*b"}));
    sigma_no_match!(d, json!({"F": "aXb"}));
    let d = "    s:\n        F: '\\\\\\\\server*'\n    condition: s";
    sigma_match!(d, json!({"F": "\\\\server\\share"}));
    sigma_no_match!(d, json!({"F": "\\\\\\\\server\\share"}));
}

#[test]
fn windash_accepts_every_dash_form() {
    let d = "    s:\n        CommandLine|windash|contains: ' -nop '\n    condition: s";
    for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
        sigma_match!(
            d,
            json!({"CommandLine": format!("powershell {dash}nop -w hidden")})
        );
    }
    sigma_no_match!(d, json!({"CommandLine": "powershell +nop -w hidden"}));
}

#[test]
fn base64_and_base64offset() {
    // base64('ping') = cGluZw==
    sigma_match!(
        "    s:\n        F|base64: 'ping'\n    condition: s",
        json!({"F": "cGluZw=="})
    );
    sigma_no_match!(
        "    s:\n        F|base64: 'ping'\n    condition: s",
        json!({"F": "cGluZw"})
    );
    // 'http://' at each offset inside a longer base64 text.
    let d = "    s:\n        F|base64offset|contains: 'http://'\n    condition: s";
    use base64::Engine as _;
    for prefix in ["", "a", "ab"] {
        let enc = base64::engine::general_purpose::STANDARD.encode(format!("{prefix}http://evil/x"));
        sigma_match!(d, json!({ "F": enc }));
    }
    let other = base64::engine::general_purpose::STANDARD.encode("https://good/x");
    sigma_no_match!(d, json!({ "F": other }));
    // base64 is case-sensitive.
    sigma_no_match!(
        "    s:\n        F|base64: 'ping'\n    condition: s",
        json!({"F": "CGLUZW=="})
    );
}

#[test]
fn utf16_variants_under_base64() {
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let le: Vec<u8> = "cmd".encode_utf16().flat_map(u16::to_le_bytes).collect();
    let be: Vec<u8> = "cmd".encode_utf16().flat_map(u16::to_be_bytes).collect();
    let mut bom = vec![0xFF, 0xFE];
    bom.extend_from_slice(&le);
    sigma_match!(
        "    s:\n        F|utf16le|base64: 'cmd'\n    condition: s",
        json!({ "F": b64(&le) })
    );
    sigma_match!(
        "    s:\n        F|wide|base64: 'cmd'\n    condition: s",
        json!({ "F": b64(&le) })
    );
    sigma_match!(
        "    s:\n        F|utf16be|base64: 'cmd'\n    condition: s",
        json!({ "F": b64(&be) })
    );
    sigma_match!(
        "    s:\n        F|utf16|base64: 'cmd'\n    condition: s",
        json!({ "F": b64(&bom) })
    );
    sigma_no_match!(
        "    s:\n        F|utf16be|base64: 'cmd'\n    condition: s",
        json!({ "F": b64(&le) })
    );
    // wide|base64offset|contains, as SigmaHQ's encoded PowerShell rules use it.
    let text: Vec<u8> = "xx IEX (New-Object"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    sigma_match!(
        "    s:\n        F|wide|base64offset|contains: 'IEX ('\n    condition: s",
        json!({ "F": b64(&text) })
    );
}

#[test]
fn regular_expressions_and_flags() {
    sigma_match!(
        "    s:\n        F|re: '^a\\d+b$'\n    condition: s",
        json!({"F": "a123b"})
    );
    // Case-sensitive unless i.
    sigma_no_match!(
        "    s:\n        F|re: '^a\\d+b$'\n    condition: s",
        json!({"F": "A123B"})
    );
    sigma_match!(
        "    s:\n        F|re|i: '^a\\d+b$'\n    condition: s",
        json!({"F": "A123B"})
    );
    sigma_match!(
        "    s:\n        F|re|m: '^b$'\n    condition: s",
        json!({"F": "a\nb\nc"})
    );
    sigma_no_match!(
        "    s:\n        F|re: '^b$'\n    condition: s",
        json!({"F": "a\nb\nc"})
    );
    sigma_match!(
        "    s:\n        F|re|s: 'a.b'\n    condition: s",
        json!({"F": "a\nb"})
    );
    sigma_no_match!(
        "    s:\n        F|re: 'a.b'\n    condition: s",
        json!({"F": "a\nb"})
    );
}

#[test]
fn cidr() {
    let d = "    s:\n        DestinationIp|cidr: ['10.0.0.0/8', 'fe80::/10']\n    condition: s";
    sigma_match!(d, json!({"DestinationIp": "10.1.2.3"}));
    sigma_match!(d, json!({"DestinationIp": "fe80::1"}));
    sigma_no_match!(d, json!({"DestinationIp": "11.0.0.1"}));
    sigma_no_match!(d, json!({"DestinationIp": "not an ip"}));
}

#[test]
fn numeric_comparisons() {
    for (op, yes, no) in [("lt", 4, 5), ("lte", 5, 6), ("gt", 6, 5), ("gte", 5, 4)] {
        let d = format!("    s:\n        N|{op}: 5\n    condition: s");
        sigma_match!(&d, json!({ "N": yes }));
        sigma_match!(&d, json!({ "N": yes.to_string() }));
        sigma_no_match!(&d, json!({ "N": no }));
    }
    sigma_no_match!("    s:\n        N|gt: 5\n    condition: s", json!({"N": "many"}));
}

#[test]
fn exists_and_null() {
    sigma_match!(
        "    s:\n        F|exists: true\n    condition: s",
        json!({"F": ""})
    );
    sigma_no_match!(
        "    s:\n        F|exists: true\n    condition: s",
        json!({"G": "x"})
    );
    sigma_match!(
        "    s:\n        F|exists: false\n    condition: s",
        json!({"G": "x"})
    );
    sigma_match!("    s:\n        F: null\n    condition: s", json!({"G": "x"}));
    sigma_match!("    s:\n        F: null\n    condition: s", json!({"F": null}));
    sigma_match!("    s:\n        F: null\n    condition: s", json!({"F": ""}));
    sigma_no_match!("    s:\n        F: null\n    condition: s", json!({"F": "x"}));
}

#[test]
fn fieldref() {
    let d = "    s:\n        ParentImage|fieldref: Image\n    condition: s";
    sigma_match!(d, json!({"Image": "C:\\a.exe", "ParentImage": "c:\\A.exe"}));
    sigma_no_match!(d, json!({"Image": "C:\\a.exe", "ParentImage": "c:\\b.exe"}));
    sigma_no_match!(d, json!({"ParentImage": "c:\\b.exe"}));
    let d = "    s:\n        CommandLine|fieldref|contains: User\n    condition: s";
    sigma_match!(d, json!({"CommandLine": "net user bob /add", "User": "BOB"}));
}

#[test]
fn expand_uses_given_placeholders() {
    let mut placeholders = Placeholders::new();
    placeholders.insert(
        "AdminGroups".into(),
        vec!["Domain Admins".into(), "Quản trị".into()],
    );
    let opts = LoadOptions { placeholders };
    let e = engine_with(
        "    s:\n        Group|expand: '%AdminGroups%'\n    condition: s",
        &opts,
    );
    assert_eq!(e.matches(&json!({"Group": "domain admins"})).len(), 1);
    assert_eq!(e.matches(&json!({"Group": "Quản trị"})).len(), 1);
    assert!(e.matches(&json!({"Group": "Users"})).is_empty());
    // Without values the rule is reported, naming the placeholder.
    let r = load_str(
        "title: t\ndetection:\n    s:\n        G|expand: '%Nope%'\n    condition: s\n",
        "x.yml",
        &LoadOptions::default(),
    );
    assert_eq!(r.errors.len(), 1);
    assert!(r.errors[0].to_string().contains("%Nope%"), "{}", r.errors[0]);
}

#[test]
fn cased_keeps_case() {
    sigma_match!(
        "    s:\n        F|cased: 'AbC'\n    condition: s",
        json!({"F": "AbC"})
    );
    sigma_no_match!(
        "    s:\n        F|cased: 'AbC'\n    condition: s",
        json!({"F": "abc"})
    );
    sigma_match!(
        "    s:\n        F|contains|cased: 'Secret'\n    condition: s",
        json!({"F": "my Secret"})
    );
    sigma_no_match!(
        "    s:\n        F|contains|cased: 'Secret'\n    condition: s",
        json!({"F": "my secret"})
    );
}

#[test]
fn numbers_and_booleans_compare_as_text() {
    sigma_match!(
        "    s:\n        EventID: 4688\n    condition: s",
        json!({"EventID": 4688})
    );
    sigma_match!(
        "    s:\n        EventID: 4688\n    condition: s",
        json!({"EventID": "4688"})
    );
    sigma_no_match!(
        "    s:\n        EventID: 4688\n    condition: s",
        json!({"EventID": 46880})
    );
    sigma_match!(
        "    s:\n        Enabled: true\n    condition: s",
        json!({"Enabled": "True"})
    );
}

#[test]
fn keyword_searches() {
    let d = "    keywords:\n        - 'mimikatz'\n        - 'sekurlsa'\n    condition: keywords";
    sigma_match!(d, json!({"Payload": "invoke-Mimikatz -dump"}));
    sigma_no_match!(d, json!({"Payload": "benign"}));
    let d = "    keywords:\n        '|all':\n            - 'alpha'\n            - 'beta'\n    condition: keywords";
    sigma_match!(d, json!({"A": "alpha", "B": "xbetax"}));
    sigma_no_match!(d, json!({"A": "alpha"}));
}

#[test]
fn conditions() {
    let base = "    sel_a:\n        A: 1\n    sel_b:\n        B: 1\n    filter_x:\n        X: 1\n    filter_y:\n        Y: 1\n";
    let cases: &[(&str, Value, bool)] = &[
        ("sel_a and sel_b", json!({"A": 1, "B": 1}), true),
        ("sel_a and sel_b", json!({"A": 1}), false),
        ("sel_a or sel_b", json!({"B": 1}), true),
        ("sel_a and not sel_b", json!({"A": 1, "B": 1}), false),
        ("not sel_a", json!({"B": 1}), true),
        (
            "(sel_a or sel_b) and not 1 of filter_*",
            json!({"A": 1, "Y": 1}),
            false,
        ),
        ("(sel_a or sel_b) and not 1 of filter_*", json!({"A": 1}), true),
        ("sel_a and not all of filter_*", json!({"A": 1, "X": 1}), true),
        (
            "sel_a and not all of filter_*",
            json!({"A": 1, "X": 1, "Y": 1}),
            false,
        ),
        ("1 of sel_*", json!({"B": 1}), true),
        ("all of sel_*", json!({"B": 1}), false),
        ("all of them", json!({"A": 1, "B": 1, "X": 1, "Y": 1}), true),
        ("all of them", json!({"A": 1, "B": 1, "X": 1}), false),
        ("1 of them", json!({"Y": 1}), true),
        ("any of filter_*", json!({"X": 1}), true),
        ("sel_a or sel_b and filter_x", json!({"A": 1}), true),
        ("(sel_a or sel_b) and filter_x", json!({"A": 1}), false),
        ("NOT sel_a AND sel_b", json!({"B": 1}), true),
    ];
    for (cond, ev, want) in cases {
        let d = format!("{base}    condition: {cond}");
        assert_eq!(fires(&d, ev), *want, "condition `{cond}` on {ev}");
    }
    // A list of conditions is OR.
    let d = format!("{base}    condition:\n        - sel_a\n        - sel_b");
    sigma_match!(&d, json!({"B": 1}));
}

#[test]
fn malformed_rules_are_reported_with_place() {
    let cases = [
        (
            "title: t\ndetection:\n    s:\n        F|bogus: x\n    condition: s\n",
            "detection.s.F|bogus",
            "bogus",
        ),
        (
            "title: t\ndetection:\n    s:\n        F: x\n    condition: s and\n",
            "detection.condition",
            "expected",
        ),
        (
            "title: t\ndetection:\n    s:\n        F: x\n    condition: t\n",
            "detection.condition",
            "unknown search identifier `t`",
        ),
        (
            "title: t\ndetection:\n    s:\n        F|re: '('\n    condition: s\n",
            "detection.s.F|re",
            "regular expression",
        ),
        (
            "title: t\ndetection:\n    s:\n        F|cidr: '10.0.0.0/33'\n    condition: s\n",
            "detection.s.F|cidr",
            "CIDR",
        ),
        (
            "title: t\ndetection:\n    s:\n        F: x\n",
            "detection.condition",
            "missing",
        ),
        (
            "detection:\n    s:\n        F: x\n    condition: s\n",
            "title",
            "missing",
        ),
        (
            "title: t\nlevel: severe\ndetection:\n    s:\n        F: x\n    condition: s\n",
            "level",
            "severe",
        ),
        (
            "title: t\ndetection:\n    s:\n        F: x\n    condition: s | count() > 5\n",
            "detection.condition",
            "aggregation",
        ),
    ];
    for (text, place, reason) in cases {
        let r = load_str(text, "bad.yml", &LoadOptions::default());
        assert_eq!(r.errors.len(), 1, "{text}");
        let msg = r.errors[0].to_string();
        assert!(msg.starts_with("bad.yml document 1"), "{msg}");
        assert!(
            msg.contains(place) && msg.contains(reason),
            "{msg} should name {place} and {reason}"
        );
    }
    let r = load_str("title: [unclosed\n", "broken.yml", &LoadOptions::default());
    assert!(
        r.errors[0].to_string().starts_with("broken.yml: YAML:"),
        "{}",
        r.errors[0]
    );
}

#[test]
fn multi_document_files_keep_good_rules() {
    let text = "title: one\ndetection:\n    s:\n        F: 1\n    condition: s\n---\ntitle: bad\ndetection:\n    s:\n        F|nope: 1\n    condition: s\n---\ntitle: three\ndetection:\n    s:\n        F: 3\n    condition: s\n";
    let r = load_str(text, "multi.yml", &LoadOptions::default());
    assert_eq!(r.rules.len(), 2);
    assert_eq!(r.errors.len(), 1);
    assert!(
        r.errors[0].to_string().contains("document 2 (rule `bad`)"),
        "{}",
        r.errors[0]
    );
}
