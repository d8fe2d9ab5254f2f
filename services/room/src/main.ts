import { Counter, baseConfig, bootService, isMainModule, runMain } from '@chat/runtime';
import { startRoomService } from './room-service.ts';

export const start = (env: NodeJS.ProcessEnv = process.env) =>
  bootService({
    name: 'room',
    schema: baseConfig(8081),
    env,
    start: async ({ nc, s, log, registry, observeRequest }) => {
      const conflicts = new Counter({ name: 'chat_room_conflicts_total', help: 'appends retried after a concurrent write', registers: [registry] });
      const service = await startRoomService({ nc, s, log, onRequest: observeRequest, onConflict: () => conflicts.inc() });
      return { stop: () => service.stop() };
    },
  });

if (isMainModule(import.meta.url)) void runMain('room', start);
