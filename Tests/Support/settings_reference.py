#!/usr/bin/env python3
"""docs/settings.md, generated from the code: every setting a service reads (`settings.int("DAKIYA_…", default: …,
in: …)` and its kin in Services/ and Shared/ServiceHost), with its type, default and allowed values as the code has
them. Descriptions are written by people, in the file's last column, and kept across regenerations.

    python3 Tests/Support/settings_reference.py          rewrite docs/settings.md (make settings-reference)
    python3 Tests/Support/settings_reference.py --check  fail when docs/settings.md is not what the code says, or a
                                                         setting has no description (make lint)
"""
import glob
import re
import sys

DOC = 'docs/settings.md'
# An accessor of Settings, or one of the services' small wrappers around one (url: an SMTP URL, linkKey: a key).
CALL = re.compile(
    r'(?:(?:settings|Settings\(\))\s*\.\s*(string|optionalString|int|seconds|bool|choice|databaseURL)|'
    r'\b(url|linkKey))\(\s*"(DAKIYA_[A-Z0-9_]+)(\\\(number\))?"')
TYPES = {'string': 'text', 'optionalString': 'text', 'int': 'integer', 'seconds': 'seconds', 'bool': 'true/false',
         'choice': 'one of', 'databaseURL': 'PostgreSQL URL', 'url': 'smtp:// or smtps:// URL',
         'linkKey': 'key, base64url'}
# Defaults the code computes: what they come to.
COMPUTED = {
    'Int(defaultPort)': "the service's own: 8080 portal-adapter, 8081 whatsapp-adapter, 8082 email-adapter, "
                        "8083 appeals-service, 8084 dispatcher",
    'httpThreads + 4 + broadcastConcurrency': 'DAKIYA_HTTP_THREADS + 4 + DAKIYA_BROADCAST_CONCURRENCY',
    'configuration.accessToken': '`dev-token`',
    'webhooks.appSecret': '`dev-app-secret`',
    'policy.witnesses.count': 'every witness',
    'Int(loaded.messagesPerSecond)': 'DAKIYA_WHATSAPP_MPS',
    '"http://127.0.0.1:\\(port)"': '`http://127.0.0.1:<DAKIYA_SIM_PORT>`',
}
SERVICES = ['every service', 'portal-adapter', 'whatsapp-adapter', 'email-adapter', 'appeals-service', 'dispatcher',
            'dakiya-admin', 'whatsapp-cloud-simulator']


def literal(text):
    text = text.strip()
    if text in COMPUTED:
        return COMPUTED[text]
    text = re.sub(r'^\((.*)\)$', r'\1', text)
    shift = re.fullmatch(r'(\d+) << (\d+)', text)
    if shift:
        value = int(shift.group(1)) << int(shift.group(2))
        return f'{value:,} ({value >> 20} MiB)' if value >= 1 << 20 else f'{value:,}'
    if text == 'nil':
        return 'not set'
    if text.startswith('"') and text.endswith('"'):
        return '`' + text[1:-1] + '`'
    return text.replace('_', ',') if re.fullmatch(r'[\d_.]+', text) else '`' + text + '`'


def allowed(kind, rest):
    found = re.search(r'\bin:\s*(.+?)\s*$', rest, re.S)
    if found:
        low, high = found.group(1).split('...')
        return f'{literal(low)} to {literal(high)}'
    found = re.search(r'from:\s*(.+?)\s*$', rest, re.S)
    if found:
        return ', '.join(enum_cases(found.group(1).strip().split('.allCases')[0].split('.')[-1]))
    return {'bool': 'true/false, yes/no, on/off, 1/0', 'databaseURL': 'postgres:// or postgresql://'}.get(kind, '')


def enum_cases(name):
    """The cases of `enum name` in Shared/, in order (the choices an `X.allCases` setting accepts)."""
    for path in glob.glob('Shared/**/*.swift', recursive=True):
        text = open(path, encoding='utf-8').read()
        found = re.search(r'enum ' + name + r'\b[^{]*\{(.*?)\n    \}', text, re.S)
        if found:
            return [case.strip() for line in re.findall(r'^\s*case ([a-z][\w, ]*)$', found.group(1), re.M)
                    for case in line.split(',')]
    raise SystemExit(f'settings_reference: enum {name} not found')


def scan():
    settings = {}
    files = sorted(glob.glob('Services/**/*.swift', recursive=True)) + sorted(
        glob.glob('Shared/ServiceHost/*.swift'))
    for path in files:
        service = path.split('/')[1] if path.startswith('Services/') else 'every service'
        if service == 'dakiya-audit':
            continue
        text = open(path, encoding='utf-8').read()
        for match in CALL.finditer(text):
            kind, wrapper, name, per_number = match.groups()
            kind = kind or wrapper
            depth, end = 1, match.end()
            while depth:  # the call's arguments, to its closing parenthesis
                depth += {'(': 1, ')': -1}.get(text[end], 0)
                end += 1
            rest = text[match.end():end - 1]
            if per_number:
                name += '<phone_number_id>'
            default = re.search(r'default:\s*(.+?)(?:,\s*(?:in|from):|$)', rest, re.S)
            if kind in ('optionalString', 'linkKey'):
                shown = 'not set'
            elif kind == 'databaseURL' or (kind == 'string' and not default):
                shown = '**required**'
            else:
                shown = literal(default.group(1)) if default else ''
            entry = settings.setdefault(name, {'services': [], 'type': TYPES[kind], 'default': shown,
                                               'allowed': allowed(kind, rest)})
            if service not in entry['services']:
                entry['services'].append(service)
    # Read by hand (not through a Settings accessor): named here so the reference is complete.
    return settings


def existing_descriptions():
    descriptions = {}
    try:
        for line in open(DOC, encoding='utf-8'):
            cells = [cell.strip() for cell in line.strip().strip('|').split('|')]
            if len(cells) == 5 and cells[0].startswith('`DAKIYA_'):
                descriptions[cells[0].strip('`')] = cells[4]
    except FileNotFoundError:
        pass
    return descriptions


def render(settings, descriptions):
    lines = [
        '# Settings reference',
        '',
        'Every setting the services read from their environment, generated from the code by',
        '`make settings-reference` (Tests/Support/settings_reference.py) and checked by `make lint`, so it cannot',
        'drift from what the services do. A service checks all of its settings when it starts and stops with one',
        'line naming the first bad one (`invalid setting DAKIYA_HTTP_PORT: expected an integer from 0 to 65535`);',
        'secrets are never echoed. Empty means unset. Durations are seconds and may be fractional.',
        '',
        'Secrets (keys, tokens, passwords, the database URL) belong in an environment file or a compose secret,',
        'never in the image. A `…_PREVIOUS` setting holds the value being replaced during a changeover',
        '(docs/operations.md, "Rotating secrets").',
        '',
    ]
    for service in SERVICES:
        names = sorted(name for name, entry in settings.items() if service in entry['services'])
        if not names:
            continue
        heading = 'Every service' if service == 'every service' else service
        lines += [f'## {heading}', '', '| Setting | Type | Default | Allowed | What it does |', '|---|---|---|---|---|']
        for name in names:
            entry = settings[name]
            also = [s for s in entry['services'] if s != service]
            description = descriptions.get(name, '')
            lines.append(f"| `{name}` | {entry['type']} | {entry['default']} | {entry['allowed']} | {description} |")
            del also
        lines.append('')
    return '\n'.join(lines)


def main():
    settings = scan()
    descriptions = existing_descriptions()
    text = render(settings, descriptions)
    if '--check' in sys.argv:
        findings = [f'{DOC}: {name} has no description (write it in the last column)'
                    for name in sorted(settings) if not descriptions.get(name)]
        current = open(DOC, encoding='utf-8').read() if glob.glob(DOC) else ''
        if current != text:
            findings.append(f'{DOC} differs from the settings in the code: run make settings-reference')
        for finding in findings:
            print(finding)
        sys.exit(1 if findings else 0)
    open(DOC, 'w', encoding='utf-8').write(text)
    print(f'{DOC}: {len(settings)} settings, {sum(1 for n in settings if not descriptions.get(n))} without description')


if __name__ == '__main__':
    main()
