// The errors of same-host shared-memory segments: failed system calls, unreachable or untrusted peers.
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A failure to create a `SharedSegment` or to attach a `SharedMapping`; `description` is one line
/// naming the failing call or check, the system's explanation and a hint.
public enum SharedMemoryError: Error, CustomStringConvertible, Equatable, Sendable {
    /// A system call failed: `call` names it (e.g. "memfd_create", "ftruncate", "mmap",
    /// "fcntl(F_ADD_SEALS)", "fstat"), `errno` is the code it set.
    case system(call: String, errno: Int32)
    /// `/proc/<pid>/fd/<fd>` could not be opened: the writer is on another host, runs as another
    /// user or in another PID namespace, or has exited or closed the segment.
    case unreachable(pid: UInt32, fd: Int32, errno: Int32)
    /// The file lacks one of F_SEAL_SHRINK, F_SEAL_GROW, F_SEAL_SEAL and F_SEAL_FUTURE_WRITE;
    /// `seals` is what F_GET_SEALS reported, or -1 when the file cannot be sealed at all (not a memfd).
    case notSealed(seals: Int32)
    /// The file's size is `actual` bytes, not the descriptor's `expected` byte count.
    case sizeMismatch(expected: UInt64, actual: UInt64)
    /// The segment's header disagrees with the descriptor or is malformed (magic, format, token,
    /// slot geometry); the text says which.
    case badHeader(String)
    /// `SharedSegment.init` was given invalid arguments (no slots, too many, empty or oversized
    /// slots, arithmetic overflow, a name too long); the text says which.
    case badGeometry(String)

    /// A one-line human-readable message.
    public var description: String {
        switch self {
        case .system(let call, let code):
            var text = "shm: \(call) failed: \(Self.reason(code)) (errno \(code))"
            if let hint = Self.systemHint(call: call, code: code) { text += "; hint: \(hint)" }
            return text
        case .unreachable(let pid, let fd, let code):
            return "shm: cannot open /proc/\(pid)/fd/\(fd): \(Self.reason(code)) (errno \(code)); hint: "
                + Self.unreachableHint(code)
        case .notSealed(let seals):
            let found = seals < 0 ? "the file cannot be sealed (not a memfd)" : "seals are 0x\(String(seals, radix: 16))"
            return "shm: not a sealed segment: \(found), need shrink, grow, seal and future-write; hint: "
                + "the descriptor is stale (the fd number was reused) or the writer is not a recur SharedSegment"
        case .sizeMismatch(let expected, let actual):
            return "shm: segment is \(actual) bytes, descriptor says \(expected); hint: "
                + "the descriptor is stale (the fd number was reused for another segment)"
        case .badHeader(let why):
            return "shm: bad segment header: \(why); hint: the descriptor is stale or the peer runs another recur version"
        case .badGeometry(let why):
            return "shm: invalid segment geometry: \(why); hint: use 1...\(SharedSegmentLayout.maxSlots) slots "
                + "of 1 byte to \(SharedSegmentLayout.maxDataBytes >> 30) GiB in total"
        }
    }

    /// `strerror(code)`.
    static func reason(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// The hint for well-known failures of `call` with errno `code`.
    static func systemHint(call: String, code: Int32) -> String? {
        switch code {
        case ENOSYS:
            return "this kernel has no memfd_create (Linux 3.17+ needed); fall back to TCP"
        case EINVAL where call == "fcntl(F_ADD_SEALS)":
            return "this kernel has no F_SEAL_FUTURE_WRITE (Linux 5.1+ needed); fall back to TCP"
        case EMFILE, ENFILE:
            return "too many open files: release unused segments or raise the limit (ulimit -n)"
        case ENOMEM, ENOSPC, EFBIG:
            return "not enough memory or shmem space for the segment: use fewer or smaller slots"
        default:
            return nil
        }
    }

    /// The hint for an `open` of `/proc/<pid>/fd/<fd>` that failed with errno `code`.
    static func unreachableHint(_ code: Int32) -> String {
        switch code {
        case EACCES, EPERM:
            return "the writer runs as another user or ptrace is restricted (kernel.yama.ptrace_scope); "
                + "run both as the same user or fall back to TCP"
        default:
            return "the writer exited or closed the segment, or it runs on another host or in another "
                + "PID namespace; fall back to TCP"
        }
    }
}
