//! Writes a [`Node`] tree back as YAML in the style of Ruby's `to_yaml` (Psych), which is what
//! GitLab's "Full configuration" view shows: `---` header, block style, sequences at the
//! indentation of their parent key, and strings quoted only where YAML would misread them.

use super::scalar::{resolve_plain, ruby_float_to_s, Plain};
use super::{Node, Value};

pub fn to_yaml(node: &Node) -> String {
    let mut out = String::from("---");
    match &node.value {
        Value::Map(m) if !m.is_empty() => {
            out.push('\n');
            write_map(&mut out, node, 0);
        }
        Value::Seq(s) if !s.is_empty() => {
            out.push('\n');
            write_seq(&mut out, node, 0);
        }
        _ => {
            out.push(' ');
            write_inline(&mut out, node, 0);
            out.push('\n');
        }
    }
    out
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

fn write_map(out: &mut String, node: &Node, level: usize) {
    let Value::Map(map) = &node.value else { return };
    for (key, value) in &map.entries {
        indent(out, level);
        match &key.value {
            // A block scalar cannot be a key: multi-line keys go in double quotes.
            Value::Str(s) if s.contains('\n') => write_double_quoted(out, s),
            _ => write_scalar(out, key, level),
        }
        out.push(':');
        write_child(out, value, level, true);
    }
}

fn write_seq(out: &mut String, node: &Node, level: usize) {
    let items = match &node.value {
        Value::Seq(items) | Value::Reference(items) => items,
        _ => return,
    };
    for item in items {
        indent(out, level);
        out.push('-');
        write_child(out, item, level, false);
    }
}

/// Writes what follows `key:` or `-`: a nested block on the next lines, or a scalar inline.
fn write_child(out: &mut String, value: &Node, level: usize, under_key: bool) {
    match &value.value {
        Value::Map(m) if !m.is_empty() => {
            if under_key {
                out.push('\n');
                write_map(out, value, level + 2);
            } else {
                // "- key: v" with the rest of the mapping aligned under the first key.
                out.push(' ');
                let mut nested = String::new();
                write_map(&mut nested, value, level + 2);
                out.push_str(nested.trim_start_matches(' '));
            }
        }
        Value::Seq(items) if !items.is_empty() => {
            if under_key {
                out.push('\n');
                write_seq(out, value, level);
            } else {
                out.push(' ');
                let mut nested = String::new();
                write_seq(&mut nested, value, level + 2);
                out.push_str(nested.trim_start_matches(' '));
            }
        }
        Value::Reference(_) => {
            out.push_str(" !reference ");
            write_flow(out, value);
            out.push('\n');
        }
        _ => {
            out.push(' ');
            write_inline(out, value, level);
            out.push('\n');
        }
    }
}

fn write_inline(out: &mut String, node: &Node, level: usize) {
    match &node.value {
        Value::Map(_) => out.push_str("{}"),
        Value::Seq(_) => out.push_str("[]"),
        Value::Reference(_) => {
            out.push_str("!reference ");
            write_flow(out, node);
        }
        _ => write_scalar(out, node, level),
    }
}

fn write_flow(out: &mut String, node: &Node) {
    match &node.value {
        Value::Seq(items) | Value::Reference(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_flow(out, item);
            }
            out.push(']');
        }
        _ => write_scalar(out, node, 0),
    }
}

fn write_scalar(out: &mut String, node: &Node, level: usize) {
    match &node.value {
        Value::Null => {}
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Int(i) => out.push_str(&i.to_string()),
        Value::Float(f) => out.push_str(&match ruby_float_to_s(*f).as_str() {
            "Infinity" => ".inf".to_owned(),
            "-Infinity" => "-.inf".to_owned(),
            "NaN" => ".nan".to_owned(),
            other => other.to_owned(),
        }),
        Value::Symbol(s) => {
            out.push(':');
            out.push_str(s);
        }
        Value::Str(s) => write_string(out, s, level),
        Value::Seq(_) | Value::Map(_) | Value::Reference(_) => write_inline(out, node, level),
    }
}

/// Psych writes a literal block when a line break is followed by more than a final line break
/// (`/\n(?!\Z)/`); `"a\n"` or `"\n"` are double-quoted instead.
fn is_multi_line(s: &str) -> bool {
    let once = s.strip_suffix('\n').unwrap_or(s);
    once.strip_suffix('\n').unwrap_or(once).contains('\n')
}

fn write_string(out: &mut String, s: &str, level: usize) {
    if is_multi_line(s)
        && !s.contains('\r')
        && s.chars().all(|c| c == '\n' || c == '\t' || !unprintable(c))
    {
        // Literal block, as Psych writes multi-line strings.
        out.push('|');
        // Leading spaces or blank lines would hide the content's indentation (libyaml's
        // block scalar hints): state it.
        if s.starts_with([' ', '\n']) {
            out.push('2');
        }
        // The line break after the last line comes from the caller.
        let body = match s.strip_suffix('\n') {
            Some(rest) if !rest.ends_with('\n') => rest,
            Some(rest) => {
                out.push('+');
                rest
            }
            None => {
                out.push('-');
                s
            }
        };
        for line in body.split('\n') {
            out.push('\n');
            if !line.is_empty() {
                indent(out, level + 2);
                out.push_str(line);
            }
        }
        return;
    }
    if needs_quotes(s) {
        if s.chars().any(unprintable) {
            write_double_quoted(out, s);
        } else {
            out.push('\'');
            out.push_str(&s.replace('\'', "''"));
            out.push('\'');
        }
    } else {
        out.push_str(s);
    }
}

/// Characters a YAML reader does not take as they are: controls, and the byte order mark and
/// line/paragraph separators, which libyaml refuses or reads as line breaks.
fn unprintable(c: char) -> bool {
    c.is_control() || matches!(c, '\u{FEFF}' | '\u{2028}' | '\u{2029}')
}

/// `s` as a double-quoted YAML scalar, which reads back as `s` whatever it holds (the web app
/// writes its scenario files with it).
pub fn double_quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    write_double_quoted(&mut out, s);
    out
}

fn write_double_quoted(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            c if c.is_control() => out.push_str(&format!("\\x{:02X}", c as u32)),
            c if unprintable(c) => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A string must be quoted when reading it back plain would change it: it would type as
/// something else, or its characters have meaning in YAML syntax.
fn needs_quotes(s: &str) -> bool {
    if s.is_empty() || s != s.trim() {
        return true;
    }
    if !matches!(resolve_plain(s), Plain::Value(Value::Str(ref v)) if v == s) {
        return true;
    }
    let first = s.chars().next().unwrap_or(' ');
    if "-?:,[]{}#&*!|>'\"%@`".contains(first)
        && !(first == '-'
            && s.len() > 1
            && !s[1..].starts_with(' ')
            && first != s.chars().nth(1).unwrap_or(' '))
    {
        return true;
    }
    s.contains(": ") || s.contains(" #") || s.ends_with(':') || s.chars().any(unprintable)
}
