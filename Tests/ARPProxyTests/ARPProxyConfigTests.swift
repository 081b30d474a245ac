import ARPProxy
import InfraDaemon
import InfraNet
import XCTest

final class ARPProxyConfigTests: XCTestCase {
    func load(_ yaml: String) throws -> ARPProxyConfig {
        try ConfigLoader.load(ARPProxyConfig.self, fromYAML: yaml, source: "test.yaml")
    }

    func message(_ yaml: String) -> String {
        do {
            _ = try load(yaml)
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    func testEmptyFileMeansDefaults() throws {
        let config = try load("")
        XCTAssertNil(config.interface)
        XCTAssertEqual(config.gatewayAddresses, [IPAddress("169.254.1.1")!])
        XCTAssertEqual(config.log, LogSettings())
        XCTAssertEqual(config.logRateLimit, LogRateLimitSettings(linesPerInterval: 10, intervalSeconds: 60))
    }

    func testEveryKey() throws {
        let config = try load("""
            interface: pool3
            gatewayAddresses: [169.254.1.1, 10.0.0.1]
            log: {level: debug, target: stderr}
            logRateLimit: {linesPerInterval: 2, intervalSeconds: 5}
            """)
        XCTAssertEqual(config.interface, "pool3")
        XCTAssertEqual(config.gatewayAddresses, [IPAddress("169.254.1.1")!, IPAddress("10.0.0.1")!])
        XCTAssertEqual(config.log.level, .debug)
        XCTAssertEqual(config.log.target, .stderr)
        XCTAssertEqual(config.logRateLimit, LogRateLimitSettings(linesPerInterval: 2, intervalSeconds: 5))
    }

    func testErrorsNameTheKeyAndValue() {
        XCTAssertEqual(message("gatewayAddresses: [169.254.1.1, 169.254.1]"),
                       #"config test.yaml: gatewayAddresses[1]: invalid value "169.254.1": not an IP address"#)
        XCTAssertEqual(message("gatewayAddresses: ['fe80::1']"),
                       #"config test.yaml: gatewayAddresses[0]: invalid value "fe80::1": not an IPv4 address (ARP is IPv4 only)"#)
        XCTAssertEqual(message("gatewayAddresses: [224.0.0.1]"),
                       #"config test.yaml: gatewayAddresses[0]: invalid value "224.0.0.1": a multicast address cannot be a gateway"#)
        XCTAssertEqual(message("gatewayAddresses: [169.254.1.1, 169.254.1.1]"),
                       #"config test.yaml: gatewayAddresses[1]: invalid value "169.254.1.1": listed twice"#)
        XCTAssertTrue(message("gatewayAddresses: []").contains("at least one gateway address is required"))
        XCTAssertEqual(message("interface: a-name-that-is-too-long"),
                       #"config test.yaml: interface: invalid value "a-name-that-is-too-long": is longer than 15 bytes"#)
        XCTAssertEqual(message("logRateLimit: {intervalSeconds: 0}"),
                       #"config test.yaml: logRateLimit.intervalSeconds: invalid value "0": must be from 1 to 86400"#)
        XCTAssertTrue(message("gateways: [169.254.1.1]").contains(#"unknown key "gateways""#))
        XCTAssertTrue(message("log: {level: loud}").contains("log.level"))
    }

    func testGatewayAddressRules() {
        for good in ["169.254.1.1", "10.0.0.1", "192.168.0.254"] {
            XCTAssertNotNil(try? ARPProxyConfig.gatewayAddress(good).get(), good)
        }
        for bad in ["", "169.254.1", "0.0.0.0", "255.255.255.255", "239.1.1.1", "127.0.0.1", "::1", "169.254.1.1/32"] {
            XCTAssertNil(try? ARPProxyConfig.gatewayAddress(bad).get(), bad)
        }
    }
}
