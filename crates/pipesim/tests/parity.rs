//! Keeps docs/PARITY.md true by construction: the ported / passing / failing counts of its
//! ledger tables are recomputed from the fixtures' headers and compared with the page.
//!
//! A ledger section pairs a table (`## <heading>`) with the fixture sets that port its
//! examples. Each fixture set says which fixtures belong to it, which row (GitLab spec file)
//! a fixture counts under, how many examples it ports and whether it is a known failure.
//! Only the "Configuration validation" section is reconciled here (fixtures in
//! `tests/fixtures/invalid` and `tests/fixtures/valid`); the scenario and data-flow sections
//! can be added as further `Section`s whose fixture sets read `*.expect.yml` files
//! (`# source: SPEC ...` headers, `known_failure:` keys) with another `classify` function.
//! The `examples` and `skipped` columns stay hand-written: they count GitLab's examples,
//! which no fixture knows.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// One row of a ledger table, as the page states it.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Row {
    /// The row's key: the first `code` span of its first cell (a GitLab spec path), or the
    /// cell's first word when it has none.
    key: String,
    ported: Option<usize>,
    passing: Option<usize>,
    failing: Option<usize>,
}

/// What the fixtures say for one row.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
struct Counts {
    ported: usize,
    passing: usize,
    failing: usize,
}

/// One ported fixture: the row it counts under, its weight and whether it is marked failing.
#[derive(Debug)]
struct Ported {
    /// The fixture's path relative to the repository root (`tests/fixtures/...`).
    path: String,
    key: String,
    examples: usize,
    known_failure: bool,
}

/// A ledger section: the table's heading (its start) and the fixtures it counts.
struct Section {
    heading: &'static str,
    /// The "Failing and skipped examples" sub-list that names each failing fixture.
    failing_list: &'static str,
    fixtures: fn() -> Vec<Ported>,
}

const SECTIONS: &[Section] = &[Section {
    heading: "## Configuration validation",
    failing_list: "### Configuration validation",
    fixtures: config_fixtures,
}];

/// The `#` header lines of a fixture text, without the `#`.
fn header(text: &str) -> impl Iterator<Item = &str> {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .map(|l| l[1..].trim())
}

fn header_value<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    header(text).find_map(|l| l.strip_prefix(key).map(str::trim))
}

/// The first word of a `# source:` value, without trailing punctuation.
fn first_word(source: &str) -> &str {
    source
        .split_whitespace()
        .next()
        .unwrap_or("")
        .trim_end_matches([',', ';', ':', '('])
}

/// Config fixtures: `spec-*` fixtures count under the spec file their `# source:` names
/// first (a `spec/...` path); `yaml-*` fixtures under the libyaml row. `# examples: N` says a fixture ports N
/// examples (GitLab `where:` rows or several `it` blocks; 1 when absent).
fn config_fixtures() -> Vec<Ported> {
    let mut out = Vec::new();
    for dir in ["invalid", "valid"] {
        let base = repo_root().join("tests/fixtures").join(dir);
        let mut entries: Vec<PathBuf> = fs::read_dir(&base)
            .unwrap_or_else(|e| panic!("{}: {e}", base.display()))
            .flatten()
            .map(|e| e.path())
            .collect();
        entries.sort();
        for path in entries {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text_path = if path.is_dir() {
                path.join(".gitlab-ci.yml")
            } else if name.ends_with(".yml") || name.ends_with(".yaml") {
                path.clone()
            } else {
                continue;
            };
            let Ok(text) = fs::read_to_string(&text_path) else {
                continue;
            };
            let key = if name.starts_with("yaml-") {
                "libyaml".to_owned()
            } else if name.starts_with("spec-") {
                // `spec-inputs/` is an older feature fixture (the `spec:` keyword), not a port.
                match header_value(&text, "source:").map(first_word) {
                    Some(spec) if spec.starts_with("spec/") => spec.to_owned(),
                    _ => continue,
                }
            } else {
                continue;
            };
            let examples = match header_value(&text, "examples:") {
                None => 1,
                Some(n) => n
                    .split_whitespace()
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n >= 1)
                    .unwrap_or_else(|| panic!("{name}: `# examples:` takes a count >= 1")),
            };
            let shown = format!(
                "tests/fixtures/{dir}/{name}{}",
                if path.is_dir() { "/" } else { "" }
            );
            out.push(Ported {
                path: shown,
                key,
                examples,
                known_failure: header_value(&text, "known-failure:").is_some(),
            });
        }
    }
    out
}

/// The lines of the part of `page` that starts at the line beginning with `heading` and
/// ends before the next heading of the same or a higher level.
fn part<'a>(page: &'a str, heading: &str) -> Vec<&'a str> {
    let level = heading.chars().take_while(|c| *c == '#').count();
    let mut lines = page.lines().skip_while(|l| !l.starts_with(heading));
    let mut out = Vec::new();
    if let Some(first) = lines.next() {
        out.push(first);
    }
    for line in lines {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if hashes > 0 && hashes <= level && line[hashes..].starts_with(' ') {
            break;
        }
        out.push(line);
    }
    out
}

fn cells(line: &str) -> Vec<&str> {
    let inner = line.trim().trim_start_matches('|').trim_end_matches('|');
    inner.split('|').map(str::trim).collect()
}

fn row_key(cell: &str) -> String {
    match cell.split('`').nth(1) {
        Some(code) if !code.is_empty() && cell.contains('`') => {
            if cell.trim_start().starts_with('`') {
                code.to_owned()
            } else {
                // A cell that starts with a word (`libyaml 0.2.5 ...`) is keyed by it.
                cell.split_whitespace().next().unwrap_or("").to_owned()
            }
        }
        _ => cell.split_whitespace().next().unwrap_or("").to_owned(),
    }
}

/// The table rows of a section. Columns: file, examples, ported, passing, failing, skipped.
fn rows(section: &[&str]) -> Vec<Row> {
    section
        .iter()
        .filter(|l| l.starts_with('|'))
        .map(|l| cells(l))
        .filter(|c| c.len() >= 6 && !c[0].starts_with("---") && c[0] != "GitLab spec file")
        .map(|c| Row {
            key: row_key(c[0]),
            ported: c[2].parse().ok(),
            passing: c[3].parse().ok(),
            failing: c[4].parse().ok(),
        })
        .collect()
}

fn computed(fixtures: &[Ported]) -> BTreeMap<String, Counts> {
    let mut out: BTreeMap<String, Counts> = BTreeMap::new();
    for f in fixtures {
        let c = out.entry(f.key.clone()).or_default();
        c.ported += f.examples;
        if f.known_failure {
            c.failing += f.examples;
        } else {
            c.passing += f.examples;
        }
    }
    out
}

/// Fixture paths named in a "Failing and skipped examples" sub-list, each with the spec file
/// of the `- \`spec/...\`:` item it is listed under (None for a top-level item).
fn listed_failures(list: &[&str]) -> Vec<(String, Option<String>)> {
    let mut current: Option<String> = None;
    let mut out = Vec::new();
    for line in list {
        if let Some(rest) = line.strip_prefix("- ") {
            current = rest
                .strip_prefix('`')
                .and_then(|r| r.split('`').next())
                .filter(|_| rest.trim_end().ends_with(':'))
                .map(str::to_owned);
        }
        let nested = line.starts_with("  - ");
        for (i, piece) in line.split('`').enumerate() {
            if i % 2 == 1 && piece.starts_with("tests/fixtures/") {
                out.push((
                    piece.to_owned(),
                    if nested { current.clone() } else { None },
                ));
            }
        }
    }
    out
}

fn check_section(page: &str, section: &Section) -> Vec<String> {
    let mut problems = Vec::new();
    let table = part(page, section.heading);
    assert!(
        table.len() > 1,
        "docs/PARITY.md has no section starting with {:?}",
        section.heading
    );
    let rows = rows(&table);
    let fixtures = (section.fixtures)();
    let counts = computed(&fixtures);
    let mut seen = BTreeSet::new();
    for row in &rows {
        if !seen.insert(row.key.clone()) {
            problems.push(format!("{}: more than one row in the table", row.key));
        }
        let want = counts.get(&row.key).copied().unwrap_or_default();
        let got = (row.ported, row.passing, row.failing);
        if got != (Some(want.ported), Some(want.passing), Some(want.failing)) {
            problems.push(format!(
                "{}: the page says ported/passing/failing {:?}/{:?}/{:?}; the fixtures say {}/{}/{}",
                row.key, got.0, got.1, got.2, want.ported, want.passing, want.failing
            ));
        }
    }
    for (key, c) in &counts {
        if !seen.contains(key) {
            problems.push(format!(
                "{key}: {} ported fixtures but no row in the table",
                c.ported
            ));
        }
    }
    // Every known failure is listed under "Failing and skipped examples", under its spec
    // file, and nothing else is.
    let list = part(page, section.failing_list);
    assert!(
        list.len() > 1,
        "docs/PARITY.md has no list starting with {:?}",
        section.failing_list
    );
    let listed = listed_failures(&list);
    let marked: BTreeMap<&str, &Ported> = fixtures
        .iter()
        .filter(|f| f.known_failure)
        .map(|f| (f.path.as_str(), f))
        .collect();
    let mut listed_paths = BTreeSet::new();
    for (path, under) in &listed {
        listed_paths.insert(path.as_str());
        match marked.get(path.as_str()) {
            None => problems.push(format!(
                "{path}: listed as failing, but the fixture has no `# known-failure:` marker"
            )),
            Some(f) => {
                if let Some(spec) = under {
                    if *spec != f.key {
                        problems.push(format!(
                            "{path}: listed under {spec}, but its source names {}",
                            f.key
                        ));
                    }
                }
            }
        }
    }
    for path in marked.keys() {
        if !listed_paths.contains(path) {
            problems.push(format!(
                "{path}: marked `# known-failure:` but not listed under {:?}",
                section.failing_list
            ));
        }
    }
    problems
}

#[test]
fn parity_ledger_matches_the_fixtures() {
    let page = fs::read_to_string(repo_root().join("docs/PARITY.md")).expect("docs/PARITY.md");
    let problems: Vec<String> = SECTIONS
        .iter()
        .flat_map(|s| check_section(&page, s))
        .collect();
    assert!(
        problems.is_empty(),
        "docs/PARITY.md disagrees with the fixtures ({} problems):\n{}",
        problems.len(),
        problems.join("\n")
    );
}

/// The parser itself, on a small page: a wrong count, a duplicated row and an unlisted
/// failure are each reported.
#[test]
fn parity_parser_reads_rows_and_lists() {
    let page = "## Configuration validation (x)\n\n| GitLab spec file | examples | ported | passing | failing | skipped (reason) |\n|---|---|---|---|---|---|\n| `spec/a_spec.rb` | 3 | 2 | 1 | 1 | none |\n| `spec/a_spec.rb` (again) | 3 | 2 | 1 | 1 | none |\n| libyaml 0.2.5 (`src/scanner.c`) | 4 cases | 4 | 4 | 0 | none |\n\n## Next\n\n### Configuration validation\n\n- `spec/a_spec.rb`:\n  - `tests/fixtures/invalid/spec-a.yml` — pipesim reports no error\n- libyaml: `tests/fixtures/valid/yaml-b.yml` (x) — y\n";
    let table = part(page, "## Configuration validation");
    let rows = rows(&table);
    assert_eq!(rows.len(), 3);
    assert_eq!(rows[0].key, "spec/a_spec.rb");
    assert_eq!(rows[1].key, "spec/a_spec.rb");
    assert_eq!(rows[2].key, "libyaml");
    assert_eq!(
        (rows[2].ported, rows[2].passing, rows[2].failing),
        (Some(4), Some(4), Some(0))
    );
    let list = part(page, "### Configuration validation");
    let listed = listed_failures(&list);
    assert_eq!(
        listed,
        vec![
            (
                "tests/fixtures/invalid/spec-a.yml".to_owned(),
                Some("spec/a_spec.rb".to_owned())
            ),
            ("tests/fixtures/valid/yaml-b.yml".to_owned(), None),
        ]
    );
    let fixtures = vec![
        Ported {
            path: "tests/fixtures/invalid/spec-a.yml".into(),
            key: "spec/a_spec.rb".into(),
            examples: 1,
            known_failure: true,
        },
        Ported {
            path: "tests/fixtures/valid/spec-a2.yml".into(),
            key: "spec/a_spec.rb".into(),
            examples: 2,
            known_failure: false,
        },
    ];
    let counts = computed(&fixtures);
    assert_eq!(
        counts["spec/a_spec.rb"],
        Counts {
            ported: 3,
            passing: 2,
            failing: 1
        }
    );
    assert_eq!(
        first_word("spec/x_spec.rb (describe 'a')"),
        "spec/x_spec.rb"
    );
    assert_eq!(first_word("spec/x_spec.rb; lib/y.rb"), "spec/x_spec.rb");
}
