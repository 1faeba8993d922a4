//! A Windows event as `EvtRender(EvtRenderEventXml)` gives it → the JSON shape of `evtx_dump` and the `evtx`
//! crate (`{"Event": {"System": …, "EventData": …}}`), which the server's intake reads like an uploaded EVTX
//! file's events. Pure text handling, tested on every system.

use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;
use serde_json::{Map, Value};

/// An element read from the XML.
#[derive(Debug, Default)]
struct Node {
    name: String,
    attrs: Vec<(String, String)>,
    children: Vec<Node>,
    text: String,
}

fn local(name: &[u8]) -> String {
    let name = String::from_utf8_lossy(name);
    match name.rsplit_once(':') {
        Some((_, l)) => l.to_string(),
        None => name.into_owned(),
    }
}

fn start(e: &BytesStart<'_>) -> Node {
    let attrs = e
        .attributes()
        .flatten()
        .filter(|a| {
            let key = a.key.as_ref();
            key != b"xmlns" && !key.starts_with(b"xmlns:")
        })
        .map(|a| {
            let raw = String::from_utf8_lossy(&a.value);
            let value =
                quick_xml::escape::unescape(&raw).map_or_else(|_| raw.to_string(), |v| v.into_owned());
            (local(a.key.as_ref()), value)
        })
        .collect();
    Node {
        name: local(e.name().as_ref()),
        attrs,
        ..Node::default()
    }
}

/// Reads the XML into its root element.
fn tree(xml: &str) -> Result<Node, String> {
    let mut reader = Reader::from_str(xml);
    let mut stack: Vec<Node> = vec![Node::default()];
    loop {
        let event = reader
            .read_event()
            .map_err(|e| format!("XML at byte {}: {e}", reader.error_position()))?;
        match event {
            Event::Start(e) => stack.push(start(&e)),
            Event::Empty(e) => {
                let node = start(&e);
                if let Some(parent) = stack.last_mut() {
                    parent.children.push(node);
                }
            }
            Event::End(_) => {
                let node = stack.pop().ok_or("unbalanced XML")?;
                stack.last_mut().ok_or("unbalanced XML")?.children.push(node);
            }
            Event::Text(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::CData(t) => {
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&String::from_utf8_lossy(&t));
                }
            }
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r).into_owned();
                let resolved = match r.resolve_char_ref().ok().flatten() {
                    Some(c) => c.to_string(),
                    None => quick_xml::escape::resolve_predefined_entity(&name)
                        .map_or_else(|| format!("&{name};"), str::to_string),
                };
                if let Some(n) = stack.last_mut() {
                    n.text.push_str(&resolved);
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if stack.len() != 1 {
        return Err("the XML ends inside an element".into());
    }
    stack
        .pop()
        .and_then(|mut doc| doc.children.pop())
        .ok_or_else(|| "no element".into())
}

/// A scalar: a whole number as a number (event ids, record ids, process ids), anything else as text.
fn scalar(text: &str) -> Value {
    let t = text.trim();
    if !t.is_empty()
        && t.len() < 19
        && t.bytes().all(|b| b.is_ascii_digit())
        && !(t.len() > 1 && t.starts_with('0'))
    {
        if let Ok(n) = t.parse::<u64>() {
            return Value::from(n);
        }
    }
    Value::String(t.to_string())
}

/// An element in the `evtx` crate's shape: attributes under `#attributes`, text under `#text` (or the element
/// is its text when it has neither attributes nor children), children by name (repeated names become a list).
fn element(node: &Node) -> Value {
    if node.attrs.is_empty() && node.children.is_empty() {
        return if node.text.trim().is_empty() {
            Value::Null
        } else {
            scalar(&node.text)
        };
    }
    let mut out = Map::new();
    if !node.attrs.is_empty() {
        let attrs: Map<String, Value> = node.attrs.iter().map(|(k, v)| (k.clone(), scalar(v))).collect();
        out.insert("#attributes".into(), Value::Object(attrs));
    }
    if node.name == "EventData" || node.name == "UserData" && node.children.iter().all(|c| c.name == "Data") {
        event_data(node, &mut out);
    } else {
        for child in &node.children {
            add(&mut out, &child.name, element(child));
        }
    }
    if !node.text.trim().is_empty() {
        out.insert("#text".into(), scalar(&node.text));
    }
    Value::Object(out)
}

/// `<Data Name="X">v</Data>` as `"X": "v"`; unnamed `<Data>` values as `"Data": {"#text": [...]}`.
fn event_data(node: &Node, out: &mut Map<String, Value>) {
    let mut unnamed = Vec::new();
    for child in &node.children {
        let name = child
            .attrs
            .iter()
            .find(|(k, _)| k == "Name")
            .map(|(_, v)| v.clone());
        match (child.name.as_str(), name) {
            ("Data", Some(name)) => {
                let text = child.text.trim();
                add(
                    out,
                    &name,
                    if text.is_empty() {
                        Value::Null
                    } else {
                        Value::String(text.into())
                    },
                );
            }
            ("Data", None) => unnamed.push(Value::String(child.text.trim().into())),
            (other, _) => add(out, other, element(child)),
        }
    }
    match unnamed.len() {
        0 => {}
        1 => add(
            out,
            "Data",
            Value::Object(Map::from_iter([("#text".into(), unnamed.remove(0))])),
        ),
        _ => add(
            out,
            "Data",
            Value::Object(Map::from_iter([("#text".into(), Value::Array(unnamed))])),
        ),
    }
}

fn add(out: &mut Map<String, Value>, name: &str, value: Value) {
    match out.get_mut(name) {
        None => {
            out.insert(name.into(), value);
        }
        Some(Value::Array(items)) => items.push(value),
        Some(existing) => {
            let first = existing.take();
            *existing = Value::Array(vec![first, value]);
        }
    }
}

/// Converts one rendered event.
pub fn event_to_json(xml: &str) -> Result<Value, String> {
    let root = tree(xml)?;
    if root.name != "Event" {
        return Err(format!("root element <{}>, not <Event>", root.name));
    }
    Ok(Value::Object(Map::from_iter([("Event".into(), element(&root))])))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 4624 logon as Windows renders it (wevtutil qe Security /f:xml), shortened.
    const LOGON: &str = r#"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><Provider Name='Microsoft-Windows-Security-Auditing' Guid='{54849625-5478-4994-a5ba-3e3b0328c30d}'/><EventID>4624</EventID><Version>2</Version><Level>0</Level><Task>12544</Task><Opcode>0</Opcode><Keywords>0x8020000000000000</Keywords><TimeCreated SystemTime='2025-11-20T07:31:02.5419760Z'/><EventRecordID>1048577</EventRecordID><Correlation ActivityID='{a1b2c3d4-0000-0000-0000-000000000000}'/><Execution ProcessID='740' ThreadID='812'/><Channel>Security</Channel><Computer>WS-07.benhvien.local</Computer><Security/></System><EventData><Data Name='SubjectUserSid'>S-1-5-18</Data><Data Name='TargetUserName'>an.nguyen</Data><Data Name='LogonType'>3</Data><Data Name='IpAddress'>203.0.113.7</Data><Data Name='ProcessName'>-</Data><Data Name='Empty'></Data></EventData></Event>"#;

    #[test]
    fn a_rendered_logon_event_becomes_the_evtx_shape() {
        let v = event_to_json(LOGON).unwrap();
        let system = &v["Event"]["System"];
        assert_eq!(system["EventID"], 4624);
        assert_eq!(system["Channel"], "Security");
        assert_eq!(system["Computer"], "WS-07.benhvien.local");
        assert_eq!(system["EventRecordID"], 1_048_577);
        assert_eq!(system["Keywords"], "0x8020000000000000");
        assert_eq!(
            system["Provider"]["#attributes"]["Name"],
            "Microsoft-Windows-Security-Auditing"
        );
        assert_eq!(
            system["TimeCreated"]["#attributes"]["SystemTime"],
            "2025-11-20T07:31:02.5419760Z"
        );
        assert_eq!(system["Execution"]["#attributes"]["ProcessID"], 740);
        assert!(v["Event"]["#attributes"].is_null(), "namespaces dropped");
        let data = &v["Event"]["EventData"];
        assert_eq!(data["TargetUserName"], "an.nguyen");
        assert_eq!(data["LogonType"], "3");
        assert_eq!(data["IpAddress"], "203.0.113.7");
        assert!(data["Empty"].is_null());
    }

    #[test]
    fn the_server_reads_the_converted_event() {
        let line = event_to_json(LOGON).unwrap().to_string();
        let (event, _) = canhgac_logs::parse_win_json_line(&line).unwrap();
        assert_eq!(event.event_id, 4624);
        assert_eq!(event.channel, "Security");
        assert!(event
            .fields
            .iter()
            .any(|(k, v)| k == "TargetUserName" && v == "an.nguyen"));
    }

    #[test]
    fn unnamed_data_escapes_and_bad_xml() {
        let xml = "<Event><System><EventID>7036</EventID></System><EventData><Data>a &amp; b</Data><Data>&#x41;</Data></EventData></Event>";
        let v = event_to_json(xml).unwrap();
        assert_eq!(
            v["Event"]["EventData"]["Data"]["#text"],
            serde_json::json!(["a & b", "A"])
        );
        assert!(event_to_json("<Event><System>")
            .unwrap_err()
            .contains("ends inside"));
        assert!(event_to_json("<Other/>").unwrap_err().contains("<Other>"));
    }
}
