//! Mirrors lib/gitlab/ci/config/entry/image.rb with imageable.rb and pull_policy.rb (shared
//! with service.rb): an image as a name or a hash.

use super::{config, opt, run, variables, Check, Cx, Entry, Rule, Ty};
use crate::yaml::Value;

pub const IMAGEABLE_ALLOWED_KEYS: &[&str] = &[
    "docker",
    "name",
    "entrypoint",
    "ports",
    "pull_policy",
    "kubernetes",
];
const SERVICE_KEYS: &[&str] = &["command", "alias", "variables"];
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
const SERVICE: &[Rule] = &[
    config(Check::AllowedKeys(SERVICE_KEYS, IMAGEABLE_ALLOWED_KEYS)),
    opt("command", Check::ArrayOfStrings),
    opt("alias", Check::Type(Ty::String, None)),
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
