//! Raising detections inside one write transaction, a batch at a time: the pipeline records thousands of
//! detections per batch, most of them repeats of a few rules on a few hosts, so what the database said once for a
//! rule, unit and host (its suppression, its open alert) is remembered for the rest of the batch, event keys are
//! looked up and written many at a time, and each grouped alert is updated once at the end.

use std::collections::{HashMap, HashSet};

use canhgac_model::{Millis, NewAlert};

use crate::alerts::Raised;
use crate::{get_i64, get_str, placeholders, Backend, Result, WriteTx};

/// Keys per `IN (…)` lookup and rows per multi-row INSERT (two parameters each).
const KEY_CHUNK: usize = 400;

/// What the batch learnt of one rule on one host of one unit.
#[derive(Debug, Clone, Copy)]
struct Open {
    id: i64,
    last_seen: Millis,
}

/// Updates of a grouped alert, written once when the batch ends.
#[derive(Debug, Clone, Copy)]
struct Pending {
    count: i64,
    last_seen: Millis,
    severity: i64,
}

type Key = (i64, String, String);

/// Raises `alerts` in order (see `Store::raise_alert` for the rules), returning what each did.
pub(crate) async fn raise_batch(
    w: &mut WriteTx<'_>,
    backend: Backend,
    alerts: &[NewAlert],
    window_ms: Millis,
    now: Millis,
) -> Result<Vec<Raised>> {
    let mut known = known_keys(w, backend, alerts).await?;
    let mut suppressed: HashMap<Key, Option<i64>> = HashMap::new();
    let mut hits: HashMap<i64, i64> = HashMap::new();
    let mut open: HashMap<Key, Open> = HashMap::new();
    let mut pending: HashMap<i64, Pending> = HashMap::new();
    let mut new_keys: Vec<(String, i64)> = Vec::new();
    let mut out = Vec::with_capacity(alerts.len());
    for a in alerts {
        if let Some(id) = a.event_key.as_ref().and_then(|k| known.get(k)) {
            out.push(Raised::Duplicate(*id));
            continue;
        }
        let key: Key = (a.unit_id.0, a.rule_id.clone(), a.host.clone());
        let suppression = match suppressed.get(&key) {
            Some(s) => *s,
            None => {
                let s = suppression_for(w, a, now).await?;
                suppressed.insert(key.clone(), s);
                s
            }
        };
        let raised = if let Some(id) = suppression {
            *hits.entry(id).or_default() += 1;
            Raised::Suppressed(id)
        } else {
            match open.get(&key).copied() {
                Some(o) if o.last_seen >= a.seen_at - window_ms => {
                    group(&mut pending, o.id, a);
                    open.insert(
                        key,
                        Open {
                            id: o.id,
                            last_seen: o.last_seen.max(a.seen_at),
                        },
                    );
                    Raised::Grouped(o.id)
                }
                cached => {
                    // Outside the window of what the batch knows: ask the database, with this batch's updates in.
                    if let Some(o) = cached {
                        flush_one(w, &mut pending, o.id).await?;
                    }
                    let raised = find_or_create(w, a, window_ms, now, &mut pending).await?;
                    let id = raised.alert_id();
                    let last_seen = match (raised, cached) {
                        (Raised::Grouped(_), Some(o)) if o.id == id => o.last_seen.max(a.seen_at),
                        _ => a.seen_at,
                    };
                    open.insert(key, Open { id, last_seen });
                    raised
                }
            }
        };
        if let Some(k) = &a.event_key {
            let id = raised.alert_id();
            known.insert(k.clone(), id);
            new_keys.push((k.clone(), id));
        }
        out.push(raised);
    }
    for (id, n) in hits {
        sqlx::query("UPDATE suppressions SET hits = hits + $1 WHERE id = $2")
            .bind(n)
            .bind(id)
            .execute(&mut *w.tx)
            .await?;
    }
    let ids: Vec<i64> = pending.keys().copied().collect();
    for id in ids {
        flush_one(w, &mut pending, id).await?;
    }
    insert_keys(w, backend, &new_keys).await?;
    Ok(out)
}

fn group(pending: &mut HashMap<i64, Pending>, id: i64, a: &NewAlert) {
    let p = pending.entry(id).or_insert(Pending {
        count: 0,
        last_seen: a.seen_at,
        severity: a.severity.rank(),
    });
    p.count += 1;
    p.last_seen = p.last_seen.max(a.seen_at);
    p.severity = p.severity.max(a.severity.rank());
}

async fn flush_one(w: &mut WriteTx<'_>, pending: &mut HashMap<i64, Pending>, id: i64) -> Result<()> {
    let Some(p) = pending.remove(&id) else {
        return Ok(());
    };
    sqlx::query(
        "UPDATE alerts SET count = count + $1, \
             last_seen = CASE WHEN last_seen > $2 THEN last_seen ELSE $2 END, \
             severity = CASE WHEN severity > $3 THEN severity ELSE $3 END WHERE id = $4",
    )
    .bind(p.count)
    .bind(p.last_seen)
    .bind(p.severity)
    .bind(id)
    .execute(&mut *w.tx)
    .await?;
    Ok(())
}

/// The event keys of `alerts` already recorded, with their alert.
async fn known_keys(
    w: &mut WriteTx<'_>,
    backend: Backend,
    alerts: &[NewAlert],
) -> Result<HashMap<String, i64>> {
    let keys: Vec<&String> = alerts
        .iter()
        .filter_map(|a| a.event_key.as_ref())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut known = HashMap::new();
    for chunk in keys.chunks(KEY_CHUNK) {
        let sql = format!(
            "SELECT event_key, alert_id FROM alert_events WHERE event_key IN ({})",
            placeholders(backend, 0, chunk.len())
        );
        let mut q = sqlx::query(&sql);
        for k in chunk {
            q = q.bind((*k).clone());
        }
        for r in q.fetch_all(&mut *w.tx).await? {
            known.insert(get_str(&r, "event_key")?, get_i64(&r, "alert_id")?);
        }
    }
    Ok(known)
}

async fn insert_keys(w: &mut WriteTx<'_>, backend: Backend, keys: &[(String, i64)]) -> Result<()> {
    for chunk in keys.chunks(KEY_CHUNK) {
        let rows: Vec<String> = (0..chunk.len())
            .map(|i| format!("({})", placeholders(backend, 2 * i, 2)))
            .collect();
        let sql = format!(
            "INSERT INTO alert_events (event_key, alert_id) VALUES {}",
            rows.join(",")
        );
        let mut q = sqlx::query(&sql);
        for (k, id) in chunk {
            q = q.bind(k.clone()).bind(*id);
        }
        q.execute(&mut *w.tx).await?;
    }
    Ok(())
}

async fn suppression_for(w: &mut WriteTx<'_>, a: &NewAlert, now: Millis) -> Result<Option<i64>> {
    let r = sqlx::query(
        "SELECT id FROM suppressions WHERE rule_id = $1 AND (unit_id IS NULL OR unit_id = $2) \
             AND (host = '' OR host = $3) AND (expires_at IS NULL OR expires_at > $4) ORDER BY id LIMIT 1",
    )
    .bind(a.rule_id.clone())
    .bind(a.unit_id.0)
    .bind(a.host.clone())
    .bind(now)
    .fetch_optional(&mut *w.tx)
    .await?;
    r.map(|r| get_i64(&r, "id")).transpose()
}

/// Groups `a` into the newest open alert of its rule and host seen within the window, or creates one.
async fn find_or_create(
    w: &mut WriteTx<'_>,
    a: &NewAlert,
    window_ms: Millis,
    now: Millis,
    pending: &mut HashMap<i64, Pending>,
) -> Result<Raised> {
    let found = sqlx::query(
        "SELECT id FROM alerts WHERE unit_id = $1 AND rule_id = $2 AND host = $3 AND status <> 'closed' \
             AND last_seen >= $4 ORDER BY id DESC LIMIT 1",
    )
    .bind(a.unit_id.0)
    .bind(a.rule_id.clone())
    .bind(a.host.clone())
    .bind(a.seen_at - window_ms)
    .fetch_optional(&mut *w.tx)
    .await?;
    if let Some(r) = found {
        let id = get_i64(&r, "id")?;
        group(pending, id, a);
        return Ok(Raised::Grouped(id));
    }
    let title: String = a.title.chars().take(500).collect();
    let r = sqlx::query(
        "INSERT INTO alerts (unit_id, source, rule_id, title, severity, host, first_seen, last_seen, \
             created_at, details) VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9) RETURNING id",
    )
    .bind(a.unit_id.0)
    .bind(a.source.clone())
    .bind(a.rule_id.clone())
    .bind(title)
    .bind(a.severity.rank())
    .bind(a.host.clone())
    .bind(a.seen_at)
    .bind(now)
    .bind(a.details.to_string())
    .fetch_one(&mut *w.tx)
    .await?;
    Ok(Raised::Created(get_i64(&r, "id")?))
}
