//! Static, best-effort analysis of a job's shell commands: which files they write (and, for
//! dotenv reports, which `KEY=VALUE` lines), which files they read, and what they `export`.
//!
//! Input: the job's `before_script` + `script` entries as GitLab flattens them, one string per
//! entry (an entry may span several lines, e.g. a heredoc). The lexer follows bash (the runner's
//! shell when bash is available): single quotes are literal, double quotes keep `$`, `` ` `` and
//! `\` special, heredocs with a quoted delimiter are literal. Anything that is only known at run
//! time (`$VAR`, `${VAR}`, `$(cmd)`, `` `cmd` ``) stays as written and makes a value unknown.
//!
//! Never panics, allocates linearly in the input size, and runs in linear time: command
//! substitutions are re-analysed at most [`MAX_DEPTH`] levels deep, and `printf` output is capped.

use serde::Serialize;

/// Everything the analysis found, in script order.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ScriptFacts {
    pub writes: Vec<FileWrite>,
    pub reads: Vec<FileRead>,
    /// `export K=V` → `(K, Some(V))`; `export K`, or a value known only at run time → `(K, None)`.
    pub exports: Vec<(String, Option<String>)>,
    /// Indices into `reads` of reads that end the job when the file is missing: the command
    /// runs unconditionally (not in `if`/`case`/a loop, an `&&`/`||` list, a command
    /// substitution or the background), so the runner's `set -eo pipefail` stops the script
    /// at its failure.
    pub fatal_reads: Vec<usize>,
    /// Commands whose effects pipesim cannot see (a script file, an interpreter or build tool,
    /// a command name known only at run time), with their command index: they may write
    /// files.
    pub opaque: Vec<(usize, String)>,
}

/// Commands that run code pipesim does not read: interpreters and build tools.
const OPAQUE: &[&str] = &[
    "bash",
    "sh",
    "zsh",
    "dash",
    "ksh",
    "python",
    "python3",
    "node",
    "ruby",
    "perl",
    "php",
    "make",
    "cmake",
    "ninja",
    "npm",
    "npx",
    "yarn",
    "pnpm",
    "gradle",
    "mvn",
    "ant",
    "go",
    "cargo",
    "dotnet",
    "msbuild",
    "docker",
    "bundle",
    "rake",
    "pip",
    "pip3",
    "poetry",
    "tox",
    "terraform",
    "ansible-playbook",
    "helm",
    "kubectl",
    "curl",
    "wget",
    "tar",
    "unzip",
    "git",
    "eval",
    "xargs",
    "env",
    "sudo",
    "find",
    "rsync",
    "scp",
    "java",
    "mix",
    "composer",
    "sbt",
    "bazel",
    "meson",
    "just",
    "task",
];

/// A command that writes (or truncates) a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileWrite {
    /// Normalised (`./build.env` → `build.env`); expansions are kept as written
    /// (`$CI_PROJECT_DIR/build.env`), quotes removed.
    pub path: String,
    /// `>>`, `tee -a`, `&>>`.
    pub append: bool,
    /// Index of the script entry in the slice given to [`analyze`].
    pub command: usize,
    /// One entry per line the command writes, in order.
    pub entries: Vec<DotenvLine>,
    /// False when some content could not be read statically (`env > f`, `cat x > f`, loops, a
    /// line whose key is only known at run time).
    pub complete: bool,
}

/// One written line, split the way GitLab's dotenv parser splits it (first `=`, key and value
/// stripped). A line without any `=` (GitLab: `Invalid Format`, e.g. a blank line) has an empty
/// `key`, `value: None` and a `raw` without `=`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DotenvLine {
    pub key: String,
    /// `None`: known only at run time.
    pub value: Option<String>,
    /// The line as the shell would write it, with run-time parts as written (`K=$(date)`),
    /// without the trailing newline.
    pub raw: String,
}

/// A command that reads a file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileRead {
    pub path: String,
    pub command: usize,
    /// `source`, `.`, `cat`, `<`, `grep`, `head`, `tail`, `cp`, `mv`.
    pub how: String,
}

/// How deep `$(...)`, `` `...` `` and `<(...)` bodies are re-analysed.
pub const MAX_DEPTH: usize = 4;

/// Upper bound on the characters `printf` may produce per call before its output is treated as
/// unknown (keeps format reuse linear).
const PRINTF_BUDGET: usize = 1 << 16;

/// Total output characters split into [`DotenvLine`]s per [`analyze`] call; writes beyond it are
/// reported without entries and incomplete (keeps `tee a b c ...` and long pipelines linear).
const WRITE_BUDGET: usize = 1 << 20;

/// Groups nested deeper than this do not collect output (keeps deep nesting linear).
const MAX_GROUP_DEPTH: usize = 64;

/// Analyses the script entries in order.
pub fn analyze(commands: &[String]) -> ScriptFacts {
    let mut facts = ScriptFacts::default();
    let mut budget = WRITE_BUDGET;
    for (i, c) in commands.iter().enumerate() {
        analyze_source(c, i, 0, &mut facts, &mut budget);
    }
    facts
}

fn analyze_source(
    src: &str,
    command: usize,
    depth: usize,
    facts: &mut ScriptFacts,
    budget: &mut usize,
) {
    let chars: Vec<char> = src.chars().collect();
    let tokens = Lexer::new(&chars).run();
    let facts_len = facts.reads.len();
    Interp {
        command,
        depth,
        facts,
        budget,
        groups: Vec::new(),
        list_start: facts_len,
        guarded: false,
        group_lists: Vec::new(),
    }
    .run(tokens);
}

// ---------------------------------------------------------------------------------------------
// Words

#[derive(Clone, Debug, PartialEq, Eq)]
enum Seg {
    /// Text known statically (quotes already removed).
    Lit(String),
    /// A run-time expansion, as written.
    Dyn(String),
}

#[derive(Clone, Debug, Default)]
struct Word {
    segs: Vec<Seg>,
    /// Bodies of command substitutions inside the word, in order.
    subs: Vec<String>,
    /// Any quoting or escaping was used.
    quoted: bool,
    /// Leading text lexed as plain unquoted characters (for `NAME=` assignment detection).
    plain_prefix: String,
    /// Still in the plain prefix.
    plain: bool,
}

impl Word {
    fn new() -> Self {
        Word {
            plain: true,
            ..Word::default()
        }
    }

    fn push_lit(&mut self, c: char) {
        if let Some(Seg::Lit(s)) = self.segs.last_mut() {
            s.push(c);
        } else {
            // Room for a typical word, which grows a character at a time.
            let mut s = String::with_capacity(16);
            s.push(c);
            self.segs.push(Seg::Lit(s));
        }
    }

    fn push_plain(&mut self, c: char) {
        if self.plain {
            self.plain_prefix.push(c);
        }
        self.push_lit(c);
    }

    fn push_dyn(&mut self, raw: String) {
        self.plain = false;
        self.segs.push(Seg::Dyn(raw));
    }

    fn static_text(&self) -> Option<String> {
        let mut len = 0;
        for seg in &self.segs {
            match seg {
                Seg::Lit(s) => len += s.len(),
                Seg::Dyn(_) => return None,
            }
        }
        // Sized up front: this runs for every word of every script.
        let mut out = String::with_capacity(len);
        for seg in &self.segs {
            if let Seg::Lit(s) = seg {
                out.push_str(s);
            }
        }
        Some(out)
    }

    fn display(&self) -> String {
        display(&self.segs)
    }

    /// Static text of an unquoted word, for reserved words and flags.
    fn bare(&self) -> Option<String> {
        if self.quoted {
            None
        } else {
            self.static_text()
        }
    }
}

fn display(segs: &[Seg]) -> String {
    let mut out = String::new();
    for seg in segs {
        match seg {
            Seg::Lit(s) | Seg::Dyn(s) => out.push_str(s),
        }
    }
    out
}

fn push_seg(segs: &mut Vec<Seg>, seg: Seg) {
    match (segs.last_mut(), seg) {
        (_, Seg::Lit(s)) if s.is_empty() => {}
        (Some(Seg::Lit(prev)), Seg::Lit(s)) => prev.push_str(&s),
        (_, seg) => segs.push(seg),
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Op {
    And,
    Or,
    Semi,
    Amp,
    Newline,
    Pipe,
    Open,
    Close,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum RKind {
    Out,
    Append,
    Clobber,
    OutErr,
    OutErrAppend,
    DupOut,
    In,
    DupIn,
    ReadWrite,
    Heredoc,
    HereString,
}

#[derive(Clone, Debug)]
struct Redir {
    fd: Option<u32>,
    kind: RKind,
    target: Option<Word>,
    body: Vec<Seg>,
    body_subs: Vec<String>,
}

#[derive(Clone, Debug)]
enum Tok {
    Word(Word),
    Op(Op),
    Redir(Redir),
}

struct PendingHeredoc {
    token: usize,
    delim: String,
    strip_tabs: bool,
    quoted: bool,
}

struct Lexer<'a> {
    s: &'a [char],
    pos: usize,
    toks: Vec<Tok>,
    pending: Vec<PendingHeredoc>,
}

fn is_meta(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\n' | ';' | '&' | '|' | '<' | '>' | '(' | ')'
    )
}

impl<'a> Lexer<'a> {
    fn new(s: &'a [char]) -> Self {
        Lexer {
            s,
            pos: 0,
            toks: Vec::new(),
            pending: Vec::new(),
        }
    }

    fn peek(&self, k: usize) -> Option<char> {
        self.s.get(self.pos + k).copied()
    }

    fn slice(&self, from: usize, to: usize) -> String {
        let to = to.min(self.s.len());
        let from = from.min(to);
        self.s[from..to].iter().collect()
    }

    fn run(mut self) -> Vec<Tok> {
        while let Some(c) = self.peek(0) {
            match c {
                ' ' | '\t' | '\r' => self.pos += 1,
                '\\' if self.peek(1) == Some('\n') => self.pos += 2,
                '\n' => {
                    self.pos += 1;
                    self.toks.push(Tok::Op(Op::Newline));
                    self.read_heredocs();
                }
                '#' => {
                    while let Some(c) = self.peek(0) {
                        if c == '\n' {
                            break;
                        }
                        self.pos += 1;
                    }
                }
                ';' => {
                    self.pos += 1;
                    while matches!(self.peek(0), Some(';') | Some('&')) {
                        self.pos += 1;
                    }
                    self.toks.push(Tok::Op(Op::Semi));
                }
                '&' => match self.peek(1) {
                    Some('&') => {
                        self.pos += 2;
                        self.toks.push(Tok::Op(Op::And));
                    }
                    Some('>') => self.redirect(None),
                    _ => {
                        self.pos += 1;
                        self.toks.push(Tok::Op(Op::Amp));
                    }
                },
                '|' => match self.peek(1) {
                    Some('|') => {
                        self.pos += 2;
                        self.toks.push(Tok::Op(Op::Or));
                    }
                    Some('&') => {
                        self.pos += 2;
                        self.toks.push(Tok::Op(Op::Pipe));
                    }
                    _ => {
                        self.pos += 1;
                        self.toks.push(Tok::Op(Op::Pipe));
                    }
                },
                '(' if self.peek(1) == Some('(') => {
                    // Arithmetic command `(( ... ))`: one opaque word.
                    let start = self.pos;
                    self.pos += 2;
                    self.skip_parens(2);
                    let mut w = Word::new();
                    w.push_dyn(self.slice(start, self.pos));
                    self.toks.push(Tok::Word(w));
                }
                '(' => {
                    self.pos += 1;
                    self.toks.push(Tok::Op(Op::Open));
                }
                ')' => {
                    self.pos += 1;
                    self.toks.push(Tok::Op(Op::Close));
                }
                '<' | '>' if self.peek(1) == Some('(') => {
                    // Process substitution `<(cmd)` / `>(cmd)`: an opaque word.
                    let start = self.pos;
                    self.pos += 2;
                    let body_start = self.pos;
                    let end = self.skip_parens(1);
                    let mut w = Word::new();
                    w.subs.push(self.slice(body_start, end));
                    w.push_dyn(self.slice(start, self.pos));
                    self.toks.push(Tok::Word(w));
                }
                '<' | '>' => self.redirect(None),
                d if d.is_ascii_digit() => {
                    let mut k = 0;
                    while self.peek(k).is_some_and(|c| c.is_ascii_digit()) {
                        k += 1;
                    }
                    if matches!(self.peek(k), Some('<') | Some('>'))
                        && self.peek(k + 1) != Some('(')
                    {
                        let fd = self.slice(self.pos, self.pos + k).parse::<u32>().ok();
                        self.pos += k;
                        self.redirect(Some(fd.unwrap_or(u32::MAX)));
                    } else {
                        let w = self.read_word();
                        self.toks.push(Tok::Word(w));
                    }
                }
                _ => {
                    let w = self.read_word();
                    self.toks.push(Tok::Word(w));
                }
            }
        }
        self.read_heredocs();
        self.toks
    }

    fn redirect(&mut self, fd: Option<u32>) {
        let (kind, len) = match (self.peek(0), self.peek(1), self.peek(2)) {
            (Some('&'), Some('>'), Some('>')) => (RKind::OutErrAppend, 3),
            (Some('&'), Some('>'), _) => (RKind::OutErr, 2),
            (Some('>'), Some('>'), _) => (RKind::Append, 2),
            (Some('>'), Some('|'), _) => (RKind::Clobber, 2),
            (Some('>'), Some('&'), _) => (RKind::DupOut, 2),
            (Some('<'), Some('<'), Some('<')) => (RKind::HereString, 3),
            (Some('<'), Some('<'), Some('-')) => (RKind::Heredoc, 3),
            (Some('<'), Some('<'), _) => (RKind::Heredoc, 2),
            (Some('<'), Some('&'), _) => (RKind::DupIn, 2),
            (Some('<'), Some('>'), _) => (RKind::ReadWrite, 2),
            (Some('<'), _, _) => (RKind::In, 1),
            _ => (RKind::Out, 1),
        };
        let strip_tabs = kind == RKind::Heredoc && len == 3;
        self.pos += len;
        while matches!(self.peek(0), Some(' ') | Some('\t')) {
            self.pos += 1;
        }
        let target = match self.peek(0) {
            Some(c) if !is_meta(c) => Some(self.read_word()),
            _ => None,
        };
        let token = self.toks.len();
        if kind == RKind::Heredoc {
            if let Some(t) = &target {
                self.pending.push(PendingHeredoc {
                    token,
                    delim: t.display(),
                    strip_tabs,
                    quoted: t.quoted,
                });
            }
        }
        self.toks.push(Tok::Redir(Redir {
            fd,
            kind,
            target,
            body: Vec::new(),
            body_subs: Vec::new(),
        }));
    }

    fn read_heredocs(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        for p in pending {
            let mut body = String::new();
            while self.pos < self.s.len() {
                let start = self.pos;
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.pos += 1;
                }
                let mut line = self.slice(start, self.pos);
                if self.pos < self.s.len() {
                    self.pos += 1;
                }
                if p.strip_tabs {
                    line = line.trim_start_matches('\t').to_string();
                }
                if line == p.delim || line.strip_suffix('\r') == Some(p.delim.as_str()) {
                    break;
                }
                body.push_str(&line);
                body.push('\n');
            }
            let (segs, subs) = if p.quoted {
                (vec![Seg::Lit(body)], Vec::new())
            } else {
                expand_heredoc(&body)
            };
            if let Some(Tok::Redir(r)) = self.toks.get_mut(p.token) {
                r.body = segs;
                r.body_subs = subs;
            }
        }
    }

    fn read_word(&mut self) -> Word {
        let mut w = Word::new();
        while let Some(c) = self.peek(0) {
            if is_meta(c) || c == '\r' {
                break;
            }
            match c {
                '\'' => {
                    w.quoted = true;
                    w.plain = false;
                    self.pos += 1;
                    while let Some(c) = self.peek(0) {
                        self.pos += 1;
                        if c == '\'' {
                            break;
                        }
                        w.push_lit(c);
                    }
                }
                '"' => {
                    w.quoted = true;
                    w.plain = false;
                    self.pos += 1;
                    self.double_quoted(&mut w);
                }
                '\\' => {
                    w.quoted = true;
                    w.plain = false;
                    match self.peek(1) {
                        Some('\n') => self.pos += 2,
                        Some(n) => {
                            w.push_lit(n);
                            self.pos += 2;
                        }
                        None => {
                            w.push_lit('\\');
                            self.pos += 1;
                        }
                    }
                }
                '$' => self.dollar(&mut w, false),
                '`' => self.backtick(&mut w),
                _ => {
                    w.push_plain(c);
                    self.pos += 1;
                }
            }
        }
        w
    }

    /// After the opening `"`; consumes the closing one.
    fn double_quoted(&mut self, w: &mut Word) {
        while let Some(c) = self.peek(0) {
            match c {
                '"' => {
                    self.pos += 1;
                    return;
                }
                '\\' => match self.peek(1) {
                    Some(n @ ('$' | '`' | '"' | '\\')) => {
                        w.push_lit(n);
                        self.pos += 2;
                    }
                    Some('\n') => self.pos += 2,
                    _ => {
                        w.push_lit('\\');
                        self.pos += 1;
                    }
                },
                '$' => self.dollar(w, true),
                '`' => self.backtick(w),
                _ => {
                    w.push_lit(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// At a `$`; always advances.
    fn dollar(&mut self, w: &mut Word, in_dq: bool) {
        let start = self.pos;
        match self.peek(1) {
            Some('(') if self.peek(2) == Some('(') => {
                self.pos += 3;
                self.skip_parens(2);
                w.push_dyn(self.slice(start, self.pos));
            }
            Some('(') => {
                self.pos += 2;
                let body_start = self.pos;
                let end = self.skip_parens(1);
                w.subs.push(self.slice(body_start, end));
                w.push_dyn(self.slice(start, self.pos));
            }
            Some('{') => {
                self.pos += 2;
                self.skip_braces();
                w.push_dyn(self.slice(start, self.pos));
            }
            Some(c) if c == '_' || c.is_ascii_alphabetic() => {
                self.pos += 1;
                while self
                    .peek(0)
                    .is_some_and(|c| c == '_' || c.is_ascii_alphanumeric())
                {
                    self.pos += 1;
                }
                w.push_dyn(self.slice(start, self.pos));
            }
            Some(c) if c.is_ascii_digit() || "@*#?$!-".contains(c) => {
                self.pos += 2;
                w.push_dyn(self.slice(start, self.pos));
            }
            Some('\'') if !in_dq => {
                // ANSI-C quoting `$'...'`.
                w.quoted = true;
                w.plain = false;
                self.pos += 2;
                while let Some(c) = self.peek(0) {
                    self.pos += 1;
                    match c {
                        '\'' => break,
                        '\\' => {
                            let n = self.peek(0);
                            self.pos += usize::from(n.is_some());
                            match n {
                                Some('n') => w.push_lit('\n'),
                                Some('t') => w.push_lit('\t'),
                                Some('r') => w.push_lit('\r'),
                                Some(n @ ('\\' | '\'' | '"')) => w.push_lit(n),
                                Some(n) => {
                                    w.push_lit('\\');
                                    w.push_lit(n);
                                }
                                None => w.push_lit('\\'),
                            }
                        }
                        _ => w.push_lit(c),
                    }
                }
            }
            Some('"') if !in_dq => {
                // `$"..."` (locale translation): the `"` is handled next as a double quote.
                self.pos += 1;
            }
            _ => {
                w.push_lit('$');
                w.plain = false;
                self.pos += 1;
            }
        }
    }

    /// At a backtick; records the body as a command substitution.
    fn backtick(&mut self, w: &mut Word) {
        let start = self.pos;
        self.pos += 1;
        let mut body = String::new();
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            match c {
                '`' => break,
                '\\' => match self.peek(0) {
                    Some(n @ ('$' | '`' | '\\')) => {
                        body.push(n);
                        self.pos += 1;
                    }
                    _ => body.push('\\'),
                },
                _ => body.push(c),
            }
        }
        w.subs.push(body);
        w.push_dyn(self.slice(start, self.pos));
    }

    /// Skips to the `)` closing `depth` open parentheses (quote-aware). Returns the index of
    /// that `)` (or the end) and leaves `pos` after it.
    fn skip_parens(&mut self, mut depth: usize) -> usize {
        while let Some(c) = self.peek(0) {
            match c {
                '(' => depth += 1,
                ')' => {
                    depth = depth.saturating_sub(1);
                    if depth == 0 {
                        let end = self.pos;
                        self.pos += 1;
                        return end;
                    }
                }
                '\'' | '"' | '`' => {
                    self.skip_quoted(c);
                    continue;
                }
                '\\' => self.pos += 1,
                _ => {}
            }
            self.pos += 1;
        }
        self.s.len()
    }

    /// After `${`: skips to the matching `}`.
    fn skip_braces(&mut self) {
        let mut depth = 1usize;
        while let Some(c) = self.peek(0) {
            match c {
                '{' => depth += 1,
                '}' => {
                    depth -= 1;
                    if depth == 0 {
                        self.pos += 1;
                        return;
                    }
                }
                '\'' | '"' | '`' => {
                    self.skip_quoted(c);
                    continue;
                }
                '\\' => self.pos += 1,
                _ => {}
            }
            self.pos += 1;
        }
    }

    /// At an opening quote `q`; leaves `pos` after the closing one.
    fn skip_quoted(&mut self, q: char) {
        self.pos += 1;
        while let Some(c) = self.peek(0) {
            self.pos += 1;
            if c == q {
                return;
            }
            if c == '\\' && q != '\'' {
                self.pos += 1;
            }
        }
    }
}

/// Expansion inside an unquoted-delimiter heredoc body: `$...`, `` `...` `` and `\$`, `` \` ``,
/// `\\`, `\newline` escapes; everything else literal.
fn expand_heredoc(body: &str) -> (Vec<Seg>, Vec<String>) {
    let chars: Vec<char> = body.chars().collect();
    let mut lx = Lexer::new(&chars);
    let mut w = Word::new();
    while let Some(c) = lx.peek(0) {
        match c {
            '\\' => match lx.peek(1) {
                Some(n @ ('$' | '`' | '\\')) => {
                    w.push_lit(n);
                    lx.pos += 2;
                }
                Some('\n') => lx.pos += 2,
                _ => {
                    w.push_lit('\\');
                    lx.pos += 1;
                }
            },
            '$' => lx.dollar(&mut w, true),
            '`' => lx.backtick(&mut w),
            _ => {
                w.push_lit(c);
                lx.pos += 1;
            }
        }
    }
    (w.segs, w.subs)
}

// ---------------------------------------------------------------------------------------------
// Interpreter

/// What a command prints: `segs` (with run-time parts as [`Seg::Dyn`]); `known` is false when
/// some of the output is missing from `segs` altogether.
#[derive(Clone, Debug)]
struct Content {
    segs: Vec<Seg>,
    known: bool,
}

impl Content {
    fn empty() -> Self {
        Content {
            segs: Vec::new(),
            known: true,
        }
    }

    fn unknown() -> Self {
        Content {
            segs: Vec::new(),
            known: false,
        }
    }

    fn push_lit(&mut self, s: &str) {
        push_seg(&mut self.segs, Seg::Lit(s.to_string()));
    }

    fn push(&mut self, seg: Seg) {
        push_seg(&mut self.segs, seg);
    }

    fn extend(&mut self, other: Content) {
        for seg in other.segs {
            push_seg(&mut self.segs, seg);
        }
        self.known &= other.known;
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum GroupKind {
    Brace,
    Paren,
    If,
    Loop,
    Case,
}

struct Group {
    kind: GroupKind,
    content: Content,
}

#[derive(Default)]
struct Stage {
    words: Vec<Word>,
    redirs: Vec<Redir>,
    /// Output of a group closed by this stage's first token (`}`, `)`, `fi`, `done`, `esac`).
    group_out: Option<Content>,
    /// `for x in ...` / `case x in` header: only substitutions are analysed.
    header: bool,
    /// `[[ ... ]]`: `<` and `>` are comparisons.
    test: bool,
}

impl Stage {
    fn is_empty(&self) -> bool {
        self.words.is_empty() && self.redirs.is_empty() && self.group_out.is_none()
    }
}

struct Interp<'f> {
    command: usize,
    depth: usize,
    facts: &'f mut ScriptFacts,
    budget: &'f mut usize,
    groups: Vec<Group>,
    /// Index in `facts.reads` where the current `&&`/`||` list began.
    list_start: usize,
    /// The current list has an `&&` or `||`: a failure in it does not end the script.
    guarded: bool,
    /// `list_start` of the lists that enclose the open groups.
    group_lists: Vec<usize>,
}

const SILENT: &[&str] = &[
    ":", "true", "false", "cd", "export", "set", "unset", "read", "mkdir", "rm", "cp", "mv",
    "touch", "chmod", "chown", "ln", "shift", "local", "declare", "typeset", "readonly", "alias",
    "[", "test", "[[", "sleep", "wait", "exit", "return", "break", "continue", "trap", "umask",
    "pushd", "popd",
];

impl Interp<'_> {
    fn run(mut self, tokens: Vec<Tok>) {
        let mut stage = Stage::default();
        let mut piped: Option<Content> = None;
        for tok in tokens {
            match tok {
                Tok::Word(w) => self.word(&mut stage, w),
                Tok::Redir(r) => stage.redirs.push(r),
                Tok::Op(Op::Pipe) => {
                    let s = std::mem::take(&mut stage);
                    piped = Some(self.exec(s, piped.take()));
                }
                Tok::Op(op) => {
                    let s = std::mem::take(&mut stage);
                    self.finish(s, piped.take());
                    self.end_list_part(op);
                    match op {
                        Op::Open => self.open(GroupKind::Paren),
                        // Inside `case`, `)` ends a pattern.
                        Op::Close if !self.in_case() => {
                            stage.group_out = self.close(GroupKind::Paren);
                        }
                        _ => {}
                    }
                }
            }
        }
        self.finish(stage, piped);
    }

    fn word(&mut self, stage: &mut Stage, w: Word) {
        if stage.words.is_empty() && stage.group_out.is_none() && !stage.header {
            if let Some(bare) = w.bare() {
                match bare.as_str() {
                    "{" => return self.open(GroupKind::Brace),
                    "}" => {
                        stage.group_out = self.close(GroupKind::Brace);
                        return;
                    }
                    "if" => return self.open(GroupKind::If),
                    "fi" => {
                        stage.group_out = self.close(GroupKind::If);
                        return;
                    }
                    "while" | "until" => return self.open(GroupKind::Loop),
                    "for" | "select" => {
                        self.open(GroupKind::Loop);
                        stage.header = true;
                    }
                    "done" => {
                        stage.group_out = self.close(GroupKind::Loop);
                        return;
                    }
                    "case" => {
                        self.open(GroupKind::Case);
                        stage.header = true;
                    }
                    "esac" => {
                        stage.group_out = self.close(GroupKind::Case);
                        return;
                    }
                    "then" | "else" | "elif" | "do" | "!" | "time" => return,
                    "[[" => stage.test = true,
                    _ => {}
                }
            }
        }
        stage.words.push(w);
    }

    /// After a stage ended by `op`: `&&`/`||` guard the whole list, `&` backgrounds it, and
    /// `;` or a newline start a new one.
    fn end_list_part(&mut self, op: Op) {
        match op {
            Op::And | Op::Or => {
                self.guarded = true;
                self.unfatal_since(self.list_start);
            }
            Op::Amp => {
                self.unfatal_since(self.list_start);
                self.new_list();
            }
            Op::Semi | Op::Newline => self.new_list(),
            Op::Pipe | Op::Open | Op::Close => {}
        }
    }

    fn new_list(&mut self) {
        self.list_start = self.facts.reads.len();
        self.guarded = false;
    }

    fn unfatal_since(&mut self, start: usize) {
        self.facts.fatal_reads.retain(|&i| i < start);
    }

    fn open(&mut self, kind: GroupKind) {
        self.group_lists.push(self.list_start);
        self.new_list();
        self.groups.push(Group {
            kind,
            content: Content::empty(),
        });
    }

    /// Closes the innermost group of `kind` (and any unclosed groups inside it).
    fn close(&mut self, kind: GroupKind) -> Option<Content> {
        let at = self.groups.iter().rposition(|g| g.kind == kind)?;
        // The group is one command of the list around it.
        let closed = self.groups.len() - at;
        for _ in 0..closed {
            if let Some(start) = self.group_lists.pop() {
                self.list_start = start;
            }
        }
        self.guarded = false;
        let mut content = Content::empty();
        for g in self.groups.drain(at..) {
            content.extend(g.content);
        }
        if kind != GroupKind::Brace && kind != GroupKind::Paren {
            // Branches and iterations: the lines may appear zero, one or many times.
            content.known = false;
        }
        Some(content)
    }

    fn in_case(&self) -> bool {
        self.groups.last().map(|g| g.kind) == Some(GroupKind::Case)
    }

    fn in_loop(&self) -> bool {
        self.groups.iter().any(|g| g.kind == GroupKind::Loop)
    }

    /// Runs the last stage of a pipeline; its output goes to the enclosing group, if any.
    fn finish(&mut self, stage: Stage, piped: Option<Content>) {
        if stage.is_empty() && piped.is_none() {
            return;
        }
        let out = self.exec(stage, piped);
        let deep = self.groups.len() > MAX_GROUP_DEPTH;
        if let Some(g) = self.groups.last_mut() {
            if deep {
                g.content.known = false;
            } else {
                g.content.extend(out);
            }
        }
    }

    fn recurse(&mut self, body: &str) {
        if self.depth < MAX_DEPTH {
            analyze_source(body, self.command, self.depth + 1, self.facts, self.budget);
        }
    }

    /// Executes one pipeline stage; returns what it prints to stdout.
    fn exec(&mut self, stage: Stage, piped: Option<Content>) -> Content {
        if stage.is_empty() {
            return Content::empty();
        }
        // Command substitutions run first.
        for w in &stage.words {
            for sub in &w.subs {
                self.recurse(sub);
            }
        }
        for r in &stage.redirs {
            for sub in r.target.iter().flat_map(|t| t.subs.iter()) {
                self.recurse(sub);
            }
            for sub in &r.body_subs {
                self.recurse(sub);
            }
        }
        if stage.header {
            return Content::empty();
        }
        let redirs: Vec<Redir> = if stage.test { Vec::new() } else { stage.redirs };

        // stdin
        let mut stdin = piped;
        for r in &redirs {
            match r.kind {
                RKind::In | RKind::ReadWrite if matches!(r.fd, None | Some(0)) => {
                    if let Some(t) = &r.target {
                        self.read(t, "<");
                    }
                    stdin = Some(Content::unknown());
                }
                RKind::Heredoc => {
                    stdin = Some(Content {
                        segs: r.body.clone(),
                        known: true,
                    });
                }
                RKind::HereString => {
                    let mut c = Content {
                        segs: r
                            .target
                            .as_ref()
                            .map(|t| t.segs.clone())
                            .unwrap_or_default(),
                        known: true,
                    };
                    c.push_lit("\n");
                    stdin = Some(c);
                }
                _ => {}
            }
        }

        let out = match stage.group_out {
            Some(content) => content,
            None => self.command_output(&stage.words, stdin),
        };

        // stdout redirections
        let mut targets: Vec<(&Word, bool)> = Vec::new();
        let mut consumed = false;
        for r in &redirs {
            let stdout_fd = matches!(r.fd, None | Some(1));
            match (r.kind, &r.target) {
                (RKind::Out | RKind::Clobber | RKind::Append, Some(t)) if stdout_fd => {
                    targets.push((t, r.kind == RKind::Append));
                }
                (RKind::OutErr | RKind::OutErrAppend, Some(t)) => {
                    targets.push((t, r.kind == RKind::OutErrAppend));
                }
                (RKind::DupOut, Some(t)) => {
                    let dest = t.bare().unwrap_or_default();
                    if !dest.is_empty() && dest.chars().all(|c| c.is_ascii_digit() || c == '-') {
                        if stdout_fd && dest != "1" {
                            consumed = true;
                        }
                    } else if r.fd.is_none() {
                        targets.push((t, false));
                    }
                }
                (RKind::Out | RKind::Clobber | RKind::Append, Some(t)) => {
                    // Another descriptor (usually stderr): content unknown.
                    self.write(t, r.kind == RKind::Append, &Content::unknown());
                }
                _ => {}
            }
        }
        let n = targets.len();
        for (i, (t, append)) in targets.into_iter().enumerate() {
            if i + 1 == n {
                self.write(t, append, &out);
            } else {
                self.write(t, append, &Content::empty());
            }
        }
        if n > 0 || consumed {
            Content::empty()
        } else {
            out
        }
    }

    fn command_output(&mut self, words: &[Word], stdin: Option<Content>) -> Content {
        // Skip `NAME=value` prefixes and `command` / `builtin`.
        let mut i = 0;
        while let Some(w) = words.get(i) {
            let is_assignment = w
                .plain_prefix
                .split_once('=')
                .is_some_and(|(name, _)| is_name(name.strip_suffix('+').unwrap_or(name)));
            let is_prefix = matches!(w.bare().as_deref(), Some("command" | "builtin"));
            if is_assignment || is_prefix {
                i += 1;
            } else {
                break;
            }
        }
        let Some(name_word) = words.get(i) else {
            return Content::empty();
        };
        let args = words.get(i + 1..).unwrap_or_default();
        let Some(name) = name_word.static_text() else {
            self.facts.opaque.push((self.command, name_word.display()));
            return Content::unknown();
        };
        if name.contains('/') || name.ends_with(".sh") || OPAQUE.contains(&name.as_str()) {
            self.facts.opaque.push((self.command, name.clone()));
        }
        match name.as_str() {
            "echo" => echo(args),
            "printf" => printf(args),
            "cat" => {
                let files = positional(args);
                if files.is_empty()
                    || files
                        .iter()
                        .all(|f| f.static_text().as_deref() == Some("-"))
                {
                    stdin.unwrap_or_else(Content::unknown)
                } else {
                    for f in files {
                        self.read(f, "cat");
                    }
                    Content::unknown()
                }
            }
            "tee" => {
                let append = args.iter().any(|a| {
                    a.bare().is_some_and(|s| {
                        s == "--append"
                            || (s.starts_with('-') && !s.starts_with("--") && s.contains('a'))
                    })
                });
                let content = stdin.unwrap_or_else(Content::unknown);
                for f in positional(args) {
                    self.write(f, append, &content);
                }
                content
            }
            "source" | "." => {
                if let Some(f) = args.first() {
                    self.read(f, &name);
                }
                Content::unknown()
            }
            "export" => {
                self.export(args);
                Content::empty()
            }
            "grep" | "egrep" | "fgrep" => {
                self.grep(args);
                Content::unknown()
            }
            "head" | "tail" => {
                let mut k = 0;
                while let Some(a) = args.get(k) {
                    match a.bare().as_deref() {
                        Some("-n" | "-c") => k += 2,
                        Some(s) if s.starts_with('-') && s.len() > 1 => k += 1,
                        _ => {
                            self.read(a, &name);
                            k += 1;
                        }
                    }
                }
                Content::unknown()
            }
            "cp" | "mv" => {
                let files = positional(args);
                if let Some((dest, sources)) = files.split_last() {
                    if !sources.is_empty() {
                        for s in sources {
                            self.read(s, &name);
                        }
                        self.write(dest, false, &Content::unknown());
                    }
                }
                Content::empty()
            }
            n if SILENT.contains(&n) => Content::empty(),
            _ => Content::unknown(),
        }
    }

    fn export(&mut self, args: &[Word]) {
        for a in args {
            if a.bare().is_some_and(|s| s.starts_with('-')) {
                continue;
            }
            let Some(Seg::Lit(first)) = a.segs.first() else {
                continue;
            };
            match first.split_once('=') {
                Some((name, rest)) => {
                    if !is_name(name) {
                        continue;
                    }
                    let mut value = vec![Seg::Lit(rest.to_string())];
                    value.extend(a.segs.iter().skip(1).cloned());
                    let value = Word {
                        segs: value,
                        ..Word::new()
                    };
                    self.facts
                        .exports
                        .push((name.to_string(), value.static_text()));
                }
                None => {
                    if a.segs.len() == 1 && is_name(first) {
                        self.facts.exports.push((first.clone(), None));
                    }
                }
            }
        }
    }

    fn grep(&mut self, args: &[Word]) {
        let mut pattern_given = false;
        let mut positionals = Vec::new();
        let mut k = 0;
        let mut options_done = false;
        while let Some(a) = args.get(k) {
            k += 1;
            let bare = if options_done { None } else { a.bare() };
            match bare.as_deref() {
                Some("--") => options_done = true,
                Some("-e" | "--regexp") => {
                    pattern_given = true;
                    k += 1;
                }
                Some("-f" | "--file") => {
                    pattern_given = true;
                    if let Some(f) = args.get(k) {
                        self.read(f, "grep");
                    }
                    k += 1;
                }
                Some("-m" | "-A" | "-B" | "-C" | "--max-count") => k += 1,
                Some(s) if s.starts_with("--regexp=") || s.starts_with("-e") && s.len() > 2 => {
                    pattern_given = true;
                }
                Some(s) if s.starts_with('-') && s.len() > 1 => {}
                _ => positionals.push(a),
            }
        }
        let skip = usize::from(!pattern_given);
        for f in positionals.into_iter().skip(skip) {
            self.read(f, "grep");
        }
    }

    fn read(&mut self, w: &Word, how: &str) {
        let path = normalize_path(&w.display());
        if path.is_empty() || is_device(&path) || path == "-" {
            return;
        }
        let conditional = self
            .groups
            .iter()
            .any(|g| matches!(g.kind, GroupKind::If | GroupKind::Loop | GroupKind::Case));
        if !self.guarded && !conditional && self.depth == 0 {
            self.facts.fatal_reads.push(self.facts.reads.len());
        }
        self.facts.reads.push(FileRead {
            path,
            command: self.command,
            how: how.to_string(),
        });
    }

    fn write(&mut self, w: &Word, append: bool, content: &Content) {
        let path = normalize_path(&w.display());
        if path.is_empty() || is_device(&path) {
            return;
        }
        let size: usize = content
            .segs
            .iter()
            .map(|s| match s {
                Seg::Lit(t) | Seg::Dyn(t) => t.len(),
            })
            .sum();
        let (entries, keys_known) = if size <= *self.budget {
            *self.budget -= size;
            split_lines(&content.segs)
        } else {
            (Vec::new(), false)
        };
        let complete = content.known && keys_known && !self.in_loop();
        self.facts.writes.push(FileWrite {
            path,
            append,
            command: self.command,
            entries,
            complete,
        });
    }
}

/// Non-option arguments (a lone `-` included; `--` ends options).
fn positional(args: &[Word]) -> Vec<&Word> {
    let mut out = Vec::new();
    let mut options_done = false;
    for a in args {
        match a.bare().as_deref() {
            Some("--") if !options_done => options_done = true,
            Some(s) if !options_done && s.starts_with('-') && s.len() > 1 => {}
            _ => out.push(a),
        }
    }
    out
}

fn is_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

fn is_device(path: &str) -> bool {
    path.starts_with("/dev/")
}

/// `./build.env` → `build.env`, `a//b/./c` → `a/b/c`; `..` and expansions are kept.
fn normalize_path(p: &str) -> String {
    let absolute = p.starts_with('/');
    let parts: Vec<&str> = p
        .split('/')
        .filter(|c| !c.is_empty() && *c != ".")
        .collect();
    let joined = parts.join("/");
    if absolute {
        format!("/{joined}")
    } else if joined.is_empty() && !p.is_empty() {
        ".".to_string()
    } else {
        joined
    }
}

/// Ruby's `String#strip` (what GitLab's dotenv parser applies to key and value).
fn ruby_strip(s: &str) -> &str {
    s.trim_matches(|c: char| matches!(c, '\0' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' '))
}

/// Splits output into lines and each line at its first `=`. Returns false in the second place
/// when some line's key is only known at run time (that line is left out).
fn split_lines(segs: &[Seg]) -> (Vec<DotenvLine>, bool) {
    let mut lines: Vec<Vec<Seg>> = vec![Vec::new()];
    for seg in segs {
        match seg {
            Seg::Lit(s) => {
                for (i, part) in s.split('\n').enumerate() {
                    if i > 0 {
                        lines.push(Vec::new());
                    }
                    if let Some(line) = lines.last_mut() {
                        push_seg(line, Seg::Lit(part.to_string()));
                    }
                }
            }
            Seg::Dyn(_) => {
                if let Some(line) = lines.last_mut() {
                    line.push(seg.clone());
                }
            }
        }
    }
    // Text after the last newline is a line only if it is not empty.
    if lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    let mut keys_known = true;
    let mut out = Vec::new();
    for line in lines {
        match dotenv_line(&line) {
            Some(l) => out.push(l),
            None => keys_known = false,
        }
    }
    (out, keys_known)
}

fn dotenv_line(line: &[Seg]) -> Option<DotenvLine> {
    let raw = display(line);
    let mut key = String::new();
    for (i, seg) in line.iter().enumerate() {
        match seg {
            Seg::Lit(s) => {
                if let Some((k, v)) = s.split_once('=') {
                    key.push_str(k);
                    let rest = line.get(i + 1..).unwrap_or_default();
                    let value = if rest.iter().all(|s| matches!(s, Seg::Lit(_))) {
                        let mut value = v.to_string();
                        value.push_str(&display(rest));
                        Some(ruby_strip(&value).to_string())
                    } else {
                        None
                    };
                    return Some(DotenvLine {
                        key: ruby_strip(&key).to_string(),
                        value,
                        raw,
                    });
                }
                key.push_str(s);
            }
            Seg::Dyn(_) => return None,
        }
    }
    // No `=` at all: a line GitLab rejects with `Invalid Format`.
    Some(DotenvLine {
        key: String::new(),
        value: None,
        raw,
    })
}

/// bash `echo`: leading `-n`/`-e`/`-E` flag words, arguments joined by spaces, a newline unless
/// `-n`.
fn echo(args: &[Word]) -> Content {
    let mut newline = true;
    let mut escapes = false;
    let mut k = 0;
    while let Some(flag) = args.get(k).and_then(Word::bare) {
        let Some(letters) = flag.strip_prefix('-') else {
            break;
        };
        if letters.is_empty() || !letters.chars().all(|c| matches!(c, 'n' | 'e' | 'E')) {
            break;
        }
        for c in letters.chars() {
            match c {
                'n' => newline = false,
                'e' => escapes = true,
                _ => escapes = false,
            }
        }
        k += 1;
    }
    let mut out = Content::empty();
    for (i, a) in args.iter().skip(k).enumerate() {
        if i > 0 {
            out.push_lit(" ");
        }
        for seg in &a.segs {
            match seg {
                Seg::Lit(s) if escapes => {
                    let (text, stop) = backslash_escapes(s);
                    out.push_lit(&text);
                    if stop {
                        return out;
                    }
                }
                _ => out.push(seg.clone()),
            }
        }
    }
    if newline {
        out.push_lit("\n");
    }
    out
}

/// `echo -e` / `printf %b` escapes. The flag is true after `\c` (stop all output).
fn backslash_escapes(s: &str) -> (String, bool) {
    let mut out = String::new();
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('t') => out.push('\t'),
            Some('r') => out.push('\r'),
            Some('\\') => out.push('\\'),
            Some('a') => out.push('\u{07}'),
            Some('b') => out.push('\u{08}'),
            Some('f') => out.push('\u{0C}'),
            Some('v') => out.push('\u{0B}'),
            Some('e' | 'E') => out.push('\u{1B}'),
            Some('c') => return (out, true),
            Some(n) => {
                out.push('\\');
                out.push(n);
            }
            None => out.push('\\'),
        }
    }
    (out, false)
}

/// bash `printf FORMAT [ARGS]`: `%s`, `%b`, `%d`, `%i`, `%%` and backslash escapes; the format
/// is reused while arguments remain. Other conversions, widths and precisions are run-time.
fn printf(args: &[Word]) -> Content {
    let mut args = args;
    if let Some(first) = args.first().and_then(Word::bare) {
        if first == "-v" {
            return Content::empty();
        }
        if first == "--" {
            args = args.get(1..).unwrap_or_default();
        }
    }
    let Some(fmt_word) = args.first() else {
        return Content::empty();
    };
    let Some(fmt) = fmt_word.static_text() else {
        return Content::unknown();
    };
    let fmt: Vec<char> = fmt.chars().collect();
    let rest = args.get(1..).unwrap_or_default();
    let mut out = Content::empty();
    let mut next = 0usize;
    let mut budget = PRINTF_BUDGET;
    loop {
        let mut consumed = false;
        let mut i = 0;
        while let Some(&c) = fmt.get(i) {
            if budget == 0 {
                out.known = false;
                return out;
            }
            budget -= 1;
            match c {
                '\\' => {
                    let end = (i + 2).min(fmt.len());
                    let esc: String = fmt.get(i..end).unwrap_or_default().iter().collect();
                    let (text, stop) = backslash_escapes(&esc);
                    if stop {
                        return out;
                    }
                    out.push_lit(&text);
                    i = end;
                }
                '%' if fmt.get(i + 1) == Some(&'%') => {
                    out.push_lit("%");
                    i += 2;
                }
                '%' => {
                    let start = i;
                    i += 1;
                    while fmt
                        .get(i)
                        .is_some_and(|c| matches!(c, '-' | '+' | ' ' | '#' | '0'..='9' | '.' | '*'))
                    {
                        i += 1;
                    }
                    let conv = fmt.get(i).copied();
                    i += 1;
                    let spec: String = fmt
                        .get(start..i.min(fmt.len()))
                        .unwrap_or_default()
                        .iter()
                        .collect();
                    let simple = spec.chars().count() == 2;
                    let arg = rest.get(next);
                    if arg.is_some() {
                        next += 1;
                        consumed = true;
                    }
                    let text = arg.map(Word::static_text);
                    match (conv, text) {
                        (Some('s'), None) if simple => {}
                        (Some('b'), None) if simple => {}
                        (Some('d' | 'i'), None) if simple => out.push_lit("0"),
                        (Some('s'), Some(Some(t))) if simple => out.push_lit(&t),
                        (Some('b'), Some(Some(t))) if simple => {
                            let (text, stop) = backslash_escapes(&t);
                            out.push_lit(&text);
                            if stop {
                                return out;
                            }
                        }
                        (Some('d' | 'i'), Some(Some(t)))
                            if simple && t.trim().parse::<i64>().is_ok() =>
                        {
                            out.push_lit(t.trim());
                        }
                        _ => {
                            let raw = match arg {
                                Some(a) => a.display(),
                                None => spec,
                            };
                            out.push(Seg::Dyn(raw));
                        }
                    }
                }
                _ => {
                    out.push_lit(&c.to_string());
                    i += 1;
                }
            }
        }
        if !consumed || next >= rest.len() {
            return out;
        }
    }
}

#[cfg(test)]
#[path = "script_tests.rs"]
mod tests;
