/**
 * `cells classify --seeds`: one fine-tuning per seed, each seed's results those of a
 * single `--seed k` run, and a summary whose mean ± sd (n − 1) is recomputed here from the
 * per-seed values by hand; the linear baseline across corpora is fitted once. And, on the
 * same tiny run, `cells perturb --null matched` end to end, `classify --save-encoder` and `--ensemble-runs`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  readTokenizedCorpus,
  readVocabulary,
} from '../../src/pipelines/cells/corpus/corpus-files.js';
import { loadSafetensors, saveSafetensors } from '../../src/engine/index.js';
import { classifyArgs, perturbArgs, pretrainTinyArgs, tokenizeArgs } from '../helpers/cells-cli.js';

const cli = new URL('../../src/cli/main.js', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'nb-cells-seeds-'));

function run(...args: string[]) {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: dir, encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
function ok(...args: string[]): string {
  const r = run(...args);
  assert.equal(r.status, 0, `${args.join(' ')}:\n${r.stderr}`);
  return r.stdout;
}

interface Row {
  model: string;
  accuracy: number;
  macroF1: number;
  perClassF1: Record<string, number>;
  confusion: { labels: string[]; counts: number[][] };
  validation?: { macroF1: number; epoch: number };
}
interface Saved {
  seeds: number[];
  rows: Row[];
  perSeed: { seed: number; rows: Row[] }[];
  summary: {
    model: string;
    seeds: number;
    fits: number;
    accuracy: { mean: number; sd: number | null };
    macroF1: { mean: number; sd: number | null };
    validationMacroF1?: { mean: number; sd: number | null };
  }[];
}
const read = (out: string) =>
  JSON.parse(readFileSync(join(dir, out, 'classification.json'), 'utf8')) as Saved;

/** Mean and sample sd written out longhand (not the code under test). */
function byHand(xs: number[]): { mean: number; sd: number } {
  let s = 0;
  for (const x of xs) s += x;
  const m = s / xs.length;
  let ss = 0;
  for (const x of xs) ss += (x - m) * (x - m);
  return { mean: m, sd: Math.sqrt(ss / (xs.length - 1)) };
}

ok('simulate', 'cells', '--cells', '60', '--out', 'data');
ok(...tokenizeArgs('tok', 16));
ok(...pretrainTinyArgs('run', 1));
const classify = (...extra: string[]) => classifyArgs('mm', 'hs', '--epochs', '3', ...extra);

test('classify --seeds: per-seed results equal single --seed runs; the summary is their mean ± sd', () => {
  const stdout = ok(...classify('--seeds', '0,1,2', '--out', 'multi'));
  const multi = read('multi');
  assert.deepEqual(multi.seeds, [0, 1, 2]);
  assert.deepEqual(
    multi.perSeed.map((s) => s.seed),
    [0, 1, 2],
  );
  for (const k of [0, 2]) {
    ok(...classify('--seed', String(k), '--out', `single${k}`));
    const single = read(`single${k}`);
    assert.deepEqual(multi.perSeed[k].rows, single.rows, `seed ${k}`);
    assert.deepEqual(single.seeds, [k]);
  }
  // The fine-tuned models depend on the seed here; the seeds must not all agree.
  const f1 = (m: string) =>
    multi.perSeed.map((s) => s.rows.find((r) => r.model === m)?.macroF1 ?? NaN);
  assert.ok(new Set(multi.perSeed.map((s) => JSON.stringify(s.rows[0].confusion))).size > 1);
  for (const m of ['pretrained encoder', 'from scratch', 'logistic regression (log1p CP10k)']) {
    const row = multi.summary.find((r) => r.model === m);
    assert.ok(row, m);
    const acc = byHand(multi.perSeed.map((s) => s.rows.find((r) => r.model === m)!.accuracy));
    const mf = byHand(f1(m));
    assert.ok(Math.abs(row.macroF1.mean - mf.mean) < 1e-12, `${m} macro-F1 mean`);
    assert.ok(Math.abs((row.macroF1.sd ?? NaN) - mf.sd) < 1e-12, `${m} macro-F1 sd`);
    assert.ok(Math.abs(row.accuracy.mean - acc.mean) < 1e-12, `${m} accuracy mean`);
    assert.ok(Math.abs((row.accuracy.sd ?? NaN) - acc.sd) < 1e-12, `${m} accuracy sd`);
    assert.equal(row.seeds, 3);
    assert.match(
      stdout,
      new RegExp(
        `${m.replace(/[()]/g, '\\$&')}\\s+mm → hs, 3 seeds .*macro-F1 ${mf.mean.toFixed(3)} ± ${mf.sd.toFixed(3)} \\(mean ± sd\\)`,
      ),
    );
  }
  // Across corpora the linear baseline does not depend on the seed: one fit, sd 0.
  const linear = multi.summary[2];
  assert.deepEqual([linear.fits, linear.macroF1.sd], [1, 0]);
  assert.equal(multi.summary[0].fits, 3);
  assert.match(stdout, /^seed 1 {2}pretrained encoder/m);
  const html = readFileSync(join(dir, 'multi', 'report.html'), 'utf8');
  const mf = byHand(f1('pretrained encoder'));
  assert.ok(html.includes(`${mf.mean.toFixed(3)} ± ${mf.sd.toFixed(3)}`), 'report shows mean ± sd');
});

test('classify: one seed has no sd; --seed with --seeds and repeated seeds are refused', () => {
  const single = read('single0');
  assert.equal(single.summary[0].macroF1.sd, null);
  assert.equal(single.summary[0].macroF1.mean, single.rows[0].macroF1);
  const both = run(...classify('--seed', '1', '--seeds', '0,1', '--out', 'x'));
  assert.notEqual(both.status, 0);
  assert.match(both.stderr.trim(), /^[^\n]*give --seed or --seeds, not both$/);
  const twice = run(...classify('--seeds', '0,1,0', '--out', 'x'));
  assert.notEqual(twice.status, 0);
  assert.match(
    twice.stderr.trim(),
    /^[^\n]*--seeds <list>' argument '0,1,0' is invalid\. expected distinct seeds/,
  );
});

test('classify --seeds on one corpus: the held-out split follows the seed, so the linear baseline is fitted per seed', () => {
  ok(
    ...classifyArgs('mm', 'mm', '--epochs', '1', '--no-scratch', '--seeds', '3,4', '--out', 'held'),
  );
  const held = read('held');
  assert.deepEqual(
    held.summary.map((r) => [r.model, r.fits]),
    [
      ['pretrained encoder', 2],
      ['logistic regression (log1p CP10k)', 2],
    ],
  );
  ok(...classifyArgs('mm', 'mm', '--epochs', '1', '--no-scratch', '--seed', '4', '--out', 'held4'));
  assert.deepEqual(held.perSeed[1].rows, read('held4').rows);
});

test('classify --keep-weights epoch-average: the mean of the epochs classifies, and the line says so', () => {
  const stdout = ok(
    ...classify('--no-scratch', '--no-linear', '--keep-weights', 'epoch-average', '--out', 'avg'),
  );
  const avg = read('avg');
  const best = read('single0');
  // Three epochs run, epochs 1 and 2 averaged (the first is left out).
  assert.equal((avg.rows[0].validation as { averagedEpochs?: number }).averagedEpochs, 2);
  assert.match(stdout, /pretrained encoder .*validation macro-F1 [\d.]+ of the mean over 2 epochs/);
  assert.equal(best.rows[0].validation && 'averagedEpochs' in best.rows[0].validation, false);
  // Other weights classify: the scores of the test cells differ from the best epoch's
  // (same seed, same epochs run), in the confusion counts at least.
  assert.notDeepEqual(avg.rows[0].confusion, best.rows[0].confusion);
  const bad = run(...classify('--keep-weights', 'last', '--out', 'x'));
  assert.notEqual(bad.status, 0);
  assert.match(bad.stderr, /--keep-weights <w>' argument 'last' is invalid/);
});

test('classify --refit: a second fine-tuning on all training cells for the epochs the first chose', () => {
  const out = (name: string, ...extra: string[]) => {
    const stdout = ok(...classify('--no-scratch', '--no-linear', ...extra, '--out', name));
    return { stdout, row: read(name).rows[0] };
  };
  const best = read('single0').rows[0];
  const refit = out('refit', '--refit');
  const v = refit.row.validation as { epoch: number; refitEpochs?: number; macroF1: number };
  // Up to the first fit's best epoch; its validation score is the first fit's.
  assert.equal(v.refitEpochs, v.epoch + 1);
  assert.equal(v.epoch, best.validation!.epoch);
  assert.equal(v.macroF1, best.validation!.macroF1);
  assert.match(
    refit.stdout,
    new RegExp(`then refitted on all cells of mm for ${v.refitEpochs} epochs`),
  );
  assert.notDeepEqual(refit.row.confusion, best.confusion, 'the refitted weights classify');
  assert.deepEqual(out('refit-again', '--refit').row, refit.row, 'same seed, same result');
  // With the epoch average the refit runs every epoch the first fit ran (3 here).
  const averaged = out('refit-avg', '--refit', '--keep-weights', 'epoch-average');
  const va = averaged.row.validation as { refitEpochs?: number; averagedEpochs?: number };
  assert.deepEqual([va.refitEpochs, va.averagedEpochs], [3, 2]);
});

test('perturb --null matched: the permutation test in the console, the JSON and the report; misuse refused', () => {
  // Three genes the Pvalb cells hold within their 15 gene tokens: the 2nd to 4th most frequent.
  const { corpus, cells } = readTokenizedCorpus(join(dir, 'tok'), 'hs');
  const json = readVocabulary(join(dir, 'tok')).vocab.toJSON();
  const count = new Map<number, number>();
  cells.obs.cell_type.forEach((type, i) => {
    if (type !== 'Pvalb') return;
    for (const t of corpus.tokens.subarray(i * 16 + 1, (i + 1) * 16))
      if (t > 3) count.set(t, (count.get(t) ?? 0) + 1);
  });
  const top = [...count].sort((a, b) => b[1] - a[1] || a[0] - b[0]).slice(1, 4);
  const genes = top.map(
    ([t]) => json.genes.find(([k, v]) => v === t && k.startsWith('human\t'))?.[0].split('\t')[1],
  );
  const perturb = (...extra: string[]) =>
    perturbArgs('hs', 'cell_type=Pvalb', genes.join(','), ...extra);
  // 30 matched random sets from pools of 5: the same flags for the run and its repeat.
  const matchedNull = [
    '--together',
    '--null',
    'matched',
    '--permutations',
    '30',
    '--null-pool',
    '5',
  ];
  const out = ok(...perturb(...matchedNull, '--out', 'pn'));
  const saved = JSON.parse(readFileSync(join(dir, 'pn', 'perturbation.json'), 'utf8')) as {
    permutationTest: {
      observed: number;
      p: number;
      null: { mean: number; sd: number; values: number[]; sets: string[][] };
      genes: string[];
    };
  };
  const t = saved.permutationTest;
  assert.equal(t.null.values.length, 30);
  assert.equal(t.null.sets.length, 30);
  const m = byHand(t.null.values);
  assert.ok(Math.abs(t.null.mean - m.mean) < 1e-12 && Math.abs(t.null.sd - m.sd) < 1e-12);
  assert.equal(t.p, (1 + t.null.values.filter((v) => v >= t.observed).length) / 31);
  for (const s of t.null.sets)
    assert.ok(s.every((g) => !t.genes.includes(g)) && new Set(s).size === s.length);
  assert.match(
    out,
    new RegExp(`permutation test \\(.* deleted in \\d+ cells.*p = ${t.p.toFixed(4)}`),
  );
  assert.ok(
    readFileSync(join(dir, 'pn', 'report.html'), 'utf8').includes(
      'Marker-deletion permutation test',
    ),
  );
  const again = ok(...perturb(...matchedNull, '--out', 'pn2'));
  assert.equal(
    again.split('\n').find((l) => l.startsWith('permutation')),
    out.split('\n').find((l) => l.startsWith('permutation')),
    'fixed seed: same result',
  );
  // A gene named twice (as the genes of one summed paralog family name one token) counts once.
  ok(
    ...perturbArgs('hs', 'cell_type=Pvalb', [...genes, genes[0]].join(','), ...matchedNull),
    '--out',
    'pn3',
  );
  const twice = JSON.parse(readFileSync(join(dir, 'pn3', 'perturbation.json'), 'utf8')) as {
    permutationTest: typeof t;
  };
  assert.deepEqual(
    [twice.permutationTest.observed, twice.permutationTest.p, twice.permutationTest.null.values],
    [t.observed, t.p, t.null.values],
  );
  const alone = run(...perturb('--null', 'matched', '--out', 'px'));
  assert.notEqual(alone.status, 0);
  assert.match(
    alone.stderr.trim(),
    /^[^\n]*--null tests the deletion of the --genes together: give --genes and --together$/,
  );
  // The library names its option field; the CLI prints the flag that sets it.
  const smallPool = run(
    ...perturb('--together', '--null', 'matched', '--null-pool', '1', '--out', 'py'),
  );
  assert.notEqual(smallPool.status, 0);
  assert.match(smallPool.stderr.trim(), /^[^\n]*--null-pool 1: need at least as many genes/);
});

test('classify --save-encoder: the seed’s fine-tuned encoder, as a run perturb reads; one seed, not frozen', () => {
  const save = (out: string, ...extra: string[]) =>
    ok(
      ...classify(
        '--no-scratch',
        '--no-linear',
        ...extra,
        '--save-encoder',
        out,
        '--out',
        `${out}-cls`,
      ),
    );
  save('ft');
  save('ft-again');
  save('ft1', '--seed', '1');
  const file = (d: string) => join(dir, d, 'encoder.safetensors');
  assert.ok(
    readFileSync(file('ft')).equals(readFileSync(file('ft-again'))),
    'same seed, same weights',
  );
  assert.ok(!readFileSync(file('ft')).equals(readFileSync(file('ft1'))), 'another seed, others');
  // The pretrained run's tensors and configuration, with values fine-tuning changed.
  const pre = loadSafetensors(join(dir, 'run', 'encoder.safetensors'));
  const ft = loadSafetensors(file('ft'));
  assert.deepEqual([...ft.tensors.keys()].sort(), [...pre.tensors.keys()].sort());
  assert.equal(ft.metadata.config, pre.metadata.config);
  const moved = [...pre.tensors].filter(([name, t]) => {
    const a = t.toArray();
    const b = ft.tensors.get(name)!.toArray();
    return a.some((x, i) => x !== b[i]);
  });
  assert.ok(moved.length > pre.tensors.size / 2, `${moved.length} of ${pre.tensors.size} changed`);
  // Saving changes nothing of the classification; fine-tuning.json says how it was made.
  const cls = read('ft-cls');
  assert.deepEqual(cls.rows[0], read('single0').rows[0]);
  const info = JSON.parse(readFileSync(join(dir, 'ft', 'fine-tuning.json'), 'utf8')) as {
    train: string;
    seed: number;
    classes: string[];
    validation: unknown;
  };
  const { cells } = readTokenizedCorpus(join(dir, 'tok'), 'mm');
  assert.deepEqual(info.classes, [...new Set(cells.obs.cell_type.map(String))].sort());
  assert.deepEqual([info.train, info.seed], ['mm', 0]);
  assert.deepEqual(info.validation, cls.rows[0].validation);
  ok(
    'cells',
    'perturb',
    'ft',
    'tok',
    '--corpus',
    'hs',
    '--cells',
    'cell_type=Pvalb',
    '--out',
    'ft-p',
  );
  for (const [extra, message] of [
    [['--seeds', '0,1'], 'give one --seed'],
    [['--freeze'], 'leave out --freeze'],
  ] as const) {
    const r = run(...classify(...extra, '--save-encoder', 'x', '--out', 'x-cls'));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), new RegExp(`^[^\\n]*--save-encoder .*${message}$`));
  }
});

test('classify --ensemble-runs: each member as it classifies alone, the mean of their probabilities classifying; mismatched or repeated runs refused', () => {
  ok(...pretrainTinyArgs('run2', 1, '--seed', '1'));
  const flags = ['--train', 'mm', '--test', 'hs', '--epochs', '3', '--no-scratch', '--no-linear'];
  const stdout = ok(
    ...classify('--no-scratch', '--no-linear', '--ensemble-runs', 'run2', '--out', 'ens'),
  );
  ok('cells', 'classify', 'run2', 'tok', ...flags, '--out', 'alone2');
  const ens = read('ens').rows[0] as Row & {
    ensemble: { run: string; macroF1: number; validation: unknown }[];
  };
  assert.deepEqual(
    ens.ensemble.map((m) => m.run),
    ['run', 'run2'],
  );
  const alone = [read('single0').rows[0], read('alone2').rows[0]];
  assert.deepEqual(
    ens.ensemble.map((m) => [m.macroF1, m.validation]),
    alone.map((r) => [r.macroF1, r.validation]),
    'each member as it classifies alone',
  );
  // The members disagree on some cells here, so the mean is a third classifier.
  assert.notDeepEqual(alone[0].confusion, alone[1].confusion);
  assert.match(stdout, /ensemble of 2 runs, each alone: [\d.]+, [\d.]+/);
  // The report puts each member's score next to the ensemble's.
  const html = readFileSync(join(dir, 'ens', 'report.html'), 'utf8');
  for (const text of [
    'run2 alone',
    ens.macroF1.toFixed(3),
    ...alone.map((r) => `${r.macroF1.toFixed(3)} (${r.validation!.macroF1.toFixed(3)})`),
  ])
    assert.ok(html.includes(text), `report.html shows ${text}`);
  // Another configuration (dropout changed in the metadata) and a repeated run are refused.
  const file = loadSafetensors(join(dir, 'run2', 'encoder.safetensors'));
  const config = { ...JSON.parse(file.metadata.config), dropout: 0.3 };
  saveSafetensors(join(dir, 'run3', 'encoder.safetensors'), file.tensors, {
    config: JSON.stringify(config),
  });
  for (const [runs, message] of [
    [
      'run3',
      /run3\/encoder\.safetensors: metadata\.config: expected the configuration of run's encoder/,
    ],
    ['run2,run', /--ensemble-runs: expected runs other than run and each other/],
  ] as const) {
    const r = run(...classify('--ensemble-runs', runs, '--out', 'x-ens'));
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});

test('classify --train a,b: two corpora train as one, exactly as the corpus they were split from; mixed species refused', () => {
  // The mouse cells in two halves (file order) through a cell table, beside the whole corpus,
  // with tok's vocabulary and medians: mA then mB are mm's token rows in mm's order.
  const ids = readTokenizedCorpus(join(dir, 'tok'), 'mm').cells.cellIds;
  writeFileSync(
    join(dir, 'halves.csv'),
    ['cell,half', ...ids.map((id, i) => `${id},${i < ids.length / 2 ? 1 : 2}`)].join('\n'),
  );
  const corpora = ['mm', 'mA', 'mB'];
  ok(
    'cells',
    'tokenize',
    'hs:human:data/human.h5ad',
    ...corpora.map((c) => `${c}:mouse:data/mouse.h5ad`),
    ...corpora.flatMap((c) => ['--cell-table', `${c}=halves.csv`]),
    ...['--select', 'mA=half=1', '--select', 'mB=half=2'],
    ...['--vocabulary-from', 'tok', '--max-length', '16', '--out', 'tok-halves'],
  );
  const classifyHalves = (train: string, out: string, test = 'hs', ...extra: string[]) =>
    run(
      ...['cells', 'classify', 'run', 'tok-halves', '--train', train, '--test', test],
      ...['--epochs', '3', '--out', out, ...extra],
    );
  assert.equal(classifyHalves('mm', 'whole').status, 0);
  const joined = classifyHalves('mA,mB', 'joined');
  assert.equal(joined.status, 0, joined.stderr);
  assert.match(joined.stdout, /^pretrained encoder +mA,mB → hs: .*cells of mA,mB\)$/m);
  const [whole, both] = ['whole', 'joined'].map(read);
  assert.equal(both.perSeed[0].rows.length, 3, 'pretrained, from scratch, linear');
  assert.deepEqual(both.perSeed, whole.perSeed, 'every model as when trained on mm');
  const half = (c: string) => readTokenizedCorpus(join(dir, 'tok-halves'), c).cells.cellIds;
  assert.ok(half('mA').length > 0 && half('mB').length > 0, 'two non-empty halves');
  assert.deepEqual([...half('mA'), ...half('mB')], half('mm'));
  // --balance-corpora runs every model on the two corpora and says so; it needs two of them.
  const balanced = classifyHalves('mA,mB', 'balanced', 'hs', '--balance-corpora', '--no-scratch');
  assert.equal(balanced.status, 0, balanced.stderr);
  const b = read('balanced') as Saved & { balanceCorpora: boolean };
  assert.equal(b.balanceCorpora, true);
  assert.equal(b.perSeed[0].rows.length, 2, 'pretrained, linear');
  const one = classifyHalves('mA', 'x-balanced', 'hs', '--balance-corpora');
  assert.notEqual(one.status, 0);
  assert.match(
    one.stderr.trim(),
    /^[^\n]*--balance-corpora .*two or more corpora \(a,b\), got mA$/,
  );
  for (const [train, test, message] of [
    ['mA,hs', 'mB', /tok-halves\/hs\.cells\.json: species: expected mouse, the species of mA/],
    ['mA,mA', 'hs', /--train mA,mA: expected distinct corpora/],
    ['mA,hs', 'hs', /--train mA,hs: expected distinct corpora, none of them the test corpus hs/],
  ] as const) {
    const r = classifyHalves(train, 'x-joined', test);
    assert.notEqual(r.status, 0);
    assert.match(r.stderr.trim(), message);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  }
});
