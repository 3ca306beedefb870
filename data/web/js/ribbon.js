// SPDX-License-Identifier: GPL-3.0-or-later
// The phase ribbon: one bar split into the steps of a run, each as wide as it took,
// as the window's OrderlyPhaseRibbon draws it. While a run goes, the time it still
// needs follows in a lighter part, and a cursor marks now. Given `scaleMs`, the bar
// fills that much of the width, so that the ribbons of several runs compare by length.

import { STEPS, duration, eta } from './format.js';

// Below this share of the width a step is named in the tooltip only.
const LABEL_MIN_SHARE = 0.14;

export function createRibbon ({ large = false } = {})
{
  const element = document.createElement('div');
  element.className = large ? 'ribbon large' : 'ribbon';
  element.setAttribute('role', 'img');
  const bar = document.createElement('div');
  bar.className = 'ribbon-bar';
  for (const step of STEPS) {
    const segment = document.createElement('span');
    segment.className = `segment ${step.key}`;
    segment.dataset.step = step.key;
    bar.append(segment);
  }
  const rest = document.createElement('span');
  rest.className = 'segment rest';
  bar.append(rest);
  element.append(bar);
  if (large) {
    const labels = document.createElement('div');
    labels.className = 'ribbon-labels';
    for (const step of STEPS) {
      const label = document.createElement('span');
      label.dataset.step = step.key;
      labels.append(label);
    }
    element.append(labels);
  }
  return element;
}

// `durations` has one entry per step key; `remainingMs` is null when not running.
export function updateRibbon (element, durations, { phase = 'DONE', remainingMs = null, scaleMs = 0 } = {})
{
  const done = STEPS.reduce((sum, step) => sum + Math.max(0, durations[step.key] ?? 0), 0);
  const live = remainingMs !== null && remainingMs >= 0;
  const rest = live ? remainingMs : 0;
  const whole = Math.max(done + rest, scaleMs, 1);
  const segments = element.querySelectorAll('.ribbon-bar .segment');
  const lines = [];

  STEPS.forEach((step, index) => {
    const ms = Math.max(0, durations[step.key] ?? 0);
    const current = step.phase === phase;
    const segment = segments[index];
    segment.hidden = !(ms > 0 || current);
    segment.style.flexBasis = `${(ms / whole) * 100}%`;
    segment.classList.toggle('current', current);
    lines.push(`${step.short}: ${duration(ms)}`);
    const label = element.querySelector(`.ribbon-labels [data-step="${step.key}"]`);
    if (label) {
      label.hidden = segment.hidden;
      label.style.flexBasis = `max(3px, ${(ms / whole) * 100}%)`;
      label.textContent = ms / whole >= LABEL_MIN_SHARE ? `${step.short} · ${duration(ms)}` : '';
    }
  });
  const restSegment = segments[STEPS.length];
  restSegment.hidden = !live;
  restSegment.style.flexBasis = `${(rest / whole) * 100}%`;
  if (live)
    lines.push(eta(remainingMs));
  element.title = lines.join('\n');
  element.setAttribute('aria-label', `Steps of the run. ${lines.join('. ')}`);
}
