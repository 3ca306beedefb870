// SPDX-License-Identifier: GPL-3.0-or-later
// Orderly's web dashboard: sign-in, the live view, operator controls, history and clients.

import { ApiError, getClients, getRuns, getSession, getStatus, request } from './api.js';
import { ThroughputChart } from './chart.js';
import * as format from './format.js';
import { LiveConnection } from './live.js';
import { LogView, logsFromRest, normalizeLog } from './logs.js';

const LOGIN_ATTEMPT_KEY = 'orderly-login-attempt';
const THEME_KEY = 'orderly-theme';
const CLIENTS_REFRESH_MS = 10000;

const $ = (id) => document.getElementById(id);

const state = {
  status: null,
  message: '',
  role: 'operator',
  busy: false,
  lastPhase: null,
};

const live = new LiveConnection();
let logView = null;
let chart = null;
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

const num = (value) => (Number.isFinite(Number(value)) && value !== null ? Number(value) : 0);

function processedCounts ()
{
  const processing = state.status?.processing ?? {};
  return { run: state.status?.runId ?? null, vip: num(processing.vip?.count), normal: num(processing.normal?.count) };
}

function overallPercent (status)
{
  if (status.phase === 'DONE')
    return 100;
  const fromEta = Number(status.eta?.progressPercent);
  if (Number.isFinite(fromEta) && status.eta?.progressPercent !== null)
    return fromEta;
  const target = num(status.progress?.target);
  return target > 0 ? (num(status.progress?.processedTotal) / target) * 100 : 0;
}

function renderStatus ()
{
  const status = state.status;
  if (!status)
    return;
  const phase = status.phase ?? 'IDLE';

  const badge = $('phase');
  badge.textContent = format.phaseLabel(phase);
  badge.dataset.phase = phase;
  badge.dataset.kind = format.phaseKind(phase);

  // Some messages only repeat the phase, which the badge already shows.
  const message = state.message && state.message.replaceAll(' ', '_').toUpperCase() !== phase ? state.message : '';
  $('status-message').textContent = message;
  const error = typeof status.error === 'string' && status.error ? status.error : '';
  $('status-error').textContent = error ? `The run failed: ${error}` : '';
  $('status-error').hidden = !error;

  const target = num(status.progress?.target);
  const generated = num(status.progress?.generated);
  const processed = num(status.progress?.processedTotal);
  const percent = overallPercent(status);
  setValue('overall-percent', percent, format.percent(percent));
  setProgress('overall-progress', percent);
  // The percentage covers the whole run (generation included); the caption says where it is.
  $('overall-caption').textContent = target <= 0 ? 'No run yet'
    : phase === 'GENERATING' ? `of the run · ${format.number(generated)} of ${format.number(target)} orders generated`
    : `of the run · ${format.number(processed)} of ${format.number(target)} orders processed`;

  setValue('stat-target', target, format.number(target));
  setValue('stat-generated', generated, format.number(generated));
  setValue('stat-processed', processed, format.number(processed));
  const eta = status.eta?.estimatedMs;
  $('stat-eta').textContent = format.isRunning(phase) && eta !== null && Number.isFinite(Number(eta))
    ? format.duration(Number(eta)) : '—';
  setValue('stat-total-time', num(status.totalTimeMs), status.totalTimeMs ? format.duration(num(status.totalTimeMs)) : '—');
  setValue('stat-throughput', num(status.throughput?.overall), format.rate(num(status.throughput?.overall)));

  for (const priority of ['vip', 'normal']) {
    const total = num(status.counts?.[priority]);
    const done = num(status.processing?.[priority]?.count);
    setValue(`${priority}-processed`, done, format.number(done));
    setValue(`${priority}-count`, total, format.number(total));
    setProgress(`${priority}-progress`, total > 0 ? (done / total) * 100 : 0);
    const timeMs = num(status.processing?.[priority]?.timeMs);
    $(`${priority}-time`).textContent = timeMs ? format.duration(timeMs) : 'not started';
    $(`${priority}-throughput`).textContent = format.rate(num(status.throughput?.[priority]));
  }

  // A step that took no measurable time still reads as done once the run is past it.
  const timing = (id, value, step) => {
    const ms = num(value);
    const done = ms > 0 || (step && format.isPastStep(phase, step));
    setValue(id, ms, done ? (ms >= 1 ? format.duration(ms) : '< 1 ms') : '—');
  };
  timing('time-generation', status.generationTimeMs, 'GENERATING');
  timing('time-enqueue-vip', status.enqueueVipTimeMs, 'ENQUEUE_VIP');
  timing('time-enqueue-normal', status.enqueueNormalTimeMs, 'ENQUEUE_NORMAL');
  timing('time-vip', status.processing?.vip?.timeMs, 'WAITING_VIP_DRAIN');
  timing('time-normal', status.processing?.normal?.timeMs, 'WAITING_NORMAL_DRAIN');
  timing('time-total', status.totalTimeMs, null);

  updateControls();
  noticePhaseChange(phase);
}

function noticePhaseChange (phase)
{
  const previous = state.lastPhase;
  state.lastPhase = phase;
  if (previous === phase)
    return;
  // A run started or ended: the history changed.
  if (previous !== null && (format.phaseKind(phase) !== 'running' || phase === 'GENERATING'))
    refreshHistory();
}

function applyStatus (status, message)
{
  if (!status || typeof status !== 'object' || !status.phase)
    return;
  state.status = status;
  if (typeof message === 'string' && message)
    state.message = message;
  else if (typeof status.message === 'string' && status.message)
    state.message = status.message;
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

function updateControls ()
{
  const phase = state.status?.phase ?? 'IDLE';
  const running = format.isRunning(phase);
  const force = $('force').checked;
  // Nothing can be sent while the server is out of reach.
  const blocked = state.busy || live.state === 'offline';
  $('start-button').disabled = blocked || (running && !force);
  $('cancel-button').disabled = blocked || !running;
  $('reset-button').disabled = blocked || running;
  $('resume-button').hidden = phase !== 'INTERRUPTED';
  // Resuming is then the expected next step; a new run stays possible.
  $('start-button').classList.toggle('suggested', phase !== 'INTERRUPTED');
  $('resume-button').disabled = blocked;
}

// Sends a control over the socket when it is up, over REST otherwise.
async function command (event, path, body, doneText)
{
  if (state.busy)
    return;
  state.busy = true;
  updateControls();
  try {
    const answer = live.isOpen
      ? await live.send(event, body)
      : await request(path, { method: 'POST', body });
    toast(answer?.message || doneText);
    if (answer?.phase && state.status && answer.phase !== state.status.phase)
      applyStatus({ ...state.status, phase: answer.phase }, answer.message);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401)
      showLogin('Your session has expired. Sign in again.');
    else
      toast(error instanceof ApiError ? error.message : String(error), { error: true });
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
    for (const chip of chips)
      chip.setAttribute('aria-pressed', String(chip.dataset.quantity === quantity.value));
  };
  for (const chip of chips) {
    chip.addEventListener('click', () => {
      quantity.value = chip.dataset.quantity;
      markChip();
    });
  }
  quantity.addEventListener('input', markChip);
  markChip();
  $('start-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('quantity');
    const quantity = Number(input.value);
    if (!Number.isInteger(quantity) || quantity < 1 || quantity > 50000000) {
      toast('Enter a whole number of orders between 1 and 50,000,000.', { error: true });
      input.focus();
      return;
    }
    command('start-generation', 'generate', { quantity, force: $('force').checked }, 'Run started.');
  });
  $('cancel-button').addEventListener('click', () => command('cancel-operation', 'cancel', {}, 'Run cancelled.'));
  $('resume-button').addEventListener('click', () => command('resume-run', 'resume', {}, 'Run resumed.'));
  const dialog = $('reset-dialog');
  $('reset-button').addEventListener('click', () => dialog.showModal());
  dialog.addEventListener('close', () => {
    if (dialog.returnValue === 'confirm')
      command('reset-system', 'reset', {}, 'Orders and history deleted.');
    dialog.returnValue = '';
  });
}

/* History and clients */

function pick (object, ...paths)
{
  for (const path of paths) {
    const value = path.split('.').reduce((current, key) => current?.[key], object);
    if (value !== undefined && value !== null && value !== '')
      return value;
  }
  return undefined;
}

function cell (label, text, className)
{
  const td = document.createElement('td');
  td.dataset.label = label;
  if (className)
    td.className = className;
  if (text instanceof Node)
    td.append(text);
  else
    td.textContent = text;
  return td;
}

async function refreshHistory ()
{
  let runs;
  try {
    runs = await getRuns();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401)
      return;
    $('history-empty').hidden = false;
    $('history-empty').textContent = `The history could not be loaded. ${error.message}`;
    return;
  }
  if (!Array.isArray(runs))
    runs = Array.isArray(runs?.runs) ? runs.runs : [];
  const started = (run) => format.toDate(pick(run, 'startedAt', 'started_at', 'createdAt', 'created_at', 'start', 'startTime'))?.getTime() ?? 0;
  runs = [...runs].sort((a, b) => started(b) - started(a) || num(pick(b, 'id', 'runId')) - num(pick(a, 'id', 'runId')));

  const body = $('history-body');
  const rows = runs.slice(0, 100).map((run, index) => {
    const phase = pick(run, 'phase', 'status', 'state') ?? '';
    const badge = document.createElement('span');
    badge.className = 'phase-badge';
    badge.dataset.kind = format.phaseKind(phase);
    badge.textContent = format.phaseLabel(phase);
    const vip = pick(run, 'counts.vip', 'vipCount', 'vip_count', 'vip');
    const normal = pick(run, 'counts.normal', 'normalCount', 'normal_count', 'normal');
    const orders = pick(run, 'quantity', 'target', 'total', 'progress.target');
    const total = pick(run, 'totalTimeMs', 'total_time_ms', 'timings.totalTimeMs');
    const row = document.createElement('tr');
    row.append(
      cell('Run', `#${pick(run, 'id', 'runId', 'run_id') ?? runs.length - index}`),
      cell('Started', format.dateTime(pick(run, 'startedAt', 'started_at', 'createdAt', 'created_at', 'start', 'startTime'))),
      cell('Phase', badge),
      cell('Orders', format.number(num(orders)), 'num'),
      cell('VIP', typeof vip === 'object' ? '—' : format.number(num(vip)), 'num'),
      cell('Normal', typeof normal === 'object' ? '—' : format.number(num(normal)), 'num'),
      cell('Total time', total ? format.duration(num(total)) : '—', 'num'),
    );
    return row;
  });
  body.replaceChildren(...rows);
  $('history-empty').textContent = 'No runs yet.';
  $('history-empty').hidden = rows.length > 0;
}

async function refreshClients ()
{
  clearTimeout(clientsTimer);
  if (state.role !== 'operator' || $('dashboard-view').hidden)
    return;
  try {
    let clients = await getClients();
    if (!Array.isArray(clients))
      clients = Array.isArray(clients?.clients) ? clients.clients : [];
    const items = clients.map((client) => {
      const item = document.createElement('li');
      const title = document.createElement('span');
      title.className = 'client-title';
      const transport = pick(client, 'transport', 'kind') ?? '';
      title.textContent = [pick(client, 'address', 'remoteAddress', 'ip') ?? 'unknown address', transport].filter(Boolean).join(' · ');
      const tag = document.createElement('span');
      tag.className = 'client-tag';
      tag.textContent = pick(client, 'role') ?? '';
      const agent = document.createElement('span');
      agent.className = 'client-agent';
      const since = pick(client, 'since', 'connectedAt', 'connected_at');
      agent.textContent = [since ? `since ${format.dateTime(since)}` : '', pick(client, 'userAgent', 'user_agent', 'agent') ?? '']
        .filter(Boolean).join(' — ');
      item.append(title, tag, agent);
      return item;
    });
    $('clients-list').replaceChildren(...items);
    $('clients-empty').textContent = 'No remote clients.';
    $('clients-empty').hidden = items.length > 0;
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
  live.addEventListener('unauthorized', () => showLogin('Your session has expired. Sign in again.'));
  live.addEventListener('restarted', () => {
    const time = format.clockTime(Date.now());
    $('restart-banner-text').textContent = `Orderly restarted (noticed at ${time}). The figures below come from the new instance.`;
    $('restart-banner').hidden = false;
    state.message = '';
    chart?.resetBaseline();
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
  chart = new ThroughputChart($('throughput-chart'), processedCounts);
  if (operator)
    setupControls();
  setupLive();

  showView('dashboard');
  if (status) {
    live.noteInstance(status.instanceId);
    applyStatus(status);
  }
  chart.start();
  live.start();
  renderConnection();
  refreshHistory();
  refreshClients();
}

boot();
