# Builds the web console's pages (docs/console.md) into OUTPUT: installs
# console/package.json's packages with npm in WORK (from its cache when
# offline), then copies src/ and uPlot's ES module and stylesheet (vendor/).
# Run by the target callmem_console (server/CMakeLists.txt) as
#   cmake -DSOURCE=console -DWORK=... -DOUTPUT=... -DNPM=npm -P console/build.cmake
# Then it writes WORK/stamp. Without npm, or when it fails, it says why and
# writes no stamp (the next build tries again): the build goes on, and
# `callmem serve` answers /console/ with a 404 saying so.
if(NOT NPM)
  message(WARNING "callmem_console: npm not found: the web console is not built (callmem serve works without it)")
  return()
endif()
file(MAKE_DIRECTORY ${WORK})
file(COPY ${SOURCE}/package.json ${SOURCE}/package-lock.json DESTINATION ${WORK})
execute_process(
  COMMAND ${NPM} ci --omit=dev --no-audit --no-fund --prefer-offline
  WORKING_DIRECTORY ${WORK}
  RESULT_VARIABLE npm_result
  OUTPUT_VARIABLE npm_output
  ERROR_VARIABLE npm_output)
set(uplot ${WORK}/node_modules/uplot/dist)
if(NOT npm_result EQUAL 0 OR NOT EXISTS ${uplot}/uPlot.esm.js)
  message(WARNING "callmem_console: npm ci failed, the web console is not built:\n${npm_output}")
  return()
endif()
file(REMOVE_RECURSE ${OUTPUT})
file(COPY ${SOURCE}/src/ DESTINATION ${OUTPUT})
file(COPY ${uplot}/uPlot.esm.js ${uplot}/uPlot.min.css ${WORK}/node_modules/uplot/LICENSE DESTINATION ${OUTPUT}/vendor)
file(TOUCH ${WORK}/stamp)
