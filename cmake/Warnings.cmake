# callmem_warnings(target): the project's warning set, for its own targets only
# (-Wshadow=local is GCC's; clang builds the fuzz targets).
function(callmem_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic $<$<NOT:$<CXX_COMPILER_ID:Clang>>:-Wshadow=local> -Wnon-virtual-dtor>
    $<$<COMPILE_LANGUAGE:C>:-Wall -Wextra -Wpedantic>)
endfunction()
