//! What agents report: the inventory document (`canhgac.inventory/1`, see `canhgac-agent`) becomes or updates the
//! asset of the agent's unit — matched by the agent's earlier asset, else by host name or a MAC address, never
//! duplicated — and is kept as the latest inventory; every contact moves `last_seen`; an agent silent for longer
//! than the allowed time raises one alert per silence. The document is also the asset's vulnerability inventory
//! (`vuln/agent_feed.rs`), and a recompute of the unit's findings follows in the background.

use std::net::IpAddr;

use canhgac_model::{
    parse_mac, Actor, Asset, AssetFields, AssetKind, Criticality, Millis, NewAlert, Severity, UnitId,
};
use serde::Serialize;
use serde_json::Value;

use super::{clean_hostname, invalid, row_to_agent, Agent};
use crate::alerts::Raised;
use crate::assets::{insert_asset_in, row_to_asset, update_asset_in};
use crate::audit::{append, Change};
use crate::raise::raise_batch;
use crate::{now_ms, Result, Store, StoreError, WriteTx};

/// Largest inventory document kept (a workstation with thousands of packages is well below).
pub const MAX_INVENTORY_BYTES: usize = 4 * 1024 * 1024;

/// What recording an inventory did to the unit's assets.
#[derive(Debug, Clone, Serialize)]
pub struct InventoryOutcome {
    pub asset_id: i64,
    /// A new asset was created.
    pub created: bool,
    /// An existing asset's host name, addresses, MAC or OS changed.
    pub updated: bool,
}

/// The asset facts an inventory carries.
#[derive(Debug, Clone, PartialEq)]
struct Facts {
    hostname: String,
    ips: Vec<String>,
    macs: Vec<String>,
    os: String,
    os_version: String,
}

fn text_at<'a>(v: &'a Value, path: &[&str]) -> &'a str {
    path.iter()
        .try_fold(v, |v, k| v.get(*k))
        .and_then(Value::as_str)
        .unwrap_or("")
        .trim()
}

fn facts_of(inv: &Value) -> Result<Facts> {
    if !inv.is_object() {
        return Err(invalid("inventory", "err.inventory_invalid"));
    }
    let hostname = clean_hostname("inventory.hostname", text_at(inv, &["hostname"]))?;
    let mut ips = Vec::new();
    let mut macs = Vec::new();
    let interfaces = inv.get("interfaces").and_then(Value::as_array);
    for (i, iface) in interfaces.into_iter().flatten().enumerate() {
        let mac = text_at(iface, &["mac"]);
        if !mac.is_empty() {
            let mac = parse_mac(&format!("inventory.interfaces[{i}].mac"), mac)
                .map_err(|e| StoreError::Invalid(canhgac_model::Invalid(vec![e])))?;
            if mac != "00:00:00:00:00:00" && !macs.contains(&mac) {
                macs.push(mac);
            }
        }
        let addrs = iface.get("addresses").and_then(Value::as_array);
        for (j, a) in addrs.into_iter().flatten().enumerate() {
            let ip: IpAddr = a.as_str().and_then(|s| s.parse().ok()).ok_or_else(|| {
                invalid(
                    &format!("inventory.interfaces[{i}].addresses[{j}]"),
                    "err.ip_invalid",
                )
            })?;
            let link_local_v6 = matches!(ip, IpAddr::V6(v6) if (v6.segments()[0] & 0xffc0) == 0xfe80);
            if !ip.is_loopback() && !ip.is_unspecified() && !link_local_v6 && !ips.contains(&ip.to_string()) {
                ips.push(ip.to_string());
            }
        }
    }
    Ok(Facts {
        hostname,
        ips,
        macs,
        os: text_at(inv, &["os", "name"]).chars().take(200).collect(),
        os_version: text_at(inv, &["os", "version"]).chars().take(100).collect(),
    })
}

/// A machine seen first through its agent: Windows editions without "Server" in the name are workstations,
/// everything else (Windows Server, Linux) a server. People correct it in the console; later inventories keep it.
fn guessed_kind(os: &str) -> AssetKind {
    let lower = os.to_lowercase();
    if lower.contains("windows") && !lower.contains("server") {
        AssetKind::Workstation
    } else {
        AssetKind::Server
    }
}

fn apply(f: &Facts, base: AssetFields) -> AssetFields {
    AssetFields {
        hostname: f.hostname.clone(),
        ips: f.ips.clone(),
        mac: f.macs.first().cloned().unwrap_or(base.mac.clone()),
        os: f.os.clone(),
        os_version: f.os_version.clone(),
        ..base
    }
}

fn new_fields(f: &Facts) -> AssetFields {
    apply(
        f,
        AssetFields {
            hostname: String::new(),
            ips: Vec::new(),
            mac: String::new(),
            os: String::new(),
            os_version: String::new(),
            kind: guessed_kind(&f.os),
            role: String::new(),
            criticality: Criticality::Medium,
            location: String::new(),
            owner: String::new(),
            notes: String::new(),
            tags: vec!["agent".to_string()],
        },
    )
}

/// The asset an inventory belongs to: the agent's earlier asset while it is active in its unit, else the oldest active
/// asset of the unit with the same host name or one of the MAC addresses.
async fn matching_asset(w: &mut WriteTx<'_>, agent: &Agent, f: &Facts) -> Result<Option<Asset>> {
    if let Some(id) = agent.asset_id {
        let row = sqlx::query("SELECT * FROM assets WHERE id = $1 AND unit_id = $2 AND status = 'active'")
            .bind(id)
            .bind(agent.unit_id.0)
            .fetch_optional(&mut *w.tx)
            .await?;
        if let Some(r) = row {
            return Ok(Some(row_to_asset(&r)?));
        }
    }
    let mut sql = String::from(
        "SELECT * FROM assets WHERE unit_id = $1 AND status = 'active' AND (LOWER(hostname) = $2",
    );
    for i in 0..f.macs.len() {
        sql.push_str(&format!(" OR LOWER(mac) = ${}", i + 3));
    }
    sql.push_str(") ORDER BY id LIMIT 1");
    let mut q = sqlx::query(&sql)
        .bind(agent.unit_id.0)
        .bind(f.hostname.to_lowercase());
    for m in &f.macs {
        q = q.bind(m.clone());
    }
    q.fetch_optional(&mut *w.tx)
        .await?
        .as_ref()
        .map(row_to_asset)
        .transpose()
}

impl Store {
    /// Records an agent's inventory: creates or updates the asset of its unit (audited as the system on behalf of
    /// the agent), keeps the document as the agent's latest inventory and counts as contact. The document is
    /// attached as the asset's vulnerability inventory in the same transaction, and the unit's findings are
    /// recomputed afterwards in the background (coalesced with other agents' inventories).
    pub async fn record_inventory(&self, agent: &Agent, inventory: &Value) -> Result<InventoryOutcome> {
        let facts = facts_of(inventory)?;
        let doc = serde_json::to_string(inventory).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        if doc.len() > MAX_INVENTORY_BYTES {
            return Err(invalid("inventory", "err.too_large"));
        }
        let now = now_ms();
        let mut w = self.begin_write().await?;
        // Revoked between authentication and now: refuse.
        let current = sqlx::query("SELECT * FROM agents WHERE id = $1 AND revoked_at IS NULL")
            .bind(agent.id)
            .fetch_optional(&mut *w.tx)
            .await?
            .as_ref()
            .map(row_to_agent)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        let found = matching_asset(&mut w, &current, &facts).await?;
        let (asset, created, updated) = match found {
            None => {
                let asset = insert_asset_in(&mut w, current.unit_id, &new_fields(&facts), now).await?;
                let change = Change::new("create", "asset", asset.id.to_string())
                    .unit(current.unit_id)
                    .after(&serde_json::json!({ "asset": &asset, "agent": current.id }));
                append(&mut w, None, change).await?;
                (asset, true, false)
            }
            Some(before) => {
                let fields = apply(&facts, before.fields.clone());
                if fields == before.fields {
                    (before, false, false)
                } else {
                    let asset = update_asset_in(&mut w, before.id, &fields, now).await?;
                    let change = Change::new("update", "asset", asset.id.to_string())
                        .unit(current.unit_id)
                        .before(&before)
                        .after(&serde_json::json!({ "asset": &asset, "agent": current.id }));
                    append(&mut w, None, change).await?;
                    (asset, false, true)
                }
            }
        };
        sqlx::query(
            "UPDATE agents SET asset_id = $1, hostname = $2, inventory = $3, inventory_at = $4, last_seen = $4, \
             silent_alerted = 0 WHERE id = $5",
        )
        .bind(asset.id.0)
        .bind(facts.hostname.clone())
        .bind(doc.clone())
        .bind(now)
        .bind(current.id)
        .execute(&mut *w.tx)
        .await?;
        let attached =
            crate::vuln::attach_agent_inventory(&mut w, current.unit_id, asset.id, current.id, &doc, now)
                .await?;
        w.commit().await?;
        if attached {
            self.request_unit_recompute(current.unit_id);
        }
        Ok(InventoryOutcome {
            asset_id: asset.id.0,
            created,
            updated,
        })
    }

    /// Records contact from an agent (a heartbeat): `last_seen` moves to now and a silence ends.
    pub async fn touch_agent(&self, agent: &Agent) -> Result<Millis> {
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let done = sqlx::query(
            "UPDATE agents SET last_seen = $1, silent_alerted = 0 WHERE id = $2 AND revoked_at IS NULL",
        )
        .bind(now)
        .bind(agent.id)
        .execute(&mut *w.tx)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        w.commit().await?;
        Ok(now)
    }

    /// The latest inventory of an agent in the actor's scope and when it came, if one came.
    pub async fn agent_inventory(&self, actor: &Actor, id: i64) -> Result<Option<(Value, Millis)>> {
        let agent = self.agent(actor, id).await?;
        let row = sqlx::query("SELECT inventory FROM agents WHERE id = $1")
            .bind(agent.id)
            .fetch_one(&self.pool)
            .await?;
        let text = crate::get_str(&row, "inventory")?;
        match (agent.inventory_at, text.is_empty()) {
            (Some(at), false) => {
                let v = serde_json::from_str(&text)
                    .map_err(|e| StoreError::Corrupt(format!("agents.inventory of agent {id}: {e}")))?;
                Ok(Some((v, at)))
            }
            _ => Ok(None),
        }
    }

    /// Raises one alert for each unrevoked agent silent for longer than `silent_after` at `now` that has not been
    /// alerted for this silence yet (contact ends the silence). Returns the agents and what raising did.
    pub async fn raise_silent_agents(
        &self,
        now: Millis,
        silent_after: Millis,
    ) -> Result<Vec<(Agent, Raised)>> {
        let mut w = self.begin_write().await?;
        let silent = sqlx::query(
            "SELECT * FROM agents WHERE revoked_at IS NULL AND silent_alerted = 0 AND last_seen < $1 ORDER BY id",
        )
        .bind(now - silent_after)
        .fetch_all(&mut *w.tx)
        .await?
        .iter()
        .map(row_to_agent)
        .collect::<Result<Vec<_>>>()?;
        let alerts: Vec<NewAlert> = silent.iter().map(|a| silent_alert(a, now)).collect();
        let raised = raise_batch(&mut w, self.backend, &alerts, 0, now).await?;
        for agent in &silent {
            sqlx::query("UPDATE agents SET silent_alerted = 1 WHERE id = $1")
                .bind(agent.id)
                .execute(&mut *w.tx)
                .await?;
        }
        w.commit().await?;
        let out: Vec<(Agent, Raised)> = silent.into_iter().zip(raised).collect();
        for (agent, raised) in &out {
            if matches!(raised, Raised::Created(_) | Raised::Grouped(_)) {
                self.notify(agent.unit_id, raised.alert_id());
            }
        }
        Ok(out)
    }
}

fn silent_alert(agent: &Agent, now: Millis) -> NewAlert {
    NewAlert {
        unit_id: UnitId(agent.unit_id.0),
        source: "agent".into(),
        rule_id: "agent-silent".into(),
        title: format!("Agent silent: {}", agent.hostname),
        severity: Severity::Medium,
        host: agent.hostname.clone(),
        seen_at: now,
        details: serde_json::json!({
            "agent_id": agent.id,
            "asset_id": agent.asset_id,
            "last_seen": agent.last_seen,
        }),
        event_key: Some(format!("agent-silent:{}:{}", agent.id, agent.last_seen)),
    }
}
