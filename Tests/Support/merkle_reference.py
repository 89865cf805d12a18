#!/usr/bin/env python3
"""An independent RFC 9162 Merkle tree, written from the RFC's text (§2.1.1 MTH, §2.1.3.1 PATH, §2.1.4.1 PROOF),
to check the Swift implementation against. For leaves "leaf-0" … "leaf-<n-1>" it prints, per tree size from 1 to
n, one line: size, root, the SHA-256 of every inclusion proof of that size concatenated (index order), and the
SHA-256 of every consistency proof from each smaller size (1 … size-1) concatenated, all hex."""
import functools
import hashlib
import sys


def h(data):
    return hashlib.sha256(data).digest()


def leaf(entry):
    return h(b'\x00' + entry)


def node(left, right):
    return h(b'\x01' + left + right)


def largest_power_of_two_below(n):
    k = 1
    while k * 2 < n:
        k *= 2
    return k


LEAVES = []


@functools.lru_cache(maxsize=None)
def mth_range(start, end):
    """MTH of LEAVES[start:end]; memoised, since a range's root never changes once its leaves exist."""
    if start == end:
        return h(b'')
    if end - start == 1:
        return LEAVES[start]
    k = largest_power_of_two_below(end - start)
    return node(mth_range(start, start + k), mth_range(start + k, end))


class View:
    """A range of LEAVES, sliced like a list, whose root is memoised."""

    def __init__(self, start, end):
        self.start, self.end = start, end

    def __len__(self):
        return self.end - self.start

    def __getitem__(self, item):
        first = self.start + (item.start or 0)
        last = self.start + item.stop if item.stop is not None else self.end
        return View(first, last)


def mth(leaves):
    return mth_range(leaves.start, leaves.end)


def path(m, leaves):
    if len(leaves) == 1:
        return []
    k = largest_power_of_two_below(len(leaves))
    if m < k:
        return path(m, leaves[:k]) + [mth(leaves[k:])]
    return path(m - k, leaves[k:]) + [mth(leaves[:k])]


def subproof(m, leaves, complete):
    n = len(leaves)
    if m == n:
        return [] if complete else [mth(leaves)]
    k = largest_power_of_two_below(n)
    if m <= k:
        return subproof(m, leaves[:k], complete) + [mth(leaves[k:])]
    return subproof(m - k, leaves[k:], False) + [mth(leaves[:k])]


def main():
    n = int(sys.argv[1])
    LEAVES.extend(leaf(f'leaf-{i}'.encode()) for i in range(n))
    for size in range(1, n + 1):
        tree = View(0, size)
        inclusion = hashlib.sha256()
        for index in range(size):
            for step in path(index, tree):
                inclusion.update(step)
        consistency = hashlib.sha256()
        for old in range(1, size):
            for step in subproof(old, tree, True):
                consistency.update(step)
        print(size, mth(tree).hex(), inclusion.hexdigest(), consistency.hexdigest())


if __name__ == '__main__':
    main()
