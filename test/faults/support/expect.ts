import { expect } from 'vitest';
import type { ScenarioResult } from './scenario.ts';

/** Every acked post once in history, in order, and once on every socket; no process died by itself. */
export function expectWhole(r: ScenarioResult): void {
  expect(r.crashes).toEqual([]);
  expect(r.acked).toBeGreaterThan(100);
  expect({ lost: r.lost, duplicated: r.duplicated, seqMismatch: r.seqMismatch, outOfOrder: r.outOfOrder }).toEqual({
    lost: 0,
    duplicated: 0,
    seqMismatch: 0,
    outOfOrder: 0,
  });
  expect({ missedLive: r.missedLive, duplicatedLive: r.duplicatedLive, outOfOrderLive: r.outOfOrderLive }).toEqual({
    missedLive: 0,
    duplicatedLive: 0,
    outOfOrderLive: 0,
  });
  expect(r.recovery_s).toBeLessThan(30);
}
