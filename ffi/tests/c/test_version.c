/* The header's version macros against the library, and the result codes'
 * descriptions. */
#include <stdio.h>
#include <string.h>

#include "check.h"

#define STR2(x) #x
#define STR(x) STR2(x)

int main(void) {
    const char *v = wirestate_version();
    CHECK(v != NULL);
    CHECK(strcmp(v, WIRESTATE_VERSION) == 0);
    const char *parts = STR(WIRESTATE_VERSION_MAJOR) "." STR(WIRESTATE_VERSION_MINOR) "." STR(
        WIRESTATE_VERSION_PATCH);
    CHECK(strncmp(v, parts, strlen(parts)) == 0);
#ifdef WIRESTATE_EXPECTED_VERSION
    /* Passed by scripts/c-tests.sh from the crate's manifest. */
    CHECK(strcmp(v, WIRESTATE_EXPECTED_VERSION) == 0);
#endif

    /* Stable numbers. */
    CHECK(WIRESTATE_RESULT_OK == 0);
    CHECK(WIRESTATE_RESULT_NULL_PARAMETER == 1);
    CHECK(WIRESTATE_RESULT_INVALID_STATE == 2);
    CHECK(WIRESTATE_RESULT_BUFFER_FULL == 3);
    CHECK(WIRESTATE_RESULT_FRAGMENT_IN_PROGRESS == 4);
    CHECK(WIRESTATE_RESULT_INVALID_UTF8 == 5);
    CHECK(WIRESTATE_RESULT_CONTROL_TOO_LARGE == 6);
    CHECK(WIRESTATE_RESULT_INVALID_CLOSE_CODE == 7);
    CHECK(WIRESTATE_RESULT_SUBPROTOCOL_NOT_OFFERED == 8);
    CHECK(WIRESTATE_RESULT_INVALID_HEADER == 9);
    CHECK(WIRESTATE_RESULT_INVALID_STATUS == 10);
    CHECK(WIRESTATE_RESULT_INVALID_CONFIG == 11);
    CHECK(WIRESTATE_RESULT_BUFFER_TOO_SMALL == 12);
    CHECK(WIRESTATE_RESULT_INVALID_ARGUMENT == 13);
    CHECK(WIRESTATE_RESULT_INDEX_OUT_OF_RANGE == 14);
    CHECK(WIRESTATE_RESULT_PANIC == 15);
    CHECK(WIRESTATE_RESULT_UNKNOWN_ERROR == 16);
    CHECK(WIRESTATE_RESULT_UNKNOWN_CONNECTION == 100);
    CHECK(WIRESTATE_RESULT_ADDRESS_IN_USE == 101);
    CHECK(WIRESTATE_RESULT_INVALID_ADDRESS == 102);
    CHECK(WIRESTATE_RESULT_CONNECTION_CLOSED == 103);
    CHECK(WIRESTATE_RESULT_NOT_LISTENING == 104);

    /* Every code has its own description; unknown numbers get one too. */
    for (unsigned i = 0; i <= 16; i++) {
        const char *m = wirestate_result_str(i);
        CHECK(m != NULL && strlen(m) > 0 && strcmp(m, "unknown result code") != 0);
        for (unsigned j = 0; j < i; j++) {
            CHECK(strcmp(m, wirestate_result_str(j)) != 0);
        }
    }
    for (unsigned i = 100; i <= 104; i++) {
        const char *m = wirestate_result_str(i);
        CHECK(m != NULL && strlen(m) > 0 && strcmp(m, "unknown result code") != 0);
        for (unsigned j = 0; j <= 16; j++) {
            CHECK(strcmp(m, wirestate_result_str(j)) != 0);
        }
        for (unsigned j = 100; j < i; j++) {
            CHECK(strcmp(m, wirestate_result_str(j)) != 0);
        }
    }
    CHECK(strcmp(wirestate_result_str(17), "unknown result code") == 0);
    CHECK(strcmp(wirestate_result_str(99), "unknown result code") == 0);
    CHECK(strcmp(wirestate_result_str(105), "unknown result code") == 0);
    CHECK(strcmp(wirestate_result_str(0xffffffffu), "unknown result code") == 0);
    CHECK(strcmp(wirestate_result_str(WIRESTATE_RESULT_OK), "success") == 0);

    char buf[128];
    size_t n = 12345;
    CHECK_OK(wirestate_result_message(WIRESTATE_RESULT_INVALID_UTF8, buf, sizeof buf, &n));
    CHECK_BYTES(buf, n, "text is not valid UTF-8");
    n = 12345;
    CHECK_RC(wirestate_result_message(WIRESTATE_RESULT_INVALID_UTF8, buf, 4, &n),
             WIRESTATE_RESULT_BUFFER_TOO_SMALL);
    CHECK(n == 12345); /* outputs are written only on success */
    CHECK_RC(wirestate_result_message(WIRESTATE_RESULT_OK, NULL, 10, &n),
             WIRESTATE_RESULT_NULL_PARAMETER);
    CHECK_RC(wirestate_result_message(WIRESTATE_RESULT_OK, buf, sizeof buf, NULL),
             WIRESTATE_RESULT_NULL_PARAMETER);
    CHECK_OK(wirestate_result_message(99, buf, sizeof buf, &n));
    CHECK_BYTES(buf, n, "unknown result code");

    return check_report();
}
