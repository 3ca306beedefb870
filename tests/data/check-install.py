#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Installs the build into a temporary directory and checks that every file a
desktop needs lands where it looks for it, under the application id.

Usage: check-install.py BUILD_ROOT SOURCE_ROOT APP_ID PREFIX BINDIR DATADIR MANDIR LOCALEDIR
(the directories as meson options: BINDIR and the others relative to PREFIX)
"""

import configparser
import os
import subprocess
import sys
import tempfile

SCHEMA_ID = 'io.github.orderly.Orderly'


def linguas(source_root):
    langs = []
    with open(os.path.join(source_root, 'po', 'LINGUAS'), encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0]
            langs.extend(line.split())
    return langs


def main():
    if len(sys.argv) != 9:
        print(__doc__.strip().splitlines()[-2], file=sys.stderr)
        return 2
    build_root, source_root, app_id, prefix, bindir, datadir, mandir, localedir = sys.argv[1:]

    def under_prefix(d):
        return d if os.path.isabs(d) else os.path.join(prefix, d)

    bindir, datadir, mandir, localedir = map(under_prefix, (bindir, datadir, mandir, localedir))

    expected = [
        os.path.join(bindir, 'orderly'),
        os.path.join(datadir, 'applications', app_id + '.desktop'),
        os.path.join(datadir, 'metainfo', app_id + '.metainfo.xml'),
        os.path.join(datadir, 'glib-2.0', 'schemas', SCHEMA_ID + '.gschema.xml'),
        os.path.join(datadir, 'icons', 'hicolor', 'scalable', 'apps', app_id + '.svg'),
        os.path.join(datadir, 'icons', 'hicolor', 'symbolic', 'apps', app_id + '-symbolic.svg'),
        os.path.join(datadir, 'dbus-1', 'services', app_id + '.service'),
        os.path.join(mandir, 'man1', 'orderly.1'),
    ]
    for lang in linguas(source_root):
        expected.append(os.path.join(localedir, lang, 'LC_MESSAGES', 'orderly.mo'))

    errors = []
    with tempfile.TemporaryDirectory(prefix='orderly-install-') as destdir:
        env = dict(os.environ)
        env.pop('DESTDIR', None)
        result = subprocess.run(['meson', 'install', '-C', build_root, '--destdir', destdir,
                                 '--no-rebuild', '--quiet'],
                                env=env, capture_output=True, text=True)
        if result.returncode != 0:
            print(result.stdout, result.stderr, sep='\n')
            if 'could not be found' in result.stderr:
                print('(build everything first: meson compile -C BUILD_DIR)')
            print(f'FAIL: meson install exited with {result.returncode}')
            return 1

        def staged(path):
            return os.path.join(destdir, os.path.relpath(path, '/'))

        for path in expected:
            if not os.path.isfile(staged(path)):
                errors.append(f'not installed: {path}')

        binary = staged(expected[0])
        if os.path.isfile(binary) and not os.access(binary, os.X_OK):
            errors.append(f'{expected[0]} is not executable')

        # The desktop file, its icon and its D-Bus activation must agree on the id.
        desktop = staged(expected[1])
        if os.path.isfile(desktop):
            entry = configparser.ConfigParser(interpolation=None)
            entry.optionxform = str
            entry.read(desktop, encoding='utf-8')
            group = entry['Desktop Entry']
            if group.get('Icon') != app_id:
                errors.append(f'the desktop file names icon {group.get("Icon")!r}, expected {app_id!r}')
            if group.get('DBusActivatable') != 'true':
                errors.append('the desktop file is not DBusActivatable')

        service = staged(expected[6])
        if os.path.isfile(service):
            entry = configparser.ConfigParser(interpolation=None)
            entry.optionxform = str
            entry.read(service, encoding='utf-8')
            group = entry['D-BUS Service']
            if group.get('Name') != app_id:
                errors.append(f'the D-Bus service is named {group.get("Name")!r}, expected {app_id!r}')
            exec_line = group.get('Exec', '')
            if exec_line.split()[:1] != [expected[0]]:
                errors.append(f'the D-Bus service runs {exec_line!r}, not the installed {expected[0]}')
            if '--gapplication-service' not in exec_line.split():
                errors.append('the D-Bus service does not pass --gapplication-service')

        metainfo = staged(expected[2])
        if os.path.isfile(metainfo):
            with open(metainfo, encoding='utf-8') as f:
                text = f.read()
            if f'<id>{app_id}</id>' not in text:
                errors.append(f'the metainfo id is not {app_id}')
            if f'<launchable type="desktop-id">{app_id}.desktop</launchable>' not in text:
                errors.append(f'the metainfo does not launch {app_id}.desktop')

    if errors:
        for e in errors:
            print(e)
        print(f'FAIL: {len(errors)} problem(s)')
        return 1
    for path in expected:
        print(f'installed: {path}')
    print(f'ok: {len(expected)} expected file(s) installed')
    return 0


if __name__ == '__main__':
    sys.exit(main())
