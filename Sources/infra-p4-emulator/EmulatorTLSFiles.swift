import Foundation
import InfraChannel

/// The TLS files of an infra-pki identity directory given to `--tls-directory`.
///
/// infra-pki writes the infrap4d identity as `stratum.crt` / `stratum.key` (infrap4d's own
/// file names) and every other identity as `tls.crt` / `tls.key`. The emulator stands in for
/// infrap4d, so it takes either layout: the same directory works for both servers.
enum EmulatorTLSFiles {
    static func files(in directory: String) -> TLSFiles {
        let stratum = TLSFiles(caFile: directory + "/ca.crt", certificateFile: directory + "/stratum.crt", keyFile: directory + "/stratum.key")
        let generic = TLSFiles(directory: directory)
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: generic.certificateFile) && fileManager.fileExists(atPath: stratum.certificateFile) {
            return stratum
        }
        return generic
    }
}
