//! GitLab's dotenv report parser, reproduced exactly.
//!
//! Oracle: `Ci::ParseDotenvArtifactService`
//! (gitlabhq/gitlabhq `app/services/ci/parse_dotenv_artifact_service.rb`), the model validation
//! it triggers through `Ci::JobVariable.bulk_insert!` (`app/models/ci/job_variable.rb`,
//! `app/models/concerns/ci/has_variable.rb`, `app/models/concerns/bulk_insert_safe.rb`), its spec
//! (`spec/services/ci/parse_dotenv_artifact_service_spec.rb`) and
//! `doc/ci/variables/dotenv_variables.md`.
//!
//! The service, in order:
//! 1. `unless artifact.file.size < dotenv_size_limit` → `Dotenv Artifact Too Big. Maximum
//!    Allowable Size: <limit>` (strictly smaller passes).
//! 2. converts the blob to UTF-8 and strips a byte-order mark;
//! 3. for each line (`each_line`, so split after every `\n`): `line.scan(/^(.*?)=(.*)$/).last`,
//!    `Invalid Format` when there is no match (blank lines and `#` comments without `=` included),
//!    then `strip!` on key and value. Quotes are kept, nothing is expanded
//!    (`KEY2=${KEY1}_Test` stays literal).
//! 4. stores the variables in a Ruby hash keyed by key: a repeated key keeps the position of its
//!    first occurrence and the value of its last one ("If the same variable name appears multiple
//!    times in a `dotenv` report, the last value is used" — dotenv_variables.md);
//! 5. `variables.size > dotenv_variable_limit` → `Dotenv files cannot have more than <n>
//!    variables`;
//! 6. `bulk_insert!` validates every record in hash order; the first invalid one raises
//!    `ActiveRecord::RecordInvalid`, whose message is `Validation failed: ` followed by the
//!    record's full messages joined with `, ` — for example
//!    `Validation failed: Key can contain only letters, digits and '_'.` (verbatim in the spec).

use serde::Serialize;

/// Default `dotenv_size` plan limit in bytes (`5.kilobytes`; "Maximum file size 5 KB" in
/// dotenv_variables.md; `MAX_ACCEPTABLE_DOTENV_SIZE = 5.kilobytes` in older versions of the
/// service).
pub const DEFAULT_SIZE_LIMIT: usize = 5120;

/// Default `dotenv_variables` plan limit on GitLab Self-Managed ("Default maximum inherited
/// variables on GitLab Self-Managed: 20", dotenv_variables.md; "Defaults to `20`",
/// doc/administration/instance_limits.md#limit-dotenv-variables).
pub const DEFAULT_SELF_MANAGED_MAX_VARIABLES: usize = 20;

/// Maximum key length (`validates :key, length: { maximum: 255 }` in `Ci::HasVariable`).
pub const MAX_KEY_LENGTH: usize = 255;

/// Which GitLab check rejected the file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum DotenvErrorKind {
    /// `SizeLimitError`: the file is not strictly smaller than the size limit.
    TooBig,
    /// `ParserError`: a line has no `=`.
    InvalidFormat,
    /// `SizeLimitError`: more distinct keys than the variable limit.
    TooManyVariables,
    /// `ActiveRecord::RecordInvalid`: a key failed `Ci::JobVariable` validation.
    InvalidKey,
}

/// Why GitLab rejects a dotenv report. `message` is GitLab's text verbatim (what the runner
/// prints after `400 Bad Request`); `line` is the 1-based line it concerns, when there is one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DotenvError {
    pub kind: DotenvErrorKind,
    pub message: String,
    pub line: Option<usize>,
    pub explanation: String,
}

/// Parses `text` the way GitLab parses an uploaded dotenv report, with the default size limit
/// ([`DEFAULT_SIZE_LIMIT`]) and the given variable limit. Returns the variables in GitLab's
/// order (first occurrence of each key, last value).
pub fn parse(text: &str, max_variables: usize) -> Result<Vec<(String, String)>, DotenvError> {
    parse_with_limits(text, DEFAULT_SIZE_LIMIT, max_variables)
}

/// [`parse`] with an explicit `dotenv_size` limit.
///
/// Approximation: GitLab compares the size of the *stored* artifact, and dotenv reports are
/// stored gzip-compressed (`REPORT_TYPES = { ..., dotenv: :gzip, ... }` in
/// `app/models/ci/job_artifact.rb`), so `artifact.file.size` is the compressed size. Without a
/// compressor this checks the uncompressed byte length, which is stricter: a file of 5120 bytes
/// or more that compresses well may still be accepted by GitLab.
pub fn parse_with_limits(
    text: &str,
    size_limit: usize,
    max_variables: usize,
) -> Result<Vec<(String, String)>, DotenvError> {
    check_size(text.len(), size_limit)?;

    // `strip_bom(encode_utf8_with_replacement_character(blob))`: the input is already UTF-8.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);

    // (key, value, first line) in first-occurrence order; index by key for "last value wins".
    let mut vars: Vec<(String, String, usize)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let line_no = i + 1;
        let (key, value) = scan_line(line).ok_or_else(|| invalid_format(line_no, line))?;
        match index.get(&key) {
            Some(&at) => {
                if let Some(slot) = vars.get_mut(at) {
                    slot.1 = value;
                }
            }
            None => {
                index.insert(key.clone(), vars.len());
                vars.push((key, value, line_no));
            }
        }
    }

    if vars.len() > max_variables {
        return Err(DotenvError {
            kind: DotenvErrorKind::TooManyVariables,
            message: format!("Dotenv files cannot have more than {max_variables} variables"),
            line: None,
            explanation: format!(
                "The report defines {} distinct variables; this GitLab plan accepts at most \
                 {max_variables}. GitLab rejects the whole artifact upload (HTTP 400), so no \
                 variable from this file reaches later jobs.",
                vars.len()
            ),
        });
    }

    for (key, _, line_no) in &vars {
        let messages = key_errors(key);
        if !messages.is_empty() {
            return Err(DotenvError {
                kind: DotenvErrorKind::InvalidKey,
                message: format!("Validation failed: {}", messages.join(", ")),
                line: Some(*line_no),
                explanation: format!(
                    "Line {line_no} defines the key {key:?}. Dotenv keys must be non-empty, at \
                     most {MAX_KEY_LENGTH} characters, and contain only ASCII letters, digits and \
                     '_' (the text before the first '=' is the key, after trimming). GitLab \
                     rejects the whole artifact upload (HTTP 400)."
                ),
            });
        }
    }

    Ok(vars.into_iter().map(|(k, v, _)| (k, v)).collect())
}

/// The size check alone: GitLab accepts a file only when `size < limit`.
pub fn check_size(size: usize, limit: usize) -> Result<(), DotenvError> {
    if size < limit {
        return Ok(());
    }
    Err(DotenvError {
        kind: DotenvErrorKind::TooBig,
        message: format!("Dotenv Artifact Too Big. Maximum Allowable Size: {limit}"),
        line: None,
        explanation: format!(
            "The dotenv report is {size} bytes; GitLab accepts it only when it is strictly \
             smaller than {limit} bytes. GitLab rejects the whole artifact upload (HTTP 400), so \
             no variable from this file reaches later jobs."
        ),
    })
}

/// `dotenv_variables` plan limit (dotenv_variables.md "Size and variable limits";
/// doc/user/gitlab_com/_index.md "Limit of dotenv variables | Free tier: `50` / Premium tier:
/// `100` / Ultimate tier: `150`"). Self-managed: the default plan's limit, 20, whatever the tier
/// (administrators can change it). An unknown tier on GitLab.com is treated as Free.
pub fn max_variables(tier: &str, gitlab_com: bool) -> usize {
    if !gitlab_com {
        return DEFAULT_SELF_MANAGED_MAX_VARIABLES;
    }
    match tier.trim().to_ascii_lowercase().as_str() {
        "ultimate" => 150,
        "premium" => 100,
        _ => 50,
    }
}

/// `line.scan(/^(.*?)=(.*)$/).last` followed by `result.each(&:strip!)`.
///
/// `each_line` keeps the trailing `\n`; Ruby's `.` matches anything but `\n` (so a `\r` stays in
/// the value until `strip!` removes it) and the lazy group splits at the first `=`.
fn scan_line(line: &str) -> Option<(String, String)> {
    let body = line.strip_suffix('\n').unwrap_or(line);
    let (key, value) = body.split_once('=')?;
    Some((ruby_strip(key).to_string(), ruby_strip(value).to_string()))
}

/// Ruby's `String#strip`: removes leading and trailing ASCII whitespace and NUL
/// (`"\0\t\n\v\f\r "`), and nothing else (no Unicode spaces).
pub fn ruby_strip(s: &str) -> &str {
    s.trim_matches(|c: char| matches!(c, '\0' | '\t' | '\n' | '\u{0B}' | '\u{0C}' | '\r' | ' '))
}

fn invalid_format(line_no: usize, line: &str) -> DotenvError {
    let body = line.trim_end_matches(['\n', '\r']);
    let what = if ruby_strip(body).is_empty() {
        "is empty".to_string()
    } else if ruby_strip(body).starts_with('#') {
        format!("is a comment ({body:?}) without '='")
    } else {
        format!("({body:?}) has no '='")
    };
    DotenvError {
        kind: DotenvErrorKind::InvalidFormat,
        message: "Invalid Format".to_string(),
        line: Some(line_no),
        explanation: format!(
            "Line {line_no} {what}. Every line of a dotenv report must be KEY=VALUE: GitLab \
             allows no blank lines, no comments and no multi-line values, and rejects the whole \
             artifact upload (HTTP 400)."
        ),
    }
}

/// Full messages of `Ci::HasVariable`'s key validations, in declaration order:
/// `presence: true`, `length: { maximum: 255 }`,
/// `format: { with: /\A[a-zA-Z0-9_]+\z/, message: "can contain only letters, digits and '_'." }`.
/// The key is stripped again by `key=`, which changes nothing here.
fn key_errors(key: &str) -> Vec<String> {
    let mut out = Vec::new();
    // Rails `blank?`: empty or whitespace only; the key is already stripped.
    if key.chars().all(char::is_whitespace) {
        out.push("Key can't be blank".to_string());
    }
    if key.chars().count() > MAX_KEY_LENGTH {
        out.push(format!(
            "Key is too long (maximum is {MAX_KEY_LENGTH} characters)"
        ));
    }
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        out.push("Key can contain only letters, digits and '_'.".to_string());
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(text: &str) -> Vec<(String, String)> {
        parse(text, 20).unwrap_or_else(|e| panic!("{text:?}: {e:?}"))
    }

    fn err(text: &str) -> DotenvError {
        parse(text, 20).expect_err(text)
    }

    fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect()
    }

    #[test]
    fn accepted_files() {
        let cases: &[(&str, &[(&str, &str)])] = &[
            ("", &[]),
            (
                "KEY1=VAR1\nKEY2=VAR2\n",
                &[("KEY1", "VAR1"), ("KEY2", "VAR2")],
            ),
            ("BUILD_VERSION=1.2.3", &[("BUILD_VERSION", "1.2.3")]),
            ("KEY1 =VAR1", &[("KEY1", "VAR1")]),
            ("KEY=VARCONTAINING=EQLS", &[("KEY", "VARCONTAINING=EQLS")]),
            ("skateboard=🛹", &[("skateboard", "🛹")]),
            ("KEY1=V A R 1", &[("KEY1", "V A R 1")]),
            ("KEY1=\"VAR1\"", &[("KEY1", "\"VAR1\"")]),
            ("KEY1='VAR1'", &[("KEY1", "'VAR1'")]),
            ("KEY1=\"  VAR1  \"", &[("KEY1", "\"  VAR1  \"")]),
            ("KEY1=", &[("KEY1", "")]),
            (
                "KEY1=VAR1\nKEY2=${KEY1}_Test\n",
                &[("KEY1", "VAR1"), ("KEY2", "${KEY1}_Test")],
            ),
            (
                "KEY1=VAR1         # This is variable\n",
                &[("KEY1", "VAR1         # This is variable")],
            ),
            ("A=1\r\nB=2\r\n", &[("A", "1"), ("B", "2")]),
            ("\u{feff}A=1\n", &[("A", "1")]),
            ("  A  =  x y  \t\n", &[("A", "x y")]),
            // Last value wins, first position kept.
            ("A=1\nB=2\nA=3\n", &[("A", "3"), ("B", "2")]),
            // Ruby strip does not remove Unicode spaces.
            ("A=\u{a0}x\u{a0}", &[("A", "\u{a0}x\u{a0}")]),
            // export prefix is not understood: the key contains a space -> rejected (below).
        ];
        for (text, want) in cases {
            assert_eq!(ok(text), pairs(want), "{text:?}");
        }
    }

    #[test]
    fn rejected_files() {
        let invalid_key = "Validation failed: Key can contain only letters, digits and '_'.";
        let cases: &[(&str, &str, Option<usize>)] = &[
            ("{ 'KEY1': 'VAR1' }", "Invalid Format", Some(1)),
            ("KEY1=VAR1\n\nKEY2=VAR2\n", "Invalid Format", Some(2)),
            ("A=1\n\n", "Invalid Format", Some(2)),
            ("# comment\nA=1\n", "Invalid Format", Some(1)),
            ("A=1\n\r\n", "Invalid Format", Some(2)),
            ("🛹=skateboard", invalid_key, Some(1)),
            ("K E Y 1=VAR1", invalid_key, Some(1)),
            ("export A=1", invalid_key, Some(1)),
            ("# A=1", invalid_key, Some(1)),
            ("A-B=1", invalid_key, Some(1)),
            (
                "=VAR1",
                "Validation failed: Key can't be blank, Key can contain only letters, digits and '_'.",
                Some(1),
            ),
            // Parse errors come before key validation, whatever the line order.
            ("A-B=1\nnoequals\n", "Invalid Format", Some(2)),
        ];
        for (text, message, line) in cases {
            let e = err(text);
            assert_eq!(&e.message, message, "{text:?}");
            assert_eq!(e.line, *line, "{text:?}");
            assert!(!e.explanation.is_empty());
        }
    }

    #[test]
    fn long_key() {
        let key = "K".repeat(256);
        let e = err(&format!("{key}=1"));
        assert_eq!(
            e.message,
            "Validation failed: Key is too long (maximum is 255 characters)"
        );
        assert!(parse(&format!("{}=1", "K".repeat(255)), 20).is_ok());
    }

    #[test]
    fn size_limit_is_strict() {
        // 5119 bytes pass, 5120 bytes fail.
        let fits = format!("A={}", "x".repeat(DEFAULT_SIZE_LIMIT - 3));
        assert_eq!(fits.len(), DEFAULT_SIZE_LIMIT - 1);
        assert!(parse(&fits, 20).is_ok());
        let too_big = format!("A={}", "x".repeat(DEFAULT_SIZE_LIMIT - 2));
        let e = parse(&too_big, 20).expect_err("too big");
        assert_eq!(e.kind, DotenvErrorKind::TooBig);
        assert_eq!(
            e.message,
            "Dotenv Artifact Too Big. Maximum Allowable Size: 5120"
        );
        // Size is checked before the format.
        let e = parse(&"\n".repeat(6000), 20).expect_err("too big");
        assert_eq!(e.kind, DotenvErrorKind::TooBig);
        assert_eq!(
            parse_with_limits("A=1", 3, 20).map_err(|e| e.message),
            Err("Dotenv Artifact Too Big. Maximum Allowable Size: 3".to_string())
        );
    }

    #[test]
    fn variable_count_limit() {
        let text: String = (0..21).map(|i| format!("KEY{i}=VAR{i}\n")).collect();
        let e = parse(&text, 20).expect_err("too many");
        assert_eq!(e.message, "Dotenv files cannot have more than 20 variables");
        assert_eq!(e.line, None);
        assert_eq!(parse(&text, 21).map(|v| v.len()), Ok(21));
        // Duplicates count once.
        let dup: String = (0..30).map(|i| format!("K{}={i}\n", i % 20)).collect();
        assert_eq!(parse(&dup, 20).map(|v| v.len()), Ok(20));
        // The count check comes before key validation.
        let bad: String = (0..3).map(|i| format!("K-{i}=1\n")).collect();
        assert_eq!(
            parse(&bad, 2).map_err(|e| e.kind),
            Err(DotenvErrorKind::TooManyVariables)
        );
    }

    #[test]
    fn plan_limits() {
        assert_eq!(max_variables("free", false), 20);
        assert_eq!(max_variables("ultimate", false), 20);
        assert_eq!(max_variables("free", true), 50);
        assert_eq!(max_variables("Premium", true), 100);
        assert_eq!(max_variables("ultimate", true), 150);
        assert_eq!(max_variables("???", true), 50);
    }

    #[test]
    fn never_panics_on_odd_input() {
        for text in [
            "=",
            "==",
            "\n",
            "\r",
            "\u{feff}",
            "\0=\0",
            "a=b\nc",
            "é=1",
            "\u{feff}\n",
        ] {
            let _ = parse(text, 0);
            let _ = parse(text, usize::MAX);
        }
    }
}
