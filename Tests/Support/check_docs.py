#!/usr/bin/env python3
"""Every cross-module declaration of the shared modules has a `///` comment, and every one that throws says what
with `- Throws:`. Cross-module means `package` functions, initialisers and types (stored properties of plain data
types are named for what they hold and are not counted; nor are implementations of a protocol's requirements, which
the protocol documents). Run by `make lint`; prints each finding as file:line."""
import glob
import re
import sys

DECLARATION = re.compile(
    r'^(@\w+(\([^)]*\))?\s+)*package\s+(static\s+|final\s+|mutating\s+|convenience\s+|nonisolated\s+)*'
    r'(func|struct|enum|class|init|protocol|typealias)\b')


# Implementations of a protocol's requirement are documented by the protocol (Codable, Comparable, PostgresDecodable).
CONFORMANCE = re.compile(
    r'package\s+(init\(from decoder|func encode\(to encoder|static func (<|==) |static func decode\(postgresText)')


def signature(lines, start):
    text = lines[start]
    index = start
    while '{' not in text and index + 1 < len(lines) and index - start < 12:
        index += 1
        text += ' ' + lines[index]
    head = text.split('{')[0]
    # Only what follows the parameter list: a closure parameter's own `throws` does not make the function throw.
    opening = head.find('(')
    if opening < 0:
        return head
    depth = 0
    for index in range(opening, len(head)):
        if head[index] == '(':
            depth += 1
        elif head[index] == ')':
            depth -= 1
            if depth == 0:
                return head[:opening] + head[index + 1:]
    return head


def main():
    findings = []
    files = sorted(glob.glob('Shared/**/*.swift', recursive=True))
    for path in files:
        if '/TestSupport/' in path:
            continue
        lines = open(path, encoding='utf-8').read().split('\n')
        for number, line in enumerate(lines):
            stripped = line.strip()
            if not DECLARATION.match(stripped) or CONFORMANCE.search(stripped):
                continue
            above = number - 1
            while above >= 0 and lines[above].strip().startswith('@'):
                above -= 1
            if above < 0 or not lines[above].strip().startswith('///'):
                findings.append(f'{path}:{number + 1}: no /// comment: {stripped[:80]}')
                continue
            first = above
            while first >= 0 and lines[first].strip().startswith('///'):
                first -= 1
            doc = '\n'.join(lines[first + 1:above + 1])
            if re.search(r'\bthrows\b', signature(lines, number)) and '- Throws:' not in doc:
                findings.append(f'{path}:{number + 1}: throws without - Throws: {stripped[:80]}')
    for finding in findings:
        print(finding)
    if findings:
        print(f'check_docs: {len(findings)} declarations to document', file=sys.stderr)
        return 1
    return 0


if __name__ == '__main__':
    sys.exit(main())
