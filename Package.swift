// swift-tools-version:6.1
// InfraOffload: Kubernetes infrastructure offload to an IPU/DPU.
//
// The package is split into a shared layer, a host side and an IPU side. Host and IPU
// modules never import each other, so `swift build --product infra-manager` compiles no host
// module and `swift build --product infra-agent` compiles no IPU module
// (checked by scripts/check-product-closure).
import PackageDescription

let grpcCore = Target.Dependency.product(name: "GRPCCore", package: "grpc-swift-2")
let grpcPosix = Target.Dependency.product(name: "GRPCNIOTransportHTTP2Posix", package: "grpc-swift-nio-transport")
let grpcProtobuf = Target.Dependency.product(name: "GRPCProtobuf", package: "grpc-swift-protobuf")
let swiftProtobuf = Target.Dependency.product(name: "SwiftProtobuf", package: "swift-protobuf")
let x509 = Target.Dependency.product(name: "X509", package: "swift-certificates")
let asn1 = Target.Dependency.product(name: "SwiftASN1", package: "swift-asn1")
let crypto = Target.Dependency.product(name: "Crypto", package: "swift-crypto")
let cryptoExtras = Target.Dependency.product(name: "_CryptoExtras", package: "swift-crypto")
let nioCore = Target.Dependency.product(name: "NIOCore", package: "swift-nio")
let nioPosix = Target.Dependency.product(name: "NIOPosix", package: "swift-nio")
let nioHTTP1 = Target.Dependency.product(name: "NIOHTTP1", package: "swift-nio")
let nioSSL = Target.Dependency.product(name: "NIOSSL", package: "swift-nio-ssl")
let nioReloading = Target.Dependency.product(name: "NIOCertificateReloading", package: "swift-nio-extras")
let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")
let logging = Target.Dependency.product(name: "Logging", package: "swift-log")
let metrics = Target.Dependency.product(name: "Metrics", package: "swift-metrics")
let prometheus = Target.Dependency.product(name: "Prometheus", package: "swift-prometheus")
let yams = Target.Dependency.product(name: "Yams", package: "Yams")
let lifecycle = Target.Dependency.product(name: "ServiceLifecycle", package: "swift-service-lifecycle")
let histogram = Target.Dependency.product(name: "Histogram", package: "hdrhistogram-swift")

let package = Package(
    name: "InfraOffload",
    platforms: [.macOS(.v15)],
    products: [
        // Host side
        .executable(name: "infra-agent", targets: ["infra-agent"]),
        .executable(name: "infra-cni", targets: ["infra-cni"]),
        .executable(name: "arp-proxy", targets: ["arp-proxy"]),
        .executable(name: "felix-api-proxy", targets: ["felix-api-proxy"]),
        // IPU side
        .executable(name: "infra-manager", targets: ["infra-manager"]),
        .executable(name: "infra-p4-emulator", targets: ["infra-p4-emulator"]),
        .executable(name: "infra-p4-dpdk", targets: ["infra-p4-dpdk"]),
        // Tools
        .executable(name: "infra-pki", targets: ["infra-pki"]),
        .executable(name: "infractl", targets: ["infractl"]),
        .executable(name: "infra-channel-bench", targets: ["infra-channel-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/grpc/grpc-swift-2", exact: "2.4.3"),
        .package(url: "https://github.com/grpc/grpc-swift-nio-transport", exact: "2.9.2"),
        .package(url: "https://github.com/grpc/grpc-swift-protobuf", exact: "2.4.1"),
        .package(url: "https://github.com/apple/swift-protobuf", exact: "1.39.0"),
        .package(url: "https://github.com/apple/swift-certificates", exact: "1.21.1"),
        .package(url: "https://github.com/apple/swift-asn1", from: "1.7.4"),
        .package(url: "https://github.com/apple/swift-crypto", from: "4.0.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", exact: "2.37.6"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", exact: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", exact: "2.4.1"),
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", exact: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift", exact: "0.2.0"),
    ],
    targets: [
        // MARK: Shared layer
        .target(name: "InfraNet", exclude: ["README.md"]),
        .target(name: "InfraAPI", dependencies: [grpcCore, grpcProtobuf, swiftProtobuf], exclude: ["README.md"]),
        .target(name: "InfraPKI", dependencies: ["InfraNet", x509, asn1, crypto, cryptoExtras, yams]),
        .target(name: "InfraChannel", dependencies: [
            "InfraAPI", "InfraPKI", "InfraNet", "InfraDaemon", grpcCore, grpcPosix, x509, asn1, crypto, nioCore, nioPosix, nioSSL,
            nioReloading, logging, metrics, prometheus, lifecycle,
        ], exclude: ["README.md"]),
        .systemLibrary(name: "CSystemd", pkgConfig: "libsystemd", providers: [.apt(["libsystemd-dev"])]),
        .target(name: "InfraDaemon", dependencies: [
            "CSystemd", logging, metrics, prometheus, yams, lifecycle, nioCore, nioPosix, nioHTTP1,
        ], exclude: ["README.md"]),

        // MARK: IPU side
        .target(name: "InfraManagerCore", dependencies: [
            "InfraAPI", "InfraChannel", "InfraDaemon", "InfraNet", "InfraPKI", "P4Info", "P4RuntimeAPI", "P4RuntimeClient",
            grpcCore, grpcPosix, swiftProtobuf, logging, metrics, prometheus, yams, lifecycle,
        ], exclude: ["README.md"]),
        .executableTarget(name: "infra-manager", dependencies: ["InfraManagerCore", "InfraDaemon", argumentParser, lifecycle, logging]),
        .target(name: "P4RuntimeAPI", dependencies: [grpcCore, grpcProtobuf, swiftProtobuf], exclude: ["README.md"]),
        .target(name: "P4Info", dependencies: ["P4RuntimeAPI", swiftProtobuf], exclude: ["README.md"]),
        .target(name: "P4RuntimeClient", dependencies: [
            "P4RuntimeAPI", "P4Info", "InfraChannel", grpcCore, grpcPosix, grpcProtobuf, swiftProtobuf, logging,
        ], exclude: ["README.md"]),
        .target(name: "P4RuntimeServer", dependencies: [
            "P4RuntimeAPI", "P4Info", grpcCore, swiftProtobuf, logging,
        ], exclude: ["README.md"]),
        .target(name: "P4RuntimeDaemon", dependencies: [
            "InfraChannel", "InfraDaemon", grpcCore, grpcPosix, logging, lifecycle,
        ], exclude: ["README.md"]),
        .executableTarget(name: "infra-p4-emulator", dependencies: [
            "P4RuntimeServer", "P4RuntimeDaemon", "InfraChannel", "InfraDaemon", grpcCore, grpcPosix, argumentParser, logging, lifecycle,
        ]),
        // DPDK's SWX pipeline as a P4Runtime target (IPU side only: host products must not link DPDK).
        // SwiftPM cannot parse Debian's libdpdk.pc, so the flags are spelled out here.
        .target(name: "CDPDK", cSettings: [
            .unsafeFlags([
                "-I/usr/include/dpdk", "-I/usr/include/x86_64-linux-gnu/dpdk", "-include", "rte_config.h",
                "-march=corei7", "-DALLOW_EXPERIMENTAL_API",
            ]),
        ], linkerSettings: [
            .linkedLibrary("rte_pipeline"), .linkedLibrary("rte_ethdev"), .linkedLibrary("rte_mbuf"),
            .linkedLibrary("rte_mempool"), .linkedLibrary("rte_ring"), .linkedLibrary("rte_eal"),
        ]),
        .target(name: "P4DPDKTarget", dependencies: [
            "CDPDK", "P4RuntimeServer", "P4RuntimeAPI", "P4Info", crypto, logging, swiftProtobuf,
        ], exclude: ["README.md"]),
        .executableTarget(name: "infra-p4-dpdk", dependencies: [
            "P4DPDKTarget", "P4RuntimeServer", "P4RuntimeDaemon", "InfraChannel", "InfraDaemon", grpcCore, grpcPosix,
            argumentParser, logging, metrics, lifecycle,
        ]),

        // MARK: Host side
        .target(name: "InfraAgentCore", dependencies: [
            "InfraAPI", "InfraChannel", "InfraDaemon", "InfraNet", "InfraPKI", "CalicoCNIAPI", "InterfacePool", "Netlink",
            grpcCore, grpcPosix, logging, metrics, prometheus, yams, lifecycle,
        ], exclude: ["README.md"]),
        .executableTarget(name: "infra-agent", dependencies: ["InfraAgentCore", "InfraDaemon", argumentParser, lifecycle, logging]),
        .target(name: "CNISpec", dependencies: ["InfraNet"], exclude: ["README.md"]),
        .target(name: "CNIPlugin", dependencies: [
            "CNISpec", "CalicoCNIAPI", "InfraAPI", "InfraNet", grpcCore, grpcPosix,
        ], exclude: ["README.md"]),
        // Linked with the static Swift runtime and Foundation: the container runtime execs it
        // once per pod, and resolving the shared libraries' symbols was most of its start
        // time (docs/benchmarks.md, "CNI ADD latency"). The static Foundation archives do not
        // bring their own helper libraries in (ICU, CoreFoundation, shims), so they are named;
        // lld resolves them in any order.
        .executableTarget(name: "infra-cni", dependencies: ["CNIPlugin", "CNISpec"],
                          linkerSettings: [.unsafeFlags(["-static-stdlib", "-use-ld=lld", "-l_FoundationCShims", "-l_FoundationCollections", "-l_FoundationICU", "-lCoreFoundation"])]),
        .target(name: "CalicoCNIAPI", dependencies: [grpcCore, grpcProtobuf, swiftProtobuf], exclude: ["README.md"]),
        .target(name: "Netlink", dependencies: ["InfraNet", logging], exclude: ["README.md"]),
        .target(name: "InterfacePool", dependencies: ["InfraNet", "InfraDaemon", logging], exclude: ["README.md"]),
        .target(name: "ARPProxy", dependencies: ["InfraNet", "InfraDaemon", logging, lifecycle], exclude: ["README.md"]),
        .executableTarget(name: "arp-proxy", dependencies: ["ARPProxy", "InfraDaemon", argumentParser, lifecycle, logging]),
        .executableTarget(name: "felix-api-proxy", dependencies: [argumentParser]),

        // MARK: Tools
        .executableTarget(name: "infra-pki", dependencies: ["InfraPKI", argumentParser]),
        .executableTarget(name: "infractl", dependencies: [
            "InfraAPI", "InfraChannel", "InfraDaemon", grpcCore, grpcPosix, swiftProtobuf, argumentParser, logging,
        ]),
        .executableTarget(name: "infra-programming-bench", dependencies: [
            "InfraAPI", "InfraChannel", grpcCore, grpcPosix, argumentParser, histogram, logging,
        ]),
        .executableTarget(name: "infra-channel-bench", dependencies: [
            "InfraAPI", "InfraChannel", grpcCore, argumentParser, histogram,
        ]),

        // MARK: Tests
        .testTarget(name: "InfraNetTests", dependencies: ["InfraNet"]),
        .testTarget(name: "InfraPKITests", dependencies: ["InfraPKI", "InfraNet", x509, asn1, crypto]),
        .testTarget(name: "InfraDaemonTests", dependencies: ["InfraDaemon", logging, metrics, prometheus, yams, lifecycle]),
        .testTarget(name: "InfraChannelTests", dependencies: [
            "InfraChannel", "InfraPKI", "InfraAPI", "InfraNet", grpcCore, grpcPosix, x509, nioCore, nioSSL,
        ]),
        .testTarget(name: "P4RuntimeTests", dependencies: [
            "P4RuntimeClient", "P4Info", "P4RuntimeAPI", "InfraChannel", "InfraPKI", "InfraNet", grpcCore, grpcPosix, swiftProtobuf, logging,
        ]),
        .testTarget(name: "P4DPDKTests", dependencies: [
            "TestSupport", "P4DPDKTarget", "P4RuntimeClient", "P4Info", "P4RuntimeAPI", "InfraChannel", grpcPosix, logging,
        ], exclude: ["Peers"]),
        .testTarget(name: "P4RuntimeServerTests", dependencies: [
            "TestSupport", "P4RuntimeServer", "P4RuntimeClient", "P4Info", "P4RuntimeAPI", "InfraChannel", grpcCore, grpcPosix, swiftProtobuf, logging,
        ]),
        .testTarget(name: "CNISpecTests", dependencies: ["CNISpec", "InfraNet"]),
        .testTarget(name: "CNIPluginTests", dependencies: [
            "CNIPlugin", "CNISpec", "CalicoCNIAPI", "InfraAPI", grpcCore, grpcPosix,
        ]),
        .testTarget(name: "NetlinkTests", dependencies: ["Netlink", "InfraNet", logging]),
        .testTarget(name: "InterfacePoolTests", dependencies: ["InterfacePool", "InfraNet", logging]),
        .testTarget(name: "ARPProxyTests", dependencies: ["ARPProxy", "Netlink", "InfraNet", "InfraDaemon", logging, lifecycle]),
        .testTarget(name: "DataplaneTests", dependencies: [
            "TestSupport", "InfraManagerCore", "P4RuntimeServer", "P4RuntimeClient", "P4Info", "P4RuntimeAPI", "InfraChannel", "InfraNet",
            "InfraAPI", "InfraDaemon", grpcCore, grpcPosix, swiftProtobuf, logging, lifecycle,
        ]),
        .testTarget(name: "AgentCNITests", dependencies: [
            "InfraAgentCore", "InfraManagerCore", "CalicoCNIAPI", "InterfacePool", "Netlink", "InfraAPI", "InfraChannel",
            "InfraDaemon", "InfraNet", grpcCore, grpcPosix, logging, lifecycle,
        ]),
        // A whole node (every daemon as its own process) with real packets through k8s_dp on
        // infra-p4-dpdk; the products it runs are built by `swift build`.
        .testTarget(name: "NodeE2ETests", dependencies: [
            "TestSupport", "P4RuntimeClient", "P4Info", "InfraChannel", grpcCore, grpcPosix, logging,
        ], exclude: ["Peers"]),
        // Helpers test targets share (built executables, free ports); Foundation only.
        .target(name: "TestSupport", path: "Tests/TestSupport"),
        .testTarget(name: "SplitChannelTests", dependencies: [
            "InfraManagerCore", "InfraAgentCore", "InfraAPI", "InfraChannel", "InfraDaemon", "InfraPKI", "InfraNet",
            grpcCore, grpcPosix, x509, logging, lifecycle,
        ]),
    ]
)
