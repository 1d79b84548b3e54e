// kernel/irq/affinity.c and lib/group_cpus.c: how a driver asking for PCI_IRQ_AFFINITY gets one
// managed mask per vector. Simplified: one NUMA node and every possible CPU present, so
// group_cpus_evenly() cuts the CPUs, in order, into nvec groups whose sizes differ by at most
// one (the first groups get the extra CPUs); no pre/post vectors (the default irq_affinity).
import type { IrqAffinityDesc } from './irqdomain';

// irq_calc_affinity_vectors(): no more vectors than possible CPUs (no sets, no reserved vectors)
export function irqCalcAffinityVectors(minvec: number, maxvec: number, nrPossibleCpus: number): number {
  if (minvec < 0) return 0;
  return Math.min(nrPossibleCpus, maxvec);
}

// irq_create_affinity_masks() -> group_cpus_evenly(): every mask is managed
export function irqCreateAffinityMasks(nvec: number, nrPossibleCpus: number): IrqAffinityDesc[] {
  const out: IrqAffinityDesc[] = [];
  if (nvec <= 0) return out;
  const per = Math.floor(nrPossibleCpus / nvec);
  let extra = nrPossibleCpus - per * nvec;
  let cpu = 0;
  for (let g = 0; g < nvec; g++) {
    let n = per;
    if (extra > 0) {
      n++;
      extra--;
    }
    const mask: number[] = [];
    for (let i = 0; i < n && cpu < nrPossibleCpus; i++) mask.push(cpu++);
    // More groups than CPUs: the surplus vectors wrap around the CPUs one each
    if (mask.length === 0) mask.push(g % nrPossibleCpus);
    out.push({ mask, isManaged: true });
  }
  return out;
}
