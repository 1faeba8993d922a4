//! Lists laid out as a Vietnamese authority sends them (CSV and XLSX), STIX and MISP fixtures, and malformed files.

use canhgac_ioc::import::{import, Column, Format};
use canhgac_ioc::{Category, Error, ImportOptions, IndicatorSet, Location, Problem};
use rust_xlsxwriter::{ExcelDateTime, Format as CellFormat, Formula, Workbook};

const VN_CSV: &str = "\u{feff}DANH SÁCH ĐỊA CHỈ IP BOTNET THÁNG 01/2024;;;;\n\
(Kèm theo công văn số 123/STTTT-BCVT);;;;\n\
;;;;\n\
STT;Đơn vị;Địa chỉ IP;Tên mạng botnet;Ngày phát hiện\n\
1;Bệnh viện Đa khoa tỉnh;203.0.113.7;Mirai;15/01/2024\n\
2;Trung tâm Y tế huyện A;203.0.113.8:23;Gafgyt;31/01/2024\n\
3;Trung tâm Y tế huyện B;203.0.113.999;Mirai;16/01/2024\n\
4;Bệnh viện Phụ sản;198.51.100.4;Conficker;32/01/2024\n\
\n\
5;Bệnh viện Nhi;198.51.100.0/30;Necurs;01/02/2024\n";

#[test]
fn vietnamese_csv_with_title_rows() {
    let out = import("botnet-2024-01.csv", VN_CSV.as_bytes(), &ImportOptions::default()).unwrap();
    let map = out.mapping.clone().unwrap();
    assert_eq!(map.header_line, Some(4));
    assert_eq!(
        map.columns,
        [
            Column::Ignore,
            Column::Attribute("Đơn vị".into()),
            Column::Ip,
            Column::Family,
            Column::FirstSeen
        ]
    );
    let got: Vec<_> = out
        .entries
        .iter()
        .map(|e| {
            (
                e.origin.clone(),
                e.indicator.to_string(),
                e.meta.port,
                e.meta.family.clone().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (Location::Line(5), "203.0.113.7".into(), None, "Mirai".into()),
            (Location::Line(6), "203.0.113.8".into(), Some(23), "Gafgyt".into()),
            (
                Location::Line(10),
                "198.51.100.0/30".into(),
                None,
                "Necurs".into()
            ),
        ]
    );
    assert_eq!(
        out.entries[1].meta.first_seen.unwrap().to_string(),
        "2024-01-31 00:00:00",
        "dd/mm/yyyy"
    );
    assert!(out.entries[0]
        .meta
        .attributes
        .contains(&("Đơn vị".into(), "Bệnh viện Đa khoa tỉnh".into())));
    let rejected: Vec<_> = out.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(
        rejected,
        [
            "line 7, column \"Địa chỉ IP\": not an IP address: \"203.0.113.999\"",
            "line 8, column \"Ngày phát hiện\": invalid date: \"32/01/2024\"",
        ]
    );
}

#[test]
fn windows_1258_csv_reads_the_same_headers() {
    // "STT;Địa chỉ IP;Tên mạng botnet;Ngày phát hiện" as Windows-1258 writes it: base letters with combining
    // tone marks (0xF2 dot below, 0xD2 hook above, 0xCC grave) and precomposed ê (0xEA), á (0xE1), Đ (0xD0).
    let mut bytes =
        b"STT;\xD0i\xF2a chi\xD2 IP;T\xEAn ma\xF2ng botnet;Nga\xCCy ph\xE1t hi\xEA\xF2n\n".to_vec();
    bytes.extend_from_slice(b"1;203.0.113.7;Mirai;15/01/2024\n");
    let out = import("list.csv", &bytes, &ImportOptions::default()).unwrap();
    let map = out.mapping.unwrap();
    assert_eq!(map.headers[1], "Địa chỉ IP");
    assert_eq!(map.columns[1..], [Column::Ip, Column::Family, Column::FirstSeen]);
    assert_eq!(out.entries.len(), 1);
}

#[test]
fn a_corrected_mapping_is_applied() {
    let first = import("list.csv", VN_CSV.as_bytes(), &ImportOptions::default()).unwrap();
    let mut map = first.mapping.unwrap();
    // The user says the date column is when the address was last seen, and the unit column is to be ignored.
    map.columns[1] = Column::Ignore;
    map.columns[4] = Column::LastSeen;
    let options = ImportOptions {
        mapping: Some(map),
        ..Default::default()
    };
    let again = import("list.csv", VN_CSV.as_bytes(), &options).unwrap();
    let e = &again.entries[0];
    assert_eq!(e.meta.first_seen, None);
    assert_eq!(e.meta.last_seen.unwrap().to_string(), "2024-01-15 00:00:00");
    assert!(e.meta.attributes.is_empty());
    // A mapping naming a column the table does not have is refused whole.
    let mut bad = again.mapping.unwrap();
    bad.columns.push(Column::Ip);
    bad.columns.push(Column::Ip);
    let err = import(
        "list.csv",
        VN_CSV.as_bytes(),
        &ImportOptions {
            mapping: Some(bad),
            ..Default::default()
        },
    );
    assert_eq!(err.unwrap_err(), Error::BadMapping { column: 5, width: 5 });
}

fn vietnamese_workbook() -> Vec<u8> {
    let mut wb = Workbook::new();
    let guide = wb.add_worksheet();
    guide.set_name("Hướng dẫn").unwrap();
    guide
        .write(0, 0, "Các đơn vị rà soát và xử lý trước ngày 15/02/2024")
        .unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("Danh sách").unwrap();
    let title = CellFormat::new().set_bold();
    ws.merge_range(0, 0, 0, 4, "DANH SÁCH ĐỊA CHỈ IP NHIỄM MÃ ĐỘC BOTNET", &title)
        .unwrap();
    ws.merge_range(1, 0, 1, 4, "Tháng 01 năm 2024", &title).unwrap();
    for (c, h) in ["STT", "Địa chỉ IP", "Cổng", "Tên mạng botnet", "Ngày phát hiện"]
        .iter()
        .enumerate()
    {
        ws.write(3, c as u16, *h).unwrap();
    }
    let date_fmt = CellFormat::new().set_num_format("dd/mm/yyyy");
    // Row 5: an Excel date cell; row 6: the date typed as text; row 7: a formula with its cached value.
    ws.write(4, 0, 1).unwrap();
    ws.write(4, 1, "203.0.113.7").unwrap();
    ws.write(4, 2, 445).unwrap();
    ws.write(4, 3, "Conficker").unwrap();
    ws.write_datetime_with_format(4, 4, ExcelDateTime::from_ymd(2024, 1, 9).unwrap(), &date_fmt)
        .unwrap();
    ws.write(5, 0, 2).unwrap();
    ws.write(5, 1, "198.51.100.77").unwrap();
    ws.write(5, 3, "Mirai").unwrap();
    ws.write(5, 4, "20/01/2024").unwrap();
    ws.write(6, 0, 3).unwrap();
    ws.write_formula(
        6,
        1,
        Formula::new("=CONCATENATE(\"203.0.113.\",\"9\")").set_result("203.0.113.9"),
    )
    .unwrap();
    ws.write(6, 3, "Mirai").unwrap();
    ws.write(7, 0, 4).unwrap();
    ws.write_formula(7, 1, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    wb.add_worksheet().set_name("Trống").unwrap();
    wb.save_to_buffer().unwrap()
}

#[test]
fn vietnamese_xlsx_with_merged_title_dates_and_formulas() {
    let bytes = vietnamese_workbook();
    let options = ImportOptions {
        sheet: canhgac_tabular::Sheet::Named("Danh sách".into()),
        default_category: Category::InfectedHost,
        ..Default::default()
    };
    let out = import("botnet.xlsx", &bytes, &options).unwrap();
    assert_eq!(out.format, Format::Xlsx);
    assert_eq!(out.mapping.as_ref().unwrap().header_line, Some(4));
    let got: Vec<_> = out
        .entries
        .iter()
        .map(|e| {
            (
                e.origin.to_string(),
                e.indicator.to_string(),
                e.meta.port,
                e.meta.first_seen.map(|d| d.date().to_string()),
            )
        })
        .collect();
    assert_eq!(
        got,
        [
            (
                "line 5".into(),
                "203.0.113.7".into(),
                Some(445),
                Some("2024-01-09".into())
            ),
            (
                "line 6".into(),
                "198.51.100.77".into(),
                None,
                Some("2024-01-20".into())
            ),
            ("line 7".into(), "203.0.113.9".into(), None, None),
        ]
    );
    assert!(out
        .entries
        .iter()
        .all(|e| e.meta.category == Category::InfectedHost));
    assert_eq!(out.rejected.len(), 1);
    assert_eq!(out.rejected[0].at, Location::Line(8));
    assert_eq!(out.rejected[0].value, "#DIV/0!");
    // The first sheet is a note, not a list; an empty sheet is an error, not an empty list.
    assert_eq!(
        import("botnet.xlsx", &bytes, &ImportOptions::default()).unwrap_err(),
        Error::NoIndicatorColumn
    );
    let empty = ImportOptions {
        sheet: canhgac_tabular::Sheet::Named("Trống".into()),
        ..Default::default()
    };
    assert_eq!(import("botnet.xlsx", &bytes, &empty).unwrap_err(), Error::Empty);
    let missing = ImportOptions {
        sheet: canhgac_tabular::Sheet::Named("Không có".into()),
        ..Default::default()
    };
    assert_eq!(
        import("botnet.xlsx", &bytes, &missing).unwrap_err().to_string(),
        "the workbook has no worksheet Không có"
    );
}

#[test]
fn stix_bundle() {
    let bytes = include_bytes!("fixtures/bundle.stix.json");
    let out = import("bundle.json", bytes, &ImportOptions::default()).unwrap();
    assert_eq!(out.format, Format::Stix);
    let got: Vec<_> = out
        .entries
        .iter()
        .map(|e| (e.origin.to_string(), e.indicator.to_string()))
        .collect();
    assert_eq!(
        got,
        [
            ("objects[0]".to_string(), "198.51.100.23".to_string()),
            ("objects[0]".into(), "198.51.100.24".into()),
            ("objects[1]".into(), "203.0.113.0/28".into()),
            ("objects[2]".into(), "login-benhvien.example".into()),
            (
                "objects[2]".into(),
                "https://login-benhvien.example/his/login.php?x=1".into()
            ),
            (
                "objects[3]".into(),
                "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f".into()
            ),
            ("objects[3]".into(), "44d88612fea8a8f36de82e1278abb02f".into()),
            ("objects[4]".into(), "2001:db8:bad::/48".into()),
        ]
    );
    assert_eq!(
        out.entries[0].meta.family.as_deref(),
        Some("Emotet"),
        "from the 'indicates' relationship"
    );
    assert_eq!(
        out.entries[0].meta.last_seen.unwrap().to_string(),
        "2024-04-10 08:00:00"
    );
    assert_eq!(out.entries[2].meta.category, Category::InfectedHost);
    assert_eq!(out.entries[3].meta.category, Category::Phishing);
    let problems: Vec<_> = out
        .rejected
        .iter()
        .map(|r| (r.at.to_string(), r.problem.clone()))
        .collect();
    assert_eq!(
        problems,
        [
            ("objects[5]".to_string(), Problem::UnsupportedPattern),
            ("objects[6]".into(), Problem::BadAddress)
        ]
    );
    let set = IndicatorSet::from_lists([out.into_list("CERT bundle", "VNCERT/CC", "2024-01")]);
    assert_eq!(
        set.match_value("https://portal.login-benhvien.example/x").len(),
        1,
        "a subdomain of a listed domain"
    );
    assert_eq!(
        set.match_value("HTTPS://LOGIN-BENHVIEN.example/his/login.php?x=1#top")
            .len(),
        2,
        "the URL and its domain"
    );
    assert_eq!(set.match_value("2001:db8:bad:1::5").len(), 1);
    assert_eq!(set.match_value("[2001:db8:bad:1::5]:443").len(), 1);
    assert_eq!(set.match_value("198.51.100.23:8080").len(), 1);
    assert_eq!(
        set.match_value("http://198.51.100.24:8080/gate.php").len(),
        1,
        "an address as URL host"
    );
    assert_eq!(set.match_value("198.51.100.25").len(), 0);
    assert_eq!(set.match_value("44D88612FEA8A8F36DE82E1278ABB02F").len(), 1);
}

#[test]
fn misp_event() {
    let bytes = include_bytes!("fixtures/event.misp.json");
    let out = import("event.json", bytes, &ImportOptions::default()).unwrap();
    assert_eq!(out.format, Format::Misp);
    let got: Vec<_> = out.entries.iter().map(|e| e.indicator.to_string()).collect();
    assert_eq!(
        got,
        [
            "192.0.2.50",
            "192.0.2.51",
            "192.0.2.52",
            "cdn-update.example",
            "c2.qakbot.example",
            "http://cdn-update.example/a.dll",
            "44d88612fea8a8f36de82e1278abb02f",
            "3395856ce81f2b7382dee72602f798b642f14140",
            "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
            "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0e",
        ]
    );
    assert_eq!(out.entries[2].meta.port, Some(8443));
    assert!(out
        .entries
        .iter()
        .all(|e| e.meta.family.as_deref() == Some("QakBot")));
    assert_eq!(
        out.entries[0].meta.first_seen.unwrap().to_string(),
        "2024-01-20 00:00:00"
    );
    assert_eq!(
        out.entries[9].origin,
        Location::Path("Event.Object[0].Attribute[0]".into())
    );
    assert_eq!(
        out.informational, 1,
        "the comment attribute is counted, not an indicator"
    );
    let problems: Vec<_> = out.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(
        problems,
        [
            "Event.Attribute[10], column \"regkey\": unsupported attribute type regkey: \"HKLM\\\\Software\\\\Run\\\\qbot\"",
            "Event.Attribute[11], column \"ip-dst\": not an IP address: \"192.0.2.999\"",
            "Event.Attribute[12], column \"md5\": invalid file hash (expected MD5, SHA-1 or SHA-256 in hexadecimal): \"3395856ce81f2b7382dee72602f798b642f14140\"",
        ]
    );
}

#[test]
fn malformed_files_give_clear_errors_and_keep_nothing() {
    // 10 MB of junk text.
    let junk = "Lorem ipsum dolor sit amet, consectetur adipiscing elit\n".repeat(190_000);
    assert!(junk.len() > 10_000_000);
    let t = std::time::Instant::now();
    assert_eq!(
        import("list.txt", junk.as_bytes(), &ImportOptions::default()).unwrap_err(),
        Error::NotAList {
            sampled: 200,
            rejected: 200
        }
    );
    assert!(t.elapsed().as_secs() < 5, "refused quickly");
    // The same junk named .csv: a table without any indicator column.
    assert_eq!(
        import("list.csv", junk.as_bytes(), &ImportOptions::default()).unwrap_err(),
        Error::NoIndicatorColumn
    );
    // Binary bytes (NUL) and UTF-16 text without its BOM are not lists.
    let utf16: Vec<u8> = "203.0.113.7\n"
        .encode_utf16()
        .flat_map(u16::to_le_bytes)
        .collect();
    assert!(matches!(
        import("list.txt", &utf16, &ImportOptions::default()),
        Err(Error::NotAList { .. })
    ));
    // UTF-16 with its BOM is fine.
    let mut with_bom = vec![0xFF, 0xFE];
    with_bom.extend(&utf16);
    assert_eq!(
        import("list.txt", &with_bom, &ImportOptions::default())
            .unwrap()
            .entries
            .len(),
        1
    );
    // A zip that is no workbook, broken JSON, empty input.
    assert!(matches!(
        import("list.xlsx", b"PK\x03\x04junk", &ImportOptions::default()),
        Err(Error::Table(_))
    ));
    assert!(matches!(
        import(
            "e.json",
            b"{\"Event\": {\"Attribute\": [",
            &ImportOptions::default()
        ),
        Err(Error::Json { line: 1, .. })
    ));
    assert_eq!(
        import("e.json", b"{\"foo\": 1}", &ImportOptions::default()).unwrap_err(),
        Error::UnknownJson
    );
    assert_eq!(
        import("list.txt", b" \n\t\n", &ImportOptions::default()).unwrap_err(),
        Error::Empty
    );
    assert_eq!(
        import("list.csv", b"Foo;Bar\n1;2\n", &ImportOptions::default()).unwrap_err(),
        Error::NoIndicatorColumn
    );
}

// Regression: a row filling only one of two indicator columns was rejected for the empty other one.
#[test]
fn rows_may_fill_only_some_indicator_columns() {
    let csv = "IP,Domain,Malware\n203.0.113.7,,Mirai\n,evil.example,Emotet\n,,Orphan\n";
    let out = import("mixed.csv", csv.as_bytes(), &ImportOptions::default()).unwrap();
    let got: Vec<_> = out.entries.iter().map(|e| e.indicator.to_string()).collect();
    assert_eq!(got, ["203.0.113.7", "evil.example"]);
    let rejected: Vec<_> = out.rejected.iter().map(ToString::to_string).collect();
    assert_eq!(rejected, ["line 4, column \"IP\": no indicator value: \"\""]);
}
