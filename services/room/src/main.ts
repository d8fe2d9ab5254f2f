import { Counter, baseConfig, bootService, isMainModule, runMain } from '@chat/runtime';
import { z } from 'zod';
import { MEMBERSHIP_STALE_MS } from './room-directory.ts';
import { startRoomService } from './room-service.ts';

export const roomConfig = baseConfig(8081).extend({
  /** How long membership known in memory is trusted without asking the log (the bound on a stale leave). */
  MEMBERSHIP_STALE_MS: z.coerce.number().int().min(0).max(60_000).default(MEMBERSHIP_STALE_MS),
});

export const start = (env: NodeJS.ProcessEnv = process.env) =>
  bootService({
    name: 'room',
    schema: roomConfig,
    env,
    // The room and profile services create the streams and buckets (see infra/nats/auth.conf).
    provision: true,
    start: async ({ config, nc, s, log, registry, observeRequest }) => {
      const conflicts = new Counter({ name: 'chat_room_conflicts_total', help: 'appends retried after a concurrent write', registers: [registry] });
      const posted = new Counter({
        name: 'chat_messages_posted_total',
        help: 'messages appended to the log (repeats of a client_msg_id not counted)',
        registers: [registry],
      });
      const service = await startRoomService({
        nc,
        s,
        log,
        onRequest: observeRequest,
        onConflict: () => conflicts.inc(),
        onPosted: () => posted.inc(),
        membershipStaleMs: config.MEMBERSHIP_STALE_MS,
      });
      return { stop: () => service.stop() };
    },
  });

if (isMainModule(import.meta.url)) void runMain('room', start);
