// Races for the tests: threads released at once, and forked processes (several
// nodes on one database).
#ifndef CALLMEM_TESTS_RACES_HPP
#define CALLMEM_TESTS_RACES_HPP

#include <doctest/doctest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <exception>
#include <functional>
#include <string>
#include <thread>
#include <vector>

// Runs body(t) on n threads (t = 0..n-1), released together once all have
// started, and returns what they returned, by t.
inline std::vector<std::string> run_threads(int n, const std::function<std::string(int)>& body) {
  std::vector<std::string> out(static_cast<std::size_t>(n));
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) {
    threads.emplace_back([&, t] {
      ++ready;
      while (ready.load() < n) std::this_thread::yield();
      out[static_cast<std::size_t>(t)] = body(t);
    });
  }
  for (std::thread& th : threads) th.join();
  return out;
}

// Runs body(p) in n forked children (p = 0..n-1) at once, and returns what
// they returned, concatenated (in no particular order of children). Checks
// that every child exited cleanly; a child that threw reports it on stderr.
inline std::string run_processes(int n, const std::function<std::string(int)>& body) {
  int fds[2];
  REQUIRE(pipe(fds) == 0);
  std::vector<pid_t> pids;
  for (int p = 0; p < n; ++p) {
    const pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      close(fds[0]);
      int rc = 0;
      try {
        const std::string out = body(p);
        if (write(fds[1], out.data(), out.size()) != static_cast<ssize_t>(out.size())) rc = 2;
      } catch (const std::exception& e) {
        std::fprintf(stderr, "process %d: %s\n", p, e.what());
        rc = 1;
      } catch (...) {
        rc = 1;
      }
      close(fds[1]);
      _exit(rc);
    }
    pids.push_back(pid);
  }
  close(fds[1]);
  std::string all;
  char buf[4096];
  for (ssize_t got; (got = read(fds[0], buf, sizeof buf)) > 0;)
    all.append(buf, static_cast<std::size_t>(got));
  close(fds[0]);
  for (pid_t pid : pids) {
    int status = 0;
    waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
  }
  return all;
}

#endif
