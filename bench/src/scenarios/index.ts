import { connections } from './connections.ts';
import { history, rebuild } from './data.ts';
import { e2e } from './e2e.ts';
import { fanout } from './fanout.ts';
import { liveDesigns } from './live-designs.ts';
import { reconnect } from './reconnect.ts';
import type { Scenario } from './types.ts';

export const SCENARIOS: Record<number, { name: string; run: Scenario; needsGenerator: boolean }> = {
  1: { name: 'Fan-out', run: fanout, needsGenerator: true },
  2: { name: 'End to end', run: e2e, needsGenerator: true },
  3: { name: 'Connections', run: connections, needsGenerator: false },
  4: { name: 'History', run: history, needsGenerator: false },
  5: { name: 'Projection rebuild', run: rebuild, needsGenerator: false },
  6: { name: 'Reconnect storm', run: reconnect, needsGenerator: false },
  7: { name: 'Live path designs', run: liveDesigns, needsGenerator: false },
};
