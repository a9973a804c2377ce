//! The driver of GitLab's entry validation: `config::entry` holds the entry tree (one module
//! per class of lib/gitlab/ci/config/entry/); this module keeps the names other layers use.

pub use super::entry::default::DEFAULT_KEYS;
pub use super::entry::{
    flatten_seq, job_kind, matrix_entry_size, runnable_job_kind, validate, JobKind, Validation,
    GLOBAL_KEYS, PARALLEL_LIMIT,
};
