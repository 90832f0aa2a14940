//! `--cluster-dump`: the trust map of cluster dumps (with `--pki-dir`, the tree's CAs named and
//! its rotation judged); exit 1 on a failed finding, 6 on warnings only.

use std::path::{Path, PathBuf};

use super::options::OutputFormat;
use super::request::Show;
use crate::cmd::note::{Note, Warn};
use crate::error::Result;
use crate::finding::exit_for;
use crate::sink::print;
use crate::trust_map::{self, kinds};

/// Reads the dumps, maps them, prints the map.
pub(super) fn run(dumps: &[PathBuf], pki_dir: Option<&Path>, show: &Show, note: Warn<'_>) -> Result<()> {
    let objects = trust_map::dump::read_all(dumps)?;
    let root = pki_dir.map(crate::audit::locate).transpose()?.map(|(root, _)| root);
    let mut map = trust_map::build(&objects, root.as_deref())?;
    map.judge_rotation();
    if show.explain {
        explain(&map, note);
    }
    match show.format {
        OutputFormat::Json => print(&trust_map::render::json(&map))?,
        OutputFormat::Text => print(&trust_map::render::text(&map, show.verbose, &show.paint))?,
    }
    let worst = map.findings.worst();
    exit_for(worst, true, || "a cluster object fails: see above".into())
}

/// `--explain`: what writes each object whose writer is known, once per writer.
fn explain(map: &trust_map::TrustMap, note: Warn<'_>) {
    let mut said = std::collections::BTreeSet::new();
    for c in &map.carriers {
        let o = &c.object;
        if let Some(w) = kinds::writer(&o.kind, o.namespace.as_deref(), &o.name)
            && said.insert(w.name)
        {
            note(Note::Explain(&format!("# {} {}: {}", w.kind, w.name, w.explain)));
        }
    }
}
