import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// HTTP/1.1 connections whose handling runs on the connection's own event loop.
///
/// The server accepts connections on one event loop and hands each to a task; without a preference that task runs
/// on the accepting loop, so for a connection owned by another loop every request read and every response written
/// crosses threads twice. Here each connection's task prefers its channel's event loop as its executor: reads,
/// handlers and writes stay on one thread, and so do the calls the handlers make (a model call's outbound
/// connection is taken from the same loop).
struct LoopBoundHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let inner: HTTP1Channel

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        inner.setup(channel: channel, logger: logger)
    }

    func handle(value: Value, logger: Logger) async {
        await withTaskExecutorPreference(EventLoopTaskExecutor.of(value.channel.eventLoop)) {
            await inner.handle(value: value, logger: logger)
        }
    }
}

extension HTTPServerBuilder {
    /// HTTP/1.1 with each connection handled on its own event loop (see ``LoopBoundHTTP1Channel``).
    static func loopBoundHTTP1(configuration: HTTP1Channel.Configuration = .init()) -> HTTPServerBuilder {
        HTTPServerBuilder { responder in
            LoopBoundHTTP1Channel(inner: HTTP1Channel(responder: responder, configuration: configuration))
        }
    }
}

/// An event loop as a task executor: jobs of tasks that prefer it run on the loop's thread.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    private init(loop: any EventLoop) {
        self.loop = loop
    }

    /// One executor per loop, made on first use.
    static func of(_ loop: any EventLoop) -> EventLoopTaskExecutor {
        let id = ObjectIdentifier(loop as AnyObject)
        return executors.withLock { executors in
            if let existing = executors[id] { return existing }
            let created = EventLoopTaskExecutor(loop: loop)
            executors[id] = created
            return created
        }
    }

    private static let executors = Mutex<[ObjectIdentifier: EventLoopTaskExecutor]>([:])

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}
