//! Sigma rules per unit. Whether a loaded rule runs is decided per unit or for the whole network (`unit_id` NULL):
//! the Department may switch a rule off network-wide or for any unit, a unit's administrator for that unit only; a
//! network-wide disable wins over a unit's own setting. Units and the Department also write rules of their own:
//! Sigma YAML that must load and compile before it is stored, kept in versions (a save under the same name is the
//! next version), every change audited. The detection pipeline reads [`Store::disabled_rules`] and
//! [`Store::custom_rules`] without an actor.

use canhgac_model::{Actor, FieldError, Invalid, Millis, Permission, Scope, UnitId, UserId};
use canhgac_sigma::{load_str, Engine, LoadOptions, Mapping};
use serde::Serialize;
use sqlx::any::AnyRow;
use sqlx::Row;

use crate::audit::{append, Change};
use crate::{get_i64, get_str, now_ms, Result, Store, StoreError, WriteTx};

/// The longest rule text accepted (bytes).
pub const MAX_RULE_TEXT: usize = 512 * 1024;

/// Whether a rule runs for a unit, or for the whole network when `unit_id` is `None`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RuleSetting {
    pub unit_id: Option<UnitId>,
    /// The rule's `id` (or its title when it has none).
    pub rule_id: String,
    pub enabled: bool,
    pub reason: String,
    pub changed_by: Option<UserId>,
    pub changed_at: Millis,
}

/// A rule file written by a unit (or by the Department for the whole network when `unit_id` is `None`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CustomRule {
    pub id: i64,
    pub unit_id: Option<UnitId>,
    pub name: String,
    /// 1 for the first save under this name, then one more per save.
    pub version: i64,
    pub yaml: String,
    /// Detection, filter and correlation rules the text holds.
    pub rules: i64,
    pub active: bool,
    pub created_by: Option<UserId>,
    pub created_at: Millis,
}

fn invalid(field: &str, code: &str) -> StoreError {
    StoreError::Invalid(Invalid(vec![FieldError::new(field, code)]))
}

/// May `actor` change rules for `unit` (`None`: the whole network)?
pub(crate) fn may_change(actor: &Actor, unit: Option<UnitId>) -> bool {
    match unit {
        None => actor.is_dept_admin(),
        Some(u) => actor.allows(Permission::AdministerUnit, u),
    }
}

/// May `actor` see rules kept for `unit`? Network-wide rows are visible to every unit.
pub(crate) fn may_see(actor: &Actor, unit: Option<UnitId>) -> bool {
    match (actor.scope(), unit) {
        (Scope::Nothing, _) => false,
        (_, None) => true,
        (scope, Some(u)) => scope.covers(u),
    }
}

/// The scope filter for a table with a nullable `unit_id`: the whole network's rows and the actor's units'.
pub(crate) fn scope_sql(actor: &Actor) -> Option<String> {
    match actor.scope() {
        Scope::All => Some("1 = 1".into()),
        Scope::Unit(u) => Some(format!("(unit_id IS NULL OR unit_id = {})", u.0)),
        Scope::Nothing => None,
    }
}

/// Loads and compiles `text` as the pipeline would; every problem named with its document, line and key.
/// Returns the number of rules it holds.
pub fn check_rule_text(name: &str, text: &str) -> Result<i64> {
    if text.trim().is_empty() {
        return Err(invalid("yaml", "err.required"));
    }
    if text.len() > MAX_RULE_TEXT {
        return Err(invalid("yaml", "err.rule_too_large"));
    }
    let report = load_str(text, name, &LoadOptions::default());
    let mut problems: Vec<FieldError> = report
        .errors
        .iter()
        .map(|e| FieldError::new("yaml", "err.rule_invalid").with_value(&e.to_string()))
        .collect();
    let loaded = report.loaded();
    if problems.is_empty() {
        let (_, errors) = Engine::build(report, &Mapping::default());
        problems.extend(
            errors
                .iter()
                .map(|e| FieldError::new("yaml", "err.rule_invalid").with_value(&e.to_string())),
        );
    }
    if !problems.is_empty() {
        return Err(StoreError::Invalid(Invalid(problems)));
    }
    if loaded == 0 {
        return Err(invalid("yaml", "err.rule_empty"));
    }
    Ok(loaded as i64)
}

pub(crate) fn unit_of(r: &AnyRow) -> Result<Option<UnitId>> {
    Ok(r.try_get::<Option<i64>, _>("unit_id")?.map(UnitId))
}

pub(crate) fn user_of(r: &AnyRow, col: &str) -> Result<Option<UserId>> {
    Ok(r.try_get::<Option<i64>, _>(col)?.map(UserId))
}

fn setting_row(r: &AnyRow) -> Result<RuleSetting> {
    Ok(RuleSetting {
        unit_id: unit_of(r)?,
        rule_id: get_str(r, "rule_id")?,
        enabled: get_i64(r, "enabled")? != 0,
        reason: get_str(r, "reason")?,
        changed_by: user_of(r, "changed_by")?,
        changed_at: get_i64(r, "changed_at")?,
    })
}

fn custom_row(r: &AnyRow) -> Result<CustomRule> {
    Ok(CustomRule {
        id: get_i64(r, "id")?,
        unit_id: unit_of(r)?,
        name: get_str(r, "name")?,
        version: get_i64(r, "version")?,
        yaml: get_str(r, "yaml")?,
        rules: get_i64(r, "rules")?,
        active: get_i64(r, "active")? != 0,
        created_by: user_of(r, "created_by")?,
        created_at: get_i64(r, "created_at")?,
    })
}

/// `unit_id IS NULL` or `unit_id = <id>`: the unit is an id, never text from a person.
pub(crate) fn unit_eq(unit: Option<UnitId>) -> String {
    match unit {
        None => "unit_id IS NULL".into(),
        Some(u) => format!("unit_id = {}", u.0),
    }
}

pub(crate) async fn check_unit(w: &mut WriteTx<'_>, unit: Option<UnitId>) -> Result<()> {
    if let Some(u) = unit {
        sqlx::query("SELECT id FROM units WHERE id = $1")
            .bind(u.0)
            .fetch_one(&mut *w.tx)
            .await?;
    }
    Ok(())
}

impl Store {
    /// Switches the rule `rule_id` on or off for `unit` (`None`: the whole network, the Department only). A unit's
    /// administrator may change only their own unit.
    pub async fn set_rule_enabled(
        &self,
        actor: &Actor,
        unit: Option<UnitId>,
        rule_id: &str,
        enabled: bool,
        reason: &str,
    ) -> Result<RuleSetting> {
        if !may_see(actor, unit) {
            return Err(StoreError::NotFound);
        }
        if !may_change(actor, unit) {
            return Err(StoreError::Forbidden);
        }
        let rule_id = rule_id.trim();
        if rule_id.is_empty() {
            return Err(invalid("rule_id", "err.required"));
        }
        if rule_id.chars().count() > 200 {
            return Err(invalid("rule_id", "err.too_long"));
        }
        let reason: String = reason.trim().chars().take(1000).collect();
        let now = now_ms();
        let mut w = self.begin_write().await?;
        check_unit(&mut w, unit).await?;
        let before = sqlx::query(&format!(
            "SELECT * FROM rule_settings WHERE {} AND rule_id = $1",
            unit_eq(unit)
        ))
        .bind(rule_id.to_string())
        .fetch_optional(&mut *w.tx)
        .await?
        .as_ref()
        .map(setting_row)
        .transpose()?;
        if before.is_some() {
            sqlx::query(&format!(
                "UPDATE rule_settings SET enabled = $1, reason = $2, changed_by = $3, changed_at = $4 \
                 WHERE {} AND rule_id = $5",
                unit_eq(unit)
            ))
            .bind(i64::from(enabled))
            .bind(reason.clone())
            .bind(actor.user_id.0)
            .bind(now)
            .bind(rule_id.to_string())
            .execute(&mut *w.tx)
            .await?;
        } else {
            sqlx::query(
                "INSERT INTO rule_settings (unit_id, rule_id, enabled, reason, changed_by, changed_at) \
                 VALUES ($1, $2, $3, $4, $5, $6)",
            )
            .bind(unit.map(|u| u.0))
            .bind(rule_id.to_string())
            .bind(i64::from(enabled))
            .bind(reason.clone())
            .bind(actor.user_id.0)
            .bind(now)
            .execute(&mut *w.tx)
            .await?;
        }
        let after = RuleSetting {
            unit_id: unit,
            rule_id: rule_id.to_string(),
            enabled,
            reason,
            changed_by: Some(actor.user_id),
            changed_at: now,
        };
        let action = if enabled { "enable" } else { "disable" };
        let mut change = Change::new(action, "rule", rule_id).after(&after);
        if let Some(b) = &before {
            change = change.before(b);
        }
        if let Some(u) = unit {
            change = change.unit(u);
        }
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(after)
    }

    /// The rule settings `actor` may see: the whole network's and their units'.
    pub async fn rule_settings(&self, actor: &Actor) -> Result<Vec<RuleSetting>> {
        let Some(filter) = scope_sql(actor) else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(&format!(
            "SELECT * FROM rule_settings WHERE {filter} ORDER BY rule_id, unit_id"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(setting_row).collect()
    }

    /// Every rule switched off: `(None, rule)` for the whole network, `(Some(unit), rule)` for one unit. For the
    /// detection pipeline (no actor).
    pub async fn disabled_rules(&self) -> Result<Vec<(Option<UnitId>, String)>> {
        let rows = sqlx::query("SELECT unit_id, rule_id FROM rule_settings WHERE enabled = 0 ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((unit_of(r)?, get_str(r, "rule_id")?)))
            .collect()
    }

    /// Stores rule text for `unit` (`None`: the whole network, the Department only) under `name` after loading and
    /// compiling it; a save under an existing name becomes its next version and replaces the running one.
    pub async fn save_custom_rule(
        &self,
        actor: &Actor,
        unit: Option<UnitId>,
        name: &str,
        yaml: &str,
    ) -> Result<CustomRule> {
        if !may_see(actor, unit) {
            return Err(StoreError::NotFound);
        }
        if !may_change(actor, unit) {
            return Err(StoreError::Forbidden);
        }
        let name: String = name.trim().chars().take(200).collect();
        if name.is_empty() {
            return Err(invalid("name", "err.required"));
        }
        let rules = check_rule_text(&name, yaml)?;
        let now = now_ms();
        let mut w = self.begin_write().await?;
        check_unit(&mut w, unit).await?;
        let last: Option<i64> = sqlx::query(&format!(
            "SELECT MAX(version) AS v FROM custom_rules WHERE {} AND name = $1",
            unit_eq(unit)
        ))
        .bind(name.clone())
        .fetch_one(&mut *w.tx)
        .await?
        .try_get("v")?;
        sqlx::query(&format!(
            "UPDATE custom_rules SET active = 0 WHERE {} AND name = $1",
            unit_eq(unit)
        ))
        .bind(name.clone())
        .execute(&mut *w.tx)
        .await?;
        let version = last.unwrap_or(0) + 1;
        let row = sqlx::query(
            "INSERT INTO custom_rules (unit_id, name, version, yaml, rules, active, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, 1, $6, $7) RETURNING id",
        )
        .bind(unit.map(|u| u.0))
        .bind(name.clone())
        .bind(version)
        .bind(yaml.to_string())
        .bind(rules)
        .bind(actor.user_id.0)
        .bind(now)
        .fetch_one(&mut *w.tx)
        .await?;
        let saved = CustomRule {
            id: get_i64(&row, "id")?,
            unit_id: unit,
            name,
            version,
            yaml: yaml.to_string(),
            rules,
            active: true,
            created_by: Some(actor.user_id),
            created_at: now,
        };
        let mut change = Change::new("save", "custom_rule", saved.id.to_string()).after(&saved);
        if let Some(u) = unit {
            change = change.unit(u);
        }
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(saved)
    }

    /// Custom rules `actor` may see (the whole network's and their units'), newest first; with `all_versions`
    /// the replaced and removed versions too.
    pub async fn custom_rules_for(&self, actor: &Actor, all_versions: bool) -> Result<Vec<CustomRule>> {
        let Some(filter) = scope_sql(actor) else {
            return Ok(Vec::new());
        };
        let active = if all_versions { "" } else { " AND active = 1" };
        let rows = sqlx::query(&format!(
            "SELECT * FROM custom_rules WHERE {filter}{active} ORDER BY name, version DESC, id DESC"
        ))
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(custom_row).collect()
    }

    /// One stored version of a custom rule, if `actor` may see it.
    pub async fn custom_rule(&self, actor: &Actor, id: i64) -> Result<CustomRule> {
        let row = sqlx::query("SELECT * FROM custom_rules WHERE id = $1")
            .bind(id)
            .fetch_one(&self.pool)
            .await?;
        let rule = custom_row(&row)?;
        if !may_see(actor, rule.unit_id) {
            return Err(StoreError::NotFound);
        }
        Ok(rule)
    }

    /// Stops running a custom rule (its versions are kept).
    pub async fn remove_custom_rule(&self, actor: &Actor, id: i64) -> Result<CustomRule> {
        let rule = self.custom_rule(actor, id).await?;
        if !may_change(actor, rule.unit_id) {
            return Err(StoreError::Forbidden);
        }
        let mut w = self.begin_write().await?;
        sqlx::query(&format!(
            "UPDATE custom_rules SET active = 0 WHERE {} AND name = $1",
            unit_eq(rule.unit_id)
        ))
        .bind(rule.name.clone())
        .execute(&mut *w.tx)
        .await?;
        let mut change = Change::new("remove", "custom_rule", id.to_string()).before(&rule);
        if let Some(u) = rule.unit_id {
            change = change.unit(u);
        }
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok(CustomRule {
            active: false,
            ..rule
        })
    }

    /// The custom rules to run: `(None, name, yaml)` for the whole network, `(Some(unit), …)` for one unit. For
    /// the detection pipeline (no actor).
    pub async fn custom_rules(&self) -> Result<Vec<(Option<UnitId>, String, String)>> {
        let rows = sqlx::query("SELECT unit_id, name, yaml FROM custom_rules WHERE active = 1 ORDER BY id")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|r| Ok((unit_of(r)?, get_str(r, "name")?, get_str(r, "yaml")?)))
            .collect()
    }
}
