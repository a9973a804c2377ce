//! Proposed fixes, checked by simulating them: for a job that expects data from a job the
//! rules leave out of this pipeline, add a rule to the producer that matches this pipeline, run
//! the same pipeline again with the changed configuration, and keep the proposal only if the
//! producer is then created and the consumer receives what it produces.

use crate::event::{PipelineRequest, RefKind};
use crate::pipeline::{self, PipelineReport};
use crate::source::Files;
use crate::yaml::{Map, Node, Value};

use crate::diagnostic::Fix;
use crate::edit::{self, Edit};

use super::Input;

/// A rule condition that holds in this pipeline and names what makes it this pipeline.
fn condition_for(request: &PipelineRequest) -> String {
    match request.ref_kind {
        RefKind::Branch if request.source.as_str() == "push" => {
            format!("$CI_COMMIT_BRANCH == \"{}\"", request.ref_short)
        }
        RefKind::Tag => "$CI_COMMIT_TAG".to_owned(),
        RefKind::MergeRequest => "$CI_PIPELINE_SOURCE == \"merge_request_event\"".to_owned(),
        RefKind::Branch => format!(
            "$CI_PIPELINE_SOURCE == \"{}\" && $CI_COMMIT_BRANCH == \"{}\"",
            request.source.as_str(),
            request.ref_short
        ),
    }
}

fn str_node(text: &str, like: &Node) -> Node {
    Node::new(Value::Str(text.to_owned()), like.span)
}

/// What kind of change a break calls for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum FixKind {
    /// The producer exists but the rules leave it out of this pipeline.
    RunProducerHere,
    /// `needs:project` looks for the producer in another pipeline; build it in this one and
    /// need it directly.
    NeedInPipeline,
    /// `needs:project` names a ref where the producer never succeeded, and it did on this
    /// branch or tag of that project, with artifacts still there: point `ref` at it.
    PointRef(String),
}

/// Proposes and checks the change `kind` for `consumer`, which expected data from `producer`.
pub fn propose(
    input: &Input,
    report: &PipelineReport,
    kind: &FixKind,
    consumer: &str,
    producer: &str,
) -> Option<Fix> {
    if input.verifying {
        return None;
    }
    if let FixKind::PointRef(reference) = kind {
        return point_ref(input, report, consumer, producer, reference);
    }
    let kind = kind.clone();
    let composed = input.composed;
    let base_of = |name: &str| {
        composed
            .normalized
            .jobs
            .iter()
            .find(|j| j.name == name)
            .map(|j| j.base_name.clone())
    };
    let producer_base = base_of(producer)?;
    let consumer_base = base_of(consumer)?;
    let producer_left_out = report.jobs.iter().any(|j| j.name == producer && !j.created);
    let mut root = Node::clone(&composed.expanded);
    let condition = condition_for(input.request);
    let mut snippet = Map::default();
    let text = TextEdits {
        composed: &composed.files,
        repository: &input.request.files,
    };
    let mut edits: Option<Vec<Edit>> = Some(Vec::new());
    let mut add_edits = |found: Option<Vec<Edit>>| match (edits.as_mut(), found) {
        (Some(all), Some(found)) => all.extend(found),
        _ => edits = None,
    };

    if producer_left_out {
        add_edits(text.first_rule(
            composed.expanded.get(&producer_base)?,
            &producer_base,
            &condition,
        ));
        let job = root.as_map_mut()?.get_mut(&producer_base)?;
        let rules = job.get("rules").and_then(Node::as_seq)?.to_vec();
        let mut rule = Map::default();
        rule.insert(str_node("if", job), str_node(&condition, job));
        let mut new_rules = vec![Node::new(Value::Map(rule), job.span)];
        new_rules.extend(rules);
        let rules_node = Node::new(Value::Seq(new_rules), job.span);
        *job.as_map_mut()?.get_mut("rules")? = rules_node.clone();
        let mut changed = Map::default();
        changed.insert(str_node("rules", job), rules_node);
        snippet.insert(
            str_node(&producer_base, job),
            Node::new(Value::Map(changed), job.span),
        );
    } else if kind == FixKind::RunProducerHere {
        return None;
    }
    if kind == FixKind::NeedInPipeline {
        add_edits(text.need_in_pipeline(composed.expanded.get(&consumer_base)?, producer));
        let job = root.as_map_mut()?.get_mut(&consumer_base)?;
        let needs = job.get("needs").and_then(Node::as_seq)?.to_vec();
        let replaced: Vec<Node> = needs
            .into_iter()
            .map(|need| {
                let cross = is_project_need(&need, producer);
                if cross {
                    str_node(producer, &need)
                } else {
                    need
                }
            })
            .collect();
        let needs_node = Node::new(Value::Seq(replaced), job.span);
        *job.as_map_mut()?.get_mut("needs")? = needs_node.clone();
        let mut changed = Map::default();
        changed.insert(str_node("needs", job), needs_node);
        snippet.insert(
            str_node(&consumer_base, job),
            Node::new(Value::Map(changed), job.span),
        );
    }
    let span = root.span;
    let yaml = crate::yaml::emit::to_yaml(&Node::new(Value::Map(snippet), span))
        .trim_start_matches("---\n")
        .to_owned();

    // The edits are checked as the user would have them: their own files, edited. Without
    // edits, the whole changed configuration is checked in one file.
    let edits = edits.filter(|e| !e.is_empty()).unwrap_or_default();
    let edited = if edits.is_empty() {
        None
    } else {
        edit::apply(&input.request.files, &edits)
    };
    let (edits, diff) = match &edited {
        Some(_) => {
            let diff = edit::unified_diff(&input.request.files, &edits);
            (edits, diff)
        }
        None => (Vec::new(), String::new()),
    };
    let files = edited.unwrap_or_else(|| {
        let mut files = Files::new();
        files.insert(
            &input.project.ci_config_path,
            crate::yaml::emit::to_yaml(&root),
        );
        files
    });
    let verified = rerun_works(input, report, files, consumer, producer);
    let summary = match kind {
        FixKind::RunProducerHere => format!(
            "Let `{producer}` run in this pipeline too: add `if: {condition}` as its first rule, so `{consumer}` receives its artifacts and dotenv variables"
        ),
        FixKind::NeedInPipeline if producer_left_out => format!(
            "Build in the pipeline that deploys: add `if: {condition}` as the first rule of `{producer}` and replace the `needs:project` entry of `{consumer}` with `needs: [{producer}]`"
        ),
        FixKind::NeedInPipeline => format!(
            "`{producer}` already runs in this pipeline: replace the `needs:project` entry of `{consumer}` with `needs: [{producer}]`"
        ),
        FixKind::PointRef(_) => return None,
    };
    Some(checked_fix(summary, yaml, verified, (edits, diff)))
}

/// Whether a `needs:` entry is a `needs:project` one for job `producer`.
fn is_project_need(need: &Node, producer: &str) -> bool {
    need.get("project").is_some()
        && need.get("job").and_then(Node::scalar_to_s).as_deref() == Some(producer)
}

/// A fix with the verdict of its check at the end of its summary.
fn checked_fix(
    summary: String,
    yaml: String,
    verified: bool,
    (edits, diff): (Vec<Edit>, String),
) -> Fix {
    Fix {
        summary: format!(
            "{summary}{}.",
            if verified {
                " (pipesim simulated this change: it works)"
            } else {
                " (pipesim could not confirm this by simulation)"
            }
        ),
        yaml,
        verified,
        edits,
        diff,
    }
}

/// `needs:project` of `consumer` pointed at `reference`, where `producer` succeeded: the
/// `ref:` of the entry rewritten in the user's text, checked by running the pipeline again.
fn point_ref(
    input: &Input,
    report: &PipelineReport,
    consumer: &str,
    producer: &str,
    reference: &str,
) -> Option<Fix> {
    let composed = input.composed;
    let consumer_base = composed
        .normalized
        .jobs
        .iter()
        .find(|j| j.name == consumer)
        .map(|j| j.base_name.clone())?;
    let job = composed.expanded.get(&consumer_base)?;
    let entry = job
        .get("needs")?
        .as_seq()?
        .iter()
        .find(|n| is_project_need(n, producer))?;
    let old = entry.get("ref")?;
    let text = TextEdits {
        composed: &composed.files,
        repository: &input.request.files,
    };
    let edits = text.replace_scalar(old, reference)?;
    let edited = edit::apply(&input.request.files, &edits)?;
    let diff = edit::unified_diff(&input.request.files, &edits);
    let from = old.scalar_to_s().unwrap_or_default();
    let verified = rerun_works(input, report, edited, consumer, producer);
    // The job's whole `needs:` with the entry's `ref` changed, as the other fixes show it.
    let needs: Vec<Node> = job
        .get("needs")?
        .as_seq()?
        .iter()
        .map(|need| {
            let mut need = need.clone();
            if is_project_need(&need, producer) {
                if let Some(r) = need.as_map_mut().and_then(|m| m.get_mut("ref")) {
                    *r = str_node(reference, r);
                }
            }
            need
        })
        .collect();
    let mut changed = Map::default();
    changed.insert(
        str_node("needs", job),
        Node::new(Value::Seq(needs), job.span),
    );
    let mut snippet = Map::default();
    snippet.insert(
        str_node(&consumer_base, job),
        Node::new(Value::Map(changed), job.span),
    );
    let yaml = crate::yaml::emit::to_yaml(&Node::new(Value::Map(snippet), job.span))
        .trim_start_matches("---\n")
        .to_owned();
    let summary = format!(
        "Point `ref` of `{consumer}`'s `needs:project` entry at `{reference}`: `{producer}` never succeeded on `{from}`, and its last success on `{reference}` still has its artifacts. The `ref` is read again in every later pipeline, so choose the ref you mean"
    );
    Some(checked_fix(summary, yaml, verified, (edits, diff)))
}

/// Runs this pipeline again with the changed files and checks that
/// the producer runs, the consumer receives from it, and no break remains for the consumer.
fn rerun_works(
    input: &Input,
    report: &PipelineReport,
    files: Files,
    consumer: &str,
    producer: &str,
) -> bool {
    let mut request = input.request.clone();
    request.files = files;
    let compare_to = |_: &str| None;
    let (mut rerun, composed) = pipeline::create_composed(&pipeline::Request {
        project: input.project,
        pipeline: &request,
        id: report.id,
        iid: report.iid,
        compare_to: &compare_to,
        projects: None,
    });
    let Some(composed) = composed else {
        return false;
    };
    let flow = super::analyze(
        &mut rerun,
        &Input {
            project: input.project,
            request: &request,
            composed: &composed,
            store: input.store,
            depth: input.depth,
            downstream: input.downstream,
            multi_project: input.multi_project,
            world: input.world,
            outcomes: input.outcomes,
            verifying: true,
        },
    );
    let Some(consumer_job) = rerun.jobs.iter().find(|j| j.name == consumer && j.created) else {
        return false;
    };
    let producer_runs_here = rerun
        .jobs
        .iter()
        .any(|j| j.name == producer && j.created && j.outcome.as_deref() != Some("not_run"));
    let from = consumer_job.artifacts_from.as_deref().unwrap_or_default();
    // A job of another pipeline (`needs:project`) is named `job (pipeline #N)` there.
    let cross = format!("{producer} (pipeline #");
    let receives_here = from.iter().any(|f| f == producer)
        || consumer_job.dotenv.values().any(|d| d.from == producer);
    let receives =
        (producer_runs_here && receives_here) || from.iter().any(|f| f.starts_with(&cross));
    let still_broken = flow.diagnostics.iter().any(|d| {
        d.job.as_deref() == Some(consumer)
            && d.severity != crate::Severity::Info
            && matches!(
                d.code,
                "dependency-not-in-pipeline"
                    | "variable-not-set"
                    | "file-not-provided"
                    | "needs-project-not-found"
                    | "needs-project-tier"
                    | "needs-project-expired"
            )
    });
    receives && !still_broken
}

/// The change written into the user's own text: line edits of the files they gave (never of a
/// bundled template or a remote include), or nothing when the text is in a form pipesim does
/// not rewrite (flow collections, `!reference`, a job whose key it cannot find).
struct TextEdits<'a> {
    /// Where the spans point: the files the configuration was composed from.
    composed: &'a Files,
    /// The repository files of the pipeline: only these can be edited.
    repository: &'a Files,
}

impl TextEdits<'_> {
    /// The path and lines of the file `span` points into, when it is one of the user's own.
    fn own_file(&self, span: crate::Span) -> Option<(&str, Vec<&str>)> {
        let file = self.composed.try_get(span.file)?;
        let own = self.repository.find(&file.path)?;
        (self.repository.get(own).text == file.text)
            .then(|| (file.path.as_str(), file.text.lines().collect()))
    }

    /// `- if: <condition>` before the producer's first rule, or a `rules:` of its own when its
    /// rules come from elsewhere (`extends`, an anchor): the new rule, then the inherited ones.
    fn first_rule(&self, job: &Node, base: &str, condition: &str) -> Option<Vec<Edit>> {
        let rules = job.get("rules")?;
        let (path, lines) = self.own_file(job.span)?;
        let (key_line, block_end, child_indent) = job_block(&lines, base, job.span.line)?;
        let in_block = |line: u32| line > key_line && line <= block_end;
        if rules.span.file == job.span.file && in_block(rules.span.line) {
            let line = lines.get(rules.span.line as usize - 1)?;
            // A block sequence's first item starts its line with `- ` (the span may be at the
            // dash or at the item after it); anything else is a flow sequence.
            let dash = indent_of(line);
            if !line[dash..].starts_with("- ") || rules.span.column as usize <= dash {
                return None;
            }
            let first = rules.as_seq()?.first()?;
            let quoted = quote_like(line, condition, first)?;
            return Some(vec![Edit {
                file: path.to_owned(),
                line: rules.span.line,
                remove: 0,
                insert: vec![format!("{}- if: {quoted}", " ".repeat(dash))],
            }]);
        }
        // The job's block names `rules:` itself but its value comes from elsewhere
        // (`!reference`, an alias): adding a second `rules:` would be a duplicate key.
        let names_rules = lines[key_line as usize..block_end as usize]
            .iter()
            .any(|l| indent_of(l) == child_indent && l[child_indent..].starts_with("rules:"));
        if names_rules {
            return None;
        }
        let mut rule = Map::default();
        rule.insert(str_node("if", job), str_node(condition, job));
        let mut all = vec![Node::new(Value::Map(rule), job.span)];
        all.extend(rules.as_seq()?.iter().cloned());
        let mut wrapper = Map::default();
        wrapper.insert(str_node("rules", job), Node::new(Value::Seq(all), job.span));
        let yaml = crate::yaml::emit::to_yaml(&Node::new(Value::Map(wrapper), job.span));
        // `rules:` at the job's key indentation, its items as far in as the file's own
        // sequences are (Psych writes them at their key's indentation).
        let pad = " ".repeat(child_indent);
        let item_pad = " ".repeat(child_indent + sequence_offset(&lines));
        let insert = yaml
            .trim_start_matches("---\n")
            .lines()
            .enumerate()
            .map(|(i, l)| {
                if i == 0 {
                    format!("{pad}{l}")
                } else {
                    format!("{item_pad}{l}")
                }
            })
            .collect();
        Some(vec![Edit {
            file: path.to_owned(),
            line: key_line + 1,
            remove: 0,
            insert,
        }])
    }

    /// The scalar `old` rewritten as `value` in place, quoted as it was (and quoted anyway when
    /// YAML would read `value` plain as something other than a string).
    fn replace_scalar(&self, old: &Node, value: &str) -> Option<Vec<Edit>> {
        let (path, lines) = self.own_file(old.span)?;
        let line = *lines.get(old.span.line as usize - 1)?;
        let start = line
            .char_indices()
            .nth(old.span.column as usize - 1)
            .map(|(i, _)| i)?;
        let rest = &line[start..];
        let in_flow = line[..start].contains('{') || line[..start].contains('[');
        let (len, quote) = match rest.chars().next()? {
            q @ ('\'' | '"') => {
                // The closing quote (a doubled `''` or an escaped `\"` does not close).
                let bytes = rest.as_bytes();
                let mut i = 1;
                loop {
                    let c = *bytes.get(i)?;
                    if q == '"' && c == b'\\' {
                        i += 2;
                    } else if c == q as u8 && !(q == '\'' && bytes.get(i + 1) == Some(&b'\'')) {
                        break (i + 1, Some(q));
                    } else if q == '\'' && c == b'\'' {
                        i += 2;
                    } else {
                        i += 1;
                    }
                }
            }
            _ => {
                let end = rest
                    .find(" #")
                    .into_iter()
                    .chain(in_flow.then(|| rest.find([',', '}', ']'])).flatten())
                    .min()
                    .unwrap_or(rest.len());
                (rest[..end].trim_end().len(), None)
            }
        };
        let plain_is_string = matches!(
            crate::yaml::resolve_plain(value),
            crate::yaml::Plain::Value(Value::Str(_))
        ) && !value.contains(": ")
            && !value.contains(" #");
        let written = match quote {
            Some('\'') => format!("'{}'", value.replace('\'', "''")),
            Some(_) => format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")),
            None if plain_is_string => value.to_owned(),
            None => format!("\"{}\"", value.replace('\\', "\\\\").replace('"', "\\\"")),
        };
        Some(vec![Edit {
            file: path.to_owned(),
            line: old.span.line,
            remove: 1,
            insert: vec![format!("{}{written}{}", &line[..start], &rest[len..])],
        }])
    }

    /// The consumer's `needs:project` entry for `producer` replaced by `- producer`.
    fn need_in_pipeline(&self, job: &Node, producer: &str) -> Option<Vec<Edit>> {
        let entry = job
            .get("needs")?
            .as_seq()?
            .iter()
            .find(|n| is_project_need(n, producer))?;
        let (path, lines) = self.own_file(entry.span)?;
        let first = entry.span.line as usize - 1;
        let line = lines.get(first)?;
        // `- project: ...` (or `- {project: ...}`): the dash two columns before the entry.
        let dash = (entry.span.column as usize).checked_sub(3)?;
        let mut chars = line.chars().skip(dash);
        if chars.next() != Some('-') || chars.next() != Some(' ') {
            return None;
        }
        let end = lines[first + 1..]
            .iter()
            .position(|l| !is_blank(l) && indent_of(l) <= dash)
            .map_or(lines.len(), |p| first + 1 + p);
        // Trailing blank and comment lines belong to what follows.
        let mut last = end;
        while last > first + 1 && is_blank(lines[last - 1]) {
            last -= 1;
        }
        Some(vec![Edit {
            file: path.to_owned(),
            line: entry.span.line,
            remove: (last - first) as u32,
            insert: vec![format!("{}- {producer}", " ".repeat(dash))],
        }])
    }
}

fn indent_of(line: &str) -> usize {
    line.len() - line.trim_start_matches(' ').len()
}

fn is_blank(line: &str) -> bool {
    let t = line.trim_start();
    t.is_empty() || t.starts_with('#')
}

/// The job `base`'s block in its file: the line of its top-level key (the last one at or
/// before `near`), the last line of the block, and the indentation of its keys.
fn job_block(lines: &[&str], base: &str, near: u32) -> Option<(u32, u32, usize)> {
    let is_key = |l: &str| {
        [
            format!("{base}:"),
            format!("\"{base}\":"),
            format!("'{base}':"),
        ]
        .iter()
        .any(|k| l.starts_with(k.as_str()))
    };
    let key = (0..(near as usize).min(lines.len()))
        .rev()
        .find(|&i| is_key(lines[i]))?;
    let end = lines[key + 1..]
        .iter()
        .position(|l| !is_blank(l) && indent_of(l) == 0)
        .map_or(lines.len(), |p| key + 1 + p);
    let mut last = end;
    while last > key + 1 && is_blank(lines[last - 1]) {
        last -= 1;
    }
    let child_indent = lines[key + 1..last]
        .iter()
        .find(|l| !is_blank(l))
        .map(|l| indent_of(l))?;
    if child_indent == 0 {
        return None;
    }
    Some((key as u32 + 1, last as u32, child_indent))
}

/// How much further in than its key the file writes a block sequence (`key:` then `  - item`
/// is 2, `key:` then `- item` is 0), from its first such pair; 2, the style of GitLab's docs,
/// when the file has none.
fn sequence_offset(lines: &[&str]) -> usize {
    let mut key: Option<usize> = None;
    for line in lines.iter().filter(|l| !is_blank(l)) {
        let indent = indent_of(line);
        if let Some(key_indent) = key {
            if line[indent..].starts_with("- ") && indent >= key_indent {
                return indent - key_indent;
            }
        }
        key = line.trim_end().ends_with(':').then_some(indent);
    }
    2
}

/// `condition` quoted the way the job's first rule quotes its `if:` (single, double or plain),
/// so the new line looks like its neighbours.
fn quote_like(line: &str, condition: &str, first: &Node) -> Option<String> {
    let written = line.trim_start().trim_start_matches('-').trim_start();
    let style = if first.get("if").is_some() {
        written.strip_prefix("if:").map(str::trim_start)
    } else {
        None
    };
    Some(match style.and_then(|s| s.chars().next()) {
        Some('\'') => format!("'{}'", condition.replace('\'', "''")),
        Some('"') => format!(
            "\"{}\"",
            condition.replace('\\', "\\\\").replace('"', "\\\"")
        ),
        _ => condition.to_owned(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::yaml::{self, Limits};

    /// The `ref` of the first `needs:` entry of `job`, rewritten as `value`: the new line.
    fn rewritten(text: &str, value: &str) -> Option<String> {
        let files: Files = [(".gitlab-ci.yml", text)].into_iter().collect();
        let id = files.find(".gitlab-ci.yml").unwrap();
        let root = yaml::load(text, id, Limits::default())
            .documents
            .into_iter()
            .next()
            .unwrap();
        let need = root.get("job")?.get("needs")?.as_seq()?.first()?.clone();
        let edits = TextEdits {
            composed: &files,
            repository: &files,
        }
        .replace_scalar(need.get("ref")?, value)?;
        Some(edits[0].insert[0].clone())
    }

    #[test]
    fn a_scalar_is_rewritten_in_place_quoted_as_it_was() {
        let block = "job:\n  needs:\n    - project: a/b\n      job: build\n      ref: staging\n";
        assert_eq!(rewritten(block, "main").unwrap(), "      ref: main");
        // A value YAML would read as a number is quoted.
        assert_eq!(rewritten(block, "1.0").unwrap(), "      ref: \"1.0\"");
        let flow = "job:\n  needs: [{project: a/b, job: build, ref: \"st\\\"g\"}, x]\n";
        assert_eq!(
            rewritten(flow, "main").unwrap(),
            "  needs: [{project: a/b, job: build, ref: \"main\"}, x]"
        );
        let plain_flow = "job:\n  needs: [{project: a/b, ref: staging, job: build}]\n";
        assert_eq!(
            rewritten(plain_flow, "it's").unwrap(),
            "  needs: [{project: a/b, ref: it's, job: build}]"
        );
        let single = "job:\n  needs:\n    - {project: a/b, job: build, ref: 'it''s'}  # c\n";
        assert_eq!(
            rewritten(single, "o'k").unwrap(),
            "    - {project: a/b, job: build, ref: 'o''k'}  # c"
        );
    }
}
