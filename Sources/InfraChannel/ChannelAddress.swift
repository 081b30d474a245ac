import GRPCCore
import GRPCNIOTransportHTTP2Posix
import InfraNet

/// A gRPC endpoint as written in configuration: `host:port`, `[v6]:port` or `unix:/path`.
public struct ChannelAddress: Hashable, Sendable, CustomStringConvertible {
    public enum Kind: Hashable, Sendable {
        case ip(IPAddress, port: Int)
        case dns(String, port: Int)
        case unix(path: String)
    }

    public let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    /// Parses the text form; the error names the text and what is wrong with it.
    public init(parsing text: String) throws {
        if text.hasPrefix("unix:") {
            let path = String(text.dropFirst("unix:".count))
            guard path.hasPrefix("/") else {
                throw ChannelError(.invalidAddress, "address \"\(text)\": a unix socket path must be absolute")
            }
            self.kind = .unix(path: path)
            return
        }
        let host: String
        let portText: String
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw ChannelError(.invalidAddress, "address \"\(text)\": expected [ipv6]:port")
            }
            host = String(text[text.index(after: text.startIndex)..<close])
            portText = String(text[text.index(close, offsetBy: 2)...])
        } else {
            guard let colon = text.lastIndex(of: ":"), !text[..<colon].contains(":") else {
                throw ChannelError(.invalidAddress, "address \"\(text)\": expected host:port, [ipv6]:port or unix:/path")
            }
            host = String(text[..<colon])
            portText = String(text[text.index(after: colon)...])
        }
        guard let port = Int(portText), (0...65_535).contains(port) else {
            throw ChannelError(.invalidAddress, "address \"\(text)\": port \"\(portText)\" is not a number from 0 to 65535")
        }
        if let ip = IPAddress(host) {
            self.kind = .ip(ip, port: port)
        } else if !host.isEmpty, host.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" || $0 == "." }) {
            self.kind = .dns(host, port: port)
        } else {
            throw ChannelError(.invalidAddress, "address \"\(text)\": \"\(host)\" is neither an IP address nor a DNS name")
        }
    }

    public var description: String {
        switch kind {
        case .ip(let ip, let port): ip.family == .v6 ? "[\(ip)]:\(port)" : "\(ip):\(port)"
        case .dns(let name, let port): "\(name):\(port)"
        case .unix(let path): "unix:\(path)"
        }
    }

    /// The host part a TLS client checks the server certificate against.
    var hostForVerification: (hostname: String?, ip: String?) {
        switch kind {
        case .ip(let ip, _): (nil, ip.description)
        case .dns(let name, _): (name, nil)
        case .unix: (nil, nil)
        }
    }

    var serverSocketAddress: GRPCNIOTransportCore.SocketAddress {
        get throws {
            switch kind {
            case .ip(let ip, let port):
                return ip.family == .v4 ? .ipv4(host: ip.description, port: port) : .ipv6(host: ip.description, port: port)
            case .unix(let path):
                return .unixDomainSocket(path: path)
            case .dns(let name, _):
                throw ChannelError(.invalidAddress, "listen address \"\(name)\" must be an IP address or unix socket, not a DNS name")
            }
        }
    }

    var clientTarget: any ResolvableTarget {
        switch kind {
        case .ip(let ip, let port):
            return ip.family == .v4 ? .ipv4(address: ip.description, port: port) : .ipv6(address: ip.description, port: port)
        case .dns(let name, let port):
            return .dns(host: name, port: port)
        case .unix(let path):
            return .unixDomainSocket(path: path)
        }
    }
}
