import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type Stack } from './support/stack.ts';

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(async () => {
  await stack?.stop();
});

describe('ops endpoints', () => {
  it('every service answers health, readiness and Prometheus metrics', async () => {
    for (const url of [stack.projectionOpsUrl, stack.gatewayOpsUrl]) {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const ready = await fetch(`${url}/readyz`);
      expect(ready.status).toBe(200);
      expect(((await ready.json()) as { checks: Record<string, boolean> }).checks.nats).toBe(true);
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).toContain('process_cpu_user_seconds_total');
      expect(metrics).toMatch(/^chat_nats_connected(\{[^}]*\})? 1$/m);
    }
    expect((await fetch(`${stack.url}/rooms`)).status).toBe(401);
    const gateway = await (await fetch(`${stack.gatewayOpsUrl}/metrics`)).text();
    expect(gateway).toMatch(/chat_refused_total\{[^}]*reason="unauthorized"[^}]*\} [1-9]/);
    expect(gateway).toMatch(/chat_auth_failures_total\{[^}]*\} [1-9]/);
    for (const metric of ['chat_ws_sockets', 'chat_refused_total', 'chat_auth_failures_total', 'chat_ws_frames_delivered_total', 'chat_http_seconds']) {
      expect(gateway).toContain(metric);
    }
    expect(await (await fetch(`${stack.projectionOpsUrl}/metrics`)).text()).toContain('chat_projection_position');
  });

  it('guards admin routes with OPS_ADMIN_TOKEN when it is set', async () => {
    const token = 'an-ops-admin-token-for-tests';
    const guarded = await stack.startProjection({ PROJECTION_NAME: 'guarded', OPS_ADMIN_TOKEN: token });
    expect((await fetch(`${guarded.opsUrl}/admin/lag`)).status).toBe(401);
    expect((await fetch(`${guarded.opsUrl}/admin/lag`, { headers: { authorization: 'Bearer wrong-token-of-some-length' } })).status).toBe(401);
    const ok = await fetch(`${guarded.opsUrl}/admin/lag`, { headers: { authorization: `Bearer ${token}` } });
    expect(ok.status).toBe(200);
    expect((await fetch(`${guarded.opsUrl}/healthz`)).status).toBe(200);
    // The router decodes the path; the guard looks at the route it matched, so no spelling slips by.
    for (const spelling of ['/%61dmin/lag', '/admin%2Flag', '//admin/lag', '/admin/lag/', '/ADMIN/lag']) {
      expect([401, 404]).toContain((await fetch(`${guarded.opsUrl}${spelling}`)).status);
    }
    const rebuild = await fetch(`${guarded.opsUrl}/%61dmin/rebuild`, { method: 'POST' });
    expect(rebuild.status).toBe(401);
    await guarded.stop();
  });
});
