//! The `rules:if` expression language on arbitrary text: lexer (token limit), parser, Ruby
//! evaluator, RE2 translation. Properties: no panic; a parsed expression evaluates and traces
//! to the same value; its canonical form re-parses to the same tree.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipesim::expr;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // The first line is the expression; further lines are variable values (`NAME=value` or
    // a value for $A, $B, ... in turn), so patterns held in variables are fuzzed too.
    let mut lines = text.splitn(6, '\n');
    let source = lines.next().unwrap_or("");
    let names = ["A", "B", "C", "D", "E"];
    let vars: Vec<(&str, &str)> = lines
        .enumerate()
        .map(|(i, line)| match line.split_once('=') {
            Some((name, value)) if !name.is_empty() && name.len() < 20 => (name, value),
            _ => (names[i], line),
        })
        .collect();
    let Ok(expression) = expr::parse(source) else {
        return;
    };
    let value = expression.evaluate(&vars);
    let trace = expression.trace(&vars);
    if let Ok(value) = &value {
        assert_eq!(value.is_present(), expression.truthful(&vars));
    }
    let _ = (expression.inspect(), expression.variables(), trace);
    let canonical = expression.to_string();
    match expr::parse(&canonical) {
        Ok(reparsed) => assert!(reparsed == expression, "{source:?} -> {canonical:?}"),
        // The canonical form adds parentheses, which can push it over the token limit.
        Err(e) => assert!(
            e.message == "Too many tokens!",
            "{source:?} -> {canonical:?}: {e}"
        ),
    }
});
