//! The fields the map keeps, read within one budget: every map entry (`data`, `binaryData`,
//! `stringData`, labels) and list element (volumes, containers, env, sources, items, webhooks)
//! of the objects it reads is charged before it is allocated, so that a dump of tiny values
//! cannot grow tenfold once parsed. `null` reads as empty, as the API server's Go types read it.

use std::cell::Cell;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::{Deserialize, Deserializer, Error, MapAccess, SeqAccess, Visitor};

/// Most map entries and list elements kept across the dumps.
pub const MAX_KEPT: usize = 1_000_000;

/// The message when the budget runs out.
pub const TOO_MANY_KEPT: &str = "more than 1000000 data entries and list elements in the objects read";

thread_local! {
    static LEFT: Cell<usize> = const { Cell::new(MAX_KEPT) };
    static OVER: Cell<Option<&'static str>> = const { Cell::new(None) };
}

/// Starts a new budget (one per reading of the dumps).
pub fn reset() {
    LEFT.with(|l| l.set(MAX_KEPT));
    OVER.with(|o| o.set(None));
}

/// The parse error that stops a reading because `bound` ran out, recorded so that the reader
/// tells it from any other parse error by [`over`], not by its text (serde's errors carry only
/// text).
pub fn refuse<E: Error>(bound: &'static str) -> E {
    OVER.with(|o| o.set(Some(bound)));
    E::custom(bound)
}

/// The bound that ran out in this reading, if one did.
pub fn over() -> Option<&'static str> {
    OVER.with(Cell::get)
}

fn charge<E: Error>() -> Result<(), E> {
    LEFT.with(|l| match l.get() {
        0 => Err(refuse(TOO_MANY_KEPT)),
        n => {
            l.set(n - 1);
            Ok(())
        }
    })
}

/// A list, each element charged; `null` is empty.
pub fn vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Vec<T>, D::Error> {
    struct V<T>(PhantomData<T>);
    impl<'de, T: Deserialize<'de>> Visitor<'de> for V<T> {
        type Value = Vec<T>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a list")
        }
        fn visit_unit<E: Error>(self) -> Result<Vec<T>, E> {
            Ok(Vec::new())
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Vec<T>, A::Error> {
            let mut out = Vec::new();
            while let Some(item) = seq.next_element()? {
                charge()?;
                out.push(item);
            }
            Ok(out)
        }
    }
    d.deserialize_any(V(PhantomData))
}

/// A list that may be absent (`None`) or `null` (also `None`).
pub fn opt_vec<'de, D: Deserializer<'de>, T: Deserialize<'de>>(d: D) -> Result<Option<Vec<T>>, D::Error> {
    vec(d).map(Some)
}

/// A string map, each entry charged; `null` is empty.
pub fn map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, String>, D::Error> {
    struct M;
    impl<'de> Visitor<'de> for M {
        type Value = BTreeMap<String, String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a map of strings")
        }
        fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
            Ok(BTreeMap::new())
        }
        fn visit_map<A: MapAccess<'de>>(self, mut access: A) -> Result<Self::Value, A::Error> {
            let mut out = BTreeMap::new();
            while let Some((k, v)) = access.next_entry::<String, String>()? {
                charge()?;
                out.insert(k, v);
            }
            Ok(out)
        }
    }
    d.deserialize_any(M)
}

/// A string map that may be absent (`None`); `null` is empty.
pub fn opt_map<'de, D: Deserializer<'de>>(d: D) -> Result<Option<BTreeMap<String, String>>, D::Error> {
    map(d).map(Some)
}

/// A boolean that may be `null` (false).
pub fn flag<'de, D: Deserializer<'de>>(d: D) -> Result<bool, D::Error> {
    Option::<bool>::deserialize(d).map(Option::unwrap_or_default)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize)]
    struct T {
        #[serde(default, deserialize_with = "map")]
        m: BTreeMap<String, String>,
        #[serde(default, deserialize_with = "vec")]
        v: Vec<u8>,
        #[serde(default, deserialize_with = "flag")]
        b: bool,
    }

    #[test]
    fn nulls_read_as_empty_and_the_budget_stops_reading() {
        reset();
        let t: T = serde_json::from_str(r#"{"m":null,"v":null,"b":null}"#).expect("nulls");
        assert!(t.m.is_empty() && t.v.is_empty() && !t.b);
        LEFT.with(|l| l.set(2));
        let e = serde_json::from_str::<T>(r#"{"m":{"a":"1","b":"2","c":"3"}}"#).err().expect("over");
        assert!(e.to_string().starts_with(TOO_MANY_KEPT), "{e}");
        reset();
    }
}
