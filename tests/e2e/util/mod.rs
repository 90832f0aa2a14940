//! The shared harness, one file per noun: running the binaries (run), kubectl and the scratch
//! directories it judges (kube), openssl and TLS servers (tls), the Go helpers (go), the demo
//! trees (tree) and cluster dumps (dump). Spec files use it whole (`use crate::util::*`); the
//! parts use each other by name, never through this file.

mod dump;
mod go;
mod kill;
mod kube;
mod run;
mod tls;
mod tree;

pub use dump::*;
pub use go::*;
pub use kill::*;
pub use kube::*;
pub use run::*;
pub use tls::*;
pub use tree::*;
