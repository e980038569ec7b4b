/** The transcript: turns, their items, clipped outputs, inherited history. */
export const TRANSCRIPT_CSS = `
.transcript { max-width: 980px; }
.transcript-header h1 { font-size: 22px; margin: 0 0 4px; overflow-wrap: anywhere; }
.turn { border-top: 1px solid var(--border); padding: 12px 0; }
.turn:focus { outline: none; }
.turn:focus-visible, .turn:focus { box-shadow: -4px 0 0 var(--focus); }
.turn > h2 { font-size: 16px; margin: 0 0 4px; }
.turn-meta { color: var(--muted); font-size: 13px; margin: 0 0 8px; }
.turn-meta > span + span::before { content: " · "; }
.item { border: 1px solid var(--border); border-radius: 6px; margin: 8px 0; padding: 8px 12px; }
.item > header { display: flex; gap: 8px; align-items: baseline; font-size: 13px; color: var(--muted); margin-bottom: 4px; }
.item > header .label { font-weight: 600; color: var(--fg); }
.item > header .line-link { margin-left: auto; color: var(--muted); }
.item-user_message { background: var(--user); }
.item-agent_message { background: var(--agent); }
.item-reasoning { background: var(--surface); color: var(--muted); font-style: italic; }
.item-tool_call, .item-patch { background: var(--tool); }
.item-error { background: var(--error); border-color: var(--error-fg); }
.item-error .label { color: var(--error-fg); }
.item-compaction { border-style: dashed; }
.text { white-space: pre-wrap; overflow-wrap: anywhere; }
.markdown { white-space: normal; }
.markdown > :first-child { margin-top: 0; }
.markdown > :last-child { margin-bottom: 0; }
.markdown p, .markdown ul, .markdown ol, .markdown pre, .markdown blockquote, .markdown table { margin: 0 0 8px; }
.markdown h1, .markdown h2, .markdown h3, .markdown h4 { font-size: 15px; margin: 12px 0 6px; }
.markdown ul, .markdown ol { padding-left: 22px; }
.markdown code { font-family: var(--mono); font-size: 13px; background: var(--surface); border-radius: 4px; padding: 0 3px; }
.markdown pre { overflow-x: auto; background: var(--surface); border: 1px solid var(--border); border-radius: 6px; padding: 8px; }
.markdown pre code { background: none; padding: 0; }
.markdown blockquote { border-left: 3px solid var(--border); padding-left: 10px; color: var(--muted); }
.markdown table { border-collapse: collapse; }
.markdown th, .markdown td { border: 1px solid var(--border); padding: 2px 6px; }
.command { font-weight: 600; }
.exit-ok { color: var(--ok-fg); }
.exit-failed { color: var(--error-fg); }
.output { border-top: 1px dashed var(--border); margin-top: 6px; padding-top: 6px; }
.omitted { display: block; color: var(--muted); font-style: italic; margin: 4px 0; font-family: inherit; }
.files { margin: 0 0 6px; padding-left: 20px; font-family: var(--mono); font-size: 13px; }
.inherited {
  background: var(--inherited); border: 1px dashed var(--border); border-radius: 8px;
  padding: 0 12px; margin: 12px 0;
}
.inherited > h2 { font-size: 15px; margin: 12px 0 4px; }
.skipped { color: var(--warn-fg); }
`;
