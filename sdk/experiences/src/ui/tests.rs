//! The frame in a real browser.

use wasm_bindgen::JsCast;
use wasm_bindgen_test::wasm_bindgen_test;

use super::{element, Options, Ui};
use crate::testing::{in_root, js, page_html};

fn options(modal: bool) -> Options<'static> {
    Options {
        tag: "waymark-test",
        css: ".p{width:200px}",
        theme: "--waymark-accent:#ff0000;",
        modal,
        polite: false,
        class: "t",
    }
}

fn open(modal: bool) -> Ui {
    let ui = Ui::open(&options(modal), || {}).unwrap();
    let button = element(ui.document(), "button", ui.content(), "").unwrap();
    button.set_text_content(Some("One"));
    let button = element(ui.document(), "button", ui.content(), "").unwrap();
    button.set_text_content(Some("Two"));
    ui
}

#[wasm_bindgen_test]
fn a_popover_is_in_the_top_layer_and_leaves_the_page_as_it_was() {
    let before = page_html();
    let ui = open(false);
    assert!(in_root(
        "waymark-test",
        "root.querySelector('.p').matches(':popover-open')"
    )
    .as_bool()
    .unwrap());
    assert_eq!(
        in_root(
            "waymark-test",
            "root.querySelector('.p').getAttribute('role')"
        ),
        "dialog"
    );
    drop(ui);
    assert_eq!(page_html(), before);
}

#[wasm_bindgen_test]
fn a_modal_is_a_dialog_shown_modally() {
    let before = page_html();
    let ui = open(true);
    assert!(in_root(
        "waymark-test",
        "root.querySelector('dialog.p').matches(':modal')"
    )
    .as_bool()
    .unwrap());
    drop(ui);
    assert_eq!(page_html(), before);
}

#[wasm_bindgen_test]
fn theme_and_styles_come_from_one_adopted_sheet() {
    let ui = open(false);
    assert_eq!(in_root("waymark-test", "root.adoptedStyleSheets.length"), 1);
    assert_eq!(
        in_root(
            "waymark-test",
            "getComputedStyle(root.querySelector('.p')).getPropertyValue('--waymark-accent')"
        ),
        "#ff0000"
    );
    assert_eq!(
        in_root("waymark-test", "root.querySelectorAll('[style]').length"),
        0
    );
    drop(ui);
}

#[wasm_bindgen_test]
fn focus_moves_in_cycles_with_tab_and_returns() {
    js("const b = document.createElement('button'); b.id = 'outside'; document.body.append(b); b.focus();");
    let ui = open(false);
    ui.focus(None);
    let active = "root.activeElement && root.activeElement.textContent";
    assert_eq!(in_root("waymark-test", active), "One");
    let tab = |shift: bool| {
        let init = web_sys::KeyboardEventInit::new();
        init.set_key("Tab");
        init.set_shift_key(shift);
        init.set_bubbles(true);
        init.set_cancelable(true);
        let event =
            web_sys::KeyboardEvent::new_with_keyboard_event_init_dict("keydown", &init).unwrap();
        let target =
            in_root("waymark-test", "root.activeElement").unchecked_into::<web_sys::EventTarget>();
        target.dispatch_event(&event).unwrap()
    };
    // From the first, Shift+Tab wraps to the last (the default is prevented).
    assert!(!tab(true));
    assert_eq!(in_root("waymark-test", active), "Two");
    assert!(!tab(false));
    assert_eq!(in_root("waymark-test", active), "One");
    drop(ui);
    assert_eq!(js("document.activeElement.id"), "outside");
    js("document.getElementById('outside').remove()");
}

#[wasm_bindgen_test]
fn a_polite_frame_leaves_the_keys_with_someone_typing_and_lets_tab_out() {
    js("const i = document.createElement('input'); i.id = 'typing'; document.body.append(i); i.focus();");
    let ui = Ui::open(
        &Options {
            polite: true,
            ..options(false)
        },
        || {},
    )
    .unwrap();
    let button = element(ui.document(), "button", ui.content(), "").unwrap();
    button.set_text_content(Some("One"));
    ui.focus(None);
    assert_eq!(
        js("document.activeElement.id"),
        "typing",
        "focus stays in the field"
    );
    // Once the user is not typing, focus moves in; Tab from the last control is not held.
    js("document.getElementById('typing').blur()");
    ui.focus(None);
    let active = "root.activeElement && root.activeElement.textContent";
    assert_eq!(in_root("waymark-test", active), "One");
    let not_prevented = js("document.querySelector('waymark-test').shadowRoot.activeElement
        .dispatchEvent(new KeyboardEvent('keydown', {key: 'Tab', bubbles: true, cancelable: true}))");
    assert_eq!(not_prevented, true, "Tab goes on out of a polite frame");
    drop(ui);
    js("document.getElementById('typing').remove()");
}

#[wasm_bindgen_test]
fn escape_calls_back() {
    let pressed = std::rc::Rc::new(std::cell::Cell::new(false));
    let seen = pressed.clone();
    let ui = Ui::open(&options(false), move || seen.set(true)).unwrap();
    js("document.querySelector('waymark-test').shadowRoot.querySelector('.p')
        .dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape', bubbles: true, cancelable: true}))");
    assert!(pressed.get());
    drop(ui);
}

#[wasm_bindgen_test]
fn announcements_go_to_a_polite_live_region_in_the_panel() {
    let ui = open(true);
    ui.announce("Saved");
    assert_eq!(
        in_root(
            "waymark-test",
            "root.querySelector('.p [aria-live=polite]').textContent"
        ),
        "Saved"
    );
    drop(ui);
}
