//! The file editor: tabs for the repository files, and for the shown file a `<textarea>` with a
//! line-number gutter and YAML highlighting.
//!
//! The textarea stays the source of truth (native undo, IME, mobile keyboards, screen readers,
//! no bundle cost): its text is transparent, and a `<pre>` behind it shows the same text
//! highlighted. Only the lines in view (plus a margin) are highlighted, as one HTML string set
//! with `innerHTML`, and the gutter is one text node of numbers, so that a 5,000-line file
//! costs a few dozen lines of DOM per keystroke.

use std::cell::RefCell;
use std::rc::Rc;

use pipesim::sorted::SortedMap;
use pipesim::Severity;
use wasm_bindgen::JsCast;
use web_sys::{HtmlElement, HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use self::highlight::{block_states, highlight};
use crate::state::{FileTab, Run};
use crate::text::line_count;

// Declared here because lib.rs belongs to the page; relative to this file's directory.
#[path = "highlight.rs"]
pub mod highlight;

/// Lines highlighted above and below the visible ones, so that scrolling rarely repaints.
const MARGIN: usize = 150;

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub files: Rc<Vec<FileTab>>,
    /// Index of the file shown.
    pub active: usize,
    /// The most severe finding on each 1-based line, per file path.
    #[prop_or_default]
    pub marks: Rc<SortedMap<String, SortedMap<u32, Severity>>>,
    /// (file index, new text)
    pub on_edit: Callback<(usize, String)>,
    pub on_activate: Callback<usize>,
    /// Adds a file with this path.
    pub on_add: Callback<String>,
    pub on_rename: Callback<(usize, String)>,
    pub on_remove: Callback<usize>,
    /// Lets the owner move the caret (see `App`).
    #[prop_or_default]
    pub textarea_ref: NodeRef,
    #[prop_or_default]
    pub invalid: bool,
    /// The last lint + simulation, for the time in the summary line.
    #[prop_or_default]
    pub run: Option<Run>,
}

/// What the overlay shows and which lines it holds.
#[derive(Default)]
struct Overlay {
    text: Rc<str>,
    states: Rc<Vec<bool>>,
    /// Highlighted lines `from..to`, 0-based; `None` after the text changed.
    painted: Option<(usize, usize)>,
    line_height: f64,
}

/// Highlights the lines in view when they are not painted yet, and moves the overlay and the
/// gutter to the textarea's scroll position.
fn paint(
    overlay: &RefCell<Overlay>,
    textarea: &HtmlTextAreaElement,
    pre: &HtmlElement,
    gutter: Option<HtmlElement>,
) {
    let mut o = overlay.borrow_mut();
    if o.line_height <= 0.0 {
        o.line_height = web_sys::window()
            .and_then(|w| w.get_computed_style(textarea).ok().flatten())
            .and_then(|s| s.get_property_value("line-height").ok())
            .and_then(|v| v.trim_end_matches("px").parse::<f64>().ok())
            .filter(|v| *v > 0.0)
            .unwrap_or(20.0);
    }
    let top = textarea.scroll_top().max(0) as f64;
    let first = (top / o.line_height) as usize;
    let last = first + (textarea.client_height().max(0) as f64 / o.line_height) as usize + 2;
    let (from, _) = match o.painted {
        Some((from, to)) if from <= first && last <= to => (from, to),
        _ => {
            let lines = o.states.len();
            let from = first.saturating_sub(MARGIN).min(lines);
            let to = (last + MARGIN).min(lines);
            pre.set_inner_html(&highlight(&o.text, &o.states, from, to));
            o.painted = Some((from, to));
            (from, to)
        }
    };
    let _ = pre.style().set_property(
        "transform",
        &format!(
            "translate({}px,{}px)",
            -textarea.scroll_left(),
            from as f64 * o.line_height - top
        ),
    );
    if let Some(gutter) = gutter {
        gutter.set_scroll_top(textarea.scroll_top());
    }
}

/// Inserts `text` at the caret the way typing does, so that native undo keeps working.
fn insert_text(textarea: &HtmlTextAreaElement, text: &str) -> bool {
    let inserted = web_sys::window()
        .and_then(|w| w.document())
        .and_then(|d| d.dyn_into::<web_sys::HtmlDocument>().ok())
        .and_then(|d| {
            d.exec_command_with_show_ui_and_value("insertText", false, text)
                .ok()
        })
        .unwrap_or(false);
    if inserted {
        return true;
    }
    // No execCommand: splice the value (undo loses this step).
    let value: Vec<u16> = textarea.value().encode_utf16().collect();
    let start = textarea.selection_start().ok().flatten().unwrap_or(0) as usize;
    let end = textarea.selection_end().ok().flatten().unwrap_or(0) as usize;
    let (start, end) = (
        start.min(value.len()),
        end.min(value.len()).max(start.min(value.len())),
    );
    let mut next = value[..start].to_vec();
    next.extend(text.encode_utf16());
    next.extend_from_slice(&value[end..]);
    textarea.set_value(&String::from_utf16_lossy(&next));
    let caret = (start + text.encode_utf16().count()) as u32;
    let _ = textarea.set_selection_range(caret, caret);
    false
}

#[derive(Clone, Copy, PartialEq)]
enum Naming {
    Add,
    Rename(usize),
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let active = props.active.min(props.files.len().saturating_sub(1));
    let file = props.files.get(active);
    let value = file.map(|f| f.text.clone()).unwrap_or_default();
    let path = file.map(|f| f.path.clone()).unwrap_or_default();
    let gutter_ref = use_node_ref();
    let pre_ref = use_node_ref();
    let textarea_ref = props.textarea_ref.clone();
    let overlay = use_mut_ref(Overlay::default);
    let escaped = use_mut_ref(|| false);
    let naming = use_state(|| None::<Naming>);
    let name_ref = use_node_ref();
    {
        let name_ref = name_ref.clone();
        use_effect_with(*naming, move |naming| {
            if naming.is_some() {
                if let Some(input) = name_ref.cast::<HtmlInputElement>() {
                    let _ = input.focus();
                    input.select();
                }
            }
        });
    }
    let lines = line_count(&value);
    let run = props.run;
    let numbers = use_memo(lines, |lines| {
        let mut s = String::with_capacity(*lines as usize * 5);
        for n in 1..=*lines {
            s.push_str(&n.to_string());
            s.push('\n');
        }
        s
    });

    // After each render with new text: rescan and repaint the overlay.
    {
        let overlay = overlay.clone();
        let (pre_ref, gutter_ref, textarea_ref) =
            (pre_ref.clone(), gutter_ref.clone(), textarea_ref.clone());
        use_effect_with((value.clone(), active), move |(text, _)| {
            {
                let mut o = overlay.borrow_mut();
                o.states = Rc::new(block_states(text));
                o.text = Rc::from(text.as_str());
                o.painted = None;
            }
            if let (Some(textarea), Some(pre)) = (
                textarea_ref.cast::<HtmlTextAreaElement>(),
                pre_ref.cast::<HtmlElement>(),
            ) {
                paint(&overlay, &textarea, &pre, gutter_ref.cast());
            }
        });
    }

    let oninput = props.on_edit.reform(move |e: InputEvent| {
        (
            active,
            e.target_unchecked_into::<HtmlTextAreaElement>().value(),
        )
    });
    let onscroll = {
        let overlay = overlay.clone();
        let (pre_ref, gutter_ref) = (pre_ref.clone(), gutter_ref.clone());
        Callback::from(move |e: Event| {
            let textarea: HtmlTextAreaElement = e.target_unchecked_into();
            if let Some(pre) = pre_ref.cast::<HtmlElement>() {
                paint(&overlay, &textarea, &pre, gutter_ref.cast());
            }
        })
    };
    let onkeydown = {
        let escaped = escaped.clone();
        let on_edit = props.on_edit.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.is_composing() {
                return;
            }
            let was_escaped = std::mem::replace(&mut *escaped.borrow_mut(), e.key() == "Escape");
            let plain = !(e.shift_key() || e.ctrl_key() || e.alt_key() || e.meta_key());
            // Escape then Tab leaves the editor, as in other code editors.
            if e.key() == "Tab" && plain && !was_escaped {
                e.prevent_default();
                let textarea: HtmlTextAreaElement = e.target_unchecked_into();
                if !insert_text(&textarea, "  ") {
                    on_edit.emit((active, textarea.value()));
                }
            }
        })
    };

    let no_marks = SortedMap::new();
    let marks = props.marks.get(&path).unwrap_or(&no_marks);
    let mark_spans = marks
        .iter()
        .filter(|(n, _)| **n <= lines)
        .map(|(n, severity)| {
            let (class, word) = match severity {
                Severity::Error => ("ln error", "An error"),
                _ => ("ln warning", "A warning"),
            };
            html! {
                <span {class} data-line={n.to_string()}
                    style={format!("top: calc({} * var(--line))", n - 1)}
                    title={format!("{word} on line {n}: see Diagnostics")}>{ n }</span>
            }
        });

    html! {
        <section class="panel editor-panel" aria-label="Repository files">
            <div class="panel-head editor-head">
                { file_tabs(props, active, naming, &name_ref) }
                <span class="summary">
                    { format!("{lines} lines") }
                    { for run.map(|r| html! {
                        <span class="sim-time" data-sim-ms={format!("{:.2}", r.ms)} data-sim-run={r.number.to_string()}
                            data-lint-ms={format!("{:.2}", r.lint_ms)}
                            title="Time the last lint and simulation took in this browser">
                            { format!(" · simulated in {:.*} ms", usize::from(r.ms < 10.0), r.ms) }
                        </span>
                    }) }
                </span>
            </div>
            <div class="editor">
                <div class="gutter" aria-hidden="true" ref={gutter_ref}>
                    <div class="gutter-numbers">{ (*numbers).clone() }</div>
                    { for mark_spans }
                </div>
                <div class="code">
                    <pre class="highlight" aria-hidden="true" ref={pre_ref}></pre>
                    <textarea
                        id="editor"
                        ref={textarea_ref}
                        value={value}
                        {oninput}
                        {onscroll}
                        {onkeydown}
                        spellcheck="false"
                        autocomplete="off"
                        autocapitalize="off"
                        autocorrect="off"
                        wrap="off"
                        aria-label={format!("Contents of {path}")}
                        aria-invalid={props.invalid.to_string()}
                        aria-describedby="editor-hint status"
                    />
                </div>
                <p id="editor-hint" class="visually-hidden">
                    { "Tab inserts two spaces; press Escape, then Tab, to leave the editor." }
                </p>
            </div>
        </section>
    }
}

/// The tab strip: one tab per file, rename/remove for the extra files, and "+ file".
fn file_tabs(
    props: &EditorProps,
    active: usize,
    naming: UseStateHandle<Option<Naming>>,
    name_ref: &NodeRef,
) -> Html {
    let commit = {
        let (naming, on_add, on_rename) = (
            naming.clone(),
            props.on_add.clone(),
            props.on_rename.clone(),
        );
        Callback::from(move |path: Option<String>| {
            if let (Some(path), Some(mode)) = (path, *naming) {
                if !path.trim().is_empty() {
                    match mode {
                        Naming::Add => on_add.emit(path),
                        Naming::Rename(index) => on_rename.emit((index, path)),
                    }
                }
            }
            naming.set(None);
        })
    };
    let name_input = |label: &str, initial: String| {
        let onkeydown = {
            let commit = commit.clone();
            Callback::from(move |e: KeyboardEvent| {
                let input: HtmlInputElement = e.target_unchecked_into();
                match e.key().as_str() {
                    "Enter" => {
                        e.prevent_default();
                        commit.emit(Some(input.value()));
                    }
                    "Escape" => {
                        // Emptied, so that a blur on removal commits nothing.
                        input.set_value("");
                        commit.emit(None);
                    }
                    _ => {}
                }
            })
        };
        let onblur = commit
            .reform(|e: FocusEvent| Some(e.target_unchecked_into::<HtmlInputElement>().value()));
        html! {
            <input class="tab-name" type="text" aria-label={label.to_owned()} value={initial}
                placeholder="path/to/file.yml" {onkeydown} {onblur} ref={name_ref.clone()} />
        }
    };
    let tabs = props.files.iter().enumerate().map(|(index, file)| {
        if *naming == Some(Naming::Rename(index)) {
            return name_input(&format!("New path for {}", file.path), file.path.clone());
        }
        let selected = index == active;
        let onclick = props.on_activate.reform(move |_: MouseEvent| index);
        let ondblclick = {
            let naming = naming.clone();
            Callback::from(move |_: MouseEvent| {
                if index > 0 {
                    naming.set(Some(Naming::Rename(index)));
                }
            })
        };
        let extra = (index > 0 && selected).then(|| {
            let rename = {
                let naming = naming.clone();
                Callback::from(move |_: MouseEvent| naming.set(Some(Naming::Rename(index))))
            };
            let remove = props.on_remove.reform(move |_: MouseEvent| index);
            html! {
                <>
                    <button type="button" class="tab-action" onclick={rename}
                        aria-label={format!("Rename {}", file.path)} title="Rename">{ "✎" }</button>
                    <button type="button" class="tab-action" onclick={remove}
                        aria-label={format!("Remove {}", file.path)} title="Remove">{ "×" }</button>
                </>
            }
        });
        html! {
            <span class={classes!("file-tab", selected.then_some("active"))}>
                <button type="button" role="tab" aria-selected={selected.to_string()}
                    aria-controls="editor" {onclick} {ondblclick}
                    title={(index > 0).then_some("Double-click to rename")}>{ &file.path }</button>
                { for extra }
            </span>
        }
    });
    let add = if *naming == Some(Naming::Add) {
        name_input("Path of the new file", String::new())
    } else {
        let onclick = {
            let naming = naming.clone();
            Callback::from(move |_: MouseEvent| naming.set(Some(Naming::Add)))
        };
        html! { <button type="button" class="add-file" {onclick}>{ "+ file" }</button> }
    };
    html! {
        <div class="file-tabs" role="tablist" aria-label="Files">
            { for tabs }
            { add }
        </div>
    }
}
