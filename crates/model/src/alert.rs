//! Alerts: what the duty officer works through. A detection (a Sigma rule, a listed address, a malware scan hit)
//! becomes an alert; repeats of the same rule on the same host within a window add to its count.

use serde::{Deserialize, Serialize};

use crate::{Millis, UnitId, UserId};

/// How bad it is; Sigma's levels.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    Informational,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Informational,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Informational => "informational",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    /// Parses a level name (Sigma's, and the short forms shippers use).
    pub fn parse(s: &str) -> Option<Severity> {
        match s.trim().to_ascii_lowercase().as_str() {
            "informational" | "info" => Some(Severity::Informational),
            "low" => Some(Severity::Low),
            "medium" | "med" => Some(Severity::Medium),
            "high" => Some(Severity::High),
            "critical" | "crit" => Some(Severity::Critical),
            _ => None,
        }
    }

    /// 0 (informational) to 4 (critical), for ordering in storage.
    pub fn rank(self) -> i64 {
        self as i64
    }

    pub fn from_rank(n: i64) -> Option<Severity> {
        Severity::ALL.get(usize::try_from(n).ok()?).copied()
    }
}

/// Where an alert is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// Nobody has looked yet.
    New,
    /// Someone took it (claimed or assigned): the time to acknowledge stops.
    Acknowledged,
    /// Confirmed a true positive; remediation under way.
    Verified,
    /// Closed: see the verdict and the remediation.
    Closed,
}

impl AlertStatus {
    pub const ALL: [AlertStatus; 4] = [
        AlertStatus::New,
        AlertStatus::Acknowledged,
        AlertStatus::Verified,
        AlertStatus::Closed,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::New => "new",
            AlertStatus::Acknowledged => "acknowledged",
            AlertStatus::Verified => "verified",
            AlertStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<AlertStatus> {
        AlertStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// What the officer concluded.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// A real attack or infection (the letter's "verified alert").
    TruePositive,
    /// The rule misfired.
    FalsePositive,
    /// Real activity, but legitimate (an administrator's tool, a test).
    Benign,
}

impl Verdict {
    pub const ALL: [Verdict; 3] = [Verdict::TruePositive, Verdict::FalsePositive, Verdict::Benign];

    pub fn as_str(self) -> &'static str {
        match self {
            Verdict::TruePositive => "true_positive",
            Verdict::FalsePositive => "false_positive",
            Verdict::Benign => "benign",
        }
    }

    pub fn parse(s: &str) -> Option<Verdict> {
        Verdict::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// A detection to record: the pipeline, the scanner or a person raises it.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewAlert {
    pub unit_id: UnitId,
    /// `sigma`, `indicator`, `malware`, `manual`...
    pub source: String,
    /// The rule's id (Sigma id, list name, YARA rule), part of the grouping key.
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    /// The host name as the event gave it; part of the grouping key.
    pub host: String,
    /// When the detected activity happened.
    pub seen_at: Millis,
    /// The matched fields and an excerpt of the event, as JSON.
    #[serde(default)]
    pub details: serde_json::Value,
    /// A stable id of the triggering event, so a replay after a crash does not count it twice.
    #[serde(default)]
    pub event_key: Option<String>,
}

/// A stored alert.
#[derive(Debug, Clone, Serialize)]
pub struct Alert {
    pub id: i64,
    pub unit_id: UnitId,
    pub source: String,
    pub rule_id: String,
    pub title: String,
    pub severity: Severity,
    pub host: String,
    pub status: AlertStatus,
    pub verdict: Option<Verdict>,
    pub assignee: Option<UserId>,
    pub assignee_name: Option<String>,
    /// How many detections this alert groups.
    pub count: i64,
    pub first_seen: Millis,
    pub last_seen: Millis,
    pub created_at: Millis,
    pub acknowledged_at: Option<Millis>,
    pub closed_at: Option<Millis>,
    /// What was done, written when closing.
    pub remediation: String,
    pub details: serde_json::Value,
}

impl Alert {
    /// Time from creation to the first acknowledgement, if acknowledged.
    pub fn time_to_acknowledge(&self) -> Option<Millis> {
        self.acknowledged_at.map(|t| t - self.created_at)
    }

    /// Time from creation to closing, if closed.
    pub fn time_to_close(&self) -> Option<Millis> {
        self.closed_at.map(|t| t - self.created_at)
    }
}

/// A comment on an alert.
#[derive(Debug, Clone, Serialize)]
pub struct AlertComment {
    pub id: i64,
    pub alert_id: i64,
    pub user_id: UserId,
    pub user_name: String,
    pub body: String,
    pub created_at: Millis,
}
