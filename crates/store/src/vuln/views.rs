//! Views over findings: per national warning or saved query (a CVE set), how many hosts in how many units are
//! still exposed, which ones, and the daily trend (a snapshot row per view, day and unit, written by every
//! recompute); per unit, the patch list ordered by risk; per host, every finding (in `findings.rs`).

use std::collections::BTreeMap;

use crate::placeholders;
use crate::{get_i64, get_str, now_ms, Result, Store, StoreError, WriteTx};
use canhgac_model::{Actor, AssetId, Criticality, Scope, UnitId};
use canhgac_vuln::query::AdvisoryQuery;
use canhgac_vuln::{Kb, KnowledgeBase};
use serde::Serialize;

/// A finding that still needs work: vulnerable, and neither fixed, accepted nor declared a false positive.
pub(crate) const EXPOSED: &str = "f.state = 'vulnerable' AND f.status IN ('open', 'in_progress')";

/// Saved queries offered as views: (key, query text).
pub const SAVED_VIEWS: &[(&str, &str)] = &[(
    "ms-2023-may-dec",
    "vendor=microsoft severity=critical,important released=2023-05-01..2023-12-31",
)];

/// A view: a saved query or a national warning.
#[derive(Debug, Clone, Serialize)]
pub struct VulnView {
    /// `saved:<name>` or `warning:<id>`.
    pub key: String,
    /// `saved` or `warning`.
    pub kind: String,
    /// The warning's number, or the saved query's name.
    pub name: String,
    pub title: String,
    pub issuer: String,
    pub deadline: String,
    /// The saved query's text (empty for warnings).
    pub query: String,
    pub cves: Vec<String>,
    /// Hosts and units still exposed, in the actor's scope, and their exposed (host, CVE) findings.
    pub hosts: i64,
    pub units: i64,
    pub findings: i64,
}

/// A host still exposed to a view's CVEs.
#[derive(Debug, Clone, Serialize)]
pub struct ExposedHost {
    pub asset_id: AssetId,
    pub unit_id: UnitId,
    pub unit_code: String,
    pub hostname: String,
    pub criticality: Criticality,
    pub cves: Vec<String>,
    pub kev: bool,
    pub severity_rank: i64,
    /// The earliest due date of its open findings.
    pub due_at: i64,
}

/// One day of a view's trend.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TrendPoint {
    pub day: String,
    pub hosts: i64,
    pub units: i64,
}

/// A view with its exposed hosts and trend.
#[derive(Debug, Clone, Serialize)]
pub struct VulnViewDetail {
    pub view: VulnView,
    pub hosts: Vec<ExposedHost>,
    pub trend: Vec<TrendPoint>,
}

/// An update to deploy in a unit: the CVEs it closes and the hosts that need it.
#[derive(Debug, Clone, Serialize)]
pub struct PatchItem {
    /// `KB5026361`, or empty when the advisories name no KB; for a package (`package`), the package fix as the
    /// matcher gives it (`openssh-client → 1:9.2p1-2+deb12u1`).
    pub kb: String,
    /// True when `kb` is a package and the version that fixes it (Linux), not a Microsoft update.
    pub package: bool,
    pub cves: Vec<String>,
    pub hosts: Vec<(AssetId, String)>,
    pub kev: bool,
    pub exploited: bool,
    pub severity_rank: i64,
    pub top_criticality: Criticality,
    /// A host carries the `internet` tag (internet-facing).
    pub internet: bool,
}

/// The fixes a finding's `kb` text names, and whether they are packages: Microsoft updates are space-separated
/// KB numbers (`KB5026361 KB5026362`); a package finding holds `; `-separated fixes (`openssh-client →
/// 1:9.2p1-2+deb12u1; openssh-server → 1:9.2p1-2+deb12u1`). Empty text is one item without a KB.
fn fixes_of(text: &str) -> (Vec<String>, bool) {
    let text = text.trim();
    if text.is_empty() {
        return (vec![String::new()], false);
    }
    if text.split_whitespace().all(|t| Kb::parse_prefixed(t).is_some()) {
        return (text.split_whitespace().map(str::to_owned).collect(), false);
    }
    let fixes = text
        .split("; ")
        .map(str::trim)
        .filter(|f| !f.is_empty())
        .map(str::to_owned)
        .collect();
    (fixes, true)
}

/// The SQL condition limiting `col` to the actor's scope (and to `unit` when given).
pub(crate) fn scope_filter(actor: &Actor, unit: Option<UnitId>, col: &str) -> Result<String> {
    match (actor.scope(), unit) {
        (Scope::All, None) => Ok("1 = 1".into()),
        (Scope::All, Some(u)) => Ok(format!("{col} = {}", u.0)),
        (Scope::Unit(u), f) if f.is_none_or(|f| f == u) => Ok(format!("{col} = {}", u.0)),
        _ => Err(StoreError::NotFound),
    }
}

/// The saved queries' and the warnings' views, with their CVE sets from `kb`.
fn view_defs(kb: &KnowledgeBase, warnings: Vec<super::NationalWarning>) -> Result<Vec<VulnView>> {
    let mut out = Vec::new();
    for (name, text) in SAVED_VIEWS {
        let q = AdvisoryQuery::parse(text).map_err(|e| StoreError::Config(e.to_string()))?;
        out.push(VulnView {
            key: format!("saved:{name}"),
            kind: "saved".into(),
            name: (*name).into(),
            title: String::new(),
            issuer: String::new(),
            deadline: String::new(),
            query: (*text).into(),
            cves: q.select(kb).into_iter().map(|r| r.cve.clone()).collect(),
            hosts: 0,
            units: 0,
            findings: 0,
        });
    }
    for wn in warnings {
        out.push(VulnView {
            key: format!("warning:{}", wn.id),
            kind: "warning".into(),
            name: wn.number,
            title: wn.title,
            issuer: wn.issuer,
            deadline: wn.deadline,
            query: String::new(),
            cves: wn.cves,
            hosts: 0,
            units: 0,
            findings: 0,
        });
    }
    Ok(out)
}

/// Today in Vietnam (UTC+7), as the trend's day.
fn today() -> String {
    (chrono::Utc::now() + chrono::Duration::hours(7))
        .format("%Y-%m-%d")
        .to_string()
}

impl Store {
    /// Every view (saved queries first, then national warnings, newest first) with its CVE set from `kb`.
    async fn view_defs(&self, kb: &KnowledgeBase) -> Result<Vec<VulnView>> {
        view_defs(kb, self.warnings_list().await?)
    }

    /// The CVEs of one view (`saved:<name>` or `warning:<id>`).
    pub async fn view_cves(&self, kb: &KnowledgeBase, key: &str) -> Result<Vec<String>> {
        self.view_defs(kb)
            .await?
            .into_iter()
            .find(|v| v.key == key)
            .map(|v| v.cves)
            .ok_or(StoreError::NotFound)
    }

    /// Writes today's exposure of every view per unit (of `unit` only when given), inside a recompute's transaction.
    pub(crate) async fn take_snapshots(
        &self,
        w: &mut WriteTx<'_>,
        kb: &KnowledgeBase,
        unit: Option<UnitId>,
    ) -> Result<()> {
        let unit_filter = unit
            .map(|u| format!(" AND f.unit_id = {}", u.0))
            .unwrap_or_default();
        let day = today();
        let now = now_ms();
        // Read inside the transaction: an in-memory database has a single connection.
        let rows = sqlx::query(super::warnings::WARNINGS_SQL)
            .fetch_all(&mut *w.tx)
            .await?;
        let warnings = rows
            .iter()
            .map(super::warnings::row_to_warning)
            .collect::<Result<Vec<_>>>()?;
        for view in view_defs(kb, warnings)? {
            if view.cves.is_empty() {
                continue;
            }
            let sql = format!(
                "SELECT f.unit_id, COUNT(DISTINCT CASE WHEN {EXPOSED} THEN f.asset_id END) AS hosts \
                 FROM vuln_findings f WHERE f.cve IN ({}){unit_filter} GROUP BY f.unit_id",
                placeholders(self.backend(), 0, view.cves.len())
            );
            let mut q = sqlx::query(&sql);
            for c in &view.cves {
                q = q.bind(c.clone());
            }
            let rows = q.fetch_all(&mut *w.tx).await?;
            for r in &rows {
                sqlx::query(
                    "INSERT INTO vuln_snapshots (view_key, day, unit_id, hosts, taken_at) VALUES ($1, $2, $3, $4, $5) \
                     ON CONFLICT (view_key, day, unit_id) DO UPDATE SET hosts = excluded.hosts, taken_at = excluded.taken_at",
                )
                .bind(view.key.clone())
                .bind(day.clone())
                .bind(get_i64(r, "unit_id")?)
                .bind(get_i64(r, "hosts")?)
                .bind(now)
                .execute(&mut *w.tx)
                .await?;
            }
        }
        Ok(())
    }

    /// Every view with its exposed hosts and units in the actor's scope.
    pub async fn vuln_views(&self, actor: &Actor, kb: &KnowledgeBase) -> Result<Vec<VulnView>> {
        let filter = scope_filter(actor, None, "f.unit_id")?;
        let mut views = self.view_defs(kb).await?;
        for view in &mut views {
            if view.cves.is_empty() {
                continue;
            }
            let sql = format!(
                "SELECT COUNT(DISTINCT f.asset_id) AS hosts, COUNT(DISTINCT f.unit_id) AS units, COUNT(*) AS findings \
                 FROM vuln_findings f \
                 WHERE {filter} AND {EXPOSED} AND f.cve IN ({})",
                placeholders(self.backend(), 0, view.cves.len())
            );
            let mut q = sqlx::query(&sql);
            for c in &view.cves {
                q = q.bind(c.clone());
            }
            let r = q.fetch_one(&self.pool).await?;
            view.hosts = get_i64(&r, "hosts")?;
            view.units = get_i64(&r, "units")?;
            view.findings = get_i64(&r, "findings")?;
        }
        Ok(views)
    }

    /// One view: its exposed hosts in the actor's scope (by unit, then host name) and its daily trend.
    pub async fn vuln_view(&self, actor: &Actor, kb: &KnowledgeBase, key: &str) -> Result<VulnViewDetail> {
        let filter = scope_filter(actor, None, "f.unit_id")?;
        let view = self
            .vuln_views(actor, kb)
            .await?
            .into_iter()
            .find(|v| v.key == key)
            .ok_or(StoreError::NotFound)?;
        let mut hosts: BTreeMap<(String, String, i64), ExposedHost> = BTreeMap::new();
        if !view.cves.is_empty() {
            let sql = format!(
                "SELECT f.asset_id, f.unit_id, f.cve, f.kev, f.severity_rank, f.due_at, a.hostname, a.criticality, \
                 u.code FROM vuln_findings f JOIN assets a ON a.id = f.asset_id JOIN units u ON u.id = f.unit_id \
                 WHERE {filter} AND {EXPOSED} AND f.cve IN ({}) ORDER BY f.cve",
                placeholders(self.backend(), 0, view.cves.len())
            );
            let mut q = sqlx::query(&sql);
            for c in &view.cves {
                q = q.bind(c.clone());
            }
            for r in q.fetch_all(&self.pool).await? {
                let asset = get_i64(&r, "asset_id")?;
                let key = (get_str(&r, "code")?, get_str(&r, "hostname")?, asset);
                let h = hosts.entry(key.clone()).or_insert_with(|| ExposedHost {
                    asset_id: AssetId(asset),
                    unit_id: UnitId(0),
                    unit_code: key.0.clone(),
                    hostname: key.1.clone(),
                    criticality: Criticality::Medium,
                    cves: Vec::new(),
                    kev: false,
                    severity_rank: 0,
                    due_at: i64::MAX,
                });
                h.unit_id = UnitId(get_i64(&r, "unit_id")?);
                h.criticality = Criticality::from_rank(get_i64(&r, "criticality")?);
                h.cves.push(get_str(&r, "cve")?);
                h.kev |= get_i64(&r, "kev")? != 0;
                h.severity_rank = h.severity_rank.max(get_i64(&r, "severity_rank")?);
                h.due_at = h.due_at.min(get_i64(&r, "due_at")?);
            }
        }
        let trend_filter = scope_filter(actor, None, "unit_id")?;
        let rows = sqlx::query(&format!(
            "SELECT day, CAST(SUM(hosts) AS BIGINT) AS hosts, \
             CAST(SUM(CASE WHEN hosts > 0 THEN 1 ELSE 0 END) AS BIGINT) AS units FROM vuln_snapshots \
             WHERE view_key = $1 AND {trend_filter} GROUP BY day ORDER BY day"
        ))
        .bind(key.to_string())
        .fetch_all(&self.pool)
        .await?;
        let trend = rows
            .iter()
            .map(|r| {
                Ok(TrendPoint {
                    day: get_str(r, "day")?,
                    hosts: get_i64(r, "hosts")?,
                    units: get_i64(r, "units")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(VulnViewDetail {
            view,
            hosts: hosts.into_values().collect(),
            trend,
        })
    }

    /// A unit's patch list: each KB to deploy with the CVEs it closes and the hosts needing it, KEV and exploited
    /// first, then severity, then internet-facing and critical hosts, then the number of hosts.
    pub async fn patch_list(&self, actor: &Actor, unit: UnitId) -> Result<Vec<PatchItem>> {
        let filter = scope_filter(actor, Some(unit), "f.unit_id")?;
        let rows = sqlx::query(&format!(
            "SELECT f.asset_id, f.cve, f.kb, f.kev, f.exploited, f.severity_rank, a.hostname, a.criticality, a.tags \
             FROM vuln_findings f JOIN assets a ON a.id = f.asset_id WHERE {filter} AND {EXPOSED} \
             ORDER BY a.hostname, f.cve"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut items: BTreeMap<String, PatchItem> = BTreeMap::new();
        for r in &rows {
            let kb_text = get_str(r, "kb")?;
            let (kbs, package) = fixes_of(&kb_text);
            let asset = (AssetId(get_i64(r, "asset_id")?), get_str(r, "hostname")?);
            let cve = get_str(r, "cve")?;
            let crit = Criticality::from_rank(get_i64(r, "criticality")?);
            let internet = get_str(r, "tags")?.to_lowercase().contains("internet");
            for kb in kbs {
                let item = items.entry(kb.clone()).or_insert_with(|| PatchItem {
                    kb,
                    package,
                    cves: Vec::new(),
                    hosts: Vec::new(),
                    kev: false,
                    exploited: false,
                    severity_rank: 0,
                    top_criticality: Criticality::Low,
                    internet: false,
                });
                if !item.cves.contains(&cve) {
                    item.cves.push(cve.clone());
                }
                if !item.hosts.contains(&asset) {
                    item.hosts.push(asset.clone());
                }
                item.kev |= get_i64(r, "kev")? != 0;
                item.exploited |= get_i64(r, "exploited")? != 0;
                item.severity_rank = item.severity_rank.max(get_i64(r, "severity_rank")?);
                item.top_criticality = item.top_criticality.max(crit);
                item.internet |= internet;
            }
        }
        let mut out: Vec<PatchItem> = items.into_values().collect();
        for i in &mut out {
            i.cves.sort();
        }
        out.sort_by(|a, b| {
            let key = |p: &PatchItem| {
                (
                    p.kev || p.exploited,
                    p.kev,
                    p.exploited,
                    p.severity_rank,
                    p.internet,
                    p.top_criticality,
                    p.hosts.len(),
                )
            };
            key(b).cmp(&key(a)).then_with(|| a.kb.cmp(&b.kb))
        });
        Ok(out)
    }
}
