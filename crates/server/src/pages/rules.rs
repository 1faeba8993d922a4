//! The rules page: the Sigma rules the running detector has loaded (search by title, id or tag), each switched on or
//! off for the viewer's unit (the Department: for a chosen unit or the whole network), and the rules units and the
//! Department write themselves (pasted or uploaded; refused with the place of every problem).

use std::collections::BTreeMap;

use axum::extract::{Multipart, Path, Query};
use axum::http::StatusCode;
use axum::response::Response;
use axum::Form;
use canhgac_model::{Scope, UnitId};
use canhgac_store::StoreError;
use minijinja::{context, Value};
use serde::Deserialize;

use crate::api::rules::{loaded_rules, rules_changed};
use crate::auth::Page;
use crate::pages::{read_multipart, see_other, urlencode};

#[derive(Deserialize, Default)]
pub struct RulesQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: usize,
    /// The Department's chosen target: empty for the whole network, else a unit id.
    #[serde(default)]
    unit: String,
}

/// The unit the page works on: the one named (the store refuses units outside the viewer's scope); none named is
/// the whole network for the Department and the viewer's own unit for everyone else.
fn chosen(page: &Page, unit: &str) -> Option<UnitId> {
    match unit.trim().parse().ok().map(UnitId) {
        Some(u) => Some(u),
        None if page.actor.is_dept_admin() => None,
        None => Some(page.actor.unit_id),
    }
}

fn back(q: &RulesQuery) -> String {
    format!(
        "/rules?q={}&page={}&unit={}",
        urlencode(&q.q),
        q.page.max(1),
        urlencode(&q.unit)
    )
}

struct Problems {
    messages: Vec<String>,
    name: String,
    yaml: String,
}

async fn render(page: &Page, q: &RulesQuery, problems: Option<Problems>, status: StatusCode) -> Response {
    if page.actor.scope() == Scope::Nothing {
        return page.fail(StoreError::Forbidden);
    }
    let store = &page.state.store;
    let target = chosen(page, &q.unit);
    let (settings, custom, units) = match (
        store.rule_settings(&page.actor).await,
        store.custom_rules_for(&page.actor, false).await,
        store.units(&page.actor).await,
    ) {
        (Ok(s), Ok(c), Ok(u)) => (s, c, u),
        (Err(e), _, _) | (_, Err(e), _) | (_, _, Err(e)) => return page.fail(e),
    };
    // Per rule: switched off network-wide, and the target unit's own setting.
    let mut network_off: BTreeMap<String, String> = BTreeMap::new();
    let mut unit_state: BTreeMap<String, bool> = BTreeMap::new();
    for s in &settings {
        match s.unit_id {
            None if !s.enabled => {
                network_off.insert(s.rule_id.clone(), s.reason.clone());
            }
            Some(u) if Some(u) == target => {
                unit_state.insert(s.rule_id.clone(), s.enabled);
            }
            _ => {}
        }
    }
    let loaded = loaded_rules(&page.state, &page.actor, &q.q, q.page);
    let unit_names = crate::pages::unit_names(&units);
    let (messages, name, yaml) = problems.map_or((Vec::new(), String::new(), String::new()), |p| {
        (p.messages, p.name, p.yaml)
    });
    let ctx = page.ctx(context! {
        section => "rules",
        loaded,
        q => q.q.clone(),
        unit => target.map(|u| u.0.to_string()).unwrap_or_default(),
        network => target.is_none(),
        units => Value::from_serialize(&units),
        unit_names,
        network_off,
        unit_state,
        settings => Value::from_serialize(&settings),
        custom => Value::from_serialize(&custom),
        rule_errors => messages,
        draft_name => name,
        draft_yaml => yaml,
        back => back(q),
        can_change => target.map_or(page.actor.is_dept_admin(), |u| {
            page.actor.allows(canhgac_model::Permission::AdministerUnit, u)
        }),
    });
    page.state.views.render_status(status, "rules.html", ctx)
}

/// `GET /rules`.
pub async fn list(page: Page, Query(q): Query<RulesQuery>) -> Response {
    render(&page, &q, None, StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct SettingForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    rule_id: String,
    /// `1` to switch on, anything else off.
    #[serde(default)]
    enabled: String,
    #[serde(default)]
    reason: String,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    page: usize,
}

/// `POST /rules/settings`: switches a rule on or off for the chosen unit (or the whole network).
pub async fn set(page: Page, Form(f): Form<SettingForm>) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    let target = chosen(&page, &f.unit);
    match page
        .state
        .store
        .set_rule_enabled(&page.actor, target, &f.rule_id, f.enabled == "1", &f.reason)
        .await
    {
        Ok(_) => {
            rules_changed(&page.state);
            see_other(&back(&RulesQuery {
                q: f.q,
                page: f.page,
                unit: f.unit,
            }))
        }
        Err(e) => page.fail(e),
    }
}

/// `POST /rules/custom`: a rule pasted (`yaml`) or uploaded (`file`), for the chosen unit or the whole network.
pub async fn save_custom(page: Page, mp: Multipart) -> Response {
    let (fields, file) = match read_multipart(&page, mp).await {
        Ok(x) => x,
        Err(r) => return r,
    };
    let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
    if let Err(r) = page.check_csrf(&field("csrf")) {
        return r;
    }
    let (mut name, mut yaml) = (field("name"), field("yaml"));
    if let Some((file_name, bytes)) = file.filter(|(_, b)| !b.is_empty()) {
        yaml = String::from_utf8_lossy(&bytes).into_owned();
        if name.trim().is_empty() {
            name = file_name;
        }
    }
    let q = RulesQuery {
        unit: field("unit"),
        ..Default::default()
    };
    let target = chosen(&page, &q.unit);
    match page
        .state
        .store
        .save_custom_rule(&page.actor, target, &name, &yaml)
        .await
    {
        Ok(_) => {
            rules_changed(&page.state);
            see_other(&back(&q))
        }
        Err(StoreError::Invalid(inv)) => {
            let messages = inv
                .0
                .iter()
                .map(|e| {
                    let msg = page.t(&e.code);
                    match &e.value {
                        Some(v) => format!("{msg}: {v}"),
                        None => format!("{msg} ({})", e.field),
                    }
                })
                .collect();
            let problems = Problems { messages, name, yaml };
            render(&page, &q, Some(problems), StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => page.fail(e),
    }
}

/// `POST /rules/custom/{id}/remove`.
pub async fn remove_custom(
    page: Page,
    Path(id): Path<i64>,
    Form(f): Form<super::login::CsrfOnly>,
) -> Response {
    if let Err(r) = page.check_csrf(&f.csrf) {
        return r;
    }
    match page.state.store.remove_custom_rule(&page.actor, id).await {
        Ok(_) => {
            rules_changed(&page.state);
            see_other("/rules")
        }
        Err(e) => page.fail(e),
    }
}
