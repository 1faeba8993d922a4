//! Store errors: not-found and conflict apart from everything else; handlers never look at database text.

use canhgac_model::Invalid;

/// What can go wrong in the store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such record in the actor's scope (also what a foreign unit's record looks like).
    #[error("not found")]
    NotFound,
    /// The actor may see the record but not do this to it.
    #[error("forbidden")]
    Forbidden,
    /// A uniqueness rule was broken (the field it concerns).
    #[error("conflict on {0}")]
    Conflict(String),
    /// The input failed validation.
    #[error(transparent)]
    Invalid(#[from] Invalid),
    /// Wrong username or password, or a locked account (kept vague on purpose).
    #[error("sign-in refused")]
    LoginRefused,
    /// Configuration (URL, paths).
    #[error("{0}")]
    Config(String),
    /// Stored data that does not decode.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    /// Password hashing failed.
    #[error("password hashing: {0}")]
    Hash(String),
    /// The database itself.
    #[error("database: {0}")]
    Db(sqlx::Error),
    /// A migration.
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        if let sqlx::Error::RowNotFound = e {
            return StoreError::NotFound;
        }
        if let Some(db) = e.as_database_error() {
            if db.is_unique_violation() {
                return StoreError::Conflict(db.constraint().unwrap_or("unique").to_string());
            }
        }
        StoreError::Db(e)
    }
}

/// Store result.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;
