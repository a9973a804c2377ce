//! `include`: GitLab's `Config::External::Mapper` and `Processor`
//! (lib/gitlab/ci/config/external/{mapper,processor}.rb, file/*.rb).
//!
//! Included files are deep-merged in `include` order, then the including file's own content
//! is merged last and wins. `local` and bundled `template` includes are read offline; `remote`,
//! `project` and `component` includes are reported as unavailable offline, and the rest of the
//! configuration is still simulated.

use crate::diagnostic::Finding;
use crate::source::{normalize_path, FileId, Files, Span};
use crate::yaml::{deep_merge, Limits, Map, Node, Value};

use super::document;
use super::entry;
use super::templates;

/// GitLab's default `ci_max_includes` application setting.
pub const MAX_INCLUDES: usize = 150;

const SUBKEYS: [&str; 6] = [
    "local",
    "project",
    "remote",
    "template",
    "artifact",
    "component",
];

/// What the including side knows while resolving includes.
pub struct IncludeContext<'a> {
    /// The user's files plus bundled templates read so far (diagnostics point into them).
    pub files: Files,
    /// Variables allowed in include paths (project predefined and CI/CD settings variables).
    pub variables: &'a [(String, String)],
    /// Decides `include:rules`. `None` when there is no event (lint): every include is read.
    pub rules: Option<&'a dyn Fn(&Node) -> bool>,
    pub limits: Limits,
    pub count: usize,
    /// Nodes loaded so far (root file and includes): `limits.max_nodes` bounds them together,
    /// not per file, so 150 includes cannot each load a maximal alias expansion.
    pub nodes: usize,
    pub warnings: Vec<Finding>,
    /// Includes that could not be read offline: later "not found" checks are softened.
    pub unresolved: Vec<String>,
    /// The other projects of a scenario, for `include:project` and `include:component`.
    pub projects: Option<&'a dyn ProjectSource>,
    /// While a file of another project is read: that project and ref, which its own `local`
    /// includes read from (file/local.rb reads from the including file's project and sha).
    pub within: Option<(String, Option<String>)>,
    /// When set, every variable expansion of an include string is recorded here (string,
    /// result), so that a caller can tell whether the composition read the variables.
    pub expansions: Option<&'a std::cell::RefCell<Vec<(String, String)>>>,
}

impl IncludeContext<'_> {
    /// [`expand_variables`] with the context's variables, recorded when asked.
    fn expand(&self, s: &str) -> String {
        let out = expand_variables(s, self.variables);
        if let Some(record) = self.expansions {
            record.borrow_mut().push((s.to_owned(), out.clone()));
        }
        out
    }
}

/// The projects a simulation holds besides the pipeline's own (a scenario's `projects:`).
pub trait ProjectSource {
    /// The text of `path` in `project` at `reference` (the default branch's head for `None`).
    fn file(
        &self,
        project: &str,
        reference: Option<&str>,
        path: &str,
    ) -> Result<Option<String>, Missing>;
    /// Whether `project` is a CI/CD catalog resource, and its tags (its released versions).
    fn versions(&self, project: &str) -> Option<(bool, Vec<String>)>;
    /// `CI_SERVER_FQDN`: component addresses start with it.
    fn server_fqdn(&self) -> String;
}

/// Why a file of another project cannot be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Missing {
    /// Not a project of the scenario, or the user may not read its code.
    Project,
    Ref,
}

/// Resolves the `include` of `content` (recursively) and returns the merged configuration.
pub fn resolve(content: Node, ctx: &mut IncludeContext) -> Result<Node, Finding> {
    let Some(include) = content.get("include").cloned() else {
        return Ok(content);
    };
    let mut merged = Node::new(Value::Map(Map::default()), content.span);
    let locations = filter(normalize(&include, ctx)?, ctx)?;
    for location in locations {
        for file_node in read_location(&location, ctx)? {
            deep_merge(&mut merged, &file_node);
        }
    }
    let mut own = content;
    if let Some(map) = own.as_map_mut() {
        map.remove("include");
    }
    deep_merge(&mut merged, &own);
    if let Some(map) = merged.as_map_mut() {
        map.remove("include");
    }
    Ok(merged)
}

/// `Mapper::Filter`: every location's `include:rules` validated (`External::Rules#initialize`,
/// the first error stops the expansion) and, when there is an event, decided; before any
/// location is matched or read, as GitLab runs the filter over all locations first.
fn filter(locations: Vec<Node>, ctx: &mut IncludeContext) -> Result<Vec<Node>, Finding> {
    let mut kept = Vec::with_capacity(locations.len());
    for location in locations {
        if let Some(rules) = location.get("rules") {
            entry::include_rules::check_expanded(rules, &mut ctx.warnings)?;
            if let Some(decide) = ctx.rules {
                if !rules.is_null() && !decide(rules) {
                    continue;
                }
            }
        }
        kept.push(location);
    }
    Ok(kept)
}

/// Strings become `{local: s}` or `{remote: s}`; hashes stay; anything else is an error.
fn normalize(include: &Node, ctx: &IncludeContext) -> Result<Vec<Node>, Finding> {
    let items: Vec<&Node> = match &include.value {
        Value::Seq(items) => items.iter().filter(|i| !i.is_null()).collect(),
        Value::Null => Vec::new(),
        _ => vec![include],
    };
    let mut out = Vec::with_capacity(items.len());
    for item in items {
        match &item.value {
            Value::Str(s) => {
                let expanded = ctx.expand(s);
                let key = if is_url(&expanded) { "remote" } else { "local" };
                let mut map = Map::default();
                map.entries.push((
                    Node::new(Value::Str(key.into()), item.span),
                    Node::new(Value::Str(expanded), item.span),
                ));
                out.push(Node::new(Value::Map(map), item.span));
            }
            Value::Map(_) => out.push(item.clone()),
            _ => {
                return Err(Finding::error(
                    "include-invalid",
                    "Each include must be a hash or a string",
                    Some(item.span),
                ))
            }
        }
    }
    Ok(out)
}

fn is_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// `ExpandVariables.expand` against pairs (unknown variables become empty); lives in
/// [`crate::expand`], kept here for the include code and its callers.
pub fn expand_variables(s: &str, variables: &[(String, String)]) -> String {
    crate::expand::expand_pairs(s, variables)
}

/// `ExpandVariables.expand` with the values from `lookup` (see [`crate::expand::expand`]).
pub fn expand_with(s: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    crate::expand::expand(s, lookup)
}

fn location_string(location: &Node) -> String {
    // GitLab shows the location hash as JSON in "does not have a valid subkey" messages.
    let mut parts = Vec::new();
    if let Some(map) = location.as_map() {
        for (k, v) in map.iter() {
            let key = k.scalar_to_s().unwrap_or_default();
            let value = v.scalar_to_s().unwrap_or_else(|| "…".into());
            parts.push(format!("\"{key}\":\"{value}\""));
        }
    }
    format!("{{{}}}", parts.join(","))
}

fn read_location(location: &Node, ctx: &mut IncludeContext) -> Result<Vec<Node>, Finding> {
    let map = location.as_map().expect("normalised to a hash");
    let present: Vec<&str> = SUBKEYS
        .iter()
        .copied()
        .filter(|k| map.get(k).is_some_and(|v| !v.is_null()))
        .collect();
    let span = location.span;
    if present.is_empty() {
        return Err(Finding::error(
            "include-invalid",
            format!(
                "`{}` does not have a valid subkey for include. Valid subkeys are: `local`, `project`, `remote`, `template`, `artifact`, `component`",
                location_string(location)
            ),
            Some(span),
        ));
    }
    if present.len() > 1 {
        return Err(Finding::error(
            "include-invalid",
            "Each include must use only one of: `local`, `project`, `remote`, `template`, `artifact`, `component`",
            Some(span),
        ));
    }
    let inputs = map.get("inputs");
    let kind = present[0];
    let value = map.get(kind).expect("present");
    match kind {
        "local" => {
            let Some(raw) = value.as_str() else {
                return Err(Finding::error(
                    "include-invalid",
                    format!(
                        "Included file `{}` needs to be a string",
                        value.scalar_to_s().unwrap_or_default()
                    ),
                    Some(value.span),
                ));
            };
            let path = ctx.expand(raw);
            let path = path.trim_start_matches('/').to_owned();
            if let Some((project, reference)) = ctx.within.clone() {
                check_extension(&path, value.span)?;
                return project_file(
                    &project,
                    reference.as_deref(),
                    &path,
                    inputs,
                    value.span,
                    ctx,
                )
                .map(|node| vec![node]);
            }
            if path.contains('*') {
                let matcher = wildcard_regex(&path);
                let matches: Vec<(String, FileId)> = ctx
                    .files
                    .iter()
                    .filter(|(_, f)| matcher.as_ref().is_some_and(|re| re.is_match(&f.path)))
                    .map(|(id, f)| (f.path.clone(), id))
                    .collect();
                let mut out = Vec::new();
                for (found, id) in matches {
                    // GitLab drops `rules`/`inputs` of a wildcard location for each match.
                    out.push(read_file(
                        &found,
                        id,
                        None,
                        value.span,
                        ctx,
                        FileKind::Local,
                    )?);
                }
                return Ok(out);
            }
            check_extension(&path, value.span)?;
            let Some(id) = ctx.files.find(&path) else {
                return Err(Finding::error("include-not-found", format!("Local file `{path}` does not exist!"), Some(value.span))
                    .explain(format!(
                        "GitLab looks for `{path}` in the same repository and commit as the including file, \
                         relative to the repository root. Add the file (in the web app: a new file tab with this path; \
                         on the command line: under --root), or fix the path.",
                    )));
            };
            Ok(vec![read_file(
                &path,
                id,
                inputs,
                value.span,
                ctx,
                FileKind::Local,
            )?])
        }
        "template" => {
            let name = value.scalar_to_s().unwrap_or_default();
            check_extension(&name, value.span)?;
            if !name.ends_with(".gitlab-ci.yml") {
                return Err(Finding::error(
                    "include-invalid",
                    format!("Template file `{name}` is not a valid location!"),
                    Some(value.span),
                ));
            }
            let Some(text) = templates::get(&name) else {
                // A template pipesim does not bundle can be supplied as a repository file.
                let supplied = format!(".pipesim/templates/{name}");
                if let Some(id) = ctx.files.find(&supplied) {
                    let node = read_file(&name, id, inputs, value.span, ctx, FileKind::Template)?;
                    return Ok(vec![node]);
                }
                ctx.unresolved.push(format!("template:{name}"));
                ctx.warnings.push(offline(
                    format!("Template `{name}` is not bundled with pipesim"),
                    value.span,
                    format!(
                        "pipesim bundles the GitLab templates listed in its templates folder, not this one. \
                         Jobs it defines are missing from the simulation. To include it, copy its content from \
                         GitLab (lib/gitlab/ci/templates/{name}) into a file `{supplied}`.",
                    ),
                ));
                return Ok(Vec::new());
            };
            let path = format!("<gitlab-template>/{name}");
            let id = match ctx.files.find(&path) {
                Some(id) => id,
                None => ctx.files.insert(&path, text),
            };
            Ok(vec![read_file(
                &name,
                id,
                inputs,
                value.span,
                ctx,
                FileKind::Template,
            )?])
        }
        "project" if ctx.projects.is_some() && in_scenario(map, ctx) => {
            include_project(map, inputs, value.span, ctx)
        }
        "component" if ctx.projects.is_some() && component_in_scenario(value, ctx) => {
            include_component(value, inputs, ctx)
        }
        "remote" | "project" | "component" | "artifact" => {
            let (address, supplied) = offline_address(kind, map, ctx);
            if let Some(path) = supplied
                .as_deref()
                .and_then(|p| ctx.files.find(p).map(|id| (p.to_owned(), id)))
            {
                return Ok(vec![read_file(
                    &path.0,
                    path.1,
                    inputs,
                    value.span,
                    ctx,
                    FileKind::Local,
                )?]);
            }
            if kind == "artifact" {
                // Only valid in trigger:include; resolved by the data-flow layer.
                return Ok(Vec::new());
            }
            ctx.unresolved.push(address.clone());
            let how = match &supplied {
                Some(path) => format!(
                    "To simulate it, add its content as the file `{path}` (in the web app: a new file tab with this path; \
                     on the command line: that path under --root)."
                ),
                None => "Its address uses variables pipesim cannot expand offline.".to_owned(),
            };
            ctx.warnings.push(offline(
                format!("`include:{kind}` `{address}` is not available offline"),
                value.span,
                format!(
                    "pipesim never fetches anything: nothing you paste leaves the browser. Jobs and keywords from this \
                     include are missing from the simulation, and checks that depend on them are relaxed. {how}"
                ),
            ));
            Ok(Vec::new())
        }
        _ => Ok(Vec::new()),
    }
}

/// Whether an `include:project` names a project of the scenario.
fn in_scenario(map: &Map, ctx: &IncludeContext) -> bool {
    let Some(source) = ctx.projects else {
        return false;
    };
    source.versions(&project_name(map, ctx)).is_some()
}

/// file/project.rb: the project's full path, downcased, variables expanded (an array's first
/// item, as the deprecated form allows).
fn project_name(map: &Map, ctx: &IncludeContext) -> String {
    let node = match map.get("project").map(|n| &n.value) {
        Some(Value::Seq(items)) => items.first(),
        _ => map.get("project"),
    };
    let name = node.and_then(Node::scalar_to_s).unwrap_or_default();
    ctx.expand(&name).trim_matches('/').to_lowercase()
}

/// `include:project` from a project of the scenario (file/project.rb): each `file` at `ref`
/// (the default branch's head when none is given, GitLab's `HEAD`).
fn include_project(
    map: &Map,
    inputs: Option<&Node>,
    span: Span,
    ctx: &mut IncludeContext,
) -> Result<Vec<Node>, Finding> {
    let project = project_name(map, ctx);
    let reference = map
        .get("ref")
        .and_then(Node::scalar_to_s)
        .map(|r| ctx.expand(&r));
    let files: Vec<(String, Span)> = match map.get("file") {
        Some(Node {
            value: Value::Seq(items),
            ..
        }) => items
            .iter()
            .filter_map(|i| i.scalar_to_s().map(|s| (s, i.span)))
            .collect(),
        Some(node) => node
            .scalar_to_s()
            .map(|s| (s, node.span))
            .into_iter()
            .collect(),
        None => Vec::new(),
    };
    let mut out = Vec::with_capacity(files.len());
    for (file, file_span) in files {
        let file = ctx.expand(&file);
        let location = file.trim_start_matches('/').to_owned();
        check_extension(&location, file_span)?;
        out.push(project_file(
            &project,
            reference.as_deref(),
            &location,
            inputs,
            if file_span == Span::default() {
                span
            } else {
                file_span
            },
            ctx,
        )?);
    }
    Ok(out)
}

/// Reads `location` of another project (file/project.rb `validate_context!`,
/// `validate_content!`, with GitLab's messages), its own `local` includes read from it too.
fn project_file(
    project: &str,
    reference: Option<&str>,
    location: &str,
    inputs: Option<&Node>,
    span: Span,
    ctx: &mut IncludeContext,
) -> Result<Node, Finding> {
    let source = ctx.projects.expect("a project source");
    let ref_name = reference.unwrap_or("HEAD");
    let text = match source.file(project, reference, location) {
        Err(Missing::Project) => {
            return Err(Finding::error(
                "include-not-found",
                format!("Project `{project}` not found or access denied! Make sure any includes in the pipeline configuration are correctly defined."),
                Some(span),
            ))
        }
        Err(Missing::Ref) => {
            return Err(Finding::error(
                "include-not-found",
                format!("Project `{project}` reference `{ref_name}` does not exist!"),
                Some(span),
            )
            .explain(format!("`{ref_name}` is neither a branch nor a tag of {project} at this point of the timeline.")))
        }
        Ok(None) => {
            return Err(Finding::error(
                "include-not-found",
                format!("Project `{project}` file `{location}` does not exist!"),
                Some(span),
            ))
        }
        Ok(Some(text)) if text.trim().is_empty() => {
            return Err(Finding::error(
                "include-empty",
                format!("Project `{project}` file `{location}` is empty!"),
                Some(span),
            ))
        }
        Ok(Some(text)) => text,
    };
    let path = format!(
        ".pipesim/project/{project}{}/{location}",
        reference.map(|r| format!("@{r}")).unwrap_or_default()
    );
    let id = match ctx.files.find(&path) {
        Some(id) => id,
        None => ctx.files.insert(&path, text),
    };
    let outer = ctx
        .within
        .replace((project.to_owned(), reference.map(str::to_owned)));
    let node = read_file(&path, id, inputs, span, ctx, FileKind::Local);
    ctx.within = outer;
    node
}

/// Whether an `include:component` address names a project of the scenario.
fn component_in_scenario(value: &Node, ctx: &IncludeContext) -> bool {
    let Some(source) = ctx.projects else {
        return false;
    };
    let address = ctx.expand(&value.scalar_to_s().unwrap_or_default());
    let prefix = format!("{}/", source.server_fqdn());
    let Some((path, _)) = address
        .strip_prefix(&prefix)
        .and_then(|a| a.split_once('@'))
    else {
        return false;
    };
    path.rsplit_once('/')
        .is_some_and(|(project, _)| source.versions(project).is_some())
}

/// `include:component` from a project of the scenario (Ci::Components::FetchService,
/// components/instance_path.rb, Ci::Catalog::ComponentsProject): `<fqdn>/<project>/<name>@<version>`
/// reads `templates/<name>.yml` or `templates/<name>/template.yml` at the version: `~latest`
/// and `1` / `1.2` (catalog resources only) the newest matching version tag, else the tag or
/// branch of that name. `$[[ component.name ]]`, `.version`, `.reference` and `.sha` are
/// replaced before the file is read.
fn include_component(
    value: &Node,
    inputs: Option<&Node>,
    ctx: &mut IncludeContext,
) -> Result<Vec<Node>, Finding> {
    let source = ctx.projects.expect("a project source");
    let address = ctx.expand(&value.scalar_to_s().unwrap_or_default());
    let prefix = format!("{}/", source.server_fqdn());
    let (path, reference) = address
        .strip_prefix(&prefix)
        .and_then(|a| a.split_once('@'))
        .unwrap_or_default();
    let (project, name) = path.rsplit_once('/').unwrap_or_default();
    let (catalog, tags) = source.versions(project).unwrap_or_default();
    let error = |message: String| {
        Err(Finding::error(
            "include-not-found",
            format!("Component '{address}' - {message}"),
            Some(value.span),
        ))
    };
    let shorthand = !reference.is_empty()
        && reference.split('.').count() <= 2
        && reference
            .split('.')
            .all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_digit()));
    let version = if reference == "~latest" || shorthand {
        if !catalog {
            return error(if reference == "~latest" {
                "The ~latest version reference is not supported for non-catalog resources. Use a tag, branch, or commit SHA instead.".to_owned()
            } else {
                "The partial semantic version reference is not supported for non-catalog resources. Use a tag, branch, or commit SHA instead.".to_owned()
            });
        }
        let wanted: Vec<&str> = if reference == "~latest" {
            Vec::new()
        } else {
            reference.split('.').collect()
        };
        latest_version(&tags, &wanted)
    } else {
        Some(reference.to_owned())
    };
    let Some(version) = version else {
        return error("content not found".to_owned());
    };
    let candidates = [
        format!("templates/{name}.yml"),
        format!("templates/{name}/template.yml"),
    ];
    let found =
        candidates
            .iter()
            .find_map(|file| match source.file(project, Some(&version), file) {
                Ok(Some(text)) if !text.trim().is_empty() => Some((file.clone(), text)),
                _ => None,
            });
    let Some((file, text)) = found else {
        return error("content not found".to_owned());
    };
    let sha = crate::event::variables::fake_sha(&format!("{project}@{version}"));
    let shown_version = if tags.contains(&version) {
        version.clone()
    } else {
        String::new()
    };
    let text = component_context(&text, name, &shown_version, reference, &sha);
    let path = format!(".pipesim/component/{project}@{version}/{file}");
    let id = match ctx.files.find(&path) {
        Some(id) => id,
        None => ctx.files.insert(&path, text),
    };
    let outer = ctx
        .within
        .replace((project.to_owned(), Some(version.clone())));
    let node = read_file(&path, id, inputs, value.span, ctx, FileKind::Local);
    ctx.within = outer;
    Ok(vec![node?])
}

/// The newest `major[.minor[.patch]]` tag starting with `wanted` (every tag for `[]`).
fn latest_version(tags: &[String], wanted: &[&str]) -> Option<String> {
    let parse = |tag: &str| -> Option<Vec<u64>> {
        let parts: Vec<u64> = tag
            .trim_start_matches('v')
            .split('.')
            .map(|p| p.parse().ok())
            .collect::<Option<_>>()?;
        (parts.len() == 3).then_some(parts)
    };
    tags.iter()
        .filter_map(|t| parse(t).map(|v| (v, t)))
        .filter(|(v, _)| {
            wanted
                .iter()
                .zip(v)
                .all(|(w, part)| w.parse::<u64>().ok() == Some(*part))
        })
        .max_by(|a, b| a.0.cmp(&b.0))
        .map(|(_, t)| t.clone())
}

/// `$[[ component.name ]]` (`version`, `reference`, `sha`): the component's context
/// (file/component.rb `component_yaml_context`), replaced in the file's text.
fn component_context(text: &str, name: &str, version: &str, reference: &str, sha: &str) -> String {
    if !text.contains("component.") {
        return text.to_owned();
    }
    let mut out = text.to_owned();
    for (key, value) in [
        ("name", name),
        ("version", version),
        ("reference", reference),
        ("sha", sha),
    ] {
        for spaced in [
            format!("$[[ component.{key} ]]"),
            format!("$[[component.{key}]]"),
        ] {
            out = out.replace(&spaced, value);
        }
    }
    out
}

/// Where a user can put the content of an include pipesim cannot fetch.
fn offline_address(kind: &str, map: &Map, ctx: &IncludeContext) -> (String, Option<String>) {
    let text = |key: &str| {
        map.get(key)
            .and_then(Node::scalar_to_s)
            .map(|s| ctx.expand(&s))
    };
    match kind {
        "remote" => {
            let url = text("remote").unwrap_or_default();
            let path = url
                .split_once("://")
                .map(|(_, rest)| format!(".pipesim/remote/{}", normalize_path(rest)));
            (url, path)
        }
        "project" => {
            let project = text("project").unwrap_or_default();
            let file = match map.get("file").map(|f| &f.value) {
                Some(Value::Seq(items)) => items
                    .first()
                    .and_then(Node::scalar_to_s)
                    .unwrap_or_default(),
                _ => text("file").unwrap_or_default(),
            };
            let address = format!("{project}:{file}");
            (
                address,
                Some(format!(
                    ".pipesim/project/{}/{}",
                    normalize_path(&project),
                    normalize_path(&file)
                )),
            )
        }
        "component" => {
            let component = text("component").unwrap_or_default();
            let without_version = component.split('@').next().unwrap_or_default().to_owned();
            (
                component.clone(),
                Some(format!(
                    ".pipesim/component/{}.yml",
                    normalize_path(&without_version)
                )),
            )
        }
        _ => (text(kind).unwrap_or_default(), None),
    }
}

fn offline(message: String, span: Span, explanation: String) -> Finding {
    Finding::warning("include-offline", message, Some(span)).explain(explanation)
}

fn check_extension(location: &str, span: Span) -> Result<(), Finding> {
    let base = location
        .rsplit('/')
        .next()
        .unwrap_or(location)
        .to_ascii_lowercase();
    let ok =
        (base.ends_with(".yml") && base.len() > 4) || (base.ends_with(".yaml") && base.len() > 5);
    if ok {
        Ok(())
    } else {
        Err(Finding::error(
            "include-invalid",
            format!("Included file `{location}` does not have YAML extension!"),
            Some(span),
        ))
    }
}

/// GitLab's wildcard search for `include:local`: `*` stays within a folder, `**` crosses
/// folders (docs: `configs/*.yml` direct children, `configs/**.yml` any depth,
/// `configs/**/*.yml` subfolders only).
fn wildcard_regex(pattern: &str) -> Option<regex::Regex> {
    let mut re = String::from("^");
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '*' {
            if chars.peek() == Some(&'*') {
                chars.next();
                re.push_str(".*");
            } else {
                re.push_str("[^/]*");
            }
        } else {
            re.push_str(&regex::escape(&c.to_string()));
        }
    }
    re.push('$');
    regex::Regex::new(&re).ok()
}

#[derive(Clone, Copy, PartialEq)]
enum FileKind {
    Local,
    Template,
}

fn read_file(
    location: &str,
    id: FileId,
    inputs: Option<&Node>,
    span: Span,
    ctx: &mut IncludeContext,
    kind: FileKind,
) -> Result<Node, Finding> {
    ctx.count += 1;
    if ctx.count > MAX_INCLUDES {
        return Err(Finding::error(
            "include-too-many",
            format!("Maximum of {MAX_INCLUDES} nested includes are allowed!"),
            Some(span),
        )
        .explain(
            "GitLab counts every included file, nested and repeated ones too, against this limit.",
        ));
    }
    if ctx.files.get(id).text.trim().is_empty() {
        let message = match kind {
            FileKind::Local => format!("Local file `{location}` is empty!"),
            FileKind::Template => format!("Included file `{location}` is empty or does not exist!"),
        };
        return Err(Finding::error("include-empty", message, Some(span)));
    }
    let mut limits = ctx.limits;
    limits.max_nodes = limits.max_nodes.saturating_sub(ctx.nodes);
    let doc = document::load(&ctx.files, id, inputs, limits, &mut ctx.warnings).map_err(|e| {
        let mut finding = e.finding;
        finding.message = format!("`{location}`: {}", finding.message);
        finding
    })?;
    ctx.nodes += doc.content.size();
    if doc.content.as_map().is_none_or(Map::is_empty) {
        return Err(Finding::error(
            "include-invalid",
            format!("Included file `{location}` does not have valid YAML syntax!"),
            Some(span),
        ));
    }
    resolve(doc.content, ctx)
}

#[cfg(test)]
mod component_tests {
    use super::{component_context, latest_version};

    #[test]
    fn versions_resolve_to_the_newest_matching_tag() {
        let tags: Vec<String> = ["1.0.0", "1.2.0", "1.10.1", "2.0.0-rc1", "v2.1.0", "main"]
            .iter()
            .map(|t| t.to_string())
            .collect();
        assert_eq!(latest_version(&tags, &[]).as_deref(), Some("v2.1.0"));
        assert_eq!(latest_version(&tags, &["1"]).as_deref(), Some("1.10.1"));
        assert_eq!(latest_version(&tags, &["1", "2"]).as_deref(), Some("1.2.0"));
        assert_eq!(latest_version(&tags, &["3"]), None);
    }

    #[test]
    fn component_context_fills_the_four_values() {
        let text = "$[[ component.name ]] $[[component.version]] $[[ component.reference ]] $[[ component.sha ]] $[[ inputs.x ]]";
        assert_eq!(
            component_context(text, "build", "1.1.0", "~latest", "abc"),
            "build 1.1.0 ~latest abc $[[ inputs.x ]]"
        );
    }
}
