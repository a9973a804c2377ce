//! Mirrors lib/gitlab/ci/config/entry/release.rb with release/assets.rb, assets/links.rb and
//! assets/link.rb. The newest stored release.rb (cb0d23c) predates `tag_message`, `ref`,
//! `released_at` and `milestones`, which release_spec.rb (newer) shows; their checks are taken
//! from a recent copy of GitLab FOSS's release.rb (CrazyForks/gisia, "Contains code from GitLab
//! FOSS"): `tag_message` a string, `milestones` a string or strings, `released_at` parsed by
//! Ruby's `DateTime.iso8601` ("must be a valid datetime"), `ref` a commit SHA
//! (`Commit.reference_valid?`) or a branch name `Gitlab::GitRefValidator.validate` accepts
//! ("must be a valid ref"), in that order.

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
    opt("tag_message", Check::Type(Ty::String, None)),
    attr("description", Check::Type(Ty::String, None)),
    attr("description", Check::Presence(None)),
    opt("milestones", Check::ArrayOfStringsOrString),
    opt(
        "released_at",
        Check::Format(is_iso8601_datetime, "must be a valid datetime"),
    ),
    opt("ref", Check::Format(is_valid_ref, "must be a valid ref")),
];

/// `Commit.reference_valid?` (a 7 to 64 character hexadecimal SHA, `EXACT_COMMIT_SHA_PATTERN`)
/// or `Gitlab::GitRefValidator.validate`: not empty, not starting with `refs/heads/`,
/// `refs/tags/` or `-`, not `HEAD`, and `refs/heads/<ref>` a valid reference name for libgit2
/// (git's check-ref-format rules).
fn is_valid_ref(text: &str) -> bool {
    let sha = (7..=64).contains(&text.len()) && text.bytes().all(|b| b.is_ascii_hexdigit());
    sha || is_valid_branch_name(text)
}

fn is_valid_branch_name(text: &str) -> bool {
    if text.is_empty()
        || text == "HEAD"
        || ["refs/heads/", "refs/tags/", "-"]
            .iter()
            .any(|p| text.starts_with(p))
    {
        return false;
    }
    let forbidden = |c: char| {
        c.is_ascii_control() || matches!(c, ' ' | '~' | '^' | ':' | '?' | '*' | '[' | '\\')
    };
    !text.contains(forbidden)
        && !text.contains("..")
        && !text.contains("@{")
        && text != "@"
        && !text.ends_with('.')
        && text
            .split('/')
            .all(|part| !part.is_empty() && !part.starts_with('.') && !part.ends_with(".lock"))
}

/// Ruby's `DateTime.iso8601` (date_parse.c `date__iso8601`, then a valid civil date and
/// time): a calendar (`2020-07-15`, `20200715`), ordinal (`2020-197`) or week (`2020-W29-3`)
/// date, optionally followed by `T` and a time (`08:00`, `08:00:00.5`, `080000`) with an
/// optional zone (`Z`, `+01`, `+01:00`, `+0100`); surrounding whitespace is allowed. The
/// truncated forms (`--07-15`, a time alone) are not accepted here.
fn is_iso8601_datetime(text: &str) -> bool {
    let text = text.trim();
    let (date, time) = match text.find(['T', 't']) {
        Some(i) => (&text[..i], Some(&text[i + 1..])),
        None => (text, None),
    };
    iso_date(date) && time.is_none_or(iso_time)
}

fn digits(text: &str) -> bool {
    !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())
}

fn days_in_month(year: i64, month: u32) -> u32 {
    let leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    match month {
        2 if leap => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

fn iso_date(text: &str) -> bool {
    let unsigned = text.strip_prefix(['+', '-']).unwrap_or(text);
    let number = |s: &str| s.parse::<i64>().ok();
    if let Some((year, rest)) = unsigned.split_once('-') {
        let Some(y) = number(year).filter(|_| digits(year) && year.len() >= 4) else {
            return false;
        };
        if let Some(week) = rest.strip_prefix(['W', 'w']) {
            let (w, d) = week.split_once('-').unwrap_or((week, "1"));
            return digits(w)
                && w.len() == 2
                && (1..=53).contains(&number(w).unwrap_or(0))
                && digits(d)
                && d.len() == 1
                && (1..=7).contains(&number(d).unwrap_or(0));
        }
        return match rest.split_once('-') {
            Some((m, d)) => {
                digits(m) && m.len() == 2 && digits(d) && d.len() == 2 && {
                    let (m, d) = (number(m).unwrap_or(0) as u32, number(d).unwrap_or(0) as u32);
                    (1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d)
                }
            }
            None => {
                digits(rest) && rest.len() == 3 && {
                    let leap = days_in_month(y, 2) == 29;
                    (1..=if leap { 366 } else { 365 }).contains(&number(rest).unwrap_or(0))
                }
            }
        };
    }
    if let Some(i) = unsigned.find(['W', 'w']) {
        let (year, week) = (&unsigned[..i], &unsigned[i + 1..]);
        return digits(year) && year.len() == 4 && digits(week) && matches!(week.len(), 2 | 3);
    }
    if !digits(unsigned) {
        return false;
    }
    match unsigned.len() {
        8 => {
            let y = number(&unsigned[..4]).unwrap_or(0);
            let m = number(&unsigned[4..6]).unwrap_or(0) as u32;
            let d = number(&unsigned[6..]).unwrap_or(0) as u32;
            (1..=12).contains(&m) && (1..=days_in_month(y, m)).contains(&d)
        }
        7 => (1..=366).contains(&number(&unsigned[4..]).unwrap_or(0)),
        _ => false,
    }
}

fn iso_time(text: &str) -> bool {
    let zone_at = text
        .char_indices()
        .find(|&(i, c)| c == 'Z' || c == 'z' || ((c == '+' || c == '-') && i > 0))
        .map(|(i, _)| i);
    let (clock, zone) = match zone_at {
        Some(i) => (&text[..i], &text[i..]),
        None => (text, ""),
    };
    let (clock, fraction) = match clock.split_once(['.', ',']) {
        Some((c, f)) => (c, Some(f)),
        None => (clock, None),
    };
    if fraction.is_some_and(|f| !digits(f)) {
        return false;
    }
    let parts: Vec<&str> = if clock.contains(':') {
        clock.split(':').collect()
    } else if digits(clock) && matches!(clock.len(), 2 | 4 | 6) {
        (0..clock.len())
            .step_by(2)
            .map(|i| &clock[i..i + 2])
            .collect()
    } else {
        return false;
    };
    let ranges = [0..=24, 0..=59, 0..=60];
    if parts.is_empty() || parts.len() > 3 {
        return false;
    }
    let clock_ok = parts
        .iter()
        .zip(ranges.iter())
        .all(|(p, r)| digits(p) && p.len() == 2 && p.parse::<u32>().is_ok_and(|n| r.contains(&n)));
    clock_ok && iso_zone(zone)
}

fn iso_zone(zone: &str) -> bool {
    if zone.is_empty() || zone.eq_ignore_ascii_case("z") {
        return true;
    }
    let Some(rest) = zone.strip_prefix(['+', '-']) else {
        return false;
    };
    let rest = rest.replacen(':', "", 1);
    digits(&rest) && matches!(rest.len(), 2 | 4)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_at_is_ruby_iso8601() {
        for ok in [
            "2020-07-15T08:00:00Z",
            "2020-07-15",
            "20200715T080000Z",
            "2020-07-15T08:00:00.123+01:00",
            "2020-197",
            "2020-W29-3",
            " 2020-02-29 ",
        ] {
            assert!(is_iso8601_datetime(ok), "{ok}");
        }
        for bad in [
            "ABC123",
            "2019-02-29",
            "2020-13-01",
            "2020-07-15T25:00",
            "",
            "15/07/2020",
        ] {
            assert!(!is_iso8601_datetime(bad), "{bad}");
        }
    }

    #[test]
    fn ref_is_a_sha_or_a_branch_name() {
        for ok in ["main", "feature/x", "a1b2c3d", "v1.0", "release-1"] {
            assert!(is_valid_ref(ok), "{ok}");
        }
        for bad in [
            "invalid\\branch",
            "a..b",
            "-x",
            "refs/heads/main",
            "x.lock",
            "a//b",
            "HEAD",
            "x/",
            ".x",
            "a b",
            "x@{1}",
        ] {
            assert!(!is_valid_ref(bad), "{bad}");
        }
    }
}
