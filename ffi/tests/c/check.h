/* A tiny assertion helper for the C tests: CHECK counts instead of aborting,
 * check_report() prints "N passed, M failed" as the last line. */
#ifndef WIRESTATE_TEST_CHECK_H
#define WIRESTATE_TEST_CHECK_H

#include <stdio.h>
#include <string.h>

#include "wirestate.h"

static int check_passed;
static int check_failed;

#define CHECK(cond)                                                                    \
    do {                                                                               \
        if (cond) {                                                                    \
            check_passed++;                                                            \
        } else {                                                                       \
            check_failed++;                                                            \
            fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond);   \
        }                                                                              \
    } while (0)

/* expr must return the wirestate_result `want`. */
#define CHECK_RC(expr, want)                                                           \
    do {                                                                               \
        wirestate_result check_rc_ = (expr);                                           \
        if (check_rc_ == (wirestate_result)(want)) {                                   \
            check_passed++;                                                            \
        } else {                                                                       \
            check_failed++;                                                            \
            fprintf(stderr, "%s:%d: %s returned %u (%s), want %u (%s)\n", __FILE__,    \
                    __LINE__, #expr, (unsigned)check_rc_, wirestate_result_str(check_rc_), \
                    (unsigned)(want), wirestate_result_str(want));                     \
        }                                                                              \
    } while (0)

#define CHECK_OK(expr) CHECK_RC(expr, WIRESTATE_RESULT_OK)

/* `len` bytes at `data` equal the NUL-terminated `s`. */
#define CHECK_BYTES(data, len, s)                                                      \
    CHECK((len) == strlen(s) && memcmp((data), (s), (len)) == 0)

static inline int check_report(void) {
    printf("%d passed, %d failed\n", check_passed, check_failed);
    return check_failed == 0 ? 0 : 1;
}

#endif
