//! Builds [`Node`] trees from saphyr-parser events, applying Psych's rules: anchors and
//! aliases, `<<` merge keys, duplicate keys (last wins), scalar typing and tags.

use std::collections::HashMap;

use saphyr_parser::{Event, Parser, ScalarStyle, ScanError, Span as YamlSpan, Tag};

use super::scalar::{resolve_plain, saturated_big_int, Plain};
use super::syntax_error::{is_translated, libyaml_error, Open};
use super::{KeyIndex, Map, Node, Value};
use crate::diagnostic::Finding;
use crate::source::{FileId, Span};

/// Bounds that keep hostile input (alias bombs, deep nesting) from exhausting the browser tab.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Nodes after alias expansion, a stand-in for GitLab's `max_yaml_size_bytes` check on the
    /// loaded hash.
    pub max_nodes: usize,
    /// Nesting depth; GitLab's `max_yaml_depth` defaults to 100.
    pub max_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_nodes: 2_000_000,
            max_depth: 100,
        }
    }
}

/// The documents of one YAML file, and what went wrong reading it.
#[derive(Debug, Default)]
pub struct Loaded {
    pub documents: Vec<Node>,
    pub findings: Vec<Finding>,
    /// A fatal problem (syntax error, limit exceeded): `documents` is then empty.
    pub failed: bool,
}

/// Message GitLab gives when the loaded YAML exceeds its size or depth limit.
pub const TOO_BIG_MESSAGE: &str = "The parsed YAML is too big";

pub fn load(text: &str, file: FileId, limits: Limits) -> Loaded {
    load_at(text, file, 0, limits)
}

/// Loads `text` that starts on line `line_offset + 1` of `file` (one piece of a file GitLab
/// splits into documents textually).
pub fn load_at(text: &str, file: FileId, line_offset: u32, limits: Limits) -> Loaded {
    let mut builder = Builder {
        file,
        line_offset,
        limits,
        stack: Vec::new(),
        anchors: HashMap::new(),
        documents: Vec::new(),
        findings: Vec::new(),
        nodes: 0,
    };
    let mut parser = Parser::new_from_str(text);
    loop {
        match parser.next_event() {
            None => break,
            Some(Ok((event, span))) => {
                if let Err(fatal) = builder.on_event(event, span) {
                    builder.findings.push(fatal);
                    return Loaded {
                        documents: Vec::new(),
                        findings: builder.findings,
                        failed: true,
                    };
                }
            }
            Some(Err(error)) => {
                let open = builder.open_collections(text);
                builder
                    .findings
                    .push(syntax_error(&error, text, file, line_offset, &open));
                return Loaded {
                    documents: Vec::new(),
                    findings: builder.findings,
                    failed: true,
                };
            }
        }
    }
    Loaded {
        documents: builder.documents,
        findings: builder.findings,
        failed: false,
    }
}

fn syntax_error(
    error: &ScanError,
    text: &str,
    file: FileId,
    line_offset: u32,
    open: &[Open],
) -> Finding {
    let mark = error.marker();
    let line = mark.line() as u32;
    let column = mark.col() as u32 + 1;
    if error.info().contains("unknown anchor") {
        // Psych::BadAlias, as GitLab's yaml_processor_spec shows: "Unknown alias: bad_alias".
        let name: String = text
            .chars()
            .skip(mark.index())
            .skip_while(|c| *c == '*')
            .take_while(|c| !c.is_whitespace() && !",[]{}".contains(*c))
            .collect();
        return Finding::error(
            "yaml-unknown-alias",
            format!("Unknown alias: {name}"),
            Some(Span::new(file, line.max(1) + line_offset, column)),
        )
        .explain(format!(
            "`*{name}` refers to an anchor `&{name}` that is not defined earlier in this file. Anchors \
             work only within one file and must come before their aliases; across files use `extends` \
             or `!reference`."
        ));
    }
    if error.info().contains("recursion limit exceeded") {
        // The parser's own nesting limit (deeper than GitLab's max_yaml_depth of 100, which
        // libyaml does not have): GitLab reads such a file and rejects it as too deep.
        return Finding::error(
            "yaml-too-big",
            TOO_BIG_MESSAGE,
            Some(Span::new(file, line.max(1) + line_offset, column)),
        )
        .explain(
            "The nesting is deeper than GitLab's limit of 100 levels, so GitLab rejects the \
             configuration with this message.",
        );
    }
    // Psych's message in libyaml's words (yaml/syntax_error.rs); the span stays where our
    // parser noticed the problem, which is often past libyaml's context mark.
    let libyaml = libyaml_error(
        error.info(),
        (line.max(1) as usize, column as usize),
        text,
        open,
    );
    let mut explanation = String::from(
        "The file is not valid YAML, so GitLab cannot read any of it. Check the indentation and \
         quoting around this position: the problem is often on this line or the one before.",
    );
    if !is_translated(&libyaml, error.info()) {
        explanation.push_str(
            " pipesim does not know libyaml's wording for this error: GitLab's message may \
             differ.",
        );
    }
    // A character that cannot start a token (a tab in the indentation) is libyaml's mark too.
    let (line, column) = if libyaml.problem == "found character that cannot start any token" {
        (libyaml.line as u32, libyaml.column as u32)
    } else {
        (line.max(1), column)
    };
    Finding::error(
        "yaml-syntax",
        libyaml.message(),
        Some(Span::new(file, line + line_offset, column)),
    )
    .explain(explanation)
}

enum Frame {
    Seq {
        items: Vec<Node>,
        span: Span,
        anchor: usize,
        reference: bool,
    },
    Map {
        map: Map,
        span: Span,
        anchor: usize,
        pending_key: Option<Node>,
        /// `<<` values seen in this mapping, merged in order when the mapping ends.
        merges: Vec<(usize, Node)>,
        /// Finds an earlier equal key in O(1): duplicate keys are checked for every key.
        index: KeyIndex,
    },
}

struct Builder {
    file: FileId,
    line_offset: u32,
    limits: Limits,
    stack: Vec<Frame>,
    anchors: HashMap<usize, Node>,
    documents: Vec<Node>,
    findings: Vec<Finding>,
    nodes: usize,
}

impl Builder {
    /// The collections still open, outermost first, for the wording of a syntax error.
    fn open_collections(&self, text: &str) -> Vec<Open> {
        self.stack
            .iter()
            .map(|frame| {
                let (span, mapping) = match frame {
                    Frame::Seq { span, .. } => (span, false),
                    Frame::Map { span, .. } => (span, true),
                };
                let line = span.line.saturating_sub(self.line_offset) as usize;
                let first = text
                    .lines()
                    .nth(line.saturating_sub(1))
                    .and_then(|l| l.chars().nth((span.column as usize).saturating_sub(1)));
                Open {
                    line,
                    column: span.column as usize,
                    mapping,
                    flow: matches!(first, Some('[' | '{')),
                }
            })
            .collect()
    }

    fn span(&self, span: YamlSpan) -> Span {
        Span::new(
            self.file,
            span.start.line() as u32 + self.line_offset,
            span.start.col() as u32 + 1,
        )
    }

    fn too_big(&self, span: Span) -> Finding {
        Finding::error("yaml-too-big", TOO_BIG_MESSAGE, Some(span)).explain(format!(
            "After expanding anchors and aliases the configuration exceeds pipesim's limits \
             ({} nodes, {} levels of nesting). GitLab rejects configurations whose loaded size or \
             depth exceed its own limits with this message.",
            self.limits.max_nodes, self.limits.max_depth
        ))
    }

    fn count(&mut self, n: usize, span: Span) -> Result<(), Finding> {
        self.nodes += n;
        if self.nodes > self.limits.max_nodes {
            return Err(self.too_big(span));
        }
        Ok(())
    }

    fn on_event(&mut self, event: Event<'_>, span: YamlSpan) -> Result<(), Finding> {
        let at = self.span(span);
        match event {
            Event::Nothing | Event::StreamStart | Event::StreamEnd | Event::DocumentEnd => {}
            Event::DocumentStart(_) => self.anchors.clear(),
            Event::Alias(id) => {
                if !self.anchors.contains_key(&id) {
                    if let Some(node) = self.open_alias(id, at)? {
                        return self.push_value(node, 0);
                    }
                }
                let Some(anchored) = self.anchors.get(&id) else {
                    return Err(Finding::error(
                        "yaml-syntax",
                        format!(
                            "(<unknown>): An alias referenced an unknown anchor at line {} column {}",
                            at.line, at.column
                        ),
                        Some(at),
                    ));
                };
                // Charge the copy to the budget before making it: alias bombs stop here.
                let size = anchored.size();
                self.count(size, at)?;
                let node = self.anchors[&id].clone();
                self.push_value(node, 0)?;
            }
            Event::Scalar(text, style, anchor, tag) => {
                self.count(1, at)?;
                let value = self.scalar_value(&text, style, tag.as_deref(), at)?;
                self.push_value(Node::new(value, at), anchor)?;
            }
            Event::SequenceStart(anchor, tag) => {
                self.count(1, at)?;
                if let Some(tag) = tag.as_deref() {
                    check_tag(tag, TagOn::Sequence, "", at)?;
                }
                if self.stack.len() >= self.limits.max_depth {
                    return Err(self.too_big(at));
                }
                let reference = tag.as_deref().is_some_and(is_reference_tag);
                self.stack.push(Frame::Seq {
                    items: Vec::new(),
                    span: at,
                    anchor,
                    reference,
                });
            }
            Event::MappingStart(anchor, tag) => {
                self.count(1, at)?;
                if let Some(tag) = tag.as_deref() {
                    check_tag(tag, TagOn::Mapping, "", at)?;
                }
                if self.stack.len() >= self.limits.max_depth {
                    return Err(self.too_big(at));
                }
                self.stack.push(Frame::Map {
                    map: Map::default(),
                    span: at,
                    anchor,
                    pending_key: None,
                    merges: Vec::new(),
                    index: KeyIndex::default(),
                });
            }
            Event::SequenceEnd => {
                if let Some(Frame::Seq {
                    mut items,
                    span,
                    anchor,
                    reference,
                }) = self.stack.pop()
                {
                    // Collections grow by doubling while they are read; the finished tree
                    // is kept for the whole simulation, so it is trimmed to size.
                    items.shrink_to_fit();
                    let value = if reference {
                        Value::Reference(items)
                    } else {
                        Value::Seq(items)
                    };
                    self.push_value(Node::new(value, span), anchor)?;
                }
            }
            Event::MappingEnd => {
                if let Some(Frame::Map {
                    mut map,
                    span,
                    anchor,
                    merges,
                    ..
                }) = self.stack.pop()
                {
                    map.entries.shrink_to_fit();
                    apply_merges(&mut map, merges);
                    self.push_value(Node::new(Value::Map(map), span), anchor)?;
                }
            }
        }
        Ok(())
    }

    /// An alias to a collection that is still being read (`a: &a {<<: *a}`). Psych registers a
    /// mapping under its anchor before reading its entries (`ToRuby#register`), so the alias is
    /// the mapping itself: as a `<<` merge it merges the entries read so far (into itself: no
    /// change), anywhere else it makes the value contain itself, which GitLab's size check
    /// (`Gitlab::Utils::DeepSize`, `max_yaml_depth`) finds infinitely deep. `None`: no such
    /// open anchor.
    fn open_alias(&mut self, id: usize, at: Span) -> Result<Option<Node>, Finding> {
        let open = self.stack.iter().find(|frame| match frame {
            Frame::Seq { anchor, .. } | Frame::Map { anchor, .. } => *anchor == id,
        });
        let Some(open) = open else {
            return Ok(None);
        };
        let merging = matches!(
            self.stack.last(),
            Some(Frame::Map { pending_key: Some(key), .. }) if is_merge_key(key)
        );
        match open {
            Frame::Map { map, span, .. } if merging => {
                let snapshot = Node::new(Value::Map(map.clone()), *span);
                let size = snapshot.size();
                self.count(size, at)?;
                Ok(Some(snapshot))
            }
            _ => Err(self.too_big(at).explain(
                "This alias refers to the collection it is part of, so the value would contain \
                 itself without end; GitLab's YAML size check finds it deeper than its limit of \
                 100 levels and rejects the configuration with this message.",
            )),
        }
    }

    fn scalar_value(
        &mut self,
        text: &str,
        style: ScalarStyle,
        tag: Option<&Tag>,
        at: Span,
    ) -> Result<Value, Finding> {
        if let Some(tag) = tag {
            if style == ScalarStyle::Plain {
                check_tag(tag, TagOn::Scalar, text, at)?;
            }
            if tag.handle == "tag:yaml.org,2002:" || tag.handle == "!!" {
                return Ok(match tag.suffix.as_str() {
                    "str" => Value::Str(text.to_owned()),
                    "null" => Value::Null,
                    _ => self.plain(text, at)?,
                });
            }
            if is_reference_tag(tag) {
                // Tags::Base#valid? wants a non-empty array of strings.
                return Err(Finding::error(
                    "reference-invalid",
                    format!("!reference {} is not valid", crate::ruby::inspect_str(text)),
                    Some(at),
                ));
            }
        }
        if style != ScalarStyle::Plain {
            return Ok(Value::Str(text.to_owned()));
        }
        self.plain(text, at)
    }

    fn plain(&mut self, text: &str, at: Span) -> Result<Value, Finding> {
        match resolve_plain(text) {
            Plain::Value(Value::Str(s)) => match saturated_big_int(&s) {
                Some(n) => {
                    self.findings.push(
                        Finding::info(
                            "yaml-big-integer",
                            format!("`{text}` is an integer beyond 64 bits; pipesim reads it as {n}"),
                            Some(at),
                        )
                        .explain(
                            "Ruby reads any integer, so GitLab sees this number as written: it passes every check for an integer and is compared by its value. pipesim keeps numbers in 64 bits; limits and messages come out as GitLab's, but where the number is printed (a variable's value, `pipesim expand`) pipesim shows the 64-bit bound instead of these digits.",
                        ),
                    );
                    Ok(Value::Int(n))
                }
                None => Ok(Value::Str(s)),
            },
            Plain::Value(v) => Ok(v),
            Plain::DisallowedClass(class) => Err(Finding::error(
                "yaml-disallowed-class",
                format!("Tried to load unspecified class: {class}"),
                Some(at),
            )
            .explain(format!(
                "`{text}` looks like a {} to YAML, and GitLab's safe YAML loader refuses dates and \
                 times. Quote it (\"{text}\") to make it a string.",
                class.to_lowercase()
            ))),
        }
    }

    fn push_value(&mut self, node: Node, anchor: usize) -> Result<(), Finding> {
        if anchor > 0 {
            self.anchors.insert(anchor, node.clone());
        }
        match self.stack.last_mut() {
            None => self.documents.push(node),
            Some(Frame::Seq { items, .. }) => items.push(node),
            Some(Frame::Map {
                map,
                pending_key,
                merges,
                index,
                ..
            }) => match pending_key.take() {
                None => *pending_key = Some(node),
                Some(key) => {
                    if is_merge_key(&key) && merges_hashes(&node) {
                        merges.push((map.entries.len(), node));
                    } else if let Some(at) = index.find(&map.entries, &key.value) {
                        let existing = &mut map.entries[at];
                        let first = existing.0.span;
                        let name = key.scalar_to_s().unwrap_or_default();
                        self.findings.push(
                            Finding::warning(
                                "yaml-duplicate-key",
                                format!("duplicate key `{name}`: the last value is used"),
                                Some(key.span),
                            )
                            .explain(format!(
                                "`{name}` is also defined at line {}. GitLab's YAML loader keeps \
                                 only the last value, without a warning, so the earlier one is \
                                 silently ignored.",
                                first.line
                            ))
                            .related(first),
                        );
                        existing.1 = node;
                    } else {
                        map.entries.push((key, node));
                        index.added(&map.entries);
                    }
                }
            },
        }
        Ok(())
    }
}

/// Psych's `safe_load` (GitLab permits only `Symbol`) refuses the Ruby object tags: the class a
/// tag names is looked up through `ClassLoader::Restricted#find`, which raises
/// `Psych::DisallowedClass` ("Tried to load unspecified class: NAME"); GitLab's loader passes
/// the message on (lib/gitlab/config/loader/yaml.rb rescues `Psych::Exception`). Which tag
/// loads which class follows `Psych::Visitors::ToRuby` (`deserialize` for scalars,
/// `visit_Psych_Nodes_Sequence`, `visit_Psych_Nodes_Mapping`); other tags are ignored there.
#[derive(Clone, Copy, PartialEq, Eq)]
enum TagOn {
    /// A plain (unquoted) scalar, with its text: quoted scalars ignore their tag.
    Scalar,
    Sequence,
    Mapping,
}

fn check_tag(tag: &Tag, on: TagOn, text: &str, at: Span) -> Result<(), Finding> {
    let Some(class) = disallowed_class(tag, on, text) else {
        return Ok(());
    };
    Err(Finding::error(
        "yaml-disallowed-class",
        format!("Tried to load unspecified class: {class}"),
        Some(at),
    )
    .explain(format!(
        "`!{}` asks YAML for a Ruby {class} object; GitLab's safe YAML loader builds only plain \
         values (strings, numbers, booleans, lists, hashes, symbols), so it refuses the whole \
         configuration. Remove the tag.",
        tag.suffix
    )))
}

fn disallowed_class(tag: &Tag, on: TagOn, text: &str) -> Option<String> {
    if tag.handle != "!" {
        return None;
    }
    let suffix = tag.suffix.as_str();
    // `ClassLoader#load` of an empty name is no class (the plain value is built instead).
    let named = |prefixes: &[&str]| {
        prefixes.iter().find_map(|prefix| {
            suffix
                .strip_prefix(prefix)
                .filter(|name| !name.is_empty())
                .map(str::to_owned)
        })
    };
    let optional = |base: &str, default: &str| {
        (suffix == base || suffix.starts_with(&format!("{base}:"))).then(|| {
            suffix
                .strip_prefix(base)
                .and_then(|rest| rest.strip_prefix(':'))
                .filter(|name| !name.is_empty())
                .unwrap_or(default)
                .to_owned()
        })
    };
    match on {
        TagOn::Scalar => match suffix {
            "ruby/object:BigDecimal" => Some("BigDecimal".into()),
            "ruby/object:DateTime" => Some("DateTime".into()),
            "ruby/object:Complex" => Some("Complex".into()),
            "ruby/object:Rational" => Some("Rational".into()),
            "ruby/regexp" => Some("Regexp".into()),
            "ruby/range" => Some("Range".into()),
            // The class is the scalar's text (`!ruby/class String`).
            "ruby/class" | "ruby/module" => (!text.is_empty()).then(|| text.to_owned()),
            _ => named(&["str:", "ruby/string:"]),
        },
        TagOn::Sequence => named(&["seq:", "ruby/array:"]),
        TagOn::Mapping => {
            if suffix == "ruby/object:Hash" {
                return None;
            }
            if matches!(suffix, "ruby/object:Complex" | "ruby/object:Rational") {
                return suffix.strip_prefix("ruby/object:").map(str::to_owned);
            }
            if suffix == "ruby/range" {
                return Some("Range".into());
            }
            if matches!(suffix, "omap") {
                return Some("Psych::Omap".into());
            }
            if matches!(suffix, "set") {
                return Some("Psych::Set".into());
            }
            optional("ruby/struct", "Struct")
                .or_else(|| optional("ruby/object", "Object"))
                .or_else(|| optional("ruby/exception", "Exception"))
                .or_else(|| {
                    named(&[
                        "str:",
                        "ruby/string:",
                        "ruby/array:",
                        "ruby/hash-with-ivars:",
                        "map:",
                        "ruby/hash:",
                        "ruby/marshalable:",
                    ])
                })
        }
    }
}

fn is_reference_tag(tag: &Tag) -> bool {
    tag.handle == "!" && tag.suffix == "reference"
}

fn is_merge_key(key: &Node) -> bool {
    matches!(&key.value, Value::Str(s) if s == "<<")
}

/// Psych merges `<<: mapping` and `<<: [mappings]`; any other value stays an ordinary `<<` key.
fn merges_hashes(value: &Node) -> bool {
    match &value.value {
        Value::Map(_) => true,
        Value::Seq(items) => items.iter().all(|i| matches!(i.value, Value::Map(_))),
        _ => false,
    }
}

/// Psych's `revive_hash` runs `hash.merge!(merged)` at the position of the `<<` key: merged keys
/// override keys written *before* `<<`, and keys written after it override the merged ones. In
/// a list of merges the earlier mapping wins.
fn apply_merges(map: &mut Map, merges: Vec<(usize, Node)>) {
    if merges.is_empty() {
        return;
    }
    let mut result = Map::default();
    let mut index = KeyIndex::default();
    let mut merges = merges.into_iter().peekable();
    let own = std::mem::take(&mut map.entries);
    for (position, (key, value)) in own.into_iter().enumerate() {
        while let Some((_, merge)) = merges.next_if(|(at, _)| *at == position) {
            merge_into(&mut result, &mut index, merge);
        }
        index.insert(&mut result, key, value);
    }
    for (_, merge) in merges {
        merge_into(&mut result, &mut index, merge);
    }
    *map = result;
}

fn merge_into(target: &mut Map, index: &mut KeyIndex, merge: Node) {
    match merge.value {
        Value::Map(m) => {
            for (k, v) in m.entries {
                index.insert(target, k, v);
            }
        }
        Value::Seq(items) => {
            let mut combined = Map::default();
            let mut combined_index = KeyIndex::default();
            for item in items.into_iter().rev() {
                if let Value::Map(m) = item.value {
                    for (k, v) in m.entries {
                        combined_index.insert(&mut combined, k, v);
                    }
                }
            }
            for (k, v) in combined.entries {
                index.insert(target, k, v);
            }
        }
        _ => {}
    }
}
