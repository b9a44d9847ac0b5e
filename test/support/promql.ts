/**
 * Small readers for monitoring artefacts: the metric names a PromQL expression selects, the families a Prometheus text
 * exposition holds, and every query of a Grafana dashboard. The PromQL itself is parsed by promtool (the real parser);
 * these only find names, which promtool cannot list.
 */

/** PromQL words that look like metric names but are not. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'offset',
  'bool',
  'inf',
  'nan',
  'atan2',
]);

/**
 * The metric names an expression selects: strings, label matchers `{…}`, ranges `[…]` and the label lists of
 * `by/without/on/ignoring/group_left/group_right` are removed first; then every identifier not called as a function
 * and not a keyword is a metric name. Grafana's `$__rate_interval` and `$var` live inside removed parts or are skipped.
 */
export const metricNamesOf = (expr: string): string[] => {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(?<![\w.$])([A-Za-z_:][\w:]*)(?!\w)(\s*\()?/g)) {
    const [, name, call] = match;
    if (name !== undefined && call === undefined && !KEYWORDS.has(name.toLowerCase())) names.add(name);
  }
  return [...names];
};

/**
 * Every name a scrape can be queried by: each family of `# TYPE <name> <type>` (prom-client prints it even for a
 * labelled family with no samples yet), and a histogram's or summary's `_bucket`, `_sum` and `_count` series.
 */
export const exposedNames = (text: string): Set<string> => {
  const names = new Set<string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (name === undefined) continue;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(name + suffix);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(name + suffix);
  }
  return names;
};

/** The parts of a Grafana dashboard (JSON model) these tests read. */
export interface Dashboard {
  readonly uid: string;
  readonly title: string;
  readonly schemaVersion: number;
  readonly templating: {
    readonly list: readonly {
      readonly name: string;
      readonly type: string;
      readonly definition?: string;
      readonly query?: string | { readonly query: string };
    }[];
  };
  readonly panels: readonly {
    readonly id: number;
    readonly title: string;
    readonly type: string;
    readonly gridPos: { readonly h: number; readonly w: number; readonly x: number; readonly y: number };
    readonly targets: readonly { readonly refId: string; readonly expr: string }[];
  }[];
}

/** One PromQL query of a dashboard, and where it is (for messages). */
export interface DashboardQuery {
  readonly where: string;
  readonly expr: string;
}

/**
 * Every query of a dashboard as PromQL: each panel target's `expr`, and the series selector of each query variable's
 * `label_values(<selector>, <label>)` (Grafana's own function, not PromQL: only its selector is).
 */
export const dashboardQueries = (dashboard: Dashboard): DashboardQuery[] => [
  ...dashboard.panels.flatMap((panel) =>
    panel.targets.map((target) => ({
      where: `${dashboard.uid} panel ${String(panel.id)} "${panel.title}" ${target.refId}`,
      expr: target.expr,
    })),
  ),
  ...dashboard.templating.list
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query =
        typeof variable.query === 'string' ? variable.query : (variable.query?.query ?? variable.definition);
      const selector = /^label_values\((.+),\s*\w+\)$/.exec(query ?? '')?.[1];
      if (selector === undefined)
        throw new Error(`${dashboard.uid} variable ${variable.name}: not label_values(…): ${query ?? ''}`);
      return { where: `${dashboard.uid} variable ${variable.name}`, expr: selector };
    }),
];

/** Grafana's variables replaced by values PromQL accepts, so that promtool can parse what Grafana would send. */
export const asPromQl = (expr: string): string =>
  expr
    .replace(/\$__rate_interval|\$__interval|\$__range/g, '5m')
    .replace(/\$\{?(\w+)\}?/g, (_, name: string) => `var_${name}`);
