import Foundation
import P4Info
import P4RuntimeAPI
@testable import P4RuntimeServer
import XCTest

/// A small program: an exact table with a direct counter and a @defaultonly action, a ternary
/// ACL, an lpm route table with a const default, a range table, an exact table implemented
/// by an action selector (size 3, groups of at most 2), and an indexed counter of 8 cells.
enum TestPipeline {
    static let exact: UInt32 = 0x0200_0001
    static let acl: UInt32 = 0x0200_0002
    static let route: UInt32 = 0x0200_0003
    static let lb: UInt32 = 0x0200_0004
    static let ports: UInt32 = 0x0200_0005
    static let setPort: UInt32 = 0x0100_0001
    static let drop: UInt32 = 0x0100_0002
    static let miss: UInt32 = 0x0100_0003
    static let selector: UInt32 = 0x1100_0001
    static let fixed: UInt32 = 0x0200_0006
    static let keyless: UInt32 = 0x0200_0007
    static let opt: UInt32 = 0x0200_0008
    static let plainProfile: UInt32 = 0x1100_0002
    static let portStats: UInt32 = 0x1200_0001
    static let exactHits: UInt32 = 0x1300_0001

    static let text = """
    pkg_info { arch: "pna" }
    tables {
      preamble { id: 33554433 name: "ingress.exact_t" alias: "exact_t" }
      match_fields { id: 1 name: "dst" bitwidth: 32 match_type: EXACT }
      action_refs { id: 16777217 }
      action_refs { id: 16777218 }
      action_refs { id: 16777219 scope: DEFAULT_ONLY }
      initial_default_action { action_id: 16777218 }
      direct_resource_ids: 318767105
      size: 2
    }
    tables {
      preamble { id: 33554434 name: "ingress.acl" alias: "acl" }
      match_fields { id: 1 name: "port" bitwidth: 16 match_type: TERNARY }
      action_refs { id: 16777217 }
      action_refs { id: 16777218 }
      size: 16
    }
    tables {
      preamble { id: 33554435 name: "ingress.route" alias: "route" }
      match_fields { id: 1 name: "dst" bitwidth: 32 match_type: LPM }
      action_refs { id: 16777217 }
      action_refs { id: 16777218 }
      const_default_action_id: 16777218
      size: 1024
    }
    tables {
      preamble { id: 33554436 name: "ingress.lb" alias: "lb" }
      match_fields { id: 1 name: "vip" bitwidth: 32 match_type: EXACT }
      action_refs { id: 16777217 }
      implementation_id: 285212673
      size: 64
    }
    tables {
      preamble { id: 33554437 name: "ingress.ports" alias: "ports" }
      match_fields { id: 1 name: "l4" bitwidth: 16 match_type: RANGE }
      action_refs { id: 16777218 }
      size: 8
    }
    tables {
      preamble { id: 33554438 name: "ingress.fixed" alias: "fixed" }
      match_fields { id: 1 name: "k" bitwidth: 8 match_type: EXACT }
      action_refs { id: 16777218 }
      is_const_table: true
    }
    tables {
      preamble { id: 33554439 name: "ingress.keyless" alias: "keyless" }
      action_refs { id: 16777217 }
      action_refs { id: 16777218 }
    }
    tables {
      preamble { id: 33554440 name: "ingress.opt" alias: "opt" }
      match_fields { id: 1 name: "o" bitwidth: 8 match_type: OPTIONAL }
      match_fields { id: 2 name: "e" bitwidth: 8 match_type: EXACT }
      action_refs { id: 16777218 }
      size: 8
    }
    actions {
      preamble { id: 16777217 name: "ingress.set_port" alias: "set_port" }
      params { id: 1 name: "port" bitwidth: 9 }
    }
    actions { preamble { id: 16777218 name: "ingress.drop" alias: "drop" } }
    actions { preamble { id: 16777219 name: "ingress.miss" alias: "miss" } }
    action_profiles {
      preamble { id: 285212673 name: "ingress.lb_sel" alias: "lb_sel" }
      table_ids: 33554436
      with_selector: true
      size: 3
      max_group_size: 2
    }
    action_profiles {
      preamble { id: 285212674 name: "ingress.plain_prof" alias: "plain_prof" }
      size: 4
    }
    counters {
      preamble { id: 301989889 name: "ingress.port_stats" alias: "port_stats" }
      spec { unit: BOTH }
      size: 8
    }
    direct_counters {
      preamble { id: 318767105 name: "ingress.exact_hits" alias: "exact_hits" }
      spec { unit: BOTH }
      direct_table_id: 33554433
    }
    """

    static func index() throws -> P4InfoIndex { try P4InfoIndex(textFormat: text) }
}

// MARK: Request builders

func arbitration(election: UInt64?, device: UInt64 = 1, role: String? = nil) -> P4_V1_StreamMessageRequest {
    var update = P4_V1_MasterArbitrationUpdate()
    update.deviceID = device
    if let role { update.role.name = role }
    if let election { update.electionID.low = election }
    var message = P4_V1_StreamMessageRequest()
    message.arbitration = update
    return message
}

func electionID(_ low: UInt64) -> P4_V1_Uint128 {
    var id = P4_V1_Uint128()
    id.low = low
    return id
}

func pipelineRequest(
    _ action: P4_V1_SetForwardingPipelineConfigRequest.Action = .verifyAndCommit, election: UInt64 = 10, cookie: UInt64? = 42,
    p4info: P4_Config_V1_P4Info? = nil
) throws -> P4_V1_SetForwardingPipelineConfigRequest {
    var request = P4_V1_SetForwardingPipelineConfigRequest()
    request.deviceID = 1
    request.electionID = electionID(election)
    request.action = action
    request.config.p4Info = try p4info ?? TestPipeline.index().p4info
    request.config.p4DeviceConfig = Data("spec".utf8)
    if let cookie { request.config.cookie.cookie = cookie }
    return request
}

func action(_ id: UInt32, _ params: [UInt32: [UInt8]] = [:]) -> P4_V1_TableAction {
    var call = P4_V1_Action()
    call.actionID = id
    call.params = params.sorted { $0.key < $1.key }.map { id, value in
        var param = P4_V1_Action.Param()
        param.paramID = id
        param.value = Data(value)
        return param
    }
    var out = P4_V1_TableAction()
    out.action = call
    return out
}

func entry(_ table: UInt32, _ matches: [P4_V1_FieldMatch], _ action: P4_V1_TableAction? = nil, priority: Int32 = 0) -> P4_V1_Entity {
    var entry = P4_V1_TableEntry()
    entry.tableID = table
    entry.match = matches
    entry.priority = priority
    if let action { entry.action = action }
    var entity = P4_V1_Entity()
    entity.tableEntry = entry
    return entity
}

func exact(_ value: [UInt8], field: UInt32 = 1) -> P4_V1_FieldMatch {
    var match = P4_V1_FieldMatch()
    match.fieldID = field
    match.exact.value = Data(value)
    return match
}

func ternary(_ value: [UInt8], _ mask: [UInt8]) -> P4_V1_FieldMatch {
    var match = P4_V1_FieldMatch()
    match.fieldID = 1
    match.ternary.value = Data(value)
    match.ternary.mask = Data(mask)
    return match
}

func lpm(_ value: [UInt8], _ prefix: Int32) -> P4_V1_FieldMatch {
    var match = P4_V1_FieldMatch()
    match.fieldID = 1
    match.lpm.value = Data(value)
    match.lpm.prefixLen = prefix
    return match
}

func range(_ low: [UInt8], _ high: [UInt8]) -> P4_V1_FieldMatch {
    var match = P4_V1_FieldMatch()
    match.fieldID = 1
    match.range.low = Data(low)
    match.range.high = Data(high)
    return match
}

func member(_ id: UInt32, port: UInt8 = 1, action actionID: UInt32 = TestPipeline.setPort) -> P4_V1_Entity {
    var member = P4_V1_ActionProfileMember()
    member.actionProfileID = TestPipeline.selector
    member.memberID = id
    member.action.actionID = actionID
    if actionID == TestPipeline.setPort {
        var param = P4_V1_Action.Param()
        param.paramID = 1
        param.value = Data([port])
        member.action.params = [param]
    }
    var entity = P4_V1_Entity()
    entity.actionProfileMember = member
    return entity
}

func group(_ id: UInt32, members: [UInt32], maxSize: Int32 = 0) -> P4_V1_Entity {
    var group = P4_V1_ActionProfileGroup()
    group.actionProfileID = TestPipeline.selector
    group.groupID = id
    group.maxSize = maxSize
    group.members = members.map { id in
        var member = P4_V1_ActionProfileGroup.Member()
        member.memberID = id
        member.weight = 1
        return member
    }
    var entity = P4_V1_Entity()
    entity.actionProfileGroup = group
    return entity
}

func counts(packets: Int64, bytes: Int64 = 0) -> P4_V1_CounterData {
    var data = P4_V1_CounterData()
    data.packetCount = packets
    data.byteCount = bytes
    return data
}

/// A CounterEntry: without `index` it means every cell, without `data` "no change" / "read".
func counterEntity(_ counter: UInt32 = TestPipeline.portStats, index: Int64? = nil, data: P4_V1_CounterData? = nil) -> P4_V1_Entity {
    var entity = P4_V1_Entity()
    entity.counterEntry.counterID = counter
    if let index { entity.counterEntry.index.index = index }
    if let data { entity.counterEntry.data = data }
    return entity
}

/// A DirectCounterEntry for the entry with this key (match empty: every entry, for reads).
func directCounterEntity(_ table: UInt32, _ matches: [P4_V1_FieldMatch], data: P4_V1_CounterData? = nil) -> P4_V1_Entity {
    var entity = P4_V1_Entity()
    entity.directCounterEntry.tableEntry.tableID = table
    entity.directCounterEntry.tableEntry.match = matches
    if let data { entity.directCounterEntry.data = data }
    return entity
}

func update(_ type: P4_V1_Update.TypeEnum, _ entity: P4_V1_Entity) -> P4_V1_Update {
    var update = P4_V1_Update()
    update.type = type
    update.entity = entity
    return update
}

func writeRequest(_ updates: [P4_V1_Update], election: UInt64 = 10) -> P4_V1_WriteRequest {
    var request = P4_V1_WriteRequest()
    request.deviceID = 1
    request.electionID = electionID(election)
    request.updates = updates
    return request
}

/// A core with a primary (election id 10) and the test pipeline committed.
struct Fixture {
    let core: P4RuntimeCore
    let primary: P4StreamSession

    init(pipeline: Bool = true) throws {
        core = P4RuntimeCore(deviceID: 1)
        primary = core.openStream()
        try primary.receive(arbitration(election: 10))
        if pipeline { _ = try core.setForwardingPipelineConfig(try pipelineRequest()) }
    }

    /// The per-update canonical codes of one Write (all OK when it succeeded).
    func codes(_ updates: [P4_V1_Update]) throws -> [P4ServerError.Code] {
        do {
            _ = try core.write(writeRequest(updates))
            return updates.map { _ in .ok }
        } catch let error as P4ServerError {
            XCTAssertEqual(error.code, .unknown, "\(error)")
            XCTAssertEqual(error.details.count, updates.count)
            return error.details.map { detail in
                let codes: [P4ServerError.Code] = [.ok, .unknown, .invalidArgument, .notFound, .alreadyExists, .permissionDenied,
                                                   .resourceExhausted, .failedPrecondition, .outOfRange, .unimplemented, .internalError]
                return codes.first { $0.rawValue == detail.canonicalCode } ?? .unknown
            }
        }
    }

    /// The code of a single update.
    func code(_ type: P4_V1_Update.TypeEnum, _ entity: P4_V1_Entity, file: StaticString = #filePath, line: UInt = #line) throws -> P4ServerError.Code {
        try codes([update(type, entity)])[0]
    }

    func read(_ entity: P4_V1_Entity) throws -> [P4_V1_Entity] {
        var request = P4_V1_ReadRequest()
        request.deviceID = 1
        request.entities = [entity]
        let (batches, failure) = try core.read(request)
        if let failure { throw failure }
        return batches.flatMap { $0 }
    }
}

/// The code a call throws, nil if it did not throw a P4ServerError.
func thrownCode(_ body: () throws -> Void) -> P4ServerError.Code? {
    do {
        try body()
        return nil
    } catch let error as P4ServerError {
        return error.code
    } catch {
        return nil
    }
}
