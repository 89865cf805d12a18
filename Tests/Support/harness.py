"""What the process-level test scripts (edge_test.py, backup_test.py) share: checks that are printed and counted,
free ports, waiting for a condition and for a service to be ready."""
import socket
import time
import urllib.error
import urllib.request

failures = []


def check(condition, what):
    """Prints `ok` or `FAIL` with `what`; a failure is counted in `failures`."""
    print(('ok   ' if condition else 'FAIL ') + what, flush=True)
    if not condition:
        failures.append(what)


def free_port():
    """A TCP port on 127.0.0.1 that nothing listens on now."""
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


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
