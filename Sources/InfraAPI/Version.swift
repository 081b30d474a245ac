/// Versions every InfraOffload binary reports (Status, `--version`, logs).
public enum InfraVersion {
    /// The release of this source tree.
    public static let release = "0.1.0"
    /// The agent-to-manager API package these binaries speak.
    public static let api = "infra.v1"
}
