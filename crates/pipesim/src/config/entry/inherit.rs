//! Mirrors lib/gitlab/ci/config/entry/inherit.rb with inherit/default.rb and
//! inherit/variables.rb: which defaults and global variables a job takes.

use super::default::DEFAULT_KEYS;
use super::{config, run, Check, Cx, Entry, Rule, Ty};
use crate::yaml::Value;

const RULES: &[Rule] = &[
    config(Check::Type(Ty::Hash, None)),
    config(Check::AllowedKeys(&["default", "variables"], &[])),
];

/// `Inherit::Default::ArrayStrategy`.
const DEFAULT_ARRAY: &[Rule] = &[
    config(Check::ArrayOfStrings),
    config(Check::AllowedArrayValues(DEFAULT_KEYS)).code("config-unknown-keys"),
];
/// `Inherit::Variables::ArrayStrategy`.
const VARIABLES_ARRAY: &[Rule] = &[config(Check::ArrayOfStrings)];

pub fn validate(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, RULES) {
        return;
    }
    for key in ["default", "variables"] {
        let Some(node) = entry.attr(key) else {
            continue;
        };
        let loc = entry.loc.child(key);
        let child = Entry::new(node, &loc);
        match &node.value {
            Value::Bool(_) => {}
            Value::Seq(_) => {
                run(
                    cx,
                    &child,
                    if key == "default" {
                        DEFAULT_ARRAY
                    } else {
                        VARIABLES_ARRAY
                    },
                );
            }
            _ => {
                let message = format!("{loc} should be a bool or array of strings");
                cx.raw_error("config-type", message, node.span);
            }
        }
    }
}
