#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that po/POTFILES.in names every source file with translatable
strings, and nothing that does not exist. Files listed in po/POTFILES.skip
are exempt.

A file needs translating when it marks strings with _("…") or N_("…")
(C_("…", and NC_( too), when a GtkBuilder file has translatable="yes", or
when it is a desktop entry, AppStream metainfo or GSettings schema template.

Usage: check-potfiles.py SOURCE_ROOT
"""

import os
import re
import subprocess
import sys

SCANNED_DIRS = ('src', 'data')
MARKERS = re.compile(rb'''(?:\b(?:N?C?_|g_dpgettext2?|g_dngettext|ngettext)\s*\(\s*")|translatable\s*=\s*["']yes["']''')
ALWAYS_TRANSLATED = re.compile(r'''(\.desktop\.in(\.in)?|\.metainfo\.xml\.in(\.in)?|\.appdata\.xml\.in(\.in)?|\.gschema\.xml)$''')
TEXT_SUFFIXES = ('.c', '.h', '.ui', '.blp', '.in', '.xml', '.js', '.py', '.vala')


def tracked_files(root):
    """Files under SCANNED_DIRS known to git, or every file when the tree is
    not a git checkout (a release tarball)."""
    try:
        out = subprocess.run(['git', '-C', root, 'ls-files', '-z', '--', *SCANNED_DIRS],
                             check=True, capture_output=True).stdout
        files = [f for f in out.decode().split('\0') if f]
        # A file deleted in the work tree but not yet from the index is not a source.
        return [f for f in files if os.path.isfile(os.path.join(root, f))]
    except (OSError, subprocess.CalledProcessError):
        files = []
        for top in SCANNED_DIRS:
            for dirpath, dirnames, filenames in os.walk(os.path.join(root, top)):
                dirnames[:] = [d for d in dirnames if d != 'node_modules' and not d.startswith('.')]
                for name in filenames:
                    files.append(os.path.relpath(os.path.join(dirpath, name), root))
        return files


def needs_translation(root, path):
    if ALWAYS_TRANSLATED.search(path):
        return True
    if not path.endswith(TEXT_SUFFIXES):
        return False
    with open(os.path.join(root, path), 'rb') as f:
        return MARKERS.search(f.read()) is not None


def read_potfiles(root, name='POTFILES.in'):
    listed = []
    path = os.path.join(root, 'po', name)
    if name != 'POTFILES.in' and not os.path.exists(path):
        return listed
    with open(path, encoding='utf-8') as f:
        for number, line in enumerate(f, 1):
            line = line.strip()
            if line and not line.startswith('#'):
                listed.append((number, line))
    return listed


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    root = sys.argv[1]

    listed = read_potfiles(root)
    listed_names = {name for _, name in listed}
    errors = []

    for number, name in listed:
        if not os.path.isfile(os.path.join(root, name)):
            errors.append(f'po/POTFILES.in:{number}: {name} does not exist')

    seen = set()
    for number, name in listed:
        if name in seen:
            errors.append(f'po/POTFILES.in:{number}: {name} is listed twice')
        seen.add(name)

    # po/POTFILES.skip names files whose marked strings are deliberately not
    # extracted (vendored code using its own _ function, for instance).
    skipped = {name for _, name in read_potfiles(root, 'POTFILES.skip')}
    candidates = tracked_files(root)
    missing = sorted(p for p in candidates
                     if p not in listed_names and p not in skipped
                     and needs_translation(root, p))
    for path in missing:
        errors.append(f'{path} has translatable strings but is not in po/POTFILES.in')

    if errors:
        for e in errors:
            print(e)
        print(f'FAIL: {len(errors)} problem(s) in po/POTFILES.in')
        return 1
    print(f'ok: po/POTFILES.in lists {len(listed)} file(s); '
          f'{len(candidates)} file(s) under {", ".join(SCANNED_DIRS)} checked')
    return 0


if __name__ == '__main__':
    sys.exit(main())
