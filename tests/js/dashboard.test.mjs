// SPDX-License-Identifier: GPL-3.0-or-later
// The web dashboard in Chromium against the real server: sign-in and the first visit, a
// run from start to DONE with its report, the New Run form, one suggested action per
// state, history that follows the live run, the chart's rates, logs, clients, roles,
// fallback polling, a server restart, and screenshots.

import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { after, before, describe, test } from 'node:test';
import {
  DESKTOP, OPERATOR_TOKEN, PHONE, VIEWER_TOKEN, repoRoot,
  contrastProblems, launchBrowser, makeDataDir, openPage, removeDataDir, rest, screenshot, signIn, startServer,
  startSubPathProxy, waitFor,
} from './support/browser.mjs';

const RUN_TIMEOUT_MS = 90000;

// Chromium reports refused requests (the 401 that reveals "no session") and failed
// WebSocket handshakes as console errors; those are expected here.
const EXPECTED_CONSOLE = /Failed to load resource|WebSocket connection to|ERR_CONNECTION_REFUSED|ERR_BLOCKED/;
const unexpectedProblems = (page) => page.problems.filter((problem) => !EXPECTED_CONSOLE.test(problem));

const dataValue = (page, selector) => page.locator(selector).getAttribute('data-value').then(Number);
const digits = (text) => text.replace(/\D/g, '');
const phaseOf = (page) => page.locator('#phase').getAttribute('data-phase');
const connectionOf = (page) => page.locator('#connection').getAttribute('data-state');

async function visibleLogRows (page)
{
  return page.locator('#log-list > li').evaluateAll((rows) => rows.map((row) => ({
    level: row.dataset.level,
    text: row.querySelector('.log-message').textContent,
  })));
}

// Lines shown twice (same time, level and text): what a resumed feed must not cause.
async function duplicatedLogRows (page)
{
  const keys = await page.locator('#log-list > li').evaluateAll((rows) => rows.map((row) =>
    `${row.querySelector('time').dateTime} ${row.dataset.level} ${row.querySelector('.log-message').textContent}`));
  return keys.filter((key, index) => keys.indexOf(key) !== index);
}

// The buttons the page offers as the next step right now.
const suggestedButtons = (page) => page.locator('button.suggested:visible:not(:disabled)').allTextContents();

async function chooseLevel (page, level)
{
  await page.locator(`#log-level input[value="${level}"]`).check();
}

// Every number the page shows for a finished run equals what GET /pedidos reports.
async function assertPageMatchesRest (page, server)
{
  const { status, data } = await rest(server, 'pedidos');
  assert.equal(status, 200);
  const expected = {
    '#stat-target': data.progress.target,
    '#stat-generated': data.progress.generated,
    '#stat-processed': data.progress.processedTotal,
    '#vip-count': data.counts.vip,
    '#normal-count': data.counts.normal,
    '#vip-processed': data.processing.vip.count,
    '#normal-processed': data.processing.normal.count,
    '#time-generation': data.generationTimeMs,
    '#time-vip': data.processing.vip.timeMs,
    '#time-normal': data.processing.normal.timeMs,
    '#time-total': data.totalTimeMs,
  };
  for (const [selector, value] of Object.entries(expected))
    assert.equal(await dataValue(page, selector), Number(value), `${selector} shows what GET /pedidos says`);
  for (const selector of ['#stat-target', '#vip-count', '#normal-count', '#vip-processed', '#normal-processed'])
    assert.equal(digits(await page.locator(selector).textContent()), String(expected[selector]), `${selector} text`);
  return data;
}

describe('web dashboard', { timeout: 600000 }, () => {
  let dataDir;
  let server;
  let browser;
  let operator;        // { context, page } signed in as operator, kept across tests
  const quantity = 5000;

  before(async () => {
    dataDir = makeDataDir();
    server = await startServer({ dataDir });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir)
      removeDataDir(dataDir);
  });

  test('without a session the page asks for a token, and signs in with one', async () => {
    operator = await openPage(browser, { viewport: DESKTOP });
    const { page } = operator;

    await page.goto(server.url);
    await page.locator('#login-token').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#dashboard-view').isVisible(), false, 'no data before signing in');
    assert.equal(await page.locator('label[for="login-token"]').textContent(), 'Access token');
    assert.match(await page.locator('.login-card').textContent(), /Remote Access/,
      'desktop users are pointed to the window, not to a line printed on stdout');
    assert.deepEqual(await contrastProblems(page), [], 'the sign-in form is readable');

    // A wrong token is refused in plain words, and the form comes back.
    await page.fill('#login-token', 'not-a-valid-token');
    await page.click('#login-form button[type="submit"]');
    await page.locator('#login-error').waitFor({ state: 'visible' });
    assert.match(await page.locator('#login-error').textContent(), /not accepted/);
    assert.equal(await page.locator('#dashboard-view').isVisible(), false);

    await signIn(page, server, OPERATOR_TOKEN);
    assert.equal(new URL(page.url()).searchParams.has('token'), false, 'the token is not left in the address bar');
    const cookies = await operator.context.cookies();
    const session = cookies.find((cookie) => cookie.name === 'orderly_session');
    assert.ok(session, 'the session cookie is set');
    assert.equal(session.httpOnly, true, 'the session cookie is HttpOnly');

    assert.equal(await page.locator('#role-badge').textContent(), 'Operator');
    assert.equal(await page.locator('#controls').isVisible(), true, 'an operator sees the controls');
    await waitFor(async () => (await connectionOf(page)) === 'live', { what: 'the live connection' });
    assert.equal(await page.locator('#connection-label').textContent(), 'Live');

    // The first visit: an empty state, not a wall of zeros and an empty chart.
    assert.equal(await page.locator('#empty-state').isVisible(), true);
    assert.match(await page.locator('#empty-state').textContent(), /No Runs Yet/);
    assert.equal(await page.locator('#run-details').isVisible(), false);
    assert.equal(await page.locator('.chart-card').isVisible(), false);
    assert.equal(await page.locator('.timings-card').isVisible(), false);
    assert.equal(await page.locator('#history-card').isVisible(), false);
    if ((await page.locator('#log-list > li').count()) === 0)
      assert.equal(await page.locator('.logs-card').isVisible(), false, 'no empty log box either');
    assert.deepEqual(await suggestedButtons(page), ['Start Run'], 'one suggested action');
    await screenshot(page, 'dashboard-desktop-first-visit.png');
    assert.deepEqual(unexpectedProblems(page), []);
  });

  test('a run started from the page reaches DONE showing the numbers GET /pedidos reports', async () => {
    const { page } = operator;
    await page.fill('#quantity', String(quantity));
    await page.click('#start-button');

    await waitFor(async () => (await phaseOf(page)) === 'DONE',
      { timeoutMs: RUN_TIMEOUT_MS, what: 'the run to reach DONE on the page' });
    assert.equal(await page.locator('#phase').textContent(), 'Done');

    // The last status event may trail the phase change by one tick.
    await waitFor(async () => {
      await assertPageMatchesRest(page, server);
      return true;
    }, { timeoutMs: 10000, what: 'the page to show the numbers of GET /pedidos' });
    const data = await assertPageMatchesRest(page, server);
    assert.equal(data.progress.target, quantity);
    assert.equal(data.counts.vip + data.counts.normal, quantity);
    assert.equal(await dataValue(page, '#overall-percent'), 100);
    assert.equal(await page.locator('#overall-progress').getAttribute('aria-valuenow'), '100');

    assert.equal(await page.locator('#overall-percent').textContent(), '100%');
    assert.equal(await page.locator('#stat-target').textContent(), '5,000', 'numbers are grouped');
    assert.match(await page.locator('#eta-line').textContent(), /^5,000 orders in /, 'DONE sums the run up');
    assert.equal(await page.locator('#phase').textContent(), 'Done');

    // The report: orders, time, average and peak rates; no previous run to compare with.
    assert.equal(await page.locator('#report-card').isVisible(), true);
    assert.match(await page.locator('#report-orders').textContent(), /^5,000 processed, [\d,]+ of them VIP$/);
    assert.match(await page.locator('#report-average').textContent(), /orders\/s$/);
    // A run processed within the chart's first second still has a peak, never below its average.
    const shownRate = async (id) => Number((await page.locator(id).textContent()).replace(/[^\d.]/g, ''));
    assert.ok(await shownRate('#report-peak') >= await shownRate('#report-average'), 'peak below the average');
    assert.equal(await page.locator('#report-change-stat').isVisible(), false);
    assert.deepEqual(await suggestedButtons(page), ['Start Run'], 'one suggested action once done');

    // How the run kept its priority, from GET /runs/{id}/proof, and the check of its rows.
    await waitFor(async () => (await page.locator('#report-once').textContent()) === 'Checked',
      { timeoutMs: 30000, what: 'the check of the stored rows in the report' });
    const { status: proofStatus, data: proof } = await rest(server, `runs/${data.runId}/proof`);
    assert.equal(proofStatus, 200);
    assert.equal(proof.vipBeforeNormal, true);
    assert.equal(proof.check.state, 'passed');
    assert.equal(await page.locator('#report-priority').textContent(), 'Kept');
    assert.match(await page.locator('#report-vip-wait').textContent(), /^[\d.,<\s]+(ms|s) median · [\d.,<\s]+(ms|s) p95$/);
    assert.match(await page.locator('#report-normal-wait').textContent(), / median · .* p95$/);

    // The run is in the history, with what it processed and its steps.
    await waitFor(async () => (await page.locator('#history-body tr').count()) >= 1, { what: 'a row in the history' });
    const row = page.locator('#history-body tr').first();
    assert.match(await row.textContent(), /Done/);
    assert.equal(await row.locator('td.processed').textContent(), '5,000');
    assert.ok(await row.locator('.ribbon .segment.normal').isVisible(), 'the row has a ribbon');

    // ...and the throughput series the run kept, from GET /runs/{id}/samples.
    const { data: series } = await rest(server, `runs/${data.runId}/samples`);
    assert.ok(series.count >= 2, `the run kept its series (${series.count} samples)`);
    const sparkline = row.locator('td.series svg.sparkline');
    await waitFor(async () => Number(await sparkline.getAttribute('data-points')) > 0,
      { what: 'the row to draw the run\'s series' });
    assert.ok(Number(await sparkline.getAttribute('data-peak')) > 0);
    assert.match(await sparkline.getAttribute('aria-label'), /^Throughput over the run, peak [\d,.]+ orders\/s$/);
    const times = await page.locator('#log-list time').allTextContents();
    assert.ok(times.length > 0 && times.every((time) => /^\d\d:\d\d:\d\d\.\d{3}$/.test(time)),
      `log times read as in the window: ${times[0]}`);
    assert.deepEqual(unexpectedProblems(page), []);
  });

  test('the New Run form, one suggested action per state, and a history that follows the run', async () => {
    const { page } = operator;
    const quantity = page.locator('#quantity');

    // Presets and what people type read grouped.
    await page.click('.presets .chip[data-quantity="1000000"]');
    assert.equal(await quantity.inputValue(), '1,000,000');
    assert.equal(await page.locator('.presets .chip[data-quantity="1000000"]').getAttribute('aria-pressed'), 'true');
    await quantity.fill('10k');
    await quantity.blur();
    assert.equal(await quantity.inputValue(), '10,000');

    // A long run with a VIP share of 20 %: nothing is suggested while it goes.
    await quantity.fill('2,000,000');
    await page.fill('#vip-share', '20');
    await page.click('#start-button');
    await waitFor(async () => ['WAITING_VIP_DRAIN', 'ENQUEUE_NORMAL', 'WAITING_NORMAL_DRAIN'].includes(await phaseOf(page)),
      { timeoutMs: RUN_TIMEOUT_MS, what: 'the long run to process' });
    assert.deepEqual(await suggestedButtons(page), [], 'no suggested action while a run goes');
    assert.equal(await page.locator('#force-row').isVisible(), true, 'replacing the run is offered while it goes');
    assert.match(await page.locator('#eta-line').textContent(), /left|Estimating/);
    assert.doesNotMatch(await page.locator('#phase').textContent(), /_/, 'no internal phase names');

    // The history's row of this run follows it, instead of what was stored at its start.
    const row = page.locator('#history-body tr').first();
    await waitFor(async () => /Processing/.test(await row.textContent()) &&
                              digits(await row.locator('td.processed').textContent()).length > 7,
      { what: 'the history row to follow the live run' });
    const before = digits((await row.locator('td.processed').textContent()).split(' of ')[0]);
    await waitFor(async () => digits((await row.locator('td.processed').textContent()).split(' of ')[0]) !== before,
      { what: 'the processed count of the row to move' });
    await screenshot(page, 'dashboard-desktop-mid-run.png');

    await page.click('#cancel-button');
    await waitFor(async () => (await phaseOf(page)) === 'ABORTED', { timeoutMs: 30000, what: 'the run to be cancelled' });
    const runs = (await rest(server, 'runs')).data;
    const cancelled = runs.find((run) => run.phase === 'ABORTED');
    assert.equal(cancelled.vipShare, 0.2, 'the VIP share went with the run');
    const processed = cancelled.processing.vip.count + cancelled.processing.normal.count;
    await waitFor(async () => (await row.locator('td.processed').textContent()) ===
                              `${processed.toLocaleString('en-US')} of 2,000,000`,
      { what: 'the cancelled run to show what it processed, not what it generated' });
    assert.deepEqual(await suggestedButtons(page), ['Start Run']);

    // A second finished run is compared with the first.
    await quantity.fill('6,000');
    await page.click('#start-button');
    await waitFor(async () => (await phaseOf(page)) === 'DONE', { timeoutMs: RUN_TIMEOUT_MS, what: 'the second run' });
    await waitFor(async () => page.locator('#report-change-stat').isVisible(), { what: 'the comparison' });
    assert.match(await page.locator('#report-change-title').textContent(), /^Compared with Run 1 /);
    assert.match(await page.locator('#report-change').textContent(), /faster|slower|About as fast/);
  });

  test('the chart shows rates over a window, not the swings of batched updates', async () => {
    const charted = await openPage(browser, { viewport: DESKTOP });
    const { page } = charted;
    // The socket is answered by the test: VIP orders processed at 9,000/s, counted in
    // batches of 9,000 a second and reported ten times a second, with the server's
    // clock. The difference between two updates would read 0 and 90,000/s in turn.
    await page.routeWebSocket(/\/ws(\?.*)?$/, (socket) => {
      const frame = (event, data, seq) => JSON.stringify({ event, data, seq, instanceId: 'chart-test' });
      socket.send(frame('connected', { message: 'connected', timestamp: Date.now(), clientId: 'test' }, 1));
      const start = Date.now();
      let seq = 2;
      const timer = setInterval(() => {
        const elapsed = Date.now() - start;
        const vip = Math.floor(elapsed / 1000) * 9000;
        const status = {
          phase: 'WAITING_VIP_DRAIN', runId: 1, workers: 2, monoMs: elapsed,
          progress: { target: 1000000, generated: 1000000, processedTotal: vip },
          processing: { vip: { count: vip, timeMs: elapsed }, normal: { count: 0, timeMs: 0 } },
          counts: { vip: 500000, normal: 500000 }, eta: { estimatedMs: null, progressPercent: 0 },
        };
        socket.send(frame('status', status, seq++));
        if (elapsed > 9000)
          clearInterval(timer);
      }, 100);
      socket.onClose(() => clearInterval(timer));
    });
    await signIn(page, server, OPERATOR_TOKEN);
    await waitFor(async () => Number(await page.locator('#throughput-chart').getAttribute('data-vip')) > 0,
      { what: 'the chart to draw a rate' });
    await waitFor(async () => (await dataValue(page, '#stat-processed')) >= 45000,
      { timeoutMs: 20000, what: 'five batches' });
    const top = Number(await page.locator('#throughput-chart').getAttribute('data-top'));
    const vip = Number(await page.locator('#throughput-chart').getAttribute('data-vip'));
    assert.ok(top <= 12500, `the y axis fits the real rate, not the batches (top ${top})`);
    assert.ok(vip >= 6000 && vip <= 12000, `the rate is about 9,000/s (${vip})`);
    assert.equal(await page.locator('#throughput-chart').getAttribute('data-axis'), 'live');
    await charted.context.close();
  });

  test('a cluster shows its instances with rates and health, a quiet one marked, and tags other instances\' lines', async () => {
    const clustered = await openPage(browser, { viewport: DESKTOP });
    const { page } = clustered;
    const now = Date.now();
    const cluster = [
      { id: 'a0a0a0a0-local', host: 'node-a', local: true, workers: 2, rate: 8100, processed: 500, lastHeartbeat: now, quiet: false },
      { id: 'b0b0b0b0-busy', host: 'node-b', local: false, workers: 4, rate: 12345, processed: 900, lastHeartbeat: now, quiet: false },
      { id: 'c0c0c0c0-quiet', host: 'node-c', local: false, workers: 2, rate: 0, processed: 10, lastHeartbeat: now - 30000, quiet: true },
    ];
    await page.routeWebSocket(/\/ws(\?.*)?$/, (socket) => {
      const frame = (event, data, seq) => JSON.stringify({ event, data, seq, instanceId: 'cluster-test' });
      socket.send(frame('connected', { message: 'connected', timestamp: now, clientId: 'test' }, 1));
      socket.send(frame('status', {
        phase: 'WAITING_NORMAL_DRAIN', runId: 1, workers: 2, monoMs: 1000, cluster,
        progress: { target: 10000, generated: 10000, processedTotal: 1410 },
        processing: { vip: { count: 500, timeMs: 100 }, normal: { count: 910, timeMs: 100 } },
        generated: { vip: 500, normal: 9500 }, eta: { estimatedMs: 5000, progressPercent: 14.1 },
      }, 2));
      socket.send(frame('log', { timestamp: now, level: 'log', category: 'engine', message: 'Processed 900 orders', instance: 'b0b0b0b0-busy' }, 3));
    });
    await signIn(page, server, OPERATOR_TOKEN);
    await page.locator('#cluster-section').waitFor({ state: 'visible' });
    const rows = page.locator('#cluster-list li');
    assert.equal(await rows.count(), 3);
    assert.match(await rows.nth(0).textContent(), /^node-a This Instance/);
    assert.match(await rows.nth(1).textContent(), /node-b.*12,345 orders\/s.*b0b0b0b0 · 4 workers · heartbeat \d\d:\d\d:\d\d/);
    assert.equal(await rows.nth(2).getAttribute('class'), 'quiet');
    assert.match(await rows.nth(2).textContent(), /Quiet.*c0c0c0c0 · quiet since \d\d:\d\d:\d\d/);
    const line = page.locator('#log-list > li', { hasText: 'Processed 900 orders' });
    await line.waitFor();
    assert.equal(await line.locator('.log-instance').textContent(), 'node-b', 'a line from another instance names it');
    await screenshot(page, 'dashboard-desktop-cluster.png', { fullPage: false });
    await clustered.context.close();
  });

  test('log lines appear and can be filtered by level and searched', async () => {
    const { page } = operator;
    await waitFor(async () => (await page.locator('#log-list > li').count()) > 0, { what: 'log lines' });
    const all = (await visibleLogRows(page)).filter((row) => row.level !== 'note');
    assert.ok(all.length > 0);

    let perLevel = 0;
    for (const level of ['log', 'warn', 'error']) {
      await chooseLevel(page, level);
      const rows = await visibleLogRows(page);
      for (const row of rows)
        assert.equal(row.level, level, `only ${level} lines under the ${level} filter`);
      assert.equal(rows.length, all.filter((row) => row.level === level).length);
      perLevel += rows.length;
      if (rows.length === 0)
        assert.equal(await page.locator('#log-empty').isVisible(), true, 'an empty filter says so');
    }
    assert.equal(perLevel, all.length, 'the level filters split the log');

    await chooseLevel(page, 'all');
    const word = all.map((row) => row.text.split(/[^A-Za-z]+/).find((part) => part.length >= 4))
      .find(Boolean);
    assert.ok(word, 'a word to search for');
    await page.fill('#log-search', word.toUpperCase());
    const found = await visibleLogRows(page);
    assert.ok(found.length > 0, `lines containing "${word}"`);
    for (const row of found)
      assert.ok(row.text.toLowerCase().includes(word.toLowerCase()), `"${row.text}" contains "${word}"`);
    assert.ok(await page.locator('#log-list mark').count() > 0, 'matches are highlighted');

    await page.fill('#log-search', 'zz-no-such-text-zz');
    assert.equal(await page.locator('#log-list > li').count(), 0);
    assert.equal(await page.locator('#log-empty').textContent(), 'No lines match the filter.');
    await page.fill('#log-search', '');
    assert.equal((await visibleLogRows(page)).filter((row) => row.level !== 'note').length >= all.length, true);
  });

  test('screenshots at desktop and phone sizes', async () => {
    const { page } = operator;
    await page.evaluate(() => window.scrollTo(0, 0));
    // Clients by readable name, this page marked, with units.
    await page.click('#clients-refresh');
    await waitFor(async () => /This Device/.test(await page.locator('#clients-list').textContent()),
      { what: 'this page in the client list' });
    const ownClient = page.locator('#clients-list li', { hasText: 'This Device' });
    assert.match(await ownClient.locator('.client-title').textContent(), /^Chrome \(headless\) on Linux/);
    assert.match(await ownClient.textContent(), /Operator · WebSocket · /);
    assert.match(await ownClient.locator('.client-counters').textContent(), /^[\d,]+ messages? sent/);
    await screenshot(page, 'dashboard-desktop.png');
    assert.deepEqual(await contrastProblems(page), [], 'every text has enough contrast (light)');

    const phone = await openPage(browser, { viewport: PHONE, isMobile: true });
    await phone.page.goto(server.url);
    await screenshot(phone.page, 'dashboard-phone-login.png');
    await signIn(phone.page, server, OPERATOR_TOKEN);
    await waitFor(async () => (await phaseOf(phone.page)) === 'DONE', { what: 'the phone page to show the run' });
    await waitFor(async () => (await phone.page.locator('#log-list > li').count()) > 0, { what: 'logs on the phone' });
    // Opened after the run ended, the page draws it from the series it kept.
    await waitFor(async () => (await phone.page.locator('#throughput-chart').getAttribute('data-axis')) === 'ended',
      { what: 'the finished run\'s curve on a page opened after it' });
    assert.ok(Number(await phone.page.locator('#throughput-chart').getAttribute('data-top')) > 0);
    const width = await phone.page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= PHONE.width, `nothing overflows the phone screen sideways (page is ${width}px wide)`);
    await screenshot(phone.page, 'dashboard-phone.png');
    await screenshot(phone.page, 'dashboard-phone-top.png', { fullPage: false });

    // The manual switch overrides the system's light style.
    await phone.page.click('#theme-toggle');
    assert.equal(await phone.page.evaluate(() => document.documentElement.dataset.theme), 'dark');
    const background = await phone.page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.notEqual(background, 'rgb(250, 250, 251)');
    await screenshot(phone.page, 'dashboard-phone-dark.png');
    assert.deepEqual(await contrastProblems(phone.page), [], 'every text has enough contrast (dark)');
    await phone.context.close();

    const dark = await openPage(browser, { viewport: DESKTOP, colorScheme: 'dark' });
    await signIn(dark.page, server, OPERATOR_TOKEN);
    await waitFor(async () => (await phaseOf(dark.page)) === 'DONE', { what: 'the dark page to show the run' });
    await screenshot(dark.page, 'dashboard-desktop-dark.png');
    assert.deepEqual(await contrastProblems(dark.page), [], 'every text has enough contrast (system dark)');
    await dark.context.close();
  });

  test('the log keeps at most 2,000 rows, dropping the oldest', async () => {
    const capped = await openPage(browser, { viewport: DESKTOP });
    const { page } = capped;
    // The socket is answered by the test: a burst of 2,500 lines, more than the cap.
    await page.routeWebSocket(/\/ws(\?.*)?$/, (socket) => {
      const frame = (event, data, seq) => JSON.stringify({ event, data, seq, instanceId: 'log-cap-test' });
      socket.send(frame('connected', { message: 'connected', timestamp: new Date().toISOString(), clientId: 'test' }, 1));
      const start = Date.now();
      const lines = Array.from({ length: 2500 }, (_, index) => ({
        timestamp: start + index, level: index % 10 === 0 ? 'warn' : 'log', message: `burst line ${index}`, category: 'test', data: null,
      }));
      socket.send(frame('logs', lines, 2));
    });
    await signIn(page, server, OPERATOR_TOKEN);
    await waitFor(async () => (await page.locator('#log-list > li').count()) === 2000, { what: '2,000 rows' });
    const texts = await page.locator('#log-list .log-message').allTextContents();
    assert.ok(texts.every((text) => !text.includes('burst line 499')), 'the oldest lines were dropped');
    assert.match(texts[0], /burst line 500$/);
    assert.match(texts[texts.length - 1], /burst line 2499$/);
    assert.equal(await page.locator('#log-summary').textContent(), '2,000 lines');
    await chooseLevel(page, 'warn');
    assert.equal(await page.locator('#log-list > li').count(), 200);
    await capped.context.close();
  });

  test('a viewer sees no controls, and a forged control request is refused', async () => {
    const viewer = await openPage(browser, { viewport: PHONE, isMobile: true });
    const { page } = viewer;
    await signIn(page, server, VIEWER_TOKEN);
    assert.equal(await page.locator('#role-badge').textContent(), 'Viewer');
    assert.equal(await page.locator('#controls').isVisible(), false, 'no controls for a viewer');
    assert.equal(await page.locator('#clients-card').isVisible(), false, 'no client list for a viewer');
    assert.equal(await page.getByRole('button', { name: /start run|cancel run|reset/i }).count(), 0);
    await waitFor(async () => (await connectionOf(page)) === 'live', { what: 'the viewer live connection' });
    await screenshot(page, 'dashboard-phone-viewer.png');

    const before = (await rest(server, 'pedidos')).data;

    // From inside the page: the session cookie and the browser's own Origin.
    const fromPage = await page.evaluate(async () => {
      const response = await fetch('generate', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ quantity: 10, force: true }),
      });
      return response.status;
    });
    assert.equal(fromPage, 403, 'POST generate from a viewer page is forbidden');

    // From a script with the viewer token.
    const forged = await rest(server, 'generate', { token: VIEWER_TOKEN, method: 'POST', body: { quantity: 10, force: true } });
    assert.equal(forged.status, 403);
    assert.equal(forged.data.statusCode, 403);

    // Over the page's own socket.
    const ack = await page.evaluate(() => new Promise((resolve, reject) => {
      const url = new URL('ws', document.baseURI);
      url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
      const socket = new WebSocket(url);
      const timer = setTimeout(() => reject(new Error('no ack')), 10000);
      socket.onopen = () => socket.send(JSON.stringify({ event: 'start-generation', data: { quantity: 10, force: true }, id: 7 }));
      socket.onmessage = (event) => {
        const message = JSON.parse(event.data);
        if (message.event === 'ack' && message.id === 7) {
          clearTimeout(timer);
          socket.close();
          resolve(message.data);
        }
      };
      socket.onerror = () => reject(new Error('socket failed'));
    }));
    assert.equal(ack.statusCode, 403, 'start-generation from a viewer socket is forbidden');

    const afterForgery = (await rest(server, 'pedidos')).data;
    assert.equal(afterForgery.phase, before.phase, 'nothing started');
    assert.equal(afterForgery.progress.target, before.progress.target);
    await viewer.context.close();
  });

  test('with /ws blocked the page falls back to polling and still updates', async () => {
    const blocked = await openPage(browser, { viewport: DESKTOP });
    const { page } = blocked;
    // Polls must be chained timeouts: count any use of setInterval.
    await page.addInitScript(() => {
      window.intervalsStarted = 0;
      const original = window.setInterval;
      window.setInterval = (...args) => {
        window.intervalsStarted++;
        return original(...args);
      };
    });
    // Every attempt to open /ws is refused until `block` is cleared.
    let block = true;
    const attempts = [];
    await page.routeWebSocket(/\/ws(\?.*)?$/, (socket) => {
      if (block) {
        attempts.push(Date.now());
        socket.close({ code: 1011, reason: 'blocked by the test' });
      } else {
        socket.connectToServer();
      }
    });

    await signIn(page, server, OPERATOR_TOKEN);
    await waitFor(async () => (await connectionOf(page)) === 'polling', { what: 'the page to fall back to polling' });
    assert.equal(await page.locator('#offline-banner').isVisible(), true);
    assert.match(await page.locator('#offline-banner-text').textContent(), /polling/i);
    assert.equal(await page.locator('#connection-label').textContent(), 'Polling');
    const logsBefore = await page.locator('#log-list > li').count();

    const started = await rest(server, 'generate', { method: 'POST', body: { quantity: 3000, force: false } });
    assert.equal(started.status, 202, JSON.stringify(started.data));
    await waitFor(async () => (await dataValue(page, '#stat-target')) === 3000 && (await phaseOf(page)) === 'DONE',
      { timeoutMs: RUN_TIMEOUT_MS, what: 'the polling page to show the new run finished' });
    await waitFor(async () => {
      await assertPageMatchesRest(page, server);
      return true;
    }, { timeoutMs: 10000, what: 'the polling page to match GET /pedidos' });
    await waitFor(async () => (await page.locator('#log-list > li').count()) > logsBefore,
      { timeoutMs: 10000, what: 'new log lines while polling' });
    assert.equal(await connectionOf(page), 'polling', 'still polling: the socket stayed blocked');
    // Polled lines keep their categories and levels, as GET /pedidos/logs gives them.
    const polled = await page.locator('#log-list > li:not([data-level="note"])').evaluateAll((rows) => rows.map((row) => ({
      category: row.querySelector('.log-category').textContent,
      level: row.dataset.level,
      text: row.querySelector('.log-message').textContent,
    })));
    const { data: restLogs } = await rest(server, 'pedidos/logs?lines=500');
    for (const line of polled.slice(-5)) {
      const entry = restLogs.entries.find((candidate) => candidate.message === line.text);
      assert.ok(entry, `"${line.text}" is a line of GET /pedidos/logs`);
      assert.equal(line.category, entry.category, `"${line.text}" keeps its category`);
      assert.ok(line.category.length > 0);
    }

    // Reconnection attempts back off: about 1 s, then 1-2 s, then 2-4 s.
    await waitFor(() => attempts.length >= 4, { timeoutMs: 20000, what: 'four connection attempts' });
    const gaps = attempts.slice(1, 4).map((time, index) => time - attempts[index]);
    assert.ok(gaps[0] >= 900 && gaps[0] <= 2000, `first retry after about 1 s (${gaps})`);
    assert.ok(gaps[1] >= 900 && gaps[1] <= 3000, `second retry after 1-2 s (${gaps})`);
    assert.ok(gaps[2] >= 1900 && gaps[2] <= 5000, `third retry after 2-4 s (${gaps})`);
    assert.equal(await page.evaluate(() => window.intervalsStarted), 0, 'no setInterval');

    // While the socket is down controls go over REST; a refusal is shown in plain words.
    await page.route('**/generate', (route) => route.fulfill({
      status: 409,
      contentType: 'application/json',
      body: JSON.stringify({ statusCode: 409, message: 'A run is already in progress', error: 'Conflict' }),
    }));
    await page.click('#start-button');
    const alert = page.locator('#toasts .toast.error');
    await alert.waitFor({ state: 'visible' });
    assert.equal(await alert.getAttribute('role'), 'alert');
    assert.match(await alert.textContent(), /A run is already in progress/);
    await page.unroute('**/generate');

    // Out of reach altogether: the figures stay, dimmed.
    await page.route('**/pedidos*', (route) => route.abort());
    await waitFor(async () => (await connectionOf(page)) === 'offline', { timeoutMs: 15000, what: 'the page to be offline' });
    assert.equal(await page.locator('#dashboard-view.stale').count(), 1, 'offline figures are dimmed');
    await screenshot(page, 'dashboard-desktop-offline.png', { fullPage: false });
    await page.unroute('**/pedidos*');

    // Unblocked, "Reconnect now" skips the remaining backoff.
    block = false;
    await page.click('#reconnect-now');
    await waitFor(async () => (await connectionOf(page)) === 'live',
      { timeoutMs: 5000, what: 'the page to go live once /ws is reachable' });
    assert.equal(await page.locator('#offline-banner').isVisible(), false);
    // The log tail sent on connecting overlaps what polling showed: no line twice.
    await new Promise((resolveSleep) => setTimeout(resolveSleep, 500));
    assert.deepEqual(await duplicatedLogRows(page), []);
    await blocked.context.close();
  });

  test('after the server restarts the page reconnects by itself and says so; the run can be resumed', async () => {
    const { page } = operator;
    await waitFor(async () => (await connectionOf(page)) === 'live', { what: 'the operator page to be live' });
    assert.equal(await page.locator('#restart-banner').isVisible(), false);

    // A long run, killed mid-way, comes back as INTERRUPTED.
    const started = await rest(server, 'generate', { method: 'POST', body: { quantity: 5000000, force: true } });
    assert.equal(started.status, 202, JSON.stringify(started.data));
    await waitFor(async () => !['IDLE', 'DONE'].includes(await phaseOf(page)), { what: 'the long run to start on the page' });
    await page.evaluate(() => window.scrollTo(0, 0));
    await new Promise((resolveSleep) => setTimeout(resolveSleep, 3000));
    await screenshot(page, 'dashboard-desktop-running.png', { fullPage: false });

    const socketUrls = [];
    page.on('websocket', (socket) => socketUrls.push(socket.url()));
    const port = server.port;
    await server.stop('SIGKILL');
    await waitFor(async () => ['offline', 'polling', 'connecting'].includes(await connectionOf(page)),
      { timeoutMs: 15000, what: 'the page to notice the server went away' });

    server = await startServer({ dataDir, port });
    assert.equal(server.port, port);
    await waitFor(async () => (await connectionOf(page)) === 'live',
      { timeoutMs: 60000, what: 'the page to reconnect by itself' });
    await page.locator('#restart-banner').waitFor({ state: 'visible', timeout: 10000 });
    assert.ok(socketUrls.length > 0);
    assert.match(socketUrls[socketUrls.length - 1], /\/ws\?since=\d+&instance=[\w-]+$/,
                 'it asked to resume from its last seq, naming the instance that seq came from');
    assert.match(await page.locator('#restart-banner-text').textContent(), /restarted/i);
    await screenshot(page, 'dashboard-desktop-restarted.png', { fullPage: false });
    assert.deepEqual(await duplicatedLogRows(page), []);

    await waitFor(async () => (await phaseOf(page)) === 'INTERRUPTED', { timeoutMs: 15000, what: 'the interrupted run' });
    // What it did before it stopped, never a dash for a time it has not had.
    const interrupted = (await rest(server, 'pedidos')).data;
    assert.equal(await page.locator('#eta-line').textContent(), interrupted.totalTimeMs > 0
      ? `Stopped after ${(await page.locator('#time-total').textContent())}`
      : 'Stopped before processing began');
    assert.equal(await page.locator('#resume-button').isVisible(), true, 'an interrupted run offers Resume');
    assert.deepEqual(await suggestedButtons(page), ['Resume Run'], 'Resume is the one suggested action');
    await page.click('#resume-button');
    await waitFor(async () => !['INTERRUPTED'].includes(await phaseOf(page)), { what: 'the run to resume' });
    assert.notEqual((await rest(server, 'pedidos')).data.phase, 'INTERRUPTED');
    assert.equal(await page.locator('#restart-banner').isVisible(), false, 'the restart banner goes once the run is resumed');
    assert.equal(await page.locator('#dashboard-view.stale').count(), 0);

    // Cancel, then reset after confirming.
    await waitFor(async () => !(await page.locator('#cancel-button').isDisabled()) || (await phaseOf(page)) === 'DONE',
      { what: 'Cancel to be available' });
    if ((await phaseOf(page)) !== 'DONE') {
      await page.click('#cancel-button');
      await waitFor(async () => (await phaseOf(page)) === 'ABORTED', { timeoutMs: 30000, what: 'the run to be cancelled' });
    }
    await waitFor(async () => !(await page.locator('#reset-button').isDisabled()), { what: 'Reset to be available' });
    await page.click('#reset-button');
    await page.locator('#reset-dialog').waitFor({ state: 'visible' });
    await page.click('#reset-confirm');
    await waitFor(async () => (await rest(server, 'runs')).data.length === 0, { what: 'the history to be deleted' });
    await waitFor(async () => (await page.locator('#history-body tr').count()) === 0, { what: 'the page history to empty' });
  });
});

describe('web dashboard behind a reverse proxy at a sub-path', { timeout: 180000 }, () => {
  let dataDir;
  let server;
  let proxy;
  let browser;

  before(async () => {
    dataDir = makeDataDir();
    proxy = await startSubPathProxy('/orderly/');
    server = await startServer({ dataDir, extraArgs: ['--allow-origin', proxy.origin] });
    proxy.setUpstream(server.url);
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await proxy?.close();
    await server?.stop();
    if (dataDir)
      removeDataDir(dataDir);
  });

  test('every request stays under the sub-path, and the page goes live and controls a run', async () => {
    const { page } = await openPage(browser, { viewport: PHONE, isMobile: true });
    await page.goto(proxy.url);
    await page.locator('#login-token').waitFor({ state: 'visible' });
    // Keyboard only: the token field has the focus, Enter submits.
    await page.keyboard.type(OPERATOR_TOKEN);
    await page.keyboard.press('Enter');
    await page.locator('#dashboard-view').waitFor({ state: 'visible' });
    assert.ok(page.url().startsWith(proxy.url), `still under the sub-path: ${page.url()}`);

    await waitFor(async () => (await connectionOf(page)) === 'live', { what: 'the live connection through the proxy' });
    await page.fill('#quantity', '1000');
    await page.click('#start-button');
    await waitFor(async () => (await phaseOf(page)) === 'DONE', { timeoutMs: RUN_TIMEOUT_MS, what: 'the run to finish' });
    assert.equal(await dataValue(page, '#stat-processed'), 1000);

    const outside = proxy.requests.filter((path) => !path.startsWith('/orderly/'));
    assert.deepEqual(outside, [], 'no request left the sub-path');
    assert.ok(proxy.requests.some((path) => /^\/orderly\/ws(\?|$)/.test(path)), 'the socket went through the sub-path');
    assert.deepEqual(unexpectedProblems(page), []);
  });
});

describe('web dashboard without authentication', { timeout: 120000 }, () => {
  let dataDir;
  let server;
  let browser;

  before(async () => {
    dataDir = makeDataDir();
    server = await startServer({ dataDir, extraArgs: ['--no-auth'] });
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.stop();
    if (dataDir)
      removeDataDir(dataDir);
  });

  test('with --no-auth the page opens straight away with the operator controls', async () => {
    const { page } = await openPage(browser);
    await page.goto(server.url);
    await page.locator('#dashboard-view').waitFor({ state: 'visible' });
    assert.equal(await page.locator('#login-view').isVisible(), false);
    assert.equal(await page.locator('#controls').isVisible(), true);
    assert.equal(await page.locator('#role-badge').isVisible(), false);
    await waitFor(async () => (await connectionOf(page)) === 'live', { what: 'the live connection' });
    assert.deepEqual(unexpectedProblems(page), []);
  });
});

describe('web dashboard files', { timeout: 60000 }, () => {
  let dataDir;
  let server;

  before(async () => {
    dataDir = makeDataDir();
    server = await startServer({ dataDir });
  });

  after(async () => {
    await server?.stop();
    if (dataDir)
      removeDataDir(dataDir);
  });

  test('every file of data/web is in the resource bundle and served with its type, without a session', async () => {
    const webDir = join(repoRoot, 'data', 'web');
    const files = readdirSync(webDir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name !== 'web.gresource.xml')
      .map((entry) => relative(webDir, join(entry.parentPath ?? entry.path, entry.name)))
      .sort();
    const manifest = readFileSync(join(webDir, 'web.gresource.xml'), 'utf8');
    assert.match(manifest, /<gresource prefix="\/io\/github\/orderly\/Orderly\/web">/);
    const listed = [...manifest.matchAll(/<file[^>]*>([^<]+)<\/file>/g)].map((match) => match[1]).sort();
    assert.deepEqual(listed, files, 'web.gresource.xml lists exactly the files of data/web');

    const types = { html: 'text/html', css: 'text/css', js: 'text/javascript', svg: 'image/svg+xml' };
    for (const file of files) {
      const response = await fetch(new URL(file, server.url));
      assert.equal(response.status, 200, file);
      const type = types[file.split('.').pop()];
      assert.ok((response.headers.get('content-type') ?? '').startsWith(type), `${file} is served as ${type}`);
      assert.equal(await response.text(), readFileSync(join(webDir, file), 'utf8'), `${file} is served as written`);
    }
    const index = await fetch(server.url);
    assert.equal(index.status, 200);
    assert.equal(await index.text(), readFileSync(join(webDir, 'index.html'), 'utf8'), 'index.html is served for /');

    // No page asks for anything outside its own origin.
    for (const file of files.filter((name) => /\.(html|css|js)$/.test(name)))
      assert.doesNotMatch(readFileSync(join(webDir, file), 'utf8'), /(?:src|href)=["']?(?:https?:)?\/\/|url\(\s*["']?(?:https?:)?\/\/|import[^;]*from\s*["'](?:https?:)?\/\//, `${file} makes no third-party request`);
  });
});
