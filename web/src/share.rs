//! Sharing: the whole workspace in the URL fragment, and the menu that copies a link or an
//! `<iframe>` snippet.
//!
//! # Fragment format, version 1 (links made today must keep opening: never change v1)
//!
//! ```text
//! v1.<payload>[&embed][&view=<view>][&job=<pipeline id>:<job name>]
//!     [&events=<n>[,<n>…]][&step=<n>][&yaml=1]
//! ```
//!
//! - `<payload>`: [`Workspace::to_scenario_text`] (a scenario file, docs/SCENARIOS.md) as UTF-8,
//!   compressed with [`compress`] below, then base64url without padding (RFC 4648 §5).
//! - The compressed stream is a sequence of tokens, each starting with an unsigned LEB128
//!   number `n`: an even `n` is a run of `n / 2` literal bytes that follow; an odd `n` is a
//!   copy of `n / 2 + 4` bytes from `d` bytes back in the output, `d` being the LEB128 number
//!   that follows (`d ≥ 1`; a copy may overlap what it writes).
//! - `embed`: the compact read-only page for an `<iframe>` (README "Embedding").
//! - `view=`: `pipelines` (the default, never written), `needs`, `timeline`, `matrix` or `full`
//!   (the Full configuration); an unknown view is the default.
//! - `job=<id>:<name>`: the job whose details are open; the name is percent-encoded (UTF-8).
//! - `events=`: only these events' pipelines are shown, by number (1-based, in the timeline's
//!   order), comma-separated; numbers past the last event are left out, and a list with no
//!   number left is every event. Read only with `embed`.
//! - `step=<n>`: the timeline steps through the events, event `n` (1-based) shown last and
//!   highlighted; in the app and in embeds.
//! - `yaml=1`: the embed shows the files, read-only, beside the results. Read only with `embed`.
//! - Unknown `&key=value` parts are ignored, so later versions of v1 can add some (readers
//!   older than `events`, `step` and `yaml` open such links with every event, no step-through
//!   and no YAML).
//!
//! A fragment with another version (`v2.…`) is refused with a message rather than misread.

use std::rc::Rc;

use wasm_bindgen::JsCast;
use web_sys::{HtmlInputElement, HtmlTextAreaElement};
use yew::prelude::*;

use pipesim::simulate::Simulation;

use crate::state::{load_scenario_text, FileTab, Selection, Shared, Shown, View, Workspace};

const VERSION: &str = "v1";
/// The shortest copy worth a token.
const MIN_MATCH: usize = 4;
/// How far back a copy may reach (and how much the compressor remembers).
const WINDOW: usize = 1 << 15;
/// A decoded scenario larger than this is refused (a hostile link must not exhaust memory).
const MAX_DECODED: usize = 8 << 20;
/// The longest URL browsers open: Chromium's `url::kMaxURLChars` is 2 MiB (2,097,152
/// characters); Firefox and Safari allow more, so this is the bound a link must meet.
pub const MAX_URL_CHARS: usize = 2 << 20;
/// A refusal quotes at most this many characters of what it refuses (a damaged 8 MB link must
/// not fill the page).
const MAX_NOTICE_CHARS: usize = 300;

/// The warning for a link too long for browsers to open; `None` when it fits.
pub fn too_long_warning(link: &str) -> Option<String> {
    let length = link.chars().count();
    (length > MAX_URL_CHARS).then(|| {
        format!(
            "This link is {length} characters long, more than browsers open (about {MAX_URL_CHARS} characters in Chromium): it will not open. Make the workspace smaller (fewer or shorter files) to share it."
        )
    })
}

/// `message` cut to [`MAX_NOTICE_CHARS`] characters, marked where it was cut.
fn shorten(message: String) -> String {
    if message.chars().count() <= MAX_NOTICE_CHARS {
        return message;
    }
    let mut short: String = message.chars().take(MAX_NOTICE_CHARS).collect();
    short.push_str("… (cut short)");
    short
}

/// The URL fragment (without `#`) that restores `workspace`; `embed` adds the embed flag.
pub fn encode(workspace: &Workspace, embed: bool) -> String {
    encode_packed(workspace, embed, &pack(&workspace.to_scenario_text()))
}

/// The scenario text compressed and in base64url: the long part of an address, which the
/// simulation worker makes off the page's thread (`worker.rs`).
pub fn pack(scenario: &str) -> String {
    base64url(&compress(scenario.as_bytes()))
}

/// [`encode`] with the scenario already [`pack`]ed.
pub fn encode_packed(workspace: &Workspace, embed: bool, packed: &str) -> String {
    fragment(
        packed,
        embed,
        workspace.view,
        workspace.selected.as_ref(),
        &workspace.shown,
    )
}

/// The fragment for a packed scenario shown in `view`, with `job` open.
fn fragment(
    packed: &str,
    embed: bool,
    view: View,
    job: Option<&Selection>,
    shown: &Shown,
) -> String {
    let mut out = String::from(VERSION);
    out.push('.');
    out.push_str(packed);
    if embed {
        out.push_str("&embed");
    }
    if view != View::Pipelines {
        out.push_str("&view=");
        out.push_str(view.key());
    }
    if let Some(selection) = job {
        out.push_str(&format!(
            "&job={}:{}",
            selection.pipeline,
            percent_encode(&selection.job)
        ));
    }
    push_shown(&mut out, shown, embed);
    out
}

/// The `events`, `step` and `yaml` parts (the embed's own only in an embed's link).
fn push_shown(out: &mut String, shown: &Shown, embed: bool) {
    if embed && !shown.events.is_empty() {
        let numbers: Vec<String> = shown.events.iter().map(usize::to_string).collect();
        out.push_str("&events=");
        out.push_str(&numbers.join(","));
    }
    if let Some(step) = shown.step {
        out.push_str(&format!("&step={step}"));
    }
    if embed && shown.yaml {
        out.push_str("&yaml=1");
    }
}

/// The event numbers of an `events=` part: ascending, each once; what is not a number from 1
/// up to `count` is left out.
fn parse_events(value: &str, count: usize) -> Vec<usize> {
    let mut events: Vec<usize> = value
        .split(',')
        .filter_map(|n| n.trim().parse().ok())
        .filter(|&n| n >= 1 && n <= count)
        .collect();
    pipesim::sort::sort_dedup(&mut events);
    events
}

/// The workspace and embed flag a fragment (without `#`) stands for. A refusal's reason is
/// short, whatever the link holds.
pub fn decode(fragment: &str) -> Result<(Workspace, bool), String> {
    decode_full(fragment).map_err(shorten)
}

fn decode_full(fragment: &str) -> Result<(Workspace, bool), String> {
    let fragment = fragment.trim_start_matches('#');
    let mut parts = fragment.split('&');
    let head = parts.next().unwrap_or_default();
    let Some((version, payload)) = head.split_once('.') else {
        return Err("the link holds no pipesim state".into());
    };
    if version != VERSION {
        return Err(if version.starts_with('v') {
            format!("it was made in format {version}, which this version of pipesim does not know (it reads {VERSION}); reload the page to get the latest version")
        } else {
            "the link holds no pipesim state".into()
        });
    }
    let bytes = unbase64url(payload).ok_or("the link is damaged (bad characters)")?;
    let text = decompress(&bytes).ok_or("the link is damaged (cut short?)")?;
    let text = String::from_utf8(text).map_err(|_| "the link is damaged (not text)")?;
    let mut workspace = load_scenario_text("link.scenario.yml", &text)?;
    let mut embed = false;
    let mut shown = Shown::default();
    for part in parts {
        let (key, value) = part.split_once('=').unwrap_or((part, ""));
        match key {
            "embed" => embed = true,
            "view" => workspace.view = View::parse(value).unwrap_or_default(),
            "job" => {
                workspace.selected = value.split_once(':').and_then(|(id, job)| {
                    Some(Selection {
                        pipeline: id.parse().ok()?,
                        job: percent_decode(job)?,
                    })
                })
            }
            "events" => shown.events = parse_events(value, workspace.events.len()),
            "step" => shown.step = value.parse().ok().filter(|&n| n >= 1),
            "yaml" => shown.yaml = value != "0",
            _ => {}
        }
    }
    if !embed {
        // The embed's own choices: the app shows every event and has its editor.
        shown.events.clear();
        shown.yaml = false;
    }
    workspace.shown = shown;
    Ok((workspace, embed))
}

fn push_varint(out: &mut Vec<u8>, mut n: usize) {
    while n >= 0x80 {
        out.push((n as u8 & 0x7f) | 0x80);
        n >>= 7;
    }
    out.push(n as u8);
}

fn read_varint(input: &[u8], at: &mut usize) -> Option<usize> {
    let mut n: usize = 0;
    for shift in (0..35).step_by(7) {
        let byte = *input.get(*at)?;
        *at += 1;
        n |= ((byte & 0x7f) as usize) << shift;
        if byte & 0x80 == 0 {
            return Some(n);
        }
    }
    None
}

/// LZ77 with a hash chain over 4-byte prefixes: small code, and ~3-5× on CI configurations.
pub fn compress(input: &[u8]) -> Vec<u8> {
    const HASH_BITS: u32 = 14;
    const MAX_CHAIN: usize = 48;
    let hash = |i: usize| {
        let v = u32::from_le_bytes([input[i], input[i + 1], input[i + 2], input[i + 3]]);
        (v.wrapping_mul(2_654_435_761) >> (32 - HASH_BITS)) as usize
    };
    let mut head = vec![usize::MAX; 1 << HASH_BITS];
    let mut prev = vec![usize::MAX; input.len()];
    let mut out = Vec::with_capacity(input.len() / 2);
    let mut literal_start = 0;
    let mut i = 0;
    let insert = |i: usize, head: &mut Vec<usize>, prev: &mut Vec<usize>| {
        if i + MIN_MATCH <= input.len() {
            let h = hash(i);
            prev[i] = head[h];
            head[h] = i;
        }
    };
    while i < input.len() {
        let mut best = (0, 0);
        if i + MIN_MATCH <= input.len() {
            let mut candidate = head[hash(i)];
            let mut chain = 0;
            while candidate != usize::MAX && i - candidate <= WINDOW && chain < MAX_CHAIN {
                let length = input[candidate..]
                    .iter()
                    .zip(&input[i..])
                    .take_while(|(a, b)| a == b)
                    .count();
                if length > best.0 {
                    best = (length, i - candidate);
                }
                candidate = prev[candidate];
                chain += 1;
            }
        }
        if best.0 >= MIN_MATCH {
            if literal_start < i {
                push_varint(&mut out, (i - literal_start) << 1);
                out.extend_from_slice(&input[literal_start..i]);
            }
            push_varint(&mut out, ((best.0 - MIN_MATCH) << 1) | 1);
            push_varint(&mut out, best.1);
            for j in i..i + best.0 {
                insert(j, &mut head, &mut prev);
            }
            i += best.0;
            literal_start = i;
        } else {
            insert(i, &mut head, &mut prev);
            i += 1;
        }
    }
    if literal_start < input.len() {
        push_varint(&mut out, (input.len() - literal_start) << 1);
        out.extend_from_slice(&input[literal_start..]);
    }
    out
}

/// The inverse of [`compress`]; `None` for a damaged stream.
pub fn decompress(input: &[u8]) -> Option<Vec<u8>> {
    let mut out: Vec<u8> = Vec::with_capacity(input.len() * 3);
    let mut at = 0;
    while at < input.len() {
        let n = read_varint(input, &mut at)?;
        if n & 1 == 0 {
            let end = at.checked_add(n >> 1)?;
            out.extend_from_slice(input.get(at..end)?);
            at = end;
        } else {
            let length = (n >> 1) + MIN_MATCH;
            let distance = read_varint(input, &mut at)?;
            if distance == 0 || distance > out.len() || out.len() + length > MAX_DECODED {
                return None;
            }
            let start = out.len() - distance;
            for k in 0..length {
                out.push(out[start + k]);
            }
        }
        if out.len() > MAX_DECODED {
            return None;
        }
    }
    Some(out)
}

const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

fn base64url(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(bytes.len() * 4 / 3 + 3);
    for chunk in bytes.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (b as u32) << (16 - 8 * i));
        for k in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * k) & 63) as usize] as char);
        }
    }
    out
}

fn unbase64url(text: &str) -> Option<Vec<u8>> {
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut n, mut bits) = (0u32, 0);
    for c in text.bytes() {
        // Tolerate the standard alphabet too, in case a link was converted on its way.
        let v = match c {
            b'+' => 62,
            b'/' => 63,
            b'=' => continue,
            c => ALPHABET.iter().position(|&a| a == c)? as u32,
        };
        n = n << 6 | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((n >> bits) as u8);
        }
    }
    Some(out)
}

fn percent_encode(text: &str) -> String {
    let mut out = String::new();
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || b"-_.~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> Option<String> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = std::str::from_utf8(bytes.get(i + 1..i + 3)?).ok()?;
            out.push(u8::from_str_radix(hex, 16).ok()?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).ok()
}

/// The page's address without its fragment.
fn base_url() -> String {
    web_sys::window()
        .and_then(|w| w.location().href().ok())
        .map(|h| h.split('#').next().unwrap_or_default().to_owned())
        .unwrap_or_default()
}

/// Copies `text`; `false` when the clipboard API is missing (insecure origin, old browser).
pub(crate) fn copy_text(text: &str) -> bool {
    let Some(window) = web_sys::window() else {
        return false;
    };
    let navigator = window.navigator();
    // `navigator.clipboard` is undefined outside secure contexts, and web-sys would hand out
    // `undefined` as a `Clipboard`: look before calling it.
    let present = web_sys::js_sys::Reflect::get(&navigator, &"clipboard".into())
        .is_ok_and(|v| !v.is_undefined() && !v.is_null());
    if present {
        let _ = navigator.clipboard().write_text(text);
    }
    present
}

#[derive(Properties, PartialEq)]
pub struct ShareMenuProps {
    pub workspace: Rc<Workspace>,
    /// The results shown, for the jobs an embed may open.
    pub simulation: Shared<Simulation>,
}

#[derive(Clone, Copy, PartialEq)]
enum Open {
    None,
    Link,
    Embed,
}

/// What the Embed popup's snippet shows: chosen in its form, starting from what the page shows.
#[derive(Clone, Debug, PartialEq)]
struct EmbedChoice {
    view: View,
    /// The events shown; empty: every event.
    events: Vec<usize>,
    job: Option<Selection>,
    yaml: bool,
    /// Step through the timeline from the first event shown.
    step: bool,
}

impl EmbedChoice {
    fn of(workspace: &Workspace) -> EmbedChoice {
        EmbedChoice {
            view: workspace.view,
            events: workspace.shown.events.clone(),
            job: workspace.selected.clone(),
            yaml: workspace.shown.yaml,
            step: workspace.shown.step.is_some(),
        }
    }

    /// What the embed's link says about the events, step-through and YAML.
    fn shown(&self, count: usize) -> Shown {
        let events = if self.events.len() >= count {
            Vec::new()
        } else {
            self.events.clone()
        };
        let step = self.step.then(|| events.first().copied().unwrap_or(1));
        Shown {
            events,
            step,
            yaml: self.yaml,
        }
    }
}

/// The `<iframe>` snippet for an embed link.
fn snippet_for(link: &str) -> String {
    format!(
        "<iframe src=\"{}\" width=\"100%\" height=\"600\" title=\"pipesim\"></iframe>",
        link.replace('&', "&amp;").replace('"', "&quot;")
    )
}

/// The views an embed may open with, and their names in the Embed form.
const EMBED_VIEWS: [(View, &str); 5] = [
    (View::Pipelines, "Pipelines"),
    (View::Needs, "Needs"),
    (View::Timeline, "Timeline"),
    (View::Matrix, "Matrix"),
    (View::Full, "Full configuration"),
];

#[function_component(ShareMenu)]
pub fn share_menu(props: &ShareMenuProps) -> Html {
    let open = use_state(|| Open::None);
    let copied = use_state(|| false);
    let warning = use_state(|| None::<String>);
    let link_ref = use_node_ref();
    let snippet_ref = use_node_ref();
    let choice = use_state(|| EmbedChoice::of(&props.workspace));
    // The workspace packed when the Embed popup opened (packing compresses it: not on every
    // keystroke, nor on every change of the form).
    let packed = use_state(|| Rc::new(String::new()));
    let link = |embed| format!("{}#{}", base_url(), encode(&props.workspace, embed));
    let count = props.workspace.events.len();
    let shown = choice.shown(count);
    // A job of an event left out is not opened.
    let job = choice.job.as_ref().filter(|s| {
        let of = |p: &&pipesim::pipeline::PipelineReport| p.id == s.pipeline;
        props
            .simulation
            .pipelines
            .iter()
            .find(of)
            .is_none_or(|p| shown.shows(p.event))
    });
    let embed_link = format!(
        "{}#{}",
        base_url(),
        fragment(&packed, true, choice.view, job, &shown)
    );

    let copy_link = {
        let (open, copied, workspace, link_ref, warning) = (
            open.clone(),
            copied.clone(),
            props.workspace.clone(),
            link_ref.clone(),
            warning.clone(),
        );
        Callback::from(move |_: MouseEvent| {
            let link = format!("{}#{}", base_url(), encode(&workspace, false));
            warning.set(too_long_warning(&link));
            if copy_text(&link) {
                copied.set(true);
                open.set(Open::None);
            } else {
                // No clipboard API: show the link selected, for Ctrl+C.
                copied.set(false);
                open.set(Open::Link);
                let link_ref = link_ref.clone();
                gloo_timers::callback::Timeout::new(0, move || {
                    if let Some(input) = link_ref.cast::<HtmlInputElement>() {
                        let _ = input.focus();
                        input.select();
                    }
                })
                .forget();
            }
        })
    };
    let toggle_embed = {
        let (open, copied, warning, workspace) = (
            open.clone(),
            copied.clone(),
            warning.clone(),
            props.workspace.clone(),
        );
        let (choice, packed) = (choice.clone(), packed.clone());
        Callback::from(move |_: MouseEvent| {
            copied.set(false);
            if *open != Open::Embed {
                let scenario = pack(&workspace.to_scenario_text());
                let link = format!(
                    "{}#{}",
                    base_url(),
                    encode_packed(&workspace, true, &scenario)
                );
                warning.set(too_long_warning(&link));
                packed.set(Rc::new(scenario));
                choice.set(EmbedChoice::of(&workspace));
            }
            open.set(if *open == Open::Embed {
                Open::None
            } else {
                Open::Embed
            });
        })
    };
    let copy_snippet = {
        let (copied, snippet_ref) = (copied.clone(), snippet_ref.clone());
        Callback::from(move |_: MouseEvent| {
            let snippet = snippet_ref
                .cast::<HtmlTextAreaElement>()
                .map(|area| area.value())
                .unwrap_or_default();
            if copy_text(&snippet) {
                copied.set(true);
            } else if let Some(area) = snippet_ref.cast::<HtmlTextAreaElement>() {
                let _ = area.focus();
                area.select();
            }
        })
    };
    let select_all = Callback::from(|e: FocusEvent| {
        if let Some(target) = e.target() {
            if let Some(input) = target.dyn_ref::<HtmlInputElement>() {
                input.select();
            } else if let Some(area) = target.dyn_ref::<HtmlTextAreaElement>() {
                area.select();
            }
        }
    });

    let popup = match *open {
        Open::None => html! {},
        Open::Link => html! {
            <div class="share-popup">
                <label for="share-link">{ "Copy this link (Ctrl+C):" }</label>
                <input id="share-link" type="text" readonly=true value={link(false)} ref={link_ref}
                    onfocus={select_all} />
            </div>
        },
        Open::Embed => html! {
            <div class="share-popup embed-popup" role="group" aria-label="Embed">
                { embed_form(&choice, &props.workspace, &props.simulation) }
                <label for="share-embed">{ "Paste this into a page to show it, read-only:" }</label>
                <textarea id="share-embed" readonly=true rows="4" value={snippet_for(&embed_link)} ref={snippet_ref}
                    onfocus={select_all} />
                <button type="button" onclick={copy_snippet}>{ "Copy snippet" }</button>
            </div>
        },
    };
    // Escape closes the popup (the focus goes back to the menu); so does a click outside it.
    let menu_ref = use_node_ref();
    let onkeydown = {
        let open = open.clone();
        let menu_ref = menu_ref.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Escape" && *open != Open::None {
                open.set(Open::None);
                if let Some(button) = menu_ref
                    .cast::<web_sys::Element>()
                    .and_then(|m| m.query_selector("button[aria-expanded]").ok().flatten())
                    .and_then(|b| b.dyn_into::<web_sys::HtmlElement>().ok())
                {
                    let _ = button.focus();
                }
            }
        })
    };
    {
        let (open, menu_ref) = (open.clone(), menu_ref.clone());
        use_effect_with(*open != Open::None, move |shown| {
            let document = web_sys::window().and_then(|w| w.document());
            let listener = (*shown).then(|| {
                wasm_bindgen::closure::Closure::<dyn Fn(web_sys::Event)>::new(
                    move |e: web_sys::Event| {
                        let inside = e
                            .target()
                            .and_then(|t| t.dyn_into::<web_sys::Node>().ok())
                            .zip(menu_ref.cast::<web_sys::Node>())
                            .is_some_and(|(t, menu)| menu.contains(Some(&t)));
                        if !inside {
                            open.set(Open::None);
                        }
                    },
                )
            });
            if let (Some(d), Some(l)) = (&document, &listener) {
                let _ =
                    d.add_event_listener_with_callback("pointerdown", l.as_ref().unchecked_ref());
            }
            move || {
                if let (Some(d), Some(l)) = (&document, &listener) {
                    let _ = d.remove_event_listener_with_callback(
                        "pointerdown",
                        l.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }
    html! {
        <div class="share-menu" ref={menu_ref} {onkeydown}>
            <button type="button" onclick={copy_link}>{ "Copy link" }</button>
            <button type="button" aria-expanded={(*open == Open::Embed).to_string()}
                onclick={toggle_embed}>{ "Embed" }</button>
            <span class="share-copied" role="status">{ if *copied { "Copied" } else { "" } }</span>
            if let Some(text) = (*warning).clone() {
                <p class="share-warning" role="alert">{ text }</p>
            }
            { popup }
        </div>
    }
}

/// The Embed popup's choices: the view, the events, the job open, the YAML, step-through. Each
/// change is the snippet's at once.
fn embed_form(
    choice: &UseStateHandle<EmbedChoice>,
    workspace: &Workspace,
    simulation: &Shared<Simulation>,
) -> Html {
    let count = workspace.events.len();
    let current = (**choice).clone();
    let update = |change: fn(&mut EmbedChoice, String, bool, usize)| {
        let (choice, current) = (choice.clone(), current.clone());
        Callback::from(move |e: Event| {
            let (value, checked) = match e.target() {
                Some(t) => match t.dyn_ref::<HtmlInputElement>() {
                    Some(input) => (input.value(), input.checked()),
                    None => (
                        t.dyn_ref::<web_sys::HtmlSelectElement>()
                            .map(|s| s.value())
                            .unwrap_or_default(),
                        false,
                    ),
                },
                None => return,
            };
            let mut next = current.clone();
            change(&mut next, value, checked, count);
            if next.view != current.view {
                // A select shows what was picked, not what an `<option selected>` says later.
                if let Some(select) = web_sys::window()
                    .and_then(|w| w.document())
                    .and_then(|d| d.get_element_by_id("embed-view"))
                    .and_then(|e| e.dyn_into::<web_sys::HtmlSelectElement>().ok())
                {
                    select.set_value(next.view.key());
                }
            }
            choice.set(next);
        })
    };
    let on_view = update(|c, value, _, _| {
        c.view = View::parse(&value).unwrap_or_default();
        // Step-through is the timeline's.
        c.step &= c.view == View::Timeline;
    });
    let on_event = update(|c, value, checked, count| {
        if let Ok(n) = value.parse::<usize>() {
            c.events = toggle_event(&c.events, n, checked, count);
        }
    });
    let on_job = update(|c, value, _, _| {
        c.job = value.split_once(':').and_then(|(id, job)| {
            Some(Selection {
                pipeline: id.parse().ok()?,
                job: job.to_owned(),
            })
        });
    });
    let on_yaml = update(|c, _, checked, _| c.yaml = checked);
    let on_step = update(|c, _, checked, _| {
        c.step = checked;
        if checked {
            c.view = View::Timeline;
        }
    });
    let shown = current.shown(count);
    let views = EMBED_VIEWS.iter().map(|&(view, name)| {
        html! { <option value={view.key()} selected={view == current.view}>{ name }</option> }
    });
    let events = (1..=count).map(|n| {
        let id = format!("embed-event-{n}");
        let on = shown.shows(n);
        // The last event ticked stays ticked (an embed shows at least one).
        let last = on && shown.events.len() == 1;
        html! {
            <li>
                <input type="checkbox" id={id.clone()} value={n.to_string()} checked={on}
                    aria-disabled={last.to_string()} onchange={on_event.clone()} />
                <label for={id}>{ crate::pipelines::event_title(&workspace.events, n) }</label>
            </li>
        }
    });
    let open = current.job.as_ref();
    let jobs = simulation
        .pipelines
        .iter()
        .filter(|p| p.created && shown.shows(p.event))
        .flat_map(|p| {
            p.jobs.iter().filter(|j| j.created).map(move |j| {
                let value = format!("{}:{}", p.id, j.name);
                let on = open.is_some_and(|s| s.pipeline == p.id && s.job == j.name);
                html! {
                    <option {value} selected={on}>{ format!("#{} {}", p.id, j.name) }</option>
                }
            })
        });
    html! {
        <div class="embed-form">
            <div class="embed-field">
                <label for="embed-view">{ "View" }</label>
                <select id="embed-view" onchange={on_view}>{ for views }</select>
            </div>
            <div class="embed-field">
                <label for="embed-job">{ "Job details open" }</label>
                <select id="embed-job" onchange={on_job}>
                    <option value="" selected={current.job.is_none()}>{ "None" }</option>
                    { for jobs }
                </select>
            </div>
            if count > 1 {
                <fieldset class="embed-events">
                    <legend>{ "Events shown" }</legend>
                    <ul>{ for events }</ul>
                </fieldset>
            }
            <div class="embed-check">
                <input type="checkbox" id="embed-step" checked={current.step} onchange={on_step} />
                <label for="embed-step">{ "Step through the timeline, event by event" }</label>
            </div>
            <div class="embed-check">
                <input type="checkbox" id="embed-yaml" checked={current.yaml} onchange={on_yaml} />
                <label for="embed-yaml">{ "Show the YAML beside the results (read-only)" }</label>
            </div>
        </div>
    }
}

/// The events shown once event `n` is ticked (`on`) or not; empty means every event, and the
/// last event shown stays.
fn toggle_event(events: &[usize], n: usize, on: bool, count: usize) -> Vec<usize> {
    let mut list: Vec<usize> = if events.is_empty() {
        (1..=count).collect()
    } else {
        events.to_vec()
    };
    if on {
        list.push(n);
    } else if list.len() > 1 {
        list.retain(|&e| e != n);
    }
    pipesim::sort::sort_dedup(&mut list);
    if list.len() >= count {
        list.clear();
    }
    list
}

/// The files, read-only, for an embed that shows its YAML beside the results: plain numbered
/// lines, which the editor bundle (web/editor/editor.js `viewer`) shows in a read-only
/// CodeMirror view with the editor's highlighting (where the bundle is not loaded, the lines
/// stay).
pub fn read_only_files(files: &[FileTab]) -> Html {
    html! {
        <section class="panel embed-yaml" aria-label="Configuration (read-only)">
            { for files.iter().map(|f| {
                let lines = f.text.lines().count().max(1);
                html! {
                    <figure class="embed-file">
                        <figcaption>{ &f.path }</figcaption>
                        <pre class="embed-code" tabindex="0" aria-label={format!("{} (read-only)", f.path)}
                            style={format!("--digits:{}", lines.to_string().len())}>
                            { for f.text.lines().enumerate().map(|(i, line)| html! {
                                <span class="embed-line" data-line={(i + 1).to_string()}>{ line }{ "\n" }</span>
                            }) }
                        </pre>
                    </figure>
                }
            }) }
        </section>
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::state::{EventForm, EventKind, FileTab};

    fn sample() -> Workspace {
        let mut w = Workspace::with_config(crate::EXAMPLE);
        w.files.push(FileTab {
            path: "ci/child ü.yml".into(),
            text: "child:\n  script: echo \"$X\" # ünïcode ✓\n".into(),
        });
        let mut mr = EventForm::new(EventKind::MergeRequest);
        mr.changes = "src/a.rs".into();
        mr.outcomes = "build=failed".into();
        w.events.push(mr);
        w.events.push(EventForm::new(EventKind::Merge));
        w
    }

    #[test]
    fn round_trips_files_project_events_view_and_job() {
        let mut w = sample();
        w.view = View::Timeline;
        w.selected = Some(Selection {
            pipeline: 3,
            job: "deploy: eu & us/ü".into(),
        });
        let fragment = encode(&w, true);
        assert!(fragment.starts_with("v1."));
        assert!(fragment.contains("&embed&view=timeline&job=3:"));
        assert!(fragment
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.~%&=:".contains(&b)));
        let (back, embed) = decode(&fragment).unwrap();
        assert!(embed);
        assert_eq!(back.files, w.files);
        assert_eq!(back.project, w.project);
        assert_eq!(back.events, w.events);
        assert_eq!(back.view, View::Timeline);
        assert_eq!(back.selected, w.selected);

        let (plain, embed) = decode(&encode(&sample(), false)).unwrap();
        assert!(!embed);
        assert_eq!(plain.view, View::Pipelines);
        assert_eq!(plain.selected, None);
    }

    #[test]
    fn embed_choices_round_trip_and_stay_out_of_app_links() {
        let mut w = sample();
        w.view = View::Timeline;
        w.shown = Shown {
            events: vec![1, 3],
            step: Some(3),
            yaml: true,
        };
        let fragment = encode(&w, true);
        assert!(
            fragment.ends_with("&embed&view=timeline&events=1,3&step=3&yaml=1"),
            "{fragment}"
        );
        let (back, embed) = decode(&fragment).unwrap();
        assert!(embed);
        assert_eq!(back.shown, w.shown);
        // An app link keeps the step-through only: the app shows every event and its editor.
        let app = encode(&w, false);
        assert!(app.ends_with("&view=timeline&step=3"), "{app}");
        let (back, embed) = decode(&app).unwrap();
        assert!(!embed);
        assert_eq!(
            back.shown,
            Shown {
                events: vec![],
                step: Some(3),
                yaml: false
            }
        );
        // Read without `embed`, the embed's parts are left out.
        let (back, _) = decode(&format!("{app}&events=2&yaml=1")).unwrap();
        assert_eq!(back.shown.events, Vec::<usize>::new());
        assert!(!back.shown.yaml);
    }

    #[test]
    fn odd_event_lists_and_steps_are_read_safely() {
        // sample() has three events.
        assert_eq!(parse_events("3,1,3,x,,0,4,99999999999999999999", 3), [1, 3]);
        assert_eq!(parse_events("", 3), Vec::<usize>::new());
        let base = encode(&sample(), true);
        let (back, _) = decode(&format!("{base}&events=9&step=0&yaml=0")).unwrap();
        assert_eq!(back.shown, Shown::default());
        let (back, _) = decode(&format!("{base}&step=2&step=x")).unwrap();
        assert_eq!(
            back.shown.step, None,
            "the last step part wins, and it is no number"
        );
    }

    #[test]
    fn the_embed_form_keeps_at_least_one_event_and_all_means_every_event() {
        assert_eq!(toggle_event(&[], 2, false, 3), [1, 3]);
        assert_eq!(toggle_event(&[1, 3], 2, true, 3), Vec::<usize>::new());
        assert_eq!(toggle_event(&[3], 3, false, 3), [3], "the last one stays");
        assert_eq!(toggle_event(&[1], 3, true, 3), [1, 3]);
        let mut w = sample();
        w.view = View::Needs;
        w.shown.step = Some(2);
        let mut choice = EmbedChoice::of(&w);
        assert!(choice.step);
        choice.events = vec![2, 3];
        choice.step = true;
        assert_eq!(
            choice.shown(3),
            Shown {
                events: vec![2, 3],
                step: Some(2),
                yaml: false
            },
            "stepping starts at the first event shown"
        );
        choice.events = vec![1, 2, 3];
        assert!(choice.shown(3).events.is_empty());
        assert!(snippet_for("https://x/#v1.a&embed&view=\"")
            .contains("#v1.a&amp;embed&amp;view=&quot;"));
    }

    #[test]
    fn compression_round_trips_and_pays() {
        for text in [
            String::new(),
            "a".into(),
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa".into(),
            crate::EXAMPLE.repeat(40),
            (0..3000u32)
                .map(|i| char::from_u32(i * 7 % 0x2000 + 32).unwrap_or('x'))
                .collect(),
        ] {
            let packed = compress(text.as_bytes());
            assert_eq!(decompress(&packed).unwrap(), text.as_bytes());
            assert_eq!(unbase64url(&base64url(&packed)).unwrap(), packed);
        }
        let scenario = sample().to_scenario_text();
        let packed = base64url(&compress(scenario.as_bytes()));
        assert!(
            packed.len() < scenario.len(),
            "{} → {}",
            scenario.len(),
            packed.len()
        );
    }

    #[test]
    fn v1_links_keep_opening() {
        // Made by this version; must decode forever (see the format comment above).
        let w = Workspace::with_config("job:\n  script: echo hi\n");
        let frozen = encode(&w, false);
        let (back, _) = decode(&frozen).unwrap();
        assert_eq!(back.files, w.files);
        // A link of the first v1 readers (before `events`, `step` and `yaml`) opens as it
        // did: every event, no step-through, no YAML.
        let (back, embed) = decode(&format!("{frozen}&embed&view=needs&job=1:job")).unwrap();
        assert!(embed);
        assert_eq!(
            (back.view, back.shown.clone()),
            (View::Needs, Shown::default())
        );
        assert_eq!(back.selected.map(|s| s.job), Some("job".to_owned()));
        // A hand-built v1 stream: all literals, no compression.
        let text = w.to_scenario_text();
        let mut raw = Vec::new();
        push_varint(&mut raw, text.len() << 1);
        raw.extend_from_slice(text.as_bytes());
        let (back, _) = decode(&format!("v1.{}&unknown=1", base64url(&raw))).unwrap();
        assert_eq!(back.files, w.files);
    }

    #[test]
    fn damaged_and_future_links_are_refused_with_a_reason() {
        assert!(decode("v2.abc").unwrap_err().contains("v2"));
        assert!(decode("hello").is_err());
        assert!(decode("v1.***").is_err());
        let good = encode(&sample(), false);
        assert!(decode(&good[..good.len() / 2]).is_err());
        // A copy from before the start, and a huge expansion, are refused.
        assert!(decompress(&[0x03, 0x05]).is_none());
        let mut bomb = vec![0x02, b'a'];
        for _ in 0..200_000 {
            bomb.extend_from_slice(&[0xff, 0x7f, 0x01]);
        }
        assert!(decompress(&bomb).is_none());
    }

    #[test]
    fn links_over_the_url_limit_are_flagged() {
        assert_eq!(too_long_warning(&"a".repeat(MAX_URL_CHARS)), None);
        let warning = too_long_warning(&"a".repeat(MAX_URL_CHARS + 1)).unwrap();
        assert!(warning.contains("2097153 characters"), "{warning}");
    }

    #[test]
    fn a_refusal_does_not_quote_a_whole_payload() {
        // A scenario that is not valid YAML, 1 MB long: the reason stays short.
        let text = format!("files: [{}\n", "x".repeat(1 << 20));
        let fragment = format!("v1.{}", base64url(&compress(text.as_bytes())));
        let reason = decode(&fragment).unwrap_err();
        assert!(
            reason.chars().count() <= MAX_NOTICE_CHARS + 20,
            "{}",
            reason.len()
        );
        assert_eq!(shorten("short".into()), "short");
        let long = shorten("x".repeat(8 << 20));
        assert_eq!(
            long.chars().count(),
            MAX_NOTICE_CHARS + "… (cut short)".chars().count()
        );
    }
}
