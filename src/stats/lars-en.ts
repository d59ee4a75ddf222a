/**
 * LARS-EN (Zou & Hastie 2005): the elastic-net path by least angle regression on the
 * augmented problem X* = (1 + λ)^(-1/2) [X; √λ I], y* = [y; 0], stopped once a fixed number
 * of variables is active, as R elasticnet's `solvebeta(sparse = "varnum")`, which sparse PCA
 * calls. Written here because no maintained JavaScript package implements LARS-EN. Only
 * X*ᵀX* and X*ᵀy* enter the path, so it is computed from the Gram matrix G = XᵀX and the
 * correlations XᵀY alone (the Gram form keeps sparse PCA's cost independent of the cells).
 */

const EPS = 2.220446049250313e-16;

/** Lower-triangular Cholesky factor of a small SPD matrix given as rows. */
function cholesky(a: number[][]): number[][] | null {
  const n = a.length;
  const l = a.map(() => new Array<number>(n).fill(0));
  for (let i = 0; i < n; i++) {
    for (let j = 0; j <= i; j++) {
      let s = a[i][j];
      for (let k = 0; k < j; k++) s -= l[i][k] * l[j][k];
      if (i === j) {
        if (s <= EPS) return null;
        l[i][i] = Math.sqrt(s);
      } else l[i][j] = s / l[j][j];
    }
  }
  return l;
}

function choleskySolve(l: number[][], b: number[]): number[] {
  const n = b.length;
  const y = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    let s = b[i];
    for (let k = 0; k < i; k++) s -= l[i][k] * y[k];
    y[i] = s / l[i][i];
  }
  const x = new Array<number>(n);
  for (let i = n - 1; i >= 0; i--) {
    let s = y[i];
    for (let k = i + 1; k < n; k++) s -= l[k][i] * x[k];
    x[i] = s / l[i][i];
  }
  return x;
}

/**
 * Elastic-net coefficients with `nonZero` active variables.
 * @param gram XᵀX (p × p)
 * @param xty Xᵀy (length p)
 * @param lambda the ridge weight λ (elasticnet's default for sparse PCA: 1e-6)
 */
export function larsEnVarnum(
  gram: number[][],
  xty: number[],
  lambda: number,
  nonZero: number,
): number[] {
  const m = xty.length;
  const d2 = 1 / Math.sqrt(1 + lambda);
  // The augmented problem's Gram matrix and initial correlations.
  const g = gram.map((row, i) => row.map((v, j) => (v + (i === j ? lambda : 0)) * d2 * d2));
  let cvec = xty.map((v) => v * d2);
  const beta = new Array<number>(m).fill(0);
  let active: number[] = [];
  const ignores: number[] = [];
  let sign: number[] = [];
  let chol: number[][] | null = null;
  let drops: boolean[] | null = null;
  // With λ > 0 every variable can enter (the augmented X* has full column rank).
  let maxVars = m;
  const maxSteps = 50 * maxVars;
  for (let k = 0; k < maxSteps - 1 && active.length < maxVars - ignores.length; k++) {
    const taken = new Set([...active, ...ignores]);
    let inactive = Array.from({ length: m }, (_, i) => i).filter((i) => !taken.has(i));
    const cmax = Math.max(...inactive.map((i) => Math.abs(cvec[i])));
    if (!drops) {
      const entering = inactive.filter((i) => Math.abs(cvec[i]) >= cmax - EPS);
      inactive = inactive.filter((i) => Math.abs(cvec[i]) < cmax - EPS);
      for (const j of entering) {
        const trial = [...active, j];
        const factor = cholesky(trial.map((a) => trial.map((b) => g[a][b])));
        if (factor === null) {
          ignores.push(j); // collinear with the active set
        } else {
          active = trial;
          chol = factor;
          sign.push(Math.sign(cvec[j]));
        }
      }
    }
    if (chol === null) break;
    const gi1 = choleskySolve(chol, sign);
    const aa = 1 / Math.sqrt(gi1.reduce((s, v, i) => s + v * sign[i], 0));
    const w = gi1.map((v) => aa * v);
    maxVars = m - ignores.length;
    let gamhat: number;
    if (active.length === maxVars - ignores.length) {
      gamhat = cmax / aa;
    } else {
      gamhat = cmax / aa;
      for (const i of inactive) {
        // a_i = x*_iᵀ u with u = X*_A w.
        let a = 0;
        active.forEach((j, q) => (a += g[i][j] * w[q]));
        for (const gam of [(cmax - cvec[i]) / (aa - a), (cmax + cvec[i]) / (aa + a)])
          if (gam > EPS && gam < gamhat) gamhat = gam;
      }
    }
    // Lasso modification: a coefficient crossing zero leaves the active set.
    let zmin = gamhat;
    const z = active.map((j, q) => -beta[j] / w[q]);
    for (const v of z) if (v > EPS && v < zmin) zmin = v;
    if (zmin < gamhat) {
      gamhat = zmin;
      drops = z.map((v) => v === zmin);
    } else drops = null;
    active.forEach((j, q) => (beta[j] += gamhat * w[q]));
    const step = cvec.map((_, i) => {
      let s = 0;
      active.forEach((j, q) => (s += g[i][j] * w[q]));
      return s;
    });
    cvec = cvec.map((c, i) => c - gamhat * step[i]);
    if (drops) {
      const keep = drops.map((d) => !d);
      active.forEach((j, q) => {
        if (drops![q]) beta[j] = 0;
      });
      active = active.filter((_, q) => keep[q]);
      sign = sign.filter((_, q) => keep[q]);
      chol = active.length ? cholesky(active.map((a) => active.map((b) => g[a][b]))) : null;
      if (!drops.some((d) => d)) drops = null;
    }
    if (active.length >= nonZero) break;
  }
  return beta;
}
