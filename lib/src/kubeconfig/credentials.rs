//! Reading a context's credentials back out of a kubeconfig: embedded data, or file
//! references resolved as kubectl resolves them (against the kubeconfig's own directory), read
//! only from regular files, and never for a kubeconfig that came from stdin.

use base64::Engine;
use base64::engine::general_purpose::STANDARD as B64;
use zeroize::Zeroizing;

use super::document::Kubeconfig;
use crate::error::{Error, Result};

/// What one context of a kubeconfig holds.
#[derive(Debug)]
pub struct Credentials {
    /// Context name.
    pub context: String,
    /// Cluster name.
    pub cluster: String,
    /// User name.
    pub user: String,
    /// Server URL.
    pub server: String,
    /// The name to verify the server's certificate for, when not the URL's host.
    pub tls_server_name: Option<String>,
    /// CA PEM.
    pub ca: Option<Zeroizing<String>>,
    /// Client certificate PEM.
    pub cert: Option<Zeroizing<String>>,
    /// Client key PEM.
    pub key: Option<Zeroizing<String>>,
}

/// How the file references of a kubeconfig are read.
#[derive(Clone, Copy)]
pub enum Refs<'a> {
    /// None: a kubeconfig from stdin makes the tool read no file for it.
    None,
    /// Against `base`, the kubeconfig's own directory (as kubectl resolves them); absolute ones
    /// under `root` when given (a copy of a node's file system: `/var/lib/kubelet/pki/…` is
    /// `ROOT/var/lib/kubelet/pki/…`).
    Paths { base: &'a std::path::Path, root: Option<&'a std::path::Path> },
    /// A kubeconfig of a tree: a relative reference from its directory `dir`, read beneath the
    /// tree; an absolute one beneath `root` when given; never anything outside them.
    Tree { tree: &'a crate::beneath::Beneath, dir: &'a str, root: Option<&'a crate::beneath::Beneath> },
}

impl Refs<'_> {
    /// The bytes of the file a reference names (regular files only).
    fn read(&self, field: &str, source: &str, reference: &str) -> Result<Zeroizing<Vec<u8>>> {
        let inside = std::path::Path::new(reference).strip_prefix("/").ok();
        match (*self, inside) {
            (Refs::None, _) => Err(Error::input(
                source,
                format!(
                    "{field} is a file reference ({}); a kubeconfig from stdin does not follow file \
                     references: name the file instead, or embed the data (kubectl config view --flatten)",
                    crate::term::sanitize(reference)
                ),
            )),
            (Refs::Paths { root: Some(root), .. }, Some(inside)) => {
                crate::input::read_regular(&root.join(inside)).map(Zeroizing::new)
            }
            (Refs::Paths { base, .. }, _) => crate::input::read_regular(&base.join(reference)).map(Zeroizing::new),
            (Refs::Tree { root: Some(root), .. }, Some(inside)) => {
                let rel = inside.display().to_string();
                root.read(&rel)?.ok_or_else(|| Error::io_msg(&root.path(&rel), "no such file"))
            }
            (Refs::Tree { tree, dir, .. }, None) => {
                let rel = std::path::Path::new(dir).join(reference).display().to_string();
                tree.read(&rel)?.ok_or_else(|| Error::io_msg(&tree.path(&rel), "no such file"))
            }
            (Refs::Tree { tree, .. }, Some(_)) => Err(Error::io_msg(
                std::path::Path::new(reference),
                format!("outside the tree {}: not read", crate::term::sanitize(&tree.root().display().to_string())),
            )),
        }
    }
}

impl Kubeconfig {
    /// The credentials of a context (default: the current one): CA PEM, client cert PEM,
    /// client key PEM, each when present. File references are resolved relative to `base`, the
    /// kubeconfig's own directory, as kubectl resolves them; `None` (a kubeconfig read from
    /// stdin) follows none: a piped document must not make the tool read files for it.
    pub fn credentials(
        &self,
        context: Option<&str>,
        source: &str,
        base: Option<&std::path::Path>,
    ) -> Result<Credentials> {
        let refs = match base {
            Some(base) => Refs::Paths { base, root: None },
            None => Refs::None,
        };
        self.credentials_from(context, source, refs)
    }

    /// [`Kubeconfig::credentials`], with file references read as `refs` says.
    pub fn credentials_from(&self, context: Option<&str>, source: &str, refs: Refs<'_>) -> Result<Credentials> {
        let name = context.unwrap_or(&self.current_context);
        if name.is_empty() {
            return Err(Error::input(source, "the kubeconfig has no current-context; name one with --context"));
        }
        let ctx = self
            .contexts
            .iter()
            .find(|c| c.name == name)
            .ok_or_else(|| Error::input(source, format!("no context named '{}'", crate::term::sanitize(name))))?;
        let cluster = self.clusters.iter().find(|c| c.name == ctx.context.cluster).map(|c| &c.cluster);
        let user = self.users.iter().find(|u| u.name == ctx.context.user).map(|u| &u.user);
        let decode = |field: &str, data: &Option<String>, path: &Option<String>| -> Result<Option<Zeroizing<String>>> {
            if let Some(d) = data {
                let bytes = Zeroizing::new(
                    B64.decode(d.trim())
                        .map_err(|_| Error::input(source, format!("{field}-data is not valid base64")))?,
                );
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| Error::input(source, format!("{field}-data is not PEM text")))?;
                return Ok(Some(Zeroizing::new(text)));
            }
            if let Some(p) = path {
                let bytes = refs.read(field, source, p)?;
                // What is wrong is the file named, not the kubeconfig: say that one.
                let named =
                    |what: &str| Error::input(p.as_str(), format!("{what} (the file {source}'s {field} names)"));
                let text = String::from_utf8(bytes.to_vec()).map_err(|_| named("not PEM text"))?;
                if !text.contains("-----BEGIN ") {
                    return Err(named("no PEM data found (expected -----BEGIN ...-----)"));
                }
                return Ok(Some(Zeroizing::new(text)));
            }
            Ok(None)
        };
        Ok(Credentials {
            context: name.to_string(),
            cluster: ctx.context.cluster.clone(),
            user: ctx.context.user.clone(),
            server: cluster.map(|c| c.server.clone()).unwrap_or_default(),
            tls_server_name: cluster.and_then(|c| c.tls_server_name.clone()),
            ca: match cluster {
                Some(c) => decode("certificate-authority", &c.certificate_authority_data, &c.certificate_authority)?,
                None => None,
            },
            cert: match user {
                Some(u) => decode("client-certificate", &u.client_certificate_data, &u.client_certificate)?,
                None => None,
            },
            key: match user {
                Some(u) => decode("client-key", &u.client_key_data, &u.client_key)?,
                None => None,
            },
        })
    }
}
