#!/usr/bin/env python3
"""Writes npusim op traces (configs/SCHEMA.md) of three CNNs at batch 1.

  scripts/gen_cnn_traces.py resnet50 [--weights int8] [--activations int8] [-o FILE]
  scripts/gen_cnn_traces.py mobilenetv2 --weights fp16 --activations fp16 -o /tmp/mnv2-fp16.yaml
  scripts/gen_cnn_traces.py yolov3-tiny --weights int8 --activations fp16      # w8a16, to stdout
  scripts/gen_cnn_traces.py resnet50 --onchip-kib 2048 -o /tmp/r50-onchip.yaml  # hexagon-v75's N
  scripts/gen_cnn_traces.py --all configs/traces                               # the shipped int8 set

Networks (layer lists written out below, from their reference sources):
  resnet50     torchvision.models.resnet50 (ResNet-50 v1.5: the stride of a downsampling block is
               on its 3x3 conv), 224 x 224 x 3
  mobilenetv2  torchvision.models.mobilenet_v2 (width 1.0), 224 x 224 x 3
  yolov3-tiny  pjreddie/darknet cfg/yolov3-tiny.cfg, 416 x 416 x 3

What an op stands for: every conv (with its batch norm folded into the weights and bias, and its
activation - ReLU, ReLU6, leaky ReLU - applied as the outputs leave the accumulators: fused, no
op of its own) is a conv2d; pools are maxpool/avgpool; residual adds are add ops (the ReLU after
ResNet's add fused into it); a classifier is a gemm of one row. Not written: YOLO's route
(concatenation: free when the producers write into one buffer), upsample (nearest, 2x) and the
yolo detection layers (decoded on the CPU).

Where activations live (--onchip-kib N; default 0): with N = 0 every tensor starts and ends in
DRAM, each op reading its input from DRAM and writing its output back. With N > 0 an activation
tensor stays on chip when it fits: its producer writes it with `c: sram` and every consumer reads
it with `a: sram` (`b: sram` for an add's second input), so it costs no DRAM traffic. The rule is
sound for a tensor read later (ResNet's and MobileNetV2's skip connections, YOLOv3-tiny's conv13
output read by two convs): a tensor is live from its producer to its last consumer, and it stays on
chip only if at every op of that span the on-chip tensors live there, it included, total at most
N KiB. Tensors are placed greedily in the order they are produced (earlier ones first). The
network input, the outputs (classifier, yolo heads) and tensors an unmodelled layer reads (YOLO's
route and upsample) stay in DRAM; weights are always read from DRAM.

Which N: N = cores x core.sram.output_kib of the chip (hexagon-v73/v75/v79: 2048, intel-npu-3720:
2 x 400 = 800, intel-npu-4: 6 x 287 = 1722, ane-m1: 512, ane-m4: 1024, example-npu: 4 x 512 =
2048). An assumption, and the budget `npusim run --model` gives standard attention's on-chip
scores (RunSpec::onchip_bytes): the engine does not take resident tensors out of the tile
buffers, so N is the part of the SRAM left when the double-buffered input and weight tiles have
theirs (size_kib - input_kib - weight_kib, which is output_kib on every preset), the output
buffer a compiler would hold a layer's result in. It ignores that the accumulator tiles also use
that buffer and that on a multi-core chip a tensor is split over the cores' SRAMs (a core may
read another's part).

Python 3 standard library only.
"""
import argparse
import os
import sys

FORMATS = ("int4", "int8", "int16", "fp8", "fp16", "bf16")

# Published MAC counts (batch 1) the generated traces are checked against (tests/test_conv.cpp):
# torchvision's model tables list 4.09 GFLOPS for resnet50 and 0.30 for mobilenet_v2 (counted as
# multiply-accumulates); the MobileNetV2 paper (Sandler et al. 2018, table 4) gives 300M
# multiply-adds; darknet prints 5.56 BFLOPs for yolov3-tiny at 416 (2 FLOPs per MAC: 2.78 GMACs).
PUBLISHED = {
    "resnet50": (4.09e9, "torchvision resnet50: 4.09 GFLOPS (MACs)"),
    "mobilenetv2": (300e6, "MobileNetV2 paper, table 4 / torchvision: 300 M multiply-adds"),
    "yolov3-tiny": (2.78e9, "darknet: 5.56 BFLOPs at 416 = 2.78 GMACs"),
}

SOURCES = {
    "resnet50": "torchvision/models/resnet.py (pytorch/vision): Bottleneck blocks [3, 4, 6, 3], "
    "expansion 4, stride on conv2 (3x3) = ResNet v1.5",
    "mobilenetv2": "torchvision/models/mobilenetv2.py (pytorch/vision): inverted_residual_setting "
    "t,c,n,s = [1,16,1,1] [6,24,2,2] [6,32,3,2] [6,64,4,2] [6,96,3,1] [6,160,3,2] [6,320,1,1], "
    "width_mult 1.0, last_channel 1280",
    "yolov3-tiny": "cfg/yolov3-tiny.cfg (pjreddie/darknet), width = height = 416",
}


# Bytes per element, times 2 (int4 packs two to a byte).
HALF_BYTES = {"int4": 1, "int8": 2, "int16": 4, "fp8": 2, "fp16": 4, "bf16": 4}


def out_size(x, k, stride, pad):
    return (x + 2 * pad - k) // stride + 1


class Tensor(tuple):
    """The (h, w, c) of an activation and the index of the tensor it is in Net.tensors (None: the
    network input, or a tensor no op writes, such as YOLO's concatenation)."""

    def __new__(cls, hwc, tid=None):
        t = super().__new__(cls, hwc)
        t.tid = tid
        return t


class Net:
    """Ops of one network, with the shape of the tensor flowing through."""

    def __init__(self, name, w, a):
        self.name, self.wf, self.af = name, w, a
        self.ops = []
        self.macs = 0
        # Per tensor: bytes, the op writing it, the (op, key) pairs reading it, and whether it
        # must be in DRAM (read by a layer that is not an op).
        self.tensors = []

    def _read(self, x, key):
        if key == "a":
            self.ops[-1]["_a"] = x[0] * x[1] * x[2]  # elements of A (dropped when written)
        if isinstance(x, Tensor) and x.tid is not None:
            self.tensors[x.tid]["readers"].append((len(self.ops) - 1, key))

    def _write(self, hwc):
        h, w, c = hwc
        self.ops[-1]["_c"] = h * w * c
        self.tensors.append({"bytes": (h * w * c * HALF_BYTES[self.af] + 1) // 2,
                             "writer": len(self.ops) - 1, "readers": [], "dram": False})
        return Tensor(hwc, len(self.tensors) - 1)

    def to_dram(self, x):
        """x is read by a layer that is not an op (YOLO's route, upsample): it goes to DRAM."""
        self.tensors[x.tid]["dram"] = True

    def _formats(self, weights):
        # `format` sets all three; a_format/b_format/c_format override one each.
        if weights and self.wf != self.af:
            return {"format": self.af, "b_format": self.wf}
        return {"format": self.af}

    def conv(self, name, hwc, f, k, stride=1, pad=None, groups=1, layer="", cls="conv"):
        h, w, c = hwc
        pad = k // 2 if pad is None else pad
        oh, ow = out_size(h, k, stride, pad), out_size(w, k, stride, pad)
        op = {"name": name, "kind": "conv2d", "h": h, "w": w, "channels": c, "filters": f,
              "r": k, "s": k}
        if stride != 1:
            op["stride"] = stride
        if pad:
            op["pad"] = pad
        if groups != 1:
            op["groups"] = groups
        op.update(self._formats(True))
        op.update({"layer": layer, "class": cls})
        self.ops.append(op)
        self._read(hwc, "a")
        self.macs += oh * ow * f * k * k * (c // groups)
        return self._write((oh, ow, f))

    def pool(self, kind, name, hwc, k, stride, pad=0, layer="", cls="pool"):
        h, w, c = hwc
        op = {"name": name, "kind": kind, "h": h, "w": w, "channels": c, "r": k, "s": k}
        if stride != 1:
            op["stride"] = stride
        if pad:
            op["pad"] = pad
        op.update(self._formats(False))
        op.update({"layer": layer, "class": cls})
        self.ops.append(op)
        self._read(hwc, "a")
        return self._write((out_size(h, k, stride, pad), out_size(w, k, stride, pad), c))

    def add(self, name, hwc, skip, layer=""):
        """hwc + skip (A the block's last conv, B the skip connection)."""
        h, w, c = hwc
        assert tuple(skip) == (h, w, c)
        op = {"name": name, "kind": "add", "rows": h * w, "cols": c}
        op.update(self._formats(False))
        op.update({"layer": layer, "class": "residual"})
        self.ops.append(op)
        self._read(hwc, "a")
        self._read(skip, "b")
        return self._write(hwc)

    def fc(self, name, x, n, layer=""):
        k = x[0] * x[1] * x[2]
        op = {"name": name, "kind": "gemm", "m": 1, "k": k, "n": n}
        op.update(self._formats(True))
        op.update({"layer": layer, "class": "fc"})
        self.ops.append(op)
        self._read(x, "a")
        self.macs += k * n
        return self._write((1, 1, n))

    def edges(self):
        """The graph, as the compiler reads it: `a_from` / `b_from` name the op that wrote an
        input, unless it is the previous op's result (a trace's default for A); `a_from: none`
        where the previous op's result has A's size but A is the network input or a tensor an
        unmodelled layer wrote (YOLO's route: read from DRAM)."""
        writer = {}  # (op, key) -> the op that wrote that input
        for t in self.tensors:
            if not t["dram"]:
                for i, key in t["readers"]:
                    writer[(i, key)] = t["writer"]
        for i, op in enumerate(self.ops):
            w = writer.get((i, "a"))
            if w is not None and w != i - 1:
                op["a_from"] = self.ops[w]["name"]
            elif w is None and i > 0 and self.ops[i - 1]["_c"] == op["_a"]:
                op["a_from"] = "none"
            if (i, "b") in writer:
                op["b_from"] = self.ops[writer[(i, "b")]]["name"]

    def place(self, onchip_kib):
        """Marks the tensors that stay on chip (module docstring); returns (tensors, bytes) kept."""
        budget = onchip_kib * 1024
        live = [0] * len(self.ops)  # bytes on chip while each op runs
        kept = kept_bytes = 0
        for t in self.tensors:
            if t["dram"] or not t["readers"] or t["bytes"] > budget:
                continue
            span = range(t["writer"], max(i for i, _ in t["readers"]) + 1)
            if any(live[i] + t["bytes"] > budget for i in span):
                continue
            for i in span:
                live[i] += t["bytes"]
            self.ops[t["writer"]]["c"] = "sram"
            for i, key in t["readers"]:
                self.ops[i][key] = "sram"
            kept, kept_bytes = kept + 1, kept_bytes + t["bytes"]
        assert max(live, default=0) <= budget
        return kept, kept_bytes


def resnet50(net):
    x = net.conv("conv1", (224, 224, 3), 64, 7, stride=2, pad=3, layer="stem")
    x = net.pool("maxpool", "maxpool", x, 3, 2, pad=1, layer="stem")
    inplanes = 64
    for li, (planes, blocks, stride) in enumerate([(64, 3, 1), (128, 4, 2), (256, 6, 2),
                                                   (512, 3, 2)], start=1):
        for b in range(blocks):
            s = stride if b == 0 else 1
            tag = "layer%d.%d" % (li, b)
            y = net.conv(tag + ".conv1", x, planes, 1, layer=tag)
            y = net.conv(tag + ".conv2", y, planes, 3, stride=s, layer=tag)  # v1.5: stride here
            y = net.conv(tag + ".conv3", y, planes * 4, 1, layer=tag)
            skip = x
            if b == 0 and (s != 1 or inplanes != planes * 4):
                skip = net.conv(tag + ".downsample", x, planes * 4, 1, stride=s, layer=tag)
            x, inplanes = net.add(tag + ".add", y, skip, layer=tag), planes * 4
    x = net.pool("avgpool", "avgpool", x, x[0], 1, layer="head")  # global: 7 x 7 -> 1 x 1
    net.fc("fc", x, 1000, layer="head")


def mobilenetv2(net):
    x = net.conv("features.0", (224, 224, 3), 32, 3, stride=2, layer="features.0")
    inp, i = 32, 1
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                       (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]:
        for j in range(n):
            stride = s if j == 0 else 1
            tag = "features.%d" % i
            hidden = int(round(inp * t))
            y = x
            if t != 1:
                y = net.conv(tag + ".expand", y, hidden, 1, layer=tag)
            y = net.conv(tag + ".dw", y, hidden, 3, stride=stride, groups=hidden, layer=tag,
                         cls="depthwise")
            y = net.conv(tag + ".project", y, c, 1, layer=tag)
            if stride == 1 and inp == c:
                y = net.add(tag + ".add", y, x, layer=tag)
            x, inp, i = y, c, i + 1
    x = net.conv("features.18", x, 1280, 1, layer="features.18")
    x = net.pool("avgpool", "avgpool", x, x[0], 1, layer="head")
    net.fc("classifier", x, 1000, layer="head")


def yolov3_tiny(net):
    # Layer numbers as darknet prints them. Convs: size 3 or 1, pad=1 (= size / 2), leaky ReLU
    # (the two before the yolo layers are linear), batch norm folded.
    x = (416, 416, 3)
    for i, f in [(0, 16), (2, 32), (4, 64), (6, 128), (8, 256)]:
        x = net.conv("conv%d" % i, x, f, 3, layer=str(i))
        if i == 8:
            route8 = x
        x = net.pool("maxpool", "maxpool%d" % (i + 1), x, 2, 2, layer=str(i + 1))
    x = net.conv("conv10", x, 512, 3, layer="10")
    # Layer 11, maxpool size 2 stride 1: darknet pads one row and column at the bottom and right
    # only (padding = size - 1, offset -padding/2 = 0), keeping 13 x 13. The symmetric `pad`
    # cannot say that; the op reads the padded 14 x 14 input (13 x 13 outputs, as darknet).
    h, w, c = x
    x = net.pool("maxpool", "maxpool11", Tensor((h + 1, w + 1, c), x.tid), 2, 1, layer="11")
    x = net.conv("conv12", x, 1024, 3, layer="12")
    x13 = net.conv("conv13", x, 256, 1, layer="13")
    x = net.conv("conv14", x13, 512, 3, layer="14")
    net.conv("conv15", x, 255, 1, layer="15", cls="head")  # linear; layer 16: yolo (not an op)
    # 17: route -4 (conv13's output); 19: upsample 2x; 20: route -1, 8 (concatenation)
    y = net.conv("conv18", x13, 128, 1, layer="18")
    net.to_dram(y)  # read by the upsample, which is not an op
    net.to_dram(route8)  # read by the route (concatenation) into conv21's input
    y = (y[0] * 2, y[1] * 2, y[2] + route8[2])  # 26 x 26 x (128 + 256), in DRAM
    y = net.conv("conv21", y, 256, 3, layer="21")
    net.conv("conv22", y, 255, 1, layer="22", cls="head")  # linear; layer 23: yolo


NETWORKS = {"resnet50": resnet50, "mobilenetv2": mobilenetv2, "yolov3-tiny": yolov3_tiny}
TITLES = {"resnet50": "ResNet-50 v1.5", "mobilenetv2": "MobileNetV2 1.0",
          "yolov3-tiny": "YOLOv3-tiny"}
INPUTS = {"resnet50": "224 x 224 x 3", "mobilenetv2": "224 x 224 x 3",
          "yolov3-tiny": "416 x 416 x 3"}


def scalar(v):
    return str(v)


def render(network, weights, activations, command, onchip_kib=0):
    net = Net(network, weights, activations)
    NETWORKS[network](net)
    kept, kept_bytes = net.place(onchip_kib) if onchip_kib else (0, 0)
    net.edges()
    published, where = PUBLISHED[network]
    diff = (net.macs - published) / published * 100
    fmt = "int8" if weights == activations == "int8" else "w-%s a-%s" % (weights, activations)
    lines = [
        "# %s, batch 1, %s input, weights %s, activations %s. Generated by" % (
            TITLES[network], INPUTS[network], weights, activations),
        "# `%s`; do not edit by hand." % command,
        "# Layers: %s." % SOURCES[network],
        "# MACs: %s (%.3f G) against the published %.3f G (%s): %+.2f %%." % (
            "{:,}".format(net.macs), net.macs / 1e9, published / 1e9, where, diff),
        "# Batch norm folded into the convs; ReLU / ReLU6 / leaky ReLU fused into the conv (or add)",
        "# that produces them. Depthwise convs (groups = channels = filters) run on the vector unit.",
        "# Schema: configs/SCHEMA.md. Ops: %d." % len(net.ops),
    ]
    if onchip_kib:
        lines += [
            "# On chip (--onchip-kib %d): %d of the %d activation tensors (%.2f of %.2f MiB) stay in"
            % (onchip_kib, kept, len(net.tensors), kept_bytes / 2**20,
               sum(t["bytes"] for t in net.tensors) / 2**20),
            "# SRAM, written with c: sram and read with a: sram (b: sram, an add's skip input);",
            "# at most %d KiB of them live at any op. The rest, the input and the outputs: DRAM."
            % onchip_kib,
        ]
    if network == "yolov3-tiny":
        lines += [
            "# Not ops: route (concatenation, free), upsample (layer 19: 26 x 26 x 128 written;",
            "# under 0.5 % of the traffic) and the two yolo layers (decoded on the CPU). maxpool11",
            "# reads a 14 x 14 input: darknet's one-sided padding of its 2x2 stride-1 pool.",
        ]
    lines += ["name: %s" % network, "description: %s %s, %s" % (TITLES[network], INPUTS[network], fmt),
              "ops:"]
    for op in net.ops:
        # Locations (a, b, c) after the formats, before the tags.
        tail = ("a", "b", "c", "a_from", "b_from", "layer", "class")
        keys = [k for k in op if k not in tail and not k.startswith("_")]
        keys += [k for k in tail if k in op]
        fields = ", ".join("%s: %s" % (k, scalar(op[k])) for k in keys if op[k] != "")
        lines.append("  - {%s}" % fields)
    return "\n".join(lines) + "\n", net.macs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("network", nargs="?", choices=sorted(NETWORKS))
    ap.add_argument("--weights", default="int8", choices=FORMATS)
    ap.add_argument("--activations", default="int8", choices=FORMATS)
    ap.add_argument("-o", "--out", help="output file (default: stdout)")
    ap.add_argument("--onchip-kib", type=int, default=0, metavar="N",
                    help="keep an activation tensor on chip (c: sram at its producer, a/b: sram "
                    "at its consumers) when it and the tensors live with it fit in N KiB at every "
                    "op it spans; the input, the outputs and weights stay in DRAM. Default 0: "
                    "every tensor through DRAM (the shipped traces). Pass the chip's cores x "
                    "core.sram.output_kib: the SRAM the double-buffered input and weight tiles "
                    "leave, the budget npusim gives standard attention's on-chip scores (an "
                    "assumption): hexagon-v73/v75/v79 2048, intel-npu-3720 800, intel-npu-4 1722, "
                    "ane-m1 512, ane-m4 1024, example-npu 2048")
    ap.add_argument("--all", metavar="DIR",
                    help="write the shipped int8 traces (resnet50.yaml, mobilenetv2.yaml, "
                    "yolov3-tiny.yaml) into DIR")
    args = ap.parse_args()
    if args.all:
        for network in sorted(NETWORKS):
            text, _ = render(network, "int8", "int8",
                             "scripts/gen_cnn_traces.py %s -o configs/traces/%s.yaml" % (
                                 network, network))
            with open(os.path.join(args.all, network + ".yaml"), "w") as f:
                f.write(text)
        return 0
    if not args.network:
        ap.error("give a network (or --all DIR)")
    if args.onchip_kib < 0:
        ap.error("--onchip-kib must be 0 or more")
    command = "scripts/gen_cnn_traces.py %s --weights %s --activations %s" % (
        args.network, args.weights, args.activations)
    if args.onchip_kib:
        command += " --onchip-kib %d" % args.onchip_kib
    if args.out:
        command += " -o " + args.out
    text, _ = render(args.network, args.weights, args.activations, command, args.onchip_kib)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
