#!/usr/bin/env python3
"""`make run` stops cleanly however it is stopped: Ctrl-C (SIGINT to the terminal's process group), SIGINT or
SIGTERM to make's process alone, and `kill %1` of a background job. Each time: make run is started, every
service answers /readyz, the signal is sent, make exits, and no service, mail sink, simulator or PostgreSQL of
this repository is left running. Run by `make run-stop-test` (CI): the first start builds the release binaries."""
import os
import signal
import subprocess
import sys
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PORTS = [8080, 8081, 8082, 8083, 8084]


def ready():
    for port in PORTS:
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{port}/readyz', timeout=2) as answer:
                if answer.status != 200:
                    return False
        except OSError:
            return False
    return True


def ours():
    """Processes of this repository still running: services and tools from .build, the mail sink, PostgreSQL."""
    left = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            command = open(f'/proc/{pid}/cmdline', 'rb').read().replace(b'\0', b' ').decode(errors='replace')
        except OSError:
            continue
        if (f'{ROOT}/.build/' in command or f'{ROOT}/.data/mail' in command
                or (command.startswith('/usr/lib/postgresql/') and f'{ROOT}/.data/pg' in command)):
            left.append(f'{pid} {command[:120]}')
    return left


def run(mode, log):
    if mode == 'background job':
        # A non-interactive shell's background job (SIGINT ignored), stopped with kill %1 (SIGTERM).
        shell = subprocess.Popen(
            ['bash', '-c', 'make run & for _ in $(seq 1 3000); do '
             + ' && '.join(f'curl -sf http://127.0.0.1:{p}/readyz >/dev/null' for p in PORTS)
             + ' && break; sleep 0.5; done; kill %1; wait'],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        shell.wait(timeout=1800)
        return 'ended'
    make = subprocess.Popen(['make', 'run'], cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.time() + 1800
    while not ready():
        if make.poll() is not None or time.time() > deadline:
            return f'make run did not start (exit {make.poll()})'
        time.sleep(0.5)
    if mode == 'Ctrl-C':
        os.killpg(make.pid, signal.SIGINT)
    else:
        make.send_signal(signal.SIGINT if mode == 'SIGINT to make' else signal.SIGTERM)
    try:
        make.wait(timeout=90)
    except subprocess.TimeoutExpired:
        make.kill()
        return 'make did not exit within 90 s'
    return 'ended'


def main():
    subprocess.run(['make', '--no-print-directory', 'db-stop'], cwd=ROOT, stdout=subprocess.DEVNULL)
    failures = []
    os.makedirs(f'{ROOT}/.build', exist_ok=True)
    for mode in ['Ctrl-C', 'SIGINT to make', 'SIGTERM to make', 'background job']:
        with open(f'{ROOT}/.build/run-stop.log', 'a') as log:
            result = run(mode, log)
        time.sleep(2)
        left = ours()
        print(f'{mode}: {result}; left running: {len(left)}')
        if result != 'ended' or left:
            failures.append(f'{mode}: {result}; left: {left}')
            for line in left:
                os.kill(int(line.split()[0]), signal.SIGKILL)
    for failure in failures:
        print(failure)
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
