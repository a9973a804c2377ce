//! `Gitlab::Ci::Pipeline::Expression::Lexer`: at each position the first lexeme class (in
//! GitLab's order) whose pattern matches there wins; whitespace between tokens is skipped.

use std::ops::Range;
use std::sync::OnceLock;

use super::{ExprError, ExprErrorKind};

/// GitLab's `Lexer::MAX_TOKENS`.
pub const MAX_TOKENS: usize = 100;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenKind {
    ParenOpen,
    ParenClose,
    /// `$[[ inputs.name ]]`
    Input(String),
    /// `$NAME`
    Variable(String),
    /// The text between the quotes.
    String(String),
    /// The token text as written, `/body/flags` with `\/` still escaped.
    Pattern(String),
    Null,
    Boolean(bool),
    Operator(Op),
}

/// The binary operators, with GitLab's lexeme names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Op {
    Equals,
    NotEquals,
    Matches,
    NotMatches,
    And,
    Or,
}

impl Op {
    /// Lower binds tighter (`lexeme/*.rb` `precedence`).
    pub fn precedence(self) -> u32 {
        match self {
            Op::Equals | Op::NotEquals | Op::Matches | Op::NotMatches => 10,
            Op::And => 11,
            Op::Or => 12,
        }
    }

    pub fn symbol(self) -> &'static str {
        match self {
            Op::Equals => "==",
            Op::NotEquals => "!=",
            Op::Matches => "=~",
            Op::NotMatches => "!~",
            Op::And => "&&",
            Op::Or => "||",
        }
    }

    /// The name `Lexeme::Base#name` gives, used in GitLab's parse-tree `inspect`.
    pub fn name(self) -> &'static str {
        match self {
            Op::Equals => "equals",
            Op::NotEquals => "not_equals",
            Op::Matches => "matches",
            Op::NotMatches => "not_matches",
            Op::And => "and",
            Op::Or => "or",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Token {
    pub kind: TokenKind,
    /// Byte range in the source.
    pub span: Range<usize>,
}

/// Ruby's `\s` (ASCII only, vertical tab included).
fn is_ruby_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\n' | '\u{b}' | '\u{c}' | '\r')
}

/// Ruby's `\w` (ASCII only).
fn is_word(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn word_len(s: &str) -> usize {
    s.find(|c: char| !is_word(c)).unwrap_or(s.len())
}

/// `\$\[\[\s*inputs\.(?<name>\w+)\s*\]\]`; returns (length, name).
fn scan_input(s: &str) -> Option<(usize, &str)> {
    let rest = s.strip_prefix("$[[")?;
    let rest = rest.trim_start_matches(is_ruby_space);
    let rest = rest.strip_prefix("inputs.")?;
    let name_len = word_len(rest);
    if name_len == 0 {
        return None;
    }
    let (name, rest) = rest.split_at(name_len);
    let rest = rest.trim_start_matches(is_ruby_space);
    let rest = rest.strip_prefix("]]")?;
    Some((s.len() - rest.len(), name))
}

/// `"(.*?)"|'(.*?)'`: Ruby's `.` stops at a newline, and there are no escapes.
fn scan_string(s: &str) -> Option<(usize, &str)> {
    let quote = s.chars().next().filter(|c| *c == '"' || *c == '\'')?;
    let body = &s[1..];
    let end = body.find([quote, '\n'])?;
    if body[end..].starts_with('\n') {
        return None;
    }
    Some((end + 2, &body[..end]))
}

/// `^\/([^\/]|\\/)+[^\\]\/[ismU]*`, anchored at the current position.
fn scan_pattern(s: &str) -> Option<usize> {
    static PATTERN: OnceLock<Option<regex::Regex>> = OnceLock::new();
    let pattern = PATTERN
        .get_or_init(|| regex::Regex::new(r"^/(?:[^/]|\\/)+[^\\]/[ismU]*").ok())
        .as_ref()?;
    pattern.find(s).map(|m| m.end())
}

/// `\b(?:true|false)\b`. The leading `\b` always holds: Ruby's StringScanner matches as if the
/// string began at the scan position.
fn scan_boolean(s: &str) -> Option<(usize, bool)> {
    let (len, value) = if s.starts_with("true") {
        (4, true)
    } else if s.starts_with("false") {
        (5, false)
    } else {
        return None;
    };
    match s[len..].chars().next() {
        Some(c) if is_word(c) => None,
        _ => Some((len, value)),
    }
}

/// Tries GitLab's lexemes in `Lexer::LEXEMES` order.
fn scan_token(s: &str) -> Option<(usize, TokenKind)> {
    if s.starts_with('(') {
        return Some((1, TokenKind::ParenOpen));
    }
    if s.starts_with(')') {
        return Some((1, TokenKind::ParenClose));
    }
    if let Some((len, name)) = scan_input(s) {
        return Some((len, TokenKind::Input(name.to_string())));
    }
    if let Some(rest) = s.strip_prefix('$') {
        let len = word_len(rest);
        if len > 0 {
            return Some((len + 1, TokenKind::Variable(rest[..len].to_string())));
        }
    }
    if let Some((len, body)) = scan_string(s) {
        return Some((len, TokenKind::String(body.to_string())));
    }
    if let Some(len) = scan_pattern(s) {
        return Some((len, TokenKind::Pattern(s[..len].to_string())));
    }
    if s.starts_with("null") {
        return Some((4, TokenKind::Null));
    }
    if let Some((len, value)) = scan_boolean(s) {
        return Some((len, TokenKind::Boolean(value)));
    }
    let operators = [
        Op::Equals,
        Op::Matches,
        Op::NotEquals,
        Op::NotMatches,
        Op::And,
        Op::Or,
    ];
    operators
        .into_iter()
        .find(|op| s.starts_with(op.symbol()))
        .map(|op| (2, TokenKind::Operator(op)))
}

/// `Lexer#tokens`. GitLab loops `max_tokens` times and only checks for the end of input at the
/// top of an iteration, so a statement of exactly `max_tokens` tokens is already too long.
pub fn lex(source: &str, max_tokens: usize) -> Result<Vec<Token>, ExprError> {
    let mut tokens = Vec::new();
    let mut pos = 0;
    for _ in 0..max_tokens {
        let rest = &source[pos..];
        pos += rest.len() - rest.trim_start_matches(is_ruby_space).len();
        if pos >= source.len() {
            return Ok(tokens);
        }
        let Some((len, kind)) = scan_token(&source[pos..]) else {
            return Err(ExprError::new(
                ExprErrorKind::Syntax,
                "Unknown lexeme found!",
                Some(pos),
            ));
        };
        tokens.push(Token {
            kind,
            span: pos..pos + len,
        });
        pos += len;
    }
    Err(ExprError::new(
        ExprErrorKind::Syntax,
        "Too many tokens!",
        Some(pos),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(source: &str) -> Vec<&str> {
        match lex(source, MAX_TOKENS) {
            Ok(tokens) => tokens.iter().map(|t| &source[t.span.clone()]).collect(),
            Err(e) => panic!("{source:?}: {}", e.message),
        }
    }

    fn kinds(source: &str) -> Result<Vec<TokenKind>, String> {
        lex(source, MAX_TOKENS)
            .map(|tokens| tokens.into_iter().map(|t| t.kind).collect())
            .map_err(|e| e.message)
    }

    /// spec/lib/gitlab/ci/pipeline/expression/lexer_spec.rb
    #[test]
    fn lexer_spec() {
        assert_eq!(texts("$VARIABLE"), ["$VARIABLE"]);
        assert_eq!(texts("\t$VARIABLE "), ["$VARIABLE"]);
        assert_eq!(texts("$VARIABLE1 $VARIABLE2"), ["$VARIABLE1", "$VARIABLE2"]);
        assert_eq!(
            texts(r#"$VARIABLE "text" "value""#),
            ["$VARIABLE", r#""text""#, r#""value""#]
        );
        assert_eq!(
            texts(r#"$VARIABLE == "text""#),
            ["$VARIABLE", "==", r#""text""#]
        );
        let limited = lex("$V1 $V2 $V3 $V4", 3).map_err(|e| e.message);
        assert_eq!(limited, Err("Too many tokens!".to_string()));
        assert_eq!(
            kinds("$V1 123 $V2"),
            Err("Unknown lexeme found!".to_string())
        );
        let table: &[(&str, &[&str])] = &[
            (
                "$PRESENT_VARIABLE =~ /my var/ && $EMPTY_VARIABLE =~ /nope/",
                &[
                    "$PRESENT_VARIABLE",
                    "=~",
                    "/my var/",
                    "&&",
                    "$EMPTY_VARIABLE",
                    "=~",
                    "/nope/",
                ],
            ),
            (
                r#"$EMPTY_VARIABLE == "" && $PRESENT_VARIABLE"#,
                &["$EMPTY_VARIABLE", "==", r#""""#, "&&", "$PRESENT_VARIABLE"],
            ),
            (
                r#"$EMPTY_VARIABLE == "" && $PRESENT_VARIABLE != "nope""#,
                &[
                    "$EMPTY_VARIABLE",
                    "==",
                    r#""""#,
                    "&&",
                    "$PRESENT_VARIABLE",
                    "!=",
                    r#""nope""#,
                ],
            ),
            (
                "$PRESENT_VARIABLE && $EMPTY_VARIABLE",
                &["$PRESENT_VARIABLE", "&&", "$EMPTY_VARIABLE"],
            ),
            (
                "$PRESENT_VARIABLE =~ /my var/ || $EMPTY_VARIABLE =~ /nope/",
                &[
                    "$PRESENT_VARIABLE",
                    "=~",
                    "/my var/",
                    "||",
                    "$EMPTY_VARIABLE",
                    "=~",
                    "/nope/",
                ],
            ),
            (
                r#"$EMPTY_VARIABLE == "" || $PRESENT_VARIABLE"#,
                &["$EMPTY_VARIABLE", "==", r#""""#, "||", "$PRESENT_VARIABLE"],
            ),
            (
                r#"$EMPTY_VARIABLE == "" || $PRESENT_VARIABLE != "nope""#,
                &[
                    "$EMPTY_VARIABLE",
                    "==",
                    r#""""#,
                    "||",
                    "$PRESENT_VARIABLE",
                    "!=",
                    r#""nope""#,
                ],
            ),
            (
                "$PRESENT_VARIABLE || $EMPTY_VARIABLE",
                &["$PRESENT_VARIABLE", "||", "$EMPTY_VARIABLE"],
            ),
            (
                r#"$PRESENT_VARIABLE && null || $EMPTY_VARIABLE == """#,
                &[
                    "$PRESENT_VARIABLE",
                    "&&",
                    "null",
                    "||",
                    "$EMPTY_VARIABLE",
                    "==",
                    r#""""#,
                ],
            ),
            // "with parentheses are used"
            (
                "($PRESENT_VARIABLE =~ /my var/) && $EMPTY_VARIABLE =~ /nope/",
                &[
                    "(",
                    "$PRESENT_VARIABLE",
                    "=~",
                    "/my var/",
                    ")",
                    "&&",
                    "$EMPTY_VARIABLE",
                    "=~",
                    "/nope/",
                ],
            ),
            (
                "$PRESENT_VARIABLE =~ /my var/ || ($EMPTY_VARIABLE =~ /nope/)",
                &[
                    "$PRESENT_VARIABLE",
                    "=~",
                    "/my var/",
                    "||",
                    "(",
                    "$EMPTY_VARIABLE",
                    "=~",
                    "/nope/",
                    ")",
                ],
            ),
            (
                r#"($PRESENT_VARIABLE && (null || $EMPTY_VARIABLE == ""))"#,
                &[
                    "(",
                    "$PRESENT_VARIABLE",
                    "&&",
                    "(",
                    "null",
                    "||",
                    "$EMPTY_VARIABLE",
                    "==",
                    r#""""#,
                    ")",
                    ")",
                ],
            ),
        ];
        for (source, expected) in table {
            assert_eq!(texts(source), *expected, "{source:?}");
        }
    }

    /// lexer_spec.rb '#lexemes': `$VAR "text"` is a variable then a string.
    #[test]
    fn lexeme_kinds() {
        assert_eq!(
            kinds(r#"$VAR "text""#),
            Ok(vec![
                TokenKind::Variable("VAR".into()),
                TokenKind::String("text".into())
            ])
        );
    }

    /// spec/lib/gitlab/ci/pipeline/expression/lexeme/string_spec.rb `.scan`
    #[test]
    fn string_spec() {
        let table: &[(&str, &str)] = &[
            (r#""some string""#, "some string"),
            ("'some string 2'", "some string 2"),
            (r#""some string" "and another one""#, "some string"),
            ("'some string' 'and another one'", "some string"),
            (r#""some ' string""#, "some ' string"),
            (r#"'some " string'"#, r#"some " string"#),
            ("''", ""),
            (r#""""#, ""),
        ];
        for (source, value) in table {
            let first = kinds(source).ok().and_then(|k| k.into_iter().next());
            assert_eq!(
                first,
                Some(TokenKind::String(value.to_string())),
                "{source:?}"
            );
        }
    }

    /// spec/lib/gitlab/ci/pipeline/expression/lexeme/pattern_spec.rb `.scan`: which text the
    /// pattern lexeme takes (evaluation of the built pattern is tested in the parser).
    #[test]
    fn pattern_scan_spec() {
        let table: &[(&str, Option<&str>)] = &[
            ("/pattern/", Some("/pattern/")),
            ("//", None),
            ("/pattern/i", Some("/pattern/i")),
            ("/pattern/im", Some("/pattern/im")),
            // 'ignores unsupported flags': the x stays behind.
            ("/pattern/x", Some("/pattern/")),
            ("/some .* / pattern/", Some("/some .* /")),
            (r"/some .* \/ pattern/", Some(r"/some .* \/ pattern/")),
            (
                r"/some numeric \/$ pattern/",
                Some(r"/some numeric \/$ pattern/"),
            ),
            (
                r"/some numeric \$ pattern/",
                Some(r"/some numeric \$ pattern/"),
            ),
            // DOC doc/ci/jobs/job_rules.md: single-character regexes are not patterns.
            ("/./", None),
            ("/ab/", Some("/ab/")),
            (r"/a\/", None),
        ];
        for (source, token) in table {
            assert_eq!(
                scan_pattern(source).map(|len| &source[..len]),
                *token,
                "{source:?}"
            );
        }
    }

    /// The lexeme classes in `Lexer::LEXEMES` order, and what is not a lexeme
    /// (lib/gitlab/ci/pipeline/expression/lexer.rb, lexeme/*.rb).
    #[test]
    fn lexeme_patterns() {
        use TokenKind as K;
        let table: &[(&str, Result<Vec<TokenKind>, &str>)] = &[
            ("null", Ok(vec![K::Null])),
            // Null has no word boundary.
            ("nullable", Err("Unknown lexeme found!")),
            ("true", Ok(vec![K::Boolean(true)])),
            ("false", Ok(vec![K::Boolean(false)])),
            ("truex", Err("Unknown lexeme found!")),
            // `\b` after true/false: `truenull` is not `true` then `null`.
            ("truenull", Err("Unknown lexeme found!")),
            ("falsetrue", Err("Unknown lexeme found!")),
            ("true)", Ok(vec![K::Boolean(true), K::ParenClose])),
            ("nulltrue", Ok(vec![K::Null, K::Boolean(true)])),
            ("$A_b9", Ok(vec![K::Variable("A_b9".into())])),
            ("$é", Err("Unknown lexeme found!")),
            ("$Aé", Err("Unknown lexeme found!")),
            ("${VAR}", Err("Unknown lexeme found!")),
            ("$", Err("Unknown lexeme found!")),
            ("12345", Err("Unknown lexeme found!")),
            ("$INVALID = 1", Err("Unknown lexeme found!")),
            ("\"a\nb\"", Err("Unknown lexeme found!")),
            // The closing quote must be on the same line: not `'a` + newline, then `'b'`.
            ("'a\n'b'", Err("Unknown lexeme found!")),
            ("\"unterminated", Err("Unknown lexeme found!")),
            ("'a\"", Err("Unknown lexeme found!")),
            ("/pattern/x", Err("Unknown lexeme found!")),
            ("!", Err("Unknown lexeme found!")),
            ("=", Err("Unknown lexeme found!")),
            ("$[[ inputs.env ]]", Ok(vec![K::Input("env".into())])),
            ("$[[inputs.env]]", Ok(vec![K::Input("env".into())])),
            ("$[[ inputs.env ]", Err("Unknown lexeme found!")),
            ("$[[ input.env ]]", Err("Unknown lexeme found!")),
            (
                "==!==~!~&&||",
                Ok(vec![
                    K::Operator(Op::Equals),
                    K::Operator(Op::NotEquals),
                    K::Operator(Op::Matches),
                    K::Operator(Op::NotMatches),
                    K::Operator(Op::And),
                    K::Operator(Op::Or),
                ]),
            ),
            ("\u{b}\u{c}\r\n$A", Ok(vec![K::Variable("A".into())])),
            // Ruby's \s is ASCII: a no-break space is not whitespace.
            ("\u{a0}$A", Err("Unknown lexeme found!")),
            ("", Ok(vec![])),
            ("   ", Ok(vec![])),
        ];
        for (source, expected) in table {
            let expected = expected.clone().map_err(str::to_string);
            assert_eq!(kinds(source), expected, "{source:?}");
        }
    }

    /// lexer.rb MAX_TOKENS = 100: 99 tokens pass, 100 do not, whatever follows.
    #[test]
    fn token_limit() {
        let tokens = |n: usize| vec!["$A"; n].join(" ");
        assert_eq!(kinds(&tokens(99)).map(|k| k.len()), Ok(99));
        assert_eq!(
            kinds(&tokens(100)).map(|k| k.len()),
            Err("Too many tokens!".to_string())
        );
        assert_eq!(
            kinds(&format!("{} ", tokens(100))).map(|k| k.len()),
            Err("Too many tokens!".to_string())
        );
        // An unknown lexeme within the limit is reported as such.
        assert_eq!(
            kinds(&format!("{} ?", tokens(50))),
            Err("Unknown lexeme found!".to_string())
        );
        assert_eq!(lex("$A ?", MAX_TOKENS).map_err(|e| e.offset), Err(Some(3)));
    }
}
