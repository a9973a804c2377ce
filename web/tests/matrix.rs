//! The Matrix view, run in headless Chromium:
//! `CHROMEDRIVER=/usr/bin/chromedriver cargo test --target wasm32-unknown-unknown -p pipesim-web --test matrix`.
#![cfg(target_arch = "wasm32")]

use std::rc::Rc;

use pipesim_web::matrix::{MatrixView, MatrixViewProps};
use pipesim_web::state::{FileTab, ProjectForm};
use wasm_bindgen_test::*;
use web_sys::Element;

wasm_bindgen_test_configure!(run_in_browser);

const CONFIG: &str = "\
deploy:
  script: [deploy]
  rules:
    - if: $CI_COMMIT_TAG
      when: manual
    - if: $CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH
docs:
  trigger:
    include: docs.yml
  rules:
    - if: $CI_PIPELINE_SOURCE == \"schedule\"
";

#[wasm_bindgen_test]
async fn matrix_cells_say_why_on_hover() {
    let document = web_sys::window().unwrap().document().unwrap();
    let root: Element = document.create_element("div").unwrap();
    document.body().unwrap().append_child(&root).unwrap();
    let files = vec![
        FileTab {
            path: ".gitlab-ci.yml".into(),
            text: CONFIG.into(),
        },
        FileTab {
            path: "docs.yml".into(),
            text: "build-docs:\n  script: [mkdocs]\n".into(),
        },
    ];
    let props = MatrixViewProps {
        files: Rc::new(files),
        project: ProjectForm::default(),
    };
    yew::Renderer::<MatrixView>::with_root_and_props(root.clone(), props).render();
    yew::scheduler::flush().await;

    let headers: Vec<String> = list(&root, "thead th");
    assert_eq!(
        headers,
        [
            "job",
            "push-feature",
            "push-default",
            "mr",
            "merge",
            "tag",
            "schedule",
            "web",
            "api",
            "trigger"
        ]
    );
    let row = |name: &str| -> Vec<Element> {
        let rows = root.query_selector_all("tbody tr").unwrap();
        for i in 0..rows.length() {
            let tr: Element = wasm_bindgen::JsCast::dyn_into(rows.item(i).unwrap()).unwrap();
            let head = tr.query_selector("th").unwrap().unwrap();
            if head.text_content().unwrap_or_default() == name {
                let cells = tr.query_selector_all("td").unwrap();
                return (0..cells.length())
                    .map(|j| wasm_bindgen::JsCast::dyn_into(cells.item(j).unwrap()).unwrap())
                    .collect();
            }
        }
        panic!("no row {name}");
    };
    let deploy = row("deploy");
    let texts: Vec<String> = deploy.iter().map(|c| c.text_content().unwrap()).collect();
    // push-feature has no job at all, so its pipeline is not created: deploy is `never`.
    assert_eq!(
        texts,
        ["never", "in", "never", "in", "manual", "in", "in", "in", "in"]
    );
    assert_eq!(deploy[4].class_name(), "matrix-cell cell-manual");
    let why = deploy[4].get_attribute("title").unwrap();
    assert!(why.contains("rules[0] matches"), "{why}");
    // The child pipeline's job is a nested row, absent where its trigger job is.
    let child = row("docs > build-docs");
    assert_eq!(child[5].text_content().unwrap(), "in");
    assert_eq!(child[0].text_content().unwrap(), "—");
    assert!(child[0].get_attribute("title").unwrap().contains("`docs`"));
    let nested = root.query_selector("th.matrix-nested").unwrap().unwrap();
    assert_eq!(nested.text_content().unwrap(), "docs > build-docs");
}

fn list(root: &Element, selector: &str) -> Vec<String> {
    let nodes = root.query_selector_all(selector).unwrap();
    (0..nodes.length())
        .map(|i| nodes.item(i).unwrap().text_content().unwrap_or_default())
        .collect()
}
