//! What scanning proves: each unit's detections, and its coverage — the share of servers and of workstations with
//! a completed full scan in the last N days, machines never scanned, silent agents, machines with open detections
//! and the scan status of the botnet queue's machines — per unit and summed for the Department.

use std::collections::{BTreeMap, BTreeSet};

use canhgac_model::{Actor, Millis, Permission, Scope, UnitId};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::tasks::botnet_asset_ids;
use crate::{get_i64, get_str, Result, Store, StoreError, DEFAULT_SILENT_AFTER};

/// A file a scan found, as listed for the unit.
#[derive(Debug, Clone, Serialize)]
pub struct ScanDetection {
    pub id: i64,
    pub unit_id: UnitId,
    pub task_id: i64,
    pub agent_id: i64,
    pub asset_id: Option<i64>,
    pub hostname: String,
    pub path: String,
    pub sha256: String,
    pub size: i64,
    pub mtime: Option<Millis>,
    pub mode: Option<i64>,
    /// `scan/<rule>` or `scan/hash:<list>`.
    pub rule: String,
    pub alert_id: Option<i64>,
    /// `open`, `quarantined`, `restored`, `deleted`.
    pub state: String,
    pub found_at: Millis,
}

fn opt(r: &AnyRow, col: &str) -> Result<Option<i64>> {
    Ok(r.try_get::<Option<i64>, _>(col)?)
}

fn detection_row(r: &AnyRow) -> Result<ScanDetection> {
    Ok(ScanDetection {
        id: get_i64(r, "id")?,
        unit_id: UnitId(get_i64(r, "unit_id")?),
        task_id: get_i64(r, "task_id")?,
        agent_id: get_i64(r, "agent_id")?,
        asset_id: opt(r, "asset_id")?,
        hostname: get_str(r, "hostname")?,
        path: get_str(r, "path")?,
        sha256: get_str(r, "sha256")?,
        size: get_i64(r, "size")?,
        mtime: opt(r, "mtime")?,
        mode: opt(r, "mode")?,
        rule: get_str(r, "rule")?,
        alert_id: opt(r, "alert_id")?,
        state: get_str(r, "state")?,
        found_at: get_i64(r, "found_at")?,
    })
}

/// A machine named in a coverage list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostRef {
    pub asset_id: Option<i64>,
    pub hostname: String,
}

/// A botnet-queue machine's scan status.
#[derive(Debug, Clone, Serialize)]
pub struct BotnetHostScan {
    pub asset_id: i64,
    pub hostname: String,
    /// An enrolled agent reports for it.
    pub agent: bool,
    pub last_full_scan: Option<Millis>,
    pub last_scan: Option<Millis>,
    /// State of a scan waiting or running for it.
    pub pending: Option<String>,
    pub open_detections: i64,
}

/// Coverage of one unit (or, with `unit_id` 0, of every unit in view).
#[derive(Debug, Clone, Default, Serialize)]
pub struct CoverageRow {
    pub unit_id: i64,
    pub unit_name: String,
    pub servers: i64,
    pub servers_covered: i64,
    pub workstations: i64,
    pub workstations_covered: i64,
    /// Percent of servers with a full scan in the period (`None` without servers).
    pub servers_pct: Option<f64>,
    pub workstations_pct: Option<f64>,
    pub never_scanned: Vec<HostRef>,
    pub silent_agents: Vec<HostRef>,
    pub open_detections: Vec<HostRef>,
    pub botnet: Vec<BotnetHostScan>,
}

impl CoverageRow {
    fn finish(&mut self) {
        let pct = |covered: i64, total: i64| {
            (total > 0).then(|| (covered as f64 * 1000.0 / total as f64).round() / 10.0)
        };
        self.servers_pct = pct(self.servers_covered, self.servers);
        self.workstations_pct = pct(self.workstations_covered, self.workstations);
    }

    fn add(&mut self, o: &CoverageRow) {
        self.servers += o.servers;
        self.servers_covered += o.servers_covered;
        self.workstations += o.workstations;
        self.workstations_covered += o.workstations_covered;
        self.never_scanned.extend(o.never_scanned.iter().cloned());
        self.silent_agents.extend(o.silent_agents.iter().cloned());
        self.open_detections.extend(o.open_detections.iter().cloned());
        self.botnet.extend(o.botnet.iter().cloned());
    }
}

/// Coverage over the last `days` days.
#[derive(Debug, Clone, Serialize)]
pub struct Coverage {
    pub days: i64,
    /// Start of the period (ms).
    pub since: Millis,
    pub units: Vec<CoverageRow>,
    /// Every unit in view together.
    pub total: CoverageRow,
}

/// Latest `finished_at` per asset of done scans of `unit` (full ones only when `full`).
async fn last_scans(pool: &sqlx::AnyPool, unit: UnitId, full: bool) -> Result<BTreeMap<i64, Millis>> {
    let profile = if full { " AND profile = 'full'" } else { "" };
    let rows = sqlx::query(&format!(
        "SELECT asset_id, MAX(finished_at) AS t FROM scan_tasks WHERE unit_id = $1 AND kind = 'scan' \
         AND state = 'done' AND asset_id IS NOT NULL{profile} GROUP BY asset_id"
    ))
    .bind(unit.0)
    .fetch_all(pool)
    .await?;
    let mut out = BTreeMap::new();
    for r in &rows {
        if let (Some(a), Some(t)) = (opt(r, "asset_id")?, opt(r, "t")?) {
            out.insert(a, t);
        }
    }
    Ok(out)
}

impl Store {
    /// The detections of the actor's units (one unit when given), newest first; only open ones when `open_only`.
    pub async fn scan_detections(
        &self,
        actor: &Actor,
        unit: Option<UnitId>,
        open_only: bool,
        limit: i64,
    ) -> Result<Vec<ScanDetection>> {
        let mut filter = match (actor.scope(), unit) {
            (Scope::Nothing, _) => return Err(StoreError::Forbidden),
            (Scope::All, None) => "1 = 1".to_string(),
            (Scope::All, Some(u)) => format!("unit_id = {}", u.0),
            (Scope::Unit(u), _) => format!("unit_id = {}", u.0),
        };
        if open_only {
            filter.push_str(" AND state = 'open'");
        }
        let rows = sqlx::query(&format!(
            "SELECT * FROM scan_detections WHERE {filter} ORDER BY id DESC LIMIT {}",
            limit.clamp(1, 10_000)
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(detection_row).collect()
    }

    /// One detection in the actor's scope.
    pub async fn scan_detection(&self, actor: &Actor, id: i64) -> Result<ScanDetection> {
        let d = sqlx::query("SELECT * FROM scan_detections WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .as_ref()
            .map(detection_row)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        if actor.allows(Permission::Read, d.unit_id) {
            Ok(d)
        } else {
            Err(StoreError::NotFound)
        }
    }

    async fn unit_coverage(
        &self,
        unit: UnitId,
        name: &str,
        since: Millis,
        now: Millis,
    ) -> Result<CoverageRow> {
        let mut row = CoverageRow {
            unit_id: unit.0,
            unit_name: name.to_string(),
            ..Default::default()
        };
        let full = last_scans(&self.pool, unit, true).await?;
        let any = last_scans(&self.pool, unit, false).await?;
        let assets = sqlx::query(
            "SELECT id, hostname, kind FROM assets WHERE unit_id = $1 AND status = 'active' \
             AND kind IN ('server', 'workstation') ORDER BY hostname, id",
        )
        .bind(unit.0)
        .fetch_all(&self.pool)
        .await?;
        for a in &assets {
            let id = get_i64(a, "id")?;
            let covered = full.get(&id).is_some_and(|t| *t >= since);
            if get_str(a, "kind")? == "server" {
                row.servers += 1;
                row.servers_covered += i64::from(covered);
            } else {
                row.workstations += 1;
                row.workstations_covered += i64::from(covered);
            }
            if !any.contains_key(&id) {
                row.never_scanned.push(HostRef {
                    asset_id: Some(id),
                    hostname: get_str(a, "hostname")?,
                });
            }
        }
        let agents = sqlx::query(
            "SELECT asset_id, hostname FROM agents WHERE unit_id = $1 AND revoked_at IS NULL AND last_seen < $2 \
             ORDER BY hostname",
        )
        .bind(unit.0)
        .bind(now - DEFAULT_SILENT_AFTER)
        .fetch_all(&self.pool)
        .await?;
        for a in &agents {
            row.silent_agents.push(HostRef {
                asset_id: opt(a, "asset_id")?,
                hostname: get_str(a, "hostname")?,
            });
        }
        let open = sqlx::query(
            "SELECT asset_id, hostname, COUNT(*) AS n FROM scan_detections WHERE unit_id = $1 AND state = 'open' \
             GROUP BY asset_id, hostname ORDER BY hostname",
        )
        .bind(unit.0)
        .fetch_all(&self.pool)
        .await?;
        let mut open_by_asset: BTreeMap<i64, i64> = BTreeMap::new();
        for o in &open {
            let asset_id = opt(o, "asset_id")?;
            if let Some(a) = asset_id {
                open_by_asset.insert(a, get_i64(o, "n")?);
            }
            row.open_detections.push(HostRef {
                asset_id,
                hostname: get_str(o, "hostname")?,
            });
        }
        let queue: BTreeSet<i64> = botnet_asset_ids(&self.pool, unit).await?;
        for id in queue {
            let Some(a) = sqlx::query("SELECT hostname FROM assets WHERE id = $1 AND unit_id = $2")
                .bind(id)
                .bind(unit.0)
                .fetch_optional(&self.pool)
                .await?
            else {
                continue;
            };
            let agent = sqlx::query("SELECT id FROM agents WHERE asset_id = $1 AND revoked_at IS NULL")
                .bind(id)
                .fetch_optional(&self.pool)
                .await?
                .is_some();
            let pending = sqlx::query(
                "SELECT state FROM scan_tasks WHERE asset_id = $1 AND kind = 'scan' \
                 AND state IN ('queued', 'sent', 'running') ORDER BY id DESC LIMIT 1",
            )
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .map(|r| get_str(&r, "state"))
            .transpose()?;
            row.botnet.push(BotnetHostScan {
                asset_id: id,
                hostname: get_str(&a, "hostname")?,
                agent,
                last_full_scan: full.get(&id).copied(),
                last_scan: any.get(&id).copied(),
                pending,
                open_detections: open_by_asset.get(&id).copied().unwrap_or(0),
            });
        }
        row.finish();
        Ok(row)
    }

    /// Coverage of the actor's units (one unit when given) over the `days` (1–365) days before `now`.
    pub async fn scan_coverage(
        &self,
        actor: &Actor,
        unit: Option<UnitId>,
        days: i64,
        now: Millis,
    ) -> Result<Coverage> {
        if actor.scope() == Scope::Nothing {
            return Err(StoreError::Forbidden);
        }
        if !(1..=365).contains(&days) {
            return Err(super::invalid("days", "err.scan_days"));
        }
        if let Some(u) = unit {
            if !actor.allows(Permission::Read, u) {
                return Err(StoreError::NotFound);
            }
        }
        let since = now - days * 86_400_000;
        let mut units = Vec::new();
        let mut total = CoverageRow::default();
        for u in self.units(actor).await? {
            if unit.is_some_and(|x| x != u.id) {
                continue;
            }
            let row = self.unit_coverage(u.id, &u.name, since, now).await?;
            total.add(&row);
            units.push(row);
        }
        total.finish();
        Ok(Coverage {
            days,
            since,
            units,
            total,
        })
    }
}
