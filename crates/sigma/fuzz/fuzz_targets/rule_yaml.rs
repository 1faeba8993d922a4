//! Any bytes as a rule file: loaded (every document a rule, filter, correlation or a located error), compiled, and
//! the compiled rules matched against three fixed events and fed to the correlator; never a panic or a hang. Text
//! the loader refuses for its nesting must be text the YAML parser refuses too.
#![no_main]

use canhgac_sigma::{load_str, Correlator, Engine, Error, LoadOptions, Mapping};
use libfuzzer_sys::fuzz_target;
use serde::Deserialize as _;
use serde_json::{json, Value};

/// A Sysmon process creation, a Security 4688 and a PowerShell script block in the `evtx` crate's shape, with
/// values the seed rules look for, numbers, an address and a base64 fragment.
fn events() -> [Value; 3] {
    [
        json!({"Channel": "Microsoft-Windows-Sysmon/Operational", "EventID": 1,
            "UtcTime": "2024-03-01 12:00:00.000", "Computer": "pc1.example",
            "Image": "C:\\Windows\\System32\\WindowsPowerShell\\v1.0\\powershell.exe",
            "OriginalFileName": "PowerShell.EXE",
            "CommandLine": "powershell.exe -nop -w hidden -enc SQBFAFgAIAAoAE4AZQB3AC0ATwBiAGoAZQBjAHQA /c whoami",
            "ParentImage": "C:\\Windows\\explorer.exe", "User": "CORP\\admin", "IntegrityLevel": "High",
            "Hashes": "SHA256=9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08",
            "DestinationIp": "10.1.2.3", "DestinationPort": 445, "ProcessId": 4242}),
        json!({"Channel": "Security", "EventID": 4688, "@timestamp": "2024-03-01T12:00:05Z",
            "NewProcessName": "C:\\Windows\\System32\\cmd.exe", "CommandLine": "cmd.exe /c net user x /add",
            "SubjectUserName": "admin", "TargetUserName": "x", "LogonType": 3, "IpAddress": "192.168.0.7"}),
        json!({"Event": {"System": {"Provider": {"#attributes": {"Name": "Microsoft-Windows-PowerShell"}},
            "EventID": 4104, "Channel": "Microsoft-Windows-PowerShell/Operational", "Computer": "pc1.example",
            "TimeCreated": {"#attributes": {"SystemTime": "2024-03-01T12:00:09.5Z"}}},
            "EventData": {"ScriptBlockText": "Invoke-Mimikatz -DumpCreds; IEX (New-Object Net.WebClient)",
                "Data": {"#text": ["one", "xp_cmdshell"]}}}}),
    ]
}

fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let report = load_str(&text, "fuzz.yml", &LoadOptions::default());
    let refused_as_too_deep = report.errors.iter().any(
        |e| matches!(e, Error::Yaml { message, .. } if message.starts_with("flow collections nested deeper")),
    );
    if refused_as_too_deep {
        let yaml_refuses = serde_yaml_ng::Deserializer::from_str(&text)
            .any(|document| serde_yaml_ng::Value::deserialize(document).is_err());
        assert!(yaml_refuses, "refused for nesting, but the YAML parser reads it");
    }
    if report.loaded() == 0 {
        return;
    }
    let (engine, _errors) = Engine::build(report, &Mapping::default());
    let mut scanner = engine.scanner();
    let mut correlator = Correlator::new(&engine);
    for event in events() {
        let hits = scanner.scan(&event).to_vec();
        for &rule in &hits {
            let _ = engine.matched_fields(rule, &event);
        }
        let _ = correlator.observe(&event, &hits);
    }
});
