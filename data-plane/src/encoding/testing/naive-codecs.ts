/**
 * Deliberately simple reference implementations, for differential tests of the optimized codecs:
 * slow, obvious, and written without sharing code with what they check.
 */

const M32 = (1n << 32n) - 1n;

/** xxHash32 (seed 0) over BigInt arithmetic, straight from the spec's pseudo-code. */
export function naiveXxh32(bytes: Uint8Array): number {
  const P1 = 2654435761n;
  const P2 = 2246822519n;
  const P3 = 3266489917n;
  const P4 = 668265263n;
  const P5 = 374761393n;
  const rotl = (x: bigint, r: bigint) => ((x << r) | (x >> (32n - r))) & M32;
  const word = (p: number) => BigInt(bytes[p] + bytes[p + 1] * 256 + bytes[p + 2] * 65536 + bytes[p + 3] * 16777216);
  const round = (acc: bigint, w: bigint) => (rotl((acc + w * P2) & M32, 13n) * P1) & M32;
  const len = bytes.length;
  let p = 0;
  let h: bigint;
  if (len >= 16) {
    const v = [(P1 + P2) & M32, P2, 0n, (-P1 & M32) as bigint];
    for (; p + 16 <= len; p += 16) for (let l = 0; l < 4; l++) v[l] = round(v[l], word(p + 4 * l));
    h = (rotl(v[0], 1n) + rotl(v[1], 7n) + rotl(v[2], 12n) + rotl(v[3], 18n)) & M32;
  } else {
    h = P5;
  }
  h = (h + BigInt(len)) & M32;
  for (; p + 4 <= len; p += 4) h = (rotl((h + word(p) * P3) & M32, 17n) * P4) & M32;
  for (; p < len; p++) h = (rotl((h + BigInt(bytes[p]) * P5) & M32, 11n) * P1) & M32;
  h ^= h >> 15n;
  h = (h * P2) & M32;
  h ^= h >> 13n;
  h = (h * P3) & M32;
  h ^= h >> 16n;
  return Number(h);
}

/** LSB-first bit stream as an array of 0/1, then packed into bytes. */
export class NaiveBits {
  readonly bits: number[] = [];

  /** Appends the low `width` bits of a non-negative integer (any size up to 2^53), low bit first. */
  push(value: number, width: number): void {
    let v = BigInt(value);
    for (let i = 0; i < width; i++) {
      this.bits.push(Number(v & 1n));
      v >>= 1n;
    }
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(Math.ceil(this.bits.length / 8));
    this.bits.forEach((b, i) => (out[i >> 3] |= b << (i & 7)));
    return out;
  }
}

/** The Gorilla XOR stream for `values` (see gorilla-encoder.ts), built bit by bit with BigInt. */
export function naiveGorilla(values: Float64Array): Uint8Array {
  const out = new NaiveBits();
  if (values.length === 0) return out.bytes();
  // Read raw bits (not via Float64Array([v]), which could canonicalize NaN payloads).
  const raw = new BigUint64Array(values.buffer, values.byteOffset, values.length);
  let prev = raw[0];
  out.push(Number(prev & M32), 32);
  out.push(Number(prev >> 32n), 32);
  let lead = -1;
  let trail = 0;
  for (let i = 1; i < values.length; i++) {
    const x = raw[i] ^ prev;
    prev = raw[i];
    if (x === 0n) {
      out.push(0, 1);
      continue;
    }
    let lz = 0;
    while (lz < 64 && !((x >> BigInt(63 - lz)) & 1n)) lz++;
    let tz = 0;
    while (!((x >> BigInt(tz)) & 1n)) tz++;
    lz = Math.min(lz, 31);
    out.push(1, 1);
    if (lead >= 0 && lz >= lead && tz >= trail) {
      out.push(0, 1);
      pushBig(out, x >> BigInt(trail), 64 - lead - trail);
    } else {
      out.push(1, 1);
      out.push(lz, 5);
      out.push(64 - lz - tz - 1, 6);
      pushBig(out, x >> BigInt(tz), 64 - lz - tz);
      lead = lz;
      trail = tz;
    }
  }
  return out.bytes();
}

function pushBig(out: NaiveBits, v: bigint, width: number): void {
  for (let i = 0; i < width; i++) out.bits.push(Number((v >> BigInt(i)) & 1n));
}

/** Reference segment "codec": the values verbatim (JSON names + raw float64 bytes). */
export function naiveSegmentRoundTrip(input: { ts: Float64Array; fields: string[]; values: Float64Array[] }) {
  const copy = (a: Float64Array) => new Float64Array(new Uint8Array(a.buffer, a.byteOffset, a.byteLength).slice().buffer);
  return { ts: copy(input.ts), fields: JSON.parse(JSON.stringify(input.fields)) as string[], values: input.values.map(copy) };
}

/** Smallest scale in −9..9 at which every non-NaN value round-trips (the decoder's expression), or null. */
export function naiveScale(values: Float64Array): number | null {
  for (let s = -9; s <= 9; s++) {
    const ok = Array.from(values).every((v) => {
      if (Number.isNaN(v)) return true;
      if (!Number.isFinite(v) || Object.is(v, -0)) return false;
      const m = s >= 0 ? Math.round(v * 10 ** s) : Math.round(v / 10 ** -s);
      const back = s >= 0 ? m / 10 ** s : m * 10 ** -s;
      return back === v && Math.abs(m) < 2 ** 51 && !Object.is(m, -0);
    });
    if (ok) return s;
  }
  return null;
}
