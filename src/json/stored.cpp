// What stores keep, read back: stored answers (start, end, feedback,
// unmerge) for a replay through the typed API, where every field is required
// and of any length; and a call's data, a flat object of strings, both ways.
// Text that does not read back is Error(Status::store).
#include <fmt/format.h>

#include "json/codec.hpp"
#include "json/members.hpp"
#include "json/run.hpp"
#include "json/utf8.hpp"

namespace callmem::json {
namespace {

// Reads the fields of a stored answer: each is required; a missing or wrong
// one is an issue and reads as empty.
class Reader {
 public:
  explicit Reader(Issues& is) : is_(is) {}

  const Value* get(const Value& obj, const Path& base, const char* name) {
    const Value* v = find(obj, name);
    if (!v) is_.add(base + name, fmt::format("{} is required", label(base + name)));
    return v;
  }
  std::string str(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    return v ? read_text(*v, base + name, 0, kNoLimit, is_).value_or("") : std::string();
  }
  std::int64_t i64(const Value& obj, const Path& base, const char* name) {
    constexpr auto kMin = std::numeric_limits<std::int64_t>::min();
    constexpr auto kMax = std::numeric_limits<std::int64_t>::max();
    const Value* v = get(obj, base, name);
    return v ? read_int(*v, base + name, kMin, kMax, is_).value_or(0) : 0;
  }
  double num(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    if (v && !v->IsNumber()) is_.add(base + name, fmt::format("{} must be a number", label(base + name)));
    return v && v->IsNumber() ? v->GetDouble() : 0;
  }
  Millis time(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    return v ? read_time(*v, base + name, is_, 0).value_or(0) : 0;
  }
  bool flag(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    return v ? read_bool(*v, base + name, is_).value_or(false) : false;
  }
  const Value* array(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    if (v && !v->IsArray()) {
      is_.add(base + name, fmt::format("{} must be an array", label(base + name)));
      return nullptr;
    }
    return v;
  }
  const Value* object(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    if (v && !check_object(*v, base + name, is_)) return nullptr;
    return v;
  }

  // The members `fields` of `obj` into `v`.
  template <class T, std::size_t N>
  void members(const Value& obj, const Path& base, T& v, const Member<T> (&fields)[N]) {
    for (const Member<T>& m : fields) {
      if (m.text) v.*m.text = str(obj, base, m.key);
      if (m.spelled.set) {
        if (const Value* e = get(obj, base, m.key)) {
          if (auto s = read_text(*e, base + m.key, 0, kNoLimit, is_)) m.spelled.set(v, *s, base + m.key, is_);
        }
      }
      if (m.integer) v.*m.integer = m.time ? time(obj, base, m.key) : i64(obj, base, m.key);
      if (m.flag) v.*m.flag = flag(obj, base, m.key);
      if (m.fraction) v.*m.fraction = num(obj, base, m.key);
    }
  }

  // The array `name` of objects, each the members `fields` of a T.
  template <class T, std::size_t N>
  std::vector<T> list(const Value& obj, const Path& base, const char* name, const Member<T> (&fields)[N]) {
    std::vector<T> out;
    const Value* a = array(obj, base, name);
    if (!a) return out;
    for (SizeType i = 0; i < a->Size(); ++i) {
      const Path p = base + name + std::to_string(i);
      if (!check_object((*a)[i], p, is_)) continue;
      T v;
      members((*a)[i], p, v, fields);
      out.push_back(std::move(v));
    }
    return out;
  }

  // The members identities, intents, variables and calls of the object `name`.
  template <class Counts>
  void counts(const Value& obj, const Path& base, const char* name, Counts& c) {
    const Value* v = object(obj, base, name);
    if (!v) return;
    const Path p = base + name;
    c.identities = i64(*v, p, "identities");
    c.intents = i64(*v, p, "intents");
    c.variables = i64(*v, p, "variables");
    c.calls = i64(*v, p, "calls");
  }

  std::map<std::string, Variable> variables(const Value& obj, const Path& base, const char* name) {
    std::map<std::string, Variable> out;
    const Value* o = object(obj, base, name);
    if (!o) return out;
    for (auto it = o->MemberBegin(); it != o->MemberEnd(); ++it) {
      const Path p = base + name + key_label(view(it->name));
      if (!check_object(it->value, p, is_)) continue;
      Variable var;
      if (const Value* value = get(it->value, p, "value")) {
        if (auto text = compact(*value))
          var.value.text = std::move(*text);
        else
          is_.add(p + "value", fmt::format("{} must be valid UTF-8", label(p + "value")));
      }
      members(it->value, p, var, kVariable);
      out[std::string(view(it->name))] = std::move(var);
    }
    return out;
  }

  // An enum, by its spelling.
  template <class E>
  E spelled(const Value& obj, const Path& base, const char* name) {
    const Value* v = get(obj, base, name);
    return v ? read_enum<E>(*v, base + name, is_).value_or(E{}) : E{};
  }

  Identity identity(const Value& id, const Path& ip) {
    Identity r;
    r.confidence = num(id, ip, "confidence");
    r.level = spelled<ConfidenceLevel>(id, ip, "level");
    if (const Value* a = array(id, ip, "sources")) {
      for (SizeType i = 0; i < a->Size(); ++i) {
        if (auto s = read_text((*a)[i], ip + "sources" + std::to_string(i), 0, kNoLimit, is_))
          r.sources.push_back(std::move(*s));
      }
    }
    r.recommendation = spelled<Recommendation>(id, ip, "recommendation");
    // Left out when empty.
    if (find(id, "evidence")) r.evidence = list(id, ip, "evidence", kEvidence);
    if (find(id, "candidates")) r.candidates = list(id, ip, "candidates", kCandidate);
    return r;
  }

 private:
  Issues& is_;
};

}  // namespace

StartResponse read_start_response(std::string_view text) {
  return decode<StartResponse>(text, kStored, [](const Value& doc, Issues& is, StartResponse& r) {
    Reader rd(is);
    rd.members(doc, {}, r, kStartResponse);
    if (const Value* id = rd.object(doc, {}, "identity")) r.identity = rd.identity(*id, {"identity"});
    r.open_intents = rd.list(doc, {}, "open_intents", kIntent);
    r.variables = rd.variables(doc, {}, "variables");
  });
}

EndResponse read_end_response(std::string_view text) {
  return decode<EndResponse>(text, kStored, [](const Value& doc, Issues& is, EndResponse& r) {
    Reader(is).members(doc, {}, r, kEndResponse);
  });
}

FeedbackResponse read_feedback_response(std::string_view text) {
  return decode<FeedbackResponse>(text, kStored, [](const Value& doc, Issues& is, FeedbackResponse& r) {
    Reader rd(is);
    rd.members(doc, {}, r, kFeedbackResponse);
    if (const Value* m = rd.get(doc, {}, "merge"); m && !m->IsNull()) {
      const Path mp{"merge"};
      if (check_object(*m, mp, is)) {
        MergeSummary s;
        rd.members(*m, mp, s, kMergeSummary);
        rd.counts(*m, mp, "moved", s);
        s.conflicts = rd.i64(*m, mp, "conflicts");
        r.merge = std::move(s);
      }
    }
    r.at = rd.time(doc, {}, "at");
  });
}

UnmergeResponse read_unmerge_response(std::string_view text) {
  return decode<UnmergeResponse>(text, kStored, [](const Value& doc, Issues& is, UnmergeResponse& r) {
    Reader rd(is);
    rd.members(doc, {}, r, kUnmergeResponse);
    rd.counts(doc, {}, "restored", r);
    r.unmerged_at = rd.time(doc, {}, "unmerged_at");
  });
}

std::string write_string_map(const std::map<std::string, std::string>& m) {
  return encode([&](Out& o) {
    for (const auto& [k, v] : m) o.key(k).str(v);
  });
}

std::map<std::string, std::string> read_string_map(std::string_view text) {
  using StringMap = std::map<std::string, std::string>;
  return decode<StringMap>(text, kStoredOrEmpty, [](const Value& doc, Issues& is, StringMap& out) {
    for (auto it = doc.MemberBegin(); it != doc.MemberEnd(); ++it) {
      const Path p{key_label(view(it->name))};
      if (!valid_utf8(view(it->name))) {
        is.add(p, "key must be valid UTF-8");
        continue;
      }
      if (!it->value.IsString()) {
        is.add(p, fmt::format("{} must be a string", label(p)));
        continue;
      }
      if (!valid_utf8(view(it->value))) {
        is.add(p, fmt::format("{} must be valid UTF-8", label(p)));
        continue;
      }
      out[std::string(view(it->name))] = std::string(view(it->value));
    }
  });
}

}  // namespace callmem::json
