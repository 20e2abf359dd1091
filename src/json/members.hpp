// The flat members of the answers, listed once as tables: responses.cpp
// writes the answers from them, and stored.cpp reads the answers a store
// keeps and gives back (start, end, feedback, unmerge, and the intents,
// variables, evidence, candidates and merges inside them) from the same ones.
#ifndef CALLMEM_JSON_MEMBERS_HPP
#define CALLMEM_JSON_MEMBERS_HPP

#include <cstdint>
#include <string>
#include <vector>

#include "callmem/types.hpp"
#include "json/read.hpp"
#include "json/write.hpp"

namespace callmem::json {

// An enum member of a T, through its spelling: get answers it; set reads
// it, or names the member in an issue.
template <class T>
struct EnumAccess {
  std::string_view (*get)(const T&) = nullptr;
  void (*set)(T&, std::string_view, const Path&, Issues&) = nullptr;
};

// The EnumAccess of the member M (&Intent::status).
template <auto M>
struct Spelled;
template <class T, class E, E T::*M>
struct Spelled<M> {
  static std::string_view get(const T& v) { return to_string(v.*M); }
  static void set(T& v, std::string_view s, const Path& path, Issues& is) {
    if (const std::optional<E> e = from_string<E>(s))
      v.*M = *e;
    else
      add_not_one_of(path, std::data(spellings<E>()), std::size(spellings<E>()), is);
  }
  static constexpr EnumAccess<T> access{&get, &set};
};

// One member of a T: its key, and where it is in a T (its kind is the type
// of that place; an integer is a time when `time`).
template <class T>
struct Member {
  constexpr Member(const char* k, std::string T::*m) : key(k), text(m) {}
  constexpr Member(const char* k, EnumAccess<T> e) : key(k), spelled(e) {}
  constexpr Member(const char* k, std::int64_t T::*m, bool is_time = false)
      : key(k), integer(m), time(is_time) {}
  constexpr Member(const char* k, bool T::*m) : key(k), flag(m) {}
  constexpr Member(const char* k, double T::*m) : key(k), fraction(m) {}

  const char* key;
  std::string T::*text = nullptr;
  std::int64_t T::*integer = nullptr;
  bool time = false;  // the integer is a Millis, written as an ISO-8601 timestamp
  bool T::*flag = nullptr;
  double T::*fraction = nullptr;  // a confidence or a weight: written with 4 decimals
  EnumAccess<T> spelled;
};
inline constexpr bool kTime = true;

// In the order the answers have them. Where a type has other members too
// (nested, or after a nested one), the comment above its list says where
// they go. Laid out as tables, a few members a line.
// clang-format off
// Before "identity", "open_intents" and "variables".
inline constexpr Member<StartResponse> kStartResponse[] = {
    {"call_id", &StartResponse::call_id}, {"customer_ref", &StartResponse::customer_ref},
    {"call_start", &StartResponse::call_start, kTime}};
inline constexpr Member<EndResponse> kEndResponse[] = {
    {"call_id", &EndResponse::call_id}, {"customer_ref", &EndResponse::customer_ref},
    {"call_start", &EndResponse::call_start, kTime}, {"call_end", &EndResponse::call_end, kTime},
    {"duration_seconds", &EndResponse::duration_seconds}, {"intents_updated", &EndResponse::intents_updated},
    {"variables_updated", &EndResponse::variables_updated}};
inline constexpr Member<Intent> kIntent[] = {
    {"intent", &Intent::intent}, {"status", Spelled<&Intent::status>::access}, {"attempt_count", &Intent::attempt_count},
    {"first_seen", &Intent::first_seen, kTime}, {"last_seen", &Intent::last_seen, kTime}};
// After "value", which is any JSON.
inline constexpr Member<Variable> kVariable[] = {
    {"source", &Variable::source}, {"ttl_seconds", &Variable::ttl_seconds},
    {"updated_at", &Variable::updated_at, kTime}};
inline constexpr Member<Evidence> kEvidence[] = {
    {"signal", &Evidence::signal}, {"weight", &Evidence::weight}, {"detail", &Evidence::detail}};
inline constexpr Member<Candidate> kCandidate[] = {
    {"customer_ref", &Candidate::customer_ref}, {"confidence", &Candidate::confidence}};
// Before "merge" and "at".
inline constexpr Member<FeedbackResponse> kFeedbackResponse[] = {
    {"call_id", &FeedbackResponse::call_id}, {"outcome", Spelled<&FeedbackResponse::outcome>::access},
    {"previous_customer_ref", &FeedbackResponse::previous_customer_ref},
    {"customer_ref", &FeedbackResponse::customer_ref}, {"customer_created", &FeedbackResponse::customer_created},
    {"links_added", &FeedbackResponse::links_added}, {"links_removed", &FeedbackResponse::links_removed},
    {"intents_moved", &FeedbackResponse::intents_moved}, {"variables_moved", &FeedbackResponse::variables_moved}};
// Before "moved" and "conflicts".
inline constexpr Member<MergeSummary> kMergeSummary[] = {
    {"merge_id", &MergeSummary::merge_id}, {"alias", &MergeSummary::alias}, {"alias_of", &MergeSummary::alias_of}};
// Before "restored" and "unmerged_at".
inline constexpr Member<UnmergeResponse> kUnmergeResponse[] = {
    {"merge_id", &UnmergeResponse::merge_id}, {"customer_ref", &UnmergeResponse::customer_ref},
    {"restored_customer_ref", &UnmergeResponse::restored_customer_ref}};
inline constexpr Member<UsageRow> kUsageRow[] = {
    {"day", &UsageRow::day}, {"operation", Spelled<&UsageRow::operation>::access}, {"count", &UsageRow::count},
    {"credits", &UsageRow::credits}};
// clang-format on

// Writes the members `fields` of `v`.
template <class T, std::size_t N>
void write_members(Out& o, const T& v, const Member<T> (&fields)[N]) {
  for (const Member<T>& m : fields) {
    o.key(m.key);
    if (m.text) o.str(v.*m.text);
    if (m.spelled.get) o.str(m.spelled.get(v));
    if (m.integer) m.time ? o.time(v.*m.integer) : o.i64(v.*m.integer);
    if (m.flag) o.boolean(v.*m.flag);
    if (m.fraction) o.num4(v.*m.fraction);
  }
}

// An array of objects, each the members `fields` of an element.
template <class T, std::size_t N>
void write_list(Out& o, const std::vector<T>& list, const Member<T> (&fields)[N]) {
  o.begin_array();
  for (const T& v : list) {
    o.begin_object();
    write_members(o, v, fields);
    o.end_object();
  }
  o.end_array();
}

}  // namespace callmem::json

#endif
