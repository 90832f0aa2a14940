//! `k8s-verify --signer`: would kube-controller-manager's signer of that name accept these
//! CSRs (PEM, or CertificateSigningRequest objects with their usages)?

use super::request::Inputs;
use crate::csr::Csr;
use crate::csrapi;
use crate::error::{Error, Result};
use crate::input::Input;
use crate::pem::{Kind, first_block_of};
use crate::signer::requested_usages;
use crate::sink::print_text;

/// `--signer`: would kube-controller-manager's signer accept these CSRs?
pub(super) fn run(signer: &crate::signer::Signer, inputs: &Inputs) -> Result<()> {
    let mut failed = 0;
    let mut lines = String::new();
    for path in inputs.sources() {
        let (name, bytes) = Input::open(path, "a CSR or CertificateSigningRequest object")?.read_all()?;
        let (usages, pem) = if csrapi::looks_like_object(&bytes) {
            let o = csrapi::CsrObject::from_slice(&bytes, &name)?;
            (Some(o.usages.clone()), o.request_pem)
        } else {
            (None, String::from_utf8_lossy(&bytes).into_owned())
        };
        let block = first_block_of(&pem, Kind::Csr, &name)?
            .ok_or_else(|| Error::input(&name, "expected a CERTIFICATE REQUEST"))?;
        let csr = Csr::from_der(&block.der, &name)?;
        let usages = usages.unwrap_or_else(|| {
            if csr.request.usages.is_empty() {
                signer.default_usages(csr.public_key.is_rsa())
            } else {
                requested_usages(&csr)
            }
        });
        match signer.validate(&csr, &usages) {
            Ok(()) => lines.push_str(&format!("{name} ({}): {signer} would sign it\n", csr.request.subject)),
            Err(why) => {
                failed += 1;
                lines.push_str(&format!("{name} ({}): {signer} would refuse it: {why}\n", csr.request.subject));
            }
        }
    }
    print_text(&lines)?;
    if failed > 0 { Err(Error::CheckFailed(format!("{failed} CSR(s) would be refused"))) } else { Ok(()) }
}
