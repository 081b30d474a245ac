import Foundation
import InfraDaemon

/// The state file: what is allocated, and every interface the pool has seen (so that one
/// inside a pod namespace, renamed, can still be recognised by its MAC).
struct PoolState: Codable, Equatable {
    static let currentVersion = 1

    var version: Int
    var mode: InterfacePoolConfig.Mode
    var allocations: [Allocation]
    var inventory: [PoolInterface]

    init(mode: InterfacePoolConfig.Mode) {
        version = Self.currentVersion
        self.mode = mode
        allocations = []
        inventory = []
    }

    /// Adds or refreshes `interfaces` in the inventory, by name.
    mutating func remember(_ interfaces: [PoolInterface]) {
        for interface in interfaces {
            if let position = inventory.firstIndex(where: { $0.name == interface.name }) {
                inventory[position] = interface
            } else {
                inventory.append(interface)
            }
        }
    }

    static func load(from path: String, mode: InterfacePoolConfig.Mode) throws -> PoolState {
        guard FileManager.default.fileExists(atPath: path) else { return PoolState(mode: mode) }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw InterfacePoolError(.unreadableState, "cannot read the interface pool state \(path): \(error)")
        }
        let state: PoolState
        do {
            state = try JSONDecoder().decode(PoolState.self, from: data)
        } catch {
            throw InterfacePoolError(.corruptState, "interface pool state \(path) is not valid: \(error)")
        }
        guard state.version == currentVersion else {
            throw InterfacePoolError(.stateMismatch, "interface pool state \(path) has version \(state.version), expected \(currentVersion)")
        }
        guard state.mode == mode else {
            throw InterfacePoolError(
                .stateMismatch,
                "interface pool state \(path) is for mode \(state.mode.rawValue), the configuration says \(mode.rawValue); move it away after releasing its pods")
        }
        let names = state.allocations.map(\.interface.name)
        guard Set(names).count == names.count else {
            throw InterfacePoolError(.corruptState, "interface pool state \(path) gives one interface to two pods")
        }
        return state
    }

    func save(to path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        let data: Data
        do {
            data = try encoder.encode(self)
        } catch {
            throw InterfacePoolError(.stateWriteFailed, "cannot encode the interface pool state: \(error)")
        }
        do {
            try AtomicFile.write(data, to: path)
        } catch {
            throw InterfacePoolError(.stateWriteFailed, "state file: \(error)")
        }
    }
}
