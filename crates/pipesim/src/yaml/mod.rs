//! YAML loading with spans, the way GitLab (Ruby Psych, `YAML.safe_load`) reads a CI file.
//!
//! Every node keeps its file, line and column. Anchors, aliases and `<<` merge keys are
//! resolved here; `!reference` tags are kept as [`Value::Reference`] for the config layer,
//! which resolves them after includes and `extends`, as GitLab does.

pub mod emit;
mod load;
pub mod reader;
mod scalar;
mod syntax_error;

pub use load::{load, load_at, Limits, Loaded, TOO_BIG_MESSAGE};
pub use scalar::{resolve_plain, ruby_float_to_s, Plain};

use crate::source::Span;

#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub value: Value,
    pub span: Span,
}

#[derive(Clone, Debug, PartialEq)]
pub enum Value {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    /// A Ruby symbol (`:name` plain scalar): Psych's safe_load permits symbols in GitLab.
    Symbol(String),
    Seq(Vec<Node>),
    Map(Map),
    /// `!reference [job, key, ...]`, resolved by the config layer.
    Reference(Vec<Node>),
}

/// A mapping in insertion order. Duplicate keys were already folded by the loader (last value
/// wins, first position kept, like a Ruby Hash).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Map {
    pub entries: Vec<(Node, Node)>,
}

impl Node {
    pub fn new(value: Value, span: Span) -> Self {
        Node { value, span }
    }

    pub fn as_str(&self) -> Option<&str> {
        match &self.value {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_map(&self) -> Option<&Map> {
        match &self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_map_mut(&mut self) -> Option<&mut Map> {
        match &mut self.value {
            Value::Map(m) => Some(m),
            _ => None,
        }
    }

    pub fn as_seq(&self) -> Option<&[Node]> {
        match &self.value {
            Value::Seq(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self.value {
            Value::Bool(b) => Some(b),
            _ => None,
        }
    }

    /// Ruby's `blank?`: nil, false, empty or whitespace-only strings, empty collections.
    pub fn is_blank(&self) -> bool {
        match &self.value {
            Value::Null | Value::Bool(false) => true,
            Value::Str(s) => s.trim().is_empty(),
            Value::Seq(s) => s.is_empty(),
            Value::Map(m) => m.is_empty(),
            _ => false,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self.value, Value::Null)
    }

    /// Shortcut for `node.as_map().and_then(|m| m.get(key))`.
    pub fn get(&self, key: &str) -> Option<&Node> {
        self.as_map().and_then(|m| m.get(key))
    }

    /// The value as Ruby's `to_s` would print it, for scalars (GitLab stringifies variable
    /// values and some other scalars this way). `None` for collections.
    pub fn scalar_to_s(&self) -> Option<String> {
        Some(match &self.value {
            Value::Null => String::new(),
            Value::Bool(b) => b.to_string(),
            Value::Int(i) => i.to_string(),
            Value::Float(f) => ruby_float_to_s(*f),
            Value::Str(s) | Value::Symbol(s) => s.clone(),
            Value::Seq(_) | Value::Map(_) | Value::Reference(_) => return None,
        })
    }

    /// [`Node::scalar_to_s`] that borrows strings and symbols (most keys) instead of copying.
    pub fn scalar_str(&self) -> Option<std::borrow::Cow<'_, str>> {
        match &self.value {
            Value::Str(s) | Value::Symbol(s) => Some(std::borrow::Cow::Borrowed(s)),
            _ => self.scalar_to_s().map(std::borrow::Cow::Owned),
        }
    }

    /// What kind of value this is, in the words GitLab's messages use.
    pub fn type_name(&self) -> &'static str {
        self.value.type_name()
    }

    /// Number of nodes in this tree, itself included.
    pub fn size(&self) -> usize {
        1 + match &self.value {
            Value::Seq(items) | Value::Reference(items) => items.iter().map(Node::size).sum(),
            Value::Map(m) => m.entries.iter().map(|(k, v)| k.size() + v.size()).sum(),
            _ => 0,
        }
    }
}

impl Value {
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Bool(_) => "boolean",
            Value::Int(_) => "integer",
            Value::Float(_) => "float",
            Value::Str(_) => "string",
            Value::Symbol(_) => "symbol",
            Value::Seq(_) => "array",
            Value::Map(_) => "hash",
            Value::Reference(_) => "!reference",
        }
    }
}

impl Map {
    /// Every entry by its key's string, for many lookups in one map (e.g. every job of a
    /// configuration): `get` is a linear scan.
    pub fn by_key(&self) -> std::collections::HashMap<std::borrow::Cow<'_, str>, &Node> {
        let mut table = std::collections::HashMap::with_capacity(self.entries.len());
        for (key, value) in &self.entries {
            if let Some(name) = key.scalar_str() {
                table.entry(name).or_insert(value);
            }
        }
        table
    }

    pub fn get(&self, key: &str) -> Option<&Node> {
        self.entry(key).map(|(_, v)| v)
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Node> {
        self.entries
            .iter_mut()
            .find(|(k, _)| key_is(k, key))
            .map(|(_, v)| v)
    }

    pub fn entry(&self, key: &str) -> Option<&(Node, Node)> {
        self.entries.iter().find(|(k, _)| key_is(k, key))
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.entry(key).is_some()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Sets `key`, keeping the position of an existing entry (Ruby `Hash#[]=`).
    pub fn insert(&mut self, key: Node, value: Node) {
        match self.entries.iter_mut().find(|(k, _)| k.value == key.value) {
            Some(slot) => slot.1 = value,
            None => self.entries.push((key, value)),
        }
    }

    pub fn remove(&mut self, key: &str) -> Option<(Node, Node)> {
        let index = self.entries.iter().position(|(k, _)| key_is(k, key))?;
        Some(self.entries.remove(index))
    }

    /// Keys as strings (non-string keys in their Ruby `to_s` form).
    pub fn keys(&self) -> impl Iterator<Item = String> + '_ {
        self.entries
            .iter()
            .map(|(k, _)| k.scalar_to_s().unwrap_or_default())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&Node, &Node)> {
        self.entries.iter().map(|(k, v)| (k, v))
    }
}

/// A hash index over a mapping's keys, so building or merging a mapping of n keys is O(n)
/// instead of O(n²) (a 5,000-job file has 5,000 top-level keys). Keys that cannot be hashed
/// (floats, collections) fall back to a linear scan; equality is `Value`'s, as without it.
/// Small mappings, most of a configuration (a job's keywords, a rule), are only scanned:
/// hashing their keys costs more than it saves.
#[derive(Default)]
pub(crate) struct KeyIndex {
    /// Key hash → position of the first entry with that hash.
    first: std::collections::HashMap<u64, usize>,
    /// Positions of later entries whose hash collided with an earlier, different key.
    collided: Vec<usize>,
    /// How many entries the hash covers: none while the mapping is small, then all.
    covered: usize,
}

/// Mappings up to this many entries are scanned rather than hashed.
const SCAN_LIMIT: usize = 16;

/// A hash of the scalar keys Ruby hashes by value; `None` for the others.
fn key_hash(value: &Value) -> Option<u64> {
    use std::hash::{Hash, Hasher};
    // Fixed keys: the index must behave the same on every run (and wasm has no entropy).
    let mut hasher = std::hash::BuildHasher::build_hasher(&std::hash::BuildHasherDefault::<
        std::collections::hash_map::DefaultHasher,
    >::default());
    match value {
        Value::Null => 0u8.hash(&mut hasher),
        Value::Bool(b) => (1u8, b).hash(&mut hasher),
        Value::Int(i) => (2u8, i).hash(&mut hasher),
        Value::Str(s) => (3u8, s.as_str()).hash(&mut hasher),
        Value::Symbol(s) => (4u8, s.as_str()).hash(&mut hasher),
        Value::Float(_) | Value::Seq(_) | Value::Map(_) | Value::Reference(_) => return None,
    }
    Some(hasher.finish())
}

impl KeyIndex {
    /// An index of `entries` as they are (the first of equal keys wins, like a linear `find`).
    pub(crate) fn of(entries: &[(Node, Node)]) -> KeyIndex {
        let mut index = KeyIndex::default();
        index.cover(entries);
        index
    }

    /// Hashes the entries not covered yet, once the mapping is big enough to be worth it.
    fn cover(&mut self, entries: &[(Node, Node)]) {
        if entries.len() <= SCAN_LIMIT {
            return;
        }
        for (position, (key, _)) in entries.iter().enumerate().skip(self.covered) {
            let Some(hash) = key_hash(&key.value) else {
                continue;
            };
            match self.first.entry(hash) {
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(position);
                }
                std::collections::hash_map::Entry::Occupied(slot) => {
                    // A collision, or a repeated key whose first position already answers.
                    let repeated = entries[*slot.get()].0.value == key.value
                        || self
                            .collided
                            .iter()
                            .any(|&i| entries[i].0.value == key.value);
                    if !repeated {
                        self.collided.push(position);
                    }
                }
            }
        }
        self.covered = entries.len();
    }

    /// Where `key` is in `entries` (which this index must describe).
    pub(crate) fn find(&self, entries: &[(Node, Node)], key: &Value) -> Option<usize> {
        let scan = || entries.iter().position(|(k, _)| k.value == *key);
        if self.covered == 0 {
            return scan();
        }
        let Some(hash) = key_hash(key) else {
            return scan();
        };
        let first = *self.first.get(&hash)?;
        if entries[first].0.value == *key {
            return Some(first);
        }
        self.collided
            .iter()
            .copied()
            .find(|&i| entries[i].0.value == *key)
    }

    /// Records that the last entry of `entries` holds a key that was not in the map before.
    pub(crate) fn added(&mut self, entries: &[(Node, Node)]) {
        self.cover(entries);
    }

    /// Ruby `Hash#[]=` on `map` through this index.
    pub(crate) fn insert(&mut self, map: &mut Map, key: Node, value: Node) {
        match self.find(&map.entries, &key.value) {
            Some(i) => map.entries[i].1 = value,
            None => {
                map.entries.push((key, value));
                self.added(&map.entries);
            }
        }
    }
}

/// GitLab symbolizes string keys (`deep_symbolize_keys`), so `"script"` and `:script` name the
/// same key; integer or boolean keys stay distinct.
fn key_is(key: &Node, name: &str) -> bool {
    match &key.value {
        Value::Str(s) | Value::Symbol(s) => s == name,
        _ => false,
    }
}

/// Ruby's deep merge of hashes (`Hash#deep_merge`): nested hashes merge, everything else
/// (arrays, scalars) is replaced by `other`. Used by `include` and `extends`.
pub fn deep_merge(base: &mut Node, other: &Node) {
    match (&mut base.value, &other.value) {
        // Big merges (an include's jobs into the root) go through a hash index.
        (Value::Map(base_map), Value::Map(other_map))
            if base_map.len().saturating_mul(other_map.len()) > 256 =>
        {
            let mut index = KeyIndex::of(&base_map.entries);
            for (key, value) in &other_map.entries {
                match index.find(&base_map.entries, &key.value) {
                    Some(i) => deep_merge(&mut base_map.entries[i].1, value),
                    None => {
                        base_map.entries.push((key.clone(), value.clone()));
                        index.added(&base_map.entries);
                    }
                }
            }
        }
        (Value::Map(base_map), Value::Map(other_map)) => {
            for (key, value) in &other_map.entries {
                match base_map
                    .entries
                    .iter_mut()
                    .find(|(k, _)| k.value == key.value)
                {
                    Some((_, existing)) => deep_merge(existing, value),
                    None => base_map.entries.push((key.clone(), value.clone())),
                }
            }
        }
        _ => *base = other.clone(),
    }
}

/// [`deep_merge`] of a node the caller gives up: its nodes are moved into `base`, not copied.
pub fn deep_merge_owned(base: &mut Node, other: Node) {
    let Node { value, span } = other;
    match (&mut base.value, value) {
        (Value::Map(base_map), Value::Map(other_map))
            if base_map.len().saturating_mul(other_map.len()) > 256 =>
        {
            let mut index = KeyIndex::of(&base_map.entries);
            for (key, value) in other_map.entries {
                match index.find(&base_map.entries, &key.value) {
                    Some(i) => deep_merge_owned(&mut base_map.entries[i].1, value),
                    None => {
                        base_map.entries.push((key, value));
                        index.added(&base_map.entries);
                    }
                }
            }
        }
        (Value::Map(base_map), Value::Map(other_map)) => {
            for (key, value) in other_map.entries {
                match base_map
                    .entries
                    .iter_mut()
                    .find(|(k, _)| k.value == key.value)
                {
                    Some((_, existing)) => deep_merge_owned(existing, value),
                    None => base_map.entries.push((key, value)),
                }
            }
        }
        (_, value) => *base = Node::new(value, span),
    }
}

#[cfg(test)]
mod tests;
