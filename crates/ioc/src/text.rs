//! Reading one indicator out of a piece of text: addresses, CIDR blocks, ranges, `ip:port`, hashes, URLs and
//! domains, also in the "defanged" forms CERT advisories use (`hxxp://`, `evil[.]com`, `1.2.3[.]4`).

use std::borrow::Cow;
use std::net::{IpAddr, Ipv4Addr};

use unicode_normalization::UnicodeNormalization;

use crate::indicator::{FileHash, Indicator, IpRange};
use crate::Problem;

/// Lowercase, without Vietnamese diacritics (`Địa chỉ IP` → `dia chi ip`), punctuation other than `&` turned into
/// spaces and runs of spaces collapsed: the form header names and category words are compared in.
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = true;
    for c in text.nfd() {
        let c = match c {
            'đ' | 'Đ' => 'd',
            c if unicode_normalization::char::is_combining_mark(c) => continue,
            c => c,
        };
        if c.is_alphanumeric() || c == '&' {
            out.extend(c.to_lowercase());
            space = false;
        } else if !space {
            out.push(' ');
            space = true;
        }
    }
    if out.ends_with(' ') {
        out.pop();
    }
    out
}

/// Undoes the usual defanging: `hxxp` → `http`, `[.]` `(.)` `[dot]` → `.`, `[:]` → `:`.
pub fn refang(text: &str) -> Cow<'_, str> {
    if !text.contains(['[', '(']) && !text.starts_with("hxxp") && !text.starts_with("HXXP") {
        return Cow::Borrowed(text);
    }
    let mut s = text
        .replace("[.]", ".")
        .replace("(.)", ".")
        .replace("[dot]", ".")
        .replace("[:]", ":")
        .replace("[://]", "://");
    if s.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("hxxp")) {
        s.replace_range(..4, "http");
    }
    Cow::Owned(s)
}

/// An address, a CIDR block `a/n`, a range `a-b` (spaces allowed around the dash), or `ip:port` /
/// `[v6]:port`. Returns the range and the port if one was given.
pub fn parse_ip(text: &str) -> Result<(IpRange, Option<u16>), Problem> {
    let t = text.trim();
    if let Some((a, n)) = t.split_once('/') {
        let ip: IpAddr = a.trim().parse().map_err(|_| Problem::BadAddress)?;
        let prefix: u8 = n.trim().parse().map_err(|_| Problem::BadPrefix)?;
        return IpRange::cidr(ip, prefix)
            .map(|r| (r, None))
            .ok_or(Problem::BadPrefix);
    }
    if let Some((a, b)) = t.split_once('-') {
        let (a, b) = (a.trim(), b.trim());
        return match (a.parse::<IpAddr>(), b.parse::<IpAddr>()) {
            (Ok(a), Ok(b)) => IpRange::between(a, b).map(|r| (r, None)).ok_or(Problem::BadRange),
            (Err(_), Err(_)) => Err(Problem::BadAddress),
            _ => Err(Problem::BadRange),
        };
    }
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Ok((IpRange::single(ip), None));
    }
    // ip:port, [v6]:port
    let (host, port) = match t.rsplit_once(':') {
        Some((h, p)) if h.starts_with('[') && h.ends_with(']') => (&h[1..h.len() - 1], p),
        Some((h, p)) if h.parse::<Ipv4Addr>().is_ok() => (h, p),
        _ => return Err(Problem::BadAddress),
    };
    let ip: IpAddr = host.parse().map_err(|_| Problem::BadAddress)?;
    let port = parse_port(port)?;
    Ok((IpRange::single(ip), Some(port)))
}

/// A port 0–65535.
pub fn parse_port(text: &str) -> Result<u16, Problem> {
    text.trim().parse().map_err(|_| Problem::BadPort)
}

/// A domain name in the form kept in sets: lowercase, no trailing dot; `None` when it is not one (labels of
/// letters, digits, `-` and `_`, at least two labels, a last label that is not all digits).
pub fn normalize_domain(text: &str) -> Option<String> {
    let d = text.trim().trim_end_matches('.').to_lowercase();
    let d = d.strip_prefix("*.").unwrap_or(&d);
    let ok = d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|l| {
            !l.is_empty() && l.len() <= 63 && l.chars().all(|c| c.is_alphanumeric() || c == '-' || c == '_')
        })
        && d.rsplit('.')
            .next()
            .is_some_and(|tld| !tld.chars().all(|c| c.is_ascii_digit()));
    ok.then(|| d.to_string())
}

/// A URL in the form kept in sets: scheme and host lowercase, the fragment removed; `None` without a scheme.
pub fn normalize_url(text: &str) -> Option<String> {
    let t = text.trim();
    let t = t.split_once('#').map_or(t, |(a, _)| a);
    let (scheme, rest) = t.split_once("://")?;
    if scheme.is_empty()
        || !scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "+-.".contains(c))
    {
        return None;
    }
    let host_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (host, path) = rest.split_at(host_end);
    if host.is_empty() || host.contains(char::is_whitespace) {
        return None;
    }
    Some(format!(
        "{}://{}{}",
        scheme.to_ascii_lowercase(),
        host.to_lowercase(),
        path
    ))
}

/// The indicator written in `text`, whatever its kind: an address form ([`parse_ip`]), a hash, a URL or a
/// domain, possibly defanged. Returns the port when the text gave one.
pub fn parse_any(text: &str) -> Result<(Indicator, Option<u16>), Problem> {
    let t = refang(text.trim());
    let t = t.as_ref();
    if t.is_empty() {
        return Err(Problem::Empty);
    }
    if let Ok((r, port)) = parse_ip(t) {
        return Ok((Indicator::Ip(r), port));
    }
    if let Some(h) = FileHash::parse(t) {
        return Ok((Indicator::Hash(h), None));
    }
    if t.contains("://") {
        return normalize_url(t)
            .map(|u| (Indicator::Url(u), None))
            .ok_or(Problem::BadUrl);
    }
    if let Some(d) = normalize_domain(t) {
        return Ok((Indicator::Domain(d), None));
    }
    // Looks like an address attempt (digits and dots, slashes, dashes) → say so precisely.
    if t.chars().all(|c| c.is_ascii_hexdigit() || ".:/-[] ".contains(c)) {
        return Err(parse_ip(t).err().unwrap_or(Problem::BadAddress));
    }
    Err(Problem::NotAnIndicator)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_vietnamese_headers() {
        assert_eq!(fold("  Địa chỉ IP "), "dia chi ip");
        assert_eq!(fold("Tên mạng botnet"), "ten mang botnet");
        assert_eq!(fold("first_seen_utc"), "first seen utc");
        assert_eq!(fold("Ngày phát hiện (dd/mm/yyyy)"), "ngay phat hien dd mm yyyy");
    }

    #[test]
    fn address_forms() {
        let r = |s: &str| parse_ip(s).map(|(r, p)| (r.to_string(), p));
        assert_eq!(r("1.2.3.4"), Ok(("1.2.3.4".into(), None)));
        assert_eq!(r("1.2.3.0/24"), Ok(("1.2.3.0/24".into(), None)));
        assert_eq!(r("1.2.3.4 - 1.2.3.9"), Ok(("1.2.3.4-1.2.3.9".into(), None)));
        assert_eq!(r("1.2.3.4:8080"), Ok(("1.2.3.4".into(), Some(8080))));
        assert_eq!(r("[2001:db8::1]:443"), Ok(("2001:db8::1".into(), Some(443))));
        assert_eq!(r("2001:db8::/32"), Ok(("2001:db8::/32".into(), None)));
        assert_eq!(r("1.2.3.4/33"), Err(Problem::BadPrefix));
        assert_eq!(r("1.2.3.9-1.2.3.4"), Err(Problem::BadRange));
        assert_eq!(r("1.2.3.4:99999"), Err(Problem::BadPort));
        assert_eq!(r("1.2.3.256"), Err(Problem::BadAddress));
    }

    #[test]
    fn any_kind_and_defanged() {
        let k = |s: &str| parse_any(s).map(|(i, _)| i.to_string());
        assert_eq!(k("hxxp://Evil[.]Example/a#x"), Ok("http://evil.example/a".into()));
        assert_eq!(k("WWW.Example.COM."), Ok("www.example.com".into()));
        assert_eq!(k("185.100.87[.]202"), Ok("185.100.87.202".into()));
        assert_eq!(
            k("275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f").map(|s| s.len()),
            Ok(64)
        );
        assert_eq!(k("10.0.0.300"), Err(Problem::BadAddress));
        assert_eq!(k("hello world"), Err(Problem::NotAnIndicator));
        assert_eq!(k("   "), Err(Problem::Empty));
    }
}
