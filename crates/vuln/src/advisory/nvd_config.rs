//! NVD's applicability statements: API 2.0 / feed 2.0 `configurations` (each with `operator`, `negate` and
//! `nodes`, each node with `operator`, `negate` and `cpeMatch`) and feed 1.1 `configurations.nodes` (with
//! `children` and `cpe_match`), read into one shape.

use super::json::{get, list, text, text_of};
use crate::cpe::Cpe;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How a node's or configuration's parts combine.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Operator {
    /// Every part.
    And,
    /// Any part.
    Or,
}

impl Operator {
    fn parse(text: &str) -> Self {
        if text.trim().eq_ignore_ascii_case("and") {
            Self::And
        } else {
            Self::Or
        }
    }
}

/// One configuration: the CVE applies to a host on which it holds.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Configuration {
    /// How the nodes combine (OR when absent).
    pub operator: Operator,
    /// The configuration's result is inverted.
    pub negate: bool,
    /// The nodes.
    pub nodes: Vec<Node>,
}

/// A node: CPE match criteria combined by an operator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Node {
    /// How the criteria combine.
    pub operator: Operator,
    /// The node's result is inverted.
    pub negate: bool,
    /// The criteria.
    pub matches: Vec<CpeMatch>,
}

/// One `cpeMatch`: a CPE pattern, optionally with a version range, and whether it names the vulnerable product
/// (`false`: a platform it must run on).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CpeMatch {
    /// The vulnerable product (not a platform condition).
    pub vulnerable: bool,
    /// The pattern.
    pub criteria: Cpe,
    /// `versionStartIncluding`.
    pub start_including: Option<String>,
    /// `versionStartExcluding`.
    pub start_excluding: Option<String>,
    /// `versionEndIncluding`.
    pub end_including: Option<String>,
    /// `versionEndExcluding`.
    pub end_excluding: Option<String>,
}

impl CpeMatch {
    /// `openbsd:openssh versions before 9.3`, `cisco:ios 15.1(4)m3`.
    pub fn describe(&self) -> String {
        let c = &self.criteria;
        let mut s = format!("{}:{}", c.vendor, c.product);
        if c.version != "*" && c.version != "-" {
            s.push(' ');
            s.push_str(&c.version);
            if c.update != "*" && c.update != "-" {
                s.push_str(&c.update);
            }
        }
        let mut range = Vec::new();
        if let Some(v) = &self.start_including {
            range.push(format!("from {v}"));
        }
        if let Some(v) = &self.start_excluding {
            range.push(format!("after {v}"));
        }
        if let Some(v) = &self.end_including {
            range.push(format!("up to {v}"));
        }
        if let Some(v) = &self.end_excluding {
            range.push(format!("before {v}"));
        }
        if !range.is_empty() {
            s.push_str(" versions ");
            s.push_str(&range.join(" "));
        }
        if c.target_sw != "*" && c.target_sw != "-" {
            s.push_str(&format!(" on {}", c.target_sw));
        }
        s
    }
}

fn bound(v: &Value, key: &str) -> Option<String> {
    text(get(v, key))
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

fn cpe_match(v: &Value, uri_key: &str, at: &str, warnings: &mut Vec<String>) -> Option<CpeMatch> {
    let uri = text_of(v, uri_key);
    match Cpe::parse(&uri) {
        Ok(criteria) => Some(CpeMatch {
            // Required by both schemas; a criterion without it is taken as a platform condition.
            vulnerable: get(v, "vulnerable").and_then(Value::as_bool).unwrap_or(false),
            criteria,
            start_including: bound(v, "versionStartIncluding"),
            start_excluding: bound(v, "versionStartExcluding"),
            end_including: bound(v, "versionEndIncluding"),
            end_excluding: bound(v, "versionEndExcluding"),
        }),
        Err(e) => {
            warnings.push(format!("{at}.{uri_key}: {e}; criterion not used"));
            None
        }
    }
}

fn flag(v: &Value, key: &str) -> bool {
    get(v, key).and_then(Value::as_bool).unwrap_or(false)
}

/// API 2.0 / feed 2.0 `configurations` of a CVE object.
pub(super) fn read_v2(cve: &str, v: &Value, warnings: &mut Vec<String>) -> Vec<Configuration> {
    list(get(v, "configurations"))
        .into_iter()
        .enumerate()
        .map(|(i, c)| Configuration {
            operator: Operator::parse(&text_of(c, "operator")),
            negate: flag(c, "negate"),
            nodes: list(get(c, "nodes"))
                .into_iter()
                .enumerate()
                .map(|(j, n)| Node {
                    operator: Operator::parse(&text_of(n, "operator")),
                    negate: flag(n, "negate"),
                    matches: list(get(n, "cpeMatch"))
                        .into_iter()
                        .enumerate()
                        .filter_map(|(k, m)| {
                            let at = format!("{cve}: configurations[{i}].nodes[{j}].cpeMatch[{k}]");
                            cpe_match(m, "criteria", &at, warnings)
                        })
                        .collect(),
                })
                .collect(),
        })
        .collect()
}

/// Feed 1.1 `configurations.nodes`: a node with `children` becomes a configuration of its children.
pub(super) fn read_v11(cve: &str, v: &Value, warnings: &mut Vec<String>) -> Vec<Configuration> {
    let nodes = get(v, "configurations")
        .map(|c| list(get(c, "nodes")))
        .unwrap_or_default();
    let node = |n: &Value, at: &str, warnings: &mut Vec<String>| Node {
        operator: Operator::parse(&text_of(n, "operator")),
        negate: flag(n, "negate"),
        matches: list(get(n, "cpe_match"))
            .into_iter()
            .enumerate()
            .filter_map(|(k, m)| cpe_match(m, "cpe23Uri", &format!("{at}.cpe_match[{k}]"), warnings))
            .collect(),
    };
    nodes
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            let at = format!("{cve}: configurations.nodes[{i}]");
            let children = list(get(n, "children"));
            if children.is_empty() {
                Configuration {
                    operator: Operator::Or,
                    negate: false,
                    nodes: vec![node(n, &at, warnings)],
                }
            } else {
                Configuration {
                    operator: Operator::parse(&text_of(n, "operator")),
                    negate: flag(n, "negate"),
                    nodes: children
                        .into_iter()
                        .enumerate()
                        .map(|(j, c)| node(c, &format!("{at}.children[{j}]"), warnings))
                        .collect(),
                }
            }
        })
        .collect()
}
