//! Notifications: a new alert at or above its unit's threshold goes to whoever is on duty in that unit — by e-mail
//! (SMTP), to the unit's webhook (JSON) and to its Telegram chat — and an alert still new after the unit's delay is
//! escalated to the unit's administrators. The store says what is due and records every attempt; a failed channel
//! is recorded with its error and does not hold the others back.
//!
//! Messages carry both languages, Vietnamese first; their words come from the caller ([`Texts`]), i.e. the
//! console's translation files.

use std::time::Duration;

use canhgac_model::Millis;
use canhgac_store::{Delivery, DueNotification, NotifyKind, Store, StoreError};
use lettre::message::Mailbox;
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use serde_json::json;

/// What can stop the notifier from starting.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    #[error("SMTP server URL {url:?}: {reason}")]
    Smtp { url: String, reason: String },
    #[error("sender address {0:?} is not an e-mail address")]
    From(String),
    #[error("HTTP client: {0}")]
    Http(String),
}

/// The words of a message in one language (from the translation files).
#[derive(Debug, Clone, Default)]
pub struct Words {
    /// "New alert" / "Cảnh báo mới".
    pub new_alert: String,
    /// "Not acknowledged after {minutes} minutes" — `{minutes}` is replaced.
    pub escalation: String,
    pub severity: String,
    pub host: String,
    pub unit: String,
    pub count: String,
    /// "Nobody is on duty now; sent to the unit's administrators."
    pub nobody_on_duty: String,
    pub open: String,
    /// Severity names by rank (informational … critical).
    pub severities: [String; 5],
}

/// Both languages of the messages.
#[derive(Debug, Clone, Default)]
pub struct Texts {
    pub vi: Words,
    pub en: Words,
}

/// Where and how to deliver.
#[derive(Debug, Clone, Default)]
pub struct NotifyConfig {
    /// `smtp://host:port` (plain, or STARTTLS when offered), `smtps://host:port` (TLS); credentials as
    /// `smtp://user:password@host`.
    pub smtp_url: Option<String>,
    /// The sender, e.g. `canhgac <canhgac@soyte.example.vn>`.
    pub smtp_from: String,
    /// The Telegram Bot API base (`https://api.telegram.org`, or a local relay) and the bot's token.
    pub telegram_api: String,
    pub telegram_token: Option<String>,
    /// The console's address, for links in messages.
    pub console_url: String,
}

/// Delivers due notifications.
pub struct Notifier {
    config: NotifyConfig,
    texts: Texts,
    smtp: Option<(AsyncSmtpTransport<Tokio1Executor>, Mailbox)>,
    http: reqwest::Client,
}

impl std::fmt::Debug for Notifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Notifier")
            .field("smtp", &self.config.smtp_url.is_some())
            .field("telegram", &self.config.telegram_token.is_some())
            .finish()
    }
}

fn line(w: &Words, due: &DueNotification) -> String {
    let sev = w
        .severities
        .get(due.severity.rank() as usize)
        .cloned()
        .unwrap_or_default();
    let head = match due.kind {
        NotifyKind::New => w.new_alert.clone(),
        NotifyKind::Escalation => w
            .escalation
            .replace("{minutes}", &due.settings.escalate_after_min.to_string()),
    };
    let mut text = format!(
        "{head}: {title}\n{sev_label}: {sev} · {host_label}: {host} · {unit_label}: {unit} · {count_label}: {count}",
        title = due.title,
        sev_label = w.severity,
        host_label = w.host,
        host = due.host,
        unit_label = w.unit,
        unit = due.unit_name,
        count_label = w.count,
        count = due.count,
    );
    if due.nobody_on_duty {
        text.push('\n');
        text.push_str(&w.nobody_on_duty);
    }
    text
}

impl Notifier {
    /// A notifier; channels without settings are skipped.
    pub fn new(config: NotifyConfig, texts: Texts) -> Result<Notifier, ConfigError> {
        let smtp = match &config.smtp_url {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .map_err(|e| ConfigError::Smtp {
                        url: url.clone(),
                        reason: e.to_string(),
                    })?
                    .timeout(Some(Duration::from_secs(20)))
                    .build();
                let from: Mailbox = config
                    .smtp_from
                    .parse()
                    .map_err(|_| ConfigError::From(config.smtp_from.clone()))?;
                Some((transport, from))
            }
            None => None,
        };
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(15))
            .build()
            .map_err(|e| ConfigError::Http(e.to_string()))?;
        Ok(Notifier {
            config,
            texts,
            smtp,
            http,
        })
    }

    /// The message text in both languages, and its subject.
    pub fn compose(&self, due: &DueNotification) -> (String, String) {
        let link = format!(
            "{}/alerts/{}",
            self.config.console_url.trim_end_matches('/'),
            due.alert_id
        );
        let subject = format!(
            "[canhgac] {} — {} — {}",
            self.texts
                .vi
                .severities
                .get(due.severity.rank() as usize)
                .cloned()
                .unwrap_or_default(),
            due.title,
            due.host
        );
        let body = format!(
            "{}\n{}: {link}\n\n— English —\n{}\n{}: {link}\n",
            line(&self.texts.vi, due),
            self.texts.vi.open,
            line(&self.texts.en, due),
            self.texts.en.open
        );
        (subject, body)
    }

    async fn email(&self, to: &str, name: &str, subject: &str, body: &str) -> Result<(), String> {
        let Some((transport, from)) = &self.smtp else {
            return Err("no SMTP server configured".into());
        };
        let to: Mailbox = format!("{name} <{to}>")
            .parse()
            .or_else(|_| to.parse())
            .map_err(|e| format!("address {to:?}: {e}"))?;
        let message = Message::builder()
            .from(from.clone())
            .to(to)
            .subject(subject)
            .body(body.to_string())
            .map_err(|e| e.to_string())?;
        transport
            .send(message)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string())
    }

    async fn post_json(&self, url: &str, doc: &serde_json::Value) -> Result<(), String> {
        let r = self
            .http
            .post(url)
            .json(doc)
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if r.status().is_success() {
            Ok(())
        } else {
            Err(format!("HTTP {}", r.status()))
        }
    }

    /// Delivers one due notification on every configured channel; returns each attempt.
    pub async fn deliver(&self, due: &DueNotification) -> Vec<Delivery> {
        let (subject, body) = self.compose(due);
        let mut out = Vec::new();
        let mut record = |channel: &str, recipient: &str, r: Result<(), String>| {
            if let Err(e) = &r {
                tracing::warn!(alert = due.alert_id, channel, recipient, error = %e, "notification not delivered");
            }
            out.push(Delivery {
                channel: channel.into(),
                recipient: recipient.into(),
                ok: r.is_ok(),
                error: r.err().unwrap_or_default(),
            });
        };
        if self.smtp.is_some() {
            for person in &due.recipients {
                if person.email.trim().is_empty() {
                    record(
                        "email",
                        &person.name,
                        Err("no e-mail address on the account".into()),
                    );
                    continue;
                }
                let r = self.email(&person.email, &person.name, &subject, &body).await;
                record("email", &person.email, r);
            }
        }
        let s = &due.settings;
        if !s.webhook_url.is_empty() {
            let doc = json!({
                "kind": due.kind, "alert_id": due.alert_id, "unit_id": due.unit_id.0, "unit": due.unit_name,
                "title": due.title, "severity": due.severity, "host": due.host, "count": due.count,
                "created_at": due.created_at, "recipients": due.recipients, "nobody_on_duty": due.nobody_on_duty,
                "url": format!("{}/alerts/{}", self.config.console_url.trim_end_matches('/'), due.alert_id),
                "text": body,
            });
            let r = self.post_json(&s.webhook_url, &doc).await;
            record("webhook", &s.webhook_url, r);
        }
        if !s.telegram_chat_id.is_empty() {
            let r = match &self.config.telegram_token {
                Some(token) => {
                    let url = format!(
                        "{}/bot{token}/sendMessage",
                        self.config.telegram_api.trim_end_matches('/')
                    );
                    self.post_json(
                        &url,
                        &json!({ "chat_id": s.telegram_chat_id, "text": format!("{subject}\n\n{body}") }),
                    )
                    .await
                }
                None => Err("no Telegram bot token configured on the server".into()),
            };
            record("telegram", &s.telegram_chat_id, r);
        }
        out
    }

    /// Delivers everything due at `now`; returns how many notifications went out.
    pub async fn step(&self, store: &Store, now: Millis) -> Result<usize, StoreError> {
        let due = store.due_notifications(now).await?;
        for d in &due {
            let deliveries = self.deliver(d).await;
            store.record_notification(d, &deliveries).await?;
        }
        Ok(due.len())
    }

    /// Runs for ever: at once when an alert changes, and every few seconds for escalations.
    pub async fn run(self, store: Store) {
        let mut changes = store.subscribe_alerts();
        loop {
            if let Err(e) = self.step(&store, canhgac_store::now_ms()).await {
                tracing::error!(error = %e, "notification step failed");
            }
            let _ = tokio::time::timeout(Duration::from_secs(5), changes.recv()).await;
        }
    }
}
