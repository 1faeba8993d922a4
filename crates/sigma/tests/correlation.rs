//! Correlation rules over a log written for them (`fixtures/correlation-events.jsonl`, commented per case below).

use canhgac_sigma::{load_str, Correlator, Engine, LoadOptions, Mapping};

fn engine() -> Engine {
    let text = include_str!("fixtures/correlation.yml");
    let report = load_str(text, "correlation.yml", &LoadOptions::default());
    assert!(report.errors.is_empty(), "{:?}", report.errors);
    assert_eq!((report.rules.len(), report.correlations.len()), (4, 4));
    let (engine, errors) = Engine::build(report, &Mapping::default());
    assert!(errors.is_empty(), "{errors:?}");
    engine
}

/// (correlation title, group values, count) for every correlation that fired, in order.
fn run(engine: &Engine) -> (Vec<(String, Vec<String>, u64)>, u64) {
    let mut scanner = engine.scanner();
    let mut corr = Correlator::new(engine);
    let titles: Vec<String> = engine.correlations().map(|c| c.meta.title.clone()).collect();
    let mut out = Vec::new();
    for line in include_str!("fixtures/correlation-events.jsonl").lines() {
        let ev: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
        let hits = scanner.scan(&ev).to_vec();
        for m in corr.observe(&ev, &hits) {
            out.push((
                titles[m.correlation].clone(),
                m.group.into_iter().map(|g| g.1).collect(),
                m.count,
            ));
        }
    }
    (out, corr.untimed())
}

#[test]
fn correlations_fire_on_their_windows() {
    let engine = engine();
    let (fired, untimed) = run(&engine);
    let expect = |t: &str, g: &[&str], n: u64| {
        (
            t.to_string(),
            g.iter().map(|s| s.to_string()).collect::<Vec<_>>(),
            n,
        )
    };
    assert_eq!(
        fired,
        vec![
            // bob fails three times in two minutes.
            expect("Brute force against one account", &["bob"], 3),
            // ... then logs on a minute later. (alice's success comes 16 minutes after her last failure: too late.)
            expect("Logon after failures", &["bob"], 2),
            // u1, u2, u3 from one address within 20 seconds; bob's and alice's failures each use one name only.
            expect("Password spray from one address", &["10.0.0.5"], 3),
            // pc1: net user (Sysmon 1) then whoami (Security 4688, renamed Image) 30 s apart, any order. pc2's two
            // commands are two minutes apart; carol's success precedes her failure, so no ordered match.
            expect("Discovery burst on one host", &["pc1"], 2),
        ]
    );
    // The last event has no timestamp: counted, not placed.
    assert_eq!(untimed, 1);
}

#[test]
fn generate_false_suppresses_member_rules() {
    let engine = engine();
    let whoami = engine.find("whoami").unwrap_or(usize::MAX);
    let failed = engine.find("failed_logon").unwrap_or(usize::MAX);
    assert!(
        engine.suppressed(whoami),
        "the temporal correlation does not generate its rules' own matches"
    );
    assert!(
        !engine.suppressed(failed),
        "the brute-force correlation sets generate: true"
    );
}

#[test]
fn correlation_errors_name_the_problem() {
    let text = "title: c\ncorrelation:\n    type: event_count\n    rules: [missing_rule]\n    timespan: 5m\n    condition: {gte: 2}\n";
    let (_, errors) = Engine::build(
        load_str(text, "c.yml", &LoadOptions::default()),
        &Mapping::default(),
    );
    assert!(
        errors.len() == 1 && errors[0].to_string().contains("missing_rule"),
        "{errors:?}"
    );
    let text = "title: c\ncorrelation:\n    type: event_count\n    rules: [x]\n    timespan: soon\n    condition: {gte: 2}\n";
    let r = load_str(text, "c.yml", &LoadOptions::default());
    assert!(
        r.errors[0].to_string().contains("correlation.timespan"),
        "{}",
        r.errors[0]
    );
    let text = "title: c\ncorrelation:\n    type: value_sum\n    rules: [x]\n    timespan: 1m\n";
    let r = load_str(text, "c.yml", &LoadOptions::default());
    assert!(
        r.errors[0]
            .to_string()
            .contains("unsupported: correlation type `value_sum`"),
        "{}",
        r.errors[0]
    );
}

/// A stream handled in batches, the windows kept between them with `into_state`/`resume`, fires exactly as one
/// correlator over the whole stream; a state resumed by an engine with other correlations starts empty.
#[test]
fn state_carried_between_batches_fires_the_same() {
    let engine = engine();
    let (whole, untimed) = run(&engine);
    let titles: Vec<String> = engine.correlations().map(|c| c.meta.title.clone()).collect();
    let lines: Vec<&str> = include_str!("fixtures/correlation-events.jsonl")
        .lines()
        .collect();
    let mut scanner = engine.scanner();
    let mut state = canhgac_sigma::CorrelationState::default();
    let mut fired = Vec::new();
    for batch in lines.chunks(2) {
        let mut corr = Correlator::resume(&engine, state);
        for line in batch {
            let ev: serde_json::Value = serde_json::from_str(line).unwrap_or_default();
            let hits = scanner.scan(&ev).to_vec();
            for m in corr.observe(&ev, &hits) {
                fired.push((
                    titles[m.correlation].clone(),
                    m.group.into_iter().map(|g| g.1).collect::<Vec<_>>(),
                    m.count,
                ));
            }
        }
        state = corr.into_state();
    }
    assert_eq!(fired, whole);
    assert!(!whole.is_empty());
    let corr = Correlator::resume(&engine, state);
    assert_eq!(corr.untimed(), untimed);

    // Another rule set: the kept windows do not apply.
    let other = load_str(
        "title: t\nid: 6f1d8a64-3c47-4f0e-9d7b-2d8cf1f0a001\nlogsource: {product: windows, service: security}\n\
         detection: {sel: {EventID: 4625}, condition: sel}\n",
        "other.yml",
        &LoadOptions::default(),
    );
    let (other, _) = Engine::build(other, &Mapping::default());
    let corr = Correlator::resume(&other, corr.into_state());
    assert_eq!(corr.untimed(), untimed, "the count of untimed events is kept");
}
