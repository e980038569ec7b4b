import { errorCategory, toAgentStateError } from '@agent-state/state';
import { Hono } from 'hono';

import { errorPage } from '../pages/error-page.js';
import { healthPage } from '../pages/health-page.js';
import { searchPage } from '../pages/search-page.js';
import { downloadElsewherePage } from '../pages/stored-thread-page.js';
import { threadListPage } from '../pages/thread-list-page.js';
import { EXPORT_FORMATS, exportTranscript } from '../pages/transcript-export.js';
import { transcriptPage } from '../pages/transcript-page.js';
import { usagePage } from '../pages/usage-page.js';
import { type GuardSettings, requestGuard } from './request-guard.js';
import { EXPORT_CSP } from './security-headers.js';
import type { WebContext } from './web-context.js';

/** Hashed assets never change: a year, immutable. */
const ASSET_CACHE = 'public, max-age=31536000, immutable';

const paramsOf = (url: string): URLSearchParams => new URL(url).searchParams;

/**
 * The UI's routes behind the request guard: the thread list, search, a transcript and its
 * downloads (none for a shared store's thread whose rollout is not here: a page says why), usage,
 * health and the hashed assets; a page for what is not found and for errors.
 */
export function createWebApp(options: { context: WebContext; guard: GuardSettings }): Hono {
  const { context } = options;
  const app = new Hono();
  app.use('*', requestGuard(options.guard));

  app.get('/', async (c) => c.html(await threadListPage(context, paramsOf(c.req.url))));
  app.get('/search', async (c) => {
    const page = await searchPage(context, paramsOf(c.req.url));
    return c.html(page.html, page.status);
  });
  app.get('/usage', async (c) => c.html(await usagePage(context, paramsOf(c.req.url))));
  app.get('/health', async (c) => c.html(await healthPage(context)));
  app.get('/threads/:id', async (c) =>
    c.html(await transcriptPage(context, c.req.param('id'), paramsOf(c.req.url))),
  );
  app.get('/threads/:id/:file', async (c) => {
    const format = EXPORT_FORMATS.find(
      (candidate) => c.req.param('file') === `export.${candidate}`,
    );
    if (format === undefined) return c.notFound();
    const exported = await exportTranscript(context, c.req.param('id'), format);
    if ('elsewhere' in exported) {
      return c.html(downloadElsewherePage(context, exported.shared, exported.elsewhere), 404);
    }
    return c.body(exported.body, 200, {
      'Content-Type': exported.contentType,
      'Content-Disposition': `attachment; filename="${exported.fileName}"`,
      ...(format === 'html' ? { 'Content-Security-Policy': EXPORT_CSP } : {}),
    });
  });
  app.get('/assets/:file', (c) => {
    const file = context.assets.file(c.req.param('file'));
    if (file === undefined) return c.notFound();
    return c.body(file.body, 200, {
      'Content-Type': file.contentType,
      'Cache-Control': ASSET_CACHE,
    });
  });

  app.notFound((c) =>
    c.html(
      errorPage({
        assets: context.assets,
        title: 'Not found',
        message: `Nothing is at ${new URL(c.req.url).pathname}.`,
      }),
      404,
    ),
  );
  app.onError((error, c) => {
    const category = errorCategory(error);
    const message = toAgentStateError(error).message;
    if (category === 'not-found') {
      return c.html(
        errorPage({
          assets: context.assets,
          title: 'Not found',
          message: `${capitalized(message)}.`,
        }),
        404,
      );
    }
    if (category === 'invalid-argument') {
      return c.html(errorPage({ assets: context.assets, title: 'Bad request', message }), 400);
    }
    if (category === 'aborted') {
      // The server is closing: nothing failed.
      return c.html(
        errorPage({
          assets: context.assets,
          title: 'Unavailable',
          message: `${capitalized(message)}.`,
        }),
        503,
      );
    }
    context.logger.error('a page failed', { path: new URL(c.req.url).pathname, error: message });
    return c.html(
      errorPage({ assets: context.assets, title: 'Something went wrong', message }),
      500,
    );
  });
  return app;
}

function capitalized(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
