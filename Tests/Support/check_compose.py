#!/usr/bin/env python3
"""docker/compose.yaml, checked without a container engine (make lint):

- every command a dakiya image runs is an executable the image has (docker/build-products.sh's products and the
  scripts the Dockerfile copies in);
- every DAKIYA_ setting a service is given is one that program reads (a typo or a setting given to the wrong
  service fails), and the settings it needs to deliver end to end are set;
- secrets only through files: a secret setting is given as DAKIYA_…_FILE naming /run/secrets/<name>, the service
  lists that secret, the secret's file is one docker/make-secrets.sh makes, and no secret value is written inline;
  whatsapp-adapter and the simulator share the token and app secret;
- every URL between services names a service of the file on the port it listens on; nginx's compose upstreams too;
- every long-running service has a healthcheck probing its own port; the one-shot ones run before the services;
- the published ports are the ones the README's compose table lists.
"""
import os
import re
import sys

import yaml

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import settings_reference  # noqa: E402

COMPOSE = 'docker/compose.yaml'
DAKIYA_PROGRAMS = {'portal-adapter', 'whatsapp-adapter', 'email-adapter', 'appeals-service', 'dispatcher'}
SECRET = re.compile(r'(TOKEN|SECRET|PASSWORD|_KEY$|DATABASE_URL)')
# What each program needs set to deliver end to end in compose (the code's defaults point at make run's ports).
NEEDED = {
    'portal-adapter': ['DAKIYA_DATABASE_URL', 'DAKIYA_LINK_SIGNING_KEY', 'DAKIYA_HTTP_HOST'],
    'whatsapp-adapter': ['DAKIYA_DATABASE_URL', 'DAKIYA_HTTP_HOST', 'DAKIYA_WHATSAPP_GRAPH_URL',
                         'DAKIYA_WHATSAPP_TEST_GRAPH_URL', 'DAKIYA_WHATSAPP_ACCESS_TOKEN', 'DAKIYA_WHATSAPP_APP_SECRET',
                         'DAKIYA_WHATSAPP_VERIFY_TOKEN'],
    'email-adapter': ['DAKIYA_DATABASE_URL', 'DAKIYA_HTTP_HOST', 'DAKIYA_SMTP_URL', 'DAKIYA_SMTP_TEST_URL'],
    'appeals-service': ['DAKIYA_DATABASE_URL', 'DAKIYA_HTTP_HOST'],
    'dispatcher': ['DAKIYA_DATABASE_URL', 'DAKIYA_HTTP_HOST', 'DAKIYA_VERIFY_URL', 'DAKIYA_LOG_SIGNING_KEY'],
    'whatsapp-cloud-simulator': ['DAKIYA_SIM_HOST', 'DAKIYA_SIM_WEBHOOK_URL', 'DAKIYA_SIM_ACCESS_TOKEN',
                                 'DAKIYA_SIM_APP_SECRET'],
    'dakiya-admin': ['DAKIYA_DATABASE_URL'],
}


def main():
    findings = []
    compose = yaml.safe_load(open(COMPOSE, encoding='utf-8'))
    services = compose['services']
    dockerfile = open('docker/Dockerfile', encoding='utf-8').read()
    script = open('docker/build-products.sh', encoding='utf-8').read()
    executables = set(re.search(r'^products=\(([^)]*)\)', script, re.M).group(1).split())
    executables |= set(re.findall(r'^COPY docker/\S+ /usr/local/bin/(\S+)$', dockerfile, re.M))
    made = set(re.findall(r'^make_secret ([\w.-]+)', open('docker/make-secrets.sh', encoding='utf-8').read(), re.M))
    made |= {'tls.crt', 'tls.key'} if 'secrets/tls.crt' in open('docker/make-secrets.sh').read() else set()
    settings = settings_reference.scan()
    setup_script = open('docker/compose-setup.sh', encoding='utf-8').read()

    def reads(program, name):
        entry = settings.get(name) or settings.get(re.sub(r'_\d+$', '_<phone_number_id>', name))
        if program == 'dakiya-compose-setup':
            return name in setup_script or (entry and 'dakiya-admin' in entry['services'])
        if not entry:
            return False
        return program in entry['services'] or (program in DAKIYA_PROGRAMS and 'every service' in entry['services'])

    def listen_port(name):
        service = services.get(name)
        if service is None:
            return None
        environment = service.get('environment') or {}
        if service.get('image', '').startswith('dakiya:'):
            program = (service.get('command') or ['dispatcher'])[0]
            if program == 'whatsapp-cloud-simulator':
                return int(environment.get('DAKIYA_SIM_PORT', 8090))
            return int(environment.get('DAKIYA_HTTP_PORT', 8080))
        if name == 'mailsink':
            return int(re.search(r'"0\.0\.0\.0:(\d+)"', dockerfile).group(1))
        if name == 'postgres':
            return 5432
        if name == 'edge':
            return 443
        return None

    top_secrets = compose.get('secrets') or {}
    for name, definition in top_secrets.items():
        path = definition.get('file', '')
        if not path.startswith('./secrets/') or os.path.basename(path) not in made:
            findings.append(f'{COMPOSE}: secret {name} is {path}, which docker/make-secrets.sh does not make')

    for name, service in services.items():
        image = service.get('image', '')
        command = service.get('command') or []
        environment = service.get('environment') or {}
        listed = {s if isinstance(s, str) else s['source'] for s in service.get('secrets') or []}
        one_shot = name in ('migrate', 'setup')
        if image.startswith('dakiya:'):
            program = command[0] if command else None
            if program not in executables:
                findings.append(f'{COMPOSE}: {name} runs {program}, which the image does not have')
            for key, value in environment.items():
                if not key.startswith('DAKIYA_'):
                    continue
                setting = key[:-5] if key.endswith('_FILE') else key
                if not reads(program, setting):
                    findings.append(f'{COMPOSE}: {name} sets {key}, but {program} reads no {setting}')
                if key.endswith('_FILE'):
                    secret = str(value).removeprefix('/run/secrets/')
                    if not str(value).startswith('/run/secrets/') or secret not in top_secrets:
                        findings.append(f'{COMPOSE}: {name} {key}={value} is not a compose secret')
                    elif secret not in listed:
                        findings.append(f'{COMPOSE}: {name} reads the secret {secret} but does not list it')
                elif SECRET.search(key):
                    findings.append(f'{COMPOSE}: {name} sets {key} inline; secrets come from files ({key}_FILE)')
            for needed in NEEDED.get(program, []):
                if needed not in environment and needed + '_FILE' not in environment:
                    findings.append(f'{COMPOSE}: {name} ({program}) needs {needed} to deliver end to end')
            if not one_shot and program != 'dakiya-admin':
                depends = service.get('depends_on') or {}
                if 'setup' not in depends:
                    findings.append(f'{COMPOSE}: {name} does not wait for the migrations and setup')
        for key, value in environment.items():
            for host, port in re.findall(r'\b(?:https?|smtps?|postgresql)://(?:[^@/\s]*@)?([a-z][\w-]*):(\d+)', str(value)):
                if host == 'localhost':
                    continue
                if host not in services:
                    findings.append(f'{COMPOSE}: {name} {key} names {host}, which is not a service')
                elif listen_port(host) != int(port):
                    findings.append(f'{COMPOSE}: {name} {key} uses {host}:{port}, but {host} listens on '
                                    f'{listen_port(host)}')
        if not one_shot:
            probe = service.get('healthcheck', {}).get('test')
            if not probe:
                findings.append(f'{COMPOSE}: {name} has no healthcheck')
            elif name not in ('postgres', 'mailsink', 'edge') and f'/dev/tcp/127.0.0.1/{listen_port(name)}' not in ' '.join(probe):
                findings.append(f'{COMPOSE}: {name} healthcheck does not probe its port {listen_port(name)}')
        for mapping in service.get('ports') or []:
            container = int(str(mapping).split(':')[-1])
            if name != 'edge' and container != listen_port(name):
                findings.append(f'{COMPOSE}: {name} publishes {mapping}, but listens on {listen_port(name)}')

    # The token and app secret the simulator checks are whatsapp-adapter's.
    adapter = services['whatsapp-adapter']['environment']
    simulator = services['whatsapp-cloud-simulator']['environment']
    for ours, theirs in (('DAKIYA_WHATSAPP_ACCESS_TOKEN_FILE', 'DAKIYA_SIM_ACCESS_TOKEN_FILE'),
                         ('DAKIYA_WHATSAPP_APP_SECRET_FILE', 'DAKIYA_SIM_APP_SECRET_FILE')):
        if adapter.get(ours) != simulator.get(theirs):
            findings.append(f'{COMPOSE}: whatsapp-adapter {ours} and the simulator {theirs} differ')

    # nginx's upstreams in compose.
    for host, port in re.findall(r'server ([\w-]+):(\d+);', open('docker/nginx/upstreams-compose.conf').read()):
        if listen_port(host) != int(port):
            findings.append(f'docker/nginx/upstreams-compose.conf: {host}:{port}, but {host} listens on '
                            f'{listen_port(host)}')

    # The README's table of compose's published ports.
    readme = open('README.md', encoding='utf-8').read()
    table = dict(re.findall(r'^\| `([\w-]+)` \| (\d+(?:, \d+)*) \|', readme.split('<!-- compose ports -->')[1], re.M)) \
        if '<!-- compose ports -->' in readme else {}
    published = {name: ', '.join(str(p).split(':')[0] for p in service.get('ports') or [])
                 for name, service in services.items() if service.get('ports')}
    if table != published:
        findings.append(f'README.md: the compose ports table {table} is not what {COMPOSE} publishes {published}')

    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == '__main__':
    sys.exit(main())
