//! Mirrors lib/gitlab/ci/config/entry/release.rb with release/assets.rb, assets/links.rb and
//! assets/link.rb. The newest stored release.rb (cb0d23c) predates `tag_message`, `ref`,
//! `released_at` and `milestones`, which release_spec.rb (newer) shows: their keys are allowed
//! here, `tag_message` and `milestones` get the checks the spec shows, and `ref` /
//! `released_at` are not checked (their validators were not found in the source mirror).

use super::{attr, config, opt, run, Check, Cx, Entry, Rule, Ty};

/// `Release::ALLOWED_KEYS` plus the newer keys of release_spec.rb.
const RULES: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(
        &[
            "tag_name",
            "tag_message",
            "name",
            "description",
            "ref",
            "released_at",
            "milestones",
            "assets",
        ],
        &[],
    )),
    attr("tag_name", Check::Presence(None)),
    attr("description", Check::Type(Ty::String, None)),
    attr("description", Check::Presence(None)),
    opt("tag_message", Check::Type(Ty::String, None)),
    opt("milestones", Check::ArrayOfStringsOrString),
];

/// `Release::Assets`.
const ASSETS: &[Rule] = &[
    config(Check::AllowedKeys(&["links"], &[])),
    attr("links", Check::ArrayOfHashes),
    attr("links", Check::Presence(None)),
];

/// `Release::Assets::Links` (`type: Array`, so `should be a array`).
const LINKS: &[Rule] = &[
    config(Check::Type(Ty::Array, None)),
    config(Check::Presence(None)),
];

/// `Release::Assets::Link`.
const LINK: &[Rule] = &[
    config(Check::AllowedKeys(&["name", "url"], &[])),
    attr("name", Check::Type(Ty::String, None)),
    attr("name", Check::Presence(None)),
    attr("url", Check::Presence(None)),
    // `addressable_url: true` (AddressableUrlValidator with its defaults: local addresses
    // allowed); only its scheme check is reproduced.
    opt(
        "url",
        Check::Format(
            http_scheme,
            "is blocked: only allowed schemes are http, https",
        ),
    ),
];

fn http_scheme(url: &str) -> bool {
    let lower = url.to_ascii_lowercase();
    lower.starts_with("http://") || lower.starts_with("https://")
}

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, &RULES[..1]) {
        return;
    }
    run(cx, entry, &RULES[1..]);
    let Some(assets) = entry.attr("assets").filter(|n| !n.is_null()) else {
        return;
    };
    let assets_loc = entry.loc.child("assets");
    let assets = Entry::new(assets, &assets_loc);
    run(cx, &assets, ASSETS);
    let Some(links) = assets.attr("links").filter(|n| !n.is_null()) else {
        return;
    };
    let links_loc = assets_loc.child("links");
    let links = Entry::new(links, &links_loc);
    if run(cx, &links, LINKS) {
        return;
    }
    let link_loc = links_loc.child("link");
    for item in links.node.as_seq().into_iter().flatten() {
        run(cx, &Entry::new(item, &link_loc), LINK);
    }
}
