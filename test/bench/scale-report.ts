/** make bench-scale's table and goals (docs/operations.md, Large tables). */

export interface Sample {
  median: number;
  p99: number;
  n: number;
}

export interface JobResult {
  /** The longest run. */
  ms: number;
  /** How many times it ran to sample the creates beside it. */
  runs: number;
  rssGrowthMb: number;
  createP99: number;
}

export interface SizeResult {
  rows: number;
  requests: Record<string, Sample>;
  /** How deep each filter's cursor page was (100,000, or the whole list when shorter). */
  depths: Record<string, number>;
  idleCreates: Sample;
  jobs: Record<string, JobResult>;
  failures: number;
  steps: [string, number][];
}

/** Each job's interval (its cron period), or for the stats rebuild the request deadline it runs under. */
const INTERVAL_MS: Record<string, number> = {
  'cs.escalate_stale': 60_000,
  'cs.daily_report': 86_400_000,
  'risk reconcile': 60_000,
  'stats rebuild (Redis miss)': 10_000,
};

function table(rows: string[][]): string {
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((row) => (row[i] ?? '').length)));
  const line = (row: string[]): string =>
    row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0))).join('  ');
  const [head, ...body] = rows;
  return [line(head ?? []), widths.map((w) => '-'.repeat(w)).join('  '), ...body.map(line)].join('\n');
}

const ms = (n: number | undefined): string => (n === undefined || !Number.isFinite(n) ? '-' : n.toFixed(1));
const n = (x: number): string => x.toLocaleString('en');

export function formatScaleReport(small: SizeResult, big: SizeResult): string {
  const head = ['request', `${n(small.rows)}: median`, 'p99', `${n(big.rows)}: median`, 'p99', 'ratio', 'goal'];
  const rows: string[][] = [head];
  const verdicts: string[] = [];
  let pageMisses = 0;
  let pages = 0;
  for (const [name, b] of Object.entries(big.requests)) {
    const s = small.requests[name];
    const ratio = s ? b.median / s.median : NaN;
    const isTimeline = name.startsWith('timeline of');
    const met = isTimeline ? b.median <= 20 && b.p99 <= 50 : b.p99 <= 50 && b.median <= 20 && ratio <= 2;
    if (!isTimeline && name !== 'GET /api/cs/stats') {
      pages += 1;
      if (!met) pageMisses += 1;
    }
    rows.push([name, ms(s?.median), ms(s?.p99), ms(b.median), ms(b.p99), `${ms(ratio)}x`, met ? 'MET' : 'MISSED']);
  }
  const jobRows: string[][] = [
    ['job', `${n(small.rows)}: ms`, 'RSS +MB', `${n(big.rows)}: ms`, 'RSS +MB', 'create p99 ms (idle)', 'goal'],
  ];
  for (const [name, b] of Object.entries(big.jobs)) {
    const s = small.jobs[name];
    const within = b.ms <= (INTERVAL_MS[name] ?? Infinity);
    const memory = b.rssGrowthMb <= 100;
    const creates = b.createP99 <= 2 * big.idleCreates.p99;
    jobRows.push([
      name,
      ms(s?.ms),
      ms(s?.rssGrowthMb),
      ms(b.ms),
      ms(b.rssGrowthMb),
      `${ms(b.createP99)} (${ms(big.idleCreates.p99)})`,
      within && memory && creates
        ? 'MET'
        : `MISSED${within ? '' : ' interval'}${memory ? '' : ' memory'}${creates ? '' : ' creates'}`,
    ]);
    verdicts.push(
      `  ${within && memory && creates ? 'MET   ' : 'MISSED'} ${name}: ${ms(b.ms)} ms of its ${n(INTERVAL_MS[name] ?? 0)} ms, RSS +${ms(b.rssGrowthMb)} MB (≤ 100), creates' p99 ${ms(b.createP99)} ms beside it (≤ 2 × idle ${ms(big.idleCreates.p99)})`,
    );
  }
  const timeline = big.requests['timeline of 10,000 records: first page'];
  const lines = [
    table(rows),
    '',
    `Cursor pages are ${n(100_000)} rows deep where the list is that long, else as deep as it goes: ${
      Object.entries(big.depths)
        .filter(([, d]) => d < 100_000)
        .map(([f, d]) => `${f} ${n(d)}`)
        .join(', ') || 'none shorter'
    } (at ${n(big.rows)}).`,
    '',
    table(jobRows),
    '',
    `Schema steps at ${n(big.rows)}: ${big.steps.map(([s, t]) => `${s} ${(t / 1000).toFixed(1)} s`).join(', ') || 'reused'}.`,
    '',
    'Goals (a miss does not fail the run):',
    `  ${pageMisses === 0 ? 'MET   ' : 'MISSED'} every documented first page and cursor page at ${n(big.rows)}: p99 ≤ 50 ms, median ≤ 20 ms, ≤ 2× on ${n(small.rows)} (${pages - pageMisses} of ${pages})`,
    `  ${big.failures === 0 && small.failures === 0 ? 'MET   ' : 'MISSED'} no request answered other than 2xx (${big.failures} at ${n(big.rows)}, ${small.failures} at ${n(small.rows)})`,
    `  ${timeline && timeline.median <= 20 ? 'MET   ' : 'MISSED'} the first timeline page of an event with 10,000 records ≤ 20 ms (median ${ms(timeline?.median)} ms, p99 ${ms(timeline?.p99)} ms)`,
    ...verdicts,
  ];
  return lines.join('\n');
}
