//! Vulnerabilities: advisory feed versions (parsed by `canhgac-vuln` before anything is stored; the original bytes
//! are kept and the knowledge base is rebuilt from them), host inventories attached to assets (one at a time, or
//! per host from a WSUS/SCCM/`Get-HotFix` report: `report.rs`), national warnings (`warnings.rs`), findings per
//! (asset, CVE) with SLA due dates and people's decisions (`findings.rs`), and the views over them: exposure per
//! warning or saved query with a daily trend, patch lists, a host's evidence (`views.rs`).

mod agent_feed;
mod findings;
mod recompute;
mod report;
mod views;
mod warnings;

pub(crate) use agent_feed::{attach_agent_inventory, RecomputeQueue};
pub use agent_feed::{KnowledgeFuture, KnowledgeSource, DEFAULT_COALESCE};
pub use canhgac_vuln::KnowledgeBase;
pub use findings::{Finding, FindingChange, FindingStatus, RecomputeReport, Sla};
pub use report::{InventoryReportImport, ReportHostOutcome, ReportRowProblem};
pub use views::{ExposedHost, PatchItem, TrendPoint, VulnView, VulnViewDetail, SAVED_VIEWS};
pub use warnings::{NationalWarning, RowError, WarningImport, WarningInput};

use canhgac_model::{Actor, AssetId, FieldError, Invalid, Millis, Permission, UnitId};
use canhgac_vuln::advisory::{parse_any, Feed};
use canhgac_vuln::inventory::{parse_inventory, HostInventory};
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::audit::{append, Change};
use crate::{get_i64, get_str, now_ms, Result, Store, StoreError, WriteTx};

/// A stored advisory feed version.
#[derive(Debug, Clone, Serialize)]
pub struct AdvisoryFeed {
    pub id: i64,
    pub name: String,
    /// `msrc`, `kev`, `nvd`, `catalog`, `distro` (Debian Security Tracker, OSV) or `cpe` (CPE dictionary).
    pub kind: String,
    pub sha256: String,
    pub size: i64,
    /// What the file held ("2023-May: 1,024 CVEs").
    pub summary: String,
    pub imported_at: Millis,
    pub imported_by: String,
}

/// The outcome of importing one advisory file.
#[derive(Debug, Clone, Serialize)]
pub struct FeedImport {
    pub feed: AdvisoryFeed,
    /// False when the same bytes were imported before (nothing new stored).
    pub created: bool,
}

/// A host inventory attached to an asset.
#[derive(Debug, Clone, Serialize)]
pub struct StoredInventory {
    pub id: i64,
    pub asset_id: AssetId,
    pub file_name: String,
    /// `systeminfo`, `hotfixes` or `agent`.
    pub kind: String,
    pub os_build: String,
    pub kbs: Vec<String>,
    pub received_at: Millis,
    /// Lines the parser could not read, with their place.
    pub warnings: Vec<String>,
}

pub(crate) fn invalid(field: &str, code: &str) -> StoreError {
    StoreError::Invalid(Invalid(vec![FieldError::new(field, code)]))
}

fn invalid_value(field: &str, code: &str, value: &str) -> StoreError {
    StoreError::Invalid(Invalid(vec![FieldError::new(field, code).with_value(value)]))
}

fn feed_kind_and_summary(feed: &Feed) -> (&'static str, String) {
    match feed {
        Feed::Msrc(doc) => (
            "msrc",
            format!(
                "{}: {} CVE, {} products",
                if doc.id.is_empty() { &doc.title } else { &doc.id },
                doc.vulnerabilities.len(),
                doc.products.len()
            ),
        ),
        Feed::Kev(cat) => ("kev", format!("KEV {}: {} CVE", cat.version, cat.entries.len())),
        Feed::Nvd(records) => ("nvd", format!("NVD: {} CVE", records.len())),
        Feed::Catalog(rec) => ("catalog", format!("Update Catalog {}", rec.update_id)),
        Feed::Distro(doc) => {
            let cves: std::collections::BTreeSet<&str> = doc.entries.iter().map(|e| e.cve.as_str()).collect();
            (
                "distro",
                format!(
                    "{}: {} CVE, {} package statements",
                    doc.name,
                    cves.len(),
                    doc.entries.len()
                ),
            )
        }
        Feed::CpeDictionary(entries) => ("cpe", format!("CPE dictionary: {} names", entries.len())),
        _ => ("other", String::new()),
    }
}

fn row_to_feed(r: &sqlx::any::AnyRow) -> Result<AdvisoryFeed> {
    Ok(AdvisoryFeed {
        id: get_i64(r, "id")?,
        name: get_str(r, "name")?,
        kind: get_str(r, "kind")?,
        sha256: get_str(r, "sha256")?,
        size: get_i64(r, "size")?,
        summary: get_str(r, "summary")?,
        imported_at: get_i64(r, "imported_at")?,
        imported_by: r.try_get::<Option<String>, _>("username")?.unwrap_or_default(),
    })
}

const FEED_SELECT: &str =
    "SELECT f.id, f.name, f.kind, f.sha256, f.size, f.summary, f.imported_at, u.username \
                           FROM vuln_feeds f LEFT JOIN users u ON u.id = f.imported_by";

/// Who attaches an inventory.
pub(crate) enum AttachedBy<'a> {
    /// A person (the caller checked they may): audited as them and recorded as the inventory's receiver.
    Person(&'a Actor),
    /// An agent's own inventory: audited as the system on the agent's behalf, naming the agent.
    Agent(i64),
}

/// An inventory to store: the parsed host and the bytes it came from.
pub(crate) struct NewInventory<'a> {
    pub unit: UnitId,
    pub asset: AssetId,
    pub file_name: &'a str,
    pub content: &'a [u8],
    pub host: &'a HostInventory,
    pub received_at: Millis,
}

/// Stores a parsed inventory as an asset's latest, with the bytes it came from, and audits it as `attach
/// host_inventory` in the unit.
pub(crate) async fn insert_inventory(
    w: &mut WriteTx<'_>,
    by: AttachedBy<'_>,
    new: NewInventory<'_>,
) -> Result<StoredInventory> {
    let NewInventory {
        unit,
        asset,
        file_name,
        content,
        host,
        received_at,
    } = new;
    let kind = serde_json::to_value(host.kind)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default();
    let build = host
        .os_version
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    let kbs: Vec<String> = host.kbs.iter().map(ToString::to_string).collect();
    let parsed = serde_json::to_string(host).map_err(|e| StoreError::Corrupt(e.to_string()))?;
    let (actor, received_by) = match by {
        AttachedBy::Person(actor) => (Some(actor), Some(actor.user_id.0)),
        AttachedBy::Agent(_) => (None, None),
    };
    let id = get_i64(
        &sqlx::query(
            "INSERT INTO vuln_inventories (unit_id, asset_id, file_name, kind, content, parsed, os_build, kbs, \
             received_at, received_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id",
        )
        .bind(unit.0)
        .bind(asset.0)
        .bind(file_name.to_string())
        .bind(kind.clone())
        .bind(content.to_vec())
        .bind(parsed)
        .bind(build.clone())
        .bind(kbs.join(" "))
        .bind(received_at)
        .bind(received_by)
        .fetch_one(&mut *w.tx)
        .await?,
        "id",
    )?;
    let mut after = serde_json::json!({
        "asset": asset.0, "file": file_name, "kind": kind, "build": build, "kbs": kbs.len(),
    });
    if let AttachedBy::Agent(agent) = by {
        after["agent"] = serde_json::json!(agent);
        after["packages"] = serde_json::json!(host.software.as_ref().map_or(0, Vec::len));
    }
    if !host.pending_reboot.is_empty() {
        let pending: Vec<String> = host.pending_reboot.iter().map(ToString::to_string).collect();
        after["pending_reboot"] = serde_json::json!(pending);
    }
    let change = Change::new("attach", "host_inventory", id.to_string())
        .unit(unit)
        .after(&after);
    append(w, actor, change).await?;
    Ok(StoredInventory {
        id,
        asset_id: asset,
        file_name: file_name.to_string(),
        kind,
        os_build: build,
        kbs,
        received_at,
        warnings: host.warnings.clone(),
    })
}

impl Store {
    /// Imports one advisory file (the Department). It is parsed first: a malformed, truncated, wrong-schema or
    /// oversize file is refused with the parser's message and nothing is stored. The same bytes again store
    /// nothing and say so (`created: false`).
    pub async fn import_advisory(&self, actor: &Actor, name: &str, bytes: &[u8]) -> Result<FeedImport> {
        if !actor.is_dept_admin() {
            return Err(StoreError::Forbidden);
        }
        let name = name.trim();
        if name.is_empty() {
            return Err(invalid("file", "err.required"));
        }
        let feed = parse_any(name, bytes)
            .map_err(|e| invalid_value("file", "err.advisory_unreadable", &e.to_string()))?;
        let (kind, summary) = feed_kind_and_summary(&feed);
        let digest = hex::encode(Sha256::digest(bytes));
        if let Some(r) = sqlx::query(&format!("{FEED_SELECT} WHERE f.sha256 = $1"))
            .bind(digest.clone())
            .fetch_optional(&self.pool)
            .await?
        {
            return Ok(FeedImport {
                feed: row_to_feed(&r)?,
                created: false,
            });
        }
        let mut w = self.begin_write().await?;
        let id = get_i64(
            &sqlx::query(
                "INSERT INTO vuln_feeds (name, kind, sha256, size, content, summary, imported_at, imported_by) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(name.to_string())
            .bind(kind)
            .bind(digest.clone())
            .bind(bytes.len() as i64)
            .bind(bytes.to_vec())
            .bind(summary.clone())
            .bind(now_ms())
            .bind(actor.user_id.0)
            .fetch_one(&mut *w.tx)
            .await?,
            "id",
        )?;
        let change = Change::new("import", "advisory_feed", id.to_string()).after(&serde_json::json!({
            "name": name, "kind": kind, "sha256": digest, "size": bytes.len(), "summary": summary,
        }));
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        let r = sqlx::query(&format!("{FEED_SELECT} WHERE f.id = $1"))
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        Ok(FeedImport {
            feed: row_to_feed(&r)?,
            created: true,
        })
    }

    /// The stored advisory feed versions, newest first (every signed-in reader may see them).
    pub async fn advisory_feeds(&self) -> Result<Vec<AdvisoryFeed>> {
        let rows = sqlx::query(&format!("{FEED_SELECT} ORDER BY f.id DESC"))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(row_to_feed).collect()
    }

    /// Every stored feed's name and original bytes, oldest first.
    pub async fn advisory_feed_bytes(&self) -> Result<Vec<(String, Vec<u8>)>> {
        let rows = sqlx::query("SELECT name, content FROM vuln_feeds ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((get_str(r, "name")?, r.try_get::<Vec<u8>, _>("content")?)))
            .collect()
    }

    /// The knowledge base of every stored feed (merging is order-free and idempotent). Built at start and after
    /// each import, then kept in memory by the caller.
    pub async fn knowledge_base(&self) -> Result<KnowledgeBase> {
        let feeds = self.advisory_feed_bytes().await?;
        let mut kb = KnowledgeBase::default();
        for (name, bytes) in feeds {
            let feed = parse_any(&name, &bytes)
                .map_err(|e| StoreError::Corrupt(format!("stored advisory {name}: {e}")))?;
            kb.merge(feed);
        }
        Ok(kb)
    }

    /// Attaches a host inventory (`systeminfo`, `wmic qfe` / `Get-HotFix`, agent JSON) to an asset of a unit the
    /// actor operates. The original bytes are kept; the latest inventory of an asset is the one matched.
    pub async fn attach_inventory(
        &self,
        actor: &Actor,
        asset: AssetId,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<StoredInventory> {
        let a = self.asset(actor, asset).await?;
        if !actor.allows(Permission::Operate, a.unit_id) {
            return Err(StoreError::Forbidden);
        }
        let file_name = if file_name.trim().is_empty() {
            "inventory.txt"
        } else {
            file_name.trim()
        };
        let host = parse_inventory(file_name, bytes)
            .map_err(|e| invalid_value("file", "err.inventory_unreadable", &e.to_string()))?;
        let mut w = self.begin_write().await?;
        let new = NewInventory {
            unit: a.unit_id,
            asset,
            file_name,
            content: bytes,
            host: &host,
            received_at: now_ms(),
        };
        let stored = insert_inventory(&mut w, AttachedBy::Person(actor), new).await?;
        w.commit().await?;
        Ok(stored)
    }

    /// The latest inventory of an asset the actor reads, if any.
    pub async fn latest_inventory(&self, actor: &Actor, asset: AssetId) -> Result<Option<StoredInventory>> {
        self.asset(actor, asset).await?;
        let row = sqlx::query(
            "SELECT id, file_name, kind, parsed, os_build, kbs, received_at FROM vuln_inventories \
             WHERE asset_id = $1 ORDER BY id DESC LIMIT 1",
        )
        .bind(asset.0)
        .fetch_optional(&self.pool)
        .await?;
        let Some(r) = row else { return Ok(None) };
        let host: Option<HostInventory> = serde_json::from_str(&get_str(&r, "parsed")?).ok();
        Ok(Some(StoredInventory {
            id: get_i64(&r, "id")?,
            asset_id: asset,
            file_name: get_str(&r, "file_name")?,
            kind: get_str(&r, "kind")?,
            os_build: get_str(&r, "os_build")?,
            kbs: get_str(&r, "kbs")?
                .split_whitespace()
                .map(str::to_owned)
                .collect(),
            received_at: get_i64(&r, "received_at")?,
            warnings: host.map(|h| h.warnings).unwrap_or_default(),
        }))
    }
}
