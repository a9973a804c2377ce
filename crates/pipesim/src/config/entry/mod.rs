//! Mirrors lib/gitlab/config/entry/{node,validatable,configurable,validator,validators}.rb: the
//! machinery GitLab's CI entry classes (lib/gitlab/ci/config/entry/**) are built on, and the
//! entry tree itself, one module per entry class.
//!
//! An entry declares its validations as data (a table of [`Rule`]s, as a class's `validations
//! do` block reads) and composes its children in code. [`run`] interprets a table the way
//! ActiveModel runs validators: in declaration order, each adding its messages. A message is
//! built as `Gitlab::Config::Entry::Validator#messages` builds it: the `:`-joined location, a
//! space, the humanized attribute and the validator's text, all lower-cased.
//!
//! `Configurable#compose!` returns early when an entry has an error of its own, so its
//! children are not validated; `Validatable#errors` lists the entry's own messages first, then
//! its children's in the order the class declares them. Entries follow both rules.

pub mod allow_failure;
pub mod artifacts;
pub mod auto_cancel;
pub mod bridge;
pub mod cache;
pub mod caches;
pub mod changes;
pub mod commands;
pub mod coverage;
pub mod default;
pub mod environment;
pub mod exists;
pub mod hooks;
pub mod id_tokens;
pub mod image;
pub mod include;
pub mod include_rule;
pub mod include_rules;
pub mod includes;
pub mod inherit;
pub mod job;
pub mod job_input;
pub mod jobs;
pub mod key;
pub mod need;
pub mod needs;
pub mod pages;
pub mod parallel;
pub mod policy;
pub mod processable;
pub mod publish;
pub mod release;
pub mod reports;
pub mod retry;
pub mod root;
pub mod rule;
pub mod rules;
pub mod run;
pub mod secrets;
pub mod services;
pub mod stages;
pub mod tags;
pub mod timeout;
pub mod trigger;
pub mod variables;
pub mod workflow;

use crate::diagnostic::Finding;
use crate::source::Span;
use crate::yaml::{Map, Node, Value};

use super::duration::{self, parse_seconds};

pub use jobs::{job_kind, runnable_job_kind, JobKind};
pub use parallel::{matrix_entry_size, PARALLEL_LIMIT};
pub use root::GLOBAL_KEYS;

/// What entry validation found.
#[derive(Default)]
pub struct Validation {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
}

/// `Gitlab::Ci::Config::Entry::Root#compose!` on the merged configuration. `lenient`: some
/// include could not be read offline, so a job that `extends` something may get its `script`
/// from there; such jobs are not reported as lacking one.
pub fn validate(root: &Node, lenient: bool) -> Validation {
    let mut cx = Cx {
        errors: Vec::new(),
        warnings: Vec::new(),
        has_workflow_rules: false,
        lenient,
        regexps: std::collections::HashMap::new(),
    };
    root::validate(&mut cx, root);
    Validation {
        errors: cx.errors,
        warnings: cx.warnings,
    }
}

/// The validation run: messages in GitLab's order, and what entries read from the whole tree
/// (`deps` in GitLab: whether `workflow:rules` exist).
pub struct Cx {
    pub errors: Vec<Finding>,
    pub warnings: Vec<Finding>,
    pub has_workflow_rules: bool,
    pub lenient: bool,
    /// Whether each `/regexp/` seen so far compiles: many jobs repeat the same refs.
    pub regexps: std::collections::HashMap<String, bool>,
}

impl Cx {
    /// [`is_valid_regexp`], remembered per text.
    pub fn valid_regexp(&mut self, text: &str) -> bool {
        if let Some(valid) = self.regexps.get(text) {
            return *valid;
        }
        let valid = is_valid_regexp(text);
        self.regexps.insert(text.to_owned(), valid);
        valid
    }
}

impl Cx {
    /// An error as `Validator#messages` writes it: location, attribute text, lower-cased.
    pub fn error(&mut self, code: &'static str, loc: &Loc, text: &str, span: Span) -> &mut Finding {
        let message = format!("{loc} {text}").to_lowercase();
        self.errors.push(Finding::error(code, message, Some(span)));
        self.errors.last_mut().expect("just pushed")
    }

    /// An error whose text the entry writes itself (`UnknownStrategy#errors`): no downcasing.
    pub fn raw_error(&mut self, code: &'static str, message: String, span: Span) -> &mut Finding {
        self.errors.push(Finding::error(code, message, Some(span)));
        self.errors.last_mut().expect("just pushed")
    }

    pub fn mark(&self) -> usize {
        self.errors.len()
    }

    pub fn failed_since(&self, mark: usize) -> bool {
        self.errors.len() > mark
    }
}

/// The errors added since `mark`, taken out (to put an entry's own `on: :composed` messages
/// before its children's); no allocation when there are none.
pub fn take_from(cx: &mut Cx, mark: usize) -> Vec<Finding> {
    if cx.errors.len() > mark {
        cx.errors.split_off(mark)
    } else {
        Vec::new()
    }
}

/// Where an entry is, as GitLab's messages name it (`jobs:build:rules:rule`): `Node#location`,
/// the ancestors' keys joined by `:`. The parts are joined only when a message is written.
#[derive(Clone, Copy)]
pub struct Loc<'a> {
    parent: Option<&'a Loc<'a>>,
    part: &'a str,
}

impl<'a> Loc<'a> {
    pub fn root(part: &'a str) -> Self {
        Loc { parent: None, part }
    }

    /// The location of an entry beside this one (same parent).
    pub fn sibling(&self, part: &'a str) -> Loc<'a> {
        Loc {
            parent: self.parent,
            part,
        }
    }

    pub fn child(&'a self, part: &'a str) -> Loc<'a> {
        Loc {
            parent: Some(self),
            part,
        }
    }
}

impl std::fmt::Display for Loc<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if let Some(parent) = self.parent {
            write!(f, "{parent}:")?;
        }
        f.write_str(self.part)
    }
}

/// One entry being validated: its config, its location, and where a message about something
/// missing points (the job key for a job, the node itself otherwise).
#[derive(Clone, Copy)]
pub struct Entry<'a> {
    pub node: &'a Node,
    pub loc: &'a Loc<'a>,
    pub anchor: Span,
    /// A one-word filter of the keys the config has, so that looking up the many keys an entry
    /// declares but a config rarely sets costs a bit test instead of a scan.
    keys: u64,
}

/// The filter bit of a key name.
fn key_bit(name: &str) -> u64 {
    let bytes = name.as_bytes();
    let first = bytes.first().copied().unwrap_or(0) as usize;
    let last = bytes.last().copied().unwrap_or(0) as usize;
    1 << ((bytes.len() * 31 + first * 7 + last) % 64)
}

fn key_filter(node: &Node) -> u64 {
    match node.as_map() {
        Some(map) => map.entries.iter().fold(0, |bits, (k, _)| match &k.value {
            Value::Str(s) | Value::Symbol(s) => bits | key_bit(s),
            _ => u64::MAX,
        }),
        None => 0,
    }
}

impl<'a> Entry<'a> {
    pub fn new(node: &'a Node, loc: &'a Loc<'a>) -> Self {
        Self::with_anchor(node, loc, node.span)
    }

    /// An entry whose messages about something missing point at `anchor` (a job's key).
    pub fn with_anchor(node: &'a Node, loc: &'a Loc<'a>, anchor: Span) -> Self {
        Entry {
            node,
            loc,
            anchor,
            keys: key_filter(node),
        }
    }

    pub fn map(&self) -> Option<&'a Map> {
        self.node.as_map()
    }

    /// `Attributable`: `config[:key]` when the config is a hash; a `null` value is nil.
    pub fn attr(&self, key: &str) -> Option<&'a Node> {
        if self.keys & key_bit(key) == 0 {
            return None;
        }
        self.node.get(key).filter(|n| !n.is_null())
    }

    pub fn has(&self, key: &str) -> bool {
        self.keys & key_bit(key) != 0 && self.map().is_some_and(|m| m.contains_key(key))
    }

    /// The key node of `key`, for messages about a key.
    pub fn key_span(&self, key: &str) -> Option<Span> {
        self.map().and_then(|m| m.entry(key)).map(|(k, _)| k.span)
    }

    /// A child entry at `loc` (its `Factory#create!`).
    pub fn child(&self, node: &'a Node, loc: &'a Loc<'a>) -> Entry<'a> {
        Entry::new(node, loc)
    }
}

/// The classes `TypeValidator` names.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ty {
    String,
    Hash,
    Array,
    Integer,
    Symbol,
}

/// The validators of lib/gitlab/config/entry/validators.rb and the ActiveModel ones GitLab's
/// entries use, each with its text.
#[derive(Clone, Copy)]
pub enum Check {
    /// `type: X` (`should be a string`, `should be an array`), or `type: { message: }`.
    Type(Ty, Option<&'static str>),
    /// ActiveModel `presence` (`can't be blank`, Ruby `blank?`), optional custom message.
    Presence(Option<&'static str>),
    /// ActiveModel `absence` (`must be blank`), optional custom message.
    Absence(Option<&'static str>),
    Boolean,
    ArrayOfStrings,
    ArrayOfStringsOrString,
    ArrayOrString,
    ArrayOfHashes,
    HashOrString,
    HashOrBoolean,
    HashOrInteger,
    ArrayOfIntegersOrInteger,
    StringOrNestedArrayOfStrings(usize),
    NestedArrayOfStrings(usize),
    NestedArrayOfHashesOrArrays(usize),
    /// `duration:` with ChronicDuration; `limit` in seconds (strictly less than), `never`
    /// accepted (`DurationParser`), `variable` skips values with `$VAR`.
    Duration {
        limit: Option<u64>,
        never: bool,
        variable: bool,
    },
    /// ActiveModel `inclusion` with its message (`value` compared as is: strings only).
    Inclusion(&'static [&'static str], &'static str),
    /// `allowed_values`: `unknown value: x` (compares `to_s`).
    AllowedValues(&'static [&'static str]),
    /// `allowed_array_values`: `contains unknown values: a, b` (arrays only).
    AllowedArrayValues(&'static [&'static str]),
    /// `allowed_keys`: `contains unknown keys: a, b`; the second list is added to the first.
    AllowedKeys(&'static [&'static str], &'static [&'static str]),
    /// `disallowed_keys` with an optional message and `ignore_nil`.
    DisallowedKeys(&'static [&'static str], Option<&'static str>, bool),
    RequiredKeys(&'static [&'static str]),
    OnlyOneOfKeys(&'static [&'static str]),
    MutuallyExclusiveKeys(&'static [&'static str]),
    /// ActiveModel `length: { maximum: }` on a string (`is too long (maximum is N characters)`).
    MaxChars(usize),
    /// `length: { maximum:, too_long: }` on an array; `%{count}` in the message.
    MaxItems(usize, &'static str),
    /// `length: { minimum:, too_short: }` on an array or hash.
    MinItems(usize, &'static str),
    /// `key`: a cache key or prefix (`/`, `.`, `..`).
    Key,
    /// `regexp`: `/.../` with RE2 syntax.
    Regexp,
    ArrayOfStringsOrRegexps,
    /// `expression`: a CI/CD variable expression.
    Expression,
    Alphanumeric,
    Scalar,
    /// `numericality: { only_integer:, greater_than_or_equal_to:, less_than_or_equal_to: }`.
    IntRange(Option<i64>, Option<i64>),
    /// `format: { with:, message: }` on a string.
    Format(fn(&str) -> bool, &'static str),
}

/// One `validates` line: an attribute (None is `:config`), a validator, `allow_nil`, an
/// `if:` condition, and the diagnostic code pipesim gives its message.
#[derive(Clone, Copy)]
pub struct Rule {
    pub attr: Option<&'static str>,
    pub check: Check,
    pub allow_nil: bool,
    pub cond: Option<fn(&Entry) -> bool>,
    pub code: &'static str,
    /// The humanized attribute when it is not the key's (`attributes ..., prefix: :config`).
    pub label: Option<&'static str>,
}

/// `validates :config, ...`.
pub const fn config(check: Check) -> Rule {
    Rule {
        attr: None,
        check,
        allow_nil: false,
        cond: None,
        code: "",
        label: None,
    }
}

/// `validates :attr, ...`.
pub const fn attr(name: &'static str, check: Check) -> Rule {
    Rule {
        attr: Some(name),
        check,
        allow_nil: false,
        cond: None,
        code: "",
        label: None,
    }
}

/// `validates :attr, ..., allow_nil: true`.
pub const fn opt(name: &'static str, check: Check) -> Rule {
    Rule {
        attr: Some(name),
        check,
        allow_nil: true,
        cond: None,
        code: "",
        label: None,
    }
}

impl Rule {
    /// `if:` / `unless:`.
    pub const fn when(self, cond: fn(&Entry) -> bool) -> Rule {
        Rule {
            cond: Some(cond),
            ..self
        }
    }

    pub const fn code(self, code: &'static str) -> Rule {
        Rule { code, ..self }
    }

    pub const fn label(self, label: &'static str) -> Rule {
        Rule {
            label: Some(label),
            ..self
        }
    }

    pub const fn allow_nil(self) -> Rule {
        Rule {
            allow_nil: true,
            ..self
        }
    }
}

/// Runs a validation table on an entry; true when it added an error.
pub fn run(cx: &mut Cx, entry: &Entry, rules: &[Rule]) -> bool {
    let mark = cx.mark();
    for rule in rules {
        let value = match rule.attr {
            None => Some(entry.node).filter(|n| !n.is_null()),
            Some(key) => entry.attr(key),
        };
        if value.is_none() && rule.allow_nil {
            continue;
        }
        if let Some(cond) = rule.cond {
            if !cond(entry) {
                continue;
            }
        }
        apply(cx, entry, rule, value);
    }
    cx.failed_since(mark)
}

fn attr_text(rule: &Rule) -> String {
    if let Some(label) = rule.label {
        return label.to_owned();
    }
    match rule.attr {
        None => "config".to_owned(),
        Some(a) => humanize(a),
    }
}

/// Rails `humanize` of an attribute name: `_` becomes a space, a leading `_` goes.
pub fn humanize(attr: &str) -> String {
    attr.trim_start_matches('_').replace('_', " ")
}

fn default_code(check: &Check) -> &'static str {
    match check {
        Check::AllowedKeys(..) => "config-unknown-keys",
        Check::Presence(_) => "config-blank",
        Check::MaxChars(_) | Check::MaxItems(..) => "config-too-long",
        _ => "config-type",
    }
}

fn apply(cx: &mut Cx, entry: &Entry, rule: &Rule, value: Option<&Node>) {
    let code = if rule.code.is_empty() {
        default_code(&rule.check)
    } else {
        rule.code
    };
    let span = value.map_or(entry.anchor, |v| v.span);
    let fail = |cx: &mut Cx, msg: &str, span: Span| {
        let text = format!("{} {msg}", attr_text(rule));
        cx.error(code, entry.loc, &text, span);
    };
    match rule.check {
        Check::Type(ty, message) => {
            if !value.is_some_and(|v| is_type(v, ty)) {
                let default;
                let msg = match message {
                    Some(m) => m,
                    None => {
                        default = type_message(ty);
                        default
                    }
                };
                fail(cx, msg, span);
            }
        }
        Check::Presence(message) => {
            if value.is_none_or(Node::is_blank) {
                fail(cx, message.unwrap_or("can't be blank"), span);
            }
        }
        Check::Absence(message) => {
            if value.is_some_and(|v| !v.is_blank()) {
                fail(cx, message.unwrap_or("must be blank"), span);
            }
        }
        Check::Boolean => {
            if value.is_none_or(|v| v.as_bool().is_none()) {
                fail(cx, "should be a boolean value", span);
            }
        }
        Check::ArrayOfStrings => {
            if !value.is_some_and(is_array_of_strings) {
                fail(cx, "should be an array of strings", span);
            }
        }
        Check::ArrayOfStringsOrString => {
            if !value.is_some_and(|v| is_array_of_strings(v) || is_string(v)) {
                fail(cx, "should be an array of strings or a string", span);
            }
        }
        Check::ArrayOrString => {
            if !value.is_some_and(|v| v.as_seq().is_some() || v.as_str().is_some()) {
                fail(cx, "should be an array or a string", span);
            }
        }
        Check::ArrayOfHashes => {
            if !value.is_some_and(|v| {
                v.as_seq()
                    .is_some_and(|s| s.iter().all(|i| i.as_map().is_some()))
            }) {
                fail(cx, "should be an array of hashes", span);
            }
        }
        Check::HashOrString => {
            if !value.is_some_and(|v| v.as_map().is_some() || v.as_str().is_some()) {
                fail(cx, "should be a hash or a string", span);
            }
        }
        Check::HashOrBoolean => {
            if !value.is_some_and(|v| v.as_map().is_some() || v.as_bool().is_some()) {
                fail(cx, "should be a hash or a boolean value", span);
            }
        }
        Check::HashOrInteger => {
            if !value.is_some_and(|v| v.as_map().is_some() || matches!(v.value, Value::Int(_))) {
                fail(cx, "should be a hash or an integer", span);
            }
        }
        Check::ArrayOfIntegersOrInteger => {
            let ok = value.is_some_and(|v| {
                matches!(v.value, Value::Int(_))
                    || v.as_seq()
                        .is_some_and(|s| s.iter().all(|c| matches!(c.value, Value::Int(_))))
            });
            if !ok {
                fail(cx, "should be an array of integers or an integer", span);
            }
        }
        Check::StringOrNestedArrayOfStrings(max) => {
            if !value.is_some_and(|v| is_string(v) || is_nested_array(v, max, is_string)) {
                let msg = format!(
                    "should be a string or a nested array of strings up to {max} levels deep"
                );
                fail(cx, &msg, span);
            }
        }
        Check::NestedArrayOfStrings(max) => {
            if !value.is_some_and(|v| is_nested_array(v, max, is_string)) {
                let msg = format!(
                    "should be an array of strings or a nested array of strings up to {max} levels deep"
                );
                fail(cx, &msg, span);
            }
        }
        Check::NestedArrayOfHashesOrArrays(max) => {
            if !value.is_some_and(|v| is_nested_array(v, max, |n| n.as_map().is_some())) {
                fail(
                    cx,
                    "should be an array containing hashes and arrays of hashes",
                    span,
                );
            }
        }
        Check::Duration {
            limit,
            never,
            variable,
        } => {
            let text = value.and_then(Node::as_str);
            if variable && text.is_some_and(|t| t.contains('$')) {
                return;
            }
            let seconds = text.and_then(|t| {
                if never && t.trim() == "never" {
                    Some(0)
                } else {
                    parse_seconds(t)
                }
            });
            if seconds.is_none() {
                fail(cx, "should be a duration", span);
            }
            // pipesim reports the limit only for a value that is a duration: GitLab's own
            // spec (job_spec 'when it is not a duration') shows one message for `100`.
            if let (Some(limit), Some(seconds)) = (limit, seconds) {
                if seconds >= limit {
                    fail(cx, "should not exceed the limit", span);
                }
            }
        }
        Check::Inclusion(values, message) => {
            if !value
                .and_then(Node::as_str)
                .is_some_and(|s| values.contains(&s))
            {
                fail(cx, message, span);
                suggest_value(cx, value, values);
            }
        }
        Check::AllowedValues(values) => {
            let text = value.and_then(Node::scalar_str).unwrap_or_default();
            if !values.contains(&text.as_ref()) {
                fail(cx, &format!("unknown value: {text}"), span);
                suggest_value(cx, value, values);
            }
        }
        Check::AllowedArrayValues(values) => {
            if let Some(items) = value.and_then(Node::as_seq) {
                let unknown: Vec<String> = items
                    .iter()
                    .filter(|i| !i.as_str().is_some_and(|s| values.contains(&s)))
                    .map(|i| i.scalar_to_s().unwrap_or_default())
                    .collect();
                if !unknown.is_empty() {
                    let first = items
                        .iter()
                        .find(|i| !i.as_str().is_some_and(|s| values.contains(&s)))
                        .map_or(span, |i| i.span);
                    fail(
                        cx,
                        &format!("contains unknown values: {}", unknown.join(", ")),
                        first,
                    );
                }
            }
        }
        Check::AllowedKeys(a, b) => {
            if let Some(map) = value.and_then(Node::as_map) {
                unknown_keys(cx, entry.loc, map, a, b, code);
            }
        }
        Check::DisallowedKeys(keys, message, ignore_nil) => {
            if let Some(map) = value.and_then(Node::as_map) {
                let present: Vec<(&Node, std::borrow::Cow<str>)> = map
                    .entries
                    .iter()
                    .filter(|(_, v)| !(ignore_nil && v.is_null()))
                    .filter_map(|(k, _)| {
                        let name = k.scalar_str()?;
                        keys.contains(&name.as_ref()).then_some((k, name))
                    })
                    .collect();
                if let Some((first, _)) = present.first() {
                    let names: Vec<&str> = present.iter().map(|(_, n)| n.as_ref()).collect();
                    let msg = format!(
                        "{}: {}",
                        message.unwrap_or("contains disallowed keys"),
                        names.join(", ")
                    );
                    fail(cx, &msg, first.span);
                }
            }
        }
        Check::RequiredKeys(keys) => {
            let map = value.and_then(Node::as_map);
            let missing: Vec<&str> = keys
                .iter()
                .copied()
                .filter(|k| !map.is_some_and(|m| m.contains_key(k)))
                .collect();
            if !missing.is_empty() {
                fail(
                    cx,
                    &format!("missing required keys: {}", missing.join(", ")),
                    span,
                );
            }
        }
        Check::OnlyOneOfKeys(keys) => {
            let map = value.and_then(Node::as_map);
            let present = keys
                .iter()
                .filter(|k| map.is_some_and(|m| m.contains_key(k)))
                .count();
            if present != 1 {
                fail(
                    cx,
                    &format!("must use exactly one of these keys: {}", keys.join(", ")),
                    span,
                );
            }
        }
        Check::MutuallyExclusiveKeys(keys) => {
            if let Some(map) = value.and_then(Node::as_map) {
                let is_listed = |k: &&Node| k.as_str().is_some_and(|s| keys.contains(&s));
                if map.entries.iter().map(|(k, _)| k).filter(is_listed).count() > 1 {
                    let present: Vec<&Node> = map
                        .entries
                        .iter()
                        .map(|(k, _)| k)
                        .filter(is_listed)
                        .collect();
                    let names: Vec<&str> = present.iter().filter_map(|k| k.as_str()).collect();
                    let msg = format!("these keys cannot be used together: {}", names.join(", "));
                    fail(cx, &msg, present[1].span);
                }
            }
        }
        Check::MaxChars(max) => {
            let len = value
                .and_then(Node::scalar_to_s)
                .map_or(0, |s| s.chars().count());
            if len > max {
                fail(
                    cx,
                    &format!("is too long (maximum is {max} characters)"),
                    span,
                );
            }
        }
        Check::MaxItems(max, message) => {
            if value.and_then(Node::as_seq).is_some_and(|s| s.len() > max) {
                fail(cx, &message.replace("%{count}", &max.to_string()), span);
            }
        }
        Check::MinItems(min, message) => {
            let len = value.map_or(0, |v| match &v.value {
                Value::Seq(s) => s.len(),
                Value::Map(m) => m.len(),
                _ => usize::MAX,
            });
            if len < min {
                fail(cx, &message.replace("%{count}", &min.to_string()), span);
            }
        }
        Check::Key => {
            let Some(text) = value.filter(|v| is_string(v)).and_then(Node::scalar_to_s) else {
                fail(cx, "should be a string or symbol", span);
                return;
            };
            let path = cgi_unescape(&text);
            if path.contains('/') {
                fail(cx, "cannot contain the \"/\" character", span);
            } else if path == "." || path == ".." {
                fail(cx, "cannot be \".\" or \"..\"", span);
            }
        }
        Check::Regexp => {
            if !value
                .and_then(Node::as_str)
                .is_some_and(|s| cx.valid_regexp(s))
            {
                fail(cx, "must be a regular expression with re2 syntax", span);
            }
        }
        Check::ArrayOfStringsOrRegexps => {
            let ok = value.and_then(Node::as_seq).is_some_and(|items| {
                items.iter().all(|i| {
                    i.as_str()
                        .is_some_and(|s| !looks_like_regexp(s) || cx.valid_regexp(s))
                })
            });
            if !ok {
                fail(
                    cx,
                    "should be an array of strings or regular expressions using re2 syntax",
                    span,
                );
            }
        }
        Check::Expression => {
            if value
                .and_then(Node::as_str)
                .is_none_or(|s| crate::expr::parse(s).is_err())
            {
                fail(cx, "invalid expression syntax", span);
            }
        }
        Check::Alphanumeric => {
            if !value.is_some_and(|v| {
                matches!(v.value, Value::Str(_) | Value::Symbol(_) | Value::Int(_))
            }) {
                fail(cx, "must be an alphanumeric string", span);
            }
        }
        Check::Scalar => {
            if !value.is_some_and(|v| {
                matches!(
                    v.value,
                    Value::Str(_)
                        | Value::Symbol(_)
                        | Value::Int(_)
                        | Value::Float(_)
                        | Value::Bool(_)
                )
            }) {
                fail(cx, "must be a scalar", span);
            }
        }
        Check::IntRange(min, max) => match value.map(|v| &v.value) {
            Some(Value::Int(n)) => {
                if let Some(min) = min.filter(|m| n < m) {
                    fail(cx, &format!("must be greater than or equal to {min}"), span);
                } else if let Some(max) = max.filter(|m| n > m) {
                    fail(cx, &format!("must be less than or equal to {max}"), span);
                }
            }
            Some(Value::Float(_)) => fail(cx, "must be an integer", span),
            _ => fail(cx, "is not a number", span),
        },
        Check::Format(matches, message) => {
            let text = value.and_then(Node::scalar_to_s).unwrap_or_default();
            if !matches(&text) {
                fail(cx, message, span);
            }
        }
    }
}

fn type_message(ty: Ty) -> &'static str {
    match ty {
        Ty::String => "should be a string",
        Ty::Hash => "should be a hash",
        // TypeValidator writes "should be a #{type.name}" with no article logic, and the
        // validator downcases the message: "should be a array" (validators.rb, newest stored).
        Ty::Array => "should be a array",
        Ty::Integer => "should be a integer",
        Ty::Symbol => "should be a symbol",
    }
}

fn is_type(node: &Node, ty: Ty) -> bool {
    match ty {
        Ty::String => matches!(node.value, Value::Str(_)),
        Ty::Hash => node.as_map().is_some(),
        Ty::Array => node.as_seq().is_some(),
        Ty::Integer => matches!(node.value, Value::Int(_)),
        Ty::Symbol => matches!(node.value, Value::Symbol(_)),
    }
}

/// Whether `name` is one of `keys`. A job declares some 50 keys and has a handful: comparing
/// lengths and first bytes before the text keeps most comparisons from reaching `memcmp`.
fn is_listed(keys: &[&str], name: &str) -> bool {
    let first = name.as_bytes().first();
    keys.iter()
        .any(|k| k.len() == name.len() && k.as_bytes().first() == first && *k == name)
}

/// Adds "did you mean" to the explanation of the error just reported for `value`, when one of
/// `values` is a near miss of it (`when: allways`).
fn suggest_value(cx: &mut Cx, value: Option<&Node>, values: &[&str]) {
    let Some(text) = value.and_then(Node::scalar_str) else {
        return;
    };
    if let (Some(hint), Some(finding)) = (
        crate::config::suggest::did_you_mean(&text, values),
        cx.errors.last_mut(),
    ) {
        finding.explanation = Some(match finding.explanation.take() {
            Some(e) => format!("{e} {hint}"),
            None => hint,
        });
    }
}

/// `AllowedKeysValidator`: the unknown keys in config order; the message points at the first.
pub fn unknown_keys(
    cx: &mut Cx,
    loc: &Loc,
    map: &Map,
    allowed: &[&str],
    more: &[&str],
    code: &'static str,
) -> bool {
    let mut unknown = map.entries.iter().map(|(k, _)| k).filter(|k| {
        let name = k.scalar_str().unwrap_or_default();
        !is_listed(allowed, &name) && !is_listed(more, &name)
    });
    let Some(first) = unknown.next() else {
        return false;
    };
    let names: Vec<String> = std::iter::once(first)
        .chain(unknown)
        .map(|k| k.scalar_to_s().unwrap_or_default())
        .collect();
    let mut explanation = format!(
        "GitLab does not know {} here. Check the spelling and the indentation: a key indented \
         under the wrong parent is also unknown.",
        names
            .iter()
            .map(|n| format!("`{n}`"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    // "Did you mean": ours, in the explanation (GitLab's message stays as it is).
    for name in &names {
        let candidates: Vec<&str> = allowed.iter().chain(more).copied().collect();
        if let Some(c) = crate::config::suggest::closest(name, &candidates) {
            explanation.push_str(&format!(" `{name}`: did you mean `{c}`?"));
        }
    }
    let text = format!("config contains unknown keys: {}", names.join(", "));
    cx.error(code, loc, &text, first.span).explanation = Some(explanation);
    true
}

pub fn is_string(node: &Node) -> bool {
    matches!(node.value, Value::Str(_) | Value::Symbol(_))
}

/// `validate_array_of_strings`: String or Symbol items.
pub fn is_array_of_strings(node: &Node) -> bool {
    node.as_seq()
        .is_some_and(|items| items.iter().all(is_string))
}

/// `NestedArrayHelpers#validate_nested_array`: an array whose items pass `leaf` or are arrays
/// of them, at most `max` levels deep.
pub fn is_nested_array(node: &Node, max: usize, leaf: fn(&Node) -> bool) -> bool {
    fn ok(node: &Node, level: usize, max: usize, leaf: fn(&Node) -> bool) -> bool {
        match &node.value {
            Value::Seq(items) if level < max => items.iter().all(|i| ok(i, level + 1, max, leaf)),
            _ => leaf(node),
        }
    }
    node.as_seq()
        .is_some_and(|items| items.iter().all(|i| ok(i, 1, max, leaf)))
}

/// Ruby `Array#flatten`: nested lists (e.g. an aliased list inside `needs`) are spliced in.
pub fn flatten_seq<'a>(items: &'a [Node], out: &mut Vec<&'a Node>) {
    for item in items {
        match &item.value {
            Value::Seq(inner) => flatten_seq(inner, out),
            _ => out.push(item),
        }
    }
}

/// `[@config].flatten` (`ComposableArray#compose!`).
pub fn flatten_config(node: &Node) -> Vec<&Node> {
    match &node.value {
        Value::Seq(items) => {
            let mut out = Vec::with_capacity(items.len());
            flatten_seq(items, &mut out);
            out
        }
        _ => vec![node],
    }
}

/// `Gitlab::UntrustedRegexp::RubySyntax.matches_syntax?`: `/pattern/flags` (its `PATTERN`
/// anchors are Ruby line anchors, so any line of the text may match).
pub fn looks_like_regexp(text: &str) -> bool {
    text.split('\n').any(|line| {
        line.strip_prefix('/').is_some_and(|rest| {
            rest.rfind('/').is_some_and(|last| {
                rest[last + 1..]
                    .chars()
                    .all(|c| matches!(c, 'i' | 's' | 'm' | 'U'))
            })
        })
    })
}

/// `RubySyntax.valid?`: the pattern compiles as RE2 (`crate::expr`'s RE2 translation).
pub fn is_valid_regexp(text: &str) -> bool {
    looks_like_regexp(text) && crate::expr::from_ruby_syntax(text).is_some()
}

/// Ruby `CGI.unescape`: `%XX` sequences and `+`.
fn cgi_unescape(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
                match hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                    Some(b) => {
                        out.push(b);
                        i += 2;
                    }
                    None => out.push(b'%'),
                }
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// `rules:changes:regexp` / `rules:exists:regexp` (newest GitLab): accepted, but pipesim's
/// rule evaluation does not read it, so it says so.
pub fn regexp_not_evaluated(cx: &mut Cx, entry: &Entry) {
    let Some(node) = entry.attr("regexp") else {
        return;
    };
    cx.warnings.push(
        Finding::info(
            "rules-regexp-not-evaluated",
            format!("{}:regexp is not evaluated by pipesim", entry.loc),
            Some(node.span),
        )
        .explain(
            "GitLab's newest version matches this regular expression against the changed (or existing) paths. pipesim accepts the key but does not evaluate it: treat this rule's result as unknown.",
        ),
    );
}

/// A week, the `start_in` limit.
pub const WEEK: u64 = duration::WEEK;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgi_unescape_decodes_percent_sequences() {
        assert_eq!(cgi_unescape("a%2Fb"), "a/b");
        assert_eq!(cgi_unescape("a%2"), "a%2");
        assert_eq!(cgi_unescape("%"), "%");
        assert_eq!(cgi_unescape("a+b"), "a b");
    }

    #[test]
    fn regexp_syntax_needs_slashes_and_re2() {
        assert!(is_valid_regexp("/^feature/"));
        assert!(is_valid_regexp("/x/i"));
        assert!(!is_valid_regexp("/[/"));
        assert!(!looks_like_regexp("main"));
    }
}
