//! A 3-member etcd cluster on 127.0.0.1 with client and peer certificate authentication, each
//! member loading its certificates from its own "disk" (what an operator copies to the node),
//! stopped by pid on drop: used by the cluster and rotation tests.

use std::path::{Path, PathBuf};
use std::process::{Command as StdCommand, Output, Stdio};
use std::time::{Duration, Instant};

use crate::util::*;

pub struct Member {
    pub name: String,
    pub client: u16,
    pub peer: u16,
    /// Where the tree keeps this node's etcd certificates.
    pub src: String,
    /// The node's own disk: what the member loads.
    pub disk: PathBuf,
    pub proc: Option<Daemon>,
}

pub struct Etcd {
    pub members: Vec<Member>,
    pub initial: String,
    pub data: PathBuf,
    /// Whether a restart first copies the member's files from the tree (else each member's disk
    /// is its node's own `pki/etcd/`, kept by the test as an operator keeps a node).
    pub copies: bool,
}

impl Etcd {
    /// Three members on `tree`'s certificates, started and healthy (waits bounded at 60 s each).
    pub fn start_all(data: &Path, tree: &Path) -> Etcd {
        let mut etcd = Etcd::new(data);
        for i in 0..3 {
            etcd.copy(i, tree);
            etcd.start(i, "new");
        }
        for i in 0..3 {
            etcd.wait(i, tree);
        }
        etcd
    }

    /// Every member's log so far.
    pub fn logs(&self) -> String {
        self.members
            .iter()
            .map(|m| std::fs::read_to_string(self.data.join(format!("{}.log", m.name))).unwrap_or_default())
            .collect()
    }

    pub fn new(data: &Path) -> Etcd {
        let members: Vec<Member> = ["node-1", "node-2", "node-3"]
            .iter()
            .map(|n| Member {
                name: n.to_string(),
                client: free_port(),
                peer: free_port(),
                src: if *n == "node-1" { "pki/etcd".into() } else { format!("nodes/{n}/pki/etcd") },
                disk: data.join(format!("{n}-disk")),
                proc: None,
            })
            .collect();
        let initial: Vec<String> = members.iter().map(|m| format!("{}=https://127.0.0.1:{}", m.name, m.peer)).collect();
        Etcd { members, initial: initial.join(","), data: data.to_path_buf(), copies: true }
    }

    /// Three members, each loading its files from its own node's directory (`NODE/pki/etcd/`),
    /// started and healthy.
    pub fn on_nodes(data: &Path, nodes: &[PathBuf]) -> Etcd {
        let mut etcd = Etcd::new(data);
        etcd.copies = false;
        for (m, node) in etcd.members.iter_mut().zip(nodes) {
            m.disk = node.join("pki/etcd");
        }
        for i in 0..3 {
            etcd.start(i, "new");
        }
        for (i, node) in nodes.iter().enumerate() {
            etcd.wait(i, node);
        }
        etcd
    }

    /// Copies the tree's files for member `i` to its disk (what an operator copies to a node).
    pub fn copy(&self, i: usize, tree: &Path) {
        let m = &self.members[i];
        std::fs::create_dir_all(&m.disk).expect("disk");
        std::fs::copy(tree.join("pki/etcd/ca.crt"), m.disk.join("ca.crt")).expect("ca");
        for f in ["server.crt", "server.key", "peer.crt", "peer.key"] {
            std::fs::copy(tree.join(&m.src).join(f), m.disk.join(f)).expect("copy");
        }
    }

    pub fn start(&mut self, i: usize, state: &str) {
        let (m, initial, data) = (&self.members[i], &self.initial, &self.data);
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(data.join(format!("{}.log", m.name)))
            .expect("log");
        let d = &m.disk;
        let child = StdCommand::new("etcd")
            .args(["--name", &m.name])
            .arg("--data-dir")
            .arg(data.join(&m.name))
            .args(["--listen-client-urls", &format!("https://127.0.0.1:{}", m.client)])
            .args(["--advertise-client-urls", &format!("https://127.0.0.1:{}", m.client)])
            .args(["--listen-peer-urls", &format!("https://127.0.0.1:{}", m.peer)])
            .args(["--initial-advertise-peer-urls", &format!("https://127.0.0.1:{}", m.peer)])
            .args(["--initial-cluster", initial, "--initial-cluster-state", state, "--initial-cluster-token", "rotate"])
            .arg("--client-cert-auth")
            .arg("--trusted-ca-file")
            .arg(d.join("ca.crt"))
            .arg("--cert-file")
            .arg(d.join("server.crt"))
            .arg("--key-file")
            .arg(d.join("server.key"))
            .arg("--peer-client-cert-auth")
            .arg("--peer-trusted-ca-file")
            .arg(d.join("ca.crt"))
            .arg("--peer-cert-file")
            .arg(d.join("peer.crt"))
            .arg("--peer-key-file")
            .arg(d.join("peer.key"))
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .expect("start etcd");
        self.members[i].proc = Some(Daemon(child));
    }

    pub fn endpoint(&self, i: usize) -> String {
        format!("https://127.0.0.1:{}", self.members[i].client)
    }

    /// etcdctl against `endpoints` as the client `cert`/`key` of `tree`, trusting `ca`.
    pub fn ctl(&self, endpoints: &str, ca: &Path, tree: &Path, client: &str, args: &[&str]) -> Output {
        StdCommand::new("etcdctl")
            .env("ETCDCTL_API", "3")
            .args(["--endpoints", endpoints, "--dial-timeout", "3s", "--command-timeout", "5s"])
            .arg("--cacert")
            .arg(ca)
            .arg("--cert")
            .arg(tree.join(format!("pki/{client}.crt")))
            .arg("--key")
            .arg(tree.join(format!("pki/{client}.key")))
            .args(args)
            .output()
            .expect("etcdctl")
    }

    pub fn healthy(&self, i: usize, tree: &Path) -> bool {
        let ca = tree.join("pki/etcd/ca.crt");
        self.ctl(&self.endpoint(i), &ca, tree, "etcd/healthcheck-client", &["endpoint", "health"]).status.success()
    }

    pub fn started(&self, tree: &Path) -> usize {
        let ca = tree.join("pki/etcd/ca.crt");
        let out = self.ctl(&self.endpoint(0), &ca, tree, "etcd/healthcheck-client", &["member", "list"]);
        String::from_utf8_lossy(&out.stdout).lines().filter(|l| l.contains("started")).count()
    }

    pub fn wait(&self, i: usize, tree: &Path) {
        let start = Instant::now();
        while !(self.healthy(i, tree) && self.started(tree) == self.members.len()) {
            if start.elapsed() > Duration::from_secs(60) {
                let log = read(self.data.join(format!("{}.log", self.members[i].name)));
                panic!("etcd member {i} not healthy after 60s:\n{}", &log[log.len().saturating_sub(3000)..]);
            }
            std::thread::sleep(Duration::from_millis(300));
        }
    }

    /// Restarts the members one at a time; while one is down the other two keep quorum.
    pub fn roll(&mut self, tree: &Path) {
        for i in 0..3 {
            self.members[i].proc = None;
            let others: Vec<String> = (0..3).filter(|j| *j != i).map(|j| self.endpoint(j)).collect();
            let ca = tree.join("pki/etcd/ca.crt");
            // The other two keep quorum (after a new election if the leader went down: bounded).
            let start = Instant::now();
            loop {
                let put = self.ctl(
                    &others.join(","),
                    &ca,
                    tree,
                    "apiserver-etcd-client",
                    &["put", "/rotate", &format!("down-{i}")],
                );
                if put.status.success() {
                    break;
                }
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "quorum lost while member {i} is down: {}",
                    String::from_utf8_lossy(&put.stderr)
                );
                std::thread::sleep(Duration::from_millis(500));
            }
            if self.copies {
                self.copy(i, tree);
            }
            self.start(i, "existing");
            self.wait(i, tree);
        }
    }
}
