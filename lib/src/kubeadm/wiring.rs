//! Which component flag points at which file of the kubeadm PKI, and which CA signs what:
//! the three-CA wiring as data, for `k8s-verify --graph` and `--flags`.

use crate::kubeadm::profile::{CaName, Location, PROFILES};

/// kube-controller-manager's signer during a CA rotation: `k8s-rotate prepare` writes
/// `pki/ca-signer.crt` (one certificate, the CA whose key signs), because the controller
/// manager reads the signing cert file as one certificate that must match the key
/// (pkg/controller/certificates/signer/ca_provider.go).
pub const CA_SIGNER: &str = "pki/ca-signer.crt";

/// The component flags (the components table, [`super::components`]) for a tree; with
/// `ca_signer` (the tree has [`CA_SIGNER`]),
/// `--cluster-signing-cert-file` points at it instead of the bundle `pki/ca.crt`.
pub fn flags_for(ca_signer: bool) -> Vec<(&'static str, &'static str, &'static str, &'static str)> {
    super::components::flags()
        .map(|(component, flag, file, why)| {
            if ca_signer && flag == "--cluster-signing-cert-file" {
                (
                    component,
                    flag,
                    CA_SIGNER,
                    "the one CA certificate that matches --cluster-signing-key-file (k8s-rotate keeps it)",
                )
            } else {
                (component, flag, file, why)
            }
        })
        .collect()
}

/// A well-known port, the component listening there and the file it serves from.
#[derive(Clone, Copy, Debug)]
pub struct Served {
    /// The port kubeadm's components listen on.
    pub port: u16,
    /// The component.
    pub component: &'static str,
    /// Its flag naming the serving certificate.
    pub flag: &'static str,
    /// The files that may hold it, relative to `--pki-dir`, the first present one counts.
    pub files: &'static [&'static str],
    /// When the served certificate is older than the file: why, and what to do, as the
    /// component's source says it loads the file (docs/verification.md cites each).
    pub when_older: &'static str,
}

/// The serving certificates of a kubeadm node, by port (what `k8s-verify --connect
/// --pki-dir` compares).
pub const SERVED: &[Served] = &[
    Served {
        port: 6443,
        component: "kube-apiserver",
        flag: "--tls-cert-file",
        files: &["pki/apiserver.crt"],
        when_older: "kube-apiserver reloads --tls-cert-file by itself when the file changes (apiserver dynamiccertificates), and keeps the old pair when the new one does not load: check that apiserver.key belongs to the new certificate and read kube-apiserver's log; restarting its static pod (move /etc/kubernetes/manifests/kube-apiserver.yaml out, wait 20 seconds, move it back) loads it for certain",
    },
    Served {
        port: 2379,
        component: "etcd",
        flag: "--cert-file",
        files: &["pki/etcd/server.crt"],
        when_older: "etcd reads its certificate file again for every new connection (pkg/transport in etcd 3.4, client/pkg/transport from 3.5), so it is not reading this file: compare its --cert-file in /etc/kubernetes/manifests/etcd.yaml, and the node",
    },
    Served {
        port: 2380,
        component: "etcd",
        flag: "--peer-cert-file",
        files: &["pki/etcd/peer.crt"],
        when_older: "etcd reads its certificate file again for every new connection (pkg/transport in etcd 3.4, client/pkg/transport from 3.5), so it is not reading this file: compare its --peer-cert-file in /etc/kubernetes/manifests/etcd.yaml, and the node",
    },
    Served {
        port: 10250,
        component: "kubelet",
        flag: "--tls-cert-file",
        files: &["kubelet-server-current.pem", "kubelet.crt"],
        when_older: "the kubelet loads its serving certificate when it starts (from 1.31 it also follows the file, but a client that connects by IP keeps getting the old one: kubernetes#133001): restart it (systemctl restart kubelet); give --pki-dir /var/lib/kubelet/pki for this port",
    },
];

/// The serving-certificate entry for a port.
pub fn served_on(port: u16) -> Option<&'static Served> {
    SERVED.iter().find(|s| s.port == port)
}

/// Graph formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GraphFormat {
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart.
    Mermaid,
}

fn ca_file(ca: CaName) -> String {
    format!("pki/{}.crt", ca.file())
}

fn id(s: &str) -> String {
    s.chars().map(|c| if c.is_ascii_alphanumeric() { c } else { '_' }).collect()
}

/// The trust graph: CA → certificate edges ("signs"; `signers` overrides a file's actual
/// signer, e.g. from an audit) and component → file edges labelled with the flag.
pub fn graph(format: GraphFormat, signers: &[(String, String)], ca_signer: bool) -> String {
    let flags = flags_for(ca_signer);
    let mut signs: Vec<(String, String, bool)> = Vec::new();
    for p in PROFILES {
        let (Some(ca), Some(path)) = (p.signer, p.path()) else { continue };
        let file = match p.location {
            Location::Pki(_) => format!("{path}.crt"),
            _ => path,
        };
        let expected = ca_file(ca);
        let actual =
            signers.iter().find(|(f, _)| *f == file).map(|(_, s)| s.clone()).unwrap_or_else(|| expected.clone());
        signs.push((actual.clone(), file, actual == expected));
    }
    let mut out = String::new();
    match format {
        GraphFormat::Dot => {
            out.push_str("digraph k8s_pki {\n  rankdir=LR;\n  node [shape=box, fontname=\"monospace\"];\n");
            for ca in [CaName::Cluster, CaName::Etcd, CaName::FrontProxy] {
                out.push_str(&format!("  \"{}\" [style=filled, fillcolor=lightyellow];\n", ca_file(ca)));
            }
            for (ca, file, ok) in &signs {
                let style = if *ok { "" } else { ", color=red, fontcolor=red" };
                out.push_str(&format!("  \"{ca}\" -> \"{file}\" [label=\"signs\"{style}];\n"));
            }
            for (component, flag, file, _) in &flags {
                out.push_str(&format!("  \"{component}\" [shape=ellipse];\n  \"{component}\" -> \"{file}\" [label=\"{flag}\", style=dashed];\n"));
            }
            out.push_str("}\n");
        }
        GraphFormat::Mermaid => {
            out.push_str("flowchart LR\n");
            for (ca, file, ok) in &signs {
                let label = if *ok { "signs" } else { "signs (wrong CA)" };
                out.push_str(&format!("  {}[\"{ca}\"] -->|{label}| {}[\"{file}\"]\n", id(ca), id(file)));
            }
            for (component, flag, file, _) in &flags {
                out.push_str(&format!(
                    "  {}([\"{component}\"]) -.->|\"{flag}\"| {}[\"{file}\"]\n",
                    id(component),
                    id(file)
                ));
            }
        }
    }
    out
}

/// The component flags, grouped by component, with paths under `root`.
pub fn flags_text(root: &str, ca_signer: bool) -> String {
    let mut out = String::new();
    let mut last = "";
    for (component, flag, file, why) in flags_for(ca_signer) {
        if component != last {
            out.push_str(&format!("{}{component}\n", if last.is_empty() { "" } else { "\n" }));
            last = component;
        }
        out.push_str(&format!("  {flag}={root}/{file}    # {why}\n"));
    }
    out
}

/// The component flags as JSON: one object per flag, `file` relative to the tree and `path`
/// under `root`, in the text's order.
pub fn flags_json(root: &str, ca_signer: bool) -> String {
    let items: Vec<serde_json::Value> = flags_for(ca_signer)
        .into_iter()
        .map(|(component, flag, file, why)| {
            serde_json::json!({
                "component": component, "flag": flag, "file": file, "path": format!("{root}/{file}"), "why": why,
            })
        })
        .collect();
    serde_json::to_string_pretty(&items).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_flag_points_into_the_layout() {
        for (_, _, file, _) in crate::kubeadm::components::flags() {
            assert!(file.starts_with("pki/") || file.ends_with(".conf"), "{file}");
        }
        let dot = graph(GraphFormat::Dot, &[("pki/apiserver.crt".into(), "pki/etcd/ca.crt".into())], false);
        assert!(dot.contains("\"pki/etcd/ca.crt\" -> \"pki/apiserver.crt\" [label=\"signs\", color=red"));
        assert!(graph(GraphFormat::Mermaid, &[], false).starts_with("flowchart LR\n"));
        assert!(flags_text("/etc/kubernetes", false).contains("  --client-ca-file=/etc/kubernetes/pki/ca.crt"));
        assert!(
            flags_text("/etc/kubernetes", false).contains("--cluster-signing-cert-file=/etc/kubernetes/pki/ca.crt ")
        );
        let rotating = flags_text("/etc/kubernetes", true);
        assert!(rotating.contains("--cluster-signing-cert-file=/etc/kubernetes/pki/ca-signer.crt "), "{rotating}");
        assert!(rotating.contains("--root-ca-file=/etc/kubernetes/pki/ca.crt "), "{rotating}");
        assert!(
            graph(GraphFormat::Dot, &[], true)
                .contains("-> \"pki/ca-signer.crt\" [label=\"--cluster-signing-cert-file\"")
        );
    }
}
