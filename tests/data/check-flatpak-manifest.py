#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks the structure of the Flatpak manifest, which cannot be built here
without the GNOME runtime.

- it is valid JSON with the application id, command and GNOME runtime;
- its sandbox holes are within what Orderly needs: network, Wayland with an
  X11 fallback (and the IPC that X11 needs), and the GPU;
- the application module is built with meson from the source tree;
- every pkg-config dependency the build asks for comes from the runtime or
  from one of the manifest's modules, unless it belongs to a feature option
  (`required: get_option('NAME')`) the manifest turns off (`-DNAME=disabled`).

Usage: check-flatpak-manifest.py SOURCE_ROOT
"""

import json
import os
import re
import sys

APP_ID = 'io.github.orderly.Orderly'
RUNTIME = 'org.gnome.Platform'
SDK = 'org.gnome.Sdk'
RUNTIME_VERSION = '47'

ALLOWED_FINISH_ARGS = {
    '--share=network',
    '--share=ipc',
    '--socket=wayland',
    '--socket=fallback-x11',
    '--device=dri',
}
REQUIRED_FINISH_ARGS = ALLOWED_FINISH_ARGS

# pkg-config modules that org.gnome.Platform 47 (with the freedesktop base it
# extends) ships, restricted to those an application like this might use.
RUNTIME_PROVIDES = {
    'glib-2.0', 'gobject-2.0', 'gio-2.0', 'gio-unix-2.0', 'gmodule-2.0',
    'gthread-2.0', 'gtk4', 'libadwaita-1', 'libsoup-3.0', 'json-glib-1.0',
    'sqlite3', 'cairo', 'pango', 'pangocairo', 'gdk-pixbuf-2.0',
    'graphene-1.0', 'graphene-gobject-1.0', 'libxml-2.0', 'zlib', 'gnutls',
    'openssl', 'libssl', 'libcrypto', 'libsecret-1', 'gsettings-desktop-schemas',
    'gtksourceview-5', 'libportal', 'libportal-gtk4', 'fontconfig', 'freetype2',
    'harfbuzz', 'libpng', 'epoxy', 'libnotify', 'gio-unix-2.0',
}
# Names meson resolves itself, without pkg-config.
MESON_BUILTIN = {'threads', 'dl', 'm', 'openmp', 'intl', 'iconv'}

DEPENDENCY_RE = re.compile(r'''\bdependency\s*\(\s*['"]([^'"]+)['"]([^)]*)\)''')
FEATURE_RE = re.compile(r'''required\s*:\s*get_option\s*\(\s*['"]([^'"]+)['"]''')


def build_dependencies(root):
    """pkg-config names passed to dependency() by the files that build the
    program (the top-level meson.build and every meson.build under src/),
    each with the feature option that makes it optional, or None."""
    files = [os.path.join(root, 'meson.build')]
    for dirpath, dirnames, filenames in os.walk(os.path.join(root, 'src')):
        dirnames.sort()
        if 'meson.build' in filenames:
            files.append(os.path.join(dirpath, 'meson.build'))
    found = {}
    for path in files:
        with open(path, encoding='utf-8') as f:
            text = f.read()
        # Drop comments so that a dependency mentioned in prose does not count.
        text = re.sub(r'#[^\n]*', '', text)
        for name, rest in DEPENDENCY_RE.findall(text):
            feature = FEATURE_RE.search(rest)
            found.setdefault(name, (os.path.relpath(path, root), feature.group(1) if feature else None))
    return found


def module_names(modules):
    for module in modules:
        if isinstance(module, str):
            # A path to a module file; its name is the file's stem.
            yield os.path.splitext(os.path.basename(module))[0]
            continue
        yield module.get('name', '')
        yield from module_names(module.get('modules', []))


def normalized(name):
    name = name.lower()
    name = re.sub(r'-\d+(\.\d+)*$', '', name)
    return name[3:] if name.startswith('lib') else name


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    root = sys.argv[1]
    path = os.path.join(root, 'flatpak', APP_ID + '.json')
    errors = []

    try:
        with open(path, encoding='utf-8') as f:
            manifest = json.load(f)
    except (OSError, json.JSONDecodeError) as e:
        print(f'FAIL: {path}: {e}')
        return 1

    def expect(key, value):
        if manifest.get(key) != value:
            errors.append(f'"{key}" is {manifest.get(key)!r}, expected {value!r}')

    app_id = manifest.get('id', manifest.get('app-id'))
    if app_id != APP_ID:
        errors.append(f'the application id is {app_id!r}, expected {APP_ID!r}')
    expect('runtime', RUNTIME)
    expect('runtime-version', RUNTIME_VERSION)
    expect('sdk', SDK)
    expect('command', 'orderly')

    finish_args = manifest.get('finish-args', [])
    if not isinstance(finish_args, list):
        errors.append('"finish-args" is not a list')
        finish_args = []
    for arg in finish_args:
        if arg not in ALLOWED_FINISH_ARGS:
            errors.append(f'finish-arg {arg!r} is not allowed: the sandbox opens only '
                          + ', '.join(sorted(ALLOWED_FINISH_ARGS)))
    for arg in sorted(REQUIRED_FINISH_ARGS - set(finish_args)):
        errors.append(f'finish-arg {arg!r} is missing')
    if len(finish_args) != len(set(finish_args)):
        errors.append('finish-args has duplicates')

    modules = manifest.get('modules', [])
    if not modules or not isinstance(modules, list):
        errors.append('"modules" is missing or empty')
        modules = []
    for module in modules:
        if isinstance(module, dict) and not module.get('name'):
            errors.append('a module has no name')
    app = modules[-1] if modules and isinstance(modules[-1], dict) else {}
    if app.get('name') != 'orderly':
        errors.append('the last module must be "orderly", the application itself')
    if app.get('buildsystem') != 'meson':
        errors.append(f'the application module uses buildsystem {app.get("buildsystem")!r}, expected "meson"')
    sources = app.get('sources', [])
    if not any(isinstance(s, dict) and s.get('type') == 'dir' and s.get('path') == '..'
               for s in sources):
        errors.append('the application module must build the source tree: a source {"type": "dir", "path": ".."}')
    for opt in app.get('config-opts', []):
        if opt.startswith('-Dprofile=') and opt != '-Dprofile=default':
            errors.append(f'the manifest builds {opt}, but its id is the release id')

    provided_by_modules = {normalized(n) for n in module_names(modules[:-1]) if n}
    config_opts = app.get('config-opts', [])
    for dep, (where, feature) in sorted(build_dependencies(root).items()):
        if dep in MESON_BUILTIN or dep in RUNTIME_PROVIDES:
            continue
        if feature is not None and f'-D{feature}=disabled' in config_opts:
            continue
        if normalized(dep) in provided_by_modules:
            continue
        errors.append(f'dependency {dep!r} ({where}) is neither in {RUNTIME} {RUNTIME_VERSION} '
                      'nor built by a module of the manifest')

    if errors:
        for e in errors:
            print(f'{os.path.relpath(path, root)}: {e}')
        print(f'FAIL: {len(errors)} problem(s)')
        return 1
    print(f'ok: {os.path.relpath(path, root)}: {len(modules)} module(s), '
          f'{len(finish_args)} finish-args, dependencies: '
          + ', '.join(sorted(build_dependencies(root))))
    return 0


if __name__ == '__main__':
    sys.exit(main())
