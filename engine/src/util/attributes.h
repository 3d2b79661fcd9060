// Compiler attributes the engine uses, in one place so that a build can turn
// them off.
#pragma once

// JR_FLATTEN: inline everything a hot function calls into it
// ([[gnu::flatten]], docs/performance.md). Under sanitizers (JR_SANITIZE,
// set by CMake for -DJR_SANITIZE=... and -DJR_FUZZ=ON) it is nothing: the
// instrumented, fully inlined simulator took more than 30 minutes of one core
// to compile, and a sanitizer's report is clearer with the calls kept.
#if defined(JR_SANITIZE)
#define JR_FLATTEN
#else
#define JR_FLATTEN [[gnu::flatten]]
#endif
