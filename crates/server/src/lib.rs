//! The web console and JSON API (axum).
