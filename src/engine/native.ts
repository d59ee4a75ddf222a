/**
 * Loads the libtorch addon once per thread. OpenBLAS and libgomp read their environment
 * variables when they are loaded, so those are set here, before the addon is required.
 */
import { createRequire } from 'node:module';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../core/package.js';

import type { NativeAddon } from './native-api.js';

export type { NativeAddon, NativeHandle } from './native-api.js';

/** Blocks below this size are served from (and returned to) glibc's heap, not mmap. */
export const ALLOCATOR_THRESHOLD_BYTES = 1024 * 1024 * 1024;

let addon: NativeAddon | null = null;
let loadError: Error | null = null;

/** Path of the compiled addon; NEUROBRIDGE_NATIVE overrides it (e.g. a CUDA build). */
export function addonPath(): string {
  return (
    process.env.NEUROBRIDGE_NATIVE ??
    join(packageRoot(), 'build', 'Release', 'neurobridge_native.node')
  );
}

/** The addon, loading it on first use. Throws an error that says how to build it. */
export function native(): NativeAddon {
  if (addon) return addon;
  if (loadError) throw loadError;
  const path = addonPath();
  if (!existsSync(path)) {
    loadError = new Error(
      `neurobridge: the libtorch addon is not built (${path} is missing). ` +
        'Run `bash scripts/bootstrap.sh` (or `npm run build:native` with libtorch installed).',
    );
    throw loadError;
  }
  process.env.OPENBLAS_NUM_THREADS ??= String(defaultThreads());
  // OpenMP workers that spin after a parallel region starve OpenBLAS's own threads when both
  // pools share few cores: on 2 cores a biLSTM step took 290-660 ms with spinning and
  // 85-120 ms with passive waiting. libgomp reads this when libtorch loads, i.e. below.
  process.env.OMP_WAIT_POLICY ??= 'PASSIVE';
  const require = createRequire(import.meta.url);
  addon = require(path) as NativeAddon;
  addon.setNumThreads(Number(process.env.NEUROBRIDGE_THREADS ?? defaultThreads()));
  // libtorch seeds its default generator from /dev/urandom, so a model built before any
  // manualSeed() would differ from run to run. The project's rule is reproducibility: the
  // same seed (default 0, or NEUROBRIDGE_SEED) gives the same numbers on the same build.
  addon.manualSeed(Number(process.env.NEUROBRIDGE_SEED ?? 0));
  if (process.env.NEUROBRIDGE_MALLOC !== 'default') {
    // Keep large tensor buffers in glibc's heap instead of mmap/munmap per allocation:
    // attention over long contexts allocates ~64 MB blocks per op, and page-faulting them
    // afresh every time doubled its cost (see README, performance). The price: the
    // process keeps its peak heap instead of returning it to the OS.
    addon.configureAllocator(ALLOCATOR_THRESHOLD_BYTES, ALLOCATOR_THRESHOLD_BYTES);
  }
  warnIfReferenceBlas();
  return addon;
}

/** True if the addon can be loaded here (for commands and tests that can do without it). */
export function nativeAvailable(): boolean {
  try {
    native();
    return true;
  } catch {
    return false;
  }
}

function defaultThreads(): number {
  return Number(process.env.NEUROBRIDGE_THREADS ?? availableParallelism());
}

/** Shared libraries providing BLAS in this process (Linux: from /proc/self/maps). */
export function loadedBlasLibraries(): string[] {
  if (process.platform !== 'linux') return [];
  const maps = readFileSync('/proc/self/maps', 'utf8');
  const libs = new Set<string>();
  for (const line of maps.split('\n')) {
    const path = line.split(/\s+/)[5];
    if (path && /lib(open)?blas|libmkl|libblis/.test(path)) libs.add(path);
  }
  return [...libs];
}

/**
 * Debian's libtorch links the generic libblas.so.3, which the alternatives system may point
 * at the reference BLAS (about 18× slower on this project's matmuls) instead of OpenBLAS.
 */
export function blasIsReference(): boolean {
  const libs = loadedBlasLibraries();
  return libs.some((p) => /\/blas\/libblas\.so/.test(p)) && !libs.some((p) => /openblas/.test(p));
}

function warnIfReferenceBlas(): void {
  if (!blasIsReference() || process.env.NEUROBRIDGE_QUIET_BLAS) return;
  process.emitWarning(
    'libtorch is using the reference BLAS (libblas3), about 18x slower than OpenBLAS. Fix: ' +
      'sudo apt-get install libopenblas0-pthread && sudo update-alternatives --set ' +
      'libblas.so.3-$(dpkg-architecture -qDEB_HOST_MULTIARCH) ' +
      '/usr/lib/$(dpkg-architecture -qDEB_HOST_MULTIARCH)/openblas-pthread/libblas.so.3',
    { code: 'NEUROBRIDGE_REFERENCE_BLAS' },
  );
}
