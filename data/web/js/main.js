// SPDX-License-Identifier: GPL-3.0-or-later
// Orderly's web dashboard: sign-in, the live view, operator controls, history and clients.
// It says everything as the window does (format.js), and reads the status in one place
// (status.js).

import { ApiError, getClients, getRunProof, getRunSamples, getRuns, getSession, getStatus, request } from './api.js';
import { ThroughputChart } from './chart.js';
import { renderClients } from './clients.js';
import { hostsOf, renderCluster } from './cluster.js';
import * as format from './format.js';
import { HistoryView } from './history.js';
import { LiveConnection } from './live.js';
import { LogView, logsFromRest, normalizeLog } from './logs.js';
import { createRibbon, updateRibbon } from './ribbon.js';
import { readStatus } from './status.js';

const LOGIN_ATTEMPT_KEY = 'orderly-login-attempt';
const THEME_KEY = 'orderly-theme';
const CLIENTS_REFRESH_MS = 10000;

const $ = (id) => document.getElementById(id);

const state = {
  status: null,       // as the server sent it
  view: null,         // as status.js reads it
  message: '',
  role: 'operator',
  busy: false,
  lastPhase: null,
  clientId: null,     // this page's own connection, from the `connected` event
  restartedAt: 0,
  tokensReplaced: false,  // the page's session ended with the old tokens
};

const live = new LiveConnection();
let logView = null;
let chart = null;
let history = null;
let ribbon = null;
let clientsTimer = 0;

/* Views */

function showView (name)
{
  $('loading-view').hidden = name !== 'loading';
  $('login-view').hidden = name !== 'login';
  $('dashboard-view').hidden = name !== 'dashboard';
  $('connection').hidden = name !== 'dashboard';
}

function showLogin (errorText = '')
{
  live.stop();
  clearTimeout(clientsTimer);
  clearTimeout(retryTimer);
  $('offline-banner').hidden = true;
  $('role-badge').hidden = true;
  showView('login');
  const error = $('login-error');
  error.textContent = errorText;
  error.hidden = !errorText;
  $('login-token').focus();
}

/* Toasts */

function toast (text, { error = false } = {})
{
  const item = document.createElement('div');
  item.className = error ? 'toast error' : 'toast';
  item.setAttribute('role', error ? 'alert' : 'status');
  const label = document.createElement('span');
  label.textContent = text;
  const close = document.createElement('button');
  close.type = 'button';
  close.textContent = '×';
  close.setAttribute('aria-label', 'Dismiss');
  close.addEventListener('click', () => item.remove());
  item.append(label, close);
  $('toasts').append(item);
  setTimeout(() => item.remove(), error ? 9000 : 5000);
}

/* Status */

function setValue (id, value, text)
{
  const element = $(id);
  element.dataset.value = String(value ?? '');
  element.textContent = text;
}

function setProgress (id, percent)
{
  const element = $(id);
  const value = Number.isFinite(percent) ? Math.min(100, Math.max(0, percent)) : 0;
  element.setAttribute('aria-valuenow', String(Math.round(value)));
  element.firstElementChild.style.transform = `scaleX(${value / 100})`;
}

const share = (done, total) => (total > 0 ? (done / total) * 100 : 0);

// "12.5 s left · done by 19:55:10" while the run goes; what it did once it ended.
function etaLine (view)
{
  // On hold the clock time would run away: only the work left.
  if (format.isPaused(view.phase, view.paused))
    return view.etaMs === null ? 'Paused' : `Paused · ${format.duration(Math.max(view.etaMs, 1000))} of work left`;
  if (format.isRunning(view.phase)) {
    const left = format.eta(view.etaMs);
    if (view.etaMs === null)
      return left;
    const finish = view.finishAt ?? Date.now() + view.etaMs;
    return `${left} · done by ${format.clockTime(finish)}`;
  }
  switch (view.phase) {
  case 'DONE':
    return `${format.number(view.processed)} orders in ${format.duration(view.totalMs)}`;
  case 'ABORTED': case 'ERROR': case 'INTERRUPTED':
    // A run stopped while generating has no time of its own yet.
    return view.totalMs > 0 ? `Stopped after ${format.duration(view.totalMs)}` : 'Stopped before processing began';
  default:
    return '';
  }
}

function countLine (view)
{
  if (view.phase === 'IDLE' || view.phase === 'DONE')
    return '';
  if (view.phase === 'GENERATING')
    return `${format.number(view.generated)} of ${format.number(view.target)} generated`;
  return `${format.number(view.processed)} of ${format.number(view.target)} processed`;
}

function renderStatus ()
{
  const view = state.view;
  if (!view)
    return;
  const phase = view.phase;
  const firstVisit = view.runId === null && phase === 'IDLE';

  const paused = format.isPaused(phase, view.paused);
  const badge = $('phase');
  badge.textContent = paused ? 'Paused' : format.phaseLabel(phase);
  badge.dataset.phase = phase;
  badge.dataset.paused = String(paused);
  badge.dataset.kind = paused ? 'warning' : format.phaseKind(phase);

  // The first visit: an empty state rather than a wall of zeros.
  $('dashboard-view').classList.toggle('first-visit', firstVisit);
  $('empty-state').hidden = !firstVisit;
  $('run-details').hidden = firstVisit;
  $('empty-state-text').textContent = state.role === 'operator'
    ? 'Start a run with New Run to generate orders and follow them through processing, VIP orders first.'
    : 'Runs an operator starts appear here as they go, VIP orders first.';

  $('run-line').textContent = view.runId === null ? ''
    : `Run ${view.runId} · ${format.number(view.target)} orders · ${view.workers} ${view.workers === 1 ? 'worker' : 'workers'}`;
  $('status-error').textContent = view.error ? `The run failed: ${view.error}` : '';
  $('status-error').hidden = !view.error;

  // Progress is what was processed out of the target; generating is a step of the
  // ribbon, not half the run.
  const percent = share(view.processed, view.target);
  setValue('overall-percent', percent, format.percent(percent));
  setProgress('overall-progress', percent);
  $('eta-line').textContent = etaLine(view);
  $('count-line').textContent = countLine(view);
  updateRibbon(ribbon, view.durations, { phase, remainingMs: format.isRunning(phase) ? view.etaMs : null });

  setValue('stat-target', view.target, format.number(view.target));
  setValue('stat-generated', view.generated, format.number(view.generated));
  setValue('stat-processed', view.processed, format.number(view.processed));
  setValue('stat-throughput', view.overallRate, format.rate(view.overallRate));

  for (const priority of ['vip', 'normal']) {
    const figures = view[priority];
    setValue(`${priority}-processed`, figures.processed, format.number(figures.processed));
    setValue(`${priority}-count`, figures.generated, format.number(figures.generated));
    setProgress(`${priority}-progress`, share(figures.processed, figures.generated));
    $(`${priority}-throughput`).textContent = format.rate(figures.rate);
    $(`rate-${priority}`).textContent = format.rate(figures.rate);
    const failedCount = $(`${priority}-failed`);
    failedCount.hidden = !(figures.failed > 0);
    setValue(`${priority}-failed`, figures.failed, ` · ${format.number(figures.failed)} failed`);
  }
  renderCluster($('cluster-section'), $('cluster-list'), view.cluster);
  if (logView)
    logView.hosts = hostsOf(view.cluster);
  $('failed-row').hidden = !(view.failedTotal > 0 || view.delayed > 0);
  setValue('failed-text', view.failedTotal, format.failures(view.failedTotal, view.delayed));

  const timing = (id, key, stepPhase) => {
    const ms = view.durations[key];
    setValue(id, ms, format.stepDuration(ms, phase, stepPhase));
  };
  timing('time-generation', 'generate', 'GENERATING');
  timing('time-enqueue-vip', 'queueVip', 'ENQUEUE_VIP');
  timing('time-vip', 'vip', 'WAITING_VIP_DRAIN');
  timing('time-enqueue-normal', 'queueNormal', 'ENQUEUE_NORMAL');
  timing('time-normal', 'normal', 'WAITING_NORMAL_DRAIN');
  setValue('time-total', view.totalMs, format.duration(view.totalMs));

  renderReport();
  updateControls();
  noticePhaseChange(phase);
}

// At DONE: orders, time, average and peak rates, and the change from the run before.
function renderReport ()
{
  const view = state.view;
  const done = view?.phase === 'DONE';
  $('report-card').hidden = !done;
  if (view)
    followProof(view);
  if (!done)
    return;
  const average = format.averageRate(view.processed, view.durations.vip + view.durations.normal);
  const failed = view.failedTotal > 0 ? `, ${format.number(view.failedTotal)} failed` : '';
  $('report-orders').textContent =
    `${format.number(view.processed)} processed, ${format.number(view.vip.processed)} of them VIP${failed}`;
  $('report-time').textContent = format.duration(view.totalMs);
  $('report-average').textContent = format.rate(average);
  $('report-peak').textContent = format.rate(format.peakRate(chart?.peakRate ?? 0, average));
  const previous = history?.previousDone(view.runId);
  $('report-change-stat').hidden = !previous;
  if (previous) {
    const before = format.averageRate(previous.processed, previous.durations.vip + previous.durations.normal);
    $('report-change-title').textContent = `Compared with Run ${previous.id} (${format.rate(before)})`;
    $('report-change').textContent = format.change(average, before);
  }
}

// How the finished run kept its priority, from its stored times (GET /runs/{id}/proof);
// asked again until the engine's check of the stored rows is in.
const proof = { runId: null, data: null, timer: 0, tries: 0 };
const PROOF_RETRY_MS = 1000;
const PROOF_TRIES = 30;

async function loadProof (runId)
{
  clearTimeout(proof.timer);
  let data = null;
  try {
    data = await getRunProof(runId);
  } catch {
    data = null;
  }
  if (proof.runId !== runId)
    return;
  proof.data = data;
  renderProof();
  if ((!data || data.check?.state === 'none') && ++proof.tries < PROOF_TRIES)
    proof.timer = setTimeout(() => loadProof(runId), PROOF_RETRY_MS);
}

function renderProof ()
{
  const data = proof.data;
  $('report-proof').hidden = !data;
  if (!data)
    return;
  const kept = data.vipBeforeNormal === true;
  const priority = $('report-priority');
  priority.textContent = kept ? 'Kept' : 'Not Kept';
  priority.dataset.kind = kept ? 'success' : 'error';
  $('report-priority-detail').textContent = kept
    ? 'No Normal order was processed before the last VIP one'
    : 'A Normal order was processed before the last VIP one';
  $('report-vip-wait').textContent = format.wait(data.wait?.vip?.medianMs, data.wait?.vip?.p95Ms);
  $('report-normal-wait').textContent = format.wait(data.wait?.normal?.medianMs, data.wait?.normal?.p95Ms);
  const once = $('report-once');
  const state = data.check?.state;
  once.dataset.kind = state === 'passed' ? 'success' : state === 'failed' ? 'error' : '';
  once.textContent = state === 'passed' ? 'Checked' : state === 'failed' ? 'Check Failed' : 'Checking…';
  $('report-once-detail').textContent = state === 'passed'
    ? 'The stored orders show each one processed exactly once'
    : state === 'failed' ? (data.check.message ?? '') : 'The stored orders are being checked';
}

function followProof (view)
{
  const runId = view.phase === 'DONE' ? view.runId : null;
  if (runId === proof.runId)
    return;
  clearTimeout(proof.timer);
  Object.assign(proof, { runId, data: null, tries: 0 });
  renderProof();
  if (runId !== null)
    loadProof(runId);
}

function noticePhaseChange (phase)
{
  const previous = state.lastPhase;
  state.lastPhase = phase;
  if (previous === phase)
    return;
  // A run started, resumed or ended: the history changed; a restart banner has had
  // its say once the run goes on.
  if (format.isRunning(phase) && Date.now() - state.restartedAt > 2000)
    $('restart-banner').hidden = true;
  if (previous !== null && (format.phaseKind(phase) !== 'running' || phase === 'GENERATING' || format.phaseKind(previous) !== 'running'))
    refreshHistory();
}

// A run that ended before the page could follow it is drawn from the series it kept.
let curveRequested = null;

async function loadEndedCurve (view)
{
  const ended = ['DONE', 'ABORTED', 'ERROR', 'INTERRUPTED'].includes(view.phase);
  if (!chart || !ended || view.runId === null || chart.hasCurve || curveRequested === view.runId)
    return;
  curveRequested = view.runId;
  try {
    const answer = await getRunSamples(view.runId);
    if (state.view?.runId === view.runId && chart.loadStored(view.runId, answer?.samples))
      renderReport();
  } catch {
    curveRequested = null;
  }
}

function applyStatus (status, message)
{
  if (!status || typeof status !== 'object' || !status.phase)
    return;
  state.status = status;
  state.view = readStatus(status);
  if (typeof message === 'string' && message)
    state.message = message;
  else if (typeof status.message === 'string' && status.message)
    state.message = status.message;
  chart?.add(state.view);
  loadEndedCurve(state.view);
  history?.follow(state.view);
  renderStatus();
}

function applyProgress (progress)
{
  if (!state.status || !progress)
    return;
  const status = structuredClone(state.status);
  if (progress.phase)
    status.phase = progress.phase;
  status.processing ??= { vip: {}, normal: {} };
  if (Number.isFinite(progress.vipProcessed))
    status.processing.vip = { ...status.processing.vip, count: progress.vipProcessed };
  if (Number.isFinite(progress.normalProcessed))
    status.processing.normal = { ...status.processing.normal, count: progress.normalProcessed };
  if (Number.isFinite(progress.vipProcessed) && Number.isFinite(progress.normalProcessed))
    status.progress = { ...status.progress, processedTotal: progress.vipProcessed + progress.normalProcessed };
  if (Number.isFinite(progress.progress))
    status.eta = { ...status.eta, progressPercent: progress.progress };
  applyStatus(status, progress.message);
}

/* Controls */

// One suggested action per state: Start Run when nothing goes, Resume Run for an
// interrupted run, Resume for a paused queue, none while a run goes.
function updateControls ()
{
  const phase = state.view?.phase ?? 'IDLE';
  const running = format.isRunning(phase);
  const paused = format.isPaused(phase, state.view?.paused);
  const interrupted = phase === 'INTERRUPTED';
  const force = $('force').checked;
  // Nothing can be sent while the server is out of reach.
  const blocked = state.busy || live.state === 'offline';
  $('force-row').hidden = !running;
  $('start-button').disabled = blocked || (running && !force);
  $('start-button').classList.toggle('suggested', !running && !interrupted);
  $('pause-button').hidden = !running || paused;
  $('pause-button').disabled = blocked;
  $('resume-queue-button').hidden = !paused;
  $('resume-queue-button').disabled = blocked;
  // A cancelled or failed run does not go on: nothing would process them.
  const retry = $('retry-failed-button');
  retry.hidden = state.role !== 'operator';
  retry.disabled = blocked || !(state.view?.failedTotal > 0) || phase === 'ABORTED' || phase === 'ERROR';
  $('cancel-button').disabled = blocked || !running;
  $('reset-button').disabled = blocked || running;
  $('resume-button').hidden = !interrupted;
  $('resume-button').disabled = blocked;
}

// Sends a control over the socket when it is up, over REST otherwise.
async function command (event, path, body, doneText)
{
  if (state.busy)
    return false;
  state.busy = true;
  updateControls();
  try {
    const answer = live.isOpen
      ? await live.send(event, body)
      : await request(path, { method: 'POST', body });
    // Said as the window says it, not in the server's words.
    toast(typeof doneText === 'function' ? doneText(answer) : doneText);
    if (answer?.phase && state.status && answer.phase !== state.status.phase)
      applyStatus({ ...state.status, phase: answer.phase }, answer.message);
    return true;
  } catch (error) {
    if (error instanceof ApiError && error.status === 401)
      showLogin('Your session has expired. Sign in again.');
    else
      toast(error instanceof ApiError ? error.message : String(error), { error: true });
    return false;
  } finally {
    state.busy = false;
    updateControls();
  }
}

function setupControls ()
{
  $('force').addEventListener('change', updateControls);
  const quantity = $('quantity');
  const chips = [...document.querySelectorAll('.presets .chip')];
  const markChip = () => {
    const value = format.parseCount(quantity.value);
    for (const chip of chips)
      chip.setAttribute('aria-pressed', String(Number(chip.dataset.quantity) === value));
  };
  // The quantity reads grouped, as in the window; what is typed is read back.
  const tidy = () => {
    const value = format.parseCount(quantity.value);
    if (Number.isFinite(value))
      quantity.value = format.number(value);
    markChip();
  };
  for (const chip of chips) {
    chip.addEventListener('click', () => {
      quantity.value = format.number(Number(chip.dataset.quantity));
      markChip();
    });
  }
  quantity.addEventListener('input', markChip);
  quantity.addEventListener('blur', tidy);
  tidy();
  $('start-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const count = format.parseCount(quantity.value);
    if (!Number.isInteger(count) || count < 1 || count > 50000000) {
      toast('Enter a whole number of orders between 1 and 50,000,000.', { error: true });
      quantity.focus();
      return;
    }
    const vip = Number($('vip-share').value);
    if (!Number.isInteger(vip) || vip < 0 || vip > 100) {
      toast('Enter a VIP share between 0 and 100 %.', { error: true });
      $('vip-share').focus();
      return;
    }
    tidy();
    command('start-generation', 'generate', { quantity: count, force: $('force').checked, vipPercent: vip },
      (answer) => (Number.isFinite(Number(answer?.runId))
        ? `Run ${answer.runId} started: ${format.number(count)} orders.`
        : `Run started: ${format.number(count)} orders.`)).then((started) => {
      if (started)
        $('force').checked = false;
    });
  });
  $('cancel-button').addEventListener('click', () => command('cancel-operation', 'cancel', {}, 'Run cancelled.'));
  $('resume-button').addEventListener('click', async () => {
    if (await command('resume-run', 'resume', {}, 'Run resumed.'))
      $('restart-banner').hidden = true;
  });
  $('pause-button').addEventListener('click', () => command('pause-queue', 'pedidos/queue/pause', {}, 'Processing paused.'));
  $('resume-queue-button').addEventListener('click', () =>
    command('resume-queue', 'pedidos/queue/resume', {}, 'Processing resumed.'));
  $('retry-failed-button').addEventListener('click', () => command('retry-failed', 'pedidos/queue/retry-failed', {},
    (answer) => {
      const count = Number(answer?.retried ?? answer?.data?.retried);
      if (!Number.isFinite(count))
        return 'The failed orders are back in the queue.';
      return `${format.number(count)} failed ${count === 1 ? 'order is' : 'orders are'} back in the queue.`;
    }));
  const dialog = $('reset-dialog');
  $('reset-button').addEventListener('click', () => dialog.showModal());
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'confirm')
      command('reset-system', 'reset', {}, 'All orders and runs were deleted.');
    dialog.returnValue = '';
  });
}

/* History and clients */

async function refreshHistory ()
{
  try {
    history.setRuns(await getRuns());
  } catch (error) {
    if (error instanceof ApiError && error.status === 401)
      return;
    history.showError(error.message);
    return;
  }
  if (state.view) {
    history.follow(state.view);
    renderReport();
  }
}

async function refreshClients ()
{
  clearTimeout(clientsTimer);
  if (state.role !== 'operator' || $('dashboard-view').hidden)
    return;
  try {
    const shown = renderClients($('clients-list'), await getClients(), state.clientId, disconnectClient);
    $('clients-empty').textContent = 'No remote clients are connected.';
    $('clients-empty').hidden = shown > 0;
  } catch (error) {
    if (error instanceof ApiError && error.status === 403) {
      $('clients-card').hidden = true;
      return;
    }
    $('clients-empty').hidden = false;
    $('clients-empty').textContent = `The list of clients could not be loaded. ${error.message}`;
  }
  clientsTimer = setTimeout(refreshClients, CLIENTS_REFRESH_MS);
}

// The client can come back with its link: to keep it out, replace the tokens.
async function disconnectClient (client, name)
{
  if (await command('disconnect-client', `clients/${encodeURIComponent(client.id)}/disconnect`, { id: client.id },
    `${name} disconnected.`))
    refreshClients();
}

// New tokens: every session of the old ones ends, this page's too once it has the
// answer. The new links are shown to copy, then the page signs in with the operator one.
async function rotateTokens ()
{
  if (state.busy)
    return;
  state.busy = true;
  updateControls();
  let answer;
  try {
    answer = await request('tokens/rotate', { method: 'POST', body: {} });
  } catch (error) {
    toast(error instanceof ApiError ? `The tokens were not replaced: ${error.message}` : String(error), { error: true });
    return;
  } finally {
    state.busy = false;
    updateControls();
  }
  state.tokensReplaced = true;
  live.stop();
  clearTimeout(clientsTimer);
  const link = (token) => new URL(`./?token=${encodeURIComponent(token)}`, document.baseURI).href;
  $('new-operator-link').value = answer?.operatorToken ? link(answer.operatorToken) : (answer?.operatorUrl ?? '');
  $('new-viewer-link').value = answer?.viewerToken ? link(answer.viewerToken) : (answer?.viewerUrl ?? '');
  $('links-dialog').showModal();
}

function setupTokens ()
{
  const confirm = $('rotate-dialog');
  $('rotate-tokens-button').addEventListener('click', () => confirm.showModal());
  confirm.addEventListener('close', () => {
    if (confirm.returnValue === 'confirm')
      rotateTokens();
    confirm.returnValue = '';
  });
  for (const button of document.querySelectorAll('#links-dialog [data-copy]')) {
    button.addEventListener('click', async () => {
      const field = $(button.dataset.copy);
      field.select();
      try {
        await navigator.clipboard.writeText(field.value);
        toast('Link copied.');
      } catch {
        toast('Select the link and copy it.', { error: true });
      }
    });
  }
  $('links-dialog').addEventListener('close', () => {
    const next = $('new-operator-link').value;
    if (next)
      location.assign(next);
    else
      showLogin('The access tokens were replaced. Sign in with the new operator link.');
  });
}

/* Connection */

const CONNECTION_LABELS = {
  connecting: ['Connecting…', 'Connecting to Orderly.'],
  live: ['Live', 'Receiving live updates.'],
  polling: ['Polling', 'The live connection is down; the page asks for updates every 2 seconds.'],
  offline: ['Offline', 'Orderly cannot be reached.'],
};

let retryAt = 0;
let retryTimer = 0;

function renderConnection ()
{
  const connectionState = live.state;
  const [label, detail] = CONNECTION_LABELS[connectionState] ?? CONNECTION_LABELS.offline;
  const button = $('connection');
  button.dataset.state = connectionState;
  $('connection-label').textContent = label;
  $('connection-detail').textContent = detail;
  button.title = detail;

  const down = connectionState === 'polling' || connectionState === 'offline';
  $('offline-banner').hidden = !down || $('dashboard-view').hidden;
  // Figures that no longer update are dimmed, so that nobody reads them as live.
  $('dashboard-view').classList.toggle('stale', connectionState === 'offline');
  clearTimeout(retryTimer);
  if (!down)
    return;
  const seconds = Math.max(0, Math.ceil((retryAt - Date.now()) / 1000));
  const retry = seconds > 0 ? `Reconnecting in ${seconds} s.` : 'Reconnecting…';
  $('offline-banner-text').textContent = connectionState === 'polling'
    ? `Live connection lost. Updating by polling every 2 s. ${retry}`
    : `Orderly cannot be reached. ${retry}`;
  retryTimer = setTimeout(renderConnection, 1000);
}

function setupLive ()
{
  live.addEventListener('state', () => {
    renderConnection();
    updateControls();
    if (live.state === 'live') {
      refreshHistory();
      refreshClients();
    }
  });
  live.addEventListener('retry', (event) => {
    retryAt = Date.now() + event.detail.delayMs;
    renderConnection();
  });
  live.addEventListener('unauthorized', () => {
    if (!state.tokensReplaced)
      showLogin('Your session has expired. Sign in again.');
  });
  live.addEventListener('restarted', () => {
    const time = format.clockTime(Date.now());
    $('restart-banner-text').textContent = `Orderly restarted (noticed at ${time}). The figures below come from the new instance.`;
    $('restart-banner').hidden = false;
    state.restartedAt = Date.now();
    state.message = '';
    chart?.reset();
    curveRequested = null;
    logView?.note('Orderly restarted.');
    refreshHistory();
  });
  live.addEventListener('poll', (event) => {
    applyStatus(event.detail.status);
    logView.add(logsFromRest(event.detail.logs));
  });
  live.addEventListener('message', (event) => {
    const { event: name, data } = event.detail;
    switch (name) {
    case 'connected':
      if (typeof data?.clientId === 'string')
        state.clientId = data.clientId;
      break;
    case 'status':
      applyStatus(data, data?.message);
      break;
    case 'progress':
      applyProgress(data);
      break;
    case 'logs':
      if (Array.isArray(data))
        logView.add(data.map((line) => normalizeLog(line)));
      break;
    case 'log':
      logView.add([normalizeLog(data)]);
      break;
    default:
      break;
    }
  });
  $('connection').addEventListener('click', () => live.reconnectNow());
  $('reconnect-now').addEventListener('click', () => live.reconnectNow());
  $('restart-banner-dismiss').addEventListener('click', () => { $('restart-banner').hidden = true; });
}

/* Theme */

function effectiveTheme ()
{
  const chosen = document.documentElement.dataset.theme;
  if (chosen === 'light' || chosen === 'dark')
    return chosen;
  return matchMedia('(prefers-color-scheme: dark)').matches ? 'dark' : 'light';
}

function renderThemeToggle ()
{
  const dark = effectiveTheme() === 'dark';
  const button = $('theme-toggle');
  button.setAttribute('aria-pressed', String(dark));
  const label = dark ? 'Use light style' : 'Use dark style';
  $('theme-toggle-label').textContent = label;
  button.title = label;
}

function setupTheme ()
{
  $('theme-toggle').addEventListener('click', () => {
    const next = effectiveTheme() === 'dark' ? 'light' : 'dark';
    document.documentElement.dataset.theme = next;
    try {
      localStorage.setItem(THEME_KEY, next);
    } catch {
      // Not kept across visits; still applied now.
    }
    renderThemeToggle();
    chart?.redraw();
  });
  matchMedia('(prefers-color-scheme: dark)').addEventListener('change', renderThemeToggle);
  renderThemeToggle();
}

/* Start */

function setupLogin ()
{
  $('login-form').addEventListener('submit', () => {
    try {
      sessionStorage.setItem(LOGIN_ATTEMPT_KEY, '1');
    } catch {
      // Only used to explain a refused token.
    }
  });
}

function takeLoginAttempt ()
{
  try {
    const attempted = sessionStorage.getItem(LOGIN_ATTEMPT_KEY) === '1';
    sessionStorage.removeItem(LOGIN_ATTEMPT_KEY);
    return attempted;
  } catch {
    return false;
  }
}

async function discoverSession ()
{
  try {
    const session = await getSession();
    if (session?.auth === false)
      return { role: 'operator', auth: false };
    return { role: ['operator', 'viewer'].includes(session?.role) ? session.role : 'viewer', auth: true };
  } catch (error) {
    // A server without the session endpoint leaves the decision to each request.
    return { role: error instanceof ApiError && error.status === 404 ? 'operator' : 'viewer', auth: true };
  }
}

async function boot ()
{
  setupTheme();
  setupLogin();
  showView('loading');

  let status = null;
  try {
    status = await getStatus();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      showLogin(takeLoginAttempt() ? 'That token was not accepted. Check it and try again.' : '');
      return;
    }
    if (error instanceof ApiError && error.status === 429) {
      showLogin(error.message);
      return;
    }
  }
  takeLoginAttempt();

  const session = await discoverSession();
  state.role = session.role;
  document.body.dataset.role = state.role;
  const operator = state.role === 'operator';
  $('controls').hidden = !operator;
  $('clients-card').hidden = !operator;
  $('dashboard-view').classList.toggle('viewer', !operator);
  const badge = $('role-badge');
  // Without authentication everyone is an operator; the badge would say nothing useful.
  badge.hidden = !session.auth;
  badge.textContent = operator ? 'Operator' : 'Viewer';
  badge.title = operator ? 'You can start and stop runs.' : 'You can watch; controls are for operators.';

  logView = new LogView({
    list: $('log-list'),
    view: $('log-view'),
    empty: $('log-empty'),
    summary: $('log-summary'),
    levelGroup: $('log-level'),
    search: $('log-search'),
    follow: $('log-follow'),
  });
  chart = new ThroughputChart($('throughput-chart'));
  history = new HistoryView({ body: $('history-body'), empty: $('history-empty'), loadSeries: getRunSamples });
  ribbon = createRibbon({ large: true });
  $('ribbon-slot').replaceWith(ribbon);
  $('clients-refresh').addEventListener('click', refreshClients);
  if (operator) {
    setupControls();
    setupTokens();
  }
  // Without authentication there are no tokens to replace.
  $('tokens-row').hidden = !operator || !session.auth;
  setupLive();

  showView('dashboard');
  if (status) {
    live.noteInstance(status.instanceId);
    applyStatus(status);
  }
  live.start();
  renderConnection();
  refreshHistory();
  refreshClients();
}

boot();
