//! End-to-end tests: the real binaries, one file per tool, plus interop and bad input.
//! Run with `make test` (which builds the binaries first).

mod bad_input;
mod cluster;
mod cluster_dump;
mod confined;
mod connect;
mod contract;
mod crash;
mod csr;
mod csrapi;
mod differential;
mod documents;
mod ecosystem;
mod etcd;
mod examples;
mod explain;
mod foreign;
mod genkey;
mod hostile;
mod interop;
mod kubeconfig;
mod multinode;
mod policy;
mod releases;
mod renew;
mod renew_ca;
mod rotate;
mod sanitize;
mod schemas;
mod sign;
mod spellings;
mod util;
mod verify;
mod writes;
