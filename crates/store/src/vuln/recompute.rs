//! Recomputing findings at the scale of the network (10,000 hosts × every CVE of a year of advisories).
//!
//! Verdicts are computed once per distinct patch state (`Matcher::check_fleet`) and turned into stored form once per
//! distinct verdict list, before any lock is taken. The verdicts are then written unit by unit, each unit in a write
//! transaction of its own: its existing findings are read through the unit's index inside the transaction and
//! compared with the new verdicts; only rows whose state, evidence, severity or status change are written, with
//! multi-row `INSERT … ON CONFLICT (asset_id, cve) DO UPDATE` statements in chunks (anonymous `?` placeholders on
//! SQLite). The write lock is so held for one unit at a time, never for the whole network.
//!
//! What is stored per host × CVE: a finding is opened when the CVE is first found vulnerable; from then on the row
//! follows every verdict (remediated: marked fixed and verified with its KB, so the host's page shows "fixed, verified
//! by KB…"; unknown or not affected: the row keeps its history and people's decisions, no view counts it). Verdicts
//! of CVEs never found vulnerable on the host are not written: they are nearly all of them (22.7 million verdicts
//! for 10,000 hosts, 1.6 million vulnerable) and no view counts them; `host_live_verdicts` matches the host's latest
//! inventory when its page is read (milliseconds) and lists its unknown CVEs (with what is missing) and remediated
//! ones (with the KB that proves it), so nothing is hidden.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use canhgac_model::{Actor, AssetId, Millis, Permission, UnitId};
use canhgac_vuln::inventory::HostInventory;
use canhgac_vuln::matching::{Matcher, State, Verdict};
use canhgac_vuln::KnowledgeBase;
use sqlx::any::AnyRow;
use sqlx::Row;

use super::findings::{severity_rank, Finding, FindingStatus, RecomputeReport, SlaMap, DAY_MS};
use crate::audit::{append, Change};
use crate::placeholders;
use crate::{get_i64, get_str, now_ms, Backend, Result, Store, StoreError, WriteTx};

/// Rows per multi-row upsert (18 parameters each: well under SQLite's and PostgreSQL's limits).
const WRITE_CHUNK: usize = 500;

/// A verdict in stored form.
#[derive(PartialEq)]
struct Content {
    state: &'static str,
    evidence: String,
    kb: String,
    severity: &'static str,
    rank: i64,
    cvss10: i64,
    kev: i64,
    exploited: i64,
}

fn content_of(v: &Verdict, kb: &KnowledgeBase) -> Content {
    let cvss = kb.cves.get(&v.cve).and_then(|r| r.best_cvss()).map(|c| c.base);
    let mut evidence = v.evidence.clone();
    evidence.extend(v.missing.iter().map(|m| format!("missing: {m}")));
    Content {
        state: v.state.as_str(),
        evidence: evidence.join("\n"),
        // Packages have no KB: what to install (vulnerable) or the installed version that proves the fix.
        kb: if v.kb.is_empty() {
            v.fixes.join("; ")
        } else {
            v.kb.iter().map(ToString::to_string).collect::<Vec<_>>().join(" ")
        },
        severity: v.severity.map(|s| s.as_str()).unwrap_or_default(),
        rank: severity_rank(v.severity, cvss),
        cvss10: cvss.map_or(0, |c| (f64::from(c) * 10.0).round() as i64),
        kev: i64::from(v.kev),
        exploited: i64::from(v.exploited.unwrap_or(false)),
    }
}

/// One distinct verdict list (hosts patched alike share it), in stored form and indexed by CVE.
struct Group {
    verdicts: Arc<Vec<Verdict>>,
    contents: Vec<Content>,
    by_cve: HashMap<String, usize>,
}

/// A host whose latest inventory is matched.
struct Host {
    asset: i64,
    unit: i64,
    received_at: Millis,
    owner: String,
    group: usize,
}

/// Whose latest inventories to read.
enum Filter {
    Unit(Option<UnitId>),
    Asset(AssetId),
}

/// One row to write.
struct Write<'a> {
    host: &'a Host,
    cve: &'a str,
    content: &'a Content,
    first_seen: Millis,
    due_at: Millis,
    status: FindingStatus,
    reason: String,
}

/// What a stored finding holds, as read for comparison.
struct Stored {
    state: String,
    status: FindingStatus,
    expires_at: Option<Millis>,
    status_at: Millis,
    first_seen: Millis,
    content: (String, String, String, i64, i64, i64, i64),
}

impl Stored {
    fn read(r: &AnyRow) -> Result<Stored> {
        let status = get_str(r, "status")?;
        Ok(Stored {
            state: get_str(r, "state")?,
            status: crate::parse_enum("status", &status, FindingStatus::parse)?,
            expires_at: r.try_get("expires_at")?,
            status_at: get_i64(r, "status_at")?,
            first_seen: get_i64(r, "first_seen")?,
            content: (
                get_str(r, "evidence")?,
                get_str(r, "kb")?,
                get_str(r, "severity")?,
                get_i64(r, "severity_rank")?,
                get_i64(r, "cvss10")?,
                get_i64(r, "kev")?,
                get_i64(r, "exploited")?,
            ),
        })
    }

    fn same_as(&self, c: &Content) -> bool {
        let s = &self.content;
        self.state == c.state
            && s.0 == c.evidence
            && s.1 == c.kb
            && s.2 == c.severity
            && (s.3, s.4, s.5, s.6) == (c.rank, c.cvss10, c.kev, c.exploited)
    }
}

/// The new status of a stored finding given the verdict, with the reason when it changes.
fn next_status(
    prev: &Stored,
    state: State,
    received_at: Millis,
    content: &Content,
    now: Millis,
) -> Option<(FindingStatus, String)> {
    let changed = match state {
        State::Vulnerable
            if prev.status == FindingStatus::Fixed
                && (prev.state == "remediated" || received_at > prev.status_at) =>
        {
            Some((FindingStatus::Open, String::new()))
        }
        State::Remediated
            if prev.status != FindingStatus::FalsePositive
                && (prev.status != FindingStatus::Fixed || prev.state != "remediated") =>
        {
            Some((FindingStatus::Fixed, format!("verified: {}", content.kb)))
        }
        _ => None,
    };
    if changed.is_none()
        && prev.status == FindingStatus::RiskAccepted
        && prev.expires_at.is_some_and(|e| e <= now)
    {
        return Some((FindingStatus::Open, String::new()));
    }
    changed
}

impl Store {
    /// Matches the latest inventory of every active asset of `unit` (or of every unit) against `kb` and folds the
    /// verdicts into the findings (one transaction per unit), then takes today's exposure snapshot of every view.
    /// `actor` is `None` for the server itself (after an advisory import); otherwise the Department for all units,
    /// or a person operating `unit`.
    pub async fn recompute_findings(
        &self,
        actor: Option<&Actor>,
        unit: Option<UnitId>,
        kb: &KnowledgeBase,
    ) -> Result<RecomputeReport> {
        if let Some(a) = actor {
            let ok = match unit {
                None => a.is_dept_admin(),
                Some(u) => a.allows(Permission::Operate, u),
            };
            if !ok {
                return Err(StoreError::Forbidden);
            }
        }
        // Matching runs before the write lock is taken (other writers are not held up).
        let slas = self.sla_map().await?;
        if let Some(u) = unit {
            return self.recompute_unit(actor, u, kb, &slas).await;
        }
        // The whole network: matched once (hosts patched alike share their verdicts across units), then written unit
        // by unit, each in a transaction of its own, so the write lock is never held for the whole network (a first
        // recompute of 10,000 hosts writes 1.7 million rows) and collection, imports and people's changes go on
        // between units. A unit that received an inventory since the match is matched again on its own.
        let mark = last_inventory(&self.pool, None).await?;
        let (hosts, groups) = self.match_fleet(None, kb).await?;
        let mut units: std::collections::BTreeMap<i64, Vec<&Host>> = std::collections::BTreeMap::new();
        for h in &hosts {
            units.entry(h.unit).or_default().push(h);
        }
        let mut report = RecomputeReport::default();
        for (u, unit_hosts) in units {
            let mut w = self.begin_write().await?;
            let part = if last_inventory(&mut *w.tx, Some(u)).await? > mark {
                drop(w);
                self.recompute_unit(actor, UnitId(u), kb, &slas).await?
            } else {
                let part = fold(&mut w, self.backend(), &unit_hosts, &groups, &slas, u).await?;
                audit_recompute(&mut w, actor, Some(UnitId(u)), &part).await?;
                w.commit().await?;
                part
            };
            report.add(&part);
        }
        let mut w = self.begin_write().await?;
        self.take_snapshots(&mut w, kb, None).await?;
        audit_recompute(&mut w, actor, None, &report).await?;
        w.commit().await?;
        Ok(report)
    }

    /// One unit's recompute: matched, folded in and its snapshots taken in one transaction. Should an inventory of
    /// the unit arrive during the match, it is matched again (twice at most, then the verdicts in hand are written).
    async fn recompute_unit(
        &self,
        actor: Option<&Actor>,
        unit: UnitId,
        kb: &KnowledgeBase,
        slas: &SlaMap,
    ) -> Result<RecomputeReport> {
        let mut attempt = 0;
        let (mut w, hosts, groups) = loop {
            attempt += 1;
            let mark = last_inventory(&self.pool, Some(unit.0)).await?;
            let (hosts, groups) = self.match_fleet(Some(unit), kb).await?;
            let mut w = self.begin_write().await?;
            if attempt >= 3 || last_inventory(&mut *w.tx, Some(unit.0)).await? == mark {
                break (w, hosts, groups);
            }
        };
        let refs: Vec<&Host> = hosts.iter().collect();
        let report = fold(&mut w, self.backend(), &refs, &groups, slas, unit.0).await?;
        self.take_snapshots(&mut w, kb, Some(unit)).await?;
        audit_recompute(&mut w, actor, Some(unit), &report).await?;
        w.commit().await?;
        Ok(report)
    }

    /// The latest inventories matched: hosts and their distinct verdict lists in stored form.
    async fn match_fleet(&self, unit: Option<UnitId>, kb: &KnowledgeBase) -> Result<(Vec<Host>, Vec<Group>)> {
        let (inventories, mut hosts) = self.latest_inventories(Filter::Unit(unit)).await?;
        let verdicts = Matcher::new(kb).check_fleet(&inventories);
        drop(inventories);
        let mut groups: Vec<Group> = Vec::new();
        let mut group_of: HashMap<*const Vec<Verdict>, usize> = HashMap::new();
        for (host, list) in hosts.iter_mut().zip(&verdicts) {
            host.group = *group_of.entry(Arc::as_ptr(list)).or_insert_with(|| {
                groups.push(Group {
                    verdicts: list.clone(),
                    contents: list.iter().map(|v| content_of(v, kb)).collect(),
                    by_cve: list.iter().enumerate().map(|(i, v)| (v.cve.clone(), i)).collect(),
                });
                groups.len() - 1
            });
        }
        Ok((hosts, groups))
    }

    /// The unknown and remediated verdicts of one host the actor reads for CVEs without a stored finding, matched
    /// from its latest inventory now (id 0; unknown with what is missing as evidence, remediated as fixed and
    /// verified with its KB), unknown first, then most urgent first. They are not stored (see the module).
    pub async fn host_live_verdicts(
        &self,
        actor: &Actor,
        asset: AssetId,
        kb: &KnowledgeBase,
    ) -> Result<Vec<Finding>> {
        let a = self.asset(actor, asset).await?;
        let (inventories, hosts) = self.latest_inventories(Filter::Asset(asset)).await?;
        let (Some(inv), Some(host)) = (inventories.first(), hosts.first()) else {
            return Ok(Vec::new());
        };
        let stored: HashSet<String> = sqlx::query("SELECT cve FROM vuln_findings WHERE asset_id = $1")
            .bind(asset.0)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|r| get_str(r, "cve"))
            .collect::<Result<_>>()?;
        let mut out: Vec<Finding> = Matcher::new(kb)
            .check_host(inv)
            .iter()
            .filter(|v| matches!(v.state, State::Unknown | State::Remediated) && !stored.contains(&v.cve))
            .map(|v| {
                let c = content_of(v, kb);
                let (status, reason) = if v.state == State::Remediated {
                    (FindingStatus::Fixed, format!("verified: {}", c.kb))
                } else {
                    (FindingStatus::Open, String::new())
                };
                Finding {
                    id: 0,
                    unit_id: a.unit_id,
                    asset_id: asset,
                    hostname: a.fields.hostname.clone(),
                    cve: v.cve.clone(),
                    state: c.state.to_string(),
                    evidence: c.evidence.lines().map(str::to_owned).collect(),
                    kb: c.kb,
                    severity: c.severity.to_string(),
                    severity_rank: c.rank,
                    cvss: (c.cvss10 > 0).then(|| c.cvss10 as f64 / 10.0),
                    kev: c.kev != 0,
                    exploited: c.exploited != 0,
                    first_seen: host.received_at,
                    due_at: 0,
                    owner: String::new(),
                    status,
                    reason,
                    expires_at: None,
                    status_at: host.received_at,
                }
            })
            .collect();
        out.sort_by(|x, y| {
            (x.state != "unknown", y.kev, y.exploited, y.severity_rank, &x.cve).cmp(&(
                y.state != "unknown",
                x.kev,
                x.exploited,
                x.severity_rank,
                &y.cve,
            ))
        });
        Ok(out)
    }

    /// The latest inventory of every active asset (of `unit`, or of every unit), parsed, with the asset's facts.
    async fn latest_inventories(&self, filter: Filter) -> Result<(Vec<HostInventory>, Vec<Host>)> {
        let unit_filter = match filter {
            Filter::Unit(Some(u)) => format!(" AND i.unit_id = {}", u.0),
            Filter::Unit(None) => String::new(),
            Filter::Asset(a) => format!(" AND i.asset_id = {}", a.0),
        };
        let rows = sqlx::query(&format!(
            "SELECT i.asset_id, i.unit_id, i.parsed, i.received_at, a.owner FROM vuln_inventories i \
             JOIN assets a ON a.id = i.asset_id WHERE a.status = 'active' AND a.unit_id = i.unit_id \
             AND i.id = (SELECT MAX(j.id) FROM vuln_inventories j WHERE j.asset_id = i.asset_id){unit_filter}"
        ))
        .fetch_all(&self.pool)
        .await?;
        let mut inventories = Vec::with_capacity(rows.len());
        let mut hosts = Vec::with_capacity(rows.len());
        for r in &rows {
            let asset = get_i64(r, "asset_id")?;
            let inv: HostInventory = serde_json::from_str(&get_str(r, "parsed")?)
                .map_err(|e| StoreError::Corrupt(format!("stored inventory of asset {asset}: {e}")))?;
            inventories.push(inv);
            hosts.push(Host {
                asset,
                unit: get_i64(r, "unit_id")?,
                received_at: get_i64(r, "received_at")?,
                owner: get_str(r, "owner")?,
                group: 0,
            });
        }
        Ok((inventories, hosts))
    }
}

/// Folds the verdicts of one unit's `hosts` into its stored findings, inside `w`: stored findings (read through the
/// unit's index) are compared with their new verdicts, changed ones rewritten, new vulnerable verdicts opened.
async fn fold(
    w: &mut WriteTx<'_>,
    backend: Backend,
    hosts: &[&Host],
    groups: &[Group],
    slas: &SlaMap,
    unit: i64,
) -> Result<RecomputeReport> {
    let now = now_ms();
    let host_of: HashMap<i64, usize> = hosts.iter().enumerate().map(|(i, h)| (h.asset, i)).collect();
    let mut report = RecomputeReport {
        hosts: hosts.len(),
        ..Default::default()
    };
    // Stored findings, each compared with its new verdict and marked as seen (host, verdict).
    let mut seen: HashSet<(usize, usize)> = HashSet::new();
    let mut plain: Vec<Write> = Vec::new();
    let mut with_status: Vec<Write> = Vec::new();
    let rows = sqlx::query(
        "SELECT id, asset_id, cve, state, evidence, kb, severity, severity_rank, cvss10, kev, exploited, status, \
         expires_at, status_at, first_seen FROM vuln_findings WHERE unit_id = $1",
    )
    .bind(unit)
    .fetch_all(&mut *w.tx)
    .await?;
    for r in &rows {
        let Some(&hi) = host_of.get(&get_i64(r, "asset_id")?) else {
            continue;
        };
        let host = hosts[hi];
        let group = &groups[host.group];
        let Some(&vi) = group.by_cve.get(&get_str(r, "cve")?) else {
            continue;
        };
        seen.insert((hi, vi));
        let prev = Stored::read(r)?;
        let (v, content) = (&group.verdicts[vi], &group.contents[vi]);
        let change = next_status(&prev, v.state, host.received_at, content, now);
        if let Some((status, _)) = &change {
            if *status != prev.status {
                match status {
                    FindingStatus::Open => report.reopened += 1,
                    FindingStatus::Fixed => report.verified_fixed += 1,
                    _ => {}
                }
            }
        }
        if change.is_none() && prev.same_as(content) {
            continue;
        }
        report.updated += 1;
        let due_at = prev.first_seen + slas.get(UnitId(host.unit)).days(content.rank) * DAY_MS;
        let (list, (status, reason)) = match change {
            Some(c) => (&mut with_status, c),
            None => (&mut plain, (prev.status, String::new())),
        };
        list.push(Write {
            host,
            cve: &v.cve,
            content,
            first_seen: prev.first_seen,
            due_at,
            status,
            reason,
        });
    }
    drop(rows);
    // Verdicts never stored: vulnerable opens; the others are read live per host (`host_live_verdicts`).
    for (hi, host) in hosts.iter().enumerate() {
        let group = &groups[host.group];
        let sla = slas.get(UnitId(host.unit));
        for (vi, (v, content)) in group.verdicts.iter().zip(&group.contents).enumerate() {
            if v.state != State::Vulnerable || seen.contains(&(hi, vi)) {
                continue;
            }
            report.opened += 1;
            plain.push(Write {
                host,
                cve: &v.cve,
                content,
                first_seen: now,
                due_at: now + sla.days(content.rank) * DAY_MS,
                status: FindingStatus::Open,
                reason: String::new(),
            });
        }
    }
    upsert(w, backend, &plain, false, now).await?;
    upsert(w, backend, &with_status, true, now).await?;
    Ok(report)
}

/// The audit entry of a recompute: a unit's, or the network's total.
async fn audit_recompute(
    w: &mut WriteTx<'_>,
    actor: Option<&Actor>,
    unit: Option<UnitId>,
    report: &RecomputeReport,
) -> Result<()> {
    let mut change = Change::new(
        "recompute",
        "vuln_findings",
        unit.map(|u| u.0).unwrap_or(0).to_string(),
    )
    .after(report);
    if let Some(u) = unit {
        change = change.unit(u);
    }
    append(w, actor, change).await
}

/// The newest inventory's id (0 when none), of one unit or of all.
async fn last_inventory<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    e: E,
    unit: Option<i64>,
) -> Result<i64> {
    let filter = unit.map(|u| format!(" WHERE unit_id = {u}")).unwrap_or_default();
    let r = sqlx::query(&format!(
        "SELECT COALESCE(MAX(id), 0) AS n FROM vuln_inventories{filter}"
    ))
    .fetch_one(e)
    .await?;
    get_i64(&r, "n")
}

/// Writes `rows` with multi-row upserts on (asset, CVE): new rows are inserted whole; existing ones get the new
/// state, evidence, severity and due date, plus (`with_status`) the new status and reason, clearing the expiry and
/// the person who set the previous status.
async fn upsert(
    w: &mut WriteTx<'_>,
    backend: Backend,
    rows: &[Write<'_>],
    with_status: bool,
    now: Millis,
) -> Result<()> {
    const COLUMNS: usize = 18;
    let status_set = if with_status {
        ", status = excluded.status, reason = excluded.reason, expires_at = NULL, status_by = NULL, \
         status_at = excluded.status_at"
    } else {
        ""
    };
    for chunk in rows.chunks(WRITE_CHUNK) {
        let values: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(backend, COLUMNS * i, COLUMNS)))
            .collect();
        let sql = format!(
            "INSERT INTO vuln_findings (unit_id, asset_id, cve, state, evidence, kb, severity, severity_rank, cvss10, \
             kev, exploited, first_seen, due_at, owner, status, reason, status_at, updated_at) VALUES {} \
             ON CONFLICT (asset_id, cve) DO UPDATE SET unit_id = excluded.unit_id, state = excluded.state, \
             evidence = excluded.evidence, kb = excluded.kb, severity = excluded.severity, \
             severity_rank = excluded.severity_rank, cvss10 = excluded.cvss10, kev = excluded.kev, \
             exploited = excluded.exploited, due_at = excluded.due_at, updated_at = excluded.updated_at{status_set}",
            values.join(",")
        );
        let mut q = sqlx::query(&sql);
        for row in chunk {
            let c = row.content;
            q = q
                .bind(row.host.unit)
                .bind(row.host.asset)
                .bind(row.cve)
                .bind(c.state)
                .bind(c.evidence.as_str())
                .bind(c.kb.as_str())
                .bind(c.severity)
                .bind(c.rank)
                .bind(c.cvss10)
                .bind(c.kev)
                .bind(c.exploited)
                .bind(row.first_seen)
                .bind(row.due_at)
                .bind(row.host.owner.as_str())
                .bind(row.status.as_str())
                .bind(row.reason.as_str())
                .bind(now)
                .bind(now);
        }
        q.execute(&mut *w.tx).await?;
    }
    Ok(())
}
