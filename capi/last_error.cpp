#include "last_error.hpp"

#include <pthread.h>

#include <cstdlib>
#include <cstring>

namespace callmem::capi {
namespace {

// Out of memory must not end the host. The message is a malloc'ed copy held
// by a pthread key, or the static kOutOfMemory when no copy could be made (as
// libgit2 keeps a preallocated out-of-memory error). Not a thread_local: the
// first use of a thread_local std::string on a thread registers its
// destructor, and the TLS of a dlopen'ed library is allocated on first use;
// glibc answers both by aborting when memory has run out.
const char kOutOfMemory[] = "out of memory";

void free_message(void* p) {
  if (p != kOutOfMemory) std::free(p);
}

struct Key {
  pthread_key_t key{};
  bool ok = pthread_key_create(&key, free_message) == 0;
  // On unload (dlclose), no exiting thread may call free_message afterwards.
  ~Key() {
    if (ok) pthread_key_delete(key);
  }
};

Key& messages() {
  static Key k;
  return k;
}

// Replaces this thread's message with `now` (kOutOfMemory, a malloc'ed copy,
// or nullptr for none).
void replace(const void* now) noexcept {
  Key& k = messages();
  if (!k.ok) {
    free_message(const_cast<void*>(now));
    return;
  }
  void* old = pthread_getspecific(k.key);
  if (old == now) return;
  // A key among a thread's first 32 (PTHREAD_KEY_2NDLEVEL_SIZE) never allocates here.
  if (pthread_setspecific(k.key, now) != 0) {
    free_message(const_cast<void*>(now));
    return;
  }
  free_message(old);
}

void set(const char* text, std::size_t size) noexcept {
  char* copy = static_cast<char*>(std::malloc(size + 1));
  if (!copy) {
    replace(kOutOfMemory);
    return;
  }
  std::memcpy(copy, text, size);
  copy[size] = '\0';
  replace(copy);
}

}  // namespace

void clear_last_error() noexcept { replace(nullptr); }

void set_last_error(const std::string& m) noexcept { set(m.data(), m.size()); }

void set_last_error(const char* m) noexcept { set(m, std::strlen(m)); }

void set_out_of_memory() noexcept { replace(kOutOfMemory); }

const char* last_error() noexcept {
  const Key& k = messages();
  if (!k.ok) return "callmem: no thread-specific storage for error messages";
  const void* p = pthread_getspecific(k.key);
  return p ? static_cast<const char*>(p) : "";
}

}  // namespace callmem::capi
