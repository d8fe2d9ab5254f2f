import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FaultStack } from './fault-stack.ts';
import { type Account, history, join, Load, type Verdict } from './load.ts';
import type { ServiceProcess } from './services.ts';

const RESULTS = fileURLToPath(new URL('../results/latest.json', import.meta.url));

export interface ScenarioResult extends Verdict {
  scenario: string;
  /** Seconds from the fault until a new post is acked and shows in history again. */
  recovery_s: number;
  crashes: string[];
  nats_server: string;
  at: string;
}

export interface Fault {
  /** Breaks something (kill, pause, stop a server). */
  inject(): Promise<void>;
  /** Mends it (restart, resume); the load goes on throughout. */
  heal(): Promise<void>;
  /** How long the fault lasts before it is healed (ms). */
  holdMs?: number;
  /** Gateways the clients know (default: every gateway of the stack). */
  gateways?: () => ServiceProcess[];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Seconds from `t0` until a fresh post is acked by some gateway and history shows it. */
async function recovery(gateways: () => ServiceProcess[], room: string, account: Account, t0: number, timeoutMs = 60_000): Promise<number> {
  for (let k = 0; Date.now() - t0 < timeoutMs; k++) {
    const list = gateways();
    const g = list[k % list.length]!;
    const id = `${room}-probe-${k}`;
    const posted = await fetch(`${g.url}/rooms/${room}/messages`, {
      method: 'POST',
      headers: { authorization: `Bearer ${account.token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ user_id: account.id, content: 'probe', client_msg_id: id }),
      signal: AbortSignal.timeout(2000),
    }).catch(() => null);
    if (posted?.status === 201 || posted?.status === 200) {
      while (Date.now() - t0 < timeoutMs) {
        const views = await history(g.url, room, account.token).catch(() => []);
        if (views.some((v) => v.client_msg_id === id)) return (Date.now() - t0) / 1000;
        await sleep(100);
      }
    }
    await sleep(100);
  }
  return Number.POSITIVE_INFINITY;
}

let rooms = 0;

/**
 * One scenario on a running stack: a fresh room, the load running for 2.5 s, then the fault
 * (injected, held, healed) while the load goes on, 2 s more of load, then every acked post checked
 * in history and on every socket. Prints one line and records it in test/faults/results/latest.json.
 */
export async function runScenario(
  stack: FaultStack,
  name: string,
  accounts: { posters: Account[]; observers: Account[] },
  fault: Fault,
): Promise<ScenarioResult> {
  const room = `fault-${process.pid}-${++rooms}`;
  const gateways = fault.gateways ?? (() => stack.gateways);
  await join(gateways(), room, [...accounts.posters, ...accounts.observers]);
  const load = new Load(room, accounts.posters, accounts.observers, gateways);
  await load.start();
  await sleep(2500);
  const t0 = Date.now();
  await fault.inject();
  const recovered = recovery(gateways, room, accounts.posters[0]!, t0);
  await sleep(fault.holdMs ?? 0);
  await fault.heal();
  const recovery_s = await recovered;
  await sleep(2000);
  await load.stop();
  const verdict = await load.verify();
  const crashes = stack.takeCrashes();
  if (crashes.length > 0) await stack.revive();
  else await stack.allReady();
  const result: ScenarioResult = {
    scenario: name,
    ...verdict,
    recovery_s: Math.round(recovery_s * 10) / 10,
    crashes,
    nats_server: natsVersion(),
    at: new Date().toISOString(),
  };
  report(result);
  return result;
}

let version: string | undefined;
function natsVersion(): string {
  version ??= execFileSync(process.env.NATS_SERVER_BIN ?? '/usr/sbin/nats-server', ['--version'])
    .toString()
    .trim();
  return version;
}

function report(r: ScenarioResult): void {
  console.log(
    `[faults] ${r.scenario}: acked ${r.acked} / lost ${r.lost} / duplicated ${r.duplicated} / recovery ${r.recovery_s} s` +
      ` (unacked ${r.unacked}, seq mismatches ${r.seqMismatch}, out of order ${r.outOfOrder}, live missed ${r.missedLive}, live duplicated ${r.duplicatedLive}, resumes ${r.resumes}${r.crashes.length ? `, crashes ${r.crashes.length}` : ''})`,
  );
  mkdirSync(fileURLToPath(new URL('../results/', import.meta.url)), { recursive: true });
  let all: ScenarioResult[] = [];
  try {
    all = JSON.parse(readFileSync(RESULTS, 'utf8')) as ScenarioResult[];
  } catch {
    // first run
  }
  all = [...all.filter((x) => x.scenario !== r.scenario), r];
  writeFileSync(RESULTS, `${JSON.stringify(all, null, 2)}\n`);
}
