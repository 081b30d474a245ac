import InfraAPI

/// The benchmark's services: service i has cluster IP 10.(96 + i / 65536).(i / 256 % 256).(i % 256),
/// TCP port 80, and backends 10.(128 + b).(i / 256 % 256).(i % 256):8080 for b in 0..<n. A
/// `variant` replaces the last backend by one on port 9000 + variant, so each change really
/// changes one member. `scripts/lib/bench_programming.py` computes the same set.
struct BulkServices: Sendable {
    let backendsPerService: Int

    func service(_ index: Int, variant: Int = 0) -> Infra_V1_Service {
        let (a, b, c) = (96 + index / 65_536, index / 256 % 256, index % 256)
        return .with {
            $0.key = .with { $0.namespace = "bench"; $0.name = "svc-\(index)" }
            $0.clusterIps = ["10.\(a).\(b).\(c)"]
            $0.ports = [.with {
                $0.name = "http"
                $0.protocol = .tcp
                $0.port = 80
                $0.backends = (0..<backendsPerService).map { backend in
                    let last = variant > 0 && backend == backendsPerService - 1
                    return .with {
                        $0.ipAddress = "10.\(128 + backend).\(b).\(c)"
                        $0.port = last ? UInt32(9_000 + variant % 1_000) : 8_080
                    }
                }
            }]
        }
    }
}
