//! pipesim's own (GitLab composes each pipeline's configuration anew, in
//! `Gitlab::Ci::Config#build_config`): the composed configuration shared between the pipelines
//! of one job × event matrix, when it is provably the same for them.
//!
//! Composing (YAML, `include`, `extends`, `!reference`, entries, `default:`) reads three things
//! of a pipeline: the files of its commit, the variables it expands in include strings (paths,
//! projects, refs, addresses: `ExpandVariables` with `Builder#config_variables`), and the
//! decision of each `include:rules` it meets. `workflow:rules` and job rules are evaluated
//! later, on the composed tree, so they do not count. A composition is recorded with what it
//! read: every include string expanded (and its result) and every `include:rules` met (and its
//! decision). Another pipeline reuses it only when its files are equal, file for file, its
//! configuration path is the same, and each recorded string expands to the same result and
//! each recorded `include:rules` gives the same decision with its own variables: then the
//! composition takes the same path through the same files and gives the same result, finding
//! for finding. Pipelines that read other projects (`include:project`, `include:component`
//! in a scenario of several projects) are composed each on their own.
//!
//! Sharing is on only inside [`sharing`] (the matrix turns it on for one build); elsewhere every
//! pipeline is composed as before, and nothing is kept.

use std::cell::RefCell;
use std::rc::Rc;

use crate::config::{self, include::ProjectSource, LoadOptions, Normalized};
use crate::diagnostic::Finding;
use crate::source::Files;
use crate::yaml::Node;

/// The most compositions kept inside one [`sharing`] scope (a matrix with child pipelines keeps
/// one per configuration path and per distinct outcome of its `include:rules`).
const MAX_ENTRIES: usize = 32;

/// One pipeline's composed configuration, as pipeline creation reads it.
#[derive(Clone)]
pub struct Composition {
    /// The pipeline's files plus the bundled templates that were included.
    pub files: Rc<Files>,
    /// The composed tree with `default:` applied to jobs (`config::Loaded::expanded`).
    pub expanded: Option<Rc<Node>>,
    pub normalized: Option<Rc<Normalized>>,
    pub findings: Vec<Finding>,
    /// Includes decided by `include:rules`, and how many of them were included.
    pub include_decisions: (usize, usize),
    /// The data flow's readings of the tree's scripts, kept with the tree.
    pub(crate) script_reads: Rc<RefCell<crate::dataflow::ScriptReads>>,
}

/// A composition and what it read.
struct Entry {
    entry: String,
    files: Files,
    /// Each include string expanded, with its result.
    expansions: Vec<(String, String)>,
    /// Each `include:rules` met, in order, with its decision.
    rules: Vec<(Node, bool)>,
    /// The pipeline inputs the root file's `spec:inputs` took (an event's `inputs:`): another
    /// set of inputs is another configuration.
    inputs: Option<Node>,
    composition: Composition,
}

thread_local! {
    /// `None` outside [`sharing`].
    static ENTRIES: RefCell<Option<Vec<Entry>>> = const { RefCell::new(None) };
}

/// Runs `f` with compositions shared between the pipelines it creates (see the module's
/// documentation); what was kept is dropped when `f` returns. Nested calls share the outer
/// scope.
pub fn sharing<T>(f: impl FnOnce() -> T) -> T {
    struct Scope(bool);
    impl Drop for Scope {
        fn drop(&mut self) {
            if self.0 {
                ENTRIES.with(|entries| *entries.borrow_mut() = None);
            }
        }
    }
    let opened = ENTRIES.with(|entries| {
        let mut entries = entries.borrow_mut();
        let opened = entries.is_none();
        if opened {
            *entries = Some(Vec::new());
        }
        opened
    });
    let _scope = Scope(opened);
    f()
}

/// The configuration of a pipeline whose commit holds `files`, at `entry`: GitLab's
/// `Config::Content` + `Config::Process` with `variables` for include strings and `decide` for
/// `include:rules`; inside [`sharing`], a recorded composition when it is provably the same.
pub fn compose(
    files: &Files,
    entry: &str,
    variables: Vec<(String, String)>,
    decide: &dyn Fn(&Node) -> bool,
    (projects, inputs): (Option<&dyn ProjectSource>, Option<&Node>),
) -> Composition {
    let active = projects.is_none() && ENTRIES.with(|e| e.borrow().is_some());
    if active {
        let found = ENTRIES.with(|entries| {
            let entries = entries.borrow();
            entries.iter().flatten().find_map(|e| {
                (e.inputs.as_ref() == inputs && same_inputs(e, files, entry, &variables, decide))
                    .then(|| e.composition.clone())
            })
        });
        if let Some(composition) = found {
            return composition;
        }
    }
    let rules = RefCell::new(Vec::new());
    let expansions = RefCell::new(Vec::new());
    let decisions = std::cell::Cell::new((0usize, 0usize));
    let decide_include = |rules_node: &Node| -> bool {
        let included = decide(rules_node);
        let (decided, kept) = decisions.get();
        decisions.set((decided + 1, kept + usize::from(included)));
        if active {
            rules.borrow_mut().push((rules_node.clone(), included));
        }
        included
    };
    let options = LoadOptions {
        variables,
        include_rules: Some(&decide_include),
        limits: Default::default(),
        expanded_only: true,
        findings_only: false,
        projects,
        expansions: active.then_some(&expansions),
        inputs,
    };
    let loaded = config::load_with(files, entry, &options);
    let composition = Composition {
        files: Rc::new(loaded.files),
        expanded: loaded.expanded.map(Rc::new),
        normalized: loaded.normalized.map(Rc::new),
        findings: loaded.findings,
        include_decisions: decisions.get(),
        script_reads: Rc::new(RefCell::new(crate::dataflow::ScriptReads::new(active))),
    };
    if active {
        let recorded = Entry {
            entry: entry.to_owned(),
            files: files.clone(),
            expansions: expansions.into_inner(),
            rules: rules.into_inner(),
            inputs: inputs.cloned(),
            composition: composition.clone(),
        };
        ENTRIES.with(|entries| {
            if let Some(entries) = entries.borrow_mut().as_mut() {
                if entries.len() >= MAX_ENTRIES {
                    entries.remove(0);
                }
                entries.push(recorded);
            }
        });
    }
    composition
}

/// Whether composing `entry` from `files` with `variables` and `decide` reads what `recorded`
/// read and so gives its result.
fn same_inputs(
    recorded: &Entry,
    files: &Files,
    entry: &str,
    variables: &[(String, String)],
    decide: &dyn Fn(&Node) -> bool,
) -> bool {
    recorded.entry == entry
        && recorded.files == *files
        && recorded
            .expansions
            .iter()
            .all(|(text, result)| config::include::expand_variables(text, variables) == *result)
        && recorded
            .rules
            .iter()
            .all(|(rules, decision)| decide(rules) == *decision)
}

/// The configuration path of each composition the current [`sharing`] scope keeps (tests).
pub fn kept() -> Vec<String> {
    ENTRIES.with(|entries| {
        entries
            .borrow()
            .iter()
            .flatten()
            .map(|e| e.entry.clone())
            .collect()
    })
}
