//! National warnings (a letter of the Authority of Information Security: number, date, issuer, CVE list, affected
//! products, deadline), typed in a form or imported from CSV/XLSX with Vietnamese or English headers: one row per
//! warning with its CVEs separated by `,` `;` or spaces, or one row per CVE repeating the number. Bad lines are
//! reported by line and field; good rows are kept.

use std::collections::BTreeMap;

use canhgac_ioc::text::fold;
use canhgac_model::{Actor, FieldError, Invalid, Millis};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;

use super::invalid;
use crate::audit::{append, Change};
use crate::{get_i64, get_str, now_ms, Result, Store, StoreError};

/// A warning as typed or read from one row.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct WarningInput {
    /// "1664/CATTT-NCSC".
    pub number: String,
    /// Issue date, `dd/mm/yyyy` or `yyyy-mm-dd`.
    pub issued_on: String,
    pub issuer: String,
    pub title: String,
    /// Deadline, same formats.
    pub deadline: String,
    /// CVE ids separated by `,` `;` or spaces.
    pub cves: String,
    pub products: String,
}

/// A stored national warning.
#[derive(Debug, Clone, Serialize)]
pub struct NationalWarning {
    pub id: i64,
    pub number: String,
    /// ISO date (`2023-07-14`), empty when not given.
    pub issued_on: String,
    pub issuer: String,
    pub title: String,
    pub deadline: String,
    pub cves: Vec<String>,
    pub products: String,
    pub created_at: Millis,
}

/// A refused line of an imported file.
#[derive(Debug, Clone, Serialize)]
pub struct RowError {
    pub line: usize,
    pub field: String,
    /// Translation key.
    pub code: String,
    pub value: String,
}

/// What an import did.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WarningImport {
    /// Warnings created.
    pub created: usize,
    /// Existing warnings whose CVE list grew or details changed.
    pub updated: usize,
    pub rejected: Vec<RowError>,
}

/// Every warning, newest first.
pub(crate) const WARNINGS_SQL: &str = "SELECT * FROM vuln_warnings ORDER BY issued_on DESC, id DESC";

/// A validated warning.
struct Valid {
    number: String,
    issued_on: String,
    issuer: String,
    title: String,
    deadline: String,
    cves: Vec<String>,
    products: String,
}

/// `CVE-YYYY-NNNN…` upper-cased, or `None`.
pub(crate) fn normalize_cve(text: &str) -> Option<String> {
    let t = text.trim().to_ascii_uppercase();
    let rest = t.strip_prefix("CVE-")?;
    let (year, num) = rest.split_once('-')?;
    let ok = year.len() == 4
        && year.bytes().all(|b| b.is_ascii_digit())
        && num.len() >= 4
        && num.len() <= 9
        && num.bytes().all(|b| b.is_ascii_digit());
    ok.then_some(t)
}

/// A date as ISO text: `dd/mm/yyyy`, `d-m-yyyy`, `yyyy-mm-dd`, or an Excel serial day number.
fn parse_date(text: &str) -> Option<String> {
    let t = text.trim();
    let fmt = |d: chrono::NaiveDate| d.format("%Y-%m-%d").to_string();
    for f in ["%d/%m/%Y", "%d-%m-%Y", "%d.%m.%Y", "%Y-%m-%d", "%Y/%m/%d"] {
        if let Ok(d) = chrono::NaiveDate::parse_from_str(t, f) {
            return Some(fmt(d));
        }
    }
    if let Some(d) = t
        .get(..10)
        .and_then(|p| chrono::NaiveDate::parse_from_str(p, "%Y-%m-%d").ok())
    {
        return Some(fmt(d));
    }
    let serial: f64 = t.parse().ok()?;
    if !(1.0..=2_958_465.0).contains(&serial) {
        return None;
    }
    let base = chrono::NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_days(chrono::Days::new(serial as u64)).map(fmt)
}

fn split_cves(text: &str) -> (Vec<String>, Vec<String>) {
    let mut good = Vec::new();
    let mut bad = Vec::new();
    for token in text
        .split([',', ';', ' ', '\n', '\t', '\r'])
        .filter(|t| !t.trim().is_empty())
    {
        match normalize_cve(token) {
            Some(c) if !good.contains(&c) => good.push(c),
            Some(_) => {}
            None => bad.push(token.trim().to_string()),
        }
    }
    (good, bad)
}

fn validate(input: &WarningInput) -> std::result::Result<Valid, Vec<FieldError>> {
    let mut errors = Vec::new();
    let number = input.number.trim().to_string();
    if number.is_empty() {
        errors.push(FieldError::new("number", "err.required"));
    } else if number.chars().count() > 100 {
        errors.push(FieldError::new("number", "err.too_long"));
    }
    let mut date = |field: &str, text: &str| -> String {
        if text.trim().is_empty() {
            return String::new();
        }
        parse_date(text).unwrap_or_else(|| {
            errors.push(FieldError::new(field, "err.date_invalid").with_value(text));
            String::new()
        })
    };
    let issued_on = date("issued_on", &input.issued_on);
    let deadline = date("deadline", &input.deadline);
    let (cves, bad) = split_cves(&input.cves);
    for b in bad {
        errors.push(FieldError::new("cves", "err.cve_invalid").with_value(&b));
    }
    if cves.is_empty() && errors.iter().all(|e| e.field != "cves") {
        errors.push(FieldError::new("cves", "err.required"));
    }
    let text = |s: &str| s.trim().chars().take(2000).collect::<String>();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Valid {
        number,
        issued_on,
        issuer: text(&input.issuer),
        title: text(&input.title),
        deadline,
        cves,
        products: text(&input.products),
    })
}

pub(crate) fn row_to_warning(r: &AnyRow) -> Result<NationalWarning> {
    Ok(NationalWarning {
        id: get_i64(r, "id")?,
        number: get_str(r, "number")?,
        issued_on: get_str(r, "issued_on")?,
        issuer: get_str(r, "issuer")?,
        title: get_str(r, "title")?,
        deadline: get_str(r, "deadline")?,
        cves: get_str(r, "cves")?
            .split_whitespace()
            .map(str::to_owned)
            .collect(),
        products: get_str(r, "products")?,
        created_at: get_i64(r, "created_at")?,
    })
}

/// Which column a header names.
fn column_of(header: &str) -> Option<&'static str> {
    let h = fold(header);
    let is = |words: &[&str]| words.iter().any(|w| h == *w);
    let has = |words: &[&str]| words.iter().any(|w| h.contains(w));
    if is(&[
        "so",
        "so hieu",
        "so van ban",
        "so hieu van ban",
        "so cong van",
        "so canh bao",
        "number",
        "no",
        "ref",
        "reference",
        "warning",
    ]) {
        Some("number")
    } else if has(&["cve"]) {
        Some("cves")
    } else if h.split(' ').any(|w| w == "han") || has(&["deadline", "due"]) {
        Some("deadline")
    } else if has(&["ngay", "date", "issued on"]) {
        Some("issued_on")
    } else if has(&[
        "co quan",
        "don vi ban hanh",
        "noi ban hanh",
        "issuer",
        "issued by",
    ]) {
        Some("issuer")
    } else if has(&["tieu de", "trich yeu", "ten canh bao", "title", "subject"]) {
        Some("title")
    } else if has(&["san pham", "product"]) {
        Some("products")
    } else {
        None
    }
}

impl Store {
    /// Creates a national warning (the Department), or adds CVEs and details to the one with the same number.
    pub async fn create_warning(&self, actor: &Actor, input: &WarningInput) -> Result<NationalWarning> {
        if !actor.is_dept_admin() {
            return Err(StoreError::Forbidden);
        }
        let v = validate(input).map_err(|e| StoreError::Invalid(Invalid(e)))?;
        let mut w = self.begin_write().await?;
        let id = self.upsert_warning(&mut w, actor, &v).await?.0;
        w.commit().await?;
        self.warning(actor, id).await
    }

    /// Imports warnings from a CSV or XLSX file (the Department). Rows with the same number form one warning.
    /// A file without a recognisable header is refused; bad rows are reported and the good ones kept.
    pub async fn import_warnings(
        &self,
        actor: &Actor,
        file_name: &str,
        bytes: &[u8],
    ) -> Result<WarningImport> {
        if !actor.is_dept_admin() {
            return Err(StoreError::Forbidden);
        }
        let options = canhgac_tabular::Options {
            max_rows: Some(100_000),
            ..Default::default()
        };
        let grid = canhgac_tabular::read(file_name, bytes, &options).map_err(|e| {
            StoreError::Invalid(Invalid(vec![
                FieldError::new("file", "err.file_unreadable").with_value(&e.to_string())
            ]))
        })?;
        let header_at = grid
            .find_header(20, |cells| {
                let cols: Vec<_> = cells.iter().filter_map(|c| column_of(c)).collect();
                cols.contains(&"number") && cols.contains(&"cves")
            })
            .ok_or_else(|| invalid("file", "err.warning_header"))?;
        let columns: Vec<Option<&str>> = grid.rows[header_at].cells.iter().map(|c| column_of(c)).collect();
        let mut report = WarningImport::default();
        let mut merged: BTreeMap<String, (usize, WarningInput)> = BTreeMap::new();
        for row in grid.rows.iter().skip(header_at + 1).filter(|r| !r.is_blank()) {
            let mut input = WarningInput::default();
            for (cell, col) in row.cells.iter().zip(&columns) {
                let slot = match col {
                    Some("number") => &mut input.number,
                    Some("issued_on") => &mut input.issued_on,
                    Some("issuer") => &mut input.issuer,
                    Some("title") => &mut input.title,
                    Some("deadline") => &mut input.deadline,
                    Some("cves") => &mut input.cves,
                    Some("products") => &mut input.products,
                    _ => continue,
                };
                if slot.is_empty() {
                    *slot = cell.trim().to_string();
                }
            }
            if let Err(errors) = validate(&input) {
                report.rejected.extend(errors.into_iter().map(|e| RowError {
                    line: row.line,
                    field: e.field,
                    code: e.code,
                    value: e.value.unwrap_or_default(),
                }));
                continue;
            }
            let entry = merged
                .entry(input.number.trim().to_string())
                .or_insert_with(|| (row.line, WarningInput::default()));
            let m = &mut entry.1;
            m.cves = format!("{} {}", m.cves, input.cves);
            for (to, from) in [
                (&mut m.number, input.number),
                (&mut m.issued_on, input.issued_on),
                (&mut m.issuer, input.issuer),
                (&mut m.title, input.title),
                (&mut m.deadline, input.deadline),
            ] {
                if to.is_empty() {
                    *to = from;
                }
            }
            if !input.products.trim().is_empty() && !m.products.contains(input.products.trim()) {
                m.products = [m.products.trim(), input.products.trim()]
                    .iter()
                    .filter(|s| !s.is_empty())
                    .copied()
                    .collect::<Vec<_>>()
                    .join("; ");
            }
        }
        if merged.is_empty() {
            return Ok(report);
        }
        let mut w = self.begin_write().await?;
        for (line, input) in merged.values() {
            match validate(input) {
                Ok(v) => {
                    if self.upsert_warning(&mut w, actor, &v).await?.1 {
                        report.created += 1;
                    } else {
                        report.updated += 1;
                    }
                }
                Err(errors) => report.rejected.extend(errors.into_iter().map(|e| RowError {
                    line: *line,
                    field: e.field,
                    code: e.code,
                    value: e.value.unwrap_or_default(),
                })),
            }
        }
        w.commit().await?;
        Ok(report)
    }

    /// Inserts or merges into the warning with the same number; audited. Returns (id, created).
    async fn upsert_warning(
        &self,
        w: &mut crate::WriteTx<'_>,
        actor: &Actor,
        v: &Valid,
    ) -> Result<(i64, bool)> {
        let existing = sqlx::query("SELECT * FROM vuln_warnings WHERE number = $1")
            .bind(v.number.clone())
            .fetch_optional(&mut *w.tx)
            .await?;
        let now = now_ms();
        if let Some(r) = existing {
            let before = row_to_warning(&r)?;
            let mut cves = before.cves.clone();
            for c in &v.cves {
                if !cves.contains(c) {
                    cves.push(c.clone());
                }
            }
            let pick = |new: &str, old: &str| {
                if new.is_empty() {
                    old.to_string()
                } else {
                    new.to_string()
                }
            };
            let after = serde_json::json!({
                "number": v.number, "issued_on": pick(&v.issued_on, &before.issued_on),
                "issuer": pick(&v.issuer, &before.issuer), "title": pick(&v.title, &before.title),
                "deadline": pick(&v.deadline, &before.deadline), "cves": cves,
                "products": pick(&v.products, &before.products),
            });
            sqlx::query(
                "UPDATE vuln_warnings SET issued_on = $1, issuer = $2, title = $3, deadline = $4, cves = $5, \
                 products = $6 WHERE id = $7",
            )
            .bind(pick(&v.issued_on, &before.issued_on))
            .bind(pick(&v.issuer, &before.issuer))
            .bind(pick(&v.title, &before.title))
            .bind(pick(&v.deadline, &before.deadline))
            .bind(cves.join(" "))
            .bind(pick(&v.products, &before.products))
            .bind(before.id)
            .execute(&mut *w.tx)
            .await?;
            let change = Change::new("update", "national_warning", before.id.to_string())
                .before(&before)
                .after(&after);
            append(w, Some(actor), change).await?;
            return Ok((before.id, false));
        }
        let id = get_i64(
            &sqlx::query(
                "INSERT INTO vuln_warnings (number, issued_on, issuer, title, deadline, cves, products, created_at, \
                 created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id",
            )
            .bind(v.number.clone())
            .bind(v.issued_on.clone())
            .bind(v.issuer.clone())
            .bind(v.title.clone())
            .bind(v.deadline.clone())
            .bind(v.cves.join(" "))
            .bind(v.products.clone())
            .bind(now)
            .bind(actor.user_id.0)
            .fetch_one(&mut *w.tx)
            .await?,
            "id",
        )?;
        let change = Change::new("create", "national_warning", id.to_string()).after(&serde_json::json!({
            "number": v.number, "issued_on": v.issued_on, "issuer": v.issuer, "title": v.title,
            "deadline": v.deadline, "cves": v.cves, "products": v.products,
        }));
        append(w, Some(actor), change).await?;
        Ok((id, true))
    }

    /// Every national warning, newest first (signed-in readers; units see how their hosts are exposed to each).
    pub async fn warnings_list(&self) -> Result<Vec<NationalWarning>> {
        let rows = sqlx::query(WARNINGS_SQL).fetch_all(&self.pool).await?;
        rows.iter().map(row_to_warning).collect()
    }

    /// One national warning.
    pub async fn warning(&self, actor: &Actor, id: i64) -> Result<NationalWarning> {
        if actor.scope() == canhgac_model::Scope::Nothing {
            return Err(StoreError::NotFound);
        }
        let r = sqlx::query("SELECT * FROM vuln_warnings WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        row_to_warning(&r)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cves_dates_and_headers() {
        assert_eq!(
            normalize_cve(" cve-2023-29336 ").as_deref(),
            Some("CVE-2023-29336")
        );
        assert_eq!(normalize_cve("CVE-23-1"), None);
        let (good, bad) = split_cves("CVE-2023-1234; cve-2023-5678,CVE-2023-1234 bogus");
        assert_eq!(good, ["CVE-2023-1234", "CVE-2023-5678"]);
        assert_eq!(bad, ["bogus"]);
        assert_eq!(parse_date("14/07/2023").as_deref(), Some("2023-07-14"));
        assert_eq!(parse_date("45121").as_deref(), Some("2023-07-14"));
        assert_eq!(parse_date("31/02/2023"), None);
        assert_eq!(column_of("Số hiệu"), Some("number"));
        assert_eq!(column_of("Danh sách CVE"), Some("cves"));
        assert_eq!(column_of("Hạn khắc phục"), Some("deadline"));
        assert_eq!(column_of("Ngày ban hành"), Some("issued_on"));
        assert_eq!(column_of("Cơ quan ban hành"), Some("issuer"));
        assert_eq!(column_of("Affected products"), Some("products"));
    }
}
