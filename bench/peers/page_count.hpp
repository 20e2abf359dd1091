// Pages written, counted per database file: a policy of the VFS shim
// (tools/vfs_shim) that counts the WAL frames appended to each registered
// file's WAL, the pages a checkpoint writes into the file itself, and the
// syncs of both. Every connection of the process goes through it, the
// library's (libcallmem.so) included.
#ifndef CALLMEM_BENCH_PEERS_PAGE_COUNT_HPP
#define CALLMEM_BENCH_PEERS_PAGE_COUNT_HPP

#include <array>
#include <atomic>
#include <cstring>
#include <string>

#include "vfs_shim.hpp"

namespace page_count {

struct Snapshot {
  long wal_pages = 0, db_pages = 0, syncs = 0;
};

struct Counts {
  std::atomic<long> wal_pages{0};  // frames appended to the WAL
  std::atomic<long> db_pages{0};   // pages written into the database file (checkpoints)
  std::atomic<long> syncs{0};
};

constexpr std::size_t kFiles = 4;

struct Registry {
  std::array<std::string, kFiles> paths;  // set before any connection opens
  std::array<Counts, kFiles> counts;      // by every thread (a checkpointer's too)
};

// What this thread wrote: an operation's own pages and syncs, apart from
// what a background checkpointer writes meanwhile.
inline std::array<Snapshot, kFiles>& mine() {
  thread_local std::array<Snapshot, kFiles> m;
  return m;
}

inline Registry& registry() {
  static Registry r;
  return r;
}

// The slot of a registered file (or its -wal), or kFiles.
inline std::size_t slot_of(const vfs_shim::File& f) {
  if (f.name == nullptr) return kFiles;
  Registry& r = registry();
  for (std::size_t i = 0; i < kFiles; ++i) {
    const std::string& p = r.paths[i];
    if (!p.empty() && std::strncmp(f.name, p.c_str(), p.size()) == 0) return i;
  }
  return kFiles;
}

struct Policy {
  static constexpr bool kMemoryMap = true;
  static int read(const vfs_shim::File&) { return 0; }
  static int truncate(const vfs_shim::File&) { return 0; }
  static int write(const vfs_shim::File& f, int bytes) {
    // A WAL frame is written as its 24-byte header, then the page.
    if (bytes < 512) return 0;
    const std::size_t i = slot_of(f);
    if (i == kFiles) return 0;
    if (f.flags & SQLITE_OPEN_WAL) {
      ++registry().counts[i].wal_pages;
      ++mine()[i].wal_pages;
    }
    if (f.flags & SQLITE_OPEN_MAIN_DB) {
      ++registry().counts[i].db_pages;
      ++mine()[i].db_pages;
    }
    return 0;
  }
  static int sync(const vfs_shim::File& f) {
    const std::size_t i = slot_of(f);
    if (i == kFiles) return 0;
    ++registry().counts[i].syncs;
    ++mine()[i].syncs;
    return 0;
  }
};

// Installs the counting VFS as the default (before the first open) and
// returns the slot that counts the database at `path` (and its -wal).
inline std::size_t watch(const std::string& path) {
  vfs_shim::Shim<Policy>::install("callmem_page_count");
  Registry& r = registry();
  for (std::size_t i = 0; i < kFiles; ++i) {
    if (r.paths[i].empty() || r.paths[i] == path) {
      r.paths[i] = path;
      return i;
    }
  }
  return kFiles - 1;
}

// Every thread's writes to the file at `slot` so far.
inline Snapshot snapshot(std::size_t slot) {
  const Counts& c = registry().counts[slot];
  return {c.wal_pages.load(), c.db_pages.load(), c.syncs.load()};
}

// This thread's.
inline Snapshot snapshot_mine(std::size_t slot) { return mine()[slot]; }

}  // namespace page_count

#endif
