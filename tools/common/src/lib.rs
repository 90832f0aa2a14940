//! What every k8s-pki command shares: the output and input flags, the one-line error
//! format, warnings, and the mapping of results to exit codes.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Args, ValueEnum};
use k8s_pki::error::{EXIT_CODES, Error};
use k8s_pki::sink::{FileTargets, Format, OutputOptions};

/// Stream format on stdout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum FormatArg {
    /// PEM blocks, one after another (what openssl reads and writes)
    Pem,
    /// One cfssl-style JSON object per line: {"key": PEM, "csr": PEM, "cert": PEM}
    Json,
}

impl From<FormatArg> for Format {
    fn from(f: FormatArg) -> Format {
        match f {
            FormatArg::Pem => Format::Pem,
            FormatArg::Json => Format::Json,
        }
    }
}

/// `--explain`, taken by every command.
#[derive(Args, Clone, Debug)]
pub struct ExplainArgs {
    /// Also print to stderr what was done and why, and the equivalent openssl/kubectl commands
    /// (lines starting with $ run in bash as printed)
    #[arg(long)]
    pub explain: bool,
}

/// A TLS usage, as every command names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum UsageArg {
    /// TLS server auth (serverAuth): the API server, etcd, a kubelet's serving endpoint (also:
    /// openssl's sslserver, the EKU name serverAuth, cfssl's "server auth")
    #[value(
        alias = "sslserver",
        alias = "serverAuth",
        alias = "serverauth",
        alias = "server-auth",
        alias = "server auth"
    )]
    Server,
    /// TLS client auth (clientAuth): every identity that talks to the API server or etcd (also:
    /// sslclient, clientAuth, "client auth")
    #[value(
        alias = "sslclient",
        alias = "clientAuth",
        alias = "clientauth",
        alias = "client-auth",
        alias = "client auth"
    )]
    Client,
}

impl From<UsageArg> for k8s_pki::usage::Usage {
    fn from(u: UsageArg) -> k8s_pki::usage::Usage {
        match u {
            UsageArg::Server => k8s_pki::usage::Usage::Server,
            UsageArg::Client => k8s_pki::usage::Usage::Client,
        }
    }
}

/// `--node-name`: a name a node can register with, as Kubernetes validates it (apimachinery's
/// IsDNS1123Subdomain: lower-case letters, digits, `-` and `.`).
pub fn node_name_parser(text: &str) -> Result<String, String> {
    if k8s_pki::san::is_dns1123_subdomain(text) {
        return Ok(text.to_string());
    }
    Err(format!(
        "'{}' is not a valid node name: Kubernetes requires a lower-case RFC 1123 subdomain (a-z, 0-9, '-' and '.', at most 253 characters), so no node could register as system:node:{}",
        k8s_pki::term::sanitize(text),
        k8s_pki::term::sanitize(text)
    ))
}

/// `PREFIX` + `suffix` (`pki/etcd/ca` + `.crt`), as `--ca PREFIX` names its files.
pub fn with_suffix(prefix: &std::path::Path, suffix: &str) -> PathBuf {
    k8s_pki::sink::with_suffix(prefix, suffix)
}

/// `--cert-dir DIR`, kubeadm's certificate directory: the tree it belongs to is its parent, as
/// kubeadm's default `/etc/kubernetes/pki` belongs to `/etc/kubernetes`.
pub fn cert_dir_parser(text: &str) -> Result<PathBuf, String> {
    let dir = std::path::Path::new(text.trim_end_matches('/'));
    match (dir.file_name(), dir.parent()) {
        (Some(name), Some(parent)) if name == "pki" => {
            Ok(if parent.as_os_str().is_empty() { PathBuf::from(".") } else { parent.to_path_buf() })
        }
        _ => Err(format!(
            "'{}' is not a directory named pki: k8s-pki reads kubeadm's layout DIR/pki plus DIR's kubeconfigs; give --pki-dir DIR",
            k8s_pki::term::sanitize(text)
        )),
    }
}

/// `--profile NAME`: one of kubeadm's profiles, its names offered to completions.
pub fn profile_parser() -> impl clap::builder::TypedValueParser<Value = &'static k8s_pki::profile::Profile> {
    use clap::builder::TypedValueParser;
    clap::builder::PossibleValuesParser::new(k8s_pki::profile::names())
        .try_map(|name| k8s_pki::profile::find(&name).map_err(|e| e.to_string()))
}

/// `--kubernetes-version`: `1.31`, `v1.31` or `1.31.2`, one of the releases followed.
pub fn release_parser(text: &str) -> Result<&'static k8s_pki::release::Release, String> {
    k8s_pki::release::parse(text).map_err(|e| e.to_string())
}

/// `--control-plane-endpoint HOST[:PORT]`, as kubeadm parses it.
pub fn endpoint_parser(text: &str) -> Result<k8s_pki::control_plane::Endpoint, String> {
    k8s_pki::control_plane::parse(text).map_err(|e| e.to_string())
}

/// `--profile NAME` of a signer: kubeadm's profile names and `auto` (offered to completions and
/// listed in --help), or, with `--config`, the name of a profile in cfssl's signing config; the
/// tool resolves which with [`profile_choice`].
#[derive(Clone, Copy, Debug)]
pub struct ProfileName;

impl clap::builder::TypedValueParser for ProfileName {
    type Value = String;

    fn parse_ref(
        &self,
        cmd: &clap::Command,
        arg: Option<&clap::Arg>,
        value: &std::ffi::OsStr,
    ) -> Result<String, clap::Error> {
        clap::builder::NonEmptyStringValueParser::new().parse_ref(cmd, arg, value)
    }

    fn possible_values(&self) -> Option<Box<dyn Iterator<Item = clap::builder::PossibleValue> + '_>> {
        let mut names = k8s_pki::profile::names();
        names.push("auto");
        Some(Box::new(names.into_iter().map(clap::builder::PossibleValue::new)))
    }
}

/// A `--profile NAME` without `--config`: kubeadm's profile of that name, or `auto` (exit 2 for
/// any other name, naming kubeadm's).
pub fn profile_choice(name: &str) -> Result<k8s_pki::profile::Choice, Error> {
    k8s_pki::profile::Choice::parse(name)
        .map_err(|e| Error::usage(format!("--profile: {e} (a cfssl profile goes with --config FILE)")))
}

/// A file-name prefix (`--out pki/apiserver`, `--bare x`): its last part names the files, so it
/// may not be empty, `.` or `..` (`--out dir/` would write the hidden `dir/.key`).
pub fn prefix_parser(text: &str) -> Result<PathBuf, String> {
    let last = text.rsplit('/').next().unwrap_or_default();
    if last.is_empty() || last == "." || last == ".." {
        return Err(format!(
            "'{}' names no file: a prefix ends with the files' name (pki/apiserver writes pki/apiserver.crt, .key, ...)",
            k8s_pki::term::sanitize(text)
        ));
    }
    Ok(PathBuf::from(text))
}

/// Output flags every stream-writing command takes.
#[derive(Args, Clone, Debug)]
pub struct OutputArgs {
    /// Write the stream into files PREFIX.key (0600), PREFIX.csr, PREFIX.crt, PREFIX.pub instead of
    /// stdout; directories are created; files are written atomically
    #[arg(short = 'o', long, value_name = "PREFIX", value_parser = prefix_parser, help_heading = "Output")]
    pub out: Option<PathBuf>,

    /// Write the stream into files named as cfssljson -bare NAME names them instead of stdout:
    /// NAME.pem (certificate), NAME-key.pem (0600), NAME.csr, NAME.pub
    #[arg(long, value_name = "NAME", conflicts_with = "out", value_parser = prefix_parser, help_heading = "Output")]
    pub bare: Option<PathBuf>,

    /// Output format on stdout
    #[arg(long, value_enum, default_value = "pem", help_heading = "Output")]
    pub format: FormatArg,

    /// Replace existing files: the old one stays intact until the new one is complete, then is
    /// kept beside it as FILE.bak-TIMESTAMP (said on stderr); also allows printing a private
    /// key to a terminal
    #[arg(short = 'f', long, help_heading = "Output")]
    pub force: bool,
}

impl OutputArgs {
    /// Output options with explicit per-kind files.
    pub fn options(&self, files: FileTargets) -> OutputOptions {
        OutputOptions {
            format: self.format.into(),
            files: FileTargets { prefix: self.out.clone(), bare: self.bare.clone(), ..files },
            force: self.force,
            key_file_flags: None,
        }
    }
}

/// Another tool's spelling of one of our flags or values, accepted as written: `theirs` as
/// openssl, cfssl, kubeadm or kubectl write it, `ours` the flag (and value) it means, `from` the
/// command it comes from. A single-dash `theirs` (`-days`, `-CAkey`) is rewritten to `ours`
/// before parsing, since clap has no single-dash long flags; the others are clap aliases of
/// `ours` (a test checks each). Man pages list them under COMING FROM OPENSSL, CFSSL, KUBEADM.
#[derive(Clone, Copy, Debug)]
pub struct Spelling {
    /// Their spelling.
    pub theirs: &'static str,
    /// What it means here.
    pub ours: &'static str,
    /// Where the spelling comes from.
    pub from: &'static str,
}

impl Spelling {
    /// Whether `theirs` is rewritten before parsing (a single-dash word).
    pub fn rewritten(&self) -> bool {
        self.theirs.starts_with('-') && !self.theirs.starts_with("--")
    }
}

/// The arguments with each single-dash spelling replaced by the words of `ours` (only whole
/// words that are exactly a spelling; everything else untouched).
pub fn respell(args: impl IntoIterator<Item = std::ffi::OsString>, spellings: &[Spelling]) -> Vec<std::ffi::OsString> {
    let mut out = Vec::new();
    for arg in args {
        // `-config ca-config.json`, or Go's flag package's `-config=ca-config.json`.
        let hit = arg.to_str().and_then(|text| {
            spellings.iter().filter(|s| s.rewritten()).find_map(|s| match text.strip_prefix(s.theirs)? {
                "" => Some((s, None)),
                rest => rest.strip_prefix('=').map(|value| (s, Some(value.to_string()))),
            })
        });
        match hit {
            Some((s, value)) => {
                let mut words: Vec<String> = s.ours.split_whitespace().map(str::to_string).collect();
                if let (Some(last), Some(value)) = (words.last_mut(), value) {
                    last.push('=');
                    last.push_str(&value);
                }
                out.extend(words.into_iter().map(std::ffi::OsString::from));
            }
            None => out.push(arg),
        }
    }
    out
}

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

/// The first argument (before a `--`) that is a single dash, a letter and more: not an option
/// here, whatever clap would make of it. `-` (stdin) and negative numbers (`-5`) are values.
pub fn single_dash_word(args: &[std::ffi::OsString]) -> Option<String> {
    args.iter()
        .skip(1)
        .map(|a| a.to_string_lossy())
        .take_while(|a| a != "--")
        .find(|a| {
            let mut chars = a.chars();
            chars.next() == Some('-')
                && chars.next().is_some_and(|c| c != '-' && !c.is_ascii_digit())
                && chars.next().is_some()
        })
        .map(|a| a.into_owned())
}

/// Why `word` is refused, and the long options it may have meant.
fn single_dash_hint(cmd: &clap::Command, word: &str) -> String {
    let bare = word.trim_start_matches('-').split('=').next().unwrap_or_default().to_ascii_lowercase();
    let mut longs: Vec<String> = Vec::new();
    collect_longs(cmd, &mut longs);
    let mut near: Vec<&String> = longs
        .iter()
        .filter(|l| {
            **l == bare
                || l.ends_with(&format!("-{bare}"))
                || l.starts_with(&format!("{bare}-"))
                || (bare.len() > 2 && l.starts_with(&bare))
        })
        .collect();
    near.sort_by_key(|l| (**l != bare, l.len()));
    near.dedup();
    let shown = k8s_pki::term::sanitize(word);
    let what = "a single-dash word is not an option here (long options take two dashes; the openssl and cfssl spellings accepted are in the man page)";
    match near.as_slice() {
        [] => format!("{shown}: {what}"),
        names => {
            let names: Vec<String> = names.iter().take(3).map(|n| format!("--{n}")).collect();
            format!("{shown}: {what}; did you mean {}?", names.join(" or "))
        }
    }
}

fn collect_longs(cmd: &clap::Command, out: &mut Vec<String>) {
    for arg in cmd.get_arguments() {
        if let Some(long) = arg.get_long() {
            out.push(long.to_string());
        }
        out.extend(arg.get_all_aliases().unwrap_or_default().into_iter().map(str::to_string));
    }
    for sub in cmd.get_subcommands() {
        collect_longs(sub, out);
    }
}

/// The EXIT STATUS text for `--help` and man pages.
pub fn exit_status_help() -> String {
    let mut s = String::from("Exit status:\n");
    for (code, what) in EXIT_CODES {
        s.push_str(&format!("  {code}  {what}\n"));
    }
    s
}

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

    use super::*;

    #[test]
    fn respell_takes_both_of_gos_flag_forms() {
        let spellings = [
            Spelling { theirs: "-config", ours: "--config", from: "cfssl gencert" },
            Spelling { theirs: "-signkey", ours: "--self-sign --key", from: "openssl x509 -req" },
        ];
        let args = ["k8s-sign", "-config=c.json", "-config", "d.json", "-signkey=k.pem", "-configx", "--config=e"];
        let out = respell(args.iter().map(std::ffi::OsString::from), &spellings);
        let out: Vec<&str> = out.iter().filter_map(|a| a.to_str()).collect();
        assert_eq!(
            out,
            [
                "k8s-sign",
                "--config=c.json",
                "--config",
                "d.json",
                "--self-sign",
                "--key=k.pem",
                "-configx",
                "--config=e"
            ]
        );
    }
}
