// SPDX-License-Identifier: GPL-3.0-or-later
// The web dashboard on a 360 px phone, light and dark: signing in, the first visit, a run
// going, its report once done, the history, the log and the page offline. On every screen
// nothing is wider than the phone, no text is cut off and none is in the engine's words;
// each is kept as screenshots, one a screenful, for people to look at.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  OPERATOR_TOKEN, launchBrowser, makeDataDir, openPage, removeDataDir, rest, screenshot, signIn, startServer,
  waitFor,
} from './support/browser.mjs';

const NARROW = { width: 360, height: 740 };

const phaseOf = (page) => page.locator('#phase').getAttribute('data-phase');
const connectionOf = (page) => page.locator('#connection').getAttribute('data-state');

// What does not fit: the page wider than the screen, and every shown element whose
// text is clipped, sideways or at an ellipsis.
async function cutOff (page)
{
  return page.evaluate(() => {
    const problems = [];
    const width = document.documentElement.scrollWidth;
    if (width > window.innerWidth)
      problems.push(`the page is ${width} px wide on a ${window.innerWidth} px screen`);
    for (const element of document.querySelectorAll('body *')) {
      if (!element.checkVisibility?.() || element.closest('svg, canvas, pre, [hidden]'))
        continue;
      const style = getComputedStyle(element);
      const clips = style.textOverflow === 'ellipsis' || ['hidden', 'clip'].includes(style.overflowX);
      const hasText = [...element.childNodes].some((node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim());
      // Text for screen readers only sits in a 1 px box on purpose.
      const forScreenReaders = element.clientWidth <= 1 && element.clientHeight <= 1;
      if (clips && hasText && !forScreenReaders && element.scrollWidth > element.clientWidth + 1)
        problems.push(`cut off: "${element.textContent.trim().slice(0, 80)}" (${element.scrollWidth} px in ${element.clientWidth})`);
    }
    return problems;
  });
}

// The whole page, a screenful at a time: small enough to look at.
async function screenfuls (page, name)
{
  const height = await page.evaluate(() => document.documentElement.scrollHeight);
  const step = NARROW.height - 80;
  for (let top = 0, index = 1; top < height; top += step, index++) {
    await page.evaluate((y) => window.scrollTo(0, y), top);
    await page.waitForTimeout(100);
    await screenshot(page, `${name}-${index}.png`, { fullPage: false });
  }
  await page.evaluate(() => window.scrollTo(0, 0));
}

// Text in the engine's words: a name like WAITING_VIP_DRAIN, or a count of thousands
// without its groups. The log's lines are left out: a run's seed is a raw number.
async function engineWords (page)
{
  const text = await page.evaluate(() => {
    const copy = document.body.cloneNode(true);
    copy.querySelectorAll('#log-list, script, style, [hidden]').forEach((node) => node.remove());
    return copy.innerText ?? copy.textContent;
  });
  return [...text.matchAll(/\b[A-Z]{2,}_[A-Z_]{2,}\b|(?<![\d,.:/])\d{5,}(?![\d,])/g)].map((match) => match[0]);
}

async function assertFits (page, what)
{
  assert.deepEqual(await cutOff(page), [], `${what}: everything fits 360 px`);
  assert.deepEqual(await engineWords(page), [], `${what}: nothing said in the engine's words`);
}

describe('web dashboard at 360 px', { timeout: 300000 }, () => {
  let dataDir;
  let server;
  let browser;

  before(async () => {
    dataDir = makeDataDir();
    server = await startServer({ dataDir, extraArgs: ['--work-us', '300', '--workers', '2'] });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir)
      removeDataDir(dataDir);
  });

  for (const colorScheme of ['light', 'dark']) {
    test(`sign-in, first visit, a run, its report, the log and offline (${colorScheme})`, async () => {
      const { context, page } = await openPage(browser, { viewport: NARROW, colorScheme, isMobile: true });
      const shot = (name) => `dashboard-360-${colorScheme}-${name}`;

      await page.goto(server.url);
      await page.locator('#login-token').waitFor({ state: 'visible' });
      await assertFits(page, 'sign-in');
      await screenfuls(page, shot('sign-in'));

      // The socket goes through the test, which can take the server out of reach.
      let offline = false;
      const sockets = new Set();
      await page.routeWebSocket(/\/ws(\?.*)?$/, (socket) => {
        if (offline) {
          socket.close();
          return;
        }
        socket.connectToServer();
        sockets.add(socket);
      });
      await signIn(page, server, OPERATOR_TOKEN);
      await waitFor(async () => (await connectionOf(page)) === 'live', { what: 'the live connection' });
      if (colorScheme === 'light') {
        await page.locator('#empty-state').waitFor({ state: 'visible' });
        await assertFits(page, 'first visit');
        await screenfuls(page, shot('first-visit'));
      }

      const started = await rest(server, 'generate', { method: 'POST', body: { quantity: 200000, force: true } });
      assert.equal(started.status, 202, JSON.stringify(started.data));
      await waitFor(async () => (await phaseOf(page)) === 'WAITING_NORMAL_DRAIN',
        { timeoutMs: 60000, what: 'normal orders processing on the page' });
      await page.waitForTimeout(1500);
      await assertFits(page, 'mid-run');
      await screenfuls(page, shot('mid-run'));

      await rest(server, 'pedidos/cancel', { method: 'POST' });
      await waitFor(async () => !['GENERATING', 'WAITING_VIP_DRAIN', 'WAITING_NORMAL_DRAIN', 'QUEUEING_VIP', 'QUEUEING_NORMAL']
        .includes(await phaseOf(page)), { timeoutMs: 30000, what: 'the run to stop' });
      const done = await rest(server, 'generate', { method: 'POST', body: { quantity: 20000, force: true } });
      assert.equal(done.status, 202, JSON.stringify(done.data));
      await waitFor(async () => (await phaseOf(page)) === 'DONE', { timeoutMs: 60000, what: 'the run to be done' });
      await page.waitForTimeout(1000);
      await assertFits(page, 'done');
      await screenfuls(page, shot('done'));

      offline = true;
      await page.route('**/pedidos*', (route) => route.abort());
      for (const socket of sockets)
        socket.close();
      await waitFor(async () => (await connectionOf(page)) === 'offline', { timeoutMs: 30000, what: 'the page to be offline' });
      await assertFits(page, 'offline');
      await screenshot(page, `${shot('offline')}.png`, { fullPage: false });
      await context.close();
    });
  }
});
