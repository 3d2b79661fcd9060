// libFuzzer's entry for the server target; the harness is fuzz/harness_server.h,
// which tests/fuzz/ also runs on the regression inputs and the seed corpus.
#include "fuzz/harness_server.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  return jr_fuzz::run_server(data, size);
}
