/** What a cost is made of: `null` when part of it is unknown, and the part that is known. */
export interface CostParts {
  costUsd: number | null;
  knownCostUsd: number;
}

/** `$12.34`; `$0.0133` under a dollar; `?` unknown; `>= $1.23` when part of it is unknown. */
export function formatCost(usage: CostParts): string {
  const dollars = (value: number): string =>
    value > 0 && value < 1 ? `$${value.toFixed(4)}` : `$${value.toFixed(2)}`;
  if (usage.costUsd !== null) return dollars(usage.costUsd);
  return usage.knownCostUsd > 0 ? `>= ${dollars(usage.knownCostUsd)}` : '?';
}
