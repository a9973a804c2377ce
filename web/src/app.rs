//! The page: header, editor and diagnostics, re-linting shortly after typing stops.

use std::collections::BTreeMap;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use pipesim::{LintReport, Severity};
use web_sys::HtmlTextAreaElement;
use yew::prelude::*;

use crate::diagnostics::DiagnosticsView;
use crate::editor::Editor;
use crate::text::utf16_offset;
use crate::{lint_text, ENTRY, EXAMPLE, LINT_DEBOUNCE_MS};

#[derive(Properties, PartialEq)]
pub struct AppProps {
    /// The text the editor starts with.
    #[prop_or(AttrValue::Static(EXAMPLE))]
    pub initial: AttrValue,
}

impl Default for AppProps {
    fn default() -> Self {
        AppProps {
            initial: AttrValue::Static(EXAMPLE),
        }
    }
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let text = use_state(|| props.initial.clone());
    let report = use_state(|| Rc::new(lint_text(&props.initial)));
    // Dropping a gloo Timeout cancels it, so replacing this is the debounce.
    let pending = use_mut_ref(|| None::<Timeout>);
    let textarea_ref = use_node_ref();

    let on_input = {
        let text = text.setter();
        let report = report.setter();
        Callback::from(move |value: String| {
            let value = AttrValue::from(value);
            text.set(value.clone());
            let report = report.clone();
            *pending.borrow_mut() = Some(Timeout::new(LINT_DEBOUNCE_MS, move || {
                report.set(Rc::new(lint_text(&value)));
            }));
        })
    };

    let on_select = {
        let textarea_ref = textarea_ref.clone();
        Callback::from(move |(line, column): (u32, u32)| {
            if let Some(textarea) = textarea_ref.cast::<HtmlTextAreaElement>() {
                reveal(&textarea, line, column);
            }
        })
    };

    let marks = use_memo((*report).clone(), |report| line_marks(report));

    html! {
        <>
            <header class="site-header">
                <h1>{ "pipesim" }</h1>
                <p class="tagline">{ "GitLab CI/CD pipeline simulator — checks your configuration as you type, entirely in your browser." }</p>
            </header>
            <main class="workspace">
                <Editor
                    value={(*text).clone()}
                    {on_input}
                    {marks}
                    textarea_ref={textarea_ref}
                    invalid={!report.valid}
                />
                <DiagnosticsView report={(*report).clone()} {on_select} />
            </main>
        </>
    }
}

/// The most severe finding per line of the editor's file, for the gutter.
fn line_marks(report: &LintReport) -> BTreeMap<u32, Severity> {
    let mut marks = BTreeMap::new();
    for d in report.errors.iter().chain(&report.warnings) {
        if d.line == 0 || d.file.as_deref().is_some_and(|f| f != ENTRY) {
            continue;
        }
        marks
            .entry(d.line)
            .and_modify(|s: &mut Severity| *s = (*s).min(d.severity))
            .or_insert(d.severity);
    }
    marks
}

/// Puts the caret at `line`:`column` and scrolls that line into view. Browsers do not reliably
/// scroll a textarea to a selection set from script, so the scroll is done by hand.
fn reveal(textarea: &HtmlTextAreaElement, line: u32, column: u32) {
    let offset = utf16_offset(&textarea.value(), line, column);
    let _ = textarea.focus();
    let _ = textarea.set_selection_range(offset, offset);

    let line_height = web_sys::window()
        .and_then(|w| w.get_computed_style(textarea).ok().flatten())
        .and_then(|style| style.get_property_value("line-height").ok())
        .and_then(|v| v.trim_end_matches("px").parse::<f64>().ok())
        .unwrap_or(20.0);
    let top = (line.saturating_sub(1)) as f64 * line_height;
    let view = textarea.client_height() as f64;
    let scroll = textarea.scroll_top() as f64;
    if top < scroll || top + line_height > scroll + view - line_height {
        textarea.set_scroll_top((top - view / 3.0).max(0.0) as i32);
    }
}
