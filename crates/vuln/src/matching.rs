//! Host × CVE verdicts with evidence. Every CVE in the knowledge base gets one of four states for a host, and
//! none is dropped:
//!
//! - **vulnerable**: the host runs an affected product and neither the fixing KB nor any KB superseding it is
//!   installed (and the OS build, when known with its revision, is below the fixed build);
//! - **remediated**: the fixing KB, or a KB that supersedes it transitively, is installed, or the OS build is at
//!   or above the fixed build; the evidence names the KB and the chain;
//! - **not affected**: no affected product runs on this host;
//! - **unknown**: something needed is missing (the OS build does not map to a release, the advisories give no
//!   fix, the inventory lists no software), and the verdict says what.
//!
//! Linux hosts (`linux.rs`) are judged from distribution security data for their release and dpkg packages;
//! software that neither Microsoft's nor a distribution's data describes, from NVD's CPE configurations
//! (`nvd.rs`).

mod judge;
mod linux;
mod nvd;
mod os;

use crate::inventory::HostInventory;
use crate::knowledge::{CveRecord, KnowledgeBase, Proof};
use crate::model::{Kb, Severity, Version};
use crate::platform::{host_platform, product_kind, ProductKind};
use serde::{Deserialize, Serialize};
use std::collections::{HashMap, HashSet};
use std::sync::Arc;

/// The state of one host for one CVE.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum State {
    /// Affected and not fixed.
    Vulnerable,
    /// Fixed, with the KB that proves it.
    Remediated,
    /// No affected product on the host.
    NotAffected,
    /// Not decidable from the data; `missing` says why.
    Unknown,
}

impl State {
    /// `vulnerable`, `remediated`, `not_affected`, `unknown`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Vulnerable => "vulnerable",
            Self::Remediated => "remediated",
            Self::NotAffected => "not_affected",
            Self::Unknown => "unknown",
        }
    }
}

/// One host × CVE verdict.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The CVE.
    pub cve: String,
    /// The state.
    pub state: State,
    /// Remediated: the installed KB(s) proving the fix. Vulnerable: the KB(s) to install.
    pub kb: Vec<Kb>,
    /// Microsoft's maximum severity.
    pub severity: Option<Severity>,
    /// In CISA KEV.
    pub kev: bool,
    /// Exploited per Microsoft.
    pub exploited: Option<bool>,
    /// For unknown: what is missing.
    pub missing: Vec<String>,
    /// Why: the products, KBs, chains and builds that decided.
    pub evidence: Vec<String>,
    /// Packages and programs: vulnerable, what to install (`openssh-client → 1:9.2p1-2+deb12u1`); remediated, the
    /// installed version that proves it.
    #[serde(default)]
    pub fixes: Vec<String>,
}

/// What one host brings to matching, computed once per host.
pub struct HostContext<'h> {
    host: &'h HostInventory,
    platform: Result<Vec<String>, String>,
    os_ids: Vec<String>,
    proven: HashMap<Kb, Proof>,
    /// What the KBs waiting for a restart would prove once the host restarts.
    pending: HashMap<Kb, Proof>,
    cumulative_builds: HashMap<String, (Version, Kb)>,
    unknown_kbs: Vec<Kb>,
    linux: Option<linux::LinuxHost<'h>>,
    nvd: Option<nvd::NvdHost>,
}

impl HostContext<'_> {
    /// The advisory product names the host's OS maps to, or why it does not map.
    pub fn platform(&self) -> Result<&[String], &str> {
        self.platform.as_deref().map_err(String::as_str)
    }

    /// Installed KBs that no imported advisory or catalog record mentions.
    pub fn unknown_kbs(&self) -> &[Kb] {
        &self.unknown_kbs
    }
}

/// Matches hosts against a knowledge base. Build once, use for many hosts.
pub struct Matcher<'a> {
    kb: &'a KnowledgeBase,
    by_name: HashMap<String, Vec<String>>,
    kinds: HashMap<&'a str, ProductKind>,
    known_kbs: HashSet<Kb>,
    kb_builds: HashMap<Kb, Vec<(String, Version)>>,
    plans: HashMap<&'a str, Plan<'a>>,
    /// Some CVE has NVD configurations (otherwise hosts' software is not mapped to CPEs).
    any_configurations: bool,
}

/// What does not depend on the host, computed once per CVE: its affected products with their kinds, and its
/// maximum severity.
struct Plan<'a> {
    products: Vec<(&'a str, ProductKind)>,
    severity: Option<Severity>,
}

impl<'a> Matcher<'a> {
    /// Indexes the knowledge base's products and KBs.
    pub fn new(kb: &'a KnowledgeBase) -> Self {
        let mut by_name: HashMap<String, Vec<String>> = HashMap::new();
        let mut kinds = HashMap::new();
        for (id, p) in &kb.products {
            by_name
                .entry(p.name.to_ascii_lowercase())
                .or_default()
                .push(id.clone());
            kinds.insert(id.as_str(), product_kind(id, &p.name));
        }
        let mut known_kbs: HashSet<Kb> = kb
            .cves
            .values()
            .flat_map(|c| c.fixes.iter().filter_map(|f| f.kb))
            .collect();
        known_kbs.extend(kb.supersedence.nodes());
        // The build each cumulative update brings to each product, from the fixes that name it.
        let mut kb_builds: HashMap<Kb, Vec<(String, Version)>> = HashMap::new();
        for fix in kb.cves.values().flat_map(|c| c.fixes.iter()) {
            let cumulative = fix.sub_type.as_deref() != Some("Security Only");
            if let (Some(k), Some(build), true) = (fix.kb, fix.fixed_version(), cumulative) {
                let entry = kb_builds.entry(k).or_default();
                if !entry.iter().any(|(p, b)| *p == fix.product && *b == build) {
                    entry.push((fix.product.clone(), build));
                }
            }
        }
        let plans = kb
            .cves
            .values()
            .map(|c| {
                let products = c
                    .affected
                    .iter()
                    .map(|p| {
                        (
                            p.as_str(),
                            kinds.get(p.as_str()).copied().unwrap_or(ProductKind::Software),
                        )
                    })
                    .collect();
                (
                    c.cve.as_str(),
                    Plan {
                        products,
                        severity: c.max_severity(),
                    },
                )
            })
            .collect();
        let any_configurations = kb
            .cves
            .values()
            .any(|c| c.nvd.as_ref().is_some_and(|n| !n.configurations.is_empty()));
        Self {
            plans,
            any_configurations,
            kb,
            by_name,
            kinds,
            known_kbs,
            kb_builds,
        }
    }

    /// Prepares a host: its platform, its OS product ids and the KBs its installed updates prove.
    pub fn context<'h>(&self, host: &'h HostInventory) -> HostContext<'h> {
        let platform = host_platform(host).map(|p| p.names);
        let mut os_ids: Vec<String> = match &platform {
            Ok(names) => names
                .iter()
                .filter_map(|n| self.by_name.get(&n.to_ascii_lowercase()))
                .flatten()
                .cloned()
                .collect(),
            Err(_) => Vec::new(),
        };
        os_ids.sort();
        os_ids.dedup();
        let installed: Vec<Kb> = host.kbs.iter().copied().collect();
        let proven = self.kb.supersedence.closure(&installed);
        let pending = if host.pending_reboot.is_empty() {
            HashMap::new()
        } else {
            let waiting: Vec<Kb> = host.pending_reboot.iter().copied().collect();
            self.kb.supersedence.closure(&waiting)
        };
        let unknown_kbs = installed
            .iter()
            .copied()
            .filter(|k| !self.known_kbs.contains(k))
            .collect();
        let cumulative_builds = os::cumulative_builds(self, &installed);
        let nvd = self
            .any_configurations
            .then(|| nvd::NvdHost::of(self.kb, host, platform.is_ok()));
        HostContext {
            host,
            platform,
            os_ids,
            proven,
            pending,
            cumulative_builds,
            unknown_kbs,
            linux: linux::LinuxHost::of(host),
            nvd,
        }
    }

    /// Verdicts for every CVE of the knowledge base, in CVE order.
    pub fn check_host(&self, host: &HostInventory) -> Vec<Verdict> {
        let ctx = self.context(host);
        self.kb.cves.values().map(|rec| self.judge(&ctx, rec)).collect()
    }

    /// Verdicts for every CVE for many hosts, in host order. Hosts with the same [`HostInventory::match_key`]
    /// (same release, build, architecture, KBs and software: hosts patched together) share one computation and
    /// one verdict list.
    pub fn check_fleet(&self, hosts: &[HostInventory]) -> Vec<Arc<Vec<Verdict>>> {
        let mut done: HashMap<_, Arc<Vec<Verdict>>> = HashMap::new();
        hosts
            .iter()
            .map(|h| {
                done.entry(h.match_key())
                    .or_insert_with(|| Arc::new(self.check_host(h)))
                    .clone()
            })
            .collect()
    }

    /// Verdicts for the given CVE records.
    pub fn check<'r>(
        &self,
        host: &HostInventory,
        records: impl IntoIterator<Item = &'r CveRecord>,
    ) -> Vec<Verdict> {
        let ctx = self.context(host);
        records.into_iter().map(|rec| self.judge(&ctx, rec)).collect()
    }

    /// The verdict for one host context and one CVE.
    pub fn judge(&self, ctx: &HostContext<'_>, rec: &CveRecord) -> Verdict {
        judge::judge(self, ctx, rec)
    }

    fn kind(&self, id: &str) -> ProductKind {
        self.kinds.get(id).copied().unwrap_or(ProductKind::Software)
    }
}
