// SPDX-License-Identifier: GPL-3.0-or-later
// The log view: a bounded list of lines with a level filter and a search.

import { LEVELS, logTime, toDate } from './format.js';

export const MAX_LOG_ROWS = 2000;
const LEADING_TIME = /^\[?(\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})?)\]?\s*[-:]?\s*/;

function normalizeLevel (level, fallback)
{
  switch (String(level ?? '').toLowerCase()) {
  case 'warn': case 'warning':
    return 'warn';
  case 'error': case 'fatal': case 'critical':
    return 'error';
  case 'log': case 'info': case 'debug': case 'message':
    return 'log';
  default:
    return fallback;
  }
}

// Accepts a log line as the live events carry it ({timestamp, level, message, ...}) or
// as a plain string from the REST logs, possibly starting with its own timestamp.
export function normalizeLog (raw, fallbackLevel = 'log')
{
  if (raw && typeof raw === 'object') {
    const time = toDate(raw.timestamp ?? raw.time)?.getTime() ?? Date.now();
    let message = raw.message ?? raw.msg ?? '';
    if (typeof message !== 'string')
      message = JSON.stringify(message);
    return {
      time,
      level: normalizeLevel(raw.level, fallbackLevel),
      message,
      category: typeof raw.category === 'string' ? raw.category : '',
      instance: typeof raw.instance === 'string' ? raw.instance : '',
    };
  }
  let message = String(raw ?? '');
  let time = null;
  const match = LEADING_TIME.exec(message);
  if (match) {
    time = toDate(match[1])?.getTime() ?? null;
    message = message.slice(match[0].length);
  }
  return { time: time ?? Date.now(), level: fallbackLevel, message, category: '' };
}

// The REST answer: `entries` holds whole lines in order, with their levels and
// categories, as the live events carry them; a server without it gives the three
// levels apart as text, which are put back in time order.
export function logsFromRest (body)
{
  const entries = body?.entries;
  if (Array.isArray(entries) && entries.length > 0 && typeof entries[0] === 'object')
    return entries.map((raw) => normalizeLog(raw));

  const groups = body?.logs ?? {};
  const lines = [];
  const add = (list, level) => {
    if (Array.isArray(list))
      for (const raw of list)
        lines.push(normalizeLog(raw, level));
  };
  add(groups.logMessages, 'log');
  add(groups.warnMessages, 'warn');
  add(groups.errorMessages, 'error');
  lines.sort((a, b) => a.time - b.time);
  return lines;
}

export class LogView
{
  #entries = [];
  #keys = new Map();
  #level = 'all';
  #query = '';
  #follow = true;
  #scrollQueued = false;

  constructor ({ list, view, empty, summary, levelGroup, search, follow })
  {
    this.list = list;
    this.view = view;
    this.empty = empty;
    this.summary = summary;
    this.followBox = follow;

    levelGroup.addEventListener('change', (event) => {
      this.#level = event.target.value;
      this.#rebuild();
    });
    search.addEventListener('input', () => {
      this.#query = search.value.trim().toLowerCase();
      this.#rebuild();
    });
    follow.addEventListener('change', () => {
      this.#follow = follow.checked;
      if (this.#follow)
        this.#scrollToEnd();
    });
    view.addEventListener('scroll', () => {
      const atEnd = view.scrollHeight - view.scrollTop - view.clientHeight < 24;
      if (atEnd !== this.#follow) {
        this.#follow = atEnd;
        follow.checked = atEnd;
      }
    }, { passive: true });
    this.#updateSummary();
  }

  get size () { return this.#entries.length; }

  // Instance id → host, for the tag of a line from another instance of the cluster.
  hosts = new Map();

  // Adds normalized lines; lines already shown (same time, level and text) are skipped,
  // which lets polled tails overlap what the socket already delivered.
  add (lines)
  {
    const fragment = document.createDocumentFragment();
    for (const line of lines) {
      const key = `${line.time}|${line.level}|${line.instance ?? ''}|${line.message}`;
      if (line.level !== 'note' && this.#keys.has(key))
        continue;
      const host = line.instance ? (this.hosts.get(line.instance) ?? line.instance.slice(0, 8)) : '';
      const entry = { ...line, host, key, search: `${line.category} ${host} ${line.message}`.toLowerCase(), node: null };
      this.#entries.push(entry);
      this.#keys.set(key, (this.#keys.get(key) ?? 0) + 1);
      if (this.#matches(entry))
        fragment.append(this.#render(entry));
    }
    this.#trim();
    this.list.append(fragment);
    this.#updateSummary();
    if (this.#follow)
      this.#scrollToEnd();
  }

  note (message)
  {
    this.add([{ time: Date.now(), level: 'note', message, category: '' }]);
  }

  #trim ()
  {
    const excess = this.#entries.length - MAX_LOG_ROWS;
    if (excess <= 0)
      return;
    for (const entry of this.#entries.splice(0, excess)) {
      entry.node?.remove();
      const count = this.#keys.get(entry.key) - 1;
      if (count > 0)
        this.#keys.set(entry.key, count);
      else
        this.#keys.delete(entry.key);
    }
  }

  #matches (entry)
  {
    if (this.#level !== 'all' && entry.level !== this.#level)
      return false;
    return !this.#query || entry.search.includes(this.#query);
  }

  #render (entry)
  {
    const row = document.createElement('li');
    row.className = 'log-row';
    row.dataset.level = entry.level;

    const time = document.createElement('time');
    time.className = 'log-time';
    time.dateTime = new Date(entry.time).toISOString();
    time.textContent = logTime(entry.time);

    const level = document.createElement('span');
    level.className = 'log-level';
    level.textContent = LEVELS[entry.level] ?? entry.level;

    const category = document.createElement('span');
    category.className = 'log-category';
    this.#highlight(category, entry.category);
    if (entry.host) {
      const tag = document.createElement('span');
      tag.className = 'log-instance';
      tag.title = `From the instance ${entry.instance}`;
      this.#highlight(tag, entry.host);
      category.append(tag);
    }

    const message = document.createElement('span');
    message.className = 'log-message';
    this.#highlight(message, entry.message);

    row.append(time, level, category, message);
    entry.node = row;
    return row;
  }

  #highlight (element, text)
  {
    if (!this.#query) {
      element.textContent = text;
      return;
    }
    const lower = text.toLowerCase();
    let from = 0;
    for (let at = lower.indexOf(this.#query); at !== -1; at = lower.indexOf(this.#query, from)) {
      element.append(text.slice(from, at));
      const mark = document.createElement('mark');
      mark.textContent = text.slice(at, at + this.#query.length);
      element.append(mark);
      from = at + this.#query.length;
    }
    element.append(text.slice(from));
  }

  #rebuild ()
  {
    const fragment = document.createDocumentFragment();
    for (const entry of this.#entries) {
      entry.node = null;
      if (this.#matches(entry))
        fragment.append(this.#render(entry));
    }
    this.list.replaceChildren(fragment);
    this.#updateSummary();
    if (this.#follow)
      this.#scrollToEnd();
  }

  #updateSummary ()
  {
    const shown = this.list.childElementCount;
    const total = this.#entries.length;
    this.empty.hidden = shown > 0;
    this.empty.textContent = total === 0 ? 'No log lines yet.' : 'No lines match the filter.';
    const lines = (n) => `${n.toLocaleString()} ${n === 1 ? 'line' : 'lines'}`;
    this.summary.textContent = shown === total ? lines(total) : `${shown.toLocaleString()} of ${lines(total)}`;
  }

  #scrollToEnd ()
  {
    if (this.#scrollQueued)
      return;
    this.#scrollQueued = true;
    requestAnimationFrame(() => {
      this.#scrollQueued = false;
      this.view.scrollTop = this.view.scrollHeight;
    });
  }
}
