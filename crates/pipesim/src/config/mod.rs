//! The configuration model: from the root file to a validated, fully composed configuration,
//! in GitLab's order (`Gitlab::Ci::Config#build_config`): YAML documents and inputs → `include`
//! → `extends` → `!reference` → entry validation → logical validation.
//!
//! Steps up to `!reference` stop at their first error, as GitLab raises there; entry validation
//! reports every problem; logical validation reports the first.

pub mod compose;
pub mod document;
pub mod duration;
pub mod entry;
pub mod extends;
pub mod include;
pub mod inputs;
pub mod keywords;
pub mod logic;
pub mod normalize;
pub mod reference;
pub mod suggest;
pub mod templates;
pub mod validate;

use crate::diagnostic::Finding;
use crate::source::{Files, Span};
use crate::yaml::{Limits, Node};

pub use normalize::{Normalized, NormalizedJob};

/// What the caller knows that loading depends on.
#[derive(Default)]
pub struct LoadOptions<'a> {
    /// Variables usable in `include` paths (project predefined and project CI/CD variables).
    pub variables: Vec<(String, String)>,
    /// Decides `include:rules`; `None` (lint, expand) reads every include.
    pub include_rules: Option<&'a dyn Fn(&Node) -> bool>,
    pub limits: Limits,
    /// The caller reads `expanded` and never `merged` (pipeline creation): the merged tree is
    /// then moved into `expanded` instead of copied, and `merged` is left `None`.
    pub expanded_only: bool,
    /// The caller reads only `findings` (lint): `default:` is checked against the node budget
    /// but not copied into the jobs, and no tree is kept.
    pub findings_only: bool,
    /// The other projects of a scenario (`include:project`, `include:component`).
    pub projects: Option<&'a dyn include::ProjectSource>,
    /// Pipeline inputs for the root file's `spec:inputs` (`CreatePipelineService#execute`'s
    /// `inputs:`: the Run pipeline form, the API, a trigger, a schedule).
    pub inputs: Option<&'a Node>,
    /// Records each variable expansion of an include string (string, result): what the
    /// composition read of `variables` (`pipeline::shared`).
    pub expansions: Option<&'a std::cell::RefCell<Vec<(String, String)>>>,
}

pub struct Loaded {
    /// The caller's files plus the bundled templates that were included.
    pub files: Files,
    /// The merged configuration (includes, `extends`, `!reference` resolved); `None` with
    /// [`LoadOptions::expanded_only`].
    pub merged: Option<Node>,
    /// `merged` with `default:` and the deprecated global keywords copied into jobs.
    pub expanded: Option<Node>,
    pub normalized: Option<Normalized>,
    pub findings: Vec<Finding>,
    /// Includes pipesim could not read offline.
    pub unresolved_includes: Vec<String>,
}

impl Loaded {
    pub fn has_errors(&self) -> bool {
        self.findings
            .iter()
            .any(|f| f.severity == crate::Severity::Error)
    }
}

pub fn load(files: &Files, entry: &str) -> Loaded {
    load_with(files, entry, &LoadOptions::default())
}

pub fn load_with(files: &Files, entry: &str, options: &LoadOptions) -> Loaded {
    let mut loaded = Loaded {
        files: files.clone(),
        merged: None,
        expanded: None,
        normalized: None,
        findings: Vec::new(),
        unresolved_includes: Vec::new(),
    };
    let Some(root_id) = files.find(entry) else {
        loaded.findings.push(
            Finding::error("config-missing", format!("Missing {entry} file"), None)
                .explain("There is no CI configuration file to read."),
        );
        return loaded;
    };
    if files.get(root_id).text.trim().is_empty() {
        loaded.findings.push(
            Finding::error(
                "config-empty",
                "Please provide content of .gitlab-ci.yml",
                Some(Span::file_start(root_id)),
            )
            .explain("The configuration file is empty."),
        );
        return loaded;
    }

    let mut warnings = Vec::new();
    let document = match document::load(
        &loaded.files,
        root_id,
        options.inputs,
        options.limits,
        &mut warnings,
    ) {
        Ok(doc) => doc,
        Err(e) => {
            loaded.findings.extend(warnings);
            loaded
                .findings
                .push(pipeline_inputs_error(e.finding, options.inputs));
            return loaded;
        }
    };
    loaded.findings.append(&mut warnings);

    let mut ctx = include::IncludeContext {
        files: std::mem::take(&mut loaded.files),
        variables: &options.variables,
        rules: options.include_rules,
        limits: options.limits,
        count: 0,
        // Counted only for the include budget: most configurations include nothing.
        nodes: if document.content.get("include").is_some() {
            document.content.size()
        } else {
            0
        },
        warnings: Vec::new(),
        unresolved: Vec::new(),
        projects: options.projects,
        within: None,
        expansions: options.expansions,
    };
    let merged = include::resolve(document.content, &mut ctx);
    loaded.files = ctx.files;
    loaded.findings.append(&mut ctx.warnings);
    loaded.unresolved_includes = ctx.unresolved;
    let mut merged = match merged {
        Ok(node) => node,
        Err(finding) => {
            loaded.findings.push(finding);
            return loaded;
        }
    };
    let lenient = !loaded.unresolved_includes.is_empty();
    let mut softened = Vec::new();
    let extended = extends::resolve(
        &mut merged,
        lenient,
        options.limits.max_nodes,
        &mut softened,
    );
    loaded.findings.append(&mut softened);
    let mut size = match extended {
        Ok(size) => size,
        Err(finding) => {
            loaded.findings.push(finding);
            return loaded;
        }
    };
    // Most configurations have no `!reference`: then there is nothing to copy.
    let merged = if reference::has_references(&merged) {
        match reference::resolve(&merged, options.limits.max_nodes) {
            Ok(node) => {
                size = node.size();
                node
            }
            Err(finding) => {
                loaded.findings.push(finding);
                return loaded;
            }
        }
    } else {
        merged
    };
    debug_assert_eq!(
        size,
        merged.size(),
        "extends keeps count of the nodes it adds"
    );

    let validation = validate::validate(&merged, lenient);
    loaded.findings.extend(validation.warnings);
    let entry_errors = !validation.errors.is_empty();
    loaded.findings.extend(validation.errors);
    let max_nodes = options.limits.max_nodes;
    let keep_merged = !options.expanded_only && !options.findings_only;
    if options.findings_only {
        if let Err(finding) = compose::check_defaults(&merged, size, max_nodes) {
            loaded.findings.push(finding);
            return loaded;
        }
    } else if !options.expanded_only {
        match compose::apply_defaults(&merged, size, max_nodes) {
            Ok(expanded) => loaded.expanded = Some(expanded),
            Err(finding) => {
                loaded.findings.push(finding);
                loaded.merged = Some(merged);
                return loaded;
            }
        }
    }
    if !entry_errors {
        if let Err(finding) = normalize::check_instances(&merged, size, max_nodes) {
            loaded.findings.push(finding);
            if keep_merged {
                loaded.merged = Some(merged);
            }
            return loaded;
        }
        let normalized = normalize::normalize(&merged);
        let mut softened = Vec::new();
        if let Err(finding) = logic::check(
            &normalized,
            !loaded.unresolved_includes.is_empty(),
            &mut softened,
        ) {
            loaded.findings.push(finding);
        }
        loaded.findings.extend(softened);
        loaded.normalized = Some(normalized);
    }
    // Normalization above reads the merged tree: only now can it be handed over.
    if options.expanded_only {
        match compose::into_defaults_applied(merged, size, max_nodes) {
            Ok(expanded) => loaded.expanded = Some(expanded),
            Err(finding) => loaded.findings.push(finding),
        }
    } else if keep_merged {
        loaded.merged = Some(merged);
    }
    loaded
}

/// Interpolation::Interpolator#interpolate! on the root file: pipeline inputs for a file
/// without a `spec:` header are refused with the Interpolator's own words (the root file has no
/// location prefix). Source: spec/services/ci/create_pipeline_service/inputs_spec.rb
/// > when the CI config does not have spec:inputs > when passing inputs.
fn pipeline_inputs_error(mut finding: Finding, inputs: Option<&Node>) -> Finding {
    if inputs.is_some() && finding.code == "include-inputs-unexpected" {
        finding.message =
            "Given inputs not defined in the `spec` section of the included configuration file"
                .to_owned();
        finding.explanation = Some(
            "The pipeline was given `inputs:`, but its configuration file has no `spec:inputs` header (a `spec:` document followed by `---`) to receive them."
                .to_owned(),
        );
    }
    finding
}
