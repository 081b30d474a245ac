import Foundation
import P4RuntimeAPI
@testable import P4RuntimeServer
import XCTest

/// Set/GetForwardingPipelineConfig (§14, §15) and Capabilities (§17).
final class PipelineTests: XCTestCase {
    func testGetWithoutPipelineIsOKAndUnset() throws {
        let f = try Fixture(pipeline: false)
        var request = P4_V1_GetForwardingPipelineConfigRequest()
        request.deviceID = 1
        XCTAssertFalse(try f.core.getForwardingPipelineConfig(request).hasConfig)
    }

    func testCommitThenGetIsSymmetric() throws {
        let f = try Fixture()
        var request = P4_V1_GetForwardingPipelineConfigRequest()
        request.deviceID = 1
        let all = try f.core.getForwardingPipelineConfig(request).config
        XCTAssertEqual(all, try pipelineRequest().config)
        request.responseType = .cookieOnly
        let cookie = try f.core.getForwardingPipelineConfig(request).config
        XCTAssertEqual(cookie.cookie.cookie, 42)
        XCTAssertFalse(cookie.hasP4Info)
        XCTAssertTrue(cookie.p4DeviceConfig.isEmpty)
        request.responseType = .p4InfoAndCookie
        let p4info = try f.core.getForwardingPipelineConfig(request).config
        XCTAssertEqual(p4info.p4Info, all.p4Info)
        XCTAssertEqual(p4info.cookie.cookie, 42)
        XCTAssertTrue(p4info.p4DeviceConfig.isEmpty)
        request.responseType = .deviceConfigAndCookie
        let device = try f.core.getForwardingPipelineConfig(request).config
        XCTAssertEqual(device.p4DeviceConfig, Data("spec".utf8))
        XCTAssertEqual(device.cookie.cookie, 42)
        XCTAssertFalse(device.hasP4Info)
    }

    func testVerifyDoesNotCommit() throws {
        let f = try Fixture(pipeline: false)
        _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(.verify))
        XCTAssertEqual(thrownCode { _ = try f.core.write(writeRequest([])) }, .failedPrecondition)
    }

    func testCommitClearsForwardingState() throws {
        let f = try Fixture()
        XCTAssertEqual(try f.code(.insert, entry(TestPipeline.exact, [exact([1])], action(TestPipeline.drop))), .ok)
        _ = try f.core.setForwardingPipelineConfig(try pipelineRequest())
        XCTAssertTrue(try f.read(entry(TestPipeline.exact, [])).isEmpty)
    }

    func testNonPrimaryIsPermissionDenied() throws {
        let f = try Fixture(pipeline: false)
        XCTAssertEqual(thrownCode { _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(election: 3)) }, .permissionDenied)
    }

    func testMissingConfigIsInvalidArgument() throws {
        let f = try Fixture(pipeline: false)
        var request = try pipelineRequest()
        request.clearConfig()
        XCTAssertEqual(thrownCode { _ = try f.core.setForwardingPipelineConfig(request) }, .invalidArgument)
    }

    func testUnspecifiedActionIsInvalidArgument() throws {
        let f = try Fixture(pipeline: false)
        XCTAssertEqual(thrownCode { _ = try f.core.setForwardingPipelineConfig(try pipelineRequest(.unspecified)) }, .invalidArgument)
    }

    func testCapabilities() throws {
        let core = P4RuntimeCore(deviceID: 1)
        XCTAssertEqual(try core.capabilities(P4_V1_CapabilitiesRequest()).p4RuntimeApiVersion, "1.5.0")
        var request = P4_V1_CapabilitiesRequest()
        request.deviceID = 9
        XCTAssertEqual(thrownCode { _ = try core.capabilities(request) }, .notFound)
    }
}
