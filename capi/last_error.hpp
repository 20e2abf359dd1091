// The thread's last error message (callmem_last_error()), shared by the C ABI's files.
// Setting it never throws: when the message cannot be copied, it reads "out of memory".
#ifndef CALLMEM_CAPI_LAST_ERROR_HPP
#define CALLMEM_CAPI_LAST_ERROR_HPP

#include <string>

namespace callmem::capi {

void clear_last_error() noexcept;
void set_last_error(const std::string& message) noexcept;
void set_last_error(const char* message) noexcept;  // copies it; no std::string to make
void set_out_of_memory() noexcept;                  // the static "out of memory"; never allocates
const char* last_error() noexcept;

}  // namespace callmem::capi

#endif
