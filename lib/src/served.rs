//! Which file of a tree a server is serving, and whether it is the file on disk. The served
//! leaf is matched to the tree's serving certificates ([`crate::kubeadm::wiring::SERVED`]) by its exact
//! bytes, then by its public key (a renewal keeps the key); the port kubeadm's component
//! listens on only breaks a tie, or names the file when nothing matches; `--served-file REL`
//! names the file outright. Nothing is guessed: when the served certificate is none of the
//! files and neither the port nor its profile names one, every candidate is named.

use crate::beneath::Beneath;
use crate::cert::Cert;
use crate::error::Result;
use crate::finding::{Check, Finding, Status};
use crate::kubeadm::wiring::{SERVED, Served, served_on};
use crate::validity::format_time;

/// A file of the tree that may be serving, with what serves it.
struct Candidate {
    rel: String,
    shown: String,
    cert: Cert,
    entry: Option<&'static Served>,
}

impl Candidate {
    fn component(&self) -> &'static str {
        self.entry.map_or("the server", |e| e.component)
    }
}

/// What the comparison is asked for: the port connected to, and the file `--served-file` names.
pub struct Ask<'a> {
    /// The port connected to.
    pub port: u16,
    /// `--served-file REL`, relative to the tree.
    pub file: Option<&'a str>,
}

/// The on-disk finding for the served `leaf` against the tree at `tree`.
pub fn finding(tree: &Beneath, ask: &Ask<'_>, leaf: &Cert) -> Result<Finding> {
    locate(tree, ask, leaf).map(|(f, _)| f)
}

/// The on-disk finding, and the file of the tree that serves (or should serve) `leaf` when one
/// is named: by its bytes, its key, the port or its profile.
pub fn locate(tree: &Beneath, ask: &Ask<'_>, leaf: &Cert) -> Result<(Finding, Option<String>)> {
    let mut named = None;
    let f = decide(tree, ask, leaf, &mut named)?;
    Ok((f, named))
}

/// The CA file of the tree that signs `rel` (`pki/etcd/server.crt` → `pki/etcd/ca.crt`), from the
/// kubeadm profile table.
pub fn signer_of(rel: &str) -> Option<String> {
    crate::kubeadm::profile::PROFILES
        .iter()
        .find(|p| p.path().is_some_and(|path| format!("{path}.crt") == rel))
        .and_then(|p| p.signer)
        .map(|ca| format!("pki/{}.crt", ca.file()))
}

fn decide(tree: &Beneath, ask: &Ask<'_>, leaf: &Cert, named: &mut Option<String>) -> Result<Finding> {
    let candidates = candidates(tree, ask.file)?;
    if candidates.is_empty() {
        let named = ask.file.map(str::to_string).or_else(|| files_for_port(ask.port).first().cloned());
        let message = match named {
            Some(rel) => format!("{} is not there to compare with", tree.path(&rel).display()),
            None => format!("none of the serving certificates ({}) is there to compare with", all_files().join(", ")),
        };
        return Ok(Finding { check: Check::OnDisk, status: Status::Missing, message, go_error: None });
    }
    let exact: Vec<&Candidate> = candidates.iter().filter(|c| c.cert.der == leaf.der).collect();
    if let Some(c) = pick(&exact, ask.port) {
        *named = Some(c.rel.clone());
        let flag = c.entry.map(|e| format!(" ({})", e.flag)).unwrap_or_default();
        return Ok(Finding::ok(Check::OnDisk, format!("{} serves {}{flag}", c.component(), c.shown)));
    }
    if exact.len() > 1 {
        // The same bytes in several files: whichever it reads, it serves what they hold.
        let names: Vec<&str> = exact.iter().map(|c| c.shown.as_str()).collect();
        return Ok(Finding::ok(Check::OnDisk, format!("the server serves what {} hold", names.join(" and "))));
    }
    let same_key: Vec<&Candidate> = candidates.iter().filter(|c| c.cert.public_key == leaf.public_key).collect();
    if let Some(c) = pick(&same_key, ask.port) {
        *named = Some(c.rel.clone());
        return Ok(mismatch(c, leaf));
    }
    let by: Vec<&Candidate> =
        if same_key.len() > 1 { same_key } else { by_port_or_profile(&candidates, ask.port, leaf) };
    match by.as_slice() {
        [one] => {
            *named = Some(one.rel.clone());
            Ok(mismatch(one, leaf))
        }
        [] => Ok(Finding::fail(
            Check::OnDisk,
            format!(
                "the server serves a certificate that is none of {} ({}), and nothing names the file it should be: give --served-file REL",
                candidates.iter().map(|c| c.shown.as_str()).collect::<Vec<_>>().join(", "),
                served_words(leaf)
            ),
            None,
        )),
        several => Ok(Finding::fail(
            Check::OnDisk,
            format!(
                "the server serves a certificate that is none of {} ({}); --served-file REL names the one it should be",
                several.iter().map(|c| c.shown.as_str()).collect::<Vec<_>>().join(" and "),
                served_words(leaf)
            ),
            None,
        )),
    }
}

/// The one candidate of `matched`, or the one the port's component serves among them.
fn pick<'c>(matched: &[&'c Candidate], port: u16) -> Option<&'c Candidate> {
    match matched {
        [one] => Some(one),
        [] => None,
        several => {
            let on_port = files_for_port(port);
            let mut by_port = several.iter().filter(|c| on_port.contains(&c.rel));
            match (by_port.next(), by_port.next()) {
                (Some(one), None) => Some(one),
                _ => None,
            }
        }
    }
}

/// The file kubeadm's component on `port` serves, else the files whose kubeadm profile the
/// served certificate matches.
fn by_port_or_profile<'c>(candidates: &'c [Candidate], port: u16, leaf: &Cert) -> Vec<&'c Candidate> {
    let on_port = files_for_port(port);
    let by_port: Vec<&Candidate> = candidates.iter().filter(|c| on_port.contains(&c.rel)).collect();
    if !by_port.is_empty() {
        return by_port;
    }
    let cn = leaf.subject.cn().unwrap_or_default();
    let profiles: Vec<String> = crate::kubeadm::profile::matching(cn, &leaf.subject.orgs(), &leaf.ext.usages, false)
        .iter()
        .filter_map(|p| p.path().map(|path| format!("{path}.crt")))
        .collect();
    candidates.iter().filter(|c| profiles.contains(&c.rel)).collect()
}

/// Served and on-disk certificates side by side, and why they differ.
fn mismatch(c: &Candidate, leaf: &Cert) -> Finding {
    let both = format!(
        "serving serial {} valid from {}; {} holds serial {} valid from {}",
        leaf.serial_hex(),
        format_time(leaf.not_before),
        c.shown,
        c.cert.serial_hex(),
        format_time(c.cert.not_before)
    );
    let message = if c.cert.not_before > leaf.not_before {
        let advice = c.entry.map_or("restart the server, or make it read the file again", |e| e.when_older);
        format!(
            "{} serves an older certificate than {} ({both}): the file was renewed but is not in use; {advice}",
            c.component(),
            c.shown
        )
    } else {
        format!(
            "{} serves a certificate other than {}, not older than it ({both}): is this the node whose files these are?",
            c.component(),
            c.shown
        )
    };
    Finding::fail(Check::OnDisk, message, None)
}

fn served_words(leaf: &Cert) -> String {
    format!("'{}', serial {}", crate::term::sanitize_line(&leaf.subject.to_string()), leaf.serial_hex())
}

/// The files the component on `port` serves, when kubeadm's component listens there.
fn files_for_port(port: u16) -> Vec<String> {
    served_on(port).map(|e| e.files.iter().map(|f| (*f).to_string()).collect()).unwrap_or_default()
}

fn all_files() -> Vec<String> {
    SERVED.iter().flat_map(|e| e.files.iter().map(|f| (*f).to_string())).collect()
}

/// The serving certificates present in the tree (each component's first present file), or
/// the one `--served-file` names.
fn candidates(tree: &Beneath, file: Option<&str>) -> Result<Vec<Candidate>> {
    if let Some(rel) = file {
        let entry = SERVED.iter().find(|e| e.files.contains(&rel));
        return Ok(read(tree, rel, entry)?.into_iter().collect());
    }
    let mut out = Vec::new();
    for entry in SERVED {
        for rel in entry.files {
            if let Some(c) = read(tree, rel, Some(entry))? {
                out.push(c);
                break;
            }
        }
    }
    Ok(out)
}

fn read(tree: &Beneath, rel: &str, entry: Option<&'static Served>) -> Result<Option<Candidate>> {
    let Some(blocks) = crate::input::tree_blocks(tree, rel)? else { return Ok(None) };
    let shown = tree.path(rel).display().to_string();
    let cert = Cert::from_blocks(&blocks, &shown)?;
    Ok(Some(Candidate { rel: rel.to_string(), shown, cert, entry }))
}

/// `--served-file`'s value: a plain path inside the tree.
pub fn parse_rel(s: &str) -> std::result::Result<String, String> {
    let plain = !s.is_empty()
        && !s.starts_with('/')
        && s.split('/').all(|part| !part.is_empty() && part != "." && part != "..")
        && !s.chars().any(char::is_control);
    if plain {
        Ok(s.to_string())
    } else {
        Err(format!("'{s}' is not a path inside the tree (like pki/etcd/server.crt)"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::csr::{Csr, build};
    use crate::issue::{Ca, IssueOptions};
    use crate::key::{Algorithm, PrivateKey};
    use crate::kubeadm::profile::{Params, find};
    use crate::test_pki::{NOW, ca};
    use crate::validity::DAY;

    /// A certificate of a kubeadm profile for `key`, issued at `now`.
    fn issued(ca: &Ca, profile: &str, key: &PrivateKey, now: i64) -> Cert {
        let params = Params {
            node_name: Some("node-1".into()),
            advertise_address: Some("10.0.0.10".parse().expect("ip")),
            ..Params::default()
        };
        let req = find(profile).and_then(|p| p.request(&params)).expect("req");
        let csr = Csr::from_der(&build(&req, key).expect("csr"), "t").expect("csr");
        let opts = IssueOptions { lifetime: 365 * DAY, now, ..IssueOptions::default() };
        Cert::from_der(&ca.issue(&csr, &opts).expect("leaf").der, "leaf").expect("parse")
    }

    fn key() -> PrivateKey {
        PrivateKey::generate(Algorithm::EcdsaP256).expect("key")
    }

    fn write(dir: &std::path::Path, file: &str, cert: &Cert) {
        let path = dir.join(file);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, crate::pem::encode_pem("CERTIFICATE", &cert.der)).expect("write");
    }

    fn on(dir: &std::path::Path, port: u16, file: Option<&str>, leaf: &Cert) -> Finding {
        let tree = Beneath::open(dir).expect("tree");
        finding(&tree, &Ask { port, file }, leaf).expect("finding")
    }

    #[test]
    fn the_served_certificate_is_found_by_its_bytes_on_any_port() {
        let ca = ca();
        let dir = tempfile::tempdir().expect("dir");
        let (server, peer) = (issued(&ca, "etcd-server", &key(), NOW), issued(&ca, "etcd-peer", &key(), NOW));
        let api = issued(&ca, "apiserver", &key(), NOW);
        write(dir.path(), "pki/etcd/server.crt", &server);
        write(dir.path(), "pki/etcd/peer.crt", &peer);
        write(dir.path(), "pki/apiserver.crt", &api);
        for port in [2379, 12379, 443, 2380] {
            let f = on(dir.path(), port, None, &server);
            assert_eq!(f.status, Status::Ok, "{port}: {}", f.message);
            assert!(f.message.ends_with("pki/etcd/server.crt (--cert-file)"), "{}", f.message);
        }
        let f = on(dir.path(), 8443, None, &api);
        assert!(f.status == Status::Ok && f.message.starts_with("kube-apiserver serves"), "{}", f.message);
    }

    #[test]
    fn a_renewal_that_kept_the_key_is_found_by_the_key_and_an_older_serving_certificate_fails() {
        let ca = ca();
        let dir = tempfile::tempdir().expect("dir");
        let k = key();
        let old = issued(&ca, "etcd-server", &k, NOW);
        write(dir.path(), "pki/etcd/server.crt", &issued(&ca, "etcd-server", &k, NOW + DAY));
        write(dir.path(), "pki/etcd/peer.crt", &issued(&ca, "etcd-peer", &key(), NOW + DAY));
        let f = on(dir.path(), 12379, None, &old);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.starts_with("etcd serves an older certificate than"), "{}", f.message);
        assert!(f.message.contains("pki/etcd/server.crt"), "{}", f.message);
    }

    #[test]
    fn nothing_is_guessed_when_neither_bytes_key_nor_port_name_the_file() {
        let ca = ca();
        let dir = tempfile::tempdir().expect("dir");
        write(dir.path(), "pki/etcd/server.crt", &issued(&ca, "etcd-server", &key(), NOW + DAY));
        write(dir.path(), "pki/etcd/peer.crt", &issued(&ca, "etcd-peer", &key(), NOW + DAY));
        let stranger = issued(&ca, "etcd-server", &key(), NOW);
        let f = on(dir.path(), 12379, None, &stranger);
        assert_eq!(f.status, Status::Fail);
        assert!(f.message.contains("is none of") && f.message.contains("--served-file REL"), "{}", f.message);
        // The port of kubeadm's component names the file.
        let f = on(dir.path(), 2380, None, &stranger);
        assert!(f.message.starts_with("etcd serves an older certificate than") && f.message.contains("peer.crt"));
        // --served-file names it on any port.
        let f = on(dir.path(), 12379, Some("pki/etcd/server.crt"), &stranger);
        assert!(f.message.starts_with("etcd serves an older certificate than") && f.message.contains("server.crt"));
        let f = on(dir.path(), 12379, Some("pki/nothing.crt"), &stranger);
        assert_eq!(f.status, Status::Missing, "{}", f.message);
    }

    #[test]
    fn a_served_file_is_a_plain_path_inside_the_tree() {
        assert!(parse_rel("pki/etcd/server.crt").is_ok());
        for bad in ["", "/etc/kubernetes/pki/ca.crt", "../x", "pki/../ca.crt", "pki//ca.crt", "pki/\n"] {
            assert!(parse_rel(bad).is_err(), "{bad:?}");
        }
    }
}
