//! Ruby's `File.fnmatch?` with `FNM_PATHNAME | FNM_DOTMATCH | FNM_EXTGLOB`, the matcher GitLab
//! uses for `include:local` wildcards, `rules:changes` and `rules:exists`.
//!
//! `*` and `?` never cross `/`; `**/` matches zero or more whole directories; `{a,b}` picks
//! alternatives; `[...]` is a character class (`!` or `^` negates); `\` escapes.

/// Does `path` match `pattern`?
pub fn fnmatch(pattern: &str, path: &str) -> bool {
    let mut budget = 100_000usize;
    expand_braces(pattern)
        .iter()
        .any(|p| match_from(p.as_bytes(), path.as_bytes(), &mut budget))
}

/// `{a,b}c` → `["ac", "bc"]`, nested braces included (FNM_EXTGLOB).
fn expand_braces(pattern: &str) -> Vec<String> {
    let bytes = pattern.as_bytes();
    let mut depth = 0;
    let mut start = None;
    for (i, &b) in bytes.iter().enumerate() {
        match b {
            b'\\' => continue,
            b'{' => {
                if depth == 0 {
                    start = Some(i);
                }
                depth += 1;
            }
            b'}' if depth > 0 => {
                depth -= 1;
                if depth == 0 {
                    let open = start.unwrap_or(0);
                    let (prefix, inner, suffix) =
                        (&pattern[..open], &pattern[open + 1..i], &pattern[i + 1..]);
                    let mut out = Vec::new();
                    for alternative in split_top_level(inner) {
                        for rest in expand_braces(&format!("{prefix}{alternative}{suffix}")) {
                            out.push(rest);
                        }
                    }
                    return out;
                }
            }
            _ => {}
        }
    }
    vec![pattern.to_owned()]
}

fn split_top_level(inner: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut last = 0;
    for (i, b) in inner.bytes().enumerate() {
        match b {
            b'{' => depth += 1,
            b'}' => depth -= 1,
            b',' if depth == 0 => {
                parts.push(&inner[last..i]);
                last = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&inner[last..]);
    parts
}

fn match_from(p: &[u8], s: &[u8], budget: &mut usize) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    if p.starts_with(b"**/") {
        // Zero directories, or skip one path segment and try again.
        if match_from(&p[3..], s, budget) {
            return true;
        }
        let mut i = 0;
        while i < s.len() {
            if s[i] == b'/' && match_from(p, &s[i + 1..], budget) {
                return true;
            }
            i += 1;
        }
        return false;
    }
    match p.first() {
        None => s.is_empty(),
        Some(b'*') => {
            let rest = &p[1..];
            // A trailing `**` without `/` behaves like `*` under FNM_PATHNAME.
            let rest = if rest.first() == Some(&b'*') && rest.get(1) != Some(&b'/') {
                &rest[1..]
            } else {
                rest
            };
            let mut i = 0;
            loop {
                if match_from(rest, &s[i..], budget) {
                    return true;
                }
                if i >= s.len() || s[i] == b'/' {
                    return false;
                }
                i += 1;
            }
        }
        Some(b'?') => !s.is_empty() && s[0] != b'/' && match_from(&p[1..], &s[1..], budget),
        Some(b'[') => match class(&p[1..], s.first().copied()) {
            Some((matched, len)) => matched && match_from(&p[1 + len..], &s[1..], budget),
            None => !s.is_empty() && s[0] == b'[' && match_from(&p[1..], &s[1..], budget),
        },
        Some(b'\\') if p.len() > 1 => {
            !s.is_empty() && s[0] == p[1] && match_from(&p[2..], &s[1..], budget)
        }
        Some(&c) => !s.is_empty() && s[0] == c && match_from(&p[1..], &s[1..], budget),
    }
}

/// Matches a `[...]` class; returns (matched, bytes of pattern consumed after `[`).
fn class(p: &[u8], c: Option<u8>) -> Option<(bool, usize)> {
    let c = c?;
    if c == b'/' {
        let end = p.iter().position(|&b| b == b']')?;
        return Some((false, end + 1));
    }
    let mut i = 0;
    let negate = matches!(p.first(), Some(b'!' | b'^'));
    if negate {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    while i < p.len() {
        if p[i] == b']' && !first {
            return Some((matched != negate, i + 1));
        }
        first = false;
        let lo = p[i];
        if i + 2 < p.len() && p[i + 1] == b'-' && p[i + 2] != b']' {
            if lo <= c && c <= p[i + 2] {
                matched = true;
            }
            i += 3;
        } else {
            if lo == c {
                matched = true;
            }
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::fnmatch;

    // Source: Ruby File.fnmatch documentation (FNM_PATHNAME, FNM_DOTMATCH, FNM_EXTGLOB) and GitLab
    // docs ci/yaml/_index.md include:local "Use wildcard paths" and rules:changes examples.
    #[test]
    fn ruby_fnmatch_cases() {
        let cases = [
            ("*.yml", "a.yml", true),
            ("*.yml", "ci/a.yml", false),
            ("configs/*.yml", "configs/a.yml", true),
            ("configs/*.yml", "configs/sub/a.yml", false),
            ("configs/**.yml", "configs/a.yml", true),
            ("configs/**/*.yml", "configs/a.yml", true),
            ("configs/**/*.yml", "configs/sub/deep/a.yml", true),
            ("**/*.md", "README.md", true),
            ("**/*.md", "docs/x/y.md", true),
            ("*", ".hidden", true),
            ("docs/*", "docs/.x", true),
            ("{a,b}.txt", "b.txt", true),
            ("src/{lib,bin}/**/*.rs", "src/bin/x/main.rs", true),
            ("file?.txt", "file1.txt", true),
            ("file?.txt", "file12.txt", false),
            ("[ab].c", "b.c", true),
            ("[!ab].c", "b.c", false),
            ("Dockerfile", "Dockerfile", true),
            ("Dockerfile", "sub/Dockerfile", false),
            ("a/*/c", "a/b/c", true),
            ("a/*", "a/b/c", false),
        ];
        for (pattern, path, expected) in cases {
            assert_eq!(fnmatch(pattern, path), expected, "{pattern} vs {path}");
        }
    }

    #[test]
    fn pathological_patterns_stay_bounded() {
        let pattern = "*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b";
        let path = "a".repeat(200);
        assert!(!fnmatch(pattern, &path));
    }
}
