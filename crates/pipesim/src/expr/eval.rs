//! Evaluation with Ruby semantics (`Lexeme::*#evaluate`), and the same walk recording a trace.

use super::lexer::Op;
use super::parser::{Leaf, Node};
use super::regexp;
use super::{ExprError, ExprErrorKind, MatchNote, Outcome, TraceKind, TraceNode, Value, Variables};

/// What `to_s` gives GitLab for the left side of `=~`. An `UntrustedRegexp` has no `to_s` of
/// its own, so Ruby prints an object address; the address part is not reproducible.
const REGEXP_TO_S: &str = "#<Gitlab::UntrustedRegexp>";

/// A Ruby exception that is not an `ExpressionError`: GitLab does not rescue it.
fn crash(method: &str, receiver: &Value) -> ExprError {
    let receiver = match receiver {
        Value::Null => "nil".to_string(),
        Value::Bool(b) => b.to_string(),
        Value::Str(_) => "an instance of String".to_string(),
        Value::Regex(_) => "an instance of Gitlab::UntrustedRegexp".to_string(),
    };
    ExprError::new(
        ExprErrorKind::Crash,
        &format!("undefined method `{method}' for {receiver}"),
        None,
    )
}

fn leaf_value(leaf: &Leaf, vars: &dyn Variables) -> Value {
    match leaf {
        Leaf::Variable(name) => vars.get(name).map_or(Value::Null, |v| Value::Str(v.into())),
        Leaf::Input(name) => vars.input(name).unwrap_or(Value::Null),
        Leaf::String(value) => Value::Str(value.clone()),
        Leaf::Pattern { regex, .. } => Value::Regex(regex.clone()),
        Leaf::Null => Value::Null,
        Leaf::Boolean(value) => Value::Bool(*value),
    }
}

/// Ruby `left == right`. `UntrustedRegexp#==` compares `source` with `other.source`, which
/// raises for anything that is not a regexp; the other classes' `==` just say false.
fn ruby_eq(left: &Value, right: &Value) -> Result<bool, ExprError> {
    Ok(match (left, right) {
        (Value::Regex(a), Value::Regex(b)) => a == b,
        (Value::Regex(_), other) => return Err(crash("source", other)),
        (Value::Str(a), Value::Str(b)) => a == b,
        (Value::Null, Value::Null) => true,
        (Value::Bool(a), Value::Bool(b)) => a == b,
        _ => false,
    })
}

fn to_s(value: &Value) -> &str {
    match value {
        Value::Null => "",
        Value::Str(s) => s,
        Value::Bool(true) => "true",
        Value::Bool(false) => "false",
        Value::Regex(_) => REGEXP_TO_S,
    }
}

/// `Matches#evaluate` before negation: `None` when the right side is nil or false (then `=~`
/// is false and `!~` is true), otherwise whether anything matched and how the right side was
/// read.
fn matches(left: &Value, right: &Value) -> Result<(Option<bool>, MatchNote), ExprError> {
    let text = to_s(left);
    Ok(match right {
        Value::Null | Value::Bool(false) => (None, MatchNote::RightIsNull),
        // `Pattern.build_and_evaluate(true)` calls `true.gsub`.
        Value::Bool(true) => return Err(crash("gsub", right)),
        Value::Regex(regex) => (Some(regex.is_match(text)), MatchNote::Regex),
        Value::Str(s) => match regexp::from_ruby_syntax(s) {
            Some(regex) => {
                let source = regex.source().to_string();
                (
                    Some(regex.is_match(text)),
                    MatchNote::StringAsRegex { source },
                )
            }
            // `String#scan(text).present?`: is the left side a substring of the right side.
            None => (Some(s.contains(text)), MatchNote::Substring),
        },
    })
}

/// Applies a binary operator. `right` is only called when Ruby would evaluate the right side.
fn apply(
    op: Op,
    left: Value,
    right: impl FnOnce() -> Result<Value, ExprError>,
) -> Result<(Value, Option<MatchNote>), ExprError> {
    Ok(match op {
        Op::And if left.is_truthy() => (right()?, None),
        Op::Or if !left.is_truthy() => (right()?, None),
        Op::And | Op::Or => (left, None),
        Op::Equals => (Value::Bool(ruby_eq(&left, &right()?)?), None),
        // Ruby's `a != b` is `!(a == b)`.
        Op::NotEquals => (Value::Bool(!ruby_eq(&left, &right()?)?), None),
        Op::Matches => {
            let (found, note) = matches(&left, &right()?)?;
            (Value::Bool(found.unwrap_or(false)), Some(note))
        }
        Op::NotMatches => {
            let (found, note) = matches(&left, &right()?)?;
            (Value::Bool(found != Some(true)), Some(note))
        }
    })
}

pub fn evaluate(node: &Node, vars: &dyn Variables) -> Result<Value, ExprError> {
    match node {
        Node::Leaf { leaf, .. } => Ok(leaf_value(leaf, vars)),
        Node::Binary {
            op, left, right, ..
        } => {
            let left = evaluate(left, vars)?;
            apply(*op, left, || evaluate(right, vars)).map(|(value, _)| value)
        }
    }
}

fn skipped(node: &Node) -> TraceNode {
    let children = match node {
        Node::Leaf { .. } => Vec::new(),
        Node::Binary { left, right, .. } => vec![skipped(left), skipped(right)],
    };
    let span = node.span();
    TraceNode {
        kind: trace_kind(node),
        text: node.to_string(),
        span: (span.start, span.end),
        outcome: Outcome::Skipped,
        note: None,
        children,
    }
}

fn trace_kind(node: &Node) -> TraceKind {
    match node {
        Node::Leaf { leaf, .. } => match leaf {
            Leaf::Variable(name) => TraceKind::Variable { name: name.clone() },
            Leaf::Input(name) => TraceKind::Input { name: name.clone() },
            Leaf::String(_) => TraceKind::String,
            Leaf::Pattern { .. } => TraceKind::Pattern,
            Leaf::Null => TraceKind::Null,
            Leaf::Boolean(_) => TraceKind::Boolean,
        },
        Node::Binary { op, .. } => TraceKind::Operator { op: *op },
    }
}

/// The evaluation of `node`, recording every sub-expression's outcome.
pub fn trace(node: &Node, vars: &dyn Variables) -> TraceNode {
    let mut result = skipped(node);
    match node {
        Node::Leaf { leaf, .. } => result.outcome = Outcome::Value(leaf_value(leaf, vars)),
        Node::Binary {
            op, left, right, ..
        } => {
            let left_trace = trace(left, vars);
            let mut right_trace = skipped(right);
            result.outcome = match left_trace.outcome.clone() {
                Outcome::Value(left_value) => {
                    let applied = apply(*op, left_value, || {
                        right_trace = trace(right, vars);
                        match &right_trace.outcome {
                            Outcome::Value(v) => Ok(v.clone()),
                            Outcome::Error(e) => Err(e.clone()),
                            // A traced sub-tree always ends in a value or an error.
                            Outcome::Skipped => Ok(Value::Null),
                        }
                    });
                    match applied {
                        Ok((value, note)) => {
                            result.note = note;
                            Outcome::Value(value)
                        }
                        Err(e) => Outcome::Error(e),
                    }
                }
                other => other,
            };
            result.children = vec![left_trace, right_trace];
        }
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(v: &str) -> Value {
        Value::Str(v.to_string())
    }

    fn re(source: &str) -> Value {
        Value::Regex(regexp::Regex::new(source).expect("valid test regex"))
    }

    fn run(op: Op, left: Value, right: Value) -> Result<Value, String> {
        apply(op, left, || Ok(right))
            .map(|(v, _)| v)
            .map_err(|e| e.message)
    }

    /// spec/lib/gitlab/ci/pipeline/expression/lexeme/and_spec.rb and or_spec.rb (without the
    /// Integer operand, which cannot occur in an expression).
    #[test]
    fn and_or_spec() {
        let truthy = [Value::Bool(true), s("a")];
        for l in &truthy {
            for r in &truthy {
                assert_eq!(run(Op::And, l.clone(), r.clone()), Ok(r.clone()));
                assert_eq!(run(Op::Or, l.clone(), r.clone()), Ok(l.clone()));
            }
        }
        // 'when left or right is falsey' (and), 'when left or right is truthy' (or)
        let mixed = [Value::Bool(true), Value::Bool(false), Value::Null];
        for l in &mixed {
            for r in &mixed {
                if l != r && (!l.is_truthy() || !r.is_truthy()) {
                    let v = run(Op::And, l.clone(), r.clone()).expect("and");
                    assert!(!v.is_truthy(), "{l:?} && {r:?}");
                }
            }
        }
        let some_truthy = [Value::Bool(true), Value::Bool(false), s("a")];
        for l in &some_truthy {
            for r in &some_truthy {
                if l != r {
                    let v = run(Op::Or, l.clone(), r.clone()).expect("or");
                    assert!(v.is_truthy(), "{l:?} || {r:?}");
                }
            }
        }
        let falsey = [Value::Bool(false), Value::Null];
        for l in &falsey {
            for r in &falsey {
                if l != r {
                    assert_eq!(run(Op::And, l.clone(), r.clone()), Ok(l.clone()));
                    assert_eq!(run(Op::Or, l.clone(), r.clone()), Ok(r.clone()));
                }
            }
        }
    }

    /// Only nil and false are falsy inside an expression; `&&`/`||` skip the right side like
    /// Ruby (lexeme/and.rb, or.rb).
    #[test]
    fn short_circuit() {
        let boom = || Err(crash("gsub", &Value::Bool(true)));
        assert_eq!(
            apply(Op::And, Value::Null, boom).map(|r| r.0),
            Ok(Value::Null)
        );
        assert_eq!(apply(Op::Or, s(""), boom).map(|r| r.0), Ok(s("")));
        assert!(apply(Op::And, s(""), boom).is_err());
        assert!(apply(Op::Or, Value::Bool(false), boom).is_err());
    }

    /// spec/lib/gitlab/ci/pipeline/expression/lexeme/equals_spec.rb and not_equals_spec.rb
    /// (Integer operands left out).
    #[test]
    fn equals_spec() {
        let equal = [s("string"), s(""), Value::Null];
        for v in &equal {
            assert_eq!(run(Op::Equals, v.clone(), v.clone()), Ok(Value::Bool(true)));
            assert_eq!(
                run(Op::NotEquals, v.clone(), v.clone()),
                Ok(Value::Bool(false))
            );
        }
        let distinct = [
            s("one string"),
            s("two string"),
            s(""),
            Value::Null,
            Value::Bool(false),
            Value::Bool(true),
        ];
        for (i, l) in distinct.iter().enumerate() {
            for (j, r) in distinct.iter().enumerate() {
                if i != j {
                    assert_eq!(
                        run(Op::NotEquals, l.clone(), r.clone()),
                        Ok(Value::Bool(true))
                    );
                    assert_eq!(
                        run(Op::Equals, l.clone(), r.clone()),
                        Ok(Value::Bool(false))
                    );
                }
            }
        }
    }

    /// `UntrustedRegexp#==` compares sources and raises NoMethodError for a non-regexp
    /// (lib/gitlab/untrusted_regexp.rb).
    #[test]
    fn regexp_equality() {
        assert_eq!(run(Op::Equals, re("a"), re("a")), Ok(Value::Bool(true)));
        assert_eq!(
            run(Op::Equals, re("a"), re("(?i)a")),
            Ok(Value::Bool(false))
        );
        assert_eq!(run(Op::Equals, s("a"), re("a")), Ok(Value::Bool(false)));
        assert_eq!(
            run(Op::NotEquals, Value::Null, re("a")),
            Ok(Value::Bool(true))
        );
        assert_eq!(
            run(Op::Equals, re("a"), s("a")),
            Err("undefined method `source' for an instance of String".to_string())
        );
        assert_eq!(
            run(Op::NotEquals, re("a"), Value::Null),
            Err("undefined method `source' for nil".to_string())
        );
    }

    /// spec/lib/gitlab/ci/pipeline/expression/lexeme/matches_spec.rb and not_matches_spec.rb:
    /// (left, right, `=~` result); `!~` is the opposite in every case.
    #[test]
    fn matches_spec() {
        let multiline_text = "My awesome contents\n\nMy-text-string!\n";
        let multiline_other = "My awesome contents\n\nMy-terrible-string!\n";
        let table: Vec<(Value, Value, bool)> = vec![
            (s("my-string"), re("something"), false),
            (s("my-awesome-string"), re("awesome.string$"), true),
            (Value::Null, re("pattern"), false),
            (s("my-awesome-string"), Value::Null, false),
            (Value::Null, Value::Null, false),
            (s(""), re("pattern"), false),
            (s(""), re(""), true),
            (s(multiline_text), re("text-string"), true),
            (s(multiline_other), re("text-string"), false),
            (s("My AWESOME content\n"), re("(?i)awesome"), true),
            (s("My AWESOME content\n"), re("(?i)terrible"), false),
            // 'when right value is a regexp string'
            (s("abcde"), s("/^ab.*/"), true),
            (s("dfg"), s("/^ab.*/"), false),
        ];
        for (left, right, expected) in table {
            let m = run(Op::Matches, left.clone(), right.clone());
            let n = run(Op::NotMatches, left.clone(), right.clone());
            assert_eq!(m, Ok(Value::Bool(expected)), "{left:?} =~ {right:?}");
            assert_eq!(n, Ok(Value::Bool(!expected)), "{left:?} !~ {right:?}");
        }
    }

    /// (left, right, `=~` result or error message, how the right side was read).
    type MatchCase = (Value, Value, Result<bool, &'static str>, Option<MatchNote>);

    /// Edges of `Matches#evaluate` / `Pattern.build_and_evaluate` (lexeme/matches.rb,
    /// lexeme/pattern.rb): the right side decides how matching works.
    #[test]
    fn matches_right_side() {
        let table: Vec<MatchCase> = vec![
            // A plain string is a substring test of the left inside the right.
            (s("23"), s("1234"), Ok(true), Some(MatchNote::Substring)),
            (s("1234"), s("23"), Ok(false), Some(MatchNote::Substring)),
            (Value::Null, s("abc"), Ok(true), Some(MatchNote::Substring)),
            (s(""), s(""), Ok(true), Some(MatchNote::Substring)),
            // A string that fails to compile stays a plain string.
            (s("(x"), s("/(x/"), Ok(true), Some(MatchNote::Substring)),
            (s("a"), s("/a/x"), Ok(true), Some(MatchNote::Substring)),
            (
                s("A"),
                s("/a/i"),
                Ok(true),
                Some(MatchNote::StringAsRegex {
                    source: "(?i)a".into(),
                }),
            ),
            // No 2-character minimum for a regex held in a value.
            (
                s("x"),
                s("/./"),
                Ok(true),
                Some(MatchNote::StringAsRegex { source: ".".into() }),
            ),
            (Value::Bool(true), s("/^true$/"), Ok(true), None),
            (Value::Bool(false), s("xfalsex"), Ok(true), None),
            (
                s("a"),
                Value::Bool(false),
                Ok(false),
                Some(MatchNote::RightIsNull),
            ),
            (
                s("a"),
                Value::Bool(true),
                Err("undefined method `gsub' for true"),
                None,
            ),
        ];
        for (left, right, expected, note) in table {
            let got = apply(Op::Matches, left.clone(), || Ok(right.clone()));
            let got_value = got.clone().map(|(v, _)| v).map_err(|e| e.message);
            let expected_value = expected.map(Value::Bool).map_err(str::to_string);
            assert_eq!(got_value, expected_value, "{left:?} =~ {right:?}");
            if let (Some(note), Ok((_, got_note))) = (note, got) {
                assert_eq!(got_note, Some(note), "{left:?} =~ {right:?}");
            }
        }
    }

    /// ActiveSupport `present?`: nil, false and whitespace-only strings are blank.
    #[test]
    fn present() {
        let table: Vec<(Value, bool)> = vec![
            (Value::Null, false),
            (Value::Bool(false), false),
            (Value::Bool(true), true),
            (s(""), false),
            (s("  \t\n"), false),
            (s("\u{3000}\u{a0}"), false),
            (s(" x "), true),
            (s("0"), true),
            (s("false"), true),
            (re("a"), true),
        ];
        for (value, expected) in table {
            assert_eq!(value.is_present(), expected, "{value:?}");
        }
    }
}
