# CALLMEM_SANITIZE=ON builds everything with AddressSanitizer and UndefinedBehaviorSanitizer;
# CALLMEM_SANITIZE_THREAD=ON with ThreadSanitizer, which cannot be combined with
# AddressSanitizer (scripts/test builds each in a build directory of its own).
if(CALLMEM_SANITIZE AND CALLMEM_SANITIZE_THREAD)
  message(FATAL_ERROR "CALLMEM_SANITIZE and CALLMEM_SANITIZE_THREAD cannot both be ON: build them in two build directories")
endif()
if(CALLMEM_SANITIZE)
  add_compile_options(-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  add_link_options(-fsanitize=address,undefined)
endif()
# CALLMEM_FUZZ=ON (clang): coverage for libFuzzer on everything, with ASan and
# UBSan; the targets in fuzz/ link libFuzzer itself.
if(CALLMEM_FUZZ)
  if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
    message(FATAL_ERROR "CALLMEM_FUZZ needs clang (scripts/fuzz configures it)")
  endif()
  # pointer-overflow is recoverable so that fuzz/ubsan.supp can silence the
  # one report that is RapidJSON's (its stack adds to a null pointer:
  # Tencent/rapidjson#1724, fixed after 1.1.0); scripts/fuzz halts on any other.
  add_compile_options(-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer
                      -fno-sanitize-recover=undefined -fsanitize-recover=pointer-overflow)
  add_link_options(-fsanitize=address,undefined)
endif()
if(CALLMEM_SANITIZE_THREAD)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
