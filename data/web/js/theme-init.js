// SPDX-License-Identifier: GPL-3.0-or-later
// Applies a saved light/dark choice before the first paint, so the page never flashes
// in the wrong style. Loaded as a classic script on purpose: modules run too late.
(function () {
  try {
    var theme = localStorage.getItem('orderly-theme');
    if (theme === 'light' || theme === 'dark')
      document.documentElement.dataset.theme = theme;
  } catch (e) {
    // Storage can be unavailable (private mode, disabled cookies): follow the system.
  }
})();
