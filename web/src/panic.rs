//! A crash must be visible: after a panic the wasm instance is dead and the page would silently
//! stop reacting, so the hook writes an error panel into the DOM.

use wasm_bindgen::JsCast;

/// Replaces Yew's default hook (console only) with one that also shows [`show_panic`].
pub fn install_panic_hook() {
    yew::set_custom_panic_hook(Box::new(|info| {
        console_error_panic_hook::hook(info);
        show_panic(&info.to_string());
    }));
}

/// Puts (or replaces) the `#panic` alert at the top of `<body>`. Uses only DOM calls that cannot
/// panic themselves: a panic inside the panic hook would abort before anything is shown.
pub fn show_panic(message: &str) {
    let Some(document) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    let Some(body) = document.body() else {
        return;
    };
    if let Some(old) = document.get_element_by_id("panic") {
        old.remove();
    }
    let Ok(panel) = document.create_element("div") else {
        return;
    };
    panel.set_id("panic");
    panel.set_class_name("panic");
    let _ = panel.set_attribute("role", "alert");
    let parts = [
        ("h2", "pipesim stopped working"),
        (
            "p",
            "An internal error stopped the app. Your files and events are kept in the page \
             address: reload the page to get them back (the simulation that stopped is not run \
             again until you edit). Please report the message below.",
        ),
        ("pre", message),
    ];
    for (tag, text) in parts {
        if let Ok(node) = document.create_element(tag) {
            node.set_text_content(Some(text));
            let _ = panel.append_child(&node);
        }
    }
    let _ = body.insert_before(&panel, body.first_child().as_ref());
    if let Ok(panel) = panel.dyn_into::<web_sys::HtmlElement>() {
        let _ = panel.set_attribute("tabindex", "-1");
        let _ = panel.focus();
    }
}
