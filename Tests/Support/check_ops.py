#!/usr/bin/env python3
"""The operators' files name only metrics the services export: every dakiya_ metric in the Prometheus alerting
rules, in the Grafana dashboard and in docs/operations.md's table is registered somewhere in the Swift sources (histograms by their _bucket,
_sum and _count series), and the dashboard is valid JSON whose panels all query. Run by `make lint`."""
import glob
import json
import re
import sys

METRIC = re.compile(r'\bdakiya_[a-z_]+\b')


def main():
    exported = set()
    for path in glob.glob('Shared/**/*.swift', recursive=True) + glob.glob('Services/**/*.swift', recursive=True):
        exported |= set(re.findall(r'"(dakiya_[a-z_]+)"', open(path, encoding='utf-8').read()))
    findings = []

    def check(where, text):
        for name in METRIC.findall(text):
            base = re.sub(r'_(bucket|sum|count)$', '', name)
            if name not in exported and base not in exported:
                findings.append(f'{where}: {name} is not a metric any service exports')

    rules = open('docker/prometheus/dakiya-alerts.yaml', encoding='utf-8').read()
    for number, line in enumerate(rules.split('\n'), 1):
        if 'expr' in line or line.startswith('            '):
            check(f'docker/prometheus/dakiya-alerts.yaml:{number}', line.split('#')[0])
    try:
        dashboard = json.load(open('docker/prometheus/dakiya-grafana.json', encoding='utf-8'))
    except ValueError as error:
        findings.append(f'docker/prometheus/dakiya-grafana.json: not JSON: {error}')
        dashboard = {'panels': []}
    for panel in dashboard['panels']:
        targets = panel.get('targets') or []
        if not targets:
            findings.append(f'docker/prometheus/dakiya-grafana.json: panel "{panel.get("title")}" has no query')
        for target in targets:
            check(f'docker/prometheus/dakiya-grafana.json: panel "{panel.get("title")}"', target.get('expr', ''))
    # The metrics docs/operations.md describes (its table rows) are exported too.
    for number, line in enumerate(open('docs/operations.md', encoding='utf-8').read().split('\n'), 1):
        if line.startswith('| `dakiya_'):
            check(f'docs/operations.md:{number}', line.split(' | ')[0])
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == '__main__':
    sys.exit(main())
