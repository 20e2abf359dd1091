// A forwarding SQLite VFS: a shim over the default VFS whose every file
// method calls a policy first, then the real file. Registered as the default
// VFS, it sees every connection the process opens after (the library's too:
// libcallmem.so and the program share one libsqlite3). The fault test
// (tests/fault_vfs.hpp) fails chosen calls through it; the peers benchmark
// (bench/peers/) counts the pages written through it.
//
// A policy is a struct with static members:
//   static int read(const File&), write(const File&, int bytes),
//     sync(const File&), truncate(const File&): 0 to go on, or an SQLite
//     error code to answer instead;
//   static constexpr bool kMemoryMap: false refuses memory-mapped reads, so
//     that every page goes through read().
#ifndef CALLMEM_TOOLS_VFS_SHIM_HPP
#define CALLMEM_TOOLS_VFS_SHIM_HPP

#include <sqlite3.h>

#include <cstring>

namespace vfs_shim {

struct File {
  sqlite3_file base;
  int flags;           // the xOpen flags: SQLITE_OPEN_MAIN_DB, SQLITE_OPEN_WAL, ...
  const char* name;    // the file's path (SQLite keeps it alive while the file is open); null: a temp file
  sqlite3_file* real;  // the default VFS's file, just after this struct
};

template <class Policy>
class Shim {
 public:
  // Registers the shim as the default VFS under `name`, once per policy;
  // every connection opened after goes through it.
  static void install(const char* name) {
    static sqlite3_vfs shim = [name] {
      sqlite3_initialize();
      real_vfs() = sqlite3_vfs_find(nullptr);
      sqlite3_vfs v = *real_vfs();
      v.szOsFile = static_cast<int>(sizeof(File)) + real_vfs()->szOsFile;
      v.zName = name;
      v.pNext = nullptr;
      v.xOpen = x_open;
      return v;
    }();
    static const int registered = sqlite3_vfs_register(&shim, 1);
    (void)registered;
  }

 private:
  static sqlite3_vfs*& real_vfs() {
    static sqlite3_vfs* v = nullptr;
    return v;
  }
  static File& shim(sqlite3_file* f) { return *reinterpret_cast<File*>(f); }
  static sqlite3_file* real(sqlite3_file* f) { return shim(f).real; }

  static int x_close(sqlite3_file* f) {
    sqlite3_file* r = real(f);
    return r->pMethods ? r->pMethods->xClose(r) : SQLITE_OK;
  }
  static int x_read(sqlite3_file* f, void* out, int n, sqlite3_int64 at) {
    if (const int rc = Policy::read(shim(f))) return rc;
    return real(f)->pMethods->xRead(real(f), out, n, at);
  }
  static int x_write(sqlite3_file* f, const void* in, int n, sqlite3_int64 at) {
    if (const int rc = Policy::write(shim(f), n)) return rc;
    return real(f)->pMethods->xWrite(real(f), in, n, at);
  }
  static int x_truncate(sqlite3_file* f, sqlite3_int64 size) {
    if (const int rc = Policy::truncate(shim(f))) return rc;
    return real(f)->pMethods->xTruncate(real(f), size);
  }
  static int x_sync(sqlite3_file* f, int flags) {
    if (const int rc = Policy::sync(shim(f))) return rc;
    return real(f)->pMethods->xSync(real(f), flags);
  }
  static int x_file_size(sqlite3_file* f, sqlite3_int64* size) {
    return real(f)->pMethods->xFileSize(real(f), size);
  }
  static int x_lock(sqlite3_file* f, int level) { return real(f)->pMethods->xLock(real(f), level); }
  static int x_unlock(sqlite3_file* f, int level) { return real(f)->pMethods->xUnlock(real(f), level); }
  static int x_check_reserved(sqlite3_file* f, int* out) {
    return real(f)->pMethods->xCheckReservedLock(real(f), out);
  }
  static int x_file_control(sqlite3_file* f, int op, void* arg) {
    return real(f)->pMethods->xFileControl(real(f), op, arg);
  }
  static int x_sector_size(sqlite3_file* f) { return real(f)->pMethods->xSectorSize(real(f)); }
  static int x_device(sqlite3_file* f) { return real(f)->pMethods->xDeviceCharacteristics(real(f)); }
  static int x_shm_map(sqlite3_file* f, int region, int size, int extend, void volatile** out) {
    return real(f)->pMethods->xShmMap(real(f), region, size, extend, out);
  }
  static int x_shm_lock(sqlite3_file* f, int offset, int n, int flags) {
    return real(f)->pMethods->xShmLock(real(f), offset, n, flags);
  }
  static void x_shm_barrier(sqlite3_file* f) { real(f)->pMethods->xShmBarrier(real(f)); }
  static int x_shm_unmap(sqlite3_file* f, int del) { return real(f)->pMethods->xShmUnmap(real(f), del); }
  static int x_fetch(sqlite3_file* f, sqlite3_int64 at, int n, void** out) {
    if (!Policy::kMemoryMap || real(f)->pMethods->iVersion < 3) {
      *out = nullptr;  // no mapping: the page is read through x_read
      return SQLITE_OK;
    }
    return real(f)->pMethods->xFetch(real(f), at, n, out);
  }
  static int x_unfetch(sqlite3_file* f, sqlite3_int64 at, void* p) {
    if (!Policy::kMemoryMap || real(f)->pMethods->iVersion < 3) return SQLITE_OK;
    return real(f)->pMethods->xUnfetch(real(f), at, p);
  }

  static const sqlite3_io_methods* methods() {
    static const sqlite3_io_methods m = {
        3,          x_close,       x_read,           x_write,        x_truncate,    x_sync,   x_file_size,
        x_lock,     x_unlock,      x_check_reserved, x_file_control, x_sector_size, x_device, x_shm_map,
        x_shm_lock, x_shm_barrier, x_shm_unmap,      x_fetch,        x_unfetch};
    return &m;
  }

  static int x_open(sqlite3_vfs*, const char* name, sqlite3_file* f, int flags, int* out_flags) {
    File& s = shim(f);
    s.base.pMethods = nullptr;
    s.flags = flags;
    s.name = name;
    s.real = reinterpret_cast<sqlite3_file*>(&s + 1);
    std::memset(s.real, 0, static_cast<std::size_t>(real_vfs()->szOsFile));
    const int rc = real_vfs()->xOpen(real_vfs(), name, s.real, flags, out_flags);
    if (s.real->pMethods != nullptr) s.base.pMethods = methods();
    return rc;
  }
};

}  // namespace vfs_shim

#endif
