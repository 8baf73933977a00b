"""Turns a TensorFlow.js graph model (``model.json`` plus its weight shards) into ONNX.

Only the operations that the object detector's network uses are translated (convolutions,
depthwise convolutions with their fused bias and activation, element-wise arithmetic,
means, concatenation, bilinear resizing, activations). The TF.js graph is NHWC; the ONNX
graph is NCHW inside, with the input and outputs transposed back to NHWC at its edges so
that callers see the shapes the model's signature names. Nodes whose inputs are all
constants are folded here with numpy. The conversion runs in memory when the detector loads:
nothing is written to disk.

Why not a maintained converter: ``tensorflowjs`` and ``tf2onnx`` both need all of TensorFlow
(hundreds of MB) at run time or at install, to read a graph of about twenty operation kinds;
the detector's only new dependency is ``onnx``, which builds the graph OpenCV's DNN runs.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import numpy as np

_DTYPES = {"float32": np.float32, "int32": np.int32, "float16": np.float16, "uint8": np.uint8,
           "bool": np.bool_}


class UnsupportedGraph(ValueError):
    """The graph uses an operation or layout this translator does not handle."""


def load_weights(model_dir: Path, manifest: list[dict[str, Any]]) -> dict[str, np.ndarray]:
    """Weights by name from the shards listed in ``weightsManifest`` (float16 expanded)."""
    weights: dict[str, np.ndarray] = {}
    for group in manifest:
        data = b"".join((model_dir / path).read_bytes() for path in group["paths"])
        offset = 0
        for spec in group["weights"]:
            shape = [int(d) for d in spec["shape"]]
            count = int(np.prod(shape)) if shape else 1
            quant = spec.get("quantization")
            stored = np.dtype(_DTYPES[quant["dtype"] if quant else spec["dtype"]])
            size = count * stored.itemsize
            array = np.frombuffer(data, dtype=stored, count=count, offset=offset).reshape(shape)
            offset += size
            if quant and "scale" in quant:  # affine uint8/uint16 quantization
                array = array.astype(np.float32) * quant["scale"] + quant["min"]
            weights[spec["name"]] = array.astype(_DTYPES[spec["dtype"]])
    return weights


def _attr_s(node: dict[str, Any], key: str) -> str:
    raw = node.get("attr", {}).get(key, {}).get("s", "")
    return base64.b64decode(raw).decode() if raw else ""


def _attr_ints(node: dict[str, Any], key: str) -> list[int]:
    return [int(i) for i in node.get("attr", {}).get(key, {}).get("list", {}).get("i", [])]


def _fused_ops(node: dict[str, Any]) -> list[str]:
    listed = node.get("attr", {}).get("fused_ops", {}).get("list", {}).get("s", [])
    return [base64.b64decode(s).decode() for s in listed]


class _Builder:
    def __init__(self, weights: dict[str, np.ndarray]) -> None:
        import onnx  # imported here: only the model detector needs it

        self.onnx = onnx
        self.helper = onnx.helper
        self.nodes: list[Any] = []
        self.initializers: list[Any] = []
        self.consts: dict[str, np.ndarray] = dict(weights)
        self.tensors: set[str] = set()  # names of non-constant tensors in NCHW (or rank < 4)
        self._count = 0

    def fresh(self, hint: str) -> str:
        self._count += 1
        return f"{hint}__{self._count}"

    def initializer(self, array: np.ndarray, hint: str) -> str:
        name = self.fresh(hint)
        self.initializers.append(self.onnx.numpy_helper.from_array(np.ascontiguousarray(array),
                                                                   name))
        return name

    def add(self, op: str, inputs: list[str], output: str, **attrs: Any) -> str:
        self.nodes.append(self.helper.make_node(op, inputs, [output], **attrs))
        self.tensors.add(output)
        return output

    def operand(self, name: str, hint: str) -> str:
        """An input of an element-wise op: a tensor, or a constant laid out for NCHW."""
        if name in self.tensors:
            return name
        value = self.consts[name].astype(np.float32)
        if value.ndim == 1 and value.size > 1:  # per-channel vector of an NHWC tensor
            value = value.reshape(1, -1, 1, 1)
        elif value.ndim == 4:
            value = value.transpose(0, 3, 1, 2)
        return self.initializer(value, hint)


def _ref(name: str) -> str:
    name = name.lstrip("^")
    return name[:-2] if name.endswith(":0") else name


def _conv(b: _Builder, node: dict[str, Any], inputs: list[str], depthwise: bool) -> None:
    if _attr_s(node, "data_format") not in ("", "NHWC"):
        raise UnsupportedGraph(f"{node['name']}: data_format {_attr_s(node, 'data_format')}")
    padding = _attr_s(node, "padding")
    if padding not in ("SAME", "VALID"):
        raise UnsupportedGraph(f"{node['name']}: padding {padding}")
    kernel = b.consts[inputs[1]].astype(np.float32)  # H, W, in, out (or in, multiplier)
    height, width, channels, out = kernel.shape
    if depthwise:
        weight = kernel.reshape(height, width, channels * out).transpose(2, 0, 1)[:, None]
        group = channels
    else:
        weight = kernel.transpose(3, 2, 0, 1)
        group = 1
    strides = _attr_ints(node, "strides")[1:3] or [1, 1]
    dilations = _attr_ints(node, "dilations")[1:3] or [1, 1]
    conv_inputs = [inputs[0], b.initializer(weight, node["name"] + "/w")]
    fused = _fused_ops(node)
    if fused and fused[0] == "BiasAdd":
        conv_inputs.append(b.initializer(b.consts[inputs[2]].astype(np.float32),
                                         node["name"] + "/b"))
        fused = fused[1:]
    elif fused:
        raise UnsupportedGraph(f"{node['name']}: fused ops {fused}")
    out_name = node["name"] if not fused else b.fresh(node["name"])
    b.add("Conv", conv_inputs, out_name, kernel_shape=[height, width], strides=strides,
          dilations=dilations, group=group,
          auto_pad="SAME_UPPER" if padding == "SAME" else "VALID")
    for i, op in enumerate(fused):
        target = node["name"] if i == len(fused) - 1 else b.fresh(node["name"])
        _activation(b, op, out_name, target)
        out_name = target


def _activation(b: _Builder, op: str, source: str, target: str) -> None:
    if op == "Relu":
        b.add("Relu", [source], target)
    elif op == "Relu6":
        zero = b.initializer(np.array(0.0, np.float32), "zero")
        six = b.initializer(np.array(6.0, np.float32), "six")
        b.add("Clip", [source, zero, six], target)
    elif op == "Sigmoid":
        b.add("Sigmoid", [source], target)
    else:
        raise UnsupportedGraph(f"activation {op}")


_NHWC_TO_NCHW_AXIS = {0: 0, 1: 2, 2: 3, 3: 1, -1: 1}


def _node(b: _Builder, node: dict[str, Any]) -> None:
    op, name = node["op"], node["name"]
    inputs = [_ref(i) for i in node.get("input", []) if not i.startswith("^")]
    if op == "Const":
        return
    if all(i in b.consts for i in inputs) and inputs:
        b.consts[name] = _fold(op, [b.consts[i] for i in inputs])
        return
    if op in ("_FusedConv2D", "Conv2D"):
        _conv(b, node, inputs, depthwise=False)
    elif op in ("FusedDepthwiseConv2dNative", "DepthwiseConv2dNative"):
        _conv(b, node, inputs, depthwise=True)
    elif op in ("Add", "AddV2", "Mul", "Sub"):
        onnx_op = {"Add": "Add", "AddV2": "Add", "Mul": "Mul", "Sub": "Sub"}[op]
        b.add(onnx_op, [b.operand(inputs[0], name + "/a"), b.operand(inputs[1], name + "/b")],
              name)
    elif op in ("Relu", "Relu6", "Sigmoid"):
        _activation(b, op, inputs[0], name)
    elif op == "Identity":
        b.add("Identity", [inputs[0]], name)
    elif op == "Mean":
        axes = [_NHWC_TO_NCHW_AXIS[int(a)] for a in np.ravel(b.consts[inputs[1]])]
        keep = node.get("attr", {}).get("keep_dims", {}).get("b", False)
        if not keep:
            raise UnsupportedGraph(f"{name}: Mean without keep_dims")
        b.add("ReduceMean", [inputs[0]], name, axes=sorted(axes), keepdims=1)
    elif op == "ConcatV2":
        axis = _NHWC_TO_NCHW_AXIS[int(b.consts[inputs[-1]])]
        b.add("Concat", inputs[:-1], name, axis=axis)
    elif op == "ResizeBilinear":
        attrs = node.get("attr", {})
        if attrs.get("align_corners", {}).get("b", False):
            mode = "align_corners"
        elif attrs.get("half_pixel_centers", {}).get("b", False):
            mode = "half_pixel"
        else:
            mode = "asymmetric"
        size = np.ravel(b.consts[inputs[1]]).astype(np.int64)
        shape = b.fresh(name + "/shape")
        b.add("Shape", [inputs[0]], shape)
        head = b.fresh(name + "/head")
        start = b.initializer(np.array([0], np.int64), name + "/start")
        stop = b.initializer(np.array([2], np.int64), name + "/stop")
        b.add("Slice", [shape, start, stop], head)
        tail = b.initializer(size, name + "/tail")
        full = b.fresh(name + "/full")
        b.add("Concat", [head, tail], full, axis=0)
        b.add("Resize", [inputs[0], "", "", full], name, mode="linear",
              coordinate_transformation_mode=mode)
    elif op == "MaxPool":
        ksize = _attr_ints(node, "ksize")[1:3]
        strides = _attr_ints(node, "strides")[1:3]
        padding = _attr_s(node, "padding")
        b.add("MaxPool", [inputs[0]], name, kernel_shape=ksize, strides=strides,
              auto_pad="SAME_UPPER" if padding == "SAME" else "VALID")
    else:
        raise UnsupportedGraph(f"{name}: operation {op} is not translated")


def _fold(op: str, values: list[np.ndarray]) -> np.ndarray:
    if op in ("Mul",):
        return np.asarray(values[0] * values[1])
    if op in ("Add", "AddV2"):
        return np.asarray(values[0] + values[1])
    if op == "Sub":
        return np.asarray(values[0] - values[1])
    if op == "Identity":
        return values[0]
    if op == "Cast":
        return values[0].astype(np.float32)
    raise UnsupportedGraph(f"constant folding of {op}")


def convert(model_json: Path, outputs: list[str]) -> bytes:
    """ONNX bytes computing ``outputs`` (NHWC, as in the TF.js signature) of the graph model."""
    import onnx

    spec = json.loads(model_json.read_text())
    if spec.get("format") != "graph-model":
        raise UnsupportedGraph(f"{model_json}: not a TF.js graph model")
    weights = load_weights(model_json.parent, spec["weightsManifest"])
    nodes = spec["modelTopology"]["node"]
    by_name = {n["name"]: n for n in nodes}
    needed: set[str] = set()
    stack = list(outputs)
    while stack:
        name = stack.pop()
        if name in needed:
            continue
        needed.add(name)
        stack.extend(_ref(i) for i in by_name[name].get("input", []) if not i.startswith("^"))
    b = _Builder(weights)
    graph_inputs = []
    for node in nodes:  # TF.js lists nodes in topological order
        if node["name"] not in needed:
            continue
        if node["op"] == "Placeholder":
            dims = [int(d["size"]) for d in node["attr"]["shape"]["shape"]["dim"]]
            graph_inputs.append(onnx.helper.make_tensor_value_info(
                node["name"], onnx.TensorProto.FLOAT, dims))
            inner = node["name"] + "/nchw"
            b.add("Transpose", [node["name"]], inner, perm=[0, 3, 1, 2])
            for other in nodes:  # consumers read the NCHW copy
                other["input"] = [inner if _ref(i) == node["name"] else i
                                  for i in other.get("input", [])]
            continue
        _node(b, node)
    graph_outputs = []
    for name in outputs:
        out = name + "/nhwc"
        b.add("Transpose", [name], out, perm=[0, 2, 3, 1])
        graph_outputs.append(onnx.helper.make_tensor_value_info(out, onnx.TensorProto.FLOAT,
                                                                None))
    graph = onnx.helper.make_graph(b.nodes, model_json.stem, graph_inputs, graph_outputs,
                                   b.initializers)
    model = onnx.helper.make_model(graph, opset_imports=[onnx.helper.make_opsetid("", 17)])
    model.ir_version = 8
    return bytes(model.SerializeToString())
