//! PEM blocks found as Go's `encoding/pem` `Decode` finds them (go1.24 `pem.go`), since that is
//! what reads every CA bundle in a cluster (`x509.CertPool.AppendCertsFromPEM`, client-go's
//! `certutil.ParseCertsPEM`): a BEGIN line at the start of the data or of a line, ending in
//! `-----`; optional `Key: value` header lines; an END line of the same type with nothing after
//! it but spaces; a block that breaks a rule is skipped and the search goes on after its BEGIN
//! line. Bodies are returned as text: only a caller that wants a certificate decodes one, so a
//! private key is never decoded.

use zeroize::Zeroizing;

const BEGIN: &str = "-----BEGIN ";
const END: &str = "\n-----END ";
const DASHES: &str = "-----";

/// One block Go reads.
#[derive(Debug, PartialEq, Eq)]
pub struct Block<'a> {
    /// Its type (`CERTIFICATE`).
    pub label: &'a str,
    /// Its body, base64 text (not decoded).
    pub body: &'a str,
    /// Whether it has `Key: value` headers (Go's certificate readers skip such a CERTIFICATE).
    pub headers: bool,
}

/// What the scan found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan<'a> {
    /// Each block Go reads.
    pub blocks: Vec<Block<'a>>,
    /// BEGIN lines Go skips (a block that breaks a rule).
    pub skipped: usize,
}

/// The scan stopped at more blocks than `max`.
#[derive(Debug, PartialEq, Eq)]
pub struct TooMany;

/// Go's `getLine` on `text` from `at`: the line (one `\r` before its `\n` dropped, then trailing
/// spaces and tabs) and where the next line starts.
fn get_line(text: &str, at: usize) -> (&str, usize) {
    let rest = &text[at..];
    let (line, next) = match rest.find('\n') {
        Some(i) => (rest[..i].strip_suffix('\r').unwrap_or(&rest[..i]), at + i + 1),
        None => (rest, text.len()),
    };
    (line.trim_end_matches([' ', '\t']), next)
}

/// Where the next `\n-----END ` is at or after `from`, remembered across blocks so that the
/// whole scan reads the text a bounded number of times (Go's own Decode searched again from
/// every BEGIN, quadratic on a crafted input, CVE-2025-61723; the blocks found are the same).
struct Ends<'a> {
    text: &'a str,
    from: usize,
    found: Option<usize>,
}

impl Ends<'_> {
    fn next(&mut self, from: usize) -> Option<usize> {
        let known = self.from <= from && self.found.is_none_or(|e| e >= from);
        if !known {
            self.from = from;
            self.found = self.text[from..].find(END).map(|i| from + i);
        }
        self.found
    }
}

/// Every block of `text`, as Go's `pem.Decode` called in a loop reads them.
pub fn scan(text: &str, max: usize) -> Result<Scan<'_>, TooMany> {
    let mut out = Scan::default();
    let mut ends = Ends { text, from: usize::MAX, found: None };
    let mut pos = 0;
    loop {
        let begin = if text[pos..].starts_with(BEGIN) {
            pos
        } else {
            match text[pos..].find("\n-----BEGIN ") {
                Some(i) => pos + i + 1,
                None => return Ok(out),
            }
        };
        if out.blocks.len() + out.skipped >= max {
            return Err(TooMany);
        }
        let (type_line, body) = get_line(text, begin + BEGIN.len());
        let Some(label) = type_line.strip_suffix(DASHES) else {
            out.skipped += 1;
            pos = body;
            continue;
        };
        match block(text, label, body, &mut ends) {
            Ok((block, next)) => {
                out.blocks.push(block);
                pos = next;
            }
            Err(resume) => {
                out.skipped += 1;
                pos = resume;
            }
        }
    }
}

/// The block of type `label` whose body starts at `at`, and where the text after its END line
/// starts; or, where Go's `Decode` returns a decode error, where it searches again (after the
/// header lines it read).
fn block<'a>(text: &'a str, label: &'a str, at: usize, ends: &mut Ends<'_>) -> Result<(Block<'a>, usize), usize> {
    let mut rest = at;
    let mut headers = false;
    // Header lines: `Key: value`, until the first line without a colon.
    while rest < text.len() {
        let (line, next) = get_line(text, rest);
        if !line.contains(':') {
            break;
        }
        headers = true;
        rest = next;
    }
    let (end, trailer) = if !headers && text[rest..].starts_with(&END[1..]) {
        (rest, rest + END.len() - 1)
    } else {
        let e = ends.next(rest).ok_or(rest)?;
        (e, e + END.len())
    };
    let wanted = label.len() + DASHES.len();
    let end_label = text.get(trailer..trailer + wanted).ok_or(rest)?;
    if !end_label.starts_with(label) || !end_label.ends_with(DASHES) {
        return Err(rest);
    }
    let (tail, next) = get_line(text, trailer + wanted);
    if !tail.is_empty() {
        return Err(rest);
    }
    let body = &text[rest..end];
    decode(body).ok_or(rest)?;
    Ok((Block { label, body, headers }, next))
}

/// Base64 as Go's `base64.StdEncoding` reads it inside PEM and JSON `[]byte`: `\r` and `\n`
/// ignored (and, in a PEM body, spaces and tabs), padding required, non-zero trailing bits
/// accepted (Go's decoder is not `Strict`).
pub fn decode(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    use base64::Engine;
    use base64::engine::{GeneralPurpose, GeneralPurposeConfig};
    const GO_STD: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_allow_trailing_bits(true),
    );
    let compact: Zeroizing<String> =
        Zeroizing::new(text.chars().filter(|c| !matches!(c, ' ' | '\t' | '\r' | '\n')).collect());
    GO_STD.decode(compact.as_bytes()).ok().map(Zeroizing::new)
}

/// Base64 of a JSON `[]byte` or a kubeconfig's `…-data`: as [`decode`], but a space is an
/// error there (Go skips only `\r` and `\n`).
pub fn decode_bytes(text: &str) -> Option<Zeroizing<Vec<u8>>> {
    if text.contains([' ', '\t']) {
        return None;
    }
    decode(text)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(text: &str) -> (Vec<&str>, usize) {
        let s = scan(text, 100).expect("scan");
        (s.blocks.iter().map(|b| b.label).collect(), s.skipped)
    }

    #[test]
    fn blocks_go_reads_and_blocks_go_skips() {
        let ok = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        assert_eq!(labels(ok), (vec!["CERTIFICATE"], 0));
        assert_eq!(labels(&format!("junk\n{ok}junk")), (vec!["CERTIFICATE"], 0));
        assert_eq!(labels(&ok.replace('\n', "\r\n")), (vec!["CERTIFICATE"], 0), "CRLF");
        assert_eq!(labels(&format!("  {ok}")), (vec![], 0), "indented BEGIN is not a BEGIN line");
        assert_eq!(labels(&ok.replace('\n', " ")), (vec![], 1), "one line");
        assert_eq!(labels("-----BEGIN CERTIFICATE-----\nAAAA\n"), (vec![], 1), "no END");
        assert_eq!(labels("-----BEGIN A-----\nAAAA\n-----END B-----\n"), (vec![], 1), "another END");
        assert_eq!(labels("-----BEGIN A-----\nAAAA\n-----END A----- x\n"), (vec![], 1), "text after END");
        assert_eq!(labels("-----BEGIN A-----\n!!!!\n-----END A-----\n"), (vec![], 1), "bad base64");
        let headers = "-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES\n\nAAAA\n-----END RSA PRIVATE KEY-----\n";
        assert_eq!(labels(headers), (vec!["RSA PRIVATE KEY"], 0));
        assert_eq!(scan(&ok.repeat(3), 2), Err(TooMany));
        // A \r not before a \n is text after END, as Go reads it.
        assert_eq!(labels(ok.trim_end()), (vec!["CERTIFICATE"], 0));
        assert_eq!(labels(&format!("{}\r", ok.trim_end())), (vec![], 1));
        let with_headers = "-----BEGIN CERTIFICATE-----\nX: y\n\nAAAA\n-----END CERTIFICATE-----\n";
        assert!(scan(with_headers, 9).expect("scan").blocks[0].headers);
    }

    #[test]
    fn many_begins_without_an_end_are_read_once() {
        let hostile = "-----BEGIN A-----\nAAAA\n".repeat(900) + &"x".repeat(1 << 20);
        let t = std::time::Instant::now();
        let s = scan(&hostile, 1000).expect("scan");
        assert_eq!((s.blocks.len(), s.skipped), (0, 900));
        assert!(t.elapsed() < std::time::Duration::from_secs(2), "linear: {:?}", t.elapsed());
    }

    #[test]
    fn base64_as_go_reads_it() {
        assert_eq!(decode("QUI=").as_deref().map(Vec::as_slice), Some(&b"AB"[..]));
        assert_eq!(decode("QUJ=").as_deref().map(Vec::as_slice), Some(&b"AB"[..]), "non-zero trailing bits");
        assert!(decode_bytes("QU\nI=").is_some(), "a line break");
        assert!(decode_bytes("QU I=").is_none(), "a space");
        assert!(decode("QUI").is_none(), "padding required");
    }
}
