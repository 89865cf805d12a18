"""What the process-level test scripts (edge_test.py, backup_test.py) share: checks that are printed and counted,
and free ports."""
import socket

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
