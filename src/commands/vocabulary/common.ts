// Pieces several command specs share: the syntax of commands that take only a device, and
// what the driver's view forgets when a device's vectors are gone.
import type { AbstractState } from '../../abstract/state';
import { checkArgs, deviceName, positional } from '../args';
import { clip } from '../../text';
import type { Command, CommandOf } from '../command';
import type { CommandSpec } from '../spec';

/** Command kinds whose only argument is the device. */
export type DeviceOnlyKind = Extract<Command, { readonly dev: string }> extends infer C
  ? C extends { readonly kind: infer K; readonly dev: string }
    ? Exclude<keyof C, 'kind' | 'dev'> extends never
      ? K & Command['kind']
      : never
    : never
  : never;

/** format/parse for `name(dev)`. */
export function deviceOnlySyntax<K extends DeviceOnlyKind>(kind: K): Pick<CommandSpec<K>, 'format' | 'parse'> {
  return {
    format: (c) => [(c as { dev: string }).dev],
    parse(args) {
      checkArgs(args, 1, []);
      return { kind, dev: deviceName(positional(args, 0, 'device', 1)) } as CommandOf<K>;
    },
  };
}

/** After a free or an unbind the driver holds no vectors on the device. */
export function forgetVectors(s: AbstractState, name: string): void {
  const d = s.devices.get(name);
  if (d === undefined) return;
  d.mode = 'none';
  d.nvec = 0;
  d.dynamic.clear();
}

/** The reason most invalid commands give: the device they name is not there. */
export function noDevice(name: string): string {
  return `no device ${clip(name)} (never added, or removed)`;
}
