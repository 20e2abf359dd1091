// callmem through its C ABI as a side of the peers benchmark (callmem_side.hpp).
#include "callmem_side.hpp"

#include <fmt/format.h>
#include <sys/stat.h>

#include <cstdio>
#include <cstring>
#include <stdexcept>

#include "page_count.hpp"

namespace peers {

namespace {

double file_bytes(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 ? static_cast<double>(st.st_size) : 0;
}

std::string json_escape(const std::string& p) {
  std::string out;
  for (char c : p) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out;
}

}  // namespace

CallmemSide::CallmemSide(const std::string& path, std::int64_t n, const bench::Population& pop, bool reuse)
    : path_(path), slot_(page_count::watch(path)) {
  if (!reuse || file_bytes(path) == 0) {
    for (const char* suffix : {"", "-wal", "-shm"}) std::remove((path + suffix).c_str());
    bench::populate(path, n, pop);
  }
  const std::string config = fmt::format(R"({{"path":"{}"}})", json_escape(path));
  if (callmem_open(&db_, config.c_str()) != CALLMEM_OK)
    throw std::runtime_error(std::string("callmem_open: ") + callmem_last_error());
}

CallmemSide::~CallmemSide() { callmem_close(db_); }

std::size_t CallmemSide::start(const StartOp& op) {
  char* out = nullptr;
  if (callmem_call_start(db_, bench::kTenant.c_str(), op.json.c_str(), &out) != CALLMEM_OK) {
    const std::string msg = out ? out : "?";
    callmem_free(out);
    throw std::runtime_error("callmem start: " + msg);
  }
  const std::size_t n = std::strlen(out);
  callmem_free(out);
  return n;
}

std::size_t CallmemSide::end(const EndOp& op) {
  char* out = nullptr;
  if (callmem_call_end(db_, bench::kTenant.c_str(), op.json.c_str(), &out) != CALLMEM_OK) {
    const std::string msg = out ? out : "?";
    callmem_free(out);
    throw std::runtime_error("callmem end: " + msg);
  }
  const std::size_t n = std::strlen(out);
  callmem_free(out);
  return n;
}

Footprint CallmemSide::footprint() { return {file_bytes(path_) + file_bytes(path_ + "-wal"), 0}; }

}  // namespace peers
