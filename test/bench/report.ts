import type { LoadResult } from './load-job';
import type { Scenario } from './scenarios';

export type Side = 'tandem' | 'bare';

/** What one target of a scenario measured, over every round; `failure` when a round could not run. */
export interface SideRuns {
  runs: LoadResult[];
  failure?: string;
}

export interface ScenarioRuns {
  scenario: Scenario;
  tandem: SideRuns;
  bare: SideRuns;
}

interface Summary {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
}

const mean = (values: number[]): number => values.reduce((a, b) => a + b, 0) / values.length;

function summarize(side: SideRuns): Summary | undefined {
  if (side.failure !== undefined || side.runs.length === 0) return undefined;
  const requests = side.runs.reduce((n, r) => n + r.requests, 0);
  const seconds = side.runs.reduce((n, r) => n + r.seconds, 0);
  return {
    rps: requests / seconds,
    p50: mean(side.runs.map((r) => r.p50Ms)),
    p99: mean(side.runs.map((r) => r.p99Ms)),
    errors: side.runs.reduce((n, r) => n + r.errors, 0),
  };
}

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string =>
    row.map((cell, i) => (i < 2 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const [head, ...body] = rows;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const fixed = (n: number, digits: number): string => (Number.isFinite(n) ? n.toFixed(digits) : '-');

/**
 * The results table (requests/s over all rounds; p50 and p99 the mean of the
 * rounds') and, for each scenario with a goal, whether it was met.
 */
export function formatReport(results: ScenarioRuns[]): string {
  const rows: string[][] = [['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'tandem/bare']];
  const verdicts: string[] = [];
  for (const { scenario, tandem, bare } of results) {
    const t = summarize(tandem);
    const b = summarize(bare);
    const ratio = t && b && b.rps > 0 ? t.rps / b.rps : Number.NaN;
    for (const [side, runs, s] of [
      ['tandem', tandem, t],
      ['bare', bare, b],
    ] as const) {
      const cells = s
        ? [fixed(s.rps, 0), fixed(s.p50, 3), fixed(s.p99, 3), String(s.errors)]
        : ['failed', '-', '-', '-'];
      rows.push([side === 'tandem' ? scenario.name : '', side, ...cells, side === 'tandem' ? `${fixed(ratio * 100, 1)}%` : '']);
      if (runs.failure !== undefined) verdicts.push(`  ${scenario.name} (${side}) did not run: ${runs.failure}`);
    }
    if (scenario.goal) {
      const met = Number.isFinite(ratio) && ratio >= scenario.goal.minRatio;
      const mark = met ? 'MET   ' : 'MISSED';
      verdicts.push(`  ${mark} ${scenario.goal.text}: measured ${fixed(ratio * 100, 1)}% (${scenario.name})`);
    }
  }
  return `${table(rows)}\n\nGoals (a miss does not fail the build):\n${verdicts.join('\n')}`;
}
