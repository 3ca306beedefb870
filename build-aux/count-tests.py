#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Counts passed and failed test cases.

  count-tests.py meson TESTLOG.json   GLib TAP cases inside each meson test
  count-tests.py tap FILE             a node --test TAP report

Prints "PASSED FAILED".
"""
import json
import re
import sys

OK = re.compile(r'^ok \d+')
NOT_OK = re.compile(r'^not ok \d+')


def count_meson(path):
    passed = failed = 0
    try:
        lines = open(path, encoding='utf-8', errors='replace').read().splitlines()
    except OSError:
        return 0, 1
    for line in lines:
        if not line.strip():
            continue
        entry = json.loads(line)
        result = entry.get('result', 'FAIL')
        p = f = 0
        for out in (entry.get('stdout') or '').splitlines():
            if NOT_OK.match(out):
                if '# TODO' not in out:
                    f += 1
            elif OK.match(out):
                if '# SKIP' not in out:
                    p += 1
        if p == 0 and f == 0:
            if result in ('OK', 'EXPECTEDFAIL'):
                p = 1
            elif result != 'SKIP':
                f = 1
        elif result not in ('OK', 'EXPECTEDFAIL', 'SKIP') and f == 0:
            f = 1  # crashed or timed out after its last reported case
        if f:
            print(f"failed: {entry.get('name')} ({result})", file=sys.stderr)
        passed += p
        failed += f
    return passed, failed


def count_tap(path):
    passed = failed = None
    try:
        text = open(path, encoding='utf-8', errors='replace').read()
    except OSError:
        return 0, 1
    for line in text.splitlines():
        m = re.match(r'^# pass (\d+)', line)
        if m:
            passed = int(m.group(1))
        m = re.match(r'^# fail (\d+)', line)
        if m:
            failed = (failed or 0) + int(m.group(1))
        m = re.match(r'^# cancelled (\d+)', line)
        if m:
            failed = (failed or 0) + int(m.group(1))
    if passed is None or failed is None:
        return passed or 0, (failed or 0) + 1
    return passed, failed


if __name__ == '__main__':
    kind, path = sys.argv[1], sys.argv[2]
    p, f = count_meson(path) if kind == 'meson' else count_tap(path)
    print(p, f)
