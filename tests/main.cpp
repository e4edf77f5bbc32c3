// GoogleTest driver. libsystemc.so defines main() and calls sc_main(); linking gtest_main as well
// would let either main win and can run zero tests with exit code 0.
#include <gtest/gtest.h>

#include <systemc>

#include <cstdlib>

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}

// Our own main wins over libsystemc's; it silences the banner SystemC prints before sc_main.
int main(int argc, char** argv) {
  setenv("SYSTEMC_DISABLE_COPYRIGHT_MESSAGE", "1", 0);
  return sc_core::sc_elab_and_sim(argc, argv);
}
