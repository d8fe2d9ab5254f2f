import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Rpc, type RpcName } from '@chat/contracts';
import { describe, expect, it } from 'vitest';
import { AUTH_CONF, ENDPOINTS, natsAuthConfig, natsUsers, passwordVariable, SERVICE_USERS } from '../infra/nats/auth.ts';

const file = (path: string) => readFileSync(fileURLToPath(new URL(`../${path}`, import.meta.url)), 'utf8');

describe('NATS users and permissions (infra/nats/auth.conf)', () => {
  it('is what infra/nats/auth.ts writes for the namespace chat (run `pnpm nats:auth` after changing subjects)', () => {
    expect(readFileSync(AUTH_CONF, 'utf8')).toBe(natsAuthConfig('chat'));
  });

  it('gives every endpoint to exactly one service', () => {
    const served = Object.values(ENDPOINTS).flat();
    expect(new Set(served).size).toBe(served.length);
    expect([...served].sort()).toEqual((Object.keys(Rpc) as RpcName[]).sort());
  });

  it('lets only room and profile publish events or create streams', () => {
    for (const u of natsUsers('chat')) {
      const publishes = u.publish.map((r) => r.subject);
      const appends = publishes.filter((p) => p.startsWith('chat.evt.'));
      const creates = publishes.filter((p) => /^\$JS\.API\.STREAM\.(CREATE|UPDATE)\./.test(p));
      if (u.user === 'room' || u.user === 'profile') {
        expect(appends.length, u.user).toBeGreaterThan(0);
        expect(creates.length, u.user).toBeGreaterThan(0);
      } else {
        expect(appends, u.user).toEqual([]);
        expect(creates, u.user).toEqual([]);
        expect(u.denyPublish?.map((r) => r.subject)).toContain('chat.evt.>');
      }
      // Wildcards over the whole JetStream API, or over everything, are never given.
      expect(
        publishes.filter((p) => p === '>' || p.startsWith('$JS.API.>') || p === '$JS.>' || p === 'chat.>'),
        u.user,
      ).toEqual([]);
      // Nobody may subscribe to the event subjects: a push consumer delivers only where someone does.
      expect(
        u.subscribe.map((r) => r.subject).filter((p) => p.startsWith('chat.evt') || p === '>' || p === 'chat.>'),
        u.user,
      ).toEqual([]);
      for (const rule of [...u.publish, ...u.subscribe]) expect(rule.why.length, rule.subject).toBeGreaterThan(5);
    }
  });

  it('writes the namespace into every subject, stream and bucket name', () => {
    const other = natsAuthConfig('myns');
    expect(other).not.toMatch(/"chat\.|CHAT_CHAT|_chat\b/);
    expect(other).toContain('"myns.evt.room.*"');
    expect(other).toContain('$JS.API.STREAM.INFO.CHAT_MYNS"');
    expect(other).toContain('"$KV.presence_myns.>"');
  });

  it('is included by the single-node and cluster configs', () => {
    expect(file('infra/nats/nats.conf')).toMatch(/^include \.\/auth\.conf$/m);
    for (const n of [1, 2, 3]) expect(file(`infra/nats/cluster/n${n}.conf`)).toMatch(/^include \.\.\/auth\.conf$/m);
  });

  it('docker-compose gives the server every password and each service its own user', () => {
    const compose = file('docker-compose.yml');
    expect(compose).toContain('./infra/nats/auth.conf:/etc/nats/auth.conf:ro');
    for (const user of [...SERVICE_USERS, 'admin' as const]) {
      expect(compose).toMatch(new RegExp(`^      ${passwordVariable(user)}: \\$\\{${passwordVariable(user)}:\\?`, 'm'));
    }
    for (const user of SERVICE_USERS) {
      const service = compose.slice(compose.indexOf(`\n  ${user}:\n`), compose.indexOf('\n\n', compose.indexOf(`\n  ${user}:\n`)));
      expect(service, user).toContain(`NATS_USER: ${user}\n`);
      expect(service, user).toContain(`NATS_PASSWORD: \${${passwordVariable(user)}:?`);
    }
  });
});
