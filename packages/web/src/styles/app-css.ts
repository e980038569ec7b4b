/**
 * The web UI around the transcript: header, navigation, forms, tables, pagination, a project's
 * recent memories; and the transcript page's rendering hint (not in an export, which a reader
 * prints or searches whole): turns and items off screen are laid out only when scrolled to.
 */
export const APP_CSS = `
.skip-link { position: absolute; left: 8px; top: -48px; background: var(--bg); padding: 8px 12px; z-index: 10; border: 2px solid var(--focus); }
.skip-link:focus { top: 8px; }
.site-header {
  display: flex; flex-wrap: wrap; align-items: center; gap: 8px 24px;
  padding: 8px 24px; border-bottom: 1px solid var(--border); background: var(--surface);
}
.site-header .brand { font-weight: 700; color: var(--fg); text-decoration: none; }
.site-header .store-scope { margin: 0; font-size: 13px; color: var(--muted); overflow-wrap: anywhere; }
.home-path { display: block; font-size: 12px; color: var(--muted); overflow-wrap: anywhere; }
.site-header nav ul { display: flex; gap: 16px; list-style: none; margin: 0; padding: 0; }
.site-header nav a[aria-current="page"] { font-weight: 700; text-decoration-thickness: 2px; }
.site-search { margin-left: auto; display: flex; gap: 6px; align-items: center; }
main { padding: 16px 24px 48px; }
main:focus { outline: none; }
h1 { font-size: 22px; }
input, select, button {
  font: inherit; color: var(--fg); background: var(--bg);
  border: 1px solid var(--border); border-radius: 6px; padding: 4px 8px;
}
button { cursor: pointer; background: var(--surface); }
.filters { display: flex; flex-wrap: wrap; gap: 8px 16px; align-items: end; margin-bottom: 16px; }
.filters label, .filters legend { display: block; font-size: 13px; color: var(--muted); }
.filters fieldset { border: 1px solid var(--border); border-radius: 6px; padding: 4px 8px; display: flex; flex-wrap: wrap; gap: 4px 10px; }
.filters fieldset label { display: inline; color: var(--fg); }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--border); vertical-align: top; }
th { font-size: 13px; color: var(--muted); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
td.id { font-family: var(--mono); font-size: 12px; color: var(--muted); white-space: nowrap; }
td.cwd { font-family: var(--mono); font-size: 12px; overflow-wrap: anywhere; }
.pagination { display: flex; gap: 16px; margin: 16px 0; align-items: center; }
.search-hit { border-bottom: 1px solid var(--border); padding: 12px 0; }
.search-hit h2 { font-size: 16px; margin: 0; }
.search-hit ol { list-style: none; padding: 0; margin: 6px 0 0; }
.search-hit li { margin: 4px 0; }
.search-hit .role { font-size: 12px; color: var(--muted); display: inline-block; min-width: 80px; }
.downloads { display: flex; gap: 12px; list-style: none; padding: 0; margin: 8px 0; }
.chart { margin: 12px 0 24px; min-height: 320px; }
.problems li { margin: 6px 0; }
.severity-error { color: var(--error-fg); font-weight: 600; }
.severity-warning { color: var(--warn-fg); font-weight: 600; }
.shortcuts { font-size: 13px; color: var(--muted); }
.project-memories {
  border: 1px solid var(--border); border-radius: 6px; background: var(--surface);
  padding: 8px 12px; margin: 12px 0;
}
.project-memories > h2 { font-size: 16px; margin: 0 0 4px; }
.project-memories > p { margin: 4px 0; }
.memories { list-style: none; padding: 0; margin: 8px 0 0; }
.memory { border-top: 1px solid var(--border); padding: 6px 0; }
.memory-current { border-left: 3px solid var(--accent); padding-left: 8px; }
.memory-meta { margin: 0; font-size: 13px; color: var(--muted); overflow-wrap: anywhere; }
.memory-meta > span + span::before { content: " · "; }
.memory-meta .memory-slug code { color: var(--fg); font-weight: 600; }
.memory-mark { color: var(--fg); }
.memory summary { cursor: pointer; font-size: 13px; color: var(--muted); margin-top: 2px; }
.memory details > .markdown { margin: 6px 0 2px; }
.transcript .turn { content-visibility: auto; contain-intrinsic-size: auto 600px; }
.transcript .item { content-visibility: auto; contain-intrinsic-size: auto 160px; }
kbd { border: 1px solid var(--border); border-radius: 4px; padding: 0 4px; background: var(--surface); }
`;
