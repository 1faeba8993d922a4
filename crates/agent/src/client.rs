//! Talking to the server. [`Transport`] is what the agent needs from it (enroll, inventory, heartbeat, events);
//! [`HttpClient`] implements it over HTTPS with rustls, trusting a CA file given at enrollment, a pinned server
//! certificate ([`Pin`]) or the system's roots. Plain `http://` is accepted only for a loopback server (tests on one machine).

use std::path::Path;
use std::time::Duration;

use serde::{Deserialize, Serialize};

pub use crate::pin::Pin;
use crate::{Error, Inventory, Result};

/// What the server answers to an enrollment.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Enrollment {
    pub agent_id: i64,
    pub unit_id: i64,
    /// The agent's own credential: bearer token of every later call.
    pub credential: String,
}

/// The server, as the agent uses it.
pub trait Transport {
    /// Exchanges a one-time enrollment token for the agent's credential.
    fn enroll(&self, token: &str, hostname: &str) -> Result<Enrollment>;
    /// Sends the inventory document.
    fn inventory(&self, credential: &str, inventory: &Inventory) -> Result<()>;
    /// Says the agent is alive.
    fn heartbeat(&self, credential: &str) -> Result<()>;
    /// Sends one NDJSON batch of events; `Ok` only once the server stored them.
    fn events(&self, credential: &str, ndjson: &[u8]) -> Result<()>;
}

/// [`Transport`] over HTTP(S).
#[derive(Debug, Clone)]
pub struct HttpClient {
    base: String,
    http: reqwest::blocking::Client,
}

fn is_loopback_http(url: &str) -> bool {
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let host = rest.split('/').next().unwrap_or_default();
    let host = match host.rsplit_once(':') {
        Some((h, port)) if port.chars().all(|c| c.is_ascii_digit()) => h,
        _ => host,
    };
    matches!(host, "127.0.0.1" | "localhost" | "[::1]")
}

/// Trusts only the PEM certificates in `path`.
fn with_ca_file(
    builder: reqwest::blocking::ClientBuilder,
    path: &Path,
) -> Result<reqwest::blocking::ClientBuilder> {
    let pem = std::fs::read(path).map_err(|e| Error::io("reading", path, e))?;
    let certs = reqwest::Certificate::from_pem_bundle(&pem).map_err(|e| Error::Corrupt {
        path: path.to_path_buf(),
        line: 0,
        message: format!("not a PEM certificate bundle: {e}"),
    })?;
    if certs.is_empty() {
        return Err(Error::Corrupt {
            path: path.to_path_buf(),
            line: 0,
            message: "no certificate in the file".into(),
        });
    }
    let mut builder = builder.tls_built_in_root_certs(false);
    for c in certs {
        builder = builder.add_root_certificate(c);
    }
    Ok(builder)
}

/// Which server certificates the client accepts.
#[derive(Debug, Clone, Copy)]
pub enum Trust<'a> {
    /// The system's certificate authorities.
    System,
    /// Only the certificate authorities (or the server certificate) in this PEM file.
    CaFile(&'a Path),
    /// Exactly the certificate with this SHA-256 fingerprint (see [`Pin`]).
    Pin(Pin),
}

impl HttpClient {
    /// A client for the server at `base` (`https://soc.example.vn`), trusting the PEM certificates in `ca_file`
    /// when given, else the system's roots.
    pub fn new(base: &str, ca_file: Option<&Path>) -> Result<Self> {
        Self::with_trust(base, ca_file.map_or(Trust::System, Trust::CaFile))
    }

    /// A client for the server at `base` accepting the certificates `trust` says.
    pub fn with_trust(base: &str, trust: Trust<'_>) -> Result<Self> {
        let base = base.trim().trim_end_matches('/').to_string();
        if !base.starts_with("https://") && !is_loopback_http(&base) {
            return Err(Error::Config {
                name: "server",
                message: format!("{base:?} must start with https:// (plain http only for 127.0.0.1)"),
            });
        }
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(60))
            .user_agent(concat!("canhgac-agent/", env!("CARGO_PKG_VERSION")));
        match trust {
            Trust::System => {}
            Trust::CaFile(path) => builder = with_ca_file(builder, path)?,
            Trust::Pin(pin) => builder = builder.use_preconfigured_tls(crate::pin::client_config(pin)?),
        }
        let http = builder.build().map_err(|e| Error::Config {
            name: "tls",
            message: e.to_string(),
        })?;
        Ok(Self { base, http })
    }

    /// The server's base address.
    pub fn base(&self) -> &str {
        &self.base
    }

    fn send(
        &self,
        path: &str,
        req: reqwest::blocking::RequestBuilder,
    ) -> Result<reqwest::blocking::Response> {
        let url = format!("{}{path}", self.base);
        let resp = req.send().map_err(|e| Error::Unreachable {
            url: url.clone(),
            message: error_chain(&e),
        })?;
        let status = resp.status();
        if status.is_success() {
            return Ok(resp);
        }
        let body = resp.text().unwrap_or_default();
        let message = serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["error"]["message"].as_str().map(str::to_owned))
            .unwrap_or_else(|| body.chars().take(200).collect());
        Err(Error::Refused {
            url,
            status: status.as_u16(),
            message,
        })
    }

    /// POSTs the JSON `body` to `path` with the agent's credential and returns the answer's bytes (2xx only).
    pub fn post_json(&self, path: &str, credential: &str, body: Vec<u8>) -> Result<Vec<u8>> {
        let req = self
            .post(path, credential)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        let resp = self.send(path, req)?;
        resp.bytes().map(|b| b.to_vec()).map_err(|e| Error::Unreachable {
            url: format!("{}{path}", self.base),
            message: format!("reading the answer: {}", error_chain(&e)),
        })
    }

    fn post(&self, path: &str, credential: &str) -> reqwest::blocking::RequestBuilder {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(credential)
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        out.push_str(": ");
        out.push_str(&s.to_string());
        cur = s.source();
    }
    out
}

impl Transport for HttpClient {
    fn enroll(&self, token: &str, hostname: &str) -> Result<Enrollment> {
        let path = "/api/v1/agent/enroll";
        let req = self
            .http
            .post(format!("{}{path}", self.base))
            .json(&serde_json::json!({ "token": token, "hostname": hostname }));
        let resp = self.send(path, req)?;
        resp.json().map_err(|e| Error::Unreachable {
            url: format!("{}{path}", self.base),
            message: format!("unexpected answer: {e}"),
        })
    }

    fn inventory(&self, credential: &str, inventory: &Inventory) -> Result<()> {
        let path = "/api/v1/agent/inventory";
        self.send(path, self.post(path, credential).json(inventory))
            .map(drop)
    }

    fn heartbeat(&self, credential: &str) -> Result<()> {
        let path = "/api/v1/agent/heartbeat";
        self.send(path, self.post(path, credential)).map(drop)
    }

    fn events(&self, credential: &str, ndjson: &[u8]) -> Result<()> {
        let path = "/api/v1/events";
        let req = self
            .post(path, credential)
            .header(reqwest::header::CONTENT_TYPE, "application/x-ndjson")
            .body(ndjson.to_vec());
        self.send(path, req).map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_http_only_for_loopback() {
        assert!(HttpClient::new("http://127.0.0.1:8080", None).is_ok());
        assert!(HttpClient::new("http://localhost:1/", None).is_ok());
        assert!(HttpClient::new("http://10.0.0.5:8080", None).is_err());
        assert!(HttpClient::new("http://127.0.0.1.evil.example", None).is_err());
        assert!(HttpClient::new("https://soc.example.vn", None).is_ok());
    }
}
