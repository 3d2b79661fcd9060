// libFuzzer's entry for the loader target; the harness is fuzz/harness_loader.h,
// which tests/fuzz/ also runs on the regression inputs and the seed corpus.
#include "fuzz/harness_loader.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return jr_fuzz::run_loader(data, size);
}
