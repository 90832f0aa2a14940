//! What a step leaves on record: the files it replaces, creates and removes; the backup
//! directory's name; and what a prepare killed before it began left behind.

use super::options::Options;
use crate::error::Result;
use crate::rotation::change::Change;
use crate::rotation::material;
use crate::rotation::state::StepFiles;
use crate::rotation::tree::Tree;
use crate::validity::format_time;

/// What a step writes, as its record says: files it replaces (they exist now), creates and
/// removes. A re-run adds what it finds to the first run's record, which it never forgets.
pub(super) fn record_of(tree: &Tree, changes: &[Change], earlier: Option<&StepFiles>) -> StepFiles {
    let mut rec = earlier.cloned().unwrap_or_default();
    for c in changes {
        if rec.all().any(|r| *r == c.rel) {
            continue;
        }
        match (&c.contents, tree.has(&c.rel)) {
            (None, _) => rec.removed.push(c.rel.clone()),
            (Some(_), true) => rec.replaced.push(c.rel.clone()),
            (Some(_), false) => rec.created.push(c.rel.clone()),
        }
    }
    rec
}

/// Removes what a prepare killed before writing its state left in `pki/rotation/` (never
/// trusted; its keys are overwritten first), saying so; with `--dry-run`, says it would.
pub(super) fn clear_leftovers(tree: &Tree, opts: &Options, note: crate::cmd::note::Warn<'_>) -> Result<()> {
    for rel in material::leftovers(tree) {
        let verb = if opts.dry_run { "would remove" } else { "removed" };
        if !opts.dry_run {
            crate::rotation::backup::remove(tree, &rel)?;
        }
        note(crate::cmd::note::Note::Warning(&format!(
            "{verb} {rel}: a prepare stopped before it began left it, and nothing trusts it"
        )));
    }
    Ok(())
}

/// `backup-YYYYMMDDTHHMMSSZ` under the tree, as `make renew` names it, made unique.
pub(super) fn backup_name(tree: &Tree, now: i64) -> String {
    let stamp = format_time(now).replace([':', '-'], "");
    let mut name = format!("backup-{stamp}");
    let mut n = 1;
    while tree.dir().exists(&name) {
        n += 1;
        name = format!("backup-{stamp}-{n}");
    }
    name
}
