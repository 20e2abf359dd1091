// A test VFS that fails the Nth read, write, sync or truncate: a shim over
// SQLite's default VFS, registered as the default so that the store under
// test (and everything else in the process) goes through it. Disarmed it
// only forwards. The model is SQLite's own I/O error tests (test/malloc_common
// and the "ioerr" tests): a fault that fires once (transient) or that keeps
// firing until cleared (persistent), at every point of a sequence.
#ifndef CALLMEM_TESTS_FAULT_VFS_HPP
#define CALLMEM_TESTS_FAULT_VFS_HPP

#include <sqlite3.h>

#include <atomic>
#include <cstring>

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

struct File {
  sqlite3_file base;
  sqlite3_file* real;  // the default VFS's file, just after this struct
};

inline sqlite3_vfs*& real_vfs() {
  static sqlite3_vfs* v = nullptr;
  return v;
}

inline sqlite3_file* real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

inline int x_close(sqlite3_file* f) {
  sqlite3_file* r = real(f);
  return r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;
}
inline int x_read(sqlite3_file* f, void* out, int n, sqlite3_int64 at) {
  if (hit(kRead)) return SQLITE_IOERR_READ;
  return real(f)->pMethods->xRead(real(f), out, n, at);
}
inline int x_write(sqlite3_file* f, const void* in, int n, sqlite3_int64 at) {
  if (hit(kWrite)) return fault().code;
  return real(f)->pMethods->xWrite(real(f), in, n, at);
}
inline int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
  if (hit(kTruncate)) return SQLITE_IOERR_TRUNCATE;
  return real(f)->pMethods->xTruncate(real(f), size);
}
inline int x_sync(sqlite3_file* f, int flags) {
  if (hit(kSync)) return SQLITE_IOERR_FSYNC;
  return real(f)->pMethods->xSync(real(f), flags);
}
inline int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
  return real(f)->pMethods->xFileSize(real(f), size);
}
inline int x_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
inline int x_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
inline int x_check_reserved(sqlite3_file* f, int* out) {
  return real(f)->pMethods->xCheckReservedLock(real(f), out);
}
inline int x_file_control(sqlite3_file* f, int op, void* arg) {
  return real(f)->pMethods->xFileControl(real(f), op, arg);
}
inline int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
inline int x_device(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
inline int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
  return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
}
inline int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
  return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
}
inline void x_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
inline int x_shm_unmap(sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); }
inline int x_fetch(sqlite3_file* f, sqlite3_int64 at, int n, void** out) {
  *out = nullptr;  // no memory mapping: every page goes through x_read
  (void)f, (void)at, (void)n;
  return SQLITE_OK;
}
inline int x_unfetch(sqlite3_file* f, sqlite3_int64 at, void* p) {
  (void)f, (void)at, (void)p;
  return SQLITE_OK;
}

inline const sqlite3_io_methods* methods() {
  static const sqlite3_io_methods m = {
      3,          x_close,       x_read,           x_write,        x_truncate,    x_sync,   x_file_size,
      x_lock,     x_unlock,      x_check_reserved, x_file_control, x_sector_size, x_device, x_shm_map,
      x_shm_lock, x_shm_barrier, x_shm_unmap,      x_fetch,        x_unfetch};
  return &m;
}

inline int x_open(sqlite3_vfs* vfs, const char* name, sqlite3_file* f, int flags, int* out_flags) {
  (void)vfs;
  File* shim = reinterpret_cast<File*>(f);
  shim->base.pMethods = nullptr;
  shim->real = reinterpret_cast<sqlite3_file*>(shim + 1);
  std::memset(shim->real, 0, static_cast<std::size_t>(real_vfs()->szOsFile));
  const int rc = real_vfs()->xOpen(real_vfs(), name, shim->real, flags, out_flags);
  if (shim->real->pMethods != nullptr) shim->base.pMethods = methods();
  return rc;
}

// Registers the shim as the default VFS, once; every connection opened after
// goes through it.
inline void install() {
  static sqlite3_vfs shim = [] {
    sqlite3_initialize();
    real_vfs() = sqlite3_vfs_find(nullptr);
    sqlite3_vfs v = *real_vfs();
    v.szOsFile = static_cast<int>(sizeof(File)) + real_vfs()->szOsFile;
    v.zName = "callmem_fault";
    v.pNext = nullptr;
    v.xOpen = x_open;
    return v;
  }();
  static const int registered = sqlite3_vfs_register(&shim, 1);
  (void)registered;
}

}  // namespace fault_vfs

#endif
