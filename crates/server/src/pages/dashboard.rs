//! The dashboard: the unit's (or the whole network's) state at a glance, the escalation contacts, and the places
//! the capabilities to come will fill (alerts, botnet queue, scans, vulnerabilities, duty, training).

use axum::response::Response;
use canhgac_model::{AssetKind, Scope};
use canhgac_store::AssetQuery;

use crate::auth::Page;

/// `GET /`.
pub async fn show(page: Page) -> Response {
    let store = &page.state.store;
    let contacts = match store.contacts().await {
        Ok(c) => c,
        Err(e) => return page.fail(e),
    };
    let mut counts = Vec::new();
    if page.actor.scope() != Scope::Nothing {
        for kind in [AssetKind::Server, AssetKind::Workstation] {
            let q = AssetQuery {
                kind: kind.as_str().into(),
                per_page: 1,
                ..Default::default()
            };
            match store.assets(&page.actor, &q).await {
                Ok(p) => counts.push((kind.as_str(), p.total)),
                Err(e) => return page.fail(e),
            }
        }
    }
    let units = match store.units(&page.actor).await {
        Ok(u) => u,
        Err(e) => return page.fail(e),
    };
    let unit_name = units
        .iter()
        .find(|u| u.id == page.actor.unit_id)
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let on_duty = match store.on_duty(&page.actor, canhgac_store::now_ms()).await {
        Ok(s) => s,
        Err(e) => return page.fail(e),
    };
    let (queue, alerts) = if page.actor.scope() == Scope::Nothing {
        (Vec::new(), 0)
    } else {
        let items = store
            .botnet_items(&page.actor, &canhgac_store::ItemQuery::default())
            .await;
        let open = store
            .alerts(
                &page.actor,
                &canhgac_store::AlertQuery {
                    per_page: 1,
                    ..Default::default()
                },
            )
            .await;
        match (items, open) {
            (Ok(i), Ok(a)) => (i, a.total),
            (Err(e), _) | (_, Err(e)) => return page.fail(e),
        }
    };
    let queue_total = queue.len();
    let queue: Vec<_> = queue.into_iter().take(5).collect();
    let unit_names = crate::pages::unit_names(&units);
    page.render(
        "dashboard.html",
        minijinja::context! { contacts, counts, unit_name, unit_count => units.len(), on_duty, unit_names, queue, queue_total, alerts },
    )
}
