//! Regression tests: each is named after what broke, with a line saying how it was found.

use canhgac_sigma::{load_str, parse_condition, Error, LoadOptions, MAX_CONDITION_DEPTH};
use std::time::{Duration, Instant};

fn rule_with_condition(condition: &str) -> String {
    format!("title: deep\ndetection:\n    selection:\n        Image: x\n    condition: '{condition}'\n")
}

/// The loader's error for the one rule in `text`, which must not load.
fn load_error(text: &str) -> String {
    let report = load_str(text, "deep.yml", &LoadOptions::default());
    assert_eq!(report.loaded(), 0);
    match report.errors.as_slice() {
        [e @ Error::Invalid { place, .. }] => {
            assert_eq!(place, "detection.condition");
            e.to_string()
        }
        other => panic!("expected one invalid-rule error, got {other:?}"),
    }
}

// A condition of 50,000 `(` overflowed the parser's stack and aborted the process (reproduced with the
// `condition` fuzz target).
#[test]
fn deeply_nested_parentheses_are_an_error_not_a_stack_overflow() {
    let deep = format!("{}selection{}", "(".repeat(100_000), ")".repeat(100_000));
    let error = parse_condition(&deep).expect_err("nesting beyond the limit");
    assert_eq!(error.offset, MAX_CONDITION_DEPTH);
    assert!(error.message.contains("nested deeper than 64"), "{error}");
    assert!(load_error(&rule_with_condition(&deep)).contains("nested deeper than 64"));

    let at_limit = format!(
        "{}selection{}",
        "(".repeat(MAX_CONDITION_DEPTH),
        ")".repeat(MAX_CONDITION_DEPTH)
    );
    assert!(parse_condition(&at_limit).is_ok());
    let report = load_str(
        &rule_with_condition(&at_limit),
        "deep.yml",
        &LoadOptions::default(),
    );
    assert_eq!((report.rules.len(), report.errors.len()), (1, 0));
}

// A chain of 50,000 `not` recursed once per word and aborted the process the same way.
#[test]
fn long_not_chains_are_an_error_not_a_stack_overflow() {
    let deep = format!("{}selection", "not ".repeat(100_000));
    let error = parse_condition(&deep).expect_err("nesting beyond the limit");
    assert_eq!(error.offset, 4 * MAX_CONDITION_DEPTH);
    assert!(load_error(&rule_with_condition(&deep)).contains("nested deeper than 64"));

    // Parentheses and `not` count together: 32 of each is at the limit, one more `not` beyond it.
    let half = MAX_CONDITION_DEPTH / 2;
    let mixed = |nots: usize| {
        format!(
            "{}{}selection{}",
            "(".repeat(half),
            "not ".repeat(nots),
            ")".repeat(half)
        )
    };
    assert!(parse_condition(&mixed(half)).is_ok());
    assert!(parse_condition(&mixed(half + 1)).is_err());
}

// A rule file of 64,000 nested `[` (128 KB) kept the YAML scanner busy for 18 seconds (its time grows with the
// square of the nesting) before the loader refused it for exceeding 128 levels.
#[test]
fn deeply_nested_flow_collections_are_refused_before_the_yaml_scanner() {
    let n = 64_000;
    let text = format!(
        "title: deep\ndetection:\n    selection: {}{}\n    condition: selection\n",
        "[".repeat(n),
        "]".repeat(n)
    );
    let started = Instant::now();
    let report = load_str(&text, "deep.yml", &LoadOptions::default());
    let took = started.elapsed();
    assert_eq!(report.loaded(), 0);
    match report.errors.as_slice() {
        [Error::Yaml { origin, message }] => {
            assert_eq!(origin, "deep.yml");
            assert_eq!(
                message,
                "flow collections nested deeper than 128 levels at line 3 column 144"
            );
        }
        other => panic!("expected one YAML error, got {other:?}"),
    }
    assert!(took < Duration::from_secs(5), "took {took:?}");
}
