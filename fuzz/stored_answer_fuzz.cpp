// libFuzzer target: the SQLite store's stored answers
// (store/sqlite/answers.hpp). Bytes read back as a packed answer give its
// text or a store error, never a crash; any text packed reads back the same.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "callmem/error.hpp"
#include "store/sqlite/answers.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  try {
    callmem::sqlite::unpack_answer(data, size);
  } catch (const callmem::Error& e) {
    if (e.status() != callmem::Status::store) std::abort();
  }
  static callmem::sqlite::AnswerPacker packer;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::string packed;
  if (packer.pack(text, packed) && callmem::sqlite::unpack_answer(packed.data(), packed.size()) != text)
    std::abort();
  return 0;
}
