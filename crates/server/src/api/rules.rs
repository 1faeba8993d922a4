//! Sigma rules: what the running detector has loaded, each rule switched on or off per unit or network-wide, and
//! the rules a unit or the Department writes. Every change rebuilds the detector when collection runs.

use axum::extract::{Path, Query};
use axum::http::StatusCode;
use axum::Json;
use canhgac_model::{Actor, Permission, UnitId};
use canhgac_store::{CustomRule, RuleSetting};
use serde::{Deserialize, Serialize};

use crate::api::{ApiResult, Body};
use crate::auth::Api;
use crate::error::ApiError;
use crate::AppState;

/// Rules per page.
pub const PER_PAGE: usize = 50;

/// A rule the running detector has loaded.
#[derive(Debug, Clone, Serialize)]
pub struct LoadedRule {
    /// The rule's `id`, or its title when it has none: the key of its settings.
    pub key: String,
    pub title: String,
    pub level: String,
    pub tags: Vec<String>,
    pub origin: String,
}

/// One page of loaded rules whose title, id or a tag contains `q` (any case).
#[derive(Debug, Clone, Serialize)]
pub struct LoadedPage {
    /// Whether collection (and so a detector) runs in this process.
    pub running: bool,
    pub total: usize,
    pub page: usize,
    pub pages: usize,
    pub items: Vec<LoadedRule>,
}

/// The loaded rules matching `q`, page `page` (1-based), without the rules other units wrote for themselves.
pub fn loaded_rules(state: &AppState, actor: &Actor, q: &str, page: usize) -> LoadedPage {
    let Some(ingest) = &state.ingest else {
        return LoadedPage {
            running: false,
            total: 0,
            page: 1,
            pages: 1,
            items: Vec::new(),
        };
    };
    let det = ingest
        .detector
        .read()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .clone();
    let q = q.trim().to_lowercase();
    let matching: Vec<LoadedRule> = det
        .sigma
        .iter()
        .flat_map(|engine| engine.rules())
        .filter(|m| {
            let key = m.id.as_deref().unwrap_or(&m.title);
            det.only_for
                .get(key)
                .is_none_or(|u| actor.allows(Permission::Read, *u))
        })
        .filter(|m| {
            q.is_empty()
                || m.title.to_lowercase().contains(&q)
                || m.id.as_deref().is_some_and(|i| i.to_lowercase().contains(&q))
                || m.tags.iter().any(|t| t.to_lowercase().contains(&q))
        })
        .map(|m| LoadedRule {
            key: m.id.clone().unwrap_or_else(|| m.title.clone()),
            title: m.title.clone(),
            level: m.level.map(|l| l.to_string()).unwrap_or_default(),
            tags: m.tags.clone(),
            origin: m.origin.clone(),
        })
        .collect();
    let total = matching.len();
    let pages = total.div_ceil(PER_PAGE).max(1);
    let page = page.clamp(1, pages);
    let items = matching
        .into_iter()
        .skip((page - 1) * PER_PAGE)
        .take(PER_PAGE)
        .collect();
    LoadedPage {
        running: true,
        total,
        page,
        pages,
        items,
    }
}

/// Where a change applies: the whole network, or a unit (the caller's own when none is named).
pub fn target(actor: &Actor, network: bool, unit_id: Option<i64>) -> Option<UnitId> {
    if network {
        None
    } else {
        Some(unit_id.map_or(actor.unit_id, UnitId))
    }
}

pub use crate::api::events::lists_changed as rules_changed;

#[derive(Deserialize)]
pub struct RuleQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: usize,
}

/// `GET /api/v1/rules?q=…&page=…`: the rules the running detector has loaded.
pub async fn list(api: Api, Query(p): Query<RuleQuery>) -> ApiResult<LoadedPage> {
    if api.actor.scope() == canhgac_model::Scope::Nothing {
        return Err(canhgac_store::StoreError::Forbidden.into());
    }
    Ok(Json(loaded_rules(&api.state, &api.actor, &p.q, p.page)))
}

/// `GET /api/v1/rules/settings`: the network's settings and the caller's units'.
pub async fn settings(api: Api) -> ApiResult<Vec<RuleSetting>> {
    Ok(Json(api.state.store.rule_settings(&api.actor).await?))
}

#[derive(Deserialize)]
pub struct SettingBody {
    rule_id: String,
    enabled: bool,
    #[serde(default)]
    reason: String,
    /// The whole network (the Department).
    #[serde(default)]
    network: bool,
    /// The unit (default: the caller's).
    #[serde(default)]
    unit_id: Option<i64>,
}

/// `POST /api/v1/rules/settings`: switches a rule on or off for a unit or the whole network.
pub async fn set(api: Api, Body(b): Body<SettingBody>) -> ApiResult<RuleSetting> {
    let unit = target(&api.actor, b.network, b.unit_id);
    let s = api
        .state
        .store
        .set_rule_enabled(&api.actor, unit, &b.rule_id, b.enabled, &b.reason)
        .await?;
    rules_changed(&api.state);
    Ok(Json(s))
}

#[derive(Deserialize)]
pub struct CustomQuery {
    /// Replaced and removed versions too.
    #[serde(default)]
    all: bool,
}

/// `GET /api/v1/rules/custom`: rules written by the caller's units and the Department.
pub async fn custom(api: Api, Query(p): Query<CustomQuery>) -> ApiResult<Vec<CustomRule>> {
    Ok(Json(api.state.store.custom_rules_for(&api.actor, p.all).await?))
}

#[derive(Deserialize)]
pub struct CustomBody {
    name: String,
    yaml: String,
    #[serde(default)]
    network: bool,
    #[serde(default)]
    unit_id: Option<i64>,
}

/// `POST /api/v1/rules/custom`: stores Sigma YAML after loading and compiling it (errors name document, line and
/// key); the same name again is the next version.
pub async fn save_custom(
    api: Api,
    Body(b): Body<CustomBody>,
) -> Result<(StatusCode, Json<CustomRule>), ApiError> {
    let unit = target(&api.actor, b.network, b.unit_id);
    let r = api
        .state
        .store
        .save_custom_rule(&api.actor, unit, &b.name, &b.yaml)
        .await?;
    rules_changed(&api.state);
    Ok((StatusCode::CREATED, Json(r)))
}

/// `POST /api/v1/rules/custom/{id}/remove`: stops running a custom rule.
pub async fn remove_custom(api: Api, Path(id): Path<i64>) -> ApiResult<CustomRule> {
    let r = api.state.store.remove_custom_rule(&api.actor, id).await?;
    rules_changed(&api.state);
    Ok(Json(r))
}
