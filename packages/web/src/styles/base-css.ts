/**
 * The colors, type and focus ring every page and exported transcript shares: light by default,
 * dark when the person's system prefers it (`prefers-color-scheme`).
 */
export const BASE_CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff;
  --fg: #1f2328;
  --muted: #59636e;
  --border: #d1d9e0;
  --surface: #f6f8fa;
  --accent: #0969da;
  --focus: #0969da;
  --user: #ddf4ff;
  --agent: #ffffff;
  --tool: #f6f8fa;
  --error: #ffebe9;
  --error-fg: #d1242f;
  --ok-fg: #1a7f37;
  --warn-fg: #9a6700;
  --inherited: #fbf8ef;
  --mark: #fff8c5;
  --mono: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117;
    --fg: #e6edf3;
    --muted: #9198a1;
    --border: #3d444d;
    --surface: #151b23;
    --accent: #4493f8;
    --focus: #4493f8;
    --user: #0c2d4a;
    --agent: #0d1117;
    --tool: #151b23;
    --error: #3c1618;
    --error-fg: #ff7b72;
    --ok-fg: #3fb950;
    --warn-fg: #d29922;
    --inherited: #1f1d16;
    --mark: #5c4a00;
  }
}
* { box-sizing: border-box; }
html { background: var(--bg); color: var(--fg); }
body {
  margin: 0;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  background: var(--bg);
  color: var(--fg);
}
a { color: var(--accent); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
code, pre, kbd { font-family: var(--mono); font-size: 13px; }
pre { white-space: pre-wrap; overflow-wrap: anywhere; margin: 0; }
mark { background: var(--mark); color: inherit; }
.muted { color: var(--muted); }
.visually-hidden {
  position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 8px 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
.notice {
  border: 1px solid var(--border); border-left: 4px solid var(--warn-fg);
  background: var(--surface); padding: 8px 12px; margin: 12px 0;
}
`;
