//! Table-driven tests for `script.rs`.

use super::*;

fn line(key: &str, value: Option<&str>, raw: &str) -> DotenvLine {
    DotenvLine {
        key: key.to_string(),
        value: value.map(str::to_string),
        raw: raw.to_string(),
    }
}

/// `KEY=VALUE` with a static value; `raw` equals the text.
fn kv(text: &str) -> DotenvLine {
    let (k, v) = text.split_once('=').unwrap_or((text, ""));
    line(k.trim(), Some(v.trim()), text)
}

fn w(
    path: &str,
    append: bool,
    command: usize,
    entries: Vec<DotenvLine>,
    complete: bool,
) -> FileWrite {
    FileWrite {
        path: path.to_string(),
        append,
        command,
        entries,
        complete,
    }
}

fn r(path: &str, command: usize, how: &str) -> FileRead {
    FileRead {
        path: path.to_string(),
        command,
        how: how.to_string(),
    }
}

fn run(script: &[&str]) -> ScriptFacts {
    let commands: Vec<String> = script.iter().map(|s| s.to_string()).collect();
    analyze(&commands)
}

struct Case {
    name: &'static str,
    script: &'static [&'static str],
    writes: Vec<FileWrite>,
    reads: Vec<FileRead>,
    exports: Vec<(&'static str, Option<&'static str>)>,
}

fn case(name: &'static str, script: &'static [&'static str]) -> Case {
    Case {
        name,
        script,
        writes: Vec::new(),
        reads: Vec::new(),
        exports: Vec::new(),
    }
}

impl Case {
    fn writes(mut self, writes: Vec<FileWrite>) -> Self {
        self.writes = writes;
        self
    }
    fn reads(mut self, reads: Vec<FileRead>) -> Self {
        self.reads = reads;
        self
    }
    fn exports(mut self, exports: Vec<(&'static str, Option<&'static str>)>) -> Self {
        self.exports = exports;
        self
    }
}

#[test]
fn table() {
    let cases = vec![
        // The scenario job scripts.
        case(
            "scenario",
            &[
                "echo \"BUILD_VERSION=1.2.3\" > build.env",
                "source build.env",
                "echo $BUILD_VERSION",
            ],
        )
        .writes(vec![w(
            "build.env",
            false,
            0,
            vec![kv("BUILD_VERSION=1.2.3")],
            true,
        )])
        .reads(vec![r("build.env", 1, "source")]),
        case("echo unquoted append", &["echo K=V >> f.env"]).writes(vec![w(
            "f.env",
            true,
            0,
            vec![kv("K=V")],
            true,
        )]),
        case("single quotes literal", &["echo 'K=$V' > f"]).writes(vec![w(
            "f",
            false,
            0,
            vec![kv("K=$V")],
            true,
        )]),
        case("double quotes with variable", &["echo \"K=$V\" > f"]).writes(vec![w(
            "f",
            false,
            0,
            vec![line("K", None, "K=$V")],
            true,
        )]),
        case(
            "braced variable",
            &["echo \"URL=https://${HOST}/x\" >> deploy.env"],
        )
        .writes(vec![w(
            "deploy.env",
            true,
            0,
            vec![line("URL", None, "URL=https://${HOST}/x")],
            true,
        )]),
        case(
            "command substitution value",
            &["echo \"K=$(git rev-parse HEAD)\" >> f"],
        )
        .writes(vec![w(
            "f",
            true,
            0,
            vec![line("K", None, "K=$(git rev-parse HEAD)")],
            true,
        )]),
        case(
            "dot slash normalised",
            &["echo A=1 > ./build.env", ". ./build.env"],
        )
        .writes(vec![w("build.env", false, 0, vec![kv("A=1")], true)])
        .reads(vec![r("build.env", 1, ".")]),
        case("tee", &["echo 'K=V' | tee f"]).writes(vec![w("f", false, 0, vec![kv("K=V")], true)]),
        case("tee -a", &["echo \"K=V\" | tee -a f > /dev/null"]).writes(vec![w(
            "f",
            true,
            0,
            vec![kv("K=V")],
            true,
        )]),
        case(
            "printf with dynamic argument",
            &["printf 'K=%s\\n' \"$X\" >> f"],
        )
        .writes(vec![w("f", true, 0, vec![line("K", None, "K=$X")], true)]),
        case("printf static", &["printf \"K=V\\n\" > f"]).writes(vec![w(
            "f",
            false,
            0,
            vec![kv("K=V")],
            true,
        )]),
        case("printf format reuse", &["printf '%s\\n' A=1 B=2 > f"]).writes(vec![w(
            "f",
            false,
            0,
            vec![kv("A=1"), kv("B=2")],
            true,
        )]),
        case("printf %d", &["printf 'N=%d\\n' 42 > f"]).writes(vec![w(
            "f",
            false,
            0,
            vec![kv("N=42")],
            true,
        )]),
        case(
            "heredoc unquoted",
            &["cat > build.env <<EOF\nA=1\nB=$X\nEOF\necho done"],
        )
        .writes(vec![w(
            "build.env",
            false,
            0,
            vec![kv("A=1"), line("B", None, "B=$X")],
            true,
        )]),
        case(
            "heredoc quoted append",
            &["cat <<'EOF' >> f\nA=$NOT_EXPANDED\nEOF"],
        )
        .writes(vec![w("f", true, 0, vec![kv("A=$NOT_EXPANDED")], true)]),
        case(
            "heredoc dash strips tabs",
            &["cat <<-EOF > f\n\tA=1\n\tEOF"],
        )
        .writes(vec![w("f", false, 0, vec![kv("A=1")], true)]),
        case(
            "heredoc with substitution read",
            &["cat > f <<EOF\nV=$(cat version.txt)\nEOF"],
        )
        .writes(vec![w(
            "f",
            false,
            0,
            vec![line("V", None, "V=$(cat version.txt)")],
            true,
        )])
        .reads(vec![r("version.txt", 0, "cat")]),
        case("env dump is incomplete", &["env > f"]).writes(vec![w("f", false, 0, vec![], false)]),
        case("cat file copy", &["cat x.env > f"])
            .writes(vec![w("f", false, 0, vec![], false)])
            .reads(vec![r("x.env", 0, "cat")]),
        case("export", &["export A=1 B=\"two words\" C=$X D"]).exports(vec![
            ("A", Some("1")),
            ("B", Some("two words")),
            ("C", None),
            ("D", None),
        ]),
        case(
            "and-or-semicolon chains",
            &["echo A=1 > a && echo B=2 > b || echo C=3 > c; echo D=4 > d"],
        )
        .writes(vec![
            w("a", false, 0, vec![kv("A=1")], true),
            w("b", false, 0, vec![kv("B=2")], true),
            w("c", false, 0, vec![kv("C=3")], true),
            w("d", false, 0, vec![kv("D=4")], true),
        ]),
        case("input redirect", &["envsubst < tpl.env > out.env"])
            .writes(vec![w("out.env", false, 0, vec![], false)])
            .reads(vec![r("tpl.env", 0, "<")]),
        case(
            "grep reads files, not the pattern",
            &["grep -q BUILD_VERSION build.env"],
        )
        .reads(vec![r("build.env", 0, "grep")]),
        case("grep -e", &["grep -e A -e B one.env two.env"])
            .reads(vec![r("one.env", 0, "grep"), r("two.env", 0, "grep")]),
        case(
            "export from substitution",
            &["export $(cat build.env | xargs)"],
        )
        .reads(vec![r("build.env", 0, "cat")]),
        case(
            "dynamic path kept",
            &["echo A=1 >> \"$CI_PROJECT_DIR/build.env\""],
        )
        .writes(vec![w(
            "$CI_PROJECT_DIR/build.env",
            true,
            0,
            vec![kv("A=1")],
            true,
        )]),
        case(
            "loop is incomplete",
            &["for i in 1 2; do echo \"K$i=$i\" >> f; done"],
        )
        .writes(vec![w("f", true, 0, vec![], false)]),
        case(
            "loop output redirected",
            &["while read -r l; do echo \"$l\"; done < in.txt > out.env"],
        )
        .writes(vec![w("out.env", false, 0, vec![], false)])
        .reads(vec![r("in.txt", 0, "<")]),
        case("brace group", &["{ echo A=1; echo \"B=2\"; } > f"]).writes(vec![w(
            "f",
            false,
            0,
            vec![kv("A=1"), kv("B=2")],
            true,
        )]),
        case(
            "subshell group with unknown part",
            &["(echo A=1; date) > f"],
        )
        .writes(vec![w("f", false, 0, vec![kv("A=1")], false)]),
        case("if body", &["if [ -n \"$X\" ]; then echo A=1 >> f; fi"]).writes(vec![w(
            "f",
            true,
            0,
            vec![kv("A=1")],
            true,
        )]),
        case("echo -n and blank line", &["echo -n A=1 > f", "echo >> f"]).writes(vec![
            w("f", false, 0, vec![kv("A=1")], true),
            w("f", true, 1, vec![line("", None, "")], true),
        ]),
        case("echo -e", &["echo -e \"A=1\\nB=2\" > f"]).writes(vec![w(
            "f",
            false,
            0,
            vec![kv("A=1"), kv("B=2")],
            true,
        )]),
        case("dynamic key", &["echo \"$NAME=1\" > f"]).writes(vec![w(
            "f",
            false,
            0,
            vec![],
            false,
        )]),
        case("no equals line", &["echo hello > f"]).writes(vec![w(
            "f",
            false,
            0,
            vec![line("", None, "hello")],
            true,
        )]),
        case(
            "quotes kept by GitLab are removed by the shell",
            &["echo K=\"'a b'\" > f"],
        )
        .writes(vec![w("f", false, 0, vec![kv("K='a b'")], true)]),
        case(
            "stderr and devnull",
            &["make 2> err.log > /dev/null", "echo A=1 2>/dev/null > f"],
        )
        .writes(vec![
            w("err.log", false, 0, vec![], false),
            w("f", false, 1, vec![kv("A=1")], true),
        ]),
        case("stdout to stderr is not a write", &["echo A=1 >&2"]),
        case("redirect only truncates", &["> f", ": > g"]).writes(vec![
            w("f", false, 0, vec![], true),
            w("g", false, 1, vec![], true),
        ]),
        case("both stdout and stderr", &["echo A=1 &>> f"]).writes(vec![w(
            "f",
            true,
            0,
            vec![kv("A=1")],
            true,
        )]),
        case(
            "test brackets are not redirects",
            &["[[ $a > $b ]] && echo A=1 > f"],
        )
        .writes(vec![w("f", false, 0, vec![kv("A=1")], true)]),
        case("arithmetic is not a redirect", &["(( n > 3 )) && echo ok"]),
        case("comment ignored", &["# echo A=1 > f", "echo B=2 > g # > h"]).writes(vec![w(
            "g",
            false,
            1,
            vec![kv("B=2")],
            true,
        )]),
        case("backticks", &["echo \"SHA=`cat sha.txt`\" > f"])
            .writes(vec![w(
                "f",
                false,
                0,
                vec![line("SHA", None, "SHA=`cat sha.txt`")],
                true,
            )])
            .reads(vec![r("sha.txt", 0, "cat")]),
        case("assignment prefix", &["FOO=bar echo A=1 > f"]).writes(vec![w(
            "f",
            false,
            0,
            vec![kv("A=1")],
            true,
        )]),
        case("cp", &["cp template.env build.env"])
            .writes(vec![w("build.env", false, 0, vec![], false)])
            .reads(vec![r("template.env", 0, "cp")]),
        case("line continuation", &["echo \\\n  A=1 > f"]).writes(vec![w(
            "f",
            false,
            0,
            vec![kv("A=1")],
            true,
        )]),
        case("here-string", &["cat <<< 'A=1' > f"]).writes(vec![w(
            "f",
            false,
            0,
            vec![kv("A=1")],
            true,
        )]),
        case("source with process substitution", &["source <(cat a.env)"])
            .reads(vec![r("a.env", 0, "cat"), r("<(cat a.env)", 0, "source")]),
        case("multi-line entry", &["echo A=1 > f\nsource f\ncat f"])
            .writes(vec![w("f", false, 0, vec![kv("A=1")], true)])
            .reads(vec![r("f", 0, "source"), r("f", 0, "cat")]),
        case(
            "value with spaces stripped like GitLab",
            &["echo 'K =  v  ' > f"],
        )
        .writes(vec![w(
            "f",
            false,
            0,
            vec![line("K", Some("v"), "K =  v  ")],
            true,
        )]),
    ];
    assert!(cases.len() >= 30);
    for c in cases {
        let got = run(c.script);
        assert_eq!(got.writes, c.writes, "{}: writes", c.name);
        assert_eq!(got.reads, c.reads, "{}: reads", c.name);
        let exports: Vec<(String, Option<String>)> = c
            .exports
            .iter()
            .map(|(k, v)| (k.to_string(), v.map(str::to_string)))
            .collect();
        assert_eq!(got.exports, exports, "{}: exports", c.name);
    }
}

#[test]
fn never_panics_and_terminates() {
    let nasty = [
        "",
        "$",
        "$(",
        "${",
        "`",
        "'",
        "\"",
        "\\",
        "<<",
        "<<EOF",
        "cat <<",
        ">",
        ">>",
        "2>",
        "&>",
        "((",
        "))",
        "(",
        ")",
        "{",
        "}",
        "done",
        "fi",
        "esac",
        "$((",
        "<(",
        "echo $'\\",
        "printf",
        "printf %",
        "printf '%-5s' a",
        "printf '\\c'",
        "echo -e '\\c'",
        "a=(1 2)",
        "🛹 > 🛹",
        "echo \"$(echo \"$(echo \"$(echo \"$(echo $(cat deep))\")\")\")\"",
        "case x in a) echo;; esac",
        "cat <<A <<B\n1\nA\n2\nB",
        "echo \r\n",
        "99999999999999999999> f",
        ";;;&&||||&",
    ];
    for s in nasty {
        let _ = run(&[s]);
    }
    // Long inputs stay fast.
    let long = "echo A=1 >> f; ".repeat(5000);
    assert_eq!(run(&[&long]).writes.len(), 5000);
    let deep = "$(".repeat(2000);
    let _ = run(&[&deep]);
    let fmt = format!("printf '{}' {}", "%s".repeat(3000), "x ".repeat(3000));
    let _ = run(&[&fmt]);
}

/// Which reads end the job under the runner's `set -eo pipefail` when the file is missing.
#[test]
fn fatal_reads() {
    let fatal = |script: &[&str]| -> Vec<String> {
        let facts = run(script);
        facts
            .fatal_reads
            .iter()
            .map(|&i| facts.reads[i].path.clone())
            .collect()
    };
    assert_eq!(fatal(&["source build.env"]), vec!["build.env"]);
    assert_eq!(fatal(&["cat version | tr -d '\\n'"]), vec!["version"]);
    assert_eq!(fatal(&[". ./x.env; echo ok"]), vec!["x.env"]);
    assert!(fatal(&["cat version || true"]).is_empty());
    assert!(fatal(&["test -f a && source a"]).is_empty());
    assert!(fatal(&["if [ -f a ]; then cat a; fi"]).is_empty());
    assert!(fatal(&["echo $(cat a)"]).is_empty());
    assert!(fatal(&["cat a &"]).is_empty());
    assert_eq!(fatal(&["cat a || true; cat b"]), vec!["b"]);
    assert_eq!(fatal(&["{ cat a; } || true", "cat b"]), vec!["b"]);
}

/// Commands pipesim cannot look into.
#[test]
fn opaque_commands() {
    let facts = run(&["./scripts/build.sh", "make dist", "echo hi", "$RUNNER go"]);
    let names: Vec<&str> = facts.opaque.iter().map(|(_, n)| n.as_str()).collect();
    assert_eq!(names, vec!["./scripts/build.sh", "make", "$RUNNER"]);
}
