//! The vulnerability knowledge base, built from the stored advisory feeds once (at start or on first use) and
//! after each import, then shared by every request: pages never re-parse advisories. After advisories or warnings
//! change, every unit's findings are recomputed in the background (seconds for the whole network): one run at a
//! time, a change during a run asks for one more; the views page shows "recomputing…" meanwhile.

use std::sync::{Arc, Mutex, MutexGuard};

use canhgac_model::{Actor, Millis, UnitId};
use canhgac_store::{RecomputeReport, Store, StoreError};
use canhgac_vuln::KnowledgeBase;

/// The current knowledge base and the background recompute's state.
#[derive(Default)]
pub struct Knowledge {
    current: tokio::sync::RwLock<Option<Arc<KnowledgeBase>>>,
    recompute: Mutex<Recompute>,
    idle: tokio::sync::Notify,
}

#[derive(Default)]
struct Recompute {
    /// When the running recompute started.
    since: Option<Millis>,
    /// Another change arrived during the run: run once more.
    again: bool,
}

impl Knowledge {
    /// The knowledge base, built on first use.
    pub async fn get(&self, store: &Store) -> Result<Arc<KnowledgeBase>, StoreError> {
        if let Some(kb) = self.current.read().await.as_ref() {
            return Ok(kb.clone());
        }
        self.reload(store).await
    }

    /// Rebuilds from every stored feed (parsing on a blocking thread) and swaps it in.
    pub async fn reload(&self, store: &Store) -> Result<Arc<KnowledgeBase>, StoreError> {
        let feeds = store.advisory_feed_bytes().await?;
        let kb = tokio::task::spawn_blocking(move || {
            let mut kb = KnowledgeBase::default();
            for (name, bytes) in feeds {
                let feed = canhgac_vuln::advisory::parse_any(&name, &bytes)
                    .map_err(|e| StoreError::Corrupt(format!("stored advisory {name}: {e}")))?;
                kb.merge(feed);
            }
            Ok::<_, StoreError>(kb)
        })
        .await
        .map_err(|e| StoreError::Config(format!("knowledge base build stopped: {e}")))??;
        let kb = Arc::new(kb);
        *self.current.write().await = Some(kb.clone());
        Ok(kb)
    }

    /// Recomputes one unit's findings as `actor` with the current knowledge base (after inventories are attached;
    /// the store checks the actor operates the unit).
    pub async fn recompute_unit(
        &self,
        store: &Store,
        actor: &Actor,
        unit: UnitId,
    ) -> Result<RecomputeReport, StoreError> {
        let kb = self.get(store).await?;
        store.recompute_findings(Some(actor), Some(unit), &kb).await
    }

    /// When the background recompute now running started, if one runs.
    pub fn recomputing_since(&self) -> Option<Millis> {
        self.state().since
    }

    /// Waits until no background recompute runs.
    pub async fn settled(&self) {
        loop {
            let notified = self.idle.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.state().since.is_none() {
                return;
            }
            notified.await;
        }
    }

    fn state(&self) -> MutexGuard<'_, Recompute> {
        self.recompute.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// After advisories or warnings change: the knowledge base is rebuilt, then every unit's findings are recomputed in
/// the background (which also takes today's snapshot of every view).
pub async fn advisories_changed(state: &crate::AppState) -> Result<(), StoreError> {
    state.knowledge.reload(&state.store).await?;
    recompute_in_background(state.knowledge.clone(), state.store.clone());
    Ok(())
}

/// Starts recomputing every unit's findings with the current knowledge base, or asks the running recompute for one
/// more pass.
pub fn recompute_in_background(knowledge: Arc<Knowledge>, store: Store) {
    {
        let mut r = knowledge.state();
        if r.since.is_some() {
            r.again = true;
            return;
        }
        r.since = Some(canhgac_store::now_ms());
    }
    tokio::spawn(async move {
        loop {
            let done = match knowledge.get(&store).await {
                Ok(kb) => store.recompute_findings(None, None, &kb).await.map(|_| ()),
                Err(e) => Err(e),
            };
            if let Err(e) = done {
                tracing::error!(error = %e, "recomputing vulnerability findings failed");
            }
            let mut r = knowledge.state();
            if r.again {
                r.again = false;
                continue;
            }
            r.since = None;
            break;
        }
        knowledge.idle.notify_waiters();
    });
}
