//! Helpers for JSON feeds whose key spelling varies between publishers (`ProductID`, `product_id`, `productid`)
//! and whose scalars are sometimes wrapped (`{"Value": "..."}`).

use serde_json::Value;

/// Key comparison ignoring case, `_` and `-`.
fn norm(key: &str) -> String {
    key.chars()
        .filter(|c| *c != '_' && *c != '-')
        .flat_map(char::to_lowercase)
        .collect()
}

/// The member of `v` whose key matches `key` loosely.
pub(crate) fn get<'a>(v: &'a Value, key: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    if let Some(found) = obj.get(key) {
        return Some(found);
    }
    let wanted = norm(key);
    obj.iter().find(|(k, _)| norm(k) == wanted).map(|(_, v)| v)
}

/// A scalar as text: strings, numbers, booleans, or an object holding `Value`/`text`.
pub(crate) fn text(v: Option<&Value>) -> Option<String> {
    match v? {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        o @ Value::Object(_) => text(get(o, "value").or_else(|| get(o, "text"))),
        _ => None,
    }
}

/// The text of member `key`, or empty.
pub(crate) fn text_of(v: &Value, key: &str) -> String {
    text(get(v, key)).unwrap_or_default()
}

/// A member as a list: arrays as they are, `null`/absent as empty, a single value as one item.
pub(crate) fn list(v: Option<&Value>) -> Vec<&Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(one) => vec![one],
    }
}

/// Items of a container that is either a list or an object wrapping the list under `inner`
/// (`"threats": {"threat": [...]}` versus `"Threats": [...]`).
pub(crate) fn children<'a>(v: &'a Value, outer: &str, inner: &str) -> Vec<&'a Value> {
    match get(v, outer) {
        Some(o @ Value::Object(_)) if get(o, inner).is_some() => list(get(o, inner)),
        other => list(other),
    }
}

/// The texts of a list member (`"ProductID": ["1", "2"]` or `"product_id": "1"`).
pub(crate) fn texts(v: &Value, key: &str) -> Vec<String> {
    list(get(v, key))
        .into_iter()
        .filter_map(|x| text(Some(x)))
        .collect()
}
