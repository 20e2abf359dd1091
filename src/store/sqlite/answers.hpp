// How the SQLite store keeps the answers a call replays (its start's, end's
// and feedback's, byte for byte): packed with LZ4 against a dictionary of
// what answers say, about a third of their text (docs/storage.md, "Stored
// answers"). A packed answer is a BLOB; a TEXT value is an answer as it was
// written before packing, read as it is. An empty answer (a call not ended)
// stays ''.
#ifndef CALLMEM_STORE_SQLITE_ANSWERS_HPP
#define CALLMEM_STORE_SQLITE_ANSWERS_HPP

#include <sqlite3.h>

#include <cstddef>
#include <string>
#include <string_view>

namespace callmem::sqlite {

// `text` packed into `out` (replacing what it held): a format byte, the
// text's length as a varint, then the LZ4 block.
void pack_answer(std::string_view text, std::string& out);

// The text of a packed answer. Throws Error(Status::store) when the bytes are
// not one (a damaged file, or a format this library does not know).
std::string unpack_answer(const void* data, std::size_t size);

// Adds the SQL function callmem_answer(x) to `db`: x's text, unpacked when x
// is a packed answer, for the statements that read an answer's JSON.
void add_answer_function(sqlite3* db);

}  // namespace callmem::sqlite

#endif
