// SPDX-License-Identifier: GPL-3.0-or-later
// The dashboard's operator controls beyond a run, in Chromium against the real server:
// Pause and Resume with one suggested action each, failed counts per priority and
// Retry Failed on a server whose orders sometimes fail; disconnecting a client and
// replacing the access tokens, which ends the sessions of the old ones.

import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
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

describe('web dashboard remote access', { timeout: 180000 }, () => {
  let dataDir;
  let server;
  let browser;

  before(async () => {
    dataDir = makeDataDir();
    // Tokens from the data directory, not the environment, so that they can be replaced.
    writeFileSync(join(dataDir, 'tokens.ini'), `[tokens]\noperator=${OPERATOR_TOKEN}\nviewer=${VIEWER_TOKEN}\n`,
      { mode: 0o600 });
    server = await startServer({ dataDir, env: { ORDERLY_OPERATOR_TOKEN: '', ORDERLY_VIEWER_TOKEN: '' } });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir)
      removeDataDir(dataDir);
  });

  test('an operator disconnects a client, then replaces the tokens, which ends the old sessions', async () => {
    const operator = await openPage(browser, { viewport: DESKTOP });
    const viewer = await openPage(browser, { viewport: DESKTOP });
    const { page } = operator;
    await signIn(page, server, OPERATOR_TOKEN);
    await signIn(viewer.page, server, VIEWER_TOKEN);
    await waitFor(async () => (await viewer.page.locator('#connection').getAttribute('data-state')) === 'live',
      { what: 'the viewer page to go live' });
    assert.equal(await viewer.page.locator('#tokens-row').isVisible(), false, 'a viewer cannot replace tokens');

    // The viewer's row has Disconnect; this page's own row has not.
    const viewerRow = page.locator('#clients-list li', { hasText: /^.*Viewer · / });
    await waitFor(async () => {
      await page.click('#clients-refresh');
      return (await viewerRow.count()) === 1;
    }, { what: 'the viewer in the client list' });
    assert.equal(await page.locator('#clients-list li', { hasText: 'This Device' }).locator('.client-disconnect').count(), 0);
    const viewerId = await viewerRow.getAttribute('data-client');
    await viewerRow.locator('.client-disconnect').click();
    await page.locator('.toast', { hasText: / disconnected\./ }).waitFor();
    await waitFor(async () => !(await rest(server, 'clients')).data.some((client) => client.id === viewerId),
      { what: 'the viewer\'s connection to end' });

    // Replacing asks first, then shows the new links.
    await page.click('#rotate-tokens-button');
    await page.locator('#rotate-dialog').waitFor({ state: 'visible' });
    await page.click('#rotate-confirm');
    await page.locator('#links-dialog').waitFor({ state: 'visible' });
    const operatorLink = new URL(await page.locator('#new-operator-link').inputValue());
    const viewerLink = new URL(await page.locator('#new-viewer-link').inputValue());
    const newToken = operatorLink.searchParams.get('token');
    assert.ok(newToken && newToken !== OPERATOR_TOKEN, 'a new operator token');
    assert.ok(viewerLink.searchParams.get('token') !== VIEWER_TOKEN, 'a new viewer token');
    assert.equal((await rest(server, 'pedidos')).status, 401, 'the old operator token is refused');
    assert.equal((await rest(server, 'pedidos', { token: VIEWER_TOKEN })).status, 401, 'the old viewer token too');
    assert.equal((await rest(server, 'pedidos', { token: newToken })).status, 200);
    await screenshot(page, 'dashboard-desktop-new-tokens.png', { fullPage: false });

    // The viewer's session has ended: its page asks for a token.
    await viewer.page.locator('#login-token').waitFor({ state: 'visible', timeout: 30000 });

    // Continue signs this page in with the new operator link.
    await page.click('#links-continue');
    await page.locator('#dashboard-view').waitFor({ state: 'visible' });
    await waitFor(async () => (await page.locator('#role-badge').textContent()) === 'Operator' &&
                              (await page.locator('#connection').getAttribute('data-state')) === 'live',
      { what: 'the page signed in again with the new token' });
    await viewer.context.close();
    await operator.context.close();
  });
});
