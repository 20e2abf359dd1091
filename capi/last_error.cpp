#include "last_error.hpp"

namespace callmem::capi {
namespace {

thread_local std::string message;
// A static text in place of message when copying it failed.
thread_local const char* fixed = "";

}  // namespace

void clear_last_error() noexcept {
  message.clear();  // keeps its capacity: never allocates
  fixed = nullptr;
}

void set_last_error(const std::string& m) noexcept {
  try {
    message = m;
    fixed = nullptr;
  } catch (...) {
    set_out_of_memory();
  }
}

void set_out_of_memory() noexcept {
  message.clear();
  fixed = "out of memory";
}

const char* last_error() noexcept { return fixed ? fixed : message.c_str(); }

}  // namespace callmem::capi
