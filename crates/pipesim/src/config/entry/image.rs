//! Mirrors lib/gitlab/ci/config/entry/image.rb with imageable.rb and pull_policy.rb (shared
//! with service.rb): an image as a name or a hash. `Imageable`'s executor options (`docker:`,
//! `kubernetes:`) are checked against schemas/imageable/executor_opts.json, its schema kept
//! here as data ([`EXECUTOR_OPTS`]) with json_schemer's detailed messages.

use super::{config, opt, run, variables, Check, Cx, Entry, Rule, Ty};
use crate::source::Span;
use crate::yaml::{Node, Value};

pub const IMAGEABLE_ALLOWED_KEYS: &[&str] = &[
    "docker",
    "name",
    "entrypoint",
    "ports",
    "pull_policy",
    "kubernetes",
];
pub const SERVICE_KEYS: &[&str] = &["command", "alias", "variables"];
const ALLOWED_POLICIES: &[&str] = &["always", "never", "if-not-present"];

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Image,
    Service,
}

/// `Imageable` (ports are allowed only with the `with_image_ports` metadata, which no CI
/// entry sets).
const IMAGEABLE: &[Rule] = &[
    config(Check::DisallowedKeys(&["ports"], None, false)),
    super::attr("name", Check::Type(Ty::String, None)),
    super::attr("name", Check::Presence(None)),
    opt("entrypoint", Check::ArrayOfStrings),
];
const IMAGE: &[Rule] = &[config(Check::AllowedKeys(IMAGEABLE_ALLOWED_KEYS, &[]))];
/// `record.ports.blank?` is false: service.rb then requires an alias (whether or not `ports`
/// itself is allowed).
fn has_ports(entry: &Entry) -> bool {
    entry.attr("ports").is_some_and(|p| !p.is_blank())
}

const SERVICE: &[Rule] = &[
    config(Check::AllowedKeys(SERVICE_KEYS, IMAGEABLE_ALLOWED_KEYS)),
    opt("command", Check::ArrayOfStrings),
    opt("alias", Check::Type(Ty::String, None)),
    super::attr("alias", Check::Type(Ty::String, None)).when(has_ports),
    super::attr("alias", Check::Presence(None)).when(has_ports),
];

/// A JSON type of the schema.
#[derive(Clone, Copy)]
enum JsonType {
    String,
    Integer,
}

/// One property of an executor's options: its allowed types and string length bounds.
struct OptProperty {
    name: &'static str,
    types: &'static [JsonType],
    min_length: usize,
    max_length: usize,
}

/// lib/gitlab/ci/config/entry/schemas/imageable/executor_opts.json (newest stored): each
/// executor key is an object with these properties and `additionalProperties: false`.
const EXECUTOR_OPTS: &[(&str, &[OptProperty])] = &[
    (
        "docker",
        &[
            OptProperty {
                name: "platform",
                types: &[JsonType::String],
                min_length: 1,
                max_length: 64,
            },
            OptProperty {
                name: "user",
                types: &[JsonType::String],
                min_length: 1,
                max_length: 255,
            },
        ],
    ),
    (
        "kubernetes",
        &[OptProperty {
            name: "user",
            types: &[JsonType::String, JsonType::Integer],
            min_length: 1,
            max_length: 255,
        }],
    ),
];
/// `Entry::PullPolicy`.
const PULL_POLICY_ARRAY: &[Rule] = &[
    config(Check::AllowedArrayValues(ALLOWED_POLICIES)),
    config(Check::Presence(None)),
];

pub fn validate(cx: &mut Cx, entry: &Entry, kind: Kind) {
    match &entry.node.value {
        // A name alone: `Imageable#name` is the string itself.
        Value::Str(s) => {
            if s.trim().is_empty() {
                cx.error(
                    "config-blank",
                    entry.loc,
                    "name can't be blank",
                    entry.node.span,
                );
            }
        }
        Value::Map(_) => {
            let mark = cx.mark();
            run(cx, entry, IMAGEABLE);
            executor_opts(cx, entry);
            run(cx, entry, if kind == Kind::Image { IMAGE } else { SERVICE });
            if cx.failed_since(mark) {
                return;
            }
            if let Some(node) = entry.attr("pull_policy") {
                let loc = entry.loc.child("pull_policy");
                pull_policy(cx, &Entry::new(node, &loc));
            }
            if kind == Kind::Service {
                if let Some(node) = entry.attr("variables") {
                    let loc = entry.loc.child("variables");
                    variables::validate(cx, &Entry::new(node, &loc), &[]);
                }
            }
        }
        _ => {
            cx.error(
                "config-type",
                entry.loc,
                "config should be a hash or a string",
                entry.node.span,
            );
        }
    }
}

/// `validates :executor_opts, json_schema: { detail_errors: true, hash_conversion: true },
/// allow_nil: true`: the executor keys present (not null) against the schema, every error as
/// `executor opts <json_schemer error>` in the schema's order (properties in schema order,
/// then the additional ones in config order).
fn executor_opts(cx: &mut Cx, entry: &Entry) {
    for (key, properties) in EXECUTOR_OPTS {
        let Some(node) = entry.attr(key) else {
            continue;
        };
        let location = format!("/{}", pointer_token(key));
        let Some(map) = node.as_map() else {
            let text = format!("value at `{location}` is not an object");
            executor_error(cx, entry, &text, node.span);
            continue;
        };
        for property in *properties {
            if let Some(value) = map.get(property.name) {
                let at = format!("{location}/{}", pointer_token(property.name));
                if let Some((subject, problem)) = property_error(property, value) {
                    let text = format!("{subject} at `{at}` {problem}");
                    executor_error(cx, entry, &text, value.span);
                }
            }
        }
        for (k, _) in map.iter() {
            let name = k.scalar_str().unwrap_or_default();
            if !properties.iter().any(|p| p.name == name) {
                let at = format!("{location}/{}", pointer_token(&name));
                let text = format!("object property at `{at}` is a disallowed additional property");
                executor_error(cx, entry, &text, k.span);
            }
        }
    }
}

fn executor_error(cx: &mut Cx, entry: &Entry, text: &str, span: Span) {
    let text = format!("executor opts {text}");
    cx.error("image-executor-opts", entry.loc, &text, span)
        .explanation = Some(
        "GitLab checks `docker:` and `kubernetes:` against its executor options schema: `docker` takes `platform` \
         (1-64 characters) and `user` (1-255 characters), both strings; `kubernetes` takes `user`, a string or an \
         integer UID."
            .to_owned(),
    );
}

/// json_schemer's `type`, `minLength`, `maxLength` on one value (after `hash_conversion`: symbols
/// are strings, a float with no fraction is an integer): what fails (`value`, `string length`)
/// and how. None when the value is valid.
fn property_error(property: &OptProperty, value: &Node) -> Option<(&'static str, String)> {
    let is = |ty: JsonType| match (ty, &value.value) {
        (JsonType::String, Value::Str(_) | Value::Symbol(_)) => true,
        (JsonType::Integer, Value::Int(_)) => true,
        (JsonType::Integer, Value::Float(f)) => f.is_finite() && f.fract() == 0.0,
        _ => false,
    };
    if !property.types.iter().any(|ty| is(*ty)) {
        let names: Vec<&str> = property.types.iter().map(|t| json_type_name(*t)).collect();
        let problem = match names.as_slice() {
            [one] => format!("is not {}", article(one)),
            many => format!(
                "is not one of the types: [{}]",
                many.iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        return Some(("value", problem));
    }
    let length = match &value.value {
        Value::Str(s) | Value::Symbol(s) => s.chars().count(),
        _ => return None,
    };
    if length < property.min_length {
        let problem = format!("is less than: {}", property.min_length);
        return Some(("string length", problem));
    }
    if length > property.max_length {
        let problem = format!("is greater than: {}", property.max_length);
        return Some(("string length", problem));
    }
    None
}

fn json_type_name(ty: JsonType) -> &'static str {
    match ty {
        JsonType::String => "string",
        JsonType::Integer => "integer",
    }
}

fn article(name: &str) -> String {
    if name == "integer" {
        format!("an {name}")
    } else {
        format!("a {name}")
    }
}

/// A JSON pointer token (`~` as `~0`, `/` as `~1`).
fn pointer_token(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

fn pull_policy(cx: &mut Cx, entry: &Entry) {
    match &entry.node.value {
        Value::Seq(_) => {
            const STRINGS: &[Rule] = &[config(Check::ArrayOfStringsOrString)];
            if !run(cx, entry, STRINGS) {
                run(cx, entry, PULL_POLICY_ARRAY);
            }
        }
        Value::Str(s) => {
            if !ALLOWED_POLICIES.contains(&s.as_str()) {
                cx.error(
                    "config-type",
                    entry.loc,
                    "config is not included in the list",
                    entry.node.span,
                );
            }
        }
        _ => {
            cx.error(
                "config-type",
                entry.loc,
                "config should be an array of strings or a string",
                entry.node.span,
            );
        }
    }
}
