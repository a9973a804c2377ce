//! Regular expressions the way GitLab builds them: `Gitlab::UntrustedRegexp::RubySyntax` turns
//! `/body/flags` into an RE2 pattern `(?flags)body`, and RE2 compiles it. The engine here is
//! `regex-lite` (imported as `regex`; the full `regex` crate costs ~80 KB gzipped in the browser
//! bundle): like RE2 it matches in linear time and its Perl classes and `\b` are ASCII-only.
//! The RE2 pattern is translated first: RE2 rejects some syntax the engine accepts (`a**`,
//! `(?x)`, counts over 1000) and accepts some it rejects (`\Q..\E`, `\C`, octal escapes, a lone
//! `{`), and RE2's case-insensitive matching folds non-ASCII letters, which the translation
//! spells out as classes (`é` → `[éÉ]`).

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

/// A compiled pattern; equality compares the RE2 source like `UntrustedRegexp#==`.
#[derive(Clone)]
pub struct Regex {
    source: String,
    compiled: regex::Regex,
}

impl Regex {
    /// Compiles an RE2 pattern (`UntrustedRegexp.new(pattern)`); `None` when RE2 would reject it.
    pub fn new(re2_source: &str) -> Option<Regex> {
        // The same few patterns come back for every job (a `rules:` list shared through
        // `extends` or an anchor) and again when the rules are evaluated: compile each once.
        if let Some(cached) = CACHE.with(|c| c.borrow().get(re2_source).cloned()) {
            return cached;
        }
        let compiled = translate(re2_source).and_then(|translated| {
            regex::RegexBuilder::new(&translated)
                // Roughly RE2's default max_mem, so huge programs fail instead of eating memory.
                .size_limit(8 << 20)
                .build()
                .ok()
        });
        let regex = compiled.map(|compiled| Regex {
            source: re2_source.to_string(),
            compiled,
        });
        CACHE.with(|c| {
            let mut cache = c.borrow_mut();
            // Bounded: hostile input with many distinct patterns only loses the cache.
            if cache.len() >= CACHE_ENTRIES || re2_source.len() > CACHE_PATTERN_BYTES {
                cache.clear();
            }
            if re2_source.len() <= CACHE_PATTERN_BYTES {
                cache.insert(re2_source.to_string(), regex.clone());
            }
        });
        regex
    }

    /// The RE2 pattern, flags included as a `(?flags)` prefix.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `UntrustedRegexp#scan(text).present?`: any match at all, anywhere (empty ones count).
    pub fn is_match(&self, text: &str) -> bool {
        self.compiled.is_match(text)
    }
}

/// Compiled patterns (and rejected ones) by RE2 source, per thread. `regex::Regex` shares its
/// program between clones, so a hit costs a reference count.
const CACHE_ENTRIES: usize = 512;
const CACHE_PATTERN_BYTES: usize = 4096;

thread_local! {
    static CACHE: RefCell<HashMap<String, Option<Regex>>> = RefCell::new(HashMap::new());
}

impl PartialEq for Regex {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

impl Eq for Regex {}

impl fmt::Debug for Regex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Regex({:?})", self.source)
    }
}

impl serde::Serialize for Regex {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.source)
    }
}

/// `Lexeme::Pattern.new(text)` followed by `RubySyntax.fabricate!`: unescape `\/`, then the
/// whole text must look like `/body/flags`. `None` is GitLab's 'Invalid regular expression!'.
pub fn from_ruby_syntax(text: &str) -> Option<Regex> {
    let unescaped = text.replace("\\/", "/");
    let (body, flags) = ruby_syntax_parts(&unescaped)?;
    let source = if flags.is_empty() {
        body.to_string()
    } else {
        format!("(?{flags}){body}")
    };
    Regex::new(&source)
}

/// `RubySyntax::PATTERN`, `%r{^/(?<regexp>.*)/(?<flags>[ismU]*)$}`, matched by hand (a
/// capturing regex search was a measurable part of every `rules:if`). Ruby's `^`/`$` are line
/// anchors and `.` stops at "\n", so the first line that starts with `/` and ends with `/`
/// plus flags wins, and the greedy `.*` takes the body up to that line's last `/`.
fn ruby_syntax_parts(text: &str) -> Option<(&str, &str)> {
    text.split('\n').find_map(|line| {
        let rest = line.strip_prefix('/')?;
        let last = rest.rfind('/')?;
        let flags = &rest[last + 1..];
        flags
            .chars()
            .all(|c| matches!(c, 'i' | 's' | 'm' | 'U'))
            .then(|| (&rest[..last], flags))
    })
}

/// RE2's limit on a counted repetition, and on nested counts multiplied together.
const MAX_REPEAT: u64 = 1000;

fn push_literal(out: &mut String, c: char) {
    out.push_str(&format!("\\x{{{:X}}}", c as u32));
}

/// The other cases of a non-ASCII letter, for case-insensitive patterns: the engine folds
/// ASCII only. Letters pair as in Unicode's simple case folding, as in RE2 (`ß` does not
/// match "SS").
fn case_variants(c: char) -> Vec<char> {
    if c.is_ascii() {
        return Vec::new();
    }
    crate::casing::case_mates(c)
}

/// Whether the pattern turns case-insensitivity on anywhere (`(?i)`, `(?i:...)`).
fn folds_case(chars: &[char]) -> bool {
    chars.windows(2).enumerate().any(|(i, w)| {
        w == ['(', '?']
            && chars[i + 2..]
                .iter()
                .take_while(|c| c.is_ascii_alphabetic())
                .any(|&c| c == 'i')
    })
}

/// Translates an RE2 pattern to `regex` syntax, or `None` when RE2 rejects the pattern.
fn translate(src: &str) -> Option<String> {
    let chars: Vec<char> = src.chars().collect();
    let fold = folds_case(&chars);
    let mut out = String::with_capacity(src.len() * 2);
    let mut i = 0;
    // Per open group, the largest product of nested counted repetitions inside it: RE2 rejects
    // a nesting whose counts multiply to more than 1000.
    let mut groups: Vec<u64> = vec![1];
    let mut names: Vec<String> = Vec::new();
    // RE2 refuses a repetition operator straight after another one (`a**`, `a{2}{3}`).
    let mut after_repeat = false;
    // The nested-repetition product of the atom a following operator would apply to.
    let mut atom_product: u64 = 1;
    while let Some(&c) = chars.get(i) {
        let mut is_repeat = false;
        let mut next_atom: u64 = 1;
        match c {
            '\\' => {
                i = translate_escape(&chars, i, &mut out)?;
            }
            '[' => {
                i = translate_class(&chars, i, &mut out, fold)?;
            }
            '(' => {
                let opens = if chars.get(i + 1) == Some(&'?') {
                    let (end, opens) = translate_group_flags(&chars, i, &mut out, &mut names)?;
                    i = end;
                    opens
                } else {
                    out.push('(');
                    i += 1;
                    true
                };
                if opens {
                    groups.push(1);
                }
            }
            ')' => {
                let inner = groups.pop()?;
                if groups.is_empty() {
                    return None;
                }
                out.push(')');
                i += 1;
                next_atom = inner;
            }
            '*' | '+' | '?' => {
                if after_repeat {
                    return None;
                }
                out.push(c);
                i += 1;
                if chars.get(i) == Some(&'?') {
                    out.push('?');
                    i += 1;
                }
                is_repeat = true;
                next_atom = atom_product;
            }
            '{' => match parse_repetition(&chars, i) {
                Some((lo, hi, end)) => {
                    if after_repeat || lo > MAX_REPEAT || hi.is_some_and(|h| h > MAX_REPEAT) {
                        return None;
                    }
                    if hi.is_some_and(|h| h < lo) {
                        return None;
                    }
                    let factor = match hi {
                        Some(h) if h > 0 => h,
                        Some(_) => 1,
                        None => lo.max(1),
                    };
                    let product = atom_product.saturating_mul(factor);
                    if product > MAX_REPEAT {
                        return None;
                    }
                    out.extend(chars.get(i..end)?.iter());
                    i = end;
                    if chars.get(i) == Some(&'?') {
                        out.push('?');
                        i += 1;
                    }
                    is_repeat = true;
                    next_atom = product;
                }
                None => {
                    push_literal(&mut out, '{');
                    i += 1;
                }
            },
            '}' | ']' => {
                push_literal(&mut out, c);
                i += 1;
            }
            '|' => {
                out.push('|');
                i += 1;
            }
            _ => {
                let variants = if fold { case_variants(c) } else { Vec::new() };
                if variants.is_empty() {
                    out.push(c);
                } else {
                    out.push('[');
                    push_literal(&mut out, c);
                    for v in variants {
                        push_literal(&mut out, v);
                    }
                    out.push(']');
                }
                i += 1;
            }
        }
        if let Some(inner) = groups.last_mut() {
            *inner = (*inner).max(next_atom);
        }
        after_repeat = is_repeat;
        atom_product = next_atom;
    }
    if groups.len() != 1 {
        return None;
    }
    Some(out)
}

/// Parses RE2's `{n}`, `{n,}`, `{n,m}` (no leading zeros, no `{,m}`). Returns (lo, hi, end).
fn parse_repetition(chars: &[char], start: usize) -> Option<(u64, Option<u64>, usize)> {
    let mut i = start + 1;
    let lo = parse_integer(chars, &mut i)?;
    let hi = match chars.get(i) {
        Some(',') => {
            i += 1;
            if chars.get(i) == Some(&'}') {
                None
            } else {
                Some(parse_integer(chars, &mut i)?)
            }
        }
        _ => Some(lo),
    };
    if chars.get(i) != Some(&'}') {
        return None;
    }
    Some((lo, hi, i + 1))
}

fn parse_integer(chars: &[char], i: &mut usize) -> Option<u64> {
    let first = chars.get(*i)?;
    if !first.is_ascii_digit() {
        return None;
    }
    if *first == '0' && chars.get(*i + 1).is_some_and(|c| c.is_ascii_digit()) {
        return None;
    }
    let mut n: u64 = 0;
    while let Some(d) = chars.get(*i).and_then(|c| c.to_digit(10)) {
        if n >= 100_000_000 {
            return None;
        }
        n = n * 10 + u64::from(d);
        *i += 1;
    }
    Some(n)
}

/// `(?flags)`, `(?flags:`, `(?P<name>`, `(?<name>`. Flags are normalised because `regex`
/// rejects repeated flags that RE2 accepts (`(?ii)`) and RE2 accepts the empty `(?)`.
/// Returns the index after it and whether it opened a group.
fn translate_group_flags(
    chars: &[char],
    start: usize,
    out: &mut String,
    names: &mut Vec<String>,
) -> Option<(usize, bool)> {
    let mut i = start + 2;
    let named = match (chars.get(i), chars.get(i + 1)) {
        (Some('P'), Some('<')) => Some(i + 2),
        (Some('<'), _) => Some(i + 1),
        _ => None,
    };
    if let Some(name_start) = named {
        let len = chars.get(name_start..)?.iter().position(|&c| c == '>')?;
        let name: String = chars.get(name_start..name_start + len)?.iter().collect();
        if name.is_empty() || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
            return None;
        }
        if names.contains(&name) {
            return None;
        }
        names.push(name);
        // Names do not matter for matching, and `regex` is stricter about them than RE2.
        out.push('(');
        return Some((name_start + len + 1, true));
    }
    let mut on = String::new();
    let mut off = String::new();
    let mut negated = false;
    let mut saw_flags = false;
    loop {
        let c = *chars.get(i)?;
        i += 1;
        match c {
            'i' | 'm' | 's' | 'U' => {
                saw_flags = true;
                let (add, remove) = if negated {
                    (&mut off, &mut on)
                } else {
                    (&mut on, &mut off)
                };
                if !add.contains(c) {
                    add.push(c);
                }
                remove.retain(|x| x != c);
            }
            '-' => {
                if negated {
                    return None;
                }
                negated = true;
                saw_flags = false;
            }
            ':' | ')' => {
                if negated && !saw_flags {
                    return None;
                }
                let mut flags = on;
                if !off.is_empty() {
                    flags.push('-');
                    flags.push_str(&off);
                }
                match (c, flags.is_empty()) {
                    (':', true) => out.push_str("(?:"),
                    (':', false) => out.push_str(&format!("(?{flags}:")),
                    (_, true) => {}
                    (_, false) => out.push_str(&format!("(?{flags})")),
                }
                return Some((i, c == ':'));
            }
            _ => return None,
        }
    }
}

/// An escape outside a character class.
fn translate_escape(chars: &[char], start: usize, out: &mut String) -> Option<usize> {
    let c = *chars.get(start + 1)?;
    match c {
        'b' => out.push_str(r"\b"),
        'B' => out.push_str(r"\B"),
        'A' => out.push_str(r"\A"),
        'z' => out.push_str(r"\z"),
        // Any byte in RE2; as close as a UTF-8 matcher gets.
        'C' => out.push_str("(?s:.)"),
        'Q' => {
            let mut i = start + 2;
            while let Some(&q) = chars.get(i) {
                if q == '\\' && chars.get(i + 1) == Some(&'E') {
                    return Some(i + 2);
                }
                push_literal(out, q);
                i += 1;
            }
            return Some(i);
        }
        'p' | 'P' => return copy_unicode_class(chars, start, out),
        's' => {
            out.push('[');
            out.push_str(perl_class(c));
            out.push(']');
        }
        'd' | 'D' | 'S' | 'w' | 'W' => out.push_str(perl_class(c)),
        _ => {
            let (rune, end) = parse_escape(chars, start)?;
            push_literal(out, rune);
            return Some(end);
        }
    }
    Some(start + 2)
}

/// RE2's Perl classes are ASCII-only, as the engine's are, except that RE2's `\s` leaves out
/// the vertical tab: spelled out where that matters. Written so they also work inside a class
/// (`[\s]`); `[\S]` keeps the engine's `\S`, which differs from RE2's on `\v` alone.
fn perl_class(c: char) -> &'static str {
    match c {
        'd' => r"\d",
        'D' => r"\D",
        's' => r"\t\n\f\r ",
        'S' => r"\S",
        'w' => r"\w",
        _ => r"\W",
    }
}

/// `\pL`, `\p{Greek}`, `\P{^L}`: copied; `regex` decides which names it knows.
fn copy_unicode_class(chars: &[char], start: usize, out: &mut String) -> Option<usize> {
    let mut end = start + 3;
    if chars.get(start + 2) == Some(&'{') {
        let len = chars.get(start + 3..)?.iter().position(|&c| c == '}')?;
        end = start + 3 + len + 1;
    } else {
        chars.get(start + 2)?;
    }
    out.extend(chars.get(start..end)?.iter());
    Some(end)
}

/// RE2's `ParseEscape`: one escaped character. Returns it and the index after the escape.
fn parse_escape(chars: &[char], start: usize) -> Option<(char, usize)> {
    let c = *chars.get(start + 1)?;
    let mut i = start + 2;
    let rune = match c {
        '1'..='7' | '0' => {
            // A single non-zero digit would be a backreference, which RE2 does not support.
            let is_octal = |c: Option<&char>| c.is_some_and(|c| ('0'..='7').contains(c));
            if c != '0' && !is_octal(chars.get(i)) {
                return None;
            }
            let mut code = c.to_digit(8)?;
            for _ in 0..2 {
                match chars.get(i) {
                    Some(d) if is_octal(Some(d)) => {
                        code = code * 8 + d.to_digit(8)?;
                        i += 1;
                    }
                    _ => break,
                }
            }
            char::from_u32(code)?
        }
        'x' => {
            if chars.get(i) == Some(&'{') {
                i += 1;
                let mut code: u32 = 0;
                let mut digits = 0;
                while let Some(d) = chars.get(i).and_then(|c| c.to_digit(16)) {
                    code = code.checked_mul(16)?.checked_add(d)?;
                    if code > 0x10FFFF {
                        return None;
                    }
                    digits += 1;
                    i += 1;
                }
                if digits == 0 || chars.get(i) != Some(&'}') {
                    return None;
                }
                i += 1;
                char::from_u32(code)?
            } else {
                let hi = chars.get(i)?.to_digit(16)?;
                let lo = chars.get(i + 1)?.to_digit(16)?;
                i += 2;
                char::from_u32(hi * 16 + lo)?
            }
        }
        'n' => '\n',
        'r' => '\r',
        't' => '\t',
        'a' => '\u{7}',
        'f' => '\u{c}',
        'v' => '\u{b}',
        // Escaped ASCII punctuation is itself; escaped letters, digits or non-ASCII are errors.
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => c,
        _ => return None,
    };
    Some((rune, i))
}

/// A bracketed class, RE2 rules: `]` first is literal, `-` is literal anywhere a range cannot
/// start, `[` is literal unless it opens `[:name:]`.
fn translate_class(chars: &[char], start: usize, out: &mut String, fold: bool) -> Option<usize> {
    let mut i = start + 1;
    out.push('[');
    if chars.get(i) == Some(&'^') {
        out.push('^');
        i += 1;
    }
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        if c == ']' && !first {
            out.push(']');
            return Some(i + 1);
        }
        first = false;
        if c == '[' && chars.get(i + 1) == Some(&':') {
            match posix_name_len(chars, i) {
                Some(Ok(len)) => {
                    out.extend(chars.get(i..i + len)?.iter());
                    i += len;
                    continue;
                }
                Some(Err(())) => return None,
                None => {}
            }
        }
        if c == '\\' {
            match chars.get(i + 1) {
                Some('p' | 'P') => {
                    i = copy_unicode_class(chars, i, out)?;
                    continue;
                }
                Some(&p @ ('d' | 'D' | 's' | 'S' | 'w' | 'W')) => {
                    out.push_str(perl_class(p));
                    i += 2;
                    continue;
                }
                _ => {}
            }
        }
        let (lo, next) = class_char(chars, i)?;
        i = next;
        push_literal(out, lo);
        let single = !(chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&c| c != ']'));
        if fold && single {
            for v in case_variants(lo) {
                push_literal(out, v);
            }
        }
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&c| c != ']') {
            let (hi, next) = class_char(chars, i + 1)?;
            if hi < lo {
                return None;
            }
            i = next;
            out.push('-');
            push_literal(out, hi);
        }
    }
}

fn class_char(chars: &[char], i: usize) -> Option<(char, usize)> {
    match chars.get(i)? {
        '\\' => parse_escape(chars, i),
        &c => Some((c, i + 1)),
    }
}

/// `[:alpha:]` / `[:^alpha:]` at `i`: `Some(Ok(len))` for a known name, `Some(Err(()))` for an
/// unknown one (an error in RE2), `None` when there is no closing `:]` (then `[` is literal).
fn posix_name_len(chars: &[char], i: usize) -> Option<Result<usize, ()>> {
    const NAMES: [&str; 14] = [
        "alnum", "alpha", "ascii", "blank", "cntrl", "digit", "graph", "lower", "print", "punct",
        "space", "upper", "word", "xdigit",
    ];
    let rest = chars.get(i + 2..)?;
    let close = rest.windows(2).position(|w| w == [':', ']'])?;
    let name: String = rest.get(..close)?.iter().collect();
    let name = name.strip_prefix('^').unwrap_or(&name);
    Some(if NAMES.contains(&name) {
        Ok(close + 4)
    } else {
        Err(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RE2 syntax accepted or rejected the way RE2 does (RE2 re2/parse.cc; GitLab
    /// lib/gitlab/untrusted_regexp.rb compiles every `rules:if` pattern with RE2).
    #[test]
    fn re2_validity() {
        let table: &[(&str, bool)] = &[
            ("abc", true),
            ("", true),
            ("a**", false),
            ("a*+", false),
            ("a{2}{3}", false),
            ("a*?", true),
            ("a*??", false),
            ("a{1000}", true),
            ("a{1001}", false),
            ("(?:a{100}){10}", true),
            ("(?:a{100}){20}", false),
            ("((a{10}){10}){11}", false),
            ("a{2,1}", false),
            ("a{", true),
            ("a{,2}", true),
            ("a{01}", true),
            ("}", true),
            ("]", true),
            ("(?ii)a", true),
            ("(?i-i)a", true),
            ("()", true),
            ("(?)a", true),
            ("(?-)a", false),
            ("(?i-)a", false),
            ("(?x)a", false),
            ("(?P<n>a)", true),
            ("(?<n>a)", true),
            ("(?P<1a>a)", true),
            ("(?P<n>a)(?P<n>b)", false),
            ("(?P<n-x>a)", false),
            ("(?'n'a)", false),
            (r"\Qa.b\E", true),
            (r"\C", true),
            (r"\1", false),
            (r"\8", false),
            (r"\0", true),
            (r"\012", true),
            (r"\x41", true),
            (r"\x{41}", true),
            (r"\x{}", false),
            (r"\x{110000}", false),
            (r"\e", false),
            (r"\_", true),
            (r"\<", true),
            (r"\Z", false),
            (r"\", false),
            ("[a", false),
            ("[]a]", true),
            ("[]", false),
            ("[a[b]", true),
            ("[z-a]", false),
            ("[a-]", true),
            ("[[:alpha:]]", true),
            ("[[:foo:]]", false),
            ("[[:^digit:]x]", true),
            ("[[:alpha]", true),
            (r"[\b]", false),
            (r"[\d-z]", true),
            ("(", false),
            (")", false),
            ("a)|(b", false),
        ];
        for (pattern, valid) in table {
            assert_eq!(Regex::new(pattern).is_some(), *valid, "pattern {pattern:?}");
        }
    }

    /// Matching semantics of RE2 that differ from the `regex` crate's defaults.
    #[test]
    fn re2_matching() {
        let table: &[(&str, &str, bool)] = &[
            // RE2's \w, \d, \s and \b are ASCII-only.
            (r"^\w+$", "héllo", false),
            (r"^\w+$", "hello_1", true),
            (r"\d", "٣", false),
            (r"\s", "\u{a0}", false),
            (r"\s", "\u{b}", false),
            (r"a\b", "aé", true),
            (r"é\b", "éa", true),
            (r"\Bé", "aé", false),
            (r"[\w]", "é", false),
            (r"[\W]", "é", true),
            (r"[^\d]", "5", false),
            // Escaped punctuation and brackets are literals.
            (r"\Qa.b\E", "axb", false),
            (r"\Qa.b\E", "a.b", true),
            ("a{", "a{", true),
            ("a{,2}", "a{,2}", true),
            ("[a[b]", "[", true),
            ("[]a]", "]", true),
            (r"\012", "\n", true),
            (r"\x40", "@", true),
            (r"\/", "/", true),
            // RE2 folds the case of non-ASCII letters too (the engine does not: see
            // `case_variants`); ß has no simple fold to "SS".
            ("(?i)café", "CAFÉ", true),
            ("(?i)[é]", "É", true),
            ("(?i:Ω)x", "ωx", true),
            ("(?i)ς", "Σ", true),
            ("(?i)σ", "ς", true),
            ("(?i)ſ", "S", true),
            ("(?i)K", "k", true),
            ("café", "CAFÉ", false),
            ("(?i)ß", "SS", false),
            // Flags as RubySyntax writes them.
            ("(?i)abc", "ABC", true),
            ("(?U)a+", "aaa", true),
            ("(?s)a.b", "a\nb", true),
            ("a.b", "a\nb", false),
            ("(?m)^b$", "a\nb\nc", true),
            ("^b$", "a\nb\nc", false),
            ("(?ii)a", "A", true),
            ("(?i-i)a", "A", false),
            ("(?i:a)b", "Ab", true),
            ("(?i:a)b", "AB", false),
            ("(?P<n>a)b", "ab", true),
        ];
        for (pattern, text, expected) in table {
            let regex = Regex::new(pattern).unwrap_or_else(|| panic!("{pattern:?} invalid"));
            assert_eq!(regex.is_match(text), *expected, "{pattern:?} on {text:?}");
        }
    }

    /// lib/gitlab/untrusted_regexp/ruby_syntax.rb and spec/.../lexeme/pattern_spec.rb,
    /// pattern/regular_expression_spec.rb: `/body/flags` to an RE2 source.
    #[test]
    fn ruby_syntax() {
        let table: &[(&str, Option<&str>)] = &[
            ("/foo/", Some("foo")),
            (r"/foo\/bar/", Some("foo/bar")),
            ("foo", None),
            ("/pattern/i", Some("(?i)pattern")),
            ("/pattern/im", Some("(?im)pattern")),
            ("/pattern/x", None),
            ("/ some ( thin/i", None),
            ("/.*/", Some(".*")),
            ("//", Some("")),
            ("/./", Some(".")),
            ("/a/i/", Some("a/i")),
            ("/^ab.*/", Some("^ab.*")),
            (
                r"/some numeric \$ pattern/",
                Some(r"some numeric \$ pattern"),
            ),
            // Ruby's ^ and $ are line anchors: any line of the text may be the pattern.
            ("text\n/ab/\nmore", Some("ab")),
            ("/a\nb/", None),
            ("/a/ ", None),
        ];
        for (text, source) in table {
            let got = from_ruby_syntax(text);
            assert_eq!(got.as_ref().map(Regex::source), *source, "{text:?}");
        }
    }

    /// The hand-written `RubySyntax::PATTERN` match agrees with the regex it replaces.
    #[test]
    fn ruby_syntax_parts_match_the_pattern() {
        let pattern = regex::Regex::new(r"(?m)^/(?P<re>.*)/(?P<flags>[ismU]*)$").unwrap();
        let inputs = [
            "/a/",
            "/a/i",
            "/a/x",
            "//",
            "/",
            "a/b/",
            "/a/b/c",
            "/a/b/ms",
            "/a/\n/b/",
            "x\n/a/i",
            "/a/i\n/b/",
            "/a/\r",
            "/a/i\r\n/b/",
            "\n",
            "/a/ii\n",
            "/é/",
            "/a//",
            "/a/U",
            "/a/iS",
            " /a/",
            "/a/ ",
            "/\n/",
        ];
        for text in inputs {
            let text = text.replace("\\n", "\n").replace("\\r", "\r");
            let expected = pattern.captures(&text).map(|c| {
                (
                    c.name("re").map_or("", |m| m.as_str()),
                    c.name("flags").map_or("", |m| m.as_str()),
                )
            });
            assert_eq!(ruby_syntax_parts(&text), expected, "{text:?}");
        }
    }

    /// A cached compile returns the same answer as the first one, accepted or rejected.
    #[test]
    fn cache_keeps_answers() {
        for _ in 0..3 {
            assert!(Regex::new("a{1001}").is_none());
            assert_eq!(Regex::new("^v\\d+").map(|r| r.is_match("v12")), Some(true));
        }
    }
}
