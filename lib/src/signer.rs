//! Signer names and the certificates API's usage words, as types; the built-in signers' rules
//! as kube-controller-manager applies them (pkg/controller/certificates/authority and
//! pkg/apis/certificates/v1/helpers.go), with its words on refusal.

use std::fmt;
use std::str::FromStr;

use crate::csr::Csr;
use crate::san::San;
use crate::usage::Usage;

/// A `spec.signerName`: one of the built-in signers whose rules we know, or another
/// (its controller decides).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Signer {
    /// `kubernetes.io/kube-apiserver-client`: client certificates for users and components.
    KubeApiserverClient,
    /// `kubernetes.io/kube-apiserver-client-kubelet`: kubelets' client certificates.
    KubeApiserverClientKubelet,
    /// `kubernetes.io/kubelet-serving`: kubelets' serving certificates.
    KubeletServing,
    /// Any other well-formed name (`DOMAIN/NAME`).
    Other(String),
}

const BUILT_IN: &[(Signer, &str)] = &[
    (Signer::KubeApiserverClient, "kubernetes.io/kube-apiserver-client"),
    (Signer::KubeApiserverClientKubelet, "kubernetes.io/kube-apiserver-client-kubelet"),
    (Signer::KubeletServing, "kubernetes.io/kubelet-serving"),
];

impl FromStr for Signer {
    type Err = String;

    /// A signer name as the API checks its shape: `DOMAIN/NAME`, the domain with a dot.
    fn from_str(s: &str) -> Result<Signer, String> {
        if let Some((signer, _)) = BUILT_IN.iter().find(|(_, name)| *name == s) {
            return Ok(signer.clone());
        }
        let ok = s.split_once('/').is_some_and(|(domain, path)| domain.contains('.') && !path.is_empty());
        if ok && !s.contains(char::is_whitespace) && !s.contains(char::is_control) {
            Ok(Signer::Other(s.to_string()))
        } else {
            Err(format!("a signer name is DOMAIN/NAME, e.g. {}", Signer::KubeApiserverClient))
        }
    }
}

/// `k8s-sign --signer`'s value: a signer kube-controller-manager has (csrsigning: the three
/// built-in signers; `kubernetes.io/legacy-unknown` is not allowed by certificates.k8s.io/v1).
/// Another name is refused, since no rules are known to sign by.
pub fn built_in(s: &str) -> Result<Signer, String> {
    match s.parse::<Signer>() {
        Ok(Signer::Other(_)) | Err(_) => {
            let names: Vec<&str> = BUILT_IN.iter().map(|(_, name)| *name).collect();
            Err(format!(
                "kube-controller-manager has no signer '{}': it signs for {}",
                crate::term::sanitize(s),
                names.join(", ")
            ))
        }
        Ok(known) => Ok(known),
    }
}

impl fmt::Display for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signer::Other(name) => f.write_str(name),
            known => f.write_str(BUILT_IN.iter().find(|(s, _)| s == known).map_or("", |(_, name)| name)),
        }
    }
}

macro_rules! api_usages {
    ($($variant:ident = $word:literal),* $(,)?) => {
        /// A usage word of the certificates API (certificates.k8s.io/v1 `KeyUsage`).
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum ApiUsage { $(#[doc = $word] $variant),* }

        impl ApiUsage {
            /// Every word the API accepts, in its order.
            pub const ALL: &[ApiUsage] = &[$(ApiUsage::$variant),*];

            /// The API's word.
            pub fn as_str(self) -> &'static str {
                match self { $(ApiUsage::$variant => $word),* }
            }
        }
    };
}

api_usages! {
    Signing = "signing",
    DigitalSignature = "digital signature",
    ContentCommitment = "content commitment",
    KeyEncipherment = "key encipherment",
    KeyAgreement = "key agreement",
    DataEncipherment = "data encipherment",
    CertSign = "cert sign",
    CrlSign = "crl sign",
    EncipherOnly = "encipher only",
    DecipherOnly = "decipher only",
    Any = "any",
    ServerAuth = "server auth",
    ClientAuth = "client auth",
    CodeSigning = "code signing",
    EmailProtection = "email protection",
    SMime = "s/mime",
    IpsecEndSystem = "ipsec end system",
    IpsecTunnel = "ipsec tunnel",
    IpsecUser = "ipsec user",
    Timestamping = "timestamping",
    OcspSigning = "ocsp signing",
    MicrosoftSgc = "microsoft sgc",
    NetscapeSgc = "netscape sgc",
}

impl FromStr for ApiUsage {
    type Err = String;

    fn from_str(s: &str) -> Result<ApiUsage, String> {
        ApiUsage::ALL
            .iter()
            .copied()
            .find(|u| u.as_str() == s)
            .ok_or_else(|| format!("unknown usage '{}'", crate::term::sanitize(s)))
    }
}

impl fmt::Display for ApiUsage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ApiUsage {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// The TLS usages among API usage words.
pub fn tls_usages(usages: &[ApiUsage]) -> Vec<Usage> {
    let mut out = Vec::new();
    if usages.contains(&ApiUsage::ServerAuth) {
        out.push(Usage::Server);
    }
    if usages.contains(&ApiUsage::ClientAuth) {
        out.push(Usage::Client);
    }
    out
}

/// API usage words for what a CSR asks (the key usage bits a TLS certificate implies).
pub fn requested_usages(csr: &Csr) -> Vec<ApiUsage> {
    let mut u = vec![ApiUsage::DigitalSignature];
    if csr.public_key.is_rsa() {
        u.push(ApiUsage::KeyEncipherment);
    }
    u.extend(csr.request.usages.iter().map(|usage| match usage {
        Usage::Server => ApiUsage::ServerAuth,
        Usage::Client => ApiUsage::ClientAuth,
    }));
    u
}

/// Why a built-in signer refuses a CSR; `Display` is kube-controller-manager's message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// A usage a client certificate may not have.
    InvalidClientUsage(ApiUsage),
    /// `client auth` missing.
    MissingClientAuth,
    /// O is not exactly `system:nodes`.
    NotNodesOrg,
    /// A SAN of a kind the signer does not allow ("DNS", "Email", "IP", "URI").
    SanNotAllowed(&'static str),
    /// Neither DNS nor IP SAN on a serving certificate.
    NeedsDnsOrIp,
    /// CN not `system:node:…`.
    NotNodeCn,
    /// Usages other than the two allowed sets; holds the full set.
    UsagesMismatch(Vec<ApiUsage>),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::InvalidClientUsage(u) => write!(f, "invalid usage for client certificate: {u}"),
            Refusal::MissingClientAuth => write!(f, "missing required usage for client certificate: client auth"),
            Refusal::NotNodesOrg => f.write_str("subject organization is not system:nodes"),
            Refusal::SanNotAllowed(kind) => write!(f, "{kind} subjectAltNames are not allowed"),
            Refusal::NeedsDnsOrIp => f.write_str("DNS or IP subjectAltName is required"),
            Refusal::NotNodeCn => f.write_str("subject common name does not begin with system:node:"),
            // The set, sorted, as Go prints sets.List(...).
            Refusal::UsagesMismatch(full) => write!(f, "usages did not match [{}]", sorted(full).join(" ")),
        }
    }
}

fn sorted(usages: &[ApiUsage]) -> Vec<&'static str> {
    let mut v: Vec<&str> = usages.iter().map(|u| u.as_str()).collect();
    v.sort_unstable();
    v.dedup();
    v
}

impl Signer {
    /// The usages this signer expects, for a key of this kind.
    pub fn default_usages(&self, rsa: bool) -> Vec<ApiUsage> {
        let mut u = vec![ApiUsage::DigitalSignature];
        if rsa {
            u.push(ApiUsage::KeyEncipherment);
        }
        u.push(if *self == Signer::KubeletServing { ApiUsage::ServerAuth } else { ApiUsage::ClientAuth });
        u
    }

    /// The rules kube-controller-manager applies for the built-in signers, in its order.
    /// `Ok` for other signers (their controllers decide).
    pub fn validate(&self, csr: &Csr, usages: &[ApiUsage]) -> Result<(), Refusal> {
        let req = &csr.request;
        let cn = req.subject.cn().unwrap_or("");
        let has = |kind: fn(&San) -> bool| req.sans.iter().any(kind);
        let dns = has(|s| matches!(s, San::Dns(_)));
        let ip = has(|s| matches!(s, San::Ip(_)));
        let email = has(|s| matches!(s, San::Email(_)));
        let uri = has(|s| matches!(s, San::Uri(_)));
        let nodes_org = req.subject.orgs() == ["system:nodes"];
        let usages_are = |wanted: ApiUsage| {
            let full = [ApiUsage::DigitalSignature, ApiUsage::KeyEncipherment, wanted];
            let set = sorted(usages);
            if set == sorted(&full) || set == sorted(&[ApiUsage::DigitalSignature, wanted]) {
                Ok(())
            } else {
                Err(Refusal::UsagesMismatch(full.to_vec()))
            }
        };
        let deny = |on: bool, refusal: Refusal| if on { Err(refusal) } else { Ok(()) };
        match self {
            Signer::KubeApiserverClient => {
                let allowed = [ApiUsage::DigitalSignature, ApiUsage::KeyEncipherment, ApiUsage::ClientAuth];
                if let Some(bad) = usages.iter().find(|u| !allowed.contains(u)) {
                    return Err(Refusal::InvalidClientUsage(*bad));
                }
                deny(!usages.contains(&ApiUsage::ClientAuth), Refusal::MissingClientAuth)
            }
            Signer::KubeApiserverClientKubelet => {
                deny(!nodes_org, Refusal::NotNodesOrg)?;
                deny(dns, Refusal::SanNotAllowed("DNS"))?;
                deny(email, Refusal::SanNotAllowed("Email"))?;
                deny(ip, Refusal::SanNotAllowed("IP"))?;
                deny(uri, Refusal::SanNotAllowed("URI"))?;
                deny(!cn.starts_with("system:node:"), Refusal::NotNodeCn)?;
                usages_are(ApiUsage::ClientAuth)
            }
            Signer::KubeletServing => {
                deny(!nodes_org, Refusal::NotNodesOrg)?;
                deny(!dns && !ip, Refusal::NeedsDnsOrIp)?;
                deny(email, Refusal::SanNotAllowed("Email"))?;
                deny(uri, Refusal::SanNotAllowed("URI"))?;
                usages_are(ApiUsage::ServerAuth)?;
                deny(!cn.starts_with("system:node:"), Refusal::NotNodeCn)
            }
            Signer::Other(_) => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signer_names() {
        assert_eq!("kubernetes.io/kube-apiserver-client".parse(), Ok(Signer::KubeApiserverClient));
        assert_eq!(Signer::KubeletServing.to_string(), "kubernetes.io/kubelet-serving");
        let other: Signer = "example.com/my-signer".parse().expect("valid");
        assert_eq!(other, Signer::Other("example.com/my-signer".into()));
        assert_eq!(other.to_string(), "example.com/my-signer");
        for bad in ["nope", "example/x", "example.com/", "a.b/c d", "a.b/c\nd"] {
            assert!(bad.parse::<Signer>().is_err(), "{bad:?}");
        }
    }

    #[test]
    fn usage_words_round_trip() {
        for u in ApiUsage::ALL {
            assert_eq!(u.as_str().parse::<ApiUsage>(), Ok(*u));
        }
        assert_eq!(ApiUsage::ALL.len(), 23);
        assert_eq!("Server Auth".parse::<ApiUsage>(), Err("unknown usage 'Server Auth'".into()));
    }

    #[test]
    fn defaults_follow_the_key_type() {
        use ApiUsage::*;
        assert_eq!(Signer::KubeletServing.default_usages(true), vec![DigitalSignature, KeyEncipherment, ServerAuth]);
        assert_eq!(Signer::KubeApiserverClientKubelet.default_usages(false), vec![DigitalSignature, ClientAuth]);
    }

    #[test]
    fn refusals_in_kube_controller_managers_words() {
        let full =
            Refusal::UsagesMismatch(vec![ApiUsage::DigitalSignature, ApiUsage::KeyEncipherment, ApiUsage::ServerAuth]);
        assert_eq!(full.to_string(), "usages did not match [digital signature key encipherment server auth]");
        let client = Refusal::UsagesMismatch(Signer::KubeApiserverClientKubelet.default_usages(true));
        assert_eq!(client.to_string(), "usages did not match [client auth digital signature key encipherment]");
        assert_eq!(Refusal::SanNotAllowed("URI").to_string(), "URI subjectAltNames are not allowed");
        assert_eq!(
            Refusal::InvalidClientUsage(ApiUsage::ServerAuth).to_string(),
            "invalid usage for client certificate: server auth"
        );
    }
}
