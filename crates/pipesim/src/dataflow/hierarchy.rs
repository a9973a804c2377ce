//! How far a parent/child pipeline tree may grow, as `Ci::CreateDownstreamPipelineService`
//! (app/services/ci/create_downstream_pipeline_service.rb) decides before it creates a child:
//! `has_max_nested_children?` (`MAX_NESTED_CHILDREN = 2`: a child's ancestors, itself
//! excluded, are at most 2) and `pipeline_tree_too_large?` (the plan limit
//! `pipeline_hierarchy_size`, 1000 by default in db/structure.sql; `PlanLimits#exceeded?` is
//! `count >= limit`). The bridge is then dropped with failure reason
//! `reached_max_descendant_pipelines_depth` or `reached_max_pipeline_hierarchy_size`, shown as
//! the messages below (app/presenters/commit_status_presenter.rb).

use super::Input;

pub const MAX_NESTED_CHILDREN: usize = 2;
pub const PIPELINE_HIERARCHY_SIZE: usize = 1000;

pub const TOO_DEEP_MESSAGE: &str = "You reached the maximum depth of child pipelines";
pub const TOO_LARGE_MESSAGE: &str = "The downstream pipeline tree is too large";

/// Why GitLab refuses the child pipeline a trigger job of this pipeline asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    TooDeep,
    TooLarge,
}

impl Refusal {
    pub fn message(self) -> &'static str {
        match self {
            Refusal::TooDeep => TOO_DEEP_MESSAGE,
            Refusal::TooLarge => TOO_LARGE_MESSAGE,
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
}

/// Admits a child pipeline that a trigger job of `pipeline` (the pipeline under analysis) asks
/// for, or says why GitLab refuses it. A check made while a fix is verified counts nothing.
pub fn admit(input: &Input, pipeline: u64) -> Result<(), Refusal> {
    if input.depth >= MAX_NESTED_CHILDREN {
        return Err(Refusal::TooDeep);
    }
    let tree = &input.store.tree;
    let (root, mut size) = tree.current.get();
    if input.depth == 0 && root != pipeline {
        size = 1;
    }
    if size >= PIPELINE_HIERARCHY_SIZE {
        return Err(Refusal::TooLarge);
    }
    if !input.verifying {
        let root = if input.depth == 0 { pipeline } else { root };
        tree.current.set((root, size + 1));
    }
    Ok(())
}

/// Why the last child asked for was refused, for the trigger job's diagnostic (`None` when
/// nothing refused it).
pub fn refusal(input: &Input) -> Option<Refusal> {
    if input.depth >= MAX_NESTED_CHILDREN {
        return Some(Refusal::TooDeep);
    }
    (input.store.tree.current.get().1 >= PIPELINE_HIERARCHY_SIZE).then_some(Refusal::TooLarge)
}
