// libnpusim_onnx.so's entry point (sim/plugins.h).
#include "../plugins.h"

extern "C" const npu::OnnxApi* npusim_onnx_api() {
  static const npu::OnnxApi api = {npu::kPluginLayout, NPUSIM_VERSION, &npu::import_onnx};
  return &api;
}
