// The web console of `callmem serve` (docs/console.md): its sign-in sessions,
// its JSON endpoints under /console/api/ and its pages under /console/.
#ifndef CALLMEM_SERVER_CONSOLE_HPP
#define CALLMEM_SERVER_CONSOLE_HPP

#include <memory>
#include <string>

namespace httplib {
struct Request;
struct Response;
}  // namespace httplib

namespace callmem {
class Engine;
class Store;
}  // namespace callmem

namespace callmem::server {

class Metrics;

struct ConsoleOptions {
  std::string static_dir;      // the built pages (index.html, ...); "" or missing: none
  bool secure_cookie = false;  // served over TLS: the session cookie is Secure
};

class Console {
 public:
  // `store` is the console's own (its reads never take a connection of the
  // call path's pool); null: the data endpoints answer 503.
  Console(Engine& engine, Store* store, const Metrics& metrics, ConsoleOptions options);
  ~Console();
  Console(const Console&) = delete;
  Console& operator=(const Console&) = delete;

  // Answers a request whose path is /console or under it; sets the route's
  // pattern (for the access log and the metrics) and, once signed in, the
  // session's tenant.
  void serve(const httplib::Request& req, httplib::Response& res, std::string& route, std::string& tenant);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callmem::server

#endif
