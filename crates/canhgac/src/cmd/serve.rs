//! `canhgac serve`: the console, API and (later) collectors, on the embedded database by default.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context;
use serde::Deserialize;

/// Options of `canhgac serve`. Each may also come from an environment variable or the TOML file given with
/// `--config` (keys as the long option names with `_`); a flag wins over the environment, which wins over the file.
#[derive(Debug, clap::Args)]
pub struct ServeArgs {
    /// Folder of the embedded database and other state [default: ./canhgac-data].
    #[arg(long, env = "CANHGAC_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Address to listen on [default: 127.0.0.1:8080]. Use 0.0.0.0:8080 to serve the network.
    #[arg(long, env = "CANHGAC_LISTEN")]
    listen: Option<SocketAddr>,
    /// Run on PostgreSQL instead of the embedded database, e.g. postgres://user@host/canhgac.
    #[arg(long, env = "CANHGAC_DATABASE")]
    database: Option<String>,
    /// Name of the Department created on first start [default: Sở Y tế].
    #[arg(long, env = "CANHGAC_DEPARTMENT")]
    department: Option<String>,
    /// Username of the first administrator, created on first start [default: admin].
    #[arg(long, env = "CANHGAC_ADMIN")]
    admin: Option<String>,
    /// PEM certificate chain: serve HTTPS (with `--tls-key`); cookies are then marked Secure.
    #[arg(long, env = "CANHGAC_TLS_CERT", requires = "tls_key")]
    tls_cert: Option<PathBuf>,
    /// PEM private key of `--tls-cert`.
    #[arg(long, env = "CANHGAC_TLS_KEY", requires = "tls_cert")]
    tls_key: Option<PathBuf>,
    /// Receive syslog over UDP on this address (e.g. 0.0.0.0:514); may be repeated.
    #[arg(long, value_delimiter = ',', env = "CANHGAC_SYSLOG_UDP")]
    syslog_udp: Vec<SocketAddr>,
    /// Receive syslog over TCP (octet counting or newline framing) on this address; may be repeated.
    #[arg(long, value_delimiter = ',', env = "CANHGAC_SYSLOG_TCP")]
    syslog_tcp: Vec<SocketAddr>,
    /// Receive syslog over TLS (RFC 5425) on this address, with `--tls-cert` and `--tls-key`; may be repeated.
    #[arg(long, value_delimiter = ',', env = "CANHGAC_SYSLOG_TLS")]
    syslog_tls: Vec<SocketAddr>,
    /// Sigma rules (files, folders or zip archives, e.g. a SigmaHQ release or its rules/windows) run on every
    /// collected event.
    #[arg(long, value_delimiter = ',', env = "CANHGAC_RULES")]
    rules: Vec<PathBuf>,
    /// Days events are kept where a unit has not set its own retention [default: 90].
    #[arg(long, env = "CANHGAC_RETENTION_DAYS")]
    retention_days: Option<i64>,
    /// Events stored and not yet through detection before senders are pushed back [default: 200000].
    #[arg(long, env = "CANHGAC_MAX_LAG")]
    max_lag: Option<i64>,
    /// SMTP server for alert e-mail: smtp://host:25 (STARTTLS when offered), smtps://host:465, with
    /// user:password@ when it needs a login.
    #[arg(long, env = "CANHGAC_SMTP_URL")]
    smtp_url: Option<String>,
    /// Sender of alert e-mail [default: canhgac <canhgac@localhost>].
    #[arg(long, env = "CANHGAC_SMTP_FROM")]
    smtp_from: Option<String>,
    /// Telegram bot token for units that set a Telegram chat.
    #[arg(long, env = "CANHGAC_TELEGRAM_TOKEN")]
    telegram_token: Option<String>,
    /// Telegram Bot API address (a relay where the server has no internet) [default: https://api.telegram.org].
    #[arg(long, env = "CANHGAC_TELEGRAM_API")]
    telegram_api: Option<String>,
    /// The console's address as people reach it, for links in notifications [default: http://LISTEN].
    #[arg(long, env = "CANHGAC_PUBLIC_URL")]
    public_url: Option<String>,
    /// Optional TOML file with any of these options.
    #[arg(long, env = "CANHGAC_CONFIG")]
    config: Option<PathBuf>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    data_dir: Option<PathBuf>,
    listen: Option<SocketAddr>,
    database: Option<String>,
    department: Option<String>,
    admin: Option<String>,
    tls_cert: Option<PathBuf>,
    tls_key: Option<PathBuf>,
    #[serde(default)]
    syslog_udp: Vec<SocketAddr>,
    #[serde(default)]
    syslog_tcp: Vec<SocketAddr>,
    #[serde(default)]
    syslog_tls: Vec<SocketAddr>,
    #[serde(default)]
    rules: Vec<PathBuf>,
    retention_days: Option<i64>,
    max_lag: Option<i64>,
    smtp_url: Option<String>,
    smtp_from: Option<String>,
    telegram_token: Option<String>,
    telegram_api: Option<String>,
    public_url: Option<String>,
}

/// The effective settings.
struct Settings {
    data_dir: PathBuf,
    listen: SocketAddr,
    database: Option<String>,
    department: String,
    admin: String,
    tls: Option<(PathBuf, PathBuf)>,
    syslog_udp: Vec<SocketAddr>,
    syslog_tcp: Vec<SocketAddr>,
    syslog_tls: Vec<SocketAddr>,
    rules: Vec<PathBuf>,
    retention_days: i64,
    max_lag: i64,
    notify: canhgac_notify::NotifyConfig,
}

/// A flag's list when given, else the file's.
fn either<T>(flag: Vec<T>, file: Vec<T>) -> Vec<T> {
    if flag.is_empty() {
        file
    } else {
        flag
    }
}

fn settings(args: ServeArgs) -> anyhow::Result<Settings> {
    let file = match &args.config {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .with_context(|| format!("reading config file {}", path.display()))?;
            toml::from_str::<FileConfig>(&text).with_context(|| format!("config file {}", path.display()))?
        }
        None => FileConfig::default(),
    };
    Ok(Settings {
        data_dir: args
            .data_dir
            .or(file.data_dir)
            .unwrap_or_else(|| PathBuf::from("canhgac-data")),
        listen: args
            .listen
            .or(file.listen)
            .unwrap_or_else(|| SocketAddr::from(([127, 0, 0, 1], 8080))),
        database: args.database.or(file.database),
        department: args
            .department
            .or(file.department)
            .unwrap_or_else(|| "Sở Y tế".to_string()),
        admin: args.admin.or(file.admin).unwrap_or_else(|| "admin".to_string()),
        tls: match (args.tls_cert.or(file.tls_cert), args.tls_key.or(file.tls_key)) {
            (Some(c), Some(k)) => Some((c, k)),
            (None, None) => None,
            _ => anyhow::bail!("TLS needs both a certificate (tls_cert) and a key (tls_key)"),
        },
        syslog_udp: either(args.syslog_udp, file.syslog_udp),
        syslog_tcp: either(args.syslog_tcp, file.syslog_tcp),
        syslog_tls: either(args.syslog_tls, file.syslog_tls),
        rules: either(args.rules, file.rules),
        retention_days: args
            .retention_days
            .or(file.retention_days)
            .unwrap_or(90)
            .clamp(1, 3650),
        max_lag: args.max_lag.or(file.max_lag).unwrap_or(200_000).max(1),
        notify: canhgac_notify::NotifyConfig {
            smtp_url: args.smtp_url.or(file.smtp_url),
            smtp_from: args
                .smtp_from
                .or(file.smtp_from)
                .unwrap_or_else(|| "canhgac <canhgac@localhost>".to_string()),
            telegram_api: args
                .telegram_api
                .or(file.telegram_api)
                .unwrap_or_else(|| "https://api.telegram.org".to_string()),
            telegram_token: args.telegram_token.or(file.telegram_token),
            console_url: args.public_url.or(file.public_url).unwrap_or_default(),
        },
    })
}

pub fn run(args: ServeArgs) -> anyhow::Result<ExitCode> {
    let s = settings(args)?;
    let rt = tokio::runtime::Runtime::new().context("starting the async runtime")?;
    rt.block_on(serve(s))?;
    Ok(ExitCode::SUCCESS)
}

async fn serve(s: Settings) -> anyhow::Result<()> {
    let store = match &s.database {
        Some(url) => canhgac_store::Store::open(url)
            .await
            .context("opening the database")?,
        None => canhgac_store::Store::open_data_dir(&s.data_dir)
            .await
            .with_context(|| format!("opening the embedded database in {}", s.data_dir.display()))?,
    };
    if let Some(password) = store
        .bootstrap(&s.department, &s.admin)
        .await
        .context("first-start setup")?
    {
        println!("First start: created the Department and its administrator.");
        println!("  username: {}", s.admin);
        println!("  one-time password: {password}");
        println!("  (shown once; you will be asked to change it at first sign-in)");
    }
    let ingest = start_ingest(&s, store.clone()).await?;
    spawn_retention(store.clone(), s.retention_days);
    spawn_agent_watch(store.clone());
    spawn_scan_schedule(store.clone());
    let state = canhgac_server::AppState::new(store.clone(), s.tls.is_some())?.with_ingest(ingest);
    start_notifier(&s, &state, store)?;
    let app = canhgac_server::app(state);
    match &s.tls {
        None => {
            let listener = tokio::net::TcpListener::bind(s.listen)
                .await
                .with_context(|| format!("listening on {}", s.listen))?;
            let addr = listener.local_addr()?;
            println!("canhgac listening on http://{addr}");
            tracing::info!(%addr, "listening");
            axum::serve(listener, app)
                .with_graceful_shutdown(shutdown())
                .await
                .context("serving")?;
        }
        Some((cert, key)) => serve_tls(app, s.listen, cert, key).await?,
    }
    tracing::info!("stopped");
    Ok(())
}

/// Starts the syslog listeners, the event writer and the detection pipeline.
async fn start_ingest(s: &Settings, store: canhgac_store::Store) -> anyhow::Result<canhgac_ingest::Ingest> {
    let tls = match (&s.tls, s.syslog_tls.is_empty()) {
        (Some((cert, key)), false) => Some(std::sync::Arc::new(syslog_tls_config(cert, key)?)),
        _ => None,
    };
    let config = canhgac_ingest::IngestConfig {
        collector: canhgac_ingest::CollectorConfig {
            max_lag: s.max_lag,
            ..Default::default()
        },
        pipeline: Default::default(),
        syslog_udp: s.syslog_udp.clone(),
        syslog_tcp: s.syslog_tcp.clone(),
        syslog_tls: s.syslog_tls.clone(),
        tls,
        rules: s.rules.clone(),
        detection_off: false,
    };
    let ingest = canhgac_ingest::start(store, config)
        .await
        .context("starting event collection")?;
    for (proto, addrs) in [
        ("udp", &ingest.syslog_udp),
        ("tcp", &ingest.syslog_tcp),
        ("tls", &ingest.syslog_tls),
    ] {
        for addr in addrs {
            println!("canhgac receiving syslog on {proto}://{addr}");
        }
    }
    Ok(ingest)
}

/// The syslog TLS listener's certificate and key (the same files as the console's HTTPS).
fn syslog_tls_config(cert: &Path, key: &Path) -> anyhow::Result<rustls::ServerConfig> {
    use rustls::pki_types::pem::PemObject;
    use rustls::pki_types::{CertificateDer, PrivateKeyDer};
    let _ = rustls::crypto::ring::default_provider().install_default();
    let certs = CertificateDer::pem_file_iter(cert)
        .with_context(|| format!("reading TLS certificate {}", cert.display()))?
        .collect::<Result<Vec<_>, _>>()
        .with_context(|| format!("reading TLS certificate {}", cert.display()))?;
    let key =
        PrivateKeyDer::from_pem_file(key).with_context(|| format!("reading TLS key {}", key.display()))?;
    rustls::ServerConfig::builder()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .context("the TLS certificate and key do not fit together")
}

/// The words of notifications in one language, from the console's translation files.
fn words(i18n: &canhgac_server::i18n::I18n, lang: &str) -> canhgac_notify::Words {
    let t = |k: &str| i18n.t(lang, k).to_string();
    canhgac_notify::Words {
        new_alert: t("notify.new_alert"),
        escalation: t("notify.escalation"),
        severity: t("alert.severity"),
        host: t("alert.host"),
        unit: t("alert.unit"),
        count: t("alert.count"),
        nobody_on_duty: t("notify.nobody_on_duty"),
        open: t("notify.open"),
        severities: canhgac_model::Severity::ALL.map(|s| t(&format!("severity.{}", s.as_str()))),
    }
}

/// Starts sending notifications of new and unacknowledged alerts.
fn start_notifier(
    s: &Settings,
    state: &canhgac_server::AppState,
    store: canhgac_store::Store,
) -> anyhow::Result<()> {
    let mut config = s.notify.clone();
    if config.console_url.is_empty() {
        let scheme = if s.tls.is_some() { "https" } else { "http" };
        config.console_url = format!("{scheme}://{}", s.listen);
    }
    let texts = canhgac_notify::Texts {
        vi: words(&state.i18n, "vi"),
        en: words(&state.i18n, "en"),
    };
    let notifier = canhgac_notify::Notifier::new(config, texts).context("notification settings")?;
    tokio::spawn(notifier.run(store));
    Ok(())
}

/// Raises one alert for each enrolled agent that fell silent (checked every minute).
fn spawn_agent_watch(store: canhgac_store::Store) {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            match store
                .raise_silent_agents(canhgac_store::now_ms(), canhgac_store::DEFAULT_SILENT_AFTER)
                .await
            {
                Ok(raised) => {
                    for (agent, _) in raised {
                        tracing::warn!(agent = agent.id, host = %agent.hostname, "agent fell silent");
                    }
                }
                Err(e) => tracing::error!(error = %e, "checking for silent agents failed"),
            }
        }
    });
}

/// Creates the nightly scan tasks whose hour has come (checked every minute).
fn spawn_scan_schedule(store: canhgac_store::Store) {
    tokio::spawn(async move {
        loop {
            match store.run_scan_schedules(canhgac_store::now_ms()).await {
                Ok(created) if !created.is_empty() => {
                    tracing::info!(tasks = created.len(), "nightly scan tasks created");
                }
                Ok(_) => {}
                Err(e) => tracing::error!(error = %e, "creating nightly scan tasks failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
        }
    });
}

/// Deletes events past their unit's retention, hourly.
fn spawn_retention(store: canhgac_store::Store, default_days: i64) {
    tokio::spawn(async move {
        loop {
            match store
                .purge_events(canhgac_store::now_ms(), default_days, 10_000)
                .await
            {
                Ok(0) => {}
                Ok(n) => tracing::info!(deleted = n, "old events deleted (retention)"),
                Err(e) => tracing::error!(error = %e, "event retention failed"),
            }
            tokio::time::sleep(std::time::Duration::from_secs(3600)).await;
        }
    });
}

async fn serve_tls(app: axum::Router, listen: SocketAddr, cert: &Path, key: &Path) -> anyhow::Result<()> {
    let _ = rustls::crypto::ring::default_provider().install_default();
    let config = axum_server::tls_rustls::RustlsConfig::from_pem_file(cert, key)
        .await
        .with_context(|| {
            format!(
                "reading TLS certificate {} and key {}",
                cert.display(),
                key.display()
            )
        })?;
    let handle = axum_server::Handle::new();
    let waiter = handle.clone();
    tokio::spawn(async move {
        if let Some(addr) = waiter.listening().await {
            println!("canhgac listening on https://{addr}");
            tracing::info!(%addr, "listening (TLS)");
        }
    });
    let stopper = handle.clone();
    tokio::spawn(async move {
        shutdown().await;
        stopper.graceful_shutdown(Some(std::time::Duration::from_secs(10)));
    });
    axum_server::bind_rustls(listen, config)
        .handle(handle)
        .serve(app.into_make_service())
        .await
        .with_context(|| format!("serving HTTPS on {listen}"))
}

async fn shutdown() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
