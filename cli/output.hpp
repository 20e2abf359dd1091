// What the operators' commands share: the request read from an argument or
// stdin, the answer printed as the library's JSON or for a person, and the
// exit status of each library status (docs/cli.md).
#ifndef CALLMEM_CLI_OUTPUT_HPP
#define CALLMEM_CLI_OUTPUT_HPP

#include <functional>
#include <string>
#include <vector>

#include "callmem/error.hpp"
#include "json_view.hpp"

namespace callmem::cli {

// Exit statuses, one per library status; 2 (a command line that cannot be
// read) is CLI11's and `serve`'s and `keys`'.
enum Exit : int {
  exit_ok = 0,
  exit_error = 1,  // CALLMEM_ERROR, and anything unexpected
  exit_usage = 2,
  exit_invalid = 3,
  exit_not_found = 4,
  exit_conflict = 5,
  exit_insufficient_credits = 6,
  exit_busy = 7,
  exit_store = 8,
  exit_check_failed = 9,  // `check` found a problem in the database
  exit_rejected = 10,     // `import` refused lines (the rest was imported unless --strict)
};
int exit_status(Status s);

// An error as the C ABI's callmem_last_error() says it: the message, then
// each field and its problem.
std::string describe(const Error& e);

// The command's body, run so that a callmem::Error leaves with its own exit
// status (keys and serve keep 1 for every failure).
std::function<void()> with_exit_status(std::function<void()> body);

bool stdout_is_terminal();
bool stderr_is_terminal();
// --json, or stdout is not a terminal: for the commands whose answer is the
// library's JSON.
inline bool json_output(bool flag) { return flag || !stdout_is_terminal(); }

// The request of `call start|end`: the argument, or stdin when it is "-" or
// absent (a usage error when absent and stdin is a terminal).
std::string read_request(const std::string& argument, const char* what);

// Prints one answer: the library's bytes with `json`; otherwise `headline`
// (when not empty) and the answer laid out for reading.
void print_answer(const std::string& answer, bool json, const std::string& headline = "");
// A JSON value laid out for reading: scalars as aligned "key  value" lines,
// nested objects indented, arrays of objects and objects of objects as tables.
std::string readable(const JsonValue& v, int indent = 0);
// Columns padded to their widest cell, the header in capitals.
std::string table(const std::vector<std::string>& header, const std::vector<std::vector<std::string>>& rows,
                  int indent = 0);

}  // namespace callmem::cli

#endif
