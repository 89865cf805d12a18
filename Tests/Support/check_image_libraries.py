#!/usr/bin/env python3
"""make image-products, after the build: the runtime stage of docker/Dockerfile installs exactly the Debian
packages whose libraries the built binaries link directly (readelf's NEEDED entries, each found with ldconfig and
its package with dpkg -S), beside what debian:bookworm-slim already has (libc6, libgcc-s1, libstdc++6) and the
data packages (ca-certificates, tzdata). A library linked but not installed, or a package installed that nothing
links, fails.   python3 Tests/Support/check_image_libraries.py FOLDER"""
import os
import re
import subprocess
import sys

BASE = {'libc6', 'libgcc-s1', 'libstdc++6'}
DATA = {'ca-certificates', 'tzdata'}


def main():
    folder = sys.argv[1]
    needed = set()
    for name in sorted(os.listdir(folder)):
        path = os.path.join(folder, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            dynamic = subprocess.run(['readelf', '-d', path], capture_output=True, text=True).stdout
            needed |= set(re.findall(r'\(NEEDED\)\s+Shared library: \[([^\]]+)\]', dynamic))
    cache = subprocess.run(['ldconfig', '-p'], capture_output=True, text=True).stdout
    paths = {}
    for soname, path in re.findall(r'^\s*(\S+) \(libc6,x86-64[^)]*\) => (\S+)$', cache, re.M):
        paths.setdefault(soname, path)
    linked = {}
    for soname in sorted(needed):
        path = paths.get(soname)
        if not path:
            print(f'check_image_libraries: {soname} is linked but not found by ldconfig')
            return 1
        owner = subprocess.run(['dpkg', '-S', os.path.realpath(path)], capture_output=True, text=True)
        if owner.returncode != 0:
            owner = subprocess.run(['dpkg', '-S', path], capture_output=True, text=True)
        package = owner.stdout.split(':')[0].strip()
        linked[package] = soname
    dockerfile = open('docker/Dockerfile', encoding='utf-8').read()
    runtime = dockerfile.split('# The services (the default target).')[1]
    installed = set(re.search(r'apt-get install -y --no-install-recommends \\\s*\n\s*([^\\]+)\\', runtime).group(1).split())
    required = set(linked) - BASE
    findings = [f'docker/Dockerfile: the binaries link {linked[p]} ({p}) but the runtime stage does not install {p}'
                for p in sorted(required - installed)]
    findings += [f'docker/Dockerfile: the runtime stage installs {p}, which no binary links'
                 for p in sorted(installed - required - DATA)]
    for finding in findings:
        print(finding)
    if not findings:
        print('check_image_libraries: the runtime packages are exactly what the binaries link: '
              + ', '.join(f'{p} ({linked[p]})' for p in sorted(required)))
    return 1 if findings else 0


if __name__ == '__main__':
    sys.exit(main())
