//! Embeds the bundled GitLab CI templates listed in templates/index.txt.
use std::{env, fs, path::Path};

fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("templates");
    let index = dir.join("index.txt");
    println!("cargo:rerun-if-changed={}", index.display());
    let listing = fs::read_to_string(&index).unwrap_or_default();
    let mut out = String::from("pub static TEMPLATES: &[(&str, &str)] = &[\n");
    for name in listing
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
    {
        let path = dir.join(name);
        println!("cargo:rerun-if-changed={}", path.display());
        out.push_str(&format!(
            "    ({name:?}, include_str!({:?})),\n",
            path.display().to_string()
        ));
    }
    out.push_str("];\n");
    let target = Path::new(&env::var("OUT_DIR").expect("cargo sets OUT_DIR")).join("templates.rs");
    fs::write(target, out).expect("write templates.rs");
}
