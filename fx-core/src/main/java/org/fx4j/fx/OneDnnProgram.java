package org.fx4j.fx;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.engine.PtNDArray;
import ai.djl.pytorch.engine.PtNDManager;
import ai.djl.pytorch.engine.PtSymbolBlock;
import ai.djl.pytorch.jni.IValue;
import ai.djl.pytorch.jni.IValueUtils;
import ai.djl.pytorch.jni.JniUtils;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.MethodHandles;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.fx4j.nn.Conv2d;
import org.fx4j.nn.F;
import org.fx4j.nn.Identity;
import org.fx4j.nn.MaxPool2d;
import org.fx4j.nn.ReLU;

/**
 * The beginning of an inference graph run in oneDNN's blocked memory layout: the longest leading part of the
 * evaluation graph made of convolutions (their norms folded), ReLU, max pooling, residual adds and identities
 * (all of a ResNet extractor; a detection backbone's body; a classifier up to its pooling), written as a
 * TorchScript program and loaded into DJL's libtorch. Convolutions run on oneDNN tensors with their weights
 * reordered once ({@link #pack}) instead of at every call, so their activations stay in oneDNN's layout from
 * one convolution to the next; what the rest of the graph or its outputs read comes back as ordinary (dense
 * NCHW) arrays. The operators are libtorch's own ({@code mkldnn_convolution}, {@code relu_}, {@code
 * max_pool2d} on oneDNN tensors, {@code add_} on dense ones), as {@code torch.utils.mkldnn.to_mkldnn} uses
 * them for a PyTorch model. The program holds no weights: the caller passes the packed weights to each run.
 *
 * <p>{@link #compile} fails where not even the first convolution can be in the program; such graphs run node
 * by node as before. Only float32 on the CPU (oneDNN's layout has no float64).
 */
final class OneDnnProgram {

    private static final String CLASS = "Fx4jOneDnnProgram";

    /** The convolutions, in program order: weight {@code 2k}, bias {@code 2k + 1} of the weight list. */
    private final List<Node> convolutions;

    /**
     * The adds the program writes into an operand read for the last time (in place where the operands' shapes
     * match at run time, out of place where one broadcasts).
     */
    private final Set<Node> inPlaceAdds;

    private final String source;
    private final int inputChannels;
    private volatile PtSymbolBlock module;

    /** The first node the program does not run (the rest of the graph runs node by node), or null. */
    private Node end;

    /** Why the program ends at {@link #end}, or null. */
    private String stopReason;

    /** The program's nodes whose values the rest of the graph or its outputs read; {@link #exportOf} per node. */
    private List<Node> exported;

    /** Per exported node, the index of its array in what {@link #run} returns (aliases share one). */
    private int[] exportOf;

    /** The program's operations in order, the node each graph node's value is, and the input (for {@link #accepts}). */
    private List<Node> body;
    private Map<Node, Node> sourceOf;
    private Node input;

    private OneDnnProgram(List<Node> convolutions, Set<Node> inPlaceAdds, String source, int inputChannels) {
        this.convolutions = convolutions;
        this.inPlaceAdds = inPlaceAdds;
        this.source = source;
        this.inputChannels = inputChannels;
    }

    /** Why a graph has no oneDNN program (for diagnostics and tests). */
    static final class Unsupported extends Exception {
        private static final long serialVersionUID = 1L;

        Unsupported(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * Writes the program of a graph's longest supported beginning: the nodes up to the first one outside the
     * program's operators (and before any convolution whose folded norm lies beyond it).
     *
     * @param graph the evaluation graph
     * @param foldedNorm per convolution node whose norm folds into it, that norm's node
     * @param hasBias per convolution node, whether the weights passed to it will include a bias
     * @return the program
     * @throws Unsupported where no convolution reading the input can be in the program, naming why
     */
    static OneDnnProgram compile(Graph graph, Map<Node, Node> foldedNorm, Map<Node, Boolean> hasBias)
            throws Unsupported {
        List<Node> inputs = graph.placeholders();
        if (inputs.size() != 1) {
            throw new Unsupported("the graph takes " + inputs.size() + " inputs, not one");
        }
        List<Node> nodes = new ArrayList<>();
        for (Node n : graph.nodes()) {
            if (n.op() != NodeOp.OUTPUT) {
                nodes.add(n);
            }
        }
        Map<Node, Integer> index = new IdentityHashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            index.put(nodes.get(i), i);
        }
        Map<Node, Node> normOf = new IdentityHashMap<>();
        foldedNorm.forEach((conv, norm) -> normOf.put(norm, conv));
        String[] why = new String[1];
        // What each node's value is: a folded norm or an Identity stands for its source.
        Map<Node, Node> source = new IdentityHashMap<>();
        int end = supportedPrefix(nodes, normOf, source, why);
        // A convolution whose norm falls outside would run folded and then be normalised again.
        boolean moved = true;
        while (moved) {
            moved = false;
            for (int i = 0; i < end; i++) {
                Node norm = foldedNorm.get(nodes.get(i));
                if (norm != null && index.get(norm) >= end) {
                    end = i;
                    why[0] = describe(nodes.get(i)) + "'s norm is outside the program";
                    moved = true;
                }
            }
        }
        // The operations (nodes before the end that are their own value, the input aside) and who reads them.
        List<Node> body = new ArrayList<>();
        Map<Node, List<Node>> readers = new IdentityHashMap<>();
        int inputChannels = -1;
        for (int i = 0; i < end; i++) {
            Node n = nodes.get(i);
            readers.put(n, new ArrayList<>());
            if (n.op() != NodeOp.PLACEHOLDER && source.get(n) == n) {
                for (Node in : n.inputNodes()) {
                    Node from = source.get(in);
                    if (n.callable() instanceof Conv2d && from.op() == NodeOp.PLACEHOLDER) {
                        inputChannels = ((Conv2d) n.callable()).getInChannels();
                    }
                    readers.get(from).add(n);
                }
                body.add(n);
            }
        }
        if (inputChannels < 0) {
            throw new Unsupported("no convolution reads the input before the program would stop"
                    + (end < nodes.size() ? " (" + why[0] + ")" : ""));
        }
        // What the rest of the graph needs: values read after the program, and the graph's outputs.
        Map<Node, Boolean> needed = new IdentityHashMap<>();
        for (int i = end; i < nodes.size(); i++) {
            for (Node in : nodes.get(i).inputNodes()) {
                if (index.get(in) < end) {
                    needed.put(in, true);
                }
            }
        }
        for (Node n : graph.outputNode().inputNodes()) {
            if (index.get(n) < end) {
                needed.put(n, true);
            }
        }
        List<Node> exported = new ArrayList<>();
        List<Node> exports = new ArrayList<>();
        for (int i = 0; i < end; i++) {
            Node n = nodes.get(i);
            if (needed.containsKey(n)) {
                exported.add(n); // the input itself (an Identity of it) is handed on by the caller
                if (source.get(n).op() != NodeOp.PLACEHOLDER && !exports.contains(source.get(n))) {
                    exports.add(source.get(n));
                }
            }
        }
        OneDnnProgram p = new Writer(body, source, readers, exports, hasBias, inputChannels).write();
        p.end = end < nodes.size() ? nodes.get(end) : null;
        p.stopReason = end < nodes.size() ? why[0] : null;
        p.exported = exported;
        p.body = body;
        p.sourceOf = source;
        p.input = inputs.get(0);
        p.exportOf = new int[exported.size()];
        for (int k = 0; k < exported.size(); k++) {
            p.exportOf[k] = exports.indexOf(source.get(exported.get(k))); // -1: the input
        }
        return p;
    }

    /**
     * The number of leading nodes the program can run, filling {@code source} with what each one's value is;
     * {@code why[0]} names the first other one.
     */
    private static int supportedPrefix(List<Node> nodes, Map<Node, Node> normOf, Map<Node, Node> source,
            String[] why) {
        for (int i = 0; i < nodes.size(); i++) {
            Node n = nodes.get(i);
            source.put(n, n);
            if (n.op() == NodeOp.PLACEHOLDER) {
                continue;
            }
            Object c = n.callable();
            boolean inside = true;
            for (Node in : n.inputNodes()) {
                inside &= source.containsKey(in);
            }
            if (n.outputCount() != 1 || !inside) {
                why[0] = describe(n) + (inside ? " has " + n.outputCount() + " outputs" : " reads a value made outside");
                return i;
            }
            if (n.op() == NodeOp.CALL_MODULE && normOf.containsKey(n)) {
                source.put(n, source.get(normOf.get(n)));
                continue;
            }
            if (n.op() == NodeOp.CALL_MODULE && c instanceof Identity && oneArray(n)) {
                source.put(n, source.get(n.inputNodes().get(0)));
                continue;
            }
            boolean supported = n.op() == NodeOp.CALL_MODULE && oneArray(n)
                    && (c instanceof Conv2d || c instanceof ReLU || c instanceof MaxPool2d)
                    || n.op() == NodeOp.CALL_FUNCTION && c == F.RELU && oneArray(n)
                    || n.op() == NodeOp.CALL_FUNCTION && c == F.ADD && n.args().size() == 2
                            && n.args().get(0) instanceof Node && n.args().get(1) instanceof Node
                            && source.get(n.args().get(0)) != source.get(n.args().get(1));
            if (!supported) {
                why[0] = describe(n) + " is outside the oneDNN program's operators";
                return i;
            }
        }
        return nodes.size();
    }

    /**
     * Writes the TorchScript of a checked graph. Convolutions, ReLUs and max pooling after a convolution stay
     * in oneDNN's blocked layout; residual adds run on dense arrays (oneDNN's own sum primitive divides by
     * the cache size it detects, which is zero on some virtual machines: SIGFPE); each value is converted
     * at most once per layout, where a reader needs it.
     */
    private static final class Writer {
        private final List<Node> body;
        private final Map<Node, Node> source;
        private final Map<Node, List<Node>> readers;
        private final List<Node> outputs;
        private final Map<Node, Boolean> hasBias;
        private final int inputChannels;
        /** Per value, its variable in the blocked layout and in the dense one (where it has been made). */
        private final Map<Node, String> blocked = new IdentityHashMap<>();
        private final Map<Node, String> dense = new IdentityHashMap<>();
        private final Map<Node, Integer> position = new IdentityHashMap<>();
        private final StringBuilder code = new StringBuilder();
        private final StringBuilder pack = new StringBuilder();
        private final List<Node> convs = new ArrayList<>();
        private final Set<Node> inPlace = Collections.newSetFromMap(new IdentityHashMap<>());
        private int variables;

        Writer(List<Node> body, Map<Node, Node> source, Map<Node, List<Node>> readers, List<Node> outputs,
                Map<Node, Boolean> hasBias, int inputChannels) {
            this.body = body;
            this.source = source;
            this.readers = readers;
            this.outputs = outputs;
            this.hasBias = hasBias;
            this.inputChannels = inputChannels;
        }

        OneDnnProgram write() {
            for (int i = 0; i < body.size(); i++) {
                position.put(body.get(i), i);
            }
            for (Map.Entry<Node, Node> e : source.entrySet()) {
                if (e.getValue().op() == NodeOp.PLACEHOLDER) {
                    dense.put(e.getValue(), "x");
                }
            }
            for (Node n : body) {
                write(n);
            }
            StringBuilder ret = new StringBuilder("    return [");
            for (int i = 0; i < outputs.size(); i++) {
                ret.append(i > 0 ? ", " : "").append(dense(outputs.get(i)));
            }
            ret.append("]\n");
            StringBuilder packed = new StringBuilder("    return [");
            for (int k = 0; k < convs.size(); k++) {
                packed.append(k > 0 ? ", " : "").append("p").append(k).append(", w[").append(2 * k + 1).append("]");
            }
            packed.append("]\n");
            String text = "class " + CLASS + "(Module):\n"
                    + "  __parameters__ = []\n"
                    + "  __buffers__ = []\n"
                    + "  training : bool\n"
                    + "  def forward(self: __torch__." + CLASS + ",\n"
                    + "    x: Tensor,\n"
                    + "    w: List[Tensor]) -> List[Tensor]:\n"
                    + code + ret
                    + "  def pack(self: __torch__." + CLASS + ",\n"
                    + "    w: List[Tensor]) -> List[Tensor]:\n"
                    + pack + packed;
            return new OneDnnProgram(convs, inPlace, text, inputChannels);
        }

        private String fresh() {
            return "v" + variables++;
        }

        /** The value's blocked variable, converted from its dense one at first need. */
        private String blocked(Node n) {
            return converted(n, blocked, dense, "torch.to_mkldnn");
        }

        /** The value's dense variable, converted from its blocked one at first need. */
        private String dense(Node n) {
            return converted(n, dense, blocked, "torch.to_dense");
        }

        private String converted(Node n, Map<Node, String> wanted, Map<Node, String> made, String conversion) {
            Node from = source.get(n);
            String v = wanted.get(from);
            if (v == null) {
                v = fresh();
                code.append("    ").append(v).append(" = ").append(conversion).append("(").append(made.get(from))
                        .append(")\n");
                wanted.put(from, v);
            }
            return v;
        }

        /**
         * Whether the operation {@code at} may write into a value: it is the value's last reader, and the value
         * is neither an output nor the caller's input. A value's other layout, if made, is never read again.
         */
        private boolean overwritable(Node value, Node at) {
            Node from = source.get(value);
            if (from.op() == NodeOp.PLACEHOLDER || outputs.contains(from)) {
                return false;
            }
            for (Node r : readers.get(from)) {
                if (position.get(r) > position.get(at)) {
                    return false;
                }
            }
            return true;
        }

        private void write(Node n) {
            Object c = n.callable();
            if (c instanceof Conv2d) {
                writeConvolution(n);
            } else if (c instanceof MaxPool2d) {
                MaxPool2d p = (MaxPool2d) c;
                Node in = n.inputNodes().get(0);
                boolean isBlocked = blocked.containsKey(source.get(in));
                String arg = isBlocked ? blocked(in) : dense(in);
                String out = fresh();
                code.append("    ").append(out).append(" = torch.max_pool2d(").append(arg)
                        .append(", ").append(pair(p.getKernel())).append(", ").append(pair(p.getStride())).append(", ")
                        .append(pair(p.getPadding())).append(", [1, 1], ").append(p.isCeilMode() ? "True" : "False")
                        .append(")\n");
                (isBlocked ? blocked : dense).put(n, out);
            } else if (c == F.ADD) {
                Node a = n.inputNodes().get(0);
                Node b = n.inputNodes().get(1);
                boolean inPlaceAdd = overwritable(a, n) || overwritable(b, n);
                Node into = overwritable(a, n) ? a : b;
                String first = dense(inPlaceAdd ? into : a);
                String second = dense(inPlaceAdd ? (into == a ? b : a) : b);
                String out = fresh();
                if (inPlaceAdd) {
                    inPlace.add(n);
                    // In place only where the operand it writes into has the sum's shape (no broadcasting).
                    code.append("    if torch.eq(torch.size(").append(first).append("), torch.size(").append(second)
                            .append(")):\n      ").append(out).append(" = torch.add_(").append(first).append(", ")
                            .append(second).append(")\n    else:\n      ").append(out).append(" = torch.add(")
                            .append(first).append(", ").append(second).append(")\n");
                } else {
                    code.append("    ").append(out).append(" = torch.add(").append(first).append(", ").append(second)
                            .append(")\n");
                }
                dense.put(n, out);
            } else {
                Node in = n.inputNodes().get(0);
                boolean isBlocked = blocked.containsKey(source.get(in));
                String arg = isBlocked ? blocked(in) : dense(in);
                String out = fresh();
                code.append("    ").append(out).append(overwritable(in, n) ? " = torch.relu_(" : " = torch.relu(")
                        .append(arg).append(")\n");
                (isBlocked ? blocked : dense).put(n, out);
            }
        }

        private void writeConvolution(Node n) {
            Conv2d conv = (Conv2d) n.callable();
            int k = convs.size();
            convs.add(n);
            boolean bias = Boolean.TRUE.equals(hasBias.get(n));
            String geometry = list(conv.getPadding()) + ", " + list(conv.getStride()) + ", " + list(conv.getDilation())
                    + ", " + conv.getGroups();
            pack.append("    p").append(k).append(" = torch.mkldnn_reorder_conv2d_weight(torch.to_mkldnn(w[").append(2 * k)
                    .append("]), ").append(geometry).append(")\n");
            String in = blocked(n.inputNodes().get(0));
            String out = fresh();
            code.append("    ").append(out).append(" = torch.mkldnn_convolution(").append(in).append(", w[").append(2 * k)
                    .append("], ").append(bias ? "w[" + (2 * k + 1) + "]" : "None").append(", ").append(geometry)
                    .append(")\n");
            blocked.put(n, out);
        }
    }

    private static String pair(int v) {
        return "[" + v + ", " + v + "]";
    }

    private static boolean oneArray(Node n) {
        return n.args().size() == 1 && n.args().get(0) instanceof Node;
    }

    private static String list(Shape s) {
        return "[" + s.get(0) + ", " + s.get(1) + "]";
    }

    private static String describe(Node n) {
        return "node '" + n.qualifiedName() + "' (" + n.op().fxName() + " " + n.target() + ")";
    }

    /** The program's TorchScript source (for tests and diagnostics). */
    String source() {
        return source;
    }

    /** The convolution nodes whose weights (and biases) the program takes, in order. */
    List<Node> convolutions() {
        return convolutions;
    }

    /** The first node the program does not run, or null when it runs the whole graph. */
    Node end() {
        return end;
    }

    /** Why the program stops before {@link #end()}, or null. */
    String stopReason() {
        return stopReason;
    }

    /** The nodes whose values the program hands on (to the rest of the graph or as outputs). */
    List<Node> exported() {
        return exported;
    }

    /** Per {@link #exported()} node, the index of its array among {@link #run}'s results, or -1 for the input. */
    int exportIndex(int k) {
        return exportOf[k];
    }

    /**
     * Whether the program can run on this input: one float32 CPU array of shape [N, C, H, W], none of them 0, C
     * the first convolution's, and every convolution and pooling of the program left with at least one output
     * row and column, every add's operands broadcastable (what libtorch would refuse inside the program is
     * kept out rather than tried: a refusal costs the program's run up to it). Other inputs run node by node,
     * where the graph's own checks name what is wrong.
     */
    boolean accepts(NDArray x) {
        return inPlaceAdds(x) >= 0;
    }

    /**
     * What {@link #accepts} checks, counting on the way the adds that will run in place on this input.
     *
     * @param x the input
     * @return the number of adds the program will make in place on this input, or -1 where it does not accept it
     */
    int inPlaceAdds(NDArray x) {
        Shape s = x.getShape();
        if (!(x instanceof PtNDArray) || !(x.getManager() instanceof PtNDManager)
                || x.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32
                || !ai.djl.Device.Type.CPU.equals(x.getDevice().getDeviceType())
                || s.dimension() != 4 || s.get(1) != inputChannels || s.size() == 0) {
            return -1;
        }
        int adds = 0;
        Map<Node, long[]> shapes = new IdentityHashMap<>();
        shapes.put(input, s.getShape());
        for (Node n : body) {
            long[] in = shapes.get(sourceOf.get(n.inputNodes().get(0)));
            long[] out = in == null ? null : in.clone();
            Object c = n.callable();
            if (c instanceof Conv2d) {
                Conv2d conv = (Conv2d) c;
                out = in[1] != conv.getInChannels() ? null
                        : new long[] {in[0], conv.getOutChannels(), 0, 0};
                for (int d = 0; out != null && d < 2; d++) {
                    long span = conv.getDilation().get(d) * (conv.getKernelSize().get(d) - 1) + 1;
                    long room = in[2 + d] + 2 * conv.getPadding().get(d) - span;
                    out[2 + d] = room < 0 ? 0 : room / conv.getStride().get(d) + 1;
                }
            } else if (c instanceof MaxPool2d) {
                MaxPool2d p = (MaxPool2d) c;
                for (int d = 0; d < 2; d++) {
                    long room = in[2 + d] + 2L * p.getPadding() - p.getKernel();
                    long rows = room < 0 ? 0 : (p.isCeilMode() ? (room + p.getStride() - 1) : room) / p.getStride() + 1;
                    if (p.isCeilMode() && rows > 0 && (rows - 1) * p.getStride() >= in[2 + d] + p.getPadding()) {
                        rows--; // the last window would start in the padding
                    }
                    out[2 + d] = rows;
                }
            } else if (c == F.ADD) {
                long[] other = shapes.get(sourceOf.get(n.inputNodes().get(1)));
                adds += inPlaceAdds.contains(n) && Arrays.equals(in, other) ? 1 : 0;
                for (int d = 0; out != null && d < 4; d++) {
                    out[d] = in[d] == other[d] || other[d] == 1 ? in[d] : in[d] == 1 ? other[d] : -1;
                    out = out[d] < 0 ? null : out;
                }
            }
            if (out == null || out[2] < 1 || out[3] < 1) {
                return -1;
            }
            shapes.put(n, out);
        }
        return adds;
    }

    /**
     * Reorders the weights into oneDNN's layout.
     *
     * @param weights per convolution its weight and bias (null where it has none), float32 on the CPU
     * @param owner the manager that owns the packed arrays (and the loaded program)
     * @return the packed list: oneDNN weights and the dense biases, in {@link #run}'s order
     */
    PtNDArray[] pack(NDArray[] weights, NDManager owner) {
        PtSymbolBlock m = module(owner);
        PtNDArray[] dense = new PtNDArray[weights.length];
        for (int i = 0; i < weights.length; i++) {
            dense[i] = weights[i] != null ? (PtNDArray) weights[i] : (PtNDArray) weights[i - 1]; // unused slot
        }
        try (IValue list = IValue.listFrom(dense);
                IValue packed = IValueUtils.runMethod(m, "pack", list)) {
            PtNDArray[] arrays = packed.toTensorArray((PtNDManager) owner);
            for (PtNDArray a : arrays) {
                a.setName("w[]"); // DJL passes the arrays named so as one list argument
            }
            return arrays;
        }
    }

    /**
     * Runs the program.
     *
     * @param x the input ({@link #accepts} it)
     * @param packed the weights from {@link #pack}
     * @param owner the manager that owns the loaded program
     * @return the values of the {@link #exported()} nodes' sources, dense, in the input's manager
     */
    NDArray[] run(NDArray x, PtNDArray[] packed, NDManager owner) {
        PtSymbolBlock m = module(owner);
        if (NativeCall.AVAILABLE) {
            // fx4j's own argument values, freed whether libtorch runs the program or refuses it.
            try (IValue input = IValue.from((PtNDArray) x);
                    IValue weights = IValue.listFrom(packed);
                    IValue result = NativeCall.forward(m, input, weights)) {
                return result.toTensorArray((PtNDManager) x.getManager());
            }
        }
        // A second handle on the caller's array, so that naming it for DJL leaves the caller's name alone.
        try (NDArray view = x.reshape(x.getShape())) {
            view.setName("x");
            NDList in = new NDList(packed.length + 1);
            in.add(view);
            in.addAll(Arrays.asList(packed));
            NDList out = IValueUtils.forward(m, in, true);
            return out.toArray(new NDArray[0]);
        }
    }

    /**
     * libtorch's module call as DJL makes it, with the argument values in the caller's hands. DJL's
     * {@code IValueUtils.forward(block, NDList, isTrain)} is the only public call outside libtorch's
     * InferenceMode (whose results could not be updated in place afterwards, by the rest of the graph or by
     * the caller), and it frees the argument values it makes only after a run that succeeds: each refusal
     * would keep the input and the weights alive. Where DJL's internals are not as expected, {@link #run}
     * falls back to that call.
     */
    private static final class NativeCall {
        /** {@code PyTorchLibrary.LIB.moduleRunMethod(module, method, argument handles, isTrain, cudaStream)}. */
        private static final MethodHandle RUN_METHOD;
        /** {@code new IValue(handle)}. */
        private static final MethodHandle WRAP;
        static final boolean AVAILABLE;

        static {
            MethodHandle run = null;
            MethodHandle wrap = null;
            try {
                Class<?> c = Class.forName("ai.djl.pytorch.jni.PyTorchLibrary");
                Field lib = c.getDeclaredField("LIB");
                lib.setAccessible(true);
                Method m = c.getDeclaredMethod("moduleRunMethod", long.class, String.class, long[].class, boolean.class,
                        boolean.class);
                m.setAccessible(true);
                Constructor<IValue> k = IValue.class.getDeclaredConstructor(long.class);
                k.setAccessible(true);
                MethodHandles.Lookup lookup = MethodHandles.lookup();
                run = lookup.unreflect(m).bindTo(lib.get(null));
                wrap = lookup.unreflectConstructor(k);
            } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
                run = null;
            }
            RUN_METHOD = run;
            WRAP = wrap;
            AVAILABLE = run != null;
        }

        /** Runs the module's forward on these values with isTrain set (no InferenceMode; gradients as set). */
        static IValue forward(PtSymbolBlock m, IValue... args) {
            long[] handles = new long[args.length];
            for (int i = 0; i < args.length; i++) {
                handles[i] = args[i].getHandle();
            }
            try {
                long result = (long) RUN_METHOD.invokeExact(m.getHandle().longValue(), "forward", handles, true, false);
                return (IValue) WRAP.invokeExact(result);
            } catch (RuntimeException | Error e) {
                throw e; // libtorch's refusal, as DJL reports it
            } catch (Throwable e) {
                throw new IllegalStateException("libtorch's module call failed", e);
            }
        }
    }

    /** Whether {@link #run} frees its argument values itself, a refusal included (false: DJL's call, {@code NativeCall}). */
    static boolean ownsItsArguments() {
        return NativeCall.AVAILABLE;
    }

    private PtSymbolBlock module(NDManager owner) {
        PtSymbolBlock m = module;
        if (m == null) {
            synchronized (this) {
                m = module;
                if (m == null) {
                    try {
                        m = JniUtils.loadModule((PtNDManager) owner, new ByteArrayInputStream(archive()), false, false);
                    } catch (IOException e) {
                        throw new UncheckedIOException(e);
                    }
                    module = m;
                }
            }
        }
        return m;
    }

    /** The TorchScript archive: the source, the module object (training = False), no constants. */
    private byte[] archive() {
        byte[] name = CLASS.getBytes(StandardCharsets.US_ASCII);
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        data.write(0x80); // PROTO 2
        data.write(2);
        data.write('c'); // GLOBAL __torch__ CLASS
        data.writeBytes("__torch__\n".getBytes(StandardCharsets.US_ASCII));
        data.writeBytes(name);
        data.write('\n');
        data.write(')'); // EMPTY_TUPLE
        data.write(0x81); // NEWOBJ
        data.write('}'); // EMPTY_DICT
        data.write('X'); // BINUNICODE "training"
        data.writeBytes(new byte[] {8, 0, 0, 0});
        data.writeBytes("training".getBytes(StandardCharsets.US_ASCII));
        data.write(0x89); // NEWFALSE
        data.write('s'); // SETITEM
        data.write('b'); // BUILD
        data.write('.'); // STOP
        ByteArrayOutputStream zip = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(zip)) {
            entry(z, "program/code/__torch__.py", source.getBytes(StandardCharsets.UTF_8));
            entry(z, "program/data.pkl", data.toByteArray());
            entry(z, "program/constants.pkl", new byte[] {(byte) 0x80, 2, ')', '.'});
            entry(z, "program/version", "3\n".getBytes(StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return zip.toByteArray();
    }

    private static void entry(ZipOutputStream z, String name, byte[] bytes) throws IOException {
        z.putNextEntry(new ZipEntry(name));
        z.write(bytes);
        z.closeEntry();
    }
}
