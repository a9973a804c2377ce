//! YAML syntax highlighting for the editor's overlay, as one HTML string.
//!
//! Line by line, with one bit of state carried across lines (inside a block scalar `|`/`>`), so
//! that the editor can highlight only the lines in view: [`block_states`] is a cheap scan of the
//! whole text, [`highlight`] formats a range. Classes: `k` key, `s` string, `c` comment,
//! `a` anchor/alias, `t` tag, `n` number/boolean/null, `v` variable, `p` punctuation.

/// For each line (0-based), whether it is the content of a block scalar.
pub fn block_states(text: &str) -> Vec<bool> {
    let mut states = Vec::new();
    // Indentation of the line that opened the current block scalar.
    let mut block: Option<usize> = None;
    for line in text.split('\n') {
        let line = line.strip_suffix('\r').unwrap_or(line);
        let indent = line.len() - line.trim_start_matches(' ').len();
        let blank = line.trim().is_empty();
        if let Some(parent) = block {
            if blank || indent > parent {
                states.push(true);
                continue;
            }
            block = None;
        }
        states.push(false);
        if opens_block(line) {
            block = Some(content_indent(line));
        }
    }
    states
}

/// Whether a line ends with a block scalar indicator (`key: |`, `- >-`, `key: |2 # note`).
fn opens_block(line: &str) -> bool {
    let code = match line.find(" #") {
        Some(i) => &line[..i],
        None => line,
    };
    let code = code.trim_end();
    let Some(start) = code.rfind(['|', '>']) else {
        return false;
    };
    let (before, indicator) = code.split_at(start);
    if !indicator[1..]
        .chars()
        .all(|c| c == '-' || c == '+' || c.is_ascii_digit())
        || !(before.is_empty() || before.ends_with(' '))
    {
        return false;
    }
    let before = before.trim_end();
    // `key: |`, `- |`, a lone `|`, or after a tag or anchor: `key: !tag |`, `key: &a |`.
    let last = before.rsplit(' ').next().unwrap_or_default();
    before.is_empty()
        || before.ends_with(':')
        || before.ends_with('-')
        || last.starts_with('!')
        || last.starts_with('&')
}

/// The indentation a block scalar opened on `line` must exceed: the column of its key, or of
/// its `-` when it is a sequence entry (`  - key: |` → 4, `  - |` → 2).
fn content_indent(line: &str) -> usize {
    let mut rest = line.trim_start_matches(' ');
    let mut parent = line.len() - rest.len();
    while rest.starts_with("- ") {
        parent = line.len() - rest.len();
        rest = rest[1..].trim_start_matches(' ');
    }
    if key_end(rest).is_some() {
        line.len() - rest.len()
    } else {
        parent
    }
}

/// HTML for lines `from..to` (0-based, end exclusive) of `text`, one `\n` after each line.
pub fn highlight(text: &str, states: &[bool], from: usize, to: usize) -> String {
    let mut out = String::with_capacity((to.saturating_sub(from)) * 48);
    for (index, line) in text
        .split('\n')
        .enumerate()
        .skip(from)
        .take(to.saturating_sub(from))
    {
        let line = line.strip_suffix('\r').unwrap_or(line);
        if states.get(index).copied().unwrap_or(false) {
            span(&mut out, "s", line, true);
        } else {
            highlight_line(line, &mut out);
        }
        out.push('\n');
    }
    out
}

fn escape_into(out: &mut String, text: &str) {
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            c => out.push(c),
        }
    }
}

/// `text` in a span of `class`; with `variables`, `$VAR` inside get their own span.
fn span(out: &mut String, class: &str, text: &str, variables: bool) {
    if text.is_empty() {
        return;
    }
    out.push_str("<span class=\"");
    out.push_str(class);
    out.push_str("\">");
    if variables {
        with_variables(out, text);
    } else {
        escape_into(out, text);
    }
    out.push_str("</span>");
}

fn with_variables(out: &mut String, text: &str) {
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        escape_into(out, &rest[..i]);
        let len = variable_len(&rest[i..]);
        if len > 0 {
            span(out, "v", &rest[i..i + len], false);
            rest = &rest[i + len..];
        } else {
            out.push('$');
            rest = &rest[i + 1..];
        }
    }
    escape_into(out, rest);
}

/// Length of the variable reference at the start of `text` (`$NAME`, `${NAME}`,
/// `$[[ inputs.x ]]`), 0 if none.
fn variable_len(text: &str) -> usize {
    let bytes = text.as_bytes();
    match bytes.get(1) {
        Some(b'{') => text.find('}').map_or(0, |i| i + 1),
        Some(b'[') if text.starts_with("$[[") => text.find("]]").map_or(0, |i| i + 2),
        Some(c) if c.is_ascii_alphabetic() || *c == b'_' => {
            1 + bytes[1..]
                .iter()
                .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
                .count()
        }
        _ => 0,
    }
}

fn is_literal(value: &str) -> bool {
    matches!(
        value,
        "true"
            | "false"
            | "True"
            | "False"
            | "TRUE"
            | "FALSE"
            | "yes"
            | "no"
            | "on"
            | "off"
            | "null"
            | "Null"
            | "NULL"
            | "~"
    ) || (!value.is_empty()
        && value
            .trim_start_matches(['-', '+'])
            .chars()
            .all(|c| c.is_ascii_digit() || c == '.' || c == '_')
        && value.chars().any(|c| c.is_ascii_digit()))
}

fn highlight_line(line: &str, out: &mut String) {
    let indent = line.len() - line.trim_start_matches([' ', '\t']).len();
    out.push_str(&line[..indent]);
    let mut rest = &line[indent..];
    if rest == "---" || rest == "..." || rest.starts_with("--- ") {
        span(out, "p", rest, false);
        return;
    }
    // Sequence entries: `- `, possibly nested (`- - a`).
    while rest == "-" || rest.starts_with("- ") {
        span(out, "p", "-", false);
        let spaces = rest[1..].len() - rest[1..].trim_start_matches(' ').len();
        out.push_str(&rest[1..1 + spaces]);
        rest = &rest[1 + spaces..];
    }
    if let Some(end) = key_end(rest) {
        span(out, "k", &rest[..end], false);
        span(out, "p", ":", false);
        rest = &rest[end + 1..];
    }
    value(rest, out);
}

/// The byte length of the mapping key at the start of `text`, if the text is `key: …`.
fn key_end(text: &str) -> Option<usize> {
    let first = text.chars().next()?;
    if "#&*!|>[{%@`,".contains(first) {
        return None;
    }
    let end = if first == '"' || first == '\'' {
        let close = text[1..].find(first)? + 1;
        (text[close + 1..].starts_with(':')).then_some(close + 1)?
    } else {
        let mut found = None;
        for (i, c) in text.char_indices() {
            if c == '#' && text[..i].ends_with(' ') {
                return None;
            }
            if c == ':'
                && text[i + 1..]
                    .chars()
                    .next()
                    .is_none_or(|n| n == ' ' || n == '\t')
            {
                found = Some(i);
                break;
            }
        }
        found?
    };
    (end > 0).then_some(end)
}

/// A value (or the rest of a line): strings, comments, anchors, aliases, tags, variables,
/// literal numbers and booleans, flow punctuation.
fn value(text: &str, out: &mut String) {
    let trimmed = text.trim();
    let code = match trimmed.find(" #") {
        Some(i) => trimmed[..i].trim_end(),
        None => trimmed,
    };
    if is_literal(code) {
        let start = text.len() - text.trim_start().len();
        out.push_str(&text[..start]);
        span(out, "n", code, false);
        value(&text[start + code.len()..], out);
        return;
    }
    let mut rest = text;
    let mut at_start = true;
    while let Some(c) = rest.chars().next() {
        let token_start = at_start || out.ends_with([' ', '\t', '[', '{', ',']);
        let len = match c {
            ' ' | '\t' => {
                out.push(c);
                rest = &rest[1..];
                continue;
            }
            '#' if token_start => {
                span(out, "c", rest, false);
                return;
            }
            '"' | '\'' if token_start => {
                let len = quoted_len(rest, c);
                span(out, "s", &rest[..len], true);
                len
            }
            '&' | '*' | '!' if token_start => {
                let len = rest
                    .find([' ', '\t', ',', ']', '}', '['])
                    .unwrap_or(rest.len())
                    .max(1);
                span(out, if c == '!' { "t" } else { "a" }, &rest[..len], false);
                len
            }
            '|' | '>' if at_start => {
                span(out, "p", &rest[..1], false);
                1
            }
            '[' | ']' | '{' | '}' | ',' => {
                span(out, "p", &rest[..1], false);
                1
            }
            '$' if variable_len(rest) > 0 => {
                let len = variable_len(rest);
                span(out, "v", &rest[..len], false);
                len
            }
            _ => {
                let len = rest
                    .char_indices()
                    .skip(1)
                    .find(|&(_, c)| matches!(c, ' ' | '\t' | '$' | ',' | ']' | '}' | '[' | '{'))
                    .map_or(rest.len(), |(i, _)| i);
                let word = &rest[..len];
                if is_literal(word) && !at_start {
                    span(out, "n", word, false);
                } else {
                    escape_into(out, word);
                }
                len
            }
        };
        at_start = false;
        rest = &rest[len..];
    }
}

/// Length of the quoted scalar at the start of `text` (to the end of the line if unclosed).
fn quoted_len(text: &str, quote: char) -> usize {
    let mut escaped = false;
    for (i, c) in text.char_indices().skip(1) {
        if quote == '"' && c == '\\' && !escaped {
            escaped = true;
            continue;
        }
        if c == quote && !escaped {
            if quote == '\'' && text[i + 1..].starts_with('\'') {
                continue;
            }
            return i + 1;
        }
        escaped = false;
    }
    text.len()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all(text: &str) -> String {
        let states = block_states(text);
        highlight(text, &states, 0, states.len())
    }

    #[test]
    fn keys_strings_comments_and_variables() {
        assert_eq!(
            all("build:  # the job\n  script: echo \"$A\" ${B}"),
            "<span class=\"k\">build</span><span class=\"p\">:</span>  <span class=\"c\"># the job</span>\n  <span class=\"k\">script</span><span class=\"p\">:</span> echo <span class=\"s\">\"<span class=\"v\">$A</span>\"</span> <span class=\"v\">${B}</span>\n"
        );
    }

    #[test]
    fn anchors_aliases_tags_and_literals() {
        let html = all(".base: &base\n  <<: *base\n  script: !reference [.a, script]\n  retry: 2\n  x: true # c\n- - yes");
        assert!(html.contains("<span class=\"k\">.base</span>"), "{html}");
        assert!(
            html.contains("<span class=\"a\">&amp;base</span>"),
            "{html}"
        );
        assert!(html.contains("<span class=\"k\">&lt;&lt;</span>"), "{html}");
        assert!(html.contains("<span class=\"a\">*base</span>"), "{html}");
        assert!(html.contains("<span class=\"t\">!reference</span> <span class=\"p\">[</span>.a<span class=\"p\">,</span> script<span class=\"p\">]</span>"), "{html}");
        assert!(html.contains("<span class=\"n\">2</span>"), "{html}");
        assert!(
            html.contains("<span class=\"n\">true</span> <span class=\"c\"># c</span>"),
            "{html}"
        );
        assert!(html.ends_with("<span class=\"p\">-</span> <span class=\"p\">-</span> <span class=\"n\">yes</span>\n"), "{html}");
    }

    #[test]
    fn block_scalars_are_strings_until_the_indentation_drops() {
        let text = "a:\n  script: |\n    echo key: $X # not a comment\n\n    b\n  c: 1\n- >-\n  folded\nd: 2";
        assert_eq!(
            block_states(text),
            [false, false, true, true, true, false, false, true, false]
        );
        let html = all(text);
        assert!(html.contains("<span class=\"s\">    echo key: <span class=\"v\">$X</span> # not a comment</span>"), "{html}");
        assert!(html.contains("<span class=\"k\">c</span>"));
    }

    #[test]
    fn text_is_escaped_and_kept_verbatim() {
        let text = "x: \"a<b>&c\" 'it''s' \"unclosed\n  - url: http://h:8080/p#x\ntarget: a>b\n\tweird: ü\r\n";
        let html = all(text);
        let mut plain = String::new();
        let mut in_tag = false;
        for c in html.chars() {
            match c {
                '<' => in_tag = true,
                '>' if in_tag => in_tag = false,
                c if !in_tag => plain.push(c),
                _ => {}
            }
        }
        let plain = plain
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&amp;", "&");
        assert_eq!(plain, text.replace('\r', "") + "\n");
        assert!(
            html.contains("http://h:8080/p#x"),
            "a # inside a word is no comment: {html}"
        );
    }

    #[test]
    fn a_range_of_lines() {
        let text: String = (0..5000)
            .map(|i| format!("job{i}:\n  script: echo {i}\n"))
            .collect();
        let states = block_states(&text);
        assert_eq!(states.len(), 10_001);
        let html = highlight(&text, &states, 100, 102);
        assert_eq!(html.matches('\n').count(), 2);
        assert!(html.starts_with("<span class=\"k\">job50</span>"), "{html}");
    }
}
