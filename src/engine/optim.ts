/**
 * Adam and AdamW. Moments are tensors owned here (kept out of scopes) so that
 * `stateDict()` can be saved with a checkpoint and a resumed run continues exactly.
 */
import { UsageError } from '../core/errors.js';
import { native } from './native.js';
import { keep } from './scope.js';
import { Tensor } from './tensor.js';
import { zeros } from './create.js';

export interface AdamOptions {
  lr?: number;
  betas?: [number, number];
  eps?: number;
  weightDecay?: number;
  /**
   * A multiplier of `lr` per parameter (same order as the parameters; default all 1), as
   * PyTorch's parameter groups give: e.g. a pretrained encoder fine-tuned more slowly than
   * its new head. Weight decay follows each parameter's own rate, as in PyTorch.
   */
  lrScales?: readonly number[];
}

export class Adam {
  lr: number;
  readonly betas: [number, number];
  readonly eps: number;
  readonly weightDecay: number;
  stepCount = 0;
  protected readonly decoupled: boolean = false;
  private readonly params: Tensor[];
  private readonly expAvg: Tensor[];
  private readonly expAvgSq: Tensor[];
  /** Parameter indices by lr multiplier: one native step per group. */
  private readonly groups: { scale: number; indices: number[] }[];

  constructor(params: Tensor[], o: AdamOptions = {}) {
    if (params.length === 0) throw new UsageError('optimizer: no parameters given');
    const scales = o.lrScales ?? params.map(() => 1);
    if (scales.length !== params.length || scales.some((x) => !(x >= 0)))
      throw new UsageError(
        `optimizer option \`lrScales\`: expected ${params.length} non-negative numbers, one per parameter`,
      );
    this.groups = [...new Set(scales)].map((scale) => ({
      scale,
      indices: scales.flatMap((x, i) => (x === scale ? [i] : [])),
    }));
    this.params = params;
    this.lr = o.lr ?? 1e-3;
    this.betas = o.betas ?? [0.9, 0.999];
    this.eps = o.eps ?? 1e-8;
    this.weightDecay = o.weightDecay ?? this.defaultWeightDecay();
    this.expAvg = params.map((p) => keep(zeros(p.shape, p.dtype, p.device)));
    this.expAvgSq = params.map((p) => keep(zeros(p.shape, p.dtype, p.device)));
  }

  protected defaultWeightDecay(): number {
    return 0;
  }

  /** One update from the parameters' accumulated gradients. */
  step(): void {
    this.stepCount++;
    for (const { scale, indices } of this.groups) {
      const h = (ts: Tensor[]) => indices.map((i) => ts[i].h);
      native().adamStep(
        h(this.params),
        h(this.expAvg),
        h(this.expAvgSq),
        this.stepCount,
        this.lr * scale,
        this.betas[0],
        this.betas[1],
        this.eps,
        this.weightDecay,
        this.decoupled,
      );
    }
  }

  zeroGrad(): void {
    for (const p of this.params) p.zeroGrad();
  }

  /** Moments by parameter index plus the step count, for checkpoints. */
  stateDict(): { step: number; lr: number; tensors: Map<string, Tensor> } {
    const tensors = new Map<string, Tensor>();
    this.expAvg.forEach((t, i) => tensors.set(`exp_avg.${i}`, t));
    this.expAvgSq.forEach((t, i) => tensors.set(`exp_avg_sq.${i}`, t));
    return { step: this.stepCount, lr: this.lr, tensors };
  }

  loadStateDict(s: { step: number; lr: number; tensors: Map<string, Tensor> }): void {
    const take = (name: string, into: Tensor) => {
      const src = s.tensors.get(name);
      if (!src) throw new UsageError(`optimizer state: missing ${name}`);
      into.copy_(src);
    };
    this.expAvg.forEach((t, i) => take(`exp_avg.${i}`, t));
    this.expAvgSq.forEach((t, i) => take(`exp_avg_sq.${i}`, t));
    this.stepCount = s.step;
    this.lr = s.lr;
  }

  dispose(): void {
    for (const t of [...this.expAvg, ...this.expAvgSq]) t.dispose();
  }
}

/** Adam with decoupled weight decay (Loshchilov & Hutter 2019); default decay 0.01 as torch. */
export class AdamW extends Adam {
  protected override readonly decoupled = true;
  protected override defaultWeightDecay(): number {
    return 0.01;
  }
}

/** Rescales all gradients so their joint L2 norm is at most maxNorm; returns the norm before. */
export function clipGradNorm(params: Tensor[], maxNorm: number): number {
  return native().clipGradNorm(
    params.map((p) => p.h),
    maxNorm,
  ) as number;
}
