/** Gradient mode and gradients with respect to arbitrary inputs (for interpretability). */
import { native } from './native.js';
import { Tensor, ops } from './tensor.js';

/** Runs fn with gradient recording off (evaluation, metrics), restoring the previous mode. */
export function noGrad<T>(fn: () => T): T {
  const n = native();
  const was = n.isGradEnabled() as boolean;
  n.setGradEnabled(false);
  try {
    return fn();
  } finally {
    n.setGradEnabled(was);
  }
}

export function isGradEnabled(): boolean {
  return native().isGradEnabled() as boolean;
}

export interface GradOptions {
  gradOutputs?: Tensor[];
  retainGraph?: boolean;
  createGraph?: boolean;
  /** Inputs that do not influence the outputs get null instead of an error. */
  allowUnused?: boolean;
}

/** ∂(outputs)/∂(inputs) without touching `.grad` (torch.autograd.grad). */
export function grad(
  outputs: Tensor[],
  inputs: Tensor[],
  options: GradOptions = {},
): (Tensor | null)[] {
  return ops(
    'autogradGrad',
    outputs,
    inputs,
    options.gradOutputs ?? null,
    options.retainGraph ?? false,
    options.createGraph ?? false,
    options.allowUnused ?? false,
  );
}
