//! `cargo run -p xtask -- generate` writes man/ and completions/ from each tool's clap
//! definition; `check` regenerates into a temp dir, fails if the checked-in copies differ,
//! and renders every man page with groff, warnings as errors; `deps` checks the dependencies'
//! licences and duplicate versions.

mod deps;
mod overview;
mod spellings;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context, Result, bail};
use clap_complete::Shell;
use clap_mangen::Man;
use clap_mangen::roff::{Roff, bold, italic, roman};
use k8s_pki::error::EXIT_CODES;
use k8s_pki_cli::Example;

/// One shipped binary and what its man page says beyond the flags.
struct Tool {
    command: clap::Command,
    examples: &'static [Example],
    spellings: &'static [k8s_pki_cli::Spelling],
    files: &'static [(&'static str, &'static str)],
}

fn tools() -> Vec<Tool> {
    vec![
        Tool {
            command: k8s_genkey::cli::command(),
            examples: k8s_genkey::cli::EXAMPLES,
            spellings: k8s_genkey::cli::SPELLINGS,
            files: &[
                ("PREFIX.key", "the private key written by --out, mode 0600 whatever the umask"),
                ("PREFIX.pub", "the public key written by --out with --public"),
            ],
        },
        Tool {
            command: k8s_csr::cli::command(),
            examples: k8s_csr::cli::EXAMPLES,
            spellings: k8s_csr::cli::SPELLINGS,
            files: &[
                ("PREFIX.key", "the private key passing through, written by --out, mode 0600"),
                ("PREFIX.csr", "the CSR written by --out"),
            ],
        },
        Tool {
            command: k8s_sign::cli::command(),
            examples: k8s_sign::cli::EXAMPLES,
            spellings: k8s_sign::cli::SPELLINGS,
            files: &[
                ("PREFIX.crt, PREFIX.key", "the CA read by --ca PREFIX (kubeadm's naming: pki/ca, pki/etcd/ca)"),
                ("PREFIX.crt", "the certificate written by --out, mode 0644"),
                ("PREFIX.key", "the private key passing through, written by --out, mode 0600"),
            ],
        },
        Tool {
            command: k8s_kubeconfig::cli::command(),
            examples: k8s_kubeconfig::cli::EXAMPLES,
            spellings: k8s_kubeconfig::cli::SPELLINGS,
            files: &[
                ("FILE", "the kubeconfig written by --out, mode 0600 (it holds a private key)"),
                ("~/.kube/config", "kubectl's default kubeconfig, a typical --merge target"),
            ],
        },
        Tool {
            command: k8s_verify::cli::command(),
            examples: k8s_verify::cli::EXAMPLES,
            spellings: k8s_verify::cli::SPELLINGS,
            files: &[
                (
                    "DIR/pki/",
                    "with --pki-dir: ca, etcd/ca and front-proxy-ca, the leaf certificates and keys, sa.key and sa.pub",
                ),
                (
                    "DIR/*.conf",
                    "with --pki-dir: admin.conf, super-admin.conf, kubelet.conf, controller-manager.conf, scheduler.conf",
                ),
            ],
        },
        Tool {
            command: k8s_rotate::cli::command(),
            examples: k8s_rotate::cli::EXAMPLES,
            spellings: k8s_rotate::cli::SPELLINGS,
            files: &[
                (
                    "DIR/pki/rotation.json",
                    "the rotation's state: phase per target, old and new CA hashes and SA key ids, backups, confirmations, forced gates",
                ),
                ("DIR/pki/rotation/", "the old and new CAs and SA keys of the rotation (keys 0600, deleted by finish)"),
                (
                    "DIR/pki/ca-signer.crt",
                    "the one certificate kube-controller-manager's --cluster-signing-cert-file reads",
                ),
                ("DIR/backup-TIMESTAMP/", "the files each step replaced, as they were; what rollback puts back"),
            ],
        },
    ]
}

fn main() -> Result<()> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").canonicalize()?;
    match std::env::args().nth(1).as_deref() {
        Some("generate") => generate(&root),
        Some("check") => check(&root),
        Some("deps") => deps::check(),
        _ => bail!("usage: xtask generate|check|deps"),
    }
}

fn generate(root: &Path) -> Result<()> {
    let files = render_all(root)?;
    for (rel, contents) in &files {
        let path = root.join(rel);
        fs::create_dir_all(path.parent().context("parent")?)?;
        fs::write(&path, contents).with_context(|| path.display().to_string())?;
    }
    println!("xtask: wrote {} files into man/ and completions/", files.len());
    Ok(())
}

fn check(root: &Path) -> Result<()> {
    let mut stale = Vec::new();
    for (rel, contents) in render_all(root)? {
        let current = fs::read(root.join(&rel)).unwrap_or_default();
        if current != contents {
            stale.push(rel.display().to_string());
        }
    }
    if !stale.is_empty() {
        bail!("generated files are stale (run `make docs` and commit): {}", stale.join(", "));
    }
    for entry in fs::read_dir(root.join("man"))? {
        let path = entry?.path();
        let out = Command::new("groff")
            .args(["-t", "-man", "-ww", "-z", "-Tutf8"])
            .arg(&path)
            .output()
            .context("groff is needed to check the man pages (apt-get install groff)")?;
        if !out.status.success() || !out.stderr.is_empty() {
            bail!("{}: groff warnings:\n{}", path.display(), String::from_utf8_lossy(&out.stderr));
        }
    }
    println!("xtask: man/ and completions/ are up to date and render cleanly");
    Ok(())
}

/// Every generated file: relative path and contents.
fn render_all(root: &Path) -> Result<Vec<(PathBuf, Vec<u8>)>> {
    let mut out = Vec::new();
    let names: Vec<String> = tools().iter().map(|t| t.command.get_name().to_string()).collect();
    for tool in tools() {
        let name = tool.command.get_name().to_string();
        out.push((PathBuf::from(format!("man/{name}.1")), man_page(&tool, &names)?));
        for (shell, file) in [
            (Shell::Bash, format!("completions/{name}.bash")),
            (Shell::Zsh, format!("completions/_{name}")),
            (Shell::Fish, format!("completions/{name}.fish")),
        ] {
            let mut buf = Vec::new();
            let mut cmd = tool.command.clone();
            clap_complete::generate(shell, &mut cmd, &name, &mut buf);
            out.push((PathBuf::from(file), buf));
        }
    }
    let readme = std::fs::read_to_string(root.join("README.md"))?;
    out.push((PathBuf::from("man/k8s-pki.7"), overview::page(&names, &readme)));
    Ok(out)
}

fn man_page(tool: &Tool, all: &[String]) -> Result<Vec<u8>> {
    let name = tool.command.get_name().to_string();
    // The --help epilogue is not rendered here: EXAMPLES and EXIT STATUS below carry it.
    let man = Man::new(tool.command.clone())
        .date("")
        .manual("k8s-pki")
        .source(format!("k8s-pki {}", env!("CARGO_PKG_VERSION")));
    let mut buf = Vec::new();
    man.render_title(&mut buf)?;
    man.render_name_section(&mut buf)?;
    man.render_synopsis_section(&mut buf)?;
    man.render_description_section(&mut buf)?;
    man.render_options_section(&mut buf)?;

    let mut roff = Roff::default();
    subcommands(&mut roff, &tool.command);
    roff.control("SH", ["EXAMPLES"]);
    for (what, command) in tool.examples {
        roff.control("PP", []);
        roff.text([italic(*what)]);
        roff.control("RS", ["4"]);
        roff.control("nf", []);
        for line in command.lines() {
            roff.text([roman(line)]);
        }
        roff.control("fi", []);
        roff.control("RE", []);
    }
    spellings::section(&mut roff, tool.spellings);
    exit_status(&mut roff);
    roff.control("SH", ["FILES"]);
    for (file, what) in tool.files {
        roff.control("TP", []);
        roff.text([bold(*file)]);
        roff.text([roman(*what)]);
    }
    see_also(&mut roff, &name, all);
    roff.to_writer(&mut buf)?;
    Ok(buf)
}

/// One section per subcommand (k8s-rotate's steps): what it does and its flags.
fn subcommands(roff: &mut Roff, command: &clap::Command) {
    let mut command = command.clone();
    command.build();
    let name = command.get_name();
    for sub in command.get_subcommands().filter(|s| s.get_name() != "help") {
        roff.control("SH", [format!("{} {}", name, sub.get_name()).to_uppercase().as_str()]);
        if let Some(about) = sub.get_about() {
            roff.text([roman(about.to_string())]);
        }
        for arg in sub.get_arguments().filter(|a| !a.is_hide_set() && a.get_id() != "help") {
            let value = arg.get_value_names().map(|v| v.iter().map(|n| n.to_string()).collect::<Vec<_>>().join(" "));
            let takes_value = arg.get_action().takes_values();
            let mut flag = match (arg.get_long(), arg.get_short()) {
                (Some(l), Some(s)) => format!("-{s}, --{l}"),
                (Some(l), None) => format!("--{l}"),
                (None, Some(s)) => format!("-{s}"),
                (None, None) => value.clone().unwrap_or_else(|| arg.get_id().to_string()),
            };
            if takes_value && (arg.get_long().is_some() || arg.get_short().is_some()) {
                flag.push(' ');
                flag.push_str(&value.unwrap_or_else(|| arg.get_id().to_string().to_uppercase()));
            }
            roff.control("TP", []);
            roff.text([bold(flag)]);
            let help = arg.get_long_help().or(arg.get_help()).map(|h| h.to_string()).unwrap_or_default();
            let values: Vec<String> = if takes_value {
                arg.get_possible_values()
                    .iter()
                    .filter(|v| !v.is_hide_set())
                    .map(|v| v.get_name().to_string())
                    .collect()
            } else {
                Vec::new()
            };
            let values = if values.is_empty() { String::new() } else { format!(" [one of: {}]", values.join(", ")) };
            let default: Vec<String> = if takes_value {
                arg.get_default_values().iter().map(|v| v.to_string_lossy().into_owned()).collect()
            } else {
                Vec::new()
            };
            let default =
                if default.is_empty() { String::new() } else { format!(" [default: {}]", default.join(", ")) };
            roff.text([roman(format!("{help}{values}{default}"))]);
        }
    }
}

/// The EXIT STATUS section, from the library's exit code table.
pub(crate) fn exit_status(roff: &mut Roff) {
    roff.control("SH", ["EXIT STATUS"]);
    for (code, what) in EXIT_CODES {
        roff.control("TP", []);
        roff.text([bold(code.to_string())]);
        roff.text([roman(*what)]);
    }
    roff.control("PP", []);
    roff.text([roman("A closed stdout (a pipe into head) ends the command quietly with status 0.")]);
}

pub(crate) fn see_also(roff: &mut Roff, name: &str, all: &[String]) {
    roff.control("SH", ["SEE ALSO"]);
    let mut refs: Vec<String> = all.iter().filter(|n| *n != name).map(|n| format!("{n}(1)")).collect();
    if name != "k8s-pki" {
        refs.push("k8s-pki(7)".into());
    }
    refs.push("openssl(1)".into());
    roff.text([roman(refs.join(", "))]);
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_spelling_is_accepted() {
        for tool in super::tools() {
            for spelling in tool.spellings {
                if let Err(why) = super::spellings::check(&tool.command, spelling) {
                    panic!("{}: {} -> {}: {why}", tool.command.get_name(), spelling.theirs, spelling.ours);
                }
            }
        }
    }
}
