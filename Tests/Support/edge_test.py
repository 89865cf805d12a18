#!/usr/bin/env python3
"""make edge-test: Debian's nginx with docker/nginx/dakiya.conf, a self-signed certificate, in front of the real
services (portal-adapter, whatsapp-adapter, appeals-service, dispatcher) on the private PostgreSQL.

It checks over HTTPS that the public paths reach their service (the verification page, the portal API, Meta's
webhook handshake, the dashboards, the officers' desk, the transparency log), that /metrics, /healthz, /readyz,
/openapi.json and the rest are not reachable, that plain HTTP is redirected, that a client over its rate gets 429,
and (with an echo server as the portal) that the client's address and the scheme are passed on.

The configuration is used as shipped; only the listen ports and the folder of the certificate and upstreams are
rewritten, so the test runs beside `make run` without root ports. Environment: DAKIYA_EDGE_DATABASE_ADMIN_URL
(the private cluster's postgres URL), DAKIYA_BIN (the built services' folder). The secrets, certificate included,
are the ones docker/make-secrets.sh makes, read by the services as compose gives them (DAKIYA_…_FILE)."""
import concurrent.futures
import http.server
import json
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from harness import check, failures, free_port, ready, stop_processes, wait_for  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))




class Edge:
    def __init__(self, folder, upstreams):
        self.folder = folder
        self.https, self.http = free_port(), free_port()
        config = open(os.path.join(ROOT, 'docker/nginx/dakiya.conf'), encoding='utf-8').read()
        replaced = config.replace('/etc/nginx/dakiya/', folder + '/')
        for old, new in [('listen 80;', f'listen 127.0.0.1:{self.http};'),
                         ('listen [::]:80;', ''),
                         ('listen 443 ssl http2;', f'listen 127.0.0.1:{self.https} ssl http2;'),
                         ('listen [::]:443 ssl http2;', ''),
                         ('return 301 https://$host$request_uri;',
                          f'return 301 https://$host:{self.https}$request_uri;')]:
            assert old in replaced, old
            replaced = replaced.replace(old, new)
        open(os.path.join(folder, 'dakiya.conf'), 'w').write(replaced)
        open(os.path.join(folder, 'upstreams.conf'), 'w').write(upstreams)
        open(os.path.join(folder, 'nginx.conf'), 'w').write(f'''
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log warn;
events {{ worker_connections 512; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/dakiya.conf;
}}
''')
        test = subprocess.run(['nginx', '-t', '-c', f'{folder}/nginx.conf'], capture_output=True, text=True)
        check(test.returncode == 0, 'nginx -t accepts docker/nginx/dakiya.conf: ' + test.stderr.strip().split('\n')[-1])
        self.process = subprocess.Popen(['nginx', '-c', f'{folder}/nginx.conf', '-g', 'daemon off;'])
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                socket.create_connection(('127.0.0.1', self.https), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        self.context = ssl.create_default_context(cafile=os.path.join(folder, 'tls.crt'))

    def request(self, path, method='GET', body=None, headers=None, scheme='https'):
        port = self.https if scheme == 'https' else self.http
        request = urllib.request.Request(f'{scheme}://localhost:{port}{path}', data=body, method=method,
                                         headers=headers or {})

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):
                return None
        opener = urllib.request.build_opener(NoRedirect, urllib.request.HTTPSHandler(context=self.context))
        try:
            with opener.open(request, timeout=20) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            return error.code, dict(error.headers), error.read()

    def stop(self):
        self.process.send_signal(signal.SIGQUIT)
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def main():
    admin_url = os.environ['DAKIYA_EDGE_DATABASE_ADMIN_URL']
    binaries = os.environ['DAKIYA_BIN']
    folder = tempfile.mkdtemp(prefix='dakiya-edge-')
    os.chmod(folder, 0o755)  # nginx's workers (nobody) read the certificate's folder
    database = 'dakiya_edge'
    subprocess.run(['psql', admin_url, '-qc', f'DROP DATABASE IF EXISTS {database} WITH (FORCE)'], check=True)
    subprocess.run(['psql', admin_url, '-qc', f'CREATE DATABASE {database}'], check=True)
    owner_url = admin_url.replace('/postgres?', f'/{database}?')
    service_url = owner_url.replace('user=postgres', 'user=dakiya')
    subprocess.run([f'{binaries}/dakiya-admin', 'migrate'], env={**os.environ, 'DAKIYA_DATABASE_URL': owner_url},
                   check=True, stdout=subprocess.DEVNULL)
    subprocess.run(['psql', admin_url, '-qc',
                    "DO $$ BEGIN CREATE ROLE dakiya LOGIN IN ROLE dakiya_service; "
                    "EXCEPTION WHEN duplicate_object THEN NULL; END $$"], check=True)
    # compose's one-shot setup, as it runs there: the sample catalogue and offices, a department and its first key.
    setup = subprocess.run(['bash', os.path.join(ROOT, 'docker/compose-setup.sh')], capture_output=True, text=True,
                           env={**os.environ, 'DAKIYA_DATABASE_URL': owner_url, 'DAKIYA_SETUP_DIR': folder,
                                'PATH': binaries + ':' + os.environ['PATH']})
    check(setup.returncode == 0 and 'docker compose' in setup.stdout and 'dk_' not in setup.stdout,
          'docker/compose-setup.sh sets up once and says how to read the key, without printing it')
    first_key = open(f'{folder}/first-api-key').read().strip()
    again = subprocess.run(['bash', os.path.join(ROOT, 'docker/compose-setup.sh')], capture_output=True, text=True,
                           env={**os.environ, 'DAKIYA_DATABASE_URL': owner_url, 'DAKIYA_SETUP_DIR': folder,
                                'PATH': binaries + ':' + os.environ['PATH']})
    check(again.returncode == 0 and open(f'{folder}/first-api-key').read().strip() == first_key,
          'run again, the setup keeps the first key')
    # The secrets as compose gets them: docker/make-secrets.sh run in a copy of docker/, the services reading them
    # through DAKIYA_…_FILE, nginx using its certificate.
    shutil.copy(os.path.join(ROOT, 'docker/make-secrets.sh'), folder)
    subprocess.run(['bash', f'{folder}/make-secrets.sh', 'localhost'], check=True, stdout=subprocess.DEVNULL)
    secrets = f'{folder}/secrets'
    for name in ('tls.crt', 'tls.key'):
        shutil.copy(f'{secrets}/{name}', folder)
    verify_token = open(f'{secrets}/whatsapp-verify-token').read().strip()

    ports = {name: free_port() for name in ('portal-adapter', 'whatsapp-adapter', 'appeals-service', 'dispatcher')}
    services = []
    edge = None
    echo = None
    try:
        for name, port in ports.items():
            environment = {**os.environ, 'DAKIYA_DATABASE_URL': service_url, 'DAKIYA_HTTP_PORT': str(port),
                           'DAKIYA_LOG_LEVEL': 'warning', 'DAKIYA_HTTP_MAX_CONNECTIONS_PER_CLIENT': '0',
                           'DAKIYA_LINK_SIGNING_KEY_FILE': f'{secrets}/link-signing-key',
                           'DAKIYA_LOG_SIGNING_KEY_FILE': f'{secrets}/log-signing-key',
                           'DAKIYA_WHATSAPP_ACCESS_TOKEN_FILE': f'{secrets}/whatsapp-access-token',
                           'DAKIYA_WHATSAPP_APP_SECRET_FILE': f'{secrets}/whatsapp-app-secret',
                           'DAKIYA_WHATSAPP_VERIFY_TOKEN_FILE': f'{secrets}/whatsapp-verify-token'}
            services.append(subprocess.Popen([f'{binaries}/{name}'], env=environment))
        for name, port in ports.items():
            check(wait_for(lambda: ready(port), 60), f'{name} is ready on its own port {port}')
        upstreams = open(os.path.join(ROOT, 'docker/nginx/upstreams-host.conf'), encoding='utf-8').read()
        for name, default in (('portal-adapter', 8080), ('whatsapp-adapter', 8081), ('appeals-service', 8083),
                              ('dispatcher', 8084)):
            assert f'127.0.0.1:{default};' in upstreams
            upstreams = upstreams.replace(f'127.0.0.1:{default};', f'127.0.0.1:{ports[name]};')
        edge = Edge(folder, upstreams)

        # The public paths, each reaching its own service.
        status, headers, body = edge.request('/v')
        check(status == 200 and b'<html' in body.lower(), f'GET /v (verification page) over HTTPS: {status}')
        check('max-age' in headers.get('Strict-Transport-Security', ''), 'HSTS on HTTPS answers')
        # The address a seal's QR holds (upper case, HTTPS://HOST/V/<seal>) reaches the verification page: an unknown
        # seal is a page saying so, not the edge's 404.
        status, headers, body = edge.request('/V/DK1EDGETEST')
        check(status == 200 and b'<html' in body.lower(), f'GET /V/<seal> (the QR\'s address) over HTTPS: {status}')
        status, headers, body = edge.request('/rate/not-a-token')
        check(status == 404 and b'<html' in body.lower() and b'no such public path' not in body,
              f'GET /rate/<token> reaches the rating page (404 page for an unknown link): {status}')
        status, headers, body = edge.request('/.well-known/dakiya-seal-keys.json')
        check(status == 200, f'GET /.well-known/dakiya-seal-keys.json: {status}')
        status, headers, body = edge.request('/v1/applications/EDGE-1/outcome', 'POST', b'{}',
                                             {'Content-Type': 'application/json', 'Idempotency-Key': 'edge-1'})
        check(status == 401 and headers.get('Content-Type', '').startswith('application/problem+json'),
              f'POST /v1/applications/…/outcome reaches portal-adapter (401 without a key): {status} {body[:120]!r}')
        status, _, body = edge.request(f'/v1/deliveries/{"0" * 8}-0000-4000-8000-{"0" * 12}',
                                       headers={'Authorization': f'Bearer {first_key}'})
        check(status == 404, f"the setup's first key is accepted through the edge (404 for an unknown delivery): {status}")
        status, headers, body = edge.request('/v1/applications/EDGE-1/appeals')
        check(status == 401,
              f'GET /v1/applications/…/appeals reaches appeals-service (401 without a key): {status}')
        status, _, body = edge.request(
            f'/webhooks/whatsapp?hub.mode=subscribe&hub.challenge=8675309&hub.verify_token={verify_token}')
        check(status == 200 and body == b'8675309', f"Meta's webhook handshake through the edge: {status} {body[:20]!r}")
        status, headers, body = edge.request('/dashboard')
        location = headers.get('Location', '')
        check(status == 303 and location.startswith('/dashboard/'), f'GET /dashboard: {status} to {location}')
        status, _, body = edge.request(location)
        check(status == 200 and b'<html' in body.lower(), f'GET {location} (the state\'s dashboard): {status}')
        status, _, body = edge.request('/desk/sign-in')
        check(status == 200 and b'<form' in body.lower(), f'GET /desk/sign-in: {status}')
        status, _, body = edge.request('/log/checkpoint')
        check(status == 200 and body.startswith(b'dakiya'),
              f'GET /log/checkpoint reaches the dispatcher: {status}')

        # The internal paths are not reachable, though every service answers them on its own port.
        for path in ('/metrics', '/healthz', '/readyz', '/openapi.json', '/_sim/messages', '/log/../metrics',
                     '/v1/../metrics', '/webhooks/whatsapp/../../metrics', '/dashboard/../metrics'):
            status, headers, body = edge.request(path)
            check(status == 404 and b'dakiya_' not in body, f'{path} is not served by the edge: {status}')
        with urllib.request.urlopen(f'http://127.0.0.1:{ports["portal-adapter"]}/metrics') as response:
            check(b'dakiya_' in response.read(), '/metrics still answers on the service port (for Prometheus)')

        # Plain HTTP is redirected to HTTPS.
        status, headers, _ = edge.request('/v?x=1', scheme='http')
        check(status == 301 and headers.get('Location', '').startswith('https://'),
              f'plain HTTP is redirected to HTTPS: {status} {headers.get("Location")}')

        # A client over its rate: 429 (the sign-in page's zone: 10/s, a burst of 20).
        with concurrent.futures.ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(lambda _: edge.request('/desk/sign-in')[0], range(80)))
        check(statuses.count(429) > 0 and statuses.count(200) >= 10 and statuses.count(200) + statuses.count(429) == 80,
              f'80 requests at once from one client: {statuses.count(200)} answered, {statuses.count(429)} got 429')
        edge.stop()

        # The client's address and the scheme reach the service: the same configuration with an echo server as
        # the portal.
        class Echo(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                body = json.dumps({k.lower(): v for k, v in self.headers.items()}).encode()
                self.send_response(200)
                self.send_header('Content-Type', 'application/json')
                self.send_header('Content-Length', str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass
        echo = http.server.ThreadingHTTPServer(('127.0.0.1', 0), Echo)
        threading.Thread(target=echo.serve_forever, daemon=True).start()
        echo_upstreams = upstreams.replace(f'127.0.0.1:{ports["portal-adapter"]};',
                                           f'127.0.0.1:{echo.server_address[1]};')
        edge = Edge(folder, echo_upstreams)
        status, _, body = edge.request('/v1/deliveries/x', headers={'X-Forwarded-For': '203.0.113.9'})
        seen = json.loads(body) if status == 200 else {}
        check(seen.get('x-real-ip') == '127.0.0.1', f'X-Real-IP is the client address: {seen.get("x-real-ip")}')
        check(seen.get('x-forwarded-for') == '203.0.113.9, 127.0.0.1',
              f'X-Forwarded-For carries the chain: {seen.get("x-forwarded-for")}')
        check(seen.get('x-forwarded-proto') == 'https', f'X-Forwarded-Proto: {seen.get("x-forwarded-proto")}')
    finally:
        if edge:
            edge.stop()
        if echo:
            echo.shutdown()
        stop_processes(services)
        subprocess.run(['psql', admin_url, '-qc', f'DROP DATABASE IF EXISTS {database} WITH (FORCE)'])
        shutil.rmtree(folder, ignore_errors=True)
    print(f'edge-test: {len(failures)} failed' if failures else 'edge-test: every check passed')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
