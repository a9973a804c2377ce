//! Mirrors lib/gitlab/ci/config/entry/product/parallel.rb, product/matrix.rb and
//! product/variables.rb: `parallel:` as a number of copies or a matrix.

use super::{config, run, Check, Cx, Entry, Rule};
use crate::yaml::{Node, Value};

/// `Entry::Product::Parallel::PARALLEL_LIMIT`.
pub const PARALLEL_LIMIT: i64 = 200;

/// `ParallelBuilds`.
const BUILDS: &[Rule] =
    &[config(Check::IntRange(Some(1), Some(PARALLEL_LIMIT))).code("parallel-invalid")];
/// `MatrixBuilds`.
const MATRIX_BUILDS: &[Rule] = &[
    config(Check::AllowedKeys(&["matrix"], &[])),
    config(Check::RequiredKeys(&["matrix"])).code("parallel-invalid"),
];
/// `Product::Matrix`.
const MATRIX: &[Rule] = &[config(Check::ArrayOfHashes).code("parallel-invalid")];

/// `numeric`: whether `parallel: <number>` is allowed (`allowed_strategies`; not for bridges).
pub fn validate(cx: &mut Cx, entry: &Entry, numeric: bool) {
    match &entry.node.value {
        Value::Int(_) | Value::Float(_) => {
            if !numeric {
                cx.error(
                    "parallel-invalid",
                    entry.loc,
                    "config cannot use \"parallel: <number>\".",
                    entry.node.span,
                );
                return;
            }
            run(cx, entry, BUILDS);
        }
        Value::Map(_) => {
            if run(cx, entry, MATRIX_BUILDS) {
                return;
            }
            let Some(matrix) = entry.attr("matrix") else {
                return;
            };
            let loc = entry.loc.child("matrix");
            validate_matrix(cx, &Entry::new(matrix, &loc));
        }
        _ => {
            let message = format!("{} should be an integer or a hash", entry.loc);
            cx.raw_error("parallel-invalid", message, entry.node.span);
        }
    }
}

fn validate_matrix(cx: &mut Cx, entry: &Entry) {
    if run(cx, entry, MATRIX) {
        return;
    }
    let entries = entry.node.as_seq().unwrap_or(&[]);
    let total: usize = entries
        .iter()
        .map(matrix_entry_size)
        .fold(0, usize::saturating_add);
    if total > PARALLEL_LIMIT as usize {
        let text = format!("config generates too many jobs (maximum is {PARALLEL_LIMIT})");
        cx.error("parallel-matrix-too-big", entry.loc, &text, entry.node.span);
    }
}

/// Saturating: 64 keys of 2 values each is 2^64 jobs, which must not wrap to 0 (Ruby's
/// integers do not overflow, so GitLab reports it as too many).
pub fn matrix_entry_size(entry: &Node) -> usize {
    entry
        .as_map()
        .map(|m| {
            m.iter()
                .map(|(_, values)| values.as_seq().map_or(1, <[Node]>::len))
                .fold(1, usize::saturating_mul)
        })
        .unwrap_or(0)
}
