// The checks shared by the C++ test programs in cpp/tests (one program per file, built and run
// under ASan/UBSan by `make cpp-test`). A failed CHECK prints its file, line and condition and
// the program carries on, so that one run reports every failure; check_summary() prints the
// outcome and gives the exit status. No framework: the programs must build with g++ alone.
#pragma once

#include <cstdio>
#include <exception>

namespace topolayer_test {

inline int& failures() {
    static int count = 0;
    return count;
}

inline void check_failed(const char* file, int line, const char* condition) {
    std::fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, condition);
    ++failures();
}

// Whether fn() throws an E. Any other exception escapes, which ends the program: a test that
// expects std::invalid_argument must not pass on some other error.
template <class E = std::exception, class Fn>
bool throws(Fn&& fn) {
    try {
        fn();
    } catch (const E&) {
        return true;
    }
    return false;
}

// Prints the outcome of the program `name`; the exit status: 0 if every check passed, else 1.
inline int check_summary(const char* name) {
    if (failures() > 0) {
        std::fprintf(stderr, "%s: %d check(s) failed\n", name, failures());
        return 1;
    }
    std::printf("%s: all checks passed\n", name);
    return 0;
}

}  // namespace topolayer_test

#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) ::topolayer_test::check_failed(__FILE__, __LINE__, #cond);                                        \
    } while (0)
