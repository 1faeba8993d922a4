//! The decision for one host × CVE: classify each affected product against the host, evaluate the relevant
//! ones, and combine (vulnerable beats unknown beats remediated beats not affected).

use super::linux::{judge_packages, microsoft_on_linux, LinuxHost};
use super::nvd::judge_nvd;
use super::os::os_product;
use super::{HostContext, Matcher, State, Verdict};
use crate::knowledge::CveRecord;
use crate::model::Kb;
use crate::platform::ProductKind;

/// The outcome for one affected product.
pub(super) enum Outcome<'k> {
    Vulnerable {
        kbs: Vec<Kb>,
        evidence: String,
    },
    Remediated {
        kb: Option<Kb>,
        evidence: String,
    },
    Unknown {
        missing: String,
    },
    NotAffected {
        evidence: String,
    },
    /// Unknown because the inventory has no software list; `name` is the product.
    NotListed {
        name: &'k str,
    },
    /// A package or program judged by version: vulnerable (with what to install) or remediated (with the
    /// installed version).
    Package {
        vulnerable: bool,
        fix: String,
        evidence: String,
    },
}

pub(super) fn judge(m: &Matcher<'_>, ctx: &HostContext<'_>, rec: &CveRecord) -> Verdict {
    // Records of the matcher's knowledge base have a plan; others (a caller's own records) are classified here.
    let plan = m
        .plans
        .get(rec.cve.as_str())
        .filter(|p| p.products.len() == rec.affected.len());
    let mut verdict = Verdict {
        cve: rec.cve.clone(),
        state: State::Unknown,
        kb: Vec::new(),
        severity: plan.as_ref().map_or_else(|| rec.max_severity(), |p| p.severity),
        kev: m.kb.in_kev(&rec.cve),
        exploited: rec.exploited,
        missing: Vec::new(),
        evidence: Vec::new(),
        fixes: Vec::new(),
    };
    if let Some(lx) = &ctx.linux {
        let outcomes = on_linux(m, ctx, lx, rec);
        combine(m, ctx, &mut verdict, outcomes, &[], "");
        return verdict;
    }
    if rec.affected.is_empty() {
        let mut outcomes = Vec::new();
        if !rec.packages.is_empty() {
            outcomes.push(Outcome::NotAffected {
                evidence: "Debian or Ubuntu packages only; the host runs neither".into(),
            });
        }
        match (
            &ctx.nvd,
            rec.nvd.as_ref().filter(|n| !n.configurations.is_empty()),
        ) {
            (Some(host), Some(n)) => outcomes.push(judge_nvd(&n.configurations, host)),
            _ if outcomes.is_empty() => {
                verdict.missing.push(
                    "affected-product data for this CVE (Microsoft's, a distribution's or NVD's configurations; only a description or KEV entry was imported)".into(),
                );
                return verdict;
            }
            _ => {}
        }
        combine(m, ctx, &mut verdict, outcomes, &[], "");
        return verdict;
    }
    let platform = match &ctx.platform {
        Ok(names) => names.join(" / "),
        Err(reason) => {
            verdict
                .missing
                .push(format!("the host's Windows release: {reason}"));
            return verdict;
        }
    };
    let mut outcomes = Vec::new();
    let mut elsewhere = Vec::new();
    let mut unlisted_os = false;
    let own: Vec<(&str, ProductKind)>;
    let products = match plan {
        Some(p) => p.products.as_slice(),
        None => {
            own = rec.affected.iter().map(|p| (p.as_str(), m.kind(p))).collect();
            own.as_slice()
        }
    };
    for &(pid, kind) in products {
        match kind {
            ProductKind::WindowsOs if is_host_os(ctx, pid) => outcomes.push(os_product(m, ctx, rec, pid)),
            ProductKind::Component if on_host(ctx, pid) => outcomes.push(installable(m, ctx, rec, pid)),
            ProductKind::WindowsOs | ProductKind::Component if ctx.os_ids.is_empty() => unlisted_os = true,
            ProductKind::Software => outcomes.push(installable(m, ctx, rec, pid)),
            _ => elsewhere.push(pid),
        }
    }
    if unlisted_os {
        outcomes.push(Outcome::Unknown {
            missing: format!("whether {platform} is affected: the imported advisories do not list it (Microsoft lists supported releases only)"),
        });
    }
    combine(m, ctx, &mut verdict, outcomes, &elsewhere, &platform);
    verdict
}

/// A Linux host: the distribution's data for its release decides; Microsoft's products do not run there; NVD's
/// configurations are read only when the distribution's data says nothing about this CVE.
fn on_linux<'k>(
    m: &'k Matcher<'_>,
    ctx: &HostContext<'_>,
    lx: &LinuxHost<'_>,
    rec: &'k CveRecord,
) -> Vec<Outcome<'k>> {
    let mut outcomes: Vec<Outcome<'k>> = Vec::new();
    let distro = judge_packages(lx, rec);
    let decided = distro.is_some();
    outcomes.extend(distro.into_iter().flatten());
    if !rec.affected.is_empty() {
        let names: Vec<&str> = rec.affected.iter().map(|p| m.kb.product_name(p)).collect();
        outcomes.push(microsoft_on_linux(lx, &names, ctx.host.software.as_deref()));
    }
    if !decided {
        match (&ctx.nvd, rec.nvd.as_ref().filter(|n| !n.configurations.is_empty())) {
            (Some(host), Some(n)) => outcomes.push(judge_nvd(&n.configurations, host)),
            _ if !rec.packages.is_empty() => outcomes.push(Outcome::NotAffected {
                evidence: format!(
                    "the imported security data names this CVE for other distributions only; the host runs {}",
                    lx.id
                ),
            }),
            _ => {}
        }
    }
    if outcomes.is_empty() {
        outcomes.push(Outcome::Unknown {
            missing: format!(
                "affected-product data for {} (a distribution's security data or NVD's configurations)",
                lx.id
            ),
        });
    }
    outcomes
}

fn is_host_os(ctx: &HostContext<'_>, pid: &str) -> bool {
    ctx.os_ids.iter().any(|o| o == pid)
}

fn on_host(ctx: &HostContext<'_>, pid: &str) -> bool {
    pid.rsplit_once('-')
        .is_some_and(|(_, platform)| is_host_os(ctx, platform))
}

fn installable<'k>(
    m: &'k Matcher<'_>,
    ctx: &HostContext<'_>,
    rec: &'k CveRecord,
    pid: &'k str,
) -> Outcome<'k> {
    let name = m.kb.product_name(pid);
    for fix in rec.fixes_for(pid) {
        if let Some(proof) = fix.kb.and_then(|k| ctx.proven.get(&k)) {
            return Outcome::Remediated {
                kb: Some(proof.installed()),
                evidence: format!("{name}: fixed by{}; {}", by_kb(fix.kb), proof.describe()),
            };
        }
    }
    match &ctx.host.software {
        // The message is written only for the first few such products of a CVE (see `combine`).
        None => Outcome::NotListed { name },
        Some(list) if installed(list, name) => os_product(m, ctx, rec, pid),
        Some(_) => Outcome::NotAffected {
            evidence: format!("{name} is not in the host's software list"),
        },
    }
}

/// True when a listed program's name starts the product's name or the reverse ("Microsoft Office LTSC
/// Professional Plus 2021" / "Microsoft Office LTSC 2021 for 64-bit editions" do not match; an agent should
/// report Microsoft's product names where it knows them).
fn installed(software: &[crate::inventory::Software], product: &str) -> bool {
    let p = product.to_ascii_lowercase();
    software.iter().any(|s| {
        let n = s.name.to_ascii_lowercase();
        !n.is_empty() && (p.starts_with(&n) || n.starts_with(&p))
    })
}

fn combine(
    m: &Matcher<'_>,
    ctx: &HostContext<'_>,
    v: &mut Verdict,
    outcomes: Vec<Outcome<'_>>,
    elsewhere: &[&str],
    platform: &str,
) {
    let mut vulnerable = false;
    let mut unknown = false;
    let mut remediated = Vec::new();
    let mut any_remediated = false;
    let mut needed = Vec::new();
    let mut unknown_names = 0usize;
    let (mut to_install, mut installed) = (Vec::new(), Vec::new());
    for o in outcomes {
        match o {
            Outcome::Package {
                vulnerable: true,
                fix,
                evidence,
            } => {
                vulnerable = true;
                to_install.push(fix);
                v.evidence.push(evidence);
            }
            Outcome::Package { fix, evidence, .. } => {
                any_remediated = true;
                installed.push(fix);
                v.evidence.push(evidence);
            }
            Outcome::Vulnerable { kbs, evidence } => {
                vulnerable = true;
                needed.extend(kbs);
                v.evidence.push(evidence);
            }
            Outcome::Remediated { kb, evidence } => {
                any_remediated = true;
                remediated.extend(kb);
                v.evidence.push(evidence);
            }
            Outcome::Unknown { missing } => {
                unknown = true;
                unknown_names += 1;
                if unknown_names <= 5 {
                    v.missing.push(missing);
                }
            }
            Outcome::NotListed { name } => {
                unknown = true;
                unknown_names += 1;
                if unknown_names <= 5 {
                    v.missing.push(format!(
                        "whether {name} is installed (the inventory lists no software)"
                    ));
                }
            }
            Outcome::NotAffected { evidence } => v.evidence.push(evidence),
        }
    }
    if unknown_names > 5 {
        v.missing.push(format!("and {} more products", unknown_names - 5));
    }
    if !elsewhere.is_empty() {
        let names: Vec<&str> = elsewhere.iter().take(3).map(|p| m.kb.product_name(p)).collect();
        let more = if elsewhere.len() > 3 {
            format!(" and {} more", elsewhere.len() - 3)
        } else {
            String::new()
        };
        v.evidence.push(format!(
            "not on this host ({platform}): {}{more}",
            names.join("; ")
        ));
    }
    v.state = if vulnerable {
        needed.sort_unstable();
        needed.dedup();
        v.kb = needed;
        v.fixes = dedup(to_install);
        if !ctx.unknown_kbs.is_empty() {
            v.evidence.push(format!(
                "installed KBs the imported advisories do not describe: {} (a later cumulative update among them would need its month imported)",
                list(&ctx.unknown_kbs)
            ));
        }
        State::Vulnerable
    } else if unknown {
        State::Unknown
    } else if any_remediated {
        remediated.sort_unstable();
        remediated.dedup();
        v.kb = remediated;
        v.fixes = dedup(installed);
        State::Remediated
    } else {
        State::NotAffected
    };
}

/// `" KB5025221"`, or empty.
pub(super) fn by_kb(kb: Option<Kb>) -> String {
    kb.map(|k| format!(" {k}")).unwrap_or_default()
}

/// `" of KB5025221"`, or empty.
pub(super) fn of_kb(kb: Option<Kb>) -> String {
    kb.map(|k| format!(" of {k}")).unwrap_or_default()
}

pub(super) fn list(kbs: &[Kb]) -> String {
    let names: Vec<String> = kbs.iter().map(Kb::to_string).collect();
    dedup(names).join(", ")
}

pub(super) fn dedup(mut items: Vec<String>) -> Vec<String> {
    items.sort();
    items.dedup();
    items
}
