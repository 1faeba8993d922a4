//! Agent inventories as vulnerability inventories, and the unit recomputes they trigger.
//!
//! `record_inventory` (agents) attaches the document to the asset as its vulnerability inventory inside the same
//! transaction (as the system, audited; the same parsed content again only moves `received_at`), then asks for a
//! recompute of the unit's findings. Requests are coalesced: the first starts a background task that waits
//! [`DEFAULT_COALESCE`] (many agents reporting within it → one recompute per unit), then recomputes every unit
//! asked for meanwhile, and again for units asked for during the run. The agent's request never waits for it.
//! The knowledge base comes from the source the server installs ([`Store::set_knowledge_source`]), else it is
//! built here from the stored feeds and kept until a feed is added.

use std::collections::BTreeSet;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use canhgac_model::{AssetId, UnitId};
use canhgac_vuln::inventory::parse_inventory;
use canhgac_vuln::KnowledgeBase;

use super::{insert_inventory, AttachedBy, NewInventory};
use crate::{get_i64, get_str, Result, Store, WriteTx};

/// How long the first inventory's recompute waits for others of the same minute.
pub const DEFAULT_COALESCE: Duration = Duration::from_secs(60);

/// A future giving the current knowledge base.
pub type KnowledgeFuture = Pin<Box<dyn Future<Output = Result<Arc<KnowledgeBase>>> + Send>>;
/// Where the unit recomputes take the knowledge base from.
/// Where the unit recomputes take the knowledge base from; called with the store asking (so the source need not keep
/// a store of its own, which would keep it open).
pub type KnowledgeSource = Arc<dyn Fn(Store) -> KnowledgeFuture + Send + Sync>;

/// A knowledge base built here, with the mark (number of feeds, newest id) of the feeds it was built from.
type CachedKnowledge = Option<((i64, i64), Arc<KnowledgeBase>)>;

/// The state of the coalesced recomputes, shared by every clone of the store.
pub(crate) struct RecomputeQueue {
    state: Mutex<QueueState>,
    idle: tokio::sync::Notify,
    runs: AtomicU64,
    source: Mutex<Option<KnowledgeSource>>,
    cache: tokio::sync::Mutex<CachedKnowledge>,
}

struct QueueState {
    pending: BTreeSet<i64>,
    running: bool,
    delay: Duration,
}

impl Default for RecomputeQueue {
    fn default() -> Self {
        Self {
            state: Mutex::new(QueueState {
                pending: BTreeSet::new(),
                running: false,
                delay: DEFAULT_COALESCE,
            }),
            idle: tokio::sync::Notify::new(),
            runs: AtomicU64::new(0),
            source: Mutex::new(None),
            cache: tokio::sync::Mutex::new(None),
        }
    }
}

impl RecomputeQueue {
    fn state(&self) -> MutexGuard<'_, QueueState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Attaches an agent's inventory document to its asset, inside the agent's write transaction. An inventory the
/// vulnerability reader cannot use is skipped (logged): the asset update still counts.
pub(crate) async fn attach_agent_inventory(
    w: &mut WriteTx<'_>,
    unit: UnitId,
    asset: AssetId,
    agent: i64,
    doc: &str,
    now: i64,
) -> Result<bool> {
    let file_name = format!("agent-{agent}.json");
    let host = match parse_inventory(&file_name, doc.as_bytes()) {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(agent, error = %e, "agent inventory not usable for vulnerability matching");
            return Ok(false);
        }
    };
    let parsed = serde_json::to_string(&host).map_err(|e| crate::StoreError::Corrupt(e.to_string()))?;
    let latest =
        sqlx::query("SELECT id, parsed FROM vuln_inventories WHERE asset_id = $1 ORDER BY id DESC LIMIT 1")
            .bind(asset.0)
            .fetch_optional(&mut *w.tx)
            .await?;
    if let Some(r) = latest {
        if get_str(&r, "parsed")? == parsed {
            sqlx::query("UPDATE vuln_inventories SET received_at = $1 WHERE id = $2")
                .bind(now)
                .bind(get_i64(&r, "id")?)
                .execute(&mut *w.tx)
                .await?;
            return Ok(true);
        }
    }
    let new = NewInventory {
        unit,
        asset,
        file_name: &file_name,
        content: doc.as_bytes(),
        host: &host,
        received_at: now,
    };
    insert_inventory(w, AttachedBy::Agent(agent), new).await?;
    Ok(true)
}

impl Store {
    /// Gives the unit recomputes the server's knowledge base instead of one built here from the stored feeds.
    pub fn set_knowledge_source(&self, source: KnowledgeSource) {
        *self.vuln_queue.source.lock().unwrap_or_else(|e| e.into_inner()) = Some(source);
    }

    /// Sets how long an agent inventory's recompute waits for others (tests use a short one).
    pub fn set_inventory_coalesce(&self, delay: Duration) {
        self.vuln_queue.state().delay = delay;
    }

    /// How many unit recomputes agent inventories have caused since the store was opened.
    pub fn inventory_recomputes(&self) -> u64 {
        self.vuln_queue.runs.load(Ordering::Relaxed)
    }

    /// Waits until no unit recompute is pending or running.
    pub async fn inventory_recomputes_settled(&self) {
        loop {
            let notified = self.vuln_queue.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let s = self.vuln_queue.state();
                if !s.running && s.pending.is_empty() {
                    return;
                }
            }
            notified.await;
        }
    }

    /// Asks for a recompute of `unit`'s findings in the background (coalesced, see the module).
    pub(crate) fn request_unit_recompute(&self, unit: UnitId) {
        let delay = {
            let mut s = self.vuln_queue.state();
            s.pending.insert(unit.0);
            if s.running {
                return;
            }
            s.running = true;
            s.delay
        };
        let store = self.clone();
        tokio::spawn(async move {
            tokio::time::sleep(delay).await;
            loop {
                let units: Vec<i64> = {
                    let mut s = store.vuln_queue.state();
                    if s.pending.is_empty() {
                        s.running = false;
                        break;
                    }
                    std::mem::take(&mut s.pending).into_iter().collect()
                };
                for unit in units {
                    let done = match store.recompute_knowledge().await {
                        Ok(kb) => store
                            .recompute_findings(None, Some(UnitId(unit)), &kb)
                            .await
                            .map(|_| ()),
                        Err(e) => Err(e),
                    };
                    store.vuln_queue.runs.fetch_add(1, Ordering::Relaxed);
                    if let Err(e) = done {
                        tracing::error!(unit, error = %e, "recomputing a unit's findings after an agent inventory failed");
                    }
                }
            }
            store.vuln_queue.idle.notify_waiters();
        });
    }

    /// The knowledge base for unit recomputes: the installed source's, else built from the stored feeds and kept
    /// while their number and newest id stay the same.
    async fn recompute_knowledge(&self) -> Result<Arc<KnowledgeBase>> {
        let source = self
            .vuln_queue
            .source
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone();
        if let Some(source) = source {
            return source(self.clone()).await;
        }
        let r = sqlx::query("SELECT COUNT(*) AS n, COALESCE(MAX(id), 0) AS m FROM vuln_feeds")
            .fetch_one(&self.pool)
            .await?;
        let mark = (get_i64(&r, "n")?, get_i64(&r, "m")?);
        let mut cache = self.vuln_queue.cache.lock().await;
        if let Some((m, kb)) = cache.as_ref() {
            if *m == mark {
                return Ok(kb.clone());
            }
        }
        let kb = Arc::new(self.knowledge_base().await?);
        *cache = Some((mark, kb.clone()));
        Ok(kb)
    }
}
