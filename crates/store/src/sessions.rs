//! Signing in: password check with throttling and lock-out, browser sessions, API tokens.

use canhgac_model::{Actor, User};
use sqlx::Row;

use crate::audit::{append, Change};
use crate::users::row_to_user;
use crate::{get_i64, get_str, now_ms, password, Result, Store, StoreError};

/// Failed attempts before an account is locked.
pub const MAX_FAILED_LOGINS: i64 = 5;
/// How long a lock lasts.
pub const LOCK_MS: i64 = 15 * 60 * 1000;
/// How long a session lives.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;

/// A successful sign-in: the cookie secret (returned once, stored hashed), its CSRF token, and the user.
#[derive(Debug, Clone)]
pub struct Login {
    pub token: String,
    pub csrf: String,
    pub user: User,
}

/// What a session or API token resolves to.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    pub actor: Actor,
    pub user: User,
    /// The session's CSRF token (empty for API tokens, which are not sent by browsers automatically).
    pub csrf: String,
}

fn actor_of(user: &User) -> Actor {
    Actor {
        user_id: user.id,
        unit_id: user.unit_id,
        role: user.role,
    }
}

impl Store {
    /// Checks a username and password. Five failures lock the account for 15 minutes; the answer never says which
    /// part was wrong or that the account is locked.
    pub async fn login(&self, username: &str, pw: &str) -> Result<Login> {
        let username = username.trim().to_lowercase();
        let row = sqlx::query("SELECT * FROM users WHERE username = $1")
            .bind(username.clone())
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else {
            // Spend the same time as a real check, so timing does not reveal which usernames exist.
            password::dummy_verify(pw);
            return Err(StoreError::LoginRefused);
        };
        let user = row_to_user(&row)?;
        let now = now_ms();
        let locked = get_i64(&row, "locked_until")? > now;
        let ok = !locked && user.active && password::verify(pw, &get_str(&row, "password_hash")?);
        let mut w = self.begin_write().await?;
        if !ok {
            if !locked {
                let failed = get_i64(&row, "failed_logins")? + 1;
                let until = if failed >= MAX_FAILED_LOGINS {
                    now + LOCK_MS
                } else {
                    0
                };
                sqlx::query("UPDATE users SET failed_logins = $1, locked_until = $2 WHERE id = $3")
                    .bind(if until > 0 { 0 } else { failed })
                    .bind(until)
                    .bind(user.id.0)
                    .execute(&mut *w.tx)
                    .await?;
                if until > 0 {
                    let change = Change::new("lock", "user", user.id.to_string()).unit(user.unit_id);
                    append(&mut w, None, change).await?;
                }
            }
            w.commit().await?;
            return Err(StoreError::LoginRefused);
        }
        sqlx::query("UPDATE users SET failed_logins = 0, locked_until = 0 WHERE id = $1")
            .bind(user.id.0)
            .execute(&mut *w.tx)
            .await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1")
            .bind(now)
            .execute(&mut *w.tx)
            .await?;
        let token = password::secret();
        let csrf = password::secret();
        sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(password::digest(&token))
            .bind(user.id.0)
            .bind(csrf.clone())
            .bind(now)
            .bind(now + SESSION_MS)
            .execute(&mut *w.tx)
            .await?;
        let actor = actor_of(&user);
        append(
            &mut w,
            Some(&actor),
            Change::new("login", "session", user.id.to_string()).unit(user.unit_id),
        )
        .await?;
        w.commit().await?;
        Ok(Login { token, csrf, user })
    }

    /// Resolves a session cookie.
    pub async fn session(&self, token: &str) -> Result<Option<SessionInfo>> {
        let row = sqlx::query(
            "SELECT u.*, s.csrf AS s_csrf, s.expires_at AS s_expires FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1",
        )
        .bind(password::digest(token))
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let user = row_to_user(&row)?;
        if !user.active || get_i64(&row, "s_expires")? < now_ms() {
            return Ok(None);
        }
        Ok(Some(SessionInfo {
            actor: actor_of(&user),
            user,
            csrf: row.try_get::<String, _>("s_csrf")?,
        }))
    }

    /// Ends a session.
    pub async fn logout(&self, token: &str) -> Result<()> {
        let mut w = self.begin_write().await?;
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(password::digest(token))
            .execute(&mut *w.tx)
            .await?;
        w.commit().await
    }

    /// Creates an API token for the actor, scoped exactly like the actor. Returned once; stored hashed.
    pub async fn create_api_token(&self, actor: &Actor, name: &str) -> Result<(i64, String)> {
        let secret = format!("cg_{}", password::secret());
        let name: String = name.trim().chars().take(100).collect();
        let mut w = self.begin_write().await?;
        let id = get_i64(
            &sqlx::query("INSERT INTO api_tokens (user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) RETURNING id")
                .bind(actor.user_id.0)
                .bind(name.clone())
                .bind(password::digest(&secret))
                .bind(now_ms())
                .fetch_one(&mut *w.tx)
                .await?,
            "id",
        )?;
        let change = Change::new("create", "api_token", id.to_string())
            .unit(actor.unit_id)
            .after(&serde_json::json!({ "name": name }));
        append(&mut w, Some(actor), change).await?;
        w.commit().await?;
        Ok((id, secret))
    }

    /// Resolves an API token.
    pub async fn api_token(&self, secret: &str) -> Result<Option<SessionInfo>> {
        let row = sqlx::query("SELECT u.* FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked = 0")
            .bind(password::digest(secret))
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let user = row_to_user(&row)?;
        if !user.active {
            return Ok(None);
        }
        Ok(Some(SessionInfo {
            actor: actor_of(&user),
            user,
            csrf: String::new(),
        }))
    }
}
