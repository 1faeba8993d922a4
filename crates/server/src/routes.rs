//! Every route, in one table. The router is built from it, the OpenAPI document lists its API part, and the
//! authorization test walks all of it for every role.

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{on, MethodFilter};
use axum::Router;
use serde::Serialize;

use crate::{api, pages, AppState, BODY_LIMIT, EVENTS_LIMIT, LIST_LIMIT, UPLOAD_LIMIT};

/// What a route needs from the caller.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Access {
    /// Anyone (sign-in page, health, static files, the OpenAPI document).
    Public,
    /// A signed-in browser session.
    Session,
    /// An API token.
    Token,
}

/// One route.
#[derive(Debug, Clone, Serialize)]
pub struct RouteInfo {
    pub method: &'static str,
    pub path: &'static str,
    pub access: Access,
    /// One line for the OpenAPI document.
    pub summary: &'static str,
}

struct Table {
    router: Router<AppState>,
    infos: Vec<RouteInfo>,
}

impl Table {
    fn add<H, T>(
        self,
        method: &'static str,
        path: &'static str,
        access: Access,
        summary: &'static str,
        h: H,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        self.add_limited(method, path, access, summary, h, BODY_LIMIT)
    }

    /// A route whose body may be up to `limit` bytes (uploads); larger bodies get 413.
    fn add_limited<H, T>(
        mut self,
        method: &'static str,
        path: &'static str,
        access: Access,
        summary: &'static str,
        h: H,
        limit: usize,
    ) -> Self
    where
        H: Handler<T, AppState>,
        T: 'static,
    {
        let filter = match method {
            "GET" => MethodFilter::GET,
            "POST" => MethodFilter::POST,
            "PUT" => MethodFilter::PUT,
            _ => MethodFilter::DELETE,
        };
        self.router = self
            .router
            .route(path, on(filter, h).layer(DefaultBodyLimit::max(limit)));
        self.infos.push(RouteInfo {
            method,
            path,
            access,
            summary,
        });
        self
    }
}

fn table() -> Table {
    use Access::{Public, Session, Token};
    let t = Table {
        router: Router::new(),
        infos: Vec::new(),
    };
    t.add(
        "GET",
        "/healthz",
        Public,
        "Liveness and database check",
        pages::misc::healthz,
    )
    .add(
        "GET",
        "/static/{file}",
        Public,
        "Embedded static assets",
        pages::misc::static_file,
    )
    .add(
        "GET",
        "/lang/{code}",
        Public,
        "Switch the console language",
        pages::misc::switch_lang,
    )
    .add("GET", "/login", Public, "Sign-in form", pages::login::form)
    .add("POST", "/login", Public, "Sign in", pages::login::submit)
    .add("POST", "/logout", Session, "Sign out", pages::login::logout)
    .add("GET", "/", Session, "Dashboard", pages::dashboard::show)
    .add("GET", "/units", Session, "Units", pages::units::list)
    .add("POST", "/units", Session, "Create a unit", pages::units::create)
    .add("GET", "/units/{id}", Session, "A unit", pages::units::show)
    .add(
        "POST",
        "/units/{id}/monitoring",
        Session,
        "Alert notifications and event retention of a unit",
        pages::units::set_monitoring,
    )
    .add(
        "POST",
        "/units/{id}",
        Session,
        "Edit a unit",
        pages::units::update,
    )
    .add(
        "POST",
        "/units/{id}/ranges",
        Session,
        "Add a public range",
        pages::units::add_range,
    )
    .add(
        "POST",
        "/units/{id}/ranges/{rid}/delete",
        Session,
        "Remove a public range",
        pages::units::delete_range,
    )
    .add("GET", "/users", Session, "Users", pages::users::list)
    .add("POST", "/users", Session, "Create a user", pages::users::create)
    .add(
        "POST",
        "/users/{id}/active",
        Session,
        "Activate or deactivate a user",
        pages::users::set_active,
    )
    .add("GET", "/assets", Session, "Assets", pages::assets::list)
    .add(
        "GET",
        "/assets/new",
        Session,
        "New asset form",
        pages::assets::new_form,
    )
    .add(
        "POST",
        "/assets",
        Session,
        "Create an asset",
        pages::assets::create,
    )
    .add(
        "GET",
        "/assets/import",
        Session,
        "Import form",
        pages::assets::import_form,
    )
    .add_limited(
        "POST",
        "/assets/import",
        Session,
        "Preview an import",
        pages::assets::import_preview,
        UPLOAD_LIMIT,
    )
    .add(
        "POST",
        "/assets/import/confirm",
        Session,
        "Confirm an import",
        pages::assets::import_confirm,
    )
    .add(
        "GET",
        "/assets/{id}",
        Session,
        "An asset",
        pages::assets::edit_form,
    )
    .add(
        "POST",
        "/assets/{id}",
        Session,
        "Edit an asset",
        pages::assets::update,
    )
    .add(
        "POST",
        "/assets/{id}/status",
        Session,
        "Retire or reinstate",
        pages::assets::set_status,
    )
    .add("GET", "/alerts", Session, "Alert queue", pages::alerts::list)
    .add(
        "GET",
        "/alerts/stream",
        Session,
        "Live alert changes (server-sent events)",
        pages::alerts::stream,
    )
    .add("GET", "/alerts/{id}", Session, "An alert", pages::alerts::show)
    .add(
        "POST",
        "/alerts/{id}/claim",
        Session,
        "Claim an alert",
        pages::alerts::claim,
    )
    .add(
        "POST",
        "/alerts/{id}/assign",
        Session,
        "Assign an alert",
        pages::alerts::assign,
    )
    .add(
        "POST",
        "/alerts/{id}/verify",
        Session,
        "Verify an alert",
        pages::alerts::verify,
    )
    .add(
        "POST",
        "/alerts/{id}/close",
        Session,
        "Close an alert",
        pages::alerts::close,
    )
    .add(
        "POST",
        "/alerts/{id}/reopen",
        Session,
        "Reopen an alert",
        pages::alerts::reopen,
    )
    .add(
        "POST",
        "/alerts/{id}/comment",
        Session,
        "Comment on an alert",
        pages::alerts::comment,
    )
    .add(
        "POST",
        "/alerts/{id}/suppress",
        Session,
        "Suppress an alert's rule on its host",
        pages::alerts::suppress,
    )
    .add(
        "POST",
        "/suppressions",
        Session,
        "Add a suppression",
        pages::alerts::add_suppression,
    )
    .add(
        "GET",
        "/botnet",
        Session,
        "Botnet remediation queue and list versions",
        pages::botnet::show,
    )
    .add_limited(
        "POST",
        "/botnet/preview",
        Session,
        "Read a list file before importing it",
        pages::botnet::preview,
        LIST_LIMIT,
    )
    .add(
        "POST",
        "/botnet/import",
        Session,
        "Import a previewed list and match every unit",
        pages::botnet::import,
    )
    .add(
        "GET",
        "/botnet/items/{id}",
        Session,
        "A remediation item",
        pages::botnet::item,
    )
    .add_limited(
        "POST",
        "/botnet/warnings",
        Session,
        "Add a warning list (the Department)",
        pages::botnet::add_warning_list,
        UPLOAD_LIMIT,
    )
    .add(
        "POST",
        "/botnet/warnings/{id}/deactivate",
        Session,
        "Stop applying a warning list",
        pages::botnet::deactivate_warning_list,
    )
    .add(
        "POST",
        "/botnet/items/{id}/comments",
        Session,
        "Comment on a remediation item",
        pages::botnet::comment,
    )
    .add(
        "POST",
        "/botnet/items/{id}/state",
        Session,
        "Move a remediation item",
        pages::botnet::set_state,
    )
    .add(
        "GET",
        "/duty",
        Session,
        "Duty roster and coverage gaps",
        pages::duty::show,
    )
    .add(
        "POST",
        "/duty/shifts",
        Session,
        "Add a shift",
        pages::duty::create,
    )
    .add(
        "POST",
        "/duty/pattern",
        Session,
        "Generate shifts from a pattern",
        pages::duty::pattern,
    )
    .add(
        "POST",
        "/duty/shifts/{id}/swap",
        Session,
        "Hand a shift to someone else",
        pages::duty::swap,
    )
    .add(
        "POST",
        "/duty/shifts/{id}/handover",
        Session,
        "Write the handover note",
        pages::duty::handover,
    )
    .add(
        "POST",
        "/duty/shifts/{id}/delete",
        Session,
        "Remove a shift",
        pages::duty::delete,
    )
    .add(
        "GET",
        "/contacts",
        Session,
        "Escalation contacts",
        pages::contacts::list,
    )
    .add(
        "POST",
        "/contacts",
        Session,
        "Create a contact",
        pages::contacts::create,
    )
    .add(
        "POST",
        "/contacts/{id}",
        Session,
        "Edit a contact",
        pages::contacts::update,
    )
    .add(
        "POST",
        "/contacts/{id}/delete",
        Session,
        "Delete a contact",
        pages::contacts::delete,
    )
    .add("GET", "/audit", Session, "Audit log", pages::audit::list)
    .add("GET", "/account", Session, "Account", pages::account::show)
    .add(
        "POST",
        "/account/password",
        Session,
        "Change password",
        pages::account::change_password,
    )
    .add(
        "POST",
        "/account/tokens",
        Session,
        "Create an API token",
        pages::account::create_token,
    )
    .add(
        "GET",
        "/api/v1/openapi.json",
        Public,
        "This document",
        api::openapi::document,
    )
    .add("GET", "/api/v1/me", Token, "The caller", api::misc::me)
    .add("GET", "/api/v1/units", Token, "List units", api::units::list)
    .add(
        "POST",
        "/api/v1/units",
        Token,
        "Create a unit",
        api::units::create,
    )
    .add("GET", "/api/v1/units/{id}", Token, "Get a unit", api::units::get)
    .add(
        "PUT",
        "/api/v1/units/{id}",
        Token,
        "Edit a unit",
        api::units::update,
    )
    .add(
        "GET",
        "/api/v1/units/{id}/ranges",
        Token,
        "List public ranges",
        api::units::ranges,
    )
    .add(
        "POST",
        "/api/v1/units/{id}/ranges",
        Token,
        "Add a public range",
        api::units::add_range,
    )
    .add(
        "DELETE",
        "/api/v1/units/{id}/ranges/{rid}",
        Token,
        "Remove a public range",
        api::units::delete_range,
    )
    .add("GET", "/api/v1/users", Token, "List users", api::users::list)
    .add(
        "POST",
        "/api/v1/users",
        Token,
        "Create a user",
        api::users::create,
    )
    .add(
        "POST",
        "/api/v1/users/{id}/active",
        Token,
        "Activate or deactivate",
        api::users::set_active,
    )
    .add("GET", "/api/v1/assets", Token, "List assets", api::assets::list)
    .add(
        "POST",
        "/api/v1/assets",
        Token,
        "Create an asset",
        api::assets::create,
    )
    .add_limited(
        "POST",
        "/api/v1/assets/import",
        Token,
        "Import CSV/XLSX",
        api::assets::import,
        UPLOAD_LIMIT,
    )
    .add(
        "GET",
        "/api/v1/assets/{id}",
        Token,
        "Get an asset",
        api::assets::get,
    )
    .add(
        "PUT",
        "/api/v1/assets/{id}",
        Token,
        "Edit an asset",
        api::assets::update,
    )
    .add(
        "POST",
        "/api/v1/assets/{id}/status",
        Token,
        "Retire or reinstate",
        api::assets::set_status,
    )
    .add("GET", "/api/v1/alerts", Token, "Alert queue", api::alerts::list)
    .add(
        "POST",
        "/api/v1/alerts",
        Token,
        "Report an alert by hand",
        api::alerts::create,
    )
    .add(
        "GET",
        "/api/v1/alerts/summary",
        Token,
        "Alerts per unit",
        api::alerts::summary,
    )
    .add("GET", "/api/v1/alerts/{id}", Token, "An alert", api::alerts::get)
    .add(
        "POST",
        "/api/v1/alerts/{id}/claim",
        Token,
        "Claim an alert",
        api::alerts::claim,
    )
    .add(
        "POST",
        "/api/v1/alerts/{id}/assign",
        Token,
        "Assign an alert",
        api::alerts::assign,
    )
    .add(
        "POST",
        "/api/v1/alerts/{id}/verify",
        Token,
        "Verify an alert",
        api::alerts::verify,
    )
    .add(
        "POST",
        "/api/v1/alerts/{id}/close",
        Token,
        "Close an alert",
        api::alerts::close,
    )
    .add(
        "POST",
        "/api/v1/alerts/{id}/reopen",
        Token,
        "Reopen an alert",
        api::alerts::reopen,
    )
    .add(
        "GET",
        "/api/v1/alerts/{id}/comments",
        Token,
        "Comments of an alert",
        api::alerts::comments,
    )
    .add(
        "POST",
        "/api/v1/alerts/{id}/comments",
        Token,
        "Comment on an alert",
        api::alerts::comment,
    )
    .add(
        "GET",
        "/api/v1/suppressions",
        Token,
        "Suppressions",
        api::alerts::suppressions,
    )
    .add(
        "POST",
        "/api/v1/suppressions",
        Token,
        "Add a suppression",
        api::alerts::add_suppression,
    )
    .add_limited(
        "POST",
        "/api/v1/botnet/lists",
        Token,
        "Import a list version (raw file body)",
        api::botnet::import,
        LIST_LIMIT,
    )
    .add(
        "GET",
        "/api/v1/botnet/lists",
        Token,
        "List versions",
        api::botnet::lists,
    )
    .add(
        "GET",
        "/api/v1/botnet/items",
        Token,
        "Remediation queue",
        api::botnet::items,
    )
    .add(
        "GET",
        "/api/v1/botnet/items/{id}",
        Token,
        "A remediation item",
        api::botnet::item,
    )
    .add(
        "POST",
        "/api/v1/botnet/items/{id}/state",
        Token,
        "Move a remediation item",
        api::botnet::set_state,
    )
    .add(
        "GET",
        "/api/v1/duty/shifts",
        Token,
        "Shifts and coverage gaps of a period",
        api::duty::shifts,
    )
    .add(
        "POST",
        "/api/v1/duty/shifts",
        Token,
        "Add a shift",
        api::duty::create,
    )
    .add(
        "GET",
        "/api/v1/duty/gaps",
        Token,
        "Coverage gaps of a period",
        api::duty::gaps,
    )
    .add(
        "GET",
        "/api/v1/duty/now",
        Token,
        "Who is on duty now",
        api::duty::now,
    )
    .add(
        "POST",
        "/api/v1/duty/pattern",
        Token,
        "Generate shifts from a pattern",
        api::duty::pattern,
    )
    .add(
        "POST",
        "/api/v1/duty/shifts/{id}/swap",
        Token,
        "Hand a shift to someone else",
        api::duty::swap,
    )
    .add(
        "POST",
        "/api/v1/duty/shifts/{id}/handover",
        Token,
        "Write the handover note",
        api::duty::handover,
    )
    .add(
        "DELETE",
        "/api/v1/duty/shifts/{id}",
        Token,
        "Remove a shift",
        api::duty::delete,
    )
    .add(
        "GET",
        "/api/v1/contacts",
        Token,
        "List contacts",
        api::contacts::list,
    )
    .add(
        "POST",
        "/api/v1/contacts",
        Token,
        "Create a contact",
        api::contacts::create,
    )
    .add(
        "PUT",
        "/api/v1/contacts/{id}",
        Token,
        "Edit a contact",
        api::contacts::update,
    )
    .add(
        "DELETE",
        "/api/v1/contacts/{id}",
        Token,
        "Delete a contact",
        api::contacts::delete,
    )
    .add("GET", "/api/v1/audit", Token, "Audit log", api::misc::audit)
    .add(
        "GET",
        "/api/v1/audit/verify",
        Token,
        "Verify the audit chain",
        api::misc::verify_audit,
    )
    .add(
        "POST",
        "/api/v1/tokens",
        Token,
        "Create an API token",
        api::misc::create_token,
    )
    .add("GET", "/events", Session, "Event search", pages::events::search)
    .add("GET", "/events/{id}", Session, "One event", pages::events::one)
    .add(
        "GET",
        "/sources",
        Session,
        "Event sources",
        pages::events::sources,
    )
    .add(
        "POST",
        "/sources",
        Session,
        "Declare an event source",
        pages::events::create_source,
    )
    .add(
        "POST",
        "/sources/{id}/deactivate",
        Session,
        "Turn an event source off",
        pages::events::deactivate_source,
    )
    .add(
        "GET",
        "/operations",
        Session,
        "Collection operations",
        pages::events::operations,
    )
    .add_limited(
        "POST",
        "/api/v1/events",
        Token,
        "Send events (NDJSON, optionally gzip) with an event source's token",
        api::events::intake,
        EVENTS_LIMIT,
    )
    .add(
        "GET",
        "/api/v1/events",
        Token,
        "Search stored events",
        api::events::search,
    )
    .add(
        "GET",
        "/api/v1/events/{id}",
        Token,
        "One stored event",
        api::events::get,
    )
    .add_limited(
        "POST",
        "/api/v1/warning-lists",
        Token,
        "Add a warning list (MISP JSON or one value a line)",
        api::botnet::add_warning_list,
        UPLOAD_LIMIT,
    )
    .add(
        "GET",
        "/api/v1/warning-lists",
        Token,
        "Warning lists",
        api::botnet::warning_lists,
    )
    .add(
        "POST",
        "/api/v1/warning-lists/{id}/deactivate",
        Token,
        "Stop applying a warning list",
        api::botnet::deactivate_warning_list,
    )
    .add(
        "GET",
        "/api/v1/botnet/items/{id}/comments",
        Token,
        "Comments on an item",
        api::botnet::comments,
    )
    .add(
        "POST",
        "/api/v1/botnet/items/{id}/comments",
        Token,
        "Comment on an item",
        api::botnet::comment,
    )
    .add(
        "GET",
        "/api/v1/units/{id}/notify",
        Token,
        "A unit's alert notifications",
        api::units::notify,
    )
    .add(
        "PUT",
        "/api/v1/units/{id}/notify",
        Token,
        "Change a unit's alert notifications",
        api::units::set_notify,
    )
    .add(
        "GET",
        "/api/v1/sources",
        Token,
        "Event sources",
        api::events::sources,
    )
    .add(
        "POST",
        "/api/v1/sources",
        Token,
        "Declare an event source",
        api::events::create_source,
    )
    .add(
        "POST",
        "/api/v1/sources/{id}/deactivate",
        Token,
        "Turn an event source off",
        api::events::deactivate_source,
    )
    .add(
        "POST",
        "/api/v1/detector/reload",
        Token,
        "Reload Sigma rules and indicator lists",
        api::events::reload,
    )
    .add(
        "GET",
        "/metrics",
        Token,
        "Collection and pipeline counters (Prometheus)",
        api::events::metrics,
    )
}

/// Every route of the application.
pub fn route_table() -> Vec<RouteInfo> {
    table().infos
}

/// The router with its limits and tracing.
pub fn router(state: AppState) -> Router {
    table()
        .router
        .fallback(pages::misc::not_found)
        .layer(tower_http::trace::TraceLayer::new_for_http())
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::X_FRAME_OPTIONS,
            axum::http::HeaderValue::from_static("DENY"),
        ))
        .layer(tower_http::set_header::SetResponseHeaderLayer::overriding(
            axum::http::header::CONTENT_SECURITY_POLICY,
            axum::http::HeaderValue::from_static("default-src 'self'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'"),
        ))
        .with_state(state)
}
