//! Component tests of the results views (pipelines, needs, timeline, job details), run in
//! headless Chromium:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p pipesim-web --test results`.
#![cfg(target_arch = "wasm32")]

use std::cell::RefCell;
use std::rc::Rc;

use pipesim::simulate::Simulation;
use pipesim_web::job::{JobDetails, JobDetailsProps};
use pipesim_web::pipelines::{PipelinesView, PipelinesViewProps};
use pipesim_web::state::{load_scenario_text, EventForm, Selection, Shared, View};
use pipesim_web::timeline::{TimelineView, TimelineViewProps};
use wasm_bindgen::JsCast;
use wasm_bindgen_test::*;
use web_sys::{Element, HtmlElement};
use yew::Callback;

wasm_bindgen_test_configure!(run_in_browser);

const DOTENV: &str =
    include_str!("../../tests/fixtures/dataflow/dotenv-across-pipelines-dotenv.scenario.yml");
const FIXED: &str =
    include_str!("../../tests/fixtures/dataflow/dotenv-across-pipelines-fixed.scenario.yml");
const CHILD: &str =
    include_str!("../../tests/fixtures/dataflow/child-needs-pipeline-dotenv.scenario.yml");

fn mount_point() -> Element {
    let document = web_sys::window().unwrap().document().unwrap();
    let root = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    root
}

fn query(root: &Element, selector: &str) -> Option<Element> {
    root.query_selector(selector).unwrap()
}

fn count(root: &Element, selector: &str) -> u32 {
    root.query_selector_all(selector).unwrap().length()
}

fn text_of(root: &Element, selector: &str) -> String {
    query(root, selector)
        .unwrap_or_else(|| panic!("no element matches {selector}"))
        .text_content()
        .unwrap_or_default()
}

fn click(root: &Element, selector: &str) {
    query(root, selector)
        .unwrap_or_else(|| panic!("no element matches {selector}"))
        .dyn_into::<HtmlElement>()
        .unwrap()
        .click();
}

fn scenario(text: &str) -> (Shared<Simulation>, Rc<Vec<EventForm>>) {
    let workspace = load_scenario_text("s.scenario.yml", text).expect("scenario loads");
    (
        Shared::new(workspace.simulate()),
        Rc::new(workspace.events.clone()),
    )
}

/// A callback that records what it is called with.
fn recorder<T: 'static>() -> (Callback<T>, Rc<RefCell<Vec<T>>>) {
    let seen = Rc::new(RefCell::new(Vec::new()));
    let log = seen.clone();
    (Callback::from(move |v| log.borrow_mut().push(v)), seen)
}

fn sel(pipeline: u64, job: &str) -> Selection {
    Selection {
        pipeline,
        job: job.to_owned(),
    }
}

async fn pipelines(
    text: &str,
    view: View,
    selected: Option<Selection>,
) -> (Element, Rc<RefCell<Vec<Selection>>>) {
    let (simulation, events) = scenario(text);
    let (on_select, seen) = recorder();
    let root = mount_point();
    let props = PipelinesViewProps {
        simulation,
        events,
        selected,
        on_select,
        view,
        shown: Default::default(),
    };
    yew::Renderer::<PipelinesView>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    (root, seen)
}

#[wasm_bindgen_test]
async fn pipelines_are_grouped_by_event_with_gitlab_messages() {
    let (root, seen) = pipelines(DOTENV, View::Pipelines, Some(sel(3, "deploying"))).await;
    let heads: Vec<String> = (0..count(&root, ".event-head"))
        .map(|i| {
            root.query_selector_all(".event-head")
                .unwrap()
                .item(i)
                .unwrap()
                .text_content()
                .unwrap()
        })
        .collect();
    assert_eq!(heads.len(), 3, "{heads:?}");
    assert_eq!(heads[0], "Event 1: push to feature");
    assert!(heads[2].starts_with("Event 3: merge !1"), "{heads:?}");

    // Event 1 creates no pipeline: GitLab's message, verbatim.
    let first = query(&root, ".pipeline[data-pipeline='1']").expect("pipeline #1");
    assert_eq!(
        text_of(&first, ".gitlab-message"),
        "The resulting pipeline would have been empty. Review the rules configuration for the relevant jobs."
    );
    assert!(text_of(&first, ".status-badge").contains("not created"));
    assert_eq!(count(&first, ".job-card"), 0);

    // Stage columns of the created pipelines; jobs left out are listed with their reason.
    let second = query(&root, ".pipeline[data-pipeline='2']").expect("pipeline #2");
    assert_eq!(text_of(&second, ".graph-head"), "staging");
    assert!(query(&second, ".graph .job-card[data-job='building']").is_some());
    assert!(query(&second, ".job-card .break").is_none());
    let left_out = text_of(&second, ".left-out");
    assert!(left_out.contains("Not in this pipeline (1)"), "{left_out}");
    assert!(left_out.contains("deploying"), "{left_out}");

    // The break marker sits on `deploying` of the merge's pipeline, which is selected.
    let card = query(&root, ".job-card[data-pipeline='3'][data-job='deploying']").expect("card");
    assert!(
        query(&card, ".break").is_some(),
        "break marker on deploying"
    );
    assert_eq!(card.get_attribute("aria-pressed").as_deref(), Some("true"));
    assert_eq!(card.tag_name(), "BUTTON");

    click(&root, ".job-card[data-pipeline='2'][data-job='building']");
    click(&second, ".left-out .job-link");
    assert_eq!(
        *seen.borrow(),
        vec![sel(2, "building"), sel(2, "deploying")]
    );
}

#[wasm_bindgen_test]
async fn empty_results_explain_what_to_do() {
    let root = mount_point();
    let props = PipelinesViewProps {
        simulation: Shared::new(Simulation {
            gitlab_version: pipesim::GITLAB_VERSION,
            pipelines: vec![],
            diagnostics: vec![],
        }),
        events: Rc::new(vec![]),
        selected: Some(sel(9, "gone")),
        on_select: Callback::noop(),
        view: View::Pipelines,
        shown: Default::default(),
    };
    yew::Renderer::<PipelinesView>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    assert!(root
        .text_content()
        .unwrap()
        .contains("Add an event to see the pipelines GitLab creates"));
}

#[wasm_bindgen_test]
async fn child_pipelines_follow_their_parent() {
    let (root, _) = pipelines(CHILD, View::Pipelines, None).await;
    let child = query(&root, ".pipeline.child").expect("a child pipeline");
    assert_eq!(child.get_attribute("data-pipeline").as_deref(), Some("2"));
    assert_eq!(
        text_of(&child, ".child-of"),
        "child of #1 via trigger-child"
    );
    let parent = child
        .previous_element_sibling()
        .expect("parent before child");
    assert_eq!(parent.get_attribute("data-pipeline").as_deref(), Some("1"));
    let trigger = text_of(&parent, ".job-card[data-job='trigger-child']");
    assert!(trigger.contains("trigger"), "{trigger}");
}

#[wasm_bindgen_test]
async fn needs_view_draws_a_line_per_need() {
    let (root, seen) = pipelines(FIXED, View::Needs, None).await;
    let graph = query(&root, ".pipeline[data-pipeline='3'] .graph").expect("needs graph");
    assert_eq!(
        count(&graph, "path.need-line"),
        1,
        "deploying needs building"
    );
    assert!(query(&graph, ".job-card[data-job='deploying']").is_some());
    click(&graph, ".job-card[data-job='deploying']");
    assert_eq!(*seen.borrow(), vec![sel(3, "deploying")]);
}

async fn timeline(text: &str) -> (Element, Rc<RefCell<Vec<Selection>>>) {
    let (simulation, events) = scenario(text);
    let (on_select, seen) = recorder();
    let root = mount_point();
    let props = TimelineViewProps {
        simulation,
        events,
        selected: None,
        on_select,
        shown: Default::default(),
        on_step: Callback::noop(),
    };
    yew::Renderer::<TimelineView>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    (root, seen)
}

#[wasm_bindgen_test]
async fn timeline_marks_where_passing_breaks() {
    let (root, seen) = timeline(DOTENV).await;
    assert_eq!(count(&root, ".tl-event"), 3);
    assert_eq!(count(&root, ".tl .job-card .break"), 1, "one break marker");
    let marker = query(
        &root,
        ".tl .job-card[data-pipeline='3'][data-job='deploying'] .break",
    )
    .expect("break marker on deploying at event 3");
    let label = marker.get_attribute("aria-label").unwrap_or_default();
    assert!(label.contains("is not in this pipeline"), "{label}");
    assert_eq!(
        count(&root, "path.flow.missing"),
        1,
        "dashed arrow from building in #2"
    );
    assert!(text_of(&root, ".tl-breaks").contains("deploying"));
    click(&root, ".tl-breaks .job-link");
    assert_eq!(*seen.borrow(), vec![sel(3, "deploying")]);
}

#[wasm_bindgen_test]
async fn timeline_shows_dotenv_flowing_in_the_fixed_scenario() {
    let (root, _) = timeline(FIXED).await;
    assert_eq!(count(&root, ".tl .break"), 0);
    assert_eq!(count(&root, "path.flow.dotenv"), 1);
    assert_eq!(count(&root, "path.flow.missing"), 0);
    let card = text_of(
        &root,
        ".tl .job-card[data-pipeline='3'][data-job='deploying']",
    );
    assert!(card.contains("BUILD_VERSION"), "{card}");
}

#[wasm_bindgen_test]
async fn timeline_arrows_cross_into_child_pipelines() {
    let (root, _) = timeline(CHILD).await;
    let arrows = root.query_selector_all("path.flow.dotenv title").unwrap();
    let titles: Vec<String> = (0..arrows.length())
        .map(|i| arrows.item(i).unwrap().text_content().unwrap())
        .collect();
    assert!(
        titles
            .iter()
            .any(|t| t.starts_with("build of #1 → child-test of #2")),
        "{titles:?}"
    );
}

struct Details {
    root: Element,
    selected: Rc<RefCell<Vec<Selection>>>,
    closed: Rc<RefCell<Vec<()>>>,
    located: Rc<RefCell<Vec<(String, u32, u32)>>>,
}

async fn details(text: &str, selection: Selection) -> Details {
    let (simulation, _) = scenario(text);
    let (on_select, selected) = recorder();
    let (on_close, closed) = recorder();
    let (on_locate, located) = recorder();
    let root = mount_point();
    let props = JobDetailsProps {
        simulation,
        simulator: None,
        selection,
        on_close,
        on_select,
        on_locate,
    };
    yew::Renderer::<JobDetails>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;
    Details {
        root,
        selected,
        closed,
        located,
    }
}

#[wasm_bindgen_test]
async fn job_details_show_reason_dotenv_and_variables() {
    let d = details(FIXED, sel(3, "deploying")).await;
    let region = query(&d.root, "[role='region']").expect("a region");
    let heading = region.get_attribute("aria-labelledby").unwrap();
    assert!(text_of(&d.root, &format!("#{heading}")).contains("deploying"));
    assert!(text_of(&d.root, ".jd-why").contains("rules[0]"));
    assert!(query(&d.root, ".checks .check.matched").is_some());

    let dotenv = text_of(&d.root, ".vars tbody tr");
    assert!(dotenv.contains("BUILD_VERSION"), "{dotenv}");
    assert!(dotenv.contains("1.2.3"), "{dotenv}");
    let table = text_of(&d.root, ".vars-wrap");
    assert!(
        table.contains("CI_JOB_NAME") && table.contains("predefined"),
        "{table}"
    );

    click(&d.root, ".vars tbody .job-link");
    click(&d.root, ".jd-close");
    assert_eq!(*d.selected.borrow(), vec![sel(3, "building")]);
    assert_eq!(d.closed.borrow().len(), 1);
}

#[wasm_bindgen_test]
async fn job_details_show_diagnostics_with_their_fix() {
    let d = details(DOTENV, sel(3, "deploying")).await;
    assert_eq!(count(&d.root, ".jd-diagnostic"), 2);
    let first = text_of(&d.root, ".jd-diagnostic .message");
    assert!(
        first.contains("`building` is not in this pipeline"),
        "{first}"
    );
    assert!(text_of(&d.root, ".jd-diagnostic .fix").starts_with("Fix:"));
    assert!(d.located.borrow().is_empty());
}

#[wasm_bindgen_test]
async fn job_details_of_a_vanished_job_do_not_panic() {
    let d = details(FIXED, sel(42, "nope")).await;
    assert!(text_of(&d.root, ".jd-missing").contains("no job nope"));
    click(&d.root, ".jd-close");
    assert_eq!(d.closed.borrow().len(), 1);
}
