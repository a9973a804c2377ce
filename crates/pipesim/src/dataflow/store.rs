//! What earlier pipelines of the timeline left behind: each job that ran, on which pipeline and
//! ref, its artifact paths and dotenv variables. `needs:project` and the explanations of
//! cross-pipeline breaks read it.
//!
//! Source: ee/app/models/ee/ci/build_dependencies.rb (`needs:project` picks
//! `Ci::Build.latest.success.max_build_id_by(job, ref, project)`), doc/ci/yaml/_index.md
//! needs:project.

/// One job of an earlier pipeline.
#[derive(Clone, Debug)]
pub struct StoredJob {
    /// The project's path.
    pub project: std::rc::Rc<str>,
    pub pipeline: u64,
    pub event: usize,
    pub source: String,
    /// The job's ref: the pipeline's ref (`refs/merge-requests/1/head` in an MR pipeline).
    pub ref_name: String,
    pub job: String,
    /// Whether the job is assumed to have succeeded (manual jobs that nobody played did not run).
    pub succeeded: bool,
    pub artifact_paths: Vec<String>,
    pub dotenv: Vec<(String, Option<String>)>,
    /// When the job's artifacts were uploaded, in seconds since the scenario's start.
    pub created_at: u64,
    /// `artifacts:expire_in` reached at this time; `None`: never.
    pub expire_at: Option<u64>,
    /// The `expire_in` as written, for explanations.
    pub expire_in: String,
}

/// One earlier pipeline: whether it succeeded decides which artifacts "keep latest" protects.
#[derive(Clone, Debug)]
pub struct StoredPipeline {
    /// The project's path.
    pub project: String,
    pub id: u64,
    pub ref_name: String,
    pub succeeded: bool,
    /// The parent pipeline of a child pipeline.
    pub parent: Option<u64>,
}

#[derive(Clone, Debug, Default)]
pub struct Store {
    jobs: Vec<StoredJob>,
    pipelines: Vec<StoredPipeline>,
    /// The size of the parent/child tree being simulated (`hierarchy::admit`).
    pub(super) tree: super::hierarchy::TreeSize,
}

impl Store {
    /// The parent/child tree's counts now, to analyse a pipeline again from them.
    pub fn tree_mark(&self) -> super::hierarchy::TreeMark {
        self.tree.mark()
    }

    pub fn tree_reset(&self, mark: super::hierarchy::TreeMark) {
        self.tree.reset(mark);
    }

    /// See `TreeSize::release`.
    pub fn tree_release(&self, pipelines: usize, jobs: usize, nodes: usize) {
        self.tree.release(pipelines, jobs, nodes);
    }

    pub fn record(&mut self, job: StoredJob) {
        self.jobs.push(job);
    }

    pub fn record_pipeline(&mut self, pipeline: StoredPipeline) {
        self.pipelines.push(pipeline);
    }

    /// Drops what pipeline `id` left, to record it again after its data flow changed.
    pub fn forget_pipeline(&mut self, id: u64) {
        self.jobs.retain(|j| j.pipeline != id);
        self.pipelines.retain(|p| p.id != id);
    }

    /// The root of the parent/child hierarchy a pipeline belongs to (`Ci::Pipeline#root_ancestor`),
    /// starting from `parent` (the pipeline's own parent, or `None` for a root `id`).
    pub fn root_of(&self, id: u64, parent: Option<u64>) -> u64 {
        let (mut root, mut next) = (id, parent);
        // Each step goes to an earlier recorded pipeline; the bound keeps any input finite.
        for _ in 0..=self.pipelines.len() {
            let Some(up) = next else { break };
            root = up;
            next = self
                .pipelines
                .iter()
                .find(|p| p.id == up)
                .and_then(|p| p.parent);
        }
        root
    }

    /// Whether pipeline `other` is in the hierarchy whose root is `root`
    /// (`Ci::Pipeline#same_family_pipeline_ids`: the root and all its descendants).
    pub fn in_family(&self, other: u64, root: u64) -> bool {
        let parent = self
            .pipelines
            .iter()
            .find(|p| p.id == other)
            .and_then(|p| p.parent);
        self.root_of(other, parent) == root
    }

    /// "Keep artifacts from most recent successful jobs": the newest successful pipeline of a
    /// ref keeps its artifacts past `expire_in` (doc/ci/jobs/job_artifacts.md).
    pub fn is_latest_successful(&self, project: &str, pipeline: u64, ref_name: &str) -> bool {
        self.pipelines
            .iter()
            .filter(|p| p.ref_name == ref_name && p.succeeded && p.project == project)
            .map(|p| p.id)
            .max()
            == Some(pipeline)
    }

    /// `needs:project`: the successful job of `project` with that name and the highest id
    /// whose ref equals `ref_name`.
    pub fn latest_success(&self, project: &str, job: &str, ref_name: &str) -> Option<&StoredJob> {
        self.jobs
            .iter()
            .filter(|j| {
                j.job == job && j.ref_name == ref_name && j.succeeded && &*j.project == project
            })
            .max_by_key(|j| j.pipeline)
    }

    /// The newest run of `job` in pipeline `pipeline`.
    pub fn job_of(&self, pipeline: u64, job: &str) -> Option<&StoredJob> {
        self.jobs
            .iter()
            .rev()
            .find(|j| j.pipeline == pipeline && j.job == job)
    }

    /// Whether a run's artifacts are gone at `now`: past `expire_in`, and not kept as the
    /// newest successful pipeline of its ref ("Keep artifacts from most recent successful
    /// jobs"; `keep_latest` is the project's setting).
    pub fn expired_at(&self, run: &StoredJob, now: u64, keep_latest: bool) -> bool {
        run.expire_at.is_some_and(|at| at <= now)
            && !(keep_latest
                && self.is_latest_successful(&run.project, run.pipeline, &run.ref_name))
    }

    /// Every earlier run of a job with this name, newest first.
    pub fn runs_of(&self, job: &str) -> Vec<&StoredJob> {
        let mut runs: Vec<&StoredJob> = self.jobs.iter().filter(|j| j.job == job).collect();
        crate::sort::sort_by_key(&mut runs, |j| std::cmp::Reverse(j.pipeline));
        runs
    }

    /// Earlier jobs whose dotenv report holds `name`, newest first.
    pub fn dotenv_producers(&self, name: &str) -> Vec<&StoredJob> {
        let mut runs: Vec<&StoredJob> = self
            .jobs
            .iter()
            .filter(|j| j.dotenv.iter().any(|(k, _)| k == name))
            .collect();
        crate::sort::sort_by_key(&mut runs, |j| std::cmp::Reverse(j.pipeline));
        runs
    }

    /// Earlier jobs that uploaded `path` as an artifact, newest first.
    pub fn artifact_producers(&self, path: &str) -> Vec<&StoredJob> {
        let mut runs: Vec<&StoredJob> = self
            .jobs
            .iter()
            .filter(|j| {
                j.artifact_paths
                    .iter()
                    .any(|p| super::artifact_covers(p, path))
            })
            .collect();
        crate::sort::sort_by_key(&mut runs, |j| std::cmp::Reverse(j.pipeline));
        runs
    }
}
