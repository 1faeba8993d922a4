//! Bytes → text, whatever encoding a Vietnamese office machine saved them in.

use unicode_normalization::UnicodeNormalization;

/// Text from UTF-8 (with or without BOM), UTF-16 (with BOM) or, when the bytes are not UTF-8, Windows-1258.
///
/// Windows-1258 writes many Vietnamese letters as a base letter followed by a combining tone mark; those are
/// composed (NFC) so that "Dược" compares equal however it was typed.
///
/// ```
/// assert_eq!(canhgac_tabular::decode(b"\xEF\xBB\xBFIP"), "IP");
/// assert_eq!(canhgac_tabular::decode(b"D\xFD\xF5\xF2c"), "Dược");
/// ```
pub fn decode(bytes: &[u8]) -> String {
    if let Some((enc, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return enc.decode_without_bom_handling(&bytes[bom..]).0.into_owned();
    }
    match std::str::from_utf8(bytes) {
        Ok(s) => s.to_string(),
        Err(_) => encoding_rs::WINDOWS_1258
            .decode_without_bom_handling(bytes)
            .0
            .nfc()
            .collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf16_both_byte_orders() {
        let text = "Tên máy,IP";
        let mut le = vec![0xFF, 0xFE];
        le.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
        let mut be = vec![0xFE, 0xFF];
        be.extend(text.encode_utf16().flat_map(u16::to_be_bytes));
        assert_eq!(decode(&le), text);
        assert_eq!(decode(&be), text);
    }

    #[test]
    fn windows_1258_is_composed() {
        // "Khoa Dược": ư = 0xFD, ơ = 0xF5 followed by the combining dot below 0xF2.
        let s = decode(b"Khoa D\xFD\xF5\xF2c");
        assert_eq!(s, "Khoa Dược");
        assert_eq!(s.chars().count(), 9, "the tone mark is composed into one letter");
    }
}
