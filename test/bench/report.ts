import type { LoadResult } from './load-job';
import type { Scenario } from './scenarios';

export type Side = 'tandem' | 'bare';

/** One measured run: the loader's figures and the CPU the server used meanwhile, when known. */
export type Measurement = LoadResult & { serverCpuMs: number | undefined };

/** What one target of a scenario measured, over every round; `failure` when a round could not run. */
export interface SideRuns {
  runs: Measurement[];
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
  /** Server CPU microseconds per request, NaN when unknown. */
  cpuUs: number;
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
    cpuUs: side.runs.every((r) => r.serverCpuMs !== undefined)
      ? (side.runs.reduce((n, r) => n + (r.serverCpuMs ?? 0), 0) * 1000) / requests
      : Number.NaN,
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

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};

/**
 * tandem/bare of each round: the two runs of a round are back to back, so
 * they share whatever else the machine was doing then. NaN-free.
 */
function roundRatios(tandem: SideRuns, bare: SideRuns, of: (m: Measurement) => number): number[] {
  const ratios: number[] = [];
  for (let i = 0; i < Math.min(tandem.runs.length, bare.runs.length); i += 1) {
    const t = of(tandem.runs[i] as Measurement);
    const b = of(bare.runs[i] as Measurement);
    if (Number.isFinite(t) && Number.isFinite(b) && b > 0 && t > 0) ratios.push(t / b);
  }
  return ratios;
}

const rpsOf = (m: Measurement): number => m.requests / m.seconds;
/** Inverse CPU per request, so that the ratio reads like the requests/s one (higher is better for tandem). */
const perCpuOf = (m: Measurement): number => (m.serverCpuMs === undefined ? Number.NaN : m.requests / m.serverCpuMs);

/**
 * The results table (requests/s over all rounds; p50 and p99 the mean of the
 * rounds'; server CPU per request over all rounds) and, for each scenario with
 * a goal, whether it was met.
 *
 * The ratio columns and the goals use the median over the rounds of each
 * round's tandem/bare ratio, with the lowest and highest round beside it:
 * the two runs of a round are back to back, so a burst of other work on the
 * machine moves one round's pair rather than the whole result. The goal is
 * judged on requests/s; the ratio of CPU per request says what the ratio
 * would be with a core to each server.
 */
export function formatReport(results: ScenarioRuns[]): string {
  const rows: string[][] = [
    ['scenario', 'target', 'req/s', 'p50 ms', 'p99 ms', 'errors', 'CPU us/req', 'tandem/bare req/s', 'by CPU'],
  ];
  const verdicts: string[] = [];
  const pct = (n: number): string => `${fixed(n * 100, 1)}%`;
  const spread = (ratios: number[]): string =>
    ratios.length > 1 ? ` (${pct(Math.min(...ratios))}-${pct(Math.max(...ratios))})` : '';
  for (const { scenario, tandem, bare } of results) {
    const t = summarize(tandem);
    const b = summarize(bare);
    const failed = !t || !b;
    const rpsRatios = failed ? [] : roundRatios(tandem, bare, rpsOf);
    const cpuRatios = failed ? [] : roundRatios(tandem, bare, perCpuOf);
    const ratio = rpsRatios.length > 0 ? median(rpsRatios) : Number.NaN;
    const cpuRatio = cpuRatios.length > 0 ? median(cpuRatios) : Number.NaN;
    for (const [side, runs, s] of [
      ['tandem', tandem, t],
      ['bare', bare, b],
    ] as const) {
      const cells = s
        ? [fixed(s.rps, 0), fixed(s.p50, 3), fixed(s.p99, 3), String(s.errors), fixed(s.cpuUs, 0)]
        : ['failed', '-', '-', '-', '-'];
      const ratios =
        side === 'tandem' ? [`${pct(ratio)}${spread(rpsRatios)}`, `${pct(cpuRatio)}${spread(cpuRatios)}`] : ['', ''];
      // The target column names the server (bare-express, floor-thrift, tandem-2w...), not just the side.
      rows.push([side === 'tandem' ? scenario.name : '', scenario[side].server, ...cells, ...ratios]);
      if (runs.failure !== undefined) verdicts.push(`  ${scenario.name} (${side}) did not run: ${runs.failure}`);
    }
    if (scenario.goal) {
      const { goal } = scenario;
      const p99Ratios = failed ? [] : roundRatios(tandem, bare, (m) => m.p99Ms);
      const p99Ratio = p99Ratios.length > 0 ? median(p99Ratios) : Number.NaN;
      // cpuRatio is bare CPU / tandem CPU per request; the goal is written as tandem's multiple of bare's.
      const cpuMultiple = 1 / cpuRatio;
      const met =
        Number.isFinite(ratio) &&
        ratio >= goal.minRatio &&
        (goal.maxCpuRatio === undefined || (Number.isFinite(cpuMultiple) && cpuMultiple <= goal.maxCpuRatio)) &&
        (goal.maxP99Ratio === undefined || (Number.isFinite(p99Ratio) && p99Ratio <= goal.maxP99Ratio));
      const mark = met ? 'MET   ' : 'MISSED';
      const extra =
        (goal.maxCpuRatio === undefined ? '' : `, CPU per request ${fixed(cpuMultiple, 2)}x bare's`) +
        (goal.maxP99Ratio === undefined ? '' : `, p99 ${fixed(p99Ratio, 2)}x bare's${spread(p99Ratios)}`);
      verdicts.push(
        `  ${mark} ${goal.text}: median ${pct(ratio)} by req/s${spread(rpsRatios)}, ${pct(cpuRatio)} by CPU per request${spread(cpuRatios)}${extra} (${scenario.name})`,
      );
    }
  }
  return `${table(rows)}\n\nGoals (a miss does not fail the build):\n${verdicts.join('\n')}`;
}
