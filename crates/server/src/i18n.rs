//! Translations: every text a person sees lives in `locales/<lang>.toml` (nested tables flatten to dotted keys).
//! Vietnamese is the default; English one click away.

use std::collections::HashMap;

use crate::error::StartError;

/// The languages offered, default first.
pub const LANGS: [&str; 2] = ["vi", "en"];

const FILES: [(&str, &str); 2] = [
    ("vi", include_str!("../locales/vi.toml")),
    ("en", include_str!("../locales/en.toml")),
];

/// All translations, loaded once.
#[derive(Debug)]
pub struct I18n {
    texts: HashMap<&'static str, HashMap<String, String>>,
}

fn flatten(prefix: &str, table: &toml::Table, out: &mut HashMap<String, String>) {
    for (k, v) in table {
        let key = if prefix.is_empty() {
            k.clone()
        } else {
            format!("{prefix}.{k}")
        };
        match v {
            toml::Value::Table(t) => flatten(&key, t, out),
            toml::Value::String(s) => {
                out.insert(key, s.clone());
            }
            other => {
                out.insert(key, other.to_string());
            }
        }
    }
}

impl I18n {
    /// The translations embedded in the binary.
    pub fn embedded() -> Result<I18n, StartError> {
        let mut texts = HashMap::new();
        for (lang, src) in FILES {
            let table: toml::Table = src.parse().map_err(|e: toml::de::Error| StartError::Locale {
                file: format!("{lang}.toml"),
                reason: e.to_string(),
            })?;
            let mut map = HashMap::new();
            flatten("", &table, &mut map);
            texts.insert(lang, map);
        }
        Ok(I18n { texts })
    }

    /// The text of `key` in `lang`, falling back to Vietnamese, then to the key itself (visible, so tests catch it).
    pub fn t<'a>(&'a self, lang: &str, key: &'a str) -> &'a str {
        self.texts
            .get(lang)
            .and_then(|m| m.get(key))
            .or_else(|| self.texts.get("vi").and_then(|m| m.get(key)))
            .map_or(key, String::as_str)
    }

    /// Every key of a language (for completeness tests).
    pub fn keys(&self, lang: &str) -> Vec<&str> {
        let mut k: Vec<&str> = self
            .texts
            .get(lang)
            .map(|m| m.keys().map(String::as_str).collect())
            .unwrap_or_default();
        k.sort_unstable();
        k
    }
}

/// The supported language named by `value`, or the default.
pub fn pick(value: Option<&str>) -> &'static str {
    value
        .and_then(|v| LANGS.into_iter().find(|l| *l == v))
        .unwrap_or(LANGS[0])
}
