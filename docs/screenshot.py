#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Writes the screenshot of an example for the docs.

Runs COMMAND (an example's self-test, under xvfb-run when given) with
PYKKA_SCREENSHOT set to OUTPUT. When no display can be started, the
program fails, or it writes no PNG, OUTPUT becomes a small grey
placeholder and a warning is printed: the docs build never fails for want
of a display.

Usage: screenshot.py OUTPUT [--xvfb-run XVFB_RUN] -- COMMAND...
"""

import os
import struct
import subprocess
import sys
import zlib

TIMEOUT = 120


def write_placeholder(path, width=480, height=360):
    """A grey PNG of the window's size."""
    def chunk(kind, data):
        body = kind + data
        return struct.pack('>I', len(data)) + body + struct.pack('>I', zlib.crc32(body))

    row = b'\x00' + b'\xd0\xd0\xd0' * width
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n')
        f.write(chunk(b'IHDR', struct.pack('>IIBBBBB', width, height, 8, 2, 0, 0, 0)))
        f.write(chunk(b'IDAT', zlib.compress(row * height)))
        f.write(chunk(b'IEND', b''))


def main(argv):
    if len(argv) < 3 or '--' not in argv:
        print(__doc__, file=sys.stderr)
        return 2
    output = os.path.abspath(argv[1])
    options, command = argv[2:argv.index('--')], argv[argv.index('--') + 1:]
    if options[:1] == ['--xvfb-run'] and len(options) == 2:
        if command:
            command = [options[1], '-a', '-s', '-screen 0 640x480x24'] + command
    elif options:
        print(__doc__, file=sys.stderr)
        return 2

    if os.path.exists(output):
        os.unlink(output)
    env = dict(os.environ, PYKKA_SCREENSHOT=output)
    if not command:
        print(f'warning: no display or no program to run; writing a placeholder to {output}',
              file=sys.stderr)
        write_placeholder(output)
        return 0
    try:
        result = subprocess.run(command, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=TIMEOUT)
        ok = result.returncode == 0 and os.path.exists(output)
        log = result.stdout.decode(errors='replace')
    except (OSError, subprocess.TimeoutExpired) as e:
        ok, log = False, str(e)
    if not ok:
        print(f'warning: no screenshot from {" ".join(command)}; writing a placeholder '
              f'to {output}\n{log}', file=sys.stderr)
        write_placeholder(output)
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
