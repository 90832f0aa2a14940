//! k8s-pki: the library behind the `k8s-*` commands that build, inspect, renew and audit a
//! Kubernetes cluster PKI.
//!
//! Every piece of PKI logic lives here; the binaries only parse flags, call one function
//! from [`cmd`], and turn its result into an exit code. Modules are named after the thing
//! they handle: [`key`], [`csr`], [`cert`], [`issue`], [`profile`], [`pem`], [`input`], [`sink`], ...

// No input may reach a panic: none of these in library code (tests may use them).
#![cfg_attr(not(test), deny(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing, clippy::panic))]

pub mod atomic;
pub mod audit;
pub mod beneath;
pub mod cert;
pub mod cfssl;
pub mod cfssl_signing;
pub mod chain;
pub mod cmd;
pub mod config_lock;
pub mod csr;
pub mod csrapi;
pub mod endpoint;
pub mod error;
pub mod expiry;
pub mod explain;
pub mod ext;
pub mod finding;
#[doc(hidden)]
pub mod fuzzing;
pub mod go_parse;
pub mod go_release;
pub mod go_signature;
pub mod hostname;
pub mod input;
pub mod inspect;
pub mod issue;
pub mod json_item;
pub mod key;
pub mod kubeadm;
pub mod kubeconfig;
pub mod name;
pub mod name_constraints;
pub mod pem;
pub mod pubkey;
pub mod renew;
pub mod report;
pub mod request;
pub mod rotation;
pub mod san;
pub mod scrub;
pub mod served;
pub mod signer;
pub mod sink;
pub mod term;
#[cfg(test)]
mod test_pki;
pub mod trust_map;
pub mod usage;
pub mod validity;
pub mod verify;
pub mod yaml;

pub use error::{Error, Result};
