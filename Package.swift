// swift-tools-version:6.0
// The 12345 hotline ticket network. No Swift package dependencies (the user's requirement):
// only the toolchain and Debian's libsqlite3 / libssl through system library targets.
import PackageDescription

let package = Package(
    name: "hotline",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "hotline-city", targets: ["hotline-city"]),
        .executable(name: "hotline-county", targets: ["hotline-county"]),
        .executable(name: "hotline-unit", targets: ["hotline-unit"]),
        .executable(name: "hotline-bench", targets: ["hotline-bench"]),
    ],
    targets: [
        .systemLibrary(name: "CSQLite", pkgConfig: "sqlite3", providers: [.apt(["libsqlite3-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),

        // Pure layers: no sockets, files, clocks or threads.
        .target(name: "HotlineCore"),
        // Release builds skip the run-time exclusivity checks here: the JSON writer appends to one buffer held by a
        // class, and checking each append was a fifth of writing a document (callgrind of hotline-bench --scenario
        // codec). Debug builds, which `swift test` runs, keep every check.
        .target(name: "HotlineWire",
                swiftSettings: [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]),
        // The policy profiles and holiday calendars as data files, and their loader.
        .target(name: "HotlineProfiles", dependencies: ["HotlineCore"],
                resources: [.copy("profiles"), .copy("calendars")]),

        // Adapters.
        .target(name: "HotlineStore", dependencies: ["CSQLite"]),
        .target(name: "HotlineNet", dependencies: ["COpenSSL"]),

        // A running node: links + store + core glued.
        .target(name: "HotlineNode", dependencies: [
            "HotlineCore", "HotlineProfiles", "HotlineWire", "HotlineStore", "HotlineNet",
        ]),

        .executableTarget(name: "hotline-city", dependencies: ["HotlineNode"]),
        .executableTarget(name: "hotline-county", dependencies: ["HotlineNode"]),
        .executableTarget(name: "hotline-unit", dependencies: ["HotlineNode"]),
        .executableTarget(name: "hotline-bench", dependencies: [
            "HotlineNode", "HotlineCore", "HotlineProfiles", "HotlineWire", "HotlineNet",
        ]),

        .testTarget(name: "HotlineCoreTests", dependencies: ["HotlineCore", "HotlineProfiles"]),
        .testTarget(name: "HotlineWireTests", dependencies: ["HotlineWire"]),
        .testTarget(name: "HotlineStoreTests", dependencies: ["HotlineStore"]),
        .testTarget(name: "HotlineNetTests", dependencies: ["HotlineNet"]),
        .testTarget(name: "HotlineNodeTests", dependencies: ["HotlineNode", "HotlineCore", "HotlineProfiles", "HotlineWire"]),
        // Start the real executables on loopback and drive them with operator commands.
        .testTarget(name: "HotlineProcessTests", dependencies: ["hotline-city", "hotline-county", "hotline-unit"]),
    ],
    swiftLanguageModes: [.v6]
)
