//! Configurations built to multiply work: `default:` copied into every job, `parallel` and
//! `parallel:matrix` instances of a large job, `$[[ inputs ]]` written into many places, and
//! trigger jobs whose child pipelines include the parent's own configuration. The fuzzer picks
//! the shapes and sizes; every run must end with a result or a diagnostic, within libFuzzer's
//! time and memory limits (scripts/fuzz.sh: 10 s, 2 GB).
//!
//! Input: each byte chooses one piece of the configuration (a shape and a size from its low
//! bits); the pieces are written one after another into `.gitlab-ci.yml`.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipesim::event::{Event, Project, Push, RefTarget};
use pipesim::Files;

/// Alias lists: `.a0` of `width` items, `.aN` of `width` aliases to `.a(N-1)`.
fn anchors(width: usize, levels: usize) -> String {
    let mut text = format!(".a0: &a0 [{}]\n", vec!["x"; width].join(", "));
    for level in 1..levels {
        let aliases = vec![format!("*a{}", level - 1); width].join(", ");
        text.push_str(&format!(".a{level}: &a{level} [{aliases}]\n"));
    }
    text
}

fuzz_target!(|data: &[u8]| {
    if data.len() < 2 || data.len() > 64 {
        return;
    }
    let width = 2 + (data[0] as usize % 60);
    let levels = 1 + (data[1] as usize % 4);
    let top = format!("*a{}", levels - 1);
    let mut header = String::new();
    let mut body = anchors(width, levels);
    let mut jobs = 0usize;
    for (i, &byte) in data[2..].iter().enumerate() {
        let size = 1 + (byte >> 3) as usize;
        match byte & 7 {
            0 => body.push_str(&format!("default:\n  before_script: [{top}]\n")),
            1 => {
                for _ in 0..size * 8 {
                    body.push_str(&format!("j{jobs}:\n  script: x\n"));
                    jobs += 1;
                }
            }
            2 => body.push_str(&format!(
                "p{i}:\n  script: [{top}]\n  parallel: {}\n",
                size * 6
            )),
            3 => body.push_str(&format!(
                "m{i}:\n  script: [{top}]\n  parallel:\n    matrix:\n      - {{A: [{}], B: [{}]}}\n",
                (0..size).map(|n| n.to_string()).collect::<Vec<_>>().join(", "),
                (0..size % 7 + 1).map(|n| n.to_string()).collect::<Vec<_>>().join(", ")
            )),
            4 => {
                if header.is_empty() {
                    header = format!(
                        "spec:\n  inputs:\n    s:\n      default: {}\n    a:\n      type: array\n      default: [{}]\n---\n",
                        "y".repeat(size * 1000),
                        vec!["z"; size * 20].join(", ")
                    );
                }
                for n in 0..size * 4 {
                    body.push_str(&format!(
                        "i{i}x{n}:\n  script: echo $[[ inputs.s ]] $[[ inputs.s ]]\n  variables: {{L: \"$[[ inputs.a ]]\"}}\n"
                    ));
                }
            }
            5 => {
                for n in 0..size {
                    body.push_str(&format!(
                        "t{i}x{n}:\n  trigger:\n    include: .gitlab-ci.yml\n"
                    ));
                }
            }
            6 => body.push_str(&format!(
                "e{i}:\n  extends: .base\n  script: x\n.base:\n  variables: {{V: [{top}]}}\n"
            )),
            _ => body.push_str(&format!("r{i}:\n  script: !reference [.a{}]\n", levels - 1)),
        }
    }
    body.push_str("build:\n  script: x\n");
    let mut files = Files::new();
    files.insert(".gitlab-ci.yml", format!("{header}{body}"));
    let _ = pipesim::lint(&files, ".gitlab-ci.yml");
    let event = Event::Push(Push {
        target: RefTarget::Branch("main".into()),
        ..Push::default()
    });
    let _ = pipesim::simulate::simulate_event(&Project::new("group/app"), &files, &event, false);
});
