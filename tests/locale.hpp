// A comma-decimal locale for the tests that check that no number conversion
// depends on the C locale (a host may call setlocale(LC_ALL, "") in a German
// or French environment, where "0.95" is written "0,95").
//
// Where the locales come from: de_DE.UTF-8 and de_DE.ISO-8859-1 as the system
// has them (scripts/deps generates them with localedef when `locale -a` lacks
// them); failing that, each is made here once per process with localedef
// into a temporary directory named by LOCPATH, from the sources of Debian's
// `locales` package (which scripts/deps installs). When neither works the
// test fails: a skipped test would prove nothing.
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

// A locale the tests set: its name, and localedef's input and charmap.
struct Made {
  const char* name;
  const char* input;
  const char* charmap;
};
// Writes 0.95 as "0,95".
inline constexpr Made kCommaDecimal{"de_DE.UTF-8", "de_DE", "UTF-8"};
// A single-byte charset: tolower() and isspace() there change bytes of UTF-8
// text ("Ä" is C3 84, and C3 is "Ã" in Latin-1).
inline constexpr Made kLatin1{"de_DE.ISO-8859-1", "de_DE", "ISO-8859-1"};

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

// Makes the locale loadable (the system's, else one of our own under
// LOCPATH); what went wrong otherwise.
inline std::string make_locale(const Made& l) {
  if (radix_of(l.name) == ",") return "";
  static LocaleDir made;
  if (made.path.empty()) {
    std::string dir = (std::filesystem::temp_directory_path() / "callmem-locale-XXXXXX").string();
    if (!mkdtemp(dir.data())) return "mkdtemp failed";
    made.path = dir;
  }
  const std::string cmd = std::string("localedef -i ") + l.input + " -f " + l.charmap + " '" + made.path +
                          "/" + l.name + "' >/dev/null 2>&1";
  const int rc = std::system(cmd.c_str());
  setenv("LOCPATH", made.path.c_str(), 1);
  if (radix_of(l.name) == ",") return "";
  return "the system has no " + std::string(l.name) + " locale and `" + cmd + "` exited with " +
         std::to_string(rc) + ": run scripts/deps (it installs Debian's locales package and generates it)";
}

// Sets the process's C and C++ locales to `l` for its lifetime, and restores
// them after.
class ScopedLocale {
 public:
  explicit ScopedLocale(const Made& l) : old_c_(std::setlocale(LC_ALL, nullptr)) {
    const std::string problem = make_locale(l);
    if (!problem.empty()) FAIL(problem);
    std::locale::global(std::locale(l.name));
    CHECK(std::setlocale(LC_ALL, l.name) != nullptr);
    CHECK(std::string(std::localeconv()->decimal_point) == ",");
  }
  ~ScopedLocale() {
    std::locale::global(old_cpp_);
    std::setlocale(LC_ALL, old_c_.c_str());
  }
  ScopedLocale(const ScopedLocale&) = delete;
  ScopedLocale& operator=(const ScopedLocale&) = delete;

 private:
  std::string old_c_;
  std::locale old_cpp_;
};

// The store suite's scope (CALLMEM_STORE_SUITE_IN).
struct CommaDecimalLocale : ScopedLocale {
  CommaDecimalLocale() : ScopedLocale(kCommaDecimal) {}
};

}  // namespace callmem::test_locale

#endif
