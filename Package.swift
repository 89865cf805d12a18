// swift-tools-version:6.0
import PackageDescription

// Dakiya: the delivery gateway between department systems and citizens.
// No package dependencies: C libraries come in through system library targets, each imported
// by exactly one Swift wrapper module.

let package = Package(
    name: "dakiya",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "portal-adapter", targets: ["PortalAdapter"]),
        .executable(name: "whatsapp-adapter", targets: ["WhatsAppAdapter"]),
        .executable(name: "email-adapter", targets: ["EmailAdapter"]),
        .executable(name: "appeals-service", targets: ["AppealsService"]),
        .executable(name: "dispatcher", targets: ["Dispatcher"]),
        .executable(name: "dakiya-admin", targets: ["DakiyaAdmin"]),
        .executable(name: "dakiya-audit", targets: ["DakiyaAudit"]),
        .executable(name: "whatsapp-cloud-simulator", targets: ["WhatsAppCloudSimulator"]),
        .executable(name: "dakiya-bench", targets: ["DakiyaBench"]),
    ],
    targets: [
        // C libraries (module map + shim header, found through pkg-config).
        .systemLibrary(name: "CLibpq", path: "Shared/CLibpq", pkgConfig: "libpq", providers: [.apt(["libpq-dev"])]),
        .systemLibrary(
            name: "CCurl", path: "Shared/CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(
            name: "CMicroHTTPD", path: "Shared/CMicroHTTPD", pkgConfig: "libmicrohttpd",
            providers: [.apt(["libmicrohttpd-dev"])]),
        .systemLibrary(
            name: "CCrypto", path: "Shared/CCrypto", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(
            name: "CQREncode", path: "Shared/CQREncode", pkgConfig: "libqrencode",
            providers: [.apt(["libqrencode-dev"])]),

        // Wrappers: the only importers of their C module.
        .target(name: "Postgres", dependencies: ["CLibpq", "ServiceRuntime"], path: "Shared/Postgres"),
        .target(name: "HTTPServer", dependencies: ["CMicroHTTPD", "ServiceRuntime"], path: "Shared/HTTPServer"),
        .target(name: "HTTPClient", dependencies: ["CCurl"], path: "Shared/HTTPClient"),
        .target(name: "Cryptography", dependencies: ["CCrypto", "ServiceRuntime"], path: "Shared/Cryptography"),
        .target(name: "QRCode", dependencies: ["CQREncode"], path: "Shared/QRCode"),
        .systemLibrary(name: "CQPDF", path: "Shared/CQPDF", pkgConfig: "libqpdf", providers: [.apt(["libqpdf-dev"])]),
        .target(name: "PDFTools", dependencies: ["CQPDF"], path: "Shared/PDFTools"),
        .target(name: "Seals", dependencies: ["Cryptography", "QRCode"], path: "Shared/Seals"),
        .target(
            name: "SealRegistry",
            dependencies: ["Seals", "Cryptography", "Postgres", "ServiceRuntime", "TransparencyLogStore"],
            path: "Shared/SealRegistry"),

        // Platform modules.
        .target(name: "ServiceRuntime", path: "Shared/ServiceRuntime"),
        .target(name: "Texts", path: "Shared/Texts"),
        .target(name: "WebPages", path: "Shared/WebPages"),
        .target(name: "WhatsAppGraph", path: "Shared/WhatsAppGraph"),
        .target(
            name: "TransparencyLog", dependencies: ["Cryptography", "ServiceRuntime"], path: "Shared/TransparencyLog"),
        .target(
            name: "TransparencyLogStore",
            dependencies: ["TransparencyLog", "Cryptography", "Postgres", "ServiceRuntime"],
            path: "Shared/TransparencyLogStore"),
        .target(name: "Migrations", dependencies: ["Postgres"], path: "Shared/Migrations", resources: [.copy("SQL")]),
        .target(name: "JobQueue", dependencies: ["Postgres", "ServiceRuntime"], path: "Shared/JobQueue"),
        .target(name: "CAP", dependencies: ["ServiceRuntime"], path: "Shared/CAP"),
        .target(
            name: "Broadcasts", dependencies: ["Delivery", "ServiceRuntime", "JobContracts", "JobQueue", "Postgres"],
            path: "Shared/Broadcasts"),
        .target(name: "JobContracts", dependencies: ["JobQueue", "WhatsAppGraph"], path: "Shared/JobContracts"),
        .target(
            name: "Email", dependencies: ["Texts", "Postgres", "ServiceRuntime", "WebPages"], path: "Shared/Email"),
        .target(
            name: "Delivery",
            dependencies: ["Texts", "Postgres", "JobQueue", "JobContracts", "Cryptography", "ServiceRuntime"],
            path: "Shared/Delivery"),
        .target(
            name: "Appeals",
            dependencies: ["Texts", "Postgres", "JobQueue", "JobContracts", "Delivery", "Cryptography"],
            path: "Shared/Appeals",
            resources: [.copy("catalogue")]),
        .target(
            name: "ServiceHost",
            dependencies: [
                "Postgres", "HTTPServer", "HTTPClient", "ServiceRuntime", "JobQueue", "JobContracts", "Migrations",
                "Cryptography",
            ],
            path: "Shared/ServiceHost"
        ),
        .target(
            name: "TestSupport",
            dependencies: [
                "WhatsAppGraph", "Texts", "Postgres", "Migrations", "ServiceRuntime", "JobQueue", "Delivery",
            ],
            path: "Shared/TestSupport"
        ),

        // The five services and the admin tool.
        .executableTarget(
            name: "PortalAdapter",
            dependencies: [
                "CAP",
                "Broadcasts",
                "Texts", "JobContracts", "ServiceHost", "Delivery", "Cryptography", "HTTPClient", "Seals",
                "SealRegistry", "WebPages", "Appeals",
            ],
            path: "Services/portal-adapter", exclude: ["README.md"], resources: [.copy("openapi.json")]
        ),
        .executableTarget(
            name: "WhatsAppAdapter",
            dependencies: [
                "Broadcasts", "Appeals",
                "WhatsAppGraph",
                "Texts", "JobContracts", "ServiceHost", "Delivery", "HTTPClient", "Postgres", "Cryptography",
            ],
            path: "Services/whatsapp-adapter", exclude: ["README.md"]),
        .executableTarget(
            name: "EmailAdapter",
            dependencies: [
                "Broadcasts", "JobContracts", "ServiceHost", "Delivery", "Email", "HTTPClient", "Postgres", "Texts",
            ],
            path: "Services/email-adapter", exclude: ["README.md"]),
        .executableTarget(
            name: "AppealsService",
            dependencies: [
                "WhatsAppGraph", "Texts", "JobContracts", "ServiceHost", "Appeals", "Delivery", "Cryptography",
                "WebPages",
            ],
            path: "Services/appeals-service", exclude: ["README.md"], resources: [.copy("openapi.json")]
        ),
        .executableTarget(
            name: "Dispatcher",
            dependencies: [
                "Broadcasts",
                "TransparencyLogStore",
                "JobContracts", "JobQueue", "Postgres", "ServiceHost", "Delivery", "TransparencyLog", "HTTPServer",
                "ServiceRuntime", "Cryptography", "HTTPClient", "Seals", "SealRegistry", "PDFTools",
            ],
            path: "Services/dispatcher",
            exclude: ["README.md"], resources: [.copy("openapi.json")]),
        .executableTarget(
            name: "WhatsAppCloudSimulator",
            dependencies: ["HTTPServer", "HTTPClient", "ServiceRuntime", "Cryptography"],
            path: "Services/whatsapp-cloud-simulator", exclude: ["README.md"]
        ),
        // The auditor's tool: HTTP only, no database access (it does not link Postgres).
        .executableTarget(
            name: "DakiyaAudit",
            dependencies: ["TransparencyLog", "HTTPClient", "HTTPServer", "Cryptography", "ServiceRuntime", "Seals"],
            path: "Services/dakiya-audit"),
        .executableTarget(
            name: "DakiyaAdmin",
            dependencies: [
                "Postgres", "Migrations", "ServiceRuntime", "Delivery", "Cryptography", "Appeals",
                "TransparencyLogStore", "SealRegistry", "JobQueue",
            ],
            path: "Services/dakiya-admin"
        ),

        // Test-only executables: a job worker process for the multi-process queue tests, and the benchmark.
        .executableTarget(
            name: "QueueWorkerProbe", dependencies: ["JobQueue", "Postgres", "ServiceRuntime"],
            path: "Tests/QueueWorkerProbe"),
        .executableTarget(
            name: "DakiyaBench",
            dependencies: [
                "Texts",
                "JobQueue", "Postgres", "ServiceRuntime", "TestSupport", "Migrations", "Delivery", "HTTPClient",
                "Cryptography", "TransparencyLog", "TransparencyLogStore", "Seals", "PDFTools", "Appeals",
            ],
            path: "Tests/DakiyaBench"
        ),

        // Tests: one target per module, plus end-to-end tests over the real executables.
        .testTarget(name: "PostgresTests", dependencies: ["Postgres", "TestSupport"], path: "Tests/PostgresTests"),
        .testTarget(
            name: "JobQueueTests", dependencies: ["JobQueue", "Postgres", "TestSupport", "QueueWorkerProbe"],
            path: "Tests/JobQueueTests"),
        .testTarget(
            name: "HTTPServerTests", dependencies: ["HTTPServer", "HTTPClient", "ServiceRuntime"],
            path: "Tests/HTTPServerTests"),
        .testTarget(
            name: "HTTPClientTests", dependencies: ["HTTPClient", "HTTPServer", "ServiceRuntime"],
            path: "Tests/HTTPClientTests"),
        .testTarget(
            name: "CryptographyTests", dependencies: ["Cryptography", "ServiceRuntime"], path: "Tests/CryptographyTests"
        ),
        .testTarget(name: "QRCodeTests", dependencies: ["QRCode"], path: "Tests/QRCodeTests"),
        .testTarget(name: "CAPTests", dependencies: ["CAP"], path: "Tests/CAPTests"),
        .testTarget(
            name: "BroadcastsTests", dependencies: ["Broadcasts", "Postgres", "TestSupport"],
            path: "Tests/BroadcastsTests"),
        .testTarget(
            name: "SealTests", dependencies: ["Seals", "PDFTools", "QRCode", "Cryptography", "TestSupport"],
            path: "Tests/SealTests"),
        .testTarget(name: "ServiceRuntimeTests", dependencies: ["ServiceRuntime"], path: "Tests/ServiceRuntimeTests"),
        .testTarget(
            name: "EmailAdapterTests",
            dependencies: [
                "Texts",
                "Dispatcher",
                "JobContracts", "EmailAdapter", "Email", "Delivery", "JobQueue", "Postgres", "HTTPClient",
                "ServiceRuntime", "TestSupport", "Cryptography",
            ],
            path: "Tests/EmailAdapterTests"
        ),
        .testTarget(
            name: "WhatsAppSimulatorTests",
            dependencies: [
                "WhatsAppCloudSimulator", "HTTPServer", "HTTPClient", "ServiceRuntime", "Cryptography", "TestSupport",
            ],
            path: "Tests/WhatsAppSimulatorTests"
        ),
        .testTarget(
            name: "WhatsAppAdapterTests",
            dependencies: [
                "WhatsAppGraph", "Appeals",
                "Texts",
                "Dispatcher",
                "JobContracts", "WhatsAppAdapter", "WhatsAppCloudSimulator", "Delivery", "JobQueue", "Postgres",
                "HTTPServer", "HTTPClient",
                "ServiceRuntime", "TestSupport", "Cryptography",
            ],
            path: "Tests/WhatsAppAdapterTests"
        ),
        .testTarget(
            name: "AppealsTests",
            dependencies: [
                "WhatsAppGraph",
                "Texts",
                "JobContracts", "Appeals", "AppealsService", "Delivery", "JobQueue", "Postgres", "HTTPServer",
                "HTTPClient", "ServiceRuntime", "TestSupport", "Cryptography", "TransparencyLog",
            ],
            path: "Tests/AppealsTests"
        ),
        .testTarget(
            name: "DeliveryTests",
            dependencies: ["Texts", "JobContracts", "Delivery", "JobQueue", "Postgres", "TestSupport"],
            path: "Tests/DeliveryTests"),
        .testTarget(
            name: "WhatsAppGraphTests", dependencies: ["WhatsAppGraph", "JobContracts", "TestSupport"],
            path: "Tests/WhatsAppGraphTests"),
        .testTarget(
            name: "TransparencyLogTests",
            dependencies: [
                "TransparencyLogStore", "TransparencyLog", "Cryptography", "Postgres", "ServiceRuntime", "TestSupport",
            ],
            path: "Tests/TransparencyLogTests"),
        .testTarget(
            name: "TextsTests",
            dependencies: [
                "Texts", "Appeals", "Email", "Postgres", "ServiceRuntime", "TestSupport", "WhatsAppCloudSimulator",
            ],
            path: "Tests/TextsTests"),
        .testTarget(
            name: "DispatcherTests",
            dependencies: [
                "Texts",
                "Dispatcher", "JobContracts", "Delivery", "JobQueue", "Postgres", "ServiceRuntime", "TestSupport",
            ],
            path: "Tests/DispatcherTests"),
        .testTarget(
            name: "PortalAdapterTests",
            dependencies: [
                "TransparencyLog", "WhatsAppGraph",
                "Texts",
                "Dispatcher",
                "JobContracts", "PortalAdapter", "Delivery", "JobQueue", "Postgres", "HTTPServer", "HTTPClient",
                "ServiceRuntime", "TestSupport", "Cryptography", "Appeals",
            ],
            path: "Tests/PortalAdapterTests"
        ),
        .testTarget(
            name: "MigrationsTests", dependencies: ["Migrations", "Postgres", "TestSupport", "DakiyaAdmin"],
            path: "Tests/MigrationsTests"),
        .testTarget(
            name: "ServiceTests",
            dependencies: [
                "Cryptography",
                "TransparencyLog",
                "WhatsAppGraph",
                "Texts",
                "JobContracts", "TestSupport", "Postgres", "HTTPClient", "HTTPServer", "JobQueue", "ServiceRuntime",
                "Appeals", "Delivery", "Dispatcher", "PortalAdapter",
                "WhatsAppAdapter", "EmailAdapter", "AppealsService", "DakiyaAudit", "Seals",
            ],
            path: "Tests/ServiceTests"
        ),
    ],
    swiftLanguageModes: [.v6]
)

// The same strictness for every Swift target.
for target in package.targets where target.type != .system {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
