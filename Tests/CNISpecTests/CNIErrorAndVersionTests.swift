import CNISpec
import Foundation
import XCTest

final class CNIErrorAndVersionTests: XCTestCase {
    func testWellKnownCodes() {
        let codes: [(CNIError.Code, Int)] = [
            (.incompatibleVersion, 1), (.unsupportedField, 2), (.containerUnknown, 3), (.invalidEnvironment, 4),
            (.ioFailure, 5), (.decodeFailure, 6), (.invalidNetworkConfig, 7), (.tryAgainLater, 11),
            (.pluginNotAvailable, 50), (.limitedConnectivity, 51), (.noConnectivity, 52),
        ]
        for (code, value) in codes { XCTAssertEqual(code.rawValue, value) }
        for code in [CNIError.Code.agentRefused, .ipamFailed, .checkMismatch, .ipamNoAddress] {
            XCTAssertGreaterThanOrEqual(code.rawValue, 100, "plugin-specific codes are 100+")
        }
    }

    func testErrorObjectGolden() {
        let error = CNIError(.tryAgainLater, "infra-agent did not answer Add", details: "unavailable")
        XCTAssertEqual(
            error.json(cniVersion: "1.0.0").serializedString(),
            #"{"cniVersion":"1.0.0","code":11,"details":"unavailable","msg":"infra-agent did not answer Add"}"#
        )
        XCTAssertEqual(
            CNIError(.decodeFailure, "bad").json(cniVersion: "0.3.1").serializedString(),
            #"{"cniVersion":"0.3.1","code":6,"msg":"bad"}"#, "no details key without details"
        )
    }

    func testErrorObjectIsReadBack() throws {
        let text = #"{"cniVersion":"0.4.0","code":11,"msg":"busy","details":"lock"}"#
        let error = try XCTUnwrap(CNIError(json: JSONValue.parse(Data(text.utf8))))
        XCTAssertEqual(error, CNIError(.tryAgainLater, "busy", details: "lock"))
        XCTAssertNil(CNIError(json: .object(["cniVersion": .string("1.0.0")])), "a result is not an error")
    }

    func testVersionOutputGolden() {
        XCTAssertEqual(
            CNIVersion.versionInfo().serializedString(),
            #"{"cniVersion":"1.1.0","supportedVersions":["0.3.0","0.3.1","0.4.0","1.0.0","1.1.0"]}"#
        )
    }

    func testNegotiation() throws {
        for version in CNIVersion.supported { XCTAssertEqual(try CNIVersion.negotiate(version), version) }
        for version in ["0.2.0", "0.1.0", "1.2.0", "2.0.0", "banana", ""] {
            XCTAssertThrowsError(try CNIVersion.negotiate(version)) { error in
                XCTAssertEqual((error as? CNIError)?.code, .incompatibleVersion, version)
            }
        }
        XCTAssertEqual(CNIVersion.best(of: ["0.3.1", "0.4.0", "1.0.0"], notNewerThan: "1.1.0"), "1.0.0")
        XCTAssertEqual(CNIVersion.best(of: ["0.3.1", "0.4.0", "1.0.0"], notNewerThan: "0.4.0"), "0.4.0")
        XCTAssertNil(CNIVersion.best(of: ["1.0.0"], notNewerThan: "0.3.1"))
        XCTAssertTrue(CNIVersion.isOlder("0.4.0", than: "1.0.0"))
        XCTAssertFalse(CNIVersion.isOlder("1.1.0", than: "1.0.0"))
    }
}
