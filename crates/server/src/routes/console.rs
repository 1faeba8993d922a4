//! The console's routes: server-rendered pages, forms, the live alert stream and static files.

use super::{Access, Table};
use crate::{pages, LIST_LIMIT, UPLOAD_LIMIT};

/// Every page route, in the order the console presents them.
pub(super) fn console(t: Table) -> Table {
    use Access::{Public, Session};
    t.add(
        "GET",
        "/healthz",
        Public,
        "Liveness and database check",
        pages::misc::healthz,
    )
    .add(
        "GET",
        "/static/{file}",
        Public,
        "Embedded static assets",
        pages::misc::static_file,
    )
    .add(
        "GET",
        "/lang/{code}",
        Public,
        "Switch the console language",
        pages::misc::switch_lang,
    )
    .add("GET", "/login", Public, "Sign-in form", pages::login::form)
    .add("POST", "/login", Public, "Sign in", pages::login::submit)
    .add("POST", "/logout", Session, "Sign out", pages::login::logout)
    .add("GET", "/", Session, "Dashboard", pages::dashboard::show)
    .add("GET", "/units", Session, "Units", pages::units::list)
    .add("POST", "/units", Session, "Create a unit", pages::units::create)
    .add("GET", "/units/{id}", Session, "A unit", pages::units::show)
    .add(
        "POST",
        "/units/{id}/monitoring",
        Session,
        "Alert notifications and event retention of a unit",
        pages::units::set_monitoring,
    )
    .add(
        "POST",
        "/units/{id}",
        Session,
        "Edit a unit",
        pages::units::update,
    )
    .add(
        "POST",
        "/units/{id}/ranges",
        Session,
        "Add a public range",
        pages::units::add_range,
    )
    .add(
        "POST",
        "/units/{id}/ranges/{rid}/delete",
        Session,
        "Remove a public range",
        pages::units::delete_range,
    )
    .add("GET", "/users", Session, "Users", pages::users::list)
    .add("POST", "/users", Session, "Create a user", pages::users::create)
    .add(
        "POST",
        "/users/{id}/active",
        Session,
        "Activate or deactivate a user",
        pages::users::set_active,
    )
    .add("GET", "/assets", Session, "Assets", pages::assets::list)
    .add(
        "GET",
        "/assets/new",
        Session,
        "New asset form",
        pages::assets::new_form,
    )
    .add(
        "POST",
        "/assets",
        Session,
        "Create an asset",
        pages::assets::create,
    )
    .add(
        "GET",
        "/assets/import",
        Session,
        "Import form",
        pages::assets::import_form,
    )
    .add_limited(
        "POST",
        "/assets/import",
        Session,
        "Preview an import",
        pages::assets::import_preview,
        UPLOAD_LIMIT,
    )
    .add(
        "POST",
        "/assets/import/confirm",
        Session,
        "Confirm an import",
        pages::assets::import_confirm,
    )
    .add(
        "GET",
        "/assets/{id}",
        Session,
        "An asset",
        pages::assets::edit_form,
    )
    .add(
        "POST",
        "/assets/{id}",
        Session,
        "Edit an asset",
        pages::assets::update,
    )
    .add(
        "POST",
        "/assets/{id}/status",
        Session,
        "Retire or reinstate",
        pages::assets::set_status,
    )
    .add("GET", "/alerts", Session, "Alert queue", pages::alerts::list)
    .add(
        "GET",
        "/alerts/stream",
        Session,
        "Live alert changes (server-sent events)",
        pages::alerts::stream,
    )
    .add("GET", "/alerts/{id}", Session, "An alert", pages::alerts::show)
    .add(
        "POST",
        "/alerts/{id}/claim",
        Session,
        "Claim an alert",
        pages::alerts::claim,
    )
    .add(
        "POST",
        "/alerts/{id}/assign",
        Session,
        "Assign an alert",
        pages::alerts::assign,
    )
    .add(
        "POST",
        "/alerts/{id}/verify",
        Session,
        "Verify an alert",
        pages::alerts::verify,
    )
    .add(
        "POST",
        "/alerts/{id}/close",
        Session,
        "Close an alert",
        pages::alerts::close,
    )
    .add(
        "POST",
        "/alerts/{id}/reopen",
        Session,
        "Reopen an alert",
        pages::alerts::reopen,
    )
    .add(
        "POST",
        "/alerts/{id}/comment",
        Session,
        "Comment on an alert",
        pages::alerts::comment,
    )
    .add(
        "POST",
        "/alerts/{id}/suppress",
        Session,
        "Suppress an alert's rule on its host",
        pages::alerts::suppress,
    )
    .add(
        "POST",
        "/suppressions",
        Session,
        "Add a suppression",
        pages::alerts::add_suppression,
    )
    .add(
        "GET",
        "/botnet",
        Session,
        "Botnet remediation queue and list versions",
        pages::botnet::show,
    )
    .add_limited(
        "POST",
        "/botnet/preview",
        Session,
        "Read a list file before importing it",
        pages::botnet::preview,
        LIST_LIMIT,
    )
    .add(
        "POST",
        "/botnet/import",
        Session,
        "Import a previewed list and match every unit",
        pages::botnet::import,
    )
    .add(
        "GET",
        "/botnet/items/{id}",
        Session,
        "A remediation item",
        pages::botnet::item,
    )
    .add_limited(
        "POST",
        "/botnet/warnings",
        Session,
        "Add a warning list (the Department)",
        pages::botnet::add_warning_list,
        UPLOAD_LIMIT,
    )
    .add(
        "POST",
        "/botnet/warnings/{id}/deactivate",
        Session,
        "Stop applying a warning list",
        pages::botnet::deactivate_warning_list,
    )
    .add(
        "POST",
        "/botnet/items/{id}/comments",
        Session,
        "Comment on a remediation item",
        pages::botnet::comment,
    )
    .add(
        "POST",
        "/botnet/items/{id}/state",
        Session,
        "Move a remediation item",
        pages::botnet::set_state,
    )
    .add(
        "GET",
        "/duty",
        Session,
        "Duty roster and coverage gaps",
        pages::duty::show,
    )
    .add(
        "POST",
        "/duty/shifts",
        Session,
        "Add a shift",
        pages::duty::create,
    )
    .add(
        "POST",
        "/duty/pattern",
        Session,
        "Generate shifts from a pattern",
        pages::duty::pattern,
    )
    .add(
        "POST",
        "/duty/shifts/{id}/swap",
        Session,
        "Hand a shift to someone else",
        pages::duty::swap,
    )
    .add(
        "POST",
        "/duty/shifts/{id}/handover",
        Session,
        "Write the handover note",
        pages::duty::handover,
    )
    .add(
        "POST",
        "/duty/shifts/{id}/delete",
        Session,
        "Remove a shift",
        pages::duty::delete,
    )
    .add("GET", "/rules", Session, "Sigma rules", pages::rules::list)
    .add(
        "POST",
        "/rules/settings",
        Session,
        "Switch a rule on or off for a unit or the network",
        pages::rules::set,
    )
    .add_limited(
        "POST",
        "/rules/custom",
        Session,
        "Save a rule written by a unit or the Department",
        pages::rules::save_custom,
        UPLOAD_LIMIT,
    )
    .add(
        "POST",
        "/rules/custom/{id}/remove",
        Session,
        "Stop running a written rule",
        pages::rules::remove_custom,
    )
    .add(
        "GET",
        "/contacts",
        Session,
        "Escalation contacts",
        pages::contacts::list,
    )
    .add(
        "POST",
        "/contacts",
        Session,
        "Create a contact",
        pages::contacts::create,
    )
    .add(
        "POST",
        "/contacts/{id}",
        Session,
        "Edit a contact",
        pages::contacts::update,
    )
    .add(
        "POST",
        "/contacts/{id}/delete",
        Session,
        "Delete a contact",
        pages::contacts::delete,
    )
    .add("GET", "/audit", Session, "Audit log", pages::audit::list)
    .add("GET", "/account", Session, "Account", pages::account::show)
    .add(
        "POST",
        "/account/password",
        Session,
        "Change password",
        pages::account::change_password,
    )
    .add(
        "POST",
        "/account/tokens",
        Session,
        "Create an API token",
        pages::account::create_token,
    )
    .add("GET", "/events", Session, "Event search", pages::events::search)
    .add("GET", "/events/{id}", Session, "One event", pages::events::one)
    .add(
        "GET",
        "/sources",
        Session,
        "Event sources",
        pages::events::sources,
    )
    .add(
        "POST",
        "/sources",
        Session,
        "Declare an event source",
        pages::events::create_source,
    )
    .add(
        "POST",
        "/sources/{id}/deactivate",
        Session,
        "Turn an event source off",
        pages::events::deactivate_source,
    )
    .add(
        "GET",
        "/operations",
        Session,
        "Collection operations",
        pages::events::operations,
    )
    .add("GET", "/agents", Session, "Endpoint agents", pages::agents::list)
    .add(
        "POST",
        "/agents/tokens",
        Session,
        "Create an enrollment token",
        pages::agents::create_token,
    )
    .add(
        "POST",
        "/agents/tokens/{id}/revoke",
        Session,
        "Revoke an enrollment token",
        pages::agents::revoke_token,
    )
    .add(
        "POST",
        "/agents/{id}/revoke",
        Session,
        "Revoke an agent",
        pages::agents::revoke_agent,
    )
    .add(
        "GET",
        "/scan",
        Session,
        "Scan rule sets, tasks and schedules",
        pages::scans::index,
    )
    .add_limited(
        "POST",
        "/scan/rulesets",
        Session,
        "Publish a scan rule set version",
        pages::scans::upload,
        LIST_LIMIT,
    )
    .add(
        "POST",
        "/scan/tasks",
        Session,
        "Create scan tasks",
        pages::scans::create_tasks,
    )
    .add(
        "POST",
        "/scan/schedules",
        Session,
        "Set a unit's nightly scan",
        pages::scans::set_schedule,
    )
    .add(
        "GET",
        "/scan/detections",
        Session,
        "Files found by scans",
        pages::scans::detections,
    )
    .add(
        "POST",
        "/scan/detections/{id}/quarantine",
        Session,
        "Quarantine a detected file on its machine",
        pages::scans::quarantine,
    )
    .add(
        "POST",
        "/scan/detections/{id}/restore",
        Session,
        "Restore a quarantined file on its machine",
        pages::scans::restore,
    )
    .add(
        "POST",
        "/scan/detections/{id}/delete",
        Session,
        "Delete a detected file (or its quarantined copy) on its machine",
        pages::scans::delete,
    )
    .add(
        "GET",
        "/scan/coverage",
        Session,
        "Scan coverage",
        pages::scans::coverage,
    )
    .add(
        "GET",
        "/vulnerabilities",
        Session,
        "Vulnerability views, advisory feeds",
        pages::vulnerabilities::show,
    )
    .add_limited(
        "POST",
        "/vulnerabilities/advisories",
        Session,
        "Import advisory files (the Department)",
        pages::vulnerabilities::import_advisories,
        canhgac_vuln::advisory::MAX_ADVISORY_BYTES,
    )
    .add(
        "GET",
        "/vulnerabilities/view",
        Session,
        "Hosts exposed to a warning or saved query, and the trend",
        pages::vulnerabilities::view,
    )
    .add(
        "GET",
        "/vulnerabilities/export",
        Session,
        "A vulnerability view as XLSX",
        pages::vuln_export::view,
    )
    .add(
        "GET",
        "/vulnerabilities/units/{id}/export",
        Session,
        "A unit's patch list as XLSX",
        pages::vuln_export::patches,
    )
    .add(
        "GET",
        "/vulnerabilities/warnings/new",
        Session,
        "National warning form and import",
        pages::vulnerabilities::new_warning,
    )
    .add(
        "POST",
        "/vulnerabilities/warnings",
        Session,
        "Create a national warning",
        pages::vulnerabilities::create_warning,
    )
    .add_limited(
        "POST",
        "/vulnerabilities/warnings/import",
        Session,
        "Import national warnings from CSV/XLSX",
        pages::vulnerabilities::import_warnings,
        UPLOAD_LIMIT,
    )
    .add(
        "GET",
        "/vulnerabilities/units/{id}",
        Session,
        "A unit's patch list",
        pages::vuln_findings::unit,
    )
    .add(
        "POST",
        "/vulnerabilities/units/{id}/sla",
        Session,
        "Set a unit's time to fix by severity",
        pages::vuln_findings::set_sla,
    )
    .add_limited(
        "POST",
        "/vulnerabilities/units/{id}/inventory-report",
        Session,
        "Import a WSUS/SCCM/Get-HotFix report of many hosts for a unit",
        pages::vuln_findings::import_report,
        UPLOAD_LIMIT,
    )
    .add(
        "GET",
        "/vulnerabilities/findings/{id}",
        Session,
        "A finding with its evidence",
        pages::vuln_findings::finding,
    )
    .add(
        "POST",
        "/vulnerabilities/findings/{id}/status",
        Session,
        "Decide on a finding",
        pages::vuln_findings::set_status,
    )
    .add(
        "GET",
        "/assets/{id}/vulnerabilities",
        Session,
        "A host's findings and inventory",
        pages::vuln_findings::host,
    )
    .add_limited(
        "POST",
        "/assets/{id}/inventory",
        Session,
        "Upload a host inventory",
        pages::vuln_findings::upload_inventory,
        UPLOAD_LIMIT,
    )
}
