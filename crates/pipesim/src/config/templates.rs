//! GitLab CI templates bundled with pipesim for `include:template` (see templates/README.md).

include!(concat!(env!("OUT_DIR"), "/templates.rs"));

pub fn get(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    TEMPLATES.iter().map(|(n, _)| *n)
}
