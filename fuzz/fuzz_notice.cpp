// libFuzzer's entry for the notice target; the harness is fuzz/harness_notice.h,
// which tests/fuzz/ also runs on the regression inputs and the seed corpus.
#include "fuzz/harness_notice.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return jr_fuzz::run_notice(data, size);
}
