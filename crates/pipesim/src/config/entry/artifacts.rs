//! Mirrors lib/gitlab/ci/config/entry/artifacts.rb: `artifacts:`.

use super::{config, opt, reports, run, Check, Cx, Entry, Rule, Ty};

pub const ALLOWED_KEYS: &[&str] = &[
    "name",
    "untracked",
    "paths",
    "reports",
    "when",
    "expire_in",
    "expose_as",
    "exclude",
    "public",
    "access",
];

/// `expose_as_present?`: `expose_as` is not nil (an empty string is present).
fn expose_as_present(entry: &Entry) -> bool {
    entry.attr("expose_as").is_some()
}

/// `EXPOSE_AS_REGEX = /\A\w[-\w ]*\z/`.
fn expose_as_format(text: &str) -> bool {
    let mut chars = text.chars();
    chars
        .next()
        .is_some_and(|c| c.is_alphanumeric() || c == '_')
        && chars.all(|c| c.is_alphanumeric() || c == '_' || c == '-' || c == ' ')
}

fn no_star_paths(text: &str) -> bool {
    !text.contains('*')
}

const RULES: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(ALLOWED_KEYS, &[])),
    super::attr("paths", Check::Presence(None)).when(expose_as_present),
    config(Check::MutuallyExclusiveKeys(&["access", "public"])),
    opt("name", Check::Type(Ty::String, None)),
    opt("public", Check::Boolean),
    opt("untracked", Check::Boolean),
    opt("paths", Check::ArrayOfStrings),
    opt("expose_as", Check::Type(Ty::String, None)).when(expose_as_present),
    opt("expose_as", Check::MaxChars(100)).when(expose_as_present),
    opt(
        "expose_as",
        Check::Format(
            expose_as_format,
            "can contain only letters, digits, '-', '_' and spaces",
        ),
    )
    .when(expose_as_present),
    opt("exclude", Check::ArrayOfStrings),
    opt("reports", Check::Type(Ty::Hash, None)),
    opt("when", Check::Type(Ty::String, None)).code("artifacts-when"),
    opt(
        "when",
        Check::Inclusion(
            &["on_success", "on_failure", "always"],
            "should be one of: on_success, on_failure, always",
        ),
    )
    .code("artifacts-when"),
    opt(
        "expire_in",
        Check::Duration {
            limit: None,
            never: true,
            variable: false,
        },
    )
    .code("artifacts-expire-in"),
    opt("access", Check::Type(Ty::String, None)),
    // The newest stored artifacts.rb (f2e8d3f) lists none, developer, all; artifacts_spec.rb,
    // newer, accepts `maintainer` and words the error with it: pipesim follows the spec.
    opt(
        "access",
        Check::Inclusion(
            &["none", "developer", "maintainer", "all"],
            "should be one of: none, developer, maintainer, all",
        ),
    ),
];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, RULES) {
        return;
    }
    if expose_as_present(entry) {
        if let Some(paths) = entry.attr("paths").and_then(|p| p.as_seq()) {
            if paths
                .iter()
                .any(|p| p.as_str().is_some_and(|s| !no_star_paths(s)))
            {
                cx.error(
                    "config-type",
                    entry.loc,
                    "paths can't contain '*' when used with 'expose_as'",
                    entry.attr("paths").map_or(entry.node.span, |p| p.span),
                );
                return;
            }
        }
    }
    if let Some(node) = entry.attr("reports") {
        let loc = entry.loc.child("reports");
        reports::validate(cx, &Entry::new(node, &loc));
    }
}
