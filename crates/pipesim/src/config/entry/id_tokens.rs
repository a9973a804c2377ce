//! Mirrors lib/gitlab/ci/config/entry/id_token.rb: `id_tokens:`, a hash of tokens, each with
//! `aud`.

use super::{attr, config, run, Check, Cx, Entry, Rule, Ty};

const RULES: &[Rule] = &[config(Check::Type(Ty::Hash, None))];

/// `Entry::IdToken`: `aud` is required and checked without `allow_nil`, so a token without it
/// gets both messages (id_token_spec 'when not given an `aud`').
const TOKEN: &[Rule] = &[
    config(Check::RequiredKeys(&["aud"])),
    config(Check::AllowedKeys(&["aud"], &[])),
    attr("aud", Check::ArrayOfStringsOrString),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, RULES) {
        return;
    }
    for (key, token) in entry.map().into_iter().flat_map(|m| m.iter()) {
        let name = key.scalar_to_s().unwrap_or_default();
        let loc = entry.loc.child(&name);
        run(cx, &Entry::new(token, &loc), TOKEN);
    }
}
