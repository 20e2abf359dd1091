// A call's identifiers: which may be linked, and their stored form.
#include "calls/call_ids.hpp"

#include <algorithm>
#include <map>

#include "identity/phone.hpp"
#include "identity/trust.hpp"
#include "json/codec.hpp"

namespace callmem::calls {

std::vector<Identifier> linkable(const CallIdentifiers& ids, const Telco& telco) {
  std::vector<Identifier> out;
  for (const Identifier& id : ids.ids)
    if (id.type != "ani" || !spoofable(telco)) out.push_back(id);
  return out;
}

std::string encode_ids(const CallIds& c) {
  std::map<std::string, std::string> m;
  for (const Identifier& id : c.ids) {
    if (id.type == "ani")
      m["ani"] = id.value;
    else
      m["x:" + id.key] = id.value;
  }
  if (!c.line_type.empty() && m.count("ani")) m["ani_line_type"] = c.line_type;
  return json::write_string_map(m);
}

CallIds decode_ids(const std::string& text) {
  CallIds c;
  for (const auto& [k, v] : json::read_string_map(text)) {
    if (k == "ani")
      c.ids.insert(c.ids.begin(), Identifier{"ani", "", v});
    else if (k == "ani_line_type")
      c.line_type = v;
    else if (k.rfind("x:", 0) == 0)
      c.ids.push_back(Identifier{"external_id", k.substr(2), v});
  }
  return c;
}

std::string link_line(const std::string& given, bool on_file, const std::string& number) {
  return !given.empty() ? given : on_file ? std::string() : number_type(number);
}

void add_ids(CallIds& c, const std::vector<Identifier>& more) {
  for (const Identifier& id : more)
    if (std::find(c.ids.begin(), c.ids.end(), id) == c.ids.end()) c.ids.push_back(id);
}

}  // namespace callmem::calls
