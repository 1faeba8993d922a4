//! Any string as a Sigma condition: parsed, evaluated over a few search identifiers with a fixed truth table, and
//! compiled as the `condition:` of a rule with those selections, whose verdict on an event must agree with the
//! evaluation; never a panic, a stack overflow or a hang.
#![no_main]

use canhgac_sigma::{load_str, parse_condition, Engine, LoadOptions, Mapping};
use libfuzzer_sys::fuzz_target;
use serde_json::json;

/// The rule's search identifiers; which of them the event satisfies is [`holds`].
const NAMES: [&str; 5] = ["selection", "sel_b", "filter_a", "filter_b", "_hidden"];

/// The truth of each identifier on the event built in the target (`selection`, `filter_b`, `_hidden` hold).
fn holds(name: &str) -> bool {
    matches!(name, "selection" | "filter_b" | "_hidden")
}

fuzz_target!(|data: &[u8]| {
    let Ok(condition) = std::str::from_utf8(data) else {
        return;
    };
    let parsed = parse_condition(condition);
    let expected = parsed.as_ref().ok().map(|e| e.eval(&NAMES, &holds));

    // The same string as a rule's condition, quoted as a YAML string so that any text stays one scalar.
    let quoted = serde_json::to_string(condition).unwrap_or_default();
    let rule = format!(
        "title: fuzzed condition\ndetection:\n    selection:\n        A: 'yes'\n    sel_b:\n        A: 'no'\n    \
         filter_a:\n        B: 'no'\n    filter_b:\n        B: 'yes'\n    _hidden:\n        C: 'yes'\n    \
         condition: {quoted}\n"
    );
    let report = load_str(&rule, "condition.yml", &LoadOptions::default());
    let loaded = report.rules.len();
    if parsed.is_err() {
        assert_eq!(loaded, 0, "{condition:?} failed to parse but its rule loaded");
        return;
    }
    if loaded == 0 {
        // Parsed, but a name or pattern does not resolve against the rule's identifiers.
        return;
    }
    let (engine, errors) = Engine::build(report, &Mapping::default());
    assert!(errors.is_empty(), "{condition:?}: {errors:?}");
    let event = json!({"A": "yes", "B": "yes", "C": "yes"});
    let fired = !engine.matches(&event).is_empty();
    assert_eq!(Some(fired), expected, "{condition:?}");
});
