#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Runs `orderly --help` in Brazilian Portuguese and checks that the
descriptions of Orderly's own options come out translated.

The catalog is compiled from po/pt_BR.po into a locale tree under WORK_DIR,
which the program reads through ORDERLY_LOCALEDIR, so no installation is
needed. When the system has no pt_BR.UTF-8 locale, one is generated under
WORK_DIR with localedef and found through LOCPATH.

Exit status 77 (skipped) when there is no program or translation to test yet.

Usage: check-help-translation.py PROGRAM SOURCE_ROOT WORK_DIR
"""

import os
import re
import shutil
import subprocess
import sys

LANG = 'pt_BR'
DOMAIN = 'orderly'
SKIP = 77

# Orderly's own options, which the program documents in --help.
OPTIONS = ['--headless', '--bind', '--port', '--data-dir', '--database', '--workers', '--work-us', '--failure-rate', '--lease-ms',
           '--tls-cert', '--tls-key', '--allow-origin', '--no-auth', '--version']


def skip(reason):
    print(f'SKIP: {reason}')
    sys.exit(SKIP)


def parse_po(path):
    """msgid → msgstr for the translated, non-fuzzy singular entries."""
    catalog = {}
    entry, field, fuzzy = {}, None, False

    def flush():
        if entry.get('msgid') and entry.get('msgstr') and not fuzzy:
            catalog[entry['msgid']] = entry['msgstr']

    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.strip()
            if not line:
                flush()
                entry, field, fuzzy = {}, None, False
            elif line.startswith('#,'):
                fuzzy = 'fuzzy' in line
            elif line.startswith('#'):
                continue
            else:
                m = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[0\])?)\s+"(.*)"$', line)
                if m:
                    field = m.group(1).replace('[0]', '')
                    entry[field] = m.group(2)
                elif line.startswith('"') and field:
                    entry[field] += line[1:-1]
    flush()
    escapes = {'n': '\n', 't': '\t', '"': '"', '\\': '\\'}

    def unescape(text):
        return re.sub(r'\\(.)', lambda m: escapes.get(m.group(1), m.group(0)), text)

    return {unescape(k): unescape(v) for k, v in catalog.items()}


def option_lines(text):
    """--option → the rest of its line in --help output (argument and description)."""
    found = {}
    for line in text.splitlines():
        m = re.match(r'^\s+(?:-\w,\s+)?(--[\w-]+)(?:=\S+)?\s+(.*)$', line)
        if m:
            found[m.group(1)] = m.group(2).strip()
    return found


def ensure_locale(work_dir, env):
    names = subprocess.run(['locale', '-a'], capture_output=True, text=True).stdout.split()
    if any(n.lower().replace('-', '') in ('pt_br.utf8',) for n in names):
        return
    locpath = os.path.join(work_dir, 'locales')
    target = os.path.join(locpath, LANG + '.UTF-8')
    if not os.path.isdir(target):
        os.makedirs(locpath, exist_ok=True)
        result = subprocess.run(['localedef', '-i', LANG, '-f', 'UTF-8', target],
                                capture_output=True, text=True)
        if result.returncode not in (0, 1) or not os.path.isdir(target):
            skip(f'no {LANG}.UTF-8 locale on this system and localedef failed: {result.stderr.strip()}')
    env['LOCPATH'] = locpath


def main():
    if len(sys.argv) != 4:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    program, source_root, work_dir = sys.argv[1:]

    if not os.access(program, os.X_OK):
        skip(f'{program} is not built')
    po_file = os.path.join(source_root, 'po', LANG + '.po')
    if not os.path.isfile(po_file):
        skip(f'po/{LANG}.po does not exist yet')
    main_c = os.path.join(source_root, 'src', 'main.c')
    with open(main_c, encoding='utf-8', errors='replace') as f:
        if 'ORDERLY_LOCALEDIR' not in f.read():
            skip('src/main.c does not read ORDERLY_LOCALEDIR yet, so the program '
                 'cannot be pointed at an uninstalled catalog')

    locale_dir = os.path.join(work_dir, 'locale')
    mo_dir = os.path.join(locale_dir, LANG, 'LC_MESSAGES')
    os.makedirs(mo_dir, exist_ok=True)
    subprocess.run(['msgfmt', '--check', '-o', os.path.join(mo_dir, DOMAIN + '.mo'), po_file],
                   check=True)

    base_env = {k: v for k, v in os.environ.items()
                if not k.startswith('LC_') and k not in ('LANG', 'LANGUAGE', 'LOCPATH')}
    base_env['ORDERLY_LOCALEDIR'] = locale_dir

    english = subprocess.run([program, '--help'], env=dict(base_env, LC_ALL='C.UTF-8'),
                             capture_output=True, text=True, timeout=30)
    if english.returncode != 0:
        print(english.stdout, english.stderr, sep='\n')
        print(f'FAIL: {program} --help exited with {english.returncode}')
        return 1

    pt_env = dict(base_env, LANGUAGE=LANG, LANG=LANG + '.UTF-8')
    ensure_locale(work_dir, pt_env)
    portuguese = subprocess.run([program, '--help'], env=pt_env,
                                capture_output=True, text=True, timeout=30)
    print(portuguese.stdout)
    if portuguese.returncode != 0:
        print(portuguese.stderr)
        print(f'FAIL: {program} --help in {LANG} exited with {portuguese.returncode}')
        return 1

    catalog = parse_po(po_file)
    en_lines = option_lines(english.stdout)
    pt_lines = option_lines(portuguese.stdout)
    errors = []
    for option in OPTIONS:
        if option not in en_lines:
            errors.append(f'{option} is not documented by --help')
            continue
        description = en_lines[option]
        # The description is the longest catalog message the line contains
        # (shorter ones may be its argument name, such as "N").
        matches = sorted((msgid for msgid in catalog if len(msgid) > 3 and msgid in description),
                         key=len, reverse=True)
        translated = catalog[matches[0]] if matches and catalog[matches[0]] != matches[0] else None
        if translated is None:
            errors.append(f'po/{LANG}.po has no translation for the help of {option}: {description!r}')
        elif translated not in pt_lines.get(option, ''):
            errors.append(f'{option} is shown as {pt_lines.get(option)!r} in {LANG}, '
                          f'expected it to contain {translated!r}')

    if errors:
        for e in errors:
            print(e)
        print(f'FAIL: {len(errors)} option(s) not shown in {LANG}')
        return 1
    print(f'ok: the help of {len(OPTIONS)} options is shown in {LANG}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
