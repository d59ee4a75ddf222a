/**
 * Module: named parameters, buffers and sub-modules, train/eval mode, state dicts.
 * Names follow PyTorch's dotted convention so that saved weights load into the equivalent
 * torch.nn modules.
 */
import { UsageError } from '../core/errors.js';
import { keep, tidy } from './scope.js';
import type { Tensor } from './tensor.js';

export abstract class Module {
  training = true;
  private readonly params = new Map<string, Tensor>();
  private readonly buffers = new Map<string, Tensor>();
  private readonly children = new Map<string, Module>();

  protected registerParameter(name: string, t: Tensor): Tensor {
    keep(t).requiresGrad_(true);
    this.params.set(name, t);
    return t;
  }
  protected registerBuffer(name: string, t: Tensor): Tensor {
    keep(t);
    this.buffers.set(name, t);
    return t;
  }
  protected registerModule<M extends Module>(name: string, m: M): M {
    this.children.set(name, m);
    return m;
  }

  namedParameters(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.params) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedParameters(`${prefix}${n}.`));
    return out;
  }
  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [n, t] of this.buffers) out.push([prefix + n, t]);
    for (const [n, m] of this.children) out.push(...m.namedBuffers(`${prefix}${n}.`));
    return out;
  }
  /** Parameters and buffers by name (the tensors themselves, not copies). */
  stateDict(): Map<string, Tensor> {
    return new Map([...this.namedParameters(), ...this.namedBuffers()]);
  }
  /** Detached copies of the parameters and buffers, kept (the caller disposes them). */
  cloneStateDict(): Map<string, Tensor> {
    return tidy(
      () => new Map([...this.stateDict()].map(([k, t]) => [k, keep(t.detach().clone())] as const)),
    );
  }
  /** Copies values into the existing tensors; strict: names must match exactly. */
  loadStateDict(state: Map<string, Tensor>, strict = true): void {
    const own = this.stateDict();
    if (strict) {
      const missing = [...own.keys()].filter((k) => !state.has(k));
      const unexpected = [...state.keys()].filter((k) => !own.has(k));
      if (missing.length || unexpected.length) {
        throw new UsageError(
          `loadStateDict: missing [${missing.join(', ')}], unexpected [${unexpected.join(', ')}]`,
        );
      }
    }
    for (const [name, target] of own) {
      const src = state.get(name);
      if (!src) continue;
      const a = target.shape.join('x');
      const b = src.shape.join('x');
      if (a !== b)
        throw new UsageError(`loadStateDict: ${name} has shape [${b}], model expects [${a}]`);
      if (src.dtype !== target.dtype) {
        throw new UsageError(
          `loadStateDict: ${name} is ${src.dtype}, model expects ${target.dtype}`,
        );
      }
      target.copy_(src);
    }
  }

  train(mode = true): this {
    this.training = mode;
    for (const m of this.children.values()) m.train(mode);
    return this;
  }
  eval(): this {
    return this.train(false);
  }
  zeroGrad(): void {
    for (const p of this.parameters()) p.zeroGrad();
  }
  parameterCount(): number {
    return this.parameters().reduce((n, p) => n + p.numel, 0);
  }
  dispose(): void {
    for (const t of this.stateDict().values()) t.dispose();
  }
}
