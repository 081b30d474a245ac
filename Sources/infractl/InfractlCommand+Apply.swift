import ArgumentParser
import Foundation
import InfraAPI
import SwiftProtobuf

/// Sends Services or policies to the manager directly over infra.v1, for labs and the node
/// demo where no Kubernetes watcher (Felix, through felix-api-proxy and the agent) feeds them.
/// The identity presented must be granted `read-write` in the manager's authorization rules.
extension InfractlCommand {
    struct Apply: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Send an infra.v1 request (proto3 JSON) to the manager: services, delete-services or policies.",
            discussion: """
            KIND is `services` (UpsertServicesRequest), `delete-services` (DeleteServicesRequest) or \
            `policies` (UpdatePoliciesRequest); FILE holds that message in proto3 JSON form, or `-` \
            for standard input. Prints the ApplyResponse (generation and changes).
            """
        )
        enum Kind: String, ExpressibleByArgument, CaseIterable {
            case services
            case deleteServices = "delete-services"
            case policies
        }

        @OptionGroup var connection: ConnectionOptions
        @Argument(help: "services, delete-services or policies.")
        var kind: Kind
        @Argument(help: "File with the request in proto3 JSON, or - for standard input.")
        var file: String

        func run() async throws {
            let text = try readInput()
            let kind = self.kind
            let response: Infra_V1_ApplyResponse
            do {
                switch kind {
                case .services:
                    let request = try Infra_V1_UpsertServicesRequest(jsonString: text)
                    response = try await connection.withClient { client in
                        try await Infra_V1_InfraManager.Client(wrapping: client).upsertServices(request, options: .timeout(.seconds(10)))
                    }
                case .deleteServices:
                    let request = try Infra_V1_DeleteServicesRequest(jsonString: text)
                    response = try await connection.withClient { client in
                        try await Infra_V1_InfraManager.Client(wrapping: client).deleteServices(request, options: .timeout(.seconds(10)))
                    }
                case .policies:
                    let request = try Infra_V1_UpdatePoliciesRequest(jsonString: text)
                    response = try await connection.withClient { client in
                        try await Infra_V1_InfraManager.Client(wrapping: client).updatePolicies(request, options: .timeout(.seconds(10)))
                    }
                }
            } catch let error as JSONDecodingError {
                throw ValidationError("\(file): not a valid \(kind.rawValue) request in proto3 JSON: \(error)")
            }
            let changes = response.changes
            print("generation \(response.generation): created \(changes.created), updated \(changes.updated), deleted \(changes.deleted), unchanged \(changes.unchanged)")
        }

        private func readInput() throws -> String {
            if file == "-" {
                return String(decoding: FileHandle.standardInput.readDataToEndOfFile(), as: UTF8.self)
            }
            guard let data = FileManager.default.contents(atPath: file) else {
                throw ValidationError("cannot read \(file)")
            }
            return String(decoding: data, as: UTF8.self)
        }
    }
}
