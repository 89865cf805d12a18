import Cryptography
import ServiceRuntime
import Testing

@Suite("Cryptography")
struct CryptographyTests {
    @Test("SHA-256 known answers (FIPS 180-2)")
    func sha256() {
        #expect(
            SHA256.hexDigest(Array("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(SHA256.hexDigest([UInt8]()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test(
        "HMAC-SHA256 known answers (RFC 4231 cases 1, 2 and 6)",
        arguments: [
            (
                "0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b0b", "4869205468657265",
                "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"
            ),
            (
                "4a656665", "7768617420646f2079612077616e7420666f72206e6f7468696e673f",
                "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
            ),
            (
                String(repeating: "aa", count: 131),
                "54657374205573696e67204c6172676572205468616e20426c6f636b2d53697a65204b6579202d2048617368204b6579204669727374",
                "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"
            ),
        ])
    func hmac(key: String, data: String, expected: String) throws {
        let mac = HMAC.sha256(key: try #require(Hex.decode(key)), message: try #require(Hex.decode(data)))
        #expect(Hex.encode(mac) == expected)
        #expect(HMAC.isValid(mac, key: try #require(Hex.decode(key)), message: try #require(Hex.decode(data))))
    }

    @Test("HMAC verification is constant-time and rejects a tampered body (X-Hub-Signature-256 example)")
    func webhookSignature() throws {
        let key = Array("It's a Secret to Everybody".utf8)
        let expected = try #require(Hex.decode("757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"))
        #expect(HMAC.isValid(expected, key: key, message: Array("Hello, World!".utf8)))
        #expect(!HMAC.isValid(expected, key: key, message: Array("Hello, World?".utf8)))
        #expect(!constantTimeEquals(expected, Array(expected.dropLast())))
    }

    @Test(
        "Ed25519 known answers (RFC 8032 tests 1 and 2) and tamper detection",
        arguments: [
            (
                "9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60",
                "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", "",
                "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b"
            ),
            (
                "4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb",
                "3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c", "72",
                "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
            ),
        ])
    func ed25519(seed: String, publicKey: String, message: String, signature: String) throws {
        let key = try Ed25519PrivateKey(rawRepresentation: try #require(Hex.decode(seed)))
        let message = try #require(Hex.decode(message))
        #expect(Hex.encode(try key.publicKey().rawRepresentation) == publicKey)
        let signed = try key.signature(for: message)
        #expect(Hex.encode(signed) == signature)
        #expect(try key.publicKey().isValidSignature(signed, for: message))
        #expect(!(try key.publicKey().isValidSignature(signed, for: message + [0])))
        var tampered = signed
        tampered[5] ^= 1
        #expect(!(try key.publicKey().isValidSignature(tampered, for: message)))
    }

    @Test("a generated key signs and verifies; random tokens are long and distinct")
    func generatedKeyAndTokens() throws {
        let key = try Ed25519PrivateKey()
        let message = Array("certificate 42".utf8)
        #expect(try key.publicKey().isValidSignature(try key.signature(for: message), for: message))
        let reimported = try Ed25519PrivateKey(rawRepresentation: key.rawRepresentation)
        #expect(try reimported.publicKey().rawRepresentation == key.publicKey().rawRepresentation)
        let tokens = try (0..<100).map { _ in try SecureRandom.token() }
        #expect(Set(tokens).count == 100)
        #expect(tokens.allSatisfy { $0.count == 43 && Base64URL.decode($0)?.count == 32 })
    }

    @Test("base64url and hex round-trip and reject garbage")
    func encodings() {
        for length in 0..<40 {
            let bytes = (0..<length).map { UInt8(($0 * 37 + length) & 0xFF) }
            #expect(Base64URL.decode(Base64URL.encode(bytes)) == bytes)
            #expect(Hex.decode(Hex.encode(bytes)) == bytes)
        }
        #expect(Base64URL.encode(Array("hello?>".utf8)) == "aGVsbG8_Pg")
        #expect(Base64URL.decode("a+b/") == nil)
        #expect(Base64URL.decode("aGk") != nil)
        #expect(Base64URL.decode("aGl") == nil, "non-zero unused bits: not the canonical spelling")
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }
}
