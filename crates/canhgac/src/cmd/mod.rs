//! One module per subcommand; each exposes `Args` and `run`.

pub mod admin;
pub mod agent;
pub mod hunt;
pub mod import;
pub mod quarantine;
pub mod scan;
pub mod serve;
pub mod vuln;
