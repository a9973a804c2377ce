//! Mirrors `Gitlab::UntrustedRegexp` (lib/gitlab/untrusted_regexp.rb) and
//! `Gitlab::UntrustedRegexp::RubySyntax` (lib/gitlab/untrusted_regexp/ruby_syntax.rb): GitLab
//! turns `/body/flags` into the RE2 pattern `(?flags)body`, compiles it with RE2's default
//! options (8 MiB `max_mem`; a pattern RE2 cannot compile is GitLab's invalid expression) and
//! matches with `scan(text).present?`.
//!
//! The engine is the `regex` crate (linear time: a lazy DFA, PikeVM fallback; compile size
//! limits), matching bytes as RE2 does. It is built with only the Unicode tables RE2's semantics
//! need: simple case folding and the `\p{..}` general categories and scripts. The translation
//! below exists only for real syntax differences between RE2 and the crate:
//! - RE2 rejects what the crate accepts: `a**`, counts over 1000 (also nested counts multiplied
//!   together), flags other than `imsU`, Unicode class names other than RE2's (the crate also
//!   knows binary properties and loose spellings);
//! - RE2 accepts what the crate rejects: `\Q..\E`, `\C` (any byte), octal escapes, a lone `{`,
//!   `(?P<1a>..)`, repeated flags `(?ii)`, `[` inside a class as a literal;
//! - RE2's `\d`, `\s`, `\w`, `\b` are ASCII-only (`\s` without `\v`): written as ASCII classes,
//!   and `\b` as the crate's ASCII boundary, so the crate's Unicode Perl tables stay out of the
//!   browser bundle; `\p{Greek}` is the Script property in RE2 (the crate's bare name means
//!   Script_Extensions), written `\p{sc=Greek}`.
//!
//! Differences measured against RE2 by scripts/re2-diff.py are listed in docs/PARITY.md
//! ("Regular expressions"); tests/fixtures/regex/re2-cases.tsv holds RE2's answers.

use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;
use std::sync::OnceLock;

/// A compiled pattern; equality compares the RE2 source like `UntrustedRegexp#==`.
#[derive(Clone)]
pub struct Regex {
    source: String,
    /// `None` when RE2 compiles the pattern but GitLab's scan pattern never matches (see
    /// `scan_never_matches`).
    compiled: Option<regex::bytes::Regex>,
}

/// RE2's default `max_mem` (re2.h: `max_mem = 8<<20`), the figure GitLab's `RE2::Regexp.new`
/// runs with.
const RE2_MAX_MEM: usize = 8 << 20;

impl Regex {
    /// Compiles an RE2 pattern (`UntrustedRegexp.new(pattern)`); `None` when RE2 would reject it.
    pub fn new(re2_source: &str) -> Option<Regex> {
        // The same few patterns come back for every job (a `rules:` list shared through
        // `extends` or an anchor) and again when the rules are evaluated: compile each once.
        if let Some(cached) = CACHE.with(|c| c.borrow().get(re2_source).cloned()) {
            return cached;
        }
        let regex = compile(re2_source);
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
        self.compiled
            .as_ref()
            .is_some_and(|compiled| compiled.is_match(text.as_bytes()))
    }
}

/// Translates, then compiles within RE2's limits.
fn compile(re2_source: &str) -> Option<Regex> {
    let translation = translate(re2_source)?;
    let compiled = build(&translation.pattern)?;
    Some(Regex {
        source: re2_source.to_string(),
        compiled: (!scan_never_matches(&translation)).then_some(compiled),
    })
}

/// `UntrustedRegexp#initialize_scan_regexp`: without capturing groups GitLab scans with
/// `(` + source + `)`, which RE2 rejects when the source ends inside an unterminated `\Q`
/// (the `)` becomes a literal); the re2 gem's scanner then finds nothing.
fn scan_never_matches(translation: &Translation) -> bool {
    translation.captures == 0 && translation.open_quote
}

/// The compile limits standing in for RE2's memory limit. RE2 fails a pattern whose program
/// exceeds two thirds of `max_mem` (measured: 698,992 literal bytes, 698 times `[a-z]{1000}`,
/// 446 times `\pL`, 58,249 times `.`). The crate's limit is in bytes of its own NFA, which is
/// larger per RE2 instruction and not in a fixed ratio (72 bytes for `[a-z]`, 1,000 for `.`,
/// 43,000 for `\pL`, measured), so no single figure mirrors RE2's; at the same 8 MiB every
/// pattern RE2 rejects for size is rejected here too, and a few RE2 still compiles are
/// rejected here (`[a-z]{1000}` more than about 115 times, `\pL` more than about 195 times:
/// docs/PARITY.md). The limit also bounds matching: the PikeVM the crate falls back to when
/// its lazy DFA thrashes costs time in proportion to NFA size times text length.
fn build(pattern: &str) -> Option<regex::bytes::Regex> {
    regex::bytes::RegexBuilder::new(pattern)
        .size_limit(RE2_MAX_MEM)
        .dfa_size_limit(DFA_CACHE_BYTES)
        .nest_limit(NEST_LIMIT)
        .build()
        .ok()
}

/// The lazy DFA's cache: RE2 gives its two DFAs the third of `max_mem` its program does not
/// use; past it the crate falls back to its PikeVM, as RE2 falls back to its NFA.
const DFA_CACHE_BYTES: usize = RE2_MAX_MEM / 3;
/// RE2 has no nesting limit (measured: 100,000 nested groups compile), but the crate's
/// compiler recurses once per level, so a deep nesting would overflow the stack (the browser's
/// is 1 MiB; 900 levels overflow it in a debug build). The crate's own default, 250 levels
/// (groups, repetitions and alternations each count).
const NEST_LIMIT: u32 = 250;

/// Compiled patterns (and rejected ones) by RE2 source, per thread. `regex::bytes::Regex`
/// shares its program between clones, so a hit costs a reference count.
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

/// A translated pattern and what GitLab's scan needs to know about it.
struct Translation {
    pattern: String,
    /// RE2's `number_of_capturing_groups`.
    captures: usize,
    /// The pattern ends inside `\Q` without `\E`.
    open_quote: bool,
}

/// One character as a literal in the crate's syntax, inside or outside a class.
fn push_literal(out: &mut String, c: char) {
    if c.is_ascii_alphanumeric() || (!c.is_ascii() && !c.is_control() && !c.is_whitespace()) {
        out.push(c);
    } else {
        out.push_str(&format!("\\x{{{:X}}}", c as u32));
    }
}

/// Translates an RE2 pattern to the crate's syntax, or `None` when RE2 rejects the pattern.
fn translate(src: &str) -> Option<Translation> {
    let chars: Vec<char> = src.chars().collect();
    let mut out = String::with_capacity(src.len() * 2);
    let mut i = 0;
    // Per open group: the largest product of nested counted repetitions inside it (RE2 rejects
    // a nesting whose counts multiply to more than 1000), and where it starts in `out`.
    let mut groups: Vec<(u64, usize)> = vec![(1, 0)];
    let mut captures = 0;
    let mut open_quote = false;
    // RE2 refuses a repetition operator straight after another one (`a**`, `a{2}{3}`).
    let mut after_repeat = false;
    // The last atom: where it starts in `out`, whether it is repeated, and its product of
    // nested repetitions (what a following operator applies to).
    let mut atom: Option<usize> = None;
    let mut atom_repeated = false;
    let mut atom_product: u64 = 1;
    // `(?flags)` groups not yet written. RE2 applies an operator after one to the atom before
    // it (`a(?i)*` is `a*`), the crate rejects that: the flags are written after the operator.
    let mut pending_flags = String::new();
    while let Some(&c) = chars.get(i) {
        if let Some((end, product)) = repetition_at(&chars, i, atom_product)? {
            if after_repeat {
                return None;
            }
            if atom_repeated {
                // `a*(?i)*`: RE2 squashes the second operator into the first; the crate needs
                // the repeated atom grouped.
                if let Some(start) = atom {
                    out.insert_str(start, "(?:");
                    out.push(')');
                }
            }
            out.extend(chars.get(i..end)?.iter());
            i = end;
            if let Some(inner) = groups.last_mut() {
                inner.0 = inner.0.max(product);
            }
            after_repeat = true;
            atom_repeated = true;
            atom_product = product;
            continue;
        }
        after_repeat = false;
        if c == '(' && chars.get(i + 1) == Some(&'?') {
            let mut flags = String::new();
            let (end, group) = translate_group_flags(&chars, i, &mut flags)?;
            i = end;
            if group == Group::FlagsOnly {
                pending_flags.push_str(&flags);
                continue;
            }
            out.push_str(&std::mem::take(&mut pending_flags));
            if group == Group::Capture {
                captures += 1;
            }
            groups.push((1, out.len()));
            out.push_str(&flags);
            atom = None;
            atom_repeated = false;
            atom_product = 1;
            continue;
        }
        out.push_str(&std::mem::take(&mut pending_flags));
        let start = out.len();
        let mut product = 1;
        match c {
            '\\' => {
                let (end, unterminated) = translate_escape(&chars, i, &mut out)?;
                i = end;
                open_quote = unterminated;
            }
            '[' => {
                i = translate_class(&chars, i, &mut out)?;
            }
            '(' => {
                groups.push((1, out.len()));
                out.push('(');
                captures += 1;
                i += 1;
                atom = None;
                atom_repeated = false;
                atom_product = 1;
                continue;
            }
            ')' => {
                let (inner, group_start) = groups.pop()?;
                if groups.is_empty() {
                    return None;
                }
                out.push(')');
                i += 1;
                product = inner;
                atom = Some(group_start);
                atom_repeated = false;
                atom_product = product;
                if let Some(outer) = groups.last_mut() {
                    outer.0 = outer.0.max(product);
                }
                continue;
            }
            '{' | '}' | ']' => {
                // Not a repetition (`repetition_at` said so): a literal, as in RE2.
                push_literal(&mut out, c);
                i += 1;
            }
            '|' => {
                out.push('|');
                i += 1;
                atom = None;
                atom_repeated = false;
                atom_product = 1;
                continue;
            }
            '.' | '^' | '$' | '*' | '+' | '?' => {
                // An operator with nothing to repeat stays an operator: the crate rejects it
                // as RE2 does.
                out.push(c);
                i += 1;
            }
            _ => {
                push_literal(&mut out, c);
                i += 1;
            }
        }
        atom = Some(start);
        atom_repeated = false;
        atom_product = product;
    }
    out.push_str(&pending_flags);
    if groups.len() != 1 {
        return None;
    }
    Some(Translation {
        pattern: out,
        captures,
        open_quote,
    })
}

/// A repetition operator at `i` (`*`, `+`, `?`, `{n}`, `{n,}`, `{n,m}`, each maybe followed by
/// `?`) applied to an atom whose nested product is `atom_product`: `Some(Some((end,
/// product)))`, or `Some(None)` when there is none, or `None` when RE2 rejects its count.
fn repetition_at(chars: &[char], i: usize, atom_product: u64) -> Option<Option<(usize, u64)>> {
    let (mut end, product) = match chars.get(i) {
        Some('*' | '+' | '?') => (i + 1, atom_product),
        Some('{') => match parse_repetition(chars, i) {
            Some((lo, hi, end)) => {
                if lo > MAX_REPEAT || hi.is_some_and(|h| h > MAX_REPEAT || h < lo) {
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
                (end, product)
            }
            None => return Some(None),
        },
        _ => return Some(None),
    };
    if chars.get(end) == Some(&'?') {
        end += 1;
    }
    Some(Some((end, product)))
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

/// What a `(?` construct was.
#[derive(Clone, Copy, PartialEq)]
enum Group {
    /// `(?P<name>` or `(?<name>`.
    Capture,
    /// `(?flags:`.
    NonCapture,
    /// `(?flags)`: no group.
    FlagsOnly,
}

/// `(?flags)`, `(?flags:`, `(?P<name>`, `(?<name>`. Flags are normalised because the crate
/// rejects repeated flags that RE2 accepts (`(?ii)`) and RE2 accepts the empty `(?)`.
/// Returns the index after it and what it opened.
fn translate_group_flags(chars: &[char], start: usize, out: &mut String) -> Option<(usize, Group)> {
    let mut i = start + 2;
    let named = match (chars.get(i), chars.get(i + 1)) {
        (Some('P'), Some('<')) => Some(i + 2),
        (Some('<'), _) => Some(i + 1),
        _ => None,
    };
    if let Some(name_start) = named {
        let len = chars.get(name_start..)?.iter().position(|&c| c == '>')?;
        let name: String = chars.get(name_start..name_start + len)?.iter().collect();
        if !is_capture_name(&name) {
            return None;
        }
        // Names do not matter for matching, and the crate is stricter about them than RE2.
        out.push('(');
        return Some((name_start + len + 1, Group::Capture));
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
                let group = if c == ':' {
                    Group::NonCapture
                } else {
                    Group::FlagsOnly
                };
                return Some((i, group));
            }
            _ => return None,
        }
    }
}

/// RE2's `IsValidCaptureName`: one or more letters, combining marks, decimal digits or
/// connector punctuation. RE2 allows a name twice (measured).
fn is_capture_name(name: &str) -> bool {
    static NAME: OnceLock<Option<regex::Regex>> = OnceLock::new();
    NAME.get_or_init(|| {
        regex::Regex::new(r"^[\p{gc=L}\p{gc=Mn}\p{gc=Mc}\p{gc=Nd}\p{gc=Pc}]+$").ok()
    })
    .as_ref()
    .is_some_and(|pattern| pattern.is_match(name))
}

/// An escape outside a character class. Returns the index after it and whether it was an
/// unterminated `\Q`.
fn translate_escape(chars: &[char], start: usize, out: &mut String) -> Option<(usize, bool)> {
    let c = *chars.get(start + 1)?;
    match c {
        // ASCII word boundaries, as RE2's.
        'b' => out.push_str(r"(?-u:\b)"),
        'B' => out.push_str(r"(?-u:\B)"),
        'A' => out.push_str(r"\A"),
        'z' => out.push_str(r"\z"),
        // Any byte.
        'C' => out.push_str("(?s-u:.)"),
        'Q' => {
            let mut i = start + 2;
            while let Some(&q) = chars.get(i) {
                if q == '\\' && chars.get(i + 1) == Some(&'E') {
                    return Some((i + 2, false));
                }
                push_literal(out, q);
                i += 1;
            }
            return Some((i, true));
        }
        'p' | 'P' => return Some((translate_unicode_class(chars, start, out)?, false)),
        'd' | 'D' | 's' | 'S' | 'w' | 'W' => out.push_str(perl_class(c)),
        _ => {
            let (rune, end) = parse_escape(chars, start)?;
            match char::from_u32(rune) {
                Some(c) => push_literal(out, c),
                None => out.push_str(NOTHING),
            }
            return Some((end, false));
        }
    }
    Some((start + 2, false))
}

/// RE2's Perl classes, ASCII-only (RE2's `\s` leaves out the vertical tab), as classes that
/// also work nested inside a class (`[\d_]` is `[[0-9]_]`).
fn perl_class(c: char) -> &'static str {
    match c {
        'd' => "[0-9]",
        'D' => "[^0-9]",
        's' => r"[\t\n\f\r ]",
        'S' => r"[^\t\n\f\r ]",
        'w' => "[0-9A-Za-z_]",
        _ => "[^0-9A-Za-z_]",
    }
}

/// RE2's Unicode general categories (re2/unicode_groups.cc), besides `Any`.
const UNICODE_CATEGORIES: [&str; 36] = [
    "C", "Cc", "Cf", "Co", "Cs", "L", "Ll", "Lm", "Lo", "Lt", "Lu", "M", "Mc", "Me", "Mn", "N",
    "Nd", "Nl", "No", "P", "Pc", "Pd", "Pe", "Pf", "Pi", "Po", "Ps", "S", "Sc", "Sk", "Sm", "So",
    "Z", "Zl", "Zp", "Zs",
];

/// RE2's Unicode scripts (re2/unicode_groups.cc, Unicode 15.1 in the RE2 measured).
const UNICODE_SCRIPTS: [&str; 163] = [
    "Adlam",
    "Ahom",
    "Anatolian_Hieroglyphs",
    "Arabic",
    "Armenian",
    "Avestan",
    "Balinese",
    "Bamum",
    "Bassa_Vah",
    "Batak",
    "Bengali",
    "Bhaiksuki",
    "Bopomofo",
    "Brahmi",
    "Braille",
    "Buginese",
    "Buhid",
    "Canadian_Aboriginal",
    "Carian",
    "Caucasian_Albanian",
    "Chakma",
    "Cham",
    "Cherokee",
    "Chorasmian",
    "Common",
    "Coptic",
    "Cuneiform",
    "Cypriot",
    "Cypro_Minoan",
    "Cyrillic",
    "Deseret",
    "Devanagari",
    "Dives_Akuru",
    "Dogra",
    "Duployan",
    "Egyptian_Hieroglyphs",
    "Elbasan",
    "Elymaic",
    "Ethiopic",
    "Georgian",
    "Glagolitic",
    "Gothic",
    "Grantha",
    "Greek",
    "Gujarati",
    "Gunjala_Gondi",
    "Gurmukhi",
    "Han",
    "Hangul",
    "Hanifi_Rohingya",
    "Hanunoo",
    "Hatran",
    "Hebrew",
    "Hiragana",
    "Imperial_Aramaic",
    "Inherited",
    "Inscriptional_Pahlavi",
    "Inscriptional_Parthian",
    "Javanese",
    "Kaithi",
    "Kannada",
    "Katakana",
    "Kawi",
    "Kayah_Li",
    "Kharoshthi",
    "Khitan_Small_Script",
    "Khmer",
    "Khojki",
    "Khudawadi",
    "Lao",
    "Latin",
    "Lepcha",
    "Limbu",
    "Linear_A",
    "Linear_B",
    "Lisu",
    "Lycian",
    "Lydian",
    "Mahajani",
    "Makasar",
    "Malayalam",
    "Mandaic",
    "Manichaean",
    "Marchen",
    "Masaram_Gondi",
    "Medefaidrin",
    "Meetei_Mayek",
    "Mende_Kikakui",
    "Meroitic_Cursive",
    "Meroitic_Hieroglyphs",
    "Miao",
    "Modi",
    "Mongolian",
    "Mro",
    "Multani",
    "Myanmar",
    "Nabataean",
    "Nag_Mundari",
    "Nandinagari",
    "New_Tai_Lue",
    "Newa",
    "Nko",
    "Nushu",
    "Nyiakeng_Puachue_Hmong",
    "Ogham",
    "Ol_Chiki",
    "Old_Hungarian",
    "Old_Italic",
    "Old_North_Arabian",
    "Old_Permic",
    "Old_Persian",
    "Old_Sogdian",
    "Old_South_Arabian",
    "Old_Turkic",
    "Old_Uyghur",
    "Oriya",
    "Osage",
    "Osmanya",
    "Pahawh_Hmong",
    "Palmyrene",
    "Pau_Cin_Hau",
    "Phags_Pa",
    "Phoenician",
    "Psalter_Pahlavi",
    "Rejang",
    "Runic",
    "Samaritan",
    "Saurashtra",
    "Sharada",
    "Shavian",
    "Siddham",
    "SignWriting",
    "Sinhala",
    "Sogdian",
    "Sora_Sompeng",
    "Soyombo",
    "Sundanese",
    "Syloti_Nagri",
    "Syriac",
    "Tagalog",
    "Tagbanwa",
    "Tai_Le",
    "Tai_Tham",
    "Tai_Viet",
    "Takri",
    "Tamil",
    "Tangsa",
    "Tangut",
    "Telugu",
    "Thaana",
    "Thai",
    "Tibetan",
    "Tifinagh",
    "Tirhuta",
    "Toto",
    "Ugaritic",
    "Vai",
    "Vithkuqi",
    "Wancho",
    "Warang_Citi",
    "Yezidi",
    "Yi",
    "Zanabazar_Square",
];

/// `\pL`, `\p{Greek}`, `\P{^L}`: RE2's names only, spelled out for the crate (`gc=`, `sc=`).
fn translate_unicode_class(chars: &[char], start: usize, out: &mut String) -> Option<usize> {
    let mut negated = chars.get(start + 1) == Some(&'P');
    let (name, end): (String, usize) = if chars.get(start + 2) == Some(&'{') {
        let len = chars.get(start + 3..)?.iter().position(|&c| c == '}')?;
        let name = chars.get(start + 3..start + 3 + len)?.iter().collect();
        (name, start + 3 + len + 1)
    } else {
        (chars.get(start + 2)?.to_string(), start + 3)
    };
    let name = match name.strip_prefix('^') {
        Some(rest) => {
            negated = !negated;
            rest
        }
        None => &name,
    };
    if name == "Cs" {
        out.push_str(if negated {
            r"[\x00-\x{10FFFF}]"
        } else {
            NOTHING
        });
        return Some(end);
    }
    let property = if name == "Any" {
        "Any".to_string()
    } else if UNICODE_CATEGORIES.contains(&name) {
        format!("gc={name}")
    } else if UNICODE_SCRIPTS.contains(&name) {
        format!("sc={name}")
    } else {
        return None;
    };
    out.push_str(if negated { "\\P{" } else { "\\p{" });
    out.push_str(&property);
    out.push('}');
    Some(end)
}

/// A class that matches nothing: what a surrogate code point (`\x{D800}`, `\p{Cs}`), which RE2
/// accepts, can match in UTF-8 text.
const NOTHING: &str = r"[^\x00-\x{10FFFF}]";

/// RE2's `ParseEscape`: one escaped code point (surrogates included). Returns it and the
/// index after the escape.
fn parse_escape(chars: &[char], start: usize) -> Option<(u32, usize)> {
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
            code
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
                code
            } else {
                let hi = chars.get(i)?.to_digit(16)?;
                let lo = chars.get(i + 1)?.to_digit(16)?;
                i += 2;
                hi * 16 + lo
            }
        }
        'n' => 0x0A,
        'r' => 0x0D,
        't' => 0x09,
        'a' => 0x07,
        'f' => 0x0C,
        'v' => 0x0B,
        // Escaped ASCII punctuation is itself; escaped letters, digits or non-ASCII are errors.
        c if c.is_ascii() && !c.is_ascii_alphanumeric() => c as u32,
        _ => return None,
    };
    Some((rune, i))
}

/// A bracketed class, RE2 rules: `]` first is literal, `-` is literal anywhere a range cannot
/// start, `[` is literal unless it opens `[:name:]`.
fn translate_class(chars: &[char], start: usize, out: &mut String) -> Option<usize> {
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
                    i = translate_unicode_class(chars, i, out)?;
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
        let mut hi = lo;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|&c| c != ']') {
            let (end, next) = class_char(chars, i + 1)?;
            if end < lo {
                return None;
            }
            hi = end;
            i = next;
        }
        push_class_range(out, lo, hi);
    }
}

fn class_char(chars: &[char], i: usize) -> Option<(u32, usize)> {
    match chars.get(i)? {
        '\\' => parse_escape(chars, i),
        &c => Some((c as u32, i + 1)),
    }
}

/// A range of code points in a class, less the surrogates (RE2 accepts them; UTF-8 text
/// cannot hold them).
fn push_class_range(out: &mut String, lo: u32, hi: u32) {
    let mut pushed = false;
    for (from, to) in [(lo, hi.min(0xD7FF)), (lo.max(0xE000), hi)] {
        if let (Some(from), Some(to)) = (char::from_u32(from), char::from_u32(to)) {
            if from <= to {
                push_literal(out, from);
                if to != from {
                    out.push('-');
                    push_literal(out, to);
                }
                pushed = true;
            }
        }
    }
    if !pushed {
        out.push_str(NOTHING);
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
            // RE2 allows a name twice (measured with google-re2 1.1.20251105).
            ("(?P<n>a)(?P<n>b)", true),
            ("(?P<é>a)", true),
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
