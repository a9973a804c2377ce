//! One test per limit on hostile input: each shows the diagnostic (GitLab's message where GitLab
//! has one) and that the work stays bounded. Work is asserted through sizes (nodes built, jobs
//! created, budgets), never wall time. Each input here would hang or exhaust memory without its
//! limit (the comment says how big it would get).

use pipesim::config::{self, LoadOptions};
use pipesim::event::{Event, Project, Push, RefTarget};
use pipesim::yaml::{self, Limits, TOO_BIG_MESSAGE};
use pipesim::{FileId, Files, LintReport};

fn files(entries: &[(&str, String)]) -> Files {
    entries.iter().map(|(p, t)| (*p, t.clone())).collect()
}

fn lint(text: String) -> LintReport {
    pipesim::lint(&files(&[(".gitlab-ci.yml", text)]), ".gitlab-ci.yml")
}

fn load_with_limits(files: &Files, max_nodes: usize) -> config::Loaded {
    let options = LoadOptions {
        limits: Limits {
            max_nodes,
            ..Limits::default()
        },
        ..LoadOptions::default()
    };
    config::load_with(files, ".gitlab-ci.yml", &options)
}

fn errors(report: &LintReport) -> Vec<(&'static str, &str)> {
    report
        .errors
        .iter()
        .map(|e| (e.code, e.message.as_str()))
        .collect()
}

fn first_error(loaded: &config::Loaded) -> Option<(&'static str, &str)> {
    loaded
        .findings
        .iter()
        .find(|f| f.severity == pipesim::Severity::Error)
        .map(|f| (f.code, f.message.as_str()))
}

/// "Billion laughs": 9 levels of 10 aliases each would expand to 10^9 nodes.
#[test]
fn alias_expansion_bomb() {
    let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
    for level in 1..=9 {
        let aliases = vec![format!("*a{}", level - 1); 10].join(", ");
        text.push_str(&format!("a{level}: &a{level} [{aliases}]\n"));
    }
    text.push_str("job:\n  script: x\n");
    let limits = Limits::default();
    let loaded = yaml::load(&text, FileId(0), limits);
    assert!(loaded.failed);
    assert_eq!(loaded.findings.last().unwrap().message, TOO_BIG_MESSAGE);
    assert!(loaded.documents.is_empty());
    // Through lint: GitLab's message for its size limit.
    assert_eq!(
        errors(&lint(text)),
        vec![("yaml-too-big", "The parsed YAML is too big")]
    );
    // The budget is charged before a copy is made: a small budget stops just past itself.
    let small = Limits {
        max_nodes: 1_000,
        ..limits
    };
    let text =
        "a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n\
                c: [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n";
    assert!(yaml::load(text, FileId(0), small).failed);
    let ok = yaml::load(
        text,
        FileId(0),
        Limits {
            max_nodes: 1_300,
            ..limits
        },
    );
    assert!(!ok.failed);
    // 1 + 3 keys + 11 + (1 + 10 * 11) + (1 + 10 * 111).
    assert_eq!(ok.documents[0].size(), 1_237);
}

/// GitLab's `max_yaml_depth` (100): deeper nesting is "too big", and the loader does not recurse
/// (100,000 levels would overflow a recursive descent's stack).
#[test]
fn deep_nesting() {
    for (open, close) in [("[", "]"), ("{a: ", "}")] {
        let text = format!("job: {}x{}\n", open.repeat(100_000), close.repeat(100_000));
        assert_eq!(
            errors(&lint(text)),
            vec![("yaml-too-big", "The parsed YAML is too big")]
        );
    }
    // Block style, at exactly the limit and one past it.
    let nested = |depth: usize| {
        let mut text = String::new();
        for level in 0..depth {
            text.push_str(&format!("{}k{level}:\n", "  ".repeat(level)));
        }
        text.push_str(&format!("{}x\n", "  ".repeat(depth)));
        text
    };
    let limits = Limits::default();
    assert!(!yaml::load(&nested(100), FileId(0), limits).failed);
    assert!(yaml::load(&nested(101), FileId(0), limits).failed);
    // Deep parentheses in an expression stop at the token limit.
    let expr = format!("{}$A{}", "(".repeat(10_000), ")".repeat(10_000));
    assert_eq!(
        pipesim::expr::parse(&expr).unwrap_err().message,
        "Too many tokens!"
    );
}

/// A very large file: work is linear in its bytes and its nodes are budgeted. A 16 MB comment
/// is read once; list items past the node budget stop the load (shown with a budget of 100,000
/// nodes to keep the test quick; the default is 2 million).
#[test]
fn very_large_files() {
    let text = format!("# {}\njob:\n  script: x\n", "c".repeat(16 << 20));
    let loaded = config::load(&files(&[(".gitlab-ci.yml", text)]), ".gitlab-ci.yml");
    assert!(!loaded.has_errors());
    assert_eq!(loaded.normalized.unwrap().jobs.len(), 1);

    let mut text = String::from("job:\n  script: x\n  variables: {}\n.items:\n");
    text.push_str(&"  - x\n".repeat(150_000));
    let loaded = load_with_limits(&files_of(&text), 100_000);
    assert_eq!(
        first_error(&loaded),
        Some(("yaml-too-big", "The parsed YAML is too big"))
    );
    assert!(loaded.merged.is_none());
}

/// The node budget is shared by the root file and all its includes: 100 includes that each stay
/// under the budget (a 1.5 million node alias expansion apiece, 150 million in all, against the
/// default budget of 2 million) stop once their sum passes it.
#[test]
fn include_budget_is_shared() {
    let mut entries = Vec::new();
    let mut root = String::from("include:\n");
    for i in 0..100 {
        root.push_str(&format!("  - local: f{i}.yml\n"));
        let a = vec!["x"; 100].join(", ");
        let b = vec!["*a"; 100].join(", ");
        let c = vec!["*b"; 150].join(", ");
        entries.push((
            format!("f{i}.yml"),
            format!(".a{i}: &a [{a}]\n.b{i}: &b [{b}]\n.c{i}: [{c}]\n"),
        ));
    }
    root.push_str("job:\n  script: x\n");
    let mut all = vec![(".gitlab-ci.yml".to_string(), root)];
    all.extend(entries);
    let files: Files = all.iter().map(|(p, t)| (p.as_str(), t.clone())).collect();
    let loaded = config::load(&files, ".gitlab-ci.yml");
    assert_eq!(
        first_error(&loaded),
        Some(("yaml-too-big", "`f1.yml`: The parsed YAML is too big"))
    );
    // With a budget of 4 million, the first two fit and the third stops.
    let loaded = load_with_limits(&files, 4_000_000);
    assert_eq!(
        first_error(&loaded),
        Some(("yaml-too-big", "`f2.yml`: The parsed YAML is too big"))
    );
    // Includes themselves are counted, nested and repeated ones too (GitLab's limit).
    let mut entries = vec![(
        ".gitlab-ci.yml".to_string(),
        "include: a.yml\njob:\n  script: x\n".to_string(),
    )];
    entries.push(("a.yml".into(), "include: [b.yml, b.yml]\n".into()));
    entries.push(("b.yml".into(), "include: [a.yml]\n".into()));
    let files: Files = entries
        .iter()
        .map(|(p, t)| (p.as_str(), t.clone()))
        .collect();
    let loaded = config::load(&files, ".gitlab-ci.yml");
    assert_eq!(
        first_error(&loaded),
        Some((
            "include-too-many",
            "Maximum of 150 nested includes are allowed!"
        ))
    );
}

/// `!reference` copies its target, so lists of tags that reference lists of tags multiply:
/// 9 levels of 10 would be 10^10 nodes. The copies are budgeted like alias expansion.
#[test]
fn reference_expansion_bomb() {
    let mut text = String::from(".l0: [a, b, c, d, e, f, g, h, i, j]\n");
    for level in 1..=9 {
        let tags = vec![format!("!reference [.l{}]", level - 1); 10].join(", ");
        text.push_str(&format!(".l{level}: [{tags}]\n"));
    }
    text.push_str("job:\n  script: !reference [.l9]\n");
    let loaded = load_with_limits(&files_of(&text), 50_000);
    assert_eq!(
        first_error(&loaded),
        Some(("reference-too-big", "The parsed YAML is too big"))
    );
    assert!(loaded.merged.is_none());
    // Within the budget the same shape resolves, and its size is what the tags produce.
    let text = ".l0: [a, b]\n.l1: [!reference [.l0], !reference [.l0]]\njob:\n  script: !reference [.l1]\n";
    let loaded = load_with_limits(&files_of(text), 50_000);
    assert!(!loaded.has_errors(), "{:?}", loaded.findings);
    let script = loaded
        .merged
        .as_ref()
        .unwrap()
        .get("job")
        .unwrap()
        .get("script");
    assert_eq!(script.unwrap().size(), 1 + 2 * 3);
}

fn files_of(text: &str) -> Files {
    files(&[(".gitlab-ci.yml", text.to_string())])
}

/// `extends` gives every job a merged copy of its bases: a hidden job of 20,000 variables
/// extended by 1,000 jobs would be 40 million nodes. The growth is budgeted.
#[test]
fn extends_expansion_budget() {
    let mut text = String::from(".base:\n  variables:\n");
    for i in 0..20_000 {
        text.push_str(&format!("    V{i}: x\n"));
    }
    for j in 0..1_000 {
        text.push_str(&format!("job{j}:\n  extends: .base\n  script: x\n"));
    }
    let report = lint(text);
    assert_eq!(
        errors(&report),
        vec![("extends-too-big", "The parsed YAML is too big")]
    );
    // A small budget shows the growth is counted per job as it is merged.
    let text = ".base:\n  variables: {A: 1, B: 2, C: 3}\na:\n  extends: .base\n  script: x\n\
                b:\n  extends: .base\n  script: x\n";
    let loaded = load_with_limits(&files_of(text), 40);
    assert!(!loaded.has_errors(), "{:?}", loaded.findings);
    assert!(loaded.merged.as_ref().unwrap().size() <= 40);
    let loaded = load_with_limits(&files_of(text), 30);
    assert_eq!(
        first_error(&loaded),
        Some(("extends-too-big", "The parsed YAML is too big"))
    );
}

/// Cycles stop with GitLab's messages: include (counted), extends, !reference, needs.
#[test]
fn cycles() {
    let report = lint("a:\n  extends: b\n  script: x\nb:\n  extends: a\n  script: x\n".into());
    assert_eq!(
        errors(&report),
        vec![(
            "extends-circular",
            "a: circular dependency detected in `extends`"
        )]
    );
    let report =
        lint("a:\n  script: !reference [b, script]\nb:\n  script: !reference [a, script]\n".into());
    assert_eq!(
        errors(&report),
        vec![(
            "reference-circular",
            "!reference [\"b\", \"script\"] is part of a circular chain"
        )]
    );
    let report = lint(
        "a:\n  script: x\n  needs: [c]\nb:\n  script: x\n  needs: [a]\nc:\n  script: x\n  needs: [b]\n"
            .into(),
    );
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0]
        .message
        .starts_with("The pipeline has circular dependencies: topological sort failed"));
    // Extends chains deeper than GitLab's 10 levels stop there.
    // (The job comes first: bases already extended on their own are not walked again.)
    let mut text = String::from("job:\n  extends: .l30\n.l0:\n  script: x\n");
    for level in 1..=30 {
        text.push_str(&format!(".l{level}:\n  extends: .l{}\n", level - 1));
    }
    let report = lint(text);
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0]
        .message
        .ends_with("nesting too deep in `extends`"));
}

/// 20,000 jobs in a `needs` chain are loaded and checked (the cycle check does not recurse per
/// job: a recursive DFS would overflow the stack here); 1,000 are simulated, every job created.
#[test]
fn huge_job_counts() {
    let chain = |jobs: usize| {
        let mut text = String::from("j0:\n  script: x\n");
        for i in 1..jobs {
            text.push_str(&format!("j{i}:\n  script: x\n  needs: [j{}]\n", i - 1));
        }
        files_of(&text)
    };
    let jobs = 20_000;
    let loaded = config::load(&chain(jobs), ".gitlab-ci.yml");
    assert!(!loaded.has_errors(), "{:?}", loaded.findings.first());
    assert_eq!(loaded.normalized.as_ref().unwrap().jobs.len(), jobs);
    let jobs = 1_000;
    let files = chain(jobs);
    let event = Event::Push(Push {
        target: RefTarget::Branch("main".into()),
        ..Push::default()
    });
    let simulation =
        pipesim::simulate::simulate_event(&Project::new("group/app"), &files, &event, false);
    let created = simulation.pipelines[0].jobs.iter().filter(|j| j.created);
    assert_eq!(created.count(), jobs);
}

/// GitLab's `parallel:matrix` limit (200 jobs per job). The size is computed without building
/// the product: 64 keys of 2 values is 2^64 jobs (which must not wrap around to 0).
#[test]
fn huge_matrix() {
    let keys: Vec<String> = (0..64).map(|i| format!("K{i}: [a, b]")).collect();
    let text = format!(
        "job:\n  script: x\n  parallel:\n    matrix:\n      - {{{}}}\n",
        keys.join(", ")
    );
    assert_eq!(
        errors(&lint(text)),
        vec![(
            "parallel-matrix-too-big",
            "jobs:job:parallel:matrix config generates too many jobs (maximum is 200)"
        )]
    );
    let text = "job:\n  script: x\n  parallel:\n    matrix:\n      - {A: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], B: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]}\n      - {C: [1]}\n";
    let report = lint(text.into());
    assert_eq!(report.errors.len(), 1);
    assert_eq!(
        report.errors[0].message,
        "jobs:job:parallel:matrix config generates too many jobs (maximum is 200)"
    );
    let ok = "job:\n  script: x\n  parallel:\n    matrix:\n      - {A: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], B: [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20]}\n";
    let loaded = config::load(&files_of(ok), ".gitlab-ci.yml");
    assert_eq!(loaded.normalized.unwrap().jobs.len(), 200);
}

/// Regexes in `rules:if`: matching is linear (RE2 semantics, no backtracking); RE2's limits on
/// counted repetition (1000, nested counts multiplied) and program size reject the rest as
/// GitLab's invalid expression; the token limit (100) bounds every expression.
#[test]
fn pathological_regexes() {
    let invalid = |pattern: &str| {
        let text = format!("job:\n  script: x\n  rules:\n    - if: $X =~ /{pattern}/\n");
        let report = lint(text);
        assert_eq!(report.errors.len(), 1, "{pattern}: {:?}", report.errors);
        assert_eq!(
            report.errors[0].message, "jobs:job:rules:rule if invalid expression syntax",
            "{pattern}"
        );
    };
    invalid("a{1001}");
    invalid("(a{100}){100}");
    invalid("((a{10}){10}){11}");
    // Over RE2's default 8 MB program size.
    invalid(&"[a-z]{1000}".repeat(1000));
    // Too many tokens: 51 comparisons are 101 tokens.
    let long = vec!["$A == 'x'"; 34].join(" && ");
    let text = format!("job:\n  script: x\n  rules:\n    - if: {long}\n");
    assert_eq!(
        errors(&lint(text)),
        vec![(
            "rules-if-invalid",
            "jobs:job:rules:rule if invalid expression syntax"
        )]
    );
    assert_eq!(
        pipesim::expr::parse(&long).unwrap_err().message,
        "Too many tokens!"
    );
    // Classic catastrophic-backtracking patterns are valid and match in linear time.
    let expr = pipesim::expr::parse("$X =~ /^(a+)+$/").unwrap();
    let text = format!("{}b", "a".repeat(100_000));
    assert!(!expr.truthful(&[("X", text.as_str())]));
    let expr = pipesim::expr::parse("$X =~ /(x+x+)+y/").unwrap();
    let text = "x".repeat(100_000);
    assert!(!expr.truthful(&[("X", text.as_str())]));
    // A 200,000-character literal pattern is fine (RE2 would compile it too).
    let pattern = format!("/{}/", "a".repeat(200_000));
    assert!(pipesim::expr::from_ruby_syntax(&pattern).is_some());
}

/// Issue 13 item 2: `(a|aa){1000}b` against a 100 KB variable took 4.7 s per evaluation with
/// regex-lite's backtracking-free but DFA-less matcher; the regex crate's lazy DFA keeps it
/// linear. RE2 (tests/fixtures/regex/re2-cases.jsonl) says it does not match. Also RE2's
/// answers on patterns the old translation got wrong.
#[test]
fn regex_alternation_repeated_on_a_long_value() {
    let expr = pipesim::expr::parse("$X =~ /(a|aa){1000}b/").unwrap();
    let text = "a".repeat(100_000);
    assert!(!expr.truthful(&[("X", text.as_str())]));
    let text = format!("{}b", "a".repeat(1_000));
    assert!(expr.truthful(&[("X", text.as_str())]));
    // The same pattern held in a variable, compiled once for 20 evaluations (20 jobs).
    let expr = pipesim::expr::parse("$X =~ $P").unwrap();
    let long = "a".repeat(100_000);
    for _ in 0..20 {
        assert!(!expr.truthful(&[("X", long.as_str()), ("P", "/(a|aa){1000}b/")]));
    }
    // Case-insensitive ranges, Unicode classes, scoped (?i), folded \x{..}.
    let cases = [
        (
            "$X =~ /^(feature|fix)\\/[a-z0-9.-]+$/i",
            "Feature/ABC-1.2",
            true,
        ),
        ("$X =~ /[a-z]+/i", "ABC", true),
        ("$X =~ /\\p{L}/", "é", true),
        ("$X =~ /a(?i)b/", "Ab", false),
        ("$X =~ /a(?i)b/", "aB", true),
        ("$X =~ /\\x{e9}/i", "É", true),
    ];
    for (source, value, expected) in cases {
        let expr = pipesim::expr::parse(source).unwrap_or_else(|e| panic!("{source}: {e:?}"));
        assert_eq!(
            expr.truthful(&[("X", value)]),
            expected,
            "{source} on {value}"
        );
    }
}

/// A nesting deeper than the regex crate's compiler can recurse is rejected (RE2 accepts it:
/// a documented difference), never a stack overflow; 100 levels still compile, on a thread
/// with the browser's 1 MiB stack.
#[test]
fn regex_deep_nesting() {
    let handle = std::thread::Builder::new()
        .stack_size(1 << 20)
        .spawn(|| {
            let deep = |n: usize| format!("{}a{}", "(".repeat(n), ")".repeat(n));
            assert!(pipesim::expr::Regex::new(&deep(100_000)).is_none());
            assert!(pipesim::expr::Regex::new(&deep(300)).is_none());
            assert!(pipesim::expr::Regex::new(&deep(100)).is_some_and(|r| r.is_match("a")));
        })
        .unwrap();
    handle.join().unwrap();
}
