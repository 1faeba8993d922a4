//! Errors of handlers: one type for pages (rendered in the user's language) and one for the API (JSON bodies).
//! 4xx carry a safe message; 5xx a generic one, the cause logged.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use canhgac_model::FieldError;
use canhgac_store::StoreError;

/// Start-up errors (translations, templates).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error("translation file {file}: {reason}")]
    Locale { file: String, reason: String },
    #[error("template {name}: {reason}")]
    Template { name: String, reason: String },
}

/// An API error: a status and a consistent JSON body `{"error": {"code", "message", "fields"}}`.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub fields: Vec<FieldError>,
}

impl ApiError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        ApiError {
            status,
            code,
            message: message.into(),
            fields: Vec::new(),
        }
    }
    pub fn bad_request(message: impl Into<String>) -> Self {
        ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::new(StatusCode::NOT_FOUND, "not_found", "not found"),
            StoreError::Forbidden => ApiError::new(StatusCode::FORBIDDEN, "forbidden", "not allowed"),
            StoreError::Conflict(what) => {
                ApiError::new(StatusCode::CONFLICT, "conflict", format!("conflict on {what}"))
            }
            StoreError::Invalid(inv) => ApiError {
                status: StatusCode::UNPROCESSABLE_ENTITY,
                code: "invalid",
                message: "invalid input".into(),
                fields: inv.0,
            },
            StoreError::LoginRefused => {
                ApiError::new(StatusCode::UNAUTHORIZED, "unauthorized", "sign-in refused")
            }
            other => {
                tracing::error!(error = %other, "store error");
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "internal error")
            }
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::json!({
            "error": { "code": self.code, "message": self.message, "fields": self.fields }
        });
        (self.status, Json(body)).into_response()
    }
}
