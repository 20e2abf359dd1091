// RapidJSON, configured once for every file that includes it (the codec and
// the C ABI's JSON reader), so that its templates mean the same everywhere.
//
// RapidJSON must never abort the host: its assertions throw (they are never
// reached, since every value's type is checked before it is read; the C ABI's
// guard turns one into CALLMEM_ERROR), and the ones inside noexcept functions
// are compiled out rather than left to call std::terminate.
#ifndef CALLMEM_JSON_RAPIDJSON_HPP
#define CALLMEM_JSON_RAPIDJSON_HPP

#include <stdexcept>

#define RAPIDJSON_HAS_STDSTRING 1
#define RAPIDJSON_ASSERT_THROWS 1
#define RAPIDJSON_ASSERT(x) \
  (static_cast<bool>(x) ? static_cast<void>(0) : throw std::logic_error("rapidjson assertion: " #x))
#define RAPIDJSON_NOEXCEPT_ASSERT(x) static_cast<void>(0)
#include <rapidjson/document.h>
#include <rapidjson/error/en.h>
#include <rapidjson/memorystream.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cstdlib>
#include <new>

namespace callmem::json {

// RapidJSON's CrtAllocator answers NULL when memory runs out, and RapidJSON
// then writes through the pointer. Every document, reader, buffer and writer
// allocates through this one instead (the types in rj below), which throws
// std::bad_alloc: the C ABI answers CALLMEM_ERROR, "out of memory".
struct ThrowingAllocator {
  static const bool kNeedFree = true;
  void* Malloc(std::size_t size) {
    if (!size) return nullptr;
    if (void* p = std::malloc(size)) return p;
    throw std::bad_alloc();
  }
  void* Realloc(void* p, std::size_t, std::size_t size) {
    if (!size) {
      std::free(p);
      return nullptr;
    }
    if (void* q = std::realloc(p, size)) return q;
    throw std::bad_alloc();
  }
  static void Free(void* p) { std::free(p); }
};

namespace rj {
using Document =
    rapidjson::GenericDocument<rapidjson::UTF8<>, rapidjson::MemoryPoolAllocator<ThrowingAllocator>,
                               ThrowingAllocator>;
using Value = Document::ValueType;
using Reader = rapidjson::GenericReader<rapidjson::UTF8<>, rapidjson::UTF8<>, ThrowingAllocator>;
using StringBuffer = rapidjson::GenericStringBuffer<rapidjson::UTF8<>, ThrowingAllocator>;
using Writer = rapidjson::Writer<StringBuffer, rapidjson::UTF8<>, rapidjson::UTF8<>, ThrowingAllocator>;
}  // namespace rj

}  // namespace callmem::json

#endif
