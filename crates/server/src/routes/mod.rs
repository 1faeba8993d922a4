//! Every route, in one table (pages in `console.rs`, the JSON API in `api.rs`). The router is built from it, the
//! OpenAPI document lists its API part, and the authorization test walks all of it for every role.

use axum::extract::DefaultBodyLimit;
use axum::handler::Handler;
use axum::routing::{on, MethodFilter};
use axum::Router;
use serde::Serialize;

mod api;
mod console;

use crate::{pages, AppState, BODY_LIMIT};

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
    let t = Table {
        router: Router::new(),
        infos: Vec::new(),
    };
    api::api(console::console(t))
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
