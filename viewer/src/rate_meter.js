// Events per second over a sliding window of whole-second buckets (no allocation).

export class RateMeter {
  constructor(windowSeconds = 5) {
    this.buckets = new Float64Array(windowSeconds);
    this.currentSecond = Math.floor(performance.now() / 1000);
    this.startedAt = performance.now();
  }

  /** Moves the window forward to `nowMs`, clearing the seconds that passed. */
  roll(nowMs) {
    const second = Math.floor(nowMs / 1000);
    const passed = Math.min(second - this.currentSecond, this.buckets.length);
    for (let i = 1; i <= passed; i += 1) this.buckets[(this.currentSecond + i) % this.buckets.length] = 0;
    if (second > this.currentSecond) this.currentSecond = second;
  }

  add(count, nowMs = performance.now()) {
    this.roll(nowMs);
    this.buckets[this.currentSecond % this.buckets.length] += count;
  }

  /** Average per second over the window (shorter while the page is young). */
  rate(nowMs = performance.now()) {
    this.roll(nowMs);
    let sum = 0;
    for (let i = 0; i < this.buckets.length; i += 1) sum += this.buckets[i];
    const partialSecond = (nowMs / 1000) % 1;
    const span = Math.min(this.buckets.length - 1 + partialSecond, (nowMs - this.startedAt) / 1000);
    return span > 0.25 ? sum / span : 0;
  }
}
