// `callmem serve`: the hosted Call Memory REST API over the library's engine
// (docs/server.md). One process serves every tenant whose keys are in its
// store; several processes on one PostgreSQL database are one service.
#ifndef CALLMEM_SERVER_SERVER_HPP
#define CALLMEM_SERVER_SERVER_HPP

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

namespace callmem {
class Engine;
class Store;
}  // namespace callmem

namespace callmem::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;                 // 0: any free port (bound_port() tells which)
  int threads = 8;                 // requests served at once
  std::string tls_cert, tls_key;   // PEM files; both or neither
  int read_timeout_ms = 10000;     // to read a request
  int write_timeout_ms = 10000;    // to write an answer
  int idle_timeout_ms = 5000;      // a keep-alive connection with no request
  std::size_t max_body = 1 << 20;  // bytes; larger is 413
  bool access_log = true;          // one JSON line per request on stderr
  std::string console_dir;         // the web console's built pages (docs/console.md); "": none
};

class Server {
 public:
  // console_store: a store of the web console's own, for its reads (null:
  // its data endpoints answer 503).
  Server(Engine& engine, ServerOptions options, Store* console_store = nullptr);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds the listening socket; throws std::runtime_error naming the address
  // when it cannot. Then bound_port() is the port.
  void bind();
  int bound_port() const;
  // Serves until stop(): then finishes the requests in flight and returns.
  void run();
  // From any thread (not a signal handler).
  void stop();

  // Answers one HTTP/1.1 request given as its raw bytes, as if read from a
  // connection, through everything a served request goes through (parsing,
  // keys, limits, routes, errors): the bytes of the response. Without a
  // socket, for the fuzzer (fuzz/http_fuzz.cpp); not with TLS (throws).
  std::string answer(std::string_view raw_request);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace callmem::server

#endif
