//! YAML from other hands (kubeconfigs from colleagues, CertificateSigningRequest objects from
//! users), read within bounds of time and memory.
//!
//! libyaml, under serde_norway, spends time quadratic in the nesting of flow collections
//! (`[[[[…]]]]`: 160 KB took 22 s), and serde_norway replays an alias once per reference, so a
//! 1 MB document that references a large anchor 2,000 times expands to gigabytes. Before the
//! document is parsed its flow nesting is measured; before it is deserialised into a type, one
//! pass counts what it expands to and stops at [`MAX_EXPANDED`]. Both refusals are bad input
//! (exit 3). A kubeconfig as kubectl writes it nests flow collections 1 deep and has no alias.

use std::cell::Cell;

use serde::de::{self, DeserializeOwned, DeserializeSeed, Deserializer, EnumAccess, MapAccess, SeqAccess, Visitor};

use crate::error::{Error, Result};

/// Largest YAML document read: far above any kubeconfig (kubectl's are kilobytes).
pub const MAX_YAML: usize = 4 * 1024 * 1024;
/// Deepest nesting of `[` and `{` (and of any node, after parsing).
pub const MAX_DEPTH: usize = 32;
/// Most lines, brackets and commas a document may hold: a bound on the events libyaml keeps
/// in memory (about 100 bytes each) before anything is deserialised.
pub const MAX_ITEMS: usize = 200_000;
/// Most a document may expand to once every alias is replayed: bytes of scalars plus one per
/// node.
pub const MAX_EXPANDED: usize = 8 * 1024 * 1024;

/// Parses YAML (or JSON, which is YAML) from untrusted bytes into `T`, within the bounds above.
/// The message says where a syntax error is, never what is there (it may be key material).
pub fn from_slice<T: DeserializeOwned>(bytes: &[u8], source: &str, what: &str) -> Result<T> {
    if bytes.len() > MAX_YAML {
        return Err(Error::input(source, format!("{what} larger than {} MiB refused", MAX_YAML >> 20)));
    }
    let shape = shape(bytes);
    if shape.depth > MAX_DEPTH {
        return Err(Error::input(source, format!("{what} refused: its brackets nest deeper than {MAX_DEPTH} levels")));
    }
    if shape.items > MAX_ITEMS {
        return Err(Error::input(source, format!("{what} refused: more than {MAX_ITEMS} lines and items")));
    }
    let left = Cell::new(MAX_EXPANDED);
    let exceeded = Cell::new(None);
    let counted = Budget { left: &left, exceeded: &exceeded, depth: 0 }
        .deserialize(serde_norway::Deserializer::from_slice(bytes));
    if let Some(limit) = exceeded.get() {
        return Err(Error::input(source, format!("{what} refused: {limit}")));
    }
    counted.map_err(|e| Error::input(source, refusal(&e, what)))?;
    serde_norway::from_slice(bytes).map_err(|e| Error::input(source, refusal(&e, what)))
}

/// What is wrong with a document serde_norway refused: its own limits by name (their messages
/// quote nothing), anything else by place only.
fn refusal(e: &serde_norway::Error, what: &str) -> String {
    let text = e.to_string();
    for (limit, why) in [
        ("repetition limit exceeded", "its aliases repeat too often"),
        ("recursion limit exceeded", "it nests too deep"),
    ] {
        if text.starts_with(limit) {
            return format!("{what} refused: {why}");
        }
    }
    format!("not a valid {what}{}", crate::input::yaml_where(e))
}

/// What the bytes say before parsing: how deep flow collections nest, and how many lines,
/// brackets and commas there are.
#[derive(Debug, PartialEq, Eq)]
pub struct Shape {
    /// Deepest nesting of `[` and `{`.
    pub depth: usize,
    /// Lines, brackets and commas (in flow collections).
    pub items: usize,
    /// Comments (`#` at the start of a line or after a blank).
    pub comments: usize,
    /// Anchors (`&name`) where a node starts.
    pub anchors: usize,
    /// Tags (`!tag`) where a node starts.
    pub tags: usize,
    /// Aliases (`*name`) where a node starts.
    pub aliases: usize,
}

/// How deep `[` and `{` nest, counted on the bytes before parsing. It counts a bracket where a
/// node may start (and every bracket inside a flow collection) and skips quoted scalars and
/// comments, so it is never below the parser's flow level; it may be above it for brackets
/// inside block scalars, which kubeconfigs and CSR objects do not have.
pub fn shape(bytes: &[u8]) -> Shape {
    let (mut depth, mut max, mut node_start, mut i, mut items) = (0usize, 0usize, true, 0usize, 0usize);
    let (mut comments, mut anchors, mut tags, mut aliases) = (0usize, 0usize, 0usize, 0usize);
    let at = |j: usize| bytes.get(j).copied();
    let blank = |b: Option<u8>| matches!(b, None | Some(b' ' | b'\t' | b'\r' | b'\n'));
    while let Some(b) = at(i) {
        match b {
            b'#' if i == 0 || blank(at(i - 1)) => {
                comments += 1;
                while !matches!(at(i), None | Some(b'\n')) {
                    i += 1;
                }
                continue;
            }
            b'"' | b'\'' if node_start => {
                i += 1;
                while let Some(c) = at(i) {
                    if b == b'"' && c == b'\\' {
                        i += 1;
                    } else if c == b {
                        if b == b'\'' && at(i + 1) == Some(b'\'') {
                            i += 1;
                        } else {
                            break;
                        }
                    }
                    i += 1;
                }
                node_start = false;
            }
            b'[' | b'{' if node_start || depth > 0 => {
                items += 1;
                depth += 1;
                max = max.max(depth);
                node_start = true;
            }
            b']' | b'}' if depth > 0 => {
                depth -= 1;
                node_start = false;
            }
            b',' if depth > 0 => {
                items += 1;
                node_start = true;
            }
            b'\n' => {
                items += 1;
                node_start = true;
            }
            b' ' | b'\t' | b'\r' => {}
            b':' | b'-' | b'?' if blank(at(i + 1)) || (depth > 0 && b == b':') => node_start = true,
            // An anchor or a tag comes before the node it names: the node may still start.
            b'&' | b'!' | b'*' if node_start => {
                anchors += usize::from(b == b'&');
                tags += usize::from(b == b'!');
                aliases += usize::from(b == b'*');
                while !blank(at(i)) {
                    i += 1;
                }
                continue;
            }
            _ => node_start = false,
        }
        i += 1;
    }
    Shape { depth: max, items, comments, anchors, tags, aliases }
}

/// A pass over the parsed document that charges every node against what is left and refuses
/// nesting beyond [`MAX_DEPTH`]; each replayed alias is charged again.
struct Budget<'a> {
    left: &'a Cell<usize>,
    exceeded: &'a Cell<Option<&'static str>>,
    depth: usize,
}

impl Budget<'_> {
    fn charge<E: de::Error>(&self, n: usize) -> std::result::Result<(), E> {
        match self.left.get().checked_sub(n) {
            Some(rest) => {
                self.left.set(rest);
                Ok(())
            }
            None => self.exceed("its aliases expand it beyond 8 MiB"),
        }
    }

    fn exceed<E: de::Error>(&self, why: &'static str) -> std::result::Result<(), E> {
        self.exceeded.set(Some(why));
        Err(E::custom(why))
    }

    fn child<E: de::Error>(&self) -> std::result::Result<Budget<'_>, E> {
        if self.depth >= MAX_DEPTH {
            self.exceed("it nests deeper than 32 levels")?;
        }
        self.charge(1)?;
        Ok(Budget { left: self.left, exceeded: self.exceeded, depth: self.depth + 1 })
    }
}

impl<'de> DeserializeSeed<'de> for Budget<'_> {
    type Value = ();

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        d.deserialize_any(self)
    }
}

impl<'de> Visitor<'de> for Budget<'_> {
    type Value = ();

    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("any YAML value")
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> std::result::Result<(), E> {
        self.charge(1)
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> std::result::Result<(), E> {
        self.charge(1)
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> std::result::Result<(), E> {
        self.charge(1)
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> std::result::Result<(), E> {
        self.charge(1)
    }

    fn visit_str<E: de::Error>(self, v: &str) -> std::result::Result<(), E> {
        self.charge(v.len().saturating_add(1))
    }

    fn visit_bytes<E: de::Error>(self, v: &[u8]) -> std::result::Result<(), E> {
        self.charge(v.len().saturating_add(1))
    }

    fn visit_unit<E: de::Error>(self) -> std::result::Result<(), E> {
        self.charge(1)
    }

    fn visit_none<E: de::Error>(self) -> std::result::Result<(), E> {
        self.charge(1)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> std::result::Result<(), D::Error> {
        self.deserialize(d)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> std::result::Result<(), A::Error> {
        while seq.next_element_seed(self.child()?)?.is_some() {}
        Ok(())
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> std::result::Result<(), A::Error> {
        while map.next_key_seed(self.child()?)?.is_some() {
            map.next_value_seed(self.child()?)?;
        }
        Ok(())
    }

    fn visit_enum<A: EnumAccess<'de>>(self, data: A) -> std::result::Result<(), A::Error> {
        use serde::de::VariantAccess;
        let ((), variant) = data.variant_seed(self.child()?)?;
        variant.newtype_variant_seed(self.child()?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shape_counts_brackets_that_open_collections() {
        let depth = |b: &[u8]| shape(b).depth;
        assert_eq!(depth(b"a: [b, {c: [d]}]\n"), 3);
        assert_eq!(depth(b"preferences: {}\nname: a[b]c\n"), 1);
        assert_eq!(depth(b"a: \"[[[[\"\nb: '[[''[['\n# [[[[\n"), 0);
        assert_eq!(depth(b"a: &x [1]\nb: !!seq [[2]]\n"), 2);
        assert_eq!(depth(format!("a: {}", "[".repeat(100)).as_bytes()), 100);
        assert_eq!(
            shape(b"a: [b, c]\nd: e\n"),
            Shape { depth: 1, items: 4, comments: 0, anchors: 0, tags: 0, aliases: 0 }
        );
        let s = shape(b"# top\na: &x 1 # after\nb: *x\nc: 'not # a comment'\n");
        assert_eq!((s.comments, s.anchors), (2, 1));
    }

    #[test]
    fn aliases_that_expand_too_far_are_refused() {
        let big = "x".repeat(1 << 20);
        let refs = vec!["*a"; 20].join(", ");
        let doc = format!("a: &a {big}\nb: [{refs}]\n");
        let err = from_slice::<serde_norway::Value>(doc.as_bytes(), "t", "document").expect_err("refused");
        assert_eq!(err.exit_code(), 3);
        assert!(err.to_string().contains("aliases expand it beyond 8 MiB"), "{err}");
        let ok = format!("a: &a {}\nb: [{}]\n", "x".repeat(100), vec!["*a"; 20].join(", "));
        assert!(from_slice::<serde_norway::Value>(ok.as_bytes(), "t", "document").is_ok());
    }
}
