import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Histogram, Summary } from 'prom-client';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { prom } from '../../src/core/monitor';

/*
 * The Grafana dashboard and the alert rules in deploy/monitoring/ name metrics
 * and labels by string. This test reads every PromQL expression in them and
 * checks each metric and label against the app's own Prometheus registry, so
 * renaming a metric or a label in src/ fails here instead of leaving a blank
 * panel or an alert that can never fire.
 */

const MONITORING = path.resolve(__dirname, '..', '..', 'deploy', 'monitoring');

/** Series Prometheus adds itself, with the labels it gives them. */
const PROMETHEUS_SERIES: Record<string, readonly string[]> = { up: [] };
/** Labels Prometheus puts on every scraped series. */
const TARGET_LABELS = ['job', 'instance'];
/** prom-client registers these only on Linux, where tandem is deployed. */
const LINUX_ONLY = new Set(['tandem_process_open_fds', 'tandem_process_max_fds']);

const PROMQL_WORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'atan2',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

interface References {
  metrics: string[];
  labels: string[];
}

/**
 * The metric names and label names a PromQL expression reads: label matchers,
 * grouping and matching clauses (by, without, on, ignoring, group_left/right).
 * A small reader, not a parser: enough for the expressions we write.
 */
function referencesOf(expr: string): References {
  const labels: string[] = [];
  let rest = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  rest = rest.replace(/\[[^\]]*\]/g, ' ');
  rest = rest.replace(/\{([^}]*)\}/g, (_all, body: string) => {
    for (const m of body.matchAll(/([a-zA-Z_]\w*)\s*(?:=~|!~|!=|=)/g)) labels.push(m[1] as string);
    return ' ';
  });
  rest = rest.replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/gi, (_all, list: string) => {
    labels.push(
      ...list
        .split(',')
        .map((label) => label.trim())
        .filter(Boolean),
    );
    return ' ';
  });
  const metrics = [...rest.matchAll(/(?<![\w.$:])([a-zA-Z_:][\w:]*)(?![\w:]|\s*\()/g)]
    .map((m) => m[1] as string)
    .filter((word) => !PROMQL_WORDS.has(word.toLowerCase()));
  return { metrics, labels };
}

/** The labels a Grafana legend shows through `{{label}}` placeholders. */
function legendLabels(legend: string | undefined): string[] {
  return [...(legend ?? '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1] as string);
}

interface Query {
  where: string;
  expr: string;
  /** Labels the query's consumer reads from its result (legend, variable). */
  reads: string[];
}

// ---- The dashboard

const DATASOURCE = { type: 'prometheus', uid: '${DS_PROMETHEUS}' };
const datasourceSchema = z.object({ type: z.literal('prometheus'), uid: z.literal('${DS_PROMETHEUS}') });
const panelSchema = z.object({
  type: z.string(),
  title: z.string().min(1),
  datasource: datasourceSchema.optional(),
  targets: z
    .array(
      z.object({
        refId: z.string(),
        expr: z.string().min(1),
        legendFormat: z.string().optional(),
        datasource: datasourceSchema,
      }),
    )
    .optional(),
});
const variableSchema = z.object({
  name: z.string(),
  type: z.string(),
  query: z.union([z.string(), z.object({ query: z.string() })]).optional(),
});
const dashboardSchema = z.object({
  title: z.string(),
  uid: z.string(),
  panels: z.array(panelSchema),
  templating: z.object({ list: z.array(variableSchema) }),
});

const dashboard = dashboardSchema.parse(
  JSON.parse(readFileSync(path.join(MONITORING, 'grafana-dashboard.json'), 'utf8')) as unknown,
);

const dashboardQueries: Query[] = [
  ...dashboard.panels.flatMap((panel) =>
    (panel.targets ?? []).map((target) => ({
      where: `panel "${panel.title}" [${target.refId}]`,
      expr: target.expr,
      reads: legendLabels(target.legendFormat),
    })),
  ),
  ...dashboard.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query = typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? '');
      const labelValues = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
      if (!labelValues) throw new Error(`Variable ${variable.name} is not label_values(selector, label): ${query}`);
      return { where: `variable ${variable.name}`, expr: labelValues[1] as string, reads: [labelValues[2] as string] };
    }),
];

// ---- The alert rules

const ruleSchema = z.object({
  alert: z.string().regex(/^Tandem[A-Z]\w+$/),
  expr: z.string().min(1),
  for: z.string().regex(/^\d+[smh]$/),
  labels: z.object({ severity: z.enum(['critical', 'warning']) }),
  annotations: z.object({ summary: z.string().min(1), description: z.string().min(1), runbook: z.string().min(1) }),
});
const rulesFileSchema = z.object({
  groups: z.array(z.object({ name: z.string(), rules: z.array(ruleSchema).min(1) })).min(1),
});

const rules = rulesFileSchema
  .parse(parseYaml(readFileSync(path.join(MONITORING, 'alert-rules.yml'), 'utf8')) as unknown)
  .groups.flatMap((group) => group.rules);

const ruleQueries: Query[] = rules.map((rule) => ({
  where: `alert ${rule.alert}`,
  expr: rule.expr,
  reads: [...`${rule.annotations.summary} ${rule.annotations.description}`.matchAll(/\$labels\.(\w+)/g)].map(
    (m) => m[1] as string,
  ),
}));

// ---- The registry

/**
 * Every series name the app exposes, with the labels it can carry: a
 * histogram is read as its _bucket, _sum and _count series.
 */
async function exposedSeries(): Promise<Map<string, readonly string[]>> {
  const series = new Map<string, readonly string[]>(Object.entries(PROMETHEUS_SERIES));
  // getMetricsAsJSON() runs each metric's collect(), as a scrape does.
  for (const { name } of await prom.registry.getMetricsAsJSON()) {
    const metric = prom.registry.getSingleMetric(name);
    // prom-client keeps a metric's declared label names on the instance, outside its typings.
    const declared = (metric as unknown as { labelNames?: unknown } | undefined)?.labelNames;
    if (!Array.isArray(declared)) throw new Error(`Cannot read the label names of ${name}.`);
    const labels = declared as string[];
    if (metric instanceof Histogram) {
      series.set(`${name}_bucket`, [...labels, 'le']);
      series.set(`${name}_sum`, labels);
      series.set(`${name}_count`, labels);
    } else if (metric instanceof Summary) {
      series.set(name, [...labels, 'quantile']);
      series.set(`${name}_sum`, labels);
      series.set(`${name}_count`, labels);
    } else {
      series.set(name, labels);
    }
  }
  return series;
}

let exposed: Map<string, readonly string[]>;

beforeAll(async () => {
  exposed = await exposedSeries();
});

describe('deploy/monitoring assets against the Prometheus registry', () => {
  it('when the dashboard is imported, then it has the four golden-signal rows, the dependencies row, and every panel uses the DS_PROMETHEUS variable', () => {
    const rows = dashboard.panels.filter((panel) => panel.type === 'row').map((panel) => panel.title);
    expect(rows).toEqual(['Latency', 'Traffic', 'Errors', 'Saturation', 'Dependencies and jobs']);
    for (const panel of dashboard.panels.filter((p) => p.type !== 'row')) {
      expect({ panel: panel.title, datasource: panel.datasource }).toEqual({
        panel: panel.title,
        datasource: DATASOURCE,
      });
      expect(panel.targets?.length).toBeGreaterThan(0);
    }
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'DS_PROMETHEUS', type: 'datasource', query: 'prometheus' }),
    );
  });

  it('when the rules file is loaded, then it holds the alerts the README documents, each once', () => {
    const names = rules.map((rule) => rule.alert);
    expect(new Set(names).size).toBe(names.length);
    const readme = readFileSync(path.join(MONITORING, 'README.md'), 'utf8');
    for (const name of names)
      expect({ alert: name, documented: readme.includes(`### ${name}`) }).toEqual({ alert: name, documented: true });
  });

  it.each([...dashboardQueries, ...ruleQueries].map((query) => [query.where, query] as const))(
    'when %s is evaluated, then every metric and label it names is exposed by the app',
    (_where, query) => {
      const { metrics, labels } = referencesOf(query.expr);
      expect(metrics.length).toBeGreaterThan(0);
      const checked = metrics.filter((name) => process.platform === 'linux' || !LINUX_ONLY.has(name));
      const unknownMetrics = checked.filter((name) => !exposed.has(name));
      expect(unknownMetrics).toEqual([]);

      const available = new Set([...TARGET_LABELS, ...checked.flatMap((name) => exposed.get(name) ?? [])]);
      const unknownLabels = [...labels, ...query.reads].filter((label) => !available.has(label));
      expect(unknownLabels).toEqual([]);
    },
  );

  it('when a metric is renamed, then the reader reports the old name as unknown', () => {
    const { metrics, labels } = referencesOf(
      'histogram_quantile(0.99, sum by (le, route) (rate(tandem_http_request_seconds_bucket{job="tandem", status="5xx"}[5m]))) > 1 and on (job) up == 1',
    );
    expect(metrics).toEqual(['tandem_http_request_seconds_bucket', 'up']);
    expect(labels).toEqual(expect.arrayContaining(['le', 'route', 'job', 'status']));
    expect(exposed.has('tandem_http_request_seconds_bucket')).toBe(false);
  });
});
