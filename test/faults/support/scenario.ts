import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FaultStack } from './fault-stack.ts';
import { type Account, join, Load, type Verdict } from './load.ts';
import type { ServiceProcess } from './services.ts';

/** Copies of every service (`FAULTS_COPIES`, issue 13 item 3: scaling out under the same faults). */
export const COPIES = Number(process.env.FAULTS_COPIES ?? 1);
const RESULTS = fileURLToPath(new URL(COPIES > 1 ? `../results/copies-${COPIES}.json` : '../results/latest.json', import.meta.url));

export interface ScenarioResult extends Verdict {
  scenario: string;
  /** Seconds from the fault until a new post is acked, shows in history and reaches every socket again. */
  recovery_s: number;
  /** The same, by path: acked, in history, live on every socket. */
  recovery: Recovery;
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

/** When, after `t0`, a fresh post was acked, shown in history and live on every socket (seconds). */
interface Recovery {
  acked_s: number;
  history_s: number;
  live_s: number;
}

/** Probes from `t0` until a fresh post is acked by some gateway, history shows it and every socket has it live. */
async function recovery(load: Load, gateways: () => ServiceProcess[], room: string, account: Account, t0: number, timeoutMs = 60_000): Promise<Recovery> {
  const since = () => Math.round((Date.now() - t0) / 100) / 10;
  const never = Number.POSITIVE_INFINITY;
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
      const { seq } = (await posted.json()) as { seq: number };
      const r: Recovery = { acked_s: since(), history_s: never, live_s: never };
      while (Date.now() - t0 < timeoutMs && (r.history_s === never || r.live_s === never)) {
        if (r.live_s === never && load.seenByAll(id)) r.live_s = since();
        if (r.history_s === never) {
          // One page, the one that must hold it (a whole-history read is many requests, each of which
          // may meet a paused copy), from the gateway that acked it.
          const views = await page(g.url, room, account.token, seq - 1);
          if (views.some((v) => v.client_msg_id === id)) r.history_s = since();
        }
        await sleep(100);
      }
      return r;
    }
    await sleep(100);
  }
  return { acked_s: never, history_s: never, live_s: never };
}

async function page(base: string, room: string, token: string, after: number): Promise<{ client_msg_id: string | null }[]> {
  const res = await fetch(`${base}/rooms/${room}/messages?after=${after}&limit=1`, {
    headers: { authorization: `Bearer ${token}` },
    signal: AbortSignal.timeout(1500),
  }).catch(() => null);
  return res?.status === 200 ? ((await res.json()) as { client_msg_id: string | null }[]) : [];
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
  const recovered = recovery(load, gateways, room, accounts.posters[0]!, t0);
  await sleep(fault.holdMs ?? 0);
  await fault.heal();
  const rec = await recovered;
  const recovery_s = Math.max(rec.acked_s, rec.history_s, rec.live_s);
  await sleep(2000);
  await load.stop();
  const verdict = await load.verify();
  const crashes = stack.takeCrashes();
  if (crashes.length > 0) await stack.revive();
  else await stack.allReady();
  const result: ScenarioResult = {
    scenario: COPIES > 1 ? `${name} (${COPIES} copies)` : name,
    ...verdict,
    recovery_s: Math.round(recovery_s * 10) / 10,
    recovery: rec,
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
      ` (acked again ${r.recovery.acked_s} s, history ${r.recovery.history_s} s, live ${r.recovery.live_s} s; unacked ${r.unacked}, seq mismatches ${r.seqMismatch}, out of order ${r.outOfOrder}, live missed ${r.missedLive}, live duplicated ${r.duplicatedLive}, resumes ${r.resumes}${r.crashes.length ? `, crashes ${r.crashes.length}` : ''})`,
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
