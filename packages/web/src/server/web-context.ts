import type { Clock, Logger } from '@agent-state/state';

import type { HomeStore } from './home-store.js';
import type { WebAssets } from './web-assets.js';

/** What every route of the UI reads from: the home, its store, the assets, the time. */
export interface WebContext {
  home: string;
  store: HomeStore;
  assets: WebAssets;
  clock: Clock;
  logger: Logger;
}
