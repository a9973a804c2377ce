//! How Psych (Ruby's YAML, YAML 1.1 flavoured) types a plain scalar.
//!
//! Port of `Psych::ScalarScanner#tokenize` (ruby/psych `lib/psych/scalar_scanner.rb`). GitLab
//! loads CI files with `YAML.safe_load`, so `yes`/`on` are booleans, `010` is octal 8, `1.0` a
//! float and `~` null, while dates and times are classes safe_load refuses.

use super::Value;

/// Outcome of typing a plain scalar.
#[derive(Debug, PartialEq)]
pub enum Plain {
    Value(Value),
    /// A date or time, which `YAML.safe_load` rejects: `Tried to load unspecified class: Date`.
    DisallowedClass(&'static str),
}

/// Types a plain (unquoted, untagged) scalar the way Psych does.
pub fn resolve_plain(s: &str) -> Plain {
    Plain::Value(match tokenize(s) {
        Ok(v) => v,
        Err(class) => return Plain::DisallowedClass(class),
    })
}

fn tokenize(s: &str) -> Result<Value, &'static str> {
    if s.is_empty() {
        return Ok(Value::Null);
    }
    // Psych first recognises "obviously a string" shapes; short ones may still be keywords.
    if looks_like_word(s) || s.contains('\n') {
        if s.chars().count() > 5 {
            return Ok(Value::Str(s.to_owned()));
        }
        let first = s.chars().next().map(|c| c.to_ascii_lowercase());
        if !matches!(first, Some('y' | 't' | 'o' | 'n' | 'f' | '~')) {
            return Ok(Value::Str(s.to_owned()));
        }
        // Compared in place: lower-casing would allocate for every short word.
        let is = |words: &[&str]| words.iter().any(|w| s.eq_ignore_ascii_case(w));
        return Ok(if is(&["~", "null"]) {
            Value::Null
        } else if is(&["yes", "true", "on"]) {
            Value::Bool(true)
        } else if is(&["no", "false", "off"]) {
            Value::Bool(false)
        } else {
            Value::Str(s.to_owned())
        });
    }
    if is_time(s) {
        return Err("Time");
    }
    if is_date(s) {
        return Err("Date");
    }
    if s.eq_ignore_ascii_case(".inf") || s.eq_ignore_ascii_case("+.inf") {
        return Ok(Value::Float(f64::INFINITY));
    }
    if s.eq_ignore_ascii_case("-.inf") {
        return Ok(Value::Float(f64::NEG_INFINITY));
    }
    if s.eq_ignore_ascii_case(".nan") {
        return Ok(Value::Float(f64::NAN));
    }
    if let Some(rest) = s.strip_prefix(':') {
        if !rest.is_empty() {
            let name = strip_symbol_quotes(rest);
            return Ok(Value::Symbol(name.to_owned()));
        }
    }
    if let Some(v) = sexagesimal(s) {
        return Ok(v);
    }
    if is_float(s) {
        if s == "." || s == "+." || s == "-." {
            return Ok(Value::Str(s.to_owned()));
        }
        let cleaned: String = s.chars().filter(|c| *c != ',' && *c != '_').collect();
        // Ruby's Float() rejects "1." so Psych drops a trailing dot first ("1." -> "1").
        let cleaned = cleaned
            .replace(".e", "e")
            .replace(".E", "E")
            .trim_end_matches('.')
            .to_owned();
        let normalised =
            if cleaned.starts_with('.') || cleaned.starts_with("-.") || cleaned.starts_with("+.") {
                cleaned.replacen('.', "0.", 1)
            } else {
                cleaned
            };
        if let Ok(f) = normalised.parse::<f64>() {
            return Ok(Value::Float(f));
        }
        return Ok(Value::Str(s.to_owned()));
    }
    if let Some(i) = parse_int(s) {
        return Ok(i);
    }
    Ok(Value::Str(s.to_owned()))
}

/// `/^[^\d.:-]?[[:alpha:]_\s!@#$%\^&*(){}<>|\/\\~;=]+/` — at least one of those characters
/// after an optional leading non-digit, non-`.:-` character.
fn looks_like_word(s: &str) -> bool {
    fn word_char(c: char) -> bool {
        c.is_alphabetic() || c == '_' || c.is_whitespace() || "!@#$%^&*(){}<>|/\\~;=".contains(c)
    }
    let mut chars = s.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    if word_char(first) {
        return true;
    }
    if first.is_ascii_digit() || matches!(first, '.' | ':' | '-') {
        return false;
    }
    chars.next().is_some_and(word_char)
}

fn strip_symbol_quotes(rest: &str) -> &str {
    for quote in ['"', '\''] {
        if rest.len() >= 2 && rest.starts_with(quote) {
            if let Some(end) = rest[1..].find(quote) {
                let inner = &rest[1..1 + end];
                return inner.strip_prefix(':').unwrap_or(inner);
            }
        }
    }
    rest
}

fn digits(s: &str) -> usize {
    s.chars().take_while(|c| c.is_ascii_digit()).count()
}

/// `/^\d{4}-(?:1[012]|0\d|\d)-(?:[12]\d|3[01]|0\d|\d)$/`
fn is_date(s: &str) -> bool {
    let parts: Vec<&str> = s.split('-').collect();
    if parts.len() != 3 || parts[0].len() != 4 || digits(parts[0]) != 4 {
        return false;
    }
    let month_ok = matches!(parts[1].len(), 1 | 2) && digits(parts[1]) == parts[1].len() && {
        let m: u32 = parts[1].parse().unwrap_or(99);
        parts[1].len() == 1 || parts[1].starts_with('0') || (10..=12).contains(&m)
    };
    let day_ok = matches!(parts[2].len(), 1 | 2) && digits(parts[2]) == parts[2].len() && {
        let d: u32 = parts[2].parse().unwrap_or(99);
        parts[2].len() == 1 || parts[2].starts_with('0') || (10..=31).contains(&d)
    };
    month_ok && day_ok
}

/// `/^-?\d{4}-\d{1,2}-\d{1,2}(?:[Tt]|\s+)\d{1,2}:\d\d:\d\d(?:\.\d*)?(?:\s*(?:Z|[-+]\d{1,2}:?(?:\d\d)?))?$/`
fn is_time(s: &str) -> bool {
    let s = s.strip_prefix('-').unwrap_or(s);
    let b = s.as_bytes();
    let mut i = 0;
    let take_digits = |i: &mut usize, min: usize, max: usize| -> bool {
        let start = *i;
        while *i < b.len() && b[*i].is_ascii_digit() && *i - start < max {
            *i += 1;
        }
        *i - start >= min
    };
    let expect = |i: &mut usize, c: u8| -> bool {
        if *i < b.len() && b[*i] == c {
            *i += 1;
            true
        } else {
            false
        }
    };
    if !(take_digits(&mut i, 4, 4)
        && expect(&mut i, b'-')
        && take_digits(&mut i, 1, 2)
        && expect(&mut i, b'-')
        && take_digits(&mut i, 1, 2))
    {
        return false;
    }
    if i < b.len() && (b[i] == b'T' || b[i] == b't') {
        i += 1;
    } else {
        let start = i;
        while i < b.len() && b[i].is_ascii_whitespace() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    if !(take_digits(&mut i, 1, 2)
        && expect(&mut i, b':')
        && take_digits(&mut i, 2, 2)
        && expect(&mut i, b':')
        && take_digits(&mut i, 2, 2))
    {
        return false;
    }
    if expect(&mut i, b'.') {
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
    }
    while i < b.len() && b[i].is_ascii_whitespace() {
        i += 1;
    }
    if i == b.len() {
        return true;
    }
    if b[i] == b'Z' {
        return i + 1 == b.len();
    }
    if b[i] == b'-' || b[i] == b'+' {
        i += 1;
        if !take_digits(&mut i, 1, 2) {
            return false;
        }
        expect(&mut i, b':');
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() && i - start < 2 {
            i += 1;
        }
        return i == b.len() && (i - start == 0 || i - start == 2);
    }
    false
}

/// Base-60 numbers (`1:30` is 90), a YAML 1.1 relic Psych still honours.
fn sexagesimal(s: &str) -> Option<Value> {
    let (sign, body) = match s.as_bytes().first()? {
        b'-' => (-1.0, &s[1..]),
        b'+' => (1.0, &s[1..]),
        _ => (1.0, s),
    };
    if !body.contains(':') {
        return None;
    }
    let (int_part, frac) = match body.split_once('.') {
        Some((a, b)) => (a, Some(b)),
        None => (body, None),
    };
    let groups: Vec<&str> = int_part.split(':').collect();
    if !(2..=3).contains(&groups.len()) {
        return None;
    }
    let head = groups[0];
    if head.is_empty()
        || !head.starts_with(|c: char| c.is_ascii_digit())
        || !head.chars().all(|c| c.is_ascii_digit() || c == '_')
    {
        return None;
    }
    for g in &groups[1..] {
        let ok = (1..=2).contains(&g.len()) && g.chars().all(|c| c.is_ascii_digit()) && {
            g.len() == 1 || g.as_bytes()[0] <= b'5'
        };
        if !ok {
            return None;
        }
    }
    if let Some(f) = frac {
        if !f.chars().all(|c| c.is_ascii_digit() || c == '_') {
            return None;
        }
    }
    let mut total: f64 = 0.0;
    for g in &groups {
        let n: f64 = g.replace('_', "").parse().ok()?;
        total = total * 60.0 + n;
    }
    match frac {
        None => Some(Value::Int((sign * total) as i64)),
        Some(f) => {
            let f = f.replace('_', "");
            let fraction: f64 = if f.is_empty() {
                0.0
            } else {
                format!("0.{f}").parse().ok()?
            };
            Some(Value::Float(sign * (total + fraction)))
        }
    }
}

/// `FLOAT = /^(?:[-+]?([0-9][0-9_,]*)?\.[0-9]*([eE][-+][0-9]+)?|[-+]?\.(inf|Inf|INF)|\.(nan|NaN|NAN))$/`
fn is_float(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    if i < b.len() && b[i].is_ascii_digit() {
        i += 1;
        while i < b.len() && (b[i].is_ascii_digit() || b[i] == b'_' || b[i] == b',') {
            i += 1;
        }
    }
    if i >= b.len() || b[i] != b'.' {
        return false;
    }
    i += 1;
    while i < b.len() && b[i].is_ascii_digit() {
        i += 1;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i >= b.len() || !(b[i] == b'-' || b[i] == b'+') {
            return false;
        }
        i += 1;
        let start = i;
        while i < b.len() && b[i].is_ascii_digit() {
            i += 1;
        }
        if i == start {
            return false;
        }
    }
    i == b.len()
}

/// Psych's `INTEGER_LEGACY` (the default, `strict_integer: false`): binary `0b`, octal `0…`,
/// decimal and hex `0x`, each with an optional sign; `_` and `,` may separate digits.
fn parse_int(s: &str) -> Option<Value> {
    let (negative, radix, cleaned) = int_digits(s)?;
    // Through i128, so that i64::MIN (whose magnitude is no i64) reads as a number too.
    let magnitude = i128::from_str_radix(&cleaned, radix).ok()?;
    let value = i64::try_from(if negative { -magnitude } else { magnitude }).ok()?;
    Some(Value::Int(value))
}

/// An integer by Psych's grammar that does not fit in 64 bits (Ruby reads it as a Bignum):
/// the nearest 64-bit value, which keeps it an integer for every check GitLab makes on it.
pub fn saturated_big_int(s: &str) -> Option<i64> {
    // Every integer starts with a sign or a digit; most strings are ruled out here, before
    // any digit is copied.
    if !s
        .bytes()
        .next()
        .is_some_and(|b| b.is_ascii_digit() || b == b'-' || b == b'+')
    {
        return None;
    }
    let (negative, _, _) = int_digits(s)?;
    if parse_int(s).is_some() {
        return None;
    }
    Some(if negative { i64::MIN } else { i64::MAX })
}

/// The sign, radix and digits (separators removed) of a plain scalar that is an integer by
/// Psych's grammar.
fn int_digits(s: &str) -> Option<(bool, u32, String)> {
    let (negative, body) = match s.as_bytes().first()? {
        b'-' => (true, &s[1..]),
        b'+' => (false, &s[1..]),
        _ => (false, s),
    };
    let (radix, digits_str) = if let Some(rest) = body.strip_prefix("0b") {
        (2, rest)
    } else if let Some(rest) = body.strip_prefix("0x") {
        (16, rest)
    } else if body.len() > 1 && body.starts_with('0') {
        (8, &body[1..])
    } else {
        (10, body)
    };
    if digits_str.is_empty() {
        return None;
    }
    let valid = match radix {
        // `0|[1-9](?:[0-9]|,[0-9]|_[0-9])*`
        10 => {
            let b = body.as_bytes();
            body == "0"
                || (b[0].is_ascii_digit()
                    && b[0] != b'0'
                    && b.iter().enumerate().all(|(i, c)| {
                        c.is_ascii_digit()
                            || ((*c == b'_' || *c == b',')
                                && b.get(i + 1).is_some_and(u8::is_ascii_digit))
                    }))
        }
        _ => digits_str
            .chars()
            .all(|c| c == '_' || c == ',' || c.is_digit(radix)),
    };
    if !valid {
        return None;
    }
    let cleaned: String = digits_str
        .chars()
        .filter(|c| *c != '_' && *c != ',')
        .collect();
    if cleaned.is_empty() {
        // "0b_" and friends: Ruby's Integer() rejects these, so they stay strings.
        return None;
    }
    Some((negative, radix, cleaned))
}

/// Ruby's `Float#to_s`: shortest round-trip digits, `.0` on whole numbers, and exponent form
/// outside `1e-4 <= |x| < 1e16`.
pub fn ruby_float_to_s(f: f64) -> String {
    if f.is_nan() {
        return "NaN".into();
    }
    if f.is_infinite() {
        return if f > 0.0 {
            "Infinity".into()
        } else {
            "-Infinity".into()
        };
    }
    let abs = f.abs();
    if abs == 0.0 || (1e-4..1e16).contains(&abs) {
        let s = format!("{f}");
        if s.contains('.') {
            s
        } else {
            format!("{s}.0")
        }
    } else {
        // Rust prints 1e20 as "1e20"; Ruby as "1.0e+20".
        let s = format!("{f:e}");
        let (mantissa, exponent) = s.split_once('e').unwrap_or((&s, "0"));
        let mantissa = if mantissa.contains('.') {
            mantissa.to_owned()
        } else {
            format!("{mantissa}.0")
        };
        let exponent: i32 = exponent.parse().unwrap_or(0);
        format!(
            "{mantissa}e{}{:02}",
            if exponent < 0 { '-' } else { '+' },
            exponent.abs()
        )
    }
}
