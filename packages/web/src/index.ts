// Public API of @agent-state/web: the local, read-only web UI over a Codex home, and transcripts
// as self-contained HTML. Everything exported here is documented (with an example) and pinned in
// public-api.exports.txt; the other modules of the package are internal.

export { ListenError, WebErrorCode } from './errors.js';
export {
  type RenderTranscriptHtmlOptions,
  renderTranscriptHtml,
} from './transcript/render-transcript-html.js';
export { DEFAULT_WEB_PORT } from './server/default-port.js';
export { type SharedStoreDescription, type SharedStoreHome } from './server/shared-store.js';
export {
  type WebServer,
  type WebServerOptions,
  startWebServer,
} from './server/start-web-server.js';
