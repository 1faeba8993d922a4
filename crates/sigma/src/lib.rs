//! Sigma detection engine: parse → compile → match. No I/O beyond reading rule files when asked to.
//!
//! 1. **Load** rules ([`load_paths`], [`load_str`]) into a [`LoadReport`]: detection rules, Sigma filter rules and
//!    correlation rules, plus an [`Error`] naming the file, document and place of everything that did not load.
//!    Restrict by level, status and tags with [`Restriction`].
//! 2. **Compile** them with a log-source [`Mapping`] (Windows channels, event ids and field renames; embedded by
//!    default, extensible) into one [`Engine`]: rules dispatched by channel and event id, one Aho-Corasick prefilter
//!    over every rule's literals, regexes compiled once.
//! 3. **Match** events — anything implementing [`Event`], e.g. a `serde_json::Value` in the `evtx` crate's shape or
//!    a flat `{"Channel":..,"EventID":..}` object — with a [`Scanner`] per thread, and feed the matches in time
//!    order to a [`Correlator`] for correlation rules.
//!
//! ```
//! use canhgac_sigma::{load_str, Engine, LoadOptions, Mapping};
//! let rule = r#"
//! title: Whoami
//! id: 11111111-2222-3333-4444-555555555555
//! level: medium
//! logsource: {product: windows, category: process_creation}
//! detection:
//!   selection:
//!     Image|endswith: '\whoami.exe'
//!   condition: selection
//! "#;
//! let report = load_str(rule, "example.yml", &LoadOptions::default());
//! let (engine, errors) = Engine::build(report, &Mapping::default());
//! assert!(errors.is_empty());
//! // Security 4688: the mapping renames Image to NewProcessName.
//! let event = serde_json::json!({"Channel": "Security", "EventID": 4688,
//!     "NewProcessName": "C:\\Windows\\System32\\WHOAMI.EXE"});
//! let mut scanner = engine.scanner();
//! let hits = scanner.scan(&event);
//! assert_eq!(engine.rule(hits[0]).title, "Whoami");
//! ```
#![deny(clippy::unwrap_used, clippy::expect_used)]

mod condition;
mod correlation;
mod engine;
mod error;
mod event;
mod load;
mod mapping;
mod nesting;
mod parse;
mod pattern;
mod rule;
mod value;

pub use condition::{parse as parse_condition, ConditionError, Expr, MAX_DEPTH as MAX_CONDITION_DEPTH};
pub use correlation::{CorrelationMatch, CorrelationState, Correlator};
pub use engine::{Engine, RuleId, ScanStats, Scanner};
pub use error::{Error, Result};
pub use event::{Event, FieldValue, FlatEvent, FlatRef, JsonEvent};
pub use load::{
    load_paths, load_str, LoadOptions, LoadReport, Restriction, MAX_ARCHIVE_MEMBER, MAX_ARCHIVE_TOTAL,
};
pub use mapping::{Mapping, Resolution, Source};
pub use rule::{
    CorrelationRule, CorrelationType, CountCondition, FilterRule, Level, LogSource, Rule, RuleMeta, Status,
};
pub use value::Placeholders;

#[cfg(test)]
mod send_sync {
    fn assert_send_sync<T: Send + Sync>() {}

    #[test]
    fn engine_is_send_and_sync() {
        assert_send_sync::<super::Engine>();
    }
}
