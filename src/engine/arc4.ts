// seedrandom's ARC4 generator (the one every run has always been seeded with), kept in-house:
// the same key schedule, the same 256 bytes dropped, the same doubles, bit for bit (checked
// against the library in test/campaign/arc4.test.ts). The library also mixes each new state
// into its global entropy pool and builds strings on the way; the engine seeds a generator per
// run, and that side work cost it more than the run's draws.

const MASK = 0xff;
/** A double starts from six output bytes (2^48)... */
const START_DENOM = 2 ** 48;
/** ...and takes more until 52 significant bits are filled... */
const SIGNIFICANCE = 2 ** 52;
/** ...without rounding up past 53. */
const OVERFLOW = 2 ** 53;

export class Arc4 {
  private readonly s = new Uint8Array(256);
  private i = 0;
  private j = 0;

  constructor(seed: string) {
    // seedrandom's mixkey(): the key is the seed's char codes, folded over 256 bytes.
    const key: number[] = [];
    let smear = 0;
    for (let k = 0; k < seed.length; k++) {
      smear ^= (key[k & MASK] ?? 0) * 19;
      key[k & MASK] = MASK & (smear + seed.charCodeAt(k));
    }
    if (key.length === 0) key.push(0);
    const s = this.s;
    for (let i = 0; i < 256; i++) s[i] = i;
    for (let i = 0, j = 0; i < 256; i++) {
      const t = s[i] as number;
      j = MASK & (j + (key[i % key.length] as number) + t);
      s[i] = s[j] as number;
      s[j] = t;
    }
    this.bytes(256);
  }

  /** The next `count` output bytes, big-endian in one number (seedrandom's ARC4.g). */
  private bytes(count: number): number {
    const s = this.s;
    let i = this.i;
    let j = this.j;
    let r = 0;
    for (let c = 0; c < count; c++) {
      i = MASK & (i + 1);
      const t = s[i] as number;
      j = MASK & (j + t);
      const u = s[j] as number;
      s[i] = u;
      s[j] = t;
      r = r * 256 + (s[MASK & (u + t)] as number);
    }
    this.i = i;
    this.j = j;
    return r;
  }

  /** A double in [0, 1), as seedrandom's prng() returns it. */
  double(): number {
    let n = this.bytes(6);
    let d = START_DENOM;
    let x = 0;
    while (n < SIGNIFICANCE) {
      n = (n + x) * 256;
      d *= 256;
      x = this.bytes(1);
    }
    while (n >= OVERFLOW) {
      n /= 2;
      d /= 2;
      x >>>= 1;
    }
    return (n + x) / d;
  }
}
