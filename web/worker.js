// The simulation worker (web/src/worker.rs): runs the page's own wasm module off the page's
// thread. The first message hands over the module's JS glue URL and its compiled
// WebAssembly.Module; each later message {id, kind, request} (kind: "run", the default, a
// simulation, whose `base` names the earlier run whose answer the page holds; "details", one
// job of the last run in full; "pack", a workspace compressed for the address) is answered
// {id, kind, results}, {id, kind, error} when the Rust side refused a question other than a
// run, or, when the wasm traps (a Rust panic, out of memory), {id, kind, crash} with what
// happened. After a crash the page ends this worker: a trapped instance is not used again.
let ready = null;

async function start(init) {
  const glue = await import(init.glue);
  const exports = await glue.default({ module_or_path: init.module });
  glue.pipesim_worker_start();
  return { glue, exports };
}

function describe(error, exports) {
  const panic = self.pipesimPanic;
  if (panic) return `it panicked: ${panic}`;
  // A string is the Rust side's own error (Result::Err), not a trap.
  if (typeof error === "string") return error;
  let text = error && error.message ? `${error.name}: ${error.message}` : String(error);
  if (exports && exports.memory) {
    const mb = Math.round(exports.memory.buffer.byteLength / 1048576);
    // The instance is discarded after this: growing its memory only asks whether it could.
    let full = false;
    try { exports.memory.grow(1); } catch (_) { full = true; }
    // Rust aborts with `unreachable` when an allocation fails (and says nothing first, unlike
    // a panic, whose text the hook left above).
    const oom = full || /unreachable/.test(text);
    text = oom
      ? `it most likely ran out of memory (${text}; its memory had reached ${mb} MB${full ? ", all the browser gives it" : ""})`
      : `${text}; its memory had reached ${mb} MB`;
  }
  return text;
}

self.onmessage = async (event) => {
  const data = event.data;
  if (data && data.init) {
    ready = start(data);
    ready.catch(() => {});
    return;
  }
  const kind = data.kind || "run";
  let api = null;
  try {
    api = await ready;
    const call = { run: api.glue.pipesim_worker_run, details: api.glue.pipesim_worker_details, pack: api.glue.pipesim_worker_pack }[kind];
    const results = kind === "run" ? call(data.request, data.id >>> 0, data.base >>> 0) : call(data.request);
    self.postMessage({ id: data.id, kind, results });
  } catch (error) {
    // The Rust side's own refusal (Result::Err, a string) of a question is no crash.
    if (kind !== "run" && typeof error === "string" && !self.pipesimPanic) {
      self.postMessage({ id: data.id, kind, error });
    } else {
      self.postMessage({ id: data.id, kind, crash: describe(error, api && api.exports) });
    }
  }
};
