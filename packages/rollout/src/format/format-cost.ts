/**
 * A cost in US dollars as the usage reports show it: `$12.35`, `$0.0133` under a dollar, `?` when
 * unknown (a model without a price), `>= $1.23` when only part of it is known.
 *
 * @example
 * ```ts
 * formatCost({ costUsd: null, knownCostUsd: 2 }); // '>= $2.00'
 * ```
 */
export function formatCost(usage: { costUsd: number | null; knownCostUsd: number }): string {
  const dollars = (value: number): string =>
    value > 0 && value < 1 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
  if (usage.costUsd !== null) return dollars(usage.costUsd);
  return usage.knownCostUsd > 0 ? `>= ${dollars(usage.knownCostUsd)}` : '?';
}
