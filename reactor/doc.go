// Package reactor is the OS layer of Shoal's event loops: readiness polling,
// cross-goroutine wake-ups and socket set-up and I/O on raw file descriptors.
//
// It owns:
//
//   - Poller: level-triggered readiness over epoll (Linux) or kqueue (macOS,
//     FreeBSD). Each registered fd carries a caller-chosen uint64 token that
//     Wait hands back in a Ready; on Linux the token rides in the kernel's
//     epoll_data, so no lookup happens per event.
//   - Waker: an eventfd (Linux) or pipe (BSD) that another goroutine uses to
//     wake a loop blocked in Wait. Registered with AddWaker it is
//     edge-triggered, so the loop never has to read it.
//   - Sockets: Listen (tcp, tcp4, tcp6, unix; nonblocking, close-on-exec,
//     SO_REUSEADDR, optional SO_REUSEPORT), Accept, socket options, and the
//     hot I/O calls Read, Write, Writev and Readv.
//
// On Linux (and FreeBSD) Read, Write, Writev, Readv, Waker.Wake and a
// zero-timeout Poller.Wait use raw system calls, skipping the runtime's
// entersyscall/exitsyscall bookkeeping: they are only correct on nonblocking
// fds, which is all an event loop uses. Their errors are bare unix.Errno
// values so that err == unix.EAGAIN costs nothing; set-up calls wrap errors
// in *os.SyscallError. On macOS the same API goes through x/sys/unix.
//
// Knows nothing of: actors, messages, codecs, shards or buffers. Callers
// decide what a token means and own every byte slice they pass in.
package reactor
