#!/usr/bin/env python3
"""A PostgreSQL primary and standby managed by Patroni, with etcd as its consensus store, on one machine: two
clusters on their own ports, as the private cluster is (make ha-start, make failover-test).

    python3 ha_cluster.py start FOLDER [--async]   start etcd and two Patroni nodes under FOLDER, print the URLs
    python3 ha_cluster.py stop FOLDER              stop them (the data stays)
    python3 ha_cluster.py status FOLDER            the members, their roles and lag, as Patroni sees them

The layout is the one docs/deploy.md describes for two or three machines (Debian's patroni and etcd-server): here
every node listens on 127.0.0.1 with a port of its own. Patroni runs PostgreSQL, fails over when the primary's
postmaster dies (primary_start_timeout 0: a crashed primary is not restarted in place when a healthy standby can
take over) and, in synchronous mode, promotes only the synchronous standby, so a commit the client saw is never
lost. The services reach whichever node is primary through a libpq multi-host URL with
target_session_attrs=read-write (`service_url`)."""
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import wait_for as wait  # noqa: E402

PG_BIN = os.environ.get('DAKIYA_PG_BIN') or sorted(
    (os.path.join('/usr/lib/postgresql', v, 'bin') for v in os.listdir('/usr/lib/postgresql')),
    key=lambda p: int(p.split('/')[-2]))[-1]
AS_POSTGRES = ['runuser', '-u', 'postgres', '--'] if os.getuid() == 0 else []
# The ports of `make ha-start`; the failover test takes free ones.
DEFAULT_PORTS = {'etcd': 52379, 'etcd_peer': 52380, 'pg': [55441, 55442], 'rest': [58441, 58442]}


def node_config(folder, index, ports, synchronous):
    """Patroni's YAML for node `index` (JSON is YAML): what docker/patroni/patroni.yml holds for a real machine,
    with the addresses of this one."""
    node = os.path.join(folder, f'node{index}')
    trust = ['local all all trust', 'host all all 127.0.0.1/32 trust', 'host replication all 127.0.0.1/32 trust']
    return {
        'scope': 'dakiya', 'name': f'node{index}',
        'log': {'dir': node, 'level': 'INFO'},
        'restapi': {'listen': f'127.0.0.1:{ports["rest"][index]}',
                    'connect_address': f'127.0.0.1:{ports["rest"][index]}'},
        'etcd3': {'hosts': f'127.0.0.1:{ports["etcd"]}'},
        'bootstrap': {
            'dcs': {
                # Seconds: the leader key lives 20 s unless renewed; each node looks every second.
                'ttl': 20, 'loop_wait': 1, 'retry_timeout': 5,
                'primary_start_timeout': 0,
                'synchronous_mode': synchronous,
                'maximum_lag_on_failover': 16 << 20,
                'postgresql': {
                    'use_pg_rewind': True, 'use_slots': True,
                    'parameters': {
                        'max_connections': 300, 'shared_buffers': '256MB', 'wal_log_hints': 'on',
                        'max_wal_size': '2GB', 'wal_keep_size': '512MB', 'hot_standby': 'on',
                        'synchronous_commit': 'on', 'max_wal_senders': 10, 'max_replication_slots': 10,
                    },
                },
            },
            'initdb': [{'encoding': 'UTF8'}, {'locale': 'C.UTF-8'}, 'data-checksums'],
        },
        'postgresql': {
            'listen': f'127.0.0.1:{ports["pg"][index]}',
            'connect_address': f'127.0.0.1:{ports["pg"][index]}',
            'data_dir': os.path.join(node, 'data'),
            'bin_dir': PG_BIN,
            'pgpass': os.path.join(node, 'pgpass'),
            'pg_hba': trust,
            'authentication': {
                # Trusted on loopback here; on real machines these are scram-sha-256 passwords (docs/deploy.md).
                'superuser': {'username': 'postgres', 'password': 'ha-superuser'},
                'replication': {'username': 'replicator', 'password': 'ha-replication'},
                'rewind': {'username': 'rewinder', 'password': 'ha-rewind'},
            },
            'parameters': {'unix_socket_directories': node},
        },
        'tags': {'nofailover': False, 'noloadbalance': False, 'clonefrom': False, 'nosync': False},
    }


class HACluster:
    """etcd and two Patroni nodes under `folder`; `ports` as DEFAULT_PORTS."""

    def __init__(self, folder, ports, synchronous=True):
        self.folder, self.ports, self.synchronous = folder, ports, synchronous
        self.processes = {}

    # Addresses

    def url(self, database, user, session_attrs='read-write'):
        """The libpq multi-host URL: both nodes, the one that answers `session_attrs` wins. connect_timeout bounds
        the wait on a node whose machine is gone (a refused port fails at once)."""
        hosts = ','.join(f'127.0.0.1:{port}' for port in self.ports['pg'])
        return (f'postgresql://{hosts}/{database}?user={user}&target_session_attrs={session_attrs}'
                '&connect_timeout=3')

    def node_url(self, index, database='postgres'):
        return f'postgresql://127.0.0.1:{self.ports["pg"][index]}/{database}?user=postgres'

    def rest(self, index, path):
        """Patroni's REST answer on node `index` for `path`: (status, parsed JSON), or (None, None) when it is down."""
        try:
            with urllib.request.urlopen(f'http://127.0.0.1:{self.ports["rest"][index]}{path}', timeout=2) as answer:
                return answer.status, json.loads(answer.read() or b'null')
        except urllib.error.HTTPError as error:
            body = error.read()
            try:
                return error.code, json.loads(body or b'null')
            except ValueError:
                return error.code, None
        except (urllib.error.URLError, OSError, ValueError):
            return None, None

    def members(self):
        """Patroni's view of the cluster from any node that answers: [{name, role, state, lag, ...}]."""
        for index in range(2):
            status, cluster = self.rest(index, '/cluster')
            if status == 200 and cluster:
                return cluster.get('members', [])
        return []

    def leader(self):
        """The index of the node that is the running primary, or None."""
        for member in self.members():
            if member.get('role') == 'leader' and member.get('state') == 'running':
                return int(member['name'].removeprefix('node'))
        return None

    def healthy(self):
        """A running leader and a streaming standby (in synchronous mode: the synchronous standby)."""
        members = self.members()
        standby_role = 'sync_standby' if self.synchronous else 'replica'
        return (any(m.get('role') == 'leader' and m.get('state') == 'running' for m in members)
                and any(m.get('role') == standby_role and m.get('state') in ('running', 'streaming')
                        for m in members))

    def postmaster_pid(self, index):
        """The pid of node `index`'s postmaster (postmaster.pid's first line), or None."""
        try:
            with open(os.path.join(self.folder, f'node{index}', 'data', 'postmaster.pid')) as file:
                return int(file.readline())
        except (OSError, ValueError):
            return None

    # Life cycle

    def start(self, timeout=120):
        os.makedirs(self.folder, exist_ok=True)
        os.chmod(self.folder, 0o755)
        etcd_data = os.path.join(self.folder, 'etcd')
        log = open(os.path.join(self.folder, 'etcd.log'), 'a')
        self.processes['etcd'] = subprocess.Popen(
            ['etcd', '--name', 'etcd0', '--data-dir', etcd_data,
             '--listen-client-urls', f'http://127.0.0.1:{self.ports["etcd"]}',
             '--advertise-client-urls', f'http://127.0.0.1:{self.ports["etcd"]}',
             '--listen-peer-urls', f'http://127.0.0.1:{self.ports["etcd_peer"]}',
             '--initial-advertise-peer-urls', f'http://127.0.0.1:{self.ports["etcd_peer"]}',
             '--initial-cluster', f'etcd0=http://127.0.0.1:{self.ports["etcd_peer"]}',
             '--initial-cluster-state', 'new'],
            stdout=log, stderr=log, start_new_session=True)
        for index in range(2):
            node = os.path.join(self.folder, f'node{index}')
            os.makedirs(node, exist_ok=True)
            config = os.path.join(node, 'patroni.yml')
            with open(config, 'w') as file:
                json.dump(node_config(self.folder, index, self.ports, self.synchronous), file, indent=1)
            if AS_POSTGRES:
                shutil.chown(node, 'postgres')
                shutil.chown(config, 'postgres')
            out = open(os.path.join(node, 'patroni.out'), 'a')
            self.processes[f'node{index}'] = subprocess.Popen(
                [*AS_POSTGRES, 'patroni', config], stdout=out, stderr=out, start_new_session=True)
            first_start = not os.path.exists(os.path.join(self.folder, 'node1', 'data'))
            if index == 0 and first_start:  # the first node bootstraps; the second clones it
                if not wait(lambda: self.leader() is not None, timeout):
                    raise RuntimeError(f'no Patroni leader within {timeout} s: {self.tail("node0/patroni.out")}')
        if not wait(self.healthy, timeout):
            raise RuntimeError(f'the standby did not start streaming within {timeout} s: {self.members()} '
                               f'{self.tail("node1/patroni.out")}')
        self.write_pids()

    def tail(self, name, lines=15):
        try:
            with open(os.path.join(self.folder, name), errors='replace') as file:
                return ''.join(file.readlines()[-lines:])
        except OSError:
            return ''

    def write_pids(self):
        with open(os.path.join(self.folder, 'pids'), 'w') as file:
            json.dump({name: process.pid for name, process in self.processes.items()}, file)

    def stop(self):
        """Patroni stops its PostgreSQL on SIGTERM; etcd goes last so the nodes can release their keys."""
        pids = {name: process.pid for name, process in self.processes.items()}
        if not pids:
            try:
                with open(os.path.join(self.folder, 'pids')) as file:
                    pids = json.load(file)
            except (OSError, ValueError):
                pids = {}
        def running(name):  # a child of ours is a zombie until reaped: ask Popen, not kill(pid, 0)
            process = self.processes.get(name)
            return process.poll() is None if process else alive(pids[name])
        for name in sorted(pids, key=lambda n: n == 'etcd'):
            signal_group(pids[name], signal.SIGTERM)
            if not wait(lambda: not running(name), 30):
                signal_group(pids[name], signal.SIGKILL)
        for process in self.processes.values():
            try:
                process.wait(5)
            except subprocess.TimeoutExpired:
                pass
        # A postmaster left by a killed Patroni would hold the port for the next run.
        for index in range(2):
            pid = self.postmaster_pid(index)
            if pid and alive(pid):
                subprocess.run([*AS_POSTGRES, f'{PG_BIN}/pg_ctl', '-D', os.path.join(self.folder, f'node{index}', 'data'),
                                '-m', 'immediate', 'stop'], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            os.remove(os.path.join(self.folder, 'pids'))
        except OSError:
            pass


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except ProcessLookupError:
        return False
    except PermissionError:
        return True


def signal_group(pid, number):
    try:
        os.killpg(pid, number)
    except (ProcessLookupError, PermissionError):
        pass


def main(arguments):
    if len(arguments) < 2 or arguments[0] not in ('start', 'stop', 'status'):
        print(__doc__)
        return 2
    command, folder = arguments[0], os.path.abspath(arguments[1])
    cluster = HACluster(folder, DEFAULT_PORTS, synchronous='--async' not in arguments)
    if command == 'start':
        if os.path.exists(os.path.join(folder, 'pids')) and cluster.leader() is not None:
            print(f'already running, primary: node{cluster.leader()} (make ha-stop stops it)')
            return 0
        cluster.stop()  # whatever is left of an earlier start that did not stop cleanly
        cluster.start()
        print(f'Patroni cluster "dakiya" up, {"synchronous" if cluster.synchronous else "asynchronous"} standby; '
              f'primary: node{cluster.leader()}')
        for member in cluster.members():
            print(f'  {member["name"]}: {member["role"]} {member["state"]} {member["host"]}:{member["port"]}')
        print(f'services (read-write): {cluster.url("dakiya", "dakiya")}')
        print(f'read-only work:        {cluster.url("dakiya", "dakiya", "prefer-standby")}')
        return 0
    if command == 'stop':
        cluster.stop()
        print('stopped')
        return 0
    members = cluster.members()
    if not members:
        print('no Patroni node answers')
        return 1
    for member in members:
        print(f'{member["name"]}: {member["role"]} {member["state"]} lag={member.get("lag", 0)} '
              f'timeline={member.get("timeline")}')
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
