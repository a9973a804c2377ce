//! Positions in the editor text.
//!
//! The core reports 1-based lines and columns counted in characters; a `<textarea>` selection
//! is counted in UTF-16 code units. Pure functions, so they are tested natively too.

/// Number of lines the editor shows for `text` (a trailing newline starts an empty last line,
/// as it does in the textarea).
pub fn line_count(text: &str) -> u32 {
    text.split('\n').count() as u32
}

/// The textarea selection offset (UTF-16 code units) of `line`:`column`, both 1-based. A column
/// past the end of its line lands at the end of that line; a line past the end of the text
/// lands at the end of the text; line 0 (no position) is the start.
pub fn utf16_offset(text: &str, line: u32, column: u32) -> u32 {
    let mut offset = 0u32;
    for (index, content) in text.split('\n').enumerate() {
        if index as u32 + 1 == line.max(1) {
            let column = column.max(1) as usize - 1;
            let within: u32 = content
                .trim_end_matches('\r')
                .chars()
                .take(column)
                .map(|c| c.len_utf16() as u32)
                .sum();
            return offset + within;
        }
        offset += content.encode_utf16().count() as u32 + 1;
    }
    text.encode_utf16().count() as u32
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_lines_like_a_textarea() {
        assert_eq!(line_count(""), 1);
        assert_eq!(line_count("a"), 1);
        assert_eq!(line_count("a\n"), 2);
        assert_eq!(line_count("a\nb\nc"), 3);
    }

    #[test]
    fn offsets_count_utf16_units() {
        let text = "a: 1\nb: \"é😀\"\nc: 3\n";
        assert_eq!(utf16_offset(text, 1, 1), 0);
        assert_eq!(utf16_offset(text, 2, 1), 5);
        assert_eq!(utf16_offset(text, 3, 1), 5 + 8 + 1);
        // The emoji is two UTF-16 units but one column.
        assert_eq!(utf16_offset(text, 2, 7), 5 + 7);
    }

    #[test]
    fn out_of_range_positions_are_clamped() {
        let text = "ab\r\ncd";
        assert_eq!(utf16_offset(text, 1, 99), 2);
        assert_eq!(utf16_offset(text, 9, 1), 6);
        assert_eq!(utf16_offset(text, 0, 0), 0);
    }
}
