//! A multi-host update report (WSUS, SCCM/MECM, `Get-HotFix | Export-Csv`; CSV or XLSX) imported for one unit:
//! each host of the report is matched by name to an active asset of that unit only, and its part of the report
//! becomes the asset's latest inventory. Hosts without an asset, hosts with several, and rows that could not be
//! read are returned, never dropped in silence.

use canhgac_model::{Actor, AssetId, Permission, UnitId};
use canhgac_vuln::inventory::report::{host_key, read_update_report, ReportHost};
use canhgac_vuln::inventory::MAX_INVENTORY_BYTES;
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};

use super::{insert_inventory, invalid, invalid_value, AttachedBy, NewInventory};
use crate::{get_i64, get_str, now_ms, Result, Store, StoreError};

/// One host of the report and what became of it.
#[derive(Debug, Clone, Serialize)]
pub struct ReportHostOutcome {
    /// The name as the report writes it.
    pub host: String,
    /// The report's lines about this host.
    pub lines: Vec<usize>,
    /// Matched: the one asset; ambiguous: every asset of the unit with that name; unmatched: none.
    pub asset_ids: Vec<AssetId>,
    /// The inventory stored for the asset (matched hosts only).
    pub inventory_id: Option<i64>,
    /// The OS version given to matching (empty when the report has none or its rows disagree on the build).
    pub os_build: String,
    /// Installed KBs.
    pub kbs: Vec<String>,
    /// KBs installed but waiting for a restart: not counted as installed.
    pub pending_reboot: Vec<String>,
    /// Update rows per state (`installed`, `needed`, `failed`, …).
    pub states: BTreeMap<String, usize>,
}

/// A row, or part of one, the report's parser did not use.
#[derive(Debug, Clone, Serialize)]
pub struct ReportRowProblem {
    /// The 1-based line (CSV) or row (XLSX).
    pub line: usize,
    /// The column's header as written.
    pub column: String,
    /// `no_host`, `no_kb`, `unknown_state`, `bad_version`, `build_conflict` or `revision_conflict`.
    pub code: String,
    /// The cell's text.
    pub value: String,
    /// The host the row is about, when known.
    pub host: Option<String>,
    /// The reason in English.
    pub message: String,
}

/// The outcome of importing a report for a unit.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryReportImport {
    pub file_name: String,
    pub unit_id: UnitId,
    /// Data rows read.
    pub rows: usize,
    pub matched: Vec<ReportHostOutcome>,
    /// No active asset of the unit has this name.
    pub unmatched: Vec<ReportHostOutcome>,
    /// Several active assets of the unit have this name: nothing attached.
    pub ambiguous: Vec<ReportHostOutcome>,
    pub problems: Vec<ReportRowProblem>,
}

fn outcome(h: &ReportHost, asset_ids: Vec<AssetId>) -> ReportHostOutcome {
    let mut states = BTreeMap::new();
    for u in &h.updates {
        *states.entry(u.state.as_str().to_owned()).or_insert(0) += 1;
    }
    let inv = &h.inventory;
    ReportHostOutcome {
        host: h.name.clone(),
        lines: h.lines.clone(),
        asset_ids,
        inventory_id: None,
        os_build: inv
            .os_version
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        kbs: inv.kbs.iter().map(ToString::to_string).collect(),
        pending_reboot: inv.pending_reboot.iter().map(ToString::to_string).collect(),
        states,
    }
}

impl Store {
    /// Imports a multi-host update report for a unit (whoever may attach an inventory to the unit's assets: its
    /// operators and the Department). Each matched host's rows (as JSON, with their lines) are kept as the asset's
    /// inventory content, each attachment audited like [`Store::attach_inventory`], all in one transaction. The
    /// caller recomputes the unit's findings once afterwards.
    pub async fn import_inventory_report(
        &self,
        actor: &Actor,
        unit: UnitId,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<InventoryReportImport> {
        self.unit(actor, unit).await?;
        if !actor.allows(Permission::Operate, unit) {
            return Err(StoreError::Forbidden);
        }
        let file_name = match file_name.trim() {
            "" => "inventory-report.csv",
            name => name,
        };
        if bytes.len() > MAX_INVENTORY_BYTES {
            return Err(invalid("file", "err.file_too_large"));
        }
        let report = read_update_report(file_name, bytes)
            .map_err(|e| invalid_value("file", "err.inventory_report_unreadable", &e.to_string()))?;
        let rows = sqlx::query(
            "SELECT id, hostname FROM assets WHERE unit_id = $1 AND status = 'active' ORDER BY id",
        )
        .bind(unit.0)
        .fetch_all(&self.pool)
        .await?;
        let mut by_key: HashMap<String, Vec<AssetId>> = HashMap::new();
        for r in &rows {
            by_key
                .entry(host_key(&get_str(r, "hostname")?))
                .or_default()
                .push(AssetId(get_i64(r, "id")?));
        }
        let mut out = InventoryReportImport {
            file_name: file_name.to_owned(),
            unit_id: unit,
            rows: report.rows,
            matched: Vec::new(),
            unmatched: Vec::new(),
            ambiguous: Vec::new(),
            problems: report
                .problems
                .iter()
                .map(|p| ReportRowProblem {
                    line: p.line,
                    column: p.column.clone(),
                    code: p.kind.code().to_owned(),
                    value: p.value.clone(),
                    host: p.host.clone(),
                    message: p.to_string(),
                })
                .collect(),
        };
        let mut w = self.begin_write().await?;
        for h in &report.hosts {
            match by_key.get(&h.key).map(Vec::as_slice) {
                None | Some([]) => out.unmatched.push(outcome(h, Vec::new())),
                Some([asset]) => {
                    let content = serde_json::to_vec(h).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                    let new = NewInventory {
                        unit,
                        asset: *asset,
                        file_name,
                        content: &content,
                        host: &h.inventory,
                        received_at: now_ms(),
                    };
                    let stored = insert_inventory(&mut w, AttachedBy::Person(actor), new).await?;
                    let mut o = outcome(h, vec![*asset]);
                    o.inventory_id = Some(stored.id);
                    out.matched.push(o);
                }
                Some(many) => out.ambiguous.push(outcome(h, many.to_vec())),
            }
        }
        w.commit().await?;
        Ok(out)
    }
}
