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

/// Lowercase letters that are not the lowercase of their own capital (`ς` is a form of `σ`,
/// `ſ` of `s`), with the lowercase they fold to, as in Unicode's CaseFolding.txt (status C).
/// The dotless `ı` is left out: it folds to itself there, and RE2 does not pair it with `I`.
const VARIANTS: [(char, char); 22] = [
    ('\u{00B5}', '\u{03BC}'),
    ('\u{017F}', 's'),
    ('\u{0345}', '\u{03B9}'),
    ('\u{03C2}', '\u{03C3}'),
    ('\u{03D0}', '\u{03B2}'),
    ('\u{03D1}', '\u{03B8}'),
    ('\u{03D5}', '\u{03C6}'),
    ('\u{03D6}', '\u{03C0}'),
    ('\u{03F0}', '\u{03BA}'),
    ('\u{03F1}', '\u{03C1}'),
    ('\u{03F5}', '\u{03B5}'),
    ('\u{1C80}', '\u{0432}'),
    ('\u{1C81}', '\u{0434}'),
    ('\u{1C82}', '\u{043E}'),
    ('\u{1C83}', '\u{0441}'),
    ('\u{1C84}', '\u{0442}'),
    ('\u{1C85}', '\u{0442}'),
    ('\u{1C86}', '\u{044A}'),
    ('\u{1C87}', '\u{0463}'),
    ('\u{1C88}', '\u{A64B}'),
    ('\u{1E9B}', '\u{1E61}'),
    ('\u{1FBE}', '\u{03B9}'),
];

/// The lowercase `c` folds to: its own lowercase, or the one a variant form stands for.
fn fold(c: char) -> Option<char> {
    match VARIANTS.iter().find(|(variant, _)| *variant == c) {
        Some(&(_, folded)) => Some(folded),
        None => lower(c),
    }
}

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

/// Every other character that folds to the same lowercase as `c` (Unicode simple case
/// folding, as RE2 pairs letters): `é` → `É`; `k` → `K`, `K` (Kelvin sign); `ǆ` → `ǅ`, `Ǆ`;
/// `σ` → `Σ`, `ς`. Empty when `c` folds to no single character (`İ`).
pub fn case_mates(c: char) -> Vec<char> {
    let Some(folded) = fold(c) else {
        return Vec::new();
    };
    let variants = VARIANTS
        .iter()
        .filter(move |(variant, to)| *to == folded && *variant != folded)
        .map(|(variant, _)| *variant);
    std::iter::once(folded)
        .chain(uppers_of(folded))
        .chain(variants)
        .filter(|&m| m != c)
        .collect()
}

/// `c` in upper (or title) case when it is a lowercase letter with one: Ruby's `capitalize`
/// for a first letter (`ǆ` → `ǅ`, titlecase like Ruby).
pub fn capital(c: char) -> char {
    if lower(c) != Some(c) {
        return c;
    }
    fold(c).and_then(|l| uppers_of(l).next()).unwrap_or(c)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Planes 2 to 16 hold no letter with a case mapping (the last is Adlam, U+1E943).
    const CASED_END: u32 = 0x20000;

    /// Every single-character lowercase mapping is found back from the lowercase.
    #[test]
    fn the_distances_cover_unicode() {
        for code in 0..CASED_END {
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
        assert_eq!(case_mates('σ'), ['Σ', 'ς']);
        assert_eq!(case_mates('ς'), ['σ', 'Σ']);
        assert_eq!(case_mates('ſ'), ['s', 'S']);
        assert_eq!(case_mates('µ'), ['μ', 'Μ']);
        assert!(case_mates('ı').is_empty());
        assert_eq!(capital('ς'), 'Σ');
        assert_eq!(capital('é'), 'É');
        assert_eq!(capital('m'), 'M');
        assert_eq!(capital('ǆ'), 'ǅ');
        assert_eq!(capital('É'), 'É');
        // Ruby writes "Ss" (a full mapping); the one-letter capital is ẞ.
        assert_eq!(capital('ß'), 'ẞ');
    }

    /// Whatever the standard library uppercases a letter to is among its mates (the dotless
    /// `ı` aside, which simple case folding keeps apart from `I`), and the other way round.
    #[test]
    fn mates_include_the_standard_upper_and_lower_case() {
        for code in 0..CASED_END {
            let Some(c) = char::from_u32(code) else {
                continue;
            };
            if c == '\u{0131}' {
                continue;
            }
            let mates = case_mates(c);
            let upper: Vec<char> = c.to_uppercase().collect();
            let lower: Vec<char> = c.to_lowercase().collect();
            for mapped in [upper, lower] {
                if let [m] = mapped[..] {
                    if m != c && fold(m).is_some() {
                        assert!(
                            mates.contains(&m),
                            "{c:?} (U+{code:04X}): {m:?} not in {mates:?}"
                        );
                    }
                }
            }
        }
    }

    /// Agrees with the standard library's uppercase wherever that is one character and
    /// lowercases back (the letters a case-insensitive match pairs).
    #[test]
    fn capital_agrees_with_to_uppercase() {
        for code in 0..CASED_END {
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
