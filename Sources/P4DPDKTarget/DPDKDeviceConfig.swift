import Foundation
import P4RuntimeServer

/// The `p4_device_config` infra-p4-dpdk takes in SetForwardingPipelineConfig: one JSON object
/// (UTF-8) carrying what p4c-dpdk wrote beside the P4Info (README "p4_device_config").
///
/// - `spec`: the text of the `.spec` file, DPDK's pipeline language.
/// - `context`: the `context.json` object, which maps P4Runtime ids and names to the spec's.
/// - `learner_timeouts` (optional): per learner (spec name), its timeout values in seconds
///   by timeout id; absent learners keep the spec's values.
public struct DPDKDeviceConfig: Sendable, Equatable {
    public var spec: String
    /// The context JSON as sent, decoded on demand by `PipelineMap`.
    public var context: Data
    public var learnerTimeouts: [String: [UInt32]]

    public init(spec: String, context: Data, learnerTimeouts: [String: [UInt32]] = [:]) {
        self.spec = spec
        self.context = context
        self.learnerTimeouts = learnerTimeouts
    }

    /// Reads p4c-dpdk's two output files.
    public init(specFile: String, contextFile: String, learnerTimeouts: [String: [UInt32]] = [:]) throws {
        do {
            spec = try String(contentsOfFile: specFile, encoding: .utf8)
            context = try Data(contentsOf: URL(fileURLWithPath: contextFile))
        } catch {
            throw P4ServerError(.invalidArgument, "cannot read the pipeline files \(specFile), \(contextFile): \(error)")
        }
        self.learnerTimeouts = learnerTimeouts
    }

    /// Parses `p4_device_config`; INVALID_ARGUMENT naming the missing or wrong field.
    public init(_ data: Data) throws {
        guard !data.isEmpty else {
            throw P4ServerError(.invalidArgument, "p4_device_config is empty; infra-p4-dpdk needs {\"spec\": ..., \"context\": {...}} (see the P4DPDKTarget README)")
        }
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw P4ServerError(.invalidArgument, "p4_device_config is not JSON: \(error)")
        }
        guard let root = object as? [String: Any] else {
            throw P4ServerError(.invalidArgument, "p4_device_config must be a JSON object with \"spec\" and \"context\"")
        }
        guard let spec = root["spec"] as? String, !spec.isEmpty else {
            throw P4ServerError(.invalidArgument, "p4_device_config field \"spec\" must be the pipeline spec text")
        }
        guard let context = root["context"] as? [String: Any] else {
            throw P4ServerError(.invalidArgument, "p4_device_config field \"context\" must be the context JSON object")
        }
        var timeouts: [String: [UInt32]] = [:]
        if let raw = root["learner_timeouts"] {
            guard let table = raw as? [String: Any] else {
                throw P4ServerError(.invalidArgument, "p4_device_config field \"learner_timeouts\" must map learner names to arrays of seconds")
            }
            for (learner, values) in table {
                guard let numbers = values as? [NSNumber], numbers.allSatisfy({ $0.int64Value >= 1 && $0.int64Value <= Int64(UInt32.max) }) else {
                    throw P4ServerError(.invalidArgument, "p4_device_config learner_timeouts.\(learner) must be an array of seconds (1...\(UInt32.max)), not \(values)")
                }
                timeouts[learner] = numbers.map { UInt32($0.int64Value) }
            }
        }
        self.spec = spec
        self.context = try JSONSerialization.data(withJSONObject: context)
        self.learnerTimeouts = timeouts
    }

    /// The encoded `p4_device_config`.
    public func encoded() throws -> Data {
        var root: [String: Any] = ["spec": spec, "context": try JSONSerialization.jsonObject(with: context)]
        if !learnerTimeouts.isEmpty { root["learner_timeouts"] = learnerTimeouts }
        return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys])
    }
}
