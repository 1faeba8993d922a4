//! The JSON API under `/api/v1`: the same operations as the console, authenticated by API tokens scoped like
//! their user, errors as `{"error": {"code", "message", "fields"}}`.

pub mod agents;
pub mod alerts;
pub mod assets;
pub mod botnet;
pub mod contacts;
pub mod duty;
pub mod events;
pub mod misc;
pub mod openapi;
pub mod rules;
pub mod scans;
pub mod units;
pub mod users;
pub mod vulnerabilities;

use axum::extract::rejection::JsonRejection;
use axum::http::StatusCode;

use crate::error::ApiError;

/// A JSON body, with malformed or wrongly-typed bodies reported in the API's error shape (413 kept for oversize).
pub struct Body<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for Body<T>
where
    T: serde::de::DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Body(v)),
            Err(JsonRejection::BytesRejection(e)) => Err(ApiError::new(e.status(), "body", e.body_text())),
            Err(e) => Err(ApiError::new(
                if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                    e.status()
                } else {
                    StatusCode::BAD_REQUEST
                },
                "bad_json",
                e.body_text(),
            )),
        }
    }
}

/// API result.
pub type ApiResult<T> = Result<axum::Json<T>, ApiError>;
