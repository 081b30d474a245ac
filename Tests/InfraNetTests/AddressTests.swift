import InfraNet
import XCTest

final class IPAddressTests: XCTestCase {
    func testParsesAndPrintsBothFamilies() {
        XCTAssertEqual(IPAddress("10.244.1.7")?.bytes, [10, 244, 1, 7])
        XCTAssertEqual(IPAddress("10.244.1.7")?.description, "10.244.1.7")
        XCTAssertEqual(IPAddress("10.244.1.7")?.ipv4Value, 0x0AF4_0107)
        XCTAssertEqual(IPAddress("fd00::1")?.family, .v6)
        XCTAssertEqual(IPAddress("FD00:0:0::1")?.description, "fd00::1", "IPv6 prints in canonical form")
        XCTAssertNil(IPAddress("fd00::1")?.ipv4Value)
    }

    func testRejectsWhatTheKernelRejects() {
        for bad in ["10.0.0.300", "10.0.0", "10.0.0.1/32", "", " 10.0.0.1", "fd00:::1", "host.example"] {
            XCTAssertNil(IPAddress(bad), bad)
        }
        XCTAssertNil(IPAddress(bytes: [1, 2, 3]))
    }
}

final class CIDRTests: XCTestCase {
    func testNetworkAndContains() throws {
        let cidr = try XCTUnwrap(CIDR("10.244.1.7/20"))
        XCTAssertEqual(cidr.network.description, "10.244.0.0")
        XCTAssertTrue(cidr.contains(IPAddress("10.244.15.255")!))
        XCTAssertFalse(cidr.contains(IPAddress("10.244.16.0")!))
        XCTAssertFalse(cidr.contains(IPAddress("::1")!), "another family is never inside")
        XCTAssertEqual(CIDR("fd00::1234/64")?.network.description, "fd00::")
    }

    func testAddressAndMaskForNameConstraints() {
        XCTAssertEqual(CIDR("10.10.0.0/24")?.addressAndMask, [10, 10, 0, 0, 255, 255, 255, 0])
        XCTAssertEqual(CIDR("10.10.0.9/0")?.addressAndMask, [0, 0, 0, 0, 0, 0, 0, 0])
    }

    func testRejectsMalformedPrefixes() {
        for bad in ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/08", "10.0.0.0", "::/129", "x/8"] {
            XCTAssertNil(CIDR(bad), bad)
        }
    }
}

final class MACAddressTests: XCTestCase {
    func testParsesAndClassifies() {
        XCTAssertEqual(MACAddress("02:AA:bb:0c:00:01")?.description, "02:aa:bb:0c:00:01")
        XCTAssertEqual(MACAddress("01:00:5e:00:00:01")?.isMulticast, true)
        XCTAssertEqual(MACAddress("02:00:00:00:00:01")?.isMulticast, false)
        for bad in ["02:00:00:00:00", "02:00:00:00:00:001", "02-00-00-00-00-01", "zz:00:00:00:00:01", "2:0:0:0:0:1"] {
            XCTAssertNil(MACAddress(bad), bad)
        }
    }
}
