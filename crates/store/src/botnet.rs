//! Botnet IP lists and the remediation queue they produce. The Department imports a list version once (the
//! original file is kept as evidence and re-read for diffs); it is matched at once against every unit's assets and
//! public ranges, and each match becomes a remediation item of that unit, most critical machines first.

use std::net::IpAddr;

use canhgac_ioc::import::ColumnMap;
use canhgac_ioc::import::{import, ImportOptions};
use canhgac_ioc::{diff, IndicatorSet, IpRange, ListKind, Rejected};
use canhgac_model::{Actor, Criticality, FieldError, Invalid, Millis, Permission, Scope, UnitId};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::{append, Change};
use crate::{get_i64, get_str, now_ms, Result, Store, StoreError};

/// A list file to import.
#[derive(Debug, Clone)]
pub struct ListUpload {
    /// The list's name; versions of one name are compared ("Botnet IP list").
    pub name: String,
    /// Who sent it ("Department of Information and Communications").
    pub source: String,
    pub kind: ListKind,
    /// The version ("2024-01"), today's date when empty.
    pub version: String,
    pub file_name: String,
    pub bytes: Vec<u8>,
    /// A column mapping the user corrected; detected when `None`.
    pub mapping: Option<ColumnMap>,
}

/// What an import (or its preview) found.
#[derive(Debug, Clone, Serialize)]
pub struct ListReport {
    /// The stored list version (`None` for a preview).
    pub list_id: Option<i64>,
    pub format: String,
    pub entries: usize,
    pub rejected: Vec<Rejected>,
    pub mapping: Option<ColumnMap>,
    /// Against the previous version of the same name, if any.
    pub previous_version: Option<String>,
    pub added: usize,
    pub removed: usize,
    pub unchanged: usize,
    /// Samples of the changes (first 20 each).
    pub added_sample: Vec<String>,
    pub removed_sample: Vec<String>,
    /// Remediation items created.
    pub items: usize,
    /// Matches a warning list suppressed (kept as items outside the queue, naming the list).
    pub suppressed: usize,
    /// Items created per unit: (unit code, unit name, items).
    pub per_unit: Vec<(String, String, usize)>,
}

/// A stored list version.
#[derive(Debug, Clone, Serialize)]
pub struct ListVersion {
    pub id: i64,
    pub name: String,
    pub source: String,
    pub kind: String,
    pub version: String,
    pub file_name: String,
    pub entries: i64,
    pub rejected: i64,
    pub imported_at: Millis,
}

/// Where a remediation item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    New,
    Investigating,
    Cleaned,
    FalsePositive,
}

impl ItemState {
    pub const ALL: [ItemState; 4] = [
        ItemState::New,
        ItemState::Investigating,
        ItemState::Cleaned,
        ItemState::FalsePositive,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            ItemState::New => "new",
            ItemState::Investigating => "investigating",
            ItemState::Cleaned => "cleaned",
            ItemState::FalsePositive => "false_positive",
        }
    }

    pub fn parse(s: &str) -> Option<ItemState> {
        ItemState::ALL.into_iter().find(|v| v.as_str() == s)
    }
}

/// One machine concerned by an item.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ItemAsset {
    pub id: i64,
    pub hostname: String,
    pub criticality: Criticality,
    pub ips: String,
}

/// A remediation item: a list entry that matched a unit's address or range.
#[derive(Debug, Clone, Serialize)]
pub struct BotnetItem {
    pub id: i64,
    pub unit_id: UnitId,
    pub list_id: i64,
    pub list_name: String,
    pub list_version: String,
    /// The list's entry (address, range).
    pub indicator: String,
    /// The unit's address or public range that it matched.
    pub matched: String,
    /// `asset` (an asset's own address) or `range` (a public range: every machine behind it).
    pub via: String,
    pub category: String,
    pub family: String,
    pub first_seen: String,
    pub last_seen: String,
    /// The machines to clean, most critical first.
    pub assets: Vec<ItemAsset>,
    pub state: ItemState,
    pub state_note: String,
    pub state_at: Option<Millis>,
    pub created_at: Millis,
    /// The warning list that suppressed this match (empty: not suppressed), and its value that matched.
    pub suppressed_by: String,
    pub suppressed_value: String,
}

/// Filters of the queue.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct ItemQuery {
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// `open` (default: new and investigating), `all`, or one state.
    #[serde(default)]
    pub state: String,
}

fn invalid(field: &str, code: &str) -> StoreError {
    StoreError::Invalid(Invalid(vec![FieldError::new(field, code)]))
}

fn parse_upload(up: &ListUpload) -> Result<canhgac_ioc::import::Imported> {
    let options = ImportOptions {
        mapping: up.mapping.clone(),
        ..Default::default()
    };
    import(&up.file_name, &up.bytes, &options).map_err(|e| {
        StoreError::Invalid(Invalid(vec![
            FieldError::new("file", "err.list_unreadable").with_value(&e.to_string())
        ]))
    })
}

fn kind_str(kind: ListKind) -> String {
    serde_json::to_value(kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| "ad_hoc".into())
}

fn row_to_item(r: &AnyRow) -> Result<BotnetItem> {
    let assets: Vec<ItemAsset> = serde_json::from_str(&get_str(r, "assets")?).unwrap_or_default();
    let state = get_str(r, "state")?;
    Ok(BotnetItem {
        id: get_i64(r, "id")?,
        unit_id: UnitId(get_i64(r, "unit_id")?),
        list_id: get_i64(r, "list_id")?,
        list_name: get_str(r, "list_name")?,
        list_version: get_str(r, "list_version")?,
        indicator: get_str(r, "indicator")?,
        matched: get_str(r, "matched")?,
        via: get_str(r, "via")?,
        category: get_str(r, "category")?,
        family: get_str(r, "family")?,
        first_seen: get_str(r, "first_seen")?,
        last_seen: get_str(r, "last_seen")?,
        assets,
        state: crate::parse_enum("state", &state, ItemState::parse)?,
        state_note: get_str(r, "state_note")?,
        state_at: r.try_get("state_at")?,
        created_at: get_i64(r, "created_at")?,
        suppressed_by: get_str(r, "suppressed_by")?,
        suppressed_value: get_str(r, "suppressed_value")?,
    })
}

const ITEM_SELECT: &str = "SELECT i.*, l.name AS list_name, l.version AS list_version FROM botnet_items i \
                           JOIN ioc_lists l ON l.id = i.list_id";

/// An item's identity within one import: unit, listed entry, matched address or range.
type ItemKey = (i64, String, String);
/// What an item will hold: how it matched, the entry, the machines concerned.
type Pending<'a> = (
    String,
    canhgac_ioc::Hit<'a>,
    Vec<ItemAsset>,
    Option<canhgac_ioc::Suppression>,
);

/// The estate every unit has: active assets with their addresses, and public ranges.
struct Estate {
    assets: Vec<(ItemAsset, UnitId, Vec<IpAddr>)>,
    ranges: Vec<(UnitId, String, IpRange)>,
}

impl Store {
    /// Reads a list without storing anything: what would be kept, refused and changed.
    pub async fn preview_list(&self, actor: &Actor, up: &ListUpload) -> Result<ListReport> {
        if !actor.is_dept_admin() {
            return Err(StoreError::Forbidden);
        }
        self.read_list(up).await
    }

    /// The same without a person (the command line's dry run, run by whoever holds the database).
    pub async fn read_list(&self, up: &ListUpload) -> Result<ListReport> {
        let imported = parse_upload(up)?;
        self.report(up, &imported, None, 0).await
    }

    /// The latest version of every imported list, as indicator lists: what the live pipeline watches for.
    pub async fn current_indicator_lists(&self) -> Result<Vec<canhgac_ioc::List>> {
        let rows = sqlx::query(
            "SELECT name, source, version, file_name, content, mapping FROM ioc_lists l \
             WHERE id = (SELECT MAX(id) FROM ioc_lists m WHERE m.name = l.name) ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let up = ListUpload {
                name: get_str(r, "name")?,
                source: get_str(r, "source")?,
                kind: ListKind::AdHoc,
                version: get_str(r, "version")?,
                file_name: get_str(r, "file_name")?,
                bytes: r.try_get::<Vec<u8>, _>("content")?,
                mapping: serde_json::from_str(&get_str(r, "mapping")?).ok(),
            };
            let imported = parse_upload(&up)?;
            out.push(imported.into_list(&up.name, &up.source, &up.version));
        }
        Ok(out)
    }

    async fn previous_entries(&self, name: &str) -> Result<Option<(String, Vec<canhgac_ioc::Entry>)>> {
        let row = sqlx::query("SELECT version, file_name, content, mapping FROM ioc_lists WHERE name = $1 ORDER BY id DESC LIMIT 1")
            .bind(name.to_string())
            .fetch_optional(&self.pool)
            .await?;
        let Some(r) = row else { return Ok(None) };
        let mapping: Option<ColumnMap> = serde_json::from_str(&get_str(&r, "mapping")?).ok();
        let up = ListUpload {
            name: name.into(),
            source: String::new(),
            kind: ListKind::AdHoc,
            version: get_str(&r, "version")?,
            file_name: get_str(&r, "file_name")?,
            bytes: r.try_get::<Vec<u8>, _>("content")?,
            mapping,
        };
        Ok(Some((up.version.clone(), parse_upload(&up)?.entries)))
    }

    async fn report(
        &self,
        up: &ListUpload,
        imported: &canhgac_ioc::import::Imported,
        list_id: Option<i64>,
        items: usize,
    ) -> Result<ListReport> {
        let previous = self.previous_entries(&up.name).await?;
        let (previous_version, d) = match &previous {
            Some((v, old)) => (Some(v.clone()), diff(old, &imported.entries)),
            None => (None, diff(&[], &imported.entries)),
        };
        let sample = |v: &[canhgac_ioc::Indicator]| v.iter().take(20).map(ToString::to_string).collect();
        Ok(ListReport {
            list_id,
            format: serde_json::to_value(imported.format)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            entries: imported.entries.len(),
            rejected: imported.rejected.clone(),
            mapping: imported.mapping.clone(),
            previous_version,
            added: d.added.len(),
            removed: d.removed.len(),
            unchanged: d.unchanged.len(),
            added_sample: sample(&d.added),
            removed_sample: sample(&d.removed),
            items,
            suppressed: 0,
            per_unit: Vec::new(),
        })
    }

    async fn estate(&self) -> Result<Estate> {
        let rows =
            sqlx::query("SELECT id, unit_id, hostname, ips, criticality FROM assets WHERE status = 'active'")
                .fetch_all(&self.pool)
                .await?;
        let mut assets = Vec::with_capacity(rows.len());
        for r in &rows {
            let ips = get_str(r, "ips")?;
            let addrs: Vec<IpAddr> = ips
                .split([',', ' ', ';'])
                .filter_map(|s| s.trim().parse().ok())
                .collect();
            let asset = ItemAsset {
                id: get_i64(r, "id")?,
                hostname: get_str(r, "hostname")?,
                criticality: Criticality::from_rank(get_i64(r, "criticality")?),
                ips: ips.trim().to_string(),
            };
            assets.push((asset, UnitId(get_i64(r, "unit_id")?), addrs));
        }
        let rows = sqlx::query("SELECT unit_id, cidr FROM unit_ranges")
            .fetch_all(&self.pool)
            .await?;
        let mut ranges = Vec::new();
        for r in &rows {
            let cidr = get_str(r, "cidr")?;
            let net = cidr
                .split_once('/')
                .and_then(|(a, p)| Some((a.parse::<IpAddr>().ok()?, p.parse::<u8>().ok()?)));
            let range = match net {
                Some((addr, prefix)) => IpRange::cidr(addr, prefix),
                None => cidr.parse::<IpAddr>().ok().map(IpRange::single),
            };
            if let Some(range) = range {
                ranges.push((UnitId(get_i64(r, "unit_id")?), cidr, range));
            }
        }
        Ok(Estate { assets, ranges })
    }

    /// Imports a list version (the Department; `None` is the command line, run by whoever holds the database),
    /// matches it against every unit's estate and creates the units' remediation items, all in one transaction.
    pub async fn import_list(&self, actor: Option<&Actor>, up: &ListUpload) -> Result<ListReport> {
        if actor.is_some_and(|a| !a.is_dept_admin()) {
            return Err(StoreError::Forbidden);
        }
        if up.name.trim().is_empty() {
            return Err(invalid("name", "err.required"));
        }
        let imported = parse_upload(up)?;
        if imported.entries.is_empty() {
            return Err(invalid("file", "err.list_empty"));
        }
        let version = if up.version.trim().is_empty() {
            chrono::Utc::now().format("%Y-%m-%d").to_string()
        } else {
            up.version.trim().to_string()
        };
        let estate = self.estate().await?;
        let warnings = self.active_warnings(false).await?;
        let set = IndicatorSet::from_lists([imported.clone().into_list(
            up.name.trim(),
            up.source.trim(),
            &version,
        )]);
        let asset_ips = estate
            .assets
            .iter()
            .enumerate()
            .flat_map(|(i, (_, _, ips))| ips.iter().map(move |ip| (i, *ip)));
        let range_subjects = estate
            .ranges
            .iter()
            .enumerate()
            .map(|(i, (_, _, r))| (usize::MAX - i, *r))
            .collect::<Vec<_>>();
        let matches = set.match_estate(asset_ips, range_subjects, &warnings);
        let report_base = self.report(up, &imported, None, 0).await?;
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let r = sqlx::query(
            "INSERT INTO ioc_lists (name, source, kind, version, file_name, content, mapping, entries, rejected, \
             rejected_json, imported_at, imported_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id",
        )
        .bind(up.name.trim().to_string())
        .bind(up.source.trim().to_string())
        .bind(kind_str(up.kind))
        .bind(version.clone())
        .bind(up.file_name.clone())
        .bind(up.bytes.clone())
        .bind(serde_json::to_string(&imported.mapping).unwrap_or_else(|_| "null".into()))
        .bind(imported.entries.len() as i64)
        .bind(imported.rejected.len() as i64)
        .bind(serde_json::to_string(&imported.rejected).unwrap_or_else(|_| "[]".into()))
        .bind(now)
        .bind(actor.map(|a| a.user_id.0))
        .fetch_one(&mut *w.tx)
        .await?;
        let list_id = get_i64(&r, "id")?;
        // One item per unit, entry and matched address or range.
        let mut items: std::collections::BTreeMap<ItemKey, Pending<'_>> = Default::default();
        for m in &matches {
            let (unit, matched, via, assets) = if m.subject >= estate.assets.len() {
                let (unit, cidr, _) = &estate.ranges[usize::MAX - m.subject];
                let mut behind: Vec<ItemAsset> = estate
                    .assets
                    .iter()
                    .filter(|(_, u, _)| u == unit)
                    .map(|(a, _, _)| a.clone())
                    .collect();
                behind.sort_by(|a, b| {
                    b.criticality
                        .cmp(&a.criticality)
                        .then(a.hostname.cmp(&b.hostname))
                });
                (*unit, cidr.clone(), "range", behind)
            } else {
                let (asset, unit, _) = &estate.assets[m.subject];
                (*unit, m.target.to_string(), "asset", vec![asset.clone()])
            };
            let key = (unit.0, m.hit.entry.indicator.to_string(), matched);
            let slot = items
                .entry(key)
                .or_insert_with(|| (via.to_string(), m.hit, Vec::new(), m.suppressed.clone()));
            for a in assets {
                if !slot.2.iter().any(|x| x.id == a.id) {
                    slot.2.push(a);
                }
            }
        }
        for ((unit, indicator, matched), (via, hit, assets, suppressed)) in items.iter_mut() {
            assets.sort_by(|a, b| {
                b.criticality
                    .cmp(&a.criticality)
                    .then(a.hostname.cmp(&b.hostname))
            });
            let top = assets.first().map_or(0, |a| a.criticality.rank());
            let meta = &hit.entry.meta;
            let date = |d: Option<chrono::NaiveDateTime>| {
                d.map(|d| d.format("%Y-%m-%d").to_string()).unwrap_or_default()
            };
            let category = serde_json::to_value(&meta.category)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            sqlx::query(
                "INSERT INTO botnet_items (unit_id, list_id, indicator, matched, via, category, family, first_seen, \
                 last_seen, assets, top_criticality, state, created_at, suppressed_by, suppressed_value) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, 'new', $12, $13, $14)",
            )
            .bind(*unit)
            .bind(list_id)
            .bind(indicator.clone())
            .bind(matched.clone())
            .bind(via.clone())
            .bind(category)
            .bind(meta.family.clone().unwrap_or_default())
            .bind(date(meta.first_seen))
            .bind(date(meta.last_seen))
            .bind(serde_json::to_string(&assets).unwrap_or_else(|_| "[]".into()))
            .bind(top)
            .bind(now)
            .bind(suppressed.as_ref().map(|s| s.list.clone()).unwrap_or_default())
            .bind(suppressed.as_ref().map(|s| s.value.clone()).unwrap_or_default())
            .execute(&mut *w.tx)
            .await?;
        }
        let mut counts: std::collections::BTreeMap<i64, usize> = Default::default();
        for ((unit, _, _), pending) in &items {
            if pending.3.is_none() {
                *counts.entry(*unit).or_default() += 1;
            }
        }
        let suppressed = items.values().filter(|p| p.3.is_some()).count();
        let mut per_unit = Vec::new();
        for (unit, n) in counts {
            let r = sqlx::query("SELECT code, name FROM units WHERE id = $1")
                .bind(unit)
                .fetch_one(&mut *w.tx)
                .await?;
            per_unit.push((get_str(&r, "code")?, get_str(&r, "name")?, n));
        }
        let report = ListReport {
            list_id: Some(list_id),
            items: items.len() - suppressed,
            suppressed,
            per_unit,
            ..report_base
        };
        let change = Change::new("import", "ioc_list", list_id.to_string()).after(&serde_json::json!({
            "name": up.name.trim(), "version": version, "file": up.file_name, "entries": report.entries,
            "rejected": report.rejected.len(), "items": report.items, "added": report.added, "removed": report.removed,
        }));
        append(&mut w, actor, change).await?;
        w.commit().await?;
        Ok(report)
    }

    /// The stored list versions, newest first (names and counts; every signed-in reader may see them).
    pub async fn lists(&self) -> Result<Vec<ListVersion>> {
        let rows = sqlx::query(
            "SELECT id, name, source, kind, version, file_name, entries, rejected, imported_at FROM ioc_lists ORDER BY id DESC",
        )
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ListVersion {
                    id: get_i64(r, "id")?,
                    name: get_str(r, "name")?,
                    source: get_str(r, "source")?,
                    kind: get_str(r, "kind")?,
                    version: get_str(r, "version")?,
                    file_name: get_str(r, "file_name")?,
                    entries: get_i64(r, "entries")?,
                    rejected: get_i64(r, "rejected")?,
                    imported_at: get_i64(r, "imported_at")?,
                })
            })
            .collect()
    }

    /// The refused lines of a stored list version (the Department).
    pub async fn list_rejections(&self, actor: &Actor, id: i64) -> Result<serde_json::Value> {
        if !actor.is_dept_admin() {
            return Err(StoreError::Forbidden);
        }
        let r = sqlx::query("SELECT rejected_json FROM ioc_lists WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        let text = get_str(&r, "rejected_json")?;
        Ok(serde_json::from_str(&text).unwrap_or_default())
    }

    /// The remediation queue: open items first, the most critical machines first, then the oldest.
    pub async fn botnet_items(&self, actor: &Actor, q: &ItemQuery) -> Result<Vec<BotnetItem>> {
        let mut cond = Vec::new();
        match (actor.scope(), q.unit_id) {
            (Scope::All, None) => {}
            (Scope::All, Some(u)) => cond.push(format!("i.unit_id = {u}")),
            (Scope::Unit(u), f) if f.is_none_or(|f| f == u.0) => cond.push(format!("i.unit_id = {}", u.0)),
            _ => return Err(StoreError::NotFound),
        }
        match q.state.as_str() {
            "" | "open" => cond.push("i.state IN ('new', 'investigating') AND i.suppressed_by = ''".into()),
            "suppressed" => cond.push("i.suppressed_by <> ''".into()),
            "all" => {}
            s => {
                let st = ItemState::parse(s).ok_or_else(|| invalid("state", "err.choice"))?;
                cond.push(format!("i.state = '{}'", st.as_str()));
            }
        }
        let wh = if cond.is_empty() {
            String::new()
        } else {
            format!(" WHERE {}", cond.join(" AND "))
        };
        let sql = format!(
            "{ITEM_SELECT}{wh} ORDER BY CASE WHEN i.state IN ('new', 'investigating') AND i.suppressed_by = '' THEN 0 ELSE 1 END, \
             i.top_criticality DESC, i.created_at, i.id LIMIT 1000"
        );
        let rows = sqlx::query(&sql).fetch_all(&self.pool).await?;
        rows.iter().map(row_to_item).collect()
    }

    /// One item, if the actor reads its unit.
    pub async fn botnet_item(&self, actor: &Actor, id: i64) -> Result<BotnetItem> {
        let row = sqlx::query(&format!("{ITEM_SELECT} WHERE i.id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await?;
        let item = row
            .as_ref()
            .map(row_to_item)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        if actor.allows(Permission::Read, item.unit_id) {
            Ok(item)
        } else {
            Err(StoreError::NotFound)
        }
    }

    /// Moves an item (new → investigating → cleaned / false positive), with a note; audited.
    pub async fn set_item_state(
        &self,
        actor: &Actor,
        id: i64,
        state: ItemState,
        note: &str,
    ) -> Result<BotnetItem> {
        let before = self.botnet_item(actor, id).await?;
        if !actor.allows(Permission::Operate, before.unit_id) {
            return Err(StoreError::Forbidden);
        }
        let note: String = note.trim().chars().take(4000).collect();
        if matches!(state, ItemState::Cleaned | ItemState::FalsePositive) && note.is_empty() {
            return Err(invalid("note", "err.required"));
        }
        let mut w = self.begin_write().await?;
        sqlx::query(
            "UPDATE botnet_items SET state = $1, state_note = $2, state_by = $3, state_at = $4 WHERE id = $5",
        )
        .bind(state.as_str())
        .bind(note.clone())
        .bind(actor.user_id.0)
        .bind(now_ms())
        .bind(id)
        .execute(&mut *w.tx)
        .await?;
        let change = Change::new("state", "botnet_item", id.to_string())
            .unit(before.unit_id)
            .before(&serde_json::json!({ "state": before.state, "note": before.state_note }))
            .after(&serde_json::json!({ "state": state, "note": note }));
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        self.botnet_item(actor, id).await
    }
}
