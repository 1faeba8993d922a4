//! Servers and workstations: search, filter, sort, paginate; create, edit, retire; bulk import in one transaction.

use canhgac_model::{
    Actor, Asset, AssetFields, AssetId, AssetKind, AssetStatus, Criticality, Millis, Permission, Scope,
    UnitId,
};
use serde::Deserialize;
use sqlx::any::AnyRow;

use crate::audit::{append, Change};
use crate::{get_i64, get_str, like_op, now_ms, parse_enum, Page, Result, Store, StoreError, WriteTx};

/// Sort orders of the asset list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AssetSort {
    #[default]
    Hostname,
    Criticality,
    Kind,
    Os,
    Updated,
    Unit,
}

impl AssetSort {
    fn column(self) -> &'static str {
        match self {
            AssetSort::Hostname => "hostname",
            AssetSort::Criticality => "criticality",
            AssetSort::Kind => "kind",
            AssetSort::Os => "os",
            AssetSort::Updated => "updated_at",
            AssetSort::Unit => "unit_id",
        }
    }
}

/// Filters of the asset list.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct AssetQuery {
    /// Free text over hostname, IPs, MAC, OS, role, location, owner and tags.
    pub q: String,
    pub unit_id: Option<i64>,
    pub kind: String,
    pub criticality: String,
    /// `active` (default), `retired` or `all`.
    pub status: String,
    pub sort: AssetSort,
    pub desc: bool,
    pub page: i64,
    pub per_page: i64,
}

fn search_text(f: &AssetFields) -> String {
    [
        &f.hostname,
        &f.ips.join(" "),
        &f.mac,
        &f.os,
        &f.os_version,
        &f.role,
        &f.location,
        &f.owner,
        &f.tags.join(" "),
    ]
    .iter()
    .map(|s| s.to_lowercase())
    .collect::<Vec<_>>()
    .join(" ")
}

fn split_list(s: &str) -> Vec<String> {
    s.split(' ')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

pub(crate) fn row_to_asset(r: &AnyRow) -> Result<Asset> {
    let status = match get_str(r, "status")?.as_str() {
        "retired" => AssetStatus::Retired,
        _ => AssetStatus::Active,
    };
    Ok(Asset {
        id: AssetId(get_i64(r, "id")?),
        unit_id: UnitId(get_i64(r, "unit_id")?),
        status,
        fields: AssetFields {
            hostname: get_str(r, "hostname")?,
            ips: split_list(&get_str(r, "ips")?),
            mac: get_str(r, "mac")?,
            os: get_str(r, "os")?,
            os_version: get_str(r, "os_version")?,
            kind: parse_enum("kind", &get_str(r, "kind")?, AssetKind::parse)?,
            role: get_str(r, "role")?,
            criticality: Criticality::from_rank(get_i64(r, "criticality")?),
            location: get_str(r, "location")?,
            owner: get_str(r, "owner")?,
            notes: get_str(r, "notes")?,
            tags: get_str(r, "tags")?
                .split('\u{1f}')
                .filter(|t| !t.is_empty())
                .map(str::to_string)
                .collect(),
        },
        created_at: get_i64(r, "created_at")?,
        updated_at: get_i64(r, "updated_at")?,
    })
}

/// Binds the descriptive fields in the column order of [`FIELD_COLUMNS`].
macro_rules! bind_fields {
    ($q:expr, $f:expr) => {
        $q.bind($f.hostname.clone())
            .bind(format!(" {} ", $f.ips.join(" ")))
            .bind($f.mac.clone())
            .bind($f.os.clone())
            .bind($f.os_version.clone())
            .bind($f.kind.as_str())
            .bind($f.role.clone())
            .bind($f.criticality.rank())
            .bind($f.location.clone())
            .bind($f.owner.clone())
            .bind($f.notes.clone())
            .bind($f.tags.join("\u{1f}"))
            .bind(search_text($f))
    };
}

const INSERT_SQL: &str =
    "INSERT INTO assets (hostname, ips, mac, os, os_version, kind, role, criticality, location, \
     owner, notes, tags, search, unit_id, created_at, updated_at) \
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $15) RETURNING *";

/// Inserts an asset inside an open write transaction (the caller audits).
pub(crate) async fn insert_asset_in(
    w: &mut WriteTx<'_>,
    unit: UnitId,
    fields: &AssetFields,
    now: Millis,
) -> Result<Asset> {
    let row = bind_fields!(sqlx::query(INSERT_SQL), fields)
        .bind(unit.0)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?;
    row_to_asset(&row)
}

/// Replaces an asset's descriptive fields inside an open write transaction (the caller audits).
pub(crate) async fn update_asset_in(
    w: &mut WriteTx<'_>,
    id: AssetId,
    fields: &AssetFields,
    now: Millis,
) -> Result<Asset> {
    let row = bind_fields!(
        sqlx::query(
            "UPDATE assets SET hostname = $1, ips = $2, mac = $3, os = $4, os_version = $5, kind = $6, role = $7, \
             criticality = $8, location = $9, owner = $10, notes = $11, tags = $12, search = $13, updated_at = $14 \
             WHERE id = $15 RETURNING *"
        ),
        fields
    )
    .bind(now)
    .bind(id.0)
    .fetch_one(&mut *w.tx)
    .await?;
    row_to_asset(&row)
}

impl Store {
    /// One page of the assets the actor may see.
    pub async fn assets(&self, actor: &Actor, q: &AssetQuery) -> Result<Page<Asset>> {
        let mut conds: Vec<String> = Vec::new();
        let mut args: Vec<String> = Vec::new();
        match actor.scope() {
            Scope::All => {
                if let Some(u) = q.unit_id {
                    conds.push(format!("unit_id = {u}"));
                }
            }
            Scope::Unit(u) => conds.push(format!("unit_id = {}", u.0)),
            Scope::Nothing => return Err(StoreError::Forbidden),
        }
        match q.status.as_str() {
            "all" => {}
            "retired" => conds.push("status = 'retired'".into()),
            _ => conds.push("status = 'active'".into()),
        }
        if let Some(kind) = AssetKind::parse(&q.kind) {
            conds.push(format!("kind = '{}'", kind.as_str()));
        }
        if let Some(c) = Criticality::parse(&q.criticality) {
            conds.push(format!("criticality = {}", c.rank()));
        }
        let text = q.q.trim().to_lowercase();
        if !text.is_empty() {
            let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
            args.push(format!("%{escaped}%"));
            conds.push(format!(
                "search {} ${} ESCAPE '\\'",
                like_op(self.backend),
                args.len()
            ));
        }
        let where_sql = format!("WHERE {}", conds.join(" AND "));
        let per_page = if q.per_page <= 0 { 50 } else { q.per_page.min(500) };
        let page = q.page.max(1);
        let count_sql = format!("SELECT COUNT(*) AS n FROM assets {where_sql}");
        let mut cq = sqlx::query(&count_sql);
        for a in &args {
            cq = cq.bind(a.clone());
        }
        let total = get_i64(&cq.fetch_one(&self.pool).await?, "n")?;
        let dir = if q.desc { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT * FROM assets {where_sql} ORDER BY {} {dir}, id {dir} LIMIT {per_page} OFFSET {}",
            q.sort.column(),
            (page - 1) * per_page
        );
        let mut lq = sqlx::query(&sql);
        for a in &args {
            lq = lq.bind(a.clone());
        }
        let items = lq
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(row_to_asset)
            .collect::<Result<Vec<_>>>()?;
        Ok(Page {
            items,
            total,
            page,
            per_page,
        })
    }

    /// One asset, if in the actor's scope.
    pub async fn asset(&self, actor: &Actor, id: AssetId) -> Result<Asset> {
        let row = sqlx::query("SELECT * FROM assets WHERE id = $1")
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?;
        let asset = row
            .as_ref()
            .map(row_to_asset)
            .transpose()?
            .ok_or(StoreError::NotFound)?;
        if actor.allows(Permission::Read, asset.unit_id) {
            Ok(asset)
        } else {
            Err(StoreError::NotFound)
        }
    }

    fn check_write(actor: &Actor, unit: UnitId) -> Result<()> {
        if !actor.allows(Permission::Read, unit) {
            Err(StoreError::NotFound)
        } else if !actor.can_write_unit(unit) {
            Err(StoreError::Forbidden)
        } else {
            Ok(())
        }
    }

    /// Creates an asset in `unit`.
    pub async fn create_asset(&self, actor: &Actor, unit: UnitId, fields: &AssetFields) -> Result<Asset> {
        Self::check_write(actor, unit)?;
        self.unit(actor, unit).await?;
        let mut w = self.begin_write().await?;
        let asset = insert_asset_in(&mut w, unit, fields, now_ms()).await?;
        append(
            &mut w,
            Some(actor),
            Change::new("create", "asset", asset.id.to_string())
                .unit(unit)
                .after(&asset),
        )
        .await?;
        w.commit().await?;
        Ok(asset)
    }

    /// Replaces an asset's descriptive fields.
    pub async fn update_asset(&self, actor: &Actor, id: AssetId, fields: &AssetFields) -> Result<Asset> {
        let before = self.asset(actor, id).await?;
        Self::check_write(actor, before.unit_id)?;
        let mut w = self.begin_write().await?;
        let asset = update_asset_in(&mut w, id, fields, now_ms()).await?;
        let change = Change::new("update", "asset", id.to_string())
            .unit(asset.unit_id)
            .before(&before)
            .after(&asset);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(asset)
    }

    /// Retires (or reinstates) an asset; retired assets stay for history.
    pub async fn set_asset_status(&self, actor: &Actor, id: AssetId, status: AssetStatus) -> Result<Asset> {
        let before = self.asset(actor, id).await?;
        Self::check_write(actor, before.unit_id)?;
        let mut w = self.begin_write().await?;
        let row = sqlx::query("UPDATE assets SET status = $1, updated_at = $2 WHERE id = $3 RETURNING *")
            .bind(status.as_str())
            .bind(now_ms())
            .bind(id.0)
            .fetch_one(&mut *w.tx)
            .await?;
        let asset = row_to_asset(&row)?;
        let action = if status == AssetStatus::Retired {
            "retire"
        } else {
            "reinstate"
        };
        let change = Change::new(action, "asset", id.to_string())
            .unit(asset.unit_id)
            .before(&before)
            .after(&asset);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(asset)
    }

    /// Creates many assets in one transaction: all rows are written, or none.
    pub async fn import_assets(
        &self,
        actor: &Actor,
        unit: UnitId,
        rows: &[AssetFields],
        source: &str,
    ) -> Result<usize> {
        Self::check_write(actor, unit)?;
        self.unit(actor, unit).await?;
        let now = now_ms();
        let mut w = self.begin_write().await?;
        let mut ids = Vec::with_capacity(rows.len());
        for f in rows {
            let row = bind_fields!(sqlx::query(INSERT_SQL), f)
                .bind(unit.0)
                .bind(now)
                .fetch_one(&mut *w.tx)
                .await?;
            ids.push(get_i64(&row, "id")?);
        }
        let summary = serde_json::json!({
            "source": source,
            "count": rows.len(),
            "asset_ids": ids,
            "hostnames": rows.iter().map(|f| f.hostname.as_str()).collect::<Vec<_>>(),
        });
        let change = Change::new(
            "import",
            "asset",
            format!("{}..{}", ids.first().unwrap_or(&0), ids.last().unwrap_or(&0)),
        )
        .unit(unit)
        .after(&summary);
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(rows.len())
    }
}
