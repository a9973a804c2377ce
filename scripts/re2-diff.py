#!/usr/bin/env python3
"""Differential test of pipesim's regexes (crates/pipesim/src/expr/regexp.rs) against real RE2.

GitLab compiles every `rules:if` pattern with RE2 (lib/gitlab/untrusted_regexp.rb, through the
re2 gem); this script asks RE2 itself, through Google's `google-re2` Python binding (the same C++
library), what it accepts and what it matches, and compares pipesim's answers.

    scripts/re2-diff.py                 # curated corpus + 20,000 random patterns: report mismatches
    scripts/re2-diff.py --write         # regenerate tests/fixtures/regex/re2-cases.jsonl from RE2
    scripts/re2-diff.py --random N --seed S
    scripts/re2-diff.py --no-cargo      # only write target/re2-diff/cases.jsonl

Needs `pip install google-re2==1.1.20251105` (the script says so and exits 2 when it is missing).
The committed fixture is what a plain `cargo test -p pipesim` checks without Python
(`expr::tests::re2_cases`); the random corpus goes to target/re2-diff/cases.jsonl and is checked by
the same test through PIPESIM_RE2_CASES.

Each case is one JSON line: {"source", "pattern", "valid", "inputs", "matches"}. `pattern` is the
RE2 source as GitLab passes it to `UntrustedRegexp.new` (RubySyntax has already turned `/x/i`
into `(?i)x`); `matches` has a 1 or 0 per input: `UntrustedRegexp#scan(input).present?` as RE2 computes it. An
input (and a pattern) is a string, or a list of [text, times] pieces for long ones.
"""

import argparse
import json
import os
import random
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE = os.path.join(ROOT, "tests", "fixtures", "regex", "re2-cases.jsonl")
WORK = os.path.join(ROOT, "target", "re2-diff")

try:
    import re2  # google-re2
except ImportError:
    print("re2-diff: the google-re2 package is missing: pip install google-re2==1.1.20251105",
          file=sys.stderr)
    sys.exit(2)

# Inputs most patterns are tried on: ASCII and non-ASCII letters in both cases, the letters
# whose case folding is unusual (Kelvin sign, long s, sigma forms, sharp s), Perl-class edges
# (vertical tab, no-break space, Arabic-Indic digit), syntax characters, newlines.
DEFAULT_INPUTS = [
    "", "a", "A", "abc", "ABC", "aAbB", "é", "É", "café", "CAFÉ", "k", "K", "\u212a", "s", "S",
    "\u017f", "ß", "\u1e9e", "σ", "Σ", "ς", "0", "0123", "\u0663", "x y", "\t", "\u000b",
    "\u00a0", "a\nb", "\n", "{", "}", "[", "]", "\\", "/", "a{,2}", "αβγ", "本", "_",
    "feature/ABC-1", "v1.2.3",
]

# Branch, tag and file names the patterns of real .gitlab-ci.yml files are tried on.
REF_INPUTS = [
    "", "main", "master", "MAIN", "develop", "feature/ABC-12", "Feature/abc", "feature/x y",
    "fix/bug-1.2", "hotfix/urgent", "release/1.2.3", "release-1.2", "v1.2.3", "v1.2", "1.0.0",
    "1.0.0-rc1", "v2.0.0-beta.1", "renovate/lodash-4.x", "dependabot/npm_and_yarn/x",
    "docs/readme", "stable-1-x", "15-0-stable", "wip: thing", "Draft: title", "[skip ci] msg",
    "chore(deps): bump", "src/app.py", "README.md", "gitlab-org/gitlab", "x\n/y/",
]


def ruby_syntax(text):
    """`RubySyntax.fabricate`: `/body/flags` (after `\\/` unescaping) to `(?flags)body`."""
    text = text.replace("\\/", "/")
    for line in text.split("\n"):
        m = re.fullmatch(r"/(.*)/([ismU]*)", line)
        if m:
            body, flags = m.group(1), m.group(2)
            return "(?%s)%s" % (flags, body) if flags else body
    return None


def expand(value):
    """A string, or a list of [text, times] pieces (long patterns and inputs stay short here)."""
    if isinstance(value, list):
        return "".join(text * times for text, times in value)
    return value


def repeat(*pieces):
    """`repeat("(", 1001, "a", 1, ")", 1001)` is the pieces form of `expand`."""
    return [[pieces[k], pieces[k + 1]] for k in range(0, len(pieces), 2)]


def re2_answer(pattern, inputs):
    pattern = expand(pattern)
    """(valid, matches) as GitLab computes them: `UntrustedRegexp.new` succeeds, then
    `scan(text).present?`, which scans with `(` + source + `)` when the pattern has no capturing
    group (initialize_scan_regexp); when RE2 rejects that wrapped pattern the scan finds nothing."""
    opts = re2.Options()
    opts.log_errors = False
    try:
        compiled = re2.compile(pattern.encode("utf-8"), opts)
    except re2.error:
        return False, None
    scan = compiled
    if compiled.groups == 0:
        try:
            scan = re2.compile(b"(" + pattern.encode("utf-8") + b")", opts)
        except re2.error:
            return True, [False] * len(inputs)
    return True, [scan.search(expand(i).encode("utf-8")) is not None for i in inputs]


# --- The curated corpus -------------------------------------------------------------------

# re2/testing/search_test.cc, `simple_tests` (pattern, text); the Latin-1 rows are left out
# (GitLab's RE2 runs in UTF-8).
RE2_SEARCH_TESTS = [
    ("a", "a"), ("a", "zyzzyva"), ("a+", "aa"), ("(a+|b)+", "ab"), ("ab|cd", "xabcdx"),
    ("h.*od?", "hello\ngoodbye\n"), ("h.*o", "hello\ngoodbye\n"), ("h.*o", "goodbye\nhello\n"),
    ("h.*o", "hello world"), ("h.*o", "othello, world"), ("[^\\s\\S]", "aaaaaaa"),
    ("a", "aaaaaaa"), ("a*", "aaaaaaa"), ("a*", ""), ("ab|cd", "xabcdx"), ("a", "cab"),
    ("a*b", "cab"), ("((((((((((((((((((((x))))))))))))))))))))", "x"),
    ("[abcd]", "xxxabcdxxx"), ("[^x]", "xxxabcdxxx"), ("[abcd]+", "xxxabcdxxx"),
    ("[^x]+", "xxxabcdxxx"), ("(fo|foo)", "fo"), ("(foo|fo)", "foo"), ("aa", "aA"),
    ("a", "Aa"), ("a", "A"), ("ABC", "abc"), ("abc", "XABCY"), ("ABC", "xabcy"),
    ("foo|bar|[A-Z]", "foo"), ("^(foo|bar|[A-Z])", "foo"), ("(foo|bar|[A-Z])$", "foo\n"),
    ("(foo|bar|[A-Z])$", "foo"), ("^(foo|bar|[A-Z])$", "foo\n"), ("^(foo|bar|[A-Z])$", "foo"),
    ("^(foo|bar|[A-Z])$", "bar"), ("^(foo|bar|[A-Z])$", "X"), ("^(foo|bar|[A-Z])$", "XY"),
    ("^(fo|foo)$", "fo"), ("^(fo|foo)$", "foo"), ("^^(fo|foo)$", "fo"), ("^^(fo|foo)$", "foo"),
    ("^$", ""), ("^$", "x"), ("^^$", ""), ("^$$", ""), ("^^$", "x"), ("^$$", "x"),
    ("^^$$", ""), ("^^$$", "x"), ("^^^^^^^^$$$$$$$$", ""), ("^", "x"), ("$", "x"),
    ("\\bfoo\\b", "nofoo foo that"), ("a\\b", "faoa x"), ("\\bbar", "bar x"),
    ("\\bbar", "foo\nbar x"), ("bar\\b", "foobar"), ("bar\\b", "foobar\nxxx"),
    ("(foo|bar|[A-Z])\\b", "foo"), ("(foo|bar|[A-Z])\\b", "foo\n"), ("\\b", ""), ("\\b", "x"),
    ("\\b(foo|bar|[A-Z])", "foo"), ("\\b(foo|bar|[A-Z])\\b", "X"),
    ("\\b(foo|bar|[A-Z])\\b", "XY"), ("\\b(foo|bar|[A-Z])\\b", "bar"),
    ("\\b(foo|bar|[A-Z])\\b", "foo"), ("\\b(foo|bar|[A-Z])\\b", "foo\n"),
    ("\\b(foo|bar|[A-Z])\\b", "ffoo bbar N x"), ("\\b(fo|foo)\\b", "fo"),
    ("\\b(fo|foo)\\b", "foo"), ("\\b\\b", ""), ("\\b\\b", "x"), ("\\b$", ""), ("\\b$", "x"),
    ("\\b$", "y x"), ("\\b.$", "x"), ("^\\b(fo|foo)\\b", "fo"), ("^\\b(fo|foo)\\b", "foo"),
    ("^\\b", ""), ("^\\b", "x"), ("^\\b\\b", ""), ("^\\b\\b", "x"), ("^\\b$", ""),
    ("^\\b$", "x"), ("^\\b.$", "x"), ("^\\b.\\b$", "x"), ("^^^^^^^^\\b$$$$$$$", ""),
    ("^^^^^^^^\\b.$$$$$$", "x"), ("^^^^^^^^\\b$$$$$$$", "x"),
    ("\\Bfoo\\B", "n foo xfoox that"), ("a\\B", "faoa x"), ("\\Bbar", "bar x"),
    ("\\Bbar", "foo\nbar x"), ("bar\\B", "foobar"), ("bar\\B", "foobar\nxxx"),
    ("(foo|bar|[A-Z])\\B", "foox"), ("(foo|bar|[A-Z])\\B", "foo\n"), ("\\B", ""), ("\\B", "x"),
    ("\\B(foo|bar|[A-Z])", "foo"), ("\\B(foo|bar|[A-Z])\\B", "xXy"),
    ("\\B(foo|bar|[A-Z])\\B", "XY"), ("\\B(foo|bar|[A-Z])\\B", "XYZ"),
    ("\\B(foo|bar|[A-Z])\\B", "abara"), ("\\B(foo|bar|[A-Z])\\B", "xfoo_"),
    ("\\B(foo|bar|[A-Z])\\B", "xfoo\n"), ("\\B(foo|bar|[A-Z])\\B", "foo bar vNx"),
    ("\\B(fo|foo)\\B", "xfoo"), ("\\B(foo|fo)\\B", "xfooo"), ("\\B\\B", ""), ("\\B\\B", "x"),
    ("\\B$", ""), ("\\B$", "x"), ("\\B$", "y x"), ("\\B.$", "x"), ("^\\B(fo|foo)\\B", "fo"),
    ("^\\B(fo|foo)\\B", "foo"), ("^\\B", ""), ("^\\B", "x"), ("^\\B\\B", ""), ("^\\B\\B", "x"),
    ("^\\B$", ""), ("^\\B$", "x"), ("^\\B.$", "x"), ("^\\B.\\B$", "x"),
    ("^^^^^^^^\\B$$$$$$$", ""), ("^^^^^^^^\\B.$$$$$$", "x"), ("^^^^^^^^\\B$$$$$$$", "x"),
    ("\\bx\\b", "x"), ("\\bx\\b", "x>"), ("\\bx\\b", "<x"), ("\\bx\\b", "<x>"),
    ("\\bx\\b", "ax"), ("\\bx\\b", "xb"), ("\\bx\\b", "axb"), ("\\bx\\b", "«x"),
    ("\\bx\\b", "x»"), ("\\bx\\b", "«x»"), ("\\bx\\b", "áxβ"), ("\\Bx\\B", "axb"),
    ("\\Bx\\B", "áxβ"), ("^$^$", ""), ("^$^", ""), ("$^$", ""), ("^$^$", "x"), ("^$^", "x"),
    ("$^$", "x"), ("^$^$", "x\ny"), ("^$^", "x\ny"), ("$^$", "x\ny"), ("^$^$", "x\n\ny"),
    ("^$^", "x\n\ny"), ("$^$", "x\n\ny"), ("^(foo\\$)$", "foo$bar"), ("(foo\\$)", "foo$bar"),
    ("^...$", "abc"), ("^本$", "本"), ("^...$", "日本語"), ("^...$", ".本."),
    ("^\\C\\C\\C$", "本"), ("^\\C$", "本"), ("^\\C\\C\\C$", "日本語"),
    ("\\B(fo|foo)\\B", "xfooo"), ("(fo|foo)", "foo"), ("\\141", "a"), ("\\060", "0"),
    ("\\0600", "00"), ("\\608", "08"), ("\\01", "\x01"), ("\\018", "\x018"), ("\\x{61}", "a"),
    ("\\x61", "a"), ("\\x{00000061}", "a"), ("\\p{Greek}+", "aαβb"), ("\\P{Greek}+", "aαβb"),
    ("\\p{^Greek}+", "aαβb"), ("\\P{^Greek}+", "aαβb"), ("[^0-9]+", "abc123"),
    ("\\p{Nd}+", "abc123²³¼½¾₀₉"), ("\\p{^Nd}+", "abc123²³¼½¾₀₉"),
    ("\\P{Nd}+", "abc123²³¼½¾₀₉"), ("\\P{^Nd}+", "abc123²³¼½¾₀₉"), ("\\pN+", "abc123²³¼½¾₀₉"),
    ("\\p{N}+", "abc123²³¼½¾₀₉"), ("\\p{^N}+", "abc123²³¼½¾₀₉"), ("\\p{Any}+", "abc123"),
    ("(?i)[@-A]+", "@AaB"), ("(?i)[A-Z]+", "aAzZ"), ("(?i)[^\\\\]+", "Aa\\"),
    ("(?i)[acegikmoqsuwy]+", "acegikmoqsuwyACEGIKMOQSUWY"), ("[@-A]+", "@AaB"),
    ("[A-Z]+", "aAzZ"), ("[^\\\\]+", "Aa\\"), ("[acegikmoqsuwy]+", "acegikmoqsuwyACEGIKMOQSUWY"),
    ("^abc", "abcdef"), ("^abc", "aabcdef"), ("^[ay]*[bx]+c", "abcdef"),
    ("^[ay]*[bx]+c", "aabcdef"), ("def$", "abcdef"), ("def$", "abcdeff"),
    ("d[ex][fy]$", "abcdef"), ("d[ex][fy]$", "abcdeff"), ("[dz][ex][fy]$", "abcdef"),
    ("[dz][ex][fy]$", "abcdeff"), ("(?m)^abc", "abcdef"), ("(?m)^abc", "aabcdef"),
    ("(?m)^[ay]*[bx]+c", "abcdef"), ("(?m)^[ay]*[bx]+c", "aabcdef"), ("(?m)def$", "abcdef"),
    ("(?m)def$", "abcdeff"), ("(?m)d[ex][fy]$", "abcdef"), ("(?m)d[ex][fy]$", "abcdeff"),
    ("(?m)[dz][ex][fy]$", "abcdef"), ("(?m)[dz][ex][fy]$", "abcdeff"), ("^", "a"), ("^^", "a"),
    ("a", "a"), ("ab*", "a"), ("a\\C*", "a"), ("a\\C+", "a"), ("a\\C?", "a"), ("a\\C*?", "a"),
    ("a\\C+?", "a"), ("a\\C??", "a"), ("a\\C*|ba\\C", "baba"),
]

# re2/testing/parse_test.cc: `badtests` (valid UTF-8 ones), `only_perl`, `only_posix`,
# `foldcase_tests`, `nested_tests`, `prefix_tests` patterns.
RE2_PARSE_TESTS = [
    "(", ")", "(a", "(a|b|", "(a|b", "[a-z", "([a-z)", "x{1001}", "(?P<name>a", "(?P<name>",
    "(?P<name", "(?P<x y>a)", "(?P<>a)", "[a-Z]", "(?i)[a-Z]", "a{100000}", "a{100000,}",
    "((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}){2})", "(((x{7}){11}){13})", "\\Q\\E*",
    "[a-b-c]", "\\Qabc\\E", "\\Q*+?{[\\E", "\\Q\\\\E", "\\Q\\\\\\E", "\\Q\\\\\\\\E",
    "\\Q\\\\\\\\\\E", "(?:a)", "(?P<name>a)", "a++", "a**", "a?*", "a+*", "a{1}*",
    "(?i)AbCdE", "(?i)[Aa]", "(?i)A[F-g]", "(?i)[[:upper:]]", "(?i)[[:lower:]]",
    "((((((((((x{2}){2}){2}){2}){2}){2}){2}){2}){2}))",
    "((((((((((x{1}){2}){2}){2}){2}){2}){2}){2}){2}){2})",
    "((((((((((x{0}){2}){2}){2}){2}){2}){2}){2}){2}){2})", "((((((x{2}){2}){2}){5}){5}){5})",
    "abc|abd", "a(?:b)c|abd", "(?i)abc|ABD", "[ab]c|[ab]d", ".c|.d", "\\Cc|\\Cd",
    "x{2}|x{2}[0-9]", "a\\C*?c|a\\C*?b", "^/a/bc|^/a/de", "test(?P<name", "test(?P<space bar>z)",
]

# Issue 13 item 2: the bugs reported against the regex-lite translation.
ISSUE_CASES = [
    ("(?i)^(feature|fix)/[a-z0-9.-]+$",
     ["feature/ABC-1.2", "Fix/x", "FEATURE/abc", "chore/x", "feature/", "feature/a b"]),
    ("(?i)[a-z]+", ["ABC", "abc", "123", "\u212a", "\u017f", ""]),
    ("(?i)[a-z0-9.-]+", ["A.B-C", "_"]),
    ("\\p{L}", ["é", "a", "1", "本", " "]),
    ("^\\p{L}+$", ["héllo", "hello1", "Ωμέγα"]),
    ("a(?i)b", ["ab", "aB", "Ab", "AB"]),
    ("A(?i)b(?-i)c", ["Abc", "ABc", "AbC", "abc"]),
    ("(?i)\\x{e9}", ["é", "É", "e"]),
    ("(?i)\\xe9", ["É"]),
    ("(?i)[\\x{e0}-\\x{ff}]", ["À", "Þ", "Ÿ", "a"]),
    ("(a|aa){1000}b", [repeat("a", 100000), repeat("a", 1000),
                        "a" * 999 + "b", "a" * 1000 + "b"]),
    ("^(a+)+$", [repeat("a", 100000), repeat("a", 1000, "b", 1)]),
    ("(x+x+)+y", [repeat("x", 100000)]),
]

# Translation edge cases: syntax RE2 and the regex crate disagree on, Perl classes, flags,
# Unicode names, and RE2's limits.
EDGE_PATTERNS = [
    # Repetition.
    "a**", "a*+", "a{2}{3}", "a*?", "a*??", "a+?", "a??", "a{2}?", "a{2}*", "a{1000}", "a{1001}",
    "a{0,1000}", "a{1000,}", "a{1001,}", "(?:a{100}){10}", "(?:a{100}){11}",
    "((a{10}){10}){10}", "((a{10}){10}){11}", "(a{2}){500}", "(a*){1000}", "(a{0}){1001}",
    "a{2,1}", "a{", "a{,2}", "a{01}", "a{1,02}", "a{ 1}", "a{1 }", "a{1", "a{1,", "a{1,2",
    "{", "}", "{1}", "x{1}{", "^*", "$*", "\\b*", "(?:)*", "()*", "(|a)*", "a|*", "(*)", "*",
    "+a", "?", "a{0}", "a{0,0}", "\\Q\\E*", "a\\Q\\E*", "a\\Q\\E{2}",
    # Groups and flags.
    "()", "(?:)", "(?)a", "(?-)a", "(?i-)a", "(?-i)a", "(?ii)a", "(?i-i)a", "(?i-i-i)a",
    "(?im-s:a)", "(?x)a", "(?u)a", "(?R)a", "(?U)a+", "(?s).", "(?m)^a$", "(?i:a)b",
    "(?P<n>a)", "(?<n>a)", "(?P<1a>a)", "(?P<n>a)(?P<n>b)", "(?P<n-x>a)", "(?'n'a)",
    "(?P<é>a)", "(?P<a_b>a)", "(?P=n)", "(?=a)", "(?!a)", "(?<=a)", "(?<!a)", "(?#c)", "(?|a)",
    "(?>a)", "a)|(b", "(a|", "a|", "|", "||", "(?i)", "(?i)(?-i)", "((?i)a)b",
    # An operator after a flags group applies to the atom before it (found by the random run).
    "a(?i)*", "a*(?i)*", "a*(?i)+", "k(?i)?", "^(?s)+", "(?i)*", "a{10}(?i){200}",
    "a{10}(?i){100}", "a(?i){2}", "(ab)(?U){1,3}", "a|(?i)*", "(?i)(?m)+", "a(?i)(?s)*b",
    # Escapes.
    "\\Qa.b\\E", "\\Qa.b", "(\\Qa)", "\\Q(a\\E", "\\Qab\\\\E", "\\E", "a\\E", "\\C", "\\C+",
    "[\\C]", "\\1", "\\8", "\\0", "\\00", "\\012", "\\0123", "\\377", "\\400", "\\x41", "\\x4",
    "\\x{41}", "\\x{}", "\\x{110000}", "\\x{10FFFF}", "\\x{D800}", "\\xZZ", "\\e", "\\_", "\\<",
    "\\>", "\\Z", "\\z", "\\A", "\\G", "\\K", "\\R", "\\X", "\\h", "\\H", "\\v", "\\V",
    "\\N{LATIN SMALL LETTER A}", "\\cA", "\\u0041", "\\U", "\\a", "\\f", "\\t", "\\n", "\\r",
    "\\-", "\\ ", "\\#", "\\&", "\\~", "\\", "a\\", "\\é",
    # Perl classes (ASCII-only in RE2).
    "\\d", "\\D", "\\s", "\\S", "\\w", "\\W", "^\\w+$", "^\\d+$", "^\\s$", "^\\S$", "\\b", "\\B",
    "a\\b", "é\\b", "\\Bé", "[\\d]", "[\\D]", "[\\w]", "[\\W]", "[\\s]", "[\\S]", "[^\\d]",
    "[^\\D]", "[\\dA-F]", "[\\d-z]", "[a-\\d]", "(?i)\\w", "(?i)\\W", "(?i)[^\\w]", "(?i)\\S",
    # Classes.
    "[a", "[]a]", "[]", "[^]a]", "[^]", "[a[b]", "[[]", "[z-a]", "[a-]", "[-a]", "[a-b-c]",
    "[[:alpha:]]", "[[:foo:]]", "[[:^digit:]x]", "[[:alpha]", "[[:word:]]", "[[:^word:]]",
    "[[:alpha:]", "[:alpha:]", "[\\b]", "[\\B]", "[\\x{e9}-\\x{ff}]", "[\\Q]\\E]", "[a&&b]",
    "[a--b]", "[a~~b]", "[\\p{L}0-9]", "[^\\P{L}]", "[\\pL]", "[\\]]", "[\\\\]", "[\\^]",
    "[\\n]", "[^\\n]", "[.]", "[$^]", "[\\0]", "[\\1]", "[\\x{110000}]", "[\\p{Foo}]",
    "(?i)[k]", "(?i)[K]", "(?i)[s]", "(?i)[ß]", "(?i)[σ]", "(?i)[^k]", "(?i)[^a-z]",
    "(?i)[[:upper:]]", "(?i)[[:^upper:]]", "(?i)[[:lower:]]", "(?i)[a-z]", "(?i)[A-Z]",
    "(?i)[à-þ]", "[^a]", "[^\\x00-\\x{10FFFF}]", "[\\x00-\\x{10FFFF}]",
    # Case folding of literals.
    "(?i)café", "(?i)[é]", "(?i:Ω)x", "(?i)ς", "(?i)σ", "(?i)Σ", "(?i)ſ", "(?i)s", "(?i)K",
    "(?i)k", "(?i)\\x{212A}", "café", "(?i)ß", "(?i)ẞ", "(?i)ss", "(?i)ǅ", "(?i)ǆ", "(?i)ΐ",
    "(?i)µ", "(?i)μ", "(?i)İ", "(?i)i", "(?i)ı",
    # Unicode classes: RE2's names only, exact spelling.
    "\\pL", "\\pN", "\\pZ", "\\pX", "\\pl", "\\p{L}", "\\p{Lu}", "\\p{Ll}", "\\p{Lt}", "\\p{LC}",
    "\\p{L&}", "\\p{Cn}", "\\p{Cs}", "\\p{Co}", "\\p{Greek}", "\\p{greek}", "\\p{GREEK}",
    "\\p{Latin}", "\\p{Han}", "\\p{Common}", "\\p{Inherited}", "\\p{Zyyy}", "\\p{Letter}",
    "\\p{Alphabetic}", "\\p{White_Space}", "\\p{gc=L}", "\\p{sc=Greek}", "\\p{Any}", "\\p{any}",
    "\\p{Old_Italic}", "\\p{Old Italic}", "\\p{OldItalic}", "\\p{^L}", "\\P{^L}", "\\p{}",
    "\\p{L", "\\p", "\\P", "\\p{Garay}", "\\p{Kawi}", "(?i)\\p{Lu}", "(?i)\\P{Lu}",
    "(?i)\\p{Ll}", "(?i)\\p{Greek}", "\\p{Braille}", "\\p{Yi}", "\\p{Zs}",
    # Anchors and dot.
    "^a$", "(?m)^a$", "a$", "^$", "(?s)a.b", "a.b", "(?m)$", "(?m)^", "(?U)a+?", "(?U)a*",
    "\\Aa\\z", "(?m)\\Aa\\z",
    # Literal text GitLab users write.
    "/", "a/b", "#", " ", "a b", "\t", "-", "&", "~", "é", "本", "\\/", "\\.", "\\$",
]

LIMIT_PATTERNS = [
    # RE2's 8 MiB max_mem, measured at its boundary (valid / invalid pairs).
    ("re2 program size", repeat("[a-z]{1000}", 698)),
    ("re2 program size", repeat("[a-z]{1000}", 699)),
    ("re2 program size", repeat("[a-z]{1000}", 1000)),
    ("re2 program size", repeat(".{1000}", 16)), ("re2 program size", repeat(".{1000}", 58)),
    ("re2 program size", repeat(".{1000}", 59)), ("re2 program size", "\\pL{1000}"),
    ("re2 program size", "\\pL{300}"), ("re2 program size", repeat("\\pL", 446)),
    ("re2 program size", repeat("\\pL", 447)), ("re2 program size", repeat("\\p{Greek}", 7060)),
    ("re2 program size", repeat("\\p{Greek}", 7061)), ("re2 program size", "(\\pL{100}){10}"),
    ("re2 program size", "(?i)\\pL{400}"), ("re2 program size", repeat("a", 200000)),
    ("re2 nesting", repeat("(", 200, "a", 1, ")", 200)),
    ("re2 nesting", repeat("(?:", 1000, "a", 1, ")", 1000)),
    ("re2 nesting", repeat("(", 1001, "a", 1, ")", 1001)),
]

# Patterns from GitLab's CI documentation and common public .gitlab-ci.yml files.
COMMON_CI_PATTERNS = [
    "^feature/.*", "^release/.*$", "\\[skip-tests\\]", "^v\\d+\\.\\d+\\.\\d+$", "^(main|master)$",
    ".*-stable$", "^[0-9]+-[0-9]+-stable(-ee)?$", "^renovate/", "^docs[/-].+", "\\d+\\.\\d+(\\.\\d+)?",
    "^security/", "(?i)^Draft:", "(?i)\\[ci skip\\]|\\[skip ci\\]", "^(?:feature|bugfix)/[A-Z]+-\\d+",
    "(?i)^(feature|fix)/[a-z0-9.-]+$", "^v?[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$", "^$",
    "\\.(md|txt)$", "^(?!main)", "^dependabot/", "(?i)wip", "^[a-z]+$", "^\\w+/\\w+$",
]

def gitlab_ci_patterns():
    """`/…/flags` patterns on the right of `=~` / `!~` in the repository's YAML fixtures
    (real-world .gitlab-ci.yml files and ported GitLab specs)."""
    found = {}
    lexeme = re.compile(r"[=!]~\s*(/(?:[^/\\\n]|\\.)+/[ismU]*)")
    for base, _, files in os.walk(os.path.join(ROOT, "tests", "fixtures")):
        if os.path.join("fixtures", "regex") in base:
            continue
        for name in sorted(files):
            if not name.endswith((".yml", ".yaml")):
                continue
            path = os.path.join(base, name)
            try:
                text = open(path, encoding="utf-8").read()
            except (UnicodeDecodeError, OSError):
                continue
            for m in lexeme.finditer(text):
                source = ruby_syntax(m.group(1))
                if source is not None and source not in found:
                    found[source] = os.path.relpath(path, ROOT)
    return sorted(found.items())


def curated_cases():
    cases = []
    by_pattern = {}
    for pattern, text in RE2_SEARCH_TESTS:
        key = ("re2/testing/search_test.cc simple_tests", pattern)
        if key not in by_pattern:
            by_pattern[key] = []
            cases.append(key)
        if text not in by_pattern[key]:
            by_pattern[key].append(text)
    out = []
    for source, pattern in cases:
        out.append((source, pattern, by_pattern[(source, pattern)] + ["", "x"]))
    for pattern in RE2_PARSE_TESTS:
        out.append(("re2/testing/parse_test.cc", pattern, DEFAULT_INPUTS))
    for pattern, inputs in ISSUE_CASES:
        out.append(("issue 13 item 2", pattern, inputs))
    for pattern in EDGE_PATTERNS:
        out.append(("pipesim translation edge case (crates/pipesim/src/expr/regexp.rs)", pattern,
                    DEFAULT_INPUTS))
    for source, pattern in LIMIT_PATTERNS:
        out.append(("pipesim limit: " + source, pattern, ["", "abc", "ab" * 500]))
    for pattern in COMMON_CI_PATTERNS:
        out.append(("common rules:if pattern (GitLab CI docs, public configs)", pattern,
                    REF_INPUTS))
    for pattern, path in gitlab_ci_patterns():
        out.append(("rules:if pattern in " + path, pattern, REF_INPUTS))
    return out


# --- Random patterns ----------------------------------------------------------------------

ATOMS = [
    "a", "b", "A", "é", "É", "k", "K", "\u212a", "s", "ſ", "σ", "ς", ".", "\\d", "\\D", "\\w",
    "\\W", "\\s", "\\S", "\\b", "\\B", "^", "$", "[a-c]", "[^a]", "[[:upper:]]", "[\\d_]",
    "\\pL", "\\p{Greek}", "\\PL", "\\Q.\\E", "\\C", "\\x{e9}", "\\012", "\\.", "[é-ë]", "[k]",
    "\\z", "\\A", "{", "}", "]", "-", "/", " ", "\\n", "\n",
]
OPEN = ["(", "(?:", "(?i)", "(?i:", "(?-i:", "(?s)", "(?m)", "(?U)", "(?P<n{}>"]
REPEATS = ["*", "+", "?", "*?", "+?", "??", "{2}", "{1,3}", "{0,}", "{,2}", "{3,1}", "{2}{2}"]
RANDOM_INPUT_ALPHABET = ["a", "b", "A", "B", "é", "É", "k", "K", "\u212a", "s", "S", "ſ", "σ",
                         "ς", "Σ", "0", "1", "_", " ", "\n", ".", "α", "{", "}", "-", "/", "本"]


def random_pattern(rng, depth=0):
    parts = []
    for _ in range(rng.randint(1, 4)):
        r = rng.random()
        if r < 0.15 and depth < 3:
            opener = rng.choice(OPEN).format(rng.randint(0, 9))
            if opener.endswith(")"):
                parts.append(opener)
            else:
                parts.append(opener + random_pattern(rng, depth + 1) + ")")
        elif r < 0.22:
            parts.append("|")
        else:
            parts.append(rng.choice(ATOMS))
        if rng.random() < 0.3:
            parts.append(rng.choice(REPEATS))
    return "".join(parts)


def random_cases(n, seed):
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        pattern = random_pattern(rng)
        inputs = ["".join(rng.choice(RANDOM_INPUT_ALPHABET) for _ in range(rng.randint(0, 8)))
                  for _ in range(6)]
        out.append(("random (scripts/re2-diff.py seed %d)" % seed, pattern, inputs))
    return out


def answer(cases):
    lines = []
    for source, pattern, inputs in cases:
        valid, matches = re2_answer(pattern, inputs)
        case = {"source": source, "pattern": pattern, "valid": valid}
        if valid:
            case["inputs"] = inputs
            case["matches"] = "".join("1" if m else "0" for m in matches)
        lines.append(json.dumps(case, ensure_ascii=False))
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--write", action="store_true",
                        help="regenerate tests/fixtures/regex/re2-cases.jsonl from RE2")
    parser.add_argument("--random", type=int, default=20000, help="random patterns to compare")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--no-cargo", action="store_true", help="do not run cargo test")
    args = parser.parse_args()
    if args.write:
        lines = answer(curated_cases())
        os.makedirs(os.path.dirname(FIXTURE), exist_ok=True)
        with open(FIXTURE, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        print("re2-diff: wrote %d RE2 cases to %s" % (len(lines), os.path.relpath(FIXTURE, ROOT)))
        return 0
    lines = answer(curated_cases() + random_cases(args.random, args.seed))
    os.makedirs(WORK, exist_ok=True)
    path = os.path.join(WORK, "cases.jsonl")
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print("re2-diff: %d cases (RE2 %s) in %s" % (len(lines), "google-re2", path))
    if args.no_cargo:
        return 0
    env = dict(os.environ, PIPESIM_RE2_CASES=path)
    cmd = ["cargo", "test", "-q", "-p", "pipesim", "--lib", "expr::tests::re2_cases", "--",
           "--nocapture"]
    return subprocess.call(cmd, cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main())
