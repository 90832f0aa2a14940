//! What a CSR asks for, or a certificate was issued for: subject, SANs, usages and whether
//! it is a CA. Profiles fill one in; CSRs and certificates are read into one; a caller's
//! [`Overrides`] change it.

use crate::error::{Error, Result};
use crate::name::Subject;
use crate::san::San;
use crate::usage::Usage;

/// What a CSR asks for: subject, SANs, usages and whether it is a CA.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Request {
    /// The subject.
    pub subject: Subject,
    /// SANs in order, without duplicates.
    pub sans: Vec<San>,
    /// Extended key usages.
    pub usages: Vec<Usage>,
    /// Whether it asks to be a CA.
    pub is_ca: bool,
    /// The path length constraint a CA asks for (basicConstraints pathLenConstraint).
    pub path_len: Option<u8>,
}

impl Request {
    /// Whether it names nobody: an empty subject and no SAN (RFC 5280 4.1.2.6 needs one).
    pub fn names_nobody(&self) -> bool {
        self.subject.is_empty() && self.sans.is_empty()
    }

    /// Orders the SANs as a kubeadm certificate holds them: DNS names de-duplicated and sorted
    /// (pkiutil.RemoveDuplicateAltNames), IP addresses de-duplicated in the order given, in the
    /// order Go's crypto/x509 encodes them (DNS, e-mail, IP, URI).
    pub fn order_sans_as_kubeadm(&mut self) {
        let mut dns: Vec<San> = self.sans.iter().filter(|s| matches!(s, San::Dns(_))).cloned().collect();
        dns.sort();
        dns.dedup();
        let of = |want: fn(&San) -> bool| self.sans.iter().filter(|s| want(s)).cloned().collect::<Vec<San>>();
        let emails = of(|s| matches!(s, San::Email(_)));
        let ips = of(|s| matches!(s, San::Ip(_)));
        let uris = of(|s| matches!(s, San::Uri(_)));
        self.sans = Vec::new();
        self.add_sans(dns.into_iter().chain(emails).chain(ips).chain(uris));
    }

    /// Adds SANs, skipping duplicates.
    pub fn add_sans(&mut self, sans: impl IntoIterator<Item = San>) {
        for san in sans {
            if !self.sans.contains(&san) {
                self.sans.push(san);
            }
        }
    }
}

/// What a caller's flags change in a request: `--subj`, `--cn` and `--org` replace the
/// subject's parts, SANs join the request's, usages replace its own, `--ca` asks to be a CA and
/// `--no-usages` asks for none.
#[derive(Clone, Copy, Debug, Default)]
pub struct Overrides<'a> {
    /// An openssl-style subject (`/CN=a/O=b`), replacing the request's.
    pub subj: Option<&'a str>,
    /// The CN, replacing the request's.
    pub cn: Option<&'a str>,
    /// O values, replacing the request's when any are given.
    pub orgs: &'a [String],
    /// SANs added to the request's.
    pub sans: &'a [San],
    /// Usages, replacing the request's when any are given.
    pub usages: &'a [Usage],
    /// Ask to be a CA.
    pub ca: bool,
    /// Ask for no usages, as `kubeadm certs generate-csr` does: the signer applies them.
    pub no_usages: bool,
    /// The request is a kubeadm profile's: SANs must be names kubeadm takes, and are ordered as
    /// kubeadm orders its certSANs with its own.
    pub kubeadm: bool,
}

impl Overrides<'_> {
    /// Whether the subject changes (a renewal's subject is then not copied verbatim).
    pub fn change_subject(&self) -> bool {
        self.subj.is_some() || self.cn.is_some() || !self.orgs.is_empty()
    }
}

impl Request {
    /// The request with `o` applied (a usage error for an empty CN or O, a SAN kubeadm would
    /// refuse in a profile's request, or `--no-usages` for a CA).
    pub fn override_with(&mut self, o: &Overrides<'_>) -> Result<()> {
        let profile_cn = self.subject.cn().map(str::to_string);
        if let Some(subj) = o.subj {
            self.subject = Subject::parse_openssl(subj)?;
        }
        if let Some(cn) = o.cn {
            if cn.is_empty() {
                return Err(Error::usage("--cn must not be empty"));
            }
            self.subject.set_cn(cn);
        }
        // A kubeadm CA names itself in its one DNS SAN (pkiutil's NewSelfSignedCACert: DNSNames =
        // CommonName): a CA given another CN keeps that rule.
        if let (Some(old), Some(new)) = (profile_cn, self.subject.cn().map(str::to_string))
            && self.is_ca
            && old != new
            && self.sans == [San::Dns(old)]
        {
            self.sans = vec![San::Dns(new)];
        }
        if !o.orgs.is_empty() {
            if o.orgs.iter().any(String::is_empty) {
                return Err(Error::usage("--org must not be empty"));
            }
            self.subject.set_orgs(o.orgs);
        }
        if o.kubeadm
            && let Some(why) = o.sans.iter().find_map(San::kubeadm_refusal)
        {
            return Err(Error::usage(format!("--san: {why}; without --profile any DNS name is taken")));
        }
        self.add_sans(o.sans.iter().cloned());
        if o.kubeadm {
            self.order_sans_as_kubeadm();
        }
        if !o.usages.is_empty() {
            let mut usages = o.usages.to_vec();
            usages.sort();
            usages.dedup();
            self.usages = usages;
        }
        self.is_ca |= o.ca;
        if o.no_usages {
            if self.is_ca {
                return Err(Error::usage("--no-usages is for leaf certificates; a CA request asks for CA:TRUE"));
            }
            // kubeadm certs generate-csr's CSRs (pki_helpers.go NewCSR): subject and SANs only.
            self.usages.clear();
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ca(cn: &str) -> Request {
        let mut req = Request { is_ca: true, sans: vec![San::Dns(cn.into())], ..Request::default() };
        req.subject.set_cn(cn);
        req
    }

    #[test]
    fn a_kubeadm_ca_given_another_cn_names_itself_in_its_san() {
        let mut req = ca("kubernetes");
        req.override_with(&Overrides { cn: Some("my-ca"), ..Overrides::default() }).expect("overrides");
        assert_eq!(req.sans, [San::Dns("my-ca".into())]);
        // A CA whose SANs were not only its name keeps them.
        let mut req = ca("kubernetes");
        req.add_sans([San::Dns("other".into())]);
        req.override_with(&Overrides { cn: Some("my-ca"), ..Overrides::default() }).expect("overrides");
        assert_eq!(req.sans, [San::Dns("kubernetes".into()), San::Dns("other".into())]);
    }

    #[test]
    fn overrides_refuse_what_means_nothing() {
        let refused = |o: Overrides<'_>| ca("kubernetes").override_with(&o).expect_err("refused").to_string();
        assert_eq!(refused(Overrides { cn: Some(""), ..Overrides::default() }), "--cn must not be empty");
        assert_eq!(refused(Overrides { orgs: &[String::new()], ..Overrides::default() }), "--org must not be empty");
        assert!(refused(Overrides { no_usages: true, ..Overrides::default() }).starts_with("--no-usages is for leaf"));
        let subject_kept = Overrides { sans: &[San::Dns("a".into())], ..Overrides::default() };
        assert!(!subject_kept.change_subject());
        assert!(Overrides { orgs: &["g".into()], ..Overrides::default() }.change_subject());
    }
}
