use wasm_bindgen::prelude::wasm_bindgen;

/// Runs on load: in the page it mounts the app; in the simulation worker (no `window`) the
/// worker calls the exports below instead.
fn main() {
    if web_sys::window().is_some() {
        pipesim_web::start();
    }
}

/// Called once by web/worker.js after it loaded this module.
#[wasm_bindgen]
pub fn pipesim_worker_start() {
    pipesim_web::worker::install_worker_hook();
}

/// Called by web/worker.js for request number `id`: the results as JSON (written against the
/// answer to request `base`, which the page holds), or why there are none.
#[wasm_bindgen]
pub fn pipesim_worker_run(request: &str, id: u32, base: u32) -> Result<String, String> {
    pipesim_web::worker::run_request(request, id, base)
}

/// Called by web/worker.js when the job drawer asks for one job of the last run in full.
#[wasm_bindgen]
pub fn pipesim_worker_details(request: &str) -> Result<String, String> {
    pipesim_web::worker::job_details(request)
}

/// Called by web/worker.js (in the packer worker) to compress a workspace for the address.
#[wasm_bindgen]
pub fn pipesim_worker_pack(request: &str) -> Result<String, String> {
    pipesim_web::worker::pack_request(request)
}
