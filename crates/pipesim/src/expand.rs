//! Variable expansion as GitLab's `ExpandVariables` (lib/expand_variables.rb) and
//! `Gitlab::Ci::Variables::Collection#sort_and_expand_all` (lib/gitlab/ci/variables/collection.rb,
//! collection/sort.rb) do it: `$VAR` and `${VAR}` references, unknown ones removed
//! ([`expand`]) or kept ([`expand_existing`]), and a job's whole variable list expanded in
//! dependency order the way `Ci::BuildRunnerPresenter#runner_variables` hands it to the runner
//! ([`sort_and_expand_all`]: undefined references kept, `expand: false` variables neither
//! expanded nor expanded into others).
//!
//! Used by `include` paths (config/include.rs), rules clauses and the data-flow layer alike.

/// A `$NAME` or `${NAME}` reference at the start of `after_dollar` (the text after a `$`):
/// the name and how many bytes it takes, or `None`.
fn reference(after_dollar: &str) -> Option<(&str, usize)> {
    if let Some(inner) = after_dollar.strip_prefix('{') {
        let end = inner.find('}')?;
        let name = &inner[..end];
        let valid =
            !name.is_empty() && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_');
        return valid.then_some((name, end + 2));
    }
    let len = after_dollar
        .bytes()
        .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_')
        .count();
    (len > 0).then(|| (&after_dollar[..len], len))
}

/// Replaces each reference with `replace(name, written)`'s answer.
fn replace_references(s: &str, replace: &mut dyn FnMut(&str, &str, &mut String)) -> String {
    if !s.contains('$') {
        return s.to_owned();
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find('$') {
        out.push_str(&rest[..at]);
        let after = &rest[at + 1..];
        match reference(after) {
            Some((name, consumed)) => {
                replace(name, &rest[at..at + 1 + consumed], &mut out);
                rest = &after[consumed..];
            }
            None => {
                out.push('$');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// `ExpandVariables.expand`: known references are replaced, unknown ones become empty.
pub fn expand(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    replace_references(s, &mut |name, _, out| {
        if let Some(value) = lookup(name) {
            out.push_str(&value);
        }
    })
}

/// `ExpandVariables.expand_existing`: known references are replaced, unknown ones stay as
/// written.
pub fn expand_existing(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    replace_references(s, &mut |name, written, out| match lookup(name) {
        Some(value) => out.push_str(&value),
        None => out.push_str(written),
    })
}

/// [`expand`] against a list of pairs; the last definition of a name wins, as in
/// `Variables::Collection#to_hash` (a project variable named like a predefined one replaces it).
pub fn expand_pairs(s: &str, variables: &[(String, String)]) -> String {
    expand(s, &|name| {
        variables
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    })
}

/// One variable of a job's list, for [`sort_and_expand_all`].
pub struct Entry<'a> {
    pub name: &'a str,
    pub value: &'a str,
    /// `expand: false` (or a raw dotenv/file variable): the value is passed as written.
    pub raw: bool,
}

/// What [`sort_and_expand_all`] made of one variable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Expanded {
    /// The value the runner receives.
    Value(String),
    /// Part of a reference cycle (collection/sort.rb `TSort::Cyclic`): GitLab gives up on
    /// expanding and passes the values as written.
    Cyclic,
}

/// `Collection#sort_and_expand_all(keep_undefined: true, expand_raw_refs: false)`: every
/// non-raw value has its references to other variables of the list replaced by their own
/// expanded values; references to unknown variables stay (the runner may still know them),
/// references to raw variables stay as written. The later definition of a name wins. Work is
/// linear in the total length: each variable is expanded once.
pub fn sort_and_expand_all(entries: &[Entry]) -> Vec<Expanded> {
    // Winner of each name: the last definition.
    let mut winner: std::collections::HashMap<&str, usize> =
        std::collections::HashMap::with_capacity(entries.len());
    for (index, entry) in entries.iter().enumerate() {
        winner.insert(entry.name, index);
    }
    #[derive(Clone)]
    enum State {
        Todo,
        Busy,
        Done(Expanded),
    }
    let mut states = vec![State::Todo; entries.len()];
    // Iterative depth-first expansion: a stack of variables being expanded.
    fn visit(
        index: usize,
        entries: &[Entry],
        winner: &std::collections::HashMap<&str, usize>,
        states: &mut Vec<State>,
        depth: usize,
    ) -> Expanded {
        match &states[index] {
            State::Done(done) => return done.clone(),
            State::Busy => return Expanded::Cyclic,
            State::Todo => {}
        }
        let entry = &entries[index];
        if entry.raw || !entry.value.contains('$') {
            let done = Expanded::Value(entry.value.to_owned());
            states[index] = State::Done(done.clone());
            return done;
        }
        // Nesting deeper than the list is long can only be a cycle; the bound keeps the
        // recursion finite on any input.
        if depth > entries.len() || depth > 256 {
            states[index] = State::Done(Expanded::Cyclic);
            return Expanded::Cyclic;
        }
        states[index] = State::Busy;
        let mut cyclic = false;
        let value = replace_references(entry.value, &mut |name, written, out| match winner
            .get(name)
            .copied()
        {
            Some(other) if entries[other].raw => out.push_str(written),
            Some(other) => match visit(other, entries, winner, states, depth + 1) {
                Expanded::Value(v) => out.push_str(&v),
                Expanded::Cyclic => {
                    cyclic = true;
                    out.push_str(written);
                }
            },
            None => out.push_str(written),
        });
        let done = if cyclic {
            Expanded::Cyclic
        } else {
            Expanded::Value(value)
        };
        states[index] = State::Done(done.clone());
        done
    }
    (0..entries.len())
        .map(|index| visit(index, entries, &winner, &mut states, 0))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry<'a>(name: &'a str, value: &'a str, raw: bool) -> Entry<'a> {
        Entry { name, value, raw }
    }

    #[test]
    fn expand_removes_or_keeps_unknown() {
        let lookup = |n: &str| (n == "A").then(|| "1".to_owned());
        assert_eq!(expand("x$A-${A}-$B-${B}-$", &lookup), "x1-1---$");
        assert_eq!(expand_existing("x$A-${A}-$B-${B}", &lookup), "x1-1-$B-${B}");
        assert_eq!(expand("${A", &lookup), "${A");
    }

    #[test]
    fn sort_and_expand_all_follows_references_and_raw() {
        let entries = [
            entry("URL", "$HOST/$PATH_PART", false),
            entry("HOST", "https://${DOMAIN}", false),
            entry("DOMAIN", "example.com", false),
            entry("PATH_PART", "$RAW", false),
            entry("RAW", "$NOT_EXPANDED", true),
            entry("UNKNOWN", "$NOPE", false),
        ];
        let out = sort_and_expand_all(&entries);
        assert_eq!(out[0], Expanded::Value("https://example.com/$RAW".into()));
        assert_eq!(out[4], Expanded::Value("$NOT_EXPANDED".into()));
        assert_eq!(out[5], Expanded::Value("$NOPE".into()));
    }

    #[test]
    fn sort_and_expand_all_cycles_and_later_definitions() {
        let entries = [
            entry("A", "$B", false),
            entry("B", "$A", false),
            entry("C", "first", false),
            entry("C", "second", false),
            entry("D", "$C", false),
        ];
        let out = sort_and_expand_all(&entries);
        assert_eq!(out[0], Expanded::Cyclic);
        assert_eq!(out[1], Expanded::Cyclic);
        assert_eq!(out[4], Expanded::Value("second".into()));
    }
}
