//! Kubeconfigs: build one from a client certificate, key and CA (as kubectl writes them),
//! merge a user into an existing one (like `kubectl config set-credentials`), and read the
//! credentials back out of one written by kubeadm, kubectl or us.

use std::collections::BTreeMap;

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use zeroize::Zeroizing;

use crate::error::{Error, Result};

mod credentials;
mod document;
pub use credentials::{Credentials, Refs};
pub use document::{Cluster, Context, INSECURE, Kubeconfig, NamedCluster, NamedContext, NamedUser, User};

/// Where the credentials live: embedded, or as file paths.
#[derive(Clone, Debug)]
pub enum Material {
    /// PEM text embedded as base64.
    Embedded {
        /// CA certificate PEM.
        ca: String,
        /// Client certificate PEM.
        cert: String,
        /// Client key PEM.
        key: Zeroizing<String>,
    },
    /// File paths kubectl reads.
    Files {
        /// CA certificate path.
        ca: String,
        /// Client certificate path.
        cert: String,
        /// Client key path.
        key: String,
    },
}

/// Names in a new kubeconfig.
#[derive(Clone, Debug)]
pub struct Names {
    /// Cluster name (default `kubernetes`).
    pub cluster: String,
    /// User name (default: the certificate's CN).
    pub user: String,
    /// Context name (default `USER@CLUSTER`).
    pub context: String,
}

/// Checks a server URL the way kubectl needs it: `https://host[:port][/path]`.
pub fn check_server(url: &str) -> Result<()> {
    let bad = |m: &str| Error::usage(format!("--server '{}': {m}", crate::term::sanitize(url)));
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"))
        .ok_or_else(|| bad("must start with https://"))?;
    let hostport = rest.split('/').next().unwrap_or("");
    if hostport.is_empty() {
        return Err(bad("has no host"));
    }
    let (host, port) = if let Some(v6) = hostport.strip_prefix('[') {
        let (h, after) = v6.split_once(']').ok_or_else(|| bad("unclosed [ in IPv6 address"))?;
        h.parse::<std::net::Ipv6Addr>().map_err(|_| bad("invalid IPv6 address"))?;
        (h, after.strip_prefix(':'))
    } else {
        match hostport.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (hostport, None),
        }
    };
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(bad("has no valid host"));
    }
    if let Some(p) = port {
        p.parse::<u16>().ok().filter(|p| *p > 0).ok_or_else(|| bad("port must be a number from 1 to 65535"))?;
    }
    Ok(())
}

impl Kubeconfig {
    /// A kubeconfig with one cluster, one user and one context, set as current.
    pub fn new(names: &Names, server: &str, tls_server_name: Option<&str>, material: &Material) -> Kubeconfig {
        let mut kc = Kubeconfig::empty();
        kc.set_credentials(names, server, tls_server_name, material);
        kc.current_context = names.context.clone();
        kc
    }

    /// Adds or updates the cluster, user and context `names` describe — what `kubectl config
    /// set-cluster/set-credentials/set-context` do: an entry that exists gets the new server and
    /// credentials and keeps every other field (extensions, proxy-url, namespace, ...), and
    /// `current-context` is left as it is (`use-context` is the caller's choice). Returns the
    /// entries that existed.
    pub fn set_credentials(
        &mut self,
        names: &Names,
        server: &str,
        tls_server_name: Option<&str>,
        material: &Material,
    ) -> Vec<String> {
        let (cluster, user) = match material {
            Material::Embedded { ca, cert, key } => (
                Cluster {
                    certificate_authority_data: Some(B64.encode(ca)),
                    server: server.to_string(),
                    tls_server_name: tls_server_name.map(str::to_string),
                    ..Cluster::default()
                },
                User {
                    client_certificate_data: Some(B64.encode(cert)),
                    client_key_data: Some(B64.encode(key.as_bytes())),
                    ..User::default()
                },
            ),
            Material::Files { ca, cert, key } => (
                Cluster {
                    certificate_authority: Some(ca.clone()),
                    server: server.to_string(),
                    tls_server_name: tls_server_name.map(str::to_string),
                    ..Cluster::default()
                },
                User { client_certificate: Some(cert.clone()), client_key: Some(key.clone()), ..User::default() },
            ),
        };
        let mut updated = Vec::new();
        let cluster = NamedCluster { name: names.cluster.clone(), cluster, extra: BTreeMap::new() };
        if upsert(
            &mut self.clusters,
            cluster,
            |c| &c.name,
            |new, old| {
                new.extra = old.extra;
                new.cluster.extra = old.cluster.extra;
                // kubectl refuses a CA beside the insecure flag ("specifying a root certificates
                // file with the insecure flag is not allowed"); set-cluster clears it.
                new.cluster.extra.remove(INSECURE);
            },
        ) {
            updated.push(format!("cluster '{}'", names.cluster));
        }
        let user = NamedUser { name: names.user.clone(), user, extra: BTreeMap::new() };
        if upsert(
            &mut self.users,
            user,
            |u| &u.name,
            |new, old| {
                new.extra = old.extra;
                new.user.extra = old.user.extra;
            },
        ) {
            updated.push(format!("user '{}'", names.user));
        }
        let context = Context { cluster: names.cluster.clone(), user: names.user.clone(), extra: BTreeMap::new() };
        let context = NamedContext { name: names.context.clone(), context, extra: BTreeMap::new() };
        if upsert(
            &mut self.contexts,
            context,
            |c| &c.name,
            |new, old| {
                new.extra = old.extra;
                new.context.extra = old.context.extra;
            },
        ) {
            updated.push(format!("context '{}'", names.context));
        }
        updated
    }

    /// YAML, as kubectl writes it.
    pub fn to_yaml(&self) -> Result<Zeroizing<String>> {
        serde_norway::to_string(self)
            .map(Zeroizing::new)
            .map_err(|_| Error::internal("cannot encode the kubeconfig as YAML"))
    }

    /// Reads a kubeconfig (YAML or JSON).
    pub fn from_slice(bytes: &[u8], source: &str) -> Result<Kubeconfig> {
        let kc = Self::from_slice_unchecked(bytes, source)?;
        kc.refuse_duplicates(source)?;
        Ok(kc)
    }

    /// Two entries of one name in a list: kubectl refuses the file (client-go's `load` →
    /// "duplicate name \"X\" in list"), so it is refused on read, naming the duplicate.
    fn refuse_duplicates(&self, source: &str) -> Result<()> {
        let lists: [(&str, Vec<&String>); 3] = [
            ("clusters", self.clusters.iter().map(|c| &c.name).collect()),
            ("users", self.users.iter().map(|u| &u.name).collect()),
            ("contexts", self.contexts.iter().map(|c| &c.name).collect()),
        ];
        for (list, names) in lists {
            let mut seen = std::collections::BTreeSet::new();
            if let Some(dup) = names.into_iter().find(|n| !seen.insert(*n)) {
                return Err(Error::input(
                    source,
                    format!(
                        "two {list} are named '{}': kubectl refuses such a file (duplicate name in list); rename or remove one",
                        crate::term::sanitize(dup)
                    ),
                ));
            }
        }
        Ok(())
    }

    fn from_slice_unchecked(bytes: &[u8], source: &str) -> Result<Kubeconfig> {
        if String::from_utf8_lossy(bytes.get(..4096).unwrap_or(bytes)).contains("-----BEGIN ") {
            return Err(Error::input(source, "expected a kubeconfig, found PEM data"));
        }
        // The parser's own message can quote the input, which may hold a key: say where, not what.
        let kc: Kubeconfig = crate::yaml::from_slice(bytes, source, "kubeconfig")?;
        if kc.kind != "Config" {
            return Err(Error::input(source, format!("not a kubeconfig (kind: {})", crate::term::sanitize(&kc.kind))));
        }
        Ok(kc)
    }
}

/// Puts `item` in `list`, replacing the entry of the same name after `keep` has carried over
/// what the new entry does not set. Returns whether an entry was replaced.
fn upsert<T>(list: &mut Vec<T>, item: T, name: impl Fn(&T) -> &String, keep: impl Fn(&mut T, T)) -> bool {
    match list.iter_mut().find(|x| name(x) == name(&item)) {
        Some(slot) => {
            let old = std::mem::replace(slot, item);
            keep(slot, old);
            true
        }
        None => {
            list.push(item);
            false
        }
    }
}

/// Whether input text looks like a kubeconfig rather than PEM.
pub fn looks_like_kubeconfig(text: &[u8]) -> bool {
    let head = String::from_utf8_lossy(text.get(..4096).unwrap_or(text));
    !head.contains("-----BEGIN ")
        && (head.contains("kind: Config")
            || head.contains("\"kind\": \"Config\"")
            || head.contains("\"kind\":\"Config\"")
            || head.contains("current-context"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn names() -> Names {
        Names {
            cluster: "kubernetes".into(),
            user: "system:node:n1".into(),
            context: "system:node:n1@kubernetes".into(),
        }
    }

    fn embedded() -> Material {
        Material::Embedded { ca: "CA\n".into(), cert: "CERT\n".into(), key: Zeroizing::new("KEY\n".into()) }
    }

    #[test]
    fn writes_kubectl_shaped_yaml_and_reads_it_back() {
        let kc = Kubeconfig::new(&names(), "https://10.0.0.10:6443", None, &embedded());
        let yaml = kc.to_yaml().expect("yaml");
        assert!(yaml.starts_with("apiVersion: v1\nclusters:\n"), "{}", yaml.as_str());
        assert!(yaml.contains("current-context: system:node:n1@kubernetes\n"), "{}", yaml.as_str());
        assert!(yaml.contains("kind: Config\npreferences: {}\nusers:\n"), "{}", yaml.as_str());
        let back = Kubeconfig::from_slice(yaml.as_bytes(), "t").expect("parse");
        assert_eq!(back, kc);
        let creds = back.credentials(None, "t", Some(std::path::Path::new("."))).expect("creds");
        assert_eq!(creds.ca.as_deref().map(String::as_str), Some("CA\n"));
        assert_eq!(creds.key.as_deref().map(String::as_str), Some("KEY\n"));
        assert_eq!(creds.user, "system:node:n1");
    }

    #[test]
    fn merge_adds_and_replaces_by_name() {
        let mut kc = Kubeconfig::new(&names(), "https://a:6443", None, &embedded());
        kc.extra.insert("extensions".into(), serde_norway::Value::Sequence(vec![]));
        let other = Names { user: "alice".into(), context: "alice@kubernetes".into(), ..names() };
        kc.set_credentials(&other, "https://a:6443", None, &embedded());
        assert_eq!(kc.users.len(), 2);
        assert_eq!(kc.clusters.len(), 1);
        assert_eq!(kc.current_context, "system:node:n1@kubernetes", "as kubectl config set-context leaves it");
        let again = Kubeconfig::from_slice(kc.to_yaml().expect("yaml").as_bytes(), "t").expect("parse");
        assert!(again.extra.contains_key("extensions"));
    }

    #[test]
    fn server_urls() {
        for ok in ["https://10.0.0.10:6443", "https://lb.example.com", "https://[::1]:6443", "https://h:443/prefix"] {
            assert!(check_server(ok).is_ok(), "{ok}");
        }
        for bad in ["10.0.0.10:6443", "https://", "https://h:99999", "https://h:x", "ftp://h"] {
            assert!(check_server(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rejects_what_is_not_a_kubeconfig() {
        assert!(Kubeconfig::from_slice(b"kind: Pod\n", "t").is_err());
        assert!(Kubeconfig::from_slice(b"\x00\x01", "t").is_err());
        assert!(Kubeconfig::from_slice(b"clusters: 5\nkind: Config\n", "t").is_err());
    }
}
