//! Microsoft Update Catalog records (one JSON object per update) with their supersedes / superseded-by lists.
//! The catalog names related updates by title, so KB numbers are read from the `(KBnnnnnnn)` in each title.

use super::json::{get, list, text, text_of};
use crate::error::{Error, Location, Result};
use crate::model::Kb;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One catalog update.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CatalogRecord {
    /// The update's GUID.
    pub update_id: String,
    /// Its KB article.
    pub kb: Option<Kb>,
    /// Title, e.g. `2023-05 Cumulative Update for Windows 11 Version 22H2 for arm64-based Systems (KB5026372)`.
    pub title: String,
    /// KBs this update supersedes.
    pub supersedes: Vec<Kb>,
    /// KBs that supersede this update.
    pub superseded_by: Vec<Kb>,
    /// Related titles without a KB number, kept so they can be reported.
    pub unresolved: Vec<String>,
}

/// Parses one catalog record.
pub fn parse(source: &str, bytes: &[u8]) -> Result<CatalogRecord> {
    let value: Value = serde_json::from_slice(bytes).map_err(|e| Error::Json {
        at: Location::line(source, e.line()),
        message: e.to_string(),
    })?;
    from_value(source, &value)
}

/// Reads a record already parsed.
pub fn from_value(source: &str, v: &Value) -> Result<CatalogRecord> {
    let update_id = text_of(v, "update_id");
    if update_id.is_empty() {
        return Err(Error::Schema {
            at: Location::source(source).with_element("update_id"),
            message: "not an Update Catalog record: update_id is missing".into(),
        });
    }
    let title = text_of(v, "title");
    let kb = Kb::parse(&text_of(v, "kb_article")).or_else(|| kb_in_title(&title));
    let mut record = CatalogRecord {
        update_id,
        kb,
        title,
        ..Default::default()
    };
    for (key, into_supersedes) in [("supersedes", true), ("supersededby", false)] {
        for item in list(get(v, key)) {
            let related = text(get(item, "title"))
                .or_else(|| text(Some(item)))
                .unwrap_or_default();
            match kb_in_title(&related) {
                Some(kb) if into_supersedes => record.supersedes.push(kb),
                Some(kb) => record.superseded_by.push(kb),
                None => record.unresolved.push(related),
            }
        }
    }
    Ok(record)
}

/// The KB number in parentheses in an update title.
pub fn kb_in_title(title: &str) -> Option<Kb> {
    let start = title.rfind("(KB")? + 1;
    let end = title[start..].find(')')? + start;
    Kb::parse(&title[start..end])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kb_is_read_from_the_title() {
        assert_eq!(
            kb_in_title("2023-04 Cumulative Update for Windows 11 (KB5025239)"),
            Some(Kb(5025239))
        );
        assert_eq!(kb_in_title("Feature update (KB5025239) UUP"), Some(Kb(5025239)));
        assert_eq!(kb_in_title("Definition Update"), None);
    }
}
