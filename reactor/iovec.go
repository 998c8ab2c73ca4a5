package reactor

// IovecBatch is how many non-empty buffers Writev and Readv pass to the
// kernel per call, from an iovec array on the caller's stack (16 × 16 B =
// 256 B). Use WritevScratch for larger batches.
const IovecBatch = 16

// MaxIovecs caps the iovec count of one writev/readv call (IOV_MAX is 1024 on
// Linux, macOS and FreeBSD).
const MaxIovecs = 1024
