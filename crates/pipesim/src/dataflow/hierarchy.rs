//! How far a parent/child pipeline tree may grow, as `Ci::CreateDownstreamPipelineService`
//! (app/services/ci/create_downstream_pipeline_service.rb) decides before it creates a child:
//! `has_max_nested_children?` (`MAX_NESTED_CHILDREN = 2`: a child's ancestors, itself
//! excluded, are at most 2) and `pipeline_tree_too_large?` (the plan limit
//! `pipeline_hierarchy_size`, 1000 by default in db/structure.sql; `PlanLimits#exceeded?` is
//! `count >= limit`). The bridge is then dropped with failure reason
//! `reached_max_descendant_pipelines_depth` or `reached_max_pipeline_hierarchy_size`, shown as
//! the messages below (app/presenters/commit_status_presenter.rb).

use super::{job_diagnostic, Input};
use crate::pipeline::report::{JobReport, PipelineReport};
use crate::{Diagnostic, Finding};

pub const MAX_NESTED_CHILDREN: usize = 2;
pub const PIPELINE_HIERARCHY_SIZE: usize = 1000;
/// pipesim's own bound on the jobs of one tree (GitLab has none but the pipeline count): 1000
/// pipelines of 200 jobs each are 200,000 jobs to simulate, seconds of work. 50,000 jobs of a
/// few lines each took up to 2 s natively (a fuzzed tree of 160 pipelines of 310 jobs); 40,000
/// keeps a full tree of GitLab's 1000 pipelines reachable with 39 jobs each.
pub const MAX_TREE_JOBS: usize = 40_000;
/// pipesim's own bound on the configuration nodes of one tree (each pipeline's whole
/// configuration, which it loads again, plus its created jobs, an instance of a `parallel` job
/// counted with its whole body): the YAML node budget of one configuration. Jobs alone do not
/// bound the work: 700 pipelines of 67 jobs whose scripts are 6,561-item alias lists took 209 s
/// (a 2 KB configuration, found by the `multiply` fuzz target); 183 pipelines of 14 jobs whose
/// configuration held 30,000 nodes of anchors and `default:` took 2.6 s when only the jobs
/// were counted (the same target, `Ck`e`\0`).
pub const MAX_TREE_NODES: usize = 2_000_000;

pub const TOO_DEEP_MESSAGE: &str = "You reached the maximum depth of child pipelines";
pub const TOO_LARGE_MESSAGE: &str = "The downstream pipeline tree is too large";

/// Why GitLab refuses the child pipeline a trigger job of this pipeline asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    TooDeep,
    TooLarge,
    /// Not GitLab's: the tree's jobs would pass [`MAX_TREE_JOBS`].
    TooBigToSimulate,
    /// Not GitLab's: the tree's configurations would pass [`MAX_TREE_NODES`].
    TooManyNodesToSimulate,
}

impl Refusal {
    pub fn message(self) -> String {
        match self {
            Refusal::TooDeep => TOO_DEEP_MESSAGE.into(),
            Refusal::TooLarge => TOO_LARGE_MESSAGE.into(),
            Refusal::TooBigToSimulate => format!(
                "too big to simulate: this pipeline tree would have more than {MAX_TREE_JOBS} jobs"
            ),
            Refusal::TooManyNodesToSimulate => format!(
                "too big to simulate: the pipelines of this tree would hold more than {MAX_TREE_NODES} configuration nodes"
            ),
        }
    }

    /// GitLab's failure reason for the trigger job (`Ci::Bridge` `drop!`); `None` for
    /// pipesim's own budget, where GitLab would create the pipeline.
    pub fn failure_reason(self) -> Option<&'static str> {
        match self {
            Refusal::TooDeep => Some("reached_max_descendant_pipelines_depth"),
            Refusal::TooLarge => Some("reached_max_pipeline_hierarchy_size"),
            Refusal::TooBigToSimulate | Refusal::TooManyNodesToSimulate => None,
        }
    }

    /// Why, beside GitLab's message, for the trigger job `bridge`.
    pub fn explanation(self, bridge: &str) -> String {
        match self {
            Refusal::TooDeep => format!("`{bridge}` would start a child pipeline {} levels below the root pipeline; GitLab allows child pipelines {MAX_NESTED_CHILDREN} levels deep (a child may have at most {MAX_NESTED_CHILDREN} ancestors), so it creates none and `{bridge}` fails with the failure reason `reached_max_descendant_pipelines_depth`. Fix: start this child from a pipeline nearer the root, or merge its jobs into this pipeline.", MAX_NESTED_CHILDREN + 1),
            Refusal::TooLarge => format!("A parent/child pipeline tree may hold at most {PIPELINE_HIERARCHY_SIZE} pipelines (the plan limit pipeline_hierarchy_size, 1000 by default); this tree is full, so GitLab creates no pipeline for `{bridge}` and the job fails with the failure reason `reached_max_pipeline_hierarchy_size`; the jobs after it react as to any failed job. Which trigger jobs are refused depends on the order they run in; pipesim counts stage by stage, level by level. Fix: start fewer child pipelines (one child can hold the jobs of several), or make the trigger jobs conditional."),
            Refusal::TooBigToSimulate => format!("GitLab would create this child pipeline; pipesim stops growing a parent/child tree at {MAX_TREE_JOBS} jobs (its own limit, to keep the simulation fast), so `{bridge}` starts no simulated pipeline here and what that pipeline would do is not shown."),
            Refusal::TooManyNodesToSimulate => format!("GitLab would create this child pipeline; pipesim stops growing a parent/child tree when its pipelines' configurations pass {MAX_TREE_NODES} nodes together (its own limit, the same as for one configuration, to keep the simulation fast: every child loads its configuration again, so a large one — anchors, a large `default:`, scripts built from aliases — repeated in every child multiplies the work), so `{bridge}` starts no simulated pipeline here and what that pipeline would do is not shown."),
        }
    }
}

/// Counts the pipelines of the tree being simulated. The simulation creates a pipeline's
/// children right after it (depth first), but counts every child when its parent asks for it,
/// so the tree is cut where GitLab, creating children as their trigger jobs run (stage by stage,
/// level by level), would cut it.
#[derive(Clone, Debug, Default)]
pub struct TreeSize {
    /// The top-level pipeline of the tree counted, and the pipelines counted in it.
    current: std::cell::Cell<(u64, usize)>,
    /// The jobs counted in it: the top-level pipeline's, and for each child admitted as many as
    /// the pipeline that asked for it has (a child is known only once it is created; in the
    /// common case, children that include the parent's configuration, this is exact).
    jobs: std::cell::Cell<usize>,
    /// The configuration nodes counted in it, as `jobs` (the asking pipeline's weight for
    /// each child it admits).
    nodes: std::cell::Cell<usize>,
}

/// The tree's counts at one moment, to count again from there (a pipeline analysed a second
/// time, after some of its trigger jobs were failed, asks for its children again).
#[derive(Clone, Copy, Debug)]
pub struct TreeMark {
    current: (u64, usize),
    jobs: usize,
    nodes: usize,
}

impl TreeSize {
    pub fn mark(&self) -> TreeMark {
        TreeMark {
            current: self.current.get(),
            jobs: self.jobs.get(),
            nodes: self.nodes.get(),
        }
    }

    /// Uncounts `pipelines` that were admitted but not created (a multi-project trigger job
    /// failed by a later precondition): GitLab counts the pipelines that exist.
    /// `jobs` and `nodes` are what each was counted with (the asking pipeline's weight).
    pub fn release(&self, pipelines: usize, jobs: usize, nodes: usize) {
        let (root, size) = self.current.get();
        self.current.set((root, size.saturating_sub(pipelines)));
        self.jobs.set(
            self.jobs
                .get()
                .saturating_sub(pipelines.saturating_mul(jobs)),
        );
        self.nodes.set(
            self.nodes
                .get()
                .saturating_sub(pipelines.saturating_mul(nodes)),
        );
    }

    pub fn reset(&self, mark: TreeMark) {
        self.current.set(mark.current);
        self.jobs.set(mark.jobs);
        self.nodes.set(mark.nodes);
    }
}

/// Admits a child pipeline that a trigger job of `pipeline` (the pipeline under analysis) asks
/// for, or says why GitLab refuses it. A check made while a fix is verified counts nothing.
/// `jobs` and `nodes` are the asking pipeline's created jobs and their configuration nodes
/// (`pipeline_weight`), the estimate of what the child holds.
/// `child` is false for a multi-project pipeline: the nesting limit counts only a child's
/// ancestors in its own project, the tree's size counts every project's pipelines
/// (`complete_hierarchy_count`).
pub fn admit(
    input: &Input,
    pipeline: u64,
    jobs: usize,
    nodes: usize,
    child: bool,
) -> Result<(), Refusal> {
    if child && input.depth >= MAX_NESTED_CHILDREN {
        return Err(Refusal::TooDeep);
    }
    let tree = &input.store.tree;
    let (root, mut size) = tree.current.get();
    let mut counted = tree.jobs.get();
    let mut counted_nodes = tree.nodes.get();
    let top_level = input.depth == 0 && !input.downstream;
    if top_level && root != pipeline {
        size = 1;
        counted = jobs;
        counted_nodes = nodes;
    }
    if size >= PIPELINE_HIERARCHY_SIZE {
        return Err(Refusal::TooLarge);
    }
    if counted.saturating_add(jobs) > MAX_TREE_JOBS {
        return Err(Refusal::TooBigToSimulate);
    }
    if counted_nodes.saturating_add(nodes) > MAX_TREE_NODES {
        return Err(Refusal::TooManyNodesToSimulate);
    }
    if !input.verifying {
        let root = if top_level { pipeline } else { root };
        tree.current.set((root, size + 1));
        tree.jobs.set(counted + jobs);
        tree.nodes.set(counted_nodes + nodes);
    }
    Ok(())
}

/// The trigger job's finding when pipesim's own budget stops its child pipeline (GitLab's
/// refusals fail the trigger job instead: see `simulate`).
pub fn refusal_diagnostic(
    report: &PipelineReport,
    job: &JobReport,
    refusal: Refusal,
) -> Diagnostic {
    job_diagnostic(
        report.event,
        &job.name,
        Finding::warning("downstream-refused", refusal.message(), None)
            .explain(refusal.explanation(&job.name)),
    )
}
