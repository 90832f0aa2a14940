//! Parsing the command line into a tool's flags: usage errors as one line and exit 2, help
//! and version as clap prints them, and the `--help` epilogue (examples, exit codes).

use k8s_pki::error::EXIT_CODES;

use crate::report::stderr_line;
use crate::spelling::{single_dash_hint, single_dash_word};

/// One example: what it does (with the openssl command it replaces), and the command line.
pub type Example = (&'static str, &'static str);

/// The `--help` epilogue: examples, then the exit codes.
pub fn after_help(examples: &[Example]) -> String {
    let mut s = String::from("Examples:\n");
    for (what, cmd) in examples {
        s.push_str(&format!("  # {what}\n  {}\n", cmd.replace('\n', "\n  ")));
    }
    s.push('\n');
    s.push_str(&exit_status_help());
    s
}

/// Parses arguments against `cmd` (our command with its generated help), exiting with
/// status 2 on a usage error, 0 for --help/--version. A single-dash word of more than one
/// letter that no spelling rewrote is a usage error before clap sees it: clap would split it
/// into short options (`-hostname=x` into `-h`, help and exit 0; `-out` into `-o ut`).
pub fn parse<T: clap::FromArgMatches>(cmd: clap::Command, args: impl IntoIterator<Item = std::ffi::OsString>) -> T {
    let args: Vec<std::ffi::OsString> = args.into_iter().collect();
    if let Some(word) = single_dash_word(&args) {
        let tool = cmd.get_name().to_string();
        stderr_line(&format!("{tool}: error: {}", single_dash_hint(&cmd, &word)));
        std::process::exit(k8s_pki::error::EXIT_USAGE);
    }
    let tool = cmd.get_name().to_string();
    let matches = cmd.try_get_matches_from(args).unwrap_or_else(|e| usage_exit(&tool, e));
    T::from_arg_matches(&matches).unwrap_or_else(|e| usage_exit(&tool, e))
}

/// Help and version as clap prints them (exit 0); any other parse error as the one line every
/// error is (`TOOL: error: …`, clap's tip folded in), exit 2.
fn usage_exit(tool: &str, e: clap::Error) -> ! {
    use clap::error::ErrorKind;
    if matches!(
        e.kind(),
        ErrorKind::DisplayHelp | ErrorKind::DisplayVersion | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        e.exit();
    }
    stderr_line(&usage_line(tool, &e.render().to_string()));
    std::process::exit(k8s_pki::error::EXIT_USAGE)
}

/// clap's rendered error as one line: the message, the arguments it lists, its tips.
fn usage_line(tool: &str, text: &str) -> String {
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty()).peekable();
    let mut first = lines.next().unwrap_or("invalid arguments").trim_start_matches("error: ").to_string();
    // "the following required arguments were not provided:" is followed by the arguments, one
    // per line, before the usage block: they are the message, so they join it.
    if first.ends_with(':') {
        let mut named = Vec::new();
        while let Some(l) =
            lines.next_if(|l| !l.starts_with("Usage:") && !l.starts_with("tip: ") && !l.starts_with("For more"))
        {
            named.push(l);
        }
        if !named.is_empty() {
            first = format!("{} {}", first, named.join(", "));
        }
    }
    let tips: Vec<&str> = lines.filter_map(|l| l.strip_prefix("tip: ")).collect();
    let tip = if tips.is_empty() { String::new() } else { format!(" ({})", tips.join("; ")) };
    format!("{tool}: error: {first}{tip}; see {tool} --help")
}

/// The EXIT STATUS text for `--help` and man pages.
pub fn exit_status_help() -> String {
    let mut s = String::from("Exit status:\n");
    for (code, what) in EXIT_CODES {
        s.push_str(&format!("  {code}  {what}\n"));
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_usage_error_is_one_line_naming_what_is_missing() {
        let text = "error: the following required arguments were not provided:\n  --pki-dir <DIR>\n  --connect <HOST:PORT>\n\nUsage: k8s-verify --pki-dir <DIR>\n\nFor more information, try '--help'.\n";
        assert_eq!(
            super::usage_line("k8s-verify", text),
            "k8s-verify: error: the following required arguments were not provided: --pki-dir <DIR>, --connect <HOST:PORT>; see k8s-verify --help"
        );
        let text = "error: unexpected argument '--outt' found\n\n  tip: a similar argument exists: '--out'\n\nUsage: k8s-csr [OPTIONS]\n";
        assert_eq!(
            super::usage_line("k8s-csr", text),
            "k8s-csr: error: unexpected argument '--outt' found (a similar argument exists: '--out'); see k8s-csr --help"
        );
    }
}
