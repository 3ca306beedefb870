#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Checks that the program accepts the command line of its D-Bus service
file. The desktop file is DBusActivatable, so GNOME Shell starts Orderly
through that service: if the program refused its arguments, it would not
start from the application grid at all.

The arguments of the service's Exec line are passed together with --version,
so that a program that accepts them prints its version and exits at once.

Usage: check-dbus-activation.py SERVICE_FILE PROGRAM
"""

import configparser
import shlex
import subprocess
import sys


def main():
    if len(sys.argv) != 3:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    service_file, program = sys.argv[1:]

    entry = configparser.ConfigParser(interpolation=None)
    entry.optionxform = str
    entry.read(service_file, encoding='utf-8')
    arguments = shlex.split(entry['D-BUS Service']['Exec'])[1:]

    command = [program, *arguments, '--version']
    result = subprocess.run(command, capture_output=True, text=True, timeout=30)
    print('$', ' '.join(command))
    print(result.stdout + result.stderr)
    if result.returncode != 0 or not result.stdout.startswith('orderly '):
        print(f'FAIL: the program refuses the arguments of {service_file}: '
              f'{" ".join(arguments)} (exit status {result.returncode})')
        return 1
    print('ok: the program accepts ' + ' '.join(arguments))
    return 0


if __name__ == '__main__':
    sys.exit(main())
