// The content layer: applies the content changes the runtime decided to the page's DOM, to
// elements that appear later too (one MutationObserver), and reverts each change exactly
// when the runtime stops listing it. It decides nothing: which changes, with which text,
// for whom, all come from the wasm (`experiences.rs`), as plain objects:
//   {experience, selector, action: 'text' | 'attribute' | 'add_class' | 'remove_class' |
//    'hide' | 'show' | 'variant' | 'banner' | 'watch', name?, value?, title?, cta?, url?,
//    dismissible?, position?}
// It is JavaScript because DOM glue is smaller here than through web-sys bindings.
//
// Nothing from a config or a trait is ever parsed as HTML: text goes in through
// textContent, attributes through setAttribute, and banners are built element by element
// inside a shadow root with a constructed stylesheet (so a strict CSP allows them).
//
// What a change may set is the README's list ("What a content change may set"), which the
// collector enforces before it publishes (`content.rs`, with the `publish` feature). It is
// checked again here, on the element about to change and with the placeholders filled, so
// that a config published before the list, or written around the collector, executes
// nothing: `href` only on HTML links and `src` only on images, with URLs the browser's own
// parser reads as relative or http(s), mailto or tel, and no text or banner in a script or
// a style element. A change that breaks a rule, whose
// selector the browser cannot parse, or that the page refuses, is skipped with one warning
// and one `$content_skipped` event (its reason); nothing is thrown into the page.

const PREFIX = '[waymark]';
const VARIANT = 'data-waymark-variant';
// Themable from the page through custom properties, which inherit into the shadow root.
const BANNER_CSS =
  ':host{all:initial;display:block;margin:8px 0}' +
  '.b{display:flex;gap:12px;align-items:center;font:14px/1.4 system-ui,sans-serif;color:var(--waymark-text,#1f2937);' +
  'background:var(--waymark-surface,#eef2ff);border:1px solid #c7d2fe;border-radius:var(--waymark-radius,8px);padding:10px 14px}' +
  '.t{flex:1}strong{display:block}a,button{font:inherit;cursor:pointer;border:0;border-radius:6px;padding:6px 12px}' +
  '.c{background:var(--waymark-accent,#4f46e5);color:#fff;text-decoration:none}' +
  '.x{background:none;color:inherit;font-size:18px;line-height:1}' +
  ':focus-visible{outline:2px solid var(--waymark-accent,#4f46e5);outline-offset:2px}';

let sheet;
function bannerSheet() {
  if (!sheet) {
    sheet = new CSSStyleSheet();
    sheet.replaceSync(BANNER_CSS);
  }
  return sheet;
}

const TEXT_ATTRIBUTE = /^(alt|title|placeholder|aria-[a-z]+)$/;
// One class: no whitespace, control characters or quotes.
const CLASS = /^[^\0- "'`\x7f]+$/;

function safeUrl(url) {
  try {
    return /^(https?|mailto|tel):$/.test(new URL(url, document.baseURI).protocol);
  } catch {
    return false;
  }
}

// Why `change` may not touch `el` (a diagnostic code), or '' when it may.
function refusal(change, el) {
  const { action, name, value } = change;
  if (action === 'attribute' && !TEXT_ATTRIBUTE.test(name)) {
    const link = name === 'href' ? el instanceof HTMLAnchorElement || el instanceof HTMLAreaElement : name === 'src' && el instanceof HTMLImageElement;
    return !link ? 'forbidden_attribute' : safeUrl(value) ? '' : 'unsafe_url';
  }
  if (action === 'add_class' || action === 'remove_class') return CLASS.test(value) ? '' : 'invalid_class';
  // An empty script runs the text it is given; a style sheet's text is CSS.
  if ((action === 'text' || action === 'banner') && /^(script|style)$/.test(el.localName)) return 'forbidden_element';
  return action === 'banner' && change.url && !safeUrl(change.url) ? 'unsafe_url' : '';
}

const keyOf = (c) => JSON.stringify([c.experience, c.selector, c.action, c.name, c.value, c.title, c.cta, c.url, c.dismissible, c.position]);

/**
 * Makes the content layer; `report(what, experience)` tells the runtime what came of a
 * change: `seen`, `dismissed` (a banner closed), `action` (its call to action used), or the
 * reason it was skipped (the runtime's `content`).
 */
export function contentLayer(report) {
  // key -> {change, done: Map<Element, undo>}
  let applied = new Map();
  let observer;
  let warned = new Set();
  // Once per reason and change: the observer re-applies on every mutation.
  const skip = (reason, change, error) => {
    const key = reason + keyOf(change);
    if (warned.has(key)) return;
    warned.add(key);
    console.warn(PREFIX, `a change of "${change.experience}" was skipped: ${reason} (${change.selector})`, error ? error.message : '');
    report(reason, change.experience);
  };

  function find(selector) {
    try {
      return document.querySelectorAll(selector);
    } catch (error) {
      return null;
    }
  }

  function applyOne(entry) {
    const { change, done } = entry;
    const found = find(change.selector);
    if (!found) return skip('invalid_selector', change);
    let seen = false;
    for (const el of found) {
      const refused = refusal(change, el);
      if (refused) {
        skip(refused, change);
        continue;
      }
      if (done.has(el)) {
        // A framework re-rendered the text: put ours back.
        if (change.action === 'text' && el.textContent !== change.value) el.textContent = change.value;
        seen = true;
        continue;
      }
      try {
        const undo = perform(change, el);
        if (undo) done.set(el, undo);
        seen = true;
      } catch (error) {
        skip('refused', change, error);
      }
    }
    if (seen && !entry.reported) {
      entry.reported = true;
      report('seen', change.experience);
    }
  }

  function perform(change, el) {
    switch (change.action) {
      case 'text': {
        const before = Array.from(el.childNodes);
        el.textContent = change.value;
        return () => el.replaceChildren(...before);
      }
      case 'attribute': {
        const had = el.hasAttribute(change.name);
        const old = el.getAttribute(change.name);
        el.setAttribute(change.name, change.value);
        return () => (had ? el.setAttribute(change.name, old) : el.removeAttribute(change.name));
      }
      case 'add_class':
        if (el.classList.contains(change.value)) return () => {};
        el.classList.add(change.value);
        return () => el.classList.remove(change.value);
      case 'remove_class':
        if (!el.classList.contains(change.value)) return () => {};
        el.classList.remove(change.value);
        return () => el.classList.add(change.value);
      case 'hide':
        return display(el, 'none');
      case 'show':
        return reveal(el);
      case 'variant': {
        const name = el.getAttribute(VARIANT) || '';
        const group = change.value.slice(0, change.value.lastIndexOf('-'));
        if (name.slice(0, name.lastIndexOf('-')) !== group) return null;
        return name === change.value ? reveal(el) : display(el, 'none');
      }
      case 'banner':
        return banner(change, el);
      case 'watch':
        return () => {};
      default:
        return null;
    }
  }

  function display(el, value) {
    const old = el.style.getPropertyValue('display');
    const priority = el.style.getPropertyPriority('display');
    el.style.setProperty('display', value, 'important');
    return () => (old ? el.style.setProperty('display', old, priority) : el.style.removeProperty('display'));
  }

  function reveal(el) {
    const hidden = el.hasAttribute('hidden');
    const old = el.style.getPropertyValue('display');
    const priority = el.style.getPropertyPriority('display');
    el.removeAttribute('hidden');
    if (old === 'none') el.style.removeProperty('display');
    return () => {
      if (hidden) el.setAttribute('hidden', '');
      if (old) el.style.setProperty('display', old, priority);
    };
  }

  function banner(change, el) {
    const host = document.createElement('div');
    host.setAttribute('data-waymark-banner', change.experience);
    const root = host.attachShadow({ mode: 'open' });
    root.adoptedStyleSheets = [bannerSheet()];
    const box = document.createElement('div');
    box.className = 'b';
    box.setAttribute('role', 'region');
    box.setAttribute('aria-label', change.title || change.value || 'Announcement');
    const body = document.createElement('div');
    body.className = 't';
    if (change.title) {
      const title = document.createElement('strong');
      title.textContent = change.title;
      body.append(title);
    }
    const text = document.createElement('span');
    text.textContent = change.value;
    body.append(text);
    box.append(body);
    if (change.cta) {
      const cta = document.createElement(change.url ? 'a' : 'button');
      cta.className = 'c';
      cta.textContent = change.cta;
      if (change.url) cta.setAttribute('href', change.url);
      cta.addEventListener('click', () => report('action', change.experience));
      box.append(cta);
    }
    if (change.dismissible) {
      const close = document.createElement('button');
      close.className = 'x';
      close.setAttribute('aria-label', 'Dismiss');
      close.textContent = '\u00d7';
      close.addEventListener('click', () => report('dismissed', change.experience));
      box.append(close);
    }
    root.append(box);
    el.insertAdjacentElement(change.position || 'beforebegin', host);
    return () => host.remove();
  }

  function sweep() {
    for (const entry of applied.values()) {
      // Elements the page removed are forgotten: nothing to undo there.
      for (const el of entry.done.keys()) if (!el.isConnected) entry.done.delete(el);
      applyOne(entry);
    }
  }

  return {
    /** Applies exactly `changes`, reverting every earlier change not among them. */
    apply(changes) {
      const next = new Map();
      for (const change of Array.isArray(changes) ? changes : []) {
        const key = keyOf(change);
        next.set(key, applied.get(key) || { change, done: new Map(), reported: false });
      }
      for (const [key, entry] of applied) {
        if (next.has(key)) continue;
        for (const undo of entry.done.values()) {
          try {
            undo();
          } catch {
            // The page moved the element on; there is nothing left to restore.
          }
        }
      }
      applied = next;
      if (observer) observer.disconnect();
      observer = undefined;
      if (applied.size) {
        // Our own changes are mutations too: the observer is off while we make them.
        sweep();
        observer = new MutationObserver(() => {
          observer.disconnect();
          sweep();
          observer.observe(document.documentElement, { childList: true, subtree: true, characterData: true });
        });
        observer.observe(document.documentElement, { childList: true, subtree: true, characterData: true });
      }
      const hiding = document.getElementById('waymark-hide');
      if (hiding) hiding.remove();
    },
  };
}
