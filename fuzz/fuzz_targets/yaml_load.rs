//! The YAML loader on arbitrary bytes: Psych typing, anchors/aliases (expansion budget),
//! merge keys, nesting depth, `!reference`, and the textual `---` document split. Must never
//! panic, and the node budget must hold.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipesim::yaml::{self, Limits};
use pipesim::{FileId, Files};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let limits = Limits {
        max_nodes: 20_000,
        max_depth: 100,
    };
    let loaded = yaml::load(text, FileId(0), limits);
    if !loaded.failed {
        let nodes: usize = loaded.documents.iter().map(|d| d.size()).sum();
        // Every node the loader builds (aliases included) is charged to the budget.
        assert!(nodes <= limits.max_nodes, "{nodes} nodes over the budget");
        for doc in &loaded.documents {
            let _ = yaml::emit::to_yaml(doc);
        }
    }
    // The configuration layer's document split (`---`, `spec:` header) over the same text.
    let mut files = Files::new();
    let id = files.insert(".gitlab-ci.yml", text);
    let mut warnings = Vec::new();
    let _ = pipesim::config::document::load(&files, id, None, limits, &mut warnings);
});
