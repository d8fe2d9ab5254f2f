import { describe, expect, it } from 'vitest';
import { natsHint } from './connect.ts';

describe('what to do when NATS does not answer', () => {
  it('names the command for the configured local address', () => {
    expect(natsHint('nats://127.0.0.1:4333')).toContain('-a 127.0.0.1 -p 4333');
    expect(natsHint('nats://localhost')).toContain('-a localhost -p 4222');
  });

  it('points at a remote address instead of a local command', () => {
    expect(natsHint('nats://nats.internal:4222,nats://other:4222')).toBe(
      'check that nats-server (with -js) runs on nats.internal:4222 and that this machine can reach it, or set NATS_URL',
    );
  });
});
