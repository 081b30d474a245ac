import Logging
import NIOCertificateReloading
import NIOSSL
import Synchronization
import X509

/// Holds the current ``TLSMaterial`` for one process and swaps it when the files change.
///
/// New handshakes pick up the current material (the server through NIOSSL's certificate
/// reloader hook, the client because it builds each connection's TLS handler from the
/// current snapshot, and both sides verify peers against the current roots). Connections
/// that are already established keep running: rotation never drops a healthy peer.
public final class TLSMaterialStore: CertificateReloader, Sendable {
    public enum ReloadOutcome: Sendable, Equatable {
        case unchanged
        case reloaded
        /// The files changed but the new set was refused; the previous material stays in use.
        case rejected(String)
    }

    public let files: TLSFiles
    private let state: Mutex<TLSMaterial>

    /// Loads the files once; a daemon refuses to start when this throws.
    public init(files: TLSFiles) throws {
        self.files = files
        self.state = Mutex(try TLSMaterial.load(from: files))
    }

    /// The material new handshakes use now.
    public var current: TLSMaterial { state.withLock { $0 } }

    /// Reads the files and adopts them if their contents changed and they pass every check.
    @discardableResult
    public func reloadIfChanged() -> ReloadOutcome {
        let previous = current.fingerprint
        let candidate: TLSMaterial
        do {
            candidate = try TLSMaterial.load(from: files)
        } catch let error as ChannelError {
            return .rejected(error.message)
        } catch {
            return .rejected(String(describing: error))
        }
        if candidate.fingerprint == previous { return .unchanged }
        state.withLock { $0 = candidate }
        return .reloaded
    }

    // NIOSSL asks for this on every server handshake.
    public var sslContextConfigurationOverride: NIOSSLContextConfigurationOverride {
        let material = current
        var override = NIOSSLContextConfigurationOverride()
        override.certificateChain = material.nioChain.map { .certificate($0) }
        override.privateKey = .privateKey(material.nioKey)
        return override
    }
}
