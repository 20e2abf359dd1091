// The one exception type of the C++ API. Its code is the C ABI's status.
#ifndef CALLMEM_ERROR_HPP
#define CALLMEM_ERROR_HPP

#include <stdexcept>
#include <string>
#include <vector>

namespace callmem {

// Values equal the C ABI's CALLMEM_* statuses; never renumbered.
enum class Status : int {
  ok = 0,
  error = -1,              // anything else (a bug, out of memory)
  invalid = -2,            // 400
  not_found = -3,          // 404
  conflict = -4,           // 409
  insufficient_credits = -5,  // 402
  busy = -6,               // 503
  store = -7,              // 500
};

// One problem with one field of a request. `path` names the field:
// {"identity_hints", "external_ids", "crm_id"}; an index into an array is its
// decimal string.
struct FieldIssue {
  std::vector<std::string> path;
  std::string message;
};

class Error : public std::runtime_error {
 public:
  Error(Status status, std::string message, std::vector<FieldIssue> issues = {})
      : std::runtime_error(message), status_(status), issues_(std::move(issues)) {}

  Status status() const noexcept { return status_; }
  const std::vector<FieldIssue>& issues() const noexcept { return issues_; }

 private:
  Status status_;
  std::vector<FieldIssue> issues_;
};

// A 400 about one field.
inline Error invalid_field(std::vector<std::string> path, std::string message) {
  return Error(Status::invalid, "Validation failed", {FieldIssue{std::move(path), std::move(message)}});
}

// The HTTP status twin and reason phrase of a status ("Bad Request" for invalid).
int http_status(Status s) noexcept;
const char* http_reason(Status s) noexcept;

}  // namespace callmem

#endif
