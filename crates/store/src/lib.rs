//! Storage: one repository layer over SQLite (the embedded default) and PostgreSQL (scale-out), chosen once from the
//! database URL at start-up. Every read and write of a unit's data takes the [`Actor`] asking and is filtered to the
//! units that actor may see **here**, below the HTTP layer, so a handler that forgets a check still cannot leak.
//! Every change is written to the hash-chained audit log in the same transaction.
//!
//! ```no_run
//! # async fn demo() -> Result<(), canhgac_store::StoreError> {
//! let store = canhgac_store::Store::open("sqlite::memory:").await?;
//! let first = store.bootstrap("Sở Y tế", "admin").await?;
//! assert!(first.is_some()); // the one-time administrator password, printed once
//! # Ok(()) }
//! ```

mod agents;
mod alerts;
mod assets;
mod audit;
mod botnet;
mod contacts;
mod duty;
mod error;
mod events;
mod notify;
mod password;
mod raise;
mod rules;
mod scans;
mod sessions;
mod units;
mod users;
mod vuln;
mod warnings;

use std::path::Path;

use sqlx::any::{AnyPoolOptions, AnyRow};
use sqlx::{AnyPool, Row};

pub use agents::{
    Agent, EnrollFacts, Enrolled, EnrollmentToken, InventoryOutcome, DEFAULT_SILENT_AFTER, MAX_TOKEN_HOURS,
};
pub use alerts::{AlertNotice, AlertQuery, Raised, Suppression, UnitAlertSummary};
pub use assets::{AssetQuery, AssetSort};
pub use audit::{AuditEntry, AuditQuery, ChainCheck};
pub use botnet::{BotnetItem, ItemAsset, ItemQuery, ItemState, ListReport, ListUpload, ListVersion};
pub use canhgac_ioc::WarningKind;
pub use canhgac_model::Actor;
pub use error::{Result, StoreError};
pub use events::{
    parse_source_range, EventPage, EventQuery, EventSource, NewEvent, SourceKind, Stored, StoredEvent,
};
pub use notify::{Delivery, DueNotification, NotificationLog, NotifyKind, NotifySettings, Recipient};
pub use password::secret as new_secret;
pub use rules::{check_rule_text, CustomRule, RuleSetting, MAX_RULE_TEXT};
pub use scans::{
    sha256_hex, BotnetHostScan, Coverage, CoverageRow, HostRef, LeftOut, NewScanTasks, RuleSetUpload,
    RuleSetVersion, ScanDetection, ScanSchedule, ScanTarget, ScanTask, TaskRecorded, TasksCreated,
};
pub use sessions::{Login, SessionInfo};
pub use users::NewUser;
pub use vuln::{
    AdvisoryFeed, ExposedHost, FeedImport, Finding, FindingChange, FindingStatus, InventoryReportImport,
    KnowledgeFuture, KnowledgeSource, NationalWarning, PatchItem, RecomputeReport, ReportHostOutcome,
    ReportRowProblem, RowError, Sla, StoredInventory, TrendPoint, VulnView, VulnViewDetail, WarningImport,
    WarningInput, DEFAULT_COALESCE, SAVED_VIEWS,
};
pub use warnings::{ItemComment, WarningListInfo};

/// The name under which the detection pipeline saves its position in the event table.
pub const PIPELINE: &str = "detection";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// Which database a [`Store`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// One page of results.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

impl<T> Page<T> {
    /// Number of pages (at least 1).
    pub fn pages(&self) -> i64 {
        ((self.total + self.per_page - 1) / self.per_page.max(1)).max(1)
    }
}

/// The repository. Cheap to clone.
#[derive(Clone)]
pub struct Store {
    pool: AnyPool,
    backend: Backend,
    /// Serialises write transactions, so the audit chain has one head and SQLite never sees two writers.
    write: std::sync::Arc<tokio::sync::Mutex<()>>,
    /// Alert changes, for live consoles in this process.
    alert_tx: tokio::sync::broadcast::Sender<alerts::AlertNotice>,
    /// Unit recomputes asked for by agent inventories, coalesced (`vuln/agent_feed.rs`).
    vuln_queue: std::sync::Arc<vuln::RecomputeQueue>,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("backend", &self.backend).finish()
    }
}

impl Store {
    /// Opens (creating if needed) the database at `url` (`sqlite://PATH`, `sqlite::memory:`, `postgres://…`) and
    /// brings its schema up to date.
    pub async fn open(url: &str) -> Result<Store> {
        sqlx::any::install_default_drivers();
        let backend = if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Backend::Postgres
        } else if url.starts_with("sqlite:") {
            Backend::Sqlite
        } else {
            return Err(StoreError::Config(format!(
                "unsupported database URL scheme in {url:?}"
            )));
        };
        let url = match backend {
            Backend::Sqlite if !url.contains("mode=") && !url.contains(":memory:") => {
                let sep = if url.contains('?') { '&' } else { '?' };
                format!("{url}{sep}mode=rwc")
            }
            _ => url.to_string(),
        };
        let opts = AnyPoolOptions::new()
            .max_connections(if backend == Backend::Sqlite { 4 } else { 10 })
            .after_connect(move |conn, _| {
                Box::pin(async move {
                    if backend == Backend::Sqlite {
                        for pragma in [
                            "PRAGMA journal_mode = WAL",
                            "PRAGMA synchronous = FULL",
                            "PRAGMA foreign_keys = ON",
                            "PRAGMA busy_timeout = 10000",
                            // Large write batches stay in the page cache instead of spilling mid-transaction;
                            // statement journals stay in memory; the WAL is copied back in fewer, larger steps.
                            "PRAGMA cache_size = -32768",
                            "PRAGMA temp_store = MEMORY",
                            "PRAGMA wal_autocheckpoint = 8192",
                        ] {
                            sqlx::query(pragma).execute(&mut *conn).await?;
                        }
                    }
                    Ok(())
                })
            });
        // An in-memory SQLite database exists once per connection: keep exactly one.
        let opts = if url.contains(":memory:") {
            opts.max_connections(1).min_connections(1)
        } else {
            opts
        };
        let pool = opts.connect(&url).await?;
        let migrator = match backend {
            Backend::Sqlite => &SQLITE_MIGRATIONS,
            Backend::Postgres => &POSTGRES_MIGRATIONS,
        };
        migrator.run(&pool).await?;
        Ok(Store {
            pool,
            backend,
            write: Default::default(),
            alert_tx: tokio::sync::broadcast::channel(1024).0,
            vuln_queue: Default::default(),
        })
    }

    /// Opens the embedded SQLite database `canhgac.db` in `dir`, creating the folder if needed.
    pub async fn open_data_dir(dir: &Path) -> Result<Store> {
        std::fs::create_dir_all(dir).map_err(|e| {
            StoreError::Config(format!("cannot create data directory {}: {e}", dir.display()))
        })?;
        let path = dir.join("canhgac.db");
        Store::open(&format!("sqlite://{}", path.display())).await
    }

    /// The backend in use.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The pool, for crates that add their own tables.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a write transaction, holding the process-wide write lock until it ends.
    pub(crate) async fn begin_write(&self) -> Result<WriteTx<'_>> {
        let guard = self.write.lock().await;
        let tx = self.pool.begin().await?;
        Ok(WriteTx { tx, _guard: guard })
    }

    /// Writes a consistent copy of the embedded database to `dest` while the server keeps running (`VACUUM INTO`).
    pub async fn backup_to(&self, dest: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Config(
                "backup copies the embedded SQLite database; use pg_dump for PostgreSQL".into(),
            ));
        }
        if dest.exists() {
            return Err(StoreError::Config(format!(
                "{} exists already; choose a new file",
                dest.display()
            )));
        }
        let dest = dest
            .to_str()
            .ok_or_else(|| StoreError::Config("backup path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1")
            .bind(dest.to_string())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Creates the Department and its first administrator on an empty database. Returns the administrator's one-time
    /// password, or `None` when the database was already set up.
    pub async fn bootstrap(&self, department_name: &str, admin_username: &str) -> Result<Option<String>> {
        let existing: i64 = sqlx::query("SELECT COUNT(*) AS n FROM units")
            .fetch_one(&self.pool)
            .await?
            .try_get("n")?;
        if existing > 0 {
            return Ok(None);
        }
        let password = password::generate();
        let hash = password::hash(&password)?;
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let unit_id: i64 = sqlx::query(
            "INSERT INTO units (code, name, kind, created_at) VALUES ('SYT', $1, 'department', $2) RETURNING id",
        )
        .bind(department_name.to_string())
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        let user_id: i64 = sqlx::query(
            "INSERT INTO users (unit_id, username, display_name, role, password_hash, must_change_password, created_at) \
             VALUES ($1, $2, $3, 'dept_admin', $4, 1, $5) RETURNING id",
        )
        .bind(unit_id)
        .bind(admin_username.to_string())
        .bind(admin_username.to_string())
        .bind(hash)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("id")?;
        contacts::seed(&mut w).await?;
        let entry = audit::Change::new("bootstrap", "unit", unit_id.to_string())
            .unit(canhgac_model::UnitId(unit_id))
            .after(&serde_json::json!({"department": department_name, "admin": admin_username, "admin_id": user_id}));
        audit::append(&mut w, None, entry).await?;
        w.commit().await?;
        Ok(Some(password))
    }
}

/// A write transaction holding the write lock.
pub(crate) struct WriteTx<'a> {
    pub tx: sqlx::Transaction<'static, sqlx::Any>,
    _guard: tokio::sync::MutexGuard<'a, ()>,
}

impl WriteTx<'_> {
    pub async fn commit(self) -> Result<()> {
        self.tx.commit().await?;
        Ok(())
    }
}

/// Milliseconds since the Unix epoch.
pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
        .unwrap_or(0)
}

pub(crate) fn get_str(row: &AnyRow, col: &str) -> Result<String> {
    Ok(row.try_get::<String, _>(col)?)
}

pub(crate) fn get_i64(row: &AnyRow, col: &str) -> Result<i64> {
    Ok(row.try_get::<i64, _>(col)?)
}

pub(crate) fn parse_enum<T>(col: &str, value: &str, f: impl Fn(&str) -> Option<T>) -> Result<T> {
    f(value).ok_or_else(|| StoreError::Corrupt(format!("column {col} holds unknown value {value:?}")))
}

/// `n` parameters after the first `skip`: anonymous `?` for SQLite (it resolves `$n` by a linear search, quadratic
/// in a long list), `$n` for PostgreSQL.
pub(crate) fn placeholders(backend: Backend, skip: usize, n: usize) -> String {
    (1..=n)
        .map(|i| match backend {
            Backend::Sqlite => "?".to_string(),
            Backend::Postgres => format!("${}", skip + i),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// Backend-specific SQL where the dialects differ.
pub(crate) fn like_op(backend: Backend) -> &'static str {
    match backend {
        Backend::Sqlite => "LIKE",
        Backend::Postgres => "ILIKE",
    }
}
