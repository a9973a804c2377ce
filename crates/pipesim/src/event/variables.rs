//! The predefined variables a pipeline has before any job exists, and why a variable a rule
//! reads may be missing.
//!
//! Sources (gitlabhq/gitlabhq):
//! - app/models/project.rb `predefined_variables` (`predefined_ci_server_variables`,
//!   `predefined_project_variables`, `container_registry_variables`,
//!   `dependency_proxy_variables`, `api_variables`, `ci_template_variables`);
//! - lib/gitlab/ci/variables/builder/pipeline.rb `predefined_variables` (pipeline, commit, tag,
//!   merge request variables, `CI_OPEN_MERGE_REQUESTS`), read at 0286e4c6;
//! - app/models/merge_request.rb `predefined_variables` and `source_project_variables`;
//! - lib/gitlab/ci/variables/builder.rb (`user_variables`, `CI_PIPELINE_TRIGGERED`);
//! - DOC ci/variables/where_variables_can_be_used.md "Persisted variables".
//!
//! Values GitLab takes from the instance or the database (ids, versions, host names, the user)
//! are fixed fakes here, chosen once so that every run gives the same output.

use super::{MergeRequestPipelineKind, PipelineRequest, Project, RefKind, Source};

/// `Gitlab::Git::BLANK_SHA`: the before-SHA of new refs, MR pipelines and non-push pipelines.
pub const ZERO_SHA: &str = "0000000000000000000000000000000000000000";

/// Fake database ids and instance facts (GitLab reads them from its database and gitlab.yml).
pub const PROJECT_ID: u64 = 1000;
pub const NAMESPACE_ID: u64 = 100;
pub const SERVER_VERSION: (u32, u32, u32) = (18, 7, 0);
pub const USER_ID: u64 = 1;
pub const USER_LOGIN: &str = "pipesim-user";
pub const USER_NAME: &str = "Pipesim User";
pub const USER_EMAIL: &str = "pipesim-user@example.com";

/// `CI_MERGE_REQUEST_ID`: the global database id of merge request `iid` (fake).
/// `CI_SERVER_FQDN` of a server URL (host and port).
pub fn server_fqdn(server_url: &str) -> String {
    Server::parse(server_url).host_with_port()
}

pub fn merge_request_id(iid: u64) -> u64 {
    10_000 + iid
}

/// `CI_PROJECT_ID` (fake): [`PROJECT_ID`] for every project, except that a fork gets one of its
/// own so that a merge request from it names two projects.
pub fn project_id(project: &Project) -> u64 {
    if project.fork_of.is_some() {
        fork_project_id(&project.path)
    } else {
        PROJECT_ID
    }
}

/// The (fake) id of the fork at `path`: 2000 to 2999, the same for the same path.
pub fn fork_project_id(path: &str) -> u64 {
    // FNV-1a: stable across runs and platforms.
    let hash = path.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    2000 + hash % 1000
}

/// The predefined variables of the pipeline `request` asks for, in this order:
///
/// 1. the project's predefined variables (app/models/project.rb `predefined_variables`:
///    `CI`, `GITLAB_CI`, `CI_SERVER_*`, `CI_PROJECT_*`, `CI_DEFAULT_BRANCH`, `CI_CONFIG_PATH`,
///    registry, dependency proxy and API URLs), in GitLab's order;
/// 2. the pipeline's (builder/pipeline.rb): `CI_PIPELINE_*`, `CI_COMMIT_*`, the tag variables
///    (tag pipelines), the `CI_MERGE_REQUEST_*` variables (merge request pipelines) and
///    `CI_OPEN_MERGE_REQUESTS` (when an open merge request uses this branch as its source);
/// 3. the user's (`GITLAB_USER_*`, builder.rb `user_variables`);
/// 4. `CI_PIPELINE_TRIGGERED` and `CI_TRIGGER_SHORT_TOKEN` for trigger pipelines.
///
/// `CI_PIPELINE_NAME` is not included: GitLab sets it from `workflow:name`, which the pipeline
/// layer evaluates. Job variables (`CI_JOB_*`, `CI_NODE_*`) and persisted variables
/// (`CI_PIPELINE_ID`, `CI_JOB_TOKEN`...) are not included either.
pub fn predefined(
    project: &Project,
    request: &PipelineRequest,
    pipeline_iid: u64,
) -> Vec<(String, String)> {
    let mut out = Vars::default();
    project_variables(project, &mut out);
    pipeline_variables(project, request, pipeline_iid, &mut out);
    // builder.rb `user_variables(job.user)`: the user who started the pipeline.
    out.push("GITLAB_USER_ID", USER_ID.to_string());
    out.push("GITLAB_USER_EMAIL", USER_EMAIL);
    out.push("GITLAB_USER_LOGIN", USER_LOGIN);
    out.push("GITLAB_USER_NAME", USER_NAME);
    if request.source == Source::Trigger {
        // builder.rb `predefined_variables_from_job_attr`: set when the pipeline has a trigger
        // request. The short token is the first characters of the trigger token (fake here).
        out.push("CI_PIPELINE_TRIGGERED", "true");
        out.push("CI_TRIGGER_SHORT_TOKEN", "a1b2");
    }
    out.0
}

#[derive(Default)]
struct Vars(Vec<(String, String)>);

impl Vars {
    fn push(&mut self, key: &str, value: impl Into<String>) {
        self.0.push((key.to_owned(), value.into()));
    }
}

/// The instance URL split the way gitlab.yml describes it.
struct Server {
    url: String,
    protocol: String,
    host: String,
    port: u16,
}

impl Server {
    fn parse(server_url: &str) -> Server {
        let url = server_url.trim_end_matches('/').to_owned();
        let (protocol, rest) = match url.split_once("://") {
            Some((p, rest)) => (p.to_ascii_lowercase(), rest),
            None => ("https".to_owned(), url.as_str()),
        };
        let authority = rest.split('/').next().unwrap_or("");
        let default_port = if protocol == "http" { 80 } else { 443 };
        let (host, port) = match authority.rsplit_once(':') {
            Some((h, p)) => match p.parse::<u16>() {
                Ok(port) => (h.to_owned(), port),
                Err(_) => (authority.to_owned(), default_port),
            },
            None => (authority.to_owned(), default_port),
        };
        Server {
            url,
            protocol,
            host,
            port,
        }
    }

    /// `Gitlab.host_with_port`: the port only when it is not the protocol's default.
    fn host_with_port(&self) -> String {
        let default = if self.protocol == "http" { 80 } else { 443 };
        if self.port == default {
            self.host.clone()
        } else {
            format!("{}:{}", self.host, self.port)
        }
    }
}

/// app/models/project.rb `predefined_variables`.
fn project_variables(project: &Project, out: &mut Vars) {
    let server = Server::parse(&project.server_url);
    let (major, minor, patch) = SERVER_VERSION;
    // predefined_ci_server_variables
    out.push("CI", "true");
    out.push("GITLAB_CI", "true");
    out.push("CI_SERVER_FQDN", server.host_with_port());
    out.push("CI_SERVER_URL", server.url.clone());
    out.push("CI_SERVER_HOST", server.host.clone());
    out.push("CI_SERVER_PORT", server.port.to_string());
    out.push("CI_SERVER_PROTOCOL", server.protocol.clone());
    out.push("CI_SERVER_SHELL_SSH_HOST", server.host.clone());
    out.push("CI_SERVER_SHELL_SSH_PORT", "22");
    out.push("CI_SERVER_NAME", "GitLab");
    out.push("CI_SERVER_VERSION", format!("{major}.{minor}.{patch}"));
    out.push("CI_SERVER_VERSION_MAJOR", major.to_string());
    out.push("CI_SERVER_VERSION_MINOR", minor.to_string());
    out.push("CI_SERVER_VERSION_PATCH", patch.to_string());
    out.push("CI_SERVER_REVISION", &fake_sha("gitlab-revision")[..11]);

    // predefined_project_variables
    let path = project.path.trim_matches('/');
    let (namespace, name) = match path.rsplit_once('/') {
        Some((ns, name)) => (ns, name),
        None => ("", path),
    };
    let root_namespace = namespace.split('/').next().unwrap_or("");
    let project_url = format!("{}/{}", server.url, path);
    // GITLAB_FEATURES lists the licensed features: none on Free; pipesim does not model the
    // paid list (UNCONFIRMED which names a paid tier lists).
    out.push("GITLAB_FEATURES", "");
    out.push("CI_PROJECT_ID", project_id(project).to_string());
    out.push("CI_PROJECT_NAME", name);
    out.push("CI_PROJECT_TITLE", name);
    out.push("CI_PROJECT_DESCRIPTION", "");
    out.push("CI_PROJECT_PATH", path);
    out.push("CI_PROJECT_PATH_SLUG", slug(path));
    out.push("CI_PROJECT_NAMESPACE", namespace);
    out.push("CI_PROJECT_NAMESPACE_ID", NAMESPACE_ID.to_string());
    out.push("CI_PROJECT_ROOT_NAMESPACE", root_namespace);
    out.push("CI_PROJECT_URL", project_url);
    // New projects are private by default.
    out.push("CI_PROJECT_VISIBILITY", "private");
    out.push("CI_PROJECT_REPOSITORY_LANGUAGES", "");
    out.push("CI_DEFAULT_BRANCH", project.default_branch.clone());
    out.push("CI_CONFIG_PATH", ".gitlab-ci.yml");

    // container_registry_variables (the registry is enabled on GitLab.com).
    let registry = format!("registry.{}", server.host);
    out.push("CI_REGISTRY", registry.clone());
    out.push(
        "CI_REGISTRY_IMAGE",
        format!("{registry}/{}", path.to_lowercase()),
    );
    // dependency_proxy_variables (enabled by default in gitlab.yml).
    let host = server.host_with_port();
    out.push("CI_DEPENDENCY_PROXY_SERVER", host.clone());
    out.push(
        "CI_DEPENDENCY_PROXY_GROUP_IMAGE_PREFIX",
        format!(
            "{host}/{}/dependency_proxy/containers",
            root_namespace.to_lowercase()
        ),
    );
    out.push(
        "CI_DEPENDENCY_PROXY_DIRECT_GROUP_IMAGE_PREFIX",
        format!(
            "{host}/{}/dependency_proxy/containers",
            namespace.to_lowercase()
        ),
    );
    // api_variables, ci_template_variables
    out.push("CI_API_V4_URL", format!("{}/api/v4", server.url));
    out.push("CI_API_GRAPHQL_URL", format!("{}/api/graphql", server.url));
    out.push("CI_TEMPLATE_REGISTRY_HOST", "registry.gitlab.com");
}

/// lib/gitlab/ci/variables/builder/pipeline.rb `predefined_variables`.
fn pipeline_variables(
    project: &Project,
    request: &PipelineRequest,
    pipeline_iid: u64,
    out: &mut Vars,
) {
    // predefined_pipeline_variables
    out.push("CI_PIPELINE_IID", pipeline_iid.to_string());
    out.push("CI_PIPELINE_SOURCE", request.source.as_str());
    out.push("CI_PIPELINE_CREATED_AT", timestamp(request.time));
    if request.source == Source::Schedule {
        out.push(
            "CI_PIPELINE_SCHEDULE_DESCRIPTION",
            request.schedule_description.clone().unwrap_or_default(),
        );
    }

    // predefined_commit_variables
    let message = &request.commit_message;
    out.push("CI_COMMIT_SHA", request.sha.clone());
    out.push("CI_COMMIT_SHORT_SHA", short_sha(&request.sha));
    out.push("CI_COMMIT_BEFORE_SHA", request.before_sha.clone());
    out.push("CI_COMMIT_REF_NAME", request.ref_short.clone());
    out.push("CI_COMMIT_REF_SLUG", slug(&request.ref_short));
    // `CI_COMMIT_BRANCH` only if `pipeline.branch?`, which is `!tag? && !merge_request?`
    // (app/models/concerns/ci/has_ref.rb).
    if request.ref_kind == RefKind::Branch {
        out.push("CI_COMMIT_BRANCH", request.ref_name.clone());
    }
    out.push("CI_COMMIT_MESSAGE", message.clone());
    // Added with the 100 KB message limit (builder/pipeline.rb at 0286e4c6).
    out.push("CI_COMMIT_MESSAGE_IS_TRUNCATED", "false");
    out.push("CI_COMMIT_TITLE", commit_title(message));
    out.push("CI_COMMIT_DESCRIPTION", commit_description(message));
    out.push(
        "CI_COMMIT_REF_PROTECTED",
        request
            .commit_ref_protected
            .unwrap_or(request.protected)
            .to_string(),
    );
    out.push("CI_COMMIT_TIMESTAMP", timestamp(request.time));
    out.push("CI_COMMIT_AUTHOR", format!("{USER_NAME} <{USER_EMAIL}>"));

    // predefined_commit_tag_variables: a lightweight tag has an empty message.
    if request.ref_kind == RefKind::Tag {
        out.push("CI_COMMIT_TAG", request.ref_name.clone());
        out.push("CI_COMMIT_TAG_MESSAGE", "");
    }

    // predefined_merge_request_variables, then MergeRequest#predefined_variables.
    if let Some(mr) = &request.merge_request {
        let server = Server::parse(&project.server_url);
        let path = project.path.trim_matches('/');
        // The merge request's project is its target; a fork's merge request names both
        // projects wherever its pipeline runs.
        let (target_path, target_id, target_protected, source_path, source_id, source_protected) =
            match &mr.fork {
                Some(fork) => (
                    fork.target_path.as_str(),
                    fork.target_id,
                    fork.target_branch_protected,
                    fork.source_path.as_str(),
                    fork.source_id,
                    fork.source_branch_protected,
                ),
                None => (
                    path,
                    PROJECT_ID,
                    branch_protected(project, &mr.target_branch),
                    path,
                    PROJECT_ID,
                    branch_protected(project, &mr.source_branch),
                ),
            };
        let project_url = format!("{}/{}", server.url, target_path);
        let source_url = format!("{}/{}", server.url, source_path);
        out.push("CI_MERGE_REQUEST_EVENT_TYPE", mr.kind.as_str());
        // `pipeline.source_sha` / `target_sha`: nil, so "", in detached pipelines.
        let (source_sha, target_sha) = match mr.kind {
            MergeRequestPipelineKind::Detached => (String::new(), String::new()),
            _ => merged_result_shas(&request.sha),
        };
        out.push("CI_MERGE_REQUEST_SOURCE_BRANCH_SHA", source_sha);
        out.push("CI_MERGE_REQUEST_TARGET_BRANCH_SHA", target_sha);
        out.push(
            "CI_MERGE_REQUEST_DIFF_ID",
            (20_000 + request.event as u64).to_string(),
        );
        out.push(
            "CI_MERGE_REQUEST_DIFF_BASE_SHA",
            merge_base_sha(mr.iid, &mr.target_branch),
        );
        out.push("CI_MERGE_REQUEST_ID", merge_request_id(mr.iid).to_string());
        out.push("CI_MERGE_REQUEST_IID", mr.iid.to_string());
        out.push(
            "CI_MERGE_REQUEST_REF_PATH",
            format!("refs/merge-requests/{}/head", mr.iid),
        );
        out.push("CI_MERGE_REQUEST_PROJECT_ID", target_id.to_string());
        out.push("CI_MERGE_REQUEST_PROJECT_PATH", target_path);
        out.push("CI_MERGE_REQUEST_PROJECT_URL", project_url);
        out.push(
            "CI_MERGE_REQUEST_TARGET_BRANCH_NAME",
            mr.target_branch.clone(),
        );
        out.push(
            "CI_MERGE_REQUEST_TARGET_BRANCH_PROTECTED",
            target_protected.to_string(),
        );
        out.push("CI_MERGE_REQUEST_TITLE", mr.title.clone());
        // `work_in_progress?.to_s` (merge_request.rb at 0016ea05).
        out.push("CI_MERGE_REQUEST_DRAFT", mr.draft.to_string());
        let (description, truncated) = truncate_description(&mr.description);
        out.push("CI_MERGE_REQUEST_DESCRIPTION", description);
        out.push(
            "CI_MERGE_REQUEST_DESCRIPTION_IS_TRUNCATED",
            truncated.to_string(),
        );
        // ASSIGNEES and MILESTONE: only when present; pipesim's merge requests have neither.
        if !mr.labels.is_empty() {
            let mut labels = mr.labels.clone();
            crate::sort::sort_by(&mut labels, String::cmp);
            out.push("CI_MERGE_REQUEST_LABELS", labels.join(","));
        }
        out.push("CI_MERGE_REQUEST_SQUASH_ON_MERGE", "false");
        // source_project_variables: the fork for a merge request from one.
        out.push("CI_MERGE_REQUEST_SOURCE_PROJECT_ID", source_id.to_string());
        out.push("CI_MERGE_REQUEST_SOURCE_PROJECT_PATH", source_path);
        out.push("CI_MERGE_REQUEST_SOURCE_PROJECT_URL", source_url);
        out.push(
            "CI_MERGE_REQUEST_SOURCE_BRANCH_NAME",
            mr.source_branch.clone(),
        );
        out.push(
            "CI_MERGE_REQUEST_SOURCE_BRANCH_PROTECTED",
            source_protected.to_string(),
        );
    }

    // `open_merge_requests_refs` (app/models/ci/pipeline.rb): open MRs whose source is this
    // branch, at most 4, newest first; for MR pipelines the MRs of the same source branch.
    if !request.open_merge_requests.is_empty() {
        out.push(
            "CI_OPEN_MERGE_REQUESTS",
            request.open_merge_requests.join(","),
        );
    }
}

/// `CI_MERGE_REQUEST_SOURCE_BRANCH_SHA` and `_TARGET_BRANCH_SHA` of a merged results or merge
/// train pipeline whose merge commit is `merge_sha`. `PipelineRequest` does not carry the two
/// heads, so they are derived from the merge commit (stable, but not equal to the branch
/// pipelines' `CI_COMMIT_SHA`).
pub fn merged_result_shas(merge_sha: &str) -> (String, String) {
    (
        fake_sha(&format!("{merge_sha}:source")),
        fake_sha(&format!("{merge_sha}:target")),
    )
}

/// `CI_MERGE_REQUEST_DIFF_BASE_SHA` (fake): the merge base of the MR's diff.
pub fn merge_base_sha(iid: u64, target_branch: &str) -> String {
    fake_sha(&format!("merge-base:!{iid}:{target_branch}"))
}

/// `CI_MERGE_REQUEST_DESCRIPTION_MAX_LENGTH` (merge_request.rb) and `truncate_mr_description`:
/// ActiveSupport `truncate(2700)` ends the text with "..." within the limit.
fn truncate_description(description: &str) -> (String, bool) {
    const MAX: usize = 2700;
    if description.chars().count() <= MAX {
        return (description.to_owned(), false);
    }
    let kept: String = description.chars().take(MAX - 3).collect();
    (format!("{kept}..."), true)
}

/// `Commit#short_id`/`pipeline.short_sha`: the first 8 characters.
pub fn short_sha(sha: &str) -> String {
    sha.chars().take(8).collect()
}

/// `Commit#full_title` (app/models/commit.rb): the first line, or "--no commit message".
pub fn commit_title(message: &str) -> String {
    if message.trim().is_empty() {
        return "--no commit message".to_owned();
    }
    message.split('\n').next().unwrap_or("").to_owned()
}

/// `Commit#description` (app/models/commit.rb): the message after the first line (chomped);
/// when the first line is longer than 100 characters, "…" and the message from character 80.
pub fn commit_description(message: &str) -> String {
    let title_end = message.find('\n').map(|i| message[..i].chars().count());
    let length = message.chars().count();
    let long = match title_end {
        None => length > 100,
        Some(end) => end > 100,
    };
    if long {
        let rest: String = message.chars().skip(80).collect();
        return format!("…{rest}");
    }
    match message.split_once('\n') {
        Some((_, rest)) => rest
            .strip_suffix("\r\n")
            .or_else(|| rest.strip_suffix('\n'))
            .unwrap_or(rest)
            .to_owned(),
        None => String::new(),
    }
}

/// A fixed, made-up clock: event `n` happens `n` minutes after 2025-01-01T00:00:00Z, in the
/// ISO 8601 form GitLab prints (`created_at.iso8601`).
pub fn timestamp(seconds: u64) -> String {
    // Days since 1970-01-01 of 2025-01-01, then the civil date (Howard Hinnant's algorithm).
    const START_DAYS: i64 = 20089;
    let days = START_DAYS + (seconds / 86_400) as i64;
    let rest = seconds % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rest / 3600,
        (rest / 60) % 60,
        rest % 60
    )
}

/// Is `branch` protected in `project` (exact name or `*` wildcard pattern)?
pub fn branch_protected(project: &Project, branch: &str) -> bool {
    project
        .settings
        .protected_branches
        .iter()
        .any(|pattern| ref_matches(pattern, branch))
}

/// Is `tag` protected in `project`?
pub fn tag_protected(project: &Project, tag: &str) -> bool {
    project
        .settings
        .protected_tags
        .iter()
        .any(|pattern| ref_matches(pattern, tag))
}

/// GitLab's `RefMatcher#matches?`: an exact name, or a pattern where each `*` matches any
/// characters, `/` included (`split('*')`, quoted, joined with `.*?`, anchored).
pub fn ref_matches(pattern: &str, name: &str) -> bool {
    if pattern.is_empty() {
        return false;
    }
    if pattern == name {
        return true;
    }
    if !pattern.contains('*') {
        return false;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let first = parts[0];
    let last = parts[parts.len() - 1];
    if !name.starts_with(first) || name.len() < first.len() + last.len() || !name.ends_with(last) {
        return false;
    }
    let mut rest = &name[first.len()..name.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// `Gitlab::Utils.slugify` (gems/gitlab-utils/lib/gitlab/utils.rb), used for
/// `CI_COMMIT_REF_SLUG` and `CI_PROJECT_PATH_SLUG`: lowercased, every character outside
/// `[a-z0-9]` replaced by `-`, cut to 63 characters, leading and trailing `-` removed.
pub fn slug(s: &str) -> String {
    // Names and refs are nearly always ASCII: one pass over the bytes, one allocation.
    if s.is_ascii() {
        let mut out = String::with_capacity(s.len().min(63));
        for b in s.bytes().take(63) {
            let c = b.to_ascii_lowercase();
            out.push(if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c as char
            } else {
                '-'
            });
        }
        let end = out.trim_end_matches('-').len();
        out.truncate(end);
        let start = out.len() - out.trim_start_matches('-').len();
        out.drain(..start);
        return out;
    }
    slug_any(s)
}

/// [`slug`] for any text: Unicode lowercasing may change the number of characters.
fn slug_any(s: &str) -> String {
    let replaced: String = s
        .to_lowercase()
        .chars()
        .map(|c| {
            if c.is_ascii_lowercase() || c.is_ascii_digit() {
                c
            } else {
                '-'
            }
        })
        .take(63)
        .collect();
    replaced.trim_matches('-').to_owned()
}

/// `Gitlab::Utils::Job.group_name` (lib/gitlab/utils/job.rb), `CI_JOB_GROUP_NAME`: the job name
/// without up to three trailing `[matrix values]` or `index/total` parts, each after spaces or
/// colons, then stripped. `rspec 1/2` and `build: [ruby, 3]` give `rspec` and `build`.
pub fn job_group_name(name: &str) -> String {
    // Every suffix starts after a space, a colon or a control character: most names have
    // none and are only stripped.
    if !name
        .bytes()
        .any(|b| b == b' ' || b == b':' || (b'\x08'..=b'\r').contains(&b))
    {
        return name.trim().to_owned();
    }
    static SUFFIX: std::sync::OnceLock<Option<regex::Regex>> = std::sync::OnceLock::new();
    // Ruby's `[\b\s:]` is backspace, whitespace or colon; `\z` is the end of the text. Ruby's
    // `\s` and `\d` are ASCII, spelled out here (the regex crate is built without Unicode Perl
    // classes, as RE2 has none).
    let suffix = SUFFIX.get_or_init(|| {
        regex::Regex::new(
            r"([\x08\t\n\x0B\x0C\r :]+((\[.*\])|([0-9]+[\t\n\x0B\x0C\r :/\\]+[0-9]+))){1,3}[\t\n\x0B\x0C\r ]*\z",
        )
        .ok()
    });
    let stripped = match suffix {
        Some(re) => re.replacen(name, 1, ""),
        None => std::borrow::Cow::Borrowed(name),
    };
    stripped.trim().to_owned()
}

/// A made-up but stable commit SHA: 40 hex digits from three FNV-1a hashes of `seed`.
pub fn fake_sha(seed: &str) -> String {
    let mut out = String::with_capacity(48);
    for round in 0u8..3 {
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for byte in [round, b':'].iter().chain(seed.as_bytes()) {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        }
        out.push_str(&format!("{hash:016x}"));
    }
    out.truncate(40);
    out
}

/// Variables GitLab adds only when a job is persisted or picked up by a runner
/// (DOC ci/variables/where_variables_can_be_used.md "Persisted variables"; app/models/ci/build.rb
/// `persisted_variables`; app/models/ci/pipeline.rb `persisted_variables`).
const PERSISTED: &[&str] = &[
    "CI_PIPELINE_ID",
    "CI_PIPELINE_URL",
    "CI_JOB_ID",
    "CI_JOB_URL",
    "CI_JOB_TOKEN",
    "CI_JOB_STARTED_AT",
    "CI_BUILD_ID",
    "CI_BUILD_TOKEN",
    "CI_REGISTRY_USER",
    "CI_REGISTRY_PASSWORD",
    "CI_REPOSITORY_URL",
    "CI_DEPLOY_USER",
    "CI_DEPLOY_PASSWORD",
    "CI_DEPENDENCY_PROXY_USER",
    "CI_DEPENDENCY_PROXY_PASSWORD",
    "CI_JOB_JWT",
    "CI_JOB_JWT_V1",
    "CI_JOB_JWT_V2",
];

/// Variables the runner sets on the machine that runs the job ("Job-only" in
/// DOC ci/variables/predefined_variables.md).
const RUNNER_ONLY: &[&str] = &[
    "CI_BUILDS_DIR",
    "CI_PROJECT_DIR",
    "CI_JOB_STATUS",
    "CI_JOB_TIMEOUT",
    "CI_CONCURRENT_ID",
    "CI_CONCURRENT_PROJECT_ID",
    "CI_DISPOSABLE_ENVIRONMENT",
    "CI_SHARED_ENVIRONMENT",
    "CI_SERVER_TLS_CA_FILE",
    "CI_SERVER_TLS_CERT_FILE",
    "CI_SERVER_TLS_KEY_FILE",
    "CI_DEBUG_TRACE",
    "CI_DEBUG_SERVICES",
];

/// Why the variable `name`, which a rule reads, is not set (or is empty) in the pipeline of
/// `request`, in words a trainee understands. `None` when the variable is set there or when
/// pipesim knows no reason.
pub fn absence_reason(name: &str, request: &PipelineRequest) -> Option<String> {
    let kind = pipeline_kind(request);
    if PERSISTED.contains(&name) {
        return Some(format!(
            "{name} only exists once a job runs; rules, workflow:rules and include:rules never \
             see it (GitLab docs: \"Persisted variables\")"
        ));
    }
    if RUNNER_ONLY.contains(&name) || name.starts_with("CI_RUNNER_") {
        return Some(format!(
            "{name} is set by the runner when the job runs; rules never see it"
        ));
    }
    if name.starts_with("CI_MERGE_REQUEST_") {
        return merge_request_reason(name, request, &kind);
    }
    if name.starts_with("CI_EXTERNAL_PULL_REQUEST_") {
        return Some(format!(
            "{name} only exists in external pull request pipelines (GitHub repositories \
             connected to GitLab CI/CD); this is {kind}"
        ));
    }
    let reason = match name {
        "CI_COMMIT_BRANCH" => match request.ref_kind {
            RefKind::MergeRequest => "merge request pipelines have no CI_COMMIT_BRANCH; use \
                 CI_MERGE_REQUEST_SOURCE_BRANCH_NAME or CI_COMMIT_REF_NAME"
                .to_owned(),
            RefKind::Tag => "tag pipelines have no CI_COMMIT_BRANCH; use CI_COMMIT_TAG or \
                             CI_COMMIT_REF_NAME"
                .to_owned(),
            RefKind::Branch => return None,
        },
        "CI_COMMIT_TAG" | "CI_COMMIT_TAG_MESSAGE" => match request.ref_kind {
            RefKind::Tag => return None,
            _ => format!("{name} is only set in pipelines for a tag; this is {kind}"),
        },
        "CI_OPEN_MERGE_REQUESTS" => {
            if !request.open_merge_requests.is_empty() {
                return None;
            }
            match request.ref_kind {
                RefKind::Tag => "CI_OPEN_MERGE_REQUESTS lists the open merge requests whose \
                                 source branch is the pipeline's branch; a tag pipeline has none"
                    .to_owned(),
                _ => format!(
                    "no open merge request has {} as its source branch, so GitLab does not set \
                     CI_OPEN_MERGE_REQUESTS",
                    request.ref_short
                ),
            }
        }
        "CI_PIPELINE_SCHEDULE_DESCRIPTION" => {
            if request.source == Source::Schedule {
                return None;
            }
            format!("only scheduled pipelines have {name}; this is {kind}")
        }
        "CI_PIPELINE_TRIGGERED" | "CI_TRIGGER_SHORT_TOKEN" => {
            if request.source == Source::Trigger {
                return None;
            }
            format!("{name} is only set in pipelines created with a trigger token; this is {kind}")
        }
        "CI_PIPELINE_NAME" => "CI_PIPELINE_NAME is only set when workflow:name gives the \
                               pipeline a name"
            .to_owned(),
        "CI_RELEASE_DESCRIPTION" => {
            "CI_RELEASE_DESCRIPTION is only set in a tag pipeline when a release exists for \
             the tag"
                .to_owned()
        }
        "CI_KUBERNETES_ACTIVE" => "CI_KUBERNETES_ACTIVE is only set when the project has a \
                                   Kubernetes deployment platform; pipesim models none"
            .to_owned(),
        "CI_DEPLOY_FREEZE" => "CI_DEPLOY_FREEZE is only set during a deploy freeze period; \
                               pipesim models none"
            .to_owned(),
        "CI_NODE_INDEX" => {
            "CI_NODE_INDEX is only set in jobs that use parallel; workflow:rules never see it"
                .to_owned()
        }
        "CI_ENVIRONMENT_NAME"
        | "CI_ENVIRONMENT_ACTION"
        | "CI_ENVIRONMENT_TIER"
        | "CI_ENVIRONMENT_URL" => {
            format!("{name} is only set for a job with environment:; workflow:rules never see it")
        }
        "CI_ENVIRONMENT_SLUG" => "CI_ENVIRONMENT_SLUG only exists once the job's environment \
                                  is created, when the job runs; rules never see it"
            .to_owned(),
        _ if name.starts_with("CI_JOB_") || name.starts_with("CI_BUILD_") => format!(
            "{name} describes a job: job rules see it, workflow:rules and include:rules do not"
        ),
        _ => return None,
    };
    Some(reason)
}

fn merge_request_reason(name: &str, request: &PipelineRequest, kind: &str) -> Option<String> {
    let Some(mr) = &request.merge_request else {
        return Some(format!(
            "{name} only exists in merge request pipelines \
             (CI_PIPELINE_SOURCE == \"merge_request_event\"); this is {kind}"
        ));
    };
    let detached = mr.kind == MergeRequestPipelineKind::Detached;
    let reason = match name {
        "CI_MERGE_REQUEST_LABELS" if mr.labels.is_empty() => format!(
            "merge request !{} has no labels, so GitLab does not set CI_MERGE_REQUEST_LABELS",
            mr.iid
        ),
        "CI_MERGE_REQUEST_SOURCE_BRANCH_SHA" | "CI_MERGE_REQUEST_TARGET_BRANCH_SHA" if detached => {
            format!(
                "{name} is set but empty in a detached merge request pipeline; only merged \
                 results and merge train pipelines (Premium) fill it"
            )
        }
        "CI_MERGE_REQUEST_ASSIGNEES" => format!(
            "{name} is only set when the merge request has assignees; pipesim's merge requests \
             have none"
        ),
        "CI_MERGE_REQUEST_MILESTONE" => format!(
            "{name} is only set when the merge request has a milestone; pipesim's merge \
             requests have none"
        ),
        "CI_MERGE_REQUEST_APPROVED" => format!(
            "{name} is only set when the merge request is approved (Premium); pipesim does not \
             model approvals"
        ),
        _ => return None,
    };
    Some(reason)
}

/// "a push pipeline for branch main", for reasons.
fn pipeline_kind(request: &PipelineRequest) -> String {
    match request.ref_kind {
        RefKind::MergeRequest => {
            let kind = request
                .merge_request
                .as_ref()
                .map(|mr| mr.kind.as_str().replace('_', " "))
                .unwrap_or_else(|| "merge request".to_owned());
            format!(
                "a {kind} merge request pipeline (source branch {})",
                request.ref_short
            )
        }
        RefKind::Tag => format!(
            "a {} pipeline for tag {}",
            request.source.as_str(),
            request.ref_name
        ),
        RefKind::Branch => format!(
            "a {} pipeline for branch {}",
            request.source.as_str(),
            request.ref_name
        ),
    }
}

/// `Gitlab::Ci::Pipeline::Chain::Skip::SKIP_PATTERN`: `/\[(ci[ _-]skip|skip[ _-]ci)\]/i`.
pub fn skips_ci(message: &str) -> bool {
    let lower = message.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let sep = |b: u8| b == b' ' || b == b'_' || b == b'-';
    for i in 0..bytes.len() {
        if bytes[i] != b'[' || i + 9 > bytes.len() {
            continue;
        }
        let w = &bytes[i + 1..i + 9];
        let ci_skip = &w[..2] == b"ci" && sep(w[2]) && &w[3..7] == b"skip";
        let skip_ci = &w[..4] == b"skip" && sep(w[4]) && &w[5..7] == b"ci";
        if (ci_skip || skip_ci) && w[7] == b']' {
            return true;
        }
    }
    false
}

#[cfg(test)]
mod slug_tests {
    /// The ASCII fast path of `slug` gives what the general path gives.
    #[test]
    fn ascii_path_agrees_with_the_general_one() {
        let mut seed = 11u64;
        let alphabet = b"aZ09-_/. :Mx-";
        for round in 0..2000 {
            let len = (crate::sort::tests::lcg(&mut seed) % 90) as usize + round % 2;
            let text: String = (0..len)
                .map(|_| {
                    alphabet[(crate::sort::tests::lcg(&mut seed) as usize) % alphabet.len()] as char
                })
                .collect();
            assert_eq!(super::slug(&text), super::slug_any(&text), "{text:?}");
        }
    }
}
