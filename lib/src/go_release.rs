//! The Go release whose crypto/x509 k8s-verify follows, and what changed in which release
//! (read at each release's tag: parser.go, verify.go, x509.go, time/format.go; see
//! docs/verification.md, "Release differences").

/// The Go release whose crypto/x509 is followed (Kubernetes 1.33 is built with Go 1.24).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct GoRelease {
    /// The minor version: 19 for go1.19.
    pub minor: u32,
}

impl Default for GoRelease {
    fn default() -> GoRelease {
        GoRelease { minor: 24 }
    }
}

impl GoRelease {
    /// go1.19–go1.23 suggest `GODEBUG=x509sha1=1` after a SHA-1 refusal; go1.24 removed the setting.
    pub fn sha1_hint(self) -> bool {
        self.minor < 24
    }
    /// go1.23 refuses negative serial numbers when parsing (GODEBUG x509negativeserial).
    pub fn refuses_negative_serials(self) -> bool {
        self.minor >= 23
    }
    /// go1.24 refuses RSA keys under 1024 bits (GODEBUG rsa1024min).
    pub fn min_rsa_bits(self) -> usize {
        if self.minor >= 24 { 1024 } else { 0 }
    }
    /// go1.24 handles the policy extensions (policy validation, RFC 9618); earlier releases
    /// count them as unhandled when critical.
    pub fn handles_policy_extensions(self) -> bool {
        self.minor >= 24
    }
    /// go1.23 names the OID of a duplicate extension (parser.go: "duplicate extension with OID %q").
    pub fn names_duplicate_oid(self) -> bool {
        self.minor >= 23
    }
    /// go1.23 refuses critical authority/subject key identifiers and authority info access.
    pub fn refuses_critical_key_ids(self) -> bool {
        self.minor >= 23
    }
    /// go1.19 and go1.20 end basic-constraints parse errors with `a`, `b` or `c`; go1.21 does not.
    pub fn basic_constraints_suffix(self) -> bool {
        self.minor < 21
    }
    /// go1.23's time.Parse refuses a zone offset over 24 hours.
    pub fn limits_zone_hours(self) -> bool {
        self.minor >= 23
    }
    /// go1.21's cryptobyte refuses an OID sub-identifier that starts with the padding byte 0x80.
    pub fn refuses_padded_oids(self) -> bool {
        self.minor >= 21
    }
    /// go1.23's domainToReverseLabels refuses a leading empty label (`.a.com`); earlier releases
    /// drop it.
    pub fn refuses_leading_dot(self) -> bool {
        self.minor >= 23
    }
    /// go1.21 applies a CA's name constraints to the SANs of every certificate below it in the
    /// chain; go1.19 and go1.20 to the leaf's and the CA's own.
    pub fn constrains_whole_chain(self) -> bool {
        self.minor >= 21
    }
    /// go1.22 (and 1.21.8) skips a candidate issuer whose public key it cannot parse instead of
    /// failing its signature check (CVE-2024-24783).
    pub fn skips_unknown_key_issuers(self) -> bool {
        self.minor >= 22
    }
    /// go1.23 no longer takes a bare `*` as a host name pattern.
    pub fn refuses_bare_wildcard(self) -> bool {
        self.minor >= 23
    }
}
