// The worker-thread side of the pool (workerpool): runs plan units.
import workerpool from 'workerpool';
import type { Unit } from './plan';
import { runUnit, type UnitResult } from './unit';

workerpool.worker({
  runUnit: (u: Unit): UnitResult => runUnit(u),
});
