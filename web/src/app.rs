//! The page: the files and the project/timeline the user edits on one side, what GitLab would
//! do on the other, re-simulated shortly after each edit. The whole state lives in the URL
//! fragment, so a link reopens the same view; `#…&embed` shows a compact read-only view for
//! an `<iframe>`.

use std::cell::RefCell;
use std::rc::Rc;

use gloo_timers::callback::Timeout;
use pipesim::sorted::SortedMap;
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsCast;
use yew::prelude::*;

use crate::diagnostics::DiagnosticsView;
use crate::editor::{Editor, EditorFinding};
use crate::forms::{EventsPanel, ProjectPanel};
use crate::job::JobDetails;
use crate::pipelines::PipelinesView;
use crate::presets::{PresetMenu, PRESETS};
use crate::share::{decode, encode, ShareMenu};
use crate::state::{EventForm, FileTab, ProjectForm, Results, Selection, View, Workspace};
use crate::timeline::TimelineView;
use crate::wire::{encode_request, Request};
use crate::worker::{Outcome, Simulator};
use crate::LINT_DEBOUNCE_MS;

#[derive(Properties, PartialEq, Default)]
pub struct AppProps {
    /// A configuration to start from (one push, the Pipelines view) instead of the first
    /// visit's example, when neither the URL nor the browser holds a workspace.
    #[prop_or_default]
    pub initial: Option<AttrValue>,
}

/// The URL fragment without `#`.
fn current_fragment() -> String {
    web_sys::window()
        .and_then(|w| w.location().hash().ok())
        .map(|h| h.trim_start_matches('#').to_owned())
        .unwrap_or_default()
}

/// Where the page keeps the address of the last workspace, for the next visit without a link.
pub const AUTOSAVE_KEY: &str = "pipesim-autosave";

const RESTORED_NOTICE: &str =
    "Your last work in this browser is back (it is saved as you type). “New” starts blank.";

/// Where the page starts: the workspace, whether it is an embed, a notice, and the example
/// whose lesson is shown.
struct Start {
    workspace: Workspace,
    embed: bool,
    notice: Option<String>,
    lesson: Option<usize>,
}

/// What a visit with nothing to restore opens: the configuration given to the app, else the
/// seed example on the timeline with its lesson (`presets::FIRST_VISIT`).
fn first_visit(initial: Option<&str>) -> (Workspace, Option<usize>) {
    if let Some(text) = initial {
        return (Workspace::with_config(text), None);
    }
    match crate::presets::first_visit() {
        Some((workspace, index)) => (workspace, Some(index)),
        None => (Workspace::with_config(""), None),
    }
}

/// What the page starts from: the state in the link, else the last work saved in this
/// browser, else the first visit's example.
fn initial_state(initial: Option<&str>) -> Start {
    let fragment = current_fragment();
    let (decoded, notice) = if fragment.is_empty() {
        // The first visit's example saved as it was opened is no work of the user's: it opens
        // as a first visit again, with its lesson.
        let saved = local_storage()
            .and_then(|s| s.get_item(AUTOSAVE_KEY).ok().flatten())
            .and_then(|saved| decode(&saved).ok())
            .filter(|(saved, _)| *saved != first_visit(initial).0);
        let notice = saved.as_ref().map(|_| RESTORED_NOTICE.to_owned());
        (saved.map(|(workspace, _)| (workspace, false)), notice)
    } else {
        match decode(&fragment) {
            Ok(decoded) => (Some(decoded), None),
            Err(problem) => (
                None,
                Some(format!("This link could not be opened: {problem}")),
            ),
        }
    };
    match decoded {
        Some((workspace, embed)) => Start {
            workspace,
            embed,
            notice,
            lesson: None,
        },
        None => {
            let (workspace, lesson) = first_visit(initial);
            Start {
                workspace,
                embed: false,
                notice,
                lesson,
            }
        }
    }
}

/// Everything the page can change in the workspace. A reducer keeps every callback handed to
/// the components stable (the dispatcher never changes), so a keystroke re-renders the editor
/// and not the pipeline views.
pub enum Action {
    Edit(usize, String),
    Activate(usize),
    AddFile(String),
    RenameFile(usize, String),
    RemoveFile(usize),
    ShowFile(String),
    Project(ProjectForm),
    Events(Vec<EventForm>),
    Select(Selection),
    CloseJob,
    View(View),
    /// Step-through of the timeline: the event shown last, or off.
    Step(Option<usize>),
    Load(Workspace),
    /// The settings of the scenario's other projects.
    Projects(Vec<crate::state::OtherProject>),
    /// A checked fix applied: line edits of the files (by their tab path). Nothing changes
    /// when an edit no longer fits its file (it was edited since).
    ApplyEdits(Vec<pipesim::edit::Edit>),
}

impl Reducible for Workspace {
    type Action = Action;

    fn reduce(self: Rc<Self>, action: Action) -> Rc<Self> {
        let mut next = (*self).clone();
        match action {
            Action::Edit(index, text) => {
                if let Some(file) = next.files.get_mut(index) {
                    file.text = text;
                }
            }
            Action::Activate(index) => next.active = index.min(next.files.len().saturating_sub(1)),
            Action::AddFile(path) => {
                let path = path.trim();
                if !path.is_empty() && !next.files.iter().any(|f| f.path == path) {
                    next.files.push(FileTab {
                        path: path.to_owned(),
                        text: String::new(),
                    });
                    next.active = next.files.len() - 1;
                }
            }
            Action::RenameFile(index, path) => {
                let path = path.trim();
                let taken = next.files.iter().any(|f| f.path == path);
                // The configuration file keeps its name: GitLab reads `.gitlab-ci.yml`.
                if index > 0 && !path.is_empty() && !taken {
                    if let Some(file) = next.files.get_mut(index) {
                        file.path = path.to_owned();
                    }
                }
            }
            Action::RemoveFile(index) => {
                if index > 0 && index < next.files.len() {
                    next.files.remove(index);
                    next.active = next.active.min(next.files.len() - 1);
                }
            }
            Action::ShowFile(path) => {
                if let Some(index) = next.files.iter().position(|f| f.path == path) {
                    next.active = index;
                }
            }
            Action::ApplyEdits(edits) => {
                let mut changed = Vec::new();
                for (index, file) in next.files.iter().enumerate() {
                    let of_file: Vec<&pipesim::edit::Edit> =
                        edits.iter().filter(|e| e.file == file.path).collect();
                    if of_file.is_empty() {
                        continue;
                    }
                    match pipesim::edit::apply_to_text(&file.text, &of_file) {
                        Some(text) => changed.push((index, text)),
                        None => return self,
                    }
                }
                if let Some(&(first, _)) = changed.first() {
                    next.active = first;
                }
                for (index, text) in changed {
                    next.files[index].text = text;
                }
            }
            Action::Project(project) => next.project = project,
            Action::Events(events) => {
                next.events = events;
                next.selected = None;
            }
            Action::Select(selection) => next.selected = Some(selection),
            Action::CloseJob => next.selected = None,
            Action::View(view) => next.view = view,
            Action::Step(step) => next.shown.step = step,
            Action::Load(workspace) => next = workspace,
            Action::Projects(projects) => next.projects = projects,
        }
        Rc::new(next)
    }
}

/// Callbacks that only dispatch an action.
#[derive(Clone)]
struct Handlers {
    on_edit: Callback<(usize, String)>,
    on_activate: Callback<usize>,
    on_add: Callback<String>,
    on_rename: Callback<(usize, String)>,
    on_remove: Callback<usize>,
    on_project: Callback<ProjectForm>,
    on_events: Callback<Vec<EventForm>>,
    on_select: Callback<Selection>,
    on_close: Callback<()>,
    on_view: Callback<View>,
    on_step: Callback<Option<usize>>,
}

impl Handlers {
    fn new(d: &UseReducerDispatcher<Workspace>) -> Handlers {
        Handlers {
            on_edit: send(d, |(i, t)| Action::Edit(i, t)),
            on_activate: send(d, Action::Activate),
            on_add: send(d, Action::AddFile),
            on_rename: send(d, |(i, p)| Action::RenameFile(i, p)),
            on_remove: send(d, Action::RemoveFile),
            on_project: send(d, Action::Project),
            on_events: send(d, Action::Events),
            on_select: send(d, Action::Select),
            on_close: send(d, |()| Action::CloseJob),
            on_view: send(d, Action::View),
            on_step: send(d, Action::Step),
        }
    }
}

/// Set in the tab's session storage while the page itself runs a simulation (when it has no
/// worker): still set when the page loads means the last run crashed it.
const RUNNING_KEY: &str = "pipesim-running";
/// In local storage: fingerprints of the requests whose simulation crashed the worker (the
/// newest last), so that a link that crashed is not run again on open, in any tab.
const CRASHED_KEY: &str = "pipesim-crashed";
const CRASHED_KEPT: usize = 20;
/// A link whose files are larger than this asks before it is simulated.
pub const LARGE_LINK_BYTES: usize = 256 * 1024;

const CRASHED_NOTICE: &str = "The last simulation of this workspace stopped pipesim, so it is \
    shown without results. Your files and events are all here: edit them (or pick an example) \
    to simulate again, or simulate it as it is.";

fn session_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.session_storage().ok().flatten()
}

fn local_storage() -> Option<web_sys::Storage> {
    web_sys::window()?.local_storage().ok().flatten()
}

fn crashed_before() -> bool {
    session_storage().is_some_and(|s| s.get_item(RUNNING_KEY).ok().flatten().is_some())
}

/// A short fingerprint of a request (FNV-1a, 64 bits): enough to recognise a workspace again.
pub fn fingerprint(request: &str) -> String {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for byte in request.bytes() {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    format!("{hash:016x}")
}

fn crashed_list() -> Vec<String> {
    local_storage()
        .and_then(|s| s.get_item(CRASHED_KEY).ok().flatten())
        .map(|text| text.split_whitespace().map(str::to_owned).collect())
        .unwrap_or_default()
}

fn remember_crash(request: &str) {
    let print = fingerprint(request);
    let mut list = crashed_list();
    list.retain(|p| *p != print);
    list.push(print);
    let skip = list.len().saturating_sub(CRASHED_KEPT);
    if let Some(s) = local_storage() {
        let _ = s.set_item(CRASHED_KEY, &list[skip..].join(" "));
    }
}

/// Why the workspace the page opens with is not simulated right away, if it is not.
fn hold_reason(workspace: &Workspace, from_link: bool) -> Option<String> {
    if crashed_before() || crashed_list().contains(&fingerprint(&encode_request(workspace))) {
        return Some(CRASHED_NOTICE.to_owned());
    }
    let bytes: usize = workspace.files.iter().map(|f| f.text.len()).sum();
    (from_link && bytes > LARGE_LINK_BYTES).then(|| {
        format!(
            "This link holds a large configuration ({} KB): simulating it may take a while \
             and much memory. It is shown without results until you simulate it.",
            bytes.div_ceil(1000)
        )
    })
}

/// [`Results::of`] on the page's own thread (no worker), marked in session storage while it
/// runs.
fn guarded_run(workspace: &Workspace) -> Results {
    let storage = session_storage();
    if let Some(s) = &storage {
        let _ = s.set_item(RUNNING_KEY, "1");
    }
    let results = Results::of(workspace);
    if let Some(s) = &storage {
        let _ = s.remove_item(RUNNING_KEY);
    }
    results
}

/// Where the results stand against the workspace on screen.
#[derive(Clone, Debug, PartialEq)]
pub enum Phase {
    /// The results are for what is on screen.
    Current,
    /// A simulation of the newest state is under way (since this `performance.now()`); the
    /// results shown are for an earlier state.
    Running(f64),
    /// The simulation of the newest state stopped the worker: what happened.
    Crashed(String),
    /// The user cancelled the simulation of the newest state.
    Cancelled,
    /// Not simulated until the user asks (a link that crashed before, a large link): why.
    Held(String),
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

/// A callback that dispatches the action `make` builds from its argument.
fn send<T: 'static>(d: &UseReducerDispatcher<Workspace>, make: fn(T) -> Action) -> Callback<T> {
    let d = d.clone();
    Callback::from(move |value| d.dispatch(make(value)))
}

#[function_component(App)]
pub fn app(props: &AppProps) -> Html {
    let start = use_memo((), |_| initial_state(props.initial.as_deref()));
    let workspace = use_reducer(|| start.workspace.clone());
    let embed = start.embed;
    let notice = use_state(|| start.notice.clone());
    let lesson = use_state(|| start.lesson);
    // A workspace that crashed the simulation before (or a large link) is not simulated on
    // open: the page shows it without results until the user edits or asks.
    let held = use_memo((), |_| {
        hold_reason(&start.workspace, !current_fragment().is_empty())
    });
    let can_work = use_memo((), |_| crate::worker::available());
    let results = use_state(|| {
        if held.is_some() || *can_work {
            Results::none()
        } else {
            guarded_run(&start.workspace)
        }
    });
    let phase = use_state(|| match &*held {
        Some(reason) => Phase::Held(reason.clone()),
        None if *can_work => Phase::Running(now_ms()),
        None => Phase::Current,
    });
    // The request last given to the simulation (a change of view or selection does not run
    // it again); a held workspace counts as given.
    let last_request =
        use_mut_ref(|| (held.is_some() || !*can_work).then(|| encode_request(&start.workspace)));
    // The workspace whose address is not written yet (see the debounce below).
    let unwritten = use_mut_ref(|| None::<Workspace>);
    // The files as last loaded (the start, an example, New, a link): what "edits" are measured
    // against before an example replaces them.
    let loaded_files = use_mut_ref(|| start.workspace.files.clone());
    // An edit waits out the debounce before it is simulated; until then the results shown
    // are for an earlier state, and an answer that lands meanwhile (to an earlier request)
    // leaves them marked so.
    let debouncing = use_mut_ref(|| false);
    let simulator = {
        let results = results.setter();
        let phase = phase.setter();
        let last_request = last_request.clone();
        let unwritten = unwritten.clone();
        let debouncing = debouncing.clone();
        use_memo((), move |_| {
            if !*can_work {
                return None;
            }
            Simulator::new(move |_, outcome| match outcome {
                Outcome::Done(done) => {
                    results.set(done);
                    if !*debouncing.borrow() {
                        phase.set(Phase::Current);
                    }
                }
                Outcome::Crashed(what) => {
                    // A reload must bring back what crashed: the address is written now.
                    write_address(&unwritten, embed);
                    if let Some(request) = &*last_request.borrow() {
                        remember_crash(request);
                    }
                    results.set(Results::none());
                    phase.set(Phase::Crashed(what));
                }
            })
        })
    };
    // Bumped to run the current workspace again (Try again, Simulate).
    let rerun = use_state(|| 0u32);
    let first_render = use_mut_ref(|| true);
    // Dropping a gloo Timeout cancels it, so replacing this is the debounce.
    let pending = use_mut_ref(|| None::<Timeout>);
    let dispatcher = workspace.dispatcher();

    // Re-simulate shortly after the last edit; keep the URL in step with the state.
    {
        let shown_phase = (*phase).clone();
        let results = results.setter();
        let phase = phase.setter();
        let pending = pending.clone();
        let simulator = simulator.clone();
        let last_request = last_request.clone();
        let address_timer = use_mut_ref(|| None::<Timeout>);
        let unwritten = unwritten.clone();
        // What the simulation last read of the workspace (the request, before it is encoded).
        let inputs = use_mut_ref(|| None::<Request>);
        let debouncing = debouncing.clone();
        use_effect_with((workspace.clone(), *rerun), move |(workspace, _)| {
            let first = std::mem::replace(&mut *first_render.borrow_mut(), false);
            let workspace: Workspace = (**workspace).clone();
            let delay = if first { 0 } else { LINT_DEBOUNCE_MS };
            // What the simulation reads changed (not only the view or the selection): the
            // results on screen are for an earlier state from now on.
            let now = Request::of(&workspace);
            let changed = inputs.borrow().as_ref() != Some(&now);
            *inputs.borrow_mut() = Some(now);
            // Counted from the last edit: the progress line is for a run that takes long, not
            // for typing that goes on. (A crash, a cancel or a held link keeps its message.)
            let stale = matches!(shown_phase, Phase::Current | Phase::Running(_));
            if changed && !first && simulator.is_some() && stale {
                *debouncing.borrow_mut() = true;
                phase.set(Phase::Running(now_ms()));
            }
            *pending.borrow_mut() = Some(Timeout::new(delay, move || {
                let was_debouncing = std::mem::replace(&mut *debouncing.borrow_mut(), false);
                let request = encode_request(&workspace);
                let same = last_request.borrow().as_deref() == Some(request.as_str());
                match &*simulator {
                    Some(simulator) => {
                        // The address once typing has paused for a while, compressed by the
                        // packer worker (a long task on this thread). A crash of the
                        // simulation writes it at once (above), so a reload still brings back
                        // exactly what was typed.
                        *unwritten.borrow_mut() = Some(workspace);
                        let unwritten = unwritten.clone();
                        let (packer, packed_request) = (simulator.clone(), request.clone());
                        *address_timer.borrow_mut() =
                            Some(Timeout::new(ADDRESS_DELAY_MS, move || {
                                write_address_off_thread(
                                    &unwritten,
                                    embed,
                                    &packer,
                                    packed_request,
                                );
                            }));
                        if same {
                            // Edited back to what was simulated: those results stand, once
                            // the run for them (if one is under way) has answered.
                            if was_debouncing && !simulator.busy() {
                                phase.set(Phase::Current);
                            }
                            return;
                        }
                        *last_request.borrow_mut() = Some(request.clone());
                        phase.set(Phase::Running(now_ms()));
                        simulator.submit(request);
                    }
                    None => {
                        // On this thread a crash takes the page: the address first.
                        save_address(&encode(&workspace, embed), embed, false);
                        if same {
                            return;
                        }
                        *last_request.borrow_mut() = Some(request);
                        results.set(guarded_run(&workspace));
                        phase.set(Phase::Current);
                    }
                }
            }));
        });
    }

    // Going back/forward (or editing the address bar) loads the state of that URL.
    {
        let dispatcher = dispatcher.clone();
        let (unwritten, loaded_files) = (unwritten.clone(), loaded_files.clone());
        use_effect_with((), move |_| {
            let listener = Closure::<dyn Fn()>::new(move || {
                if let Ok((loaded, _)) = decode(&current_fragment()) {
                    // What was typed on the entry left is not written over the one returned to.
                    unwritten.borrow_mut().take();
                    *loaded_files.borrow_mut() = loaded.files.clone();
                    dispatcher.dispatch(Action::Load(loaded));
                }
            });
            let window = web_sys::window();
            if let Some(w) = &window {
                let _ = w.add_event_listener_with_callback(
                    "popstate",
                    listener.as_ref().unchecked_ref(),
                );
            }
            move || {
                if let Some(w) = window {
                    let _ = w.remove_event_listener_with_callback(
                        "popstate",
                        listener.as_ref().unchecked_ref(),
                    );
                }
            }
        });
    }

    // One memo for all the plain dispatching callbacks: they never change, so children whose
    // other props are equal skip re-rendering (one hook instead of one per callback).
    let handlers = {
        let d = dispatcher.clone();
        use_memo((), move |_| Handlers::new(&d))
    };
    let Handlers {
        on_edit,
        on_activate,
        on_add,
        on_rename,
        on_remove,
        on_project,
        on_events,
        on_select,
        on_close,
        on_view,
        on_step,
    } = (*handlers).clone();
    let d = dispatcher.clone();
    // A fix's edits name files as their pipeline's project has them: with several projects,
    // another project's files are the tabs `project:path`.
    let on_apply = {
        let d = dispatcher.clone();
        let simulation = results.simulation.clone();
        let main_project = workspace.project.path.trim().to_owned();
        Callback::from(
            move |(pipeline, mut edits): (Option<u64>, Vec<pipesim::edit::Edit>)| {
                let project = pipeline
                    .and_then(|id| simulation.pipelines.iter().find(|p| p.id == id))
                    .and_then(|p| p.project.clone())
                    .filter(|p| *p != main_project);
                if let Some(project) = project {
                    for edit in &mut edits {
                        edit.file = format!("{project}:{}", edit.file);
                    }
                }
                let line = edits.first().map(|e| e.line).unwrap_or(1);
                d.dispatch(Action::ApplyEdits(edits));
                Timeout::new(0, move || crate::editor::reveal(line, 1)).forget();
            },
        )
    };
    let on_locate = use_callback((), move |(path, line, column): (String, u32, u32), _| {
        d.dispatch(Action::ShowFile(path));
        // The editor shows the file after the next render.
        Timeout::new(0, move || crate::editor::reveal(line, column)).forget();
    });
    // An example waiting for the user to confirm that it may replace their edits.
    let confirm = use_state(|| None::<(Workspace, usize)>);
    // Loads a workspace as a new history entry (Back returns to what was there).
    let load = {
        let d = dispatcher.clone();
        let lesson = lesson.setter();
        let notice = notice.setter();
        let (unwritten, loaded_files) = (unwritten.clone(), loaded_files.clone());
        use_callback((), move |(loaded, index): (Workspace, Option<usize>), _| {
            // The state being left gets its own entry first, then the loaded one.
            write_address(&unwritten, embed);
            save_address(&encode(&loaded, embed), embed, true);
            *loaded_files.borrow_mut() = loaded.files.clone();
            d.dispatch(Action::Load(loaded));
            lesson.set(index);
            notice.set(None);
        })
    };
    let on_preset = {
        let (load, confirm, loaded_files) = (load.clone(), confirm.setter(), loaded_files.clone());
        let files = workspace.files.clone();
        use_callback(files, move |(loaded, index): (Workspace, usize), files| {
            let edited = *files != *loaded_files.borrow();
            if edited {
                confirm.set(Some((loaded, index)));
            } else {
                load.emit((loaded, Some(index)));
            }
        })
    };
    let on_new = {
        let load = load.clone();
        Callback::from(move |_: MouseEvent| load.emit((Workspace::with_config(""), None)))
    };
    let confirm_banner = (*confirm).clone().map(|(loaded, index)| {
        let title = PRESETS.get(index).map_or("", |p| p.title);
        let replace = {
            let (load, confirm) = (load.clone(), confirm.clone());
            Callback::from(move |_: MouseEvent| {
                confirm.set(None);
                load.emit((loaded.clone(), Some(index)));
            })
        };
        let keep = {
            let confirm = confirm.clone();
            Callback::from(move |_: MouseEvent| confirm.set(None))
        };
        let onkeydown = {
            let confirm = confirm.clone();
            Callback::from(move |e: KeyboardEvent| {
                if e.key() == "Escape" {
                    confirm.set(None);
                }
            })
        };
        html! {
            <div class="confirm" role="alertdialog" aria-labelledby="confirm-text" {onkeydown}>
                <p id="confirm-text">
                    { format!("Load the example “{title}”? It replaces your edits (Back in the browser brings them back).") }
                </p>
                <button type="button" id="confirm-replace" onclick={replace}>{ "Replace my edits" }</button>
                <button type="button" class="link" onclick={keep}>{ "Keep editing" }</button>
            </div>
        }
    });
    // The confirmation takes the focus when it appears.
    use_effect_with(confirm.is_some(), |shown| {
        if *shown {
            if let Some(button) = web_sys::window()
                .and_then(|w| w.document())
                .and_then(|d| d.get_element_by_id("confirm-replace"))
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
            {
                let _ = button.focus();
            }
        }
    });

    let on_cancel = {
        let simulator = simulator.clone();
        let phase = phase.setter();
        use_callback((), move |_: MouseEvent, _| {
            if let Some(simulator) = &*simulator {
                simulator.cancel();
            }
            phase.set(Phase::Cancelled);
        })
    };
    let on_rerun = {
        let last_request = last_request.clone();
        let rerun = rerun.clone();
        Callback::from(move |_: MouseEvent| {
            *last_request.borrow_mut() = None;
            rerun.set(rerun.wrapping_add(1));
        })
    };
    let on_empty = {
        let d = dispatcher.clone();
        let lesson = lesson.setter();
        let notice = notice.setter();
        Callback::from(move |_: MouseEvent| {
            d.dispatch(Action::Load(Workspace::with_config("")));
            lesson.set(None);
            notice.set(None);
        })
    };
    let run_banner = run_state(&phase, on_cancel, on_rerun, on_empty);
    // What the diagnostics say instead of the verdict when the results are not for what is on
    // screen (never a stale "valid").
    let unchecked: Option<AttrValue> = match &*phase {
        Phase::Running(_) if results.run.number == 0 => Some("Checking…".into()),
        Phase::Current | Phase::Running(_) => None,
        Phase::Crashed(_) => Some("Not checked: the simulation stopped".into()),
        Phase::Cancelled => Some("Not checked: the simulation was cancelled".into()),
        Phase::Held(_) => Some("Not checked yet".into()),
    };
    let stale = matches!(*phase, Phase::Running(_));

    let findings = use_memo(results.clone(), |results| Rc::new(editor_findings(results)));
    // Memoised by value: a keystroke in the editor leaves these (and the panels using them)
    // untouched.
    let events = use_memo(workspace.events.clone(), |events| Rc::new(events.clone()));
    let files = use_memo(workspace.files.clone(), |files| Rc::new(files.clone()));
    let shared = use_memo(workspace.clone(), |w| Rc::new((**w).clone()));
    let simulation = results.simulation.clone();
    let selected = workspace.selected.clone();
    let view = workspace.view;
    // Which events the results show (an embed's choice; every event in the app).
    let shown = use_memo(workspace.shown.clone(), |shown| Rc::new(shown.clone()));
    let results_view = match view {
        View::Matrix => html! {
            <crate::matrix::MatrixView files={(*files).clone()} project={workspace.project.clone()} />
        },
        View::Full => html! {
            <crate::full_config::FullConfigView files={(*files).clone()} />
        },
        View::Timeline => html! {
            <TimelineView simulation={simulation.clone()} events={(*events).clone()}
                selected={selected.clone()} on_select={on_select.clone()}
                shown={(*shown).clone()} {on_step} />
        },
        _ => html! {
            <PipelinesView simulation={simulation.clone()} events={(*events).clone()}
                selected={selected.clone()} on_select={on_select.clone()} {view}
                shown={(*shown).clone()} />
        },
    };
    let details = selected.clone().map(|selection| {
        html! {
            <JobDetails simulation={simulation.clone()} simulator={(*simulator).clone()} {selection} on_close={on_close.clone()}
                on_select={on_select.clone()} on_locate={on_locate.clone()} />
        }
    });
    const VIEWS: [View; 5] = [
        View::Pipelines,
        View::Needs,
        View::Timeline,
        View::Matrix,
        View::Full,
    ];
    let view_tabs = VIEWS.iter().enumerate().map(|(i, &v)| {
        let label = match v {
            View::Pipelines => "Pipelines",
            View::Needs => "Needs",
            View::Timeline => "Timeline",
            View::Matrix => "Matrix",
            View::Full => "Full configuration",
        };
        let onclick = on_view.reform(move |_: MouseEvent| v);
        // Arrow keys move between the tabs and show that view (ARIA tabs pattern).
        let onkeydown = {
            let on_view = on_view.clone();
            Callback::from(move |e: KeyboardEvent| {
                let to = match e.key().as_str() {
                    "ArrowRight" => (i + 1) % VIEWS.len(),
                    "ArrowLeft" => (i + VIEWS.len() - 1) % VIEWS.len(),
                    "Home" => 0,
                    "End" => VIEWS.len() - 1,
                    _ => return,
                };
                e.prevent_default();
                on_view.emit(VIEWS[to]);
                focus_by_id(format!("view-tab-{to}"));
            })
        };
        html! {
            <button type="button" role="tab" class={classes!("view-tab", (v == view).then_some("active"))}
                id={format!("view-tab-{i}")} tabindex={if v == view { "0" } else { "-1" }}
                aria-selected={(v == view).to_string()} {onclick} {onkeydown}>{ label }</button>
        }
    });
    let results_panel = html! {
        <section class="panel results-panel" aria-labelledby="results-title">
            <div class="panel-head">
                <h2 id="results-title">{ "What GitLab does" }</h2>
                <div class="view-tabs" role="tablist" aria-label="Results view">{ for view_tabs }</div>
            </div>
            <div class={classes!("results-body", stale.then_some("stale"))} aria-busy={stale.to_string()}>
                { results_view }
                { for details }
            </div>
        </section>
    };
    let lesson_banner = (*lesson).and_then(|i| PRESETS.get(i)).map(|preset| {
        let onclick = {
            let lesson = lesson.clone();
            Callback::from(move |_| lesson.set(None))
        };
        html! {
            <aside class="lesson" aria-label="About this example">
                <strong>{ preset.title }</strong>
                <p>{ crate::diagnostics::inline_code(preset.lesson) }</p>
                <button type="button" class="link" {onclick} aria-label="Hide this explanation">{ "×" }</button>
            </aside>
        }
    });
    let notice_banner = (*notice).clone().map(|text| {
        if text == RESTORED_NOTICE {
            return html! { <p class="notice info" role="status">{ text }</p> };
        }
        html! { <p class="notice" role="alert">{ text }</p> }
    });

    if embed {
        let open_href = format!("#{}", encode(&shared, false));
        return html! {
            <div class={classes!("embed", workspace.shown.yaml.then_some("with-yaml"))}>
                <header class="embed-header">
                    <span class="brand">{ "pipesim" }</span>
                    <span class="gitlab-version">{ format!("GitLab {}", pipesim::GITLAB_VERSION) }</span>
                    <a href={open_href} target="_blank" rel="noopener">{ "Open in pipesim" }</a>
                </header>
                { for notice_banner }
                { run_banner.clone() }
                if workspace.shown.yaml {
                    <div class="embed-body">
                        { crate::share::read_only_files(&workspace.files) }
                        { results_panel }
                    </div>
                } else {
                    { results_panel }
                }
            </div>
        };
    }

    html! {
        <>
            <header class="site-header">
                <h1>{ "pipesim" }</h1>
                <p class="tagline">{ "What GitLab CI/CD would do with your configuration — entirely in your browser." }</p>
                <p class="gitlab-version" title="pipesim's behaviour and messages are ported from GitLab's source at this version (gitlabhq/gitlabhq, master of that cycle)">
                    { format!("Follows GitLab {}", pipesim::GITLAB_VERSION) }
                </p>
                <div class="header-actions">
                    <button type="button" class="new-workspace" onclick={on_new}
                        title="Start with an empty .gitlab-ci.yml (Back returns to this one)">{ "New" }</button>
                    <PresetMenu on_load={on_preset} />
                    <ShareMenu workspace={(*shared).clone()} simulation={simulation.clone()} />
                </div>
            </header>
            { for notice_banner }
            { for confirm_banner }
            { run_banner }
            { for lesson_banner }
            <main class="workspace">
                <div class="column column-input">
                    <Editor
                        files={(*files).clone()}
                        active={workspace.active}
                        findings={(*findings).clone()}
                        {on_edit}
                        {on_activate}
                        {on_add}
                        {on_rename}
                        {on_remove}
                        invalid={!results.lint.valid}
                        run={(results.run.number > 0).then_some(results.run)}
                    />
                    <DiagnosticsView lint={results.lint.clone()} simulation={simulation.clone()}
                        {unchecked} {stale} on_locate={on_locate.clone()} on_select_job={on_select.clone()} {on_apply} />
                </div>
                <div class="column column-output">
                    <ProjectPanel project={workspace.project.clone()} on_change={on_project} />
                    { crate::forms::other_projects_panel(&workspace.projects, &send(&dispatcher, Action::Projects)) }
                    <EventsPanel events={(*events).clone()} on_change={on_events} simulation={simulation.clone()}
                        projects={Rc::new(workspace.project_paths())}
                        default_branch={AttrValue::from(workspace.project.default_branch.clone())} />
                    { results_panel }
                </div>
            </main>
        </>
    }
}

/// The banner for a simulation that is slow, stopped, cancelled or not run yet.
fn run_state(
    phase: &Phase,
    on_cancel: Callback<MouseEvent>,
    on_rerun: Callback<MouseEvent>,
    on_empty: Callback<MouseEvent>,
) -> Html {
    match phase {
        Phase::Current => html! {},
        Phase::Running(since) => html! { <RunProgress since={*since} {on_cancel} /> },
        Phase::Crashed(what) => html! {
            <section id="sim-crash" class="crash" role="alert" aria-labelledby="sim-crash-title">
                <h2 id="sim-crash-title">{ "The simulation stopped" }</h2>
                <p class="crash-what">{ format!("pipesim's simulation of this workspace stopped: {what}.") }</p>
                <p>{ "Your files and events are kept, and the page still works. This workspace is \
                      not simulated again until you change it (also when this link is opened \
                      again). Make the configuration smaller, or start over." }</p>
                <div class="crash-actions">
                    <button type="button" class="primary" onclick={on_empty}>{ "Start with an empty workspace" }</button>
                    <button type="button" onclick={on_rerun}>{ "Try again" }</button>
                </div>
            </section>
        },
        Phase::Cancelled => html! {
            <p class="run-state" role="status">
                { "Simulation cancelled: the results are not checked against what is on screen. " }
                <button type="button" class="link" onclick={on_rerun}>{ "Simulate" }</button>
            </p>
        },
        Phase::Held(reason) => html! {
            <p class="run-state" role="status">
                { format!("{reason} ") }
                <button type="button" class="link" id="simulate-held" onclick={on_rerun}>{ "Simulate" }</button>
            </p>
        },
    }
}

/// How long a simulation runs before the page says so.
const SHOW_PROGRESS_AFTER_MS: f64 = 400.0;

#[derive(Properties, PartialEq)]
struct RunProgressProps {
    since: f64,
    on_cancel: Callback<MouseEvent>,
}

/// A simulation under way: nothing for the first moments, then the time it has taken and a
/// Cancel button (the worker cannot say how far it is, so the bar is indeterminate).
#[function_component(RunProgress)]
fn run_progress(props: &RunProgressProps) -> Html {
    let now = use_state(now_ms);
    {
        let now = now.setter();
        use_effect_with(props.since, move |_| {
            let tick = gloo_timers::callback::Interval::new(200, move || now.set(now_ms()));
            move || drop(tick)
        });
    }
    let elapsed = (*now - props.since).max(0.0);
    if elapsed < SHOW_PROGRESS_AFTER_MS {
        return html! {};
    }
    html! {
        <div class="run-state running" id="sim-progress" role="status">
            <span class="progress" aria-hidden="true"><span></span></span>
            <span>{ format!("Simulating… {:.1} s", elapsed / 1000.0) }</span>
            <button type="button" id="sim-cancel" onclick={props.on_cancel.clone()}>{ "Cancel" }</button>
        </div>
    }
}

/// Keeps the address in step without adding a history entry per keystroke.
fn replace_fragment(fragment: &str) {
    let Some(window) = web_sys::window() else {
        return;
    };
    if current_fragment() == fragment {
        return;
    }
    if let Ok(history) = window.history() {
        let _ = history.replace_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("#{fragment}")),
        );
    }
}

/// Moves the focus to the element `id` once it is drawn.
fn focus_by_id(id: String) {
    Timeout::new(0, move || {
        if let Some(e) = web_sys::window()
            .and_then(|w| w.document())
            .and_then(|d| d.get_element_by_id(&id))
            .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok())
        {
            let _ = e.focus();
        }
    })
    .forget();
}

/// How long typing must pause before the address follows the workspace (with the worker).
const ADDRESS_DELAY_MS: u32 = 1000;

/// Writes the address of the workspace not written yet, if any.
/// [`write_address`] with the compression in the packer worker: written when the packed text
/// comes back, if the workspace waiting for it is still the one sent (`request` is its
/// `encode_request`).
fn write_address_off_thread(
    unwritten: &Rc<RefCell<Option<Workspace>>>,
    embed: bool,
    simulator: &Simulator,
    request: String,
) {
    let Some(sent) = unwritten.borrow().clone() else {
        return;
    };
    let waiting = unwritten.clone();
    let asked = simulator.pack(request, move |packed| {
        if waiting.borrow().as_ref() == Some(&sent) {
            waiting.borrow_mut().take();
            save_address(
                &crate::share::encode_packed(&sent, embed, &packed),
                embed,
                false,
            );
        }
    });
    if !asked {
        write_address(unwritten, embed);
    }
}

fn write_address(unwritten: &RefCell<Option<Workspace>>, embed: bool) {
    if let Some(workspace) = unwritten.borrow_mut().take() {
        save_address(&encode(&workspace, embed), embed, false);
    }
}

/// Puts `fragment` in the address bar (a new history entry when `push`: Back returns to the
/// state before) and, outside embeds, saves it in this browser for the next visit.
fn save_address(fragment: &str, embed: bool, push: bool) {
    if push {
        push_fragment(fragment);
    } else {
        replace_fragment(fragment);
    }
    if !embed {
        if let Some(storage) = local_storage() {
            let _ = storage.set_item(AUTOSAVE_KEY, fragment);
        }
    }
}

fn push_fragment(fragment: &str) {
    if current_fragment() == fragment {
        return;
    }
    if let Some(history) = web_sys::window().and_then(|w| w.history().ok()) {
        let _ = history.push_state_with_url(
            &wasm_bindgen::JsValue::NULL,
            "",
            Some(&format!("#{fragment}")),
        );
    }
}

/// The findings with a place in a file, per file, for the editor's underlines and gutter.
fn editor_findings(results: &Results) -> SortedMap<String, Vec<EditorFinding>> {
    let mut findings: SortedMap<String, Vec<EditorFinding>> = SortedMap::new();
    let lint = results.lint.errors.iter().chain(&results.lint.warnings);
    let simulated = results.simulation.diagnostics.iter().chain(
        results
            .simulation
            .pipelines
            .iter()
            .flat_map(|p| p.errors.iter().chain(&p.warnings)),
    );
    for d in lint.chain(simulated) {
        let (Some(file), true) = (&d.file, d.line > 0) else {
            continue;
        };
        let list = findings.get_or_insert_with(file.clone(), Vec::new);
        let finding = EditorFinding::of(d);
        // One message once (a finding repeated by several events or pipelines).
        if !list.contains(&finding) {
            list.push(finding);
        }
    }
    findings
}
