//! Turning inventory bytes into text: UTF-16 with or without BOM (as `systeminfo > file` in PowerShell writes),
//! an ASCII prefix followed by UTF-16 (as `wmic` writes after "Please wait while WMIC is being installed."),
//! UTF-8, and legacy code pages. The fields read from inventories are ASCII (versions, KB numbers, architecture),
//! so a legacy code page decoded as Windows-1252 keeps them intact.

/// Decodes inventory bytes to text; never fails.
pub fn decode_text(bytes: &[u8]) -> String {
    if let Some(rest) = bytes.strip_prefix(b"\xFF\xFE") {
        return utf16(rest, false);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xFE\xFF") {
        return utf16(rest, true);
    }
    if let Some(rest) = bytes.strip_prefix(b"\xEF\xBB\xBF") {
        return String::from_utf8_lossy(rest).into_owned();
    }
    let nuls = bytes.iter().filter(|&&b| b == 0).count();
    if nuls > bytes.len() / 8 {
        // UTF-16LE without BOM, possibly after a single-byte prefix: the UTF-16 part starts at the first
        // character followed by a NUL.
        let start = bytes.windows(2).position(|w| w[0] != 0 && w[1] == 0).unwrap_or(0);
        let (prefix, rest) = bytes.split_at(start);
        let rest = rest.strip_prefix(b"\xFF\xFE").unwrap_or(rest);
        let mut text = legacy(prefix);
        if !text.is_empty() {
            text.push('\n');
        }
        text.push_str(&utf16(rest, false));
        return text;
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_owned(),
        Err(_) => by_locale(bytes),
    }
}

/// A legacy code page chosen from the `System Locale` value (`zh-cn;Chinese (China)`), which is ASCII in every
/// code page; Windows-1252 when the locale has no better match.
fn by_locale(bytes: &[u8]) -> String {
    let text = legacy(bytes);
    let locale = text.lines().find_map(|l| {
        let v = l.split_once(':')?.1.trim();
        let (code, _) = v.split_once(';')?;
        let plausible = code.len() <= 5 && code.chars().all(|c| c.is_ascii_alphabetic() || c == '-');
        plausible.then(|| code.to_ascii_lowercase())
    });
    let encoding = match locale.as_deref() {
        Some("zh-cn" | "zh-sg") => encoding_rs::GBK,
        Some("zh-tw" | "zh-hk") => encoding_rs::BIG5,
        Some("ja") => encoding_rs::SHIFT_JIS,
        Some("ko") => encoding_rs::EUC_KR,
        Some("ru" | "uk" | "bg") => encoding_rs::IBM866,
        _ => return text,
    };
    encoding.decode(bytes).0.into_owned()
}

fn legacy(bytes: &[u8]) -> String {
    encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned()
}

fn utf16(bytes: &[u8], big_endian: bool) -> String {
    let units = bytes.chunks_exact(2).map(|c| {
        if big_endian {
            u16::from_be_bytes([c[0], c[1]])
        } else {
            u16::from_le_bytes([c[0], c[1]])
        }
    });
    char::decode_utf16(units)
        .map(|r| r.unwrap_or(char::REPLACEMENT_CHARACTER))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_with_and_without_bom_and_after_an_ascii_prefix() {
        let wide: Vec<u8> = "KB1 x".encode_utf16().flat_map(u16::to_le_bytes).collect();
        let mut bom = b"\xFF\xFE".to_vec();
        bom.extend(&wide);
        assert_eq!(decode_text(&bom), "KB1 x");
        assert_eq!(decode_text(&wide), "KB1 x");
        let mut mixed = b"Please wait.".to_vec();
        mixed.extend(&wide);
        assert_eq!(decode_text(&mixed), "Please wait.\nKB1 x");
        assert_eq!(decode_text(b"Versi\xf3n 10.0"), "Versi\u{f3}n 10.0");
    }
}
