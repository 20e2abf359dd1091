// callmem serve: the REST API over HTTP until SIGTERM or SIGINT.
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <thread>

#include "commands.hpp"
#include "engine.hpp"
#include "server/server.hpp"

namespace callmem::cli {
namespace {

struct ServeOptions {
  StoreOptions store;
  std::string listen = "127.0.0.1:8080";
  server::ServerOptions server;
  int shutdown_timeout_ms = 30000;
};

// "HOST:PORT", "[V6]:PORT" or ":PORT" (every address).
void parse_listen(const std::string& listen, server::ServerOptions& o) {
  const std::size_t colon = listen.rfind(':');
  if (colon == std::string::npos) throw Failure{2, "--listen: expected HOST:PORT, got " + listen};
  std::string host = listen.substr(0, colon);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') host = host.substr(1, host.size() - 2);
  o.host = host.empty() ? "0.0.0.0" : host;
  const std::string port = listen.substr(colon + 1);
  try {
    std::size_t used = 0;
    o.port = std::stoi(port, &used);
    if (used != port.size() || o.port < 0 || o.port > 65535) throw std::out_of_range(port);
  } catch (const std::exception&) {
    throw Failure{2, "--listen: the port must be a number from 0 to 65535, got " + port};
  }
}

// The web console's pages (docs/console.md) when --console-dir is not given:
// installed beside the program (PREFIX/share/callmem/console), or in the build tree.
std::string console_dir() {
  std::error_code ec;
  const std::filesystem::path exe = std::filesystem::read_symlink("/proc/self/exe", ec);
  if (ec) return "";
  for (const auto& dir : {exe.parent_path().parent_path() / "share" / "callmem" / "console",
                          exe.parent_path().parent_path() / "console"})
    if (std::filesystem::is_regular_file(dir / "index.html", ec)) return dir.string();
  return "";
}

void serve(ServeOptions& o) {
  parse_listen(o.listen, o.server);
  if (o.server.console_dir.empty()) o.server.console_dir = console_dir();
  // SIGTERM and SIGINT go to one thread, which stops the server: blocked here,
  // before any thread starts, so that every thread inherits the mask.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  const std::unique_ptr<Engine> engine = open_engine(o.store);
  // The console's reads on a store of their own (one connection on
  // PostgreSQL), so that they never wait for, or hold, a connection of the calls'.
  const std::unique_ptr<Store> console_store = open_store(o.store);
  server::Server server(*engine, o.server, console_store.get());
  server.bind();
  std::fprintf(stderr, "callmem serve: listening on %s://%s:%d\n",
               o.server.tls_cert.empty() ? "http" : "https", o.server.host.c_str(), server.bound_port());

  std::mutex mutex;
  std::condition_variable stopped;
  bool done = false;
  std::thread waiter([&] {
    int sig = 0;
    sigwait(&signals, &sig);
    std::fprintf(stderr, "callmem serve: %s, finishing the requests in flight\n",
                 sig == SIGTERM ? "SIGTERM" : "SIGINT");
    server.stop();
    std::unique_lock<std::mutex> lock(mutex);
    if (!stopped.wait_for(lock, std::chrono::milliseconds(o.shutdown_timeout_ms), [&] { return done; })) {
      std::fprintf(stderr, "callmem serve: requests still in flight after %d ms; exiting\n",
                   o.shutdown_timeout_ms);
      std::_Exit(1);
    }
  });
  server.run();
  {
    const std::lock_guard<std::mutex> lock(mutex);
    done = true;
  }
  stopped.notify_all();
  waiter.join();
  std::fprintf(stderr, "callmem serve: stopped\n");
}

}  // namespace

void add_serve(CLI::App& app) {
  auto o = std::make_shared<ServeOptions>();
  CLI::App* cmd = app.add_subcommand(
      "serve",
      "Serve the Call Memory REST API (POST /v1/calls/start, /v1/calls/end, ...) over HTTP; see "
      "docs/server.md.\n"
      "Requests carry Authorization: Bearer <key> (callmem keys create); the key's tenant is the request's.\n"
      "SIGTERM or SIGINT stops accepting, finishes the requests in flight, closes the store and exits 0.");
  add_store_options(*cmd, o->store);
  cmd->add_option("--listen", o->listen,
                  "HOST:PORT to listen on; port 0 takes a free one (printed on stderr)")
      ->envname("CALLMEM_LISTEN")
      ->capture_default_str();
  cmd->add_option("--threads", o->server.threads, "Requests served at once")
      ->check(CLI::Range(1, 1024))
      ->capture_default_str();
  auto* cert =
      cmd->add_option("--tls-cert", o->server.tls_cert, "Serve HTTPS with this PEM certificate (chain)")
          ->check(CLI::ExistingFile);
  auto* key = cmd->add_option("--tls-key", o->server.tls_key, "The PEM private key of --tls-cert")
                  ->check(CLI::ExistingFile);
  cert->needs(key);
  key->needs(cert);
  cmd->add_option("--read-timeout-ms", o->server.read_timeout_ms, "Time to read a request")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  cmd->add_option("--write-timeout-ms", o->server.write_timeout_ms, "Time to write an answer")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  cmd->add_option("--idle-timeout-ms", o->server.idle_timeout_ms, "How long a keep-alive connection may idle")
      ->check(CLI::Range(1000, 3600000))
      ->capture_default_str();
  cmd->add_option("--shutdown-timeout-ms", o->shutdown_timeout_ms,
                  "After SIGTERM, how long requests in flight may take before the process exits 1")
      ->check(CLI::Range(1, 3600000))
      ->capture_default_str();
  cmd->add_option("--console-dir", o->server.console_dir,
                  "The web console's built pages (default: share/callmem/console beside the program)")
      ->check(CLI::ExistingDirectory);
  cmd->add_flag("--no-access-log{false}", o->server.access_log, "No JSON line per request on stderr");
  cmd->footer(
      "Example:\n"
      "  callmem keys create --db calls.db --tenant acme\n"
      "  callmem serve --db calls.db --listen 127.0.0.1:8080\n"
      "  curl -H 'Authorization: Bearer cmk_...' -H 'Content-Type: application/json' \\\n"
      "       -d '{\"call_id\": \"call_001\", \"identity_hints\": {\"ani\": \"+14155551234\"}}' \\\n"
      "       http://127.0.0.1:8080/v1/calls/start");
  cmd->callback([o] { serve(*o); });
}

}  // namespace callmem::cli
