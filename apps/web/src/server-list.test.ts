import { describe, expect, it } from 'vitest';
import { ListLoads } from './server-list.ts';

/** A server whose answers the test releases one at a time. */
function server() {
  const asked: ((list: string[]) => void)[] = [];
  return {
    asked,
    fetch: () => new Promise<string[]>((resolve) => asked.push(resolve)),
  };
}

describe('ListLoads', () => {
  it('a live change that arrives while a load runs is applied again over its (older) answer', async () => {
    const srv = server();
    let shown: string[] = [];
    const loads = new ListLoads(srv.fetch, (list) => (shown = list));
    const loading = loads.load();
    // Arrives while the server's answer, made before it, is on its way.
    const added = (list: string[]) => [...list, 'new'];
    loads.live(added);
    shown = added(shown);
    srv.asked[0]!(['old']);
    await loading;
    expect(shown).toEqual(['old', 'new']);
  });

  it('an ask made while a load runs gets a load that starts after it; any number of asks share it', async () => {
    const srv = server();
    const answers: string[][] = [];
    const loads = new ListLoads(srv.fetch, (list) => answers.push(list));
    const first = loads.load();
    const second = loads.load();
    const third = loads.load();
    expect(srv.asked).toHaveLength(1);
    srv.asked[0]!(['before the reconnect']);
    await first;
    await Promise.resolve();
    expect(srv.asked).toHaveLength(2);
    srv.asked[1]!(['after it']);
    await Promise.all([second, third]);
    expect(answers).toEqual([['before the reconnect'], ['after it']]);
  });

  it('a failed load is told to its asker and does not stop the next one', async () => {
    let fail = true;
    const answers: string[][] = [];
    const loads = new ListLoads(
      async () => {
        if (fail) throw new Error('down');
        return ['up'];
      },
      (list) => answers.push(list),
    );
    await expect(loads.load()).rejects.toThrow('down');
    fail = false;
    await loads.load();
    expect(answers).toEqual([['up']]);
  });
});
