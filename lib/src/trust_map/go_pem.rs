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

/// What the scan found.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Scan<'a> {
    /// Each block Go reads: its type and its body (base64 text).
    pub blocks: Vec<(&'a str, &'a str)>,
    /// BEGIN lines Go skips (a block that breaks a rule).
    pub skipped: usize,
}

/// The scan stopped at more blocks than `max`.
#[derive(Debug, PartialEq, Eq)]
pub struct TooMany;

/// Go's `getLine`: the line without its end and without trailing spaces, tabs and `\r`; and
/// what follows it.
fn get_line(data: &str) -> (&str, &str) {
    let (line, rest) = match data.find('\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, ""),
    };
    (line.trim_end_matches([' ', '\t', '\r']), rest)
}

/// Every block of `text`, as Go's `pem.Decode` called in a loop reads them.
pub fn scan(text: &str, max: usize) -> Result<Scan<'_>, TooMany> {
    let mut out = Scan::default();
    let mut rest = text;
    loop {
        let after = if let Some(r) = rest.strip_prefix(BEGIN) {
            r
        } else if let Some(i) = rest.find("\n-----BEGIN ") {
            &rest[i + 1 + BEGIN.len()..]
        } else {
            return Ok(out);
        };
        if out.blocks.len() + out.skipped >= max {
            return Err(TooMany);
        }
        let (type_line, body) = get_line(after);
        match type_line.strip_suffix(DASHES).and_then(|label| block(label, body).map(|b| (label, b))) {
            Some((label, (body_text, next))) => {
                out.blocks.push((label, body_text));
                rest = next;
            }
            None => {
                out.skipped += 1;
                rest = body;
            }
        }
    }
}

/// The body of a block of type `label` starting at `data` (after its BEGIN line), and what
/// follows its END line; `None` where Go's `Decode` returns a decode error.
fn block<'a>(label: &str, data: &'a str) -> Option<(&'a str, &'a str)> {
    let mut rest = data;
    let mut headers = false;
    // Header lines: `Key: value`, until the first line without a colon.
    while !rest.is_empty() {
        let (line, next) = get_line(rest);
        if !line.contains(':') {
            break;
        }
        headers = true;
        rest = next;
    }
    let (end_index, trailer_index) = if !headers && rest.starts_with(&END[1..]) {
        (0, END.len() - 1)
    } else {
        let i = rest.find(END)?;
        (i, i + END.len())
    };
    let trailer = rest.get(trailer_index..)?;
    let wanted = label.len() + DASHES.len();
    let (end_label, rest_of_line) = (trailer.get(..wanted)?, trailer.get(wanted..)?);
    if !end_label.starts_with(label) || !end_label.ends_with(DASHES) {
        return None;
    }
    let (tail, next) = get_line(rest_of_line);
    if !tail.is_empty() {
        return None;
    }
    let body = &rest[..end_index];
    decode(body)?;
    Some((body, next))
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
        (s.blocks.iter().map(|(l, _)| *l).collect(), s.skipped)
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
