import type { Capacity } from '../scenarios/types.ts';
import { Loadgen } from './loadgen-client.ts';
import { forkTs, sleep } from './proc.ts';

/**
 * What the load generator can do against servers that do nothing: read frames from a server that
 * only writes, write frames to one that only reads, publish to NATS with nobody listening. A
 * scenario may ask of the system at most half of it, or it would be measuring the generator.
 */
export async function measureCapacity(natsUrl: string, seconds: number, readers = 64): Promise<Capacity> {
  const sink = forkTs('servers/bare-uws.ts');
  const gen = Loadgen.start();
  try {
    const { port } = await sink.call<{ port: number }>('port');
    const sockets = Array.from({ length: readers }, (_, i) => ({ url: `ws://127.0.0.1:${port}/sink/${i}`, group: 'sink' }));
    const opened = await gen.open(sockets);
    if (opened.failed) throw new Error(`capacity: ${opened.failed} sink sockets failed: ${opened.failures.join('; ')}`);
    await sink.call('pump');
    await sleep(300);
    const before = await gen.call<{ frames: number }>('frameCount');
    const t0 = performance.now();
    await sleep(seconds * 1000);
    const after = await gen.call<{ frames: number }>('frameCount');
    const receivePerSecond = ((after.frames - before.frames) * 1000) / (performance.now() - t0);
    await gen.call('dropAll');

    const writers = Array.from({ length: 16 }, (_, i) => ({ url: `ws://127.0.0.1:${port}/sink/w${i}`, group: 'sinkw' }));
    await sink.stop();
    const quiet = forkTs('servers/bare-uws.ts');
    try {
      const q = await quiet.call<{ port: number }>('port');
      await gen.open(writers.map((w) => ({ ...w, url: w.url.replace(`:${port}/sink`, `:${q.port}/drop`) })));
      const { perSecond: sendPerSecond } = await gen.call<{ perSecond: number }>('sendCapacity', { durationMs: seconds * 1000 });
      await gen.call('natsConnect', { url: natsUrl });
      const { perSecond: publishPerSecond } = await gen.call<{ perSecond: number }>('publishCapacity', {
        durationMs: seconds * 1000,
        subject: `bench_capacity.${process.pid}`,
      });
      return { receivePerSecond: Math.round(receivePerSecond), sendPerSecond: Math.round(sendPerSecond), publishPerSecond: Math.round(publishPerSecond) };
    } finally {
      await quiet.stop();
    }
  } finally {
    await gen.stop();
    await sink.stop();
  }
}
