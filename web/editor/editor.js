// The code editor: CodeMirror 6, bundled by esbuild (Trunk.toml's pre_build hook) into
// target/pipesim-editor.js, which the page loads before its wasm. web/src/editor.rs calls it
// through wasm-bindgen as the global `pipesimEditor`. One editor per page; each file keeps its
// own state (text, undo history, selection), so switching tabs keeps every file's undo.
//
// The keyword tables (completion, hover help) are the core's own (pipesim::config::keywords),
// handed over as data by create(); nothing GitLab-specific is written here.
import { EditorState, Compartment } from "@codemirror/state";
import {
  EditorView, keymap, lineNumbers, highlightActiveLine, highlightActiveLineGutter,
  drawSelection, hoverTooltip, highlightSpecialChars,
} from "@codemirror/view";
import {
  history, defaultKeymap, historyKeymap, indentMore, indentLess, insertNewlineAndIndent,
} from "@codemirror/commands";
import { search, searchKeymap, highlightSelectionMatches } from "@codemirror/search";
import { lintGutter, setDiagnostics as cmSetDiagnostics, lintKeymap } from "@codemirror/lint";
import { autocompletion, completionKeymap } from "@codemirror/autocomplete";
import {
  foldGutter, foldKeymap, syntaxHighlighting, indentOnInput, indentUnit, bracketMatching, indentService,
  foldService, StreamLanguage, forceParsing, syntaxTreeAvailable,
} from "@codemirror/language";
import { classHighlighter, tags } from "@lezer/highlight";
import { yaml as yamlMode } from "@codemirror/legacy-modes/mode/yaml";

// YAML as CodeMirror's line-by-line stream mode, not the @codemirror/lang-yaml grammar: on a
// 6,000-line file the grammar's parse took 5-100 ms of every keystroke (its incremental reparse
// after an edit re-reads much of the document), the stream mode 2-6 ms, as little as no
// language at all (docs/BENCHMARKS.md, "Typing"); and it is 11 KB smaller. Its token names are
// mapped to the tags the page's colours use (a key is `atom` in the mode).
const yamlLanguage = StreamLanguage.define({
  ...yamlMode,
  tokenTable: { atom: tags.propertyName, variable: tags.labelName, def: tags.meta },
});

// Folding by indentation, as YAML nests: a line folds when the lines below it are indented
// further, or, under a `key:`, are list items at its indentation (`script:` then `- make`).
// Blank and comment lines inside the block fold with it.
function yamlFold(state, from) {
  const doc = state.doc;
  const line = doc.lineAt(from);
  const text = line.text;
  if (!text.trim() || /^\s*#/.test(text)) return null;
  const indent = /^\s*/.exec(text)[0].length;
  const opens = /:\s*(#.*)?$/.test(text);
  let last = null;
  for (let n = line.number + 1; n <= doc.lines; n++) {
    const next = doc.line(n);
    if (!next.text.trim() || /^\s*#/.test(next.text)) continue;
    const inner = /^\s*/.exec(next.text)[0].length;
    if (inner < indent || (inner === indent && !(opens && /^\s*-(\s|$)/.test(next.text)))) break;
    last = next;
  }
  return last ? { from: line.to, to: last.to } : null;
}

// The key a line defines (`  name:` or `- name:`), its indentation, or null.
const KEY = /^(\s*)(?:-\s+)*([A-Za-z0-9_.\-\/]+)\s*:(?:\s|$)/;
const LIST = /^(\s*)-(?:\s|$)/;

// The chain of parent keys above line `lineNo` for a line indented by `indent` columns,
// outermost first, read from the indentation as YAML nests it.
function parents(doc, lineNo, indent) {
  const chain = [];
  let want = indent;
  for (let n = lineNo - 1; n >= 1 && want > 0; n--) {
    const text = doc.line(n).text;
    if (!text.trim() || /^\s*#/.test(text)) continue;
    const m = KEY.exec(text);
    const lead = text.length - text.trimStart().length;
    if (lead >= want && !(m && LIST.test(text) && lead < want)) continue;
    if (m) {
      chain.unshift(m[2]);
      want = lead;
    } else if (LIST.test(text)) {
      want = lead;
    } else {
      want = lead;
    }
  }
  return chain;
}

// Which table applies under `chain`: the root, a job, or the innermost known key.
function contextOf(tables, chain) {
  if (chain.length === 0) return "";
  const top = chain[0];
  if (chain.length === 1) {
    if (tables.root.includes(top)) return top;
    return top.startsWith(".") || true ? "job" : "";
  }
  for (let i = chain.length - 1; i >= 1; i--) {
    if (tables.contexts[chain[i]]) return chain[i];
  }
  return tables.root.includes(top) ? top : "job";
}

function keywordCompletion(tables) {
  return (cx) => {
    const line = cx.state.doc.lineAt(cx.pos);
    const before = line.text.slice(0, cx.pos - line.from);
    const m = /^(\s*)((?:-\s+)*)([A-Za-z0-9_]*)$/.exec(before);
    if (!m) return null;
    if (!m[3] && !cx.explicit) return null;
    const indent = m[1].length + m[2].length;
    const chain = parents(cx.state.doc, line.number, indent);
    const keys = tables.contexts[contextOf(tables, chain)] || [];
    if (!keys.length) return null;
    return {
      from: cx.pos - m[3].length,
      options: keys.map((k) => ({ label: k, type: "keyword", apply: k + ": ", detail: contextOf(tables, chain) || "top level" })),
      validFor: /^[A-Za-z0-9_]*$/,
    };
  };
}

function keywordHover(tables) {
  return hoverTooltip((view, pos) => {
    const line = view.state.doc.lineAt(pos);
    const m = KEY.exec(line.text);
    if (!m) return null;
    const start = line.from + line.text.indexOf(m[2], m[1].length);
    const end = start + m[2].length;
    if (pos < start || pos > end) return null;
    const chain = parents(view.state.doc, line.number, start - line.from);
    const context = contextOf(tables, chain);
    const keys = tables.contexts[context] || [];
    if (!keys.includes(m[2])) return null;
    const help = tables.help[context] || {};
    return {
      pos: start, end, above: true,
      create() {
        const dom = document.createElement("div");
        dom.className = "cm-keyword-help";
        const head = document.createElement("strong");
        head.textContent = m[2];
        dom.append(head, ` — ${help.where || "a GitLab CI/CD keyword"}`);
        if (help.docs) {
          dom.append(document.createElement("br"));
          const a = document.createElement("a");
          a.href = help.docs + (context && context !== "job" && tables.root.indexOf(context) < 0 ? context : "") + m[2].replace(/[^a-z0-9]/g, "");
          if (context === "" || context === "job") a.href = help.docs + m[2].replace(/[^a-z0-9_]/g, "");
          a.target = "_blank";
          a.rel = "noopener noreferrer";
          a.textContent = "GitLab docs: " + a.href.replace(/^https:\/\//, "");
          dom.append(a);
        }
        return { dom };
      },
    };
  });
}

// A finding's span is a point (line, column, 1-based): underline from there to the end of the
// word (a key up to its colon), or the line's text when the point is at its end.
function range(doc, d) {
  const n = Math.min(Math.max(d.line, 1), doc.lines);
  const line = doc.line(n);
  let col = Math.min(Math.max(d.column - 1, 0), line.length);
  let from = line.from + col;
  const rest = line.text.slice(col);
  const word = /^[^\s:,\[\]{}]+/.exec(rest);
  let to = from + (word ? word[0].length : 0);
  if (to === from) {
    const lead = line.text.length - line.text.trimStart().length;
    from = line.from + lead;
    to = line.to;
  }
  if (to === from) to = Math.min(from + 1, doc.length);
  return { from, to };
}

// YAML's indentation, as people type it: a line ending in `key:` (or `- key:`) opens a block
// two columns further in; any other line keeps its indentation (a `- key: value` item's keys
// line up under its first key).
function yamlIndent(cx, pos) {
  const line = cx.state.doc.lineAt(pos);
  const text = line.text.slice(0, pos - line.from).replace(/\s+#.*$/, "");
  if (!text.trim()) return null;
  const lead = /^\s*/.exec(text)[0].length;
  const item = /^(\s*)((?:-\s+)+)/.exec(text);
  // `- key: value` continues with the item's keys; `- value` with the next item.
  const inner = item && /^[^\s:#][^:#]*:(\s|$)/.test(text.slice(item[0].length)) ? item[0].length : lead;
  if (/:\s*$/.test(text) || /:\s*[|>][-+0-9]*\s*$/.test(text)) return inner + 2;
  return inner;
}

const SEVERITY = { error: "error", warning: "warning", info: "info" };

class PipesimEditor {
  constructor(parent, options) {
    this.tables = JSON.parse(options.keywords || '{"root":[],"contexts":{},"help":{}}');
    this.onChange = options.onChange;
    this.states = new Map();
    this.path = null;
    this.silent = false;
    this.readOnly = new Compartment();
    this.extensions = [
      lineNumbers(), foldGutter(), lintGutter(), highlightActiveLineGutter(),
      highlightSpecialChars(), history(), drawSelection(), indentOnInput(), bracketMatching(),
      highlightActiveLine(), highlightSelectionMatches(),
      syntaxHighlighting(classHighlighter),
      yamlLanguage, foldService.of(yamlFold), indentService.of(yamlIndent), indentUnit.of("  "), EditorState.tabSize.of(2),
      search({ top: true }),
      autocompletion({ override: [keywordCompletion(this.tables)], icons: false }),
      keywordHover(this.tables),
      keymap.of([
        ...completionKeymap, ...searchKeymap, ...historyKeymap, ...foldKeymap, ...lintKeymap,
        { key: "Enter", run: insertNewlineAndIndent },
        { key: "Tab", run: (v) => (v.state.selection.ranges.some((r) => !r.empty) ? indentMore(v) : (v.dispatch(v.state.replaceSelection("  ")), true)), shift: indentLess },
        ...defaultKeymap,
      ]),
      EditorView.contentAttributes.of({ id: "editor", "aria-label": options.label || "Editor", "aria-describedby": "editor-hint status" }),
      EditorView.updateListener.of((u) => {
        if (u.docChanged) this.parseAhead();
        // Only that it changed: the page reads the text (getText) once typing pauses.
        if (u.docChanged && !this.silent && this.onChange) this.onChange();
      }),
    ];
    this.view = new EditorView({ parent, state: this.fresh("") });
    this.view.dom.pipesim = this;
  }

  // Parses the rest of the document in idle slices of a few milliseconds after each change.
  // CodeMirror's own background parse takes slices of up to 100 ms and relies on
  // `navigator.scheduling.isInputPending` to stop for a key; where that does not see the key
  // (the benchmark's keys, sent by WebDriver, waited behind such slices in its long frames), a
  // slice is a key's wait. With the whole document parsed, a jump to its end (or a keystroke
  // there) has nothing left to parse first.
  parseAhead() {
    if (this.parsing || typeof requestIdleCallback !== "function") return;
    const step = () => {
      this.parsing = null;
      const view = this.view;
      if (!view || syntaxTreeAvailable(view.state, view.state.doc.length)) return;
      forceParsing(view, view.state.doc.length, 4);
      this.parsing = requestIdleCallback(step, { timeout: 1000 });
    };
    this.parsing = requestIdleCallback(step, { timeout: 1000 });
  }

  fresh(text) {
    return EditorState.create({ doc: text, extensions: this.extensions });
  }

  // Shows `path` with `text`: its kept state when the text is the same, else the text replaces
  // the document as one undoable change (an example loaded, a fix applied).
  show(path, text) {
    if (path !== this.path) {
      if (this.path !== null) this.states.set(this.path, this.view.state);
      const kept = this.states.get(path);
      this.path = path;
      this.silent = true;
      this.view.setState(kept || this.fresh(text));
      this.silent = false;
    }
    this.setText(text);
    this.parseAhead();
  }

  setText(text) {
    const doc = this.view.state.doc;
    if (doc.length === text.length && doc.toString() === text) return;
    this.silent = true;
    this.view.dispatch({ changes: { from: 0, to: doc.length, insert: text } });
    this.silent = false;
  }

  getText() {
    return this.view.state.doc.toString();
  }

  // Forgets the files no longer open (removed or renamed).
  keep(paths) {
    for (const p of [...this.states.keys()]) if (!paths.includes(p)) this.states.delete(p);
  }

  setDiagnostics(json) {
    const doc = this.view.state.doc;
    const list = JSON.parse(json).map((d) => ({
      ...range(doc, d),
      severity: SEVERITY[d.severity] || "info",
      message: d.message,
      source: d.code,
    }));
    this.view.dispatch(cmSetDiagnostics(this.view.state, list));
  }

  goto(line, column) {
    const doc = this.view.state.doc;
    const l = doc.line(Math.min(Math.max(line, 1), doc.lines));
    const pos = Math.min(l.from + Math.max(column - 1, 0), l.to);
    this.view.dispatch({ selection: { anchor: pos }, effects: EditorView.scrollIntoView(pos, { y: "center" }) });
    this.view.focus();
  }

  destroy() {
    if (this.parsing) cancelIdleCallback(this.parsing);
    this.view.destroy();
    this.view = null;
  }
}

// A read-only view of a file (an embed's YAML beside its results): the editor's YAML
// highlighting and line numbers, long lines wrapped, nothing that edits. The text can be
// focused (to scroll and select it) but not changed.
function viewer(parent, text, label) {
  const view = new EditorView({
    parent,
    state: EditorState.create({
      doc: text,
      extensions: [
        lineNumbers(), highlightSpecialChars(), syntaxHighlighting(classHighlighter), yamlLanguage,
        EditorState.readOnly.of(true), EditorView.editable.of(false), EditorView.lineWrapping,
        EditorState.tabSize.of(2),
        EditorView.contentAttributes.of({ tabindex: "0", "aria-label": label }),
      ],
    }),
  });
  view.dom.pipesim = { view };
  return view;
}

// An embed (`#…&embed` links) shows its YAML read-only (web/src/share.rs `read_only_files`) as
// plain numbered lines; here each such file is shown in a viewer instead, the plain lines kept
// (hidden) for the app, and the viewer follows them when a new link changes them. Nothing of
// this runs outside embeds.
const viewers = new WeakMap();

function showInViewers() {
  for (const pre of document.querySelectorAll("pre.embed-code")) {
    const text = pre.textContent.replace(/\n$/, "");
    const shown = viewers.get(pre);
    if (!shown) {
      const host = document.createElement("div");
      host.className = "embed-code embed-viewer";
      pre.after(host);
      pre.hidden = true;
      viewers.set(pre, viewer(host, text, pre.getAttribute("aria-label") || "Read-only file"));
    } else if (shown.state.doc.toString() !== text) {
      shown.dispatch({ changes: { from: 0, to: shown.state.doc.length, insert: text } });
    }
  }
}

// What the viewers draw themselves is not looked at again.
const outsideViewers = (r) => {
  const element = r.target.nodeType === 1 ? r.target : r.target.parentElement;
  return !(element && element.closest(".embed-viewer"));
};

if (/[#&]embed(&|$)/.test(location.hash)) {
  new MutationObserver((records) => {
    if (records.some(outsideViewers)) showInViewers();
  }).observe(document.documentElement, { childList: true, subtree: true, characterData: true });
}

// What editor.rs calls (and the end-to-end tests: `pipesimEditor.of(element)`).
window.pipesimEditor = {
  create: (parent, options) => new PipesimEditor(parent, options),
  show: (e, path, text) => e.show(path, text),
  setText: (e, text) => e.setText(text),
  getText: (e) => e.getText(),
  keep: (e, paths) => e.keep(paths),
  setDiagnostics: (e, json) => e.setDiagnostics(json),
  goto: (e, line, column) => e.goto(line, column),
  destroy: (e) => e.destroy(),
  // The editor holding a DOM element (tests, automation): its CodeMirror view.
  of: (element) => {
    const dom = element && element.closest && element.closest(".cm-editor");
    return dom && dom.pipesim ? dom.pipesim.view : null;
  },
};
