#include "server.hpp"

#include <fmt/format.h>
#include <httplib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <optional>
#include <random>
#include <regex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "api_keys.hpp"
#include "callmem/detail/wire.hpp"
#include "console.hpp"
#include "engine.hpp"
#include "json/codec.hpp"
#include "metrics.hpp"
#include "openapi.hpp"
#include "rate_limiter.hpp"
#include "reason.hpp"

namespace callmem::server {
namespace {

using Clock = std::chrono::steady_clock;

// What the access log and the metrics say of the request this thread serves.
// httplib serves a request from its first byte to its log line on one thread.
struct Context {
  Clock::time_point start{};
  bool started = false;
  std::string request_id;
  std::string tenant;
  std::string route;  // the route's pattern, "-" when none matched
};
thread_local Context context;

// A client's X-Request-Id when it is 1-128 characters of A-Za-z0-9._:-, else a new one.
std::string request_id(const httplib::Request& req) {
  const std::string given = req.get_header_value("X-Request-Id");
  if (!given.empty() && given.size() <= 128) {
    bool ok = true;
    for (const char c : given)
      ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                  c == '_' || c == ':' || c == '-');
    if (ok) return given;
  }
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return fmt::format("{:016x}", rng());
}

std::string error_body(int status, const std::string& message) {
  detail::Writer w;
  w.begin_object();
  w.key("error").str(reason(status));
  w.key("message").str(message);
  w.end_object();
  return w.take();
}

void reply(httplib::Response& res, int status, const std::string& body) {
  res.status = status;
  res.set_content(body, "application/json");
}

void reply_error(httplib::Response& res, int status, const std::string& message) {
  reply(res, status, error_body(status, message));
}

// A route of the API: its method, its path pattern (also its name in logs
// and metrics), and whether it needs a tenant's key.
struct Route {
  const char* method;
  const char* pattern;
  bool authenticated;
};

const Route kRoutes[] = {
    {"POST", "/v1/calls/start", true},
    {"POST", "/v1/calls/end", true},
    {"GET", "/v1/customers/{ref}", true},
    {"GET", "/v1/customers/{ref}/export", true},
    {"DELETE", "/v1/customers/{ref}", true},
    {"POST", "/v1/customers/lookup", true},
    {"POST", "/v1/customers/forget", true},
    {"POST", "/v1/identity/feedback", true},
    {"POST", "/v1/identity/unmerge", true},
    {"GET", "/v1/usage", true},
    {"GET", "/v1/settings", true},
    {"PATCH", "/v1/settings", true},
    {"GET", "/healthz", false},
    {"GET", "/readyz", false},
    {"GET", "/metrics", false},
    {"GET", "/openapi.json", false},
};

// The regular expression of a pattern: {name} is one path segment.
std::string regex_of(std::string_view pattern) {
  std::string r;
  for (std::size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] == '{') {
      r += "([^/]+)";
      i = pattern.find('}', i);
    } else {
      r += pattern[i];
    }
  }
  return r;
}

// The methods allowed on a path, for 405's Allow header; empty when no route has the path.
std::string allowed_methods(const std::string& path) {
  std::string allow;
  for (const Route& r : kRoutes)
    if (std::regex_match(path, std::regex(regex_of(r.pattern))) && allow.find(r.method) == std::string::npos)
      allow += (allow.empty() ? "" : ", ") + std::string(r.method);
  return allow;
}

// httplib's server, with the part that serves one request from a stream
// reachable (Server::answer).
class PlainServer final : public httplib::Server {
 public:
  using httplib::Server::process_request;
};

// A connection that is bytes in memory: reads the request, keeps the answer.
class MemoryStream final : public httplib::Stream {
 public:
  explicit MemoryStream(std::string_view in) : in_(in) {}
  bool is_readable() const override { return true; }
  bool is_writable() const override { return true; }
  ssize_t read(char* ptr, size_t size) override {
    const size_t n = std::min(size, in_.size() - at_);
    std::copy_n(in_.data() + at_, n, ptr);
    at_ += n;
    return static_cast<ssize_t>(n);
  }
  ssize_t write(const char* ptr, size_t size) override {
    out.append(ptr, size);
    return static_cast<ssize_t>(size);
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    ip = "127.0.0.1";
    port = 0;
  }
  socket_t socket() const override { return INVALID_SOCKET; }
  std::string out;

 private:
  std::string_view in_;
  size_t at_ = 0;
};

}  // namespace

struct Server::Impl {
  Engine& engine;
  ServerOptions options;
  std::unique_ptr<httplib::Server> http;
  PlainServer* plain = nullptr;  // http, when without TLS
  RateLimiter limiter;
  Metrics metrics;
  std::unique_ptr<Console> console;
  std::atomic<int> port{0};

  Impl(Engine& e, ServerOptions o, Store* console_store) : engine(e), options(std::move(o)) {
    console = std::make_unique<Console>(engine, console_store, metrics,
                                        ConsoleOptions{options.console_dir, !options.tls_cert.empty()});
    if (options.tls_cert.empty() != options.tls_key.empty())
      throw std::runtime_error("--tls-cert and --tls-key go together");
    if (!options.tls_cert.empty()) {
      auto tls = std::make_unique<httplib::SSLServer>(options.tls_cert.c_str(), options.tls_key.c_str());
      if (!tls->is_valid())
        throw std::runtime_error("cannot use the TLS certificate " + options.tls_cert + " and key " +
                                 options.tls_key);
      http = std::move(tls);
    } else {
      auto server = std::make_unique<PlainServer>();
      plain = server.get();
      http = std::move(server);
    }
    configure();
  }

  void configure() {
    const int threads = options.threads;
    http->new_task_queue = [threads] { return new httplib::ThreadPool(static_cast<std::size_t>(threads)); };
    http->set_payload_max_length(options.max_body);
    // Answers go out at once: without it, a small answer written in two parts
    // waits for the client's delayed ACK (about 40 ms per request).
    http->set_tcp_nodelay(true);
    http->set_read_timeout(std::chrono::milliseconds(options.read_timeout_ms));
    http->set_write_timeout(std::chrono::milliseconds(options.write_timeout_ms));
    http->set_keep_alive_timeout(std::max(1, options.idle_timeout_ms / 1000));

    http->set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
      context = Context{Clock::now(), true, request_id(req), "", "-"};
      res.set_header("X-Request-Id", context.request_id);
      return httplib::Server::HandlerResponse::Unhandled;
    });

    for (const Route& route : kRoutes) add(route);
    // The web console (docs/console.md): its pages and its JSON, behind its own sign-in.
    const auto console_handler = [this](const httplib::Request& req, httplib::Response& res) {
      console->serve(req, res, context.route, context.tenant);
    };
    http->Get("/console(/.*)?", console_handler);
    http->Post("/console/api/.*", console_handler);
    http->Delete("/console/api/.*", console_handler);

    // Answers httplib makes itself (an unknown path, a body too large, a
    // request it cannot read) in the API's JSON error shape.
    http->set_error_handler(
        httplib::Server::HandlerWithResponse([](const httplib::Request& req, httplib::Response& res) {
          if (!res.body.empty()) return httplib::Server::HandlerResponse::Unhandled;
          if (res.status == 404) {
            const std::string allow = allowed_methods(req.path);
            if (!allow.empty()) {
              res.set_header("Allow", allow);
              reply_error(res, 405,
                          fmt::format("{} is not allowed on {} (allowed: {})", req.method, req.path, allow));
            } else {
              reply_error(res, 404, "no route " + req.path);
            }
          } else if (res.status == 413) {
            reply_error(res, 413, "the request body is larger than 1 MiB");
          } else {
            reply_error(res, res.status, reason(res.status));
          }
          return httplib::Server::HandlerResponse::Handled;
        }));
    http->set_exception_handler([](const httplib::Request&, httplib::Response& res, std::exception_ptr) {
      reply_error(res, 500, "internal error");
    });
    http->set_logger([this](const httplib::Request& req, const httplib::Response& res) { finish(req, res); });
  }

  // Registers one route: authentication, rate limit, content type, then the operation.
  void add(const Route& route) {
    const std::string pattern = regex_of(route.pattern);
    auto handler = [this, &route](const httplib::Request& req, httplib::Response& res) {
      context.route = route.pattern;
      if (route.authenticated) {
        std::optional<ApiCaller> caller = authenticate(req, res);
        if (!caller) return;
        context.tenant = caller->tenant;
        if (const auto d = limiter.take(caller->tenant, caller->requests_per_minute, now_ms()); !d.allowed) {
          res.set_header("Retry-After", std::to_string(d.retry_after_seconds));
          reply_error(res, 429,
                      fmt::format("tenant {} is over its limit of {} requests per minute", caller->tenant,
                                  caller->requests_per_minute));
          return;
        }
        if ((req.method == "POST" || req.method == "PATCH") && !json_content(req)) {
          reply_error(res, 415, "the request body must be application/json");
          return;
        }
        serve(route.pattern, caller->tenant, req, res);
      } else {
        serve_open(route.pattern, res);
      }
    };
    const std::string method = route.method;
    if (method == "GET")
      http->Get(pattern, handler);
    else if (method == "POST")
      http->Post(pattern, handler);
    else if (method == "PATCH")
      http->Patch(pattern, handler);
    else if (method == "DELETE")
      http->Delete(pattern, handler);
  }

  static bool json_content(const httplib::Request& req) {
    std::string type = req.get_header_value("Content-Type");
    for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    const std::string_view t = type;
    const std::string_view json = "application/json";
    return t.substr(0, json.size()) == json &&
           (t.size() == json.size() || t[json.size()] == ';' || t[json.size()] == ' ');
  }

  std::optional<ApiCaller> authenticate(const httplib::Request& req, httplib::Response& res) {
    const std::string header = req.get_header_value("Authorization");  // key points into it
    std::string_view key;
    switch (parse_bearer(header, key)) {
      case Bearer::missing:
        reply_error(res, 401, "missing Authorization header: send Authorization: Bearer <api key>");
        return std::nullopt;
      case Bearer::malformed:
        reply_error(res, 401, "malformed Authorization header: expected Bearer <api key>");
        return std::nullopt;
      case Bearer::key:
        break;
    }
    try {
      std::optional<ApiCaller> caller = engine.authenticate(hash_key(key));
      if (!caller) reply_error(res, 401, "invalid API key: unknown or revoked");
      if (caller && caller->tenant == kAdminTenant) {
        reply_error(res, 401, "an admin key signs in to the web console (/console/) only");
        return std::nullopt;
      }
      return caller;
    } catch (const Error& e) {
      answer_error(res, e);
      return std::nullopt;
    }
  }

  static Millis now_ms() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }

  void answer_error(httplib::Response& res, const Error& e) {
    if (e.status() == Status::busy) metrics.busy();
    reply(res, http_status(e.status()), json::write_error(e));
  }

  // A query parameter as a JSON value for the library to validate: a number
  // when it is all digits, else the text (so that "abc" is refused naming it).
  static void query_param(detail::Writer& w, const httplib::Request& req, const char* name, bool number) {
    if (!req.has_param(name)) return;
    const std::string v = req.get_param_value(name);
    bool digits = number && !v.empty() && v.size() <= 18;
    for (const char c : v) digits = digits && c >= '0' && c <= '9';
    w.key(name);
    if (digits)
      w.i64(std::stoll(v));
    else
      w.str(v);
  }

  void serve(std::string_view route, const std::string& tenant, const httplib::Request& req,
             httplib::Response& res) {
    try {
      std::string answer;
      if (route == "/v1/calls/start") {
        answer = engine.start_call_json(tenant, req.body);
        for (const char* r : {"reuse", "confirm", "ignore"})
          if (answer.find(fmt::format("\"recommendation\":\"{}\"", r)) != std::string::npos)
            metrics.recommendation(r);
      } else if (route == "/v1/calls/end") {
        answer = engine.end_call_json(tenant, req.body);
      } else if (route == "/v1/customers/{ref}" && req.method == "GET") {
        detail::Writer w;
        w.begin_object().key("customer_ref").str(req.matches[1].str());
        query_param(w, req, "history_limit", true);
        query_param(w, req, "cursor", false);
        answer = engine.get_customer_json(tenant, w.end_object().take());
      } else if (route == "/v1/customers/{ref}/export") {
        detail::Writer w;
        answer = engine.export_customer_json(
            tenant, w.begin_object().key("customer_ref").str(req.matches[1].str()).end_object().take());
      } else if (route == "/v1/customers/{ref}") {  // DELETE
        detail::Writer w;
        answer = engine.forget_customer_json(
            tenant, w.begin_object().key("customer_ref").str(req.matches[1].str()).end_object().take());
      } else if (route == "/v1/customers/lookup") {
        answer = engine.get_customer_json(tenant, req.body);
      } else if (route == "/v1/customers/forget") {
        answer = engine.forget_customer_json(tenant, req.body);
      } else if (route == "/v1/identity/feedback") {
        answer = engine.identity_feedback_json(tenant, req.body);
      } else if (route == "/v1/identity/unmerge") {
        answer = engine.unmerge_json(tenant, req.body);
      } else if (route == "/v1/usage") {
        detail::Writer w;
        w.begin_object();
        query_param(w, req, "from", false);
        query_param(w, req, "to", false);
        answer = engine.usage_json(tenant, w.end_object().take());
      } else if (route == "/v1/settings" && req.method == "GET") {
        answer = engine.tenant_settings_json(tenant, "{}");
      } else if (route == "/v1/settings") {  // PATCH
        answer = engine.configure_tenant_json(tenant, req.body);
      }
      reply(res, 200, answer);
    } catch (const Error& e) {
      answer_error(res, e);
    }
  }

  void serve_open(std::string_view route, httplib::Response& res) {
    if (route == "/healthz") {
      reply(res, 200, R"({"status":"ok"})");
    } else if (route == "/readyz") {
      try {
        engine.ping();
        reply(res, 200, R"({"status":"ready"})");
      } catch (const Error& e) {
        reply_error(res, 503, std::string("the store does not answer: ") + e.what());
      }
    } else if (route == "/metrics") {
      res.status = 200;
      res.set_content(metrics.render(), "text/plain; version=0.0.4");
    } else if (route == "/openapi.json") {
      reply(res, 200, openapi_json());
    }
  }

  // The access log line and the metrics of a request, once answered. Never a
  // number, an id, a variable or a key: only these fields.
  void finish(const httplib::Request& req, const httplib::Response& res) {
    const auto end = Clock::now();
    const std::int64_t micros =
        context.started ? std::chrono::duration_cast<std::chrono::microseconds>(end - context.start).count()
                        : 0;
    const std::string route = context.started ? context.route : "-";
    metrics.request(route, res.status, micros);
    if (options.access_log) {
      detail::Writer w;
      w.begin_object();
      w.key("time").str(detail::format_time(now_ms()));
      w.key("request_id").str(context.request_id);
      w.key("tenant").str(context.tenant);
      w.key("method").str(req.method);
      w.key("route").str(route);
      w.key("status").i64(res.status);
      w.key("us").i64(micros);
      w.end_object();
      const std::string line = w.take() + "\n";
      std::fwrite(line.data(), 1, line.size(), stderr);
    }
    context = Context{};
  }
};

Server::Server(Engine& engine, ServerOptions options, Store* console_store)
    : impl_(std::make_unique<Impl>(engine, std::move(options), console_store)) {}

Server::~Server() = default;

void Server::bind() {
  const ServerOptions& o = impl_->options;
  const int port = o.port == 0 ? impl_->http->bind_to_any_port(o.host) : o.port;
  if (port <= 0 || (o.port != 0 && !impl_->http->bind_to_port(o.host, o.port)))
    throw std::runtime_error(fmt::format("cannot listen on {}:{}", o.host, o.port));
  impl_->port = port;
}

int Server::bound_port() const { return impl_->port; }

void Server::run() {
  if (impl_->port == 0) bind();
  impl_->http->listen_after_bind();
}

void Server::stop() { impl_->http->stop(); }

std::string Server::answer(std::string_view raw_request) {
  if (impl_->plain == nullptr) throw std::runtime_error("Server::answer is not for a TLS server");
  MemoryStream connection(raw_request);
  bool closed = false;
  impl_->plain->process_request(connection, true, closed, nullptr);
  return std::move(connection.out);
}

}  // namespace callmem::server
