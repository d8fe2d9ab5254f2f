import { describe, expect, it } from 'vitest';
import { inboxPrefixFor, natsHint, redactUrl } from './connect.ts';
import { isPermissionDenied } from './errors.ts';
import { PermissionViolationError } from './nats.ts';

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

describe('NATS connection details', () => {
  it('takes credentials out of server URLs', () => {
    expect(redactUrl('nats://room:pSecret@a:4222,nats://b:4222,tls://u:p@c')).toBe('nats://[redacted]@a:4222,nats://b:4222,tls://[redacted]@c');
    expect(redactUrl('nats://127.0.0.1:4222')).toBe('nats://127.0.0.1:4222');
  });

  it("gives each user an inbox prefix of its own, so permissions can keep others' replies from it", () => {
    expect(inboxPrefixFor('gateway')).toBe('_INBOX_gateway');
    expect(inboxPrefixFor(undefined)).toBeUndefined();
  });

  it('knows a permissions violation, also when it is the cause of another error', () => {
    const denied = new PermissionViolationError('Permissions Violation for Publish to "chat.evt.msg.x"', 'publish', 'chat.evt.msg.x');
    expect(isPermissionDenied(denied)).toBe(true);
    expect(isPermissionDenied(new Error('request failed', { cause: denied }))).toBe(true);
    expect(isPermissionDenied(new Error('timeout'))).toBe(false);
  });
});
