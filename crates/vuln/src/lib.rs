//! Advisories (Microsoft CVRF and CSAF, CISA KEV, NVD and CVE JSON 5 with CPE configurations, the Debian Security
//! Tracker and OSV records for Ubuntu and Debian), host inventories (`systeminfo`, `wmic qfe`, agent JSON with
//! dpkg packages) and vulnerability matching with evidence. No I/O: callers pass bytes in.
//!
//! The data flow: [`advisory::parse_any`] turns each feed into values; [`KnowledgeBase::merge`] folds them into
//! one idempotent model per CVE with KB supersedence; [`inventory::parse_inventory`] reads a host; and
//! [`matching::Matcher`] gives every host × CVE a [`matching::State`] with evidence (`check_host` for one host,
//! `check_fleet` for many, computing each distinct patch state once). [`query::AdvisoryQuery`] selects CVEs for a
//! saved view such as "Microsoft, Critical or Important, released May–December 2023".
//!
//! ```
//! use canhgac_vuln::{advisory, inventory, matching::Matcher, KnowledgeBase};
//!
//! let cvrf = br#"<cvrfdoc><DocumentTracking><Identification><ID>2099-Jan</ID></Identification></DocumentTracking>
//! <ProductTree><Branch Type="Product Family" Name="Windows">
//!   <FullProductName ProductID="12097">Windows 10 Version 22H2 for x64-based Systems</FullProductName></Branch></ProductTree>
//! <Vulnerability><CVE>CVE-2099-0001</CVE>
//!   <ProductStatuses><Status Type="Known Affected"><ProductID>12097</ProductID></Status></ProductStatuses>
//!   <Remediations><Remediation Type="Vendor Fix"><Description>5000002</Description>
//!     <Supercedence>5000001</Supercedence><ProductID>12097</ProductID></Remediation></Remediations>
//! </Vulnerability></cvrfdoc>"#;
//! let mut kb = KnowledgeBase::default();
//! kb.merge(advisory::parse_any("2099-Jan.xml", cvrf).unwrap());
//!
//! let host = inventory::parse_inventory("pc1.txt", b"Host Name: PC1\r\nOS Name: Microsoft Windows 10 Pro\r\n\
//! OS Version: 10.0.19045 N/A Build 19045\r\nSystem Type: x64-based PC\r\nHotfix(s): 1 Hotfix(s) Installed.\r\n\
//!   [01]: KB5000003\r\n").unwrap();
//! let verdicts = Matcher::new(&kb).check_host(&host);
//! assert_eq!(verdicts[0].state, canhgac_vuln::matching::State::Vulnerable);
//! ```

#![cfg_attr(not(test), deny(clippy::unwrap_used))]

pub mod advisory;
pub mod cpe;
mod error;
pub mod inventory;
pub mod knowledge;
pub mod linux;
pub mod matching;
pub mod model;
pub mod platform;
pub mod query;

pub use error::{Error, Location, Result};
pub use knowledge::KnowledgeBase;
pub use model::{Cvss, Kb, Severity, Version};
