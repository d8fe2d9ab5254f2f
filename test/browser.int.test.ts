import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import type { UserView } from '@chat/contracts';
import { testImages } from '@chat/testkit';
import type { Stack } from './support/stack.ts';
import { spawnGateway } from './support/process.ts';
import { NetworkProxy } from './support/proxy.ts';
import { a11yProblems, foreignRequests, newPerson, screenshot, type Person, startWebApp, type WebApp } from './support/browser.ts';

// The web app in headless Chromium against the real stack: the seed's own test plan, two people
// chatting live, a reconnect after going offline, a gateway restart, and WebSockets blocked.

let stack: Stack;
let browser: Browser;
let appDir: string;
let web: WebApp | undefined;
const people: Person[] = [];

beforeAll(async () => {
  web = await startWebApp();
  ({ stack, browser, appDir } = web);
}, 120_000);
afterAll(() => web?.stop(people));

async function person(options: Parameters<typeof newPerson>[1] = {}): Promise<Person> {
  const p = await newPerson(browser, options);
  people.push(p);
  return p;
}

const WAIT = { timeout: 20_000 };

async function session(page: Page): Promise<{ userId: string; token: string }> {
  return JSON.parse((await page.evaluate(() => localStorage.getItem('chat.session'))) ?? 'null');
}

async function userView(page: Page): Promise<UserView> {
  const { userId, token } = await session(page);
  const res = await fetch(`${stack.url}/users/${userId}`, { headers: { authorization: `Bearer ${token}` } });
  return (await res.json()) as UserView;
}

/** Signs up through the form, with the keyboard where a person would use it. */
async function signUp(page: Page, base: string, name: string, avatar?: Buffer): Promise<void> {
  await page.goto(`${base}/`);
  const nameField = page.getByLabel('Display name');
  await nameField.waitFor(WAIT);
  // Focus starts in the name field.
  await page.keyboard.type(name);
  expect(await nameField.inputValue()).toBe(name);
  if (avatar) {
    await page.getByLabel('Avatar (optional)').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: avatar });
    const preview = page.getByRole('img', { name: 'Preview of your new avatar' });
    await preview.waitFor(WAIT);
    expect(await preview.getAttribute('src')).toMatch(/^blob:/);
    expect(await preview.evaluate((img: HTMLImageElement) => img.complete && img.naturalWidth > 0)).toBe(true);
  }
  await nameField.press('Enter');
  await page.getByRole('heading', { name: 'Rooms', level: 1 }).waitFor(WAIT);
}

async function createRoom(page: Page, name: string): Promise<string> {
  await page.getByRole('link', { name: 'Browse', exact: true }).click();
  await page.getByLabel('Room name').fill(name);
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor(WAIT);
  await waitLive(page);
  return decodeURIComponent(new URL(page.url()).hash.replace('#/rooms/', ''));
}

/** Opens a room from the directory, joining it from its preview (opening a room no longer joins it). */
async function openRoom(page: Page, base: string, name: string, states = ['live']): Promise<void> {
  await page.goto(`${base}/#/browse`);
  await page.reload();
  await page
    .locator('ul.rooms')
    .getByRole('link', { name: new RegExp(`^${name}`) })
    .click();
  await page.getByRole('heading', { name, level: 1 }).waitFor(WAIT);
  await page.getByRole('button', { name: 'Join room' }).click();
  await waitLive(page, states);
}

const waitLive = (page: Page, states = ['live']) =>
  page.waitForFunction((s) => s.includes(document.querySelector('.conn-status')?.getAttribute('data-state') ?? ''), states, WAIT);

async function say(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: /^Message / });
  await box.fill(text);
  await box.press('Enter');
  await page.locator('ol.messages:not(.pending-list) li.msg .text', { hasText: text }).first().waitFor(WAIT);
}

/** The chat messages on screen, in order. */
const texts = (page: Page) => page.$$eval('ol.messages:not(.pending-list) li.msg:not(.system) .text', (els) => els.map((e) => e.textContent ?? ''));

const waitText = (page: Page, text: string) => page.locator('ol.messages li.msg .text', { hasText: text }).first().waitFor(WAIT);

/** The avatars shown on one user's messages: what the app resolved, what loaded, and whether it did. */
const avatarsOf = (page: Page, userId: string) =>
  page.$$eval(`ol.messages li.msg[data-user="${userId}"] img.avatar`, (imgs) =>
    (imgs as HTMLImageElement[]).map((i) => ({ avatar: i.dataset.avatar ?? '', src: i.currentSrc, loaded: i.complete && i.naturalWidth > 0 })),
  );

function expectOnlyOwnHost(p: Person, origin: string): void {
  expect(foreignRequests(p, origin)).toEqual([]);
  expect(p.requests.length).toBeGreaterThan(3);
  // A request refused by the page's CSP shows as a console error ("Refused to load …").
  expect(p.consoleErrors.filter((e) => /Content Security Policy|Refused to/i.test(e))).toEqual([]);
  expect(p.consoleErrors.filter((e) => e.startsWith('uncaught'))).toEqual([]);
}

describe('web app in Chromium', () => {
  it("the seed's test plan: a new user with a custom avatar sends a message; the avatar stays through a reload and 10 s later; nothing from a third-party host", async () => {
    const p = await person();
    const { page } = p;
    await signUp(page, stack.url, 'Seed Tester', await testImages.png(320, 240));
    const me = await userView(page);
    expect(me.avatar_kind).toBe('custom');
    expect(me.avatar).toMatch(/^\/avatars\/[a-f0-9]{64}\.webp$/);
    const key = /[a-f0-9]{64}/.exec(me.avatar)![0];
    expect(await page.locator('header.top img.avatar').getAttribute('data-avatar')).toBe(me.avatar);

    await createRoom(page, 'Seed plan');
    await say(page, 'Hello with my own face');
    const check = async (when: string) => {
      const shown = await avatarsOf(page, me.id);
      expect(shown.length, when).toBeGreaterThan(0);
      for (const a of shown) {
        expect(a.avatar, when).toBe(me.avatar);
        expect(a.src, when).toContain(key);
        expect(a.loaded, when).toBe(true);
      }
    };
    await check('right after sending');
    expect(await a11yProblems(page)).toEqual([]);

    await page.reload();
    await waitText(page, 'Hello with my own face');
    await waitLive(page);
    await check('after a reload');
    await page.waitForTimeout(10_000);
    await check('10 s later');
    expect(await texts(page)).toEqual(['Hello with my own face']);
    await screenshot(page, '1-seed-plan');
    expectOnlyOwnHost(p, stack.url);
  }, 120_000);

  it('two people chat live: messages, presence and typing; a new avatar shows on old and new messages without a reload', async () => {
    const [a, b] = [await person(), await person()];
    await signUp(a.page, stack.url, 'Ada', await testImages.png(200, 200));
    await signUp(b.page, stack.url, 'Bo');
    const [adaBefore, bo] = [await userView(a.page), await userView(b.page)];
    expect(bo.avatar_kind).toBe('default');

    await createRoom(a.page, 'Garden');
    await openRoom(b.page, stack.url, 'Garden');
    // Each sees the other online.
    await b.page.locator(`ul.presence li[data-user="${adaBefore.id}"]`).waitFor(WAIT);
    await a.page.locator(`ul.presence li[data-user="${bo.id}"]`).waitFor(WAIT);

    await say(a.page, 'The tomatoes are ripe');
    await waitText(b.page, 'The tomatoes are ripe');
    await say(b.page, 'On my way');
    await waitText(a.page, 'On my way');
    // Typing shows on the other side.
    await b.page.getByRole('textbox', { name: /^Message / }).pressSequentially('bring a basket', { delay: 200 });
    await a.page.getByText('Bo is typing…').waitFor(WAIT);
    expect((await avatarsOf(b.page, adaBefore.id)).every((x) => x.avatar === adaBefore.avatar && x.loaded)).toBe(true);
    expect(await a11yProblems(b.page)).toEqual([]);
    await screenshot(a.page, '2-two-people-ada');

    // Ada changes her avatar on her profile page, then says something new.
    await a.page.getByRole('link', { name: /your profile/ }).click();
    await a.page.getByRole('heading', { name: 'Your profile', level: 1 }).waitFor(WAIT);
    expect(await a11yProblems(a.page)).toEqual([]);
    // A GIF whose first frame is green: nothing like the red and blue one before.
    await a.page.getByLabel('New avatar').setInputFiles({ name: 'new.gif', mimeType: 'image/gif', buffer: await testImages.gif(160) });
    await a.page.getByRole('img', { name: 'Preview of your new avatar' }).waitFor(WAIT);
    await a.page.getByRole('button', { name: 'Save' }).click();
    await a.page.getByRole('status').filter({ hasText: 'Saved.' }).waitFor(WAIT);
    const adaAfter = await userView(a.page);
    expect(adaAfter.avatar).not.toBe(adaBefore.avatar);
    expect(adaAfter.avatar_kind).toBe('custom');

    // Bo, who never reloaded, sees it on Ada's old message…
    await b.page.waitForFunction(
      ([id, avatar]) =>
        [...document.querySelectorAll(`ol.messages li.msg[data-user="${id}"] img.avatar`)].every((i) => (i as HTMLImageElement).dataset.avatar === avatar),
      [adaAfter.id, adaAfter.avatar],
      WAIT,
    );
    await a.page.getByRole('link', { name: '← Back to the room' }).click();
    await waitLive(a.page);
    await say(a.page, 'New look, same gardener');
    await waitText(b.page, 'New look, same gardener');
    // …and on the new one, loaded, and in the online list.
    const onB = await avatarsOf(b.page, adaAfter.id);
    expect(onB).toHaveLength(2);
    for (const x of onB) {
      expect(x.avatar).toBe(adaAfter.avatar);
      expect(x.src).toContain(/[a-f0-9]{64}/.exec(adaAfter.avatar)![0]);
      expect(x.loaded).toBe(true);
    }
    await b.page.waitForFunction(
      ([id, avatar]) => (document.querySelector(`ul.presence li[data-user="${id}"] img`) as HTMLImageElement | null)?.dataset.avatar === avatar,
      [adaAfter.id, adaAfter.avatar],
      WAIT,
    );
    expect(await texts(b.page)).toEqual(['The tomatoes are ripe', 'On my way', 'New look, same gardener']);
    await screenshot(b.page, '2-two-people-bo-sees-new-avatar');
    expectOnlyOwnHost(a, stack.url);
    expectOnlyOwnHost(b, stack.url);
  }, 120_000);

  it('one goes offline while the other posts; back online, every missed message shows once, in order, after a "New messages" line (phone-sized screen)', async () => {
    const a = await person();
    const b = await person({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
    await signUp(a.page, stack.url, 'Writer', await testImages.webp(180, 180));
    await signUp(b.page, stack.url, 'Commuter', await testImages.png(64, 64));
    await createRoom(a.page, 'Tunnel');
    await openRoom(b.page, stack.url, 'Tunnel');
    await say(a.page, 'before the tunnel');
    await waitText(b.page, 'before the tunnel');
    // Nothing on the phone screen is wider than the screen.
    expect(await b.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);

    await b.context.setOffline(true);
    await waitLive(b.page, ['offline', 'reconnecting']);
    const missed = Array.from({ length: 6 }, (_, i) => `missed ${i + 1}`);
    for (const text of missed) await say(a.page, text);
    await b.page.waitForTimeout(500);
    expect(await texts(b.page)).toEqual(['before the tunnel']);

    await b.context.setOffline(false);
    await waitLive(b.page);
    await waitText(b.page, 'missed 6');
    await say(a.page, 'after the tunnel');
    await waitText(b.page, 'after the tunnel');
    expect(await texts(b.page)).toEqual(['before the tunnel', ...missed, 'after the tunnel']);
    // The line sits right before the first missed message.
    expect(await b.page.locator('li.divider + li.msg .text').textContent()).toBe('missed 1');
    expect(await b.page.locator('li.divider').count()).toBe(1);
    expect(await b.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth)).toBe(true);
    await b.page.locator('li.divider').scrollIntoViewIfNeeded();
    await screenshot(b.page, '3-offline-back-online-phone');
    expectOnlyOwnHost(b, stack.url);
  }, 120_000);

  it('with WebSockets blocked on the network, the app still works through long-polling', async () => {
    // Between this browser and the gateway, something drops every WebSocket upgrade.
    const proxy = await NetworkProxy.start(stack.url);
    proxy.blockWebSockets = true;
    try {
      const blocked = await person();
      const other = await person();
      await signUp(blocked.page, proxy.url, 'Behind Firewall', await testImages.png(150, 150));
      await signUp(other.page, stack.url, 'Open Network');
      await createRoom(other.page, 'Lobby');
      await openRoom(blocked.page, proxy.url, 'Lobby');
      expect(await blocked.page.locator('.conn-status').getAttribute('data-transport')).toBe('poll');

      await say(other.page, 'can you hear me?');
      await waitText(blocked.page, 'can you hear me?');
      await say(blocked.page, 'loud and clear, by long-poll');
      await waitText(other.page, 'loud and clear, by long-poll');
      // Presence by REST: the other user, on a WebSocket, shows online.
      const otherUser = await userView(other.page);
      await blocked.page.locator(`ul.presence li[data-user="${otherUser.id}"]`).waitFor(WAIT);
      const me = await userView(blocked.page);
      expect((await avatarsOf(blocked.page, me.id)).every((x) => x.avatar === me.avatar && x.loaded)).toBe(true);
      expect(await texts(blocked.page)).toEqual(['can you hear me?', 'loud and clear, by long-poll']);
      // It really tried WebSockets, and none got through.
      expect(blocked.requests.some((u) => u.startsWith('ws:'))).toBe(true);
      await screenshot(blocked.page, '4-websockets-blocked-long-poll');
      expect(foreignRequests(blocked, proxy.url)).toEqual([]);
    } finally {
      await proxy.stop();
    }
  }, 120_000);

  it('the gateway restarts: the app is live again within 6 s of its return, a message typed meanwhile is delivered once; "Reconnect now" by keyboard; presence from another page', async () => {
    // The gateway this person uses runs in a process of its own, serving the app too.
    let gateway = await spawnGateway(stack, { WEB_ROOT: appDir });
    try {
      const [a, b] = [await person(), await person()];
      await signUp(a.page, gateway.url, 'Restart Ann');
      await signUp(b.page, stack.url, 'Steady Bob');
      await createRoom(a.page, 'Deploys');
      await openRoom(b.page, stack.url, 'Deploys');
      await say(a.page, 'before the restart');
      await waitText(b.page, 'before the restart');
      const bar = a.page.locator('.conn-bar');
      expect(await bar.getAttribute('data-state')).toBe('connected');

      // The gateway goes down, as a deployment takes it down.
      await gateway.kill('SIGTERM');
      await a.page.waitForFunction(() => document.querySelector('.conn-bar')?.getAttribute('data-state') === 'reconnecting', null, WAIT);
      await a.page.locator('.conn-bar').getByRole('status').filter({ hasText: 'Connection lost' }).waitFor(WAIT);
      expect(await a.page.getByRole('button', { name: 'Reconnect now' }).isVisible()).toBe(true);
      expect(await a11yProblems(a.page)).toEqual([]);
      // Typed during the outage: kept, and said to be waiting.
      const box = a.page.getByRole('textbox', { name: /^Message / });
      await box.fill('typed while it was down');
      await box.press('Enter');
      await a.page.locator('.pending-list li .pending-note', { hasText: 'Will be sent when the connection is back' }).waitFor(WAIT);
      await screenshot(a.page, '5-gateway-down');

      gateway = await spawnGateway(stack, { WEB_ROOT: appDir }, gateway);
      const back = Date.now();
      await a.page.waitForFunction(() => document.querySelector('.conn-status')?.getAttribute('data-state') === 'live', null, { timeout: 6000 });
      await waitText(b.page, 'typed while it was down');
      await a.page.locator('ol.messages:not(.pending-list) li.msg .text', { hasText: 'typed while it was down' }).waitFor({ timeout: 6000 });
      expect(Date.now() - back).toBeLessThan(6000);
      expect(await a.page.locator('.pending-list li').count()).toBe(0);
      expect(await texts(a.page)).toEqual(['before the restart', 'typed while it was down']);
      expect(await texts(b.page)).toEqual(['before the restart', 'typed while it was down']);
      await say(a.page, 'and live after');
      await waitText(b.page, 'and live after');

      // Down again, until the next try is seconds away: "Reconnect now", from the keyboard, tries at once.
      await gateway.kill('SIGTERM');
      await a.page
        .locator('.conn-bar')
        .getByRole('status')
        .filter({ hasText: /Trying again in [45] s/ })
        .waitFor({ timeout: 30_000 });
      const socketsBefore = a.requests.filter((u) => u.startsWith('ws:')).length;
      await a.page.getByRole('button', { name: 'Reconnect now' }).focus();
      await a.page.keyboard.press('Enter');
      await expect.poll(() => a.requests.filter((u) => u.startsWith('ws:')).length, { timeout: 1500 }).toBeGreaterThan(socketsBefore);
      gateway = await spawnGateway(stack, { WEB_ROOT: appDir }, gateway);
      await a.page
        .locator('.conn-bar')
        .getByRole('status')
        .filter({ hasText: /^Connected/ })
        .waitFor({ timeout: 6000 });

      // Presence does not depend on the room view: Bob on his profile page is still online for Ann.
      const bob = await userView(b.page);
      await a.page.locator(`ul.presence li[data-user="${bob.id}"]`).waitFor(WAIT);
      await b.page.getByRole('link', { name: /your profile/ }).click();
      await b.page.getByRole('heading', { name: 'Your profile', level: 1 }).waitFor(WAIT);
      await a.page.waitForTimeout(1500);
      expect(await a.page.locator(`ul.presence li[data-user="${bob.id}"]`).count()).toBe(1);
      expect(await b.page.locator('.conn-bar').getAttribute('data-state')).toBe('connected');
      expectOnlyOwnHost(a, gateway.url);
    } finally {
      await gateway.kill('SIGTERM');
    }
  }, 120_000);
});
