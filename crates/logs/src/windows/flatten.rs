//! Flattening the `Event` JSON (as the `evtx` crate renders it, and as `evtx_dump` writes it) into fields.

use serde_json::{Map, Value};

/// Sections of an event that are not payload.
const NOT_PAYLOAD: [&str; 2] = ["System", "#attributes"];

/// The System fields and the payload of an `Event` object, flat. Returns the fields in document order.
pub(crate) fn flatten_event(event: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::with_capacity(32);
    if let Some(Value::Object(system)) = event.get("System") {
        flatten_system(system, &mut out);
    }
    for (section, value) in event {
        if NOT_PAYLOAD.contains(&section.as_str()) {
            continue;
        }
        if section == "EventData" {
            flatten_event_data(value, &mut out);
        } else {
            // UserData, ProcessingErrorData, DebugData, BinaryEventData...: leaf names.
            flatten_leaves(section, value, &mut out);
        }
    }
    out
}

fn flatten_system(system: &Map<String, Value>, out: &mut Vec<(String, String)>) {
    for (name, value) in system {
        match value {
            Value::Null => {}
            Value::Object(element) => {
                // In document order, as the `evtx` crate renders it (`#attributes` before `#text`).
                for (child, value) in element {
                    match child.as_str() {
                        "#text" => push_values(name, value, out),
                        "#attributes" => {
                            let Value::Object(attributes) = value else {
                                continue;
                            };
                            for (attribute, value) in attributes {
                                // `TimeCreated` carries its time in `SystemTime`; Sigma calls the field `TimeCreated`.
                                let field = if name == "TimeCreated" && attribute == "SystemTime" {
                                    name.clone()
                                } else {
                                    format!("{name}_{attribute}")
                                };
                                push_values(&field, value, out);
                            }
                        }
                        _ => push_values(&format!("{name}_{child}"), value, out),
                    }
                }
            }
            other => push_values(name, other, out),
        }
    }
}

fn flatten_event_data(data: &Value, out: &mut Vec<(String, String)>) {
    let Value::Object(data) = data else {
        // `<EventData>text</EventData>` or a bare list.
        return push_values("EventData", data, out);
    };
    for (name, value) in data {
        match name.as_str() {
            "Data" => {
                let mut values = Vec::new();
                collect_text(value, &mut values);
                for (index, text) in values.iter().enumerate() {
                    out.push(("Data".to_owned(), text.clone()));
                    out.push((format!("Data[{}]", index + 1), text.clone()));
                }
            }
            "#attributes" => push_attributes("EventData", value, out),
            _ => flatten_leaves(name, value, out),
        }
    }
}

/// Pushes `value` under its leaf names: scalars under `name`, lists item by item, objects by their children's
/// names (`#text` under the parent's name, attributes other than namespaces under their own names).
fn flatten_leaves(name: &str, value: &Value, out: &mut Vec<(String, String)>) {
    match value {
        Value::Null => {}
        Value::Array(items) => {
            for item in items {
                flatten_leaves(name, item, out);
            }
        }
        Value::Object(children) => {
            for (child, value) in children {
                match child.as_str() {
                    "#text" => flatten_leaves(name, value, out),
                    "#attributes" => push_attributes(name, value, out),
                    _ => flatten_leaves(child, value, out),
                }
            }
        }
        scalar => out.push((name.to_owned(), scalar_text(scalar))),
    }
}

fn push_attributes(owner: &str, attributes: &Value, out: &mut Vec<(String, String)>) {
    let Value::Object(attributes) = attributes else {
        return push_values(owner, attributes, out);
    };
    for (attribute, value) in attributes {
        if attribute == "xmlns" || attribute.starts_with("xmlns:") {
            continue;
        }
        push_values(attribute, value, out);
    }
}

/// Scalars, and each item of a list, under `name`; an object's `#text` likewise.
fn push_values(name: &str, value: &Value, out: &mut Vec<(String, String)>) {
    let mut values = Vec::new();
    collect_text(value, &mut values);
    out.extend(values.into_iter().map(|text| (name.to_owned(), text)));
}

fn collect_text(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Null => {}
        Value::Array(items) => items.iter().for_each(|item| collect_text(item, out)),
        Value::Object(element) => {
            if let Some(text) = element.get("#text") {
                collect_text(text, out);
            }
        }
        scalar => out.push(scalar_text(scalar)),
    }
}

/// The text of a scalar as the event's XML would show it.
pub(crate) fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::flatten_event;
    use serde_json::json;

    fn flat(event: &serde_json::Value) -> Vec<(String, String)> {
        flatten_event(event.as_object().expect("an object"))
    }

    fn has(fields: &[(String, String)], name: &str, value: &str) -> bool {
        fields.iter().any(|(n, v)| n == name && v == value)
    }

    #[test]
    fn system_attributes_get_element_prefixes() {
        let fields = flat(&json!({
            "System": {
                "Provider": {"#attributes": {"Name": "Service Control Manager", "Guid": "{555908d1}"}},
                "EventID": {"#attributes": {"Qualifiers": 16384}, "#text": 7036},
                "TimeCreated": {"#attributes": {"SystemTime": "2020-09-23T16:57:41.3726306Z"}},
                "Correlation": null,
                "Execution": {"#attributes": {"ProcessID": 580, "ThreadID": 6460}},
                "Channel": "System"
            }
        }));
        assert!(has(&fields, "Provider_Name", "Service Control Manager"));
        assert!(has(&fields, "EventID", "7036"));
        assert!(has(&fields, "EventID_Qualifiers", "16384"));
        assert!(has(&fields, "TimeCreated", "2020-09-23T16:57:41.3726306Z"));
        assert!(has(&fields, "Execution_ProcessID", "580"));
        assert!(!fields.iter().any(|(n, _)| n.starts_with("Correlation")));
    }

    #[test]
    fn unnamed_data_is_data_and_numbered() {
        let fields = flat(
            &json!({"EventData": {"Data": {"#text": ["show advanced options", "0", "1"]}, "Binary": "613C"}}),
        );
        let data: Vec<&str> = fields
            .iter()
            .filter(|(n, _)| n == "Data")
            .map(|(_, v)| v.as_str())
            .collect();
        assert_eq!(data, ["show advanced options", "0", "1"]);
        assert!(has(&fields, "Data[1]", "show advanced options"));
        assert!(has(&fields, "Data[3]", "1"));
        assert!(has(&fields, "Binary", "613C"));
    }

    #[test]
    fn user_data_is_flattened_by_leaf_name_without_namespaces() {
        let fields = flat(&json!({"UserData": {"LogFileCleared": {
            "#attributes": {"xmlns": "http://manifests.microsoft.com/win/2004/08/windows/eventlog"},
            "SubjectUserName": "admin", "SubjectLogonId": "0x3e7", "Flag": true, "Nested": {"Inner": 5}
        }}}));
        assert_eq!(
            fields,
            [
                ("SubjectUserName".to_owned(), "admin".to_owned()),
                ("SubjectLogonId".to_owned(), "0x3e7".to_owned()),
                ("Flag".to_owned(), "true".to_owned()),
                ("Inner".to_owned(), "5".to_owned()),
            ]
        );
    }
}
