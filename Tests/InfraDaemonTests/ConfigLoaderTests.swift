import Foundation
import XCTest
@testable import InfraDaemon

final class ConfigLoaderTests: XCTestCase {
    private func load(_ yaml: String) throws -> TestConfig {
        try ConfigLoader.load(TestConfig.self, fromYAML: yaml, source: "test.yaml")
    }

    /// Runs `body`, which must throw a ConfigError, and returns it.
    private func configError(_ yaml: String, file: StaticString = #filePath, line: UInt = #line) -> ConfigError? {
        do {
            let value = try load(yaml)
            XCTFail("expected a ConfigError, decoded \(value)", file: file, line: line)
        } catch let error as ConfigError {
            return error
        } catch {
            XCTFail("expected a ConfigError, got \(type(of: error)): \(error)", file: file, line: line)
        }
        return nil
    }

    // MARK: Defaults

    func testEmptyDocumentDecodesAsAllDefaults() throws {
        for text in ["", "\n\n", "# only a comment\n"] {
            let config = try load(text)
            XCTAssertEqual(config.listenAddress, "127.0.0.1:7443")
            XCTAssertEqual(config.tls, TLSSection())
            XCTAssertEqual(config.authorization.rules, [])
            XCTAssertEqual(config.logTarget, .auto)
        }
    }

    func testPresentValuesOverrideDefaultsAndAbsentOnesKeepThem() throws {
        let config = try load("""
            listenAddress: 0.0.0.0:9000
            tls:
              reloadIntervalSeconds: 60
            authorization:
              rules:
                - subject: spiffe://infra/agent
                  role: admin
                - subject: spiffe://infra/cli
            logTarget: journal
            """)
        XCTAssertEqual(config.listenAddress, "0.0.0.0:9000")
        XCTAssertEqual(config.tls.reloadIntervalSeconds, 60)
        XCTAssertEqual(config.tls.certFile, "/etc/infra/tls.crt")
        XCTAssertEqual(config.authorization.rules, [
            Rule(subject: "spiffe://infra/agent", role: "admin"),
            Rule(subject: "spiffe://infra/cli", role: "reader"),
        ])
        XCTAssertEqual(config.logTarget, .journal)
    }

    func testNullSectionMeansDefaults() throws {
        let config = try load("tls:\nauthorization: ~\n")
        XCTAssertEqual(config.tls, TLSSection())
        XCTAssertEqual(config.authorization.rules, [])
    }

    // MARK: Unknown keys

    func testUnknownTopLevelKeyIsRejectedWithSuggestion() throws {
        let error = try XCTUnwrap(configError("listenAdress: 0.0.0.0:9000\n"))
        XCTAssertEqual(error.code, .unknownKey)
        XCTAssertEqual(error.keyPath, "listenAdress")
        XCTAssertEqual(error.yamlLine, 1)
        XCTAssertEqual(error.description, #"config test.yaml: unknown key "listenAdress" (did you mean "listenAddress"?)"#)
    }

    func testUnknownNestedKeyNamesFullPath() throws {
        let error = try XCTUnwrap(configError("""
            tls:
              certFile: /x.crt
              reloadIntervalSecs: 5
            """))
        XCTAssertEqual(error.code, .unknownKey)
        XCTAssertEqual(error.keyPath, "tls.reloadIntervalSecs")
        XCTAssertEqual(error.yamlLine, 3)
        XCTAssertEqual(error.description,
                       #"config test.yaml: tls: unknown key "reloadIntervalSecs" (did you mean "reloadIntervalSeconds"?)"#)
    }

    func testUnknownKeyInsideListElementNamesIndex() throws {
        let error = try XCTUnwrap(configError("""
            authorization:
              rules:
                - subject: a
                - subject: b
                  rank: admin
            """))
        XCTAssertEqual(error.code, .unknownKey)
        XCTAssertEqual(error.keyPath, "authorization.rules[1].rank")
        XCTAssertEqual(error.yamlLine, 5)
        // Nothing close to "rank", so no suggestion.
        XCTAssertEqual(error.description, #"config test.yaml: authorization.rules[1]: unknown key "rank""#)
    }

    // MARK: Type mismatches and invalid values

    func testTypeMismatchNamesKeyAndValue() throws {
        let error = try XCTUnwrap(configError("""
            tls:
              reloadIntervalSeconds: soon
            """))
        XCTAssertEqual(error.code, .typeMismatch)
        XCTAssertEqual(error.keyPath, "tls.reloadIntervalSeconds")
        XCTAssertEqual(error.value, "soon")
        XCTAssertEqual(error.yamlLine, 2)
        XCTAssertEqual(error.description,
                       #"config test.yaml: tls.reloadIntervalSeconds: invalid value "soon": expected an integer"#)
    }

    func testTypeMismatchOfShapeSaysWhatWasFound() throws {
        let error = try XCTUnwrap(configError("tls: [a, b]\n"))
        XCTAssertEqual(error.code, .typeMismatch)
        XCTAssertEqual(error.keyPath, "tls")
        XCTAssertNil(error.value)
        XCTAssertEqual(error.description, "config test.yaml: tls: expected a mapping, found a list")
    }

    func testTypeMismatchInsideListElement() throws {
        let error = try XCTUnwrap(configError("""
            authorization:
              rules:
                - subject: a
                - subject: [x]
            """))
        XCTAssertEqual(error.code, .typeMismatch)
        XCTAssertEqual(error.keyPath, "authorization.rules[1].subject")
        XCTAssertEqual(error.yamlLine, 4)
    }

    func testValidateFailureReadsAsDocumented() throws {
        let error = try XCTUnwrap(configError("""
            listenAddress: 127.0.0.1:1
            tls:
              reloadIntervalSeconds: -3
            """))
        XCTAssertEqual(error.code, .invalidValue)
        XCTAssertEqual(error.keyPath, "tls.reloadIntervalSeconds")
        XCTAssertEqual(error.value, "-3")
        XCTAssertEqual(error.yamlLine, 3, "the loader finds the line from the key path")
        XCTAssertEqual(error.description,
                       #"config test.yaml: tls.reloadIntervalSeconds: invalid value "-3": must be a positive number"#)
        XCTAssertTrue(error.file.hasSuffix("TestConfig.swift"), "records where it was thrown: \(error.file)")
    }

    func testInvalidValueFromContainerHelperCarriesListPath() throws {
        let error = try XCTUnwrap(configError("""
            authorization:
              rules:
                - subject: a
                  role: admin
                - subject: b
                  role: superuser
            """))
        XCTAssertEqual(error.code, .invalidValue)
        XCTAssertEqual(error.keyPath, "authorization.rules[1].role")
        XCTAssertEqual(error.value, "superuser")
        XCTAssertEqual(error.yamlLine, 6)
        XCTAssertEqual(error.description,
                       #"config test.yaml: authorization.rules[1].role: invalid value "superuser": must be admin or reader"#)
    }

    func testUnknownEnumCaseListsChoices() throws {
        let error = try XCTUnwrap(configError("logTarget: journl\n"))
        XCTAssertEqual(error.code, .invalidValue)
        XCTAssertEqual(error.description,
                       #"config test.yaml: logTarget: invalid value "journl": must be one of: auto, stderr, journal"#)
    }

    func testMissingRequiredKeyNamesIt() throws {
        let error = try XCTUnwrap(configError("""
            authorization:
              rules:
                - role: admin
            """))
        XCTAssertEqual(error.code, .missingKey)
        XCTAssertEqual(error.keyPath, "authorization.rules[0].subject")
        XCTAssertEqual(error.yamlLine, 3, "points at the mapping that lacks the key")
        XCTAssertEqual(error.description, "config test.yaml: authorization.rules[0].subject: missing required key")
    }

    func testLongValuesAreShortenedAndControlCharactersEscaped() throws {
        let long = String(repeating: "x", count: 200)
        let error = try XCTUnwrap(configError("tls:\n  reloadIntervalSeconds: \"\(long)\\n\"\n"))
        XCTAssertEqual(error.value, long + "\n", "the property keeps the whole value")
        XCTAssertTrue(error.description.hasSuffix(#"invalid value ""# + String(repeating: "x", count: 80) + #"…": expected an integer"#),
                      error.description)
    }

    // MARK: Syntax

    func testSyntaxErrorReportsLine() throws {
        let error = try XCTUnwrap(configError("""
            listenAddress: a
            tls:
              certFile: "unterminated
            """))
        XCTAssertEqual(error.code, .syntax)
        XCTAssertEqual(error.keyPath, "")
        XCTAssertNotNil(error.yamlLine)
        XCTAssertTrue(error.description.hasPrefix("config test.yaml: line \(error.yamlLine!), column "), error.description)
        XCTAssertTrue(error.description.contains("invalid YAML"), error.description)
    }

    func testBadIndentationIsASyntaxErrorAtItsLine() throws {
        let error = try XCTUnwrap(configError("tls:\n  certFile: a\n reloadIntervalSeconds: 3\n"))
        XCTAssertEqual(error.code, .syntax)
        XCTAssertEqual(error.yamlLine, 3)
    }

    func testDuplicateKeyIsRejected() throws {
        let error = try XCTUnwrap(configError("listenAddress: a\nlistenAddress: b\n"))
        XCTAssertEqual(error.code, .syntax)
        XCTAssertTrue(error.description.contains(#"duplicate key "listenAddress""#), error.description)
    }

    // MARK: Files

    func testMissingFile() {
        XCTAssertThrowsError(try ConfigLoader.load(TestConfig.self, fromFile: "/nonexistent/infra/manager.yaml")) { error in
            let error = error as? ConfigError
            XCTAssertEqual(error?.code, .fileNotFound)
            XCTAssertEqual(error?.description, "config /nonexistent/infra/manager.yaml: file not found")
        }
    }

    func testDirectoryAndNonUTF8AreUnreadable() throws {
        let directory = try TemporaryDirectory()
        XCTAssertThrowsError(try ConfigLoader.load(TestConfig.self, fromFile: directory.path)) { error in
            XCTAssertEqual((error as? ConfigError)?.code, .unreadable)
        }
        let binary = directory.file("binary.yaml")
        try Data([0x6B, 0x3A, 0x20, 0xFF, 0xFE, 0x0A]).write(to: URL(fileURLWithPath: binary))
        XCTAssertThrowsError(try ConfigLoader.load(TestConfig.self, fromFile: binary)) { error in
            XCTAssertEqual((error as? ConfigError)?.code, .unreadable)
            XCTAssertEqual((error as? ConfigError)?.description, "config \(binary): file is not valid UTF-8")
        }
    }

    func testLoadFromFileUsesPathAsSource() throws {
        let directory = try TemporaryDirectory()
        let path = directory.file("manager.yaml")
        try "tls:\n  reloadIntervalSeconds: 0\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertThrowsError(try ConfigLoader.load(TestConfig.self, fromFile: path)) { error in
            XCTAssertEqual((error as? ConfigError)?.source, path)
            XCTAssertEqual((error as? ConfigError)?.description,
                           "config \(path): tls.reloadIntervalSeconds: invalid value \"0\": must be a positive number")
        }
        try "listenAddress: '[::1]:7443'\n".write(toFile: path, atomically: true, encoding: .utf8)
        XCTAssertEqual(try ConfigLoader.load(TestConfig.self, fromFile: path).listenAddress, "[::1]:7443")
    }

    // MARK: Helpers

    func testKeyPathRenderingAndParsingRoundTrip() {
        let path = "authorization.rules[1].role"
        XCTAssertEqual(ConfigKeyPath.components(of: path),
                       [.key("authorization"), .key("rules"), .index(1), .key("role")])
        XCTAssertEqual(ConfigKeyPath.render(ConfigKeyPath.components(of: path)), path)
        XCTAssertEqual(ConfigKeyPath.parent(of: path), "authorization.rules[1]")
        XCTAssertEqual(ConfigKeyPath.parent(of: "top"), "")
        XCTAssertEqual(ConfigKeyPath.components(of: "matrix[0][2]"), [.key("matrix"), .index(0), .index(2)])
    }

    func testSuggestionsAreCloseMatchesOnly() {
        let known = ["listenAddress", "tls", "authorization"]
        XCTAssertEqual(KeySuggestion.closest(to: "listenaddress", among: known), "listenAddress")
        XCTAssertEqual(KeySuggestion.closest(to: "authorisation", among: known), "authorization")
        XCTAssertNil(KeySuggestion.closest(to: "metrics", among: known))
        XCTAssertEqual(KeySuggestion.editDistance(Array("kitten"), Array("sitting")), 3)
    }

    func testDecoderAndContainerReportTheirKeyPaths() throws {
        struct Leaf: Decodable {
            var path: String
            var containerPath: String
            enum CodingKeys: String, CodingKey, CaseIterable { case x }
            init(from decoder: any Decoder) throws {
                path = decoder.configKeyPath
                containerPath = try decoder.strictContainer(keyedBy: CodingKeys.self).configKeyPath
            }
        }
        struct Root: Decodable {
            var items: [String: [Leaf]]
        }
        let root = try ConfigLoader.load(Root.self, fromYAML: "items:\n  pool:\n    - {}\n    - {}\n", source: "t")
        XCTAssertEqual(root.items["pool"]?.map(\.path), ["items.pool[0]", "items.pool[1]"])
        XCTAssertEqual(root.items["pool"]?.map(\.containerPath), ["items.pool[0]", "items.pool[1]"])
    }

    func testErrorsThrownOutsideTheLoaderHaveNoSourcePrefix() {
        let error = ConfigError.invalidValue(keyPath: "a.b", value: "x", reason: "nope")
        XCTAssertEqual(error.description, #"config: a.b: invalid value "x": nope"#)
        XCTAssertEqual(error.code.description, "invalidValue")
    }
}
