//! Deciding an operating-system product: the newest fix the advisories list for it, proven by an installed KB
//! (directly or through supersedence), by the host's build revision, or by the build an installed cumulative
//! update is known to bring.

use super::judge::{by_kb, dedup, list, of_kb, Outcome};
use super::{HostContext, Matcher};
use crate::knowledge::{CveRecord, Fix};
use crate::model::{Kb, Version};

pub(super) fn os_product(
    m: &Matcher<'_>,
    ctx: &HostContext<'_>,
    rec: &CveRecord,
    pid: &str,
) -> Outcome<'static> {
    let name = m.kb.product_name(pid);
    let all: Vec<&Fix> = rec
        .fixes_for(pid)
        .filter(|f| f.kb.is_some() || f.fixed_build.is_some())
        .collect();
    if all.is_empty() {
        return Outcome::Unknown {
            missing: format!("a fixing update for {name}: the advisories give none"),
        };
    }
    // When Microsoft revises a CVE with a later update (a re-release, or a fix completed in a later month), the
    // newest fixed build is the one that counts: an earlier fix alone does not remediate.
    let newest = all.iter().filter_map(|f| f.fixed_version()).max();
    let required: Vec<&Fix> = match &newest {
        Some(n) => all
            .iter()
            .copied()
            .filter(|f| f.fixed_version().as_ref() == Some(n))
            .collect(),
        None => all.clone(),
    };
    for fix in &required {
        if let Some(proof) = fix.kb.and_then(|k| ctx.proven.get(&k)) {
            return Outcome::Remediated {
                kb: Some(proof.installed()),
                evidence: format!("{name}: fixed by{}; {}", by_kb(fix.kb), proof.describe()),
            };
        }
    }
    let fix_kb = required.iter().find_map(|f| f.kb);
    let host_version = ctx.host.os_version.as_ref().filter(|v| v.0.len() >= 4);
    if let (Some(hv), Some(fixed)) = (host_version, &newest) {
        if fixed.same_prefix(hv, 3) && hv >= fixed {
            return Outcome::Remediated {
                kb: None,
                evidence: format!(
                    "{name}: OS build {hv} is at or above the fixed build {fixed}{}",
                    of_kb(fix_kb)
                ),
            };
        }
    }
    if let (Some((build, kb)), Some(fixed)) = (ctx.cumulative_builds.get(pid), &newest) {
        if fixed.same_prefix(build, 3) && build >= fixed {
            return Outcome::Remediated {
                kb: Some(*kb),
                evidence: format!(
                    "{name}: {kb} installed, a cumulative update that brings build {build} (per the advisories), at or above the fixed build {fixed}{}",
                    of_kb(fix_kb)
                ),
            };
        }
    }
    let kbs: Vec<Kb> = required.iter().filter_map(|f| f.kb).collect();
    let builds: Vec<String> = required.iter().filter_map(|f| f.fixed_build.clone()).collect();
    let mut evidence = format!(
        "{name} is affected; fix {} (fixed build {}) is not installed and no installed KB supersedes it",
        list(&kbs),
        if builds.is_empty() {
            "not published".to_owned()
        } else {
            dedup(builds).join(", ")
        }
    );
    let earlier: Vec<Kb> = all
        .iter()
        .filter(|f| !required.contains(f))
        .filter_map(|f| f.kb)
        .filter(|k| ctx.proven.contains_key(k))
        .collect();
    if !earlier.is_empty() {
        evidence.push_str(&format!(
            "; an earlier fix ({}) is installed, but Microsoft lists the later one",
            list(&earlier)
        ));
    }
    if let Some(hv) = host_version {
        evidence.push_str(&format!("; OS build {hv} is below it"));
    }
    if let Some(proof) = kbs.iter().find_map(|k| ctx.pending.get(k)) {
        let via = if proof.chain.len() > 1 {
            let names: Vec<String> = proof.chain.iter().map(Kb::to_string).collect();
            format!(" ({})", names.join(" supersedes "))
        } else {
            String::new()
        };
        evidence.push_str(&format!(
            "; {} is installed but waits for a restart (pending reboot){via}: not counted until the host restarts",
            proof.installed()
        ));
    }
    Outcome::Vulnerable { kbs, evidence }
}

/// For each product id, the highest build a cumulative update (not a "Security Only" update) brings, with its KB.
pub(super) fn cumulative_builds(
    m: &Matcher<'_>,
    installed: &[Kb],
) -> std::collections::HashMap<String, (Version, Kb)> {
    let mut out: std::collections::HashMap<String, (Version, Kb)> = std::collections::HashMap::new();
    for kb in installed {
        for (pid, build) in m.kb_builds.get(kb).into_iter().flatten() {
            let better = out.get(pid).is_none_or(|(b, _)| build > b);
            if better {
                out.insert(pid.clone(), (build.clone(), *kb));
            }
        }
    }
    out
}
