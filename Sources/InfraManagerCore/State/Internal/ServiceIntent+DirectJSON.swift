import InfraNet

// Services are most of a large state (10,000 services × 10 backends at the benchmark's
// scale), and most of what the journal records during a bulk load. They write the JSON their
// synthesized `Codable` gives, member for member in declaration order (`nodePort` left out
// when nil, the affinity as `{"none":{}}` or `{"clientIP":{"timeoutSeconds":N}}`);
// `StreamingJSONEncoderTests` checks it against `JSONEncoder` and reads it back.

extension ServiceIntent: DirectJSONEncodable {
    func writeJSON(into json: JSONStreamWriter) {
        json.member("name", first: true)
        name.writeJSON(into: json)
        json.member("clusterIPs")
        json.array(clusterIPs) { json.writeAddress($0.bytes, orText: $0.description) }
        json.member("externalIPs")
        json.array(externalIPs) { json.writeAddress($0.bytes, orText: $0.description) }
        json.member("loadBalancerIPs")
        json.array(loadBalancerIPs) { json.writeAddress($0.bytes, orText: $0.description) }
        json.member("ports")
        json.array(ports) { $0.writeJSON(into: json) }
        json.member("affinity")
        switch affinity {
        case .none:
            json.member("none", first: true)
            json.writeEmptyObject()
        case .clientIP(let seconds):
            json.member("clientIP", first: true)
            json.member("timeoutSeconds", first: true)
            json.writeInteger(seconds)
            json.endObject()
        }
        json.endObject()
        json.endObject()
    }
}

extension ServiceName: DirectJSONEncodable {
    func writeJSON(into json: JSONStreamWriter) {
        json.member("namespace", first: true)
        json.writeString(namespace)
        json.member("name")
        json.writeString(name)
        json.endObject()
    }
}

extension ServicePortIntent: DirectJSONEncodable {
    func writeJSON(into json: JSONStreamWriter) {
        json.member("name", first: true)
        json.writeString(name)
        json.member("transport")
        json.writeString(transport.rawValue)
        json.member("port")
        json.writeInteger(port)
        if let nodePort {
            json.member("nodePort")
            json.writeInteger(nodePort)
        }
        json.member("backends")
        json.array(backends) { $0.writeJSON(into: json) }
        json.endObject()
    }
}

extension BackendIntent: DirectJSONEncodable {
    func writeJSON(into json: JSONStreamWriter) {
        json.member("address", first: true)
        json.writeAddress(address.bytes, orText: address.description)
        json.member("port")
        json.writeInteger(port)
        json.endObject()
    }
}
