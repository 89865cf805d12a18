"""What the process-level test scripts (edge_test.py, backup_test.py, instances_test.py, failover_test.py) share:
checks that are printed and counted, free ports, waiting for a condition and for a service to be ready, psql, and
stopping what a script started."""
import os
import re
import shutil
import json
import socket
import subprocess
import time
import urllib.error
import urllib.request

failures = []


def check(condition, what):
    """Prints `ok` or `FAIL` with `what`; a failure is counted in `failures`."""
    print(('ok   ' if condition else 'FAIL ') + what, flush=True)
    if not condition:
        failures.append(what)


_PORTS = range(20000, 32768)  # below Linux's ephemeral range: never handed to a socket bound to 0 or a client
_next_port = [os.getpid() % len(_PORTS)]


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now and that this run has not handed out before.

    Taken from below the kernel's ephemeral range, so no outgoing connection or port-0 bind of another process
    can take it between the pick and the service's own bind (as the Swift tests' freePort)."""
    for _ in _PORTS:
        port = _PORTS[_next_port[0]]
        _next_port[0] = (_next_port[0] + 1) % len(_PORTS)
        with socket.socket() as s:
            try:
                s.bind(('127.0.0.1', port))
            except OSError:
                continue
            return port
    raise RuntimeError('no free TCP port in 20000-32767')


def wait_for(condition, seconds=90):
    """True as soon as `condition()` is, polling; False after `seconds`."""
    deadline = time.time() + seconds
    while time.time() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


def ready(port):
    """True when the service on `port` answers its /readyz with 200."""
    try:
        with urllib.request.urlopen(f'http://127.0.0.1:{port}/readyz', timeout=2) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def accepts(port):
    """True when something accepts TCP connections on 127.0.0.1:`port`."""
    try:
        socket.create_connection(('127.0.0.1', port), timeout=1).close()
        return True
    except OSError:
        return False


def psql(url, query):
    """The rows `query` returns on `url`, as psql's unaligned text (fails the script on an SQL error)."""
    return subprocess.run(['psql', url, '-Atc', query], check=True, capture_output=True, text=True).stdout.strip()


def stop_processes(processes, grace=20):
    """SIGTERM to each, then up to `grace` seconds for each to end before SIGKILL."""
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            process.kill()


def finish(name, folder, keep_variable):
    """Removes the script's `folder` (kept when the environment sets `keep_variable`), prints the summary line, and
    returns the exit status: 1 when any check failed."""
    if os.environ.get(keep_variable):
        print(f'     kept {folder}')
    else:
        shutil.rmtree(folder, ignore_errors=True)
    print(f'{name}: {len(failures)} failed' if failures else f'{name}: every check passed')
    return 1 if failures else 0


def call(url, method='GET', key=None, body=None, idempotency_key=None):
    """(status, body) of one request with an optional bearer key, JSON body and Idempotency-Key; (None, b'') when
    nothing answered."""
    headers = {'Content-Type': 'application/json'}
    if key:
        headers['Authorization'] = f'Bearer {key}'
    if idempotency_key:
        headers['Idempotency-Key'] = idempotency_key
    request = urllib.request.Request(url, data=json.dumps(body).encode() if body is not None else None,
                                     method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (urllib.error.URLError, OSError):
        return None, b''


def counter(port, name, **labels):
    """The sum of a counter's series on one service's /metrics whose labels include `labels`."""
    status, body = call(f'http://127.0.0.1:{port}/metrics')
    if status != 200:
        return None
    total = 0.0
    for line in body.decode().split('\n'):
        match = re.match(rf'^{name}(?:{{(.*)}})? ([0-9.e+]+)$', line)
        if match and all(f'{k}="{v}"' in (match.group(1) or '') for k, v in labels.items()):
            total += float(match.group(2))
    return total
