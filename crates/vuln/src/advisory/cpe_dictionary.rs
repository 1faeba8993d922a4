//! NVD CPE dictionary records (API 2.0 `products[].cpe` or one `cpe` object): a CPE name with its English title,
//! so that a program listed by its display name ("PHPGurukul Car Rental Portal") finds its vendor and product.

use super::json::{get, list, text_of};
use crate::cpe::Cpe;
use crate::error::{Error, Location, Result};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// One dictionary entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CpeEntry {
    /// The CPE name.
    pub cpe: Cpe,
    /// The English title (`PHPGurukul Car Rental Portal 1.0`).
    pub title: String,
    /// Deprecated by NVD.
    pub deprecated: bool,
}

/// True when the value is a dictionary record or an API response of them.
pub(super) fn is_dictionary(v: &Value) -> bool {
    get(v, "cpeName").is_some()
        || list(get(v, "products"))
            .first()
            .is_some_and(|p| get(p, "cpe").is_some())
}

/// Reads the records.
pub fn from_value(source: &str, v: &Value) -> Result<Vec<CpeEntry>> {
    let items: Vec<&Value> = if get(v, "cpeName").is_some() {
        vec![v]
    } else {
        list(get(v, "products"))
            .into_iter()
            .map(|p| get(p, "cpe").unwrap_or(p))
            .collect()
    };
    items
        .into_iter()
        .enumerate()
        .map(|(i, item)| {
            let name = text_of(item, "cpeName");
            let cpe = Cpe::parse(&name).map_err(|message| Error::Schema {
                at: Location::source(source).with_element(format!("products[{i}].cpe.cpeName")),
                message,
            })?;
            let titles = list(get(item, "titles"));
            let title = titles
                .iter()
                .find(|t| text_of(t, "lang").starts_with("en"))
                .or(titles.first())
                .map(|t| text_of(t, "title"))
                .unwrap_or_default();
            Ok(CpeEntry {
                cpe,
                title,
                deprecated: get(item, "deprecated").and_then(Value::as_bool).unwrap_or(false),
            })
        })
        .collect()
}
