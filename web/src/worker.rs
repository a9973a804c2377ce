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

use std::cell::RefCell;
use std::rc::{Rc, Weak};

use wasm_bindgen::closure::Closure;
use wasm_bindgen::{JsCast, JsValue};
use web_sys::{ErrorEvent, MessageEvent, Worker, WorkerOptions, WorkerType};

use crate::state::Results;
use crate::wire::{decode_request, decode_results, encode_results};

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

/// Runs one request (JSON of [`crate::wire::Request`]) and returns the results as JSON.
pub fn run_request(request: &str) -> Result<String, String> {
    let workspace = decode_request(request)?;
    Ok(encode_results(&Results::of(&workspace)))
}

// ---------------------------------------------------------------------------------------------
// Page side

/// A handle on the simulation worker; cloning shares it.
#[derive(Clone)]
pub struct Simulator(Rc<RefCell<Inner>>);

type OnOutcome = Rc<dyn Fn(u32, Outcome)>;

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
    on_outcome: OnOutcome,
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
            on_outcome: Rc::new(on_outcome),
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
        let (glue, url) = {
            let inner = self.0.borrow();
            (inner.glue.clone(), inner.worker_url.clone())
        };
        let options = WorkerOptions::new();
        options.set_type(WorkerType::Module);
        let worker = Worker::new_with_options(&url, &options)?;
        let weak = Rc::downgrade(&self.0);
        let on_message = Closure::<dyn FnMut(MessageEvent)>::new({
            let weak = weak.clone();
            move |event: MessageEvent| answered(&weak, &event.data())
        });
        let on_error = Closure::<dyn FnMut(ErrorEvent)>::new(move |event: ErrorEvent| {
            event.prevent_default();
            let message = event.message();
            let message = if message.is_empty() {
                "the simulation worker could not start".to_owned()
            } else {
                message
            };
            failed(&weak, None, message);
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

    fn post(&self, id: u32, request: String) {
        if !self.ensure_worker() {
            let on_outcome = self.0.borrow().on_outcome.clone();
            on_outcome(
                id,
                Outcome::Crashed("the simulation worker could not start".into()),
            );
            return;
        }
        let message = js_sys::Object::new();
        let _ = js_sys::Reflect::set(&message, &"id".into(), &id.into());
        let _ = js_sys::Reflect::set(&message, &"request".into(), &request.into());
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

/// The worker answered `{id, results}` or `{id, crash}`.
fn answered(weak: &Weak<RefCell<Inner>>, data: &JsValue) {
    let get = |key: &str| js_sys::Reflect::get(data, &key.into()).unwrap_or(JsValue::UNDEFINED);
    let id = get("id").as_f64().map(|n| n as u32);
    if let Some(crash) = get("crash").as_string() {
        failed(weak, id, crash);
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
    let outcome = match decode_results(&results, number) {
        Ok(results) => Outcome::Done(results),
        Err(problem) => Outcome::Crashed(format!("the worker's answer was unreadable: {problem}")),
    };
    let on_outcome = simulator.0.borrow().on_outcome.clone();
    on_outcome(id.unwrap_or_default(), outcome);
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
