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

#endif
