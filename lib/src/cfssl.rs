//! cfssl's CSR JSON (`{"CN":…,"hosts":[…],"key":{"algo":"rsa","size":2048},"names":[{"O":…}],
//! "ca":{"expiry":"87600h","pathlen":1}}`), so scripts built on `cfssl gencert … | cfssljson -bare`
//! map one to one onto k8s-pki.
//!
//! Read as cfssl 1.2's `csr.CertificateRequest` is read by Go's encoding/json (csr/csr.go): field
//! names match exactly or, failing that, ignoring ASCII case (`"cn"` is `CN`), and a `null` value
//! is as if the field were absent. Where Go drops a field it does not know silently, every field
//! not applied is named for a warning ([`CsrJson::ignored`]).

use const_oid::db::rfc4519::{
    COMMON_NAME, COUNTRY_NAME, LOCALITY_NAME, ORGANIZATION_NAME, ORGANIZATIONAL_UNIT_NAME, ST,
};
use serde_json::{Map, Value};

use crate::error::{Error, Result};
use crate::key::Algorithm;
use crate::name::Subject;
use crate::request::Request;
use crate::san::San;

/// A cfssl CSR definition.
#[derive(Clone, Debug, Default)]
pub struct CsrJson {
    /// Common name.
    pub cn: String,
    /// SANs: names and IPs.
    pub hosts: Vec<String>,
    /// Key algorithm and size.
    pub key: Option<KeyJson>,
    /// Subject name entries.
    pub names: Vec<NameJson>,
    /// The `ca` object of a request for a CA (`cfssl gencert -initca`).
    pub ca: Option<CaJson>,
    /// Fields k8s-pki does not apply, as paths (`"serialnumber"`, `"names"[0]."E"`), sanitized.
    pub ignored: Vec<String>,
}

/// cfssl's `key` object.
#[derive(Clone, Debug, Default)]
pub struct KeyJson {
    /// `rsa` or `ecdsa`.
    pub algo: String,
    /// Bits (RSA) or curve size (ECDSA).
    pub size: Option<u32>,
}

/// One entry of cfssl's `names`.
#[derive(Clone, Debug, Default)]
pub struct NameJson {
    /// Country.
    pub c: String,
    /// State or province.
    pub st: String,
    /// Locality.
    pub l: String,
    /// Organization: a Kubernetes group.
    pub o: String,
    /// Organizational unit.
    pub ou: String,
}

/// cfssl's `ca` object (csr.CAConfig).
#[derive(Clone, Debug, Default)]
pub struct CaJson {
    /// `pathlen`.
    pub pathlen: i64,
    /// Whether `pathlen` was written (a 0 written means something else to a reader than none).
    pub pathlen_given: bool,
    /// `pathlenzero`: makes a `pathlen` of 0 a constraint.
    pub pathlenzero: bool,
    /// `expiry`, a Go duration (`87600h`).
    pub expiry: Option<String>,
}

/// What `cfssl gencert -initca` decides from the `ca` object for the CA it self-signs.
#[derive(Clone, Debug)]
pub struct InitCa {
    /// Lifetime: `ca.expiry`, else cfssl's default for a new CA (initca.CAPolicy: 43800h, 5 years).
    pub expiry: crate::validity::Duration,
    /// The path length constraint, as cfssl's appendCAInfoToCSR writes it.
    pub path_len: Option<u8>,
}

/// cfssl's lifetime of a new CA whose request gives no `ca.expiry` (initca.CAPolicy).
pub const INITCA_EXPIRY: &str = "43800h";

/// The fields of each object, as cfssl names them.
const TOP: &[&str] = &["CN", "hosts", "key", "names", "ca"];
const KEY: &[&str] = &["algo", "size"];
const NAME: &[&str] = &["C", "ST", "L", "O", "OU"];
const CA: &[&str] = &["pathlen", "pathlenzero", "expiry"];

/// An object's fields, each under the name it matches in `known` (exactly, else ignoring ASCII
/// case, as Go's encoding/json matches them); the others are pushed to `ignored` under `at`.
fn fields<'a>(
    object: &'a Map<String, Value>,
    known: &[&'static str],
    at: &str,
    ignored: &mut Vec<String>,
) -> Vec<(&'static str, &'a Value)> {
    let mut out = Vec::new();
    for (key, value) in object {
        let matched = known.iter().find(|k| **k == key).or_else(|| known.iter().find(|k| k.eq_ignore_ascii_case(key)));
        match matched {
            Some(k) if !value.is_null() => out.push((*k, value)),
            Some(_) => {}
            None => ignored.push(format!("{at}\"{}\"", crate::term::sanitize(key))),
        }
    }
    out
}

fn bad(source: &str, field: &str, want: &str) -> Error {
    Error::input(source, format!("not a cfssl CSR JSON: \"{field}\" must be {want}"))
}

fn string(v: &Value, source: &str, field: &str) -> Result<String> {
    v.as_str().map(str::to_string).ok_or_else(|| bad(source, field, "a string"))
}

fn object<'a>(v: &'a Value, source: &str, field: &str) -> Result<&'a Map<String, Value>> {
    v.as_object().ok_or_else(|| bad(source, field, "an object"))
}

impl CsrJson {
    /// Reads the cfssl CSR JSON file at `path` (named by its path in messages).
    pub fn read(path: &std::path::Path) -> Result<CsrJson> {
        CsrJson::from_slice(&crate::input::read_file(path)?, &path.display().to_string())
    }

    /// Reads a cfssl CSR JSON document.
    pub fn from_slice(bytes: &[u8], source: &str) -> Result<CsrJson> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::input(source, format!("not a cfssl CSR JSON{}", crate::input::json_where(&e))))?;
        let top = value.as_object().ok_or_else(|| Error::input(source, "not a cfssl CSR JSON: not an object"))?;
        let mut out = CsrJson::default();
        let mut ignored = Vec::new();
        for (field, v) in fields(top, TOP, "", &mut ignored) {
            match field {
                "CN" => out.cn = string(v, source, field)?,
                "hosts" => {
                    let list = v.as_array().ok_or_else(|| bad(source, field, "an array of strings"))?;
                    out.hosts = list.iter().map(|h| string(h, source, "hosts")).collect::<Result<_>>()?;
                }
                "key" => out.key = Some(Self::key(object(v, source, field)?, source, &mut ignored)?),
                "names" => {
                    let list = v.as_array().ok_or_else(|| bad(source, field, "an array of objects"))?;
                    for (i, n) in list.iter().enumerate() {
                        let at = format!("\"names\"[{i}].");
                        out.names.push(Self::name(object(n, source, field)?, source, &at, &mut ignored)?);
                    }
                }
                _ => out.ca = Some(Self::ca(object(v, source, field)?, source, &mut ignored)?),
            }
        }
        ignored.sort();
        out.ignored = ignored;
        Ok(out)
    }

    fn key(o: &Map<String, Value>, source: &str, ignored: &mut Vec<String>) -> Result<KeyJson> {
        let mut key = KeyJson::default();
        for (field, v) in fields(o, KEY, "\"key\".", ignored) {
            match field {
                "algo" => key.algo = string(v, source, "key.algo")?,
                _ => {
                    let size = v.as_u64().and_then(|n| u32::try_from(n).ok());
                    key.size = Some(size.ok_or_else(|| bad(source, "key.size", "a whole number of bits"))?);
                }
            }
        }
        Ok(key)
    }

    fn name(o: &Map<String, Value>, source: &str, at: &str, ignored: &mut Vec<String>) -> Result<NameJson> {
        let mut name = NameJson::default();
        for (field, v) in fields(o, NAME, at, ignored) {
            let text = string(v, source, field)?;
            match field {
                "C" => name.c = text,
                "ST" => name.st = text,
                "L" => name.l = text,
                "O" => name.o = text,
                _ => name.ou = text,
            }
        }
        Ok(name)
    }

    fn ca(o: &Map<String, Value>, source: &str, ignored: &mut Vec<String>) -> Result<CaJson> {
        let mut ca = CaJson::default();
        for (field, v) in fields(o, CA, "\"ca\".", ignored) {
            match field {
                "pathlen" => {
                    ca.pathlen = v.as_i64().ok_or_else(|| bad(source, "ca.pathlen", "a whole number"))?;
                    ca.pathlen_given = true;
                }
                "pathlenzero" => {
                    ca.pathlenzero = v.as_bool().ok_or_else(|| bad(source, "ca.pathlenzero", "true or false"))?;
                }
                _ => ca.expiry = Some(string(v, source, "ca.expiry")?),
            }
        }
        Ok(ca)
    }

    /// The key algorithm it asks for (cfssl's default: ECDSA P-256).
    pub fn algorithm(&self) -> Result<Algorithm> {
        match &self.key {
            Some(k) if !k.algo.is_empty() => Algorithm::from_family(&k.algo, k.size),
            _ => Ok(Algorithm::EcdsaP256),
        }
    }

    /// The request: subject in Go's order (C, ST, L, O, OU, CN) with every O kept, hosts as
    /// SANs; with a `ca` object, a CA with the path length cfssl would ask for.
    pub fn request(&self, source: &str) -> Result<Request> {
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
        if let Some(ca) = &self.ca {
            req.is_ca = true;
            req.path_len = ca.path_len(source)?;
        }
        Ok(req)
    }

    /// What `cfssl gencert -initca` takes from the `ca` object: the lifetime and the path length.
    pub fn initca(&self, source: &str) -> Result<InitCa> {
        let ca = self.ca.clone().unwrap_or_default();
        let expiry = ca.expiry.as_deref().filter(|e| !e.is_empty()).unwrap_or(INITCA_EXPIRY);
        let expiry = expiry.parse().map_err(|e: String| Error::input(source, format!("ca.expiry: {e}")))?;
        Ok(InitCa { expiry, path_len: ca.path_len(source)? })
    }

    /// Notes for a reader: fields not applied, and a `pathlen` that does not say what it seems to.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !self.ignored.is_empty() {
            // One line, however many: the file is input, and a warning per field would let it
            // flood the terminal.
            let shown: Vec<&str> = self.ignored.iter().take(8).map(String::as_str).collect();
            let more = self.ignored.len().saturating_sub(shown.len());
            let more = if more > 0 { format!(" and {more} more") } else { String::new() };
            out.push(format!("fields not applied: {}{more}", shown.join(", ")));
        }
        match &self.ca {
            Some(CaJson { pathlen: 0, pathlenzero: false, pathlen_given: true, .. }) => out.push(
                "\"ca\".\"pathlen\": 0 sets no path length limit without \"pathlenzero\": true \
                 (cfssl reads it so); add \"pathlenzero\": true for a CA that may sign no CA"
                    .to_string(),
            ),
            Some(CaJson { pathlen: 1.., pathlenzero: true, .. }) => out.push(
                "\"ca\".\"pathlenzero\" is ignored beside a non-zero \"pathlen\" (as cfssl ignores it)".to_string(),
            ),
            _ => {}
        }
        out
    }
}

impl CaJson {
    /// The constraint cfssl's appendCAInfoToCSR and initca write: `pathlen` when positive, 0
    /// only with `pathlenzero`, none for 0 or -1; below -1 (which Go would write as a negative
    /// pathLenConstraint) and above 255 are refused.
    pub fn path_len(&self, source: &str) -> Result<Option<u8>> {
        crate::ext::go_path_len(self.pathlen, self.pathlenzero).map_err(|n| {
            Error::input(
                source,
                format!("ca.pathlen {n} is not a path length (-1 or 0 for none, 0 with pathlenzero, 1 to 255)"),
            )
        })
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
        let req = c.request("t").expect("request");
        assert_eq!(req.subject.orgs(), vec!["system:masters", "ops"]);
        assert_eq!(req.subject.cn(), Some("admin"));
        assert_eq!(req.sans.len(), 2);
        assert!(!req.is_ca && c.warnings().is_empty());
        assert!(CsrJson::from_slice(b"[1]", "t").is_err());
    }

    #[test]
    fn fields_match_as_go_matches_them_and_the_rest_are_named() {
        let json = br#"{"cn":"x","Hosts":["a.example"],"KEY":{"Algo":"ecdsa","size":384,"curve":"x"},
            "names":[{"o":"g","E":"x@example"}],"serialnumber":"7","ca":null,"extra\u001b":1}"#;
        let c = CsrJson::from_slice(json, "t").expect("parses");
        assert_eq!((c.cn.as_str(), c.hosts.len()), ("x", 1));
        assert_eq!(c.algorithm().ok(), Some(Algorithm::EcdsaP384));
        assert_eq!(c.request("t").expect("request").subject.orgs(), vec!["g"]);
        assert!(c.ca.is_none(), "null is absent");
        assert_eq!(c.ignored, ["\"extra?\"", "\"key\".\"curve\"", "\"names\"[0].\"E\"", "\"serialnumber\""]);
        assert_eq!(c.warnings().len(), 1);
        let wrong = CsrJson::from_slice(br#"{"hosts":"a.example"}"#, "t").expect_err("type");
        assert!(wrong.to_string().contains("\"hosts\" must be an array of strings"), "{wrong}");
    }

    #[test]
    fn the_ca_object_as_cfssl_reads_it() {
        let ca = |json: &str| CsrJson::from_slice(format!(r#"{{"CN":"ca","ca":{json}}}"#).as_bytes(), "t");
        let path = |json: &str| ca(json).and_then(|c| c.initca("t")).map(|i| i.path_len).expect("initca");
        assert_eq!(path(r#"{"pathlen":1}"#), Some(1));
        assert_eq!(path(r#"{"pathlen":0,"pathlenzero":true}"#), Some(0));
        assert_eq!(path(r#"{"pathlen":0}"#), None, "cfssl writes no limit for a bare 0");
        assert_eq!(path(r#"{"pathlen":-1}"#), None);
        assert!(ca(r#"{"pathlen":256}"#).and_then(|c| c.initca("t")).is_err());
        let c = ca(r#"{"expiry":"87600h","pathlen":0}"#).expect("parses");
        assert!(c.request("t").expect("request").is_ca);
        assert_eq!(c.initca("t").expect("initca").expiry.seconds_from(0).ok(), Some(87600 * 3600));
        assert!(c.warnings().iter().any(|w| w.contains("add \"pathlenzero\": true")), "{:?}", c.warnings());
        assert!(ca("{}").expect("parses").warnings().is_empty());
        let none = CsrJson::from_slice(br#"{"CN":"ca"}"#, "t").and_then(|c| c.initca("t")).expect("initca");
        assert_eq!(none.expiry.seconds_from(0).ok(), Some(43800 * 3600), "cfssl's 5 years");
    }
}
