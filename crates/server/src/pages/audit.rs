//! The audit log for administrators, filterable, with the chain's verification.

use axum::extract::Query;
use axum::response::Response;
use canhgac_store::AuditQuery;
use minijinja::context;

use crate::auth::Page;

/// `GET /audit`.
pub async fn list(page: Page, Query(q): Query<AuditQuery>) -> Response {
    let store = &page.state.store;
    let result = match store.audit(&page.actor, &q).await {
        Ok(r) => r,
        Err(e) => return page.fail(e),
    };
    let chain = if page.actor.is_dept_admin() {
        store.verify_audit_chain().await.ok()
    } else {
        None
    };
    let units = store.units(&page.actor).await.unwrap_or_default();
    let pages = result.pages();
    let query = minijinja::Value::from_serialize(serde_json::json!({
        "unit_id": q.unit_id, "action": q.action, "entity": q.entity, "username": q.username,
    }));
    page.render("audit.html", context! { result, pages, chain, units, query })
}
