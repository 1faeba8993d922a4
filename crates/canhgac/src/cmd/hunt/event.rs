//! The log crate's `WinEvent` as the Sigma engine's `Event`.

use canhgac_logs::WinEvent;
use canhgac_sigma::{Event, FieldValue, FlatEvent};
use chrono::{DateTime, Utc};

/// A borrowed `WinEvent` seen through the Sigma event contract.
pub struct SigmaEvent<'a>(pub &'a WinEvent);

impl Event for SigmaEvent<'_> {
    fn field(&self, name: &str) -> Option<FieldValue<'_>> {
        let fields = &self.0.fields;
        if let Some((_, v)) = fields.iter().find(|(k, _)| k == name) {
            return Some(FieldValue::Str(v));
        }
        // Providers such as Windows Defender put spaces in names (`Source Name`) that Sigma rules leave out.
        fields
            .iter()
            .find(|(k, _)| k.contains(' ') && k.bytes().filter(|b| *b != b' ').eq(name.bytes()))
            .map(|(_, v)| FieldValue::Str(v))
    }

    fn field_values(&self, name: &str, f: &mut dyn FnMut(FieldValue<'_>)) {
        let mut any = false;
        for (_, v) in self.0.fields.iter().filter(|(k, _)| k == name) {
            any = true;
            f(FieldValue::Str(v));
        }
        if !any {
            if let Some(v) = self.field(name) {
                f(v);
            }
        }
    }

    fn for_each_field(&self, f: &mut dyn FnMut(&str, FieldValue<'_>)) {
        for (k, v) in &self.0.fields {
            f(k, FieldValue::Str(v));
        }
    }

    fn channel(&self) -> Option<&str> {
        Some(&self.0.channel)
    }

    fn event_id(&self) -> Option<u32> {
        Some(self.0.event_id)
    }

    fn timestamp(&self) -> Option<DateTime<Utc>> {
        Some(self.0.timestamp)
    }
}

/// An owned copy for the correlator, which sees events after all files are read.
pub fn to_flat(e: &WinEvent) -> FlatEvent {
    FlatEvent {
        channel: Some(e.channel.clone()),
        event_id: Some(e.event_id),
        timestamp: Some(e.timestamp),
        fields: e.fields.clone(),
    }
}
