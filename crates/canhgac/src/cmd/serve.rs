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
}

/// The effective settings.
struct Settings {
    data_dir: PathBuf,
    listen: SocketAddr,
    database: Option<String>,
    department: String,
    admin: String,
    tls: Option<(PathBuf, PathBuf)>,
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
    let state = canhgac_server::AppState::new(store, s.tls.is_some())?;
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
