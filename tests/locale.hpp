// A comma-decimal locale for the tests that check that no number conversion
// depends on the C locale (a host may call setlocale(LC_ALL, "") in a German
// or French environment, where "0.95" is written "0,95").
//
// Where the locale comes from: de_DE.UTF-8 as the system has it (scripts/deps
// generates it with localedef when `locale -a` lacks it); failing that, it is
// made here once per process with localedef into a temporary directory named
// by LOCPATH, from the sources of Debian's `locales` package (which
// scripts/deps installs). When neither works the test fails: a skipped test
// would prove nothing.
#ifndef CALLMEM_TESTS_LOCALE_HPP
#define CALLMEM_TESTS_LOCALE_HPP

#include <doctest/doctest.h>
#include <langinfo.h>

#include <clocale>
#include <cstdlib>
#include <filesystem>
#include <locale>
#include <string>

namespace callmem::test_locale {

inline constexpr const char* kCommaLocale = "de_DE.UTF-8";

// The locale's decimal separator, or "" when it cannot be loaded.
inline std::string radix_of(const char* name) {
  locale_t l = newlocale(LC_ALL_MASK, name, static_cast<locale_t>(0));
  if (l == static_cast<locale_t>(0)) return "";
  std::string radix = nl_langinfo_l(RADIXCHAR, l);
  freelocale(l);
  return radix;
}

// A directory removed when the process exits.
struct LocaleDir {
  std::string path;
  ~LocaleDir() {
    std::error_code ec;
    if (!path.empty()) std::filesystem::remove_all(path, ec);
  }
};

// Makes kCommaLocale loadable; what went wrong otherwise.
inline std::string make_comma_locale() {
  if (radix_of(kCommaLocale) == ",") return "";
  static LocaleDir made;
  std::string dir = (std::filesystem::temp_directory_path() / "callmem-locale-XXXXXX").string();
  if (!mkdtemp(dir.data())) return "mkdtemp failed";
  made.path = dir;
  const std::string cmd = "localedef -i de_DE -f UTF-8 '" + dir + "/" + kCommaLocale + "' >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  setenv("LOCPATH", dir.c_str(), 1);
  if (radix_of(kCommaLocale) == ",") return "";
  return "the system has no " + std::string(kCommaLocale) + " locale and `" + cmd + "` exited with " +
         std::to_string(rc) + ": run scripts/deps (it installs Debian's locales package and generates it)";
}

// Sets the process's C and C++ locales to kCommaLocale for its lifetime, and
// restores them after.
class CommaDecimalLocale {
 public:
  CommaDecimalLocale() : old_c_(std::setlocale(LC_ALL, nullptr)) {
    static const std::string problem = make_comma_locale();
    if (!problem.empty()) FAIL(problem);
    std::locale::global(std::locale(kCommaLocale));
    CHECK(std::setlocale(LC_ALL, kCommaLocale) != nullptr);
    CHECK(std::string(std::localeconv()->decimal_point) == ",");
  }
  ~CommaDecimalLocale() {
    std::locale::global(old_cpp_);
    std::setlocale(LC_ALL, old_c_.c_str());
  }
  CommaDecimalLocale(const CommaDecimalLocale&) = delete;
  CommaDecimalLocale& operator=(const CommaDecimalLocale&) = delete;

 private:
  std::string old_c_;
  std::locale old_cpp_;
};

}  // namespace callmem::test_locale

#endif
