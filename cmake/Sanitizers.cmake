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
if(CALLMEM_SANITIZE_THREAD)
  add_compile_options(-fsanitize=thread -fno-omit-frame-pointer)
  add_link_options(-fsanitize=thread)
endif()
