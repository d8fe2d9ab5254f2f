import { baseConfig, bootService, runMain } from '@chat/runtime';
import { startProfileService } from './profile-service.ts';

export const start = (env: NodeJS.ProcessEnv = process.env) =>
  bootService({
    name: 'profile',
    schema: baseConfig(8082),
    env,
    start: async ({ nc, s, log, observeRequest }) => {
      const service = await startProfileService({ nc, s, log, onRequest: observeRequest });
      return { stop: () => service.stop() };
    },
  });

if (import.meta.url === `file://${process.argv[1]}`) void runMain('profile', start);
