//! Stages and jobs after composition, with `parallel` expanded into GitLab's job names
//! (lib/gitlab/ci/config/normalizer.rb, normalizer/number_strategy.rb, matrix_strategy.rb;
//! lib/gitlab/ci/config/edge_stages_injector.rb for `.pre`/`.post`).

use crate::diagnostic::Finding;
use crate::source::Span;
use crate::yaml::{Map, Node, Value};

use super::validate::{runnable_job_kind, JobKind};

pub const DEFAULT_STAGES: [&str; 3] = ["build", "test", "deploy"];

#[derive(Clone, Debug)]
pub struct NeedRef {
    pub name: String,
    pub span: Span,
    pub optional: bool,
    pub artifacts: bool,
}

#[derive(Clone, Debug)]
pub struct NormalizedJob {
    /// The name GitLab creates: `rspec`, `rspec 1/3` or `rspec: [ruby, 3.2]`.
    pub name: String,
    /// The name in the YAML.
    pub base_name: String,
    pub kind: JobKind,
    pub span: Span,
    pub stage: String,
    pub stage_span: Option<Span>,
    pub needs: Vec<NeedRef>,
    /// `needs` of each rule (they replace the job's needs when that rule matches).
    pub rule_needs: Vec<Vec<NeedRef>>,
    pub dependencies: Vec<(String, Span)>,
    pub trigger_include_jobs: Vec<(String, Span)>,
    pub environment: Option<String>,
    pub environment_action: Option<String>,
    pub on_stop: Option<(String, Span)>,
    /// `CI_NODE_INDEX`/`CI_NODE_TOTAL` for parallel jobs.
    pub node: Option<(usize, usize)>,
    /// Variables a matrix instance adds.
    pub matrix_variables: Vec<(String, String)>,
}

#[derive(Clone, Debug, Default)]
pub struct Normalized {
    pub stages: Vec<String>,
    pub jobs: Vec<NormalizedJob>,
    /// Positions in `jobs` by name and by base name, built on first use: `expand_name` runs for
    /// every `needs` entry, and a scan of all jobs each time made big configurations quadratic.
    /// (Nothing edits `jobs` after `normalize`; a change of length makes it fall back to a scan.)
    names: std::sync::OnceLock<NameIndex>,
}

#[derive(Clone, Debug, Default)]
struct NameIndex {
    /// The `jobs.len()` it was built for: when `jobs` changed length since, it is not used.
    len: usize,
    by_name: std::collections::HashMap<String, Vec<usize>>,
    /// Parallel instances (`node` set) by base name.
    by_base: std::collections::HashMap<String, Vec<usize>>,
}

impl Normalized {
    pub fn new(stages: Vec<String>, jobs: Vec<NormalizedJob>) -> Normalized {
        Normalized {
            stages,
            jobs,
            names: std::sync::OnceLock::new(),
        }
    }

    fn name_index(&self) -> Option<&NameIndex> {
        let index = self.names.get_or_init(|| {
            let mut index = NameIndex {
                len: self.jobs.len(),
                by_name: std::collections::HashMap::with_capacity(self.jobs.len()),
                ..NameIndex::default()
            };
            for (i, job) in self.jobs.iter().enumerate() {
                index.by_name.entry(job.name.clone()).or_default().push(i);
                if job.node.is_some() {
                    index
                        .by_base
                        .entry(job.base_name.clone())
                        .or_default()
                        .push(i);
                }
            }
            index
        });
        (index.len == self.jobs.len()).then_some(index)
    }

    /// Jobs a `needs`/`dependencies` name refers to: the job itself, or every instance of a
    /// parallel job.
    pub fn expand_name(&self, name: &str) -> Vec<String> {
        if let Some(index) = self.name_index() {
            let names = |positions: &Vec<usize>| -> Vec<String> {
                positions
                    .iter()
                    .map(|&i| self.jobs[i].name.clone())
                    .collect()
            };
            return match (index.by_name.get(name), index.by_base.get(name)) {
                (Some(exact), _) => names(exact),
                (None, Some(instances)) => names(instances),
                (None, None) => Vec::new(),
            };
        }
        // `jobs` changed length after the index was built: scan.
        let exact: Vec<String> = self
            .jobs
            .iter()
            .filter(|j| j.name == name)
            .map(|j| j.name.clone())
            .collect();
        if !exact.is_empty() {
            return exact;
        }
        self.jobs
            .iter()
            .filter(|j| j.base_name == name && j.node.is_some())
            .map(|j| j.name.clone())
            .collect()
    }
}

/// Stages as GitLab uses them: the user's list (or the default), with `.pre` first and
/// `.post` last wherever the user wrote them; nested lists are flattened.
pub fn stages(root: &Map) -> Vec<String> {
    let declared = root.get("stages");
    let mut user: Vec<String> = Vec::new();
    match declared {
        Some(node) if node.as_seq().is_some() => flatten_strings(node, &mut user),
        _ => user.extend(DEFAULT_STAGES.iter().map(|s| s.to_string())),
    }
    let mut out = vec![".pre".to_owned()];
    out.extend(user.into_iter().filter(|s| s != ".pre" && s != ".post"));
    out.push(".post".to_owned());
    out
}

fn flatten_strings(node: &Node, out: &mut Vec<String>) {
    match &node.value {
        Value::Seq(items) => items.iter().for_each(|i| flatten_strings(i, out)),
        _ => {
            if let Some(s) = node.scalar_to_s() {
                out.push(s);
            }
        }
    }
}

pub fn normalize(root: &Node) -> Normalized {
    let Some(map) = root.as_map() else {
        return Normalized::default();
    };
    let mut jobs = Vec::new();
    // normalizer.rb `parallelized_jobs`: a `needs:parallel:matrix` selector only applies to
    // these; on any other job it is ignored (`expand_parallelized_needs`).
    let parallel: std::collections::HashSet<String> = map
        .iter()
        .filter(|(_, v)| v.get("parallel").is_some_and(|p| !p.is_null()))
        .filter_map(|(k, _)| k.scalar_to_s())
        .collect();
    let is_parallel = |name: &str| parallel.contains(name);
    for (key, value) in map.iter() {
        let name = key.scalar_str().unwrap_or_default();
        let Some(kind) = runnable_job_kind(&name, value) else {
            continue;
        };
        let mut base = base_job(&name, kind, key.span, value);
        base.needs = value
            .get("needs")
            .map(|n| needs_in(n, &is_parallel, &[]))
            .unwrap_or_default();
        base.rule_needs = rule_needs(value, &is_parallel, &[]);
        match value.get("parallel") {
            Some(Node {
                value: Value::Int(n),
                ..
            }) if *n >= 1 => {
                let total = *n as usize;
                for i in 1..=total {
                    let mut job = base.clone();
                    job.name = format!("{name} {i}/{total}");
                    job.node = Some((i, total));
                    jobs.push(job);
                }
            }
            Some(p) if p.get("matrix").is_some() => {
                let instances = matrix_instances(p.get("matrix").unwrap_or(p));
                let total = instances.len();
                // normalizer.rb `apply_matrix_interpolation`: `$[[ matrix.NAME ]]` in a matrix
                // job's needs takes that instance's value.
                let interpolated = has_matrix_expression(value.get("needs"))
                    || has_matrix_expression(value.get("rules"));
                for (i, vars) in instances.into_iter().enumerate() {
                    let mut job = base.clone();
                    job.name = matrix_job_name(&name, &vars);
                    job.node = Some((i + 1, total));
                    if interpolated {
                        job.needs = value
                            .get("needs")
                            .map(|n| needs_in(n, &is_parallel, &vars))
                            .unwrap_or_default();
                        job.rule_needs = rule_needs(value, &is_parallel, &vars);
                    }
                    job.matrix_variables = vars;
                    jobs.push(job);
                }
            }
            _ => jobs.push(base),
        }
    }
    Normalized::new(stages(map), jobs)
}

/// Each `parallel` instance is simulated as a job of its own (its scripts read, its variables
/// tabled), so a large job times 200 instances is work GitLab's limits do not bound (GitLab
/// shares one job definition among its instances). The instances of all jobs together may
/// stand for at most `max_nodes` nodes, counted before any instance is built.
pub fn check_instances(root: &Node, size: usize, max_nodes: usize) -> Result<(), Finding> {
    let Some(map) = root.as_map() else {
        return Ok(());
    };
    let mut total = size;
    for (key, value) in map.iter() {
        let Some(parallel) = value.get("parallel") else {
            continue;
        };
        let name = key.scalar_str().unwrap_or_default();
        if runnable_job_kind(&name, value).is_none() {
            continue;
        }
        let instances = match &parallel.value {
            Value::Int(n) => usize::try_from(*n).unwrap_or(0),
            _ => match parallel.get("matrix") {
                Some(matrix) => matrix_size(matrix),
                None => continue,
            },
        };
        if instances < 2 {
            continue;
        }
        let job_size = value.size();
        total = total.saturating_add(job_size.saturating_mul(instances - 1));
        if total > max_nodes {
            return Err(Finding::error(
                "parallel-too-big",
                format!(
                    "too big to simulate: {name}: {instances} parallel instances of a job of {job_size} nodes grow the configuration past {max_nodes} nodes"
                ),
                Some(parallel.span),
            )
            .explain(format!(
                "GitLab creates {instances} jobs from one definition; pipesim simulates each instance with its own copy of the job's content, and here that is more than pipesim's limit of {max_nodes} nodes (the same limit as for the YAML itself). This limit is pipesim's own, not GitLab's. Make the job smaller (anchors that expand to large lists count in full) or use fewer instances."
            )));
        }
    }
    Ok(())
}

/// How many jobs a `parallel:matrix` list makes, without building them (saturating).
fn matrix_size(matrix: &Node) -> usize {
    let mut total = 0usize;
    for entry in matrix.as_seq().unwrap_or(&[]) {
        let Some(map) = entry.as_map() else { continue };
        let mut product = 1usize;
        for (_, values) in map.iter() {
            let count = match &values.value {
                Value::Seq(items) => items.len(),
                Value::Null => 0,
                _ => 1,
            };
            product = product.saturating_mul(count);
        }
        total = total.saturating_add(product);
    }
    total
}

/// `job: [v1, v2]`: the values only, in key order, joined by `, `.
pub fn matrix_job_name(name: &str, vars: &[(String, String)]) -> String {
    let values: Vec<&str> = vars.iter().map(|(_, v)| v.as_str()).collect();
    format!("{name}: [{}]", values.join(", "))
}

/// The cartesian product of each matrix entry, entries in list order.
pub fn matrix_instances(matrix: &Node) -> Vec<Vec<(String, String)>> {
    let mut out = Vec::new();
    for entry in matrix.as_seq().unwrap_or(&[]) {
        let Some(map) = entry.as_map() else { continue };
        let mut combos: Vec<Vec<(String, String)>> = vec![Vec::new()];
        for (key, values) in map.iter() {
            let key = key.scalar_to_s().unwrap_or_default();
            let values: Vec<String> = match &values.value {
                Value::Seq(items) => items.iter().filter_map(Node::scalar_to_s).collect(),
                Value::Null => Vec::new(),
                _ => values.scalar_to_s().into_iter().collect(),
            };
            let mut next = Vec::with_capacity(combos.len() * values.len().max(1));
            for combo in &combos {
                for value in &values {
                    let mut c = combo.clone();
                    c.push((key.clone(), value.clone()));
                    next.push(c);
                }
            }
            combos = next;
        }
        out.extend(combos);
    }
    out
}

fn base_job(name: &str, kind: JobKind, span: Span, value: &Node) -> NormalizedJob {
    let stage_node = value.get("stage").filter(|s| !s.is_null());
    let environment = value.get("environment");
    let (environment_name, environment_action, on_stop) = match environment.map(|e| &e.value) {
        Some(Value::Str(s)) => (Some(s.clone()), None, None),
        Some(Value::Map(m)) => (
            m.get("name").and_then(Node::scalar_to_s),
            m.get("action").and_then(Node::scalar_to_s),
            m.get("on_stop")
                .and_then(|n| n.scalar_to_s().map(|s| (s, n.span))),
        ),
        _ => (None, None, None),
    };
    // Filled by `normalize`, which knows which jobs are parallel.
    let rule_needs = Vec::new();
    let trigger_include_jobs = value
        .get("trigger")
        .and_then(|t| t.get("include"))
        .map(|inc| match &inc.value {
            Value::Seq(items) => items
                .iter()
                .filter_map(|i| i.get("job"))
                .filter_map(|j| j.scalar_to_s().map(|s| (s, j.span)))
                .collect(),
            Value::Map(_) => inc
                .get("job")
                .and_then(|j| j.scalar_to_s().map(|s| vec![(s, j.span)]))
                .unwrap_or_default(),
            _ => Vec::new(),
        })
        .unwrap_or_default();
    NormalizedJob {
        name: name.to_owned(),
        base_name: name.to_owned(),
        kind,
        span,
        stage: stage_node
            .and_then(Node::scalar_to_s)
            .unwrap_or_else(|| "test".to_owned()),
        stage_span: stage_node.map(|s| s.span),
        needs: Vec::new(),
        rule_needs,
        dependencies: string_items(value.get("dependencies")),
        trigger_include_jobs,
        environment: environment_name,
        environment_action,
        on_stop,
        node: None,
        matrix_variables: Vec::new(),
    }
}

/// Same-pipeline needs (strings and `{job:}` hashes); cross-pipeline and cross-project needs
/// are not checked against this configuration's jobs.
/// Whether a node holds a `$[[ matrix.NAME ]]` expression anywhere.
fn has_matrix_expression(node: Option<&Node>) -> bool {
    let Some(node) = node else { return false };
    match &node.value {
        Value::Str(s) => s.contains("$[["),
        Value::Seq(items) => items.iter().any(|i| has_matrix_expression(Some(i))),
        Value::Map(map) => map.iter().any(|(_, v)| has_matrix_expression(Some(v))),
        _ => false,
    }
}

/// interpolation/matrix_interpolator.rb: each `$[[ matrix.NAME ]]` (spaces allowed inside the
/// brackets, NAME of letters, digits, `_` and `-`) becomes the instance's value of NAME; an
/// unknown NAME stays as written (GitLab reports `'NAME' does not exist in matrix
/// configuration`).
pub fn interpolate_matrix(text: &str, vars: &[(String, String)]) -> String {
    if vars.is_empty() || !text.contains("$[[") {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(at) = rest.find("$[[") {
        out.push_str(&rest[..at]);
        let after = &rest[at + 3..];
        let inner = after.trim_start_matches([' ', '\t', '\n', '\r']);
        let parsed = inner.strip_prefix("matrix.").and_then(|tail| {
            let len = tail
                .bytes()
                .take_while(|b| b.is_ascii_alphanumeric() || *b == b'_' || *b == b'-')
                .count();
            let close = tail[len..].trim_start_matches([' ', '\t', '\n', '\r']);
            (len > 0 && close.starts_with("]]")).then(|| (&tail[..len], close.len() - 2))
        });
        match parsed
            .and_then(|(name, left)| vars.iter().find(|(k, _)| k == name).map(|(_, v)| (v, left)))
        {
            Some((value, left)) => {
                out.push_str(value);
                rest = &after[after.len() - left..];
            }
            None => {
                out.push_str("$[[");
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The needs of each rule that has `needs`, in rule order (nested rule lists flattened).
fn rule_needs(
    value: &Node,
    is_parallel: &dyn Fn(&str) -> bool,
    vars: &[(String, String)],
) -> Vec<Vec<NeedRef>> {
    value
        .get("rules")
        .and_then(Node::as_seq)
        .map(|rules| {
            let mut flat = Vec::with_capacity(rules.len());
            super::validate::flatten_seq(rules, &mut flat);
            flat.into_iter()
                .filter_map(|r| r.get("needs"))
                .map(|n| needs_in(n, is_parallel, vars))
                .collect()
        })
        .unwrap_or_default()
}

/// [`needs_in`] with every job taken to be parallel and no matrix values.
pub fn needs_of(needs: &Node) -> Vec<NeedRef> {
    needs_in(needs, &|_| true, &[])
}

/// The same-pipeline needs of a `needs:` node: matrix selectors expanded for parallel jobs
/// only, `$[[ matrix.NAME ]]` taken from `vars`.
pub fn needs_in(
    needs: &Node,
    is_parallel: &dyn Fn(&str) -> bool,
    vars: &[(String, String)],
) -> Vec<NeedRef> {
    let items: Vec<&Node> = match &needs.value {
        Value::Seq(items) => {
            let mut flat = Vec::with_capacity(items.len());
            super::validate::flatten_seq(items, &mut flat);
            flat
        }
        Value::Map(_) => vec![needs],
        _ => Vec::new(),
    };
    let mut out = Vec::new();
    for item in items {
        match &item.value {
            Value::Str(s) => out.push(NeedRef {
                name: interpolate_matrix(s, vars),
                span: item.span,
                optional: false,
                artifacts: true,
            }),
            Value::Map(m) if m.get("project").is_none() && m.get("pipeline").is_none() => {
                let Some(job) = m.get("job") else { continue };
                let name = interpolate_matrix(&job.scalar_to_s().unwrap_or_default(), vars);
                let optional = m.get("optional").and_then(Node::as_bool).unwrap_or(false);
                let artifacts = m.get("artifacts").and_then(Node::as_bool).unwrap_or(true);
                match m
                    .get("parallel")
                    .and_then(|p| p.get("matrix"))
                    .filter(|_| is_parallel(&name))
                {
                    Some(matrix) => {
                        for selected in matrix_instances(matrix) {
                            let selected: Vec<(String, String)> = selected
                                .into_iter()
                                .map(|(k, v)| (k, interpolate_matrix(&v, vars)))
                                .collect();
                            out.push(NeedRef {
                                name: matrix_job_name(&name, &selected),
                                span: job.span,
                                optional,
                                artifacts,
                            });
                        }
                    }
                    None => out.push(NeedRef {
                        name,
                        span: job.span,
                        optional,
                        artifacts,
                    }),
                }
            }
            _ => {}
        }
    }
    out
}

/// The strings of a list node, with their positions (`dependencies: [a, b]`).
fn string_items(node: Option<&Node>) -> Vec<(String, Span)> {
    match node.map(|n| &n.value) {
        Some(Value::Seq(items)) => items
            .iter()
            .filter_map(|i| i.scalar_to_s().map(|s| (s, i.span)))
            .collect(),
        _ => Vec::new(),
    }
}

#[cfg(test)]
mod matrix_interpolation_tests {
    use super::interpolate_matrix;

    #[test]
    fn matrix_expressions_take_the_instance_values() {
        let vars = vec![
            ("OS".to_owned(), "linux".to_owned()),
            ("ARCH-X".to_owned(), "arm64".to_owned()),
        ];
        assert_eq!(interpolate_matrix("$[[ matrix.OS ]]", &vars), "linux");
        assert_eq!(interpolate_matrix("$[[matrix.OS]]-x", &vars), "linux-x");
        assert_eq!(
            interpolate_matrix("a $[[  matrix.ARCH-X ]] b", &vars),
            "a arm64 b"
        );
        // Unknown names and other expressions stay as written.
        assert_eq!(
            interpolate_matrix("$[[ matrix.NOPE ]]", &vars),
            "$[[ matrix.NOPE ]]"
        );
        assert_eq!(
            interpolate_matrix("$[[ inputs.x ]]", &vars),
            "$[[ inputs.x ]]"
        );
        assert_eq!(interpolate_matrix("$[[ matrix.OS", &vars), "$[[ matrix.OS");
        assert_eq!(
            interpolate_matrix("$[[ matrix.OS ]]", &[]),
            "$[[ matrix.OS ]]"
        );
    }
}
