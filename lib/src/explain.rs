//! `--explain`: what each step did and why, in plain words (`# ...` lines), and the openssl or
//! kubectl command that does the same (`$ ...` lines, runnable in bash as printed).

use crate::cert::Cert;
use crate::key::{Algorithm, KeyFormat};
use crate::request::Request;
use crate::san::San;
use crate::usage::Usage;
use crate::validity::{DAY, format_time};

/// Quotes a word for bash: bare when plain, in single quotes otherwise, and in ANSI-C quotes
/// (`$'…'`, each unsafe character as its UTF-8 bytes `\xNN`) when it holds a character that must
/// not reach a terminal raw (a newline, an escape, a bidi override): the word is then still
/// exactly the same for bash, and the printed line cannot forge another line.
pub fn sh(word: &str) -> String {
    if !word.is_empty() && word.chars().all(|c| c.is_ascii_alphanumeric() || "-_./=:@,+".contains(c)) {
        return word.to_string();
    }
    if !word.chars().any(crate::term::is_unsafe) {
        return format!("'{}'", word.replace('\'', "'\\''"));
    }
    let mut out = String::from("$'");
    for c in word.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c if crate::term::is_unsafe(c) => {
                let mut buf = [0u8; 4];
                for b in c.encode_utf8(&mut buf).bytes() {
                    out.push_str(&format!("\\x{b:02x}"));
                }
            }
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// Quotes a path for bash, byte for byte: bytes that are not UTF-8 are written as `\xNN` in
/// ANSI-C quotes.
pub fn sh_path(path: &std::path::Path) -> String {
    use std::os::unix::ffi::OsStrExt;
    let bytes = path.as_os_str().as_bytes();
    if let Ok(text) = std::str::from_utf8(bytes) {
        return sh(text);
    }
    let mut out = String::from("$'");
    for chunk in bytes.utf8_chunks() {
        let valid = sh(chunk.valid());
        // The valid part as its own ANSI-C quoted word, without its `$'` and `'`.
        let inner = match valid.strip_prefix("$'") {
            Some(rest) => rest.strip_suffix('\'').unwrap_or(rest).to_string(),
            None => chunk.valid().replace('\\', "\\\\").replace('\'', "\\'"),
        };
        out.push_str(&inner);
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out.push('\'');
    out
}

/// Explains a new key.
pub fn genkey(algorithm: Algorithm, format: KeyFormat, key_file: &str, pub_file: Option<&str>) -> Vec<String> {
    let mut out = vec![format!(
        "# k8s-genkey: a new {} private key{}",
        algorithm.name(),
        if algorithm == Algorithm::Rsa2048 { " (kubeadm's default)" } else { "" }
    )];
    out.push(match format {
        KeyFormat::Traditional => {
            "# written as kubeadm writes keys: PKCS#1 \"RSA PRIVATE KEY\" or SEC1 \"EC PRIVATE KEY\"".into()
        }
        KeyFormat::Pkcs8 => "# written as PKCS#8 \"PRIVATE KEY\", as openssl genpkey does".into(),
    });
    out.push("# the private key stays where it was made: only its CSR travels to the CA".into());
    let k = sh(key_file);
    out.push(match (algorithm, format) {
        (Algorithm::EcdsaP256, KeyFormat::Traditional) => {
            format!("$ openssl ecparam -name prime256v1 -genkey -noout -out {k}")
        }
        (Algorithm::EcdsaP384, KeyFormat::Traditional) => {
            format!("$ openssl ecparam -name secp384r1 -genkey -noout -out {k}")
        }
        (Algorithm::EcdsaP256, KeyFormat::Pkcs8) => {
            format!("$ openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out {k}")
        }
        (Algorithm::EcdsaP384, KeyFormat::Pkcs8) => {
            format!("$ openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out {k}")
        }
        (rsa, KeyFormat::Traditional) => format!("$ openssl genrsa -traditional -out {k} {}", rsa_bits(rsa)),
        (rsa, KeyFormat::Pkcs8) => {
            format!("$ openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:{} -out {k}", rsa_bits(rsa))
        }
    });
    if let Some(p) = pub_file {
        out.push("# the public half, e.g. sa.pub: kube-apiserver verifies service-account tokens with it".into());
        out.push(format!("$ openssl pkey -in {k} -pubout -out {}", sh(p)));
    }
    out
}

fn rsa_bits(a: Algorithm) -> u32 {
    match a {
        Algorithm::Rsa3072 => 3072,
        Algorithm::Rsa4096 => 4096,
        _ => 2048,
    }
}

fn why_san(san: &San) -> &'static str {
    match san {
        San::Dns(d) if d == "kubernetes" || d.starts_with("kubernetes.default") => {
            "the API server's in-cluster Service name, dialled by pods"
        }
        San::Dns(d) if d == "localhost" => "clients on the same machine (etcdctl, a local kube-apiserver)",
        San::Ip(ip) if ip.is_loopback() => "clients on the same machine",
        San::Ip(_) => "an address TLS clients dial to reach this server",
        San::Dns(_) => "a name TLS clients dial to reach this server",
        San::Email(_) | San::Uri(_) => "an identity some clients check",
    }
}

/// openssl's words for a path length constraint, after `CA:TRUE`.
fn pathlen(path_len: Option<u8>) -> String {
    path_len.map(|n| format!(",pathlen:{n}")).unwrap_or_default()
}

/// The `-addext` arguments for a request's extensions.
/// SANs openssl's extension syntax cannot carry on one line: its list parser splits at every
/// `,`, and its config reader (which -addext and -extfile go through) expands `$`, ends a line at
/// `#` and reads `\` and quotes; a value with any of these would make a different certificate.
fn unsayable(sans: &[San]) -> Vec<String> {
    let safe = |v: &str| v.chars().all(|c| c.is_ascii_alphanumeric() || "-._~:/?=&%@*!+;[]".contains(c));
    sans.iter()
        .filter(|s| match s {
            San::Uri(v) | San::Email(v) | San::Dns(v) => !safe(v),
            San::Ip(_) => false,
        })
        .map(|s| crate::term::sanitize(&s.to_openssl()))
        .collect()
}

/// The comment that replaces a `$ ` line openssl cannot say.
fn no_openssl_line(what: &str, sans: &[String]) -> String {
    format!(
        "# no one-line openssl {what} makes this: openssl reads ',', '$', '#', '\\' and quotes in an extension value as its own syntax, so {} would become something else (write it in a config file section instead)",
        sans.join(", ")
    )
}

fn addext(req: &Request) -> Vec<String> {
    let mut out = Vec::new();
    if !req.sans.is_empty() {
        let sans: Vec<String> = req.sans.iter().map(San::to_openssl).collect();
        out.push(format!("-addext {}", sh(&format!("subjectAltName={}", sans.join(",")))));
    }
    if req.is_ca {
        out.push(format!("-addext {}", sh(&format!("basicConstraints=critical,CA:TRUE{}", pathlen(req.path_len)))));
        out.push(format!("-addext {}", sh("keyUsage=critical,digitalSignature,keyEncipherment,keyCertSign")));
    } else if !req.usages.is_empty() {
        out.push(format!("-addext {}", sh("keyUsage=critical,digitalSignature,keyEncipherment")));
    }
    if !req.usages.is_empty() {
        out.push(format!("-addext {}", sh(&format!("extendedKeyUsage={}", eku_names(&req.usages)))));
    }
    out
}

fn eku_names(usages: &[Usage]) -> String {
    let mut names = Vec::new();
    if usages.contains(&Usage::Server) {
        names.push("serverAuth");
    }
    if usages.contains(&Usage::Client) {
        names.push("clientAuth");
    }
    names.join(",")
}

/// Who reads a CSR's CN, by the certificate's role.
fn cn_role(req: &Request) -> &'static str {
    if req.is_ca {
        return "the CA's name: certificates it signs carry it as their issuer; no component reads it as a user";
    }
    match (req.usages.contains(&Usage::Client), req.usages.contains(&Usage::Server)) {
        (true, false) => "the certificate's name; kube-apiserver reads a client certificate's CN as the user name",
        (false, true) => "the certificate's name; TLS clients check the SANs, not the CN (Go ignores it)",
        (true, true) => {
            "the certificate's name: as a client, the server reads it as the user name (kube-apiserver; etcd when its auth is on); as a server, clients check the SANs, not the CN"
        }
        (false, false) => "the certificate's name; the signer's usages decide who reads it",
    }
}

/// Explains a CSR; `origin` says which rule put a SAN there (a profile's, `--san`), when known.
pub fn csr(
    req: &Request,
    key_file: &str,
    csr_file: Option<&str>,
    origin: &dyn Fn(&San) -> Option<&'static str>,
) -> Vec<String> {
    let mut out = vec![
        "# k8s-csr: a certificate signing request, signed with the key to prove the requester holds it".to_string(),
    ];
    if let Some(cn) = req.subject.cn() {
        out.push(format!("#   CN={cn}: {}", cn_role(req)));
    }
    for o in req.subject.orgs() {
        let extra = match o.as_str() {
            "system:masters" => " (superusers: RBAC is bypassed)",
            "system:nodes" => " (kubelets; with CN system:node:NAME the Node authorizer applies)",
            _ => "",
        };
        out.push(format!("#   O={o}: a Kubernetes group{extra}"));
    }
    for san in &req.sans {
        let why = if req.is_ca {
            "a CA's SAN names nothing a client dials (kubeadm writes the CA's CN there; Go ignores it)"
        } else {
            origin(san).unwrap_or_else(|| why_san(san))
        };
        out.push(format!("#   SAN {}: {why}", san.to_openssl()));
    }
    for u in &req.usages {
        out.push(match u {
            Usage::Server => {
                "#   serverAuth: the certificate may be presented by a TLS server (TLS clients check it)".to_string()
            }
            Usage::Client => {
                "#   clientAuth: the certificate may be presented by a TLS client (kube-apiserver, etcd require it)"
                    .to_string()
            }
        });
    }
    if req.is_ca {
        out.push("#   CA:TRUE: asks to be a certificate authority that signs other certificates".into());
        if let Some(n) = req.path_len {
            out.push(format!(
                "#   pathlen:{n}: at most {n} intermediate CA(s) may follow it in a chain (RFC 5280 4.2.1.9)"
            ));
        }
    }
    if req.usages.is_empty() && !req.is_ca {
        out.push("#   no usages requested: the signer will choose them (k8s-sign --usage/--profile)".into());
    }
    let odd = unsayable(&req.sans);
    if !odd.is_empty() {
        out.push(no_openssl_line("req", &odd));
        return out;
    }
    let mut cmd = format!("$ openssl req -new -key {} -subj {}", sh(key_file), sh(&req.subject.to_openssl()));
    for a in addext(req) {
        cmd.push(' ');
        cmd.push_str(&a);
    }
    if let Some(file) = csr_file {
        cmd.push_str(&format!(" -out {}", sh(file)));
    }
    out.push(cmd);
    out
}

/// How the certificate was signed, for [`issued`].
pub enum SignedWith<'a> {
    /// A CA's certificate and key files.
    Ca { cert: &'a str, key: &'a str },
    /// The CSR's own key.
    SelfSigned { key: &'a str },
}

/// Explains an issued certificate (read back from what was written).
pub fn issued(cert: &Cert, signer: &SignedWith<'_>, csr_file: &str, crt_file: &str, now: i64) -> Vec<String> {
    let days = ((cert.not_after - now) + DAY - 1) / DAY;
    let mut out = vec![
        "# k8s-sign: checked the CSR's own signature first (the requester holds the key)".to_string(),
        match signer {
            SignedWith::Ca { cert: c, .. } => {
                format!("# and that the CA key matches {c}, that it is a CA (CA:TRUE, keyCertSign) and in date")
            }
            SignedWith::SelfSigned { .. } => "# self-signed with the CSR's own key: a new root of trust".to_string(),
        },
        format!(
            "# valid {} to {} ({days} days: kubeadm gives leaves 1 year, CAs 10); notBefore is 5 minutes back for clock skew",
            format_time(cert.not_before),
            format_time(cert.not_after)
        ),
        format!("# serial {}: 128 random bits, as the Kubernetes CSR signer uses", cert.serial_hex()),
        format!(
            "# {}; usages {}",
            if cert.is_ca() { "CA:TRUE" } else { "CA:FALSE: it cannot sign other certificates" },
            if cert.ext.usages.is_empty() { "none (a CA)".to_string() } else { eku_names(&cert.ext.usages) }
        ),
    ];
    let mut ext = vec![
        format!(
            "basicConstraints=critical,CA:{}",
            if cert.is_ca() { format!("TRUE{}", pathlen(cert.ext.path_len)) } else { "FALSE".to_string() }
        ),
        format!("keyUsage=critical,digitalSignature,keyEncipherment{}", if cert.is_ca() { ",keyCertSign" } else { "" }),
    ];
    if !cert.ext.usages.is_empty() {
        ext.push(format!("extendedKeyUsage={}", eku_names(&cert.ext.usages)));
    }
    if !cert.ext.sans.is_empty() {
        ext.push(format!("subjectAltName={}", cert.ext.sans.iter().map(San::to_openssl).collect::<Vec<_>>().join(",")));
    }
    ext.push("subjectKeyIdentifier=hash".into());
    ext.push("authorityKeyIdentifier=keyid".into());
    let extfile = format!("<(printf '%s\\n' {})", ext.iter().map(|e| sh(e)).collect::<Vec<_>>().join(" "));
    let signing = match signer {
        SignedWith::Ca { cert: c, key } => format!("-CA {} -CAkey {}", sh(c), sh(key)),
        SignedWith::SelfSigned { key } => format!("-signkey {}", sh(key)),
    };
    let odd = unsayable(&cert.ext.sans);
    if !odd.is_empty() {
        out.push(no_openssl_line("x509 -req", &odd));
        return out;
    }
    let serial = cert.serial_hex().replace(':', "");
    out.push(format!(
        "$ openssl x509 -req -in {} {signing} -set_serial 0x{serial} -days {days} -sha256 -extfile {extfile} -out {}",
        sh(csr_file),
        sh(crt_file)
    ));
    out
}

/// Explains a kubeconfig: written to `out_file`, starting from a copy of `merged_into` when
/// merging, and made the current context when `use_context`.
pub fn kubeconfig(
    names: &crate::kubeconfig::Names,
    server: &str,
    files: [&str; 3],
    out_file: &str,
    merged_into: Option<&str>,
    use_context: bool,
) -> Vec<String> {
    let crate::kubeconfig::Names { user, cluster, context } = names;
    let [ca, crt, key] = files.map(sh);
    let kc = sh(out_file);
    let mut out = Vec::new();
    if let Some(from) = merged_into.filter(|from| *from != out_file) {
        out.push(format!("$ cp {} {kc}", sh(from)));
    }
    out.extend([
        "# k8s-kubeconfig: checked that the key matches the certificate, that it chains to the CA and allows clientAuth".into(),
        format!("# user {user}: the certificate's CN, the name kube-apiserver will know this client by; its O values are the groups"),
        format!("# cluster {cluster}: {server}, trusted through the embedded CA; context {context} = that user on that cluster"),
        format!("$ kubectl config set-cluster {} --server={} --certificate-authority={ca} --embed-certs=true --kubeconfig={kc}", sh(cluster), sh(server)),
        format!("$ kubectl config set-credentials {} --client-certificate={crt} --client-key={key} --embed-certs=true --kubeconfig={kc}", sh(user)),
        format!("$ kubectl config set-context {} --cluster={} --user={} --kubeconfig={kc}", sh(context), sh(cluster), sh(user)),
    ]);
    if use_context {
        out.push(format!("$ kubectl config use-context {} --kubeconfig={kc}", sh(context)));
    }
    out
}

#[cfg(test)]
mod tests {
    use std::os::unix::ffi::OsStrExt;

    use super::*;

    #[test]
    fn shell_quoting() {
        assert_eq!(sh("pki/ca.crt"), "pki/ca.crt");
        assert_eq!(sh("/CN=a b"), "'/CN=a b'");
        assert_eq!(sh("it's"), "'it'\\''s'");
        // A newline, an escape and a bidi override never reach the terminal raw, and bash reads
        // the word back byte for byte.
        let hostile = "d\nir$ x'\u{1b}[2J\u{202e}\\";
        let quoted = sh(hostile);
        assert_eq!(quoted, "$'d\\x0air$ x\\'\\x1b[2J\\xe2\\x80\\xae\\\\'");
        assert!(!quoted.chars().any(crate::term::is_unsafe));
        let bytes = std::ffi::OsStr::from_bytes(b"a\xff\nb'");
        assert_eq!(sh_path(std::path::Path::new(bytes)), "$'a\\xff\\x0ab\\''");
        for (word, want) in
            [(quoted, hostile.as_bytes().to_vec()), (sh_path(std::path::Path::new(bytes)), bytes.as_bytes().to_vec())]
        {
            let out =
                std::process::Command::new("bash").args(["-c", &format!("printf %s {word}")]).output().expect("bash");
            assert_eq!(out.stdout, want);
        }
    }
}
