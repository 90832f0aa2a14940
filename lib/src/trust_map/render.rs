//! The map as text (one block per CA, its carriers and the Pods mounting each, then the
//! findings) and as JSON (docs/trust-map.md, "JSON"). Every name from a dump is escaped in text;
//! in JSON the same characters are `\uNNNN` escapes.

use serde::Serialize;

use super::finding::Finding;
use super::{CaEntry, Consumer, TrustMap};
use crate::finding::Status;
use crate::report::SubjectJson;
use crate::term::Paint;

#[derive(Serialize)]
struct MapJson<'a> {
    cas: Vec<CaJson<'a>>,
    findings: &'a [Finding],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CaJson<'a> {
    spki: &'a str,
    name: Option<&'a str>,
    generation: Option<&'a str>,
    subject: SubjectJson,
    not_after: String,
    certificates: usize,
    consumers: Vec<ConsumerJson<'a>>,
}

#[derive(Serialize)]
struct ConsumerJson<'a> {
    kind: &'a str,
    namespace: Option<&'a str>,
    name: &'a str,
    field: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    via: Option<&'a str>,
}

/// The map in JSON.
pub fn json(map: &TrustMap) -> String {
    let doc = MapJson { cas: map.cas.iter().map(ca_json).collect(), findings: map.findings.all() };
    let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
    crate::term::json_safe(&text) + "\n"
}

fn ca_json(e: &CaEntry) -> CaJson<'_> {
    CaJson {
        spki: &e.spki,
        name: e.name,
        generation: e.generation,
        subject: e.ca.subject_json(),
        not_after: crate::validity::format_time(e.ca.not_after),
        certificates: e.ca.certificates.len(),
        consumers: e
            .consumers
            .iter()
            .map(|c| ConsumerJson {
                kind: &c.kind,
                namespace: c.namespace.as_deref(),
                name: &c.name,
                field: &c.field,
                via: c.via.as_deref(),
            })
            .collect(),
    }
}

/// The map in text; passing findings only with `verbose`.
pub fn text(map: &TrustMap, verbose: bool, paint: &Paint) -> String {
    let mut out = String::new();
    for e in &map.cas {
        out.push_str(&ca_line(e, paint));
        let mut mounts: std::collections::HashMap<&str, Vec<&Consumer>> = std::collections::HashMap::new();
        for p in &e.consumers {
            if let Some(via) = &p.via {
                mounts.entry(via.as_str()).or_default().push(p);
            }
        }
        for c in e.consumers.iter().filter(|c| c.via.is_none()) {
            out.push_str(&format!("  {}\n", object(c)));
            for p in mounts.get(label_of(c).as_str()).into_iter().flatten() {
                out.push_str(&format!("    mounted by {}\n", object(p)));
            }
        }
        if e.consumers.is_empty() {
            out.push_str(&format!("  {}\n", paint.dim("carried by no object of the dump")));
        }
    }
    if map.cas.is_empty() {
        out.push_str("no CA certificate in the dump\n");
    }
    let shown: Vec<&Finding> = map.findings.all().iter().filter(|f| verbose || f.status != Status::Ok).collect();
    if !shown.is_empty() {
        out.push_str("findings:\n");
    }
    for f in shown {
        let word = match f.status {
            Status::Ok => paint.good("ok"),
            Status::Warn | Status::Missing => paint.warn("warn"),
            Status::Fail => paint.bad("FAIL"),
        };
        out.push_str(&format!("  {word} {}: {}\n", crate::term::escape(&f.object), crate::term::escape(&f.message)));
    }
    out.push_str(&summary(map));
    out
}

fn ca_line(e: &CaEntry, paint: &Paint) -> String {
    let name = match (e.name, e.generation) {
        (Some(n), Some(g)) => format!("{n} ({g})"),
        (Some(n), None) => n.to_string(),
        (None, _) => "(not of the tree)".to_string(),
    };
    let count = e.ca.certificates.len();
    format!(
        "{} {} {}, until {}, {count} certificate{}\n",
        paint.bold(&name),
        e.spki,
        crate::term::escape(&e.ca.subject.to_string()),
        crate::validity::format_time(e.ca.not_after),
        if count == 1 { "" } else { "s" }
    )
}

fn label_of(c: &Consumer) -> String {
    super::object::label(&c.kind, c.namespace.as_deref(), &c.name)
}

fn object(c: &Consumer) -> String {
    crate::term::escape(&format!("{} {}", label_of(c), c.field))
}

fn summary(map: &TrustMap) -> String {
    let count = |s: Status| map.findings.all().iter().filter(|f| f.status == s).count();
    let (warn, fail) = (count(Status::Warn), count(Status::Fail));
    let n = |count: usize, one: &str, many: &str| format!("{count} {}", if count == 1 { one } else { many });
    format!(
        "{}, {} carrying them; {fail} failed, {}\n",
        n(map.cas.len(), "CA", "CAs"),
        n(map.carriers.len(), "field", "fields"),
        n(warn, "warning", "warnings")
    )
}
