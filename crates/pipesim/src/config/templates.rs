//! GitLab CI templates bundled with pipesim for `include:template` (see templates/README.md).

#[cfg(feature = "bundled-templates")]
include!(concat!(env!("OUT_DIR"), "/templates.rs"));

#[cfg(not(feature = "bundled-templates"))]
pub static TEMPLATES: &[(&str, &str)] = &[];

pub fn get(name: &str) -> Option<&'static str> {
    TEMPLATES
        .iter()
        .find(|(n, _)| *n == name)
        .map(|(_, text)| *text)
}

pub fn names() -> impl Iterator<Item = &'static str> {
    TEMPLATES.iter().map(|(n, _)| *n)
}
