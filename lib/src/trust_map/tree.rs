//! What `--pki-dir` adds to the map: the tree's CAs by key, named as `k8s-rotate` names its
//! targets (every member of a bundle counts), and, while a rotation is under way, which of them
//! is old and which new (`pki/rotation.json`, `pki/rotation/X.{old,new}.crt`, by key).

use std::collections::HashMap;
use std::path::Path;

use super::certs::Certs;
use crate::beneath::Beneath;
use crate::cert::Cert;
use crate::error::Result;
use crate::rotation::state::State;
use crate::rotation::{Phase, Target};

/// A CA target of a rotation under way.
#[derive(Clone, Debug)]
pub struct Rotated {
    /// `ca`, `etcd-ca`, `front-proxy-ca`.
    pub name: &'static str,
    /// The old CA's key (`sha256:…`).
    pub old: String,
    /// The new CA's key.
    pub new: String,
}

/// The rotation under way.
#[derive(Clone, Debug)]
pub struct Rotation {
    /// Its phase.
    pub phase: Phase,
    /// Its CA targets.
    pub targets: Vec<Rotated>,
}

/// The tree's CAs.
#[derive(Default, Debug)]
pub struct TreeCas {
    /// Name of each CA key.
    pub names: HashMap<String, &'static str>,
    /// `old` or `new`, for the CAs of a rotation.
    pub generations: HashMap<String, &'static str>,
    /// The rotation, if one is under way.
    pub rotation: Option<Rotation>,
    /// The key of the first certificate of each CA target's trust file, by target name.
    pub current: HashMap<&'static str, String>,
}

/// Reads the tree's CAs into `certs`.
pub fn read(root: &Path, certs: &mut Certs) -> Result<TreeCas> {
    let tree = Beneath::open(root)?;
    let mut out = TreeCas::default();
    for target in Target::ALL {
        for cert in certs_of(&tree, &target.trust_file())? {
            let id = certs.enter_cert(&cert);
            out.current.entry(target.name()).or_insert_with(|| id.clone());
            out.names.insert(id, target.name());
        }
    }
    let Some(state) = State::load(&tree)? else { return Ok(out) };
    let mut targets = Vec::new();
    for (name, t) in &state.targets {
        let target = Target::parse(name)?;
        if target.ca().is_none() {
            continue;
        }
        for (generation, id) in [("old", &t.old), ("new", &t.new)] {
            for cert in certs_of(&tree, &format!("pki/rotation/{name}.{generation}.crt"))? {
                if &cert.join_hash() == id {
                    certs.enter_cert(&cert);
                }
            }
            out.names.insert(id.clone(), target.name());
            out.generations.insert(id.clone(), generation);
        }
        targets.push(Rotated { name: target.name(), old: t.old.clone(), new: t.new.clone() });
    }
    out.rotation = Some(Rotation { phase: state.phase()?, targets });
    Ok(out)
}

fn certs_of(tree: &Beneath, rel: &str) -> Result<Vec<Cert>> {
    let Some(blocks) = crate::input::tree_blocks(tree, rel)? else { return Ok(Vec::new()) };
    let name = tree.path(rel).display().to_string();
    Ok(blocks
        .iter()
        .filter(|b| b.kind() == crate::pem::Kind::Cert)
        .filter_map(|b| Cert::from_der(&b.der, &name).ok())
        .filter(Cert::is_ca)
        .collect())
}
