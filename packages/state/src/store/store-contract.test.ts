import { describeStoreContract } from '@agent-state/test-utils/store-contract';

import { openStateStore } from './state-store.js';

describeStoreContract({
  name: 'SQLite',
  open: ({ home, clock, holderProbe }) => openStateStore({ home, clock, holderProbe }),
});
