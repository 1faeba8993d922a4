//! The vulnerability knowledge base, built from the stored advisory feeds once (at start or on first use) and
//! after each import, then shared by every request: pages never re-parse advisories.

use std::sync::Arc;

use canhgac_store::{Store, StoreError};
use canhgac_vuln::KnowledgeBase;

/// The current knowledge base.
#[derive(Default)]
pub struct Knowledge {
    current: tokio::sync::RwLock<Option<Arc<KnowledgeBase>>>,
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
}

/// After advisories or warnings change: the knowledge base is rebuilt and every unit's findings recomputed (which
/// also takes today's snapshot of every view).
pub async fn advisories_changed(state: &crate::AppState) -> Result<(), StoreError> {
    let kb = state.knowledge.reload(&state.store).await?;
    state.store.recompute_findings(None, None, &kb).await?;
    Ok(())
}
