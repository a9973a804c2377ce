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
    // GitLab refuses raw text over `max_yaml_size_bytes` (2 MiB) before parsing
    // (spec/lib/gitlab/config/loader/yaml_spec.rb "when raw yaml content is too large").
    let text = format!("# {}\njob:\n  script: x\n", "c".repeat(16 << 20));
    let loaded = config::load(&files(&[(".gitlab-ci.yml", text)]), ".gitlab-ci.yml");
    assert_eq!(
        first_error(&loaded),
        Some(("yaml-too-large", "The provided YAML is too big"))
    );
    // "when raw yaml content is just under the size limit": read (one comment, one job).
    let text = format!("# {}\njob:\n  script: x\n", "c".repeat((2 << 20) - 40));
    let loaded = config::load(&files(&[(".gitlab-ci.yml", text)]), ".gitlab-ci.yml");
    assert!(!loaded.has_errors(), "{:?}", loaded.findings.first());
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

// ---- Issue 13: everything a configuration can multiply ----

fn simulate_push(files: &Files) -> pipesim::simulate::Simulation {
    let event = Event::Push(Push {
        target: RefTarget::Branch("main".into()),
        ..Push::default()
    });
    pipesim::simulate::simulate_event(&Project::new("group/app"), files, &event, false)
}

/// `.x0` of `width` scalars and `.x1` of `width` aliases to it: `*x1` is `width^2 + width + 1`
/// nodes.
fn alias_lists(width: usize) -> String {
    let items = vec!["x"; width].join(", ");
    let aliases = vec!["*x0"; width].join(", ");
    format!(".x0: &x0 [{items}]\n.x1: &x1 [{aliases}]\n")
}

/// `default:` is copied into every job: 100 aliases of 10,101 nodes (about a million nodes)
/// into 1,000 jobs would be a billion nodes. The copies are counted before they are made.
#[test]
fn default_copied_into_every_job() {
    let mut text = alias_lists(100);
    text.push_str(&format!(
        "default:\n  before_script: [{}]\n",
        vec!["*x1"; 100].join(", ")
    ));
    for i in 0..1_000 {
        text.push_str(&format!("j{i}:\n  script: x\n"));
    }
    let report = lint(text.clone());
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.errors[0].code, "default-too-big");
    assert!(report.errors[0]
        .message
        .starts_with("too big to simulate: `default:` copied into "));
    // Pointed at `default:`.
    assert_eq!(report.errors[0].line, 3);
    // Simulating refuses the same way, with no job created.
    let simulation = simulate_push(&files_of(&text));
    assert!(!simulation.pipelines[0].created);
    assert!(simulation.pipelines[0]
        .errors
        .iter()
        .any(|e| e.message.starts_with("too big to simulate: `default:`")));
    // Jobs that do not inherit the default (`inherit: default: false`) are not charged.
    let mut text = alias_lists(100);
    text.push_str(&format!(
        "default:\n  before_script: [{}]\n",
        vec!["*x1"; 100].join(", ")
    ));
    for i in 0..1_000 {
        text.push_str(&format!(
            "j{i}:\n  script: x\n  inherit:\n    default: false\n"
        ));
    }
    assert!(lint(text).valid);
    // Within the budget: a small budget shows the per-job count.
    let text = "default:\n  before_script: [a, b, c]\na:\n  script: x\nb:\n  script: x\n";
    let loaded = load_with_limits(&files_of(text), 40);
    assert!(!loaded.has_errors(), "{:?}", loaded.findings);
    let loaded = load_with_limits(&files_of(text), 25);
    assert_eq!(first_error(&loaded).map(|e| e.0), Some("default-too-big"));
}

/// `parallel: 200` of a job of half a million nodes would simulate 100 million nodes.
#[test]
fn parallel_and_matrix_instances() {
    let mut text = alias_lists(100);
    text.push_str(&format!(
        "job:\n  script: [{}]\n  parallel: 200\n",
        vec!["*x1"; 50].join(", ")
    ));
    let report = lint(text.clone());
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.errors[0].code, "parallel-too-big");
    assert!(report.errors[0]
        .message
        .starts_with("too big to simulate: job: 200 parallel instances of a job of "));
    let simulation = simulate_push(&files_of(&text));
    assert!(!simulation.pipelines[0].created);
    // The same job in a 200-job matrix.
    let mut text = alias_lists(100);
    text.push_str(&format!(
        "job:\n  script: [{}]\n  parallel:\n    matrix:\n      - {{A: [{}], B: [{}]}}\n",
        vec!["*x1"; 50].join(", "),
        (0..20)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        (0..10)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    ));
    let report = lint(text);
    assert_eq!(report.errors.len(), 1, "{:?}", report.errors);
    assert_eq!(report.errors[0].code, "parallel-too-big");
    // A small job in 200 instances is fine.
    let text = "job:\n  script: [a, b]\n  parallel: 200\n";
    let loaded = config::load(&files_of(text), ".gitlab-ci.yml");
    assert!(!loaded.has_errors());
    assert_eq!(loaded.normalized.unwrap().jobs.len(), 200);
}

fn inputs_file(spec: &str, body: &str) -> Files {
    files_of(&format!("spec:\n  inputs:\n{spec}---\n{body}"))
}

/// GitLab's interpolation limits (lib/gitlab/ci/config/interpolation/config.rb `MAX_NODES`
/// 500,000 and `MAX_NODE_SIZE` 1 MB; template.rb `MAX_BLOCKS` 10,000; block.rb
/// `MAX_FUNCTIONS` 3), and pipesim's budget on what interpolation builds.
#[test]
fn inputs_interpolation_limits() {
    // 'config node too large': a string over 1 MB.
    let files = inputs_file(
        "    s:\n      default: x\n",
        &format!("job:\n  script: \"{}\"\n", "a".repeat((1 << 20) + 1)),
    );
    let loaded = config::load(&files, ".gitlab-ci.yml");
    assert_eq!(
        first_error(&loaded),
        Some(("inputs-interpolation", "config node too large"))
    );
    // 'config too large': more than 500,000 nodes visited (an alias-expanded list).
    let mut body = alias_lists(1_000);
    body.push_str("job:\n  script: $[[ inputs.s ]]\n");
    let loaded = config::load(
        &inputs_file("    s:\n      default: x\n", &body),
        ".gitlab-ci.yml",
    );
    assert_eq!(
        first_error(&loaded),
        Some(("inputs-interpolation", "config too large"))
    );
    // 'too many interpolation blocks': 10,001 distinct blocks (a repeated block counts once).
    let blocks: String = (0..10_001)
        .map(|i| format!("$[[ inputs.s ]]{i} "))
        .collect();
    let distinct: Vec<String> = (0..10_001)
        .map(|i| format!("$[[ inputs.s | truncate(0,{i}) ]]"))
        .collect();
    let loaded = config::load(
        &inputs_file(
            "    s:\n      default: x\n",
            &format!("job:\n  script: \"{blocks}\"\n"),
        ),
        ".gitlab-ci.yml",
    );
    assert!(!loaded.has_errors(), "{:?}", loaded.findings.first());
    let loaded = config::load(
        &inputs_file(
            "    s:\n      default: x\n",
            &format!("job:\n  script: \"{}\"\n", distinct.join(" ")),
        ),
        ".gitlab-ci.yml",
    );
    assert_eq!(
        first_error(&loaded),
        Some(("inputs-interpolation", "too many interpolation blocks"))
    );
    // 'too many functions in interpolation block': four functions.
    let loaded = config::load(
        &inputs_file(
            "    s:\n      default: x\n",
            "job:\n  script: $[[ inputs.s | posix_escape | posix_escape | posix_escape | posix_escape ]]\n",
        ),
        ".gitlab-ci.yml",
    );
    assert_eq!(
        first_error(&loaded),
        Some((
            "inputs-interpolation",
            "too many functions in interpolation block"
        ))
    );
    // pipesim's budget: a 100 KB input written into 3,000 jobs is 300 MB of text.
    let mut body = String::new();
    for i in 0..3_000 {
        body.push_str(&format!("j{i}:\n  script: echo $[[ inputs.s ]]\n"));
    }
    let spec = format!("    s:\n      default: {}\n", "y".repeat(100_000));
    let loaded = config::load(&inputs_file(&spec, &body), ".gitlab-ci.yml");
    let error = first_error(&loaded).unwrap();
    assert_eq!(error.0, "inputs-interpolation");
    assert!(error
        .1
        .starts_with("too big to simulate: interpolating inputs builds more than"));
    // And a 10,000-item array used whole in 3,000 jobs is 30 million nodes.
    let items: Vec<String> = (0..10_000).map(|i| format!("echo {i}")).collect();
    let spec = format!(
        "    a:\n      type: array\n      default: [{}]\n",
        items.join(", ")
    );
    let body: String = (0..3_000)
        .map(|i| format!("j{i}:\n  script: $[[ inputs.a ]]\n"))
        .collect();
    let loaded = config::load(&inputs_file(&spec, &body), ".gitlab-ci.yml");
    assert!(first_error(&loaded)
        .unwrap()
        .1
        .starts_with("too big to simulate: interpolating inputs"));
}

/// An array input inside a string is written with Ruby's `to_s` (Array#inspect, Ruby 3.3:
/// lib/gitlab/ci/config/interpolation/template.rb `interpolate_string_node!` uses
/// `block.value.to_s`), not left empty.
#[test]
fn array_input_inside_a_string() {
    let files = inputs_file(
        "    list:\n      type: array\n      default: [a, 1, {k: v}, null, \"q\\\"\"]\n",
        "job:\n  script: echo $[[ inputs.list ]]\n",
    );
    let loaded = config::load(&files, ".gitlab-ci.yml");
    assert!(!loaded.has_errors(), "{:?}", loaded.findings);
    let merged = loaded.merged.unwrap();
    let script = merged.get("job").unwrap().get("script").unwrap();
    assert_eq!(
        script.as_str(),
        Some(r#"echo ["a", 1, {:k=>"v"}, nil, "q\""]"#)
    );
}

/// Child pipelines that include the parent's own configuration: depth is GitLab's 2
/// (`MAX_NESTED_CHILDREN`), and the whole tree at most `pipeline_hierarchy_size` (1000)
/// pipelines, after which trigger jobs get "The downstream pipeline tree is too large"
/// (app/services/ci/create_downstream_pipeline_service.rb). 38 children would otherwise be
/// 1,483 pipelines, 200 children 40,201.
#[test]
fn child_pipeline_fan_out() {
    let tree = |children: usize| {
        let mut text = String::new();
        for i in 0..children {
            text.push_str(&format!("t{i}:\n  trigger:\n    include: .gitlab-ci.yml\n"));
        }
        text.push_str("build:\n  script: x\n");
        simulate_push(&files_of(&text))
    };
    // 5 children: 1 + 5 + 25 pipelines, then the depth limit.
    let simulation = tree(5);
    assert_eq!(simulation.pipelines.len(), 31);
    assert!(simulation
        .diagnostics
        .iter()
        .any(|d| d.message == "You reached the maximum depth of child pipelines"));
    // 38 children: the tree stops at 1000 pipelines.
    let simulation = tree(38);
    assert_eq!(simulation.pipelines.len(), 1000);
    let refused = simulation
        .diagnostics
        .iter()
        .filter(|d| d.message == "The downstream pipeline tree is too large")
        .count();
    // 38 + 38 * 38 asked for, 999 created.
    assert_eq!(refused, 38 + 38 * 38 - 999);
    // GitLab drops each refused trigger job (reached_max_pipeline_hierarchy_size): an error
    // on the job, whose outcome is `failed`, never a warning beside a success.
    let refusals: Vec<_> = simulation
        .diagnostics
        .iter()
        .filter(|d| d.message == "The downstream pipeline tree is too large")
        .collect();
    assert!(refusals
        .iter()
        .all(|d| d.code == "reached_max_pipeline_hierarchy_size"
            && d.severity == pipesim::Severity::Error));
    for refusal in &refusals {
        let pipeline = simulation
            .pipelines
            .iter()
            .find(|p| Some(p.id) == refusal.pipeline)
            .expect("the refusal names its pipeline");
        let job = pipeline
            .jobs
            .iter()
            .find(|j| Some(&j.name) == refusal.job.as_ref())
            .expect("the refusal names its trigger job");
        assert_eq!(job.outcome.as_deref(), Some("failed"), "{}", job.name);
    }
    // Level by level: every child of the parent exists.
    let children = simulation
        .pipelines
        .iter()
        .filter(|p| p.parent == Some(simulation.pipelines[0].id))
        .count();
    assert_eq!(children, 38);
    // 200 children of 201 jobs each: pipesim's own bound of 40,000 jobs per tree stops it
    // first (1 + 198 pipelines of 201 jobs), with its own message.
    let simulation = tree(200);
    assert_eq!(simulation.pipelines.len(), 199);
    assert!(simulation
        .diagnostics
        .iter()
        .any(|d| d.message
            == "too big to simulate: this pipeline tree would have more than 40000 jobs"));
}

/// Found by the `multiply` fuzz target (input `CCeeCe`): 39 trigger jobs whose children
/// include the parent, beside a 27-job matrix whose script is a 6,561-item alias list. Each
/// pipeline has only 67 jobs, so the (then) 50,000-job bound let about 750 pipelines through, each
/// with 177,000 script lines: 209 s for a 2 KB file. The tree's configuration nodes are now
/// budgeted too (`MAX_TREE_NODES`), so the tree stops after a dozen pipelines with its own
/// message.
#[test]
fn child_pipelines_of_large_jobs() {
    let mut text = String::from(
        ".a0: &a0 [x, x, x, x, x, x, x, x, x]
",
    );
    for level in 1..4 {
        let aliases = vec![format!("*a{}", level - 1); 9].join(", ");
        text.push_str(&format!(
            ".a{level}: &a{level} [{aliases}]
"
        ));
    }
    for group in 0..3 {
        for n in 0..13 {
            text.push_str(&format!(
                "t{group}x{n}:
  trigger:
    include: .gitlab-ci.yml
"
            ));
        }
    }
    text.push_str(
        "m:
  script: [*a3]
  parallel:
    matrix:
      - {A: [0, 1, 2, 3, 4, 5, 6, 7, 8], B: [0, 1, 2]}
",
    );
    text.push_str(
        "build:
  script: x
",
    );
    assert!(text.len() < 2_100);
    let simulation = simulate_push(&files_of(&text));
    assert!(
        simulation.pipelines.len() <= 20,
        "{} pipelines",
        simulation.pipelines.len()
    );
    assert!(simulation.diagnostics.iter().any(|d| d.message
        == "too big to simulate: the pipelines of this tree would hold more than 2000000 configuration nodes"));
}

/// Found by the `multiply` fuzz target (input `Ck`e`\0`): 13 trigger jobs whose children
/// include the parent, in a configuration of about 30,000 nodes (anchors, and a 6,561-line
/// `default: before_script` written three times) whose jobs are small. Counting only the jobs'
/// nodes let the whole depth-limited tree of 183 pipelines through, each loading the whole
/// configuration twice: 2.6 s natively. The tree's budget now counts each pipeline's whole
/// configuration, twice (about 50 pipelines).
#[test]
fn child_pipelines_of_a_large_configuration() {
    let mut text = String::from(".a0: &a0 [x, x, x, x, x, x, x, x, x]\n");
    for level in 1..4 {
        let aliases = vec![format!("*a{}", level - 1); 9].join(", ");
        text.push_str(&format!(".a{level}: &a{level} [{aliases}]\n"));
    }
    text.push_str("default:\n  before_script: [*a3]\n");
    for n in 0..13 {
        text.push_str(&format!("t{n}:\n  trigger:\n    include: .gitlab-ci.yml\n"));
    }
    text.push_str(&"default:\n  before_script: [*a3]\n".repeat(2));
    text.push_str("build:\n  script: x\n");
    let simulation = simulate_push(&files_of(&text));
    assert!(
        simulation.pipelines.len() <= 60,
        "{} pipelines",
        simulation.pipelines.len()
    );
    assert!(simulation.diagnostics.iter().any(|d| d.message
        == "too big to simulate: the pipelines of this tree would hold more than 2000000 configuration nodes"));
}

// ---- Issue 13: smaller defects ----

/// A `wait` past the end of the clock (2^48 days is more seconds than 64 bits hold) stops the
/// clock at its end instead of wrapping it to the start: artifacts made before it are expired
/// after it, and later events are not earlier.
#[test]
fn wait_does_not_wrap_the_clock() {
    let text = "project: {path: group/app, default_branch: main}\n\
files:\n  .gitlab-ci.yml: |\n    build:\n      script: make\n      artifacts: {paths: [out/], expire_in: 1 day}\n\
events:\n  - push: {branch: main}\n  - wait: 281474976710656 days\n  - wait: 140737488355328 days\n  - push: {branch: main}\n";
    let mut files = Files::new();
    let id = files.insert("scenario.yml", text);
    let simulation = pipesim::simulate::run_scenario(&files, id);
    assert_eq!(simulation.pipelines.len(), 2);
    let created = |p: &pipesim::pipeline::PipelineReport| {
        p.variables
            .iter()
            .find(|v| v.0 == "CI_PIPELINE_CREATED_AT")
            .map(|v| v.1.clone())
            .unwrap()
    };
    let (first, second) = (
        created(&simulation.pipelines[0]),
        created(&simulation.pipelines[1]),
    );
    assert!(first.starts_with("2025-01-01T00:01"), "{first}");
    // A year far past 2025, not 2025 again.
    assert!(!second.starts_with("2025-"), "{second}");
}

/// `!ruby/...` tags that name a class: Psych's safe_load raises `Psych::DisallowedClass`
/// ("Tried to load unspecified class: NAME", psych/class_loader.rb `Restricted#find`); which
/// tag loads which class is `Psych::Visitors::ToRuby`'s.
#[test]
fn ruby_object_tags() {
    let refused = [
        ("job: !ruby/object:Foo {script: x}\n", "Foo"),
        ("job: !ruby/object {script: x}\n", "Object"),
        ("job:\n  script: x\n  only: [!ruby/regexp /x/]\n", "Regexp"),
        ("job:\n  script: !ruby/range 1..2\n", "Range"),
        ("job: !ruby/struct:Point {script: x}\n", "Point"),
        ("job: !ruby/struct {script: x}\n", "Struct"),
        ("job: !ruby/hash:Foo {script: x}\n", "Foo"),
        ("job:\n  script: !ruby/array:Foo [x]\n", "Foo"),
        ("job:\n  script: !ruby/class Kernel\n", "Kernel"),
        (
            "job:\n  script: !ruby/object:BigDecimal 1.0\n",
            "BigDecimal",
        ),
        ("job: !ruby/exception {message: x}\n", "Exception"),
    ];
    for (text, class) in refused {
        assert_eq!(
            errors(&lint(text.into())),
            vec![(
                "yaml-disallowed-class",
                format!("Tried to load unspecified class: {class}").as_str()
            )],
            "{text}"
        );
    }
    // Tags Psych ignores or permits: a plain hash, a quoted scalar, a symbol.
    for text in [
        "job: !ruby/object:Hash {script: x}\n",
        "job:\n  script: !ruby/regexp \"/x/\"\n",
        "job:\n  script: !ruby/object:Foo x\n",
        "job:\n  script: x\n  variables: {A: !ruby/sym a}\n",
    ] {
        let report = lint(text.into());
        assert!(
            report
                .errors
                .iter()
                .all(|e| e.code != "yaml-disallowed-class"),
            "{text}: {:?}",
            report.errors
        );
    }
}

/// An alias to the mapping it is part of: Psych registers the mapping under its anchor before
/// reading it, so `<<: *a` merges what was read so far (psych/visitors/to_ruby.rb
/// `register`, `revive_hash`); any other use makes the value contain itself, which GitLab's
/// size check rejects (yaml_spec.rb "when yaml has cyclic data structure").
#[test]
fn recursive_merge_key() {
    let loaded = yaml::load("a: &a {<<: *a}\n", FileId(0), Limits::default());
    assert!(!loaded.failed, "{:?}", loaded.findings);
    assert!(loaded.documents[0]
        .get("a")
        .unwrap()
        .as_map()
        .unwrap()
        .is_empty());
    let loaded = yaml::load(
        "a: &a {x: 1, b: {<<: *a, y: 2}}\n",
        FileId(0),
        Limits::default(),
    );
    assert!(!loaded.failed, "{:?}", loaded.findings);
    let b = loaded.documents[0].get("a").unwrap().get("b").unwrap();
    let keys: Vec<_> = b
        .as_map()
        .unwrap()
        .iter()
        .map(|(k, _)| k.as_str().unwrap().to_owned())
        .collect();
    assert_eq!(keys, ["x", "y"]);
    assert_eq!(
        errors(&lint("--- &1\n- hi\n- *1\n".into())),
        vec![("yaml-too-big", "The parsed YAML is too big")]
    );
    assert_eq!(
        errors(&lint("a: &a {b: *a}\njob:\n  script: x\n".into())),
        vec![("yaml-too-big", "The parsed YAML is too big")]
    );
}

/// Ruby reads integers of any size (Bignum): a number past 64 bits is an integer, so it gets
/// the integer messages (here `parallel`'s range check), not the string ones.
#[test]
fn integers_beyond_64_bits() {
    let report = lint("job:\n  script: x\n  parallel: 99999999999999999999\n".into());
    assert_eq!(
        errors(&report),
        vec![(
            "parallel-invalid",
            "jobs:job:parallel config must be less than or equal to 200"
        )]
    );
    assert!(report.warnings.iter().any(|w| w.code == "yaml-big-integer"));
    let report = lint("job:\n  script: x\n  parallel: -99999999999999999999\n".into());
    assert_eq!(report.errors.len(), 1);
    assert!(report.errors[0]
        .message
        .contains("greater than or equal to"));
}

/// Branch and tag names: one check for a scenario's `branch:` and the CLI's `--branch`
/// (git check-ref-format, GitLab's `Gitlab::GitRefValidator`).
#[test]
fn ref_names() {
    use pipesim::event::scenario::ref_name_problem;
    for bad in [
        "", "a b", "a..b", "a~1", "a:b", "-x", "a/", "/a", "a//b", "a.lock", "a.", "@", "a@{1}",
        ".a", "a\\b",
    ] {
        assert!(ref_name_problem(bad).is_some(), "{bad:?}");
    }
    for good in ["main", "feature/x-1", "release-1.2", "v1.2.3", "a@b"] {
        assert_eq!(ref_name_problem(good), None, "{good:?}");
    }
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
