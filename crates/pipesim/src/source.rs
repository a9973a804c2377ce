//! The files a simulation reads, and positions inside them.
//!
//! Everything the core reports points back into these files through a [`Span`], so the web
//! editor can put a marker in the gutter and the CLI can print `FILE:LINE:COL`.

use serde::Serialize;

/// Index of a file inside a [`Files`] set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct FileId(pub u32);

/// A position in a file: 1-based line and column (columns count characters, not bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default, Serialize)]
pub struct Span {
    pub file: FileId,
    pub line: u32,
    pub column: u32,
}

impl Span {
    pub const fn new(file: FileId, line: u32, column: u32) -> Self {
        Span { file, line, column }
    }

    /// A position at the start of a file, for findings about the file as a whole.
    pub const fn file_start(file: FileId) -> Self {
        Span {
            file,
            line: 1,
            column: 1,
        }
    }
}

/// A named text file of the repository being simulated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceFile {
    /// Path relative to the repository root, with `/` separators and no leading `/`.
    pub path: String,
    pub text: String,
}

/// The repository content a simulation may read: the CI config, the files it includes,
/// child-pipeline configs and any file `rules:exists` looks for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Files {
    files: Vec<SourceFile>,
    /// Position of each path in `files`: repositories can hold thousands of files.
    index: std::collections::HashMap<String, u32>,
}

impl Files {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds a file, or replaces the content of a file with the same (normalised) path.
    pub fn insert(&mut self, path: &str, text: impl Into<String>) -> FileId {
        let path = normalize_path(path);
        let text = text.into();
        if let Some(&i) = self.index.get(&path) {
            self.files[i as usize].text = text;
            return FileId(i);
        }
        let id = self.files.len() as u32;
        self.index.insert(path.clone(), id);
        self.files.push(SourceFile { path, text });
        FileId(id)
    }

    pub fn find(&self, path: &str) -> Option<FileId> {
        self.index.get(&normalize_path(path)).map(|&i| FileId(i))
    }

    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    pub fn path(&self, id: FileId) -> &str {
        &self.get(id).path
    }

    /// The file `id` names, if it belongs to this set.
    pub fn try_get(&self, id: FileId) -> Option<&SourceFile> {
        self.files.get(id.0 as usize)
    }

    pub fn iter(&self) -> impl Iterator<Item = (FileId, &SourceFile)> {
        self.files
            .iter()
            .enumerate()
            .map(|(i, f)| (FileId(i as u32), f))
    }

    pub fn len(&self) -> usize {
        self.files.len()
    }

    pub fn is_empty(&self) -> bool {
        self.files.is_empty()
    }
}

impl<P: AsRef<str>, T: Into<String>> FromIterator<(P, T)> for Files {
    fn from_iter<I: IntoIterator<Item = (P, T)>>(iter: I) -> Self {
        let mut files = Files::new();
        for (path, text) in iter {
            files.insert(path.as_ref(), text);
        }
        files
    }
}

/// `./a//b/` and `/a/b` both become `a/b`: GitLab resolves `include:local` paths from the
/// repository root whether or not they start with `/`.
pub fn normalize_path(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    parts.join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_are_normalised_and_replaced() {
        let mut files = Files::new();
        let a = files.insert("/ci/./build.yml", "a");
        let b = files.insert("ci/build.yml", "b");
        assert_eq!(a, b);
        assert_eq!(files.get(a).text, "b");
        assert_eq!(files.path(a), "ci/build.yml");
        assert_eq!(normalize_path("a/../b//c/"), "b/c");
    }
}
