#!/usr/bin/env python3
"""make backup-test: the backup and restore procedure of docs/operations.md, done for real.

1. A database on the private cluster with real activity, made through the public APIs by the running services
   (the simulator and a mail sink as the channels): citizens, outcomes with certificates (sealed, delivered by
   WhatsApp and email), rejections, an appeal, the transparency log.
2. The backup, taken while the services run: `pg_dumpall --roles-only` and `pg_dump --format=custom`.
3. A fresh cluster (initdb, its own port): the roles, then `pg_restore`, then `dakiya-admin migrate` (nothing to do).
4. Every table's row count equal; the services started on the restored database: the same key reads the same
   deliveries, a certificate link gives the same bytes, the appeal is there, the transparency log's checkpoint is
   where it was; and they resume: a new outcome is accepted, delivered by email and logged.

Environment: DAKIYA_BACKUP_ADMIN_URL (the private cluster's postgres URL), DAKIYA_BIN (the built programs),
DAKIYA_PG_BIN (PostgreSQL's programs: initdb, pg_ctl, pg_dump, pg_restore)."""
import base64
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import accepts, check, failures, free_port, psql, ready, stop_processes, wait_for  # noqa: E402
from sample_pdf import pdf  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SERVICES = ['portal-adapter', 'whatsapp-adapter', 'email-adapter', 'appeals-service', 'dispatcher']
LINK_KEY = base64.urlsafe_b64encode(b'backup-test-link-signing-key-32b').decode().rstrip('=')




def call(base, method, path, key, body=None, idempotency_key=None):
    headers = {'Authorization': f'Bearer {key}', 'Content-Type': 'application/json'}
    if idempotency_key:
        headers['Idempotency-Key'] = idempotency_key
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


class Stack:
    """The five services, the WhatsApp simulator and a mail sink, on free ports, against one database."""

    def __init__(self, binaries, service_url, folder, name):
        self.processes = []
        self.ports = {service: free_port() for service in SERVICES}
        self.sim_port, self.smtp_port = free_port(), free_port()
        self.mail = os.path.join(folder, f'mail-{name}')
        for sub in ('tmp', 'new', 'cur'):
            os.makedirs(os.path.join(self.mail, sub), exist_ok=True)
        self.processes.append(subprocess.Popen(
            ['/usr/bin/python3', '-m', 'aiosmtpd', '-n', '-l', f'127.0.0.1:{self.smtp_port}', '-c',
             'aiosmtpd.handlers.Mailbox', self.mail]))
        self.processes.append(subprocess.Popen(
            [f'{binaries}/whatsapp-cloud-simulator'],
            env={**os.environ, 'DAKIYA_SIM_PORT': str(self.sim_port), 'DAKIYA_SIM_READ_DELAY_SECONDS': '0',
                 'DAKIYA_SIM_WEBHOOK_URL': f'http://127.0.0.1:{self.ports["whatsapp-adapter"]}/webhooks/whatsapp'},
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        try:
            self.start(binaries, service_url, name)
        except BaseException:
            self.stop()  # never leave a half-started stack behind: it would work on the next run's database
            raise

    def start(self, binaries, service_url, name):
        # The channels listen before the services start, so no first send meets a closed port (and waits its backoff).
        check(wait_for(lambda: accepts(self.smtp_port), 30), f'{name}: the mail sink listens')
        check(wait_for(lambda: accepts(self.sim_port), 30), f'{name}: the WhatsApp simulator listens')
        for service, port in self.ports.items():
            self.processes.append(subprocess.Popen([f'{binaries}/{service}'], env={
                **os.environ, 'DAKIYA_DATABASE_URL': service_url, 'DAKIYA_HTTP_PORT': str(port),
                'DAKIYA_LOG_LEVEL': 'error', 'DAKIYA_LINK_SIGNING_KEY': LINK_KEY,
                'DAKIYA_SMTP_URL': f'smtp://127.0.0.1:{self.smtp_port}', 'DAKIYA_SMTP_TLS': 'off',
                'DAKIYA_WHATSAPP_GRAPH_URL': f'http://127.0.0.1:{self.sim_port}',
                'DAKIYA_VERIFY_URL': f'http://127.0.0.1:{self.ports["portal-adapter"]}/v',
                'DAKIYA_LOG_INTEGRATE_SECONDS': '0.2'}))
        for service, port in self.ports.items():
            check(wait_for(lambda: ready(port), 60), f'{name}: {service} ready')
        self.portal = f'http://127.0.0.1:{self.ports["portal-adapter"]}'
        self.appeals = f'http://127.0.0.1:{self.ports["appeals-service"]}'
        self.log = f'http://127.0.0.1:{self.ports["dispatcher"]}/log'

    def emails(self):
        return len(os.listdir(os.path.join(self.mail, 'new')))

    def checkpoint_size(self):
        with urllib.request.urlopen(self.log + '/checkpoint', timeout=5) as response:
            return int(response.read().decode().split('\n')[1])

    def stop(self):
        stop_processes(self.processes)


def settled(url):
    """Nothing left to do: no job ready or running, every delivery out of progress, the log integrated."""
    return psql(url, """SELECT (SELECT count(*) FROM jobs WHERE state IN ('available', 'running'))
                              + (SELECT count(*) FROM deliveries WHERE status IN ('pending', 'in_progress'))
                              + (SELECT count(*) FROM log_queue)""") == '0'


COUNTS = """SELECT json_object_agg(tablename, (xpath('/row/c/text()', query_to_xml(
    format('SELECT count(*) AS c FROM public.%I', tablename), false, true, '')))[1]::text::bigint)
    FROM pg_tables WHERE schemaname = 'public'"""


def counts(url):
    return json.loads(psql(url, COUNTS))


class Snapshot:
    """A repeatable-read transaction whose snapshot pg_dump shares (--snapshot): the rows it counts are exactly the
    rows the dump holds, though the services keep writing."""

    def __init__(self, url):
        self.session = subprocess.Popen(['psql', url, '-qAt'], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                        text=True, bufsize=1)
        self.id = self.query('BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT pg_export_snapshot();')

    def query(self, sql):
        self.session.stdin.write(' '.join(sql.split()).rstrip(';') + ';\n')
        self.session.stdin.flush()
        return self.session.stdout.readline().strip()

    def close(self):
        self.session.stdin.write('COMMIT;\n')
        self.session.stdin.close()
        self.session.wait(10)


def main():
    admin_url = os.environ['DAKIYA_BACKUP_ADMIN_URL']
    binaries = os.environ['DAKIYA_BIN']
    pg_bin = os.environ['DAKIYA_PG_BIN']
    folder = tempfile.mkdtemp(prefix='dakiya-backup-')
    os.chmod(folder, 0o755)
    source_db = f'dakiya_backup_{os.getpid()}'  # a database of this run's own
    source = admin_url.replace('/postgres?', f'/{source_db}?')
    stacks, fresh_data = [], os.path.join(folder, 'fresh')
    fresh_started = False
    try:
        psql(admin_url, f'DROP DATABASE IF EXISTS {source_db} WITH (FORCE)')
        psql(admin_url, f'CREATE DATABASE {source_db}')
        admin = {**os.environ, 'DAKIYA_DATABASE_URL': source}
        subprocess.run([f'{binaries}/dakiya-admin', 'migrate'], env=admin, check=True, stdout=subprocess.DEVNULL)
        psql(admin_url, "DO $$ BEGIN CREATE ROLE dakiya LOGIN IN ROLE dakiya_service; "
                        "EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        for command in (['catalogue', 'import', '--sample'], ['offices', 'import', '--sample'],
                        ['department', 'add', 'REVENUE', 'Revenue and Forest Department']):
            subprocess.run([f'{binaries}/dakiya-admin', *command], env=admin, check=True, stdout=subprocess.DEVNULL)
        created = subprocess.run([f'{binaries}/dakiya-admin', 'key', 'create', '--department', 'REVENUE', '--label',
                                  'backup', '--kind', 'live', '--scope', 'citizens'], env=admin, check=True,
                                 capture_output=True, text=True).stdout
        key = next(line.split()[-1] for line in created.split('\n') if line.startswith('secret'))

        # 1. Activity through the public APIs.
        stack = Stack(binaries, source.replace('user=postgres', 'user=dakiya'), folder, 'source')
        stacks.append(stack)
        for citizen, body in (('c-1', {'email': 'c1@example.in', 'mobile': '+919800000101', 'language': 'mr',
                                       'consents': [{'channel': 'whatsapp', 'granted': True, 'source': 'portal',
                                                     'recorded_at': '2026-11-01T10:00:00Z'}]}),
                              ('c-2', {'email': 'c2@example.in', 'language': 'en'})):
            status, _ = call(stack.portal, 'PUT', f'/v1/citizens/{citizen}', key, body)
            check(status == 200, f'citizen {citizen} registered: {status}')
        for number in range(1, 7):
            application = f'BK-{number}'
            citizen = 'c-1' if number % 2 else 'c-2'
            call(stack.appeals, 'PUT', f'/v1/applications/{application}/clock', key,
                 {'portal_user_id': citizen, 'service_code': 'INCOME', 'office_code': 'HAVELI',
                  # Yesterday: inside the time limit (a lapsed one would rightly bring the citizen a notice).
                  'completed_at': time.strftime('%Y-%m-%dT10:30:00+05:30', time.localtime(time.time() - 86400))})
            outcome = {'citizen': citizen, 'service': 'INCOME', 'office': 'HAVELI'}
            if number <= 4:
                outcome |= {'decision': 'approved', 'certificate': {
                    'file_name': f'income-{number}.pdf', 'content_base64': base64.b64encode(pdf(f'BK {number}')).decode()}}
            else:
                outcome |= {'decision': 'rejected', 'reasons': ['Income proof not attached']}
            status, body = call(stack.portal, 'POST', f'/v1/applications/{application}/outcome', key, outcome,
                                idempotency_key=application)
            check(status == 202, f'outcome {application} accepted: {status} {body[:100] if status != 202 else ""}')
        check(wait_for(lambda: settled(source)), 'every delivery settled, the log integrated')
        status, body = call(stack.appeals, 'POST', '/v1/applications/BK-5/appeals', key,
                            {'level': 1, 'grounds': 'The income proof was attached.'})
        check(status == 201, f'an appeal filed on BK-5: {status} {body[:120] if status != 201 else ""}')
        check(wait_for(lambda: settled(source)), 'settled again after the appeal')
        delivered = int(psql(source, "SELECT count(*) FROM deliveries WHERE status = 'delivered'"))
        emails = stack.emails()
        check(delivered >= 6 and emails >= 6, f'{delivered} deliveries delivered, {emails} emails received ' + psql(
            source, "SELECT string_agg(channel || ':' || state || ':' || coalesce(error_code, ''), ', ' ORDER BY id) "
                    "FROM channel_attempts") + ' jobs: ' + psql(source, "SELECT string_agg(kind || ':' || state, ', ') FROM jobs"))
        status, body = call(stack.portal, 'GET', '/v1/citizens/c-1/inbox', key)
        inbox = json.loads(body)['items'] if status == 200 else []
        certificate_url = next((item['certificate']['url'] for item in inbox if item.get('certificate')), None)
        with urllib.request.urlopen(stack.portal + certificate_url) as response:
            certificate = response.read()
        check(certificate.startswith(b'%PDF'), f'a delivered certificate read through its link ({len(certificate)} bytes)')
        delivery_id = psql(source, "SELECT d.id FROM deliveries d JOIN applications a ON a.id = d.application_id "
                                   "WHERE a.portal_application_id = 'BK-1'")
        _, before_view = call(stack.portal, 'GET', f'/v1/deliveries/{delivery_id}', key)
        # An auditor has seen the log's checkpoint (dakiya-audit keeps it in its state folder).
        with urllib.request.urlopen(stack.log + '/key') as response:
            log_key = response.read().decode().strip()
        audit_state = os.path.join(folder, 'audit')
        seen = subprocess.run([f'{binaries}/dakiya-audit', 'checkpoint', stack.log, '--key', log_key, '--state',
                               audit_state], capture_output=True, text=True)
        check(seen.returncode == 0, f'an auditor has seen the checkpoint: {seen.stdout.strip()[-120:]} {seen.stderr[-200:]}')

        # 2. The backup, while the services run: the roles, then the database in one snapshot.
        roles, dump = os.path.join(folder, 'roles.sql'), os.path.join(folder, 'dakiya.dump')
        subprocess.run([f'{pg_bin}/pg_dumpall', '-d', admin_url, '--roles-only', '-f', roles], check=True)
        snapshot = Snapshot(source)
        started = time.time()
        subprocess.run([f'{pg_bin}/pg_dump', '-d', source, '--format=custom', f'--snapshot={snapshot.id}', '-f', dump],
                       check=True)
        print(f'     pg_dump: {os.path.getsize(dump):,} bytes in {time.time() - started:.2f} s')
        before = json.loads(snapshot.query(COUNTS))
        snapshot.close()
        stack.stop()
        stacks.remove(stack)

        # 3. A fresh cluster, the roles, the restore, the migrations (nothing to apply).
        port = free_port()
        # PostgreSQL refuses to run as root: as root, the cluster is the postgres user's (as make db-start does).
        as_postgres = ['runuser', '-u', 'postgres', '--'] if os.getuid() == 0 else []
        if as_postgres:
            shutil.chown(folder, 'postgres')
        subprocess.run([*as_postgres, f'{pg_bin}/initdb', '-D', fresh_data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8'],
                       check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*as_postgres, f'{pg_bin}/pg_ctl', '-D', fresh_data, '-l', os.path.join(folder, 'fresh.log'), '-w', '-o',
                        f'-p {port} -k {folder} -c listen_addresses=\'\'', 'start'], check=True,
                       stdout=subprocess.DEVNULL)
        fresh_started = True
        fresh_admin = f'postgresql:///postgres?host={folder}&port={port}&user=postgres'
        restored = fresh_admin.replace('/postgres?', '/dakiya?')
        # The roles file recreates "postgres" too: that one error is expected, the others are not.
        applied = subprocess.run(['psql', fresh_admin, '-q', '-f', roles], capture_output=True, text=True)
        errors = [line for line in applied.stderr.split('\n') if 'ERROR' in line and '"postgres" already exists' not in line]
        check(not errors, f'the roles restored: {errors}')
        psql(fresh_admin, 'CREATE DATABASE dakiya')
        started = time.time()
        restore = subprocess.run([f'{pg_bin}/pg_restore', '-d', restored, '--exit-on-error', dump],
                                 capture_output=True, text=True)
        check(restore.returncode == 0, f'pg_restore into the fresh cluster in {time.time() - started:.2f} s '
                                       f'{restore.stderr.strip()[:300]}')
        migrate = subprocess.run([f'{binaries}/dakiya-admin', 'migrate'], env={**os.environ, 'DAKIYA_DATABASE_URL': restored},
                                 capture_output=True, text=True)
        check(migrate.returncode == 0, f'dakiya-admin migrate on the restored database: {migrate.stdout.strip()[-80:]}')

        # 4. Everything there, and the services resume from it.
        after = counts(restored)
        different = {table: (before[table], after.get(table)) for table in before if before[table] != after.get(table)}
        check(not different, f'every table has its rows ({sum(before.values()):,} rows in {len(before)} tables): '
                             f'{different}')
        for table in ('deliveries', 'documents', 'appeals', 'channel_attempts', 'log_entries', 'certificate_seals'):
            check(after[table] > 0, f'{table}: {after[table]} rows restored')
        stack = Stack(binaries, restored.replace('user=postgres', 'user=dakiya'), folder, 'restored')
        stacks.append(stack)
        status, after_view = call(stack.portal, 'GET', f'/v1/deliveries/{delivery_id}', key)
        check(status == 200 and json.loads(after_view) == json.loads(before_view),
              'the same key reads the same delivery from the restored database')
        status, body = call(stack.portal, 'GET', '/v1/citizens/c-1/inbox', key)
        url = next((item['certificate']['url'] for item in json.loads(body)['items'] if item.get('certificate')), None)
        with urllib.request.urlopen(stack.portal + url) as response:
            check(response.read() == certificate, 'the certificate comes back byte for byte')
        status, body = call(stack.appeals, 'GET', '/v1/applications/BK-5/appeals', key)
        check(status == 200 and b'income proof was attached' in body.lower(), f'the appeal is there: {status}')
        consistent = subprocess.run([f'{binaries}/dakiya-audit', 'checkpoint', stack.log, '--key', log_key, '--state',
                                     audit_state], capture_output=True, text=True)
        check(consistent.returncode == 0, 'the restored log extends the checkpoint the auditor saw (consistency proof): '
                                          f'{consistent.stdout.strip()[-120:]} {consistent.stderr[-200:]}')
        checkpoint_before = stack.checkpoint_size()
        emails = stack.emails()
        status, _ = call(stack.portal, 'POST', '/v1/applications/BK-7/outcome', key,
                         {'citizen': 'c-2', 'decision': 'approved', 'service': 'INCOME', 'office': 'HAVELI'},
                         idempotency_key='BK-7')
        check(status == 202, f'a new outcome accepted by the restored system: {status}')
        check(wait_for(lambda: settled(restored) and stack.emails() == emails + 1),
              f'delivered by email from the restored system: ' + psql(restored, """SELECT string_agg(d.status || ' '
              || coalesce(ca.channel || ':' || ca.state || ':' || coalesce(ca.provider_message_id, ''), ''), ', ')
              FROM deliveries d JOIN applications a ON a.id = d.application_id LEFT JOIN channel_attempts ca
              ON ca.delivery_id = d.id WHERE a.portal_application_id = 'BK-7'""") + f' emails {emails} then {stack.emails()}')
        check(wait_for(lambda: stack.checkpoint_size() > checkpoint_before, 30),
              f'and logged: the checkpoint grew to {stack.checkpoint_size()}')
        status, _ = call(stack.portal, 'POST', '/v1/applications/BK-1/outcome', key,
                         {'citizen': 'c-1', 'decision': 'approved', 'service': 'INCOME', 'office': 'HAVELI'},
                         idempotency_key='BK-1')
        check(status in (200, 409, 422), f'an idempotency key used before the backup still answers as a replay: {status}')
    finally:
        for stack in stacks:
            stack.stop()
        if fresh_started:
            subprocess.run([*(['runuser', '-u', 'postgres', '--'] if os.getuid() == 0 else []), f'{pg_bin}/pg_ctl',
                            '-D', fresh_data, '-m', 'fast', 'stop'], stdout=subprocess.DEVNULL)
        subprocess.run(['psql', admin_url, '-qc', f'DROP DATABASE IF EXISTS {source_db} WITH (FORCE)'])
        if os.environ.get('DAKIYA_BACKUP_KEEP'):
            print(f'     kept {folder}')
        else:
            shutil.rmtree(folder, ignore_errors=True)
    print(f'backup-test: {len(failures)} failed' if failures else 'backup-test: every check passed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
