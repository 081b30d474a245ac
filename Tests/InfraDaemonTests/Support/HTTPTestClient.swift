import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// A plain-socket HTTP/1.1 client, so the endpoint is tested on the wire without URLSession.
struct HTTPTestResponse {
    var status: Int
    var headers: [String: String]  // lowercased names
    var body: String
}

enum HTTPTestClient {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Sends `requests` over one TCP connection to 127.0.0.1:`port` and reads until the server
    /// closes it, then splits the responses (each must carry Content-Length).
    static func exchange(port: Int, requests: [String]) throws -> [HTTPTestResponse] {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw Failure(description: "socket: \(errno)") }
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw Failure(description: "connect: \(errno)") }
        let payload = Array(requests.joined().utf8)
        guard send(descriptor, payload, payload.count, 0) == payload.count else { throw Failure(description: "send") }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        while true {
            let count = recv(descriptor, &chunk, chunk.count, 0)
            if count == 0 { break }
            guard count > 0 else { throw Failure(description: "recv: \(errno) after \(received.count) bytes") }
            received.append(contentsOf: chunk[..<count])
        }
        return try parse(received)
    }

    static func get(port: Int, path: String) throws -> HTTPTestResponse {
        try request(port: port, method: "GET", path: path)
    }

    static func request(port: Int, method: String, path: String) throws -> HTTPTestResponse {
        let text = "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        guard let response = try exchange(port: port, requests: [text]).first else {
            throw Failure(description: "no response")
        }
        return response
    }

    private static func parse(_ bytes: [UInt8]) throws -> [HTTPTestResponse] {
        var responses: [HTTPTestResponse] = []
        var rest = bytes[...]
        let separator = Array("\r\n\r\n".utf8)
        while !rest.isEmpty {
            guard let end = rest.firstRange(of: separator) else { throw Failure(description: "no header end") }
            let headerText = String(decoding: rest[..<end.lowerBound], as: UTF8.self)
            var lines = headerText.components(separatedBy: "\r\n")
            let statusLine = lines.removeFirst().split(separator: " ")
            guard statusLine.count >= 2, let status = Int(statusLine[1]) else {
                throw Failure(description: "bad status line \(headerText)")
            }
            var headers: [String: String] = [:]
            for line in lines {
                guard let colon = line.firstIndex(of: ":") else { continue }
                headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            }
            let length = Int(headers["content-length"] ?? "") ?? 0
            let bodyStart = end.upperBound
            guard rest.distance(from: bodyStart, to: rest.endIndex) >= length else { throw Failure(description: "short body") }
            let bodyEnd = rest.index(bodyStart, offsetBy: length)
            responses.append(HTTPTestResponse(status: status, headers: headers,
                                              body: String(decoding: rest[bodyStart..<bodyEnd], as: UTF8.self)))
            rest = rest[bodyEnd...]
        }
        return responses
    }
}
