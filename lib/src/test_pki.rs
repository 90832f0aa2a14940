//! Unit tests' certificates: a cluster CA made with the library, as of one fixed time.

use crate::cert::Cert;
use crate::csr::{Csr, build};
use crate::issue::{Ca, IssueOptions, self_sign};
use crate::key::{Algorithm, PrivateKey};
use crate::kubeadm::profile::{Params, find};
use crate::validity::DAY;

/// The time the tests' CAs are made at (November 2026).
pub(crate) const NOW: i64 = 1_795_000_000;

/// A new ECDSA cluster CA (profile `ca`), valid for ten years from [`NOW`].
pub(crate) fn ca() -> Ca {
    let key = PrivateKey::generate(Algorithm::EcdsaP256).expect("key");
    let req = find("ca").and_then(|p| p.request(&Params::default())).expect("req");
    let csr = Csr::from_der(&build(&req, &key).expect("csr"), "t").expect("csr");
    let opts = IssueOptions { lifetime: 3650 * DAY, now: NOW, ..IssueOptions::default() };
    let cert = Cert::from_der(&self_sign(&csr, &key, &opts).expect("ca").der, "ca").expect("parse");
    Ca::new(cert, key, "ca.crt", "ca.key", NOW).expect("ca")
}
