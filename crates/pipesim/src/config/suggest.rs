//! "Did you mean": the allowed word closest to a misspelt one, for our explanations beside
//! GitLab's unknown-key and unknown-value messages (GitLab itself suggests nothing; its
//! message stays as it is).

/// The candidate within a small edit distance of `word` (one edit for words of up to four
/// letters, two for longer ones; transpositions count as one edit), the first on a tie; none
/// for the word itself or when nothing is that close. Bounded: only words of at most 64 bytes
/// are compared.
pub fn closest<'a>(word: &str, candidates: &[&'a str]) -> Option<&'a str> {
    let word = word.as_bytes();
    if word.is_empty() || word.len() > 64 {
        return None;
    }
    let limit = if word.len() <= 4 { 1 } else { 2 };
    let mut best: Option<(usize, &'a str)> = None;
    for candidate in candidates {
        let c = candidate.as_bytes();
        if c == word || c.len() > 64 || c.len().abs_diff(word.len()) > limit {
            continue;
        }
        let d = distance(word, c);
        if d <= limit && best.is_none_or(|(b, _)| d < b) {
            best = Some((d, candidate));
        }
    }
    best.map(|(_, c)| c)
}

/// The sentence our explanations add: "Did you mean `artifacts`?".
pub fn did_you_mean(word: &str, candidates: &[&str]) -> Option<String> {
    closest(word, candidates).map(|c| format!("Did you mean `{c}`?"))
}

/// Optimal string alignment distance (Levenshtein with adjacent transpositions), ASCII-case
/// insensitive.
fn distance(a: &[u8], b: &[u8]) -> usize {
    let (n, m) = (a.len(), b.len());
    let mut rows = vec![vec![0usize; m + 1]; n + 1];
    for (i, row) in rows.iter_mut().enumerate() {
        row[0] = i;
    }
    for (j, cell) in rows[0].iter_mut().enumerate() {
        *cell = j;
    }
    for i in 1..=n {
        for j in 1..=m {
            let cost = usize::from(!a[i - 1].eq_ignore_ascii_case(&b[j - 1]));
            let mut d = (rows[i - 1][j] + 1)
                .min(rows[i][j - 1] + 1)
                .min(rows[i - 1][j - 1] + cost);
            if i > 1
                && j > 1
                && a[i - 1].eq_ignore_ascii_case(&b[j - 2])
                && a[i - 2].eq_ignore_ascii_case(&b[j - 1])
            {
                d = d.min(rows[i - 2][j - 2] + 1);
            }
            rows[i][j] = d;
        }
    }
    rows[n][m]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_usual_misspellings() {
        let keys = ["artifacts", "script", "stage", "when"];
        assert_eq!(closest("artifact", &keys), Some("artifacts"));
        assert_eq!(closest("scirpt", &keys), Some("script"));
        assert_eq!(closest("stgae", &keys), Some("stage"));
        assert_eq!(closest("biuld", &["build", "test"]), Some("build"));
        assert_eq!(
            closest("allways", &["on_success", "always", "manual"]),
            Some("always")
        );
    }

    #[test]
    fn suggests_nothing_far_or_identical() {
        assert_eq!(closest("variables", &["script", "stage"]), None);
        assert_eq!(closest("stage", &["stage"]), None);
        assert_eq!(closest("", &["a"]), None);
        assert_eq!(closest("ab", &["xy"]), None);
        assert_eq!(closest(&"a".repeat(100), &["a"]), None);
    }

    fn explanations(yaml: &str) -> Vec<(String, String)> {
        let mut files = crate::Files::new();
        files.insert(".gitlab-ci.yml", yaml);
        let report = crate::lint(&files, ".gitlab-ci.yml");
        report
            .errors
            .iter()
            .map(|d| (d.message.clone(), d.explanation.clone().unwrap_or_default()))
            .collect()
    }

    #[test]
    fn unknown_keys_values_and_stages_get_a_suggestion_beside_gitlabs_message() {
        let found = explanations("build:\n  script: make\n  artifact:\n    paths: [a]\n");
        assert_eq!(
            found[0].0,
            "jobs:build config contains unknown keys: artifact"
        );
        assert!(
            found[0]
                .1
                .ends_with("`artifact`: did you mean `artifacts`?"),
            "{found:?}"
        );

        let found = explanations("stages: [build]\nx:\n  stage: biuld\n  script: make\n");
        assert!(
            found[0]
                .0
                .starts_with("x job: chosen stage biuld does not exist"),
            "{found:?}"
        );
        assert!(found[0].1.ends_with("Did you mean `build`?"), "{found:?}");

        let found = explanations("x:\n  script: make\n  when: allways\n");
        assert!(found[0].1.contains("Did you mean `always`?"), "{found:?}");

        let found = explanations("x:\n  script: make\n  rules:\n    - when: allways\n");
        assert_eq!(found[0].1, "Did you mean `always`?", "{found:?}");
    }
}
