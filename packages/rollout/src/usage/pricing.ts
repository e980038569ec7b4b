import { readFileSync } from 'node:fs';

import { InvalidArgumentError, NotFoundError, type UsageTokens } from '@agent-state/state';
import * as z from 'zod';

/**
 * A model's price in US dollars per million tokens: uncached input, cached input, output
 * (reasoning is output).
 *
 * @example
 * ```ts
 * const gpt5: ModelPrice = { input: 1.25, cachedInput: 0.125, output: 10 };
 * ```
 */
export interface ModelPrice {
  input: number;
  cachedInput: number;
  output: number;
}

/**
 * Prices of models, with the day they were read and where. The file `--pricing` takes has this
 * shape, as JSON.
 *
 * @example
 * ```ts
 * const table: PricingTable = {
 *   asOf: '2026-12-01', source: 'our contract',
 *   models: { 'gpt-5.5': { input: 2, cachedInput: 0.2, output: 16 } },
 * };
 * ```
 */
export interface PricingTable {
  /** The day the prices were read, `YYYY-MM-DD`. */
  asOf: string;
  /** Where they come from. */
  source: string;
  /** By model name as rollouts write it (`turn_context.model`). */
  models: Readonly<Record<string, ModelPrice>>;
}

const price = (input: number, cachedInput: number, output: number): ModelPrice =>
  Object.freeze({ input, cachedInput, output });

/**
 * OpenAI's published API prices of the models Codex runs, per million tokens, as shipped with
 * this package (no network is ever used). A model not listed has an unknown cost: pass your own
 * table (`loadPricingTable`) for it.
 *
 * @example
 * ```ts
 * const price = priceOf(OPENAI_PRICING, 'gpt-5-codex'); // { input: 1.25, cachedInput: 0.125, output: 10 }
 * ```
 */
export const OPENAI_PRICING: PricingTable = Object.freeze({
  asOf: '2026-12-07',
  source: 'https://openai.com/api/pricing/',
  models: Object.freeze({
    'gpt-5': price(1.25, 0.125, 10),
    'gpt-5-codex': price(1.25, 0.125, 10),
    'gpt-5-mini': price(0.25, 0.025, 2),
    'gpt-5-nano': price(0.05, 0.005, 0.4),
    'gpt-5.1': price(1.25, 0.125, 10),
    'gpt-5.1-codex': price(1.25, 0.125, 10),
    'gpt-5.1-codex-max': price(1.25, 0.125, 10),
    'gpt-5.1-codex-mini': price(0.25, 0.025, 2),
    'gpt-5.2': price(1.75, 0.175, 14),
    'gpt-5.2-codex': price(1.75, 0.175, 14),
    'gpt-5.3-codex': price(1.75, 0.175, 14),
    'gpt-5.4': price(2.5, 0.25, 15),
    'codex-mini-latest': price(1.5, 0.375, 6),
    'gpt-4.1': price(2, 0.5, 8),
    'gpt-4.1-mini': price(0.4, 0.1, 1.6),
    'gpt-4.1-nano': price(0.1, 0.025, 0.4),
    'gpt-4o': price(2.5, 1.25, 10),
    'gpt-4o-mini': price(0.15, 0.075, 0.6),
    o3: price(2, 0.5, 8),
    'o4-mini': price(1.1, 0.275, 4.4),
  }),
});

const PricingFileSchema = z.object({
  asOf: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, 'a day, YYYY-MM-DD'),
  source: z.string().default(''),
  models: z.record(
    z.string().min(1),
    z.object({
      input: z.number().nonnegative(),
      cachedInput: z.number().nonnegative(),
      output: z.number().nonnegative(),
    }),
  ),
});

/**
 * Reads a pricing table from a JSON file of the {@link PricingTable} shape. A missing file is a
 * `NotFoundError`; one that is not such a table an `InvalidArgumentError` naming the file and
 * the problem.
 *
 * @example
 * ```ts
 * const pricing = loadPricingTable('prices.json');
 * const summary = await summarizeUsage({ store, pricing });
 * ```
 */
export function loadPricingTable(path: string): PricingTable {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotFoundError(`pricing file ${path}`, { path });
    }
    throw new InvalidArgumentError('pricing', `cannot read ${path}: ${(error as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidArgumentError('pricing', `${path} is not JSON: ${(error as Error).message}`);
  }
  const parsed = PricingFileSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new InvalidArgumentError(
      'pricing',
      `${path}: ${issue.path.join('.') || 'the file'}: ${issue.message}`,
    );
  }
  return parsed.data;
}

/**
 * A model's price in `table`: by its exact name, else without a date suffix
 * (`gpt-5-2025-08-07` is `gpt-5`) or a provider prefix (`openai/gpt-5`). Never a guess by a
 * similar name: `undefined` when the table does not list it.
 *
 * @example
 * ```ts
 * priceOf(OPENAI_PRICING, 'gpt-5.5'); // undefined: not in the table, its cost is unknown
 * ```
 */
export function priceOf(table: PricingTable, model: string | null): ModelPrice | undefined {
  if (model === null) return undefined;
  const { models } = table;
  const plain = model.replace(/^openai\//u, '');
  for (const name of [model, plain, plain.replace(/-\d{4}-\d{2}-\d{2}$/u, '')]) {
    // Own keys only: `constructor` is no model.
    if (Object.hasOwn(models, name)) return models[name];
  }
  return undefined;
}

/**
 * What `tokens` cost at `price`, US dollars: uncached input, cached input and output, each at its
 * rate.
 *
 * @example
 * ```ts
 * costOf({ inputTokens: 1_000_000, cachedInputTokens: 0, outputTokens: 0 }, price); // price.input
 * ```
 */
export function costOf(
  tokens: Pick<UsageTokens, 'inputTokens' | 'cachedInputTokens' | 'outputTokens'>,
  price: ModelPrice,
): number {
  const cached = Math.min(tokens.cachedInputTokens, tokens.inputTokens);
  return (
    ((tokens.inputTokens - cached) * price.input +
      cached * price.cachedInput +
      tokens.outputTokens * price.output) /
    1_000_000
  );
}
