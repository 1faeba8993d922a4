//! Microsoft CVRF 1.2 XML, in both serialisations Microsoft has used: prefixed (`cvrf:`, `prod:`, `vuln:`) and
//! default-namespace. Elements are matched by local name, so either form gives the same [`MsrcDocument`].

use super::{ExploitStatus, MsrcDocument, MsrcVulnerability, Product, Remediation, RemediationKind};
use crate::error::{Error, Location, Result};
use crate::model::{Cvss, Kb, Severity};
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

/// Parses one CVRF XML document. `source` names the input in errors and warnings.
///
/// Malformed XML, a truncated document or a root other than `cvrfdoc` is an error naming the line; values that
/// cannot be interpreted (a severity word, a score, a supersedence token) become warnings on the document.
pub fn parse(source: &str, bytes: &[u8]) -> Result<MsrcDocument> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut reader = Reader::from_reader(bytes);
    reader.config_mut().trim_text(false);
    let mut state = State::new(source, bytes);
    let mut buf = Vec::new();
    loop {
        let event = reader.read_event_into(&mut buf).map_err(|e| Error::Xml {
            at: Location::line(source, crate::error::line_of(bytes, pos(reader.error_position()))),
            message: e.to_string(),
        })?;
        let at = pos(reader.buffer_position());
        match event {
            Event::Start(e) => state.start(&e, at)?,
            Event::Empty(e) => {
                state.start(&e, at)?;
                state.end(at);
            }
            Event::End(_) => state.end(at),
            Event::Text(t) => state.text.push_str(&String::from_utf8_lossy(&t)),
            Event::CData(t) => state.text.push_str(&String::from_utf8_lossy(&t)),
            Event::GeneralRef(r) => {
                let name = String::from_utf8_lossy(&r).into_owned();
                match r.resolve_char_ref().ok().flatten() {
                    Some(c) => state.text.push(c),
                    None => match quick_xml::escape::resolve_predefined_entity(&name) {
                        Some(s) => state.text.push_str(s),
                        None => state.text.push_str(&format!("&{name};")),
                    },
                }
            }
            Event::Eof => break,
            _ => {}
        }
        buf.clear();
    }
    if let Some(open) = state.stack.last() {
        return Err(Error::Xml {
            at: Location::line(source, crate::error::line_of(bytes, bytes.len())).with_element(open.clone()),
            message: format!("document ends inside <{open}> (truncated?)"),
        });
    }
    if !state.saw_root {
        return Err(Error::Schema {
            at: Location::source(source),
            message: "no cvrfdoc element".into(),
        });
    }
    Ok(state.doc)
}

fn pos(p: u64) -> usize {
    usize::try_from(p).unwrap_or(usize::MAX)
}

struct Threat {
    kind: String,
    description: String,
    products: Vec<String>,
}

#[derive(Default)]
struct Score {
    base: String,
    temporal: String,
    vector: String,
    products: Vec<String>,
}

struct State<'a> {
    source: &'a str,
    bytes: &'a [u8],
    lines: (usize, usize),
    doc: MsrcDocument,
    stack: Vec<String>,
    text: String,
    saw_root: bool,
    families: Vec<Option<String>>,
    product_id: Option<String>,
    status: Option<String>,
    vuln: Option<MsrcVulnerability>,
    threat: Option<Threat>,
    score: Option<Score>,
    remediation: Option<Remediation>,
    in_vuln_revision: bool,
}

impl<'a> State<'a> {
    fn new(source: &'a str, bytes: &'a [u8]) -> Self {
        Self {
            source,
            bytes,
            lines: (0, 1),
            doc: MsrcDocument::default(),
            stack: Vec::new(),
            text: String::new(),
            saw_root: false,
            families: Vec::new(),
            product_id: None,
            status: None,
            vuln: None,
            threat: None,
            score: None,
            remediation: None,
            in_vuln_revision: false,
        }
    }

    /// Line of byte offset `at`, counted incrementally (offsets only grow).
    fn line(&mut self, at: usize) -> usize {
        let (done, line) = self.lines;
        let end = at.min(self.bytes.len());
        if end > done {
            let extra = self.bytes[done..end].iter().filter(|&&b| b == b'\n').count();
            self.lines = (end, line + extra);
        }
        self.lines.1
    }

    fn warn(&mut self, at: usize, message: String) {
        let line = self.line(at);
        self.doc
            .warnings
            .push(format!("{}:{line}: {message}", self.source));
    }

    fn start(&mut self, e: &BytesStart<'_>, at: usize) -> Result<()> {
        let local = String::from_utf8_lossy(e.local_name().as_ref()).into_owned();
        if !self.saw_root {
            if local != "cvrfdoc" {
                return Err(Error::Schema {
                    at: Location::line(self.source, self.line(at)).with_element(local.clone()),
                    message: format!("expected a CVRF document (cvrfdoc), found <{local}>"),
                });
            }
            self.saw_root = true;
        }
        match local.as_str() {
            "Branch" => {
                let family = (attr(e, "Type").as_deref() == Some("Product Family")).then(|| attr(e, "Name"));
                self.families.push(family.flatten());
            }
            "FullProductName" => self.product_id = attr(e, "ProductID"),
            "Vulnerability" => self.vuln = Some(MsrcVulnerability::default()),
            "Status" => self.status = attr(e, "Type"),
            "Threat" => {
                let kind = attr(e, "Type").unwrap_or_default();
                self.threat = Some(Threat {
                    kind,
                    description: String::new(),
                    products: Vec::new(),
                });
            }
            "ScoreSet" => self.score = Some(Score::default()),
            "Remediation" => {
                let kind = RemediationKind::parse(&attr(e, "Type").unwrap_or_default());
                self.remediation = Some(Remediation::new(kind));
            }
            "Revision" if self.vuln.is_some() => self.in_vuln_revision = true,
            _ => {}
        }
        self.stack.push(local);
        self.text.clear();
        Ok(())
    }

    fn end(&mut self, at: usize) {
        let Some(local) = self.stack.pop() else { return };
        let text = std::mem::take(&mut self.text).trim().to_owned();
        let parent = self.stack.last().cloned().unwrap_or_default();
        if self.vuln.is_none() {
            self.end_document_element(&local, &parent, text, at);
        } else {
            self.end_vulnerability_element(&local, &parent, text, at);
        }
    }

    fn end_document_element(&mut self, local: &str, parent: &str, text: String, at: usize) {
        match (local, parent) {
            ("DocumentTitle", _) => self.doc.title = text,
            ("ID", "Identification") => self.doc.id = text,
            ("InitialReleaseDate", _) => self.doc.initial_release = Some(text),
            ("CurrentReleaseDate", _) => self.doc.current_release = Some(text),
            ("Branch", _) => {
                self.families.pop();
            }
            ("FullProductName", _) => match self.product_id.take() {
                Some(id) => {
                    let family = self
                        .families
                        .iter()
                        .rev()
                        .flatten()
                        .next()
                        .cloned()
                        .unwrap_or_default();
                    // The 2026 serialisation lists products twice: inside their family branch and again at the
                    // top of the tree with a CPE. Keep one, with its family.
                    match self.doc.products.iter_mut().find(|p| p.id == id) {
                        Some(p) if p.family.is_empty() => p.family = family,
                        Some(_) => {}
                        None => self.doc.products.push(Product {
                            id,
                            name: text,
                            family,
                        }),
                    }
                }
                None => self.warn(at, format!("FullProductName {text:?} without ProductID")),
            },
            _ => {}
        }
    }

    fn end_vulnerability_element(&mut self, local: &str, parent: &str, text: String, at: usize) {
        match (local, parent) {
            ("Vulnerability", _) => {
                if let Some(v) = self.vuln.take() {
                    if v.cve.is_empty() {
                        self.warn(
                            at,
                            format!("vulnerability {:?} without a CVE element, skipped", v.title),
                        );
                    } else {
                        self.doc.vulnerabilities.push(v);
                    }
                }
            }
            ("Title", "Vulnerability") => self.vuln_mut().title = text,
            ("CVE", _) => self.vuln_mut().cve = text,
            ("ProductID", "Status") if self.status.as_deref() == Some("Known Affected") => {
                self.vuln_mut().affected.push(text);
            }
            ("ProductID", "Threat") => self.threat.iter_mut().for_each(|t| t.products.push(text.clone())),
            ("Description", "Threat") => self
                .threat
                .iter_mut()
                .for_each(|t| t.description.clone_from(&text)),
            ("Threat", _) => self.end_threat(at),
            ("BaseScore", "ScoreSet") => self.score.iter_mut().for_each(|s| s.base.clone_from(&text)),
            ("TemporalScore", "ScoreSet") => self.score.iter_mut().for_each(|s| s.temporal.clone_from(&text)),
            ("Vector", "ScoreSet") => self.score.iter_mut().for_each(|s| s.vector.clone_from(&text)),
            ("ProductID", "ScoreSet") => self.score.iter_mut().for_each(|s| s.products.push(text.clone())),
            ("ScoreSet", _) => self.end_score(at),
            ("Remediation", _) => {
                if let Some(mut r) = self.remediation.take() {
                    r.infer_kb();
                    self.vuln_mut().remediations.push(r);
                }
            }
            (_, "Remediation") => self.remediation_field(local, text, at),
            ("Revision", _) => self.in_vuln_revision = false,
            ("Date", "Revision") if self.in_vuln_revision => {
                let v = self.vuln_mut();
                if v.published.is_none() {
                    v.published = Some(text);
                }
            }
            _ => {}
        }
    }

    fn remediation_field(&mut self, local: &str, text: String, at: usize) {
        let mut strays = Vec::new();
        if let Some(r) = self.remediation.as_mut() {
            match local {
                "Description" => r.description = text,
                "URL" if !text.is_empty() => r.url = Some(text),
                "ProductID" => r.products.push(text),
                "SubType" if !text.is_empty() => r.sub_type = Some(text),
                "FixedBuild" if !text.is_empty() => r.fixed_build = Some(text),
                "Supercedence" => {
                    let (kbs, other) = Kb::parse_list(&text);
                    r.supersedes.extend(kbs);
                    strays = other;
                }
                _ => {}
            }
        }
        if !strays.is_empty() {
            self.warn(
                at,
                format!("Supercedence value(s) {strays:?} are not KB numbers, ignored"),
            );
        }
    }

    fn end_threat(&mut self, at: usize) {
        let Some(t) = self.threat.take() else { return };
        match t.kind.as_str() {
            "Severity" if !t.description.is_empty() => match Severity::parse(&t.description) {
                Some(sev) => {
                    let v = self.vuln_mut();
                    if t.products.is_empty() {
                        v.severities.push((String::new(), sev));
                    }
                    v.severities.extend(t.products.into_iter().map(|p| (p, sev)));
                }
                None => self.warn(at, format!("unknown severity {:?}", t.description)),
            },
            "Exploit Status" => {
                let parsed = ExploitStatus::parse(&t.description);
                let v = self.vuln_mut();
                v.exploit = ExploitStatus {
                    exploited: parsed.exploited.or(v.exploit.exploited),
                    publicly_disclosed: parsed.publicly_disclosed.or(v.exploit.publicly_disclosed),
                };
            }
            _ => {}
        }
    }

    fn end_score(&mut self, at: usize) {
        let Some(s) = self.score.take() else { return };
        match s.base.parse::<f32>() {
            Ok(base) if (0.0..=10.0).contains(&base) => {
                let cvss = Cvss {
                    base,
                    temporal: s.temporal.parse().ok(),
                    vector: s.vector,
                };
                self.vuln_mut().scores.push((s.products, cvss));
            }
            _ => self.warn(
                at,
                format!("CVSS base score {:?} is not a number from 0 to 10", s.base),
            ),
        }
    }

    fn vuln_mut(&mut self) -> &mut MsrcVulnerability {
        self.vuln.get_or_insert_with(MsrcVulnerability::default)
    }
}

fn attr(e: &BytesStart<'_>, name: &str) -> Option<String> {
    e.attributes()
        .flatten()
        .find(|a| a.key.local_name().as_ref() == name.as_bytes())
        .map(|a| {
            // Unescaped by hand: `Attribute::unescape_value` disappears when another crate enables quick-xml's
            // `encoding` feature.
            let raw = String::from_utf8_lossy(&a.value);
            quick_xml::escape::unescape(&raw).map_or_else(|_| raw.to_string(), |v| v.into_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"<cvrfdoc xmlns="http://www.icasi.org/CVRF/schema/cvrf/1.1">
  <DocumentTitle>Test</DocumentTitle>
  <DocumentTracking><Identification><ID>2099-Jan</ID></Identification></DocumentTracking>
  <ProductTree xmlns="http://www.icasi.org/CVRF/schema/prod/1.1">
    <Branch Type="Vendor" Name="Microsoft"><Branch Type="Product Family" Name="Windows">
      <FullProductName ProductID="1">Windows Test for x64-based Systems</FullProductName>
    </Branch></Branch>
  </ProductTree>
  <Vulnerability Ordinal="0" xmlns="http://www.icasi.org/CVRF/schema/vuln/1.1">
    <Title>Test &amp; Co</Title><CVE>CVE-2099-0001</CVE>
    <ProductStatuses><Status Type="Known Affected"><ProductID>1</ProductID></Status></ProductStatuses>
    <Threats><Threat Type="Severity"><Description>Critical</Description><ProductID>1</ProductID></Threat>
      <Threat Type="Exploit Status"><Description>Publicly Disclosed:Yes;Exploited:No</Description></Threat></Threats>
    <CVSSScoreSets><ScoreSet><BaseScore>9.8</BaseScore><Vector>CVSS:3.1/AV:N</Vector><ProductID>1</ProductID></ScoreSet></CVSSScoreSets>
    <Remediations><Remediation Type="Vendor Fix"><Description>5000002</Description>
      <Supercedence>5000001, ..</Supercedence><ProductID>1</ProductID><FixedBuild>10.0.1.2</FixedBuild></Remediation></Remediations>
  </Vulnerability>
</cvrfdoc>"#;

    #[test]
    fn default_namespace_document_parses_every_field() {
        let doc = parse("small.xml", SMALL.as_bytes()).unwrap();
        assert_eq!(doc.id, "2099-Jan");
        assert_eq!(
            doc.products,
            vec![Product {
                id: "1".into(),
                name: "Windows Test for x64-based Systems".into(),
                family: "Windows".into()
            }]
        );
        let v = &doc.vulnerabilities[0];
        assert_eq!(v.title, "Test & Co");
        assert_eq!(v.severities, vec![("1".to_owned(), Severity::Critical)]);
        assert_eq!(v.exploit.publicly_disclosed, Some(true));
        assert_eq!(v.remediations[0].kb, Some(Kb(5000002)));
        assert_eq!(v.remediations[0].supersedes, vec![Kb(5000001)]);
        assert_eq!(doc.warnings.len(), 1, "{:?}", doc.warnings);
        assert!(doc.warnings[0].starts_with("small.xml:16:"), "{:?}", doc.warnings);
    }

    #[test]
    fn truncated_document_names_the_open_element() {
        let cut = &SMALL[..SMALL.find("<Remediations>").unwrap()];
        let err = parse("cut.xml", cut.as_bytes()).unwrap_err().to_string();
        assert!(err.starts_with("cut.xml:"), "{err}");
        assert!(err.contains("Vulnerability"), "{err}");
    }

    #[test]
    fn another_root_is_a_schema_error() {
        let err = parse("x.xml", b"<html><body/></html>").unwrap_err().to_string();
        assert_eq!(
            err,
            "x.xml:1 (html): expected a CVRF document (cvrfdoc), found <html>"
        );
    }
}
