import { DOCUMENT_CSP } from '../transcript/render-transcript-html.js';

/**
 * The policy of the UI's pages: scripts and styles from the server's own `/assets/` only (the
 * usage charts read their data from a JSON `<script>`, which does not run), nothing framed,
 * forms to the server itself.
 */
export const PAGE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The policy of a downloaded transcript (`export.html`): its own, and never framed. */
export const EXPORT_CSP = `${DOCUMENT_CSP}; frame-ancestors 'none'`;

/**
 * Headers on every response: no sniffing, no referrer, no framing, not cached (pages hold
 * secrets; the hashed assets set their own caching). No CORS header is ever sent.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'X-Content-Type-Options': 'nosniff',
  'Referrer-Policy': 'no-referrer',
  'X-Frame-Options': 'DENY',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
});
