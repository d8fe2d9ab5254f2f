import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { MyRoomView } from '@chat/contracts';
import { testImages } from '@chat/testkit';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { a11yProblems, newPerson, screenshot, type Person, startWebApp, type WebApp } from './support/browser.ts';
import { TestUser } from './support/client.ts';
import type { Stack } from './support/stack.ts';

// The web app as people use it (issue 11): my rooms with unread badges kept live, previews and
// Join/Leave, private rooms, edit/delete/react seen by the other person live, safe links, the
// newest message in view on opening a long room, and avatars that are never broken images.

let stack: Stack;
let browser: Browser;
let web: WebApp | undefined;
const people: Person[] = [];
const docs = fileURLToPath(new URL('../docs/', import.meta.url));

beforeAll(async () => {
  web = await startWebApp();
  ({ stack, browser } = web);
}, 120_000);
afterAll(() => web?.stop(people));

const WAIT = { timeout: 20_000 };
const PHONE = { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 };

/** A person in a browser, signed in as a user registered through the API (the sign-up form has its own tests). */
async function signedIn(
  name: string,
  options: Parameters<typeof newPerson>[1] = {},
  extra: Record<string, unknown> = {},
): Promise<Person & { user: TestUser }> {
  const user = await TestUser.register(stack, name, extra);
  const p = await newPerson(browser, options);
  people.push(p);
  await p.page.goto(`${stack.url}/`);
  await p.page.evaluate((s) => localStorage.setItem('chat.session', JSON.stringify(s)), { userId: user.id, token: user.token });
  await p.page.reload();
  await p.page.getByRole('heading', { name: 'Rooms', level: 1 }).waitFor(WAIT);
  return { ...p, user };
}

/** Creates a room through the UI; returns its id. */
async function createRoom(page: Page, name: string, opts: { private?: boolean } = {}): Promise<string> {
  await page.getByRole('link', { name: 'Browse', exact: true }).click();
  await page.getByLabel('Room name').fill(name);
  if (opts.private) await page.getByLabel('Private').check();
  await page.getByRole('button', { name: 'Create room' }).click();
  await page.getByRole('heading', { name, level: 1 }).waitFor(WAIT);
  await waitLive(page);
  return decodeURIComponent(new URL(page.url()).hash.replace('#/rooms/', ''));
}

const waitLive = (page: Page) => page.waitForFunction(() => document.querySelector('.conn-status')?.getAttribute('data-state') === 'live', null, WAIT);

async function say(page: Page, text: string): Promise<void> {
  const box = page.getByRole('textbox', { name: /^Message / });
  await box.fill(text);
  await box.press('Enter');
  await page.locator('ol.messages:not(.pending-list) li.msg .text', { hasText: text }).first().waitFor(WAIT);
}

const message = (page: Page, text: string) => page.locator('ol.messages:not(.pending-list) li.msg', { has: page.locator('.text', { hasText: text }) });
const sidebarRoom = (page: Page, roomId: string) => page.locator(`aside.sidebar a.my-room[data-room="${roomId}"]`);
const badge = async (page: Page, roomId: string) =>
  (await sidebarRoom(page, roomId).locator('.badge').count()) ? await sidebarRoom(page, roomId).locator('.badge').textContent() : null;
const sidebarOrder = (page: Page) => page.$$eval('aside.sidebar a.my-room', (as) => as.map((a) => a.getAttribute('data-room')));

/** With DOCS_SCREENSHOTS=1, a screenshot is also copied into docs/ for the README (otherwise a run leaves the tree clean). */
function saveDoc(path: string, name: string): void {
  if (!process.env.DOCS_SCREENSHOTS) return;
  mkdirSync(docs, { recursive: true });
  copyFileSync(path, join(docs, name));
}

describe('the web app, as people use it', () => {
  it('my rooms: B posts, A’s badge counts up live and the room moves up; A opens it, the badge clears and stays cleared after a reload', async () => {
    const a = await signedIn('Ada Sidebar');
    const b = await signedIn('Bo Sidebar');
    const porch = await createRoom(a.page, 'Porch');
    const attic = await createRoom(a.page, 'Attic');
    await b.user.join(porch);
    await say(a.page, 'anyone up there?');
    // A is on the start page: the room is not open anywhere.
    await a.page.getByRole('link', { name: 'Rooms', exact: true }).click();
    await a.page.getByRole('heading', { name: 'Rooms', level: 1 }).waitFor(WAIT);
    await sidebarRoom(a.page, porch).waitFor(WAIT);
    expect(await sidebarOrder(a.page)).toEqual([attic, porch]);
    expect(await badge(a.page, porch)).toBeNull();

    // B posts through the app: A's badge counts it without a reload.
    await b.page.goto(`${stack.url}/#/rooms/${porch}`);
    await waitLive(b.page);
    await say(b.page, 'the swing is fixed');
    await a.page.waitForFunction((id) => document.querySelector(`a.my-room[data-room="${id}"] .badge`)?.textContent === '1 unread', porch, WAIT);
    expect(await sidebarOrder(a.page)).toEqual([porch, attic]);
    await say(b.page, 'and the lamp works https://example.org/lamp');
    await a.page.waitForFunction((id) => document.querySelector(`a.my-room[data-room="${id}"] .badge`)?.textContent === '2 unread', porch, WAIT);
    expect(await sidebarRoom(a.page, porch).locator('.my-room-preview').textContent()).toBe('Bo Sidebar: and the lamp works https://example.org/lamp');
    // B's own sidebar counts none of B's own messages.
    expect(await badge(b.page, porch)).toBeNull();
    expect(await a.page.title()).toMatch(/^\(2\) /);
    expect(await a11yProblems(a.page)).toEqual([]);
    saveDoc(await screenshot(a.page, 'web-sidebar-unread'), 'web-sidebar.png');

    // A opens it: the badge clears at once, and the server hears (debounced) where A has read to.
    await sidebarRoom(a.page, porch).click();
    await a.page.getByRole('heading', { name: 'Porch', level: 1 }).waitFor(WAIT);
    await message(a.page, 'and the lamp works').waitFor(WAIT);
    expect(await badge(a.page, porch)).toBeNull();
    expect(await sidebarRoom(a.page, porch).getAttribute('aria-current')).toBe('page');
    await expect.poll(async () => (await a.user.request<MyRoomView[]>('GET', '/me/rooms')).body.find((r) => r.id === porch)?.unread, WAIT).toBe(0);
    await a.page.reload();
    await sidebarRoom(a.page, porch).waitFor(WAIT);
    await waitLive(a.page);
    expect(await badge(a.page, porch)).toBeNull();
    // While A reads the room, B's next message is read, not unread.
    await say(b.page, 'see you there');
    await message(a.page, 'see you there').waitFor(WAIT);
    await a.page.waitForTimeout(1000);
    expect(await badge(a.page, porch)).toBeNull();
    await expect.poll(async () => (await a.user.request<MyRoomView[]>('GET', '/me/rooms')).body.find((r) => r.id === porch)?.unread, WAIT).toBe(0);

    // Meanwhile in the Attic: B's post there counts on A's sidebar while A reads the Porch.
    await b.user.join(attic);
    await b.user.post(attic, 'found the old photo albums');
    await a.page.waitForFunction((id) => document.querySelector(`a.my-room[data-room="${id}"] .badge`)?.textContent === '1 unread', attic, WAIT);
    expect(await sidebarOrder(a.page)).toEqual([attic, porch]);
    const last = await message(a.page, 'see you there').getAttribute('data-id');
    await a.user.request('POST', `/rooms/${porch}/messages/${last}/reactions`, { emoji: '🎉' });
    await b.user.request('POST', `/rooms/${porch}/messages/${last}/reactions`, { emoji: '🎉' });
    await message(a.page, 'see you there').locator('button.reaction .reaction-count', { hasText: '2' }).waitFor(WAIT);
    saveDoc(await screenshot(a.page, 'web-room-desktop'), 'web-room.png');
  }, 120_000);

  it('a public room is previewed read-only before joining; Join and Leave', async () => {
    const owner = await TestUser.register(stack, 'Owner');
    const roomId = `reading-${Date.now()}`;
    await owner.request('POST', '/rooms', { id: roomId, name: 'Reading room' });
    await owner.join(roomId);
    await owner.post(roomId, 'quiet please');
    const c = await signedIn('Cy Reader');
    await c.page.getByRole('link', { name: 'Browse', exact: true }).click();
    const listed = c.page.locator('ul.rooms').getByRole('link', { name: /^Reading room/ });
    await listed.waitFor(WAIT);
    expect(await a11yProblems(c.page)).toEqual([]);
    await listed.click();
    await c.page.getByRole('heading', { name: 'Reading room', level: 1 }).waitFor(WAIT);
    await message(c.page, 'quiet please').waitFor(WAIT);
    await c.page.getByText('Preview: you are reading this room without joining it.').waitFor(WAIT);
    expect(await c.page.getByRole('textbox', { name: /^Message / }).count()).toBe(0);
    expect(await c.page.locator('li.msg .actions').count()).toBe(0);
    // Previewing joined nobody: no "joined" line, and the owner's room has one member.
    expect((await owner.request('GET', `/rooms/${roomId}`)).body.member_count).toBe(1);
    expect(await c.page.locator('li.msg.system', { hasText: 'Cy Reader' }).count()).toBe(0);
    expect(await a11yProblems(c.page)).toEqual([]);

    await c.page.getByRole('button', { name: 'Join room' }).click();
    await waitLive(c.page);
    await sidebarRoom(c.page, roomId).waitFor(WAIT);
    await say(c.page, 'sorry, hello');
    await c.page.getByRole('button', { name: 'Leave room' }).click();
    await c.page.getByRole('button', { name: 'Join room' }).waitFor(WAIT);
    await expect.poll(() => sidebarRoom(c.page, roomId).count(), WAIT).toBe(0);
    expect((await owner.request('GET', `/rooms/${roomId}`)).body.member_count).toBe(1);
  }, 120_000);

  it('a private room: a non-member is told clearly and cannot read it; invited through the UI, they join', async () => {
    const a = await signedIn('Ada Private');
    const b = await signedIn('Bo Outside');
    const vault = await createRoom(a.page, 'Vault', { private: true });
    await say(a.page, 'the combination is 1234');
    expect(await sidebarRoom(a.page, vault).textContent()).toContain('(private)');

    await b.page.goto(`${stack.url}/#/rooms/${vault}`);
    await b.page.getByText('This room is private: only its members can read it.').waitFor(WAIT);
    expect(await b.page.getByRole('heading', { level: 1 }).textContent()).toBe('Private room');
    expect(await b.page.locator('li.msg').count()).toBe(0);
    expect(await b.page.content()).not.toContain('combination');
    await b.page.getByRole('button', { name: 'Join with an invitation' }).click();
    await b.page.getByRole('alert').filter({ hasText: 'no member has invited you' }).waitFor(WAIT);
    expect(await b.page.getByRole('textbox', { name: /^Message / }).count()).toBe(0);
    await screenshot(b.page, 'web-private-refused');

    // A invites B by user id, from the keyboard.
    await a.page.getByRole('button', { name: 'Invite…' }).click();
    await a.page.getByLabel('User id to invite').fill(b.user.id);
    await a.page.getByLabel('User id to invite').press('Enter');
    await a.page
      .getByRole('status')
      .filter({ hasText: /^Invited\./ })
      .waitFor(WAIT);
    await b.page.getByRole('button', { name: 'Join with an invitation' }).click();
    await waitLive(b.page);
    await message(b.page, 'the combination is 1234').waitFor(WAIT);
    await sidebarRoom(b.page, vault).waitFor(WAIT);
  }, 120_000);

  it('invitations: Ann invites Bob to a private room; Bob’s sidebar shows it live, Bob joins by keyboard and it moves into his rooms; a second one he declines', async () => {
    const ann = await signedIn('Ann Inviter');
    const bob = await signedIn('Bob Invitee');
    // On the start page: the app's one connection is up (the invitation must come over it).
    await bob.page.waitForFunction(() => document.querySelector('.conn-bar')?.getAttribute('data-state') === 'connected', null, WAIT);
    const invitationsHeading = bob.page.getByRole('heading', { name: /^Invitations/, level: 2 });
    expect(await invitationsHeading.isVisible()).toBe(false);

    const den = await createRoom(ann.page, 'Den of plans', { private: true });
    await ann.page.getByRole('button', { name: 'Invite…' }).click();
    await ann.page.getByLabel('User id to invite').fill(bob.user.id);
    await ann.page.getByLabel('User id to invite').press('Enter');
    await ann.page
      .getByRole('status')
      .filter({ hasText: /^Invited\./ })
      .waitFor(WAIT);

    // Live: no reload on Bob's side; the section appears, says where and who, and is announced.
    await invitationsHeading.waitFor(WAIT);
    const item = bob.page.locator(`aside.sidebar li.invitation[data-room="${den}"]`);
    await item.waitFor(WAIT);
    expect(await item.locator('.invitation-room').textContent()).toContain('Den of plans');
    expect(await item.locator('.invitation-from').textContent()).toBe('Ann Inviter invited you');
    await bob.page
      .getByRole('status')
      .filter({ hasText: 'Ann Inviter invited you to Den of plans.' })
      .waitFor({ ...WAIT, state: 'attached' });
    expect(await sidebarRoom(bob.page, den).count()).toBe(0);
    expect(await a11yProblems(bob.page)).toEqual([]);
    await screenshot(bob.page, 'web-invitation');

    // By keyboard: focus the Join button and press Enter; the room opens and is in his rooms.
    await bob.page.getByRole('button', { name: 'Join Den of plans' }).focus();
    await bob.page.keyboard.press('Enter');
    await bob.page.getByRole('heading', { name: 'Den of plans', level: 1 }).waitFor(WAIT);
    await sidebarRoom(bob.page, den).waitFor(WAIT);
    expect(await item.count()).toBe(0);
    expect(await invitationsHeading.isVisible()).toBe(false);
    expect((await bob.user.request('GET', '/me/invitations')).body).toEqual([]);

    // A second invitation, declined: gone from the sidebar and the API, focus kept in the sidebar.
    const attic = await createRoom(ann.page, 'Attic of plans', { private: true });
    expect((await ann.user.request('POST', `/rooms/${attic}/invite`, { invitee: bob.user.id })).status).toBe(200);
    await bob.page.getByRole('button', { name: 'Decline the invitation to Attic of plans' }).waitFor(WAIT);
    await bob.page.getByRole('button', { name: 'Decline the invitation to Attic of plans' }).focus();
    await bob.page.keyboard.press('Enter');
    await bob.page.locator(`aside.sidebar li.invitation[data-room="${attic}"]`).waitFor({ ...WAIT, state: 'detached' });
    expect(await bob.page.evaluate(() => document.activeElement?.id)).toBe('my-rooms-h');
    expect((await bob.user.request('GET', '/me/invitations')).body).toEqual([]);
    expect(await sidebarRoom(bob.page, attic).count()).toBe(0);
  }, 120_000);

  it('edit, delete and react through the UI, by keyboard, seen live by the other person; a deletion shows no "(edited)"', async () => {
    const a = await signedIn('Ada Editor');
    const b = await signedIn('Bo Watcher');
    const roomId = await createRoom(a.page, 'Workshop');
    await b.user.join(roomId);
    await b.page.goto(`${stack.url}/#/rooms/${roomId}`);
    await waitLive(b.page);
    await say(a.page, 'helo wrld');

    // Edit by keyboard: focus reaches the Edit button, Enter opens the editor, Enter saves.
    const mine = message(a.page, 'helo wrld');
    await mine.getByRole('button', { name: 'Edit' }).focus();
    await a.page.keyboard.press('Enter');
    const box = a.page.getByRole('textbox', { name: 'Edit message' });
    await box.fill('hello world');
    await box.press('Enter');
    await message(b.page, 'hello world').locator('.edited').waitFor(WAIT);
    expect(await a.page.evaluate(() => document.activeElement?.textContent)).toBe('Edit');

    // A reacts from the picker with the keyboard; B sees it and adds theirs by clicking it.
    await message(a.page, 'hello world').getByRole('button', { name: 'Add a reaction' }).focus();
    await a.page.keyboard.press('Enter');
    await a.page.getByRole('group', { name: 'Pick a reaction' }).waitFor(WAIT);
    await a.page.keyboard.press('Enter'); // the first emoji, 👍, has focus
    const onB = message(b.page, 'hello world').locator('button.reaction');
    await onB.filter({ hasText: '👍' }).waitFor(WAIT);
    expect(await onB.getAttribute('aria-pressed')).toBe('false');
    expect(await onB.locator('.reaction-count').textContent()).toBe('1');
    await onB.click();
    await b.page.waitForFunction(() => document.querySelector('button.reaction')?.getAttribute('aria-pressed') === 'true', null, WAIT);
    const onA = message(a.page, 'hello world').locator('button.reaction');
    await a.page.waitForFunction(() => document.querySelector('button.reaction .reaction-count')?.textContent === '2', null, WAIT);
    expect(await onA.getAttribute('aria-pressed')).toBe('true');
    expect(await onA.getAttribute('aria-label')).toMatch(/^👍 2 \(you, Bo Watcher\)$/);
    // My reaction is highlighted, theirs not; clicking mine again takes it back.
    await onB.click();
    await a.page.waitForFunction(() => document.querySelector('button.reaction .reaction-count')?.textContent === '1', null, WAIT);
    await b.page.waitForFunction(() => document.querySelector('button.reaction')?.getAttribute('aria-pressed') === 'false', null, WAIT);
    expect(await a11yProblems(a.page)).toEqual([]);
    await screenshot(a.page, 'web-reactions');

    // Delete, with a confirmation, by keyboard.
    await message(a.page, 'hello world').getByRole('button', { name: 'Delete' }).focus();
    await a.page.keyboard.press('Enter');
    await a.page.getByRole('group', { name: 'Delete this message?' }).getByRole('button', { name: 'Delete' }).click();
    for (const page of [a.page, b.page]) {
      const gone = page.locator('li.msg', { has: page.locator('.text.deleted') });
      await gone.waitFor(WAIT);
      expect(await gone.locator('.text').textContent()).toBe('This message was deleted.');
      expect(await gone.locator('.edited').count()).toBe(0);
      expect(await gone.locator('button').count()).toBe(0);
    }
    expect(await message(b.page, 'hello world').count()).toBe(0);
  }, 120_000);

  it('links: http(s) open in a new tab with noopener noreferrer; javascript: and markup stay text', async () => {
    const a = await signedIn('Ada Links');
    const roomId = await createRoom(a.page, 'Links');
    await say(a.page, 'docs at https://example.org/guide?a=1&b=2, not javascript:alert(document.cookie) nor <img src=x onerror=alert(1)>');
    const m = message(a.page, 'docs at');
    const links = await m
      .locator('.text a')
      .evaluateAll((as) => (as as HTMLAnchorElement[]).map((x) => ({ href: x.getAttribute('href'), text: x.textContent, target: x.target, rel: x.rel })));
    expect(links).toEqual([
      { href: 'https://example.org/guide?a=1&b=2', text: 'https://example.org/guide?a=1&b=2', target: '_blank', rel: 'noopener noreferrer' },
    ]);
    expect(await m.locator('.text img').count()).toBe(0);
    expect(await m.locator('.text').textContent()).toContain('javascript:alert(document.cookie) nor <img src=x onerror=alert(1)>');
    expect(await a.page.locator('a[href^="javascript:" i]').count()).toBe(0);
    expect(roomId).toBeTruthy();
  }, 120_000);

  it('opening a long room shows the newest message whole, on a desktop and on a phone; one author’s run is grouped under a day line', async () => {
    const poster = await TestUser.register(stack, 'Chatty');
    const roomId = `long-${Date.now()}`;
    await poster.request('POST', '/rooms', { id: roomId, name: 'Long room' });
    await poster.join(roomId);
    for (let i = 1; i <= 60; i++) await poster.post(roomId, `line ${i}${i % 10 === 0 ? '\nwith a second line\nand a third' : ''}`);
    await poster.post(roomId, 'the very last one,\nover\nseveral\nlines');
    for (const [label, options] of [
      ['desktop', {}],
      ['phone', PHONE],
    ] as const) {
      const p = await signedIn(`Reader ${label}`, options);
      await p.user.join(roomId);
      await p.page.goto(`${stack.url}/#/rooms/${roomId}`);
      await waitLive(p.page);
      const last = message(p.page, 'the very last one');
      await last.waitFor(WAIT);
      await p.page.waitForTimeout(500);
      const fits = await p.page.evaluate(() => {
        const scroller = document.querySelector('.timeline')!.getBoundingClientRect();
        const lis = document.querySelectorAll('ol.messages:not(.pending-list) li.msg');
        const last = lis[lis.length - 1]!.getBoundingClientRect();
        return {
          top: last.top >= scroller.top - 1,
          bottom: last.bottom <= scroller.bottom + 1,
          tall: document.querySelector('.timeline')!.scrollHeight > scroller.height * 2,
        };
      });
      expect(fits, label).toEqual({ top: true, bottom: true, tall: true });
      // One author, posting in a burst: one group (avatar and name once), under one day line.
      expect(await p.page.locator('li.msg.cont').count(), label).toBeGreaterThan(40);
      expect(await p.page.locator('li.day').count(), label).toBe(1);
      expect(await p.page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth), label).toBe(true);
      if (label === 'phone') {
        // The sidebar folds away in a room; "My rooms" leads back to it.
        expect(await p.page.locator('aside.sidebar').isVisible()).toBe(false);
        expect(await a11yProblems(p.page)).toEqual([]);
        saveDoc(await screenshot(p.page, 'web-phone-room'), 'web-phone.png');
        // No hover on a phone: a tap on a message shows its actions.
        const actionsShown = () => last.locator('.actions').evaluate((el) => getComputedStyle(el).opacity);
        expect(await actionsShown()).toBe('0');
        await last.locator('.text').tap();
        await expect.poll(actionsShown, WAIT).toBe('1');
        await p.page.getByRole('link', { name: 'My rooms' }).click();
        await sidebarRoom(p.page, roomId).waitFor(WAIT);
        expect(await p.page.locator('aside.sidebar').isVisible()).toBe(true);
        saveDoc(await screenshot(p.page, 'web-phone-rooms'), 'web-phone-rooms.png');
      }
    }
  }, 120_000);

  it('a broken avatar is never shown broken: not in the sign-up preview (a text file named .png), not on a message', async () => {
    const p = await newPerson(browser);
    people.push(p);
    await p.page.goto(`${stack.url}/`);
    await p.page.getByLabel('Display name').fill('Pat Picture');
    await p.page.getByLabel('Avatar (optional)').setInputFiles({ name: 'me.png', mimeType: 'image/png', buffer: Buffer.from('this is text, not a picture\n') });
    await p.page.getByText('That file is not a picture we can use').waitFor(WAIT);
    const preview = await p.page.$$eval('img.preview', (imgs) =>
      imgs.map((i) => ({ visible: !(i as HTMLImageElement).hidden, src: (i as HTMLImageElement).getAttribute('src') })),
    );
    expect(preview).toEqual([{ visible: false, src: null }]);
    expect(await p.page.getByLabel('Avatar (optional)').getAttribute('aria-invalid')).toBe('true');

    // A user with an uploaded avatar whose file the server cannot serve as an image any more.
    const owner = await signedIn('Pix Owner');
    const res = await fetch(`${stack.url}/users/${owner.user.id}/avatar`, {
      method: 'PUT',
      headers: { authorization: `Bearer ${owner.user.token}`, 'content-type': 'image/png' },
      body: await testImages.png(100, 100),
    });
    expect(res.status).toBe(200);
    const viewer = await signedIn('Vi Viewer');
    await viewer.page.route('**/avatars/*.webp', (route) => route.fulfill({ status: 200, contentType: 'image/webp', body: 'not an image' }));
    const roomId = `pix-${Date.now()}`;
    await owner.user.request('POST', '/rooms', { id: roomId, name: 'Pictures' });
    await owner.user.join(roomId);
    await owner.user.post(roomId, 'look at my face');
    await viewer.page.goto(`${stack.url}/#/rooms/${roomId}`);
    await message(viewer.page, 'look at my face').waitFor(WAIT);
    await viewer.page.waitForFunction(
      (id) => {
        const imgs = [...document.querySelectorAll(`li.msg[data-user="${id}"] img.avatar`)] as HTMLImageElement[];
        return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
      },
      owner.user.id,
      WAIT,
    );
    const shown = await viewer.page.$eval(`li.msg[data-user="${owner.user.id}"] img.avatar`, (i) => (i as HTMLImageElement).currentSrc);
    expect(shown).toContain(`/avatars/default/${owner.user.id}.svg`);
  }, 120_000);
});
