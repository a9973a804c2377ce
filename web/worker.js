// The simulation worker (web/src/worker.rs): runs the page's own wasm module off the page's
// thread. The first message hands over the module's JS glue URL and its compiled
// WebAssembly.Module; each later message {id, request} is answered {id, results} or, when the
// wasm traps (a Rust panic, out of memory), {id, crash} with what happened. After a crash the
// page ends this worker: a trapped instance is not used again.
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
  let api = null;
  try {
    api = await ready;
    const results = api.glue.pipesim_worker_run(data.request);
    self.postMessage({ id: data.id, results });
  } catch (error) {
    self.postMessage({ id: data.id, crash: describe(error, api && api.exports) });
  }
};
