// libFuzzer entry point for one target of fuzz_targets.h, chosen at build time by
// NPUSIM_FUZZ_TARGET (tests/fuzz/CMakeLists.txt builds one executable per target). A rejection
// is a normal outcome; anything escaping the target aborts, which libFuzzer reports as a crash
// and saves the input.
#include <systemc>

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "fuzz_targets.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  (void)npu::fuzz::NPUSIM_FUZZ_TARGET(input);
  return 0;
}

// libsystemc.so's main() calls sc_main(); libFuzzer's main() is the one that runs, so this stub
// only satisfies the link.
int sc_main(int, char**) {
  return 1;
}
