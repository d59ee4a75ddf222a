#!/usr/bin/env node
// Fuzz run of the built CLI: mutates one input file of a valid session, corpus, cohort or
// manifest at a time and runs the command that reads it. Every outcome must be a success or
// the one-line error the README promises (informational lines may come before it); a stack
// trace, a crash, a hang, library diagnostics or a partial output folder is a finding.
//   node scripts/fuzz-cli.mjs [--cases N] [--seed S] [--keep]
// Exit status 1 when anything was found; each finding is printed with the command and the
// mutation, so it can be replayed.
import { spawnSync, execFileSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : fallback;
};
const cases = Number(option('cases', 120));
const seed = Number(option('seed', 1));
const cli = new URL('../dist/src/cli/main.js', import.meta.url).pathname;
const fixtures = new URL('../test/fixtures/', import.meta.url).pathname;

// mulberry32: a small seeded generator, so a finding can be replayed with its seed.
let state = seed >>> 0;
const random = () => {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};
const pick = (xs) => xs[Math.floor(random() * xs.length)];

const run = (argv, cwd, timeout = 60_000) =>
  spawnSync(process.execPath, [cli, ...argv], { cwd, encoding: 'utf8', timeout });

// Valid inputs, generated once by the CLI's own simulators (and the real MEA fixtures).
const base = mkdtempSync(join(tmpdir(), 'nb-fuzz-base-'));
const sim = (argv) => execFileSync(process.execPath, [cli, 'simulate', ...argv], { cwd: base });
sim(['spikes', '--kind', 'in_vitro', '--format', 'alf', '--out', 'alf', '--duration', '30']);
sim(['spikes', '--kind', 'in_vivo', '--format', 'phy', '--out', 'phy', '--duration', '30']);
sim(['spikes', '--kind', 'in_vivo', '--format', 'nwb', '--out', 's.nwb', '--duration', '30']);
writeFileSync(
  join(base, 's.csv'),
  'unit,time\n' +
    Array.from({ length: 400 }, (_, i) => `${i % 7},${(i * 0.05).toFixed(3)}`).join('\n') +
    '\n',
);
sim(['cells', '--cells', '60', '--out', 'cells']);
sim(['ephys', '--mouse-cells', '60', '--human-cells', '40', '--out', 'ephys']);
writeFileSync(
  join(base, 'm.yaml'),
  'defaults:\n  window: { start_s: 0, length_s: 20 }\ndatasets:\n  - { id: a, domain: in_vitro, path: alf }\n',
);
const mea = readdirSync(join(fixtures, 'spikes-mea')).filter((f) => /\.(h5|csv|gz)$/.test(f));
for (const f of mea) cpSync(join(fixtures, 'spikes-mea', f), join(base, f));

const filesUnder = (dir) =>
  statSync(dir).isDirectory() ? readdirSync(dir).flatMap((n) => filesUnder(join(dir, n))) : [dir];
const rel = (p) => p.slice(base.length + 1);

/** Targets: the command reading an input, and the files a mutation may hit. */
const cellsFiles = readdirSync(join(base, 'cells'));
const h5ad = cellsFiles.filter((f) => f.endsWith('.h5ad'));
const orthologs = cellsFiles.find((f) => /ortholog/.test(f));
const cohort = readdirSync(join(base, 'ephys')).find((f) => /human.*\.ya?ml$/.test(f));
const targets = [
  { name: 'alf', argv: ['spikes', 'inspect', 'alf', '--raster', 'o.svg'], files: ['alf'] },
  { name: 'phy', argv: ['spikes', 'inspect', 'phy', '--raster', 'o.svg'], files: ['phy'] },
  { name: 'nwb', argv: ['spikes', 'inspect', 's.nwb', '--raster', 'o.svg'], files: ['s.nwb'] },
  {
    name: 'csv',
    argv: ['spikes', 'inspect', 's.csv', '--time-unit', 's', '--raster', 'o.svg'],
    files: ['s.csv'],
  },
  ...mea.map((f) => ({
    name: f,
    argv: [
      'spikes',
      'inspect',
      f,
      '--raster',
      'o.svg',
      ...(/spike_list/.test(f) ? ['--well', 'B2'] : []),
    ],
    files: [f],
  })),
  {
    name: 'manifest',
    argv: ['spikes', 'prepare', 'm.yaml', '--out', 'prepared'],
    files: ['m.yaml'],
    output: 'prepared',
  },
  {
    name: 'cells',
    argv: [
      'cells',
      'tokenize',
      ...h5ad.map((f, i) => `c${i}:${/mouse/.test(f) ? 'mouse' : 'human'}:cells/${f}`),
      '--orthologs',
      `cells/${orthologs}`,
      '--max-length',
      '64',
      '--out',
      'tok',
    ],
    files: ['cells'],
    output: 'tok',
  },
  {
    name: 'ephys',
    argv: ['ephys', 'fit', `ephys/${cohort}`, '--trees', '20', '--out', 'model.json'],
    files: ['ephys'],
  },
];

const mutations = {
  truncate(file) {
    const size = statSync(file).size;
    const at = Math.floor(random() * size);
    truncateSync(file, at);
    return `truncated at ${at} of ${size}`;
  },
  flip(file) {
    const b = readFileSync(file);
    const n = 1 + Math.floor(random() * 8);
    const where = [];
    for (let k = 0; k < n && b.length; k++) {
      const i = Math.floor(random() * Math.min(b.length, random() < 0.5 ? 4096 : b.length));
      b[i] ^= 1 << Math.floor(random() * 8);
      where.push(i);
    }
    writeFileSync(file, b);
    return `bits flipped at ${where.join(',')}`;
  },
  empty(file) {
    writeFileSync(file, '');
    return 'emptied';
  },
  directory(file) {
    rmSync(file);
    mkdirSync(file);
    return 'replaced by a folder';
  },
  dangling(file) {
    rmSync(file);
    symlinkSync(join(file, '..', 'nowhere'), file);
    return 'replaced by a dangling link';
  },
  text(file) {
    const lines = readFileSync(file, 'latin1').split('\n');
    const junk = pick(['nan', '-1', '1e999', '0x10', '\ufeff', '"', ',,,,', 'a\tb\tc', '\u0000']);
    lines.splice(Math.floor(random() * (lines.length + 1)), 0, junk);
    writeFileSync(file, lines.join('\n'), 'latin1');
    return `line ${JSON.stringify(junk)} inserted`;
  },
};

const findings = [];
const tally = { ok: 0, oneLine: 0 };
const started = Date.now();
for (let c = 0; c < cases; c++) {
  const target = pick(targets);
  const dir = mkdtempSync(join(tmpdir(), 'nb-fuzz-'));
  for (const f of readdirSync(base)) cpSync(join(base, f), join(dir, f), { recursive: true });
  const candidates = target.files.flatMap((f) => filesUnder(join(dir, f)));
  const file = pick(candidates);
  const kind = pick(Object.keys(mutations));
  const what = `${file.slice(dir.length + 1)}: ${mutations[kind](file)}`;
  const r = run(target.argv, dir);
  const stderr = (r.stderr ?? '').trim();
  const lines = stderr ? stderr.split('\n').filter((l) => !/^\(node:\d+\) \[|Warning/.test(l)) : [];
  let finding = null;
  if (r.error?.code === 'ETIMEDOUT') finding = 'hang (60 s)';
  else if (r.signal) finding = `killed by ${r.signal}`;
  else if (/\n\s+at .+[(:]\d+/.test(stderr)) finding = 'stack trace';
  else if (r.status !== 0 && r.status !== 2) finding = `exit status ${r.status}`;
  else if (r.status === 2 && !lines.at(-1)?.startsWith('neurobridge: '))
    finding = 'error not on the last line';
  else if (r.status === 2 && lines.some((l) => /HDF5-DIAG|^\s+#\d{3}:|^\s+(major|minor):/.test(l)))
    finding = 'library diagnostics printed';
  else if (r.status === 2 && lines.at(-1).length > 400) finding = 'error line over 400 characters';
  else if (r.status !== 0 && target.output && existsSync(join(dir, target.output)))
    finding = 'partial output left behind';
  if (finding) findings.push({ target: target.name, what, finding, stderr: stderr.slice(0, 600) });
  else if (r.status === 0) tally.ok++;
  else tally.oneLine++;
  if (!args.includes('--keep')) rmSync(dir, { recursive: true, force: true });
}
rmSync(base, { recursive: true, force: true });

console.log(
  `${cases} mutated inputs (seed ${seed}, ${((Date.now() - started) / 1000).toFixed(0)} s): ` +
    `${tally.oneLine} one-line errors, ${tally.ok} read successfully, ${findings.length} findings`,
);
for (const f of findings) console.log(`\n[${f.finding}] ${f.target} — ${f.what}\n${f.stderr}`);
process.exit(findings.length ? 1 : 0);
