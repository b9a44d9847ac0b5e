// Fails when the import graph of the non-test code has a cycle between top-level folders (README, "Layout").
// dependency-cruiser builds the graph and collapses it to folders; its own rules judge files, not folders, so the
// folder-level cycle search is here.
import { execFileSync } from 'node:child_process';

const FOLDERS = [
  'domain',
  'commands',
  'projections',
  'infra',
  'write-api',
  'read-api',
  'operator',
  'bin',
  'bench',
];
const output = execFileSync(
  'npx',
  [
    'depcruise',
    '--config',
    '.dependency-cruiser.cjs',
    '--collapse',
    '^[^/]+',
    '--output-type',
    'json',
    ...FOLDERS,
  ],
  { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
);
const graph = new Map(
  JSON.parse(output)
    .modules.filter((m) => FOLDERS.includes(m.source))
    .map((m) => [
      m.source,
      m.dependencies.map((d) => d.resolved).filter((f) => FOLDERS.includes(f) && f !== m.source),
    ]),
);

const cycles = [];
const state = new Map();
const visit = (folder, path) => {
  if (state.get(folder) === 'done') return;
  if (state.get(folder) === 'open') {
    cycles.push([...path.slice(path.indexOf(folder)), folder].join(' → '));
    return;
  }
  state.set(folder, 'open');
  for (const next of graph.get(folder) ?? []) visit(next, [...path, folder]);
  state.set(folder, 'done');
};
for (const folder of graph.keys()) visit(folder, []);

for (const [folder, deps] of graph) console.log(`${folder.padEnd(12)} → ${deps.join(', ') || '(nothing)'}`);
if (cycles.length > 0) {
  console.error(`cycles between top-level folders:\n  ${cycles.join('\n  ')}`);
  process.exit(1);
}
console.log('no cycle between top-level folders');
