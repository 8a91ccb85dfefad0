public import NIOSSL

/// A self-signed certificate for `localhost` and 127.0.0.1, valid 2020–2120, with its key: what a simulator serving
/// `https` presents, and what a test trusts to call it. A test fixture only; no real service trusts it.
public enum SimulatorCertificate {
    public static let certificatePEM = """
-----BEGIN CERTIFICATE-----
MIIBcTCCARegAwIBAgIUElc4Vt/Sk/daDGpxtgNi7RKoJm4wCgYIKoZIzj0EAwIw
HzEdMBsGA1UEAwwUY2hvcnVzIHRlc3QgcHJvdmlkZXIwIBcNMjAwMTAxMDAwMDAw
WhgPMjEyMDAxMDEwMDAwMDBaMB8xHTAbBgNVBAMMFGNob3J1cyB0ZXN0IHByb3Zp
ZGVyMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEjBqfQDkwM2j99FpACvRZ7J0I
aMNuLmc+acxYJWqPaUNBeQoj6CelV+wrh2NrrDm0CdKGysWmfx1LwfRTilHw0qMv
MC0wGgYDVR0RBBMwEYIJbG9jYWxob3N0hwR/AAABMA8GA1UdEwEB/wQFMAMBAf8w
CgYIKoZIzj0EAwIDSAAwRQIhALgo5g8Dw5FjWKmKnOWmylCMj369nOKLK/ygDXGK
5m0hAiBbTOlZRecZyLoRHkGBjmI1xN61xH5OX9wBZ6ZsSlUPlg==
-----END CERTIFICATE-----
"""

    static let privateKeyPEM = """
-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg8CAhSBW4yLs3PYw8
edQan/dvIR1VaVcRTUAmkApTaFmhRANCAASMGp9AOTAzaP30WkAK9FnsnQhow24u
Zz5pzFglao9pQ0F5CiPoJ6VX7CuHY2usObQJ0obKxaZ/HUvB9FOKUfDS
-----END PRIVATE KEY-----
"""

    /// The certificate, to add to a client's trust roots.
    public static func certificate() throws -> NIOSSLCertificate {
        try NIOSSLCertificate(bytes: Array(certificatePEM.utf8), format: .pem)
    }

    /// A server configuration presenting the certificate.
    static func serverConfiguration() throws -> TLSConfiguration {
        TLSConfiguration.makeServerConfiguration(
            certificateChain: [.certificate(try certificate())],
            privateKey: .privateKey(try NIOSSLPrivateKey(bytes: Array(privateKeyPEM.utf8), format: .pem))
        )
    }
}
