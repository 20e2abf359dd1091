/*
 * CHECK for the plain-C tests of the ABI (capi_test.c, capi_fork_test.c):
 * counts what passed and what failed, and names each failure's line. The
 * test's main prints the counts and fails when one failed.
 */
#ifndef CALLMEM_TESTS_C_CHECK_H
#define CALLMEM_TESTS_C_CHECK_H

#include <stdio.h>

static int passed, failed;

#define CHECK(cond)                                                            \
  do {                                                                         \
    if (cond) {                                                                \
      ++passed;                                                                \
    } else {                                                                   \
      ++failed;                                                                \
      fprintf(stderr, "%s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond); \
    }                                                                          \
  } while (0)

#endif
