//! Mirrors lib/gitlab/ci/config/entry/key.rb with files.rb and prefix.rb: a cache key as a
//! name or `files` (+ `prefix`).

use super::{config, run, Check, Cx, Entry, Rule, Ty};
use crate::yaml::Value;

/// `SimpleKey` (and `Entry::Prefix`).
const SIMPLE: &[Rule] = &[config(Check::Key).code("cache-key")];
/// `ComplexKey`.
const COMPLEX: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(
        &["files", "prefix", "files_commits"],
        &[],
    )),
    // The newest stored key.rb (495a5c7) has only `files` and `prefix`, with `files` required;
    // key_spec.rb, newer, accepts `files_commits` alone and rejects it with `files`
    // ("must use exactly one of these keys: files, files_commits"): pipesim follows the spec.
    config(Check::OnlyOneOfKeys(&["files", "files_commits"])).code("cache-key"),
];
/// `Entry::Files` (at most 2: 10 only behind the default-off `increase_ci_cache_key_files_limit`).
const FILES: &[Rule] = &[
    config(Check::ArrayOfStrings).code("cache-key"),
    config(Check::MinItems(1, "requires at least %{count} item")).code("cache-key"),
    config(Check::MaxItems(
        2,
        "has too many items (maximum is %{count})",
    ))
    .code("cache-key"),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    match &entry.node.value {
        Value::Str(_) | Value::Symbol(_) => {
            run(cx, entry, SIMPLE);
        }
        Value::Map(_) => {
            if run(cx, entry, COMPLEX) {
                return;
            }
            if let Some(node) = entry.attr("files") {
                let loc = entry.loc.child("files");
                run(cx, &Entry::new(node, &loc), FILES);
            }
            if let Some(node) = entry.attr("files_commits") {
                let loc = entry.loc.child("files_commits");
                run(cx, &Entry::new(node, &loc), FILES);
            }
            if let Some(node) = entry.attr("prefix") {
                let loc = entry.loc.child("prefix");
                run(cx, &Entry::new(node, &loc), SIMPLE);
            }
        }
        _ => {
            let message = format!("{} should be a hash, a string or a symbol", entry.loc);
            cx.raw_error("cache-key", message, entry.node.span);
        }
    }
}
