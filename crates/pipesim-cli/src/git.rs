//! `pipesim diff --git REV`: the repository's files at a commit, read with `git` (the core stays
//! pure; this is the CLI's only outside process). YAML files are read in full (up to GitLab's
//! size limit, one byte past it, as the working tree's are), other files by name only, for
//! `rules:exists`; at most 20,000 files, as when a folder is read.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

use pipesim::Files;

const MAX_FILES: usize = 20_000;

fn git(root: &Path, args: &[&str]) -> Result<Vec<u8>, String> {
    let output = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(args)
        .output()
        .map_err(|e| format!("--git: cannot run git: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "--git: git {} failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(output.stdout)
}

/// The files under `root` (a folder of a git work tree) as they are at `rev`, with paths
/// relative to `root`.
pub fn files_at(root: &Path, rev: &str) -> Result<Files, String> {
    if rev.is_empty() || rev.starts_with('-') || rev.contains(['\n', ':']) {
        return Err(format!("--git {rev}: not a revision"));
    }
    let prefix = String::from_utf8_lossy(&git(root, &["rev-parse", "--show-prefix"])?)
        .trim()
        .to_owned();
    let tree = format!("{rev}:{prefix}");
    let listing = git(root, &["ls-tree", "-r", "-z", "--name-only", &tree])?;
    let names: Vec<String> = listing
        .split(|&b| b == 0)
        .filter(|n| !n.is_empty())
        .take(MAX_FILES)
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    let is_yaml = |n: &str| n.ends_with(".yml") || n.ends_with(".yaml");
    let yaml: Vec<&String> = names.iter().filter(|n| is_yaml(n)).collect();
    let contents = cat_files(root, &tree, &yaml)?;
    let mut files = Files::new();
    for name in &names {
        if !is_yaml(name) {
            files.insert(name, String::new());
        }
    }
    for (name, text) in yaml.into_iter().zip(contents) {
        files.insert(name, text);
    }
    Ok(files)
}

/// The contents of `names` in `tree`, through one `git cat-file --batch`.
fn cat_files(root: &Path, tree: &str, names: &[&String]) -> Result<Vec<String>, String> {
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let mut child = Command::new("git")
        .arg("-C")
        .arg(root)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("--git: cannot run git: {e}"))?;
    let mut stdin = child.stdin.take().ok_or("--git: no pipe to git")?;
    let requests: String = names
        .iter()
        .map(|n| format!("{}{}\n", tree_path(tree), n))
        .collect();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(requests.as_bytes());
    });
    let stdout = child.stdout.take().ok_or("--git: no pipe from git")?;
    let mut reader = BufReader::new(stdout);
    let cap = pipesim::yaml::reader::MAX_YAML_SIZE_BYTES + 1;
    let mut out = Vec::with_capacity(names.len());
    for _ in names {
        let mut header = String::new();
        reader
            .read_line(&mut header)
            .map_err(|e| format!("--git: reading from git: {e}"))?;
        let size: usize = header
            .split_whitespace()
            .nth(2)
            .and_then(|s| s.parse().ok())
            .unwrap_or(0);
        if header.trim_end().ends_with("missing") {
            out.push(String::new());
            continue;
        }
        // Keep at most one byte past the limit; skip the rest and the newline after it.
        let mut bytes = Vec::new();
        let kept = size.min(cap);
        let read = (&mut reader)
            .take(kept as u64)
            .read_to_end(&mut bytes)
            .map_err(|e| format!("--git: reading from git: {e}"))?;
        std::io::copy(
            &mut (&mut reader).take((size - read + 1) as u64),
            &mut std::io::sink(),
        )
        .map_err(|e| format!("--git: reading from git: {e}"))?;
        out.push(String::from_utf8_lossy(&bytes).into_owned());
    }
    let _ = writer.join();
    let _ = child.wait();
    Ok(out)
}

/// `REV:prefix` as the start of a `REV:path` object name.
fn tree_path(tree: &str) -> String {
    if tree.ends_with(':') || tree.ends_with('/') {
        tree.to_owned()
    } else {
        format!("{tree}/")
    }
}
