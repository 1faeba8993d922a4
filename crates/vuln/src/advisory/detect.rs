//! Recognising a feed from its bytes: zstd-compressed or plain, XML or JSON, and which JSON schema.

use super::catalog::{self, CatalogRecord};
use super::cpe_dictionary::{self, CpeEntry};
use super::distro::{self, DistroDocument};
use super::kev::{self, KevCatalog};
use super::nvd::{self, NvdRecord};
use super::{csaf, cvrf_json, cvrf_xml, json::get, MsrcDocument};
use crate::error::{Error, Location, Result};
use serde_json::Value;
use std::io::Read;

/// Largest advisory accepted, compressed or decompressed. A month of CVRF is under 4 MiB; the whole Debian Security
/// Tracker, the largest feed read, is one JSON object of every source package and has grown past 64 MiB.
pub const MAX_ADVISORY_BYTES: usize = 256 * 1024 * 1024;

/// A parsed feed.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Feed {
    /// Microsoft CVRF (XML or JSON) or a CSAF 2.0 advisory.
    Msrc(MsrcDocument),
    /// CISA KEV catalog.
    Kev(KevCatalog),
    /// NVD / CVE JSON 5 records.
    Nvd(Vec<NvdRecord>),
    /// An Update Catalog record.
    Catalog(CatalogRecord),
    /// Distribution security data: the Debian Security Tracker or OSV records (Ubuntu, Debian).
    Distro(DistroDocument),
    /// NVD CPE dictionary records.
    CpeDictionary(Vec<CpeEntry>),
}

/// Parses any supported feed, decompressing zstd first. `source` names the input in errors.
pub fn parse_any(source: &str, bytes: &[u8]) -> Result<Feed> {
    check_size(source, bytes.len())?;
    if bytes.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]) {
        let plain = decompress(source, bytes)?;
        return parse_plain(source, &plain);
    }
    parse_plain(source, bytes)
}

fn check_size(source: &str, size: usize) -> Result<()> {
    if size > MAX_ADVISORY_BYTES {
        return Err(Error::TooLarge {
            at: Location::source(source),
            size,
            limit: MAX_ADVISORY_BYTES,
        });
    }
    Ok(())
}

/// Decompresses a zstd frame, refusing output beyond [`MAX_ADVISORY_BYTES`].
pub fn decompress(source: &str, bytes: &[u8]) -> Result<Vec<u8>> {
    let decoder = ruzstd::decoding::StreamingDecoder::new(bytes).map_err(|e| Error::Decompress {
        at: Location::source(source),
        message: e.to_string(),
    })?;
    let mut out = Vec::new();
    // The reader is capped with `take` one byte past the limit, so the read is bounded.
    let limit = u64::try_from(MAX_ADVISORY_BYTES).unwrap_or(u64::MAX) + 1;
    #[allow(clippy::disallowed_methods)]
    decoder
        .take(limit)
        .read_to_end(&mut out)
        .map_err(|e| Error::Decompress {
            at: Location::source(source),
            message: e.to_string(),
        })?;
    check_size(source, out.len())?;
    Ok(out)
}

fn parse_plain(source: &str, bytes: &[u8]) -> Result<Feed> {
    let body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match body.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => cvrf_xml::parse(source, body).map(Feed::Msrc),
        Some(b'{' | b'[') => {
            let v: Value = serde_json::from_slice(body).map_err(|e| Error::Json {
                at: Location::line(source, e.line()),
                message: e.to_string(),
            })?;
            json_feed(source, &v)
        }
        _ => Err(Error::UnknownFormat {
            at: Location::source(source),
            message: "neither XML nor JSON".into(),
        }),
    }
}

fn json_feed(source: &str, v: &Value) -> Result<Feed> {
    if get(v, "document").is_some_and(|d| get(d, "csaf_version").is_some()) {
        return csaf::from_value(source, v).map(Feed::Msrc);
    }
    if get(v, "catalogVersion").is_some() {
        return kev::from_value(source, v).map(Feed::Kev);
    }
    if get(v, "documenttracking").is_some() {
        return cvrf_json::from_value(source, v).map(Feed::Msrc);
    }
    if get(v, "update_id").is_some() {
        return catalog::from_value(source, v).map(Feed::Catalog);
    }
    if distro::is_tracker(v) {
        return distro::tracker_from_value(source, v).map(Feed::Distro);
    }
    if distro::is_osv(v) {
        return distro::osv_from_value(source, v).map(Feed::Distro);
    }
    if cpe_dictionary::is_dictionary(v) {
        return cpe_dictionary::from_value(source, v).map(Feed::CpeDictionary);
    }
    if get(v, "cveMetadata").is_some()
        || get(v, "id").is_some()
        || get(v, "cve").is_some()
        || get(v, "vulnerabilities").is_some()
    {
        return nvd::from_value(source, v).map(Feed::Nvd);
    }
    Err(Error::UnknownFormat {
        at: Location::source(source),
        message: "JSON is not CSAF, CVRF, KEV, NVD/CVE 5, an NVD CPE dictionary record, an Update Catalog \
                  record, the Debian Security Tracker or an OSV record"
            .into(),
    })
}
