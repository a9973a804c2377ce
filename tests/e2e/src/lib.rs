//! End-to-end tests of the web app live in `tests/`: they serve an already-built `dist/`
//! (set `PIPESIM_DIST`, default `<repo>/dist`) and drive headless Chromium through
//! `/usr/bin/chromedriver`. Run `trunk build --release` first; `scripts/test.sh` does both.
