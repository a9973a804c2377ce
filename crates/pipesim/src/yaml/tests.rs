//! Loader behaviour checked against Psych (ruby/psych `lib/psych/scalar_scanner.rb`,
//! `lib/psych/visitors/to_ruby.rb` `revive_hash`), which GitLab uses through `YAML.safe_load`
//! (gitlab `lib/gitlab/config/loader/yaml.rb`).

use super::*;
use crate::source::FileId;

fn load_one(text: &str) -> (Node, Vec<crate::Finding>) {
    let loaded = load(text, FileId(0), Limits::default());
    assert!(!loaded.failed, "failed: {:?}", loaded.findings);
    (
        loaded.documents.into_iter().next().unwrap(),
        loaded.findings,
    )
}

fn scalar(text: &str) -> Value {
    load_one(&format!("k: {text}\n"))
        .0
        .get("k")
        .unwrap()
        .value
        .clone()
}

#[test]
fn psych_scalar_typing() {
    // Source: psych scalar_scanner.rb tokenize; YAML 1.1 booleans and octal.
    let cases: &[(&str, Value)] = &[
        ("yes", Value::Bool(true)),
        ("Yes", Value::Bool(true)),
        ("on", Value::Bool(true)),
        ("ON", Value::Bool(true)),
        ("true", Value::Bool(true)),
        ("no", Value::Bool(false)),
        ("off", Value::Bool(false)),
        ("False", Value::Bool(false)),
        ("y", Value::Str("y".into())),
        ("n", Value::Str("n".into())),
        ("~", Value::Null),
        ("null", Value::Null),
        ("Null", Value::Null),
        ("", Value::Null),
        ("010", Value::Int(8)),
        ("0x1F", Value::Int(31)),
        ("0b101", Value::Int(5)),
        ("1_000", Value::Int(1000)),
        ("1,000", Value::Int(1000)),
        ("-42", Value::Int(-42)),
        ("0", Value::Int(0)),
        ("1.0", Value::Float(1.0)),
        ("1.5e+3", Value::Float(1500.0)),
        ("1e3", Value::Str("1e3".into())),
        (".5", Value::Float(0.5)),
        ("1:30", Value::Int(90)),
        (":build", Value::Symbol("build".into())),
        ("'yes'", Value::Str("yes".into())),
        ("\"010\"", Value::Str("010".into())),
        ("!!str 1.0", Value::Str("1.0".into())),
        ("echo hello", Value::Str("echo hello".into())),
        ("v1.2.3", Value::Str("v1.2.3".into())),
        ("1.2.3", Value::Str("1.2.3".into())),
        ("truely", Value::Str("truely".into())),
        ("nullable", Value::Str("nullable".into())),
        ("$CI_COMMIT_BRANCH", Value::Str("$CI_COMMIT_BRANCH".into())),
    ];
    for (text, expected) in cases {
        assert_eq!(&scalar(text), expected, "scalar {text:?}");
    }
    assert!(matches!(scalar(".inf"), Value::Float(f) if f.is_infinite()));
}

#[test]
fn dates_are_refused_like_safe_load() {
    // Source: Psych safe_load raises DisallowedClass for Date ("Tried to load unspecified class: Date").
    let loaded = load("k: 2024-01-31\n", FileId(0), Limits::default());
    assert!(loaded.failed);
    assert_eq!(
        loaded.findings[0].message,
        "Tried to load unspecified class: Date"
    );
    assert_eq!(loaded.findings[0].span.unwrap().line, 1);
    let loaded = load("k: 2024-01-31 10:00:00\n", FileId(0), Limits::default());
    assert_eq!(
        loaded.findings[0].message,
        "Tried to load unspecified class: Time"
    );
}

#[test]
fn spans_are_one_based() {
    let (doc, _) = load_one("a:\n  b: [1, 2]\n");
    let b = doc.get("a").unwrap().get("b").unwrap();
    assert_eq!((b.span.line, b.span.column), (2, 6));
    let key = &doc.get("a").unwrap().as_map().unwrap().entries[0].0;
    assert_eq!((key.span.line, key.span.column), (2, 3));
}

#[test]
fn duplicate_keys_last_wins_first_position_with_warning() {
    // Source: Psych revive_hash `hash[key] = val` (Ruby Hash keeps the first insertion position).
    let (doc, findings) = load_one("a: 1\nb: 2\na: 3\n");
    let keys: Vec<String> = doc.as_map().unwrap().keys().collect();
    assert_eq!(keys, ["a", "b"]);
    assert_eq!(doc.get("a").unwrap().value, Value::Int(3));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].code, "yaml-duplicate-key");
    assert_eq!(findings[0].span.unwrap().line, 3);
    assert_eq!(findings[0].related.unwrap().line, 1);
}

#[test]
fn anchors_aliases_and_merge_keys() {
    // Source: GitLab docs ci/yaml/yaml_optimization.md "Anchors"; Psych revive_hash merge rules.
    let text = "\
.base: &base
  image: ruby
  script: [a]
.more: &more
  image: node
  tags: [x]
job:
  script: [own]
  <<: *base
  stage: test
list:
  <<: [*base, *more]
";
    let (doc, _) = load_one(text);
    let job = doc.get("job").unwrap();
    // Keys before `<<` are overridden by the merge (Psych `merge!`); keys after it win.
    assert_eq!(
        job.get("script").unwrap().as_seq().unwrap()[0].as_str(),
        Some("a")
    );
    assert_eq!(job.get("image").unwrap().as_str(), Some("ruby"));
    let list = doc.get("list").unwrap();
    // In a list of merges the earlier mapping wins.
    assert_eq!(list.get("image").unwrap().as_str(), Some("ruby"));
    assert_eq!(list.get("tags").unwrap().as_seq().unwrap().len(), 1);
    assert!(list.get("<<").is_none());
}

#[test]
fn reference_tags_are_kept() {
    let (doc, _) = load_one("job:\n  script: !reference [.setup, script]\n");
    let script = doc.get("job").unwrap().get("script").unwrap();
    assert!(matches!(&script.value, Value::Reference(items) if items.len() == 2));
}

#[test]
fn syntax_error_has_position() {
    let loaded = load("a:\n  b: c\n d: e\n", FileId(0), Limits::default());
    assert!(loaded.failed);
    let f = &loaded.findings[0];
    assert_eq!(f.code, "yaml-syntax");
    assert!(f.message.starts_with("(<unknown>): "), "{}", f.message);
    assert_eq!(f.span.unwrap().line, 3);
}

#[test]
fn alias_bomb_is_bounded() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for i in 1..12 {
        let p = i - 1;
        text.push_str(&format!(
            "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
        ));
    }
    let limits = Limits {
        max_nodes: 100_000,
        max_depth: 100,
    };
    let loaded = load(&text, FileId(0), limits);
    assert!(loaded.failed);
    assert_eq!(loaded.findings[0].message, TOO_BIG_MESSAGE);
}

#[test]
fn deep_nesting_is_bounded() {
    let text = format!("{}{}", "[".repeat(150), "]".repeat(150));
    let loaded = load(&text, FileId(0), Limits::default());
    assert!(loaded.failed);
    assert_eq!(loaded.findings[0].message, TOO_BIG_MESSAGE);
}

#[test]
fn emitted_yaml_reads_back_the_same() {
    let text = "\
stages: [build, test]
variables:
  A: 'yes'
  B: '010'
  C: 1.0
  D: \"multi\\nline\\n\"
  E: ''
  F: 'a: b'
  G: '-ffdx'
job:
  script:
    - echo \"hi\"
    - |
      two
      lines
  rules:
    - if: $X == \"1\"
      when: manual
  empty: {}
  none: []
  nothing: ~
";
    let (doc, _) = load_one(text);
    let emitted = emit::to_yaml(&doc);
    let (again, _) = load_one(&emitted);
    assert_eq!(strip_spans(doc), strip_spans(again), "emitted:\n{emitted}");
}

fn strip_spans(node: Node) -> Node {
    let span = crate::source::Span::default();
    let value = match node.value {
        Value::Seq(items) => Value::Seq(items.into_iter().map(strip_spans).collect()),
        Value::Reference(items) => Value::Reference(items.into_iter().map(strip_spans).collect()),
        Value::Map(m) => Value::Map(Map {
            entries: m
                .entries
                .into_iter()
                .map(|(k, v)| (strip_spans(k), strip_spans(v)))
                .collect(),
        }),
        other => other,
    };
    Node { value, span }
}
