import XCTest

/// A test case owning one `DPDKTestbed`: torn down after each test, its daemon's log printed
/// when the test failed.
class DPDKTestCase: XCTestCase {
    static let clientMAC: Frames.MAC = [0x02, 0, 0, 0, 0, 0x01]
    static let backendMAC: Frames.MAC = [0x02, 0, 0, 0, 0, 0x03]

    var testbed: DPDKTestbed!

    override func tearDown() {
        if testRun?.hasSucceeded == false, let log = testbed?.log { print("infra-p4-dpdk log:\n\(log)") }
        testbed?.tearDown()
        testbed = nil
    }
}
