import Foundation

extension UUID {
    /// A version 7 UUID (RFC 9562 §5.7): the Unix time in milliseconds in the first 48 bits, then the version, 74
    /// random bits and the variant. Ids made later sort after earlier ones, so a B-tree index over them grows at its
    /// right edge, as over a sequence: each insert lands on a page that is already in memory and already written since
    /// the last checkpoint, where a random (version 4) id lands on any page of the index and, in an index larger than
    /// what one checkpoint interval touches, writes that whole page into the WAL again (a full-page image, 8 kB). That
    /// made up a quarter of the WAL of a WhatsApp delivery (`make bench`, deliveries_pkey and channel_attempts'
    /// (delivery_id, channel) index on a table of 200,000 deliveries). What the id gives away is when it was made,
    /// to the millisecond, which every view of a delivery shows anyway (`created_at`).
    package static func timeOrdered(at date: Date = Date()) -> UUID {
        var generator = SystemRandomNumberGenerator()
        return timeOrdered(milliseconds: UInt64(max(0, date.timeIntervalSince1970 * 1000)), using: &generator)
    }

    /// `timeOrdered(at:)` with the time and the random source given.
    package static func timeOrdered<R: RandomNumberGenerator>(milliseconds: UInt64, using generator: inout R) -> UUID {
        let random = (generator.next() as UInt64, generator.next() as UInt64)
        var bytes = [UInt8](repeating: 0, count: 16)
        for index in 0..<6 { bytes[index] = UInt8(truncatingIfNeeded: milliseconds >> (8 * (5 - index))) }
        for index in 6..<16 {
            bytes[index] = UInt8(truncatingIfNeeded: (index < 14 ? random.0 : random.1) >> (8 * (index % 8)))
        }
        bytes[6] = 0x70 | (bytes[6] & 0x0F)  // version 7
        bytes[8] = 0x80 | (bytes[8] & 0x3F)  // variant 10
        return UUID(
            uuid: (
                bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7], bytes[8], bytes[9],
                bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]
            ))
    }
}
