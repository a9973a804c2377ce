//! GitLab's CI/CD variable expression language (`rules:if`, `only/except:variables`,
//! `workflow:rules:if`), as implemented by `Gitlab::Ci::Pipeline::Expression` (lexer,
//! shunting-yard parser, Ruby evaluation) with regexes compiled the way `UntrustedRegexp` (RE2)
//! does.

use std::collections::HashMap;

use crate::sorted::SortedMap;
use std::fmt;

mod eval;
mod lexer;
mod parser;
mod regexp;
#[cfg(test)]
mod tests;

pub use lexer::{Op, MAX_TOKENS};
pub use regexp::{from_ruby_syntax, Regex};

/// Which of GitLab's exception classes the error corresponds to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ExprErrorKind {
    /// `Lexer::SyntaxError`: 'Unknown lexeme found!', 'Too many tokens!',
    /// 'Invalid regular expression!'.
    Syntax,
    /// `Parser::ParseError`: 'Unmatched parenthesis', 'Unreachable nodes in parse tree',
    /// 'Empty parse tree', 'Unprocessable token found in parse tree: parenthesis_open'.
    Parse,
    /// `Lexeme::Operator::OperatorError`: 'Invalid left operand'.
    Operator,
    /// `Statement::StatementError`: the statement has no tokens at all.
    Statement,
    /// A Ruby exception GitLab does not rescue (`NoMethodError`), e.g. `$X =~ true` or a regex
    /// on the left of `==`. GitLab fails the request instead of treating the rule as false.
    Crash,
}

/// An expression error with GitLab's message. Config validation reports every kind as
/// `invalid expression syntax`.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ExprError {
    pub kind: ExprErrorKind,
    /// GitLab's exception message, verbatim.
    pub message: String,
    /// Byte offset in the source of the token or character the error is about.
    pub offset: Option<usize>,
}

impl ExprError {
    fn new(kind: ExprErrorKind, message: &str, offset: Option<usize>) -> Self {
        ExprError {
            kind,
            message: message.to_string(),
            offset,
        }
    }
}

impl fmt::Display for ExprError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ExprError {}

/// A Ruby value an expression can produce.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Value {
    /// `nil`: an unset variable, `null`.
    Null,
    Str(String),
    /// From a comparison or a `true`/`false` literal.
    Bool(bool),
    /// A pattern literal (`/re/flags`).
    Regex(Regex),
}

impl Value {
    /// Ruby truthiness, used by `&&` and `||` inside an expression: only nil and false are
    /// false, so the empty string is true.
    pub fn is_truthy(&self) -> bool {
        !matches!(self, Value::Null | Value::Bool(false))
    }

    /// ActiveSupport `present?`, which decides the statement: nil, false, and strings that are
    /// empty or only whitespace are not present.
    pub fn is_present(&self) -> bool {
        match self {
            Value::Null | Value::Bool(false) => false,
            Value::Str(s) => !s.chars().all(char::is_whitespace),
            Value::Bool(true) | Value::Regex(_) => true,
        }
    }
}

/// Variable values an expression reads.
pub trait Variables {
    fn get(&self, name: &str) -> Option<&str>;

    /// The value of `$[[ inputs.name ]]` (component `spec:inputs` expressions); plain pipeline
    /// rules have none.
    fn input(&self, _name: &str) -> Option<Value> {
        None
    }
}

impl Variables for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).map(String::as_str)
    }
}

impl Variables for SortedMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        SortedMap::get(self, name).map(String::as_str)
    }
}

/// A later entry overrides an earlier one with the same name, like GitLab's
/// `Variables::Collection#to_hash`.
impl Variables for [(&str, &str)] {
    fn get(&self, name: &str) -> Option<&str> {
        self.iter().rev().find(|(k, _)| *k == name).map(|(_, v)| *v)
    }
}

/// `&dyn Variables` cannot point at an unsized slice, so a slice reference is passed by reference.
impl Variables for &[(&str, &str)] {
    fn get(&self, name: &str) -> Option<&str> {
        Variables::get(*self, name)
    }
}

impl Variables for Vec<(&str, &str)> {
    fn get(&self, name: &str) -> Option<&str> {
        Variables::get(self.as_slice(), name)
    }
}

impl<const N: usize> Variables for [(&str, &str); N] {
    fn get(&self, name: &str) -> Option<&str> {
        Variables::get(self.as_slice(), name)
    }
}

/// A parsed statement. Equality compares parse trees, not source text.
#[derive(Clone, Debug)]
pub struct Expression {
    // Shared: the parse cache hands out a copy for every rule that uses the statement.
    source: std::sync::Arc<str>,
    root: std::sync::Arc<parser::Node>,
}

impl PartialEq for Expression {
    fn eq(&self, other: &Self) -> bool {
        self.root.same_tree(&other.root)
    }
}

/// Lexes and parses like `Statement#parse_tree`, without evaluating.
fn parse_tree(source: &str) -> Result<parser::Node, ExprError> {
    let tokens = lexer::lex(source, MAX_TOKENS)?;
    if tokens.is_empty() {
        return Err(ExprError::new(
            ExprErrorKind::Statement,
            "Gitlab::Ci::Pipeline::Expression::Statement::StatementError",
            None,
        ));
    }
    parser::parse(&tokens)
}

/// Parses a statement, accepting exactly what `Statement#valid?` accepts: it lexes, parses, and
/// evaluates once with no variables (which is where the `Crash` kind can show up).
pub fn parse(source: &str) -> Result<Expression, ExprError> {
    // Rules shared through `extends`, anchors or `!reference` repeat the same few statements on
    // hundreds of jobs, and each is read at validation and again at evaluation: parse each once.
    if let Some(cached) = PARSED.with(|c| c.borrow().get(source).cloned()) {
        return cached;
    }
    let parsed = parse_tree(source).and_then(|root| {
        eval::evaluate(&root, &SortedMap::new())?;
        Ok(Expression {
            source: source.into(),
            root: root.into(),
        })
    });
    if source.len() <= PARSED_SOURCE_BYTES {
        PARSED.with(|c| {
            let mut cache = c.borrow_mut();
            // Bounded: many distinct statements only lose the cache.
            if cache.len() >= PARSED_ENTRIES {
                cache.clear();
            }
            cache.insert(source.to_string(), parsed.clone());
        });
    }
    parsed
}

const PARSED_ENTRIES: usize = 1024;
const PARSED_SOURCE_BYTES: usize = 4096;

thread_local! {
    static PARSED: std::cell::RefCell<HashMap<String, Result<Expression, ExprError>>> =
        std::cell::RefCell::new(HashMap::new());
}

impl Expression {
    /// The text this expression was parsed from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// `Statement#evaluate`.
    pub fn evaluate(&self, vars: &dyn Variables) -> Result<Value, ExprError> {
        eval::evaluate(&self.root, vars)
    }

    /// `Statement#truthful?`: `evaluate.present?`, and any error is false.
    pub fn truthful(&self, vars: &dyn Variables) -> bool {
        self.evaluate(vars).is_ok_and(|v| v.is_present())
    }

    /// Every variable the expression reads, in order of first appearance in the source.
    pub fn variables(&self) -> Vec<&str> {
        let mut found = Vec::new();
        collect_leaves(&self.root, &mut found);
        crate::sort::sort_by_key(&mut found, |(offset, _)| *offset);
        let mut names: Vec<&str> = Vec::new();
        for (_, leaf) in found {
            if let parser::Leaf::Variable(name) = leaf {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// Every `$[[ inputs.name ]]` read, in order of first appearance (`Statement#input_names`).
    pub fn inputs(&self) -> Vec<&str> {
        let mut found = Vec::new();
        collect_leaves(&self.root, &mut found);
        crate::sort::sort_by_key(&mut found, |(offset, _)| *offset);
        let mut names: Vec<&str> = Vec::new();
        for (_, leaf) in found {
            if let parser::Leaf::Input(name) = leaf {
                if !names.contains(&name.as_str()) {
                    names.push(name);
                }
            }
        }
        names
    }

    /// GitLab's parse-tree notation (`Lexeme#inspect`), e.g. `and(equals($A, "x"), $B)`.
    pub fn inspect(&self) -> String {
        self.root.inspect()
    }

    /// Evaluates while recording what every sub-expression gave, for explanations.
    pub fn trace(&self, vars: &dyn Variables) -> Trace {
        let root = eval::trace(&self.root, vars);
        let (value, error) = match &root.outcome {
            Outcome::Value(v) => (Some(v.clone()), None),
            Outcome::Error(e) => (None, Some(e.clone())),
            Outcome::Skipped => (None, None),
        };
        Trace {
            truthful: value.as_ref().is_some_and(Value::is_present),
            value,
            error,
            root,
        }
    }
}

fn collect_leaves<'a>(node: &'a parser::Node, out: &mut Vec<(usize, &'a parser::Leaf)>) {
    match node {
        parser::Node::Leaf { leaf, span } => out.push((span.start, leaf)),
        parser::Node::Binary { left, right, .. } => {
            collect_leaves(left, out);
            collect_leaves(right, out);
        }
    }
}

/// Canonical form: single spaces, minimal parentheses. It parses back to an equal
/// `Expression` as long as it stays within `MAX_TOKENS` (the canonical form can need
/// parentheses an odd-but-valid source such as `$A $B $C == ==` did without).
impl fmt::Display for Expression {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.root.fmt(f)
    }
}

/// The outcome of evaluating a statement, with the evaluated tree.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Trace {
    /// `Statement#truthful?`.
    pub truthful: bool,
    /// What the statement evaluated to, unless it failed.
    pub value: Option<Value>,
    pub error: Option<ExprError>,
    pub root: TraceNode,
}

/// One evaluated sub-expression.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct TraceNode {
    pub kind: TraceKind,
    /// Canonical text of the sub-expression, e.g. `$CI_COMMIT_BRANCH == "staging"`.
    pub text: String,
    /// Byte range in the original source, first to last token.
    pub span: (usize, usize),
    pub outcome: Outcome,
    /// How `=~` / `!~` read their right side.
    pub note: Option<MatchNote>,
    /// Left and right operands of an operator; empty for values.
    pub children: Vec<TraceNode>,
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum TraceKind {
    /// Its value is `Null` when the variable is not set.
    Variable {
        name: String,
    },
    Input {
        name: String,
    },
    String,
    Pattern,
    Null,
    Boolean,
    Operator {
        op: Op,
    },
}

#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Value(Value),
    /// Not evaluated: the right side of a short-circuited `&&` / `||`, or below an error.
    Skipped,
    Error(ExprError),
}

/// How the right side of `=~` / `!~` was used; the surprising cases are worth explaining.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case", tag = "type")]
pub enum MatchNote {
    /// A regex literal.
    Regex,
    /// nil or false: `=~` is false and `!~` is true without looking at the left side.
    RightIsNull,
    /// A string shaped like `/re/flags`, compiled as a regex.
    StringAsRegex { source: String },
    /// A string that is not a valid `/re/`: true when the left side is a substring of it.
    Substring,
}
