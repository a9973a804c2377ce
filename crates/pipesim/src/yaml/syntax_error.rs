//! libyaml's wording of YAML syntax errors (libyaml `src/scanner.c` and `src/parser.c`), as Psych
//! raises them and GitLab shows them: `Psych::SyntaxError#message` is
//! `"(<unknown>): PROBLEM CONTEXT at line L column C"`, where L:C is libyaml's *context mark*
//! plus one (`ext/psych/psych_parser.c`, `make_exception`), and GitLab's YAML loader
//! (`lib/gitlab/config/loader/yaml.rb`) passes that text on as the configuration error.
//!
//! Our parser (saphyr-parser) finds the same errors but words them its own way and reports
//! where it noticed the problem. This module translates its message into libyaml's problem and
//! context, and finds libyaml's context mark: the start of the collection being parsed, of the
//! quoted scalar or simple key being scanned, or the offending character itself.

/// A collection still open when the parser stopped, innermost last: where it starts (1-based
/// line and column in the text) and whether it is a flow collection (`[` / `{`).
#[derive(Clone, Copy, Debug)]
pub(super) struct Open {
    pub line: usize,
    pub column: usize,
    pub mapping: bool,
    pub flow: bool,
}

/// A syntax error in libyaml's words.
#[derive(Debug, PartialEq)]
pub(super) struct Libyaml {
    pub problem: String,
    pub context: Option<&'static str>,
    /// libyaml's context mark, 1-based, as Psych prints it.
    pub line: usize,
    pub column: usize,
}

/// saphyr-parser messages this module knows libyaml's wording for; others are passed on as
/// they are (see [`is_translated`]).
pub(super) fn is_translated(error: &Libyaml, info: &str) -> bool {
    error.problem != info || error.context.is_some()
}

impl Libyaml {
    /// Psych's message for a string parsed without a file name, as GitLab shows it.
    pub fn message(&self) -> String {
        match self.context {
            Some(context) => format!(
                "(<unknown>): {} {context} at line {} column {}",
                self.problem, self.line, self.column
            ),
            None => format!(
                "(<unknown>): {} at line {} column {}",
                self.problem, self.line, self.column
            ),
        }
    }
}

/// Translates saphyr-parser's error `info`, noticed at `at` (1-based line and column), into
/// libyaml's problem, context and context mark.
pub(super) fn libyaml_error(info: &str, at: (usize, usize), text: &str, open: &[Open]) -> Libyaml {
    let (line, column) = at;
    let start = |problem: &str| Libyaml {
        problem: problem.to_string(),
        context: None,
        line: 1,
        column: 1,
    };
    let here = |problem: &str, context: Option<&'static str>| Libyaml {
        problem: problem.to_string(),
        context,
        line,
        column,
    };
    if info.starts_with("unexpected character:") {
        return here(
            "found character that cannot start any token",
            Some("while scanning for the next token"),
        );
    }
    if info.starts_with("tabs disallowed") || info == "tab cannot be used as indentation" {
        // libyaml stops at the tab itself: a tab cannot start a token.
        let (line, column) = tab_before(text, at);
        return Libyaml {
            problem: "found character that cannot start any token".to_string(),
            context: Some("while scanning for the next token"),
            line,
            column,
        };
    }
    if info == "simple key expect ':'" {
        let (line, column) = simple_key_start(text, at);
        return Libyaml {
            problem: "could not find expected ':'".to_string(),
            context: Some("while scanning a simple key"),
            line,
            column,
        };
    }
    if info == "duplicate version directive" {
        // A parser error without a context: libyaml leaves the context mark at its start.
        return start("found duplicate %YAML directive");
    }
    if info == "invalid content after document end marker"
        || info == "did not find expected <document start>"
    {
        return start("did not find expected <document start>");
    }
    if info == "invalid indentation in quoted scalar" && !closes_later(text, at) {
        // libyaml does not check indentation inside quotes: it reads on to the end.
        return here(
            "found unexpected end of stream",
            Some("while scanning a quoted scalar"),
        );
    }
    if info == "while scanning a plain scalar, found a tab" {
        return here(
            "found a tab character that violates indentation",
            Some("while scanning a plain scalar"),
        );
    }
    if info == "the handle wasn't declared" {
        return here("found undefined tag handle", Some("while parsing a node"));
    }
    if info.starts_with("while parsing a block mapping, did not find expected key")
        || info.starts_with("while parsing a block collection, did not find expected '-'")
        || info.starts_with("while parsing a flow sequence, expected ',' or ']'")
        || info.starts_with("while parsing a flow mapping, did not find expected ',' or '}'")
        || info.starts_with("invalid trailing content after double-quoted scalar")
        || info == "misplaced bracket"
        || info == "a byte order mark must not appear inside a document"
        || (info == "illegal placement of ':' indicator" && open.last().is_some_and(|o| o.flow))
    {
        if let Some(error) = structural(open) {
            return error;
        }
    }
    if info.starts_with("while parsing a node, did not find expected node content") {
        let context = if open.last().is_some_and(|o| o.flow) {
            "while parsing a flow node"
        } else {
            "while parsing a block node"
        };
        return here("did not find expected node content", Some(context));
    }
    if let Some(rest) = info.strip_prefix("while scanning an anchor or alias, ") {
        let alias = char_at(text, at) == Some('*');
        let context = if alias {
            "while scanning an alias"
        } else {
            "while scanning an anchor"
        };
        return here(rest, Some(context));
    }
    if let Some((context, problem)) = known_context(info) {
        // libyaml's own spelling.
        let problem = problem.replace("expected hexadecimal number", "expected hexdecimal number");
        return here(&problem, Some(context));
    }
    here(info, None)
}

/// The error libyaml's parser gives for an unexpected token inside the innermost open
/// collection, with that collection's start as the mark.
fn structural(open: &[Open]) -> Option<Libyaml> {
    let inner = open.last()?;
    let (problem, context) = match (inner.flow, inner.mapping) {
        (false, true) => ("did not find expected key", "while parsing a block mapping"),
        (false, false) => (
            "did not find expected '-' indicator",
            "while parsing a block collection",
        ),
        (true, true) => (
            "did not find expected ',' or '}'",
            "while parsing a flow mapping",
        ),
        (true, false) => (
            "did not find expected ',' or ']'",
            "while parsing a flow sequence",
        ),
    };
    Some(Libyaml {
        problem: problem.to_string(),
        context: Some(context),
        line: inner.line,
        column: inner.column,
    })
}

/// saphyr words many errors as libyaml does, with the context first: "while X, PROBLEM".
/// libyaml's contexts, as `src/scanner.c` and `src/parser.c` name them.
fn known_context(info: &str) -> Option<(&'static str, &str)> {
    const CONTEXTS: [&str; 11] = [
        "while scanning a quoted scalar",
        "while parsing a quoted scalar",
        "while scanning a block scalar",
        "while scanning a plain scalar",
        "while scanning a directive",
        "while scanning a %YAML directive",
        "while scanning a %TAG directive",
        "while scanning a tag",
        "while parsing a tag",
        "while parsing a block mapping",
        "while parsing a flow mapping",
    ];
    let (context, problem) = info.split_once(", ")?;
    // saphyr drops the `%` of libyaml's directive contexts.
    let context = match context {
        "while scanning a YAML directive" => "while scanning a %YAML directive",
        "while parsing a tag directive" => "while scanning a %TAG directive",
        "while scanning TAG" | "while scanning a verbatim tag" => "while scanning a tag",
        other => other,
    };
    let known = CONTEXTS.iter().find(|c| **c == context)?;
    Some((known, problem))
}

/// Whether the quoted scalar opened at `at` is closed somewhere after it (a quote of the same
/// kind follows): if not, libyaml reads to the end of the stream.
fn closes_later(text: &str, at: (usize, usize)) -> bool {
    let Some(quote) = char_at(text, at).filter(|c| *c == '"' || *c == '\'') else {
        return true;
    };
    let rest = text.lines().skip(at.0).collect::<Vec<_>>().join("\n");
    let same_line: String = line_text(text, at.0)
        .map(|l| l.chars().skip(at.1).collect())
        .unwrap_or_default();
    same_line.contains(quote) || rest.contains(quote)
}

fn line_text(text: &str, line: usize) -> Option<&str> {
    text.lines().nth(line.checked_sub(1)?)
}

fn char_at(text: &str, (line, column): (usize, usize)) -> Option<char> {
    line_text(text, line)?.chars().nth(column.checked_sub(1)?)
}

/// The tab at or before `at` on its line (the first tab of the line if there is none before).
fn tab_before(text: &str, at: (usize, usize)) -> (usize, usize) {
    let (line, column) = at;
    let Some(chars) = line_text(text, line).map(|l| l.chars().collect::<Vec<_>>()) else {
        return at;
    };
    let upto = column.min(chars.len());
    let tab = chars[..upto]
        .iter()
        .rposition(|c| *c == '\t')
        .or_else(|| chars.iter().position(|c| *c == '\t'));
    match tab {
        Some(index) => (line, index + 1),
        None => at,
    }
}

/// Where the simple key libyaml was scanning starts: a key must fit on one line, and the error
/// is noticed on a later line, so it is the first token of the previous line that has one
/// (after any `- ` sequence indicators).
fn simple_key_start(text: &str, at: (usize, usize)) -> (usize, usize) {
    let (line, _) = at;
    for previous in (1..line).rev() {
        let Some(content) = line_text(text, previous) else {
            continue;
        };
        let chars: Vec<char> = content.chars().collect();
        let mut index = 0;
        loop {
            while index < chars.len() && chars[index] == ' ' {
                index += 1;
            }
            let dash =
                chars.get(index) == Some(&'-') && chars.get(index + 1).is_none_or(|c| *c == ' ');
            if !dash {
                break;
            }
            index += 1;
        }
        match chars.get(index) {
            None | Some('#') => continue,
            Some(_) => return (previous, index + 1),
        }
    }
    at
}

#[cfg(test)]
mod tests {
    use super::*;

    fn open_map(line: usize, column: usize) -> Open {
        Open {
            line,
            column,
            mapping: true,
            flow: false,
        }
    }

    #[test]
    fn block_mapping_errors_point_at_the_mapping() {
        let error = libyaml_error(
            "while parsing a block mapping, did not find expected key",
            (3, 2),
            "rspec:\n  script: echo\n stage: test\n",
            &[open_map(1, 1)],
        );
        assert_eq!(
            error.message(),
            "(<unknown>): did not find expected key while parsing a block mapping at line 1 column 1"
        );
    }

    #[test]
    fn a_tab_is_where_libyaml_stops() {
        let error = libyaml_error(
            "tabs disallowed within this context (block indentation)",
            (2, 2),
            "rspec:\n\tscript: echo\n",
            &[open_map(1, 1)],
        );
        assert_eq!((error.line, error.column), (2, 1));
    }

    #[test]
    fn a_simple_key_starts_on_the_previous_line() {
        let text = "rspec:\n  script:\n    - echo\n  stage test\n";
        assert_eq!(simple_key_start(text, (5, 1)), (4, 3));
        assert_eq!(simple_key_start("- - a\nb", (2, 1)), (1, 5));
    }

    #[test]
    fn unknown_wording_is_kept() {
        let error = libyaml_error("something new", (4, 7), "", &[]);
        assert_eq!(
            error.message(),
            "(<unknown>): something new at line 4 column 7"
        );
    }
}
