//! What a command says on stderr and the exit code it returns: one sanitised line per
//! message, warnings, files replaced, and each error under its stable exit code.

use std::io::IsTerminal;
use std::path::PathBuf;

use k8s_pki::error::Error;

/// Writes one line to stderr: the only way the tools write there. Text that came from input
/// (file names, labels, certificate fields) is made safe for a terminal here, once for every
/// message; and a closed or full stderr is ignored rather than a reason to panic.
pub fn stderr_line(line: &str) {
    use std::io::Write;
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{}", k8s_pki::term::sanitize_line(line));
}

/// Prints a note: a warning as `tool: warning: ...`, an --explain line as it is.
pub fn note(tool: &str, note: k8s_pki::cmd::Note<'_>) {
    match note {
        k8s_pki::cmd::Note::Warning(m) => stderr_line(&format!("{tool}: warning: {m}")),
        k8s_pki::cmd::Note::Explain(m) => stderr_line(m),
    }
}

/// Says each file `--force` replaced and where the old one is kept (always: a script's log
/// should show that a file was replaced, not only a terminal).
fn say_replaced(tool: &str) {
    for r in k8s_pki::atomic::take_replaced() {
        let what = if r.secret { "; it holds a private key: remove it once the new file is in use" } else { "" };
        stderr_line(&format!("{tool}: replaced {} (the old file is {}{what})", r.path.display(), r.backup.display()));
    }
}

/// Runs a command body and turns its result into the process exit code, printing errors
/// as one line. Files written are listed on stderr when it is a terminal.
pub fn finish(tool: &str, result: Result<Vec<PathBuf>, Error>) -> i32 {
    say_replaced(tool);
    match result {
        Ok(files) => {
            if !files.is_empty() && std::io::stderr().is_terminal() {
                let names: Vec<String> = files.iter().map(|p| p.display().to_string()).collect();
                stderr_line(&format!("{tool}: wrote {}", names.join(", ")));
            }
            0
        }
        Err(Error::BrokenPipe) => 0,
        // The findings are already on stdout; stderr gets the verdict, not an "error".
        Err(e @ (Error::CheckFailed(_) | Error::Warnings(_))) => {
            stderr_line(&format!("{tool}: {e}"));
            e.exit_code()
        }
        Err(e) => {
            stderr_line(&format!("{tool}: error: {e}"));
            e.exit_code()
        }
    }
}
