// Progress of the long provisioning phases (download, unpack, build) as one bar each on a
// terminal; nothing at all otherwise, so CI logs hold only notices and the result.
import { SingleBar } from 'cli-progress';
import { interactive } from '../cli/output';

export interface PhaseProgress {
  /** Sets the current amount (bytes, build steps); `total` may be revised as it becomes known. */
  update(value: number, total?: number): void;
  done(summary: string): void;
}

export function phase(label: string, total: number, unit: string): PhaseProgress {
  if (!interactive()) return { update: () => undefined, done: () => undefined };
  const bar = new SingleBar(
    { format: `${label.padEnd(34)} {bar} {value}/{total} ${unit}`, stream: process.stderr, hideCursor: true, clearOnComplete: true },
    undefined,
  );
  bar.start(Math.max(1, total), 0);
  let max = Math.max(1, total);
  return {
    update(value, t) {
      if (t !== undefined && t > 0) max = t;
      // An estimated total can be passed: grow it rather than overflow the bar.
      if (value > max) max = Math.ceil(value * 1.05);
      bar.setTotal(max);
      bar.update(value);
    },
    done(summary) {
      bar.stop();
      process.stderr.write(`${label}: ${summary}\n`);
    },
  };
}

/** A notice the user must see whether or not a terminal is attached (a pin fallback). */
export function notice(text: string): void {
  process.stderr.write(`msi-fuzz: notice: ${text}\n`);
}
