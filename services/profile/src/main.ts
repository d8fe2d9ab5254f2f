import { baseConfig, bootService, isMainModule, runMain } from '@chat/runtime';
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

if (isMainModule(import.meta.url)) void runMain('profile', start);
