//! Servers and workstations.

use serde::{Deserialize, Serialize};

use crate::validate::Checker;
use crate::{parse_ip_list, parse_mac, AssetId, FieldError, Invalid, Millis, UnitId};

/// Server or workstation (or other network equipment).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum AssetKind {
    Server,
    Workstation,
    Network,
    Other,
}

impl AssetKind {
    /// Every kind, in display order.
    pub const ALL: [AssetKind; 4] = [
        AssetKind::Server,
        AssetKind::Workstation,
        AssetKind::Network,
        AssetKind::Other,
    ];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetKind::Server => "server",
            AssetKind::Workstation => "workstation",
            AssetKind::Network => "network",
            AssetKind::Other => "other",
        }
    }

    /// Parses the stable name, or the Vietnamese and English words people write in spreadsheets.
    pub fn parse(s: &str) -> Option<AssetKind> {
        match s.trim().to_lowercase().as_str() {
            "server" | "máy chủ" | "may chu" => Some(AssetKind::Server),
            "workstation" | "máy trạm" | "may tram" | "pc" | "desktop" | "laptop" => {
                Some(AssetKind::Workstation)
            }
            "network" | "thiết bị mạng" | "switch" | "router" | "firewall" => Some(AssetKind::Network),
            "other" | "khác" => Some(AssetKind::Other),
            _ => None,
        }
    }
}

/// How much the unit depends on the asset; orders remediation queues.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Criticality {
    Low,
    Medium,
    High,
    Critical,
}

impl Criticality {
    /// Every level, lowest first.
    pub const ALL: [Criticality; 4] = [
        Criticality::Low,
        Criticality::Medium,
        Criticality::High,
        Criticality::Critical,
    ];

    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            Criticality::Low => "low",
            Criticality::Medium => "medium",
            Criticality::High => "high",
            Criticality::Critical => "critical",
        }
    }

    /// Rank for sorting (critical = 4).
    pub fn rank(self) -> i64 {
        self as i64 + 1
    }

    /// Parses the stable name or its Vietnamese word.
    pub fn parse(s: &str) -> Option<Criticality> {
        match s.trim().to_lowercase().as_str() {
            "low" | "thấp" => Some(Criticality::Low),
            "medium" | "trung bình" => Some(Criticality::Medium),
            "high" | "cao" => Some(Criticality::High),
            "critical" | "nghiêm trọng" | "rất cao" => Some(Criticality::Critical),
            _ => None,
        }
    }

    /// From [`Criticality::rank`].
    pub fn from_rank(r: i64) -> Criticality {
        Criticality::ALL
            .into_iter()
            .find(|c| c.rank() == r)
            .unwrap_or(Criticality::Medium)
    }
}

/// In service, or retired (kept for history, hidden by default).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetStatus {
    Active,
    Retired,
}

impl AssetStatus {
    /// Stable name.
    pub fn as_str(self) -> &'static str {
        match self {
            AssetStatus::Active => "active",
            AssetStatus::Retired => "retired",
        }
    }
}

/// A validated asset's descriptive fields.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssetFields {
    pub hostname: String,
    pub ips: Vec<String>,
    pub mac: String,
    pub os: String,
    pub os_version: String,
    pub kind: AssetKind,
    pub role: String,
    pub criticality: Criticality,
    pub location: String,
    pub owner: String,
    pub notes: String,
    pub tags: Vec<String>,
}

/// An asset as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Asset {
    pub id: AssetId,
    pub unit_id: UnitId,
    pub status: AssetStatus,
    #[serde(flatten)]
    pub fields: AssetFields,
    pub created_at: Millis,
    pub updated_at: Millis,
}

/// What a person submits (a form, a JSON body, a CSV row): text fields, validated by [`AssetInput::validate`].
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AssetInput {
    pub hostname: String,
    /// IP addresses separated by commas, semicolons or spaces.
    pub ips: String,
    pub mac: String,
    pub os: String,
    pub os_version: String,
    pub kind: String,
    pub role: String,
    pub criticality: String,
    pub location: String,
    pub owner: String,
    pub notes: String,
    /// Tags separated by commas.
    pub tags: String,
}

impl AssetInput {
    /// Trims and checks every field, returning every problem found.
    pub fn validate(&self) -> Result<AssetFields, Invalid> {
        let mut c = Checker::default();
        let hostname = c.required("hostname", &self.hostname, 255);
        if hostname.chars().any(|ch| ch.is_whitespace() || ch.is_control()) {
            c.push(FieldError::new("hostname", "err.hostname_invalid").with_value(&hostname));
        }
        let ips = match parse_ip_list("ips", &self.ips) {
            Ok(ips) => ips.into_iter().map(|ip| ip.to_string()).collect(),
            Err(e) => {
                c.push(e);
                Vec::new()
            }
        };
        let mac_text = self.mac.trim();
        let mac = if mac_text.is_empty() {
            String::new()
        } else {
            parse_mac("mac", mac_text).unwrap_or_else(|e| {
                c.push(e);
                String::new()
            })
        };
        let kind = if self.kind.trim().is_empty() {
            Some(AssetKind::Workstation)
        } else {
            AssetKind::parse(&self.kind)
        };
        if kind.is_none() {
            c.push(FieldError::new("kind", "err.choice").with_value(&self.kind));
        }
        let criticality = if self.criticality.trim().is_empty() {
            Some(Criticality::Medium)
        } else {
            Criticality::parse(&self.criticality)
        };
        if criticality.is_none() {
            c.push(FieldError::new("criticality", "err.choice").with_value(&self.criticality));
        }
        let mut tags: Vec<String> = Vec::new();
        for t in self.tags.split(',').map(str::trim).filter(|t| !t.is_empty()) {
            if t.chars().count() > 64 {
                c.push(FieldError::new("tags", "err.too_long").with_value(t));
            } else if !tags.iter().any(|x| x == t) {
                tags.push(t.to_string());
            }
        }
        let fields = AssetFields {
            hostname,
            ips,
            mac,
            os: c.optional("os", &self.os, 200),
            os_version: c.optional("os_version", &self.os_version, 200),
            kind: kind.unwrap_or(AssetKind::Other),
            role: c.optional("role", &self.role, 200),
            criticality: criticality.unwrap_or(Criticality::Medium),
            location: c.optional("location", &self.location, 200),
            owner: c.optional("owner", &self.owner, 200),
            notes: c.optional("notes", &self.notes, 4000),
            tags,
        };
        c.finish(fields)
    }

    /// The input that reproduces `fields` (to fill an edit form).
    pub fn from_fields(f: &AssetFields) -> AssetInput {
        AssetInput {
            hostname: f.hostname.clone(),
            ips: f.ips.join(", "),
            mac: f.mac.clone(),
            os: f.os.clone(),
            os_version: f.os_version.clone(),
            kind: f.kind.as_str().to_string(),
            role: f.role.clone(),
            criticality: f.criticality.as_str().to_string(),
            location: f.location.clone(),
            owner: f.owner.clone(),
            notes: f.notes.clone(),
            tags: f.tags.join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_problem_is_reported_with_its_field() {
        let input = AssetInput {
            hostname: " ".into(),
            ips: "10.0.0.1, 999.1.1.1".into(),
            mac: "xx".into(),
            kind: "toaster".into(),
            criticality: "extreme".into(),
            ..Default::default()
        };
        let Invalid(errs) = input.validate().unwrap_err();
        let fields: Vec<&str> = errs.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["hostname", "ips", "mac", "kind", "criticality"]);
    }

    #[test]
    fn vietnamese_words_are_understood() {
        let input = AssetInput {
            hostname: "HIS-DB01".into(),
            ips: "10.1.2.3 2001:db8::7".into(),
            kind: "Máy chủ".into(),
            criticality: "Cao".into(),
            tags: "his, db, his".into(),
            ..Default::default()
        };
        let f = input.validate().unwrap();
        assert_eq!(f.kind, AssetKind::Server);
        assert_eq!(f.criticality, Criticality::High);
        assert_eq!(f.ips, ["10.1.2.3", "2001:db8::7"]);
        assert_eq!(f.tags, ["his", "db"]);
    }
}
