/**
 * Rows of numbers kept small: each whole number as a zigzag varint (most
 * papiex counters fit one or two bytes), times as differences from the
 * first row's. A million processes take about 100 MB instead of the 320 MB
 * of plain Float64 rows. NaN means "none"; other numbers (fractions, or
 * beyond 2^50) are kept as 8 raw bytes, so every value comes back exactly.
 *
 * Codes: 0 = NaN, 1 = a raw float64 follows, n >= 2 = zigzag(v) + 2.
 */

const CHUNK = 1 << 20;
const LARGE = 2 ** 50;
const LOCATOR_BITS = 20; // offset within a chunk

/** Append-only rows of `width` numbers, read back by index. */
export class PackedRows {
  readonly width: number;
  #delta: Uint8Array;
  #base: Float64Array;
  #chunks: Uint8Array[] = [];
  #pos = CHUNK; // forces a first chunk
  /** Row r starts at chunk (loc >>> 20), offset (loc & 0xfffff). */
  #locators = new Uint32Array(1024);
  length = 0;

  /**
   * `deltaFields` are stored as differences from the first row's value
   * (times in µs since the epoch become a few bytes).
   */
  constructor(width: number, deltaFields: readonly number[] = []) {
    this.width = width;
    this.#delta = new Uint8Array(width);
    for (const f of deltaFields) this.#delta[f] = 1;
    this.#base = new Float64Array(width);
  }

  #views = new WeakMap<Uint8Array, DataView>();
  #view(bytes: Uint8Array): DataView {
    let v = this.#views.get(bytes);
    if (!v) this.#views.set(bytes, v = new DataView(bytes.buffer));
    return v;
  }

  /** Bytes held (for reports). */
  get bytes(): number {
    return this.#chunks.length * CHUNK + this.#locators.byteLength;
  }

  /** Appends a row: `values[0..width)`. */
  append(values: Float64Array): void {
    const width = this.width;
    if (this.length === 0) {
      for (let f = 0; f < width; f++) {
        if (this.#delta[f] && values[f] === values[f]) {
          this.#base[f] = values[f];
        }
      }
    }
    if (this.#pos + width * 9 > CHUNK) {
      this.#chunks.push(new Uint8Array(CHUNK));
      this.#pos = 0;
    }
    if (this.length === this.#locators.length) {
      const bigger = new Uint32Array(this.#locators.length * 2);
      bigger.set(this.#locators);
      this.#locators = bigger;
    }
    const chunkIndex = this.#chunks.length - 1;
    if (chunkIndex >= 1 << (32 - LOCATOR_BITS)) {
      throw new Error("too many process rows for one job");
    }
    this.#locators[this.length++] = (chunkIndex << LOCATOR_BITS | this.#pos) >>>
      0;
    const out = this.#chunks[chunkIndex];
    let p = this.#pos;
    for (let f = 0; f < width; f++) {
      let v = values[f];
      if (v !== v) {
        out[p++] = 0;
        continue;
      }
      if (this.#delta[f]) v -= this.#base[f];
      if (!(v < LARGE && v > -LARGE) || !Number.isInteger(v)) {
        out[p++] = 1;
        this.#view(out).setFloat64(p, values[f], true);
        p += 8;
        continue;
      }
      let code = (v >= 0 ? v * 2 : -v * 2 - 1) + 2;
      if (code < 0x80000000) {
        while (code >= 128) {
          out[p++] = (code & 127) | 128;
          code >>>= 7;
        }
        out[p++] = code;
      } else {
        while (code >= 128) {
          out[p++] = (code % 128) | 128;
          code = Math.floor(code / 128);
        }
        out[p++] = code;
      }
    }
    this.#pos = p;
  }

  /** Reads row `r` into `out[0..width)`. */
  read(r: number, out: Float64Array): void {
    const loc = this.#locators[r];
    const bytes = this.#chunks[loc >>> LOCATOR_BITS];
    let p = loc & ((1 << LOCATOR_BITS) - 1);
    const width = this.width;
    const delta = this.#delta;
    // Every row is decoded once to store it and once to analyse it: the
    // common cases (one byte, codes below 2^31) take small-integer paths.
    for (let f = 0; f < width; f++) {
      let code = bytes[p++];
      if (code >= 128) {
        code &= 127;
        let shift = 7;
        let b: number;
        do {
          b = bytes[p++];
          code = shift < 28
            ? code | ((b & 127) << shift)
            : code + (b & 127) * 2 ** shift;
          shift += 7;
        } while (b >= 128);
      }
      if (code < 2) {
        if (code === 0) out[f] = NaN;
        else {
          out[f] = this.#view(bytes).getFloat64(p, true);
          p += 8;
        }
        continue;
      }
      code -= 2;
      const v = code < 0x80000000
        ? ((code & 1) === 0 ? code >>> 1 : -((code + 1) >>> 1))
        : code % 2 === 0
        ? code / 2
        : -(code + 1) / 2;
      out[f] = delta[f] ? v + this.#base[f] : v;
    }
  }
}
