//! `kubeadm certs check-expiration`, as kubeadm prints it: the two tab-aligned tables of its text
//! output and its `CertificateExpirationInfo` JSON, byte for byte (docs/kubeadm.md section 7;
//! cmd/kubeadm/app/cmd/certs.go, apis/output/v1alpha3/types.go). The rows come from the audit's
//! [`Report`]; nothing of the audit's own checks is mixed in.

use serde::Serialize;

use crate::report::{FileKind, FileReport, Report};
use crate::validity::{format_kubeadm, format_residual, format_time};

/// One row of the expiry table: kubeadm's name for the file, its notAfter, and the file.
struct ExpiryRow<'a> {
    name: String,
    not_after: Option<i64>,
    file: &'a FileReport,
}

/// The rows of `kubeadm certs check-expiration`, each named and sorted as kubeadm does
/// (phases/certs/renewal/manager.go sorts the certificates and CAs it handles by name). A CA
/// file holding a bundle mid-rotation gives one row per certificate: the signer under kubeadm's
/// name, each other one as `ca (old)` (or `(new)`, or its place, `(#2)`).
fn expiring(report: &Report) -> (Vec<ExpiryRow<'_>>, Vec<ExpiryRow<'_>>) {
    let rows = |ca: bool| {
        let mut rows: Vec<ExpiryRow<'_>> = Vec::new();
        for f in report.files.iter().filter(|f| (f.kind == FileKind::Ca) == ca) {
            let Some(name) = f.kubeadm_name.as_deref() else { continue };
            rows.push(ExpiryRow { name: name.to_string(), not_after: f.not_after, file: f });
            for (i, m) in f.members.iter().enumerate().skip(1) {
                let which = m.generation.clone().unwrap_or_else(|| format!("#{}", i + 1));
                rows.push(ExpiryRow { name: format!("{name} ({which})"), not_after: Some(m.not_after), file: f });
            }
        }
        rows.sort_by(|a, b| a.name.cmp(&b.name));
        rows
    };
    (rows(false), rows(true))
}

/// The `kubeadm certs check-expiration` tables: kubeadm's format strings, aligned as Go's
/// `text/tabwriter` with kubeadm's settings aligns them, residual time in the audited release's
/// words.
pub fn expiry_text(report: &Report) -> String {
    let (certs, cas) = expiring(report);
    let yes = |b: bool| if b { "yes" } else { "no" };
    let residual = |t: i64| format_residual(t - report.at_secs, report.residual);
    let mut lines = vec!["CERTIFICATE\tEXPIRES\tRESIDUAL TIME\tCERTIFICATE AUTHORITY\tEXTERNALLY MANAGED".to_string()];
    for ExpiryRow { name, not_after, file: f } in certs {
        lines.push(match not_after {
            Some(t) => format!(
                "{name}\t{}\t{}\t{}\t{:<8}",
                format_kubeadm(t),
                residual(t),
                f.ca_name.as_deref().unwrap_or(""),
                yes(f.externally_managed)
            ),
            None => format!("!MISSING! {name}\t\t\t\t"),
        });
    }
    lines.push(String::new());
    lines.push("CERTIFICATE AUTHORITY\tEXPIRES\tRESIDUAL TIME\tEXTERNALLY MANAGED".into());
    for ExpiryRow { name, not_after, file: f } in cas {
        lines.push(match not_after {
            Some(t) => format!("{name}\t{}\t{}\t{:<8}", format_kubeadm(t), residual(t), yes(f.externally_managed)),
            None => format!("!MISSING! {name}\t\t\t"),
        });
    }
    tabulate(&lines)
}

/// kubeadm's `tabwriter.NewWriter(out, 10, 4, 3, ' ', 0)`: minimum cell width and padding.
const MIN_WIDTH: usize = 10;
const PADDING: usize = 3;

/// Aligns tab-separated lines as Go's `text/tabwriter` does without flags: a cell is text ended
/// by a tab (the text after a line's last tab belongs to no column); a column's width is that of
/// its widest cell plus the padding, at least the minimum, over each run of adjacent lines that
/// have a cell in it; cells are padded with spaces.
fn tabulate(lines: &[String]) -> String {
    let cells: Vec<Vec<&str>> = lines.iter().map(|l| l.split('\t').collect()).collect();
    let mut widths = vec![Vec::new(); cells.len()];
    columns(&cells, 0, 0, cells.len(), &mut Vec::new(), &mut widths);
    let mut out = String::new();
    for (line, widths) in cells.iter().zip(&widths) {
        let (last, terminated) = line.split_last().unwrap_or((&"", &[]));
        for (cell, width) in terminated.iter().zip(widths) {
            out.push_str(&format!("{cell:<width$}"));
        }
        out.push_str(last);
        out.push('\n');
    }
    out
}

/// Gives each line in `from..to` the widths of its columns from `column` on (`stack` holds those
/// before it): Go's `Writer.format`, a block per run of lines that have a cell in `column`.
fn columns(cells: &[Vec<&str>], column: usize, from: usize, to: usize, stack: &mut Vec<usize>, out: &mut [Vec<usize>]) {
    let has_cell = |line: usize| cells.get(line).is_some_and(|c| column + 1 < c.len());
    let mut line = from;
    while line < to {
        if !has_cell(line) {
            if let Some(slot) = out.get_mut(line) {
                slot.clone_from(stack);
            }
            line += 1;
            continue;
        }
        let start = line;
        let mut width = MIN_WIDTH;
        while line < to && has_cell(line) {
            let cell = cells.get(line).and_then(|c| c.get(column)).map_or(0, |c| c.chars().count());
            width = width.max(cell + PADDING);
            line += 1;
        }
        stack.push(width);
        columns(cells, column + 1, start, line, stack, out);
        stack.pop();
    }
}

/// One row of kubeadm's output.kubeadm.k8s.io/v1alpha3 `Certificate`, its fields in the Go
/// struct's order (types.go): residualTime is whole seconds, negative once expired; a missing
/// file has its name, a `null` date (a zero `metav1.Time`) and `missing: true`; caName is
/// omitted when empty.
#[derive(Serialize)]
struct Certificate {
    name: String,
    #[serde(rename = "expirationDate")]
    expiration_date: Option<String>,
    #[serde(rename = "residualTime")]
    residual_time: i64,
    #[serde(rename = "externallyManaged")]
    externally_managed: bool,
    #[serde(rename = "caName", skip_serializing_if = "Option::is_none")]
    ca_name: Option<String>,
    missing: bool,
}

/// kubeadm's `CertificateExpirationInfo`, `metav1.TypeMeta` inlined first.
#[derive(Serialize)]
struct ExpirationInfo {
    kind: &'static str,
    #[serde(rename = "apiVersion")]
    api_version: &'static str,
    certificates: Vec<Certificate>,
    #[serde(rename = "certificateAuthorities")]
    certificate_authorities: Vec<Certificate>,
}

/// `kubeadm certs check-expiration -o json`, byte for byte: the fields in kubeadm's order,
/// indented by four spaces as cli-runtime's `JSONPrinter` indents, so alerting built on kubeadm's
/// output keeps working.
pub fn expiry_json(report: &Report) -> String {
    let (certs, cas) = expiring(report);
    let row = |ExpiryRow { name, not_after, file: f }: &ExpiryRow<'_>| match *not_after {
        Some(t) => Certificate {
            name: name.clone(),
            expiration_date: Some(format_time(t)),
            residual_time: t - report.at_secs,
            externally_managed: f.externally_managed,
            ca_name: f.ca_name.clone().filter(|c| !c.is_empty()),
            missing: false,
        },
        None => Certificate {
            name: name.clone(),
            expiration_date: None,
            residual_time: 0,
            externally_managed: false,
            ca_name: None,
            missing: true,
        },
    };
    let doc = ExpirationInfo {
        kind: "CertificateExpirationInfo",
        api_version: "output.kubeadm.k8s.io/v1alpha3",
        certificates: certs.iter().map(row).collect(),
        certificate_authorities: cas.iter().map(row).collect(),
    };
    let mut out = Vec::new();
    let mut ser =
        serde_json::Serializer::with_formatter(&mut out, serde_json::ser::PrettyFormatter::with_indent(b"    "));
    if doc.serialize(&mut ser).is_err() {
        return String::new();
    }
    String::from_utf8(out).unwrap_or_default() + "\n"
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::tests::report;

    #[test]
    fn the_expiry_json_is_kubeadms_shape() {
        let v: serde_json::Value = serde_json::from_str(&expiry_json(&report())).expect("json");
        assert_eq!(v["apiVersion"], "output.kubeadm.k8s.io/v1alpha3");
        let certs = v["certificates"].as_array().expect("certificates");
        let api = certs.iter().find(|c| c["name"] == "apiserver").expect("apiserver");
        assert_eq!(api["residualTime"], -10, "seconds, negative once expired");
        assert_eq!(api["caName"], "ca");
        let admin = certs.iter().find(|c| c["name"] == "admin.conf").expect("admin.conf");
        assert_eq!(admin["missing"], true);
        assert!(admin["expirationDate"].is_null() && admin.get("caName").is_none(), "{admin}");
        let ca = &v["certificateAuthorities"][0];
        assert_eq!(ca["residualTime"], 100 * 86_400);
        assert!(ca.get("caName").is_none(), "a root CA has no caName");
    }

    #[test]
    fn the_expiry_table_marks_missing_files_as_kubeadm_does() {
        let text = expiry_text(&report());
        assert!(text.starts_with("CERTIFICATE "), "{text}");
        assert!(text.contains("\n!MISSING! admin.conf "), "{text}");
        let apiserver = text.find("apiserver").expect("apiserver");
        assert!(text.find("admin.conf").is_some_and(|a| a < apiserver), "sorted by name: {text}");
    }

    #[test]
    fn columns_align_as_gos_tabwriter_does() {
        let lines: Vec<String> =
            ["A\tBB\tend", "!MISSING! a-long-name\t\t", "", "C\tD\t", "x"].iter().map(|s| s.to_string()).collect();
        let text = tabulate(&lines);
        let want = "A                       BB        end\n\
                    !MISSING! a-long-name             \n\
                    \n\
                    C         D         \n\
                    x\n";
        assert_eq!(text, want);
    }
}
