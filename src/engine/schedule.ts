/** Learning-rate schedules as pure functions of the step (so a resumed run recomputes them). */

export type Schedule = (step: number) => number;

/** Linear warm-up from 0 to baseLr over warmupSteps, then `decay(progress ∈ [0, 1])`. */
function withWarmup(
  baseLr: number,
  warmupSteps: number,
  totalSteps: number,
  decay: (progress: number) => number,
): Schedule {
  return (step) => {
    if (step < warmupSteps) return (baseLr * (step + 1)) / warmupSteps;
    return decay(Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps)));
  };
}

/** Linear warm-up, then cosine decay to minLr at totalSteps. */
export function warmupCosine(
  baseLr: number,
  warmupSteps: number,
  totalSteps: number,
  minLr = 0,
): Schedule {
  return withWarmup(
    baseLr,
    warmupSteps,
    totalSteps,
    (p) => minLr + 0.5 * (baseLr - minLr) * (1 + Math.cos(Math.PI * p)),
  );
}

/** Linear warm-up, then linear decay to minLr at totalSteps. */
export function warmupLinear(
  baseLr: number,
  warmupSteps: number,
  totalSteps: number,
  minLr = 0,
): Schedule {
  return withWarmup(baseLr, warmupSteps, totalSteps, (p) => baseLr + (minLr - baseLr) * p);
}

/** baseLr × factor^⌊step/every⌋, never below floor (the spike paper's released schedule). */
export function stepDecay(baseLr: number, every: number, factor: number, floor = 0): Schedule {
  return (step) => Math.max(floor, baseLr * Math.pow(factor, Math.floor(step / every)));
}
