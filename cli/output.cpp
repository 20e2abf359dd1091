#include "output.hpp"

#include <unistd.h>

#include <cstdio>
#include <iostream>
#include <iterator>

#include "commands.hpp"

namespace callmem::cli {

int exit_status(Status s) {
  switch (s) {
    case Status::ok:
      return exit_ok;
    case Status::error:
      return exit_error;
    case Status::invalid:
      return exit_invalid;
    case Status::not_found:
      return exit_not_found;
    case Status::conflict:
      return exit_conflict;
    case Status::insufficient_credits:
      return exit_insufficient_credits;
    case Status::busy:
      return exit_busy;
    case Status::store:
      return exit_store;
  }
  return exit_error;
}

std::string describe(const Error& e) {
  std::string out = e.what();
  for (std::size_t i = 0; i < e.issues().size(); ++i) {
    std::string path;
    for (const auto& p : e.issues()[i].path) path += (path.empty() ? "" : ".") + p;
    out += (i ? "; " : ": ") + (path.empty() ? "" : path + ": ") + e.issues()[i].message;
  }
  return out;
}

std::function<void()> with_exit_status(std::function<void()> body) {
  return [body = std::move(body)] {
    try {
      body();
    } catch (const Error& e) {
      throw Failure{exit_status(e.status()), describe(e)};
    }
  };
}

bool stdout_is_terminal() { return isatty(STDOUT_FILENO) == 1; }
bool stderr_is_terminal() { return isatty(STDERR_FILENO) == 1; }

std::string read_request(const std::string& argument, const char* what) {
  if (!argument.empty() && argument != "-") return argument;
  if (argument.empty() && isatty(STDIN_FILENO) == 1)
    throw Failure{exit_usage,
                  std::string("give the ") + what + " request as an argument, or - and the request on stdin"};
  return std::string(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>());
}

namespace {

// Characters on the screen, counting UTF-8 code points.
std::size_t width(const std::string& s) {
  std::size_t n = 0;
  for (const char c : s)
    if ((static_cast<unsigned char>(c) & 0xC0) != 0x80) ++n;
  return n;
}

std::string pad(const std::string& s, std::size_t to) {
  return s + std::string(to > width(s) ? to - width(s) : 0, ' ');
}

std::string upper(std::string s) {
  for (char& c : s)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return s;
}

// A value in one line: a scalar as text (null as "-"), anything else as JSON.
std::string cell(const JsonValue& v) {
  if (v.kind == JsonValue::Kind::null) return "-";
  if (v.kind != JsonValue::Kind::string) return v.scalar() ? v.text : to_json(v);
  std::string out;
  for (const char c : v.text) {
    if (c == '\n')
      out += "\\n";
    else if (c == '\t')
      out += "\\t";
    else if (c == '\r')
      out += "\\r";
    else
      out += c;
  }
  return out;
}

bool objects_only(const JsonValue& v) {
  if (v.kind == JsonValue::Kind::array) {
    if (v.items.empty()) return false;
    for (const JsonValue& item : v.items)
      if (item.kind != JsonValue::Kind::object) return false;
    return true;
  }
  if (v.kind == JsonValue::Kind::object) {
    if (v.members.empty()) return false;
    for (const auto& member : v.members)
      if (member.second.kind != JsonValue::Kind::object) return false;
    return true;
  }
  return false;
}

bool scalars_only(const JsonValue& v) {
  for (const JsonValue& item : v.items)
    if (!item.scalar()) return false;
  return true;
}

// An array of objects, one row each; an object of objects, one row per member
// named in the first column.
std::string as_table(const JsonValue& v, int indent) {
  const bool named = v.kind == JsonValue::Kind::object;
  std::vector<const JsonValue*> rows;
  std::vector<std::string> names;
  if (named) {
    for (const auto& [key, member] : v.members) {
      names.push_back(key);
      rows.push_back(&member);
    }
  } else {
    for (const JsonValue& item : v.items) rows.push_back(&item);
  }
  std::vector<std::string> columns;
  for (const JsonValue* row : rows)
    for (const auto& member : row->members) {
      bool seen = false;
      for (const std::string& c : columns) seen = seen || c == member.first;
      if (!seen) columns.push_back(member.first);
    }
  std::vector<std::string> header;
  if (named) header.push_back("NAME");
  for (const std::string& c : columns) header.push_back(upper(c));
  std::vector<std::vector<std::string>> cells;
  for (std::size_t r = 0; r < rows.size(); ++r) {
    std::vector<std::string> line;
    if (named) line.push_back(names[r]);
    for (const std::string& c : columns) {
      const JsonValue* at = nullptr;
      for (const auto& member : rows[r]->members)
        if (member.first == c) at = &member.second;
      line.push_back(at ? cell(*at) : "-");
    }
    cells.push_back(std::move(line));
  }
  return table(header, cells, indent);
}

}  // namespace

std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  int indent) {
  std::vector<std::size_t> widths(header.size(), 0);
  for (std::size_t c = 0; c < header.size(); ++c) widths[c] = width(header[c]);
  for (const auto& row : rows)
    for (std::size_t c = 0; c < row.size() && c < widths.size(); ++c)
      widths[c] = std::max(widths[c], width(row[c]));
  std::string out;
  auto line = [&](const std::vector<std::string>& cells) {
    std::string text(static_cast<std::size_t>(indent), ' ');
    for (std::size_t c = 0; c < cells.size(); ++c)
      text += c + 1 < cells.size() ? pad(cells[c], widths[c]) + "  " : cells[c];
    out += text + '\n';
  };
  line(header);
  for (const auto& row : rows) line(row);
  return out;
}

std::string readable(const JsonValue& v, int indent) {
  const std::string margin(static_cast<std::size_t>(indent), ' ');
  if (v.kind == JsonValue::Kind::array) {
    if (v.items.empty()) return margin + "(none)\n";
    if (objects_only(v)) return as_table(v, indent);
    std::string out;
    for (const JsonValue& item : v.items)
      out += item.scalar() ? margin + "- " + cell(item) + '\n' : margin + "-\n" + readable(item, indent + 2);
    return out;
  }
  if (v.kind != JsonValue::Kind::object) return margin + cell(v) + '\n';
  if (v.members.empty()) return margin + "(none)\n";

  // Members on one line: scalars, empty values and lists of scalars.
  auto inline_text = [](const JsonValue& m, std::string& text) {
    if (m.scalar()) {
      text = cell(m);
      return true;
    }
    if (m.items.empty() && m.members.empty()) {
      text = "(none)";
      return true;
    }
    if (m.kind == JsonValue::Kind::array && scalars_only(m)) {
      text.clear();
      for (const JsonValue& item : m.items) text += (text.empty() ? "" : ", ") + cell(item);
      return true;
    }
    return false;
  };
  std::size_t key_width = 0;
  std::string text;
  for (const auto& [key, member] : v.members)
    if (inline_text(member, text)) key_width = std::max(key_width, width(key));
  std::string out;
  for (const auto& [key, member] : v.members) {
    if (inline_text(member, text))
      out += margin + pad(key, key_width) + "  " + text + '\n';
    else if (objects_only(member))
      out += margin + key + ":\n" + as_table(member, indent + 2);
    else
      out += margin + key + ":\n" + readable(member, indent + 2);
  }
  return out;
}

void print_answer(const std::string& answer, bool json, const std::string& headline) {
  if (json) {
    std::fwrite(answer.data(), 1, answer.size(), stdout);
    std::fputc('\n', stdout);
    return;
  }
  const std::optional<JsonValue> v = parse_json(answer);
  std::string out = headline.empty() ? "" : headline + "\n";
  out += v ? readable(*v) : answer + "\n";
  std::fwrite(out.data(), 1, out.size(), stdout);
}

}  // namespace callmem::cli
