/**
 * R's default generator (Mersenne-Twister, `set.seed` scrambling) and `runif`, so tests can
 * rebuild the inputs behind values published by R packages' own test suites. Checked against
 * R's well-known outputs: set.seed(1); runif(1) = 0.2655087 and set.seed(42); runif(3) =
 * 0.9148060 0.9370754 0.2861395 (see ranking.test.ts).
 */
export function rSetSeed(seed: number): (n: number, min?: number, max?: number) => number[] {
  // set.seed: 50 LCG scrambling steps, then one LCG value per seed word (the first word is
  // the position `mti`, reset to 624 by FixupSeeds).
  let s = seed >>> 0;
  const lcg = () => (s = (Math.imul(69069, s) + 1) >>> 0);
  for (let j = 0; j < 50; j++) lcg();
  lcg();
  const mt = Uint32Array.from({ length: 624 }, lcg);
  let mti = 624;
  const twist = (a: number, b: number, c: number) => {
    const y = (a & 0x80000000) | (b & 0x7fffffff);
    return (c ^ (y >>> 1) ^ (y & 1 ? 0x9908b0df : 0)) >>> 0;
  };
  const next = () => {
    if (mti >= 624) {
      for (let k = 0; k < 624; k++) mt[k] = twist(mt[k], mt[(k + 1) % 624], mt[(k + 397) % 624]);
      mti = 0;
    }
    let y = mt[mti++];
    y ^= y >>> 11;
    y ^= (y << 7) & 0x9d2c5680;
    y ^= (y << 15) & 0xefc60000;
    y ^= y >>> 18;
    return (y >>> 0) * 2.3283064365386963e-10; // R's MT_genrand: [0, 1)
  };
  return (n, min = 0, max = 1) => Array.from({ length: n }, () => min + (max - min) * next());
}
