// How the SQLite store keeps the answers a call replays (its start's, end's
// and feedback's, byte for byte): packed with LZ4 against a dictionary of
// what answers say, about a third of their text (docs/storage.md, "Stored
// answers"). A packed answer is a BLOB; a TEXT value is an answer kept as
// its text (written before packing, or one packing would not shrink), read
// as it is. An empty answer (a call not ended) stays ''.
#ifndef CALLMEM_STORE_SQLITE_ANSWERS_HPP
#define CALLMEM_STORE_SQLITE_ANSWERS_HPP

#include <sqlite3.h>

#include <cstddef>
#include <string>
#include <string_view>

struct LZ4F_cctx_s;  // LZ4's frame compression context (lz4frame.h)

namespace callmem::sqlite {

// Packs answers for one connection (used by one thread at a time).
class AnswerPacker {
 public:
  AnswerPacker();
  ~AnswerPacker();
  AnswerPacker(const AnswerPacker&) = delete;
  AnswerPacker& operator=(const AnswerPacker&) = delete;

  // `text` packed into `out` (replacing what it held): a format byte, the
  // text's length as a varint, then the LZ4 block. False, `out` unspecified,
  // when the text is to be kept as it is: empty, or not made smaller.
  bool pack(std::string_view text, std::string& out);

 private:
  ::LZ4F_cctx_s* cctx_;
  std::string frame_;  // LZ4's frame, whose one block is kept
};

// The text of a packed answer. Throws Error(Status::store) when the bytes are
// not one (a damaged file, or a format this library does not know).
std::string unpack_answer(const void* data, std::size_t size);

// Adds the SQL function callmem_answer(x) to `db`: x's text, unpacked when x
// is a packed answer, for the statements that read an answer's JSON.
void add_answer_function(sqlite3* db);

}  // namespace callmem::sqlite

#endif
