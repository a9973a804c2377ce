//! Property tests: random inputs, a law that must hold for every one of them. A small seeded
//! generator (no extra crates) keeps runs reproducible; a failure prints the input.
//!
//! - YAML written by pipesim (`pipesim expand`, the YAML of proposed fixes) reads back as the
//!   same values under Psych's rules (`yes`, `010`, `1e3`, `:sym`, `~` stay strings when they
//!   were strings).
//! - Expression printing and re-parsing are covered in `src/expr/tests.rs` (`robustness`).

use pipesim::source::{FileId, Span};
use pipesim::yaml::emit::to_yaml;
use pipesim::yaml::{load, Limits, Map, Node, Value};

struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        ((self.0 >> 33) as usize) % n.max(1)
    }
}

/// Strings that YAML would read as something else, or that need quoting or escaping.
const TRICKY: &[&str] = &[
    "",
    " ",
    "yes",
    "No",
    "on",
    "OFF",
    "y",
    "true",
    "null",
    "~",
    "Null",
    "010",
    "0o17",
    "0x1F",
    "0b101",
    "1_000",
    "1e3",
    "-1.5",
    ".5",
    ".inf",
    "-.Inf",
    ".NaN",
    "12:30",
    "2024-01-01",
    ":sym",
    ": x",
    "- x",
    "-",
    "a: b",
    "a #b",
    "#c",
    "&anchor",
    "*alias",
    "!tag",
    "%dir",
    "@at",
    "`tick",
    "'single'",
    "\"double\"",
    "back\\slash",
    "tab\there",
    "line\nbreak",
    "trailing\n",
    " lead",
    "trail ",
    "{a: 1}",
    "[1, 2]",
    "|",
    ">",
    "?",
    "ünï",
    "日本",
    "emoji 🚀",
    "$VAR",
    "${VAR}",
    "<<",
    "=",
    "---",
    "...",
    "a\u{7f}b",
    "\u{0}",
    "\r",
    "crlf\r\nline",
    "bom\u{FEFF}inside",
    "line\u{2028}separator",
    "next\u{85}line",
];

fn span() -> Span {
    Span::default()
}

fn random_string(rng: &mut Rng) -> String {
    match rng.below(3) {
        0 => TRICKY[rng.below(TRICKY.len())].to_owned(),
        1 => {
            let len = rng.below(8);
            let alphabet: Vec<char> = "ab_-. :#'\"\\\n\t{}[],&*!|>%@`?é".chars().collect();
            (0..len)
                .map(|_| alphabet[rng.below(alphabet.len())])
                .collect()
        }
        _ => format!("{}{}", TRICKY[rng.below(TRICKY.len())], rng.below(100)),
    }
}

fn random_scalar(rng: &mut Rng) -> Value {
    match rng.below(8) {
        0 => Value::Null,
        1 => Value::Bool(rng.below(2) == 0),
        2 => Value::Int(rng.below(2_000_001) as i64 - 1_000_000),
        3 => Value::Int([i64::MIN, i64::MAX, 0, -1, 8, 10][rng.below(6)]),
        4 => Value::Float(
            [
                0.5, -2.25, 1e20, 1e-7, 3.0, 1.0e16, 123456.789, -0.0, 1e300, 0.1,
            ][rng.below(10)],
        ),
        _ => Value::Str(random_string(rng)),
    }
}

fn random_value(rng: &mut Rng, depth: usize) -> Value {
    if depth == 0 || rng.below(3) == 0 {
        return random_scalar(rng);
    }
    let len = rng.below(4);
    if rng.below(2) == 0 {
        Value::Seq(
            (0..len)
                .map(|_| Node::new(random_value(rng, depth - 1), span()))
                .collect(),
        )
    } else {
        let mut map = Map::default();
        for _ in 0..len {
            let key = random_string(rng);
            // A `<<` key (even quoted) is a merge key to Psych: a loaded tree never holds one
            // whose value is a mapping.
            if key == "<<"
                || map
                    .entries
                    .iter()
                    .any(|(k, _)| k.as_str() == Some(key.as_str()))
            {
                continue;
            }
            map.entries.push((
                Node::new(Value::Str(key), span()),
                Node::new(random_value(rng, depth - 1), span()),
            ));
        }
        Value::Map(map)
    }
}

/// Where two values differ, spans aside (`None` when equal; `-0.0` equals `0.0`).
fn difference(a: &Value, b: &Value, path: &str) -> Option<String> {
    let differ = || {
        let brief = |v: &Value| match v {
            Value::Map(m) => format!("a mapping of {}", m.entries.len()),
            Value::Seq(s) => format!("a sequence of {}", s.len()),
            other => format!("{other:?}"),
        };
        Some(format!("at {path}: {} became {}", brief(a), brief(b)))
    };
    match (a, b) {
        (Value::Float(x), Value::Float(y)) => (x != y && !(x.is_nan() && y.is_nan()))
            .then(differ)
            .flatten(),
        (Value::Seq(x), Value::Seq(y)) if x.len() == y.len() => x
            .iter()
            .zip(y)
            .enumerate()
            .find_map(|(i, (p, q))| difference(&p.value, &q.value, &format!("{path}[{i}]"))),
        (Value::Map(x), Value::Map(y)) if x.entries.len() == y.entries.len() => x
            .entries
            .iter()
            .zip(&y.entries)
            .find_map(|((kp, vp), (kq, vq))| {
                difference(&kp.value, &kq.value, &format!("{path} key")).or_else(|| {
                    difference(
                        &vp.value,
                        &vq.value,
                        &format!("{path}.{:?}", kp.as_str().unwrap_or("?")),
                    )
                })
            }),
        (Value::Seq(_), _) | (Value::Map(_), _) => differ(),
        _ => (a != b).then(differ).flatten(),
    }
}

#[test]
fn emitted_yaml_reads_back_as_the_same_values() {
    let mut rng = Rng(0x9e37_79b9);
    for round in 0..5000 {
        // A configuration is a mapping at the top.
        let mut root = Map::default();
        let value = random_value(&mut rng, 4);
        root.entries.push((
            Node::new(Value::Str(format!("job-{round}")), span()),
            Node::new(value, span()),
        ));
        let root = Value::Map(root);
        let text = to_yaml(&Node::new(root.clone(), span()));
        let loaded = load(&text, FileId(0), Limits::default());
        assert!(
            !loaded.failed && loaded.documents.len() == 1,
            "round {round}: the emitted YAML does not load: {:?}\n{text}",
            loaded
                .findings
                .iter()
                .map(|f| &f.message)
                .collect::<Vec<_>>()
        );
        if let Some(difference) = difference(&root, &loaded.documents[0].value, "") {
            panic!("round {round}: read back differently {difference}\n--- emitted\n{text}");
        }
    }
}
