//! Merge and squash commit templates (Settings > Merge requests > Merge commit message template,
//! Squash commit message template), as Gitlab::MergeRequests::MessageGenerator fills them
//! (gitlabhq/gitlabhq lib/gitlab/merge_requests/message_generator.rb `replace_placeholders`):
//! CRLF becomes LF; a placeholder whose value is blank takes its line away (with the blank line
//! before it when a blank line or the end follows); then every placeholder is replaced.

use super::MergeRequest;
use crate::event::Project;

/// The placeholders pipesim fills, with their value for `mr`; `None`: a placeholder GitLab has
/// that pipesim does not know the value of (commits, users, URLs).
fn value(name: &str, project: &Project, mr: &MergeRequest) -> Option<Option<String>> {
    let known = match name {
        "source_branch" => Some(mr.source_branch.clone()),
        "target_branch" => Some(mr.target_branch.clone()),
        "title" => Some(mr.title.clone()),
        "description" => Some(mr.description.clone()),
        "reference" => Some(format!("{}!{}", project.path, mr.iid)),
        "local_reference" => Some(format!("!{}", mr.iid)),
        "source_project_id" => Some(
            mr.source_project
                .as_deref()
                .map_or(crate::event::variables::PROJECT_ID, |path| {
                    crate::event::variables::fork_project_id(path)
                })
                .to_string(),
        ),
        // No issue closes in a scenario: `issues` is blank.
        "issues" => Some(String::new()),
        "first_commit"
        | "first_multiline_commit"
        | "url"
        | "reviewed_by"
        | "approved_by"
        | "merged_by"
        | "co_authored_by"
        | "all_commits" => None,
        _ => return None,
    };
    Some(known)
}

/// The placeholders of `template`, in order, once each (`%{name}` for a name GitLab knows).
fn placeholders(template: &str) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("%{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find('}') else { break };
        let name = &after[..end];
        if is_known(name) && !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
        rest = &after[end + 1..];
    }
    names
}

fn is_known(name: &str) -> bool {
    matches!(
        name,
        "source_branch"
            | "target_branch"
            | "title"
            | "issues"
            | "description"
            | "reference"
            | "local_reference"
            | "source_project_id"
            | "first_commit"
            | "first_multiline_commit"
            | "url"
            | "reviewed_by"
            | "approved_by"
            | "merged_by"
            | "co_authored_by"
            | "all_commits"
    )
}

/// `template` filled for `mr`, and the placeholders pipesim could not fill (left empty, with a
/// note).
pub(super) fn fill(template: &str, project: &Project, mr: &MergeRequest) -> (String, Vec<String>) {
    let mut message = template.replace('\r', "");
    let names = placeholders(&message);
    let mut unknown = Vec::new();
    let mut values: Vec<(String, String)> = Vec::with_capacity(names.len());
    for name in &names {
        let filled = match value(name, project, mr) {
            Some(Some(v)) => v,
            _ => {
                unknown.push(name.clone());
                String::new()
            }
        };
        values.push((format!("%{{{name}}}"), filled));
    }
    // Lines holding only a blank placeholder go.
    for (placeholder, filled) in &values {
        if !filled.trim().is_empty() {
            continue;
        }
        message = drop_blank_line(&message, placeholder);
    }
    for (placeholder, filled) in &values {
        message = message.replace(placeholder.as_str(), filled);
    }
    (message, unknown)
}

/// `gsub(/\n\n%{x}(\n\n|\Z)/, '\1')`, then `gsub(/^%{x}\n/, '')`.
fn drop_blank_line(message: &str, placeholder: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let pattern = format!("\n\n{placeholder}");
    let mut rest = message;
    while let Some(at) = rest.find(&pattern) {
        let after = &rest[at + pattern.len()..];
        // `\Z`: the end, or a final newline before it.
        let ends = after.is_empty() || after == "\n";
        if let Some(tail) = after.strip_prefix("\n\n") {
            // The match takes the blank line after it too and puts it back (`'\1'`).
            out.push_str(&rest[..at]);
            out.push_str("\n\n");
            rest = tail;
        } else if ends {
            out.push_str(&rest[..at]);
            rest = after;
        } else {
            out.push_str(&rest[..at + pattern.len()]);
            rest = after;
        }
    }
    out.push_str(rest);
    let line = format!("{placeholder}\n");
    let mut result = String::with_capacity(out.len());
    let mut start_of_line = true;
    let mut rest = out.as_str();
    while !rest.is_empty() {
        if start_of_line && rest.starts_with(&line) {
            rest = &rest[line.len()..];
            continue;
        }
        let ch = rest.chars().next().expect("not empty");
        result.push(ch);
        start_of_line = ch == '\n';
        rest = &rest[ch.len_utf8()..];
    }
    result
}

#[cfg(test)]
mod tests {
    use super::{drop_blank_line, fill};
    use crate::event::timeline::{MergeRequest, MergeRequestState};
    use crate::event::Project;

    fn mr(description: &str) -> MergeRequest {
        MergeRequest {
            iid: 4,
            source_branch: "feature".to_owned(),
            target_branch: "main".to_owned(),
            labels: Vec::new(),
            title: "Add a".to_owned(),
            description: description.to_owned(),
            draft: false,
            stated_changes: None,
            state: MergeRequestState::Open,
            squash: false,
            source_project: None,
        }
    }

    #[test]
    fn fills_the_known_placeholders() {
        let project = Project::new("group/app");
        let (text, unknown) = fill(
            "%{title}\r\n\n%{description}\n\nSee %{reference} (%{local_reference}) into %{target_branch}",
            &project,
            &mr("Body [skip ci]"),
        );
        assert_eq!(
            text,
            "Add a\n\nBody [skip ci]\n\nSee group/app!4 (!4) into main"
        );
        assert!(unknown.is_empty());
    }

    #[test]
    fn a_blank_placeholder_takes_its_line() {
        let project = Project::new("group/app");
        let (text, _) = fill(
            "%{title}\n\n%{description}\n\n%{reference}",
            &project,
            &mr(""),
        );
        assert_eq!(text, "Add a\n\ngroup/app!4");
        let (text, _) = fill("%{title}\n\n%{issues}", &project, &mr(""));
        assert_eq!(text, "Add a");
        assert_eq!(drop_blank_line("a\n%{x}\nb", "%{x}"), "a\nb");
    }

    #[test]
    fn unknown_values_are_named() {
        let project = Project::new("group/app");
        let (_, unknown) = fill("%{title}\n%{all_commits}", &project, &mr(""));
        assert_eq!(unknown, vec!["all_commits".to_owned()]);
    }
}
