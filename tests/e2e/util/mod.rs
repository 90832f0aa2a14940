//! The shared harness, one file per noun: running the binaries (run), kubectl and the scratch
//! directories it judges (kube), openssl and TLS servers (tls), the Go helpers (go) and the demo
//! trees (tree). Spec files use it whole (`use crate::util::*`); the parts use each other by
//! name, never through this file.

mod go;
mod kube;
mod run;
mod tls;
mod tree;

pub use go::*;
pub use kube::*;
pub use run::*;
pub use tls::*;
pub use tree::*;
