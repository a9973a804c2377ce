//! `pipesim`: the command-line shell over the pipesim core. No GitLab logic lives here: it reads
//! files, calls the core and prints what the core returns.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// `print!` to standard output, without panicking when the reader has gone (`pipesim ... | head`).
macro_rules! out {
    ($($arg:tt)*) => { $crate::write_stdout(format_args!($($arg)*)) };
}

/// `println!` to standard output, the same way as [`out!`].
macro_rules! outln {
    ($($arg:tt)*) => { $crate::write_stdout(format_args!("{}\n", format_args!($($arg)*))) };
}
mod git;
mod matrix;
mod matrix_format;
mod simulate;

/// Writes to standard output. A closed pipe ends the output quietly (Rust ignores SIGPIPE, so
/// `println!` would panic there); any other write error is said on standard error.
pub(crate) fn write_stdout(args: std::fmt::Arguments) {
    use std::io::Write;
    if let Err(error) = std::io::stdout().lock().write_fmt(args) {
        if error.kind() != std::io::ErrorKind::BrokenPipe {
            eprintln!("pipesim: cannot write the output: {error}");
        }
    }
}

use clap::{Parser, Subcommand, ValueEnum};
use pipesim::{Diagnostic, Files, LintReport};

#[derive(Parser)]
#[command(
    name = "pipesim",
    version = pipesim::VERSION_LINE,
    about = "Simulate GitLab CI/CD pipelines offline"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum Format {
    Text,
    Json,
}

#[derive(Subcommand)]
enum Command {
    /// Validate a CI configuration the way GitLab does.
    Lint {
        /// The CI configuration file (usually .gitlab-ci.yml).
        file: PathBuf,
        /// The repository root that `include:local` paths are read from (default: the file's directory).
        #[arg(long)]
        root: Option<PathBuf>,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// Evaluate a CI/CD variable expression (as in `rules:if`): prints true or false.
    Expr {
        /// The expression, e.g. '$CI_COMMIT_BRANCH == "main"'.
        expression: String,
        /// A variable the expression can read, as NAME=VALUE (repeatable).
        #[arg(long = "var", value_name = "NAME=VALUE")]
        vars: Vec<String>,
    },
    /// Show the pipelines GitLab creates for one event, and why each job is in or out.
    Simulate(Box<simulate::SimulateArgs>),
    /// Run a timeline of events from a scenario file (project, files, events).
    Scenario {
        file: PathBuf,
        #[arg(long, value_enum, default_value = "text")]
        format: Format,
    },
    /// The job × event matrix: for each standard event, whether each job runs, and why.
    Matrix(Box<matrix::MatrixArgs>),
    /// Check the expectations of .pipesim/tests.yml against the matrix (exit 1 on a failure).
    Test(Box<matrix::TestArgs>),
    /// What a configuration change does to each event's pipelines.
    Diff(Box<matrix::DiffArgs>),
    /// Print the merged configuration: includes, extends, !reference, default and anchors resolved.
    Expand {
        file: PathBuf,
        #[arg(long)]
        root: Option<PathBuf>,
    },
}

/// Exit codes of the CLI contract: 0 valid, 1 config errors, 2 usage errors.
pub(crate) const EXIT_INVALID: u8 = 1;
const EXIT_USAGE: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_USAGE } else { 0 });
        }
    };
    match cli.command {
        Command::Lint { file, root, format } => {
            let (files, entry) = match read_repository(&file, root.as_deref()) {
                Ok(x) => x,
                Err(ReadError::Usage(message)) => return usage_error(&message),
                Err(ReadError::Invalid(diagnostic)) => {
                    let report = LintReport {
                        gitlab_version: pipesim::GITLAB_VERSION,
                        valid: false,
                        errors: vec![*diagnostic],
                        warnings: Vec::new(),
                    };
                    match format {
                        Format::Json => outln!(
                            "{}",
                            serde_json::to_string_pretty(&report).expect("report serialises")
                        ),
                        Format::Text => print_report(&report, &file, ""),
                    }
                    return ExitCode::from(EXIT_INVALID);
                }
            };
            let report = pipesim::lint(&files, &entry);
            match format {
                Format::Json => outln!(
                    "{}",
                    serde_json::to_string_pretty(&report).expect("report serialises")
                ),
                Format::Text => print_report(&report, &file, &entry),
            }
            ExitCode::from(if report.valid { 0 } else { EXIT_INVALID })
        }
        Command::Expr { expression, vars } => {
            let mut variables = std::collections::HashMap::new();
            for pair in &vars {
                let Some((name, value)) = pair.split_once('=') else {
                    return usage_error(&format!("--var {pair}: expected NAME=VALUE"));
                };
                variables.insert(name.to_owned(), value.to_owned());
            }
            match pipesim::expr::parse(&expression) {
                Ok(parsed) => {
                    outln!("{}", parsed.truthful(&variables));
                    ExitCode::SUCCESS
                }
                Err(error) => {
                    eprintln!("pipesim: invalid expression syntax: {}", error.message);
                    ExitCode::from(EXIT_USAGE)
                }
            }
        }
        Command::Simulate(args) => simulate::simulate(*args),
        Command::Scenario { file, format } => simulate::scenario(&file, format),
        Command::Matrix(args) => matrix::matrix(*args),
        Command::Test(args) => matrix::test(*args),
        Command::Diff(args) => matrix::diff(*args),
        Command::Expand { file, root } => {
            let (files, entry) = match read_repository(&file, root.as_deref()) {
                Ok(x) => x,
                Err(error) => return error.report(&file, false),
            };
            let (yaml, report) = pipesim::expand(&files, &entry);
            for d in report.errors.iter().chain(&report.warnings) {
                eprintln!("{}", format_diagnostic(d, &file, &entry));
            }
            match yaml {
                Some(text) if report.valid => {
                    out!("{text}");
                    ExitCode::SUCCESS
                }
                Some(text) => {
                    out!("{text}");
                    ExitCode::from(EXIT_INVALID)
                }
                None => ExitCode::from(EXIT_INVALID),
            }
        }
    }
}

pub(crate) fn usage_error(message: &str) -> ExitCode {
    eprintln!("pipesim: {message}");
    ExitCode::from(EXIT_USAGE)
}

fn print_report(report: &LintReport, file: &Path, entry: &str) {
    for d in report.errors.iter().chain(&report.warnings) {
        outln!("{}", format_diagnostic(d, file, entry));
    }
    if report.valid {
        eprintln!("{}: configuration is valid", file.display());
    }
}

/// `FILE:LINE:COL: error: MESSAGE`, with the explanation indented below it.
pub(crate) fn format_diagnostic(d: &Diagnostic, file: &Path, entry: &str) -> String {
    let shown = match d.file.as_deref() {
        Some(path) if path == entry => file.display().to_string(),
        Some(path) => path.to_owned(),
        None => file.display().to_string(),
    };
    let position = if d.line > 0 {
        format!("{}:{}:", d.line, d.column)
    } else {
        String::new()
    };
    let mut out = format!("{shown}:{position} {}: {}", d.severity.as_str(), d.message);
    if let Some(explanation) = &d.explanation {
        out.push_str("\n    ");
        out.push_str(explanation);
    }
    out.push_str(&diagnostic_pointers(d));
    out
}

/// The lines after a diagnostic's explanation: the second place it is about, and the GitLab
/// docs page on its subject.
pub(crate) fn diagnostic_pointers(d: &Diagnostic) -> String {
    let mut out = String::new();
    if let Some(related) = &d.related {
        out.push_str(&format!(
            "\n    see also {}:{}:{}",
            related.file, related.line, related.column
        ));
    }
    if let Some(page) = pipesim::docs::page(d.code) {
        out.push_str(&format!("\n    GitLab docs: {page}"));
    }
    out
}

/// Why a file could not be given to the core: a usage error (exit 2), or a diagnostic on the
/// file's content (exit 1).
pub(crate) enum ReadError {
    Usage(String),
    Invalid(Box<Diagnostic>),
}

impl ReadError {
    /// Prints the problem (a diagnostic to stdout or stderr) and gives the exit code.
    pub(crate) fn report(self, file: &Path, to_stdout: bool) -> ExitCode {
        match self {
            ReadError::Usage(message) => usage_error(&message),
            ReadError::Invalid(diagnostic) => {
                let text = format_diagnostic(&diagnostic, file, "");
                if to_stdout {
                    outln!("{text}");
                } else {
                    eprintln!("{text}");
                }
                ExitCode::from(EXIT_INVALID)
            }
        }
    }
}

/// Reads a file the core will parse as YAML. Reading stops one byte past GitLab's raw size
/// limit (`max_yaml_size_bytes`, 2 MiB), so `/dev/zero` or a huge file is not read into
/// memory: the core refuses such text before parsing ("The provided YAML is too big"), as
/// GitLab does. Bytes that are not UTF-8 get libyaml's error at their position.
pub(crate) fn read_yaml(file: &Path) -> Result<String, ReadError> {
    use std::io::Read;
    let cap = pipesim::yaml::reader::MAX_YAML_SIZE_BYTES;
    let mut bytes = Vec::new();
    std::fs::File::open(file)
        .and_then(|f| f.take(cap as u64 + 1).read_to_end(&mut bytes))
        .map_err(|e| ReadError::Usage(format!("cannot read {}: {e}", file.display())))?;
    match pipesim::yaml::reader::decode(&bytes) {
        Ok(text) => Ok(text.to_owned()),
        // Over the limit: what the core sees past it does not matter, only that it is too big.
        Err(_) if bytes.len() > cap => Ok(String::from_utf8_lossy(&bytes).into_owned()),
        Err(problem) => Err(ReadError::Invalid(Box::new(Diagnostic {
            code: "yaml-encoding",
            severity: pipesim::Severity::Error,
            message: problem.message(),
            explanation: Some(format!(
                "The file is not UTF-8 text: byte {} (line {}, column {}) cannot start or continue a character. GitLab's YAML parser stops there and reports it at the start of the file. Save the file as UTF-8.",
                problem.offset + 1,
                problem.line,
                problem.column
            )),
            file: Some(file.display().to_string()),
            line: problem.line,
            column: problem.column,
            related: None,
            event: None,
            job: None,
            pipeline: None,
            fix: None,
        }))),
    }
}

/// Reads the config file and every YAML file under the repository root, so `include:local`
/// (wildcards too) resolves as it would on GitLab. Returns the files and the config's path
/// relative to the root.
pub(crate) fn read_repository(
    file: &Path,
    root: Option<&Path>,
) -> Result<(Files, String), ReadError> {
    let text = read_yaml(file)?;
    let root = match root {
        Some(r) => r.to_path_buf(),
        None => file
            .parent()
            .map(Path::to_path_buf)
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or_else(|| PathBuf::from(".")),
    };
    let root_abs = std::fs::canonicalize(&root)
        .map_err(|e| ReadError::Usage(format!("cannot read --root {}: {e}", root.display())))?;
    let file_abs = std::fs::canonicalize(file)
        .map_err(|e| ReadError::Usage(format!("cannot read {}: {e}", file.display())))?;
    let entry = file_abs
        .strip_prefix(&root_abs)
        .map(|p| p.to_string_lossy().replace('\\', "/"))
        .unwrap_or_else(|_| {
            file.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default()
        });
    let mut files = Files::new();
    let mut budget = 20_000usize;
    collect(&root_abs, &root_abs, &mut files, &mut budget);
    files.insert(&entry, text);
    Ok((files, entry))
}

/// Repository files that a config can read: YAML files (includes, child pipelines) and the
/// names of other files (for `rules:exists`), skipping VCS and build folders.
fn collect(root: &Path, dir: &Path, files: &mut Files, budget: &mut usize) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<_> = entries.flatten().collect();
    entries.sort_by_key(|e| e.file_name());
    for entry in entries {
        if *budget == 0 {
            return;
        }
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        let Ok(kind) = entry.file_type() else {
            continue;
        };
        if kind.is_dir() {
            if matches!(name.as_str(), ".git" | "target" | "node_modules" | "dist") {
                continue;
            }
            collect(root, &path, files, budget);
        } else if kind.is_file() {
            *budget -= 1;
            let relative = path
                .strip_prefix(root)
                .map(|p| p.to_string_lossy().replace('\\', "/"))
                .unwrap_or_default();
            let is_yaml = name.ends_with(".yml") || name.ends_with(".yaml");
            // Read as the config file is: at most one byte past GitLab's size limit (the core
            // then refuses an include of it); a file that is not UTF-8 is read with
            // replacement characters and named on stderr.
            let text = if is_yaml {
                match read_yaml(&path) {
                    Ok(text) => text,
                    Err(_) => {
                        eprintln!("pipesim: warning: {relative} is not UTF-8 text; it is read with replacement characters");
                        let mut bytes = Vec::new();
                        let cap = pipesim::yaml::reader::MAX_YAML_SIZE_BYTES as u64 + 1;
                        let _ = std::fs::File::open(&path).and_then(|f| {
                            use std::io::Read;
                            f.take(cap).read_to_end(&mut bytes)
                        });
                        String::from_utf8_lossy(&bytes).into_owned()
                    }
                }
            } else {
                String::new()
            };
            files.insert(&relative, text);
        }
    }
}
