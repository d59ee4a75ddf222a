/** Process-wide engine settings: seed, threads, device, and a description of the build. */
import { UsageError } from '../core/errors.js';
import { blasIsReference, loadedBlasLibraries, native } from './native.js';

let device = 'cpu';

/** Seeds libtorch's generator (initialisation, dropout, rand/randn). */
export function manualSeed(seed: number): void {
  native().manualSeed(seed);
}

/** Threads used by libtorch's intra-op parallelism. OpenBLAS's count is fixed at load time
 * by OPENBLAS_NUM_THREADS (or NEUROBRIDGE_THREADS, which sets both). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`setNumThreads: expected a positive integer, got ${n}`);
  native().setNumThreads(n);
}
export function getNumThreads(): number {
  return native().getNumThreads() as number;
}

/**
 * Causal self-attention without requested weights runs on the engine's fused CPU kernel
 * (half the work of the masked product, no L×L tensors kept for backward, dropout from a
 * counter-based hash). Off: libtorch's math path, as PyTorch 1.13 computes it. The kernel
 * and the math path agree to float rounding without dropout; with dropout they draw
 * different masks.
 */
export function setFusedAttention(on: boolean): void {
  native().setFusedAttention(on);
}
export function fusedAttention(): boolean {
  return native().fusedAttention() as boolean;
}
/** A compiled copy of the fused kernel's loops. */
export type AttentionKernel = 'generic' | 'avx2' | 'avx512';

/**
 * The fused kernel's loops are compiled three times on x86-64: portable, for AVX2 + FMA, and
 * for AVX-512 (16 keys per vector); the best copy the CPU runs is the default. A copy's name
 * forces it (an error if the CPU lacks its instructions), 'best' restores the choice by CPU;
 * returns the copy now in use.
 */
export function setFusedAttentionKernel(kernel: AttentionKernel | 'best'): AttentionKernel {
  return native().fusedAttentionKernel(kernel) as AttentionKernel;
}
export function fusedAttentionKernel(): AttentionKernel {
  return native().fusedAttentionKernel('') as AttentionKernel;
}

/** The kernel copies this CPU can run, best first. */
export function availableAttentionKernels(): AttentionKernel[] {
  const before = fusedAttentionKernel();
  try {
    return (['avx512', 'avx2', 'generic'] as const).filter((k) => {
      try {
        setFusedAttentionKernel(k);
        return true;
      } catch {
        return false;
      }
    });
  } finally {
    setFusedAttentionKernel(before);
  }
}

export function cudaAvailable(): boolean {
  return native().cudaAvailable() as boolean;
}

/** The device names the engine takes. */
export const DEVICE_PATTERN = /^(cpu|cuda(:\d+)?)$/;

/** Sets the device new tensors and modules are created on: 'cpu', 'cuda' or 'cuda:N'. */
export function setDefaultDevice(name: string): void {
  if (!DEVICE_PATTERN.test(name))
    throw new UsageError(`unknown device '${name}' (cpu, cuda, cuda:N)`);
  if (name.startsWith('cuda') && !cudaAvailable()) {
    throw new UsageError(
      `device ${name} requested but libtorch sees no CUDA device (a CPU-only build of the addon, or no GPU here): on a GPU machine, build against a CUDA LibTorch (LIBTORCH=/path/to/libtorch npm run build)`,
    );
  }
  device = name;
}
export function defaultDevice(): string {
  return device;
}

export interface EngineInfo {
  torchVersion: string;
  threads: number;
  openblasThreads: string | undefined;
  cuda: boolean;
  cudaDevices: number;
  /** How causal attention runs on CUDA with this build (on CPU: the engine's fused kernel). */
  cudaAttention: string;
  blasLibraries: string[];
  referenceBlas: boolean;
}

export function engineInfo(): EngineInfo {
  const n = native();
  return {
    torchVersion: n.torchVersion() as string,
    threads: n.getNumThreads() as number,
    openblasThreads: process.env.OPENBLAS_NUM_THREADS,
    cuda: n.cudaAvailable() as boolean,
    cudaDevices: n.cudaDeviceCount() as number,
    cudaAttention: cudaAttentionPath(n.torchVersion() as string),
    blasLibraries: loadedBlasLibraries(),
    referenceBlas: blasIsReference(),
  };
}

/** LibTorch 2.0 brought scaled_dot_product_attention, which the addon uses on CUDA. */
export function cudaAttentionPath(torchVersion: string): string {
  return Number(torchVersion.split('.')[0]) >= 2
    ? 'fused scaled_dot_product_attention'
    : 'math path (LibTorch < 2.0 has no scaled_dot_product_attention)';
}

/** Tensors currently alive in this thread's addon instance (for leak checks). */
export function liveTensors(): number {
  return native().liveTensors() as number;
}
