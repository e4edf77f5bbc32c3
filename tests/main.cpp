// GoogleTest driver. libsystemc.so defines main() and calls sc_main(); linking gtest_main as well
// would let either main win and can run zero tests with exit code 0.
#include <gtest/gtest.h>

#include <systemc>

int sc_main(int argc, char** argv) {
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
