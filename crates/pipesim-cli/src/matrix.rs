//! `pipesim matrix`, `pipesim test` and `pipesim diff`: read the repository, the events (flags
//! or an events file) and the tests file, call the core's `matrix` module, print what it
//! returns. The only outside call is `git` for `pipesim diff --git REV`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use pipesim::event::{Project, ProjectVariable, Tier};
use pipesim::matrix::events::{load_spec, resolve_events, Spec};
use pipesim::matrix::{self, CellState, Matrix, MatrixEvent, StandardOptions};
use pipesim::{Diagnostic, Files, Severity};

use crate::{format_diagnostic, read_repository, usage_error, EXIT_INVALID};

#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum MatrixFormat {
    Text,
    Json,
    Csv,
    Markdown,
}

#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq, Default)]
pub enum TestFormat {
    #[default]
    Text,
    /// The results as JSON (docs/TESTING.md, "Machine-readable results").
    Json,
}

#[derive(Clone, Copy, clap::ValueEnum, PartialEq, Eq)]
pub enum DiffFormat {
    Text,
    Json,
    Markdown,
}

/// The events of the matrix and the project they happen in. Flags win over an events file.
#[derive(clap::Args, Default)]
pub struct EventFlags {
    /// An events file (project, standard event options, events); see docs/TESTING.md.
    #[arg(long, value_name = "FILE")]
    pub events: Option<PathBuf>,
    /// The default branch (default main).
    #[arg(long)]
    pub default_branch: Option<String>,
    /// The feature branch pushed, opened as a merge request and merged (default feature/change).
    #[arg(long)]
    pub branch: Option<String>,
    /// The tag pushed (default v1.0.0).
    #[arg(long)]
    pub tag: Option<String>,
    /// free, premium or ultimate (default free; merged results and merge train need a paid tier).
    #[arg(long)]
    pub tier: Option<String>,
    /// A path the feature branch, its merge request and the merge change (repeatable; default:
    /// the configuration file).
    #[arg(long = "changed", value_name = "PATH")]
    pub changed: Vec<String>,
    /// A pipeline variable of the schedule, web, api and trigger pipelines, NAME=VALUE (repeatable).
    #[arg(long = "var", value_name = "NAME=VALUE")]
    pub vars: Vec<String>,
    /// A project CI/CD variable, NAME=VALUE (repeatable).
    #[arg(long = "project-var", value_name = "NAME=VALUE")]
    pub project_vars: Vec<String>,
    /// A merge request label (repeatable).
    #[arg(long = "label")]
    pub labels: Vec<String>,
    /// A protected branch or pattern besides the default branch (repeatable).
    #[arg(long = "protected", value_name = "BRANCH")]
    pub protected: Vec<String>,
    /// The project's full path (CI_PROJECT_PATH; default group/project).
    #[arg(long)]
    pub project_path: Option<String>,
}

#[derive(clap::Args)]
pub struct MatrixArgs {
    /// The CI configuration file (usually .gitlab-ci.yml).
    pub file: PathBuf,
    #[arg(long)]
    pub root: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: MatrixFormat,
    /// Say why for every cell.
    #[arg(long)]
    pub explain: bool,
    #[command(flatten)]
    pub flags: EventFlags,
}

#[derive(clap::Args)]
pub struct TestArgs {
    /// The tests file (default .pipesim/tests.yml).
    pub file: Option<PathBuf>,
    /// The repository root (default: the folder holding .pipesim/, or the file's folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
    /// Also write the results as JUnit XML, for GitLab's `artifacts:reports:junit`.
    #[arg(long, value_name = "FILE")]
    pub junit: Option<PathBuf>,
    /// Write the current matrix as the file's tests (a snapshot), keeping its other keys.
    #[arg(long)]
    pub update: bool,
    /// How the results are printed (not with --update).
    #[arg(long, value_enum, default_value_t = TestFormat::Text)]
    pub format: TestFormat,
    #[command(flatten)]
    pub flags: EventFlags,
}

#[derive(clap::Args)]
pub struct DiffArgs {
    /// The old configuration: a file, or a folder holding .gitlab-ci.yml (not with --git).
    pub old: Option<PathBuf>,
    /// The new configuration: a file or a folder (with --git: the file, default .gitlab-ci.yml).
    pub new: Option<PathBuf>,
    /// Compare the working tree's configuration with the one at this commit.
    #[arg(long, value_name = "REV")]
    pub git: Option<String>,
    /// The root of both repositories when OLD and NEW are files (default: each file's folder).
    #[arg(long)]
    pub root: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "text")]
    pub format: DiffFormat,
    /// Exit 1 when something differs (as `git diff --exit-code`).
    #[arg(long)]
    pub exit_code: bool,
    #[command(flatten)]
    pub flags: EventFlags,
}

fn pairs(items: &[String], flag: &str) -> Result<Vec<(String, String)>, String> {
    items
        .iter()
        .map(|pair| {
            pair.split_once('=')
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .ok_or_else(|| format!("{flag} {pair}: expected NAME=VALUE"))
        })
        .collect()
}

/// A problem before the core runs: a usage error (exit 2) or findings in a file (exit 1).
enum SetupError {
    Usage(String),
    Findings(Vec<Diagnostic>),
}

impl SetupError {
    fn report(self) -> ExitCode {
        match self {
            SetupError::Usage(message) => usage_error(&message),
            SetupError::Findings(diagnostics) => {
                for d in &diagnostics {
                    eprintln!("{}", format_diagnostic(d, Path::new(""), ""));
                }
                ExitCode::from(EXIT_INVALID)
            }
        }
    }
}

/// Reads an events or tests file into a spec; its findings name the file.
fn read_spec(path: &Path) -> Result<(Spec, Vec<Diagnostic>), SetupError> {
    let text = match crate::read_yaml(path) {
        Ok(text) => text,
        Err(crate::ReadError::Usage(message)) => return Err(SetupError::Usage(message)),
        Err(crate::ReadError::Invalid(d)) => return Err(SetupError::Findings(vec![*d])),
    };
    let mut files = Files::new();
    let id = files.insert(&path.display().to_string(), text);
    let (spec, findings) = load_spec(&files, id);
    let diagnostics: Vec<Diagnostic> = findings
        .into_iter()
        .map(|f| Diagnostic::resolve(f, &files))
        .collect();
    match spec {
        Some(spec) => Ok((spec, diagnostics)),
        None => Err(SetupError::Findings(diagnostics)),
    }
}

/// The project and the columns: defaults, then the file's settings, then the flags.
fn setup(
    flags: &EventFlags,
    spec: &Spec,
    entry: &str,
) -> Result<(Project, Vec<MatrixEvent>, Vec<Diagnostic>), SetupError> {
    let usage = SetupError::Usage;
    let mut project = Project::new("group/project");
    project.ci_config_path = entry.to_owned();
    let mut options = StandardOptions::default();
    spec.project.apply(&mut project);
    spec.standard.apply(&mut options);
    if let Some(path) = &flags.project_path {
        project.path = path.clone();
    }
    if let Some(branch) = &flags.default_branch {
        project.default_branch = branch.clone();
        project.settings.protected_branches = vec![branch.clone()];
    }
    project
        .settings
        .protected_branches
        .extend(flags.protected.iter().cloned());
    if let Some(tier) = &flags.tier {
        project.tier = Tier::parse(tier)
            .ok_or_else(|| usage(format!("--tier {tier}: expected free, premium or ultimate")))?;
    }
    for (key, value) in pairs(&flags.project_vars, "--project-var").map_err(usage)? {
        project.variables.push(ProjectVariable {
            key,
            value,
            protected: false,
            ..ProjectVariable::default()
        });
    }
    for (flag, name) in [
        ("--branch", &flags.branch),
        ("--tag", &flags.tag),
        ("--default-branch", &flags.default_branch),
    ] {
        if let Some(problem) = name
            .as_deref()
            .and_then(pipesim::event::scenario::ref_name_problem)
        {
            return Err(usage(format!("{flag} {problem}")));
        }
    }
    if let Some(branch) = &flags.branch {
        if *branch == project.default_branch {
            return Err(usage(format!(
                "--branch {branch} is the default branch; the feature branch must be another one"
            )));
        }
        options.feature_branch = branch.clone();
    }
    if let Some(tag) = &flags.tag {
        options.tag = tag.clone();
    }
    if !flags.changed.is_empty() {
        options.changes = Some(flags.changed.clone());
    }
    if !flags.vars.is_empty() {
        options.variables = pairs(&flags.vars, "--var").map_err(usage)?;
    }
    if !flags.labels.is_empty() {
        options.labels = flags.labels.clone();
    }
    let (events, findings) = resolve_events(spec.events.as_deref(), &project, &options);
    let diagnostics: Vec<Diagnostic> = findings
        .into_iter()
        .map(|f| {
            let mut d = Diagnostic::resolve(f, &Files::new());
            d.file = flags.events.as_ref().map(|p| p.display().to_string());
            d
        })
        .collect();
    if diagnostics.iter().any(|d| d.severity == Severity::Error) {
        return Err(SetupError::Findings(diagnostics));
    }
    Ok((project, events, diagnostics))
}

/// The events file of `--events`, or none.
fn events_spec(flags: &EventFlags) -> Result<Spec, SetupError> {
    match &flags.events {
        Some(path) => {
            let (spec, diagnostics) = read_spec(path)?;
            for d in &diagnostics {
                eprintln!("{}", format_diagnostic(d, path, ""));
            }
            Ok(spec)
        }
        None => Ok(Spec::default()),
    }
}

pub fn matrix(args: MatrixArgs) -> ExitCode {
    let (files, entry) = match read_repository(&args.file, args.root.as_deref()) {
        Ok(x) => x,
        Err(error) => return error.report(&args.file, true),
    };
    let spec = match events_spec(&args.flags) {
        Ok(spec) => spec,
        Err(e) => return e.report(),
    };
    let (project, events, notes) = match setup(&args.flags, &spec, &entry) {
        Ok(x) => x,
        Err(e) => return e.report(),
    };
    for d in &notes {
        eprintln!("{}", format_diagnostic(d, &args.file, &entry));
    }
    let matrix = matrix::build_with(&project, &files, &events, true, threads());
    let out = match args.format {
        MatrixFormat::Json => {
            serde_json::to_string_pretty(&matrix).expect("matrix serialises") + "\n"
        }
        MatrixFormat::Text => crate::matrix_format::text(&matrix, args.explain),
        MatrixFormat::Csv => crate::matrix_format::csv(&matrix, args.explain),
        MatrixFormat::Markdown => crate::matrix_format::markdown(&matrix, args.explain),
    };
    out!("{out}");
    let errors = matrix
        .columns
        .iter()
        .flat_map(|c| &c.findings)
        .any(|d| d.severity == Severity::Error && d.file.is_some());
    ExitCode::from(if errors { EXIT_INVALID } else { 0 })
}

/// `.pipesim/tests.yml` → the repository root holding `.pipesim/`.
fn default_root(file: &Path) -> PathBuf {
    let dir = file
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if dir.file_name().is_some_and(|n| n == ".pipesim") {
        dir.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .to_path_buf()
    } else {
        dir.to_path_buf()
    }
}

pub fn test(args: TestArgs) -> ExitCode {
    let file = args
        .file
        .clone()
        .unwrap_or_else(|| PathBuf::from(".pipesim/tests.yml"));
    let root = args.root.clone().unwrap_or_else(|| default_root(&file));
    let exists = file.exists();
    let (spec, notes) = if exists || !args.update {
        match read_spec(&file) {
            Ok(x) => x,
            Err(e) => return e.report(),
        }
    } else {
        (Spec::default(), Vec::new())
    };
    for d in &notes {
        eprintln!("{}", format_diagnostic(d, &file, ""));
    }
    let mut flags_spec = spec.clone();
    if args.flags.events.is_some() {
        match events_spec(&args.flags) {
            Ok(events) => {
                flags_spec.events = events.events;
                flags_spec.project = events.project;
                flags_spec.standard = events.standard;
            }
            Err(e) => return e.report(),
        }
    }
    let config = root.join(spec.config.as_deref().unwrap_or(".gitlab-ci.yml"));
    let (files, entry) = match read_repository(&config, Some(&root)) {
        Ok(x) => x,
        Err(error) => return error.report(&config, true),
    };
    let (project, events, event_notes) = match setup(&args.flags, &flags_spec, &entry) {
        Ok(x) => x,
        Err(e) => return e.report(),
    };
    for d in &event_notes {
        eprintln!("{}", format_diagnostic(d, &file, ""));
    }
    let matrix = matrix::build_with(&project, &files, &events, true, threads());
    if args.update {
        return update(&file, exists, &spec, &matrix);
    }
    let results = matrix::expectations::check(&matrix, &spec.tests);
    match args.format {
        TestFormat::Text => out!("{}", crate::matrix_format::test_text(&results, &file)),
        TestFormat::Json => {
            let report = matrix::expectations::report(&file.display().to_string(), &results);
            out!(
                "{}",
                serde_json::to_string_pretty(&report).expect("test report serialises")
            );
        }
    }
    if let Some(junit) = &args.junit {
        let xml = crate::matrix_format::junit(&results, &file);
        if let Err(e) = std::fs::write(junit, xml) {
            return usage_error(&format!("cannot write {}: {e}", junit.display()));
        }
    }
    let failed = results.iter().any(|r| !r.passed());
    ExitCode::from(if failed { EXIT_INVALID } else { 0 })
}

/// `pipesim test --update`: the file's `tests:` become the current matrix.
fn update(file: &Path, exists: bool, spec: &Spec, matrix: &Matrix) -> ExitCode {
    let tests = matrix::expectations::snapshot(matrix);
    let section = matrix::expectations::tests_yaml(&tests);
    let text = if exists {
        match std::fs::read_to_string(file) {
            Ok(old) => matrix::expectations::replace_tests(&old, spec.tests_lines, &section),
            Err(e) => return usage_error(&format!("cannot read {}: {e}", file.display())),
        }
    } else {
        format!(
            "# pipesim test expectations: see docs/TESTING.md. `pipesim test --update` rewrites `tests:`.\n{section}"
        )
    };
    if let Some(parent) = file.parent().filter(|p| !p.as_os_str().is_empty()) {
        if let Err(e) = std::fs::create_dir_all(parent) {
            return usage_error(&format!("cannot create {}: {e}", parent.display()));
        }
    }
    if let Err(e) = std::fs::write(file, text) {
        return usage_error(&format!("cannot write {}: {e}", file.display()));
    }
    eprintln!(
        "{}: wrote {} tests from the current matrix",
        file.display(),
        tests.len()
    );
    ExitCode::SUCCESS
}

/// A configuration given as a file, or as a folder holding `.gitlab-ci.yml`.
fn config_file(path: &Path) -> PathBuf {
    if path.is_dir() {
        path.join(".gitlab-ci.yml")
    } else {
        path.to_path_buf()
    }
}

pub fn diff(args: DiffArgs) -> ExitCode {
    let (old, new) = match read_both(&args) {
        Ok(x) => x,
        Err(code) => return code,
    };
    let spec = match events_spec(&args.flags) {
        Ok(spec) => spec,
        Err(e) => return e.report(),
    };
    let (project, events, _) = match setup(&args.flags, &spec, &new.1) {
        Ok(x) => x,
        Err(e) => return e.report(),
    };
    let mut old_project = project.clone();
    old_project.ci_config_path = old.1.clone();
    let old_matrix = matrix::build_with(&old_project, &old.0, &events, true, threads());
    let new_matrix = matrix::build_with(&project, &new.0, &events, true, threads());
    let diff = matrix::diff::compare(&old_matrix, &new_matrix);
    let out = match args.format {
        DiffFormat::Json => serde_json::to_string_pretty(&diff).expect("diff serialises") + "\n",
        DiffFormat::Text => crate::matrix_format::diff_text(&diff),
        DiffFormat::Markdown => crate::matrix_format::diff_markdown(&diff),
    };
    out!("{out}");
    ExitCode::from(if args.exit_code && diff.changed {
        EXIT_INVALID
    } else {
        0
    })
}

type Repository = (Files, String);

fn read_both(args: &DiffArgs) -> Result<(Repository, Repository), ExitCode> {
    if let Some(rev) = &args.git {
        if args.new.is_some() {
            return Err(usage_error(
                "with --git REV give one configuration file (the working tree's), not two",
            ));
        }
        let file = config_file(args.old.as_deref().unwrap_or(Path::new(".gitlab-ci.yml")));
        let new =
            read_repository(&file, args.root.as_deref()).map_err(|e| e.report(&file, true))?;
        let root = args.root.clone().unwrap_or_else(|| {
            file.parent()
                .filter(|p| !p.as_os_str().is_empty())
                .unwrap_or(Path::new("."))
                .to_path_buf()
        });
        let old = crate::git::files_at(&root, rev).map_err(|m| usage_error(&m))?;
        return Ok(((old, new.1.clone()), new));
    }
    let (Some(old), Some(new)) = (&args.old, &args.new) else {
        return Err(usage_error(
            "give OLD and NEW (files or folders), or --git REV [FILE]",
        ));
    };
    let read = |path: &Path| {
        let file = config_file(path);
        let root = if path.is_dir() {
            Some(path.to_path_buf())
        } else {
            args.root.clone()
        };
        read_repository(&file, root.as_deref()).map_err(|e| e.report(&file, true))
    };
    Ok((read(old)?, read(new)?))
}

/// The cell in a few letters, for tables.
pub fn cell_word(state: CellState) -> &'static str {
    match state {
        CellState::In => "in",
        CellState::Manual => "manual",
        CellState::Delayed => "delayed",
        CellState::Never => "never",
        CellState::NoPipeline => "-",
    }
}

/// The threads a matrix is built on: the machine's cores, up to the most a matrix uses.
fn threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(matrix::MAX_THREADS)
}
