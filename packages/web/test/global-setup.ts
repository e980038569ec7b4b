import { buildClient } from '../build/build-client.js';

/** Builds the browser assets into dist/assets/ from the current sources before any test runs. */
export default async function setup(): Promise<void> {
  await buildClient();
}
