//! Central scanning. **Rule sets**: the Department (for every unit, `unit_id` NULL) or a unit (for itself) publishes
//! versions of YARA files and hash lists; the caller has compiled them already (the server does, with
//! `canhgac-scan`), the store keeps the bundle bytes, their SHA-256, the counts and the files left out, numbers the
//! versions per owner and audits each. An agent's **effective bundle** is the Department's latest joined with its
//! unit's latest, named by the SHA-256 of its bytes. Tasks, results and schedules are in `tasks.rs` and
//! `results.rs`, detections and coverage in `coverage.rs`.

mod actions;
mod coverage;
mod results;
mod tasks;

use canhgac_model::scan::RuleBundle;
use canhgac_model::{Actor, FieldError, Invalid, Millis, Scope, UnitId, UserId};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use sqlx::any::AnyRow;

use crate::audit::{append, Change};
use crate::rules::{check_unit, may_change, may_see, unit_eq, unit_of, user_of};
use crate::{get_i64, get_str, now_ms, Result, Store, StoreError};

pub use coverage::{BotnetHostScan, Coverage, CoverageRow, HostRef, ScanDetection};
pub use results::TaskRecorded;
pub use tasks::{NewScanTasks, ScanSchedule, ScanTarget, ScanTask, TasksCreated};

/// A file left out of a published version because it did not compile or had refused lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeftOut {
    pub file: String,
    /// 1-based line (0 when unknown).
    pub line: usize,
    pub reason: String,
}

/// A version to publish: the compiled-and-checked bundle and what was learnt while checking it.
#[derive(Debug, Clone)]
pub struct RuleSetUpload {
    /// The uploaded file's name (a `.yar`, a hash list or a `.zip` of them).
    pub file_name: String,
    pub note: String,
    pub bundle: RuleBundle,
    pub yara_rules: i64,
    pub hash_entries: i64,
    pub left_out: Vec<LeftOut>,
}

/// A published rule set version.
#[derive(Debug, Clone, Serialize)]
pub struct RuleSetVersion {
    pub id: i64,
    /// `None`: the Department's, for every unit.
    pub unit_id: Option<UnitId>,
    pub version: i64,
    pub file_name: String,
    pub note: String,
    /// SHA-256 of the version's bundle bytes.
    pub sha256: String,
    pub yara_files: i64,
    pub yara_rules: i64,
    pub hash_entries: i64,
    pub left_out: Vec<LeftOut>,
    pub created_by: Option<UserId>,
    pub created_at: Millis,
}

/// Lowercase hex SHA-256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

pub(crate) fn invalid(field: &str, code: &str) -> StoreError {
    StoreError::Invalid(Invalid(vec![FieldError::new(field, code)]))
}

pub(crate) fn json_col<T: serde::de::DeserializeOwned>(r: &AnyRow, col: &str) -> Result<T> {
    let text = get_str(r, col)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{col}: {e}")))
}

fn version_row(r: &AnyRow) -> Result<RuleSetVersion> {
    Ok(RuleSetVersion {
        id: get_i64(r, "id")?,
        unit_id: unit_of(r)?,
        version: get_i64(r, "version")?,
        file_name: get_str(r, "file_name")?,
        note: get_str(r, "note")?,
        sha256: get_str(r, "sha256")?,
        yara_files: get_i64(r, "yara_files")?,
        yara_rules: get_i64(r, "yara_rules")?,
        hash_entries: get_i64(r, "hash_entries")?,
        left_out: json_col(r, "left_out")?,
        created_by: user_of(r, "created_by")?,
        created_at: get_i64(r, "created_at")?,
    })
}

const VERSION_COLS: &str =
    "id, unit_id, version, file_name, note, sha256, yara_files, yara_rules, hash_entries, \
                            left_out, created_by, created_at";

impl Store {
    /// Publishes the next version of `unit`'s rule set (`None`: the Department's, for every unit). Only the
    /// Department publishes for everyone, a unit's administrator for that unit. An empty bundle is refused.
    pub async fn publish_ruleset(
        &self,
        actor: &Actor,
        unit: Option<UnitId>,
        up: &RuleSetUpload,
    ) -> Result<RuleSetVersion> {
        if !may_see(actor, unit) {
            return Err(StoreError::NotFound);
        }
        if !may_change(actor, unit) {
            return Err(StoreError::Forbidden);
        }
        if up.bundle.yara.is_empty() && up.bundle.hashes.is_empty() {
            return Err(invalid("file", "err.scan_ruleset_empty"));
        }
        let bytes = up.bundle.to_bytes();
        let digest = sha256_hex(&bytes);
        let note: String = up.note.trim().chars().take(500).collect();
        let file_name: String = up.file_name.trim().chars().take(255).collect();
        let left_out = serde_json::to_string(&up.left_out).unwrap_or_else(|_| "[]".into());
        let mut w = self.begin_write().await?;
        check_unit(&mut w, unit).await?;
        let last: Option<i64> = sqlx::query(&format!(
            "SELECT MAX(version) AS v FROM scan_rulesets WHERE {}",
            unit_eq(unit)
        ))
        .fetch_one(&mut *w.tx)
        .await
        .and_then(|r| sqlx::Row::try_get::<Option<i64>, _>(&r, "v"))?;
        let row = sqlx::query(&format!(
            "INSERT INTO scan_rulesets (unit_id, version, file_name, note, bundle, sha256, yara_files, yara_rules, \
             hash_entries, left_out, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING {VERSION_COLS}"
        ))
        .bind(unit.map(|u| u.0))
        .bind(last.unwrap_or(0) + 1)
        .bind(file_name)
        .bind(note)
        .bind(bytes)
        .bind(digest)
        .bind(up.bundle.yara.len() as i64)
        .bind(up.yara_rules)
        .bind(up.hash_entries)
        .bind(left_out)
        .bind(actor.user_id.0)
        .bind(now_ms())
        .fetch_one(&mut *w.tx)
        .await?;
        let v = version_row(&row)?;
        let mut change = Change::new("publish", "scan_ruleset", v.id.to_string()).after(&v);
        if let Some(u) = unit {
            change = change.unit(u);
        }
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(v)
    }

    /// The rule set versions the actor may see (the Department's and its units'), newest first.
    pub async fn rulesets(&self, actor: &Actor) -> Result<Vec<RuleSetVersion>> {
        let filter = match actor.scope() {
            Scope::All => "1 = 1".to_string(),
            Scope::Unit(u) => format!("(unit_id IS NULL OR unit_id = {})", u.0),
            Scope::Nothing => return Err(StoreError::Forbidden),
        };
        let rows = sqlx::query(&format!(
            "SELECT {VERSION_COLS} FROM scan_rulesets WHERE {filter} ORDER BY id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(version_row).collect()
    }

    async fn latest_bundle(&self, unit: Option<UnitId>) -> Result<Option<(i64, Vec<u8>)>> {
        let row = sqlx::query(&format!(
            "SELECT version, bundle FROM scan_rulesets WHERE {} ORDER BY version DESC LIMIT 1",
            unit_eq(unit)
        ))
        .fetch_optional(&self.pool)
        .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((
                get_i64(&r, "version")?,
                sqlx::Row::try_get::<Vec<u8>, _>(&r, "bundle")?,
            ))),
        }
    }

    /// The bundle an agent of `unit` scans with: the Department's latest version joined with the unit's latest
    /// (files prefixed `department/v<n>/` and `unit-<id>/v<n>/`), and the SHA-256 of its bytes. `None` when
    /// neither has published anything.
    pub async fn effective_bundle(&self, unit: UnitId) -> Result<Option<(String, Vec<u8>)>> {
        let mut bundle: Option<RuleBundle> = None;
        for (owner, prefix) in [
            (None, "department".to_string()),
            (Some(unit), format!("unit-{}", unit.0)),
        ] {
            if let Some((version, bytes)) = self.latest_bundle(owner).await? {
                let part = RuleBundle::from_bytes(&bytes)
                    .map_err(|e| StoreError::Corrupt(format!("stored rule set: {e}")))?
                    .prefixed(&format!("{prefix}/v{version}"));
                bundle = Some(match bundle {
                    None => part,
                    Some(b) => b.join(part),
                });
            }
        }
        Ok(bundle.map(|b| {
            let bytes = b.to_bytes();
            (sha256_hex(&bytes), bytes)
        }))
    }
}
