// The JSON of a bulk import: NDJSON lines split into their start and end
// texts (which the codec's own parse_start and parse_end read, so a line is
// checked exactly as a live request is), the options and the summary.
#include "json/import.hpp"

#include <fmt/format.h>

#include "json/codec.hpp"
#include "json/rapidjson.hpp"

namespace callmem::json {
namespace {

constexpr unsigned kFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseValidateEncodingFlag |
                            rapidjson::kParseNumbersAsStringsFlag;

// Where a line's "start" and "end" objects are in its text; whether the
// end names a call_id. A SAX pass: nothing is built.
using Stream = rapidjson::EncodedInputStream<rapidjson::UTF8<>, rapidjson::MemoryStream>;

class Splitter : public rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Splitter> {
 public:
  Splitter(std::string_view text, const Stream& in) : text_(text), in_(in) {}

  struct Part {
    bool given = false;
    bool object = false;
    std::size_t begin = 0, end = 0;
  };
  Part start, end;
  bool end_has_call_id = false;
  std::string call_id;   // the first part's call_id when it is a string, to name a refused line
  std::string repeated;  // a top-level key given twice
  bool top_is_object = false;

  bool Default() {
    if (depth_ == 1) value_at_top();
    return true;
  }
  bool String(const char* s, rapidjson::SizeType n, bool) {
    if (depth_ == 2 && call_id_next_ && call_id.empty()) call_id.assign(s, n);
    call_id_next_ = false;
    return Default();
  }
  bool StartObject() {
    if (depth_ == 0) top_is_object = true;
    if (depth_ == 1 && part_) {
      part_->object = true;
      part_->begin = value_begin_;
    }
    if (depth_ == 1) value_at_top();
    ++depth_;
    return true;
  }
  bool EndObject(rapidjson::SizeType) {
    --depth_;
    // RapidJSON calls this before it takes the '}'.
    if (depth_ == 1 && inside_) inside_->end = in_.Tell() + 1, inside_ = nullptr;
    return true;
  }
  bool StartArray() {
    if (depth_ == 1) value_at_top();
    ++depth_;
    return true;
  }
  bool EndArray(rapidjson::SizeType) {
    --depth_;
    return true;
  }
  bool Key(const char* s, rapidjson::SizeType n, bool) {
    const std::string_view key(s, n);
    if (depth_ == 1) {
      part_ = key == "start" ? &start : key == "end" ? &end : nullptr;
      if (part_) {
        if (part_->given) repeated = std::string(key);
        part_->given = true;
        // The value begins after the ':' and any blanks.
        std::size_t p = in_.Tell();
        while (p < text_.size() && (text_[p] == ' ' || text_[p] == '\t' || text_[p] == ':')) ++p;
        value_begin_ = p;
      }
    } else if (depth_ == 2 && key == "call_id") {
      if (inside_ == &end) end_has_call_id = true;
      call_id_next_ = inside_ != nullptr;
      return true;
    }
    call_id_next_ = false;
    return true;
  }

 private:
  void value_at_top() {
    if (part_ && part_->object && !inside_) inside_ = part_;
    part_ = nullptr;
  }

  std::string_view text_;
  const Stream& in_;
  int depth_ = 0;
  Part* part_ = nullptr;    // the top-level key just read, when start or end
  Part* inside_ = nullptr;  // the part whose object is being read
  std::size_t value_begin_ = 0;
  bool call_id_next_ = false;  // the key just read is a part's call_id
};

Error under(const char* part, const Error& e) {
  std::vector<FieldIssue> issues = e.issues();
  for (FieldIssue& i : issues) i.path.insert(i.path.begin(), part);
  return Error(e.status(), e.what(), std::move(issues));
}

std::string quoted(const std::string& s) {
  rj::StringBuffer b;
  rj::Writer w(b);
  w.String(s.data(), static_cast<rapidjson::SizeType>(s.size()));
  return std::string(b.GetString(), b.GetSize());
}

calls::ImportLine read_line(std::size_t number, std::string_view text) {
  calls::ImportLine l;
  l.line = number;
  try {
    if (text.size() > kMaxImportLineBytes)
      throw invalid_field({}, fmt::format("a line is larger than {} bytes", kMaxImportLineBytes));
    if (const auto nul = text.find('\0'); nul != std::string_view::npos)
      throw invalid_field({}, fmt::format("malformed JSON at offset {}: NUL byte", nul));
    rapidjson::MemoryStream bytes(text.data(), text.size());
    Stream in(bytes);
    Splitter split(text, in);
    rj::Reader reader;
    const rapidjson::ParseResult r = reader.Parse<kFlags>(in, split);
    l.call_id = split.call_id;
    if (r.IsError())
      throw invalid_field({}, fmt::format("malformed JSON at offset {}: {}", r.Offset(),
                                          rapidjson::GetParseError_En(r.Code())));
    if (!split.top_is_object) throw invalid_field({}, "a line must be a JSON object");
    if (!split.repeated.empty())
      throw invalid_field({split.repeated}, fmt::format("{} is given more than once", split.repeated));
    if (split.start.given && !split.start.object) throw invalid_field({"start"}, "start must be an object");
    if (split.end.given && !split.end.object) throw invalid_field({"end"}, "end must be an object");
    if (!split.start.given && !split.end.given)
      throw invalid_field({"start"}, "a line needs a start, an end or both");
    if (split.start.given) {
      try {
        l.call.start = parse_start(text.substr(split.start.begin, split.start.end - split.start.begin));
      } catch (const Error& e) {
        throw under("start", e);
      }
      l.call_id = l.call.start->call_id;
    }
    if (split.end.given) {
      std::string_view end = text.substr(split.end.begin, split.end.end - split.end.begin);
      std::string with_id;
      if (!split.end_has_call_id && l.call.start) {
        // {"call_id": <the start's>, ...the end's members...}
        std::string_view rest = end.substr(1);
        const bool empty = rest.find_first_not_of(" \t\r\n") == rest.size() - 1;
        with_id = "{\"call_id\":" + quoted(l.call.start->call_id) + (empty ? "" : ",") + std::string(rest);
        end = with_id;
      }
      try {
        l.call.end = parse_end(end);
      } catch (const Error& e) {
        throw under("end", e);
      }
      if (l.call_id.empty()) l.call_id = l.call.end->call_id;
    }
  } catch (const Error& e) {
    l.call = {};
    l.refused = e;
  }
  return l;
}

}  // namespace

std::vector<calls::ImportLine> parse_import(std::string_view ndjson) {
  std::vector<calls::ImportLine> lines;
  std::size_t number = 0;
  while (!ndjson.empty()) {
    ++number;
    const std::size_t nl = ndjson.find('\n');
    std::string_view line = ndjson.substr(0, nl);
    ndjson = nl == std::string_view::npos ? std::string_view() : ndjson.substr(nl + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.find_first_not_of(" \t") == std::string_view::npos) continue;
    lines.push_back(read_line(number, line));
  }
  return lines;
}

ImportOptions parse_import_options(std::string_view text) {
  ImportOptions o;
  if (text.find_first_not_of(" \t\r\n") == std::string_view::npos) return o;
  rj::Document doc;
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (doc.HasParseError())
    throw invalid_field({}, fmt::format("malformed JSON at offset {}: {}", doc.GetErrorOffset(),
                                        rapidjson::GetParseError_En(doc.GetParseError())));
  if (!doc.IsObject()) throw invalid_field({}, "options must be a JSON object");
  for (auto m = doc.MemberBegin(); m != doc.MemberEnd(); ++m) {
    const std::string_view key(m->name.GetString(), m->name.GetStringLength());
    if (key == "strict") {
      if (!m->value.IsBool()) throw invalid_field({"strict"}, "strict must be a boolean");
      o.strict = m->value.GetBool();
    } else if (key == "batch") {
      if (!m->value.IsInt64() || m->value.GetInt64() < 1 || m->value.GetInt64() > 1000000)
        throw invalid_field({"batch"}, "batch must be an integer from 1 to 1000000");
      o.batch = static_cast<std::size_t>(m->value.GetInt64());
    } else {
      throw invalid_field({std::string(key)}, fmt::format("{} is not an import option (strict, batch)", key));
    }
  }
  return o;
}

std::string write(const ImportSummary& s) {
  rj::StringBuffer b;
  rj::Writer w(b);
  w.StartObject();
  w.Key("imported");
  w.Int64(s.imported);
  w.Key("skipped");
  w.Int64(s.skipped);
  w.Key("rejected");
  w.StartArray();
  for (const ImportRejection& r : s.rejected) {
    w.StartObject();
    w.Key("line");
    w.Uint64(r.line);
    w.Key("call_id");
    w.String(r.call_id.data(), static_cast<rapidjson::SizeType>(r.call_id.size()));
    w.Key("error");
    const std::string doc = write_error(r.error);
    w.RawValue(doc.data(), doc.size(), rapidjson::kObjectType);
    w.EndObject();
  }
  w.EndArray();
  if (s.stopped_at) {
    w.Key("stopped_at");
    w.Uint64(s.stopped_at);
    w.Key("not_applied");
    w.Int64(s.not_applied);
  }
  w.EndObject();
  return std::string(b.GetString(), b.GetSize());
}

}  // namespace callmem::json
