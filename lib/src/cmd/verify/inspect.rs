//! k8s-verify without a mode flag: read certificates, CSRs, keys and kubeconfigs from the
//! inputs and show what each holds (and what Kubernetes makes of it).

use std::path::Path;

use super::options::OutputFormat;
use super::request::{Inputs, Show};
use crate::cert::Cert;
use crate::csr::Csr;
use crate::error::{Error, Result};
use crate::input::Input;
use crate::inspect;
use crate::key::{PrivateKey, PublicKey};
use crate::kubeconfig::{Kubeconfig, looks_like_kubeconfig};
use crate::pem::{Kind, first_block_of};
use crate::sink::{print, print_text};

/// One thing read from the input.
pub(super) enum Item {
    /// A certificate, its source for messages, the key beside it (kubeconfig), and the index
    /// of the input it came from (certificates after the first of an input are its chain).
    Cert(Box<Cert>, String, Option<PublicKey>, usize),
    Csr(Box<Csr>, String),
    Key(PrivateKey, String, String),
    Public(PublicKey, String),
    Kubeconfig(inspect::Summary),
    /// A certificate neither k8s-pki's parser nor Go's reads: its source, Go's error, its input.
    Unparsable(String, String, usize),
}

/// A certificate block as an item: parsed, or, when Go's parser refuses it as ours does, what
/// Go says (a check of it fails with that). One Go reads and we do not is an input error that
/// says so.
fn cert_item(der: &[u8], name: &str, source: String, index: usize, go: crate::go_release::GoRelease) -> Result<Item> {
    match Cert::from_der(der, name) {
        Ok(cert) => Ok(Item::Cert(Box::new(cert), source, None, index)),
        Err(e) => match crate::go_parse::check(der, go) {
            Err(go_error) => Ok(Item::Unparsable(source, go_error, index)),
            Ok(()) => Err(Error::input(name, format!("{} (Go's parser reads it; k8s-pki's does not)", e.message()))),
        },
    }
}

pub(super) fn read_items(inputs: &Inputs, go: crate::go_release::GoRelease) -> Result<Vec<Item>> {
    let mut items = Vec::new();
    for (index, path) in inputs.sources().into_iter().enumerate() {
        let input = Input::open(path, "a certificate, CSR, key or kubeconfig")?;
        let (name, bytes) = input.read_all()?;
        if looks_like_kubeconfig(&bytes) {
            kubeconfig_items(&bytes, &name, path, index, &mut items)?;
            continue;
        }
        if crate::csrapi::looks_like_object(&bytes) {
            let object = crate::csrapi::CsrObject::from_slice(&bytes, &name)?;
            let block = first_block_of(&object.request_pem, Kind::Csr, &name)?
                .ok_or_else(|| Error::input(&name, "spec.request holds no CERTIFICATE REQUEST"))?;
            let source = format!("{name}: CertificateSigningRequest {}", object.name);
            items.push(Item::Csr(Box::new(Csr::from_der(&block.der, &name)?), source));
            continue;
        }
        let mut n = 0;
        for block in Input::from_bytes(&name, bytes).blocks()? {
            let block = block?;
            n += 1;
            let source = format!("{name} #{n}");
            match block.kind() {
                Kind::Cert => items.push(cert_item(&block.der, &name, source, index, go)?),
                Kind::Csr => items.push(Item::Csr(Box::new(Csr::from_der(&block.der, &name)?), source)),
                Kind::Key => items.push(Item::Key(
                    PrivateKey::from_pem_block(&block.label, &block.der, &name)?,
                    block.label.clone(),
                    source,
                )),
                Kind::PublicKey => items.push(Item::Public(PublicKey::from_spki_der(&block.der, &name)?, source)),
                Kind::Other => return Err(Error::input(&name, format!("cannot inspect a {} block", block.label))),
            }
        }
    }
    Ok(items)
}

fn kubeconfig_items(bytes: &[u8], name: &str, path: Option<&Path>, index: usize, items: &mut Vec<Item>) -> Result<()> {
    let kc = Kubeconfig::from_slice(bytes, name)?;
    let base = crate::input::named(path).map(|p| p.parent().unwrap_or(Path::new(".")));
    let creds = kc.credentials(None, name, base)?;
    let source = format!("{name}: user {}", creds.user);
    let mut summary = inspect::Summary::new("kubeconfig", name);
    summary.add("context", creds.context.clone());
    summary.add("cluster", creds.cluster.clone());
    summary.add("server", creds.server.clone());
    summary.add("user", creds.user.clone());
    let mut key = None;
    let first = |pem: &Option<zeroize::Zeroizing<String>>, kind: Kind| match pem {
        Some(text) => first_block_of(text, kind, name),
        None => Ok(None),
    };
    if let Some(b) = first(&creds.key, Kind::Key)? {
        key = Some(PrivateKey::from_pem_block(&b.label, &b.der, name)?.public_key().clone());
    }
    if let Some(b) = first(&creds.ca, Kind::Cert)? {
        let ca = Cert::from_der(&b.der, name)?;
        summary.add("ca", ca.subject.to_string());
    }
    items.push(Item::Kubeconfig(summary));
    if let Some(b) = first(&creds.cert, Kind::Cert)? {
        items.push(Item::Cert(Box::new(Cert::from_der(&b.der, name)?), source, key, index));
    }
    Ok(())
}

/// Shows what each input holds.
pub(super) fn run(inputs: &Inputs, go: crate::go_release::GoRelease, show: &Show) -> Result<()> {
    let (items, at) = (read_items(inputs, go)?, show.at);
    let summaries: Vec<inspect::Summary> = items
        .iter()
        .map(|item| match item {
            Item::Cert(c, source, ..) => inspect::certificate(c, source, at),
            Item::Csr(c, source) => inspect::csr(c, source),
            Item::Key(k, label, source) => inspect::private_key(k, label, source),
            Item::Public(p, source) => inspect::public_key(p, source),
            Item::Kubeconfig(s) => s.clone(),
            Item::Unparsable(source, go, _) => {
                let mut s = inspect::Summary::new("certificate", source);
                s.add("go", format!("Go cannot parse this certificate: {go}"));
                s
            }
        })
        .collect();
    let text = match show.format {
        OutputFormat::Text => summaries.iter().map(inspect::Summary::to_text).collect::<Vec<_>>().join("\n"),
        OutputFormat::Json => {
            let all: Vec<serde_json::Value> = summaries.iter().map(inspect::Summary::to_json).collect();
            serde_json::to_string_pretty(&all).map_err(|_| Error::internal("cannot encode JSON"))? + "\n"
        }
    };
    match show.format {
        OutputFormat::Text => print_text(&text)?,
        OutputFormat::Json => print(&text)?,
    }
    match items.iter().filter(|i| matches!(i, Item::Unparsable(..))).count() {
        0 => Ok(()),
        n => Err(Error::CheckFailed(format!("Go cannot parse {n} of the certificates"))),
    }
}
