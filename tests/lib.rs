//! End-to-end tests for the k8s-pki binaries live in `e2e/`; this crate has no library code.
