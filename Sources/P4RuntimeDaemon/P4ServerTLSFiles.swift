import Foundation
import InfraChannel

/// The TLS files of an infra-pki identity directory given to a P4Runtime target's
/// `--tls-directory`.
///
/// infra-pki writes the infrap4d identity as `stratum.crt` / `stratum.key` (infrap4d's own
/// file names) and every other identity as `tls.crt` / `tls.key`. Our targets stand in for
/// infrap4d, so they take either layout: the same directory works for all of them.
public enum P4ServerTLSFiles {
    public static func files(in directory: String) -> TLSFiles {
        let stratum = TLSFiles(caFile: directory + "/ca.crt", certificateFile: directory + "/stratum.crt", keyFile: directory + "/stratum.key")
        let generic = TLSFiles(directory: directory)
        let fileManager = FileManager.default
        if !fileManager.fileExists(atPath: generic.certificateFile) && fileManager.fileExists(atPath: stratum.certificateFile) {
            return stratum
        }
        return generic
    }
}
