import Cryptography

/// The Merkle tree hashing of RFC 9162 §2.1 (the same as RFC 6962's): a leaf is SHA-256(0x00 ‖ entry), an interior
/// node SHA-256(0x01 ‖ left ‖ right), and a tree of n leaves splits at the largest power of two below n. Inclusion
/// and consistency proofs are built (`PATH`, `PROOF`) and verified (§2.1.3.2, §2.1.4.2) exactly as written there.
package enum Merkle {
    /// SHA-256 of the empty string: the root of the empty tree.
    package static let emptyRoot: [UInt8] = SHA256.hash([UInt8]())

    /// The hash of a leaf whose entry is `entry`.
    package static func leafHash(_ entry: [UInt8]) -> [UInt8] { SHA256.hash([0x00] + entry) }

    /// The hash of an interior node over `left` and `right`.
    package static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        SHA256.hash([0x01] + left + right)
    }

    /// The largest power of two smaller than `n` (n ≥ 2): where a tree of n leaves splits.
    static func split(_ n: Int) -> Int {
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH: the root of the tree whose leaves have these hashes.
    package static func root(_ leaves: ArraySlice<[UInt8]>) -> [UInt8] {
        MerkleTree(leafHashes: Array(leaves)).root(size: leaves.count)
    }

    /// PATH(m, D[n]): the inclusion proof of leaf `index` in the tree of `leaves`.
    package static func inclusionProof(index: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        MerkleTree(leafHashes: Array(leaves)).inclusionProof(index: index, size: leaves.count)
    }

    /// PROOF(m, D[n]): the consistency proof between the tree of the first `size` leaves and the tree of all.
    package static func consistencyProof(from size: Int, _ leaves: ArraySlice<[UInt8]>) -> [[UInt8]] {
        MerkleTree(leafHashes: Array(leaves)).consistencyProof(from: size, to: leaves.count)
    }

    /// RFC 9162 §2.1.3.2: does `proof` show the leaf with `leafHash` at `index` in the tree of `size` with `root`?
    package static func verifyInclusion(
        leafHash: [UInt8], index: Int, size: Int, proof: [[UInt8]], root: [UInt8]
    ) -> Bool {
        guard index >= 0, index < size else { return false }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && constantTimeEquals(r, root)
    }

    /// RFC 9162 §2.1.4.2: does `proof` show the tree of `size1` with `root1` is a prefix of the tree of `size2`
    /// with `root2`? (Equal sizes need an empty proof and equal roots; an empty old tree is consistent with any.)
    package static func verifyConsistency(
        size1: Int, root1: [UInt8], size2: Int, root2: [UInt8], proof: [[UInt8]]
    ) -> Bool {
        guard size1 >= 0, size1 <= size2 else { return false }
        if size1 == size2 { return proof.isEmpty && constantTimeEquals(root1, root2) }
        if size1 == 0 { return proof.isEmpty }
        guard !proof.isEmpty else { return false }
        var path = proof
        // When size1 is a power of two, the old root is the first node of the path.
        if size1 & (size1 - 1) == 0 { path.insert(root1, at: 0) }
        var fn = size1 - 1
        var sn = size2 - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                if fn & 1 == 0 {
                    while fn & 1 == 0 && fn != 0 {
                        fn >>= 1
                        sn >>= 1
                    }
                }
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && constantTimeEquals(fr, root1) && constantTimeEquals(sr, root2)
    }
}

/// The right edge of a growing tree: the roots of its perfect subtrees, largest first. Appending a leaf costs
/// O(log n) hashes and the root is always at hand, so an integrator never rereads old leaves.
package struct MerkleFrontier: Sendable, Equatable {
    /// How many leaves the tree has.
    package private(set) var size: Int = 0
    /// The perfect subtrees' roots, from the left (largest) to the right (smallest); their sizes are the set bits
    /// of `size`.
    package private(set) var subtrees: [[UInt8]] = []

    /// An empty tree.
    package init() {}

    /// The tree described by its `size` and the roots of its perfect subtrees (as `subtrees` lists them); nil when
    /// their number does not match the size's set bits.
    package init?(size: Int, subtrees: [[UInt8]]) {
        guard size >= 0, size.nonzeroBitCount == subtrees.count else { return nil }
        self.size = size
        self.subtrees = subtrees
    }

    /// Adds a leaf by its hash.
    package mutating func append(_ leafHash: [UInt8]) {
        var hash = leafHash
        var size = self.size
        // Each trailing 1 bit of the old size is a perfect subtree of the same size as the one being carried.
        while size & 1 == 1 {
            hash = Merkle.nodeHash(subtrees.removeLast(), hash)
            size >>= 1
        }
        subtrees.append(hash)
        self.size += 1
    }

    /// The tree's root (MTH of all its leaves).
    package var root: [UInt8] {
        guard var hash = subtrees.last else { return Merkle.emptyRoot }
        for subtree in subtrees.dropLast().reversed() { hash = Merkle.nodeHash(subtree, hash) }
        return hash
    }
}

/// A tree over known leaf hashes that builds roots and proofs for any of its sizes, remembering each subtree's root
/// (a range's root never changes once its leaves exist), so proofs for many sizes cost little more than one.
/// Not thread-safe: one owner at a time.
package final class MerkleTree {
    package private(set) var leafHashes: [[UInt8]]
    private var roots: [Int: [UInt8]] = [:]

    /// A tree over `leafHashes`, in order.
    package init(leafHashes: [[UInt8]] = []) { self.leafHashes = leafHashes }

    /// Adds a leaf by its hash.
    package func append(_ leafHash: [UInt8]) { leafHashes.append(leafHash) }

    /// MTH of the first `size` leaves.
    package func root(size: Int) -> [UInt8] {
        precondition(size >= 0 && size <= leafHashes.count, "the tree has that many leaves")
        return root(0, size)
    }

    /// MTH of leaves `start..<end`.
    func root(_ start: Int, _ end: Int) -> [UInt8] {
        switch end - start {
        case 0: return Merkle.emptyRoot
        case 1: return leafHashes[start]
        default:
            let key = start << 32 | end
            if let known = roots[key] { return known }
            let k = Merkle.split(end - start)
            let hash = Merkle.nodeHash(root(start, start + k), root(start + k, end))
            roots[key] = hash
            return hash
        }
    }

    /// PATH(index, D[size]).
    package func inclusionProof(index: Int, size: Int) -> [[UInt8]] {
        precondition(index >= 0 && index < size && size <= leafHashes.count, "the leaf is in the tree")
        return Merkle.inclusionRanges(index: index, size: size).map { root($0.lowerBound, $0.upperBound) }
    }

    /// PROOF(oldSize, D[size]); empty when `oldSize` is 0 or `size`.
    package func consistencyProof(from oldSize: Int, to size: Int) -> [[UInt8]] {
        precondition(oldSize >= 0 && oldSize <= size && size <= leafHashes.count, "the old tree is a prefix")
        return Merkle.consistencyRanges(from: oldSize, to: size).map { root($0.lowerBound, $0.upperBound) }
    }
}

extension Merkle {
    /// The leaf ranges whose MTH, in order, make PATH(index, D[size]): a proof is these ranges' roots, wherever the
    /// hashes come from (leaves in memory, or the log's stored tiles).
    package static func inclusionRanges(index: Int, size: Int) -> [Range<Int>] {
        precondition(index >= 0 && index < size, "the leaf is in the tree")
        func path(_ m: Int, _ start: Int, _ end: Int) -> [Range<Int>] {
            guard end - start > 1 else { return [] }
            let k = split(end - start)
            if m < k { return path(m, start, start + k) + [(start + k)..<end] }
            return path(m - k, start + k, end) + [start..<(start + k)]
        }
        return path(index, 0, size)
    }

    /// The leaf ranges whose MTH, in order, make PROOF(oldSize, D[size]); none when `oldSize` is 0 or `size`.
    package static func consistencyRanges(from oldSize: Int, to size: Int) -> [Range<Int>] {
        precondition(oldSize >= 0 && oldSize <= size, "the old tree is a prefix")
        guard oldSize > 0, oldSize < size else { return [] }
        // SUBPROOF(m, D[start..<end], complete).
        func subproof(_ m: Int, _ start: Int, _ end: Int, complete: Bool) -> [Range<Int>] {
            if m == end - start { return complete ? [] : [start..<end] }
            let k = split(end - start)
            if m <= k { return subproof(m, start, start + k, complete: complete) + [(start + k)..<end] }
            return subproof(m - k, start + k, end, complete: false) + [start..<(start + k)]
        }
        return subproof(oldSize, 0, size, complete: true)
    }

    /// MTH of leaves `range`, from `perfect(start, size)` giving the root of the perfect, aligned subtree of
    /// `size` (a power of two) leaves from `start`: the range splits as RFC 9162 splits a tree.
    /// - Throws: what `perfect` throws.
    package static func rangeRoot(
        _ range: Range<Int>, perfect: (_ start: Int, _ size: Int) throws -> [UInt8]
    ) rethrows -> [UInt8] {
        let count = range.count
        if count == 0 { return emptyRoot }
        if count & (count - 1) == 0 && range.lowerBound % count == 0 { return try perfect(range.lowerBound, count) }
        let k = split(count)
        return nodeHash(
            try rangeRoot(range.lowerBound..<(range.lowerBound + k), perfect: perfect),
            try rangeRoot((range.lowerBound + k)..<range.upperBound, perfect: perfect))
    }

    /// The root of a perfect tree over `hashes` (their number a power of two, at least 1).
    package static func perfectRoot(_ hashes: [[UInt8]]) -> [UInt8] {
        precondition(!hashes.isEmpty && hashes.count & (hashes.count - 1) == 0, "a perfect tree")
        var level = hashes
        while level.count > 1 {
            level = stride(from: 0, to: level.count, by: 2).map { nodeHash(level[$0], level[$0 + 1]) }
        }
        return level[0]
    }
}
