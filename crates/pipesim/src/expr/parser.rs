//! `Gitlab::Ci::Pipeline::Expression::Parser`: shunting-yard to reverse Polish notation, then a
//! stack machine builds the tree. Like GitLab, it never checks that operators sit between
//! operands, so `$A $B ==` is a valid way to write `$A == $B`.

use std::fmt;
use std::ops::Range;

use super::lexer::{Op, Token, TokenKind};
use super::regexp::{self, Regex};
use super::{ExprError, ExprErrorKind};

#[derive(Clone, Debug)]
pub enum Leaf {
    Variable(String),
    Input(String),
    String(String),
    /// `raw` is the token as written (for printing); the regex was validated when built.
    Pattern {
        raw: String,
        regex: Regex,
    },
    Null,
    Boolean(bool),
}

#[derive(Clone, Debug)]
pub enum Node {
    Leaf {
        leaf: Leaf,
        span: Range<usize>,
    },
    Binary {
        op: Op,
        left: Box<Node>,
        right: Box<Node>,
        op_span: Range<usize>,
    },
}

impl Node {
    /// Byte range from the first to the last token of this sub-tree (grouping parentheses
    /// outside it are not included).
    pub fn span(&self) -> Range<usize> {
        match self {
            Node::Leaf { span, .. } => span.clone(),
            Node::Binary {
                left,
                right,
                op_span,
                ..
            } => {
                let (l, r) = (left.span(), right.span());
                l.start.min(op_span.start).min(r.start)..l.end.max(op_span.end).max(r.end)
            }
        }
    }

    /// GitLab's `Lexeme#inspect`, e.g. `or($VAR1, and($VAR2, $VAR3))` (parser_spec.rb).
    pub fn inspect(&self) -> String {
        match self {
            Node::Leaf { leaf, .. } => match leaf {
                Leaf::Variable(name) => format!("${name}"),
                Leaf::Input(name) => format!("$[[ inputs.{name} ]]"),
                Leaf::String(value) => crate::ruby::inspect_str(value),
                // `Pattern#inspect` is "/#{value}/" where value still has its own slashes.
                Leaf::Pattern { raw, .. } => format!("/{}/", raw.replace("\\/", "/")),
                Leaf::Null => "null".to_string(),
                Leaf::Boolean(value) => value.to_string(),
            },
            Node::Binary {
                op, left, right, ..
            } => format!("{}({}, {})", op.name(), left.inspect(), right.inspect()),
        }
    }

    /// Same tree, ignoring where the tokens were.
    pub fn same_tree(&self, other: &Node) -> bool {
        match (self, other) {
            (Node::Leaf { leaf: a, .. }, Node::Leaf { leaf: b, .. }) => match (a, b) {
                (Leaf::Variable(a), Leaf::Variable(b)) => a == b,
                (Leaf::Input(a), Leaf::Input(b)) => a == b,
                (Leaf::String(a), Leaf::String(b)) => a == b,
                (Leaf::Pattern { regex: a, .. }, Leaf::Pattern { regex: b, .. }) => a == b,
                (Leaf::Null, Leaf::Null) => true,
                (Leaf::Boolean(a), Leaf::Boolean(b)) => a == b,
                _ => false,
            },
            (
                Node::Binary {
                    op: a,
                    left: al,
                    right: ar,
                    ..
                },
                Node::Binary {
                    op: b,
                    left: bl,
                    right: br,
                    ..
                },
            ) => a == b && al.same_tree(bl) && ar.same_tree(br),
            _ => false,
        }
    }
}

/// Canonical source text: single spaces, parentheses only where precedence or left
/// associativity needs them, so it parses back to the same tree.
impl fmt::Display for Node {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Node::Leaf { leaf, .. } => match leaf {
                Leaf::Variable(name) => write!(f, "${name}"),
                Leaf::Input(name) => write!(f, "$[[ inputs.{name} ]]"),
                // A string lexeme cannot hold both quote characters, so one style always fits.
                Leaf::String(value) if value.contains('"') => write!(f, "'{value}'"),
                Leaf::String(value) => write!(f, "\"{value}\""),
                Leaf::Pattern { raw, .. } => f.write_str(raw),
                Leaf::Null => f.write_str("null"),
                Leaf::Boolean(value) => write!(f, "{value}"),
            },
            Node::Binary {
                op, left, right, ..
            } => {
                let needs_parens = |child: &Node, is_right: bool| match child {
                    Node::Binary { op: inner, .. } if is_right => {
                        inner.precedence() >= op.precedence()
                    }
                    Node::Binary { op: inner, .. } => inner.precedence() > op.precedence(),
                    Node::Leaf { .. } => false,
                };
                if needs_parens(left, false) {
                    write!(f, "({left})")?;
                } else {
                    write!(f, "{left}")?;
                }
                write!(f, " {} ", op.symbol())?;
                if needs_parens(right, true) {
                    write!(f, "({right})")
                } else {
                    write!(f, "{right}")
                }
            }
        }
    }
}

fn parse_error(message: &str, offset: Option<usize>) -> ExprError {
    ExprError::new(ExprErrorKind::Parse, message, offset)
}

/// `Parser#tokens_rpn`. An operator first moves every stacked operator that binds at least as
/// tightly to the output (`consume?` is `precedence >= other.precedence`); `)` moves everything
/// down to the nearest `(`.
fn to_rpn(tokens: &[Token]) -> Result<Vec<&Token>, ExprError> {
    fn precedence(token: &Token) -> u32 {
        match &token.kind {
            TokenKind::Operator(op) => op.precedence(),
            TokenKind::ParenClose => 900,
            // `(` (901) is never consumed by anything.
            _ => 901,
        }
    }
    let mut output = Vec::with_capacity(tokens.len());
    let mut operators: Vec<&Token> = Vec::new();
    for token in tokens {
        match &token.kind {
            TokenKind::Operator(op) => {
                while let Some(top) = operators.last() {
                    if op.precedence() < precedence(top) {
                        break;
                    }
                    output.extend(operators.pop());
                }
                operators.push(token);
            }
            TokenKind::ParenOpen => operators.push(token),
            TokenKind::ParenClose => {
                while let Some(top) = operators.last() {
                    if 900 < precedence(top) {
                        break;
                    }
                    output.extend(operators.pop());
                }
                match operators.last() {
                    None => {
                        return Err(parse_error("Unmatched parenthesis", Some(token.span.start)))
                    }
                    Some(top) if top.kind == TokenKind::ParenOpen => {
                        operators.pop();
                    }
                    Some(_) => {}
                }
            }
            _ => output.push(token),
        }
    }
    output.extend(operators.into_iter().rev());
    Ok(output)
}

fn build_leaf(token: &Token) -> Result<Option<Leaf>, ExprError> {
    Ok(Some(match &token.kind {
        TokenKind::Variable(name) => Leaf::Variable(name.clone()),
        TokenKind::Input(name) => Leaf::Input(name.clone()),
        TokenKind::String(value) => Leaf::String(value.clone()),
        TokenKind::Pattern(raw) => match regexp::from_ruby_syntax(raw) {
            Some(regex) => Leaf::Pattern {
                raw: raw.clone(),
                regex,
            },
            None => {
                return Err(ExprError::new(
                    ExprErrorKind::Syntax,
                    "Invalid regular expression!",
                    Some(token.span.start),
                ))
            }
        },
        TokenKind::Null => Leaf::Null,
        TokenKind::Boolean(value) => Leaf::Boolean(*value),
        TokenKind::ParenOpen | TokenKind::ParenClose | TokenKind::Operator(_) => return Ok(None),
    }))
}

/// `Parser#tree`: errors come out in the order GitLab meets them, walking the RPN.
pub fn parse(tokens: &[Token]) -> Result<Node, ExprError> {
    let mut results: Vec<Node> = Vec::new();
    for token in to_rpn(tokens)? {
        match &token.kind {
            TokenKind::Operator(op) => {
                let right = results.pop();
                let left = results.pop();
                let operand_error = |message| {
                    ExprError::new(ExprErrorKind::Operator, message, Some(token.span.start))
                };
                // Left is checked first, and it is missing whenever right is.
                let left = left.ok_or_else(|| operand_error("Invalid left operand"))?;
                let right = right.ok_or_else(|| operand_error("Invalid right operand"))?;
                results.push(Node::Binary {
                    op: *op,
                    left: Box::new(left),
                    right: Box::new(right),
                    op_span: token.span.clone(),
                });
            }
            TokenKind::ParenOpen | TokenKind::ParenClose => {
                let name = if token.kind == TokenKind::ParenOpen {
                    "parenthesis_open"
                } else {
                    "parenthesis_close"
                };
                return Err(parse_error(
                    &format!("Unprocessable token found in parse tree: {name}"),
                    Some(token.span.start),
                ));
            }
            _ => {
                if let Some(leaf) = build_leaf(token)? {
                    results.push(Node::Leaf {
                        leaf,
                        span: token.span.clone(),
                    });
                }
            }
        }
    }
    if results.len() > 1 {
        let offset = results.get(1).map(|n| n.span().start);
        return Err(parse_error("Unreachable nodes in parse tree", offset));
    }
    results
        .pop()
        .ok_or_else(|| parse_error("Empty parse tree", None))
}

#[cfg(test)]
mod tests {
    use super::super::lexer::{lex, MAX_TOKENS};
    use super::*;

    fn tree(source: &str) -> Result<String, String> {
        let tokens = lex(source, MAX_TOKENS).map_err(|e| e.message)?;
        parse(&tokens).map(|n| n.inspect()).map_err(|e| e.message)
    }

    /// spec/lib/gitlab/ci/pipeline/expression/parser_spec.rb
    #[test]
    fn parser_spec() {
        let table: &[(&str, &str)] = &[
            (r#"$VAR1 == "123""#, r#"equals($VAR1, "123")"#),
            (
                r#"$VAR1 == "123" == $VAR2"#,
                r#"equals(equals($VAR1, "123"), $VAR2)"#,
            ),
            ("$VAR", "$VAR"),
            (r#""some value""#, r#""some value""#),
            ("null", "null"),
            ("$VAR1 || $VAR2 && $VAR3", "or($VAR1, and($VAR2, $VAR3))"),
            ("$VAR1 && $VAR2 || $VAR3", "or(and($VAR1, $VAR2), $VAR3)"),
            (
                "$VAR1 && $VAR2 || $VAR3 && $VAR4",
                "or(and($VAR1, $VAR2), and($VAR3, $VAR4))",
            ),
            (
                "$VAR1 && ($VAR2 || $VAR3) && $VAR4",
                "and(and($VAR1, or($VAR2, $VAR3)), $VAR4)",
            ),
            // 'when combining && and OR operators'
            (
                r#"$VAR1 == "a" || $VAR2 == "b" && $VAR3 == "c" || $VAR4 == "d" && $VAR5 == "e""#,
                r#"or(or(equals($VAR1, "a"), and(equals($VAR2, "b"), equals($VAR3, "c"))), and(equals($VAR4, "d"), equals($VAR5, "e")))"#,
            ),
            // 'when using parenthesis'
            (
                r#"(($VAR1 == "a" || $VAR2 == "b") && $VAR3 == "c" || $VAR4 == "d") && $VAR5 == "e""#,
                r#"and(or(and(or(equals($VAR1, "a"), equals($VAR2, "b")), equals($VAR3, "c")), equals($VAR4, "d")), equals($VAR5, "e"))"#,
            ),
        ];
        for (source, expected) in table {
            assert_eq!(tree(source).as_deref(), Ok(*expected), "{source:?}");
        }
    }

    /// parser_spec.rb error cases, with the messages from lib/.../expression/parser.rb and
    /// lexeme/logical_operator.rb.
    #[test]
    fn parser_spec_errors() {
        let table: &[(&str, &str)] = &[
            ("", "Empty parse tree"),
            (r#"$VAR "text""#, "Unreachable nodes in parse tree"),
            (r#"== "123""#, "Invalid left operand"),
            // The single operand is popped as the right one, so the left is the missing one.
            ("$VAR ==", "Invalid left operand"),
            ("==", "Invalid left operand"),
            // 'when parenthesis are unmatched'
            (
                "$VAR == (",
                "Unprocessable token found in parse tree: parenthesis_open",
            ),
            (
                r#"$VAR2 == ("aa""#,
                "Unprocessable token found in parse tree: parenthesis_open",
            ),
            (r#"$VAR2 == ("aa"))"#, "Unmatched parenthesis"),
            (r#"$VAR2 == "aa")"#, "Unmatched parenthesis"),
            (
                r#"(($VAR2 == "aa")"#,
                "Unprocessable token found in parse tree: parenthesis_open",
            ),
            (r#"($VAR2 == "aa"))"#, "Unmatched parenthesis"),
            ("()", "Empty parse tree"),
            (")", "Unmatched parenthesis"),
            (
                "(",
                "Unprocessable token found in parse tree: parenthesis_open",
            ),
            (r#"$VAR == "a" $B"#, "Unreachable nodes in parse tree"),
            // The pattern is built when the RPN walk reaches it (lexeme/pattern.rb).
            ("$VAR =~ /a(/", "Invalid regular expression!"),
            ("/a(/ ==", "Invalid regular expression!"),
            ("== /a(/", "Invalid regular expression!"),
            ("$A == /a\nb/", "Invalid regular expression!"),
            // `(` and `)` are consumed around the operator, leaving `$A == $B` in RPN order.
            ("$A (==) $B", "Invalid left operand"),
        ];
        for (source, message) in table {
            assert_eq!(tree(source), Err(message.to_string()), "{source:?}");
        }
    }

    /// The shunting-yard never checks operand positions (parser.rb `tokens_rpn`).
    #[test]
    fn rpn_forms() {
        let table: &[(&str, &str)] = &[
            ("$A $B ==", "equals($A, $B)"),
            ("== $A $B", "equals($A, $B)"),
            ("$A $B $C == ==", "equals($A, equals($B, $C))"),
            ("$A && $B $C ==", "and($A, equals($B, $C))"),
            ("(($A))", "$A"),
            ("() $A", "$A"),
            ("$A ()", "$A"),
            (
                "$A == $B == $C == $D",
                "equals(equals(equals($A, $B), $C), $D)",
            ),
            ("$A || $B || $C", "or(or($A, $B), $C)"),
            ("$A && $B && $C", "and(and($A, $B), $C)"),
            ("$A =~ /xy/ && $B", "and(matches($A, //xy//), $B)"),
            ("$A !~ /xy/i", "not_matches($A, //xy/i/)"),
            ("$A != true", "not_equals($A, true)"),
            ("$[[ inputs.a ]] == false", "equals($[[ inputs.a ]], false)"),
            ("'say \"hi\"'", r#""say \"hi\"""#),
        ];
        for (source, expected) in table {
            assert_eq!(tree(source).as_deref(), Ok(*expected), "{source:?}");
        }
    }
}
