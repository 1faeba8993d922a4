//! Validation of what people type: each problem names its field and a translation key for the message.

use std::net::IpAddr;

use serde::Serialize;

/// One problem with one field. `code` is a translation key (`err.*`), `value` the offending text when useful.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FieldError {
    /// The form or JSON field.
    pub field: String,
    /// The translation key of the message, e.g. `err.ip_invalid`.
    pub code: String,
    /// The offending value, shown beside the message.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<String>,
}

impl FieldError {
    /// A problem with `field`.
    pub fn new(field: &str, code: &str) -> Self {
        FieldError {
            field: field.to_string(),
            code: code.to_string(),
            value: None,
        }
    }

    /// The same, naming the offending value.
    pub fn with_value(mut self, value: &str) -> Self {
        self.value = Some(value.chars().take(200).collect());
        self
    }
}

/// Input that failed validation: every problem found, not only the first.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid input: {}", .0.iter().map(|e| format!("{}: {}", e.field, e.code)).collect::<Vec<_>>().join(", "))]
pub struct Invalid(pub Vec<FieldError>);

/// Collects field errors while validating.
#[derive(Debug, Default)]
pub(crate) struct Checker(pub Vec<FieldError>);

impl Checker {
    pub fn required(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        if v.is_empty() {
            self.0.push(FieldError::new(field, "err.required"));
        } else {
            self.max_len(field, v, max);
        }
        v.to_string()
    }

    pub fn optional(&mut self, field: &str, value: &str, max: usize) -> String {
        let v = value.trim();
        self.max_len(field, v, max);
        v.to_string()
    }

    fn max_len(&mut self, field: &str, v: &str, max: usize) {
        if v.chars().count() > max {
            self.0.push(FieldError::new(field, "err.too_long"));
        }
    }

    pub fn push(&mut self, e: FieldError) {
        self.0.push(e);
    }

    pub fn finish<T>(self, value: T) -> Result<T, Invalid> {
        if self.0.is_empty() {
            Ok(value)
        } else {
            Err(Invalid(self.0))
        }
    }
}

/// Parses a list of IP addresses separated by commas, semicolons or white space.
pub fn parse_ip_list(field: &str, text: &str) -> Result<Vec<IpAddr>, FieldError> {
    let mut out = Vec::new();
    for part in text
        .split([',', ';', ' ', '\n', '\t'])
        .map(str::trim)
        .filter(|s| !s.is_empty())
    {
        let ip: IpAddr = part
            .parse()
            .map_err(|_| FieldError::new(field, "err.ip_invalid").with_value(part))?;
        if !out.contains(&ip) {
            out.push(ip);
        }
    }
    Ok(out)
}

/// Parses a MAC address written with `:` or `-` (or none), returning it as `aa:bb:cc:dd:ee:ff`.
pub fn parse_mac(field: &str, text: &str) -> Result<String, FieldError> {
    let hex: String = text.chars().filter(|c| !matches!(c, ':' | '-' | '.')).collect();
    if hex.len() != 12 || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
        return Err(FieldError::new(field, "err.mac_invalid").with_value(text));
    }
    let lower = hex.to_ascii_lowercase();
    let pairs: Vec<&str> = (0..6).filter_map(|i| lower.get(i * 2..i * 2 + 2)).collect();
    Ok(pairs.join(":"))
}

/// Parses a CIDR range (`203.0.113.0/24`, `2001:db8::/48`, or a bare address as a single-host range) and returns it
/// in canonical form with the host bits cleared.
pub fn parse_cidr(field: &str, text: &str) -> Result<String, FieldError> {
    let bad = || FieldError::new(field, "err.cidr_invalid").with_value(text);
    let t = text.trim();
    let (addr, len) = match t.split_once('/') {
        Some((a, l)) => (a, Some(l.parse::<u8>().map_err(|_| bad())?)),
        None => (t, None),
    };
    let ip: IpAddr = addr.parse().map_err(|_| bad())?;
    match ip {
        IpAddr::V4(v4) => {
            let len = len.unwrap_or(32);
            if len > 32 {
                return Err(bad());
            }
            let mask = if len == 0 { 0 } else { u32::MAX << (32 - len) };
            let net = std::net::Ipv4Addr::from(u32::from(v4) & mask);
            Ok(format!("{net}/{len}"))
        }
        IpAddr::V6(v6) => {
            let len = len.unwrap_or(128);
            if len > 128 {
                return Err(bad());
            }
            let mask = if len == 0 { 0 } else { u128::MAX << (128 - len) };
            let net = std::net::Ipv6Addr::from(u128::from(v6) & mask);
            Ok(format!("{net}/{len}"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ip_lists_accept_v4_v6_and_separators() {
        let ips = parse_ip_list("ips", "10.0.0.1, 2001:db8::1;10.0.0.1\n192.168.1.2").unwrap();
        assert_eq!(ips.len(), 3);
        let err = parse_ip_list("ips", "10.0.0.1, 10.0.0.300").unwrap_err();
        assert_eq!(err.code, "err.ip_invalid");
        assert_eq!(err.value.as_deref(), Some("10.0.0.300"));
    }

    #[test]
    fn macs_are_normalised() {
        assert_eq!(
            parse_mac("mac", "AA-BB-CC-00-11-22").unwrap(),
            "aa:bb:cc:00:11:22"
        );
        assert_eq!(parse_mac("mac", "aabbcc001122").unwrap(), "aa:bb:cc:00:11:22");
        assert!(parse_mac("mac", "aa:bb:cc:00:11").is_err());
        assert!(parse_mac("mac", "zz:bb:cc:00:11:22").is_err());
    }

    #[test]
    fn cidrs_are_canonical() {
        assert_eq!(parse_cidr("r", "203.0.113.77/24").unwrap(), "203.0.113.0/24");
        assert_eq!(parse_cidr("r", "198.51.100.7").unwrap(), "198.51.100.7/32");
        assert_eq!(parse_cidr("r", "2001:db8:1::5/48").unwrap(), "2001:db8:1::/48");
        assert_eq!(parse_cidr("r", "0.0.0.0/0").unwrap(), "0.0.0.0/0");
        assert!(parse_cidr("r", "10.0.0.0/33").is_err());
        assert!(parse_cidr("r", "ten/8").is_err());
    }
}
