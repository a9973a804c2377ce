//! Line edits of the user's own files (no GitLab counterpart): how a proposed fix is written
//! into the text the user typed, applied to a copy of the files to check it, and shown as a
//! unified diff. Edits replace whole lines, so the user's other lines, indentation and quoting
//! stay as they were.

use serde::Serialize;

use crate::source::Files;

/// Replace `remove` lines of `file` starting at `line` (1-based) with `insert`. `remove: 0`
/// inserts before `line`; `line` one past the last line appends.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Edit {
    pub file: String,
    pub line: u32,
    pub remove: u32,
    pub insert: Vec<String>,
}

/// How many unchanged lines a diff shows around each change.
const CONTEXT: usize = 2;

/// The lines of a text, without their line ends (a final line end adds no empty line).
fn lines(text: &str) -> Vec<&str> {
    text.lines().collect()
}

/// `text` with `edits` (all of one file) applied, or `None` when an edit reaches past the end
/// of the text or two edits overlap.
pub fn apply_to_text(text: &str, edits: &[&Edit]) -> Option<String> {
    let old = lines(text);
    let mut sorted: Vec<&&Edit> = edits.iter().collect();
    sorted.sort_by_key(|e| e.line);
    let mut out: Vec<&str> = Vec::with_capacity(old.len() + 8);
    let mut next = 0usize; // index of the first old line not yet copied
    for edit in sorted {
        let start = (edit.line as usize).checked_sub(1)?;
        let end = start.checked_add(edit.remove as usize)?;
        if start < next || end > old.len() {
            return None;
        }
        out.extend_from_slice(&old[next..start]);
        out.extend(edit.insert.iter().map(String::as_str));
        next = end;
    }
    out.extend_from_slice(&old[next..]);
    let mut joined = out.join("\n");
    if text.ends_with('\n') || text.is_empty() {
        joined.push('\n');
    }
    Some(joined)
}

/// A copy of `files` with `edits` applied; `None` when an edit names a file that is not there
/// or does not fit its text.
pub fn apply(files: &Files, edits: &[Edit]) -> Option<Files> {
    let mut out = files.clone();
    let mut paths: Vec<&str> = edits.iter().map(|e| e.file.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    for path in paths {
        let id = files.find(path)?;
        let of_file: Vec<&Edit> = edits.iter().filter(|e| e.file == path).collect();
        let text = apply_to_text(&files.get(id).text, &of_file)?;
        out.insert(path, text);
    }
    Some(out)
}

/// The edits as a unified diff (`--- a/path`, `+++ b/path`, `@@` hunks with two lines of
/// context), the form a user can read, copy or give to `git apply`. Empty when an edit does not
/// fit its file.
pub fn unified_diff(files: &Files, edits: &[Edit]) -> String {
    let mut paths: Vec<&str> = edits.iter().map(|e| e.file.as_str()).collect();
    paths.sort_unstable();
    paths.dedup();
    let mut out = String::new();
    for path in paths {
        let Some(id) = files.find(path) else {
            return String::new();
        };
        let old_text = &files.get(id).text;
        let mut of_file: Vec<&Edit> = edits.iter().filter(|e| e.file == path).collect();
        if apply_to_text(old_text, &of_file).is_none() {
            return String::new();
        }
        of_file.sort_by_key(|e| e.line);
        out.push_str(&format!("--- a/{path}\n+++ b/{path}\n"));
        file_hunks(&lines(old_text), &of_file, &mut out);
    }
    out
}

/// The hunks of one file's (sorted, fitting) edits; edits whose contexts touch share a hunk.
fn file_hunks(old: &[&str], edits: &[&Edit], out: &mut String) {
    let mut shift: isize = 0; // new line number minus old line number before the hunk
    let mut i = 0;
    while i < edits.len() {
        // The edits of this hunk: while the next one starts within the context of the last.
        let mut j = i + 1;
        while j < edits.len() {
            let last_end = edits[j - 1].line as usize - 1 + edits[j - 1].remove as usize;
            if edits[j].line as usize - 1 > last_end + 2 * CONTEXT {
                break;
            }
            j += 1;
        }
        let first = edits[i].line as usize - 1;
        let last_end = edits[j - 1].line as usize - 1 + edits[j - 1].remove as usize;
        let start = first.saturating_sub(CONTEXT);
        let end = (last_end + CONTEXT).min(old.len());
        let mut body = String::new();
        let (mut old_count, mut new_count) = (0usize, 0usize);
        let mut at = start;
        let mut hunk_shift = 0isize;
        for edit in &edits[i..j] {
            let edit_start = edit.line as usize - 1;
            for line in &old[at..edit_start] {
                body.push_str(&format!(" {line}\n"));
                old_count += 1;
                new_count += 1;
            }
            let edit_end = edit_start + edit.remove as usize;
            for line in &old[edit_start..edit_end] {
                body.push_str(&format!("-{line}\n"));
                old_count += 1;
            }
            for line in &edit.insert {
                body.push_str(&format!("+{line}\n"));
                new_count += 1;
            }
            hunk_shift += edit.insert.len() as isize - edit.remove as isize;
            at = edit_end;
        }
        for line in &old[at..end] {
            body.push_str(&format!(" {line}\n"));
            old_count += 1;
            new_count += 1;
        }
        let old_start = if old_count == 0 { start } else { start + 1 };
        let new_start = (start as isize + shift) as usize + usize::from(new_count != 0);
        out.push_str(&format!(
            "@@ -{old_start},{old_count} +{new_start},{new_count} @@\n{body}"
        ));
        shift += hunk_shift;
        i = j;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(line: u32, remove: u32, insert: &[&str]) -> Edit {
        Edit {
            file: ".gitlab-ci.yml".into(),
            line,
            remove,
            insert: insert.iter().map(|s| s.to_string()).collect(),
        }
    }

    fn files(text: &str) -> Files {
        [(".gitlab-ci.yml", text)].into_iter().collect()
    }

    #[test]
    fn an_insertion_keeps_every_other_line() {
        let text = "a:\n  rules:\n    - when: never\nb: 1\n";
        let out = apply(&files(text), &[edit(3, 0, &["    - if: $X"])]).unwrap();
        assert_eq!(
            out.get(out.find(".gitlab-ci.yml").unwrap()).text,
            "a:\n  rules:\n    - if: $X\n    - when: never\nb: 1\n"
        );
    }

    #[test]
    fn edits_past_the_end_or_overlapping_are_refused() {
        assert!(apply(&files("a\nb\n"), &[edit(2, 2, &["x"])]).is_none());
        assert!(apply(&files("a\nb\nc\n"), &[edit(1, 2, &[]), edit(2, 1, &[])]).is_none());
        assert!(apply(&files("a\n"), &[edit(0, 0, &["x"])]).is_none());
        assert!(apply(
            &files("a\n"),
            &[Edit {
                file: "other.yml".into(),
                ..edit(1, 0, &[])
            }]
        )
        .is_none());
        // Appending after the last line fits.
        assert!(apply(&files("a\n"), &[edit(2, 0, &["b"])]).is_some());
    }

    #[test]
    fn the_diff_is_what_git_apply_reads() {
        let text = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\n";
        let diff = unified_diff(
            &files(text),
            &[edit(2, 1, &["TWO", "TWO-B"]), edit(9, 0, &["new"])],
        );
        assert_eq!(
            diff,
            "--- a/.gitlab-ci.yml\n+++ b/.gitlab-ci.yml\n\
             @@ -1,4 +1,5 @@\n one\n-two\n+TWO\n+TWO-B\n three\n four\n\
             @@ -7,4 +8,5 @@\n seven\n eight\n+new\n nine\n ten\n"
        );
    }

    #[test]
    fn close_edits_share_a_hunk() {
        let text = "1\n2\n3\n4\n5\n6\n";
        let diff = unified_diff(&files(text), &[edit(2, 1, &[]), edit(5, 1, &["E"])]);
        assert_eq!(
            diff,
            "--- a/.gitlab-ci.yml\n+++ b/.gitlab-ci.yml\n@@ -1,6 +1,5 @@\n 1\n-2\n 3\n 4\n-5\n+E\n 6\n"
        );
    }
}
