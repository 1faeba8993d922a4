//! Findings: one row per (asset, CVE) with the matcher's state and evidence, SLA due date and people's status.
//! `recompute_findings` (`recompute.rs`) folds matcher verdicts in, one transaction per unit: a new vulnerable CVE opens a
//! finding; a remediated one is marked fixed with its KB as evidence (verified automatically); one vulnerable again,
//! or whose accepted risk expired, reopens. People's status changes are audited one by one.

use std::collections::HashMap;

use canhgac_model::{Actor, AssetId, Millis, Permission, UnitId};
use canhgac_vuln::Severity;
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use super::invalid;
use crate::audit::{append, Change};
use crate::{get_i64, get_str, now_ms, Result, Store, StoreError};

pub(super) const DAY_MS: i64 = 86_400_000;

/// A finding's status, set by people or by verification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FindingStatus {
    Open,
    InProgress,
    Fixed,
    RiskAccepted,
    FalsePositive,
}

impl FindingStatus {
    pub const ALL: [FindingStatus; 5] = [
        FindingStatus::Open,
        FindingStatus::InProgress,
        FindingStatus::Fixed,
        FindingStatus::RiskAccepted,
        FindingStatus::FalsePositive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            FindingStatus::Open => "open",
            FindingStatus::InProgress => "in_progress",
            FindingStatus::Fixed => "fixed",
            FindingStatus::RiskAccepted => "risk_accepted",
            FindingStatus::FalsePositive => "false_positive",
        }
    }

    pub fn parse(s: &str) -> Option<FindingStatus> {
        FindingStatus::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// Days to fix by severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sla {
    pub critical: i64,
    pub high: i64,
    pub medium: i64,
    pub low: i64,
}

impl Default for Sla {
    fn default() -> Self {
        Sla {
            critical: 7,
            high: 30,
            medium: 90,
            low: 120,
        }
    }
}

impl Sla {
    /// Days for a severity rank (4 critical … 1 low; 0 unrated counts as medium).
    pub fn days(&self, rank: i64) -> i64 {
        match rank {
            4 => self.critical,
            3 => self.high,
            1 => self.low,
            _ => self.medium,
        }
    }
}

/// One host × CVE finding.
#[derive(Debug, Clone, Serialize)]
pub struct Finding {
    pub id: i64,
    pub unit_id: UnitId,
    pub asset_id: AssetId,
    pub hostname: String,
    pub cve: String,
    /// `vulnerable`, `remediated`, `not_affected`, `unknown`.
    pub state: String,
    /// One line per fact that decided (products, KBs, chains, builds; for unknown, what is missing).
    pub evidence: Vec<String>,
    /// The KB(s) to install (vulnerable) or that prove the fix (remediated).
    pub kb: String,
    pub severity: String,
    pub severity_rank: i64,
    pub cvss: Option<f64>,
    pub kev: bool,
    pub exploited: bool,
    pub first_seen: Millis,
    pub due_at: Millis,
    pub owner: String,
    pub status: FindingStatus,
    pub reason: String,
    pub expires_at: Option<Millis>,
    pub status_at: Millis,
}

impl Finding {
    /// Vulnerable and neither fixed, accepted nor declared a false positive.
    pub fn exposed(&self) -> bool {
        self.state == "vulnerable" && matches!(self.status, FindingStatus::Open | FindingStatus::InProgress)
    }
}

/// A person's decision on a finding.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct FindingChange {
    /// `open`, `in_progress`, `fixed`, `risk_accepted`, `false_positive`.
    pub status: String,
    /// Required for risk accepted and false positive.
    pub reason: String,
    /// Required for risk accepted: when the acceptance ends (the finding reopens on the next recompute after it).
    pub expires_at: Option<Millis>,
    /// Who fixes it (kept when `None`).
    pub owner: Option<String>,
}

/// What a recompute did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RecomputeReport {
    pub hosts: usize,
    pub opened: usize,
    pub verified_fixed: usize,
    pub reopened: usize,
    pub updated: usize,
}

impl RecomputeReport {
    /// Adds another part's counts (one unit's, to the network's total).
    pub fn add(&mut self, other: &RecomputeReport) {
        self.hosts += other.hosts;
        self.opened += other.opened;
        self.verified_fixed += other.verified_fixed;
        self.reopened += other.reopened;
        self.updated += other.updated;
    }
}

/// The severity rank (4 critical … 1 low, 0 unrated), from Microsoft's rating or else the CVSS base score.
pub(super) fn severity_rank(sev: Option<Severity>, cvss: Option<f32>) -> i64 {
    match sev {
        Some(Severity::Critical) => 4,
        Some(Severity::Important) => 3,
        Some(Severity::Moderate) => 2,
        Some(Severity::Low) => 1,
        _ => match cvss {
            Some(s) if s >= 9.0 => 4,
            Some(s) if s >= 7.0 => 3,
            Some(s) if s >= 4.0 => 2,
            Some(s) if s > 0.0 => 1,
            _ => 0,
        },
    }
}

pub(crate) fn row_to_finding(r: &AnyRow) -> Result<Finding> {
    let status = get_str(r, "status")?;
    let cvss10 = get_i64(r, "cvss10")?;
    Ok(Finding {
        id: get_i64(r, "id")?,
        unit_id: UnitId(get_i64(r, "unit_id")?),
        asset_id: AssetId(get_i64(r, "asset_id")?),
        hostname: get_str(r, "hostname")?,
        cve: get_str(r, "cve")?,
        state: get_str(r, "state")?,
        evidence: get_str(r, "evidence")?.lines().map(str::to_owned).collect(),
        kb: get_str(r, "kb")?,
        severity: get_str(r, "severity")?,
        severity_rank: get_i64(r, "severity_rank")?,
        cvss: (cvss10 > 0).then(|| cvss10 as f64 / 10.0),
        kev: get_i64(r, "kev")? != 0,
        exploited: get_i64(r, "exploited")? != 0,
        first_seen: get_i64(r, "first_seen")?,
        due_at: get_i64(r, "due_at")?,
        owner: get_str(r, "owner")?,
        status: crate::parse_enum("status", &status, FindingStatus::parse)?,
        reason: get_str(r, "reason")?,
        expires_at: r.try_get("expires_at")?,
        status_at: get_i64(r, "status_at")?,
    })
}

pub(crate) const FINDING_SELECT: &str =
    "SELECT f.*, a.hostname FROM vuln_findings f JOIN assets a ON a.id = f.asset_id";

impl Store {
    /// The SLA in force for a unit: its own set, else the Department's, else 7/30/90/120 days.
    pub async fn sla(&self, actor: &Actor, unit: UnitId) -> Result<Sla> {
        if !actor.allows(Permission::Read, unit) {
            return Err(StoreError::NotFound);
        }
        Ok(self.sla_map().await?.get(unit))
    }

    /// Sets a unit's SLA (the unit's administrator or the Department; the Department's own unit is the default
    /// for every unit without a set) and moves the due dates of the findings it governs. Audited.
    pub async fn set_sla(&self, actor: &Actor, unit: UnitId, sla: Sla) -> Result<()> {
        if !actor.allows(Permission::AdministerUnit, unit) {
            return Err(if actor.allows(Permission::Read, unit) {
                StoreError::Forbidden
            } else {
                StoreError::NotFound
            });
        }
        for (field, days) in [
            ("critical", sla.critical),
            ("high", sla.high),
            ("medium", sla.medium),
            ("low", sla.low),
        ] {
            if !(1..=3650).contains(&days) {
                return Err(invalid(field, "err.days_range"));
            }
        }
        let before = self.sla_map().await?.get(unit);
        let mut w = self.begin_write().await?;
        sqlx::query(
            "INSERT INTO vuln_sla (unit_id, critical_days, high_days, medium_days, low_days, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (unit_id) DO UPDATE SET critical_days = excluded.critical_days, \
             high_days = excluded.high_days, medium_days = excluded.medium_days, low_days = excluded.low_days, \
             updated_at = excluded.updated_at",
        )
        .bind(unit.0)
        .bind(sla.critical)
        .bind(sla.high)
        .bind(sla.medium)
        .bind(sla.low)
        .bind(now_ms())
        .execute(&mut *w.tx)
        .await?;
        // Due dates follow at once: the unit's findings, or, for the Department's own set (the default), those of
        // every unit without a set of its own.
        let kind = sqlx::query("SELECT kind FROM units WHERE id = $1")
            .bind(unit.0)
            .fetch_one(&mut *w.tx)
            .await?;
        let scope = if get_str(&kind, "kind")? == "department" {
            "unit_id = $6 OR unit_id NOT IN (SELECT unit_id FROM vuln_sla)"
        } else {
            "unit_id = $6"
        };
        sqlx::query(&format!(
            "UPDATE vuln_findings SET due_at = first_seen + $5 * CASE severity_rank WHEN 4 THEN $1 WHEN 3 THEN $2 \
             WHEN 1 THEN $4 ELSE $3 END WHERE {scope}"
        ))
        .bind(sla.critical)
        .bind(sla.high)
        .bind(sla.medium)
        .bind(sla.low)
        .bind(DAY_MS)
        .bind(unit.0)
        .execute(&mut *w.tx)
        .await?;
        let change = Change::new("set", "vuln_sla", unit.0.to_string())
            .unit(unit)
            .before(&before)
            .after(&sla);
        append(&mut w, Some(actor), change).await?;
        w.commit().await
    }

    pub(super) async fn sla_map(&self) -> Result<SlaMap> {
        let rows = sqlx::query("SELECT s.*, u.kind FROM vuln_sla s JOIN units u ON u.id = s.unit_id")
            .fetch_all(&self.pool)
            .await?;
        let mut map = SlaMap::default();
        for r in &rows {
            let sla = Sla {
                critical: get_i64(r, "critical_days")?,
                high: get_i64(r, "high_days")?,
                medium: get_i64(r, "medium_days")?,
                low: get_i64(r, "low_days")?,
            };
            if get_str(r, "kind")? == "department" {
                map.default = sla;
            }
            map.units.insert(get_i64(r, "unit_id")?, sla);
        }
        Ok(map)
    }

    /// One finding the actor reads.
    pub async fn finding(&self, actor: &Actor, id: i64) -> Result<Finding> {
        let row = sqlx::query(&format!("{FINDING_SELECT} WHERE f.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let f = row
            .as_ref()
            .map(row_to_finding)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        if actor.allows(Permission::Read, f.unit_id) {
            Ok(f)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// A person's decision on a finding (in progress, fixed, risk accepted with reason and expiry, false positive
    /// with reason, reopened), by someone who operates its unit; audited with from → to and the reason.
    pub async fn set_finding_status(
        &self,
        actor: &Actor,
        id: i64,
        change: &FindingChange,
    ) -> Result<Finding> {
        let before = self.finding(actor, id).await?;
        if !actor.allows(Permission::Operate, before.unit_id) {
            return Err(StoreError::Forbidden);
        }
        let status =
            FindingStatus::parse(change.status.trim()).ok_or_else(|| invalid("status", "err.choice"))?;
        let reason: String = change.reason.trim().chars().take(4000).collect();
        let now = now_ms();
        let expires_at = match status {
            FindingStatus::RiskAccepted => match change.expires_at {
                Some(e) if e > now => Some(e),
                Some(_) => return Err(invalid("expires_at", "err.expiry_past")),
                None => return Err(invalid("expires_at", "err.required")),
            },
            _ => None,
        };
        if matches!(status, FindingStatus::RiskAccepted | FindingStatus::FalsePositive) && reason.is_empty() {
            return Err(invalid("reason", "err.required"));
        }
        let owner: String = change
            .owner
            .as_deref()
            .map_or(before.owner.clone(), |o| o.trim().chars().take(200).collect());
        let mut w = self.begin_write().await?;
        sqlx::query(
            "UPDATE vuln_findings SET status = $1, reason = $2, expires_at = $3, owner = $4, status_by = $5, \
             status_at = $6 WHERE id = $7",
        )
        .bind(status.as_str())
        .bind(reason.clone())
        .bind(expires_at)
        .bind(owner.clone())
        .bind(actor.user_id.0)
        .bind(now)
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        let audit = Change::new("status", "vuln_finding", id.to_string())
            .unit(before.unit_id)
            .before(&serde_json::json!({
                "status": before.status, "reason": before.reason, "expires_at": before.expires_at, "owner": before.owner,
            }))
            .after(&serde_json::json!({
                "cve": before.cve, "asset": before.asset_id.0, "status": status, "reason": reason,
                "expires_at": expires_at, "owner": owner,
            }));
        append(&mut w, Some(actor), audit).await?;
        w.commit().await?;
        self.finding(actor, id).await
    }

    /// Every finding of one host the actor reads: vulnerable first, then by severity.
    pub async fn host_findings(&self, actor: &Actor, asset: AssetId) -> Result<Vec<Finding>> {
        let a = self.asset(actor, asset).await?;
        let rows = sqlx::query(&format!(
            "{FINDING_SELECT} WHERE f.asset_id = $1 AND f.unit_id = $2 ORDER BY CASE f.state WHEN 'vulnerable' THEN 0 \
             WHEN 'unknown' THEN 1 WHEN 'remediated' THEN 2 ELSE 3 END, f.kev DESC, f.exploited DESC, \
             f.severity_rank DESC, f.cve"
        ))
        .bind(asset.0)
        .bind(a.unit_id.0)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_finding).collect()
    }

    /// Findings of the actor's scope (optionally one unit) still exposed, most urgent first.
    pub async fn open_findings(&self, actor: &Actor, unit: Option<UnitId>) -> Result<Vec<Finding>> {
        let filter = super::views::scope_filter(actor, unit, "f.unit_id")?;
        let rows = sqlx::query(&format!(
            "{FINDING_SELECT} WHERE {filter} AND {} ORDER BY f.kev DESC, f.exploited DESC, f.severity_rank DESC, \
             f.due_at, f.id LIMIT 5000",
            super::views::EXPOSED
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(row_to_finding).collect()
    }
}

/// SLA sets by unit, with the Department's as the default.
#[derive(Default)]
pub(super) struct SlaMap {
    default: Sla,
    units: HashMap<i64, Sla>,
}

impl SlaMap {
    pub(super) fn get(&self, unit: UnitId) -> Sla {
        self.units.get(&unit.0).copied().unwrap_or(self.default)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn severity_falls_back_to_cvss_and_sla_days_follow_it() {
        assert_eq!(severity_rank(Some(Severity::Important), Some(9.8)), 3);
        assert_eq!(severity_rank(None, Some(9.8)), 4);
        assert_eq!(severity_rank(None, None), 0);
        let sla = Sla::default();
        assert_eq!(
            (sla.days(4), sla.days(3), sla.days(2), sla.days(1), sla.days(0)),
            (7, 30, 90, 120, 90)
        );
    }
}
