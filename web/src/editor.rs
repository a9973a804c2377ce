//! The file editor: tabs for the repository files, and for the shown file a CodeMirror 6
//! editor (web/editor/editor.js, bundled from npm by esbuild into `pipesim-editor.js`, which
//! the page loads before this module) called through wasm-bindgen: YAML highlighting, undo
//! history per file, find/replace (Ctrl+F), folding, Tab/Shift+Tab on a selection, and every
//! finding underlined at its place with its message on hover and a mark in the gutter.
//! Keyword completion and hover help come from the core's own tables
//! ([`pipesim::config::keywords`]), handed to the editor as data.
//!
//! Where the bundle is not loaded (the component tests, or a page whose script failed), a
//! plain `<textarea>` stands in, so that the app still works.

use std::cell::{Cell, RefCell};
use std::rc::Rc;

use pipesim::sorted::SortedMap;
use pipesim::Severity;
use serde::Serialize;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use crate::state::{FileTab, Run};
use crate::text::{line_count, utf16_offset};

#[wasm_bindgen]
extern "C" {
    /// One CodeMirror editor (web/editor/editor.js `PipesimEditor`).
    pub type CodeEditor;

    #[wasm_bindgen(js_namespace = pipesimEditor, js_name = create)]
    fn cm_create(parent: &web_sys::Element, options: &JsValue) -> CodeEditor;
    #[wasm_bindgen(js_namespace = pipesimEditor, js_name = show)]
    fn cm_show(editor: &CodeEditor, path: &str, text: &str);
    #[wasm_bindgen(js_namespace = pipesimEditor, js_name = keep)]
    fn cm_keep(editor: &CodeEditor, paths: Vec<JsValue>);
    #[wasm_bindgen(js_namespace = pipesimEditor, js_name = setDiagnostics)]
    fn cm_set_diagnostics(editor: &CodeEditor, json: &str);
    #[wasm_bindgen(js_namespace = pipesimEditor, js_name = goto)]
    fn cm_goto(editor: &CodeEditor, line: u32, column: u32);
    #[wasm_bindgen(js_namespace = pipesimEditor, js_name = destroy)]
    fn cm_destroy(editor: &CodeEditor);
    #[wasm_bindgen(js_namespace = pipesimEditor, js_name = getText)]
    fn cm_get_text(editor: &CodeEditor) -> String;
}

/// How long typing must pause before the editor hands its text to the app. A keystroke then
/// costs the editor's own work only: the app's render (and reading the document out of the
/// editor) comes in a frame of its own, once per pause, not once per key. Leaving the editor
/// (a click on anything else, a tab) hands it over at once.
pub const EDIT_SETTLE_MS: u32 = 20;

/// Whether the editor bundle is loaded (the global `pipesimEditor`).
fn code_editor_loaded() -> bool {
    js_sys::Reflect::get(&js_sys::global(), &JsValue::from_str("pipesimEditor"))
        .is_ok_and(|v| v.is_object())
}

/// A finding as the editor shows it: underlined from its position, message on hover.
#[derive(Clone, PartialEq, Serialize)]
pub struct EditorFinding {
    pub line: u32,
    pub column: u32,
    pub severity: &'static str,
    pub code: &'static str,
    /// GitLab's message, then our explanation on its own paragraph.
    pub message: String,
}

impl EditorFinding {
    pub fn of(d: &pipesim::Diagnostic) -> Self {
        let message = match &d.explanation {
            Some(e) => format!("{}\n\n{e}", d.message),
            None => d.message.clone(),
        };
        EditorFinding {
            line: d.line,
            column: d.column.max(1),
            severity: match d.severity {
                Severity::Error => "error",
                Severity::Warning => "warning",
                Severity::Info => "info",
            },
            code: d.code,
            message,
        }
    }
}

/// The core's keyword tables as the editor reads them: `{root, contexts: {parent: [keys]},
/// help: {parent: {where, docs}}}`.
pub fn keywords_json() -> String {
    let contexts = pipesim::config::keywords::contexts();
    let mut tables = serde_json::Map::new();
    let mut help = serde_json::Map::new();
    for c in &contexts {
        tables.insert(c.parent.to_owned(), serde_json::json!(c.keys));
        help.insert(
            c.parent.to_owned(),
            serde_json::json!({
                "where": c.about,
                "docs": format!("{}{}", pipesim::config::keywords::DOCS, c.docs_prefix),
            }),
        );
    }
    let root = tables.get("").cloned().unwrap_or_default();
    serde_json::json!({ "root": root, "contexts": tables, "help": help }).to_string()
}

// The editor on the page (or the textarea standing in for it), for `reveal`.
thread_local! {
    static CURRENT: RefCell<Option<CodeEditor>> = const { RefCell::new(None) };
    static PLAIN: RefCell<NodeRef> = RefCell::new(NodeRef::default());
}

/// Puts the caret at `line`:`column` of the shown file, scrolls it into view and focuses the
/// editor.
pub fn reveal(line: u32, column: u32) {
    let shown = CURRENT.with(|c| {
        c.borrow()
            .as_ref()
            .map(|e| cm_goto(e, line, column))
            .is_some()
    });
    if shown {
        return;
    }
    let textarea = PLAIN.with(|p| p.borrow().cast::<HtmlTextAreaElement>());
    if let Some(textarea) = textarea {
        let offset = utf16_offset(&textarea.value(), line, column);
        let _ = textarea.focus();
        let _ = textarea.set_selection_range(offset, offset);
    }
}

#[derive(Properties, PartialEq)]
pub struct EditorProps {
    pub files: Rc<Vec<FileTab>>,
    /// Index of the file shown.
    pub active: usize,
    /// The findings with a position, per file path.
    #[prop_or_default]
    pub findings: Rc<SortedMap<String, Vec<EditorFinding>>>,
    /// (file index, new text)
    pub on_edit: Callback<(usize, String)>,
    pub on_activate: Callback<usize>,
    /// Adds a file with this path.
    pub on_add: Callback<String>,
    pub on_rename: Callback<(usize, String)>,
    pub on_remove: Callback<usize>,
    #[prop_or_default]
    pub invalid: bool,
    /// The last lint + simulation, for the time in the summary line.
    #[prop_or_default]
    pub run: Option<Run>,
}

/// The editor's handle and what it needs from the latest props.
struct Live {
    editor: Option<CodeEditor>,
    /// The text last shown or handed to the app, so that a render with the same text costs
    /// nothing.
    text: String,
    path: String,
    /// Typing not yet handed to the app: the file it is in, and the timer that hands it over.
    typed: Option<(usize, gloo_timers::callback::Timeout)>,
    /// The app's text at the last render: a different one now is the app's own change.
    prior: Option<String>,
    _on_change: Option<Closure<dyn Fn()>>,
}

/// What the editor hands to the app: the file (by index) and its new text.
type OnEdit = Callback<(usize, String)>;

/// Hands typing not yet handed over to `on_edit` (the text as the editor has it now).
fn hand_over(live: &RefCell<Live>, on_edit: &OnEdit) {
    let edit = {
        let mut l = live.borrow_mut();
        let Some((index, _timer)) = l.typed.take() else {
            return;
        };
        let Some(text) = l.editor.as_ref().map(cm_get_text) else {
            return;
        };
        l.text.clone_from(&text);
        (index, text)
    };
    on_edit.emit(edit);
}

#[function_component(Editor)]
pub fn editor(props: &EditorProps) -> Html {
    let active = props.active.min(props.files.len().saturating_sub(1));
    let file = props.files.get(active);
    let value = file.map(|f| f.text.clone()).unwrap_or_default();
    let path = file.map(|f| f.path.clone()).unwrap_or_default();
    let host = use_node_ref();
    let naming = use_state(|| None::<Naming>);
    let name_ref = use_node_ref();
    let loaded = *use_memo((), |_| code_editor_loaded());
    // What the editor's change listener reads: the file shown and where edits go.
    let target = use_mut_ref(|| (Cell::new(active), props.on_edit.clone()));
    {
        let mut t = target.borrow_mut();
        t.0.set(active);
        t.1 = props.on_edit.clone();
    }
    let live = use_mut_ref(|| Live {
        editor: None,
        text: String::new(),
        path: String::new(),
        typed: None,
        prior: None,
        _on_change: None,
    });
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

    // Created once, destroyed with the component.
    {
        let (host, live, target) = (host.clone(), live.clone(), target.clone());
        let target_out = target.clone();
        let label = format!("Contents of {path}");
        let (path, value) = (path.clone(), value.clone());
        use_effect_with((), move |_| {
            if loaded {
                if let Some(parent) = host.cast::<web_sys::Element>() {
                    let live_in = live.clone();
                    // Each change restarts the timer; the file is the one typed in first.
                    let on_change = Closure::<dyn Fn()>::new(move || {
                        let index = {
                            let l = live_in.borrow();
                            l.typed.as_ref().map(|(index, _)| *index)
                        };
                        let index = index.unwrap_or_else(|| target.borrow().0.get());
                        let (live, target) = (live_in.clone(), target.clone());
                        let timer =
                            gloo_timers::callback::Timeout::new(EDIT_SETTLE_MS, move || {
                                let on_edit = target.borrow().1.clone();
                                hand_over(&live, &on_edit);
                            });
                        live_in.borrow_mut().typed = Some((index, timer));
                    });
                    let options = js_sys::Object::new();
                    let set = |k: &str, v: &JsValue| {
                        let _ = js_sys::Reflect::set(&options, &JsValue::from_str(k), v);
                    };
                    set("keywords", &JsValue::from_str(&keywords_json()));
                    set("label", &JsValue::from_str(&label));
                    set("onChange", on_change.as_ref().unchecked_ref());
                    let editor = cm_create(&parent, &options);
                    CURRENT
                        .with(|c| *c.borrow_mut() = Some(JsValue::clone(&editor).unchecked_into()));
                    // The first render's file (later ones are shown as they render).
                    cm_show(&editor, &path, &value);
                    let mut l = live.borrow_mut();
                    l.path = path;
                    l.text = value;
                    l.editor = Some(editor);
                    l._on_change = Some(on_change);
                }
            }
            move || {
                let on_edit = target_out.borrow().1.clone();
                hand_over(&live, &on_edit);
                CURRENT.with(|c| *c.borrow_mut() = None);
                if let Some(editor) = live.borrow_mut().editor.take() {
                    cm_destroy(&editor);
                }
            }
        });
    }
    // The shown file and its text (a typed change comes back equal and costs nothing). Typing
    // not yet handed over stays: it is newer than the app's text, unless the app changed the
    // text itself since (a fix applied, an example loaded), which then wins. Another file
    // shown first takes the typing of the one before.
    {
        let prior = live.borrow().prior.clone();
        let typing = live.borrow().typed.is_some();
        if typing && live.borrow().path != path {
            hand_over(&live, &props.on_edit);
        }
        let mut l = live.borrow_mut();
        let app_changed = prior.as_ref() != Some(&value) || l.path != path;
        if l.editor.is_some() && (l.path != path || l.text != value) && (!typing || app_changed) {
            l.typed = None;
            if let Some(editor) = &l.editor {
                cm_show(editor, &path, &value);
            }
            l.path.clone_from(&path);
            l.text.clone_from(&value);
        }
        l.prior = Some(value.clone());
    }
    // The open files: the editor forgets the undo history of removed ones.
    {
        let live = live.clone();
        let paths: Vec<String> = props.files.iter().map(|f| f.path.clone()).collect();
        use_effect_with(paths, move |paths| {
            if let Some(editor) = &live.borrow().editor {
                cm_keep(editor, paths.iter().map(|p| JsValue::from_str(p)).collect());
            }
        });
    }
    // The findings of the shown file.
    {
        let live = live.clone();
        let findings = props.findings.get(&path).cloned().unwrap_or_default();
        use_effect_with((path.clone(), findings), move |(_, findings)| {
            if let Some(editor) = &live.borrow().editor {
                let json = serde_json::to_string(findings).unwrap_or_else(|_| "[]".into());
                cm_set_diagnostics(editor, &json);
            }
        });
    }

    let body = if loaded {
        let onfocusout = {
            let (live, on_edit) = (live.clone(), props.on_edit.clone());
            Callback::from(move |_: FocusEvent| hand_over(&live, &on_edit))
        };
        html! { <div class="code-editor" ref={host} {onfocusout}></div> }
    } else {
        let oninput = props.on_edit.reform(move |e: InputEvent| {
            (
                active,
                e.target_unchecked_into::<HtmlTextAreaElement>().value(),
            )
        });
        let plain = PLAIN.with(|p| p.borrow().clone());
        html! {
            <div class="code-editor">
                <textarea id="editor" class="plain-editor" ref={plain} value={value} {oninput}
                    spellcheck="false" autocomplete="off" autocapitalize="off" wrap="off"
                    aria-label={format!("Contents of {path}")}
                    aria-invalid={props.invalid.to_string()}
                    aria-describedby="editor-hint status" />
            </div>
        }
    };

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
            { body }
            <p id="editor-hint" class="visually-hidden">
                { "Tab indents; Shift+Tab dedents; Ctrl+F finds; Ctrl+Space completes a keyword. Press Escape, then Tab, to leave the editor." }
            </p>
        </section>
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Naming {
    Add,
    Rename(usize),
}

/// Moves the focus to the file tab at `index` once it is drawn.
fn focus_tab(index: usize) {
    gloo_timers::callback::Timeout::new(0, move || {
        if let Some(tab) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&format!("file-tab-{index}")))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = tab.focus();
        }
    })
    .forget();
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
    // The tabs alone in the tablist (ARIA: a tablist holds tabs); the shown file's rename and
    // remove buttons and "+ file" follow it.
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
        // Arrow keys move between the tabs (and show that file), Home/End to the ends.
        let onkeydown = {
            let (on_activate, count) = (props.on_activate.clone(), props.files.len());
            Callback::from(move |e: KeyboardEvent| {
                let to = match e.key().as_str() {
                    "ArrowRight" => (index + 1) % count,
                    "ArrowLeft" => (index + count - 1) % count,
                    "Home" => 0,
                    "End" => count - 1,
                    _ => return,
                };
                e.prevent_default();
                on_activate.emit(to);
                focus_tab(to);
            })
        };
        html! {
            <span class={classes!("file-tab", selected.then_some("active"))} role="presentation">
                <button type="button" role="tab" aria-selected={selected.to_string()}
                    id={format!("file-tab-{index}")} tabindex={if selected { "0" } else { "-1" }}
                    aria-controls="editor" {onclick} {ondblclick} {onkeydown}
                    title={(index > 0).then_some("Double-click to rename")}>{ &file.path }</button>
            </span>
        }
    });
    let actions = props.files.get(active).filter(|_| active > 0).map(|file| {
        let rename = {
            let naming = naming.clone();
            Callback::from(move |_: MouseEvent| naming.set(Some(Naming::Rename(active))))
        };
        let remove = props.on_remove.reform(move |_: MouseEvent| active);
        html! {
            <>
                <button type="button" class="tab-action" onclick={rename}
                    aria-label={format!("Rename {}", file.path)} title="Rename">{ "✎" }</button>
                <button type="button" class="tab-action" onclick={remove}
                    aria-label={format!("Remove {}", file.path)} title="Remove">{ "×" }</button>
            </>
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
        <div class="file-tabs">
            <div class="file-tablist" role="tablist" aria-label="Files">{ for tabs }</div>
            { for actions }
            { add }
        </div>
    }
}
