import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions, type Page } from 'playwright-core';
import { buildWeb } from '@chat/web/build';
import { startStack, type Stack } from './stack.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
export const ARTIFACTS = join(root, '.test-artifacts', 'browser');

/** Debian's Chromium (apt-get install chromium); never a downloaded browser. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-quic',
  '--no-first-run',
  '--disable-component-update',
  '--disable-sync',
];

export async function launchBrowser(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get update && apt-get install -y chromium (or set CHROMIUM_PATH)`);
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}

/** The web app built from the current sources into a directory of its own, for WEB_ROOT. */
export async function buildAppForTest(): Promise<{ dir: string; remove(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'chat-web-'));
  await buildWeb(dir);
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export interface WebApp {
  stack: Stack;
  browser: Browser;
  /** Where the built app is (the stack's WEB_ROOT), for other gateways to serve it too. */
  appDir: string;
  /** Closes the people's contexts, the browser and the stack, and removes the built app. */
  stop(people: Person[]): Promise<void>;
}

/** The web app built from the current sources, served by a stack of its own, and Chromium. */
export async function startWebApp(): Promise<WebApp> {
  const app = await buildAppForTest();
  const [stack, browser] = await Promise.all([startStack({ gatewayEnv: { WEB_ROOT: app.dir } }), launchBrowser()]);
  return {
    stack,
    browser,
    appDir: app.dir,
    async stop(people) {
      for (const p of people) await p.context.close().catch(() => undefined);
      await browser.close();
      await stack.stop();
      app.remove();
    },
  };
}

/**
 * A browser context that records every request it makes (pages, fetches, images, WebSockets) and
 * every error the console shows, to check that nothing left for another host and the CSP refused
 * nothing.
 */
export interface Person {
  context: BrowserContext;
  page: Page;
  requests: string[];
  consoleErrors: string[];
}

export async function newPerson(browser: Browser, options: BrowserContextOptions = {}): Promise<Person> {
  const context = await browser.newContext({ viewport: { width: 1100, height: 760 }, ...options });
  const requests: string[] = [];
  const consoleErrors: string[] = [];
  context.on('request', (req) => requests.push(req.url()));
  const page = await context.newPage();
  page.on('websocket', (ws) => requests.push(ws.url()));
  page.on('console', (msg) => {
    if (msg.type() === 'error') consoleErrors.push(msg.text());
  });
  page.on('pageerror', (err) => consoleErrors.push(`uncaught: ${err.message}`));
  return { context, page, requests, consoleErrors };
}

/** Every request went to `origin` (its http and ws forms), or stayed in the page (data:, blob:). */
export function foreignRequests(person: Person, origin: string): string[] {
  const own = new URL(origin);
  return person.requests.filter((raw) => {
    const url = new URL(raw);
    if (url.protocol === 'data:' || url.protocol === 'blob:') return false;
    return url.host !== own.host || !['http:', 'ws:'].includes(url.protocol);
  });
}

export async function screenshot(page: Page, name: string): Promise<string> {
  mkdirSync(ARTIFACTS, { recursive: true });
  const path = join(ARTIFACTS, `${name}.png`);
  await page.screenshot({ path, fullPage: false });
  return path;
}

/**
 * The accessibility basics a page must never miss: every form control has a label, every image
 * an alt (empty for decoration), every button and link an accessible name.
 */
export async function a11yProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const name = (el: Element) =>
      (el.getAttribute('aria-label') ?? el.textContent ?? '').trim() || el.querySelector('img[alt]:not([alt=""])')?.getAttribute('alt');
    for (const el of document.querySelectorAll('input, textarea, select')) {
      const control = el as HTMLInputElement;
      if (control.type === 'hidden') continue;
      if ((control.labels?.length ?? 0) === 0 && !control.getAttribute('aria-label')) problems.push(`unlabelled ${el.tagName.toLowerCase()}#${el.id}`);
    }
    for (const img of document.querySelectorAll('img')) if (!img.hasAttribute('alt')) problems.push(`img without alt: ${img.getAttribute('src')}`);
    for (const el of document.querySelectorAll('button, a[href]'))
      if (!name(el)) problems.push(`${el.tagName.toLowerCase()} without a name: ${el.outerHTML.slice(0, 80)}`);
    if (!document.documentElement.lang) problems.push('no lang on <html>');
    if (document.querySelectorAll('h1').length !== 1) problems.push(`${document.querySelectorAll('h1').length} h1 elements`);
    return problems;
  });
}
