//! The simulation off the page's thread: a module Web Worker (`web/worker.js`) runs this same
//! wasm module (the page hands it its compiled `WebAssembly.Module`, so nothing is downloaded or
//! compiled twice) and answers each request with the results as JSON (`wire.rs`).
//!
//! The page side, [`Simulator`], keeps at most one request running: a newer request waits
//! while the running one is young and replaces any older waiting one; once the running one has
//! taken longer than [`RESTART_AFTER_MS`] the worker is ended and a fresh one takes the newest
//! request (a simulation cannot be interrupted otherwise). Only the newest request's answer
//! reaches the page. A trap in the worker (a Rust panic, out of memory, any `RuntimeError`)
//! ends that worker; the page hears what happened and the next request starts a fresh one.
//!
//! The answer to a run is a summary (`wire::encode_summary_against`: what the results views
//! draw), written against the answer the page holds: parts equal to that answer's are named,
//! not sent again, and when nothing the views draw has changed the page keeps its results as
//! they are (no redraw). The worker keeps the run's full results, and the job drawer asks it for one job in full
//! ([`Simulator::details`]) when it opens. A second worker of the same module, the packer,
//! compresses the workspace for the page's address ([`Simulator::pack`]), so that neither the
//! page's thread nor the next simulation waits for it.

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::state::{Results, Selection, Workspace};
use crate::wire::{
    decode_job_detail, decode_request, decode_results_against, encode_answer, encode_job_detail,
    DetailRequest, JobDetail, Sent,
};

/// A running simulation older than this is ended when a newer request arrives.
pub const RESTART_AFTER_MS: f64 = 250.0;

/// What became of a request.
pub enum Outcome {
    Done(Results),
    /// The worker stopped: what happened, in a sentence for the crash panel.
    Crashed(String),
}

// ---------------------------------------------------------------------------------------------
// Worker side (called from web/worker.js through the exports in main.rs)

/// Installs the worker's panic hook: the panic text is left on the worker's global object as
/// `pipesimPanic`, where worker.js reads it after the trap that follows (panic = abort).
pub fn install_worker_hook() {
    std::panic::set_hook(Box::new(|info| {
        let text = JsValue::from_str(&info.to_string());
        let _ = js_sys::Reflect::set(&js_sys::global(), &JsValue::from_str("pipesimPanic"), &text);
    }));
}

thread_local! {
    /// The worker's last run, kept for the drawer's questions about one job.
    static LAST: RefCell<Option<(Workspace, Results)>> = const { RefCell::new(None) };
    /// The last answers sent, by request number, newest last: what a later answer may build on.
    static SENT: RefCell<Vec<(u32, Sent)>> = const { RefCell::new(Vec::new()) };
}

/// How many answers the worker remembers for the page to build on. The page holds one; the
/// others are answers it dropped as stale while typing went on.
const SENT_KEPT: usize = 4;

/// Runs request number `id` (JSON of [`crate::wire::Request`]) and returns the summary of its
/// results as JSON, written against answer `base` (the one the page holds, 0 for none) when
/// the worker still has it; the full results stay here for [`job_details`].
pub fn run_request(request: &str, id: u32, base: u32) -> Result<String, String> {
    let workspace = decode_request(request)?;
    let mut results = Results::of(&workspace);
    let summary = SENT.with(|sent| {
        let mut sent = sent.borrow_mut();
        let held = sent.iter().find(|(n, _)| *n == base && base != 0);
        let (text, parts) = encode_answer(&mut results, held.map(|(n, s)| (*n, s)));
        if sent.len() == SENT_KEPT {
            sent.remove(0);
        }
        sent.push((id, parts));
        text
    });
    LAST.with(|last| *last.borrow_mut() = Some((workspace, results)));
    Ok(summary)
}

/// One job of the last run in full (JSON of a [`DetailRequest`] in, of a [`JobDetail`] out).
pub fn job_details(request: &str) -> Result<String, String> {
    let request = DetailRequest::decode(request)
        .map_err(|e| format!("the page asked for a job the worker cannot read: {e}"))?;
    LAST.with(|last| {
        let last = last.borrow();
        let (workspace, results) = last.as_ref().ok_or("the simulation has not run yet")?;
        encode_job_detail(workspace, results, &request).ok_or_else(|| {
            format!(
                "pipeline #{} has no job {} in the current results",
                request.pipeline, request.job
            )
        })
    })
}

/// The address part of a workspace (JSON of a [`crate::wire::Request`]): its scenario text
/// compressed ([`crate::share::pack`]).
pub fn pack_request(request: &str) -> Result<String, String> {
    let workspace = decode_request(request)?;
    Ok(crate::share::pack(&workspace.to_scenario_text()))
}

// ---------------------------------------------------------------------------------------------
// Page side

/// A handle on the simulation worker; cloning shares it.
#[derive(Clone)]
pub struct Simulator(Rc<RefCell<Inner>>);

/// One simulator is one simulator (props compare it by identity).
impl PartialEq for Simulator {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.0, &other.0)
    }
}

type OnOutcome = Rc<dyn Fn(u32, Outcome)>;
type OnDetail = Box<dyn FnOnce(Result<JobDetail, String>)>;
type OnPacked = Box<dyn FnOnce(String)>;

struct Inner {
    /// The URL of the wasm-bindgen JS glue worker.js imports.
    glue: String,
    worker_url: String,
    worker: Option<Live>,
    /// Id of the newest request.
    latest: u32,
    /// The request the worker runs, with when it was posted.
    running: Option<(u32, f64)>,
    waiting: Option<(u32, String)>,
    /// Answers numbered for the page (the run number the views show).
    answers: u32,
    /// The answer the page shows, with its request's number: what the next answer builds on.
    held: Option<(u32, Results)>,
    on_outcome: OnOutcome,
    /// Numbers the drawer's and the packer's questions (only the newest is answered).
    asked: u32,
    /// The drawer's question to the simulation worker.
    detail: Option<(u32, OnDetail)>,
    packer: Option<Live>,
    packing: Option<(u32, OnPacked)>,
}

/// A worker with its event handlers (dropping the closures would leave dangling callbacks).
struct Live {
    worker: Worker,
    _on_message: Closure<dyn FnMut(MessageEvent)>,
    _on_error: Closure<dyn FnMut(ErrorEvent)>,
}

impl Drop for Live {
    fn drop(&mut self) {
        self.worker.set_onmessage(None);
        self.worker.set_onerror(None);
        self.worker.terminate();
    }
}

/// Ends a worker now; its handlers are dropped a moment later, since this may run inside one
/// of them (dropping a closure while it runs is an error).
fn retire(live: Option<Live>) {
    if let Some(live) = live {
        live.worker.terminate();
        gloo_timers::callback::Timeout::new(0, move || drop(live)).forget();
    }
}

/// The URL of this module's JS glue, from the `modulepreload` link Trunk puts in the page.
fn glue_url() -> Option<String> {
    let document = web_sys::window()?.document()?;
    let link = document
        .query_selector("link[rel=modulepreload][href$='.js']")
        .ok()??;
    let href = link.get_attribute("href")?;
    let base = document.base_uri().ok()??;
    web_sys::Url::new_with_base(&href, &base)
        .ok()
        .map(|u| u.href())
}

/// Whether this page can run the simulation in a worker (it was loaded by Trunk's loader).
pub fn available() -> bool {
    glue_url().is_some()
}

fn now_ms() -> f64 {
    web_sys::window()
        .and_then(|w| w.performance())
        .map_or(0.0, |p| p.now())
}

impl Simulator {
    /// `None` where the page cannot start a worker (no Trunk loader, as in the component
    /// tests): the page then runs the simulation itself.
    pub fn new(on_outcome: impl Fn(u32, Outcome) + 'static) -> Option<Simulator> {
        let glue = glue_url()?;
        let worker_url = web_sys::Url::new_with_base("worker.js", &glue).ok()?.href();
        let simulator = Simulator(Rc::new(RefCell::new(Inner {
            glue,
            worker_url,
            worker: None,
            latest: 0,
            running: None,
            waiting: None,
            answers: 0,
            held: None,
            on_outcome: Rc::new(on_outcome),
            asked: 0,
            detail: None,
            packer: None,
            packing: None,
        })));
        // Started now, so that the first request finds the module loaded.
        simulator.ensure_worker().then_some(simulator)
    }

    /// Asks for the results of `request` (JSON of [`crate::wire::Request`]).
    pub fn submit(&self, request: String) {
        let (id, running_since) = {
            let mut inner = self.0.borrow_mut();
            inner.latest += 1;
            (inner.latest, inner.running.map(|(_, since)| since))
        };
        match running_since {
            None => self.post(id, request),
            Some(since) if now_ms() - since > RESTART_AFTER_MS => {
                // A fresh worker: the running simulation's answer would be stale anyway.
                {
                    let mut inner = self.0.borrow_mut();
                    retire(inner.worker.take());
                    inner.running = None;
                    inner.waiting = None;
                }
                self.post(id, request);
            }
            Some(_) => self.0.borrow_mut().waiting = Some((id, request)),
        }
    }

    /// Ends the running simulation and forgets the waiting one; no answer comes for either.
    pub fn cancel(&self) {
        let mut inner = self.0.borrow_mut();
        inner.latest += 1;
        retire(inner.worker.take());
        inner.running = None;
        inner.waiting = None;
    }

    /// Whether a simulation is under way.
    pub fn busy(&self) -> bool {
        self.0.borrow().running.is_some()
    }

    fn ensure_worker(&self) -> bool {
        if self.0.borrow().worker.is_some() {
            return true;
        }
        match self.spawn() {
            Ok(live) => {
                self.0.borrow_mut().worker = Some(live);
                true
            }
            Err(problem) => {
                web_sys::console::error_1(&problem);
                false
            }
        }
    }

    fn spawn(&self) -> Result<Live, JsValue> {
        let weak = Rc::downgrade(&self.0);
        let on_message = {
            let weak = weak.clone();
            move |data: JsValue| answered(&weak, &data)
        };
        let on_error = move |message: String| failed(&weak, None, message);
        self.start(on_message, on_error)
    }

    /// A new worker of this module, with its handlers.
    fn start(
        &self,
        mut on_message: impl FnMut(JsValue) + 'static,
        mut on_error: impl FnMut(String) + 'static,
    ) -> Result<Live, JsValue> {
        let (glue, url) = {
            let inner = self.0.borrow();
            (inner.glue.clone(), inner.worker_url.clone())
        };
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(&url, &options)?;
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new(move |event: MessageEvent| {
            on_message(event.data())
        });
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            let message = event.message();
            on_error(if message.is_empty() {
                "the simulation worker could not start".to_owned()
            } else {
                message
            });
        });
        worker.set_onmessage(Some(on_message.as_ref().unchecked_ref()));
        worker.set_onerror(Some(on_error.as_ref().unchecked_ref()));
        let init = js_sys::Object::new();
        js_sys::Reflect::set(&init, &"init".into(), &JsValue::TRUE)?;
        js_sys::Reflect::set(&init, &"glue".into(), &glue.into())?;
        js_sys::Reflect::set(&init, &"module".into(), &wasm_bindgen::module())?;
        worker.post_message(&init)?;
        Ok(Live {
            worker,
            _on_message: on_message,
            _on_error: on_error,
        })
    }

    /// Asks the simulation worker for one job of its last run in full; `answer` gets it, or
    /// why not. A newer question replaces this one; a worker ended meanwhile (a crash, a
    /// restart for a newer request) leaves it unanswered, and the drawer asks again when the
    /// next results arrive.
    pub fn details(
        &self,
        selection: &Selection,
        answer: impl FnOnce(Result<JobDetail, String>) + 'static,
    ) {
        let request = DetailRequest {
            pipeline: selection.pipeline,
            job: selection.job.clone(),
        }
        .encode();
        let id = {
            let mut inner = self.0.borrow_mut();
            inner.asked += 1;
            inner.asked
        };
        let message = question(id, "details", request);
        let posted = {
            let inner = self.0.borrow();
            inner
                .worker
                .as_ref()
                .map(|live| live.worker.post_message(&message).is_ok())
        };
        if posted == Some(true) {
            self.0.borrow_mut().detail = Some((id, Box::new(answer)));
        } else {
            answer(Err("the simulation is not running".into()));
        }
    }

    /// Compresses the workspace of `request` (JSON of [`crate::wire::Request`]) for the
    /// address in the packer worker; `done` gets the packed text ([`crate::share::pack`]).
    /// A newer call replaces this one. `false` when the packer could not be asked (`done` is
    /// then never called, and the page compresses the workspace itself); a packer that
    /// crashes leaves `done` uncalled, and the next call starts a fresh one.
    pub fn pack(&self, request: String, done: impl FnOnce(String) + 'static) -> bool {
        if self.0.borrow().packer.is_none() {
            let weak = Rc::downgrade(&self.0);
            let on_message = {
                let weak = weak.clone();
                move |data: JsValue| packed(&weak, &data)
            };
            let on_error = move |_: String| {
                if let Some(rc) = weak.upgrade() {
                    let mut inner = rc.borrow_mut();
                    retire(inner.packer.take());
                    inner.packing = None;
                }
            };
            match self.start(on_message, on_error) {
                Ok(live) => self.0.borrow_mut().packer = Some(live),
                Err(_) => return false,
            }
        }
        let id = {
            let mut inner = self.0.borrow_mut();
            inner.asked += 1;
            inner.asked
        };
        let message = question(id, "pack", request);
        let mut inner = self.0.borrow_mut();
        let posted = inner
            .packer
            .as_ref()
            .is_some_and(|live| live.worker.post_message(&message).is_ok());
        if posted {
            inner.packing = Some((id, Box::new(done)));
        }
        posted
    }

    fn post(&self, id: u32, request: String) {
        if !self.ensure_worker() {
            let on_outcome = self.0.borrow().on_outcome.clone();
            on_outcome(
                id,
                Outcome::Crashed("the simulation worker could not start".into()),
            );
            return;
        }
        let message = question(id, "run", request);
        let base = self.0.borrow().held.as_ref().map_or(0, |(n, _)| *n);
        let _ = js_sys::Reflect::set(&message, &"base".into(), &base.into());
        let posted = {
            let mut inner = self.0.borrow_mut();
            inner.running = Some((id, now_ms()));
            inner
                .worker
                .as_ref()
                .map(|live| live.worker.post_message(&message))
        };
        if let Some(Err(problem)) = posted {
            let text = problem
                .as_string()
                .unwrap_or_else(|| "the request could not be sent to the worker".into());
            failed(&Rc::downgrade(&self.0), Some(id), text);
        }
    }
}

/// `{id, kind, request}`: a message to a worker (`kind`: `run`, `details` or `pack`).
fn question(id: u32, kind: &str, request: String) -> js_sys::Object {
    let message = js_sys::Object::new();
    let _ = js_sys::Reflect::set(&message, &"id".into(), &id.into());
    let _ = js_sys::Reflect::set(&message, &"kind".into(), &kind.into());
    let _ = js_sys::Reflect::set(&message, &"request".into(), &request.into());
    message
}

fn get(data: &JsValue, key: &str) -> JsValue {
    js_sys::Reflect::get(data, &key.into()).unwrap_or(JsValue::UNDEFINED)
}

/// The worker answered `{id, results}` (`{id, kind: "details", results | error}` for the
/// drawer) or `{id, crash}`.
fn answered(weak: &Weak<RefCell<Inner>>, data: &JsValue) {
    let get = |key: &str| get(data, key);
    let id = get("id").as_f64().map(|n| n as u32);
    let details = get("kind").as_string().as_deref() == Some("details");
    if let Some(crash) = get("crash").as_string() {
        // A drawer's question is numbered apart from the runs: the run under way, if any,
        // is what the crash took.
        failed(weak, if details { None } else { id }, crash);
        return;
    }
    if details {
        let Some(rc) = weak.upgrade() else { return };
        let waiting = {
            let mut inner = rc.borrow_mut();
            match inner.detail.take() {
                Some((asked, answer)) if Some(asked) == id => Some(answer),
                other => {
                    inner.detail = other;
                    None
                }
            }
        };
        if let Some(answer) = waiting {
            answer(match get("results").as_string() {
                Some(text) => decode_job_detail(&text),
                None => Err(get("error")
                    .as_string()
                    .unwrap_or_else(|| "the worker did not answer".into())),
            });
        }
        return;
    }
    let Some(results) = get("results").as_string() else {
        return;
    };
    let Some(rc) = weak.upgrade() else { return };
    let simulator = Simulator(rc);
    let next = {
        let mut inner = simulator.0.borrow_mut();
        if inner.running.map(|(running, _)| running) != id {
            return;
        }
        inner.running = None;
        inner.waiting.take()
    };
    let current = {
        let inner = simulator.0.borrow();
        id == Some(inner.latest)
    };
    if let Some((next_id, request)) = next {
        simulator.post(next_id, request);
    }
    if !current {
        return;
    }
    let number = {
        let mut inner = simulator.0.borrow_mut();
        inner.answers += 1;
        inner.answers
    };
    let decoded = {
        let inner = simulator.0.borrow();
        let held = inner.held.as_ref().map(|(n, r)| (*n, r));
        decode_results_against(&results, number, held)
    };
    let outcome = match decoded {
        Ok(results) => {
            simulator.0.borrow_mut().held = id.map(|id| (id, results.clone()));
            Outcome::Done(results)
        }
        Err(problem) => Outcome::Crashed(format!("the worker's answer was unreadable: {problem}")),
    };
    let on_outcome = simulator.0.borrow().on_outcome.clone();
    on_outcome(id.unwrap_or_default(), outcome);
}

/// The packer answered `{id, results}` (or `{id, error}`, `{id, crash}`: the address waits).
fn packed(weak: &Weak<RefCell<Inner>>, data: &JsValue) {
    let Some(rc) = weak.upgrade() else { return };
    let id = get(data, "id").as_f64().map(|n| n as u32);
    if get(data, "crash").is_string() {
        let mut inner = rc.borrow_mut();
        retire(inner.packer.take());
        inner.packing = None;
        return;
    }
    let done = {
        let mut inner = rc.borrow_mut();
        match inner.packing.take() {
            Some((asked, done)) if Some(asked) == id => Some(done),
            other => {
                inner.packing = other;
                None
            }
        }
    };
    if let (Some(done), Some(text)) = (done, get(data, "results").as_string()) {
        done(text);
    }
}

/// The worker stopped (`id`: the request it ran, when known). The dead worker is dropped; a
/// waiting request goes to a fresh one, and the crash is reported only if it was the newest.
fn failed(weak: &Weak<RefCell<Inner>>, id: Option<u32>, message: String) {
    let Some(rc) = weak.upgrade() else { return };
    let simulator = Simulator(rc);
    let (crashed, next) = {
        let mut inner = simulator.0.borrow_mut();
        let crashed = id.or(inner.running.map(|(r, _)| r));
        retire(inner.worker.take());
        inner.running = None;
        (crashed, inner.waiting.take())
    };
    let current = crashed == Some(simulator.0.borrow().latest);
    if let Some((next_id, request)) = next {
        simulator.post(next_id, request);
    }
    if current {
        let on_outcome = simulator.0.borrow().on_outcome.clone();
        on_outcome(crashed.unwrap_or_default(), Outcome::Crashed(message));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wire::encode_request;

    #[test]
    fn an_answer_builds_on_one_the_worker_still_remembers() {
        let mut workspace = Workspace::with_config(crate::EXAMPLE);
        let request = encode_request(&workspace);
        let first = run_request(&request, 1, 0).unwrap();
        assert!(!first.contains("\"base\""), "nothing to build on: {first}");
        let again = run_request(&request, 2, 1).unwrap();
        assert!(
            again.contains("\"base\":1") && again.contains("\"simulation\":\"same\""),
            "{again}"
        );
        // An answer the worker never sent is no base.
        let unknown = run_request(&request, 3, 9).unwrap();
        assert!(!unknown.contains("\"base\""), "{unknown}");
        // The page held answer 1 while the worker answered four more: forgotten.
        workspace.files[0].text.push_str("\n# edited\n");
        let request = encode_request(&workspace);
        for id in 4..=6 {
            run_request(&request, id, 0).unwrap();
        }
        let late = run_request(&request, 7, 1).unwrap();
        assert!(!late.contains("\"base\""), "{late}");
        let kept = run_request(&request, 8, 6).unwrap();
        assert!(kept.contains("\"base\":6"), "{kept}");
    }
}
