//! The JSON API under `/api/v1`, the event intake and `/metrics`.

use super::{Access, Table};
use crate::{api, EVENTS_LIMIT, LIST_LIMIT, UPLOAD_LIMIT};

/// Every API route.
pub(super) fn api(t: Table) -> Table {
    use Access::{Public, Token};
    t.add(
        "GET",
        "/api/v1/openapi.json",
        Public,
        "This document",
        api::openapi::document,
    )
    .add("GET", "/api/v1/me", Token, "The caller", api::misc::me)
    .add("GET", "/api/v1/units", Token, "List units", api::units::list)
    .add(
        "POST",
        "/api/v1/units",
        Token,
        "Create a unit",
        api::units::create,
    )
    .add("GET", "/api/v1/units/{id}", Token, "Get a unit", api::units::get)
    .add(
        "PUT",
        "/api/v1/units/{id}",
        Token,
        "Edit a unit",
        api::units::update,
    )
    .add(
        "GET",
        "/api/v1/units/{id}/ranges",
        Token,
        "List public ranges",
        api::units::ranges,
    )
    .add(
        "POST",
        "/api/v1/units/{id}/ranges",
        Token,
        "Add a public range",
        api::units::add_range,
    )
    .add(
        "DELETE",
        "/api/v1/units/{id}/ranges/{rid}",
        Token,
        "Remove a public range",
        api::units::delete_range,
    )
    .add("GET", "/api/v1/users", Token, "List users", api::users::list)
    .add(
        "POST",
        "/api/v1/users",
        Token,
        "Create a user",
        api::users::create,
    )
    .add(
        "POST",
        "/api/v1/users/{id}/active",
        Token,
        "Activate or deactivate",
        api::users::set_active,
    )
    .add("GET", "/api/v1/assets", Token, "List assets", api::assets::list)
    .add(
        "POST",
        "/api/v1/assets",
        Token,
        "Create an asset",
        api::assets::create,
    )
    .add_limited(
        "POST",
        "/api/v1/assets/import",
        Token,
        "Import CSV/XLSX",
        api::assets::import,
        UPLOAD_LIMIT,
    )
    .add(
        "GET",
        "/api/v1/assets/{id}",
        Token,
        "Get an asset",
        api::assets::get,
    )
    .add(
        "PUT",
        "/api/v1/assets/{id}",
        Token,
        "Edit an asset",
        api::assets::update,
    )
    .add(
        "POST",
        "/api/v1/assets/{id}/status",
        Token,
        "Retire or reinstate",
        api::assets::set_status,
    )
    .add("GET", "/api/v1/alerts", Token, "Alert queue", api::alerts::list)
    .add(
        "POST",
        "/api/v1/alerts",
        Token,
        "Report an alert by hand",
        api::alerts::create,
    )
    .add(
        "GET",
        "/api/v1/alerts/summary",
        Token,
        "Alerts per unit",
        api::alerts::summary,
    )
    .add("GET", "/api/v1/alerts/{id}", Token, "An alert", api::alerts::get)
    .add(
        "POST",
        "/api/v1/alerts/{id}/claim",
        Token,
        "Claim an alert",
        api::alerts::claim,
    )
    .add(
        "POST",
        "/api/v1/alerts/{id}/assign",
        Token,
        "Assign an alert",
        api::alerts::assign,
    )
    .add(
        "POST",
        "/api/v1/alerts/{id}/verify",
        Token,
        "Verify an alert",
        api::alerts::verify,
    )
    .add(
        "POST",
        "/api/v1/alerts/{id}/close",
        Token,
        "Close an alert",
        api::alerts::close,
    )
    .add(
        "POST",
        "/api/v1/alerts/{id}/reopen",
        Token,
        "Reopen an alert",
        api::alerts::reopen,
    )
    .add(
        "GET",
        "/api/v1/alerts/{id}/comments",
        Token,
        "Comments of an alert",
        api::alerts::comments,
    )
    .add(
        "POST",
        "/api/v1/alerts/{id}/comments",
        Token,
        "Comment on an alert",
        api::alerts::comment,
    )
    .add(
        "GET",
        "/api/v1/suppressions",
        Token,
        "Suppressions",
        api::alerts::suppressions,
    )
    .add(
        "POST",
        "/api/v1/suppressions",
        Token,
        "Add a suppression",
        api::alerts::add_suppression,
    )
    .add_limited(
        "POST",
        "/api/v1/botnet/lists",
        Token,
        "Import a list version (raw file body)",
        api::botnet::import,
        LIST_LIMIT,
    )
    .add(
        "GET",
        "/api/v1/botnet/lists",
        Token,
        "List versions",
        api::botnet::lists,
    )
    .add(
        "GET",
        "/api/v1/botnet/items",
        Token,
        "Remediation queue",
        api::botnet::items,
    )
    .add(
        "GET",
        "/api/v1/botnet/items/{id}",
        Token,
        "A remediation item",
        api::botnet::item,
    )
    .add(
        "POST",
        "/api/v1/botnet/items/{id}/state",
        Token,
        "Move a remediation item",
        api::botnet::set_state,
    )
    .add(
        "GET",
        "/api/v1/duty/shifts",
        Token,
        "Shifts and coverage gaps of a period",
        api::duty::shifts,
    )
    .add(
        "POST",
        "/api/v1/duty/shifts",
        Token,
        "Add a shift",
        api::duty::create,
    )
    .add(
        "GET",
        "/api/v1/duty/gaps",
        Token,
        "Coverage gaps of a period",
        api::duty::gaps,
    )
    .add(
        "GET",
        "/api/v1/duty/now",
        Token,
        "Who is on duty now",
        api::duty::now,
    )
    .add(
        "POST",
        "/api/v1/duty/pattern",
        Token,
        "Generate shifts from a pattern",
        api::duty::pattern,
    )
    .add(
        "POST",
        "/api/v1/duty/shifts/{id}/swap",
        Token,
        "Hand a shift to someone else",
        api::duty::swap,
    )
    .add(
        "POST",
        "/api/v1/duty/shifts/{id}/handover",
        Token,
        "Write the handover note",
        api::duty::handover,
    )
    .add(
        "DELETE",
        "/api/v1/duty/shifts/{id}",
        Token,
        "Remove a shift",
        api::duty::delete,
    )
    .add(
        "GET",
        "/api/v1/contacts",
        Token,
        "List contacts",
        api::contacts::list,
    )
    .add(
        "POST",
        "/api/v1/contacts",
        Token,
        "Create a contact",
        api::contacts::create,
    )
    .add(
        "PUT",
        "/api/v1/contacts/{id}",
        Token,
        "Edit a contact",
        api::contacts::update,
    )
    .add(
        "DELETE",
        "/api/v1/contacts/{id}",
        Token,
        "Delete a contact",
        api::contacts::delete,
    )
    .add("GET", "/api/v1/audit", Token, "Audit log", api::misc::audit)
    .add(
        "GET",
        "/api/v1/audit/verify",
        Token,
        "Verify the audit chain",
        api::misc::verify_audit,
    )
    .add(
        "POST",
        "/api/v1/tokens",
        Token,
        "Create an API token",
        api::misc::create_token,
    )
    .add_limited(
        "POST",
        "/api/v1/events",
        Token,
        "Send events (NDJSON, optionally gzip) with an event source's token",
        api::events::intake,
        EVENTS_LIMIT,
    )
    .add(
        "GET",
        "/api/v1/events",
        Token,
        "Search stored events",
        api::events::search,
    )
    .add(
        "GET",
        "/api/v1/events/{id}",
        Token,
        "One stored event",
        api::events::get,
    )
    .add_limited(
        "POST",
        "/api/v1/warning-lists",
        Token,
        "Add a warning list (MISP JSON or one value a line)",
        api::botnet::add_warning_list,
        UPLOAD_LIMIT,
    )
    .add(
        "GET",
        "/api/v1/warning-lists",
        Token,
        "Warning lists",
        api::botnet::warning_lists,
    )
    .add(
        "POST",
        "/api/v1/warning-lists/{id}/deactivate",
        Token,
        "Stop applying a warning list",
        api::botnet::deactivate_warning_list,
    )
    .add(
        "GET",
        "/api/v1/rules",
        Token,
        "Loaded Sigma rules",
        api::rules::list,
    )
    .add(
        "GET",
        "/api/v1/rules/settings",
        Token,
        "Rule settings of the network and the caller's units",
        api::rules::settings,
    )
    .add(
        "POST",
        "/api/v1/rules/settings",
        Token,
        "Switch a rule on or off for a unit or the network",
        api::rules::set,
    )
    .add(
        "GET",
        "/api/v1/rules/custom",
        Token,
        "Rules written by units and the Department",
        api::rules::custom,
    )
    .add_limited(
        "POST",
        "/api/v1/rules/custom",
        Token,
        "Save a written rule (validated)",
        api::rules::save_custom,
        UPLOAD_LIMIT,
    )
    .add(
        "POST",
        "/api/v1/rules/custom/{id}/remove",
        Token,
        "Stop running a written rule",
        api::rules::remove_custom,
    )
    .add(
        "GET",
        "/api/v1/botnet/items/{id}/comments",
        Token,
        "Comments on an item",
        api::botnet::comments,
    )
    .add(
        "POST",
        "/api/v1/botnet/items/{id}/comments",
        Token,
        "Comment on an item",
        api::botnet::comment,
    )
    .add(
        "GET",
        "/api/v1/units/{id}/notify",
        Token,
        "A unit's alert notifications",
        api::units::notify,
    )
    .add(
        "PUT",
        "/api/v1/units/{id}/notify",
        Token,
        "Change a unit's alert notifications",
        api::units::set_notify,
    )
    .add(
        "GET",
        "/api/v1/sources",
        Token,
        "Event sources",
        api::events::sources,
    )
    .add(
        "POST",
        "/api/v1/sources",
        Token,
        "Declare an event source",
        api::events::create_source,
    )
    .add(
        "POST",
        "/api/v1/sources/{id}/deactivate",
        Token,
        "Turn an event source off",
        api::events::deactivate_source,
    )
    .add(
        "POST",
        "/api/v1/detector/reload",
        Token,
        "Reload Sigma rules and indicator lists",
        api::events::reload,
    )
    .add(
        "GET",
        "/metrics",
        Token,
        "Collection and pipeline counters (Prometheus)",
        api::events::metrics,
    )
    .add(
        "POST",
        "/api/v1/agent/enroll",
        Token,
        "Enroll an agent with a one-time enrollment token (in the body); answers its credential",
        api::agents::enroll,
    )
    .add_limited(
        "POST",
        "/api/v1/agent/inventory",
        Token,
        "An agent's inventory (agent credential as bearer)",
        api::agents::inventory,
        UPLOAD_LIMIT,
    )
    .add(
        "POST",
        "/api/v1/agent/heartbeat",
        Token,
        "An agent is alive (agent credential as bearer)",
        api::agents::heartbeat,
    )
    .add(
        "GET",
        "/api/v1/agents",
        Token,
        "Endpoint agents",
        api::agents::list,
    )
    .add(
        "POST",
        "/api/v1/agents/tokens",
        Token,
        "Create an agent enrollment token",
        api::agents::create_token,
    )
    .add(
        "POST",
        "/api/v1/agents/{id}/revoke",
        Token,
        "Revoke an agent",
        api::agents::revoke,
    )
    .add(
        "POST",
        "/api/v1/agent/scan/tasks",
        Token,
        "The calling agent's waiting tasks (agent credential as bearer)",
        api::scans::agent_tasks,
    )
    .add(
        "POST",
        "/api/v1/agent/scan/bundle",
        Token,
        "The calling agent's rule bundle by digest (agent credential as bearer)",
        api::scans::agent_bundle,
    )
    .add(
        "POST",
        "/api/v1/agent/scan/tasks/{id}/start",
        Token,
        "An agent started its task (agent credential as bearer)",
        api::scans::agent_start,
    )
    .add_limited(
        "POST",
        "/api/v1/agent/scan/tasks/{id}/result",
        Token,
        "An agent's task result, recorded once (agent credential as bearer)",
        api::scans::agent_result,
        UPLOAD_LIMIT,
    )
    .add(
        "GET",
        "/api/v1/scan/rulesets",
        Token,
        "Scan rule set versions",
        api::scans::rulesets,
    )
    .add_limited(
        "POST",
        "/api/v1/scan/rulesets",
        Token,
        "Publish a scan rule set version (YARA file, hash list or zip as the body)",
        api::scans::upload,
        LIST_LIMIT,
    )
    .add(
        "GET",
        "/api/v1/scan/tasks",
        Token,
        "Scan tasks",
        api::scans::tasks,
    )
    .add(
        "POST",
        "/api/v1/scan/tasks",
        Token,
        "Create scan tasks (host, tag, unit, botnet queue)",
        api::scans::create_tasks,
    )
    .add(
        "GET",
        "/api/v1/scan/schedules",
        Token,
        "Nightly scan schedules",
        api::scans::schedules,
    )
    .add(
        "POST",
        "/api/v1/scan/schedules",
        Token,
        "Set a unit's nightly scan",
        api::scans::set_schedule,
    )
    .add(
        "GET",
        "/api/v1/scan/detections",
        Token,
        "Files found by scans",
        api::scans::detections,
    )
    .add(
        "POST",
        "/api/v1/scan/detections/{id}/quarantine",
        Token,
        "Quarantine a detected file on its machine",
        api::scans::quarantine,
    )
    .add(
        "POST",
        "/api/v1/scan/detections/{id}/restore",
        Token,
        "Restore a quarantined file on its machine",
        api::scans::restore,
    )
    .add(
        "POST",
        "/api/v1/scan/detections/{id}/delete",
        Token,
        "Delete a detected file (or its quarantined copy) on its machine",
        api::scans::delete,
    )
    .add(
        "GET",
        "/api/v1/scan/coverage",
        Token,
        "Scan coverage per unit and for the Department",
        api::scans::coverage,
    )
    .add_limited(
        "POST",
        "/api/v1/vulnerabilities/advisories",
        Token,
        "Import an advisory file (the Department)",
        api::vulnerabilities::import,
        canhgac_vuln::advisory::MAX_ADVISORY_BYTES,
    )
    .add(
        "GET",
        "/api/v1/vulnerabilities/advisories",
        Token,
        "Advisory feed versions",
        api::vulnerabilities::feeds,
    )
    .add(
        "GET",
        "/api/v1/vulnerabilities/views",
        Token,
        "Vulnerability views with exposed hosts and units",
        api::vulnerabilities::views,
    )
    .add(
        "GET",
        "/api/v1/vulnerabilities/findings",
        Token,
        "Findings still exposed",
        api::vulnerabilities::findings,
    )
    .add(
        "GET",
        "/api/v1/vulnerabilities/findings/{id}",
        Token,
        "One finding",
        api::vulnerabilities::finding,
    )
    .add(
        "POST",
        "/api/v1/vulnerabilities/findings/{id}/status",
        Token,
        "Decide on a finding",
        api::vulnerabilities::set_status,
    )
    .add(
        "GET",
        "/api/v1/vulnerabilities/view",
        Token,
        "One view's exposed hosts and daily trend",
        api::vulnerabilities::view,
    )
    .add(
        "GET",
        "/api/v1/vulnerabilities/warnings",
        Token,
        "National warnings",
        api::vulnerabilities::warnings,
    )
    .add(
        "POST",
        "/api/v1/vulnerabilities/warnings",
        Token,
        "Create a national warning (the Department)",
        api::vulnerabilities::create_warning,
    )
    .add_limited(
        "POST",
        "/api/v1/vulnerabilities/warnings/import",
        Token,
        "Import national warnings from CSV/XLSX (the Department)",
        api::vulnerabilities::import_warnings,
        UPLOAD_LIMIT,
    )
    .add(
        "GET",
        "/api/v1/vulnerabilities/warnings/{id}",
        Token,
        "One national warning",
        api::vulnerabilities::warning,
    )
    .add(
        "GET",
        "/api/v1/units/{id}/sla",
        Token,
        "A unit's days to fix by severity",
        api::vulnerabilities::sla,
    )
    .add(
        "PUT",
        "/api/v1/units/{id}/sla",
        Token,
        "Set a unit's days to fix by severity",
        api::vulnerabilities::set_sla,
    )
    .add(
        "GET",
        "/api/v1/units/{id}/patches",
        Token,
        "A unit's patch list, most urgent first",
        api::vulnerabilities::patches,
    )
    .add(
        "GET",
        "/api/v1/assets/{id}/vulnerabilities",
        Token,
        "A host's verdicts with evidence",
        api::vulnerabilities::host,
    )
    .add_limited(
        "POST",
        "/api/v1/assets/{id}/inventory",
        Token,
        "Upload a host inventory",
        api::vulnerabilities::inventory,
        UPLOAD_LIMIT,
    )
    .add_limited(
        "POST",
        "/api/v1/units/{id}/inventory-report",
        Token,
        "Import a WSUS/SCCM/Get-HotFix report of many hosts for a unit",
        api::vulnerabilities::inventory_report,
        UPLOAD_LIMIT,
    )
}
