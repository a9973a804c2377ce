//! Letter case in both directions from the standard library's lowercase table alone.
//!
//! Case-insensitive regexes (RE2 folds non-ASCII letters, the engine does not) need the other
//! cases of a letter, and a merge request title capitalises its first letter. `char::
//! to_uppercase` would bring a second Unicode table into the browser bundle (about 5 KB
//! gzipped); every uppercase letter is instead found from its lowercase by the few distances
//! that separate the two in Unicode, checked against the lowercase table.

/// `upper - lower` for every character whose lowercase is a single other character, most
/// common first (so `k` finds `K` before the Kelvin sign). The test below checks the list is
/// complete for the Unicode version of the standard library.
const UPPER_MINUS_LOWER: [i32; 83] = [
    -1, -32, -48, -38864, 8, -40, -64, 3008, -7264, -39, -34, -26, -27, -80, -16, -8, -2, 86, 130,
    -218, -205, -37, 9, -217, -211, -63, 7, 74, 100, 112, 126, 128, 10815, 42308, -10795, -10792,
    -928, -219, -214, -213, -210, -209, -207, -206, -203, -202, -116, -79, -71, -69, -38, -28, -15,
    48, 56, 60, 97, 121, 163, 195, 3814, 7517, 7615, 8262, 8383, 10727, 10743, 10749, 10780, 10782,
    10783, 35332, 35384, 42258, 42261, 42280, 42282, 42305, 42307, 42315, 42319, 42343, 42561,
];

/// The lowercase of `c` when it is one character (`İ` lowercases to two and has none here).
pub fn lower(c: char) -> Option<char> {
    let mut lowered = c.to_lowercase();
    match (lowered.next(), lowered.next()) {
        (Some(l), None) => Some(l),
        _ => None,
    }
}

/// The characters that lowercase to `l`, other than `l` itself, most common form first.
fn uppers_of(l: char) -> impl Iterator<Item = char> {
    UPPER_MINUS_LOWER.iter().filter_map(move |d| {
        let u = char::from_u32(u32::try_from(l as i64 + *d as i64).ok()?)?;
        (lower(u) == Some(l)).then_some(u)
    })
}

/// Every other character with the same single-character lowercase as `c`: `é` → `É`,
/// `k` → `K`, `K` (Kelvin sign), `ǆ` → `ǅ`, `Ǆ`. Empty when `c` has no such lowercase.
pub fn case_mates(c: char) -> Vec<char> {
    let Some(l) = lower(c) else {
        return Vec::new();
    };
    std::iter::once(l)
        .chain(uppers_of(l))
        .filter(|&m| m != c)
        .collect()
}

/// `c` in upper (or title) case when it is a lowercase letter with one: Ruby's `capitalize`
/// for a first letter (`ǆ` → `ǅ`, titlecase like Ruby).
pub fn capital(c: char) -> char {
    if lower(c) != Some(c) {
        return c;
    }
    uppers_of(c).next().unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every single-character lowercase mapping is found back from the lowercase.
    #[test]
    fn the_distances_cover_unicode() {
        for code in 0..=0x10FFFFu32 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            if let Some(l) = lower(c).filter(|&l| l != c) {
                assert!(
                    uppers_of(l).any(|u| u == c),
                    "{c:?} (U+{code:04X}) from {l:?}"
                );
            }
        }
    }

    #[test]
    fn mates_and_capitals() {
        assert_eq!(case_mates('é'), ['É']);
        assert_eq!(case_mates('É'), ['é']);
        assert_eq!(case_mates('k'), ['K', '\u{212A}']);
        assert_eq!(case_mates('ω'), ['Ω', '\u{2126}']);
        assert!(case_mates('İ').is_empty());
        assert!(case_mates('1').is_empty());
        assert_eq!(capital('é'), 'É');
        assert_eq!(capital('m'), 'M');
        assert_eq!(capital('ǆ'), 'ǅ');
        assert_eq!(capital('É'), 'É');
        // Ruby writes "Ss" (a full mapping); the one-letter capital is ẞ.
        assert_eq!(capital('ß'), 'ẞ');
    }

    /// Agrees with the standard library's uppercase wherever that is one character and
    /// lowercases back (the letters a case-insensitive match pairs).
    #[test]
    fn capital_agrees_with_to_uppercase() {
        for code in 0..=0x10FFFFu32 {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            let mut upper = c.to_uppercase();
            if let (Some(u), None) = (upper.next(), upper.next()) {
                if u != c && lower(u) == Some(c) && lower(c) == Some(c) {
                    let got = capital(c);
                    assert!(
                        got == u || lower(got) == Some(c),
                        "{c:?}: {got:?}, standard {u:?}"
                    );
                }
            }
        }
    }
}
