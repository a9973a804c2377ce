//! The Full configuration view, as GitLab's pipeline editor has it: the configuration with
//! includes, `extends`, `!reference`, `default:` and anchors resolved, written the way GitLab
//! writes it (the core's `expand`, what `pipesim expand` prints). When the configuration does
//! not load, GitLab shows no merged YAML; the view says so and lists the errors instead.

use std::rc::Rc;

use yew::prelude::*;

use crate::state::{FileTab, ENTRY};

#[derive(Properties, PartialEq)]
pub struct FullConfigProps {
    pub files: Rc<Vec<FileTab>>,
}

/// The merged configuration of the files, or the errors that stop it.
fn expanded(files: &[FileTab]) -> (Option<String>, Vec<String>) {
    let files: pipesim::Files = files
        .iter()
        .map(|f| (f.path.as_str(), f.text.as_str()))
        .collect();
    let (yaml, report) = pipesim::expand(&files, ENTRY);
    let errors = report
        .errors
        .iter()
        .map(|d| match &d.file {
            Some(file) if d.line > 0 => format!("{file}:{}:{}: {}", d.line, d.column, d.message),
            _ => d.message.clone(),
        })
        .collect();
    (yaml, errors)
}

#[function_component(FullConfigView)]
pub fn full_config_view(props: &FullConfigProps) -> Html {
    // Worked out again only when the files change, not on every redraw of the results.
    let result = use_memo(props.files.clone(), |files| Rc::new(expanded(files)));
    let copied = use_state(|| false);
    let (yaml, errors) = &**result;
    let Some(yaml) = yaml.clone() else {
        return html! {
            <div class="full-config">
                <p class="full-config-note">
                    { "GitLab shows no full configuration while the configuration does not load. Fix these first:" }
                </p>
                <ul class="full-config-errors">
                    { for errors.iter().map(|e| html! { <li><code>{ e.clone() }</code></li> }) }
                </ul>
            </div>
        };
    };
    let lines = yaml.lines().count();
    let onclick = {
        let copied = copied.clone();
        let yaml = yaml.clone();
        Callback::from(move |_: MouseEvent| copied.set(crate::share::copy_text(&yaml)))
    };
    html! {
        <div class="full-config">
            <div class="full-config-head">
                <p class="full-config-note">
                    { format!("{lines} lines: includes, extends, !reference, default: and anchors resolved, as GitLab's pipeline editor shows it under Full configuration.") }
                </p>
                <button type="button" class="full-config-copy" {onclick}>
                    { if *copied { "Copied" } else { "Copy" } }
                </button>
            </div>
            <pre class="full-config-yaml" tabindex="0" aria-label="Full configuration"><code>{ yaml }</code></pre>
        </div>
    }
}
