// A test VFS that fails the Nth read, write, sync or truncate: a shim over
// SQLite's default VFS (tools/vfs_shim), registered as the default so that the store under
// test (and everything else in the process) goes through it. Disarmed it
// only forwards. The model is SQLite's own I/O error tests (test/malloc_common
// and the "ioerr" tests): a fault that fires once (transient) or that keeps
// firing until cleared (persistent), at every point of a sequence.
#ifndef CALLMEM_TESTS_FAULT_VFS_HPP
#define CALLMEM_TESTS_FAULT_VFS_HPP

#include <sqlite3.h>

#include <atomic>

#include "vfs_shim.hpp"

namespace fault_vfs {

enum Kind { kRead = 0, kWrite, kSync, kTruncate, kKinds };

// What is armed: the kind, the number of calls of that kind still to pass
// (-1: disarmed), whether it keeps firing, and the error it answers.
struct Fault {
  std::atomic<int> kind{kWrite};
  std::atomic<long> countdown{-1};
  std::atomic<bool> persistent{false};
  std::atomic<int> code{SQLITE_IOERR_WRITE};
  std::atomic<long> fired{0};            // calls failed since armed
  std::atomic<long> calls[kKinds] = {};  // calls of each kind since installed (fault or not)
};

inline Fault& fault() {
  static Fault f;
  return f;
}

inline void arm(Kind kind, long after, int code, bool persistent) {
  Fault& f = fault();
  f.kind = kind;
  f.code = code;
  f.persistent = persistent;
  f.fired = 0;
  f.countdown = after;
}

inline void clear() { fault().countdown = -1; }

// True when this call of `kind` must fail.
inline bool hit(Kind kind) {
  Fault& f = fault();
  ++f.calls[kind];
  if (f.kind != kind) return false;
  long n = f.countdown.load();
  if (n < 0) return false;
  if (n > 0) {
    f.countdown = n - 1;
    return false;
  }
  ++f.fired;
  if (!f.persistent) f.countdown = -1;
  return true;
}

struct Policy {
  static constexpr bool kMemoryMap = false;  // every page read goes through read()
  static int read(const vfs_shim::File&) { return hit(kRead) ? SQLITE_IOERR_READ : 0; }
  static int write(const vfs_shim::File&, int) { return hit(kWrite) ? fault().code.load() : 0; }
  static int sync(const vfs_shim::File&) { return hit(kSync) ? SQLITE_IOERR_FSYNC : 0; }
  static int truncate(const vfs_shim::File&) { return hit(kTruncate) ? SQLITE_IOERR_TRUNCATE : 0; }
};

// Registers the shim as the default VFS, once; every connection opened after
// goes through it.
inline void install() { vfs_shim::Shim<Policy>::install("callmem_fault"); }

}  // namespace fault_vfs

#endif
