//! Server-side HTML: minijinja templates embedded in the binary, auto-escaped, with `t(key)` for texts and
//! `datetime(ms)` for times (shown in Vietnam's time zone, UTC+7).

use std::sync::Arc;

use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use minijinja::{Environment, State, Value};

use crate::error::StartError;
use crate::i18n::I18n;

macro_rules! templates {
    ($($name:literal),* $(,)?) => {
        &[$(($name, include_str!(concat!("../templates/", $name)))),*]
    };
}

/// Every template, by name.
pub const TEMPLATES: &[(&str, &str)] = templates!(
    "base.html",
    "login.html",
    "dashboard.html",
    "units.html",
    "unit.html",
    "users.html",
    "assets.html",
    "asset_form.html",
    "asset_import.html",
    "contacts.html",
    "duty.html",
    "alerts.html",
    "alerts_table.html",
    "alert.html",
    "botnet.html",
    "botnet_preview.html",
    "botnet_item.html",
    "audit.html",
    "account.html",
    "error.html",
    "macros.html",
    "events.html",
    "event.html",
    "sources.html",
    "agents.html",
    "operations.html",
    "vulnerabilities.html",
    "vuln_view.html",
    "vuln_warning_form.html",
    "vuln_unit.html",
    "vuln_host.html",
    "vuln_finding.html",
    "rules.html",
    "scan.html",
    "scan_detections.html",
    "scan_coverage.html",
);

/// The template environment.
pub struct Views {
    env: Environment<'static>,
}

impl Views {
    pub fn new(i18n: Arc<I18n>) -> Result<Views, StartError> {
        let mut env = Environment::new();
        // Forms re-rendered without a previous submission look up `form.x` on nothing: render it as empty.
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Chainable);
        for (name, src) in TEMPLATES {
            env.add_template(name, src).map_err(|e| StartError::Template {
                name: (*name).to_string(),
                reason: e.to_string(),
            })?;
        }
        env.add_function("t", move |state: &State, key: &str| -> String {
            let lang = state.lookup("lang").map(|v| v.to_string()).unwrap_or_default();
            i18n.t(&lang, key).to_string()
        });
        env.add_filter("datetime", |ms: i64| -> String {
            let vietnam = chrono::FixedOffset::east_opt(7 * 3600);
            match (chrono::DateTime::from_timestamp_millis(ms), vietnam) {
                (Some(d), Some(tz)) => d.with_timezone(&tz).format("%d/%m/%Y %H:%M").to_string(),
                _ => String::new(),
            }
        });
        env.add_filter("datetime_s", |ms: i64| -> String {
            let vietnam = chrono::FixedOffset::east_opt(7 * 3600);
            match (chrono::DateTime::from_timestamp_millis(ms), vietnam) {
                (Some(d), Some(tz)) => d.with_timezone(&tz).format("%d/%m/%Y %H:%M:%S").to_string(),
                _ => String::new(),
            }
        });
        env.add_filter("truncate", |text: String, n: usize| -> String {
            if text.chars().count() <= n {
                text
            } else {
                let mut cut: String = text.chars().take(n).collect();
                cut.push('…');
                cut
            }
        });
        env.add_filter("duration", |ms: i64| -> String {
            let s = ms.max(0) / 1000;
            match s {
                0..60 => format!("{s} s"),
                60..3600 => format!("{} min", s / 60),
                3600..86_400 => format!("{} h {} min", s / 3600, s % 3600 / 60),
                _ => format!("{} d {} h", s / 86_400, s % 86_400 / 3600),
            }
        });
        Ok(Views { env })
    }

    /// Renders `name` with `ctx`; a rendering failure is logged and becomes a 500.
    pub fn render(&self, name: &str, ctx: Value) -> Response {
        self.render_status(StatusCode::OK, name, ctx)
    }

    /// Renders with a given status.
    pub fn render_status(&self, status: StatusCode, name: &str, ctx: Value) -> Response {
        match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(html) => (status, Html(html)).into_response(),
            Err(e) => {
                tracing::error!(template = name, error = %e, "render failed");
                (StatusCode::INTERNAL_SERVER_ERROR, "internal error").into_response()
            }
        }
    }
}
