import CHiredis
import Glibc

/// One hiredis connection.
///
/// `@unchecked Sendable` because it is handed between threads of the client's thread pool, but the client's
/// pool gives each connection to one caller at a time, so the C handle is never used concurrently.
final class RedisConnection: @unchecked Sendable {
    private let context: UnsafeMutablePointer<redisContext>
    /// Whether the connection has been in the idle pool, where Redis may have closed it.
    var wasIdle = false

    /// Connects, authenticates and selects the database. Blocking: call from the thread pool only.
    init(configuration: RedisConfiguration) throws {
        let timeout = timeval(
            tv_sec: configuration.timeoutMilliseconds / 1000,
            tv_usec: (configuration.timeoutMilliseconds % 1000) * 1000
        )
        guard let context = redisConnectWithTimeout(configuration.host, Int32(configuration.port), timeout) else {
            throw RedisError(.connection, "out of memory allocating a connection")
        }
        if context.pointee.err != 0 {
            let message = Self.errorString(context)
            redisFree(context)
            throw RedisError(.connection, message)
        }
        redisSetTimeout(context, timeout)
        self.context = context
        if let password = configuration.password {
            if case .error(let message) = try command(["AUTH", password]) { throw RedisError(.reply, message) }
        }
        if configuration.database != 0 {
            if case .error(let message) = try command(["SELECT", String(configuration.database)]) {
                throw RedisError(.reply, message)
            }
        }
    }

    deinit {
        redisFree(context)
    }

    private static func errorString(_ context: UnsafeMutablePointer<redisContext>) -> String {
        withUnsafeBytes(of: context.pointee.errstr) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let end = bytes.firstIndex(of: 0) ?? bytes.count
            return String(decoding: bytes[..<end], as: UTF8.self)
        }
    }

    /// Sends one command and waits for its reply. Blocking.
    /// An error reply is returned as `.error`; a broken connection throws, and the caller drops it.
    func command(_ arguments: [[UInt8]]) throws -> RedisValue {
        try pipeline([arguments])[0].get()
    }

    /// Sends every command, then reads every reply: one write for the batch, and replies read as they arrive.
    /// Blocking: call from the pipeline's thread only.
    /// - Returns: a reply per command; after a connection error, the error for that command and every later one.
    func pipeline(_ commands: [[[UInt8]]]) -> [Result<RedisValue, RedisError>] {
        for arguments in commands {
            var pointers: [UnsafePointer<CChar>?] = []
            var lengths: [Int] = []
            var buffers: [UnsafeMutableBufferPointer<CChar>] = []
            defer { buffers.forEach { $0.deallocate() } }
            for argument in arguments {
                let buffer = UnsafeMutableBufferPointer<CChar>.allocate(capacity: max(argument.count, 1))
                argument.withUnsafeBytes { raw in
                    for (index, byte) in raw.enumerated() { buffer[index] = CChar(bitPattern: byte) }
                }
                buffers.append(buffer)
                pointers.append(UnsafePointer(buffer.baseAddress))
                lengths.append(argument.count)
            }
            // Appending only copies into hiredis's output buffer; it fails only when out of memory.
            let status = pointers.withUnsafeMutableBufferPointer { argv in
                lengths.withUnsafeBufferPointer { argvlen in
                    redisAppendCommandArgv(context, Int32(arguments.count), argv.baseAddress, argvlen.baseAddress)
                }
            }
            if status != REDIS_OK {
                return commands.map { _ in .failure(RedisError(.connection, Self.errorString(context))) }
            }
        }
        var results: [Result<RedisValue, RedisError>] = []
        results.reserveCapacity(commands.count)
        for _ in commands {
            var raw: UnsafeMutableRawPointer?
            guard redisGetReply(context, &raw) == REDIS_OK, let raw else {
                let error = RedisError(.connection, Self.errorString(context))
                while results.count < commands.count { results.append(.failure(error)) }
                return results
            }
            results.append(.success(Self.value(raw.assumingMemoryBound(to: redisReply.self))))
            freeReplyObject(raw)
        }
        return results
    }

    func command(_ arguments: [String]) throws -> RedisValue {
        try command(arguments.map { Array($0.utf8) })
    }

    private static func value(_ reply: UnsafeMutablePointer<redisReply>) -> RedisValue {
        let reply = reply.pointee
        switch reply.type {
        case REDIS_REPLY_INTEGER:
            return .integer(Int64(reply.integer))
        case REDIS_REPLY_STRING, REDIS_REPLY_STATUS, REDIS_REPLY_ERROR:
            let bytes: [UInt8] =
                reply.str.map { pointer in
                    Array(UnsafeRawBufferPointer(start: pointer, count: Int(reply.len)))
                } ?? []
            switch reply.type {
            case REDIS_REPLY_STRING: return .string(bytes)
            case REDIS_REPLY_STATUS: return .status(String(decoding: bytes, as: UTF8.self))
            default: return .error(String(decoding: bytes, as: UTF8.self))
            }
        case REDIS_REPLY_ARRAY:
            var items: [RedisValue] = []
            items.reserveCapacity(Int(reply.elements))
            for index in 0..<Int(reply.elements) {
                if let element = reply.element[index] { items.append(value(element)) } else { items.append(.null) }
            }
            return .array(items)
        default:
            return .null
        }
    }
}
