//! Saved queries over the knowledge base: "Microsoft, severity Critical|Important, released
//! 2023-05-01..2023-12-31" is one value of [`AdvisoryQuery`], stored as JSON or written as text, not a special
//! case in code.

use crate::error::{Error, Location, Result};
use crate::knowledge::{CveRecord, KnowledgeBase};
use crate::model::Severity;
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// A selection of CVEs. Every condition that is set must hold; unset conditions select everything.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AdvisoryQuery {
    /// Only CVEs published in Microsoft's documents.
    #[serde(default)]
    pub microsoft: bool,
    /// Allowed maximum severities (empty: any).
    #[serde(default)]
    pub severities: Vec<Severity>,
    /// Released on or after.
    #[serde(default)]
    pub released_from: Option<NaiveDate>,
    /// Released on or before.
    #[serde(default)]
    pub released_to: Option<NaiveDate>,
    /// In CISA KEV (`Some(true)`), not in it (`Some(false)`), either (`None`).
    #[serde(default)]
    pub kev: Option<bool>,
    /// Exploited per Microsoft.
    #[serde(default)]
    pub exploited: Option<bool>,
    /// An explicit CVE list (a national warning letter), empty for any.
    #[serde(default)]
    pub cves: Vec<String>,
}

impl AdvisoryQuery {
    /// Parses the text form: space-separated `key=value` terms, e.g.
    /// `vendor=microsoft severity=critical,important released=2023-05-01..2023-12-31 kev=yes cve=CVE-2023-1,CVE-2023-2`.
    pub fn parse(text: &str) -> Result<Self> {
        let mut q = Self::default();
        for term in text.split_whitespace() {
            let bad = |message: String| Error::Schema {
                at: Location::source("query").with_element(term),
                message,
            };
            let (key, value) = term
                .split_once('=')
                .ok_or_else(|| bad("expected key=value".into()))?;
            match key {
                "vendor" if value.eq_ignore_ascii_case("microsoft") => q.microsoft = true,
                "vendor" => return Err(bad(format!("vendor {value:?}: only microsoft is known"))),
                "severity" => {
                    for word in value.split([',', '|']) {
                        q.severities.push(
                            Severity::parse(word).ok_or_else(|| bad(format!("unknown severity {word:?}")))?,
                        );
                    }
                }
                "released" => {
                    let (from, to) = value
                        .split_once("..")
                        .ok_or_else(|| bad("expected FROM..TO".into()))?;
                    let date = |s: &str| -> Result<Option<NaiveDate>> {
                        if s.is_empty() {
                            return Ok(None);
                        }
                        NaiveDate::parse_from_str(s, "%Y-%m-%d")
                            .map(Some)
                            .map_err(|e| bad(format!("date {s:?}: {e}")))
                    };
                    q.released_from = date(from)?;
                    q.released_to = date(to)?;
                }
                "kev" | "exploited" => {
                    let flag = match value {
                        "yes" | "true" => true,
                        "no" | "false" => false,
                        _ => return Err(bad(format!("{key} must be yes or no"))),
                    };
                    if key == "kev" {
                        q.kev = Some(flag);
                    } else {
                        q.exploited = Some(flag);
                    }
                }
                "cve" => q
                    .cves
                    .extend(value.split(',').filter(|c| !c.is_empty()).map(str::to_owned)),
                _ => return Err(bad(format!("unknown key {key:?}"))),
            }
        }
        Ok(q)
    }

    /// True when the record satisfies every condition.
    pub fn matches(&self, kb: &KnowledgeBase, rec: &CveRecord) -> bool {
        if self.microsoft && rec.documents.is_empty() {
            return false;
        }
        if !self.severities.is_empty() && !rec.max_severity().is_some_and(|s| self.severities.contains(&s)) {
            return false;
        }
        if self.released_from.is_some() || self.released_to.is_some() {
            let released = rec
                .released
                .as_deref()
                .and_then(|r| r.get(..10))
                .and_then(|d| NaiveDate::parse_from_str(d, "%Y-%m-%d").ok());
            let Some(date) = released else { return false };
            if self.released_from.is_some_and(|f| date < f) || self.released_to.is_some_and(|t| date > t) {
                return false;
            }
        }
        if self.kev.is_some_and(|k| k != kb.in_kev(&rec.cve)) {
            return false;
        }
        if self
            .exploited
            .is_some_and(|e| rec.exploited.unwrap_or(false) != e)
        {
            return false;
        }
        self.cves.is_empty() || self.cves.iter().any(|c| c == &rec.cve)
    }

    /// The records selected, in CVE order.
    pub fn select<'k>(&self, kb: &'k KnowledgeBase) -> Vec<&'k CveRecord> {
        kb.cves.values().filter(|r| self.matches(kb, r)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_form_parses_and_reports_bad_terms() {
        let q = AdvisoryQuery::parse(
            "vendor=microsoft severity=critical|important released=2023-05-01..2023-12-31",
        )
        .unwrap();
        assert!(q.microsoft);
        assert_eq!(q.severities, vec![Severity::Critical, Severity::Important]);
        assert_eq!(q.released_to, NaiveDate::from_ymd_opt(2023, 12, 31));
        let err = AdvisoryQuery::parse("severity=urgent").unwrap_err().to_string();
        assert_eq!(err, "query (severity=urgent): unknown severity \"urgent\"");
        let json = serde_json::to_string(&q).unwrap();
        assert_eq!(serde_json::from_str::<AdvisoryQuery>(&json).unwrap(), q);
    }
}
