// The mutation sample is a function of (seed, mutant identities): replayable, stratified, and
// blind to line numbers, so a before/after comparison samples the same unchanged code.
import { MIN_PER_GROUP, quotas, sampleMutants } from '../../src/mutate/sample';

interface M {
  identity: string;
  group: string;
}

function population(sizes: Record<string, number>): M[] {
  const out: M[] = [];
  for (const [group, n] of Object.entries(sizes)) for (let i = 0; i < n; i++) out.push({ identity: `${group}/file.ts\0Mutator\0x${i}\0y\0${i % 3}`, group });
  return out;
}

const SIZES = { kernel: 2900, x86: 2700, pseries: 1070, 'gic-v3-its': 780, powernv: 700, 'powerpc-common': 560 };

describe('mutant sampling', () => {
  test('the same seed draws the same mutants, in the same order, whatever the input order', () => {
    const pop = population(SIZES);
    const a = sampleMutants(pop, 240, 7).map((m) => m.identity);
    const b = sampleMutants([...pop].reverse(), 240, 7).map((m) => m.identity);
    expect(a).toHaveLength(240);
    expect(b).toEqual(a);
  });

  test('another seed draws other mutants', () => {
    const pop = population(SIZES);
    const a = new Set(sampleMutants(pop, 240, 1).map((m) => m.identity));
    const b = sampleMutants(pop, 240, 2).map((m) => m.identity);
    expect(b.filter((id) => a.has(id)).length).toBeLessThan(60);
  });

  test('every group gets its floor and the rest goes by size', () => {
    const q = quotas(new Map(Object.entries(SIZES)), 240);
    expect([...q.values()].reduce((x, y) => x + y, 0)).toBe(240);
    for (const n of q.values()) expect(n).toBeGreaterThanOrEqual(MIN_PER_GROUP);
    expect(q.get('kernel')).toBeGreaterThan(q.get('powerpc-common') as number);
    expect(q.get('x86')).toBeGreaterThan(q.get('pseries') as number);
  });

  test('a sample smaller than the floors still spreads over every group', () => {
    const q = quotas(new Map(Object.entries(SIZES)), 12);
    expect([...q.values()]).toEqual([2, 2, 2, 2, 2, 2]);
  });

  test('a group smaller than its share gives all it has, and the total is kept', () => {
    const q = quotas(new Map([['big', 1000], ['tiny', 3]]), 100);
    expect(q.get('tiny')).toBe(3);
    expect(q.get('big')).toBe(97);
  });

  test('a mutant in unchanged code keeps its place when mutants elsewhere come and go', () => {
    const pop = population(SIZES);
    const before = sampleMutants(pop, 240, 3).filter((m) => m.group === 'kernel').map((m) => m.identity);
    // Another helper adds code to x86 and removes some from pseries: the kernel's sample is untouched.
    const edited = [...pop.filter((m) => !(m.group === 'pseries' && m.identity.includes('x1'))), ...population({ x86: 50 }).map((m) => ({ ...m, identity: `new-${m.identity}` }))];
    const after = sampleMutants(edited, 240, 3).filter((m) => m.group === 'kernel').map((m) => m.identity);
    // The kernel's quota may move by one with the other groups' sizes; its ranking does not.
    const n = Math.min(before.length, after.length);
    expect(Math.abs(before.length - after.length)).toBeLessThanOrEqual(2);
    expect(after.slice(0, n)).toEqual(before.slice(0, n));
  });
});
