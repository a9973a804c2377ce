//! The bytes of a YAML file before parsing: GitLab's raw size limit
//! (lib/gitlab/config/loader/yaml.rb raises `DataTooLargeError` "The provided YAML is too big"
//! before parsing when the text is larger than `max_yaml_size_bytes`, 2 MiB by default in
//! application_setting_implementation.rb; spec/lib/gitlab/config/loader/yaml_spec.rb "when raw
//! yaml content is too large") and libyaml's UTF-8 check (reader.c
//! `yaml_parser_update_buffer`), whose error Psych reports at the parser's context mark, which
//! a reader error leaves at its start (psych_parser.c `make_exception`): "at line 1 column 1".

/// GitLab's `max_yaml_size_bytes` default.
pub const MAX_YAML_SIZE_BYTES: usize = 2 * 1024 * 1024;

pub const TOO_LARGE_MESSAGE: &str = "The provided YAML is too big";

/// Where a file's bytes stop being UTF-8, and libyaml's word for it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Utf8Problem {
    /// Byte offset of the first bad byte.
    pub offset: usize,
    /// 1-based line and column (in characters) of that byte.
    pub line: u32,
    pub column: u32,
    /// libyaml's problem text, e.g. "invalid leading UTF-8 octet".
    pub problem: &'static str,
}

impl Utf8Problem {
    /// The message GitLab shows: Psych's syntax error format with libyaml's problem.
    pub fn message(&self) -> String {
        format!("(<unknown>): {} at line 1 column 1", self.problem)
    }
}

/// The text of `bytes`, or where and why it is not UTF-8 (as libyaml's reader decides).
pub fn decode(bytes: &[u8]) -> Result<&str, Utf8Problem> {
    let error = match std::str::from_utf8(bytes) {
        Ok(text) => return Ok(text),
        Err(error) => error,
    };
    let offset = error.valid_up_to();
    let valid = std::str::from_utf8(&bytes[..offset]).unwrap_or_default();
    let line = valid.matches('\n').count() as u32 + 1;
    let column = valid.rsplit('\n').next().unwrap_or("").chars().count() as u32 + 1;
    Err(Utf8Problem {
        offset,
        line,
        column,
        problem: problem_at(&bytes[offset..]),
    })
}

/// libyaml's checks on one UTF-8 sequence, in its order: the leading octet's width, the
/// input ending inside the sequence, each trailing octet, an overlong form, the code point.
fn problem_at(rest: &[u8]) -> &'static str {
    let lead = rest[0];
    let width = if lead & 0x80 == 0 {
        1
    } else if lead & 0xE0 == 0xC0 {
        2
    } else if lead & 0xF0 == 0xE0 {
        3
    } else if lead & 0xF8 == 0xF0 {
        4
    } else {
        0
    };
    if width == 0 {
        return "invalid leading UTF-8 octet";
    }
    if rest.len() < width {
        return "incomplete UTF-8 octet sequence";
    }
    let mut value = u32::from(match width {
        2 => lead & 0x1F,
        3 => lead & 0x0F,
        4 => lead & 0x07,
        _ => lead,
    });
    for &octet in &rest[1..width] {
        if octet & 0xC0 != 0x80 {
            return "invalid trailing UTF-8 octet";
        }
        value = (value << 6) + u32::from(octet & 0x3F);
    }
    let fits = match width {
        1 => true,
        2 => value >= 0x80,
        3 => value >= 0x800,
        _ => value >= 0x10000,
    };
    if !fits {
        return "invalid length of a UTF-8 sequence";
    }
    "invalid Unicode character"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn problems_in_libyaml_order() {
        let at = |bytes: &[u8]| decode(bytes).unwrap_err();
        assert_eq!(
            at(b"a: 1\nb: \xff\n").problem,
            "invalid leading UTF-8 octet"
        );
        assert_eq!(
            (at(b"a: 1\nbc: \xff").line, at(b"a: 1\nbc: \xff").column),
            (2, 5)
        );
        assert_eq!(at(b"\xc3").problem, "incomplete UTF-8 octet sequence");
        assert_eq!(at(b"\xc3x").problem, "invalid trailing UTF-8 octet");
        assert_eq!(
            at(b"\xc0\xaf").problem,
            "invalid length of a UTF-8 sequence"
        );
        assert_eq!(at(b"\xed\xa0\x80").problem, "invalid Unicode character");
        assert_eq!(
            at(b"\xff").message(),
            "(<unknown>): invalid leading UTF-8 octet at line 1 column 1"
        );
        assert_eq!(decode("é".as_bytes()), Ok("é"));
    }
}
