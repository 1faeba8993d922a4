//! Loaded rules: metadata, log source, and the compiled detection (matchers ready, fields not yet mapped).

use crate::condition::Cond;
use crate::value::Item;
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// Sigma's severity levels, ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum Level {
    /// `informational`.
    Informational,
    /// `low`.
    Low,
    /// `medium`.
    Medium,
    /// `high`.
    High,
    /// `critical`.
    Critical,
}

impl FromStr for Level {
    type Err = String;
    fn from_str(s: &str) -> Result<Level, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "informational" | "info" => Level::Informational,
            "low" => Level::Low,
            "medium" => Level::Medium,
            "high" => Level::High,
            "critical" => Level::Critical,
            _ => return Err(format!("unknown level `{s}`")),
        })
    }
}

impl fmt::Display for Level {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Level::Informational => "informational",
            Level::Low => "low",
            Level::Medium => "medium",
            Level::High => "high",
            Level::Critical => "critical",
        })
    }
}

/// Sigma's rule statuses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Status {
    /// `stable`.
    Stable,
    /// `test`.
    Test,
    /// `experimental`.
    Experimental,
    /// `deprecated`.
    Deprecated,
    /// `unsupported`.
    Unsupported,
}

impl FromStr for Status {
    type Err = String;
    fn from_str(s: &str) -> Result<Status, String> {
        Ok(match s.to_ascii_lowercase().as_str() {
            "stable" => Status::Stable,
            "test" => Status::Test,
            "experimental" => Status::Experimental,
            "deprecated" => Status::Deprecated,
            "unsupported" => Status::Unsupported,
            _ => return Err(format!("unknown status `{s}`")),
        })
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Status::Stable => "stable",
            Status::Test => "test",
            Status::Experimental => "experimental",
            Status::Deprecated => "deprecated",
            Status::Unsupported => "unsupported",
        })
    }
}

/// A rule's `logsource`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct LogSource {
    /// `product` (e.g. `windows`).
    pub product: Option<String>,
    /// `category` (e.g. `process_creation`).
    pub category: Option<String>,
    /// `service` (e.g. `security`).
    pub service: Option<String>,
}

impl fmt::Display for LogSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let parts: Vec<&str> = [&self.product, &self.category, &self.service]
            .iter()
            .filter_map(|p| p.as_deref())
            .collect();
        f.write_str(&parts.join("/"))
    }
}

/// What every kind of Sigma document carries.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleMeta {
    /// `id` (a UUID in SigmaHQ).
    pub id: Option<String>,
    /// `name`, by which correlation rules may refer to it.
    pub name: Option<String>,
    /// `title`.
    pub title: String,
    /// `description`.
    pub description: Option<String>,
    /// `level`.
    pub level: Option<Level>,
    /// `status`.
    pub status: Option<Status>,
    /// `author`.
    pub author: Option<String>,
    /// `date`.
    pub date: Option<String>,
    /// `tags` (e.g. `attack.execution`, `attack.t1059.001`).
    pub tags: Vec<String>,
    /// `references`.
    pub references: Vec<String>,
    /// `falsepositives`.
    pub falsepositives: Vec<String>,
    /// Where the rule came from (file path or given origin).
    pub origin: String,
    /// 1-based index of the rule's YAML document in its file.
    pub document: usize,
}

impl RuleMeta {
    /// ATT&CK technique ids from the tags (`attack.t1059.001` → `T1059.001`).
    pub fn attack_techniques(&self) -> impl Iterator<Item = String> + '_ {
        self.tags.iter().filter_map(|t| {
            let t = t.strip_prefix("attack.")?;
            let rest = t.strip_prefix('t').or_else(|| t.strip_prefix('T'))?;
            rest.chars().next().filter(char::is_ascii_digit)?;
            Some(format!("T{}", rest.to_ascii_uppercase()))
        })
    }

    /// Whether the rule answers to `r` (its id or its name).
    pub fn is_named(&self, r: &str) -> bool {
        self.id.as_deref() == Some(r) || self.name.as_deref() == Some(r)
    }

    /// The rule's label for messages: its title, else its id.
    pub fn label(&self) -> String {
        if self.title.is_empty() {
            self.id.clone().unwrap_or_default()
        } else {
            self.title.clone()
        }
    }
}

/// One search identifier: alternatives (OR), each a conjunction of items.
#[derive(Debug, Clone)]
pub(crate) struct Search {
    pub alternatives: Vec<Vec<Item>>,
}

/// A compiled detection: searches, the condition over them, and the field names the items use (by slot).
#[derive(Debug, Clone)]
pub(crate) struct Detection {
    pub names: Vec<String>,
    pub searches: Vec<Search>,
    pub cond: Cond,
    pub fields: Vec<String>,
}

/// A detection rule, loaded and checked; compile many into an [`crate::Engine`].
#[derive(Debug, Clone)]
pub struct Rule {
    /// Metadata.
    pub meta: RuleMeta,
    /// Log source.
    pub logsource: LogSource,
    pub(crate) detection: Detection,
}

impl Rule {
    /// Names of the fields the detection reads (as the rule spells them, before log-source renames).
    pub fn fields(&self) -> &[String] {
        &self.detection.fields
    }
}

/// A Sigma filter rule: a condition added to the rules it names (`rule and filter`).
#[derive(Debug, Clone)]
pub struct FilterRule {
    /// Metadata.
    pub meta: RuleMeta,
    /// Log source.
    pub logsource: LogSource,
    /// Ids or names of the rules it applies to.
    pub rules: Vec<String>,
    pub(crate) detection: Detection,
}

/// The kind of a correlation rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum CorrelationType {
    /// Count events per group in the time span.
    EventCount,
    /// Count distinct values of a field per group in the time span.
    ValueCount,
    /// All referenced rules fired in the time span, any order.
    Temporal,
    /// All referenced rules fired in the time span, in the listed order.
    TemporalOrdered,
}

/// A comparison in a correlation condition.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum CountCondition {
    /// `gt`.
    Gt(u64),
    /// `gte`.
    Gte(u64),
    /// `lt`.
    Lt(u64),
    /// `lte`.
    Lte(u64),
    /// `eq`.
    Eq(u64),
    /// `gte` and `lte` together.
    Range(u64, u64),
}

impl CountCondition {
    /// Whether `n` satisfies the condition.
    pub fn holds(&self, n: u64) -> bool {
        match *self {
            CountCondition::Gt(x) => n > x,
            CountCondition::Gte(x) => n >= x,
            CountCondition::Lt(x) => n < x,
            CountCondition::Lte(x) => n <= x,
            CountCondition::Eq(x) => n == x,
            CountCondition::Range(a, b) => n >= a && n <= b,
        }
    }
}

/// A Sigma correlation rule.
#[derive(Debug, Clone)]
pub struct CorrelationRule {
    /// Metadata.
    pub meta: RuleMeta,
    /// The type.
    pub kind: CorrelationType,
    /// Ids or names of the rules (or correlations) it correlates.
    pub rules: Vec<String>,
    /// Fields whose values form the group key (aliases resolved per rule).
    pub group_by: Vec<String>,
    /// The time window.
    pub timespan: Duration,
    /// The count condition (for temporal types: on the number of distinct rules that fired, default all).
    pub condition: Option<CountCondition>,
    /// The field counted by `value_count`.
    pub value_field: Option<String>,
    /// `aliases`: alias → (rule id or name → field name).
    pub aliases: Vec<(String, Vec<(String, String)>)>,
    /// `generate`: whether the referenced rules also report their own matches.
    pub generate: bool,
}
