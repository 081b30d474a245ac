import CDPDK
import Crypto
import Foundation
import P4RuntimeServer

/// Turns a spec into the shared object `rte_swx_pipeline_build_from_lib` loads: DPDK's code
/// generator writes C, gcc builds it. The result is cached under the SHA-256 of the spec and
/// the compile flags, so pushing the same program again (a manager restart, RECONCILE) costs
/// a file lookup instead of a compile.
public struct PipelineLibraryBuilder: Sendable {
    /// Where built libraries are kept.
    public var cacheDirectory: String
    /// A directory holding DPDK's `rte_swx_pipeline_internal.h` (scripts/setup puts it in
    /// `.cache/dpdk/include`).
    public var internalHeaderDirectory: String
    public var compiler: String

    public init(cacheDirectory: String, internalHeaderDirectory: String, compiler: String = "gcc") {
        self.cacheDirectory = cacheDirectory
        self.internalHeaderDirectory = internalHeaderDirectory
        self.compiler = compiler
    }

    /// The flags of DPDK's own pipeline builder, minus -O3 (a large program takes far longer
    /// to build at -O3 for little gain on table lookups, which are library code anyway).
    static let compileFlags = [
        "-c", "-O2", "-fpic", "-DALLOW_EXPERIMENTAL_API", "-march=corei7",
        "-I/usr/include/dpdk", "-I/usr/include/x86_64-linux-gnu/dpdk", "-include", "rte_config.h",
    ]

    /// The path of the library for `spec`, built now unless cached.
    public func library(forSpec spec: String) throws -> String {
        let digest = SHA256.hash(data: Data((spec + "\u{0}" + Self.compileFlags.joined(separator: " ")).utf8))
        let name = digest.map { String(format: "%02x", $0) }.joined().prefix(32)
        let library = "\(cacheDirectory)/pipeline-\(name).so"
        if FileManager.default.fileExists(atPath: library) { return library }

        let header = internalHeaderDirectory + "/rte_swx_pipeline_internal.h"
        guard FileManager.default.fileExists(atPath: header) else {
            throw P4ServerError(.failedPrecondition, "\(header) is missing: the pipeline C cannot be built without DPDK's internal header (scripts/setup fetches it)")
        }
        do {
            try FileManager.default.createDirectory(atPath: cacheDirectory, withIntermediateDirectories: true)
        } catch {
            throw P4ServerError(.internalError, "cannot create the pipeline cache \(cacheDirectory): \(error)")
        }
        let work = "\(cacheDirectory)/build-\(name)-\(getpid())"
        try? FileManager.default.removeItem(atPath: work)
        try? FileManager.default.createDirectory(atPath: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: work) }

        let specPath = work + "/pipeline.spec", code = work + "/pipeline.c", object = work + "/pipeline.o", built = work + "/pipeline.so"
        do {
            try Data(spec.utf8).write(to: URL(fileURLWithPath: specPath))
        } catch {
            throw P4ServerError(.internalError, "cannot write \(specPath): \(error)")
        }
        var message = [CChar](repeating: 0, count: 512)
        if cdpdk_codegen(specPath, code, &message, message.count) != 0 {
            throw P4ServerError(.invalidArgument, "p4_device_config spec refused by DPDK's code generator: \(String(cString: message))")
        }
        try run(compiler, Self.compileFlags + ["-I", internalHeaderDirectory, "-o", object, code])
        try run(compiler, ["-shared", "-o", built, object])
        guard rename(built, library) == 0 else {
            throw P4ServerError(.internalError, "cannot move the built pipeline to \(library): \(String(cString: strerror(errno)))")
        }
        return library
    }

    private func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        do {
            try process.run()
        } catch {
            throw P4ServerError(.failedPrecondition, "cannot run \(tool): \(error)")
        }
        let output = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = String(decoding: output.suffix(2000), as: UTF8.self)
            throw P4ServerError(.internalError, "\(tool) failed building the pipeline (status \(process.terminationStatus)): \(text)")
        }
    }
}
