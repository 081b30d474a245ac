import Glibc
import Logging

/// Runs netlink work inside network namespaces on one dedicated thread.
///
/// Why a thread of its own: `setns(2)` switches the namespace of the calling *thread* only.
/// Swift concurrency runs tasks on a small shared pool whose threads hop between tasks at
/// every suspension point; a pool thread left inside a pod's namespace (by a task that
/// suspended, or by an error path that forgot to switch back) would run some unrelated
/// task's sockets, files and connections in the wrong namespace. So every switch happens on
/// one long-lived pthread that runs nothing else: it enters the namespace, creates a netlink
/// socket there (a socket stays bound to the namespace it was created in), runs the body
/// synchronously (it cannot suspend, so it cannot hop threads), and switches back to the
/// namespace it started in, also when the body throws. Jobs run one at a time, in order.
///
/// If switching back ever fails, the thread is left in a foreign namespace: it refuses every
/// later job with `namespaceSwitch` instead of running it in the wrong place.
public final class NamespaceRunner: Sendable {
    /// One runner for the process, started on first use in the namespace of the thread that
    /// first touches it (for a daemon: the host's).
    public static let shared = NamespaceRunner()

    private let worker: Worker

    /// Starts the dedicated thread. It remembers the calling thread's network namespace as the
    /// one to return to after every job.
    /// `logger` hears the one event that matters operationally: the thread could not return
    /// to its original namespace and refuses work from then on.
    public init(logger: Logger = Logger(label: "netlink.namespace-runner")) {
        worker = Worker(logger: logger)
        worker.start()
    }

    deinit { worker.stop() }

    /// Runs `body` inside `namespace` on the runner's thread with a netlink socket created
    /// there, then returns to the original namespace (also when `body` throws).
    ///
    /// A path that does not exist is `notFound` ("enter network namespace /var/run/netns/x:
    /// open /var/run/netns/x: No such file or directory"); a path that is not a network
    /// namespace is `namespaceSwitch`.
    public func run<T: Sendable>(in namespace: NetworkNamespace, _ body: @escaping @Sendable (NetlinkSocket) throws -> T) async throws -> T {
        try await submit(namespace, body)
    }

    /// Runs `body` on the runner's thread in its original namespace (for host-side work that
    /// should not block a pool thread).
    public func run<T: Sendable>(_ body: @escaping @Sendable (NetlinkSocket) throws -> T) async throws -> T {
        try await submit(nil, body)
    }

    private func submit<T: Sendable>(_ namespace: NetworkNamespace?, _ body: @escaping @Sendable (NetlinkSocket) throws -> T) async throws -> T {
        let worker = self.worker
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<T, any Error>) in
            worker.enqueue {
                continuation.resume(with: Result { try worker.perform(in: namespace, body) })
            }
        }
    }
}

/// The thread, its job queue and the descriptor of the namespace to return to.
private final class Worker: @unchecked Sendable {
    // `lock` guards `jobs` and `stopping`. `originalFD` and `broken` are written before the
    // thread starts and afterwards touched only by it; `threadless` is set only if it never ran.
    private let lock = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let wake = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs: [@Sendable () -> Void] = []
    private var stopping = false
    private var originalFD: Int32 = -1
    private var broken: NetlinkError?
    private var threadless = false
    private let logger: Logger

    init(logger: Logger) {
        self.logger = logger
        pthread_mutex_init(lock, nil)
        pthread_cond_init(wake, nil)
        // Opened on the creating thread: the new thread inherits exactly this namespace.
        originalFD = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC)
        if originalFD < 0 {
            broken = NetlinkError(errno: errno, "namespace runner: open /proc/thread-self/ns/net")
        }
    }

    func start() {
        var thread = pthread_t()
        let context = Unmanaged.passRetained(self).toOpaque()
        let result = pthread_create(&thread, nil, { context in
            let worker = Unmanaged<Worker>.fromOpaque(context!).takeRetainedValue()
            worker.loop()
            return nil
        }, context)
        if result == 0 {
            pthread_detach(thread)
        } else {
            Unmanaged<Worker>.fromOpaque(context).release()
            broken = NetlinkError(errno: result, "namespace runner: start its thread")
            // No thread: every job fails at once with `broken` instead of waiting forever.
            threadless = true
        }
    }

    func enqueue(_ job: @escaping @Sendable () -> Void) {
        if threadless {
            job()   // perform() reports `broken`
            return
        }
        pthread_mutex_lock(lock)
        jobs.append(job)
        pthread_cond_signal(wake)
        pthread_mutex_unlock(lock)
    }

    func stop() {
        pthread_mutex_lock(lock)
        stopping = true
        pthread_cond_signal(wake)
        pthread_mutex_unlock(lock)
    }

    private func loop() {
        while true {
            pthread_mutex_lock(lock)
            while jobs.isEmpty && !stopping { pthread_cond_wait(wake, lock) }
            if jobs.isEmpty {
                pthread_mutex_unlock(lock)
                break
            }
            let job = jobs.removeFirst()
            pthread_mutex_unlock(lock)
            job()
        }
        if originalFD >= 0 { close(originalFD) }
    }

    /// Called on the worker thread only.
    func perform<T>(in namespace: NetworkNamespace?, _ body: (NetlinkSocket) throws -> T) throws -> T {
        if let broken { throw broken }
        guard let namespace else { return try body(NetlinkSocket(namespace: nil)) }
        let what = "enter network namespace \(namespace)"
        let fd = try namespace.open(for: what)
        defer { close(fd) }
        guard SetNamespace.enterNetwork(fd) == 0 else {
            let code = errno
            var error = NetlinkError(errno: code, what)
            error.code = .namespaceSwitch
            throw error
        }
        // The socket is created and released inside the namespace.
        let result = Result { try body(NetlinkSocket(namespace: namespace)) }
        guard SetNamespace.enterNetwork(originalFD) == 0 else {
            let code = errno
            let error = NetlinkError(.namespaceSwitch,
                                     "return to the original network namespace after working in \(namespace): \(errnoText(code)); the namespace runner refuses further work",
                                     errno: code)
            broken = error
            logger.critical("\(error.message)")
            throw error
        }
        return try result.get()
    }
}
