//! XLSX exports: a view's exposed hosts and trend, and a unit's patch list (one row per update, and one per host
//! and update so the list can be filtered by host in a spreadsheet).

use axum::extract::{Path, Query};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use canhgac_model::UnitId;
use canhgac_store::{PatchItem, VulnViewDetail};
use rust_xlsxwriter::{Format, Workbook, XlsxError};

use crate::auth::Page;
use crate::pages::vulnerabilities::{load_view, ViewQuery};

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The workbook as a download, or the error page.
fn respond(page: &Page, file: &str, book: Result<Vec<u8>, XlsxError>) -> Response {
    match book {
        Ok(bytes) => (
            [
                (header::CONTENT_TYPE, XLSX.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{file}\""),
                ),
            ],
            bytes,
        )
            .into_response(),
        Err(e) => {
            tracing::error!(error = %e, "xlsx export failed");
            page.error(StatusCode::INTERNAL_SERVER_ERROR, "err.internal")
        }
    }
}

/// Writes the translated `keys` in bold across `row`.
fn headings(
    sheet: &mut rust_xlsxwriter::Worksheet,
    row: u32,
    page: &Page,
    keys: &[&str],
) -> Result<(), XlsxError> {
    let bold = Format::new().set_bold();
    for (c, key) in keys.iter().enumerate() {
        sheet.write_string_with_format(row, c as u16, page.t(key), &bold)?;
    }
    Ok(())
}

/// `GET /vulnerabilities/export?key=…`: the view's exposed hosts and trend as an XLSX workbook.
pub async fn view(page: Page, Query(q): Query<ViewQuery>) -> Response {
    let detail = match load_view(&page, &q.key).await {
        Ok(d) => d,
        Err(e) => return page.fail(e),
    };
    respond(&page, "vulnerabilities.xlsx", view_workbook(&page, &detail))
}

/// `GET /vulnerabilities/units/{id}/export`: the unit's patch list as an XLSX workbook, in the page's order.
pub async fn patches(page: Page, Path(id): Path<i64>) -> Response {
    let store = &page.state.store;
    let loaded = async {
        Ok::<_, canhgac_store::StoreError>((
            store.unit(&page.actor, UnitId(id)).await?,
            store.patch_list(&page.actor, UnitId(id)).await?,
        ))
    };
    match loaded.await {
        Ok((unit, list)) => {
            let code: String = unit
                .code
                .chars()
                .map(|c| {
                    if c.is_ascii_alphanumeric() || c == '-' {
                        c
                    } else {
                        '_'
                    }
                })
                .collect();
            let file = format!("patches-{code}.xlsx");
            respond(&page, &file, patch_workbook(&page, &unit.name, &list))
        }
        Err(e) => page.fail(e),
    }
}

/// The risk of an update in words: KEV, exploited, severity, internet-facing, the most critical host.
fn risk(page: &Page, p: &PatchItem) -> String {
    let mut parts = Vec::new();
    if p.kev {
        parts.push("KEV".to_string());
    }
    if p.exploited {
        parts.push(page.t("vuln.exploited"));
    }
    parts.push(page.t(&format!("vuln.sev{}", p.severity_rank)));
    if p.internet {
        parts.push(page.t("vuln.internet"));
    }
    parts.push(page.t(&format!("crit.{}", p.top_criticality.as_str())));
    parts.join(" · ")
}

fn patch_workbook(page: &Page, unit: &str, list: &[PatchItem]) -> Result<Vec<u8>, XlsxError> {
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(page.t("vuln.sheet_patches"))?;
    sheet.write_string_with_format(0, 0, format!("{} — {unit}", page.t("vuln.patch_list")), &bold)?;
    headings(
        sheet,
        2,
        page,
        &[
            "vuln.order",
            "vuln.kb",
            "vuln.risk",
            "vuln.cve_count",
            "vuln.cves",
            "vuln.host_count",
            "vuln.hosts",
            "vuln.fixed_package",
        ],
    )?;
    let no_kb = page.t("vuln.no_kb");
    // A Linux finding's fix is a package version, in its own column; its KB cell stays empty.
    fn kb_cell<'a>(p: &'a PatchItem, no_kb: &'a str) -> &'a str {
        match (p.package, p.kb.is_empty()) {
            (true, _) => "",
            (false, true) => no_kb,
            (false, false) => &p.kb,
        }
    }
    fn package_cell(p: &PatchItem) -> &str {
        if p.package {
            &p.kb
        } else {
            ""
        }
    }
    for (i, p) in list.iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_number(r, 0, (i + 1) as f64)?;
        sheet.write_string(r, 1, kb_cell(p, &no_kb))?;
        sheet.write_string(r, 2, risk(page, p))?;
        sheet.write_number(r, 3, p.cves.len() as f64)?;
        sheet.write_string(r, 4, p.cves.join(", "))?;
        sheet.write_number(r, 5, p.hosts.len() as f64)?;
        let hosts: Vec<&str> = p.hosts.iter().map(|(_, h)| h.as_str()).collect();
        sheet.write_string(r, 6, hosts.join(", "))?;
        sheet.write_string(r, 7, package_cell(p))?;
    }
    let by_host = book.add_worksheet();
    by_host.set_name(page.t("vuln.sheet_host_patches"))?;
    headings(
        by_host,
        0,
        page,
        &[
            "asset.hostname",
            "vuln.order",
            "vuln.kb",
            "vuln.risk",
            "vuln.cves",
            "vuln.fixed_package",
        ],
    )?;
    let mut r = 1u32;
    for (i, p) in list.iter().enumerate() {
        for (_, host) in &p.hosts {
            by_host.write_string(r, 0, host)?;
            by_host.write_number(r, 1, (i + 1) as f64)?;
            by_host.write_string(r, 2, kb_cell(p, &no_kb))?;
            by_host.write_string(r, 3, risk(page, p))?;
            by_host.write_string(r, 4, p.cves.join(", "))?;
            by_host.write_string(r, 5, package_cell(p))?;
            r += 1;
        }
    }
    book.save_to_buffer()
}

fn view_workbook(page: &Page, d: &VulnViewDetail) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let sheet = book.add_worksheet();
    sheet.set_name(page.t("vuln.sheet_hosts"))?;
    let title = if d.view.kind == "saved" {
        page.t(&format!("vuln.saved_{}", d.view.name.replace('-', "_")))
    } else {
        format!("{} — {}", d.view.name, d.view.title)
    };
    sheet.write_string_with_format(0, 0, &title, &bold)?;
    headings(
        sheet,
        2,
        page,
        &[
            "alert.unit",
            "asset.hostname",
            "asset.criticality",
            "vuln.cves",
            "vuln.kev",
            "vuln.due",
        ],
    )?;
    for (i, h) in d.hosts.iter().enumerate() {
        let r = 3 + i as u32;
        sheet.write_string(r, 0, &h.unit_code)?;
        sheet.write_string(r, 1, &h.hostname)?;
        sheet.write_string(r, 2, page.t(&format!("crit.{}", h.criticality.as_str())))?;
        sheet.write_string(r, 3, h.cves.join(", "))?;
        sheet.write_string(r, 4, if h.kev { "KEV" } else { "" })?;
        sheet.write_string(r, 5, day_of(h.due_at))?;
    }
    let trend = book.add_worksheet();
    trend.set_name(page.t("vuln.sheet_trend"))?;
    headings(trend, 0, page, &["vuln.day", "vuln.hosts", "vuln.units"])?;
    for (i, p) in d.trend.iter().enumerate() {
        let r = 1 + i as u32;
        trend.write_string(r, 0, &p.day)?;
        trend.write_number(r, 1, p.hosts as f64)?;
        trend.write_number(r, 2, p.units as f64)?;
    }
    book.save_to_buffer()
}

/// A time as a Vietnam-local date.
fn day_of(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms + 7 * 3_600_000)
        .map(|d| d.format("%d/%m/%Y").to_string())
        .unwrap_or_default()
}
