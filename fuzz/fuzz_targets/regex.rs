//! RE2-semantics regexes (crates/pipesim/src/expr/regexp.rs) on arbitrary patterns and texts.
//! Properties: no panic, no stack overflow, bounded time (libFuzzer's -timeout); a pattern
//! compiles the same way twice (the cache); `/pattern/flags` agrees with `(?flags)pattern`;
//! and, for the patterns RE2 answered in tests/fixtures/regex/re2-cases.jsonl, pipesim's
//! answer on those inputs is RE2's (a differential against cached RE2 results: the fuzzer
//! mutates the rest).
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipesim::expr::{from_ruby_syntax, Regex};
use std::collections::HashMap;
use std::sync::OnceLock;

/// Pattern -> (valid, [(input, matches)]) from the RE2 fixture, less the known differences.
fn re2_answers() -> &'static HashMap<String, (bool, Vec<(String, bool)>)> {
    static ANSWERS: OnceLock<HashMap<String, (bool, Vec<(String, bool)>)>> = OnceLock::new();
    ANSWERS.get_or_init(|| {
        let text = include_str!("../../tests/fixtures/regex/re2-cases.jsonl");
        let mut answers = HashMap::new();
        for line in text.lines() {
            let Ok(case) = serde_json::from_str::<serde_json::Value>(line) else {
                continue;
            };
            let (Some(pattern), Some(valid)) = (case["pattern"].as_str(), case["valid"].as_bool())
            else {
                continue;
            };
            // RE2's size and nesting limits are known differences (docs/PARITY.md).
            if case["source"]
                .as_str()
                .is_some_and(|s| s.starts_with("pipesim limit:"))
            {
                continue;
            }
            let inputs: Vec<(String, bool)> = case["inputs"]
                .as_array()
                .map(|inputs| {
                    inputs
                        .iter()
                        .zip(case["matches"].as_str().unwrap_or("").chars())
                        .filter_map(|(i, m)| Some((i.as_str()?.to_string(), m == '1')))
                        .collect()
                })
                .unwrap_or_default();
            answers.insert(pattern.to_string(), (valid, inputs));
        }
        answers
    })
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    // First line: the RE2 pattern; the rest: the text it is matched against.
    let (pattern, input) = text.split_once('\n').unwrap_or((text, ""));
    let compiled = Regex::new(pattern);
    assert_eq!(
        compiled.is_some(),
        Regex::new(pattern).is_some(),
        "{pattern:?}"
    );
    if let Some(regex) = &compiled {
        let _ = regex.is_match(input);
        let _ = regex.is_match(pattern);
        assert_eq!(regex.source(), pattern);
    }
    // The Ruby form GitLab's lexer hands over, when the pattern has no `/` to escape (and does
    // not end in a backslash, which would escape the closing `/`).
    if !pattern.contains('/') && !pattern.contains('\n') && !pattern.ends_with('\\') {
        let ruby = from_ruby_syntax(&format!("/{pattern}/i"));
        let direct = Regex::new(&format!("(?i){pattern}"));
        assert_eq!(ruby.is_some(), direct.is_some(), "{pattern:?}");
        if let (Some(ruby), Some(direct)) = (&ruby, &direct) {
            assert_eq!(ruby.is_match(input), direct.is_match(input), "{pattern:?}");
        }
    }
    if let Some((valid, inputs)) = re2_answers().get(pattern) {
        assert_eq!(compiled.is_some(), *valid, "RE2 differs on {pattern:?}");
        if let Some(regex) = &compiled {
            for (input, matches) in inputs {
                assert_eq!(
                    regex.is_match(input),
                    *matches,
                    "RE2 differs: {pattern:?} on {input:?}"
                );
            }
        }
    }
});
