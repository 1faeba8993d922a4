//! Collection and streaming detection — the central monitoring the duty officer watches.
//!
//! ```text
//! syslog UDP/TCP ─┐                         ┌─> events table (durable; the acknowledgement point)
//! POST /api/v1/events (per-source token) ─┴─> Collector: attribute to a unit's source, normalise ─┘
//!                                                    │ (pushes back when detection lags: HTTP 429, TCP reads pause)
//! pipeline: read events after the saved position ─> Detector (Sigma engine + indicator set) ─> alerts and the
//!           new position, in one transaction
//! ```
//!
//! [`normalize`] and [`detect`] are pure; [`collector`], [`syslog`] and [`pipeline`] do the I/O.

pub mod collector;
pub mod detect;
pub mod hot;
pub mod metrics;
pub mod normalize;
pub mod pipeline;
pub mod syslog;

use std::collections::{HashMap, HashSet};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use canhgac_ioc::IndicatorSet;
use canhgac_model::UnitId;
use canhgac_sigma::{load_paths, Engine, LoadOptions, Mapping};
use canhgac_store::{Store, StoreError};

pub use collector::{Accepted, CollectError, Collector, CollectorConfig, Rejected};
pub use detect::{Correlations, Detector, LiveEvent, SharedDetector};
pub use metrics::{Metrics, SourceCounters};
pub use pipeline::{Latencies, PipelineConfig};

/// What can stop the collection from starting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StartError {
    #[error("cannot listen for syslog on {proto} {addr}: {source}")]
    Bind {
        proto: &'static str,
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("syslog over TLS needs the server's certificate and key (--tls-cert, --tls-key)")]
    NoCertificate,
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Collection settings (from `serve`'s options).
#[derive(Debug, Clone, Default)]
pub struct IngestConfig {
    pub collector: CollectorConfig,
    pub pipeline: PipelineConfig,
    pub syslog_udp: Vec<SocketAddr>,
    pub syslog_tcp: Vec<SocketAddr>,
    pub syslog_tls: Vec<SocketAddr>,
    /// The server's certificate and key for `syslog_tls`.
    pub tls: Option<Arc<tokio_rustls::rustls::ServerConfig>>,
    /// Sigma rule files or folders.
    pub rules: Vec<PathBuf>,
    /// Collect without running detection (a backlog builds up; used to test pushback).
    pub detection_off: bool,
}

/// A running collection: what the HTTP layer needs to accept events, show counters and reload the detector.
#[derive(Debug, Clone)]
pub struct Ingest {
    pub collector: Arc<Collector>,
    pub detector: SharedDetector,
    pub latencies: Arc<Latencies>,
    pub rules: Vec<PathBuf>,
    /// Addresses the syslog listeners are bound to (useful when asked for port 0).
    pub syslog_udp: Vec<SocketAddr>,
    pub syslog_tcp: Vec<SocketAddr>,
    pub syslog_tls: Vec<SocketAddr>,
}

/// What a detector build found.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct DetectorReport {
    pub rules_loaded: usize,
    /// Every rule that did not load or compile, with its file and reason.
    pub rule_errors: Vec<String>,
    pub indicator_lists: usize,
    pub indicators: usize,
}

/// Builds a detector from Sigma rule paths and the store's current indicator lists.
pub async fn build_detector(
    store: &Store,
    rules: &[PathBuf],
) -> Result<(Detector, DetectorReport), StoreError> {
    let lists = store.current_indicator_lists().await?;
    let warnings = store.active_warnings(true).await?;
    let custom = store.custom_rules().await?;
    let disabled: HashSet<(Option<UnitId>, String)> = store.disabled_rules().await?.into_iter().collect();
    let rules = rules.to_vec();
    let (sigma, errors, only_for) = tokio::task::spawn_blocking(move || {
        if rules.is_empty() && custom.is_empty() {
            return (None, Vec::new(), HashMap::new());
        }
        let opts = LoadOptions::default();
        let mut report = load_paths(&rules, &opts);
        // A rule a unit wrote runs on that unit's events only.
        let mut only_for = HashMap::new();
        for (unit, name, yaml) in &custom {
            let (r0, c0) = (report.rules.len(), report.correlations.len());
            report.add_str(yaml, &format!("written rule {name}"), &opts);
            if let Some(u) = unit {
                let added = report.rules[r0..]
                    .iter()
                    .map(|r| &r.meta)
                    .chain(report.correlations[c0..].iter().map(|c| &c.meta));
                for meta in added {
                    only_for.insert(meta.id.clone().unwrap_or_else(|| meta.title.clone()), *u);
                }
            }
        }
        let (engine, errors) = Engine::build(report, &Mapping::default());
        (
            Some(engine),
            errors.iter().map(ToString::to_string).collect(),
            only_for,
        )
    })
    .await
    .map_err(|e| StoreError::Config(format!("rule loading failed: {e}")))?;
    let indicator_lists = lists.len();
    let indicators = IndicatorSet::from_lists(lists);
    let report = DetectorReport {
        rules_loaded: sigma.as_ref().map_or(0, Engine::len),
        rule_errors: errors,
        indicator_lists,
        indicators: indicators.len(),
    };
    Ok((
        Detector {
            sigma,
            indicators,
            warnings,
            disabled,
            only_for,
        },
        report,
    ))
}

impl Ingest {
    /// Rebuilds the detector from the rule paths and the current lists and swaps it in; events already in a batch
    /// finish with the old one.
    pub async fn reload(&self) -> Result<DetectorReport, StoreError> {
        let (det, report) = build_detector(&self.collector.store, &self.rules).await?;
        *self
            .detector
            .write()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Arc::new(det);
        tracing::info!(
            rules = report.rules_loaded,
            indicators = report.indicators,
            "detector reloaded"
        );
        Ok(report)
    }
}

/// Starts collection on `store`: binds the syslog listeners, builds the detector, spawns the writer and the
/// pipeline. Tasks run until the runtime stops.
pub async fn start(store: Store, config: IngestConfig) -> Result<Ingest, StartError> {
    let collector = Collector::new(store.clone(), config.collector.clone()).await?;
    let (det, report) = build_detector(&store, &config.rules).await?;
    for e in &report.rule_errors {
        tracing::warn!(error = %e, "Sigma rule not loaded");
    }
    tracing::info!(
        rules = report.rules_loaded,
        skipped = report.rule_errors.len(),
        indicators = report.indicators,
        "detector ready"
    );
    let detector: SharedDetector = Arc::new(std::sync::RwLock::new(Arc::new(det)));
    let latencies = Arc::new(Latencies::default());
    let (tx, rx) = tokio::sync::mpsc::channel(config.collector.syslog_queue.max(1));
    let mut udp_addrs = Vec::new();
    for addr in &config.syslog_udp {
        let socket = tokio::net::UdpSocket::bind(addr)
            .await
            .map_err(|source| StartError::Bind {
                proto: "UDP",
                addr: *addr,
                source,
            })?;
        udp_addrs.push(socket.local_addr().unwrap_or(*addr));
        tokio::spawn(syslog::run_udp(socket, tx.clone(), collector.clone()));
    }
    let mut tcp_addrs = Vec::new();
    for addr in &config.syslog_tcp {
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind {
                proto: "TCP",
                addr: *addr,
                source,
            })?;
        tcp_addrs.push(listener.local_addr().unwrap_or(*addr));
        tokio::spawn(syslog::run_tcp(listener, tx.clone(), collector.clone()));
    }
    let mut tls_addrs = Vec::new();
    for addr in &config.syslog_tls {
        let Some(tls) = config.tls.clone() else {
            return Err(StartError::NoCertificate);
        };
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|source| StartError::Bind {
                proto: "TLS",
                addr: *addr,
                source,
            })?;
        tls_addrs.push(listener.local_addr().unwrap_or(*addr));
        let acceptor = tokio_rustls::TlsAcceptor::from(tls);
        tokio::spawn(syslog::run_tls(listener, acceptor, tx.clone(), collector.clone()));
    }
    drop(tx);
    tokio::spawn(collector.clone().run_syslog_writer(rx));
    if !config.detection_off {
        tokio::spawn(pipeline::run(
            collector.clone(),
            detector.clone(),
            config.pipeline.clone(),
            latencies.clone(),
        ));
    }
    Ok(Ingest {
        collector,
        detector,
        latencies,
        rules: config.rules,
        syslog_udp: udp_addrs,
        syslog_tcp: tcp_addrs,
        syslog_tls: tls_addrs,
    })
}
