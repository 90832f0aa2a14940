//! cfssl's CSR JSON (`{"CN":…,"hosts":[…],"key":{"algo":"rsa","size":2048},"names":[{"O":…}]}`),
//! so scripts built on `cfssl gencert … | cfssljson -bare` map one to one onto k8s-pki.

use const_oid::db::rfc4519::{
    COMMON_NAME, COUNTRY_NAME, LOCALITY_NAME, ORGANIZATION_NAME, ORGANIZATIONAL_UNIT_NAME, ST,
};
use serde::Deserialize;

use crate::error::{Error, Result};
use crate::key::Algorithm;
use crate::name::Subject;
use crate::request::Request;
use crate::san::San;

/// A cfssl CSR definition.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct CsrJson {
    /// Common name.
    #[serde(rename = "CN", default)]
    pub cn: String,
    /// SANs: names and IPs.
    #[serde(default)]
    pub hosts: Vec<String>,
    /// Key algorithm and size.
    #[serde(default)]
    pub key: Option<KeyJson>,
    /// Subject name entries.
    #[serde(default)]
    pub names: Vec<NameJson>,
}

/// cfssl's `key` object.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct KeyJson {
    /// `rsa` or `ecdsa`.
    #[serde(default)]
    pub algo: String,
    /// Bits (RSA) or curve size (ECDSA).
    #[serde(default)]
    pub size: Option<u32>,
}

/// One entry of cfssl's `names`.
#[derive(Clone, Debug, Default, Deserialize)]
pub struct NameJson {
    /// Country.
    #[serde(rename = "C", default)]
    pub c: String,
    /// State or province.
    #[serde(rename = "ST", default)]
    pub st: String,
    /// Locality.
    #[serde(rename = "L", default)]
    pub l: String,
    /// Organization: a Kubernetes group.
    #[serde(rename = "O", default)]
    pub o: String,
    /// Organizational unit.
    #[serde(rename = "OU", default)]
    pub ou: String,
}

impl CsrJson {
    /// Reads a cfssl CSR JSON document.
    pub fn from_slice(bytes: &[u8], source: &str) -> Result<CsrJson> {
        serde_json::from_slice(bytes)
            .map_err(|e| Error::input(source, format!("not a cfssl CSR JSON{}", crate::input::json_where(&e))))
    }

    /// The key algorithm it asks for (cfssl's default: ECDSA P-256).
    pub fn algorithm(&self) -> Result<Algorithm> {
        match &self.key {
            Some(k) if !k.algo.is_empty() => Algorithm::from_family(&k.algo, k.size),
            _ => Ok(Algorithm::EcdsaP256),
        }
    }

    /// The request: subject in Go's order (C, ST, L, O, OU, CN) with every O kept, hosts as SANs.
    pub fn request(&self) -> Result<Request> {
        let mut attrs = Vec::new();
        for (oid, pick) in [
            (COUNTRY_NAME, (|n: &NameJson| n.c.clone()) as fn(&NameJson) -> String),
            (ST, |n| n.st.clone()),
            (LOCALITY_NAME, |n| n.l.clone()),
            (ORGANIZATION_NAME, |n| n.o.clone()),
            (ORGANIZATIONAL_UNIT_NAME, |n| n.ou.clone()),
        ] {
            for n in &self.names {
                let v = pick(n);
                if !v.is_empty() {
                    attrs.push((oid, v));
                }
            }
        }
        if !self.cn.is_empty() {
            attrs.push((COMMON_NAME, self.cn.clone()));
        }
        let mut req = Request { subject: Subject { attrs }, ..Request::default() };
        req.add_sans(self.hosts.iter().filter(|h| !h.is_empty()).map(|h| San::parse(h)).collect::<Result<Vec<_>>>()?);
        Ok(req)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kubernetes_the_hard_way_admin() {
        let json = br#"{"CN":"admin","key":{"algo":"rsa","size":2048},"names":[{"C":"US","L":"Portland","O":"system:masters","OU":"Kubernetes The Hard Way","ST":"Oregon"},{"O":"ops"}],"hosts":["10.32.0.1","kubernetes.default"]}"#;
        let c = CsrJson::from_slice(json, "t").expect("parses");
        assert_eq!(c.algorithm().ok(), Some(Algorithm::Rsa2048));
        let req = c.request().expect("request");
        assert_eq!(req.subject.orgs(), vec!["system:masters", "ops"]);
        assert_eq!(req.subject.cn(), Some("admin"));
        assert_eq!(req.sans.len(), 2);
        assert!(CsrJson::from_slice(b"[1]", "t").is_err());
    }
}
