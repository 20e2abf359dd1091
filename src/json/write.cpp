// A parsed value written back as compact text (a variable's value, kept as
// the caller sent it but compact).
#include "json/write.hpp"

#include <vector>

#include "json/utf8.hpp"

namespace callmem::json {

bool write_value(rj::Writer& w, const rj::Value& root) {
  struct Frame {
    const rj::Value* v;
    rapidjson::SizeType next;
  };
  std::vector<Frame> stack;
  bool ok = true;
  auto string = [&](const rj::Value& s) {
    if (!valid_utf8({s.GetString(), s.GetStringLength()})) ok = false;
    w.String(s.GetString(), s.GetStringLength());
  };
  auto open = [&](const rj::Value& v) {
    switch (v.GetType()) {
      case rapidjson::kNullType:
        w.Null();
        break;
      case rapidjson::kFalseType:
        w.Bool(false);
        break;
      case rapidjson::kTrueType:
        w.Bool(true);
        break;
      case rapidjson::kStringType:
        string(v);
        break;
      case rapidjson::kNumberType:
        if (v.IsInt64())
          w.Int64(v.GetInt64());
        else if (v.IsUint64())
          w.Uint64(v.GetUint64());
        else
          w.Double(v.GetDouble());
        break;
      case rapidjson::kArrayType:
        w.StartArray();
        stack.push_back({&v, 0});
        break;
      case rapidjson::kObjectType:
        w.StartObject();
        stack.push_back({&v, 0});
        break;
    }
  };
  open(root);
  while (!stack.empty()) {
    const rj::Value& v = *stack.back().v;
    const rapidjson::SizeType i = stack.back().next++;
    if (v.IsArray()) {
      if (i < v.Size()) {
        open(v[i]);
      } else {
        w.EndArray();
        stack.pop_back();
      }
    } else {
      if (i < v.MemberCount()) {
        const auto m = v.MemberBegin() + i;
        string(m->name);
        open(m->value);
      } else {
        w.EndObject();
        stack.pop_back();
      }
    }
  }
  return ok;
}

std::optional<std::string> compact(const rj::Value& v) {
  Out out;
  if (!write_value(out.writer(), v)) return std::nullopt;
  return out.take();
}

}  // namespace callmem::json
