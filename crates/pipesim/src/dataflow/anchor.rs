//! Where a data-flow finding is in the user's files (GitLab reports these breaks nowhere, so
//! there is no counterpart): the `dependencies:` or `needs:` entry it is about, the `$VAR` or
//! the file read in the script, the rule that leaves a producer out. The composed
//! configuration's nodes keep the position of the text they were read from, through
//! `extends`, `!reference` and includes, so a span found here points into the file the user
//! wrote (or the template the job came from).

use crate::pipeline::JobReport;
use crate::source::{Files, Span};
use crate::yaml::{Node, Value};

/// How far past a node's own position the text of a script line is searched for a name: a
/// block scalar spreads one entry over many lines.
const SEARCH_LINES: usize = 400;

/// The entry naming `name` in the job's `key:` list (`dependencies`, `needs`): a plain name or
/// a mapping with `job: name`.
pub fn list_entry(job: &Node, key: &str, name: &str) -> Option<Span> {
    let Value::Seq(items) = &job.get(key)?.value else {
        return None;
    };
    items
        .iter()
        .find(|item| match &item.value {
            Value::Map(_) => item.get("job").and_then(Node::scalar_to_s).as_deref() == Some(name),
            _ => item.scalar_to_s().as_deref() == Some(name),
        })
        .map(|item| item.span)
}

/// The `index`-th entry of the job's `before_script` and `script`, counted the way the data-flow
/// layer reads them (nested lists flattened, entries that are not text skipped).
pub fn script_entry(job: &Node, index: usize) -> Option<Span> {
    let mut entries = Vec::new();
    for key in ["before_script", "script"] {
        if let Some(node) = job.get(key) {
            text_entries(node, &mut entries);
        }
    }
    entries.get(index).copied()
}

fn text_entries(node: &Node, out: &mut Vec<Span>) {
    match &node.value {
        Value::Seq(items) => {
            for item in items {
                match &item.value {
                    Value::Seq(_) => text_entries(item, out),
                    _ if item.scalar_to_s().is_some() => out.push(item.span),
                    _ => {}
                }
            }
        }
        _ if node.scalar_to_s().is_some() => out.push(node.span),
        _ => {}
    }
}

/// The first entry of the job's script that expands `$name` (or `${name}`), and the position
/// of that text in the file when it can be found there.
pub fn variable_read(files: &Files, job: &Node, lines: &[String], name: &str) -> Option<Span> {
    let braced = format!("${{{name}}}");
    let plain = format!("${name}");
    let reads = |line: &str| {
        line.contains(&braced)
            || line.match_indices(&plain).any(|(at, _)| {
                !line[at + plain.len()..]
                    .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            })
    };
    let index = lines.iter().position(|l| reads(l))?;
    let entry = script_entry(job, index)?;
    Some(
        text_from(
            files,
            entry,
            &[&braced, &plain],
            &|rest: &str, needle: &str| {
                needle == braced
                    || !rest[needle.len()..]
                        .starts_with(|c: char| c.is_ascii_alphanumeric() || c == '_')
            },
        )
        .unwrap_or(entry),
    )
}

/// The script entry `index` and, in it, where `path` is written, when it can be found.
pub fn file_read(files: &Files, job: &Node, index: usize, path: &str) -> Option<Span> {
    let entry = script_entry(job, index)?;
    Some(text_from(files, entry, &[path], &|_, _| true).unwrap_or(entry))
}

/// The first of `needles` in the file's text at or after `from`, within [`SEARCH_LINES`]
/// lines, that `accept` takes (given the text from the match on and the needle).
fn text_from(
    files: &Files,
    from: Span,
    needles: &[&str],
    accept: &dyn Fn(&str, &str) -> bool,
) -> Option<Span> {
    let text = &files.try_get(from.file)?.text;
    for (offset, line) in text
        .lines()
        .skip((from.line as usize).saturating_sub(1))
        .take(SEARCH_LINES)
        .enumerate()
    {
        // On the entry's own line, only from its column on.
        let skip_chars = if offset == 0 {
            (from.column as usize).saturating_sub(1)
        } else {
            0
        };
        let start = line
            .char_indices()
            .nth(skip_chars)
            .map_or(line.len(), |(i, _)| i);
        let found = needles
            .iter()
            .filter_map(|needle| {
                line[start..]
                    .match_indices(needle)
                    .find(|(at, _)| accept(&line[start + at..], needle))
                    .map(|(at, _)| start + at)
            })
            .min();
        if let Some(at) = found {
            let column = line[..at].chars().count() as u32 + 1;
            return Some(Span::new(from.file, from.line + offset as u32, column));
        }
    }
    None
}

/// The clause that leaves a job out of its pipeline: the rule that matched with `when: never`,
/// or, when no rule matched, the `rules:` list itself; `only:` / `except:` when those decided.
pub fn leaving_out(report: &JobReport, job: &Node) -> Option<Span> {
    let decided = report.checks.iter().rev().find(|c| c.matched);
    if let Some(index) = decided
        .and_then(|c| c.clause.strip_prefix("rules["))
        .and_then(|rest| rest.strip_suffix(']'))
        .and_then(|i| i.parse::<usize>().ok())
    {
        if let Some(Value::Seq(rules)) = job.get("rules").map(|r| &r.value) {
            if let Some(rule) = rules.get(index) {
                return Some(rule.span);
            }
        }
    }
    if let Some(rules) = job.get("rules") {
        return Some(rules.span);
    }
    let clause = report
        .checks
        .iter()
        .find(|c| !c.matched || c.clause.starts_with("except"));
    let key = match clause.map(|c| c.clause.as_str()) {
        Some(c) if c.starts_with("except") => "except",
        _ => "only",
    };
    job.get(key).map(|n| n.span)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{self, Limits};

    fn job(text: &str) -> (Files, Node) {
        let files: Files = [(".gitlab-ci.yml", text)].into_iter().collect();
        let id = files.find(".gitlab-ci.yml").unwrap();
        let loaded = yaml::load(&files.get(id).text, id, Limits::default());
        let root = loaded.documents.into_iter().next().unwrap();
        let job = root.get("job").unwrap().clone();
        (files, job)
    }

    #[test]
    fn a_dependency_entry_is_found_by_name() {
        let (_, node) = job("job:\n  dependencies:\n    - build\n    - test\n");
        let span = list_entry(&node, "dependencies", "test").unwrap();
        assert_eq!((span.line, span.column), (4, 7));
        let (_, node) = job("job:\n  needs:\n    - job: build\n      artifacts: true\n");
        assert_eq!(list_entry(&node, "needs", "build").unwrap().line, 3);
        assert!(list_entry(&node, "needs", "other").is_none());
    }

    #[test]
    fn a_variable_is_found_in_its_script_line_and_column() {
        let text = "job:\n  before_script: [echo start]\n  script:\n    - echo $OTHER\n    - |\n      echo one\n      deploy --version \"$VERSION_X $VERSION\"\n";
        let (files, node) = job(text);
        let lines = super::super::script_lines(&node);
        let span = variable_read(&files, &node, &lines, "VERSION").unwrap();
        assert_eq!((span.line, span.column), (7, 36));
        let span = variable_read(&files, &node, &lines, "OTHER").unwrap();
        assert_eq!((span.line, span.column), (4, 12));
        assert!(variable_read(&files, &node, &lines, "NOPE").is_none());
    }

    #[test]
    fn a_braced_variable_and_a_file_read_are_found() {
        let text = "job:\n  script:\n    - [echo a, 'cat build/out.txt ${V}']\n";
        let (files, node) = job(text);
        let lines = super::super::script_lines(&node);
        let span = variable_read(&files, &node, &lines, "V").unwrap();
        assert_eq!((span.line, span.column), (3, 35));
        let span = file_read(&files, &node, 1, "build/out.txt").unwrap();
        assert_eq!((span.line, span.column), (3, 21));
    }
}
