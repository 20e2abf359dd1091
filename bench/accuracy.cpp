// callmem_accuracy: the identity-accuracy simulator. Generates a seeded
// contact center over weeks, replays it through callmem (default settings and
// the hosted profile) and the exact-ANI "first created wins" baseline, and
// scores every start against the truth. See bench/README.md.
#include <fmt/format.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "callmem/error.hpp"
#include "simulator.hpp"

namespace {

void usage() {
  std::cout
      << "usage: callmem_accuracy [--config NAME] [--seed N] [--people N] [--weeks N] [--warmup-weeks "
         "N] [--ttl-days N]\n"
         "                        [--svg PATH] [--report PATH] [--dir DIR] [--no-hosted] [--keep] [--quiet]\n"
         "  --config NAME  default, carrier-poor or household-heavy (default: default)\n"
         "  --seed N       generator seed (default 42)\n"
         "  --people N     people at the start (default 5000)\n"
         "  --weeks N      weeks scored (default 8)\n"
         "  --warmup-weeks N  weeks simulated first, driven but not scored (default 4)\n"
         "  --ttl-days N   the tenants' TTL and the 'recognisable' window (default 30)\n"
         "  --svg PATH     reliability diagram (default accuracy.svg; '' for none)\n"
         "  --report PATH  Markdown report (default: none)\n"
         "  --dir DIR      where the SQLite file goes (kept); default a temp dir, removed\n"
         "  --no-hosted    leave out callmem's hosted profile (half the time)\n"
         "  --keep         keep the temp dir\n"
         "  --quiet        no progress on stderr\n";
}

bool write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path, std::ios::binary);
  f << text;
  return static_cast<bool>(f);
}

}  // namespace

int main(int argc, char** argv) {
  callmem::sim::Config config;
  config.verbose = true;
  std::string svg = "accuracy.svg", report;
  try {
    for (int i = 1; i < argc; ++i) {
      const std::string a = argv[i];
      auto value = [&]() -> std::string {
        if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
        return argv[++i];
      };
      auto number = [&](long lo, long hi) {
        const std::string v = value();
        char* endp = nullptr;
        const long n = std::strtol(v.c_str(), &endp, 10);
        if (v.empty() || *endp || n < lo || n > hi)
          throw std::runtime_error(
              fmt::format("{}: expected an integer in [{}, {}], got '{}'", a, lo, hi, v));
        return n;
      };
      if (a == "--config") {
        // A preset of the mix; the other flags apply on top, in any order.
        callmem::sim::Config preset = callmem::sim::configuration(value());
        config.name = preset.name;
        config.mix = preset.mix;
      } else if (a == "--seed") {
        const std::string v = value();
        config.seed = std::stoull(v);
      } else if (a == "--people") {
        config.people = static_cast<int>(number(1, 10000000));
      } else if (a == "--weeks") {
        config.weeks = static_cast<int>(number(1, 520));
      } else if (a == "--warmup-weeks") {
        config.warmup_weeks = static_cast<int>(number(0, 520));
      } else if (a == "--ttl-days") {
        config.ttl_days = static_cast<int>(number(1, 365));
      } else if (a == "--svg") {
        svg = value();
      } else if (a == "--report") {
        report = value();
      } else if (a == "--dir") {
        config.dir = value();
      } else if (a == "--no-hosted") {
        config.hosted = false;
      } else if (a == "--keep") {
        config.keep_db = true;
      } else if (a == "--quiet") {
        config.verbose = false;
      } else if (a == "--help" || a == "-h") {
        usage();
        return 0;
      } else {
        std::cerr << "unknown argument: " << a << "\n";
        usage();
        return 1;
      }
    }
    const callmem::sim::RunResult r = callmem::sim::run(config);
    std::cout << fmt::format(
        "{} configuration, seed {}, {} people, {} warm-up + {} scored weeks: {} calls, {} scored (generated "
        "in {:.1f} s)\n\n",
        config.name, config.seed, config.people, config.warmup_weeks, config.weeks, r.world.calls.size(),
        r.systems.at(0).metrics.calls, r.generate_seconds);
    std::cout << callmem::sim::table(r);
    const callmem::sim::Metrics& m = r.systems.at(0).metrics;
    bool better = true;
    for (std::size_t i = 1; i < r.systems.size(); ++i)
      better = better && m.wrong_reuse < r.systems[i].metrics.wrong_reuse && m.ece < r.systems[i].metrics.ece;
    // Recall is judged without the starts recognisable only by a number
    // others called from too: the issue asks for confirm there ("with several
    // customers on one number and nothing else to tell them apart"), so no
    // answer that follows it recognises them. The recall over every
    // recognisable start is printed beside it.
    std::cout << fmt::format(
        "\ntargets for callmem default: wrong-person reuse {:.3f}% (<= 0.1%: {}), recall {:.1f}% ({}/{}) of "
        "the "
        "recognisable starts not recognisable only by a number others called from too (>= 95%: {}), "
        "ECE {:.4f} (<= 0.03: {}), strictly better than both baselines on both: {}\n"
        "  recall of every recognisable start, those included (the issue asks to confirm them): {:.1f}% "
        "({}/{})\n",
        100 * m.wrong_reuse_rate(), m.wrong_reuse_rate() <= 0.001 ? "met" : "NOT met", 100 * m.recall_apart(),
        m.recognised_apart, m.recognisable_apart, m.recall_apart() >= 0.95 ? "met" : "NOT met", m.ece,
        m.ece <= 0.03 ? "met" : "NOT met", better ? "yes" : "NO", 100 * m.recall(), m.recognised,
        m.recognisable);
    if (!svg.empty()) {
      if (!write_file(svg, callmem::sim::svg_reliability(r))) throw std::runtime_error("cannot write " + svg);
      std::cout << "reliability diagram: " << svg << "\n";
    }
    if (!report.empty()) {
      if (!write_file(report, callmem::sim::markdown_report(r)))
        throw std::runtime_error("cannot write " + report);
      std::cout << "report: " << report << "\n";
    }
    return 0;
  } catch (const callmem::Error& e) {
    std::cerr << "callmem error: " << e.what() << "\n";
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << "\n";
  }
  return 1;
}
