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
  error = -1,                 // anything else (a bug, out of memory)
  invalid = -2,               // 400
  not_found = -3,             // 404
  conflict = -4,              // 409
  insufficient_credits = -5,  // 402
  busy = -6,                  // 503
  store = -7,                 // 500
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
inline int http_status(Status s) noexcept {
  switch (s) {
    case Status::ok:
      return 200;
    case Status::invalid:
      return 400;
    case Status::not_found:
      return 404;
    case Status::conflict:
      return 409;
    case Status::insufficient_credits:
      return 402;
    case Status::busy:
      return 503;
    case Status::store:
    case Status::error:
      return 500;
  }
  return 500;
}

inline const char* http_reason(Status s) noexcept {
  switch (s) {
    case Status::ok:
      return "OK";
    case Status::invalid:
      return "Bad Request";
    case Status::not_found:
      return "Not Found";
    case Status::conflict:
      return "Conflict";
    case Status::insufficient_credits:
      return "Payment Required";
    case Status::busy:
      return "Service Unavailable";
    case Status::store:
    case Status::error:
      return "Internal Server Error";
  }
  return "Internal Server Error";
}

}  // namespace callmem

#endif
