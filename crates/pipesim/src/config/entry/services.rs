//! Mirrors lib/gitlab/ci/config/entry/services.rb: a list of services, each an
//! `Entry::Service` (service.rb, an image with `command`, `alias`, `variables`) with key
//! `service`.

use super::image::{self, Kind};
use super::{config, run, Check, Cx, Entry, Rule, Ty};

const RULES: &[Rule] = &[config(Check::Type(Ty::Array, None))];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, RULES) {
        return;
    }
    let loc = entry.loc.child("service");
    for item in super::flatten_config(entry.node) {
        image::validate(cx, &Entry::new(item, &loc), Kind::Service);
    }
}
