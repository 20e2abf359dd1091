// Packing the answers a call replays (store/sqlite/answers.hpp).
#include "store/sqlite/answers.hpp"

// LZ4's dictionary API is stable from LZ4 1.10; 1.9's header still keeps it
// behind this guard (the library exports it since 1.8).
#define LZ4F_STATIC_LINKING_ONLY
#include <lz4.h>
#include <lz4frame.h>

#include <cstdint>
#include <cstring>
#include <new>

#include "callmem/error.hpp"

namespace callmem::sqlite {
namespace {

// The first byte of a packed answer: LZ4 against kDictionary1. It is no
// byte a JSON text starts with.
constexpr unsigned char kFormat1 = 0x01;

// What answers say, for LZ4 to refer to: the keys, values and phrases of
// start, end and feedback answers (docs/contract.md), the commonest last. Never
// edited: answers packed with it read back only with it. Another dictionary
// is another format byte.
constexpr char kDictionary1[] =
    R"({"error":{"status":"","message":"","issues":[{"path":[""],"message":""}]}})"
    R"({"merge":{"merge_id":"","alias_ref":"","target_ref":"","moved":{"identities":0,"intents":0,"variables":0,"calls":0}}})"
    R"("restored":{"identities":0,"intents":0,"variables":0,"calls":0},"unmerged_at":"2026-)"
    R"("candidates":[{"customer_ref":"","confidence":0.)"
    R"({"signal":"customer_ref","weight":,"detail":"the host named another customer_ref"})"
    R"({"signal":"customer_ref","weight":,"detail":"the host named this customer_ref"})"
    R"({"signal":"external_id","weight":-,"detail":"crm_id differs from the one on file"})"
    R"({"signal":"ani","weight":-,"detail":"calls from another number than those on file"})"
    R"({"signal":"feedback","weight":,"detail":"this tenant's hosts confirmed  and rejected  answers on ani:mobile, against  expected right"})"
    R"(, another person called from it (an answer on it was rejected or corrected), shared by 2 customers)"
    R"(, validation failed, attestation C, attestation A, validation passed)"
    R"({"signal":"hold","weight":0,"detail":"mobile numbers are often shared: confirm identity before using the context"})"
    R"({"signal":"ani","weight":,"detail":"voip, last seen 1 day ago"})"
    R"({"signal":"ani","weight":,"detail":"unknown, last seen 2 days ago"})"
    R"("level":"low","sources":[],"recommendation":"ignore","evidence":[])"
    R"("level":"high","sources":["ani:unknown","customer_ref","recency:7day"],"recommendation":"reuse")"
    R"({"call_id":"","customer_ref":"","call_start":"2026-","call_end":"2026-","duration_seconds":)"
    R"(,"intents_updated":0,"variables_updated":0})"
    R"({"intent":"","status":"resolved","attempt_count":2,"first_seen":"2026-","last_seen":"2026-"})"
    R"({"intent":"","status":"abandoned","attempt_count":1,"first_seen":"2026-","last_seen":"2026-"})"
    R"({"signal":"ani","weight":0.,"detail":"landline, last seen 3 days ago"},)"
    R"({"signal":"hold","weight":0,"detail":"landline numbers are often shared: confirm identity before using the context"}]})"
    R"({"call_id":"","customer_ref":"","call_start":"2026-11-26T05:47:36.726Z","identity":{"confidence":0.5484,)"
    R"("level":"medium","sources":["ani:landline"],"recommendation":"confirm","evidence":[)"
    R"({"call_id":"","customer_ref":"","call_start":"2026-11-08T11:43:34.237Z","identity":{"confidence":0.9994,)"
    R"("level":"very_high","sources":["ani:mobile","external_id","recency:1day","intent_continuity"],)"
    R"("recommendation":"reuse","evidence":[{"signal":"ani","weight":8.7313,"detail":"mobile, last seen 4 hours ago"},)"
    R"({"signal":"external_id","weight":10.9643,"detail":"crm_id matches"},)"
    R"({"signal":"recency","weight":1,"detail":"last call within the hour"},)"
    R"({"signal":"intent_continuity","weight":1,"detail":"has an open intent"}]},)"
    R"("open_intents":[{"intent":"","status":"open","attempt_count":1,"first_seen":"2026-11-08T07:15:18.837Z",)"
    R"("last_seen":"2026-11-08T07:15:18.837Z"}],"variables":{"":{"value":"","source":"","ttl_seconds":2575904,)"
    R"("updated_at":"2026-11-08T07:15:18.837Z"},"":{"value":"","source":"","ttl_seconds":2575904,"updated_at":"2026-)";

constexpr int kDictionary1Size = static_cast<int>(sizeof kDictionary1 - 1);

// The dictionary as LZ4's frame compressor digests it, once per process
// (read-only, shared by every thread).
const LZ4F_CDict* dictionary1() {
  static const LZ4F_CDict* const digested = [] {
    LZ4F_CDict* d = LZ4F_createCDict(kDictionary1, sizeof kDictionary1 - 1);
    if (d == nullptr) throw std::bad_alloc();
    return d;
  }();
  return digested;
}

std::uint32_t le32(const char* p) {
  const auto* b = reinterpret_cast<const unsigned char*>(p);
  return std::uint32_t{b[0]} | std::uint32_t{b[1]} << 8 | std::uint32_t{b[2]} << 16 |
         std::uint32_t{b[3]} << 24;
}

// An LZ4 frame as pack() asks for it (LZ4 Frame Format 1.6.x): the magic
// number, FLG, BD and the header checksum; blocks of a 4-byte size each
// (high bit: stored uncompressed); an end mark of 4 zero bytes.
constexpr std::uint32_t kFrameMagic = 0x184D2204;
constexpr std::size_t kFrameHeader = 7;

// The longest answer packed (LZ4's largest frame block); a longer one is
// kept as text, and a packed one claiming more is damaged.
constexpr std::size_t kLongestPacked = std::size_t{4} << 20;

}  // namespace

// LZ4's frame API with a digested dictionary compresses a small input with
// no setup beyond a reset (LZ4's block API would copy 16 KiB of state for
// each); the frame's one block is what is kept, decoded with LZ4's block API.
AnswerPacker::AnswerPacker() {
  LZ4F_cctx* c = nullptr;
  if (LZ4F_isError(LZ4F_createCompressionContext(&c, LZ4F_VERSION))) throw std::bad_alloc();
  cctx_ = c;
}

AnswerPacker::~AnswerPacker() { LZ4F_freeCompressionContext(cctx_); }

bool AnswerPacker::pack(std::string_view text, std::string& out) {
  if (text.empty() || text.size() > kLongestPacked) return false;
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max4MB;
  prefs.frameInfo.blockMode = LZ4F_blockIndependent;
  frame_.resize(LZ4F_compressFrameBound(text.size(), &prefs));
  const std::size_t n = LZ4F_compressFrame_usingCDict(cctx_, frame_.data(), frame_.size(), text.data(),
                                                      text.size(), dictionary1(), &prefs);
  if (LZ4F_isError(n)) {
    if (LZ4F_getErrorCode(n) == LZ4F_ERROR_allocation_failed) throw std::bad_alloc();
    return false;
  }
  // One compressed block, nothing else, or the text is kept as it is.
  if (n < kFrameHeader + 8 || le32(frame_.data()) != kFrameMagic) return false;
  const std::uint32_t size = le32(frame_.data() + kFrameHeader);
  if ((size & 0x80000000u) != 0 || kFrameHeader + 4 + std::size_t{size} + 4 != n ||
      le32(frame_.data() + n - 4) != 0)
    return false;
  out.clear();
  out.push_back(static_cast<char>(kFormat1));
  for (auto v = static_cast<std::uint32_t>(text.size());; v >>= 7) {
    if (v < 0x80) {
      out.push_back(static_cast<char>(v));
      break;
    }
    out.push_back(static_cast<char>((v & 0x7f) | 0x80));
  }
  if (out.size() + size >= text.size()) return false;
  out.append(frame_.data() + kFrameHeader + 4, size);
  return true;
}

std::string unpack_answer(const void* data, std::size_t size) {
  const auto* b = static_cast<const unsigned char*>(data);
  const auto damaged = [] {
    return Error(Status::store, "stored data does not read back: a call's stored answer is damaged");
  };
  if (size < 2 || b[0] != kFormat1) throw damaged();
  std::size_t p = 1;
  std::uint64_t n = 0;
  for (int shift = 0;; shift += 7) {
    if (p >= size || shift > 28) throw damaged();
    const unsigned char c = b[p++];
    n |= static_cast<std::uint64_t>(c & 0x7f) << shift;
    if (c < 0x80) break;
  }
  // Checked before anything is allocated for it.
  if (n > kLongestPacked || size - p > kLongestPacked) throw damaged();
  std::string text(static_cast<std::size_t>(n), '\0');
  const int got = LZ4_decompress_safe_usingDict(reinterpret_cast<const char*>(b + p), text.data(),
                                                static_cast<int>(size - p), static_cast<int>(n), kDictionary1,
                                                kDictionary1Size);
  if (got < 0 || static_cast<std::uint64_t>(got) != n) throw damaged();
  return text;
}

namespace {

void answer_function(sqlite3_context* ctx, int, sqlite3_value** argv) {
  if (sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
    sqlite3_result_value(ctx, argv[0]);
    return;
  }
  try {
    const void* blob = sqlite3_value_blob(argv[0]);
    const std::string text = unpack_answer(blob, static_cast<std::size_t>(sqlite3_value_bytes(argv[0])));
    sqlite3_result_text(ctx, text.data(), static_cast<int>(text.size()), SQLITE_TRANSIENT);
  } catch (const std::bad_alloc&) {
    sqlite3_result_error_nomem(ctx);
  } catch (const std::exception& e) {
    sqlite3_result_error(ctx, e.what(), -1);
  }
}

}  // namespace

void add_answer_function(sqlite3* db) {
  const int rc = sqlite3_create_function_v2(db, "callmem_answer", 1,
                                            SQLITE_UTF8 | SQLITE_DETERMINISTIC | SQLITE_INNOCUOUS, nullptr,
                                            answer_function, nullptr, nullptr, nullptr);
  if (rc == SQLITE_NOMEM) throw std::bad_alloc();
  if (rc != SQLITE_OK) throw Error(Status::store, "sqlite: cannot add the function callmem_answer");
}

}  // namespace callmem::sqlite
