//! The `k8s-sign` binary: parse flags, run, exit.
fn main() {
    std::process::exit(k8s_sign::main_with(std::env::args_os()));
}
