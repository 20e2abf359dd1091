#include "callmem/error.hpp"

namespace callmem {

int http_status(Status s) noexcept {
  switch (s) {
    case Status::ok: return 200;
    case Status::invalid: return 400;
    case Status::not_found: return 404;
    case Status::conflict: return 409;
    case Status::insufficient_credits: return 402;
    case Status::busy: return 503;
    case Status::store:
    case Status::error: return 500;
  }
  return 500;
}

const char* http_reason(Status s) noexcept {
  switch (s) {
    case Status::ok: return "OK";
    case Status::invalid: return "Bad Request";
    case Status::not_found: return "Not Found";
    case Status::conflict: return "Conflict";
    case Status::insufficient_credits: return "Payment Required";
    case Status::busy: return "Service Unavailable";
    case Status::store:
    case Status::error: return "Internal Server Error";
  }
  return "Internal Server Error";
}

}  // namespace callmem
