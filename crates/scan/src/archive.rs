//! Opening zip archives: each member is scanned as `archive.zip!member`, within [`crate::ArchiveLimits`].

use std::io::{Cursor, Read};

use crate::report::SkipReason;
use crate::scanner::{Collector, Engine, ScanOptions};

/// True when `data` starts with a zip local file header or an empty-archive end record.
pub(crate) fn is_zip(data: &[u8]) -> bool {
    data.starts_with(b"PK\x03\x04") || data.starts_with(b"PK\x05\x06")
}

/// Scans the members of the zip archive `data`, named `path`, at nesting `depth` (1 for a top-level archive).
pub(crate) fn scan_zip(
    engine: &Engine,
    yara: &mut Option<yara_x::Scanner<'_>>,
    path: &str,
    data: &[u8],
    depth: usize,
    opts: &ScanOptions,
    out: &mut Collector,
) {
    let mut zip = match zip::ZipArchive::new(Cursor::new(data)) {
        Ok(z) => z,
        Err(e) => {
            return out.skip(
                path.to_string(),
                Some(data.len() as u64),
                SkipReason::ArchiveError { error: e.to_string() },
            )
        }
    };
    let limits = &opts.archives;
    let mut total: u64 = 0;
    let count = zip.len();
    for index in 0..count {
        if index >= limits.max_members {
            let limit = format!(
                "{} members not scanned past the {}-member limit",
                count - index,
                limits.max_members
            );
            return out.skip(format!("{path}!*"), None, SkipReason::ArchiveLimit { limit });
        }
        let listed_name = zip
            .name_for_index(index)
            .map_or_else(|| format!("#{index}"), str::to_string);
        let mut member = match zip.by_index(index) {
            Ok(m) => m,
            Err(e) => {
                let name = listed_name;
                out.skip(
                    format!("{path}!{name}"),
                    None,
                    SkipReason::ArchiveError { error: e.to_string() },
                );
                continue;
            }
        };
        if member.is_dir() {
            continue;
        }
        let name = format!("{path}!{}", member.name());
        let declared = member.size();
        if declared > opts.max_size {
            out.skip(
                name,
                Some(declared),
                SkipReason::TooLarge { limit: opts.max_size },
            );
            continue;
        }
        if total.saturating_add(declared) > limits.max_total {
            let limit = format!("more than {} uncompressed bytes in one archive", limits.max_total);
            return out.skip(format!("{path}!*"), None, SkipReason::ArchiveLimit { limit });
        }
        // Read at most one byte past the limit: a member may lie about its size.
        let mut content = Vec::new();
        #[allow(
            clippy::disallowed_methods,
            reason = "capped by take(max_size + 1) just above"
        )]
        let read = (&mut member)
            .take(opts.max_size.saturating_add(1))
            .read_to_end(&mut content);
        drop(member);
        match read {
            Err(e) => out.skip(
                name,
                Some(declared),
                SkipReason::ArchiveError { error: e.to_string() },
            ),
            Ok(n) if n as u64 > opts.max_size => {
                out.skip(
                    name,
                    Some(n as u64),
                    SkipReason::TooLarge { limit: opts.max_size },
                );
            }
            Ok(n) => {
                total += n as u64;
                out.stats.archive_members += 1;
                engine.scan_content(yara, &name, &content, depth, opts, out);
            }
        }
    }
}
