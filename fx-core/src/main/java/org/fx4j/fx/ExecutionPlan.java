package org.fx4j.fx;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.nn.Parameter;
import ai.djl.pytorch.jni.JniUtils;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.lang.reflect.Array;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import org.fx4j.nn.ForwardContext;
import org.fx4j.nn.FxFunction;
import org.fx4j.nn.Recorder;
import org.fx4j.nn.ScalarOp;

/**
 * A graph compiled for execution: values live in an array of slots, arguments are pre-resolved to
 * slot indices, and each instruction knows which slots hold their last use, so intermediates are
 * closed as soon as nothing needs them. Inputs, model state (parameters and buffers, whoever
 * returns them: a get_attr, a leaf, a function) and graph constants are never closed, and are
 * duplicated when they are outputs, so that the caller who closes the outputs closes no model
 * state; a value that is the same array as another live value (an {@code Identity}'s output, an
 * in-place update) is not closed while that value lives.
 */
final class ExecutionPlan {

    private abstract static class Arg {
        abstract Object resolve(Object[] slots);
    }

    private static final class Const extends Arg {
        private final Object value;

        Const(Object value) {
            this.value = value;
        }

        @Override
        Object resolve(Object[] slots) {
            return value;
        }
    }

    private static final class SlotArg extends Arg {
        private final int slot;

        SlotArg(int slot) {
            this.slot = slot;
        }

        @Override
        Object resolve(Object[] slots) {
            return slots[slot];
        }
    }

    private static final class ContainerArg extends Arg {
        private final ArgContainer.Kind kind;
        private final Class<?> componentType;
        private final Arg[] items;

        ContainerArg(ArgContainer.Kind kind, Class<?> componentType, Arg[] items) {
            this.kind = kind;
            this.componentType = componentType;
            this.items = items;
        }

        @Override
        Object resolve(Object[] slots) {
            switch (kind) {
                case NDLIST:
                    NDList list = new NDList(items.length);
                    for (Arg a : items) {
                        list.add((NDArray) a.resolve(slots));
                    }
                    return list;
                case ARRAY:
                    Object array = Array.newInstance(componentType, items.length);
                    for (int i = 0; i < items.length; i++) {
                        Array.set(array, i, items[i].resolve(slots));
                    }
                    return array;
                case LIST:
                default:
                    List<Object> out = new ArrayList<>(items.length);
                    for (Arg a : items) {
                        out.add(a.resolve(slots));
                    }
                    return out;
            }
        }
    }

    private static final class Instruction {
        final Node node;
        final NodeOp op;
        final Object callable;
        final Arg[] args;
        final int out;
        int[] release = new int[0];

        Instruction(Node node, Arg[] args, int out) {
            this.node = node;
            this.op = node.op();
            this.callable = node.callable();
            this.args = args;
            this.out = out;
        }
    }

    private final String className;
    private final int slotCount;
    private final int[] inputSlots;
    private final String[] inputNames;
    private final Node[] inputNodes;
    private final Instruction[] instructions;
    private final String[] outputNames;
    private final Arg[] outputs;
    private final boolean[] borrowed;
    private final Parameter[] state;
    private final NDArray[] constantArrays;

    /** Per output: whether it is a dict-returning leaf's whole output (its items keep their keys). */
    private final boolean[] dictOutputs;

    /**
     * Per instruction: for a convolution whose output only a batch norm reads, that norm's instruction
     * index, else -1 (see {@link org.fx4j.nn.ConvNormFolding}).
     */
    private final int[] normAfter;

    /**
     * Per instruction: the convolution and norm a fold is made from, for the convolution of a pair
     * ({@link #normAfter}) and for a {@code Conv2dNormActivation} leaf whose own norm folds; else null.
     */
    private final Block[][] foldPairs;

    /** Per instruction: whether it is a {@code Conv2dNormActivation} leaf that runs folded inside. */
    private final boolean[] innerFold;

    /** How many pairs ran folded, and how many adds ran in place, in the last completed pass (diagnostics). */
    private volatile int lastFoldedPairs;
    private volatile int lastInPlaceAdds;

    /** Whether foldable convolution + norm pairs run folded (inference only). */
    private volatile boolean foldNorms;

    /**
     * Per instruction: an {@code Identity}, or a {@code Dropout} (the identity in evaluation mode), whose
     * input an inference pass hands on without calling it.
     */
    private final boolean[] passThrough;

    /**
     * Per instruction: for an {@code add} of two arrays one of which is a fresh convolution or norm output
     * that only this add reads, that argument's index (the inference pass adds into it in place), else -1.
     */
    private final int[] addInto;

    /**
     * The evaluation graph as a oneDNN program (see {@link OneDnnProgram}), or null where it has nodes
     * outside the program's operators ({@link #oneDnnUnsupported} says which).
     */
    private final OneDnnProgram oneDnn;

    /** Why the graph has no oneDNN program, or null. */
    private final String oneDnnUnsupported;

    /** Whether an inference pass may run the oneDNN program. */
    private volatile boolean useOneDnn = true;

    /** Why the program was turned off after it failed to load or pack, or null. */
    private volatile String oneDnnFailure;

    /** The program's weights in oneDNN's layout (made and closed under the write lock), or null. */
    private PackedWeights packed;

    /** Whether the last completed pass ran the oneDNN program. */
    private volatile boolean lastOneDnn;

    /** How many times the program's weights were (re)packed or found unpackable (for tests). */
    private volatile int repacks;

    /** libtorch's message when the program last refused an input (that pass then ran node by node), or null. */
    private volatile String lastOneDnnRefusal;

    /** Per convolution instruction of the program, its index in {@link #instructions}. */
    private final int[] oneDnnConvs;

    /** The index of the first instruction the program does not run ({@code instructions.length}: none). */
    private final int oneDnnEnd;

    /** Per node the program exports, its slot. */
    private final int[] oneDnnExportSlots;

    /** Convolution + norm pairs the program runs folded. */
    private final int oneDnnFoldedPairs;

    /** Per instruction with a {@link #foldPairs} entry: its cached folded weights (null until first folded). */
    private final FoldedConv[] folds;

    /** Runs read the cached folds under the read lock; refolding (closing the old arrays) takes the write lock. */
    private final ReentrantReadWriteLock foldLock = new ReentrantReadWriteLock();

    /**
     * Owns the folded weights (made on the first fold, under the write lock): closed when this plan
     * becomes unreachable, so extractors made and dropped in a loop do not pile up folded weights in
     * the model's manager.
     */
    private final FoldMemory foldMemory = new FoldMemory();

    private static final Cleaner CLEANER = Cleaner.create();

    /** The manager of a plan's folded weights; the cleaning action holds it, never the plan. */
    private static final class FoldMemory implements Runnable {
        private volatile NDManager manager;

        NDManager manager(Device device) {
            if (manager == null) {
                manager = NDManager.newBaseManager(device);
            }
            return manager;
        }

        @Override
        public void run() {
            NDManager m = manager;
            if (m != null) {
                m.close();
            }
        }
    }

    /** Whether a cache's source arrays are the current ones, position by position, and none is released. */
    private static boolean sameLiveArrays(NDArray[] cached, NDArray[] current) {
        if (cached.length != current.length) {
            return false;
        }
        for (int k = 0; k < cached.length; k++) {
            if (cached[k] != current[k] || current[k] != null && current[k].isReleased()) {
                return false;
            }
        }
        return true;
    }

    /**
     * The oneDNN program's packed weights, valid while the dense arrays they were packed from are the same
     * (a fold made again, a parameter replaced) and {@link org.fx4j.nn.Module#weightsGeneration()} has not
     * moved; without arrays, the record that those weights cannot be packed.
     */
    private static final class PackedWeights {
        final long generation;
        final NDArray[] sources;
        final ai.djl.pytorch.engine.PtNDArray[] arrays;

        PackedWeights(long generation, NDArray[] sources, ai.djl.pytorch.engine.PtNDArray[] arrays) {
            this.generation = generation;
            this.sources = sources;
            this.arrays = arrays;
        }

        boolean validFor(long now, NDArray[] current) {
            if (generation != now || !sameLiveArrays(sources, current)) {
                return false;
            }
            if (arrays != null) {
                for (NDArray a : arrays) {
                    if (a.isReleased()) {
                        return false;
                    }
                }
            }
            return true;
        }

        void close() {
            if (arrays != null) {
                for (NDArray a : arrays) {
                    a.close();
                }
            }
        }
    }

    /**
     * The folded weight and bias of one convolution + norm pair, valid while the arrays it was folded
     * from are the same and {@link org.fx4j.nn.Module#weightsGeneration()} has not moved.
     */
    private static final class FoldedConv {
        final long generation;
        final NDArray[] sources;
        final NDArray weight;
        final NDArray bias;

        FoldedConv(long generation, NDArray[] sources, NDArray weight, NDArray bias) {
            this.generation = generation;
            this.sources = sources;
            this.weight = weight;
            this.bias = bias;
        }

        boolean validFor(long now, NDArray[] current) {
            return generation == now && (weight == null || !weight.isReleased() && !bias.isReleased())
                    && sameLiveArrays(sources, current);
        }

        /** Whether the pair runs unfolded for these sources (mixed types): remembered, not retried each run. */
        boolean unfoldable() {
            return weight == null;
        }

        void close() {
            if (weight != null) {
                weight.close();
                bias.close();
            }
        }
    }

    ExecutionPlan(Graph graph, String className, Collection<Parameter> state) {
        this.className = className;
        this.state = state.toArray(new Parameter[0]);
        Map<Node, Integer> slotOf = new IdentityHashMap<>();
        List<Instruction> program = new ArrayList<>();
        List<Integer> inputs = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<Node> placeholders = new ArrayList<>();
        for (Node n : graph.nodes()) {
            if (n.op() == NodeOp.OUTPUT) {
                continue;
            }
            int slot = slotOf.size();
            slotOf.put(n, slot);
            if (n.op() == NodeOp.PLACEHOLDER) {
                inputs.add(slot);
                names.add(n.target());
                placeholders.add(n);
            } else {
                Arg[] args = new Arg[n.args().size()];
                for (int i = 0; i < args.length; i++) {
                    args[i] = compile(n.args().get(i), slotOf);
                }
                program.add(new Instruction(n, args, slot));
            }
        }
        this.slotCount = slotOf.size();
        this.inputSlots = inputs.stream().mapToInt(Integer::intValue).toArray();
        this.inputNames = names.toArray(new String[0]);
        this.inputNodes = placeholders.toArray(new Node[0]);
        this.instructions = program.toArray(new Instruction[0]);
        Map<String, Object> outs = graph.outputs();
        this.outputNames = outs.keySet().toArray(new String[0]);
        this.outputs = new Arg[outputNames.length];
        this.dictOutputs = new boolean[outputNames.length];
        int k = 0;
        for (Object o : outs.values()) {
            dictOutputs[k] = o instanceof Node && ((Node) o).callable() instanceof org.fx4j.nn.LeafModule
                    && ((org.fx4j.nn.LeafModule) ((Node) o).callable()).returnsDict();
            outputs[k++] = compile(o, slotOf);
        }
        this.borrowed = new boolean[slotCount];
        List<NDArray> arrays = new ArrayList<>();
        for (Node n : graph.nodes()) {
            if (n.op() == NodeOp.PLACEHOLDER || n.op() == NodeOp.GET_ATTR) {
                borrowed[slotOf.get(n)] = true;
            }
            for (Object arg : n.args()) {
                ArgContainer.forEachLeaf(arg, leaf -> {
                    if (leaf instanceof NDArray) {
                        arrays.add((NDArray) leaf);
                    }
                });
            }
        }
        this.constantArrays = arrays.toArray(new NDArray[0]);
        planReleases(graph, slotOf);
        int[] readers = readerCounts(graph, slotOf);
        this.normAfter = findFoldablePairs(readers, slotOf);
        this.foldPairs = new Block[instructions.length][];
        this.innerFold = new boolean[instructions.length];
        for (int i = 0; i < instructions.length; i++) {
            if (normAfter[i] >= 0) {
                foldPairs[i] = new Block[] {(Block) instructions[i].callable, (Block) instructions[normAfter[i]].callable};
            } else {
                foldPairs[i] = innerPair(instructions[i]);
                innerFold[i] = foldPairs[i] != null;
            }
        }
        this.folds = new FoldedConv[instructions.length];
        CLEANER.register(this, foldMemory);
        OneDnnProgram compiled = null;
        String unsupported = null;
        Map<Node, Node> foldedNorm = new IdentityHashMap<>();
        Map<Node, Boolean> convBias = new IdentityHashMap<>();
        Map<Node, Integer> indexOf = new IdentityHashMap<>();
        for (int i = 0; i < instructions.length; i++) {
            indexOf.put(instructions[i].node, i);
            if (normAfter[i] >= 0) {
                foldedNorm.put(instructions[i].node, instructions[normAfter[i]].node);
                convBias.put(instructions[i].node, true); // a fold always has a bias
            } else if (instructions[i].callable instanceof org.fx4j.nn.Conv2d) {
                convBias.put(instructions[i].node, ((org.fx4j.nn.Conv2d) instructions[i].callable).hasBias());
            }
        }
        try {
            compiled = OneDnnProgram.compile(graph, foldedNorm, convBias);
        } catch (OneDnnProgram.Unsupported e) {
            unsupported = e.getMessage();
        }
        this.oneDnn = compiled;
        this.oneDnnUnsupported = unsupported;
        this.oneDnnConvs = compiled == null ? new int[0]
                : compiled.convolutions().stream().mapToInt(indexOf::get).toArray();
        this.oneDnnEnd = compiled == null || compiled.end() == null ? instructions.length : indexOf.get(compiled.end());
        this.oneDnnExportSlots = compiled == null ? new int[0]
                : compiled.exported().stream().mapToInt(slotOf::get).toArray();
        this.oneDnnFoldedPairs = (int) Arrays.stream(oneDnnConvs).filter(c -> normAfter[c] >= 0).count();
        this.addInto = findInPlaceAdds(readers);
        this.passThrough = new boolean[instructions.length];
        for (int i = 0; i < instructions.length; i++) {
            Instruction ins = instructions[i];
            passThrough[i] = ins.op == NodeOp.CALL_MODULE && ins.args.length == 1 && ins.args[0] instanceof SlotArg
                    && ins.node.outputCount() == 1
                    && (ins.callable instanceof org.fx4j.nn.Identity || ins.callable instanceof org.fx4j.nn.Dropout);
        }
    }

    /**
     * Readers per slot: the instructions that take the value as an input, and the graph's output as one
     * more. A view of a value (a reshape, a permute) is a reader of it.
     */
    private int[] readerCounts(Graph graph, Map<Node, Integer> slotOf) {
        int[] readers = new int[slotCount];
        for (Instruction ins : instructions) {
            for (Node in : ins.node.inputNodes()) {
                readers[slotOf.get(in)]++;
            }
        }
        for (Node n : graph.outputNode().inputNodes()) {
            readers[slotOf.get(n)]++;
        }
        return readers;
    }

    /** Convolution instructions whose one reader is a batch norm taking that value alone (not a graph output). */
    private int[] findFoldablePairs(int[] readers, Map<Node, Integer> slotOf) {
        int[] reader = new int[slotCount];
        Arrays.fill(reader, -1);
        for (int i = 0; i < instructions.length; i++) {
            for (Node in : instructions[i].node.inputNodes()) {
                reader[slotOf.get(in)] = i;
            }
        }
        int[] pairs = new int[instructions.length];
        Arrays.fill(pairs, -1);
        for (int i = 0; i < instructions.length; i++) {
            Instruction conv = instructions[i];
            if (conv.op != NodeOp.CALL_MODULE || readers[conv.out] != 1 || reader[conv.out] < 0) {
                continue;
            }
            Instruction norm = instructions[reader[conv.out]];
            boolean onlyArg = norm.args.length == 1 && norm.args[0] instanceof SlotArg
                    && ((SlotArg) norm.args[0]).slot == conv.out;
            if (norm.op == NodeOp.CALL_MODULE && onlyArg && conv.node.outputCount() == 1
                    && norm.node.outputCount() == 1
                    && org.fx4j.nn.ConvNormFolding.foldable((Block) conv.callable, (Block) norm.callable)) {
                pairs[i] = reader[conv.out];
            }
        }
        return pairs;
    }

    /**
     * The adds whose result may overwrite one argument: that argument is the output of a convolution or a
     * batch norm (always a newly made array, never a view of another value), not an input or model state,
     * and this add is its only reader (a residual connection's {@code out + identity}): no other node, no
     * view made of it and no graph output can see it change.
     */
    private int[] findInPlaceAdds(int[] readers) {
        int[] producer = new int[slotCount];
        Arrays.fill(producer, -1);
        for (int i = 0; i < instructions.length; i++) {
            producer[instructions[i].out] = i;
        }
        int[] into = new int[instructions.length];
        Arrays.fill(into, -1);
        for (int i = 0; i < instructions.length; i++) {
            Instruction ins = instructions[i];
            if (ins.op != NodeOp.CALL_FUNCTION || ins.callable != org.fx4j.nn.F.ADD || ins.args.length != 2) {
                continue;
            }
            for (int k = 0; k < 2 && into[i] < 0; k++) {
                if (!(ins.args[k] instanceof SlotArg)) {
                    continue;
                }
                int slot = ((SlotArg) ins.args[k]).slot;
                int p = producer[slot];
                // One reader (so this add is also its last use) and two distinct operands.
                boolean onlyReader = readers[slot] == 1 && ins.node.inputNodes().size() == 2;
                if (onlyReader && !borrowed[slot] && p >= 0 && instructions[p].op == NodeOp.CALL_MODULE
                        && instructions[p].node.outputCount() == 1 && freshOutput(instructions[p].callable)) {
                    into[i] = k;
                }
            }
        }
        return into;
    }

    /** Modules whose output is always a newly made array (never their input or a view of it). */
    private static boolean freshOutput(Object module) {
        return module instanceof org.fx4j.nn.Conv2d || module instanceof org.fx4j.nn.BatchNorm2d
                || module instanceof org.fx4j.nn.FrozenBatchNorm2d;
    }

    /**
     * Adds in place into the argument {@link #findInPlaceAdds} chose, when the pair adds without
     * broadcasting or type promotion and no other live value holds that array; else null (the add runs as
     * traced).
     */
    private static NDArray addInPlace(Instruction ins, int into, Object[] slots, Set<NDArray> kept) {
        Object target = ins.args[into].resolve(slots);
        Object other = ins.args[1 - into].resolve(slots);
        if (!(target instanceof NDArray) || !(other instanceof NDArray)) {
            return null;
        }
        NDArray a = (NDArray) target;
        NDArray b = (NDArray) other;
        if (kept.contains(a) || !a.getShape().equals(b.getShape()) || a.getDataType() != b.getDataType()
                || !a.getDevice().equals(b.getDevice())) {
            return null;
        }
        int holders = 0;
        for (Object o : slots) {
            if (o == a) {
                holders++;
            } else if (o instanceof NDList && containsSame((NDList) o, a)) {
                return null;
            }
        }
        if (holders != 1) {
            return null;
        }
        return a.addi(b);
    }

    /**
     * For a one-input {@code Conv2dNormActivation} call (a leaf of torchvision's tracer) made of a
     * convolution, a foldable norm and at most an activation: {conv, norm, activation or null}.
     */
    private static Block[] innerPair(Instruction ins) {
        if (ins.op != NodeOp.CALL_MODULE || !(ins.callable instanceof org.fx4j.nn.Conv2dNormActivation)
                || ins.args.length != 1 || !(ins.args[0] instanceof SlotArg) || ins.node.outputCount() != 1) {
            return null;
        }
        List<ai.djl.util.Pair<String, Block>> children =
                ((org.fx4j.nn.Conv2dNormActivation) ins.callable).namedChildren();
        if (children.size() < 2 || children.size() > 3
                || !org.fx4j.nn.ConvNormFolding.foldable(children.get(0).getValue(), children.get(1).getValue())) {
            return null;
        }
        return new Block[] {children.get(0).getValue(), children.get(1).getValue(),
            children.size() == 3 ? children.get(2).getValue() : null};
    }

    /**
     * Runs a {@code Conv2dNormActivation} with its norm folded: the folded convolution, then its
     * activation (the convolution's output closed once the activation made its own); null when the
     * input's type or device is not the fold's.
     */
    private NDArray runInnerFold(ForwardContext ctx, int i, FoldedConv fold, Object[] slots, Device device) {
        Instruction ins = instructions[i];
        NDArray x = (NDArray) ins.args[0].resolve(slots);
        if (x.getDataType() != fold.weight.getDataType() || !x.getDevice().equals(device)) {
            return null;
        }
        Block[] blocks = foldPairs[i];
        NDArray y = org.fx4j.nn.ConvNormFolding.convolve(blocks[0], x, fold.weight, fold.bias);
        if (blocks[2] == null) {
            return y;
        }
        NDArray out;
        try {
            out = ctx.enter((Block) ins.callable).call(blocks[2], y);
        } catch (RuntimeException e) {
            y.close();
            throw e;
        }
        if (out != y) {
            y.close();
        }
        return out;
    }

    void foldNorms(boolean on) {
        foldNorms = on;
        if (!on) {
            foldLock.writeLock().lock();
            try {
                closePacked();
                for (int i = 0; i < folds.length; i++) {
                    if (folds[i] != null) {
                        folds[i].close();
                        folds[i] = null;
                    }
                }
            } finally {
                foldLock.writeLock().unlock();
            }
        }
    }

    /** Turns the oneDNN program of inference passes on or off (off frees its packed weights). */
    void useOneDnn(boolean on) {
        useOneDnn = on;
        if (on) {
            oneDnnFailure = null; // try loading again
        } else {
            foldLock.writeLock().lock();
            try {
                closePacked();
            } finally {
                foldLock.writeLock().unlock();
            }
        }
    }

    boolean usesOneDnn() {
        return useOneDnn;
    }

    /** Whether the last completed pass ran the oneDNN program. */
    boolean lastOneDnn() {
        return lastOneDnn;
    }

    /** How many times the program's weights were packed or found unpackable under the write lock. */
    int oneDnnRepacks() {
        return repacks;
    }

    /** libtorch's message when the program last refused an input, or null. */
    String lastOneDnnRefusal() {
        return lastOneDnnRefusal;
    }

    /** Why inference passes of this graph cannot run the oneDNN program, or null if they can. */
    String oneDnnUnavailable() {
        return oneDnnUnsupported != null ? oneDnnUnsupported : oneDnnFailure;
    }

    /** Where the oneDNN program stops and why, or null when it runs the whole graph (or there is none). */
    String oneDnnStop() {
        return oneDnn == null ? null : oneDnn.stopReason();
    }

    /** The oneDNN program's TorchScript source, or null (for tests and diagnostics). */
    String oneDnnSource() {
        return oneDnn == null ? null : oneDnn.source();
    }

    private void closePacked() {
        if (packed != null) {
            packed.close();
            packed = null;
        }
    }

    /** The number of pairs whose folded weights are cached now (for tests and diagnostics). */
    int cachedFolds() {
        foldLock.readLock().lock();
        try {
            int n = 0;
            for (FoldedConv f : folds) {
                n += f != null && !f.unfoldable() ? 1 : 0;
            }
            return n;
        } finally {
            foldLock.readLock().unlock();
        }
    }

    /** Pairs (and Conv2dNormActivation leaves) that ran folded in the last completed pass. */
    int lastFoldedPairs() {
        return lastFoldedPairs;
    }

    /** Adds computed in place in the last completed pass. */
    int lastInPlaceAdds() {
        return lastInPlaceAdds;
    }

    boolean foldsNorms() {
        return foldNorms;
    }

    int foldablePairs() {
        int n = 0;
        for (Block[] p : foldPairs) {
            if (p != null) {
                n++;
            }
        }
        return n;
    }

    private static Arg compile(Object arg, Map<Node, Integer> slotOf) {
        return ArgContainer.<Arg>fold(arg, leaf -> {
            if (leaf instanceof Node) {
                Integer slot = slotOf.get(leaf);
                if (slot == null) {
                    throw new IllegalStateException("Node " + leaf + " is used before it is defined");
                }
                return new SlotArg(slot);
            }
            return new Const(leaf);
        }, (c, items) -> new ContainerArg(c.kind(), c.componentType(), items.toArray(new Arg[0])));
    }

    private void planReleases(Graph graph, Map<Node, Integer> slotOf) {
        int[] lastUse = new int[slotCount];
        Arrays.fill(lastUse, -1);
        boolean[] keep = new boolean[slotCount];
        for (Node n : graph.nodes()) {
            if (n.op() == NodeOp.PLACEHOLDER || n.op() == NodeOp.GET_ATTR) {
                keep[slotOf.get(n)] = true;
            }
        }
        for (Node n : graph.outputNode().inputNodes()) {
            keep[slotOf.get(n)] = true;
        }
        for (int i = 0; i < instructions.length; i++) {
            Instruction ins = instructions[i];
            lastUse[ins.out] = i; // a value nobody reads is released right after it is made
            for (Node in : ins.node.inputNodes()) {
                lastUse[slotOf.get(in)] = i;
            }
        }
        List<List<Integer>> byInstruction = new ArrayList<>();
        for (int i = 0; i < instructions.length; i++) {
            byInstruction.add(new ArrayList<>());
        }
        for (int s = 0; s < slotCount; s++) {
            if (!keep[s] && lastUse[s] >= 0) {
                byInstruction.get(lastUse[s]).add(s);
            }
        }
        for (int i = 0; i < instructions.length; i++) {
            instructions[i].release = byInstruction.get(i).stream().mapToInt(Integer::intValue).toArray();
        }
    }

    List<String> inputNames() {
        return List.of(inputNames);
    }

    NDList run(ForwardContext ctx, NDList inputs) {
        return run(ctx, inputs, null);
    }

    NDList run(ForwardContext ctx, NDList inputs, BiConsumer<Node, Object> observer) {
        if (inputs.size() != inputSlots.length) {
            throw new IllegalArgumentException(
                    className + " takes " + inputSlots.length + " input array(s) " + Arrays.toString(inputNames) + ", got "
                            + inputs.size());
        }
        Recorder recorder = ctx.handler() instanceof Recorder ? (Recorder) ctx.handler() : null;
        if (recorder != null) {
            return retrace(ctx, recorder, inputs);
        }
        Object[] slots = new Object[slotCount];
        Set<NDArray> kept = Collections.newSetFromMap(new IdentityHashMap<>());
        for (int i = 0; i < inputSlots.length; i++) {
            slots[inputSlots[i]] = inputs.get(i);
            kept.add(inputs.get(i));
            if (observer != null) {
                observer.accept(inputNodes[i], inputs.get(i));
            }
        }
        // Model state and graph constants outlive every forward, whoever returns them.
        for (Parameter p : state) {
            if (p.isInitialized()) {
                kept.add(p.getArray());
            }
        }
        kept.addAll(Arrays.asList(constantArrays));
        Device device = inputs.isEmpty() ? null : inputs.get(0).getDevice();
        Instruction current = null;
        // The inference pass (no gradients, fx4j's own eager calls: a custom handler or an observer sees every
        // module call it would see unfolded): the norms whose convolution ran folded pass their input (already
        // normalised) through, as do Identity and evaluation-mode Dropout.
        boolean[] folded = foldNorms && observer == null && ctx.handler() == org.fx4j.nn.ModuleCallHandler.EAGER
                && !JniUtils.isGradMode() && device != null ? new boolean[instructions.length] : null;
        // The program's adds that will run in place on this input, or -1 where the program does not take it.
        int oneDnnAdds = folded != null && oneDnn != null && useOneDnn && oneDnnFailure == null && inputs.size() == 1
                ? oneDnn.inPlaceAdds(inputs.get(0)) : -1;
        boolean wantOneDnn = oneDnnAdds >= 0;
        PackedWeights[] packedNow = wantOneDnn ? new PackedWeights[1] : null;
        FoldedConv[] ready = folded == null ? null : readyFolds(ctx, device, packedNow);
        int foldedPairs = 0;
        int inPlaceAdds = 0;
        try {
            int start = wantOneDnn ? runOneDnn(inputs.get(0), packedNow[0], device, slots) : 0;
            if (start > 0) {
                foldedPairs = oneDnnFoldedPairs;
                inPlaceAdds = oneDnnAdds;
            }
            for (int i = start; i < instructions.length; i++) {
                Instruction ins = instructions[i];
                current = ins;
                if (folded != null && (folded[i] || passThrough[i] && (ins.callable instanceof org.fx4j.nn.Identity
                        || !ctx.enter((Block) ins.callable).isTraining()))) {
                    slots[ins.out] = slots[((SlotArg) ins.args[0]).slot];
                } else if (folded != null && addInto[i] >= 0) {
                    NDArray sum = addInPlace(ins, addInto[i], slots, kept);
                    inPlaceAdds += sum != null ? 1 : 0;
                    slots[ins.out] = sum != null ? sum : execute(ctx, ins, slots, device);
                } else if (folded != null && innerFold[i] && ready[i] != null) {
                    NDArray v = runInnerFold(ctx, i, ready[i], slots, device);
                    foldedPairs += v != null ? 1 : 0;
                    slots[ins.out] = v != null ? v : execute(ctx, ins, slots, device);
                } else if (folded != null && normAfter[i] >= 0 && ready[i] != null) {
                    NDArray x = (NDArray) ins.args[0].resolve(slots);
                    NDArray v = x.getDataType() == ready[i].weight.getDataType() && x.getDevice().equals(device)
                            ? org.fx4j.nn.ConvNormFolding.convolve((Block) ins.callable, x, ready[i].weight,
                                    ready[i].bias) : null;
                    folded[normAfter[i]] = v != null;
                    foldedPairs += v != null ? 1 : 0;
                    slots[ins.out] = v != null ? v : execute(ctx, ins, slots, device);
                } else {
                    slots[ins.out] = execute(ctx, ins, slots, device);
                }
                if (ins.op == NodeOp.GET_ATTR && slots[ins.out] instanceof NDArray) {
                    kept.add((NDArray) slots[ins.out]);
                }
                if (observer != null) {
                    observer.accept(ins.node, slots[ins.out]);
                }
                for (int r : ins.release) {
                    release(slots, r, kept);
                }
            }
            current = null;
            lastFoldedPairs = foldedPairs;
            lastInPlaceAdds = inPlaceAdds;
            lastOneDnn = start > 0;
            NDList result = new NDList(outputs.length);
            for (int i = 0; i < outputs.length; i++) {
                Object v = outputs[i].resolve(slots);
                addOutput(result, outputNames[i], v, dictOutputs[i], kept,
                        inputs.isEmpty() ? null : inputs.get(0).getManager());
            }
            return result;
        } catch (RuntimeException e) {
            for (int s = 0; s < slotCount; s++) {
                if (!borrowed[s]) {
                    release(slots, s, kept);
                }
            }
            if (current == null) {
                throw e;
            }
            throw describe(e, current.node);
        } finally {
            if (ready != null) {
                foldLock.readLock().unlock();
            }
            Reference.reachabilityFence(this); // the cleaner must not close the folds of a running plan
        }
    }

    /**
     * The folded weights of every foldable pair for this pass, computed again where the parameters'
     * arrays changed or {@link org.fx4j.nn.Module#weightsGeneration()} moved (old folds closed under
     * the write lock, when no run reads them). Returns holding the read lock, which the run releases.
     *
     * @param packedNow null, or where to put the oneDNN program's packed weights valid for this pass (packed
     *     again first where they are not; null there when they cannot be)
     * @return per convolution instruction, its fold, or null where the pair runs unfolded in this pass
     *     (the norm trains, the types differ)
     */
    private FoldedConv[] readyFolds(ForwardContext ctx, Device device, PackedWeights[] packedNow) {
        FoldedConv[] ready = new FoldedConv[instructions.length];
        NDArray[][] sources = new NDArray[instructions.length][];
        long now = org.fx4j.nn.Module.weightsGeneration();
        foldLock.readLock().lock();
        try {
            return readyFoldsLocked(ctx, device, ready, sources, now, packedNow);
        } catch (RuntimeException | Error e) {
            foldLock.readLock().unlock();
            throw e;
        }
    }

    private FoldedConv[] readyFoldsLocked(ForwardContext ctx, Device device, FoldedConv[] ready, NDArray[][] sources,
            long now, PackedWeights[] packedNow) {
        boolean stale = false;
        for (int i = 0; i < instructions.length; i++) {
            if (foldPairs[i] == null) {
                continue;
            }
            sources[i] = org.fx4j.nn.ConvNormFolding.sources(ctx, foldPairs[i][0], foldPairs[i][1], device);
            if (sources[i] != null) {
                FoldedConv f = folds[i];
                if (f != null && f.validFor(now, sources[i]) && (f.unfoldable() || f.weight.getDevice().equals(device))) {
                    ready[i] = f.unfoldable() ? null : f;
                } else {
                    stale = true;
                }
            }
        }
        if (!stale && (packedNow == null || (packedNow[0] = packedFor(ctx, ready, device, now)) != null)) {
            return ready;
        }
        foldLock.readLock().unlock();
        foldLock.writeLock().lock();
        try {
            for (int i = 0; i < instructions.length; i++) {
                if (sources[i] == null || ready[i] != null) {
                    continue;
                }
                FoldedConv f = folds[i];
                if (f != null && f.validFor(now, sources[i]) && (f.unfoldable() || f.weight.getDevice().equals(device))) {
                    ready[i] = f.unfoldable() ? null : f; // made by another run meanwhile
                    continue;
                }
                NDArray[] wb = org.fx4j.nn.ConvNormFolding.fold(ctx, foldPairs[i][0], foldPairs[i][1], device);
                if (f != null) {
                    f.close();
                    folds[i] = null;
                }
                if (wb != null) {
                    NDManager owner = foldMemory.manager(device);
                    wb[0].attach(owner);
                    wb[1].attach(owner);
                    folds[i] = new FoldedConv(now, sources[i], wb[0], wb[1]);
                    ready[i] = folds[i];
                } else {
                    folds[i] = new FoldedConv(now, sources[i], null, null); // runs unfolded until the sources change
                }
            }
            if (packedNow != null && useOneDnn) {
                packedNow[0] = packedFor(ctx, ready, device, now);
                if (packedNow[0] == null) {
                    packedNow[0] = repack(ctx, ready, device, now);
                }
            }
        } finally {
            foldLock.readLock().lock(); // downgrade: this run reads the folds it made
            foldLock.writeLock().unlock();
        }
        return ready;
    }

    /**
     * The dense weights the oneDNN program reads in this pass: per convolution its folded weight and bias, or
     * its own (null entries where a pair runs unfolded or a convolution has no bias); null when a weight could
     * not be read (the convolution's own call then names what is wrong).
     */
    private NDArray[] oneDnnWeights(ForwardContext ctx, FoldedConv[] ready, Device device) {
        NDArray[] weights = new NDArray[2 * oneDnnConvs.length];
        for (int k = 0; k < oneDnnConvs.length; k++) {
            int i = oneDnnConvs[k];
            if (normAfter[i] >= 0) {
                weights[2 * k] = ready[i] == null ? null : ready[i].weight;
                weights[2 * k + 1] = ready[i] == null ? null : ready[i].bias;
                continue;
            }
            try {
                NDArray[] wb = org.fx4j.nn.ConvNormFolding.values(ctx, (Block) instructions[i].callable, device);
                weights[2 * k] = wb[0];
                weights[2 * k + 1] = wb[1];
            } catch (RuntimeException e) {
                return null;
            }
        }
        return weights;
    }

    /** Whether the program can take these weights: every weight there, float32 libtorch arrays on the CPU. */
    private static boolean packable(NDArray[] weights) {
        for (int j = 0; j < weights.length; j++) {
            NDArray a = weights[j];
            if (a == null ? j % 2 == 0 : a.getDataType() != ai.djl.ndarray.types.DataType.FLOAT32
                    || !Device.Type.CPU.equals(a.getDevice().getDeviceType())
                    || !(a instanceof ai.djl.pytorch.engine.PtNDArray)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The packed weights valid for this pass (read under the read or write lock), or null. A record without
     * arrays says these same weights cannot be packed (an unfolded pair, another type): such passes run node by
     * node without packing again under the write lock, until the weights or their generation change.
     */
    private PackedWeights packedFor(ForwardContext ctx, FoldedConv[] ready, Device device, long now) {
        PackedWeights p = packed;
        if (p == null) {
            return null;
        }
        NDArray[] weights = oneDnnWeights(ctx, ready, device);
        return weights != null && p.validFor(now, weights) ? p : null;
    }

    /**
     * Packs the program's weights again (under the write lock); a failure turns the program off, named.
     *
     * @return the new packed weights (a record without arrays where they cannot be packed), or null where a
     *     weight could not be read or packing failed
     */
    private PackedWeights repack(ForwardContext ctx, FoldedConv[] ready, Device device, long now) {
        repacks++;
        closePacked();
        NDArray[] weights = oneDnnWeights(ctx, ready, device);
        if (weights == null) {
            return null; // unreadable: tried again next pass, which fails node by node meanwhile
        }
        if (!packable(weights)) {
            packed = new PackedWeights(now, weights, null);
            return packed;
        }
        try {
            packed = new PackedWeights(now, weights, oneDnn.pack(weights, foldMemory.manager(device)));
        } catch (RuntimeException e) {
            oneDnnFailure = "the oneDNN program failed to load or pack its weights: " + e.getMessage();
        }
        return packed;
    }

    /**
     * Runs the oneDNN program (the graph's beginning, or all of it) under the read lock, putting the values it
     * hands on into their slots.
     *
     * @param p the packed weights {@link #readyFolds} found valid for this pass, or null
     * @return the index of the first instruction still to run, or 0 when this pass cannot run the program (the
     *     weights are not packed for it, or libtorch refused the input: the pass then runs node by node, where
     *     fx4j's own checks name what is wrong)
     */
    private int runOneDnn(NDArray x, PackedWeights p, Device device, Object[] slots) {
        if (p == null || p.arrays == null) {
            return 0;
        }
        NDArray[] out;
        try {
            out = oneDnn.run(x, p.arrays, foldMemory.manager(device));
        } catch (RuntimeException e) {
            lastOneDnnRefusal = e.getMessage();
            return 0;
        }
        for (int k = 0; k < oneDnnExportSlots.length; k++) {
            int from = oneDnn.exportIndex(k);
            slots[oneDnnExportSlots[k]] = from < 0 ? x : out[from]; // an Identity of the input hands the input on
        }
        return oneDnnEnd;
    }

    /**
     * Runs the plan on symbolic inputs of an enclosing trace, so that a graph module inside another
     * module traces again: each node is recorded anew (functions and size computations as one node
     * each, methods, modules and attributes through the tracer), named as torch.fx names a re-traced
     * graph module.
     */
    private NDList retrace(ForwardContext ctx, Recorder recorder, NDList inputs) {
        Object[] slots = new Object[slotCount];
        for (int i = 0; i < inputSlots.length; i++) {
            slots[inputSlots[i]] = inputs.get(i);
        }
        for (Instruction ins : instructions) {
            Object[] args = resolveArgs(ins, slots);
            Object value;
            if (ins.callable instanceof ScalarOp) {
                value = recorder.recordScalar((ScalarOp) ins.callable, args);
            } else if (ins.callable == Tracer.GETITEM && args[0] instanceof NDList) {
                value = ((NDList) args[0]).get((Integer) args[1]); // a multi-output module traced through
            } else if (ins.op == NodeOp.CALL_MODULE && ins.node.outputCount() > 1 && recorder instanceof Tracer
                    && ((Tracer) recorder).isLeaf((Block) ins.callable)) {
                // One node for the call; the graph's own getitem nodes read its items, as in torch.fx.
                value = ((Tracer) recorder).recordModuleCall((Block) ins.callable, args);
                if (ins.node.argNames() != null) {
                    SymbolicValue.of(value).node().argNames(ins.node.argNames()); // keys of a dict-taking leaf
                }
            } else if (ins.op == NodeOp.CALL_FUNCTION) {
                value = recorder.recordFunction((FxFunction) ins.callable, args);
            } else if (ins.op == NodeOp.GET_ATTR && !ins.node.isListed()) {
                value = ctx.constant((Parameter) ins.callable, null);
            } else {
                value = execute(ctx, ins, slots, null);
            }
            slots[ins.out] = value;
        }
        NDList result = new NDList(outputs.length);
        for (int i = 0; i < outputs.length; i++) {
            Object v = outputs[i].resolve(slots);
            if (v instanceof NDList) {
                result.addAll((NDList) v);
            } else if (recorder instanceof Tracer && isWholeCall(v)) {
                result.addAll(((Tracer) recorder).itemsOf(SymbolicValue.of(v).node())); // a dict output: its items
            } else {
                NDArray array = (NDArray) v;
                if (SymbolicValue.of(array) != null) {
                    array.setName(outputNames[i]); // as the eager forward names its outputs: a dict's keys downstream
                }
                result.add(array);
            }
        }
        return result;
    }

    /** Whether a re-traced value stands for a whole multi-output call (a dict-returning leaf's output). */
    private static boolean isWholeCall(Object v) {
        SymbolicValue s = SymbolicValue.of(v);
        return s != null && s.itemOf() == null && s.node().outputCount() > 1;
    }

    private void addOutput(NDList result, String name, Object value, boolean dict, Set<NDArray> kept,
            NDManager owner) {
        if (value instanceof NDList) {
            NDList list = (NDList) value;
            for (int j = 0; j < list.size(); j++) {
                // A dict-returning module's items keep their keys (fpn.0 .. fpn.pool), a tuple's their index.
                String key = dict ? list.get(j).getName() : null;
                addOutput(result, name + "." + (key == null || key.isEmpty() ? Integer.toString(j) : key), list.get(j),
                        false, kept, owner);
            }
            return;
        }
        if (!(value instanceof NDArray)) {
            throw new IllegalArgumentException("Output '" + name + "' is " + (value == null ? "no value (a check)"
                    : "a size (" + value + ")") + ", not an array; choose array-valued nodes as outputs");
        }
        NDArray array = (NDArray) value;
        // The caller owns outputs: never hand out (and rename) an input, model state, a constant or
        // the same array twice.
        if (kept.contains(array) || containsSame(result, array)) {
            // While gradients are recorded, a copy that stays in autograd's graph (DJL's duplicate()
            // detaches it, and hasGradient() does not tell intermediates that need one); x * 1 is x
            // bit for bit. The copy belongs to the caller (the inputs' manager), not the model's.
            array = JniUtils.isGradMode() && array.getDataType().isFloating() ? org.fx4j.nn.Scalars.mul(array, 1)
                    : array.duplicate();
            if (owner != null) {
                array.attach(owner);
            }
        }
        array.setName(name);
        result.add(array);
    }

    private static boolean containsSame(NDList list, NDArray array) {
        for (NDArray a : list) {
            if (a == array) {
                return true;
            }
        }
        return false;
    }

    private static Object[] resolveArgs(Instruction ins, Object[] slots) {
        Object[] args = new Object[ins.args.length];
        for (int i = 0; i < args.length; i++) {
            args[i] = ins.args[i].resolve(slots);
        }
        return args;
    }

    private Object execute(ForwardContext ctx, Instruction ins, Object[] slots, Device device) {
        Object[] args = resolveArgs(ins, slots);
        if (ins.callable instanceof ScalarOp) {
            return ((ScalarOp) ins.callable).compute(args);
        }
        switch (ins.op) {
            case CALL_MODULE:
                NDList in = new NDList(args.length);
                for (Object a : args) {
                    in.add((NDArray) a);
                }
                List<String> names = ins.node.argNames();
                if (names != null) {
                    for (int i = 0; i < in.size() && i < names.size(); i++) {
                        if (names.get(i) != null) {
                            in.get(i).setName(names.get(i));
                        }
                    }
                }
                NDList out = ctx.call((Block) ins.callable, in);
                if (ins.node.outputCount() == 1) {
                    if (out.size() != 1) {
                        throw new IllegalStateException(
                                "module returned " + out.size() + " arrays where the trace expected one");
                    }
                    return out.get(0);
                }
                return out;
            case CALL_FUNCTION:
                return ((FxFunction) ins.callable).compute(args);
            case CALL_METHOD:
                return ((MethodCall) ins.callable).invoke((NDArray) args[0], Arrays.copyOfRange(args, 1, args.length));
            case GET_ATTR:
                return ins.node.isListed() ? ctx.value((Parameter) ins.callable, device)
                        : ctx.constant((Parameter) ins.callable, device);
            default:
                throw new IllegalStateException("Unexpected node " + ins.node);
        }
    }

    /** Closes the value in a slot unless it is kept (model state, inputs) or another live slot holds it. */
    private static void release(Object[] slots, int slot, Set<NDArray> kept) {
        Object v = slots[slot];
        slots[slot] = null;
        if (v instanceof NDList) {
            for (NDArray a : (NDList) v) {
                closeUnlessAliased(slots, a, kept);
            }
        } else if (v instanceof NDArray) {
            closeUnlessAliased(slots, (NDArray) v, kept);
        }
    }

    private static void closeUnlessAliased(Object[] slots, NDArray array, Set<NDArray> kept) {
        if (kept.contains(array)) {
            return;
        }
        for (Object o : slots) {
            if (o == array) {
                return;
            }
            if (o instanceof NDList) {
                for (NDArray a : (NDList) o) {
                    if (a == array) {
                        return;
                    }
                }
            }
        }
        array.close();
    }

    private RuntimeException describe(RuntimeException e, Node node) {
        String where = className + " node '" + node.qualifiedName() + "' (" + node.op().fxName() + " " + node.target() + "): ";
        String msg = where + e.getMessage();
        RuntimeException wrapped;
        if (e instanceof IllegalArgumentException) {
            wrapped = new IllegalArgumentException(msg, e);
        } else if (e instanceof UnsupportedOperationException) {
            wrapped = new UnsupportedOperationException(msg, e);
        } else {
            wrapped = new IllegalStateException(msg, e);
        }
        return wrapped;
    }
}
