// SPDX-License-Identifier: GPL-3.0-or-later
// The dashboard's queue controls in Chromium against a server whose orders sometimes
// fail: Pause and Resume with one suggested action each, failed counts per priority
// and Retry Failed; then what a finished run keeps: its priority proof in the report
// and its throughput series in the history.

import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  DESKTOP, OPERATOR_TOKEN, VIEWER_TOKEN,
  launchBrowser, makeDataDir, openPage, removeDataDir, rest, screenshot, signIn, startServer, waitFor,
} from './support/browser.mjs';

const RUN_TIMEOUT_MS = 90000;

const phaseOf = (page) => page.locator('#phase').getAttribute('data-phase');
const dataValue = (page, selector) => page.locator(selector).getAttribute('data-value').then(Number);
const suggestedButtons = (page) => page.locator('button.suggested:visible:not(:disabled)').allTextContents();
const status = async (server) => (await rest(server, 'pedidos')).data;

describe('web dashboard queue controls', { timeout: 300000 }, () => {
  let dataDir;
  let server;
  let browser;
  let operator;

  before(async () => {
    dataDir = makeDataDir();
    // One attempt in five fails: with three attempts, about 0.8 % of the orders fail for good.
    server = await startServer({ dataDir, extraArgs: ['--failure-rate', '0.2', '--work-us', '20'] });
    browser = await launchBrowser();
    operator = await openPage(browser, { viewport: DESKTOP });
    await signIn(operator.page, server, OPERATOR_TOKEN);
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir)
      removeDataDir(dataDir);
  });

  test('Pause holds the run and Resume is the one suggested action; Resume goes on', async () => {
    const { page } = operator;
    await page.fill('#quantity', '2,000,000');
    await page.click('#start-button');
    await waitFor(async () => ['WAITING_VIP_DRAIN', 'ENQUEUE_NORMAL', 'WAITING_NORMAL_DRAIN'].includes(await phaseOf(page)),
      { timeoutMs: RUN_TIMEOUT_MS, what: 'the run to process' });
    assert.deepEqual(await suggestedButtons(page), [], 'nothing suggested while the run goes');
    assert.equal(await page.locator('#pause-button').isVisible(), true);
    assert.equal(await page.locator('#resume-queue-button').isVisible(), false);

    await page.click('#pause-button');
    await waitFor(async () => (await page.locator('#phase').textContent()) === 'Paused', { what: 'the Paused headline' });
    assert.deepEqual(await suggestedButtons(page), ['Resume'], 'Resume is the one suggested action');
    assert.equal(await page.locator('#pause-button').isVisible(), false);
    assert.match(await page.locator('#eta-line').textContent(), /^Paused/, 'no clock time that runs away');
    assert.equal((await status(server)).paused, true, 'the server holds the run');
    await screenshot(page, 'dashboard-desktop-paused.png');

    // The page shows the count the server holds.
    const held = (await status(server)).progress.processedTotal;
    await waitFor(async () => (await dataValue(page, '#stat-processed')) === held,
      { what: 'the page to show the held count' });

    await page.click('#resume-queue-button');
    await waitFor(async () => (await page.locator('#phase').textContent()) !== 'Paused', { what: 'the run to go on' });
    assert.equal((await status(server)).paused, false);
    await waitFor(async () => (await dataValue(page, '#stat-processed')) > held, { what: 'processing to go on' });
    assert.deepEqual(await suggestedButtons(page), []);
    assert.equal(await page.locator('#pause-button').isVisible(), true);

    await page.click('#cancel-button');
    await waitFor(async () => (await phaseOf(page)) === 'ABORTED', { timeoutMs: 30000, what: 'the run to be cancelled' });
    assert.equal(await page.locator('#pause-button').isVisible(), false);
  });

  test('failed orders show per priority and in a Failed row, and Retry Failed puts them back', async () => {
    const { page } = operator;
    await page.fill('#quantity', '20,000');
    await page.fill('#vip-share', '20');
    await page.click('#start-button');
    await waitFor(async () => {
      const data = await status(server);
      return data.phase === 'DONE' && data.queue.delayed === 0;
    }, { timeoutMs: RUN_TIMEOUT_MS, what: 'the run to settle every order' });
    const data = await status(server);
    assert.ok(data.progress.failedTotal > 0, `some orders failed for good (${data.progress.failedTotal})`);
    assert.equal(data.progress.processedTotal + data.progress.failedTotal, 20000, 'every order settled once');

    await waitFor(async () => (await dataValue(page, '#failed-text')) === data.progress.failedTotal,
      { what: 'the Failed row to show the count' });
    assert.equal(await page.locator('#failed-row').isVisible(), true);
    assert.equal(await page.locator('#failed-text').textContent(),
      `${data.progress.failedTotal.toLocaleString('en-US')} failed for good`);
    for (const priority of ['vip', 'normal']) {
      const count = data.failed[priority];
      const element = page.locator(`#${priority}-failed`);
      assert.equal(await element.isVisible(), count > 0, `${priority} failures shown when there are some`);
      if (count > 0)
        assert.equal(await element.textContent(), ` · ${count.toLocaleString('en-US')} failed`);
    }
    assert.equal(await page.locator('#retry-failed-button').isDisabled(), false);
    await screenshot(page, 'dashboard-desktop-failures.png');

    // The same attempts of the same orders fail the same way: give them a downstream
    // that no longer fails, as an operator would after fixing it.
    await server.stop();
    server = await startServer({ dataDir, port: server.port, extraArgs: ['--work-us', '20'] });
    await waitFor(async () => (await page.locator('#connection').getAttribute('data-state')) === 'live' &&
                              !(await page.locator('#retry-failed-button').isDisabled()),
      { timeoutMs: 30000, what: 'the page to reconnect to the restarted server' });

    await page.click('#retry-failed-button');
    await page.locator('.toast', { hasText: /failed orders? (is|are) back in the queue/ }).waitFor();
    assert.match(await page.locator('.toast', { hasText: /back in the queue/ }).last().textContent(),
      new RegExp(`^${data.progress.failedTotal.toLocaleString('en-US')} failed orders? (is|are) back`));
    await waitFor(async () => {
      const again = await status(server);
      return again.phase === 'DONE' && again.progress.processedTotal === 20000;
    }, { timeoutMs: RUN_TIMEOUT_MS, what: 'the retried orders to be processed' });
    assert.equal((await status(server)).progress.failedTotal, 0);
    await waitFor(async () => (await dataValue(page, '#stat-processed')) === 20000 &&
                              !(await page.locator('#failed-row').isVisible()),
      { what: 'the page to follow the retry' });
    assert.equal(await page.locator('#retry-failed-button').isVisible(), false);
  });

  test('a viewer sees failures but no Retry Failed, Pause or Resume', async () => {
    const viewer = await openPage(browser, { viewport: DESKTOP });
    await signIn(viewer.page, server, VIEWER_TOKEN);
    await waitFor(async () => (await phaseOf(viewer.page)) === 'DONE', { what: 'the viewer page' });
    assert.equal(await viewer.page.locator('#retry-failed-button').isVisible(), false);
    assert.equal(await viewer.page.locator('#pause-button').isVisible(), false);
    const { status: code } = await rest(server, 'pedidos/queue/pause', { token: VIEWER_TOKEN, method: 'POST' });
    assert.equal(code, 403, 'pausing needs an operator');
    await viewer.context.close();
  });
});
