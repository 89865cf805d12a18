#!/usr/bin/env python3
"""The container image ships every executable product: docker/build-products.sh's list is Package.swift's
executables but the benchmark, and the Dockerfile runs that script. Run by `make lint`; prints each finding."""
import re
import sys


def main():
    package = open('Package.swift', encoding='utf-8').read()
    executables = set(re.findall(r'\.executable\(name: "([^"]+)"', package)) - {'dakiya-bench'}
    script = open('docker/build-products.sh', encoding='utf-8').read()
    listed = re.search(r'^products=\(([^)]*)\)', script, re.M)
    products = set(listed.group(1).split()) if listed else set()
    findings = [f'docker/build-products.sh: {name} is an executable in Package.swift but is not built'
                for name in sorted(executables - products)]
    findings += [f'docker/build-products.sh: {name} is not an executable product of Package.swift'
                 for name in sorted(products - executables)]
    dockerfile = open('docker/Dockerfile', encoding='utf-8').read()
    if 'RUN docker/build-products.sh' not in dockerfile:
        findings.append('docker/Dockerfile: the build stage does not run docker/build-products.sh')
    for finding in findings:
        print(finding)
    return 1 if findings else 0


if __name__ == '__main__':
    sys.exit(main())
