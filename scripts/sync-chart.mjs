// Keeps the Helm chart's copies of operator-owned files identical to their sources, so the chart never becomes a
// second description of CouponKill that drifts from the operator:
//   - crds/seckills.ops.couponkill.io.yaml   byte copy of operator/config/crd/seckills.ops.couponkill.io.yaml
//   - dashboards/*.json                      byte copies of operator/dashboards/*.json (when that folder exists)
//   - values.schema.json seckill.spec        generated from the CRD's openAPIV3Schema (the rest of the file is hand-written)
// `node scripts/sync-chart.mjs` writes them; `--check` writes nothing and exits 1 naming each file that differs.
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { format, resolveConfig } from 'prettier';
import { parse } from 'yaml';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHART = join(ROOT, 'deploy/helm/couponkill');
const CRD = join(ROOT, 'operator/config/crd/seckills.ops.couponkill.io.yaml');
const DASHBOARDS = join(ROOT, 'operator/dashboards');
const SCHEMA = join(CHART, 'values.schema.json');

// Kubernetes-only keywords a JSON-schema validator does not know; the API server enforces them (the chart test's
// server-side dry run proves it), the values schema only catches typos and types early.
const DROPPED = new Set([
  'x-kubernetes-validations',
  'x-kubernetes-list-type',
  'x-kubernetes-list-map-keys',
  'x-kubernetes-int-or-string',
  'x-kubernetes-preserve-unknown-fields',
  'x-kubernetes-embedded-resource',
]);

/**
 * One CRD schema node → a JSON-schema node. Anchors were expanded by the parser, so shared nodes are converted once per
 * place they appear (a fresh object each time). Objects with listed properties get `additionalProperties: false`
 * unless the CRD keeps unknown fields or declares a map; int-or-string becomes an anyOf when the CRD gave none.
 */
function convert(node) {
  if (Array.isArray(node)) return node.map(convert);
  if (node === null || typeof node !== 'object') return node;
  const out = {};
  for (const [key, value] of Object.entries(node)) {
    if (DROPPED.has(key)) continue;
    if (key === 'format' && (value === 'int32' || value === 'int64')) continue;
    if (key === 'properties')
      out.properties = Object.fromEntries(
        Object.entries(value).map(([name, schema]) => [name, convert(schema)]),
      );
    else out[key] = key === 'default' || key === 'enum' ? value : convert(value);
  }
  if (node['x-kubernetes-int-or-string'] === true && !node.anyOf && !node.type)
    out.anyOf = [{ type: 'integer' }, { type: 'string' }];
  if (
    node.properties &&
    node.additionalProperties === undefined &&
    !node['x-kubernetes-preserve-unknown-fields']
  )
    out.additionalProperties = false;
  return out;
}

/** The CRD's spec schema as the values schema's seckill.spec: the chart injects `image`, so it is not required there. */
function specSchema(crdText) {
  const crd = parse(crdText, { merge: true });
  const spec = crd?.spec?.versions?.[0]?.schema?.openAPIV3Schema?.properties?.spec;
  if (!spec)
    throw new Error(`${relative(ROOT, CRD)}: no spec.versions[0].schema.openAPIV3Schema.properties.spec`);
  const schema = convert(spec);
  schema.required = (schema.required ?? []).filter((name) => name !== 'image');
  if (schema.required.length === 0) delete schema.required;
  schema.description =
    'the Seckill spec, passed to the operator verbatim (generated from the CRD by scripts/sync-chart.mjs; image comes from image.*)';
  return schema;
}

/** Every file the chart should hold, by absolute path, with its expected content. */
async function expectedFiles() {
  const crdText = readFileSync(CRD, 'utf8');
  const files = new Map([[join(CHART, 'crds', 'seckills.ops.couponkill.io.yaml'), crdText]]);
  if (existsSync(DASHBOARDS)) {
    for (const name of readdirSync(DASHBOARDS)
      .filter((n) => n.endsWith('.json'))
      .sort())
      files.set(join(CHART, 'dashboards', name), readFileSync(join(DASHBOARDS, name), 'utf8'));
  }
  const schema = JSON.parse(readFileSync(SCHEMA, 'utf8'));
  if (!schema.properties?.seckill?.properties?.spec)
    throw new Error(`${relative(ROOT, SCHEMA)}: no properties.seckill.properties.spec to generate`);
  schema.properties.seckill.properties.spec = specSchema(crdText);
  // Formatted the way `prettier --check` wants, so the generated file passes the lint as it is written.
  const options = { ...(await resolveConfig(SCHEMA)), filepath: SCHEMA };
  files.set(SCHEMA, await format(JSON.stringify(schema), options));
  return files;
}

/** Chart dashboards with no source any more: a removed dashboard must leave the chart too. */
function staleDashboards(expected) {
  const dir = join(CHART, 'dashboards');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((n) => n.endsWith('.json'))
    .map((n) => join(dir, n))
    .filter((path) => !expected.has(path));
}

/** The first differing line, so the message says where, not only which file. */
function firstDifference(actual, wanted) {
  const a = actual.split('\n');
  const w = wanted.split('\n');
  for (let i = 0; i < Math.max(a.length, w.length); i++) {
    if (a[i] !== w[i])
      return `line ${i + 1}:\n    - ${a[i] ?? '(end of file)'}\n    + ${w[i] ?? '(end of file)'}`;
  }
  return 'identical lines, different bytes';
}

const check = process.argv.includes('--check');
const expected = await expectedFiles();
const problems = [];
for (const [path, content] of expected) {
  const actual = existsSync(path) ? readFileSync(path, 'utf8') : undefined;
  if (actual === content) continue;
  if (check) {
    problems.push(
      `${relative(ROOT, path)}: ${actual === undefined ? 'missing' : firstDifference(actual, content)}`,
    );
  } else {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    console.log(`wrote ${relative(ROOT, path)}`);
  }
}
for (const path of staleDashboards(expected)) {
  if (check) problems.push(`${relative(ROOT, path)}: no longer in operator/dashboards/`);
  else {
    rmSync(path);
    console.log(`removed ${relative(ROOT, path)}`);
  }
}
if (!existsSync(DASHBOARDS)) console.log('no operator/dashboards/ yet: no dashboards copied');
if (problems.length > 0) {
  console.error(
    `The Helm chart's copies differ from the operator's files; run npm run chart:sync.\n${problems.join('\n')}`,
  );
  process.exit(1);
}
if (check) console.log(`chart copies agree with the operator (${expected.size} files)`);
