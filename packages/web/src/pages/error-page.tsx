import { renderDocument } from '../components/render-html.js';
import type { WebAssets } from '../server/web-assets.js';
import { Layout } from './layout.js';

/** A page that says what went wrong (`404`: what was not found; `400`: what was refused). */
export function errorPage(options: { assets: WebAssets; title: string; message: string }): string {
  return renderDocument(
    <Layout title={options.title} assets={options.assets}>
      <h1>{options.title}</h1>
      <p>{options.message}</p>
      <p>
        <a href="/">Back to the threads</a>
      </p>
    </Layout>,
  );
}
