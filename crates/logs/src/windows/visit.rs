//! Flattening the `Event` JSON straight from its bytes, without building a `serde_json::Value` tree first.
//!
//! Same names and order as [`flatten`](super::flatten) (a test compares the two on every sample record); this
//! path exists because building the tree cost about twice as much as the `evtx` crate's own rendering.

use std::borrow::Cow;
use std::fmt;

use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

type Fields = Vec<(String, String)>;

/// Flat fields of the JSON document `{"Event": {...}}` in `json`.
pub(crate) fn flatten_event_bytes(json: &[u8]) -> Result<Fields, serde_json::Error> {
    let mut out = Vec::with_capacity(32);
    let mut deserializer = serde_json::Deserializer::from_slice(json);
    Root { out: &mut out }.deserialize(&mut deserializer)?;
    deserializer.end()?;
    Ok(out)
}

/// What to do with each value met.
#[derive(Clone, Copy)]
enum Role<'n> {
    /// The document root: look for `Event`.
    Root,
    /// The `Event` object: its sections.
    Event,
    /// `System`: its children, attributes as `<Element>_<Attribute>`.
    System,
    /// One child of `System`.
    SystemElement(&'n str),
    /// `EventData`: names as they are, unnamed `Data` numbered.
    EventData,
    /// A value pushed under leaf names, starting with this one.
    Leaf(&'n str),
    /// An attribute map: each attribute (but namespaces) by its name.
    Attributes,
}

struct Root<'a> {
    out: &'a mut Fields,
}

impl<'de> DeserializeSeed<'de> for Root<'_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(Walk {
            role: Role::Root,
            out: self.out,
        })
    }
}

/// Walks one value in a role, pushing fields.
struct Walk<'a, 'n> {
    role: Role<'n>,
    out: &'a mut Fields,
}

impl<'de> DeserializeSeed<'de> for Walk<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl Walk<'_, '_> {
    fn scalar(self, text: String) {
        match self.role {
            Role::Leaf(name) | Role::SystemElement(name) => self.out.push((name.to_owned(), text)),
            Role::EventData => self.out.push(("EventData".to_owned(), text)),
            Role::Root | Role::Event | Role::System | Role::Attributes => {}
        }
    }
}

impl<'de> Visitor<'de> for Walk<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an event log record as JSON")
    }

    fn visit_str<E>(self, v: &str) -> Result<(), E> {
        self.scalar(v.to_owned());
        Ok(())
    }
    fn visit_string<E>(self, v: String) -> Result<(), E> {
        self.scalar(v);
        Ok(())
    }
    fn visit_u64<E>(self, v: u64) -> Result<(), E> {
        self.scalar(v.to_string());
        Ok(())
    }
    fn visit_i64<E>(self, v: i64) -> Result<(), E> {
        self.scalar(v.to_string());
        Ok(())
    }
    fn visit_f64<E>(self, v: f64) -> Result<(), E> {
        self.scalar(serde_json::Number::from_f64(v).map_or_else(|| v.to_string(), |n| n.to_string()));
        Ok(())
    }
    fn visit_bool<E>(self, v: bool) -> Result<(), E> {
        self.scalar(v.to_string());
        Ok(())
    }
    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
    fn visit_none<E>(self) -> Result<(), E> {
        Ok(())
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<(), A::Error> {
        let role = match self.role {
            Role::SystemElement(_) | Role::Leaf(_) => self.role,
            Role::EventData => Role::Leaf("EventData"),
            _ => {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                return Ok(());
            }
        };
        while seq.next_element_seed(Walk { role, out: self.out })?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        let out = self.out;
        while let Some(key) = map.next_key_seed(Key)? {
            let role = match (self.role, &*key) {
                (Role::Root, "Event") => Role::Event,
                (Role::Root, _) | (Role::Event, "#attributes") => {
                    map.next_value::<IgnoredAny>()?;
                    continue;
                }
                (Role::Event, "System") => Role::System,
                (Role::Event, "EventData") => Role::EventData,
                (Role::System, _) => Role::SystemElement(&key),
                (Role::SystemElement(name), "#text") => Role::SystemElement(name),
                (Role::SystemElement(name), "#attributes") => {
                    map.next_value_seed(SystemAttributes {
                        element: name,
                        out: &mut *out,
                    })?;
                    continue;
                }
                (Role::SystemElement(name), child) => {
                    let field = format!("{name}_{child}");
                    map.next_value_seed(Walk {
                        role: Role::SystemElement(&field),
                        out: &mut *out,
                    })?;
                    continue;
                }
                (Role::EventData, "Data") => {
                    let mut texts = Vec::new();
                    map.next_value_seed(Walk {
                        role: Role::Leaf("Data"),
                        out: &mut texts,
                    })?;
                    for (index, (_, text)) in texts.into_iter().enumerate() {
                        out.push(("Data".to_owned(), text.clone()));
                        out.push((format!("Data[{}]", index + 1), text));
                    }
                    continue;
                }
                (Role::EventData | Role::Leaf(_), "#attributes") => Role::Attributes,
                (Role::Leaf(name), "#text") => Role::Leaf(name),
                (Role::Event | Role::EventData | Role::Leaf(_) | Role::Attributes, _) => {
                    if matches!(self.role, Role::Attributes) && (key == "xmlns" || key.starts_with("xmlns:"))
                    {
                        map.next_value::<IgnoredAny>()?;
                        continue;
                    }
                    Role::Leaf(&key)
                }
            };
            map.next_value_seed(Walk { role, out: &mut *out })?;
        }
        Ok(())
    }
}

/// A System element's attributes: `<Element>_<Attribute>`, and `TimeCreated` for `TimeCreated/SystemTime`.
struct SystemAttributes<'a, 'n> {
    element: &'n str,
    out: &'a mut Fields,
}

impl<'de> DeserializeSeed<'de> for SystemAttributes<'_, '_> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for SystemAttributes<'_, '_> {
    type Value = ();

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("XML attributes")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
        while let Some(attribute) = map.next_key_seed(Key)? {
            let field = if self.element == "TimeCreated" && attribute == "SystemTime" {
                "TimeCreated".to_owned()
            } else {
                format!("{}_{attribute}", self.element)
            };
            map.next_value_seed(Walk {
                role: Role::SystemElement(&field),
                out: &mut *self.out,
            })?;
        }
        Ok(())
    }

    fn visit_unit<E>(self) -> Result<(), E> {
        Ok(())
    }
}

/// A map key, borrowed from the input when it has no escapes (the common case), so keys cost no allocation.
struct Key;

impl<'de> DeserializeSeed<'de> for Key {
    type Value = Cow<'de, str>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_str(self)
    }
}

impl<'de> Visitor<'de> for Key {
    type Value = Cow<'de, str>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a key")
    }
    fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Cow::Borrowed(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Cow::Owned(v))
    }
}
