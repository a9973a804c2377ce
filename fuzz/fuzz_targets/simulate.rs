//! The whole core on arbitrary repositories: `lint` and `simulate_event` (config layer,
//! includes, extends, !reference, validation, rules, needs, data flow).
//!
//! Input format: files separated by a NUL byte; each is `path\n` then its content, except the
//! first, which is `.gitlab-ci.yml`'s content. The first byte picks the event.
#![no_main]

use libfuzzer_sys::fuzz_target;
use pipesim::event::{
    Event, ManualEvent, ManualSource, MergeRequestEvent, Project, Push, RefTarget,
};
use pipesim::Files;

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let mut files = Files::new();
    let mut parts = text.split('\0');
    files.insert(".gitlab-ci.yml", parts.next().unwrap_or(""));
    for part in parts.take(16) {
        let (path, content) = part.split_once('\n').unwrap_or((part, ""));
        if !path.is_empty() {
            files.insert(path, content);
        }
    }
    let _ = pipesim::lint(&files, ".gitlab-ci.yml");
    let _ = pipesim::expand(&files, ".gitlab-ci.yml");
    let changes = Some(vec!["src/main.rs".to_owned(), "docs/README.md".to_owned()]);
    let event = match selector % 4 {
        0 => Event::Push(Push {
            target: RefTarget::Branch("main".into()),
            changes,
            ..Push::default()
        }),
        1 => Event::Push(Push {
            target: RefTarget::Tag("v1.2.3".into()),
            ..Push::default()
        }),
        2 => Event::MergeRequest(MergeRequestEvent {
            iid: 1,
            source_branch: "feature".into(),
            target_branch: "main".into(),
            labels: vec!["full-ci".into()],
            changes,
            ..MergeRequestEvent::default()
        }),
        _ => Event::Manual(ManualEvent {
            source: ManualSource::Schedule,
            target: RefTarget::Branch("main".into()),
            variables: vec![("DEPLOY".into(), "true".into())],
            description: None,
        }),
    };
    let project = Project::new("group/app");
    let _ = pipesim::simulate::simulate_event(&project, &files, &event, selector & 4 != 0);
});
