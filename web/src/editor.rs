//! A plain `<textarea>` with a line-number gutter that marks lines with findings.
//!
//! A textarea (rather than a contenteditable code editor) keeps native undo, IME, mobile
//! keyboards and screen-reader support for free, and costs no bundle size.

use std::collections::BTreeMap;
use std::rc::Rc;

use pipesim::Severity;
use web_sys::{HtmlElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::text::line_count;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub value: AttrValue,
    pub on_input: Callback<String>,
    /// The most severe finding on each 1-based line.
    #[prop_or_default]
    pub marks: Rc<BTreeMap<u32, Severity>>,
    /// Lets the owner move the caret (see `App`).
    #[prop_or_default]
    pub textarea_ref: NodeRef,
    #[prop_or_default]
    pub invalid: bool,
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let gutter_ref = use_node_ref();

    let oninput = props
        .on_input
        .reform(|e: InputEvent| e.target_unchecked_into::<HtmlTextAreaElement>().value());
    // The gutter cannot scroll by itself (overflow hidden): it follows the textarea.
    let onscroll = {
        let gutter_ref = gutter_ref.clone();
        Callback::from(move |e: Event| {
            let textarea: HtmlTextAreaElement = e.target_unchecked_into();
            if let Some(gutter) = gutter_ref.cast::<HtmlElement>() {
                gutter.set_scroll_top(textarea.scroll_top());
            }
        })
    };

    let lines = line_count(&props.value);
    let numbers = (1..=lines).map(|n| {
        let class = match props.marks.get(&n) {
            Some(Severity::Error) => "ln error",
            Some(_) => "ln warning",
            None => "ln",
        };
        html! { <span key={n} {class}>{ n }</span> }
    });

    html! {
        <section class="panel editor-panel" aria-labelledby="editor-label">
            <div class="panel-head">
                <label id="editor-label" for="editor">{ ".gitlab-ci.yml" }</label>
                <span class="summary">{ format!("{lines} lines") }</span>
            </div>
            <div class="editor">
                <div class="gutter" aria-hidden="true" ref={gutter_ref}>
                    { for numbers }
                </div>
                <textarea
                    id="editor"
                    ref={props.textarea_ref.clone()}
                    value={props.value.clone()}
                    {oninput}
                    {onscroll}
                    spellcheck="false"
                    autocomplete="off"
                    autocapitalize="off"
                    autocorrect="off"
                    wrap="off"
                    aria-invalid={props.invalid.to_string()}
                    aria-describedby="status"
                />
            </div>
        </section>
    }
}
