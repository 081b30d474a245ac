import InfraNet
import XCTest

@testable import InterfacePool

/// Discovery of `sriov` and `cdq` against sysfs trees built in a temporary directory.
final class FakeSysfsDiscoveryTests: XCTestCase {
    private var directory: TemporaryDirectory!
    private var sysfs: FakeSysfs!

    override func setUpWithError() throws {
        directory = try TemporaryDirectory()
        sysfs = try FakeSysfs(in: directory)
    }

    override func tearDown() {
        directory.remove()
    }

    /// A PF `ens1f0` at 0000:06:00.0 with VFs 0, 1, 2 and 10 (VF 2 has no netdev: bound to vfio).
    private func buildSRIOV() throws {
        let pf = try sysfs.device("pci0000:00/0000:06:00.0")
        try sysfs.netdev("ens1f0", index: 2, mac: "02:00:00:00:00:01", device: pf)
        for (vf, function) in [(0, "0000:06:00.2"), (1, "0000:06:00.3"), (2, "0000:06:00.4"), (10, "0000:06:01.4")] {
            let device = try sysfs.device("pci0000:00/" + function)
            try sysfs.link(pf + "/virtfn\(vf)", to: device)
            if vf != 2 {
                try sysfs.netdev("ens1f0v\(vf)", index: Int32(20 + vf), mac: String(format: "02:00:00:00:01:%02x", vf), device: device)
            }
        }
        // Another PF's VF must not appear.
        let other = try sysfs.device("pci0000:00/0000:07:00.0")
        try sysfs.netdev("ens2f0", index: 3, mac: "02:00:00:00:00:02", device: other)
        let otherVF = try sysfs.device("pci0000:00/0000:07:00.2")
        try sysfs.link(other + "/virtfn0", to: otherVF)
        try sysfs.netdev("ens2f0v0", index: 40, mac: "02:00:00:00:02:00", device: otherVF)
    }

    func testSRIOVFindsTheVFNetdevsOfThePFInVFOrder() throws {
        try buildSRIOV()
        let config = InterfacePoolConfig(mode: .sriov, physicalFunction: "ens1f0", ports: ["ens1f0v1": 17])
        let found = try sysfs.discovery.discover(config)
        XCTAssertEqual(found.map(\.name), ["ens1f0v0", "ens1f0v1", "ens1f0v10"])
        XCTAssertEqual(found.map(\.function), [0, 1, 10])
        XCTAssertEqual(found.map(\.index), [20, 21, 30])
        XCTAssertEqual(found[1].macAddress, MACAddress("02:00:00:00:01:01"))
        XCTAssertEqual(found.map(\.ipuPort), [nil, 17, nil])
    }

    func testSRIOVExcludeKeepsAnInterfaceOutOfThePool() throws {
        try buildSRIOV()
        let config = InterfacePoolConfig(mode: .sriov, physicalFunction: "ens1f0", exclude: ["ens1f0v0"])
        XCTAssertEqual(try sysfs.discovery.discover(config).map(\.name), ["ens1f0v1", "ens1f0v10"])
    }

    func testSRIOVWithAMissingPFIsAnError() async throws {
        try buildSRIOV()
        let config = InterfacePoolConfig(mode: .sriov, physicalFunction: "ens9f0")
        await assertPoolError(try sysfs.discovery.discover(config), code: .physicalFunctionNotFound, contains: ["sriov", "ens9f0"])
    }

    func testSRIOVWithAVirtualPFIsAnError() async throws {
        try sysfs.netdev("dummy0", index: 5, mac: "02:00:00:00:00:09")
        let config = InterfacePoolConfig(mode: .sriov, physicalFunction: "dummy0")
        await assertPoolError(try sysfs.discovery.discover(config), code: .physicalFunctionNotFound, contains: ["dummy0", "no device"])
    }

    /// A PF with subfunctions sfnum 88 and 5 (auxiliary devices under the PF), an eswitch
    /// representor of SF 88 (device = the PF itself), and an SF of another PF.
    private func buildCDQ() throws {
        let pf = try sysfs.device("pci0000:00/0000:06:00.0")
        try sysfs.netdev("ens1f0np0", index: 2, mac: "02:00:00:00:00:01", device: pf)
        let sf4 = try sysfs.device("pci0000:00/0000:06:00.0/mlx5_core.sf.4", attributes: ["sfnum": "88"])
        try sysfs.netdev("enp6s0f0s88", index: 50, mac: "02:00:00:00:58:00", device: sf4)
        let sf5 = try sysfs.device("pci0000:00/0000:06:00.0/mlx5_core.sf.5", attributes: ["sfnum": "5"])
        try sysfs.netdev("enp6s0f0s5", index: 51, mac: "02:00:00:00:05:00", device: sf5)
        // The representor's device is the PF; phys_port_name pf0sf88 marks it as an eswitch port.
        try sysfs.netdev("ens1f0npf0sf88", index: 52, mac: "02:00:00:00:58:ff", device: pf)
        let other = try sysfs.device("pci0000:00/0000:07:00.0")
        try sysfs.netdev("ens2f0np0", index: 3, mac: "02:00:00:00:00:02", device: other)
        let otherSF = try sysfs.device("pci0000:00/0000:07:00.0/mlx5_core.sf.6", attributes: ["sfnum": "7"])
        try sysfs.netdev("enp7s0f0s7", index: 60, mac: "02:00:00:00:07:00", device: otherSF)
    }

    func testCDQFindsTheSubfunctionNetdevsOfThePFInSFNumberOrder() throws {
        try buildCDQ()
        let config = InterfacePoolConfig(mode: .cdq, physicalFunction: "ens1f0np0", ports: ["enp6s0f0s88": 4])
        let found = try sysfs.discovery.discover(config)
        XCTAssertEqual(found.map(\.name), ["enp6s0f0s5", "enp6s0f0s88"])
        XCTAssertEqual(found.map(\.function), [5, 88])
        XCTAssertEqual(found.map(\.index), [51, 50])
        XCTAssertEqual(found.map(\.ipuPort), [nil, 4])
        XCTAssertEqual(found[0].macAddress, MACAddress("02:00:00:00:05:00"))
    }

    func testCDQWithAMissingPFIsAnError() async throws {
        try buildCDQ()
        let config = InterfacePoolConfig(mode: .cdq, physicalFunction: "ens3f0np0")
        await assertPoolError(try sysfs.discovery.discover(config), code: .physicalFunctionNotFound, contains: ["cdq", "ens3f0np0"])
    }

    func testTapModeTakesOnlyTapDevicesInNaturalOrder() throws {
        for (number, index) in [(10, 70), (2, 71), (1, 72)] {
            try sysfs.netdev("P4TAP_\(number)", index: Int32(index), mac: String(format: "02:00:00:00:0a:%02x", number), tap: true)
        }
        try sysfs.netdev("P4TAP_9", index: 73, mac: "02:00:00:00:0a:99")  // not a tap
        let config = InterfacePoolConfig(mode: .tap, selector: .prefix("P4TAP_"))
        XCTAssertEqual(try sysfs.discovery.discover(config).map(\.name), ["P4TAP_1", "P4TAP_2", "P4TAP_10"])
        let pattern = InterfacePoolConfig(mode: .tap, selector: .pattern("P4TAP_?"))
        XCTAssertEqual(try sysfs.discovery.discover(pattern).map(\.name), ["P4TAP_1", "P4TAP_2"])
    }

    func testAMissingNetClassDirectoryIsADiscoveryError() async throws {
        let discovery = InterfaceDiscovery(netClassRoot: directory.path + "/nothing")
        await assertPoolError(try discovery.discover(InterfacePoolConfig(mode: .veth, selector: .prefix("v"))), code: .discoveryFailed)
    }
}
