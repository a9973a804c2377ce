//! Mirrors (EE) lib/gitlab/ci/config/entry/secret.rb: `secrets:`, a hash of secrets, each from
//! exactly one provider. The providers' own entries (vault, azure_key_vault, ...) are not
//! checked by pipesim.

use super::{config, opt, run, Check, Cx, Entry, Rule, Ty};
use crate::yaml::Node;

const ALLOWED_KEYS: &[&str] = &[
    "vault",
    "file",
    "azure_key_vault",
    "gcp_secret_manager",
    "akeyless",
    "gitlab_secrets_manager",
    "token",
    "aws_secrets_manager",
];
const SUPPORTED_PROVIDERS: &[&str] = &[
    "vault",
    "azure_key_vault",
    "gcp_secret_manager",
    "akeyless",
    "gitlab_secrets_manager",
    "aws_secrets_manager",
];

const RULES: &[Rule] = &[config(Check::Type(Ty::Hash, None))];

fn uses_gcp(entry: &Entry) -> bool {
    entry
        .attr("gcp_secret_manager")
        .is_some_and(|n| !Node::is_blank(n))
}

/// `Entry::Secret` (Configurable: a hash).
const SECRET: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(ALLOWED_KEYS, &[])),
    config(Check::OnlyOneOfKeys(SUPPORTED_PROVIDERS)),
    opt("token", Check::Type(Ty::String, None)),
    super::attr(
        "token",
        Check::Presence(Some("is required with gcp secrets manager")),
    )
    .when(uses_gcp),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, RULES) {
        return;
    }
    for (key, secret) in entry.map().into_iter().flat_map(|m| m.iter()) {
        let name = key.scalar_to_s().unwrap_or_default();
        let loc = entry.loc.child(&name);
        run(cx, &Entry::new(secret, &loc), SECRET);
    }
}
