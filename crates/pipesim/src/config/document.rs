//! One CI file as GitLab reads it: split into at most three documents by a textual `---`
//! divider (`Gitlab::Config::Loader::MultiDocYaml`), an optional `spec:` header document, and
//! `$[[ inputs.x ]]` interpolation of the content with the header's inputs.

use crate::diagnostic::Finding;
use crate::source::{FileId, Files, Span};
use crate::yaml::{Limits, Map, Node, Value};

use super::inputs;

/// GitLab's `Gitlab::Ci::Config::Yaml::Loader::MAX_DOCUMENTS`.
const MAX_DOCUMENTS: usize = 2;

pub struct Document {
    pub content: Node,
    /// The `spec:` header, when the file has one.
    pub header: Option<Node>,
}

/// Why a file could not be read. The message is GitLab's text without any `include` wrapping.
pub struct LoadError {
    pub finding: Finding,
}

/// Loads one file. `inputs` are the values an `include:inputs` passes (None for the root file).
pub fn load(
    files: &Files,
    file: FileId,
    provided_inputs: Option<&Node>,
    limits: Limits,
    warnings: &mut Vec<Finding>,
) -> Result<Document, LoadError> {
    let text = &files.get(file).text;
    // GitLab checks the raw size before parsing (Gitlab::Config::Loader::Yaml
    // `content_too_large?`). pipesim checks the whole file; whether GitLab checks each of its
    // `---` documents apart is not confirmed.
    if text.len() > crate::yaml::reader::MAX_YAML_SIZE_BYTES {
        return Err(LoadError {
            finding: Finding::error(
                "yaml-too-large",
                crate::yaml::reader::TOO_LARGE_MESSAGE,
                Some(Span::file_start(file)),
            )
            .explain(format!(
                "The file has more than {} bytes: GitLab refuses a CI file larger than its `max_yaml_size_bytes` setting (2 MiB by default) before parsing it.",
                crate::yaml::reader::MAX_YAML_SIZE_BYTES
            )),
        });
    }
    let mut pieces = Vec::new();
    for (offset_line, piece) in split_documents(text) {
        let parsed = recent::parse(piece, file, offset_line, limits);
        if parsed.failed {
            let mut findings = parsed.findings;
            let finding = findings.pop().expect("a failed load reports why");
            return Err(LoadError { finding });
        }
        warnings.extend(parsed.findings);
        pieces.push((offset_line, parsed.first));
    }
    // `docs.shift if docs.first.blank?` and `reject_empty: true`.
    let docs: Vec<(u32, Node)> = pieces
        .into_iter()
        .filter_map(|(line, doc)| match doc {
            None => None,
            Some(node) if node.is_blank() => None,
            Some(node) => Some((line, node)),
        })
        .collect();
    for (line, doc) in &docs {
        if doc.as_map().is_none() {
            let span = Span::new(file, doc.span.line.max(line + 1), doc.span.column);
            return Err(LoadError {
                finding: Finding::error(
                    "config-invalid-format",
                    "Invalid configuration format",
                    Some(span),
                )
                .explain(
                    "A GitLab CI file must be a YAML mapping of keywords and jobs (`key: value` at \
                     the top level), not a list or a single value.",
                ),
            });
        }
    }
    let has_header = docs.len() > 1 && docs[0].1.get("spec").is_some();
    let (header, content) = if has_header {
        let mut docs = docs;
        let content = docs.pop().map(|(_, d)| d);
        (docs.into_iter().next().map(|(_, d)| d), content)
    } else {
        (None, docs.into_iter().next().map(|(_, d)| d))
    };
    let content =
        content.unwrap_or_else(|| Node::new(Value::Map(Map::default()), Span::file_start(file)));
    let content = match (&header, provided_inputs) {
        (None, Some(given)) if given.as_map().is_some_and(|m| !m.is_empty()) => {
            return Err(LoadError {
                finding: Finding::error(
                    "include-inputs-unexpected",
                    "unknown input arguments",
                    Some(given.span),
                )
                .explain(
                    "`include:inputs` passes inputs to a file that declares none: the file has no \
                     `spec:inputs` header document (a `spec:` mapping followed by `---`).",
                ),
            })
        }
        (None, _) => content,
        (Some(header), given) => {
            inputs::interpolate(header, given, content).map_err(|finding| LoadError { finding })?
        }
    };
    Ok(Document { content, header })
}

/// Recently parsed YAML, by text. Every edit in the web app lints the files and then simulates
/// them, and a timeline loads the configuration again for each pipeline: the same text is
/// parsed over and over, and parsing is the largest part of loading a configuration. A copy
/// of the parsed tree costs a fraction of parsing it again. The entries are bounded in count
/// and size; results are the same with or without them.
pub mod recent {
    use std::cell::RefCell;

    use crate::diagnostic::Finding;
    use crate::source::FileId;
    use crate::yaml::{self, Limits, Node};

    // A parsed tree takes 30-40 times the memory of its text: 1 MiB of text (a 5,000-job
    // file) keeps a few tens of MB. The count is generous: a configuration's files are read in
    // the same order every run, so a count below their number would evict each file just
    // before it is read again (above 1 MiB of text in all they do, and each parse pays for a
    // copy: GitLab itself refuses files over 1 MB).
    const MAX_ENTRIES: usize = 64;
    const MAX_TEXT_BYTES: usize = 1 << 20;

    /// What reading one piece of YAML gave.
    #[derive(Clone)]
    pub struct Parsed {
        /// Psych's safe_load returns the first YAML document of the piece.
        pub first: Option<Node>,
        pub findings: Vec<Finding>,
        pub failed: bool,
    }

    struct Entry {
        text: String,
        file: FileId,
        offset_line: u32,
        limits: (usize, usize),
        parsed: Parsed,
    }

    thread_local! {
        static ENTRIES: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
    }

    pub fn parse(text: &str, file: FileId, offset_line: u32, limits: Limits) -> Parsed {
        let key_limits = (limits.max_nodes, limits.max_depth);
        let same = |e: &Entry| {
            e.file == file
                && e.offset_line == offset_line
                && e.limits == key_limits
                && e.text == text
        };
        let hit = ENTRIES.with(|entries| {
            let mut entries = entries.borrow_mut();
            let at = entries.iter().position(same)?;
            // Most recently used last.
            let entry = entries.remove(at);
            let parsed = entry.parsed.clone();
            entries.push(entry);
            Some(parsed)
        });
        if let Some(parsed) = hit {
            return parsed;
        }
        let loaded = yaml::load_at(text, file, offset_line, limits);
        let parsed = Parsed {
            first: loaded.documents.into_iter().next(),
            findings: loaded.findings,
            failed: loaded.failed,
        };
        if text.len() <= MAX_TEXT_BYTES {
            ENTRIES.with(|entries| {
                let mut entries = entries.borrow_mut();
                entries.push(Entry {
                    text: text.to_owned(),
                    file,
                    offset_line,
                    limits: key_limits,
                    parsed: parsed.clone(),
                });
                let mut total: usize = entries.iter().map(|e| e.text.len()).sum();
                while entries.len() > MAX_ENTRIES || total > MAX_TEXT_BYTES {
                    total -= entries.remove(0).text.len();
                }
            });
        }
        parsed
    }

    /// Empties the memory (benchmarks time cold loads with it).
    pub fn forget() {
        ENTRIES.with(|entries| entries.borrow_mut().clear());
    }
}

/// `config.split(/^---\s+/, MAX_DOCUMENTS + 1)`: a textual split, with the line each piece
/// starts on (0-based) so spans stay true to the whole file.
fn split_documents(text: &str) -> Vec<(u32, &str)> {
    let mut pieces = Vec::new();
    let mut piece_start = 0usize;
    let mut line_of_piece = 0u32;
    let mut line = 0u32;
    let mut at = 0usize;
    let bytes = text.as_bytes();
    while at < bytes.len() && pieces.len() < MAX_DOCUMENTS {
        // A plain byte loop: lines are short, and `str::find`'s setup per line cost more than
        // the search (a tenth of a 1,000-job lint went here).
        let line_end = bytes[at..]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(bytes.len(), |i| at + i);
        let is_divider = text[at..].starts_with("---")
            && bytes.get(at + 3).is_some_and(|b| b.is_ascii_whitespace());
        if is_divider {
            pieces.push((line_of_piece, &text[piece_start..at]));
            // `\s+` swallows the rest of the whitespace, newlines included.
            let mut next = at + 3;
            while next < bytes.len() && bytes[next].is_ascii_whitespace() {
                if bytes[next] == b'\n' {
                    line += 1;
                }
                next += 1;
            }
            piece_start = next;
            line_of_piece = line;
            at = next;
            continue;
        }
        line += 1;
        at = line_end + 1;
    }
    pieces.push((line_of_piece, &text[piece_start.min(text.len())..]));
    pieces
}

#[cfg(test)]
mod tests {
    use super::{recent, split_documents};
    use crate::source::FileId;
    use crate::yaml::{self, Limits};

    /// The remembered parse is the parse: same tree, same findings, for hits and misses alike,
    /// and a different file id, offset or limit is a different entry.
    #[test]
    fn remembered_parses_equal_fresh_ones() {
        recent::forget();
        let texts = [
            "a: 1\nb: [x, y]\n",
            "a: 1\na: 2\n",
            "a: [\n",
            "x: &a {k: v}\ny: *a\n",
        ];
        for round in 0..2 {
            for (i, text) in texts.iter().enumerate() {
                for (file, offset) in [(FileId(0), 0), (FileId(1), 0), (FileId(0), 7)] {
                    let fresh = yaml::load_at(text, file, offset, Limits::default());
                    let parsed = recent::parse(text, file, offset, Limits::default());
                    assert_eq!(
                        parsed.first,
                        fresh.documents.into_iter().next(),
                        "{round} {i}"
                    );
                    assert_eq!(parsed.findings, fresh.findings, "{round} {i}");
                    assert_eq!(parsed.failed, fresh.failed, "{round} {i}");
                }
            }
        }
        let tight = Limits {
            max_nodes: 2,
            ..Limits::default()
        };
        assert!(recent::parse(texts[0], FileId(0), 0, tight).failed);
        assert!(!recent::parse(texts[0], FileId(0), 0, Limits::default()).failed);
        recent::forget();
    }

    // Source: lib/gitlab/config/loader/multi_doc_yaml.rb (MULTI_DOC_DIVIDER = /^---\s+/, at most 3 pieces).
    #[test]
    fn splits_textually_into_at_most_three_pieces() {
        let pieces = split_documents("spec:\n  inputs: {}\n---\na: 1\n---\nb: 2\n---\nc: 3\n");
        assert_eq!(pieces.len(), 3);
        assert_eq!(pieces[0], (0, "spec:\n  inputs: {}\n"));
        assert_eq!(pieces[1], (3, "a: 1\n"));
        assert_eq!(pieces[2], (5, "b: 2\n---\nc: 3\n"));
        let pieces = split_documents("---\na: 1\n");
        assert_eq!(pieces, vec![(0, ""), (1, "a: 1\n")]);
        assert_eq!(split_documents("a: '---'\n"), vec![(0, "a: '---'\n")]);
    }
}
