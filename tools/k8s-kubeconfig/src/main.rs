//! The `k8s-kubeconfig` binary: parse flags, run, exit.
fn main() {
    std::process::exit(k8s_kubeconfig::main_with(std::env::args_os()));
}
