import { describe, expect, it } from 'vitest';
import { isTransientDbError } from './errors.ts';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('which Postgres failures are waited out', () => {
  it('Postgres away: refused, reset, restarting, its host name not resolving (a container restarting)', () => {
    expect(isTransientDbError(withCode('connect ECONNREFUSED 127.0.0.1:5432', 'ECONNREFUSED'))).toBe(true);
    expect(isTransientDbError(withCode('the database system is starting up', '57P03'))).toBe(true);
    expect(isTransientDbError(withCode('getaddrinfo ENOTFOUND postgres', 'ENOTFOUND'))).toBe(true);
    expect(isTransientDbError(withCode('getaddrinfo EAI_AGAIN postgres', 'EAI_AGAIN'))).toBe(true);
    // Node's refusal on every address a name resolves to (::1 and 127.0.0.1): no message at all.
    expect(isTransientDbError(Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }))).toBe(true);
  });

  it('a row Postgres will never take: not waited out (the event goes to the dead letters)', () => {
    expect(isTransientDbError(withCode('invalid byte sequence for encoding "UTF8": 0x00', '22021'))).toBe(false);
    expect(isTransientDbError(withCode('duplicate key value violates unique constraint', '23505'))).toBe(false);
    expect(isTransientDbError(new Error('something else'))).toBe(false);
  });
});
