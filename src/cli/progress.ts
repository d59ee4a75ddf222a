/**
 * Progress for long jobs: a bar with ETA on a terminal (cli-progress), plain periodic lines
 * otherwise (CI logs, pipes), so output stays readable in both.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  update(done: number, fields?: Record<string, string | number>): void;
  stop(): void;
}

export function createProgress(
  label: string,
  total: number,
  stream: NodeJS.WriteStream = process.stderr,
): Progress {
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar(
      {
        format: `${label} [{bar}] {percentage}% | ETA {eta_formatted} | {info}`,
        stream,
        hideCursor: true,
      },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { info: '' });
    return {
      update: (done, fields = {}) => bar.update(done, { info: formatFields(fields) }),
      stop: () => bar.stop(),
    };
  }
  const started = Date.now();
  let lastPrinted = 0;
  return {
    update(done, fields = {}) {
      const now = Date.now();
      if (now - lastPrinted < 2000 && done < total) return;
      lastPrinted = now;
      const elapsed = (now - started) / 1000;
      const eta = done > 0 ? (elapsed / done) * (total - done) : NaN;
      stream.write(
        `${label}: ${done}/${total} (${elapsed.toFixed(0)} s, ETA ${Number.isFinite(eta) ? eta.toFixed(0) : '?'} s) ${formatFields(fields)}\n`,
      );
    },
    stop() {},
  };
}

function formatFields(fields: Record<string, string | number>): string {
  return Object.entries(fields)
    .map(
      ([k, v]) =>
        `${k} ${typeof v === 'number' && !Number.isInteger(v) ? (Math.abs(v) < 1e-3 ? v.toExponential(2) : v.toFixed(4)) : v}`,
    )
    .join(' · ');
}
