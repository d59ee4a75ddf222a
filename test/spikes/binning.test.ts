import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { writeNpy } from '../../src/io/npy.js';
import { buildSpikeTrains } from '../../src/io/spikes/types.js';
import { binSpikes, selectUnits, splitRanges } from '../../src/pipelines/spikes/data/binning.js';
import { prepareDataset } from '../../src/pipelines/spikes/data/cache.js';
import { loadManifest, parseManifest } from '../../src/pipelines/spikes/data/manifest.js';
import { simulateSpikes } from '../../src/sim/spikes.js';
import { writeSpikes } from '../../src/io/spikes/writers.js';

const root = mkdtempSync(join(tmpdir(), 'nb-bin-'));
after(() => rmSync(root, { recursive: true, force: true }));

const train = (times: number[], units: number[], durationS?: number) =>
  buildSpikeTrains('mem', 't', Float64Array.from(times), units, 'none', {
    durationS,
    provenance: { format: 'csv', path: 'mem.csv', files: [] },
  });
const splits = { train: 0.5, val: 0.25, test: 0.25 };

describe('binning', () => {
  test('1 ms bins, one spike per unit per bin, exact bin edges', () => {
    // 0.003 s must land in bin 3 (0.003/0.001 is 2.9999… in floating point).
    const st = train([0.0005, 0.0007, 0.003, 0.0031, 0.0099, 0.01], [0, 0, 1, 1, 0, 1]);
    const b = binSpikes(st, {
      startS: 0,
      lengthS: 0.01,
      binS: 0.001,
      units: { rule: 'skip-take', skip: 0, take: 2 },
      splits,
    });
    assert.equal(b.raster.bins, 10);
    const ones: [number, number][] = [];
    b.raster.data.forEach((v, i) => v && ones.push([Math.floor(i / 2), i % 2]));
    assert.deepEqual(ones, [
      [0, 0],
      [3, 1],
      [9, 0],
    ]);
    assert.equal(b.meta.spikesInWindow, 5); // 0.01 is outside [0, 0.01)
    assert.equal(b.meta.spikesLost, 2);
    assert.deepEqual(b.meta.splits, { train: [0, 5], val: [5, 8], test: [8, 10] });
  });

  test('unit rules: skip-take by id, top-rate, random (seeded)', () => {
    const times: number[] = [];
    const units: number[] = [];
    // Unit 100+u fires (u % 4) + 1 times: units 3 and 7 most, then 2 and 6 (ties by id).
    for (let u = 0; u < 10; u++) {
      for (let k = 0; k <= u % 4; k++) {
        times.push(0.1 * k + u * 1e-4);
        units.push(100 + u);
      }
    }
    const st = train(times, units, 1);
    const w = { startS: 0, endS: 1 };
    assert.deepEqual(selectUnits(st, { rule: 'skip-take', skip: 2, take: 3 }, w, 'f'), [2, 3, 4]);
    assert.deepEqual(selectUnits(st, { rule: 'top-rate', n: 3 }, w, 'f'), [2, 3, 7]);
    const r1 = selectUnits(st, { rule: 'random', n: 4, seed: 5 }, w, 'f');
    assert.deepEqual(r1, selectUnits(st, { rule: 'random', n: 4, seed: 5 }, w, 'f'));
    assert.equal(new Set(r1).size, 4);
    assert.throws(
      () =>
        selectUnits(
          st,
          { rule: 'skip-take', skip: 100, take: 128 },
          w,
          'm.yaml',
          'datasets[0].units',
        ),
      /m.yaml: datasets\[0\].units: the skip-take rule needs 228 units but the recording has only 10; give this dataset `units: \{ rule: top-rate, n: 10 \}`/,
    );
  });

  test('window past the end names the recording length', () => {
    const st = train([0.1, 5], [0, 1], 5);
    assert.throws(
      () =>
        binSpikes(
          st,
          { startS: 1800, lengthS: 600, binS: 0.001, units: { rule: 'top-rate', n: 1 }, splits },
          'm.yaml',
          'datasets[1].',
        ),
      /m.yaml: datasets\[1\].window: window 1800–2400 s runs past the end of the recording mem.csv, which is 5.000 s long/,
    );
  });

  test('split ranges are contiguous and cover every bin', () => {
    for (const bins of [1, 7, 600000]) {
      const s = splitRanges(bins, splits);
      assert.deepEqual(
        [s.train[0], s.train[1] === s.val[0], s.val[1] === s.test[0], s.test[1]],
        [0, true, true, bins],
      );
    }
  });
});

describe('manifest', () => {
  test('paper defaults, domain-dependent window start, overrides', () => {
    const m = parseManifest(
      `defaults:\n  bin_ms: 2\ndatasets:\n  - {id: a, domain: in_vitro, region: ctx, path: data/a}\n  - {id: b, domain: in_vivo, path: /abs/b, format: nwb, units: {rule: top-rate, n: 64}, window: {length_s: 60}}\n  - {id: c, domain: organoid, path: c, bin_ms: 1, splits: {train: 0.6, val: 0.2, test: 0.2}}\n`,
      join(root, 'm.yaml'),
    );
    const [a, b, c] = m.datasets;
    assert.deepEqual(a.window, { startS: 1800, lengthS: 600 });
    assert.deepEqual(a.units, { rule: 'skip-take', skip: 100, take: 128 });
    assert.equal(a.binS, 0.002);
    assert.equal(a.path, join(root, 'data/a'));
    assert.deepEqual(a.splits, { train: 0.5, val: 0.25, test: 0.25 });
    assert.deepEqual(b.window, { startS: 0, lengthS: 60 });
    assert.deepEqual(b.units, { rule: 'top-rate', n: 64 });
    assert.equal(c.binS, 0.001);
    assert.equal(c.window.startS, 0);
    assert.deepEqual(c.splits, { train: 0.6, val: 0.2, test: 0.2 });
  });

  test('errors name the manifest file and the field path', () => {
    const f = join(root, 'bad.yaml');
    const cases: [string, RegExp][] = [
      [
        'datasets:\n  - {id: a, domain: in_vivo, path: p, window: {start_s: "ten"}}\n',
        /bad.yaml: datasets\[0\].window.start_s: expected number, received string/,
      ],
      [
        'datasets:\n  - {id: a, domain: in_vivo, path: p, unit_rule: x}\n',
        /bad.yaml: datasets\[0\]: unrecognized key\(s\) in object: 'unit_rule' \(allowed: id, domain/,
      ],
      [
        'datasets:\n  - {id: a, domain: in_vivo, path: p, units: {rule: top-rate}}\n',
        /bad.yaml: datasets\[0\].units.n: required/,
      ],
      [
        'datasets:\n  - {id: a, domain: in_vivo, path: p}\n  - {id: a, domain: in_vivo, path: q}\n',
        /bad.yaml: datasets\[1\].id: duplicate id 'a'/,
      ],
      [
        'datasets:\n  - {id: a, domain: x, path: p, splits: {train: 0.5, val: 0.5, test: 0.5}}\n',
        /bad.yaml: datasets\[0\].splits: expected train \+ val \+ test = 1/,
      ],
      ['datasets: []\n', /bad.yaml: datasets: array must contain at least 1/],
      [
        'datasets:\n  - {id: a, domain: x, path: p, format: xls}\n',
        /bad.yaml: datasets\[0\].format: invalid enum value/,
      ],
    ];
    for (const [text, re] of cases) {
      writeFileSync(f, text);
      assert.throws(
        () => loadManifest(f),
        (e: Error) => re.test(e.message) || assert.fail(e.message),
      );
    }
  });
});

describe('prepare with cache', () => {
  test('second run loads the cache; changing an option or a byte misses', async () => {
    const st = simulateSpikes({ kind: 'in_vitro', durationS: 20, seed: 4 });
    const data = await writeSpikes('alf', join(root, 'culture'), st);
    const file = join(root, 'p.json');
    const spec = (lengthS: number) =>
      parseManifest(
        JSON.stringify({
          datasets: [
            { id: 'c', domain: 'in_vitro', path: data, window: { start_s: 2, length_s: lengthS } },
          ],
        }),
        file,
      ).datasets[0];
    const cache = join(root, 'cache');
    const first = await prepareDataset(spec(10), cache);
    assert.equal(first.cached, false);
    assert.deepEqual([first.binned.raster.bins, first.binned.raster.units], [10000, 128]);
    assert.equal(first.binned.meta.unitIds[0], 100);
    const second = await prepareDataset(spec(10), cache);
    assert.equal(second.cached, true);
    assert.equal(second.key, first.key);
    assert.deepEqual(second.binned.raster.data, first.binned.raster.data);
    assert.deepEqual(second.binned.meta, first.binned.meta);
    assert.equal((await prepareDataset(spec(5), cache)).cached, false);
    // Same options, one spike time changed by a hair: the content hash differs.
    const times = Float64Array.from(st.times);
    times[times.length - 1] += 1e-9;
    await writeNpy(join(data, 'spikes.times.npy'), times);
    assert.equal((await prepareDataset(spec(10), cache)).cached, false);
    await assert.rejects(
      prepareDataset(spec(100), cache),
      /p.json: datasets\[0\].window: window 2–102 s runs past the end/,
    );
  });
});
