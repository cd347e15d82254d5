// What the object-store benchmarks' reports end with: their targets, and the host's steal time per round.

/** A targets table (what, target, measured) and the steal line, as markdown lines. */
export function targetsAndSteal(targets: readonly (readonly [string, string, string])[], steal: readonly number[]): string[] {
  return [
    '| what | target | measured (per round, then the median) |',
    '|---|---|---|',
    ...targets.map(([what, target, value]) => `| ${what} | ${target} | ${value} |`),
    '',
    `Host steal time per round: ${steal.map((s) => `${s.toFixed(1)}%`).join(', ')}.`,
  ];
}
