// RISC-V AIA-only commands: the IMSIC's lazy per-CPU synchronization timer.
//   imsic_local_timer_callback(cpu=N)   CPU N's timer fires: imsic_local_sync_all(false) there
import { RiscvAiaPlatform } from '../../../models/platforms/riscv-aia';
import { checkArgs, requiredInt } from '../args';
import { pick } from '../rng';
import type { AnySpec, CommandSpec, VocabContext } from '../spec';

const onRiscv = (ctx: VocabContext): boolean => ctx.platform === 'riscv-aia';

export const imsicLocalTimerCallbackCmd: CommandSpec<'imsic_local_timer_callback'> = {
  kind: 'imsic_local_timer_callback',
  offered: (ctx) => ctx.platform === 'riscv-aia',
  summary: 'imsic_local_timer_callback(cpu=N): CPU N\'s lazy IMSIC timer fires (jiffies + 1 after a remote change): it applies the enable bits and frees the old vectors of moves away from it (riscv-aia)',
  weight: 2,
  // another CPU's timer softirq: it runs while the driver thread waits
  concurrent: true,
  valid: (c, s, ctx) => onRiscv(ctx) && s.online.has(c.cpu),
  invalid: (c, s, ctx) => (!onRiscv(ctx) ? 'only RISC-V AIA has IMSIC interrupt files' : !s.online.has(c.cpu) ? `CPU ${c.cpu} is not online (its timer does not run)` : null),
  generate: (s, rng, ctx) => (onRiscv(ctx) ? { kind: 'imsic_local_timer_callback', cpu: pick(rng, [...s.online]) } : null),
  expect: () => ({ kind: 'none' }),
  run(c, sim) {
    if (!(sim.platform instanceof RiscvAiaPlatform)) return { ret: -22 };
    sim.note(`cpu${c.cpu}: ${sim.platform.localTimerCallback(c.cpu)}`);
    return { ret: null };
  },
  update: () => undefined,
  format: (c) => [`cpu=${c.cpu}`],
  parse(args) {
    checkArgs(args, 0, ['cpu']);
    return { kind: 'imsic_local_timer_callback', cpu: requiredInt(args, 'cpu') };
  },
  simplify: (c) => (c.cpu > 1 ? [{ ...c, cpu: 1 }] : []),
};

export const RISCV_COMMANDS: readonly AnySpec[] = [imsicLocalTimerCallbackCmd];
