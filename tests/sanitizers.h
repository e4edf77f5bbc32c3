// NPUSIM_ASAN is defined when the tests are built with AddressSanitizer (NPUSIM_SANITIZE=ON, gcc
// or clang): its shadow memory reserves terabytes of address space, so tests skip RLIMIT_AS then.
#pragma once

#if defined(__SANITIZE_ADDRESS__)
#define NPUSIM_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NPUSIM_ASAN 1
#endif
#endif
