use pipesim::Files;
use std::time::Instant;

fn lint(text: &str) -> pipesim::LintReport {
    let files: Files = [(".gitlab-ci.yml", text.to_string())].into_iter().collect();
    pipesim::lint(&files, ".gitlab-ci.yml")
}

#[test]
fn probe_reference_bomb() {
    for levels in [3, 4, 5] {
        let mut y = String::from(".l0: [a, b, c, d, e, f, g, h, i, j]\n");
        for l in 1..=levels {
            let refs: Vec<String> = (0..10)
                .map(|_| format!("!reference [.l{}]", l - 1))
                .collect();
            y.push_str(&format!(".l{l}: [{}]\n", refs.join(", ")));
        }
        y.push_str(&format!("job:\n  script: !reference [.l{levels}]\n"));
        let t = Instant::now();
        let r = lint(&y);
        println!(
            "ref levels {levels}: {:?} {:?}",
            t.elapsed(),
            r.errors.first().map(|e| &e.message)
        );
    }
}

#[test]
fn probe_extends_blowup() {
    for n in [100, 400] {
        let mut y = String::from(".base:\n  variables:\n");
        for i in 0..2000 {
            y.push_str(&format!("    V{i}: x\n"));
        }
        for j in 0..n {
            y.push_str(&format!("job{j}:\n  extends: .base\n  script: x\n"));
        }
        let t = Instant::now();
        let r = lint(&y);
        println!(
            "extends n={n}: {:?} {:?}",
            t.elapsed(),
            r.errors.first().map(|e| &e.message)
        );
    }
}

#[test]
fn probe_include_nodes() {
    let mut files = Files::new();
    let mut root = String::from("include:\n");
    for i in 0..100 {
        root.push_str(&format!("  - local: f{i}.yml\n"));
    }
    root.push_str("job:\n  script: x\n");
    files.insert(".gitlab-ci.yml", root);
    let mut inc = String::from(".a: &a [");
    inc.push_str(&vec!["x"; 100].join(","));
    inc.push_str("]\n.b: &b [");
    inc.push_str(&vec!["*a"; 100].join(","));
    inc.push_str("]\n.c: &c [");
    inc.push_str(&vec!["*b"; 150].join(","));
    inc.push_str("]\n");
    for i in 0..100 {
        files.insert(
            &format!("f{i}.yml"),
            inc.replace(".a", &format!(".a{i}"))
                .replace(".b:", &format!(".b{i}:"))
                .replace(".c:", &format!(".c{i}:")),
        );
    }
    let t = Instant::now();
    let r = pipesim::lint(&files, ".gitlab-ci.yml");
    println!(
        "include nodes: {:?} {:?}",
        t.elapsed(),
        r.errors.first().map(|e| &e.message)
    );
}

#[test]
fn probe_long_regex() {
    let pat = "a".repeat(200_000);
    let y = format!("job:\n  script: x\n  rules:\n    - if: $X =~ /{pat}/\n");
    let t = Instant::now();
    let r = lint(&y);
    println!(
        "long regex: {:?} {:?}",
        t.elapsed(),
        r.errors.first().map(|e| &e.message)
    );
    let pat = "(a|b|c|d)*[a-z]{1,1000}".repeat(20);
    let y = format!("job:\n  script: x\n  rules:\n    - if: $X =~ /{pat}/\n");
    let t = Instant::now();
    let r = lint(&y);
    println!(
        "big regex: {:?} {:?}",
        t.elapsed(),
        r.errors.first().map(|e| &e.message)
    );
}

#[test]
fn probe_big_file() {
    let y = format!("# {}\njob:\n  script: x\n", "c".repeat(50 << 20));
    let t = Instant::now();
    let r = lint(&y);
    println!(
        "50MB comment: {:?} {:?}",
        t.elapsed(),
        r.errors.first().map(|e| &e.message)
    );
}

#[test]
fn probe_needs_chain() {
    let mut y = String::new();
    let n = 3000;
    for i in 0..n {
        if i == 0 {
            y.push_str("j0:\n  script: x\n");
        } else {
            y.push_str(&format!("j{i}:\n  script: x\n  needs: [j{}]\n", i - 1));
        }
    }
    let t = Instant::now();
    let r = lint(&y);
    println!(
        "needs chain {n}: {:?} {:?}",
        t.elapsed(),
        r.errors.first().map(|e| &e.message)
    );
}
