//! The web console and JSON API.
//!
//! - [`routes`]: one table of every route with the access it needs; the router is built from it and the
//!   authorization test enumerates it, so a new route is covered without editing a hand-written list.
//! - [`auth`]: extractors that resolve the session cookie (pages) or the bearer token (API) into an
//!   [`canhgac_model::Actor`]; data access itself is scoped inside the store.
//! - [`pages`] render server-side HTML (minijinja templates embedded in the binary, texts from `locales/*.toml`);
//!   [`api`] serves the same operations as JSON under `/api/v1`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let store = canhgac_store::Store::open("sqlite::memory:").await?;
//! let app = canhgac_server::app(canhgac_server::AppState::new(store, false)?);
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! axum::serve(listener, app).await?;
//! # Ok(()) }
//! ```

// Handlers return `Result<Response, Response>`, axum's own idiom for early exits; boxing would only add noise.
#![allow(clippy::result_large_err)]

pub mod api;
pub mod auth;
pub mod error;
pub mod i18n;
pub mod import;
pub mod knowledge;
pub mod pages;
pub mod routes;
pub mod scanrules;
mod view;

use std::sync::Arc;

use canhgac_store::Store;

pub use routes::{route_table, Access, RouteInfo};

/// Largest request body accepted by ordinary routes.
pub const BODY_LIMIT: usize = 1024 * 1024;
/// Largest upload (asset spreadsheets).
pub const UPLOAD_LIMIT: usize = 16 * 1024 * 1024;
/// Largest indicator list file (national lists run to hundreds of thousands of lines).
pub const LIST_LIMIT: usize = 64 * 1024 * 1024;
/// Largest event intake request as sent (it may be gzip; see [`api::events::EVENTS_DECOMPRESSED_LIMIT`]).
pub const EVENTS_LIMIT: usize = 16 * 1024 * 1024;

/// Shared state of every handler.
#[derive(Clone)]
pub struct AppState {
    pub store: Store,
    pub i18n: Arc<i18n::I18n>,
    pub views: Arc<view::Views>,
    /// Whether cookies carry `Secure` (served over TLS).
    pub secure_cookies: bool,
    /// List files read for a preview, waiting for the Department's confirmation (by token; a few at most).
    pub pending_lists: Arc<std::sync::Mutex<Vec<(String, canhgac_model::UserId, canhgac_store::ListUpload)>>>,
    /// Event collection and detection, when this server runs them.
    pub ingest: Option<canhgac_ingest::Ingest>,
    /// The vulnerability knowledge base built from the stored advisories.
    pub knowledge: Arc<knowledge::Knowledge>,
}

impl AppState {
    /// State over `store`; loads translations and templates (embedded) once.
    pub fn new(store: Store, secure_cookies: bool) -> Result<AppState, error::StartError> {
        let i18n = Arc::new(i18n::I18n::embedded()?);
        let views = Arc::new(view::Views::new(i18n.clone())?);
        let knowledge: Arc<knowledge::Knowledge> = Default::default();
        // The unit recomputes that agents' inventories trigger use this knowledge base, not a second copy.
        let weak = Arc::downgrade(&knowledge);
        store.set_knowledge_source(Arc::new(move |store: Store| {
            let weak = weak.clone();
            Box::pin(async move {
                match weak.upgrade() {
                    Some(k) => k.get(&store).await,
                    None => Err(canhgac_store::StoreError::Config("the server has stopped".into())),
                }
            })
        }));
        Ok(AppState {
            store,
            i18n,
            views,
            secure_cookies,
            pending_lists: Default::default(),
            ingest: None,
            knowledge,
        })
    }

    /// The same state, accepting and detecting events through `ingest`.
    pub fn with_ingest(mut self, ingest: canhgac_ingest::Ingest) -> AppState {
        self.ingest = Some(ingest);
        self
    }
}

/// The whole application.
pub fn app(state: AppState) -> axum::Router {
    routes::router(state)
}
