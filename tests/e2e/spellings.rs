//! Every word means one thing: each tool's single-dash words are exactly the openssl and cfssl
//! spellings its man page lists (COMING FROM OPENSSL, CFSSL, KUBEADM), and every other
//! single-dash word of more than one letter is a usage error (exit 2) with a hint, never split
//! into short options (`-hostname=x` read as `-h`: help and exit 0; `-out` as `-o ut`). The
//! cases are generated from the man pages (the spellings and every short option letter) and from
//! the options of the openssl and cfssl commands the tools stand in for.

use crate::util::*;

const TOOLS: &[&str] = &["k8s-genkey", "k8s-csr", "k8s-sign", "k8s-kubeconfig", "k8s-verify", "k8s-rotate"];

/// Options of openssl req, x509, genrsa, genpkey, ecparam, pkey, verify and of cfssl gencert,
/// genkey, sign and cfssljson, as a script using them would type them.
const FOREIGN: &[&str] = &[
    "-new",
    "-key",
    "-subj",
    "-out",
    "-in",
    "-nodes",
    "-newkey",
    "-keyout",
    "-config",
    "-extensions",
    "-x509",
    "-days",
    "-sha256",
    "-addext",
    "-text",
    "-noout",
    "-verify",
    "-batch",
    "-req",
    "-CA",
    "-CAkey",
    "-CAcreateserial",
    "-CAserial",
    "-extfile",
    "-signkey",
    "-set_serial",
    "-enddate",
    "-startdate",
    "-subject",
    "-issuer",
    "-fingerprint",
    "-pubkey",
    "-pubout",
    "-aes256",
    "-algorithm",
    "-pkeyopt",
    "-name",
    "-genkey",
    "-CAfile",
    "-untrusted",
    "-purpose",
    "-verify_hostname",
    "-attime",
    "-x509_strict",
    "-topk8",
    "-ca",
    "-ca-key",
    "-profile",
    "-hostname",
    "-initca",
    "-remote",
    "-csr",
    "-bare",
    "-usage",
    "-help",
    "-version",
];

/// The man page of `tool`: its single-dash spellings and its short option letters.
fn man_words(tool: &str) -> (Vec<String>, Vec<char>) {
    let text = std::fs::read_to_string(repo().join(format!("man/{tool}.1"))).expect("man page");
    let words = |line: &str| -> Vec<String> {
        line.split("\\fB").skip(1).filter_map(|w| w.split("\\fR").next()).map(|w| w.replace("\\-", "-")).collect()
    };
    let (options, coming) = text.split_once(".SH \"COMING FROM").unwrap_or((&text, ""));
    let spelled: Vec<String> =
        coming.lines().flat_map(words).filter(|w| w.starts_with('-') && !w.starts_with("--") && w.len() > 2).collect();
    let shorts: Vec<char> = options
        .lines()
        .flat_map(words)
        .filter_map(|w| {
            let rest = w.strip_prefix('-')?;
            let mut c = rest.chars();
            match (c.next(), c.next()) {
                (Some(letter), None) if letter.is_ascii_alphabetic() => Some(letter),
                _ => None,
            }
        })
        .collect();
    (spelled, shorts)
}

#[test]
fn single_dash_words_are_spellings_or_usage_errors() {
    let dir = scratch();
    let mut checked = 0;
    let mut wrong = Vec::new();
    for name in TOOLS {
        let (spelled, shorts) = man_words(name);
        assert!(shorts.contains(&'h'), "{name}: no short options read from the man page");
        let mut cases: Vec<String> = FOREIGN.iter().map(|w| (*w).to_string()).collect();
        for c in &shorts {
            cases.extend([format!("-{c}zzq"), format!("-{c}=zzq"), format!("-{c}ut")]);
        }
        cases.extend(["-hostname=10.32.0.1", "-help", "-hv", "-Vh"].map(str::to_string));
        cases.extend(spelled.iter().cloned());
        for word in cases {
            let is_spelling = spelled.iter().any(|s| *s == word.split('=').next().unwrap_or_default());
            for form in [word.clone(), format!("{word}=zzq")] {
                if form.matches('=').count() > 1 {
                    continue;
                }
                let out = crate::util::tool(name).arg(&form).current_dir(dir.path()).output().expect("runs");
                checked += 1;
                let (code, stdout, stderr) = (
                    out.status.code(),
                    String::from_utf8_lossy(&out.stdout).into_owned(),
                    String::from_utf8_lossy(&out.stderr).into_owned(),
                );
                let refused = stderr.contains("a single-dash word is not an option here");
                let helped = stdout.contains("Usage:");
                let ok = if is_spelling {
                    !refused && !helped
                } else {
                    code == Some(2) && refused && !helped && stderr.lines().count() == 1
                };
                let written: Vec<_> = std::fs::read_dir(dir.path()).expect("dir").flatten().map(|e| e.path()).collect();
                if !ok || (!is_spelling && !written.is_empty()) {
                    wrong.push(format!("{name} {form}: exit {code:?}, stderr {stderr:?}, wrote {written:?}"));
                }
                for path in written {
                    let _ = std::fs::remove_file(&path).or_else(|_| std::fs::remove_dir_all(&path));
                }
            }
        }
    }
    assert!(checked > 500, "only {checked} cases");
    assert!(wrong.is_empty(), "{} words misread:\n{}", wrong.len(), wrong.join("\n"));
}

#[test]
fn the_hint_names_the_long_options_meant() {
    for (name, word, hint) in [
        ("k8s-sign", "-out", "did you mean --out or"),
        ("k8s-genkey", "-out", "did you mean --out"),
        ("k8s-sign", "-usage", "did you mean --usage"),
        ("k8s-csr", "-ozzq", "-ozzq: a single-dash word is not an option here"),
    ] {
        let out = crate::util::tool(name).arg(word).arg("x").output().expect("runs");
        assert_eq!(out.status.code(), Some(2), "{name} {word}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.starts_with(&format!("{name}: error: {word}: ")) && err.contains(hint), "{name} {word}: {err}");
    }
    // Alone, -h is help; and after `--` a word is a value (a file named -out).
    let out = crate::util::tool("k8s-verify").arg("-h").output().expect("runs");
    assert_eq!(out.status.code(), Some(0));
    let out = crate::util::tool("k8s-verify").args(["--", "-out"]).output().expect("runs");
    assert_eq!(out.status.code(), Some(5), "{}", String::from_utf8_lossy(&out.stderr));
    // cfssl's -hostname is k8s-csr's --san.
    let key = run_ok("k8s-genkey", &["--algo", "ecdsa"], b"");
    let csr = run_ok("k8s-csr", &["--cn", "x", "-hostname=10.32.0.1,kubernetes.default"], &key);
    let text = String::from_utf8_lossy(&run_ok("k8s-verify", &["-"], &csr)).into_owned();
    assert!(text.contains("10.32.0.1") && text.contains("kubernetes.default"), "{text}");
}

/// Every usage error is one line on stderr, `TOOL: error: …`, exit 2: unknown flags, bad values,
/// missing values and conflicts alike; help and version stay clap's, on stdout, exit 0.
#[test]
fn usage_errors_are_one_line() {
    for name in TOOLS {
        for args in [&["--bogus"][..], &["--format", "nonsense"], &["--help", "--bogus"]] {
            let out = crate::util::tool(name).args(args).output().expect("runs");
            let err = String::from_utf8_lossy(&out.stderr);
            if args[0] == "--help" {
                assert_eq!(out.status.code(), Some(0), "{name} {args:?}");
                continue;
            }
            assert_eq!(out.status.code(), Some(2), "{name} {args:?}: {err}");
            assert_eq!(err.lines().count(), 1, "{name} {args:?}: {err}");
            assert!(err.starts_with(&format!("{name}: error: ")), "{name} {args:?}: {err}");
        }
        let out = crate::util::tool(name).arg("--version").output().expect("runs");
        assert_eq!(out.status.code(), Some(0));
        assert!(String::from_utf8_lossy(&out.stdout).starts_with(name));
    }
}
