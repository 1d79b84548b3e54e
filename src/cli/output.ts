// Output discipline: human text on stdout/stderr, a live status line only on a TTY outside CI,
// and with --json exactly one JSON object as the last line of stdout.
import { SingleBar } from 'cli-progress';

export function interactive(): boolean {
  return process.stderr.isTTY === true && process.env['CI'] === undefined;
}

export interface Progress {
  update(fields: { runs: number; commands: number; elapsedMs: number; findings: number; label: string }): void;
  stop(): void;
}

/** A one-line progress display (cli-progress), or nothing when not interactive. */
export function startProgress(enabled: boolean): Progress {
  if (!enabled) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar(
    {
      format: '{label} | {runs} runs | {rate} cmd/s | {elapsed}s | findings: {findings}',
      stream: process.stderr,
      hideCursor: true,
      clearOnComplete: true,
    },
    undefined,
  );
  bar.start(1, 0, { label: '', runs: 0, rate: 0, elapsed: 0, findings: 0 });
  return {
    update(f) {
      const rate = f.elapsedMs > 0 ? Math.round((f.commands * 1000) / f.elapsedMs) : 0;
      bar.update(0, { label: f.label, runs: f.runs, rate, elapsed: (f.elapsedMs / 1000).toFixed(1), findings: f.findings });
    },
    stop() {
      bar.stop();
    },
  };
}

export function printJson(obj: unknown): void {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}
